package dev.starling.persistence;

import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Loading at start-up while serving, between real processes: Starling and redis-server 7.0.15 load
 * the same RDB file slowly (key-load-delay; Redis serves clients every
 * loading-process-events-interval-bytes), and clients talk to both meanwhile.
 */
class LoadingTest {
    static final int KEYS = 20_000;
    /** A Redis-made file of KEYS keys (DEBUG POPULATE) plus a hash and a key with a TTL. */
    static byte[] file;

    private final List<Process> procs = new ArrayList<>();

    @BeforeAll
    static void makeFile() throws Exception {
        Path dir = Files.createTempDirectory("loading-src");
        RdbFileTest maker = new RdbFileTest();
        RdbFileTest.Proc r = maker.start(false, dir);
        try (RespClient c = new RespClient(r.port)) {
            c.call(RespClient.args("DEBUG", "POPULATE", Integer.toString(KEYS), "key", "100"));
            c.call(RespClient.args("HSET", "h", "f", "v"));
            c.call(RespClient.args("SET", "ttl", "v", "EX", "10000"));
            assertThat(c.callString("SAVE")).isEqualTo("+OK\r\n");
        }
        maker.stopAll();
        file = Files.readAllBytes(dir.resolve("dump.rdb"));
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : procs) {
            if (p.isAlive()) p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
    }

    /** A server with the file in its dir, started without waiting for PING (it answers -LOADING first). */
    record Srv(Process p, int port, Path dir, Path logFile) {
        String log() {
            try {
                return Files.readString(logFile);
            } catch (IOException e) {
                return "";
            }
        }

        RespClient client() {
            return new RespClient(port);
        }

        redis.clients.jedis.Jedis jedis() {
            return new redis.clients.jedis.Jedis("127.0.0.1", port, 20_000);
        }
    }

    Srv start(boolean starling, byte[] rdb, String... options) throws Exception {
        Path dir = Files.createTempDirectory("loading");
        if (rdb != null) Files.write(dir.resolve("dump.rdb"), rdb);
        return startIn(procs, starling, dir, dir, options);
    }

