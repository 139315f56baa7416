package dev.starling.config;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same config file and CONFIG SETs on redis-server and Starling, then CONFIG REWRITE on both:
 * the kept part of the file must be identical and the appended block must hold the same lines
 * (Redis appends them in its hash table's order, so that block is compared as a set).
 */
class ConfigRewriteDifferentialTest {
    static final String FILE = "# Redis configuration file example\n\n"
            + "# comment about port\nport PORT\nbind 127.0.0.1\n\n   # indented comment\nmaxmemory 10mb\nsave 100 1\n"
            + "save 200 2\nslave-read-only no\nhash-max-ziplist-entries 64\nrename-command FLUSHDB \"\"\n   hz 20\n"
            + "# another\nhz 30\nclient-output-buffer-limit normal 0 0 0\nappendfsync everysec\ndir DIR\n";

    static final String[][] SETS = {
        {"maxmemory-clients", "10%"}, {"notify-keyspace-events", "KEA"}, {"client-output-buffer-limit", "pubsub 1mb 1000 5"},
        {"maxmemory", "0"}, {"save", ""}, {"hz", "10"}, {"lfu-log-factor", "3"}, {"slowlog-max-len", "1000"},
        {"hash-max-listpack-entries", "128"}, {"oom-score-adj-values", "1 2 3"}, {"shutdown-on-sigterm", "save now"},
        {"repl-backlog-size", "3mb"}, {"appendfsync", "always"}, {"latency-tracking-info-percentiles", "50 99.99"},
    };

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void configRewrite_sameFileAsRedis() throws Exception {
        Path dir = Files.createTempDirectory("rwdiff").toRealPath();
        int rport = freePort();
        Path rfile = dir.resolve("redis.conf");
        Files.writeString(rfile, FILE.replace("PORT", Integer.toString(rport)).replace("DIR", dir.toString()));
        Process redis = new ProcessBuilder("/usr/bin/redis-server", rfile.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile()).start();
        Path ofile = dir.resolve("starling.conf");
        try (ServerFixture ours = ServerFixture.start("--port", "0")) {
            RespClient theirs = null;
            for (int i = 0; i < 200 && theirs == null; i++) {
                try {
                    theirs = new RespClient(rport);
                    theirs.callString("PING");
                } catch (RuntimeException e) {
                    theirs = null;
                    Thread.onSpinWait();
                }
            }
            assertThat(theirs).isNotNull();
            int oport = ours.port();
            // Starling loads the same file (with its own port) so both start from the same state.
            Files.writeString(ofile, FILE.replace("PORT", Integer.toString(rport)).replace("DIR", dir.toString()));
            Config loaded = new Config();
            ConfigLoader.load(loaded, Files.readString(ofile));
            RespClient mine = ours.raw();
            for (Config.Option o : loaded.options()) {
                if (o.is(Config.IMMUTABLE) || o.name.equals("port") || o.name.equals("bind") || o.name.equals("dir")) continue;
                mine.callString("CONFIG", "SET", o.name, o.get());
            }
            ours.server.configFile = ofile.toString();
            ours.onExecutor(() -> ours.server.config.dir = dir.toString());
            for (String[] s : SETS) {
                assertThat(mine.callString("CONFIG", "SET", s[0], s[1])).as(s[0]).isEqualTo(theirs.callString("CONFIG", "SET", s[0], s[1]));
            }
            assertThat(mine.callString("CONFIG", "REWRITE")).isEqualTo(theirs.callString("CONFIG", "REWRITE"));
            theirs.close();
            mine.close();
            String r = Files.readString(rfile).replaceAll("(?m)^port \\d+$", "port P");
            String o = Files.readString(ofile).replaceAll("(?m)^port \\d+$", "port P");
            String sig = ConfigRewrite.SIGNATURE + "\n";
            assertThat(o.substring(0, o.indexOf(sig))).isEqualTo(r.substring(0, r.indexOf(sig)));
            List<String> rTail = tail(r, sig), oTail = tail(o, sig);
            assertThat(oTail).containsExactlyInAnyOrderElementsOf(rTail);
            assertThat(oport).isPositive();
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static List<String> tail(String text, String sig) {
        List<String> out = new ArrayList<>();
        for (String l : text.substring(text.indexOf(sig) + sig.length()).split("\n")) {
            if (l.startsWith("logfile ") || l.isEmpty()) continue;
            out.add(l);
        }
        return out;
    }
}
