package dev.starling.config;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigCommandsTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    /** Parses a RESP2 flat array of bulk strings into a name -> value map. */
    static Map<String, String> map(String reply) {
        Map<String, String> m = new TreeMap<>();
        String[] lines = reply.split("\r\n", -1);
        int i = 1;
        while (i + 3 < lines.length) {
            String k = lines[i + 1], v = lines[i + 3];
            m.put(k, v);
            i += 4;
        }
        return m;
    }

    @Test
    void configGetAll_freshServers_sameOptionsAndValues() {
        Map<String, String> theirs = map(new String(diff.theirs().call(RespClient.args("CONFIG", "GET", "*")), StandardCharsets.ISO_8859_1));
        Map<String, String> ours = map(new String(diff.ours().call(RespClient.args("CONFIG", "GET", "*")), StandardCharsets.ISO_8859_1));
        for (String runtime : new String[] {"dir", "port", "logfile", "bind", "loglevel"}) {
            theirs.remove(runtime);
            ours.remove(runtime);
        }
        assertThat(ours).isEqualTo(theirs);
    }

    @Test
    void configGet_exactHiddenAliasAndPatterns_sameReplies() {
        diff.same("CONFIG", "GET", "maxmemory");
        diff.same("CONFIG", "GET", "slave-read-only");
        diff.same("CONFIG", "GET", "watchdog-period");
        diff.same("CONFIG", "GET", "nonexistent");
        diff.same("CONFIG", "GET", "maxmemory", "maxmemory");
        diff.same("CONFIG", "GET", "hash-max-z*-entries");
        diff.same("CONFIG", "GET", "client-output-buffer-limit");
        diff.same("CONFIG", "GET", "save");
    }

    @Test
    void configSet_errors_byteExact() {
        String[][] cases = {
            {"CONFIG", "SET", "maxmemory", "abc"},
            {"CONFIG", "SET", "maxmemory", "-1"},
            {"CONFIG", "SET", "maxclients", "0"},
            {"CONFIG", "SET", "maxclients", "abc"},
            {"CONFIG", "SET", "timeout", "-1"},
            {"CONFIG", "SET", "daemonize", "yes"},
            {"CONFIG", "SET", "dir", "/nonexistent"},
            {"CONFIG", "SET", "dbfilename", "x"},
            {"CONFIG", "SET", "foo", "bar"},
            {"CONFIG", "SET", "maxmemory"},
            {"CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"},
            {"CONFIG", "SET", "maxmemory", "1", "slave-read-only", "x"},
            {"CONFIG", "SET", "replica-read-only", "yes", "slave-read-only", "no"},
            {"CONFIG", "SET", "maxmemory-policy", "bad"},
            {"CONFIG", "SET", "appendfsync", "bad"},
            {"CONFIG", "SET", "maxmemory-clients", "101%"},
            {"CONFIG", "SET", "maxmemory-clients", "abc"},
            {"CONFIG", "SET", "save", "abc"},
            {"CONFIG", "SET", "save", "100 1 200"},
            {"CONFIG", "SET", "notify-keyspace-events", "Z"},
            {"CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"},
            {"CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"},
            {"CONFIG", "SET", "oom-score-adj-values", "1 2"},
            {"CONFIG", "SET", "oom-score-adj-values", "1 2 3000"},
            {"CONFIG", "SET", "enable-protected-configs", "yes"},
            {"CONFIG", "SET", "shutdown-on-sigint", "bad"},
            {"CONFIG", "SET", "latency-tracking-info-percentiles", "50 abc"},
            {"CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"},
            {"CONFIG", "SET", "unixsocketperm", "777"},
            {"CONFIG", "SET", "slowlog-log-slower-than", "-2"},
            {"CONFIG", "SET", "proto-max-bulk-len", "1"},
            {"CONFIG", "SET", "cluster-announce-hostname", "a b"},
            {"CONFIG", "SET", "replicaof", "a"},
            {"CONFIG", "SET", "requirepass", "a", "b"},
            {"CONFIG", "SET", "repl-backlog-size", "0"},
            {"CONFIG", "SET", "active-defrag-cycle-min", "100"},
            {"CONFIG", "SET", "activerehashing", "1"},
            {"CONFIG", "SET", "port", "abc"},
            {"CONFIG", "SET", "hz", "05"},
            {"CONFIG", "RESETSTAT", "extra"},
            {"CONFIG", "NOPE"},
            {"CONFIG", "HELP"},
        };
        for (String[] c : cases) diff.same(c);
    }

    @Test
    void configSet_values_canonicalisedAsRedis() {
        String[][] sets = {
            {"maxmemory-clients", "50%"},
            {"notify-keyspace-events", "KEA"},
            {"client-output-buffer-limit", "pubsub 1mb 2 3"},
            {"shutdown-on-sigint", "now save"},
            {"hash-max-ziplist-entries", "10"},
            {"hz", "1000"},
            {"loglevel", "DEBUG"},
            {"save", "100 1 200 2"},
            {"latency-tracking-info-percentiles", "50 99.99"},
            {"maxmemory", "10mb"},
        };
        for (String[] s : sets) {
            diff.same("CONFIG", "SET", s[0], s[1]);
            diff.same("CONFIG", "GET", s[0]);
        }
        diff.same("CONFIG", "GET", "hash-max-listpack-entries");
        diff.same("CONFIG", "SET", "notify-keyspace-events", "gx$");
        diff.same("CONFIG", "GET", "notify-keyspace-events");
        diff.same("CONFIG", "SET", "save", "");
        diff.same("CONFIG", "GET", "save");
        diff.same("CONFIG", "SET", "hz", "0");
        diff.same("CONFIG", "GET", "hz");
        diff.same("CONFIG", "SET", "hz", "10", "loglevel", "notice", "maxmemory", "0");
    }

    @Test
    void configSet_atomic_nothingAppliedOnError() {
        diff.same("CONFIG", "SET", "maxmemory-samples", "7", "maxmemory-policy", "bad");
        diff.same("CONFIG", "GET", "maxmemory-samples");
    }

    @Test
    void configSet_loglevel_takesEffect() {
        try (ServerFixture s = ServerFixture.start(); Jedis j = s.jedis()) {
            j.configSet("loglevel", "debug");
            assertThat(s.server.log.enabled(dev.starling.server.Log.DEBUG)).isTrue();
            assertThat(j.configGet("loglevel")).containsEntry("loglevel", "debug");
        }
    }

    @Test
    void configResetstat_thenInfo_sameCountersAsRedis() {
        diff.same("SET", "a", "b");
        diff.same("GET", "zz");
        diff.same("FOO");
        diff.same("CONFIG", "RESETSTAT");
        diff.same("INFO", "errorstats");
        String[] fields = {"total_connections_received", "total_commands_processed", "total_reads_processed",
            "total_writes_processed", "keyspace_hits", "keyspace_misses", "total_error_replies", "rejected_connections"};
        String theirs = new String(diff.theirs().call(RespClient.args("INFO", "stats")), StandardCharsets.ISO_8859_1);
        String ours = new String(diff.ours().call(RespClient.args("INFO", "stats")), StandardCharsets.ISO_8859_1);
        for (String f : fields) assertThat(line(ours, f)).isEqualTo(line(theirs, f));
        diff.same("DEL", "a");
    }

    @Test
    void configSetDir_protectedConfigsEnabled_sameAsRedis() throws Exception {
        Path tmp = Files.createTempDirectory("dirtest").toRealPath();
        Files.createDirectory(tmp.resolve("sub"));
        try (Differential d = new Differential("--enable-protected-configs", "yes")) {
            d.same("CONFIG", "SET", "dir", "/nonexistent-dir");
            d.same("CONFIG", "SET", "dir", tmp.toString());
            d.same("CONFIG", "GET", "dir");
            d.same("CONFIG", "SET", "dir", "sub");
            d.same("CONFIG", "GET", "dir");
            d.same("CONFIG", "SET", "dbfilename", "a/b");
            d.same("CONFIG", "SET", "dbfilename", "x.rdb");
        }
    }

    static String line(String info, String field) {
        for (String l : info.split("\r\n")) if (l.startsWith(field + ":")) return l;
        return null;
    }

    @Test
    void configRewrite_withoutConfigFile_errors() {
        diff.same("CONFIG", "REWRITE");
    }

    @Test
    void configRewrite_keepsCommentsAndReplacesLines() throws Exception {
        Config cfg = new Config();
        String old = "# top comment\nport 7302\n\n   # indented comment\nmaxmemory 10mb\nsave 100 1\nsave 200 2\n"
                + "slave-read-only no\nrename-command FLUSHDB \"\"\n   hz 20\n# another\nhz 30\n";
        ConfigLoader.load(cfg, old);
        cfg.setAll(new String[] {"maxmemory-clients", "notify-keyspace-events", "client-output-buffer-limit", "requirepass"},
                new String[][] {{"10%"}, {"KEA"}, {"pubsub 1mb 1000 5"}, {"a b"}});
        cfg.dir = "/tmp/cfgw";
        String out = ConfigRewrite.render(cfg, old);
        assertThat(out).startsWith("# top comment\nport 7302\n\n# indented comment\nmaxmemory 10mb\nsave 100 1\nsave 200 2\n"
                + "replica-read-only no\nrename-command FLUSHDB \"\"\nhz 30\n# another\n\n# Generated by CONFIG REWRITE\n");
        assertThat(out).contains("\nrequirepass \"a b\"\n", "\nmaxmemory-clients 10%\n", "\ndir \"/tmp/cfgw\"\n",
                "\nclient-output-buffer-limit pubsub 1mb 1000 5\n", "\nnotify-keyspace-events \"AKE\"\n",
                "\nlatency-tracking-info-percentiles 50 99 99.9\n",
                "\nuser default on #c8687a08aa5d6ed2044328fa6a697ab8e96dc34291e8c2034ae8c38e6fcc6d65 ~* &* +@all\n");
        // Second rewrite: defaults put back in place, save cleared, no second signature.
        cfg.setAll(new String[] {"save", "hz", "maxmemory"}, new String[][] {{""}, {"10"}, {"0"}});
        String out2 = ConfigRewrite.render(cfg, out);
        assertThat(out2).startsWith("# top comment\nport 7302\n\n# indented comment\nmaxmemory 0\nsave \"\"\n\n"
                + "replica-read-only no\nrename-command FLUSHDB \"\"\nhz 10\n# another\n\n# Generated by CONFIG REWRITE\n");
        assertThat(out2.split("# Generated by CONFIG REWRITE", -1)).hasSize(2);
        cfg.setAll(new String[] {"dbfilename", "unixsocketperm", "oom-score-adj-values", "maxmemory"},
                new String[][] {{"x.rdb"}, {"700"}, {"1 2 3"}, {"3000"}});
        String out3 = ConfigRewrite.render(cfg, out2);
        assertThat(out3).contains("\ndbfilename \"x.rdb\"\n", "\nunixsocketperm 700\n", "\noom-score-adj-values 1 2 3\n",
                "\nmaxmemory 3000\n");
        assertThat(out2).contains("\nclient-output-buffer-limit normal 0 0 0\n").endsWith("\n\nclient-output-buffer-limit pubsub 1mb 1000 5\n");
    }

    @Test
    void configRewrite_roundTripThroughServer_reloads() throws Exception {
        Path dir = Files.createTempDirectory("rewrite");
        Path file = dir.resolve("s.conf");
        Files.writeString(file, "# keep me\nmaxmemory-policy allkeys-lru\n");
        try (ServerFixture s = ServerFixture.start("--maxmemory-samples", "9"); Jedis j = s.jedis()) {
            s.server.configFile = file.toString();
            assertThat(j.configRewrite()).isEqualTo("OK");
        }
        String text = Files.readString(file);
        assertThat(text).startsWith("# keep me\nmaxmemory-policy noeviction\n\n# Generated by CONFIG REWRITE\n").contains("maxmemory-samples 9\n");
        Config cfg = new Config();
        ConfigLoader.load(cfg, text);
        assertThat(cfg.maxmemorySamples).isEqualTo(9);
        assertThat(cfg.maxmemoryPolicy).isEqualTo("noeviction");
    }

    @Test
    void configResetstat_clearsCommandStats() {
        try (ServerFixture s = ServerFixture.start(); Jedis j = s.jedis()) {
            j.set("a", "b");
            j.get("nokey");
            assertThat(j.info("commandstats")).contains("cmdstat_set:calls=1");
            assertThat(j.configResetStat()).isEqualTo("OK");
            String info = j.info("all");
            assertThat(info).doesNotContain("cmdstat_set").contains("keyspace_misses:0");
        }
    }

    @Test
    void configGet_globPatterns_sameSetsAsRedis() {
        String[][] patterns = {{"*max*"}, {"[a-c]*"}, {"?z*"}, {"*-*-*-*"}, {"MAX*"}, {"*[^a-z-]*"}, {"slave*", "replica*"},
            {"maxmemory", "max*"}, {"*ziplist*", "*listpack*"}, {"tls-*-file"}, {"[m-n]a[x]*"}, {"\\*"}, {"*\\-*"}, {"watchdog*"}};
        for (String[] p : patterns) {
            String[] cmd = new String[p.length + 2];
            cmd[0] = "CONFIG";
            cmd[1] = "GET";
            System.arraycopy(p, 0, cmd, 2, p.length);
            Map<String, String> theirs = map(new String(diff.theirs().call(RespClient.args(cmd)), StandardCharsets.ISO_8859_1));
            Map<String, String> ours = map(new String(diff.ours().call(RespClient.args(cmd)), StandardCharsets.ISO_8859_1));
            theirs.remove("dir");
            ours.remove("dir");
            assertThat(ours).as(String.join(" ", p)).isEqualTo(theirs);
        }
    }

    @Test
    void configGet_caseOfExactName_keptAsTyped() {
        diff.same("CONFIG", "GET", "MAXMEMORY");
        diff.same("CONFIG", "SET", "MAXMEMORY", "1", "MAXmemory", "2");
    }

    @Test
    void configBind_multiArg_splitAndShown() throws Exception {
        Config c = new Config();
        c.setAll(new String[] {"bind"}, new String[][] {{"127.0.0.1 -::1"}});
        assertThat(c.get("bind")).isEqualTo("127.0.0.1 -::1");
        ConfigLoader.load(c, "bind 10.0.0.1 10.0.0.2\n");
        assertThat(c.bind).containsExactly("10.0.0.1", "10.0.0.2");
    }

    @Test
    void configSetPort_rebindsAndRestoresOnFailure() throws Exception {
        try (ServerFixture s = ServerFixture.start(); java.net.ServerSocket busy = new java.net.ServerSocket(0)) {
            int free;
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
                free = probe.getLocalPort();
            }
            int old = s.port();
            try (Jedis j = s.jedis()) {
                assertThat(j.configSet("port", Integer.toString(free))).isEqualTo("OK");
            }
            try (Jedis j = new Jedis("127.0.0.1", free)) {
                assertThat(j.configGet("port")).containsEntry("port", Integer.toString(free));
                RespClient raw = new RespClient(free);
                assertThat(raw.callString("CONFIG", "SET", "port", Integer.toString(busy.getLocalPort())))
                        .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n");
                assertThat(raw.callString("CONFIG", "SET", "bind", "1.2.3.4"))
                        .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n");
                assertThat(raw.callString("CONFIG", "SET", "port", Integer.toString(free), "bind", "127.0.0.1")).isEqualTo("+OK\r\n");
                raw.close();
                assertThat(j.ping()).isEqualTo("PONG");
            }
            try (Jedis j = new Jedis("127.0.0.1", free)) {
                assertThat(j.configGet("bind")).containsEntry("bind", "127.0.0.1");
            }
            assertThat(old).isNotEqualTo(free);
        }
    }

    @Test
    void stringMatch_globRules() {
        assertThat(dev.starling.keyspace.Glob.match("*max*".getBytes(), "maxmemory".getBytes(), true)).isTrue();
        assertThat(dev.starling.keyspace.Glob.match("MAX?EMORY".getBytes(), "maxmemory".getBytes(), true)).isTrue();
        assertThat(dev.starling.keyspace.Glob.match("[a-m]axmemory".getBytes(), "maxmemory".getBytes(), true)).isTrue();
        assertThat(dev.starling.keyspace.Glob.match("[^m]axmemory".getBytes(), "maxmemory".getBytes(), true)).isFalse();
        assertThat(dev.starling.keyspace.Glob.match("max\\*".getBytes(), "max*".getBytes(), false)).isTrue();
        assertThat(dev.starling.keyspace.Glob.match("max".getBytes(), "maxmemory".getBytes(), false)).isFalse();
    }
}