    /** Starts a server in dir (its log in logDir, the process added to procs) and waits until it accepts connections. */
    static Srv startIn(List<Process> procs, boolean starling, Path dir, Path logDir, String... options) throws Exception {
        int port = RdbFileTest.freePort();
        List<String> cmd = starling ? RdbFileTest.starlingCmd() : new ArrayList<>(List.of("/usr/bin/redis-server"));
        cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--enable-debug-command", "yes", "--save", "", "--loading-process-events-interval-bytes", "1024"));
        cmd.addAll(List.of(options));
        Path log = logDir.resolve("server.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        procs.add(p);
        Srv s = new Srv(p, port, dir, log);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!p.isAlive()) return true;
            try (RespClient c = new RespClient(port)) {
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        });
        return s;
    }

    static String info(RespClient c, String field) {
        return infoField(c, "persistence", field);
    }

    static String infoField(RespClient c, String section, String field) {
        String info = c.callString("INFO", section);
        for (String line : info.split("\r\n")) {
            if (line.startsWith(field + ":")) return line.substring(field.length() + 1);
        }
        return null;
    }

    /** The field names of INFO persistence, in order. */
    static List<String> infoFieldNames(RespClient c) {
        List<String> out = new ArrayList<>();
        String info = c.callString("INFO", "persistence");
        for (String line : info.split("\r\n")) {
            int i = line.indexOf(':');
            if (i > 0 && !line.startsWith("$")) out.add(line.substring(0, i));
        }
        return out;
    }

    static final String[][] DURING_LOADING = {
        {"PING"}, {"GET", "key:1"}, {"DBSIZE"}, {"SET", "a", "b"}, {"CONFIG", "GET", "key-load-delay"}, {"ECHO", "hi"},
        {"SELECT", "1"}, {"FLUSHALL"}, {"BGSAVE"}, {"SAVE"}, {"KEYS", "*"}, {"SCAN", "0"}, {"CLIENT", "SETNAME", "x"},
        {"CLIENT", "GETNAME"}, {"MEMORY", "USAGE", "key:1"}, {"TYPE", "key:1"}, {"PUBLISH", "c", "m"},
        {"MULTI"}, {"GET", "key:1"}, {"EXEC"}, {"MULTI"}, {"ECHO", "x"}, {"EXEC"}, {"PING"}, {"GET", "x"},
    };

    @Test
    void startup_slowLoad_commandsGetLoadingOrRunAsRedis_thenDatasetComplete() throws Exception {
        Srv redis = start(false, file, "--key-load-delay", "2000");
        Srv ours = start(true, file, "--key-load-delay", "2000");
        try (RespClient r = new RespClient(redis.port()); RespClient s = new RespClient(ours.port())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(info(s, "loading")) && "1".equals(info(r, "loading")));
            for (String[] cmd : DURING_LOADING) {
                String expected = r.callString(cmd);
                assertThat(s.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(expected);
            }
            assertThat(infoFieldNames(s)).isEqualTo(infoFieldNames(r));
            assertThat(info(s, "loading_total_bytes")).isEqualTo(Integer.toString(file.length));
            assertThat(Long.parseLong(info(s, "loading_loaded_bytes"))).isBetween(9L, (long) file.length);
            assertThat(info(s, "loading_rdb_used_mem")).isEqualTo(info(r, "loading_rdb_used_mem"));
            assertThat(s.callString("GET", "key:1")).startsWith("-LOADING");
            // Loading ends quickly once the delay is lifted (CONFIG has the loading flag).
            r.callString("CONFIG", "SET", "key-load-delay", "0");
            s.callString("CONFIG", "SET", "key-load-delay", "0");
            await().atMost(Duration.ofSeconds(60)).until(() -> "0".equals(info(s, "loading")) && "0".equals(info(r, "loading")));
            for (String[] cmd : new String[][] {{"DBSIZE"}, {"HGETALL", "h"}, {"GET", "key:7"}, {"DEBUG", "DIGEST"}}) {
                assertThat(s.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(r.callString(cmd));
            }
            assertThat(info(s, "rdb_last_load_keys_loaded")).isEqualTo(Integer.toString(KEYS + 2));
            assertThat(infoFieldNames(s)).isEqualTo(infoFieldNames(r));
        }
        String log = ours.log();
        assertThat(log).containsSubsequence("Server initialized", "Loading RDB produced by version 7.0.15", "RDB age ",
                "RDB memory usage when created ", "Done loading RDB, keys loaded: " + (KEYS + 2) + ", keys expired: 0.",
                "DB loaded from disk: ", "Ready to accept connections");
    }

    @Test
    void startup_corruptFileLoadedSlowly_neverServesData_exitsWithOffset() throws Exception {
        byte[] bad = java.util.Arrays.copyOf(file, file.length - 20);
        Srv ours = start(true, bad, "--key-load-delay", "50");
        List<String> replies = new ArrayList<>();
        try (RespClient s = new RespClient(ours.port())) {
            while (ours.p().isAlive()) {
                try {
                    replies.add(s.callString("DBSIZE"));
                } catch (RuntimeException e) {
                    break; // the server exited
                }
                Thread.sleep(20);
            }
        }
        assertThat(ours.p().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ours.p().exitValue()).isEqualTo(1);
        assertThat(replies).isNotEmpty().allMatch(r -> r.startsWith("-LOADING"));
        assertThat(ours.log()).contains("Internal error in RDB reading offset ", ours.dir().resolve("dump.rdb").toString(),
                "Terminating server after rdb file reading failure.").doesNotContain("Ready to accept connections", "Exception");
    }

    @Test
    void sigterm_duringLoading_exitsAtOnceWithoutSaving() throws Exception {
        Srv ours = start(true, file, "--key-load-delay", "2000", "--save", "1 1");
        try (RespClient s = new RespClient(ours.port())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(info(s, "loading")));
            // SHUTDOWN SAVE is turned into NOSAVE too while loading; first check SIGTERM.
        }
        ours.p().destroy();
        assertThat(ours.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ours.p().exitValue()).isZero();
        assertThat(ours.log()).contains("Received shutdown signal during loading, scheduling shutdown.", "Redis is now ready to exit, bye bye...")
                .doesNotContain("Saving the final RDB snapshot", "Ready to accept connections");
        assertThat(Files.readAllBytes(ours.dir().resolve("dump.rdb"))).isEqualTo(file);
    }

    @Test
    void shutdownSave_duringLoading_doesNotOverwriteTheFile() throws Exception {
        Srv ours = start(true, file, "--key-load-delay", "2000");
        try (RespClient s = new RespClient(ours.port())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(info(s, "loading")));
            s.send(RespClient.encode(RespClient.args("SHUTDOWN", "SAVE")));
            assertThat(s.isClosedByPeer()).isTrue();
        }
        assertThat(ours.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ours.p().exitValue()).isZero();
        assertThat(Files.readAllBytes(ours.dir().resolve("dump.rdb"))).isEqualTo(file);
        assertThat(ours.log()).doesNotContain("DB saved on disk");
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
