package dev.starling.persistence;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * RDB files between real processes: Starling's launcher and redis-server 7.0.15, each in a
 * temporary directory, stopped by PID. Files go both ways and are compared by DEBUG DIGEST and
 * key by key; redis-check-rdb checks Starling's files.
 */
class RdbFileTest {
    /** A server process in a directory; stop() sends SIGTERM to its PID and waits. */
    static final class Proc {
        final Process p;
        final int port;
        final Path dir, log;

        Proc(Process p, int port, Path dir, Path log) {
            this.p = p;
            this.port = port;
            this.dir = dir;
            this.log = log;
        }

        Jedis jedis() {
            return new Jedis("127.0.0.1", port, 20_000);
        }

        String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "";
            }
        }

        int stop() throws InterruptedException {
            if (p.isAlive()) p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            return p.exitValue();
        }
    }

    static final redis.clients.jedis.commands.ProtocolCommand DEBUG = () -> "DEBUG".getBytes(StandardCharsets.US_ASCII);

    private final List<Proc> procs = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Proc p : procs) p.stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<String> starlingCmd() {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.starling.server.Main"));
    }

    /** Starts a process (Starling or redis-server) in dir; waits for PING unless expectExit. */
    Proc start(boolean starling, Path dir, String... options) throws Exception {
        return startIn(procs, starling, dir, dir, options);
    }

    /** Starts a server in dir with its log in logDir, adds it to procs (stopped by the caller) and waits for PING. */
    static Proc startIn(List<Proc> procs, boolean starling, Path dir, Path logDir, String... options) throws Exception {
        int port = freePort();
        List<String> cmd = starling ? starlingCmd() : new ArrayList<>(List.of("/usr/bin/redis-server"));
        cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--enable-debug-command", "yes", "--save", ""));
        cmd.addAll(List.of(options));
        Path log = logDir.resolve((starling ? "starling" : "redis") + "-" + port + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Proc proc = new Proc(p, port, dir, log);
        procs.add(proc);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!p.isAlive()) throw new AssertionError("exited: " + proc.log());
            // Starling listens before it loads its files: ready is when the log says so (Redis loads first).
            if (starling && !proc.log().contains("Ready to accept connections")) return false;
            try (Jedis j = proc.jedis()) {
                return j.ping().equals("PONG");
            } catch (RuntimeException e) {
                return false;
            }
        });
        return proc;
    }

    /** Every type in small and large encodings, TTLs, three databases. */
    static void fill(Jedis j) {
        j.select(0);
        j.set("int", "12345");
        j.set("big", "9223372036854775807");
        j.set("text", "hello");
        j.set("compressible", "a".repeat(500));
        j.set("ttl", "v");
        j.pexpire("ttl", 500_000);
        j.rpush("list-small", "a", "b", "1", "2");
        for (int i = 0; i < 300; i++) j.rpush("list-big", "element-" + i + "-" + "x".repeat(i % 70));
        j.hset("hash-small", "f", "v");
        for (int i = 0; i < 200; i++) j.hset("hash-big", "field" + i, "value" + i);
        j.sadd("set-int", "1", "2", "3");
        for (int i = 0; i < 200; i++) j.sadd("set-big", "member" + i);
        j.zadd("zset-small", 1.5, "a");
        for (int i = 0; i < 200; i++) j.zadd("zset-big", i / 3.0, "m" + i);
        j.pfadd("hll", "a", "b", "c");
        j.select(2);
        j.set("db2", "two");
        j.sadd("db2-set", "x", "y");
        j.expire("db2-set", 1000);
        j.select(15);
        j.set("db15", "fifteen");
        j.select(0);
    }

    /** DEBUG DIGEST, and per key of every db: type, digest of the value, TTL rounded to seconds. */
    static List<String> describe(Jedis j) {
        List<String> out = new ArrayList<>();
        out.add(new String((byte[]) j.sendCommand(DEBUG, "digest"), StandardCharsets.UTF_8));
        for (int db = 0; db < 16; db++) {
            j.select(db);
            List<String> keys = new ArrayList<>(j.keys("*"));
            java.util.Collections.sort(keys);
            for (String k : keys) {
                Object d = j.sendCommand(DEBUG, "digest-value", k);
                String dv = new String((byte[]) ((List<?>) d).get(0), StandardCharsets.UTF_8);
                long ttl = j.pttl(k);
                out.add(db + " " + k + " " + j.type(k) + " " + dv + " " + (ttl < 0 ? ttl : Math.round(ttl / 50_000.0) * 50));
            }
        }
        j.select(0);
        return out;
    }

    /** describe() for the keys fill() writes (DEBUG DIGEST covers the whole dataset, too big here). */
    static List<String> describeFilled(Jedis j) {
        List<String> out = new ArrayList<>();
        for (int db : new int[] {0, 2, 15}) {
            j.select(db);
            List<String> keys = new ArrayList<>(j.keys("*"));
            java.util.Collections.sort(keys);
            for (String k : keys) {
                if (k.startsWith("k:")) continue;
                Object d = j.sendCommand(DEBUG, "digest-value", k);
                long ttl = j.pttl(k);
                out.add(db + " " + k + " " + j.type(k) + " " + new String((byte[]) ((List<?>) d).get(0), StandardCharsets.UTF_8)
                        + " " + (ttl < 0 ? ttl : Math.round(ttl / 50_000.0) * 50));
            }
        }
        j.select(0);
        return out;
    }

    String checkRdb(Path file) throws Exception {
        Process p = new ProcessBuilder("redis-check-rdb", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    // ---------------------------------------------------------------- Starling writes, Redis reads

    @Test
    void save_starlingFile_passesCheckRdbAndLoadsInRedisIdentically() throws Exception {
        for (String compression : new String[] {"yes", "no"}) {
            Path dir = Files.createTempDirectory("rdb-s2r");
            Proc s = start(true, dir, "--rdbcompression", compression);
            List<String> expected;
            try (Jedis j = s.jedis()) {
                fill(j);
                assertThat(j.save()).isEqualTo("OK");
                expected = describe(j);
            }
            String report = checkRdb(dir.resolve("dump.rdb"));
            assertThat(report).contains("AUX FIELD redis-ver = '7.0.15'", "AUX FIELD aof-base = '0'", "Checksum OK");
            Proc r = start(false, dir);
            try (Jedis j = r.jedis()) {
                assertThat(describe(j)).isEqualTo(expected);
            }
        }
    }

    @Test
    void bgsave_starlingFile_loadsInRedisAndStarlingIdentically() throws Exception {
        Path dir = Files.createTempDirectory("rdb-bg");
        Proc s = start(true, dir);
        List<String> expected;
        try (Jedis j = s.jedis()) {
            fill(j);
            assertThat(j.bgsave()).isEqualTo("Background saving started");
            await().until(() -> j.info("persistence").contains("rdb_bgsave_in_progress:0"));
            assertThat(j.info("persistence")).contains("rdb_last_bgsave_status:ok", "rdb_changes_since_last_save:0");
            expected = describe(j);
        }
        assertThat(s.log()).contains("Background saving started by pid " + s.p.pid(), "Background saving terminated with success");
        checkRdb(dir.resolve("dump.rdb"));
        s.stop();
        Proc again = start(true, dir);
        try (Jedis j = again.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
            assertThat(j.info("persistence")).contains("rdb_last_load_keys_loaded:" + (expected.size() - 1));
        }
        assertThat(again.log()).contains("Loading RDB produced by version 7.0.15", "RDB age ", "RDB memory usage when created ",
                "Done loading RDB, keys loaded: ", "DB loaded from disk: ");
    }

    // ---------------------------------------------------------------- Redis writes, Starling reads

    @Test
    void load_redisFile_everyEncodingAndCompression_sameData() throws Exception {
        String[][] variants = {
                {},
                {"--rdbcompression", "no"},
                {"--hash-max-listpack-entries", "2", "--zset-max-listpack-entries", "2", "--set-max-intset-entries", "2",
                        "--list-max-listpack-size", "2"},
        };
        for (String[] v : variants) {
            Path dir = Files.createTempDirectory("rdb-r2s");
            Proc r = start(false, dir, v);
            List<String> expected;
            try (Jedis j = r.jedis()) {
                fill(j);
                j.set("gone", "x");
                j.pexpire("gone", 300);
                assertThat(j.save()).isEqualTo("OK");
                expected = describe(j);
            }
            r.stop();
            Thread.sleep(400); // let "gone" expire on disk: a primary skips it when loading
            expected.removeIf(line -> line.startsWith("0 gone "));
            Proc s = start(true, dir, v);
            try (Jedis j = s.jedis()) {
                List<String> got = describe(j);
                assertThat(got.subList(2, got.size())).isEqualTo(expected.subList(2, expected.size()));
                assertThat(j.info("persistence")).contains("rdb_last_load_keys_expired:1");
            }
            assertThat(s.log()).contains("keys expired: 1.");
        }
    }

    // ---------------------------------------------------------------- BGSAVE is point in time

    @Test
    void bgsave_whileClientsWrite_fileIsTheCut() throws Exception {
        Path dir = Files.createTempDirectory("rdb-cut");
        Proc s = start(true, dir);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer;
        List<String> cut;
        try (Jedis j = s.jedis()) {
            j.sendCommand(DEBUG, "populate", "200000", "k", "20");
            fill(j);
            j.append("text", "-raw"); // a RawString
            j.set("marker", "before");
            cut = describeFilled(j);
            writer = new Thread(() -> {
                try (Jedis w = s.jedis()) {
                    int i = 0;
                    while (!stop.get()) {
                        w.set("k:" + (i % 200000), "changed");
                        w.set("new:" + i, "x");
                        // In-place changes to every representation of fill().
                        w.append("text", "+");
                        w.setrange("compressible", i % 400, "b");
                        w.incr("int");
                        w.pexpire("ttl", 600_000 + i);
                        w.rpush("list-big", "pushed" + i);
                        w.lset("list-small", 0, "s" + i);
                        w.hset("hash-big", "field" + (i % 300), "changed" + i);
                        w.hset("hash-small", "f", "v" + i);
                        w.sadd("set-int", Integer.toString(i));
                        w.sadd("set-big", "new" + i);
                        w.zincrby("zset-big", 1, "m" + (i % 250));
                        w.zadd("zset-small", i, "a");
                        w.pfadd("hll", "e" + i);
                        i++;
                    }
                }
            });
            assertThat(j.bgsave()).isEqualTo("Background saving started");
            j.set("marker", "after");
            writer.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> j.info("persistence").contains("rdb_bgsave_in_progress:0"));
            stop.set(true);
            writer.join();
            assertThat(j.info("persistence")).contains("rdb_last_bgsave_status:ok");
        }
        s.stop();
        checkRdb(dir.resolve("dump.rdb"));
        Proc r = start(false, dir);
        try (Jedis j = r.jedis()) {
            assertThat(j.get("marker")).isEqualTo("before");
            assertThat(describeFilled(j)).isEqualTo(cut);
            assertThat(j.dbSize()).isEqualTo(200001 + 14);
            Object changed = j.eval("local n = 0 for _, k in ipairs(redis.call('keys', 'k:*')) do "
                    + "if redis.call('get', k) == 'changed' then n = n + 1 end end return n");
            assertThat(changed).isEqualTo(0L);
        }
    }

    // ---------------------------------------------------------------- bad files, shutdown

    /** Runs Starling on dir until it exits by itself; returns exit code and log. */
    static String[] runToExit(Path dir) throws Exception {
        return runToExit(true, dir);
    }

    /** Runs Starling or redis-server on dir with options until it exits by itself; returns exit code and log. */
    static String[] runToExit(boolean starling, Path dir, String... options) throws Exception {
        List<String> cmd = starling ? starlingCmd() : new ArrayList<>(List.of("/usr/bin/redis-server"));
        cmd.addAll(List.of("--port", Integer.toString(freePort()), "--bind", "127.0.0.1", "--dir", dir.toString()));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("still running: " + out);
        }
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void load_truncatedOrCorruptFile_stopsStartupWithOffset() throws Exception {
        Path dir = Files.createTempDirectory("rdb-bad");
        Proc s = start(true, dir);
        try (Jedis j = s.jedis()) {
            fill(j);
            j.save();
        }
        s.stop();
        byte[] good = Files.readAllBytes(dir.resolve("dump.rdb"));
        java.util.Random rnd = new java.util.Random(7);
        List<byte[]> bad = new ArrayList<>();
        for (int cut : new int[] {0, 3, 9, 20, 82, good.length / 2, good.length - 9, good.length - 1}) {
            bad.add(java.util.Arrays.copyOf(good, cut));
        }
        for (int i = 0; i < 4; i++) {
            byte[] b = good.clone();
            b[10 + rnd.nextInt(b.length - 10)] ^= (byte) (1 + rnd.nextInt(255));
            bad.add(b);
        }
        for (byte[] b : bad) {
            Files.write(dir.resolve("dump.rdb"), b);
            String[] r = runToExit(dir);
            assertThat(r[0]).as(r[1]).isEqualTo("1");
            assertThat(r[1]).doesNotContain("Exception", "\tat ");
            assertThat(r[1]).containsAnyOf("Terminating server after rdb file reading failure.", "Fatal error loading the DB");
            if (b.length > 9) assertThat(r[1]).contains("Internal error in RDB reading offset ", dir.resolve("dump.rdb").toString());
            assertThat(r[1]).doesNotContain("Ready to accept connections");
        }
    }

    @Test
    void sigterm_withSavePoints_savesBeforeExit() throws Exception {
        Path dir = Files.createTempDirectory("rdb-term");
        Proc s = start(true, dir, "--save", "3600 1");
        List<String> expected;
        try (Jedis j = s.jedis()) {
            fill(j);
            expected = describe(j);
        }
        assertThat(s.stop()).isZero();
        assertThat(s.log()).contains("Received SIGTERM scheduling shutdown...", "Saving the final RDB snapshot before exiting.",
                "DB saved on disk", "Redis is now ready to exit, bye bye...");
        Proc r = start(false, dir);
        try (Jedis j = r.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
        }
    }
}
