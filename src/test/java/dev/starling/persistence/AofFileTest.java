package dev.starling.persistence;

import dev.starling.persistence.RdbFileTest.Proc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.starling.persistence.RdbFileTest.describe;
import static dev.starling.persistence.RdbFileTest.fill;
import static dev.starling.persistence.RdbFileTest.freePort;
import static dev.starling.persistence.RdbFileTest.starlingCmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Multi-part AOF directories between real processes: Starling's launcher and redis-server 7.0.15,
 * each loading the other's directory (with and without the RDB preamble, after rewrites), compared
 * key by key and by DEBUG DIGEST; redis-check-aof checks Starling's files; truncated, corrupt and
 * unfinished-transaction files are handled as Redis handles them.
 */
class AofFileTest {
    private final List<Proc> procs = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Proc p : procs) p.stop();
    }

    Proc start(boolean starling, Path dir, String... options) throws Exception {
        return RdbFileTest.startIn(procs, starling, dir, dir, options);
    }

    static final String INCR1 = "appendonly.aof.1.incr.aof";

    /** Writes after a rewrite: several databases, a transaction, TTLs, rewritten commands. */
    static void moreWrites(Jedis j) {
        j.select(0);
        j.set("after", "rewrite");
        j.incr("counter");
        j.incrBy("counter", 41);
        j.incrByFloat("float", 1.5);
        j.del("text");
        j.setex("setex", 1000, "v");
        j.lpop("list-small");
        j.spop("set-big");
        j.zincrby("zset-big", 2.5, "m7");
        j.hincrByFloat("hash-float", "f", 0.25);
        j.select(5);
        Transaction t = j.multi();
        t.set("tx1", "a");
        t.rpush("tx-list", "x", "y");
        t.expire("tx1", 5000);
        t.exec();
        j.select(0);
    }

    static String checkAof(Path manifest) throws Exception {
        Process p = new ProcessBuilder("redis-check-aof", manifest.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    static void awaitRewriteDone(Jedis j) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            String info = j.info("persistence");
            return info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0");
        });
    }

    static String manifest(Path dir) throws Exception {
        return Files.readString(dir.resolve("appendonlydir/appendonly.aof.manifest"));
    }

    static List<String> aofFiles(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        try (var s = Files.list(dir.resolve("appendonlydir"))) {
            for (Path p : (Iterable<Path>) s::iterator) out.add(p.getFileName().toString());
        }
        out.sort(null);
        return out;
    }

    // ---------------------------------------------------------------- Starling writes, Redis reads

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no"})
    void starlingAof_passesCheckAofAndLoadsInRedisAndStarling(String preamble) throws Exception {
        Path dir = Files.createTempDirectory("aof-s2r");
        Proc s = start(true, dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--aof-timestamp-enabled", "yes");
        List<String> expected;
        try (Jedis j = s.jedis()) {
            fill(j);
            assertThat(j.bgrewriteaof()).isEqualTo("Background append only file rewriting started");
            awaitRewriteDone(j);
            moreWrites(j);
            assertThat(j.info("persistence")).contains("aof_last_bgrewrite_status:ok", "aof_rewrites:1", "aof_last_write_status:ok");
            expected = describe(j);
        }
        String suffix = preamble.equals("yes") ? "rdb" : "aof";
        assertThat(s.log()).contains("Creating AOF base file appendonly.aof.1.base." + suffix + " on server start",
                "Creating AOF incr file appendonly.aof.1.incr.aof on server start",
                "Creating AOF incr file appendonly.aof.2.incr.aof on background rewrite",
                "Background append only file rewriting started by pid " + s.p.pid(),
                "Background AOF rewrite terminated with success",
                "Successfully renamed the temporary AOF base file temp-rewriteaof-bg-" + s.p.pid() + ".aof into appendonly.aof.2.base."
                        + (preamble.equals("yes") ? "rdb" : "aof"),
                "Removing the history file appendonly.aof.1.incr.aof in the background",
                "Removing the history file appendonly.aof.1.base." + suffix + " in the background",
                "Background AOF rewrite finished successfully");
        s.stop();
        String base = "appendonly.aof.2.base." + (preamble.equals("yes") ? "rdb" : "aof");
        assertThat(manifest(dir)).isEqualTo("file " + base + " seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
        assertThat(aofFiles(dir)).containsExactly(base, "appendonly.aof.2.incr.aof", "appendonly.aof.manifest");
        // aof-timestamp-enabled: a rewrite in command form starts with the annotation (incr files get one when the second changes).
        if (preamble.equals("no")) assertThat(Files.readString(dir.resolve("appendonlydir").resolve(base), StandardCharsets.ISO_8859_1)).startsWith("#TS:");
        String report = checkAof(dir.resolve("appendonlydir/appendonly.aof.manifest"));
        assertThat(report).contains("All AOF files and manifest are valid");
        Proc r = start(false, dir, "--appendonly", "yes");
        try (Jedis j = r.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
        }
        r.stop();
        Proc again = start(true, dir, "--appendonly", "yes");
        try (Jedis j = again.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
        }
        assertThat(again.log()).contains("DB loaded from base file " + base, "DB loaded from incr file appendonly.aof.2.incr.aof",
                "DB loaded from append only file", "Opening AOF incr file appendonly.aof.2.incr.aof on server start");
    }

    // ---------------------------------------------------------------- Redis writes, Starling reads

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no"})
    void redisAof_withRewrites_loadsInStarlingIdentically(String preamble) throws Exception {
        Path dir = Files.createTempDirectory("aof-r2s");
        Proc r = start(false, dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--aof-timestamp-enabled", "yes");
        List<String> expected;
        try (Jedis j = r.jedis()) {
            fill(j);
            j.bgrewriteaof();
            awaitRewriteDone(j);
            moreWrites(j);
            j.bgrewriteaof();
            awaitRewriteDone(j);
            j.select(3);
            j.set("last", "incr");
            j.select(0);
            expected = describe(j);
        }
        r.stop();
        Proc s = start(true, dir, "--appendonly", "yes");
        try (Jedis j = s.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
            j.set("written-by", "starling");
        }
        s.stop();
        checkAof(dir.resolve("appendonlydir/appendonly.aof.manifest"));
        Proc back = start(false, dir, "--appendonly", "yes");
        try (Jedis j = back.jedis()) {
            assertThat(j.get("written-by")).isEqualTo("starling");
        }
    }

    // ---------------------------------------------------------------- CONFIG SET appendonly

    @Test
    void configSetAppendonly_rewritesLikeRedis_sameFilesAndManifest() throws Exception {
        Path sdir = Files.createTempDirectory("aof-cfg-s"), rdir = Files.createTempDirectory("aof-cfg-r");
        Proc s = start(true, sdir), r = start(false, rdir);
        List<String> expected = null;
        for (Proc p : List.of(s, r)) {
            try (Jedis j = p.jedis()) {
                fill(j);
                assertThat(j.configSet("appendonly", "yes")).isEqualTo("OK");
                awaitRewriteDone(j);
                assertThat(j.info("persistence")).contains("aof_enabled:1", "aof_rewrites:1", "aof_last_bgrewrite_status:ok");
                j.set("after", "enable");
                List<String> d = describe(j);
                if (expected == null) expected = d;
                else assertThat(d).isEqualTo(expected);
            }
        }
        assertThat(manifest(sdir)).isEqualTo(manifest(rdir))
                .isEqualTo("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        assertThat(aofFiles(sdir)).isEqualTo(aofFiles(rdir));
        assertThat(s.log()).contains("Background append only file rewriting started by pid",
                "Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof");
        try (Jedis j = s.jedis()) {
            assertThat(j.configSet("appendonly", "no")).isEqualTo("OK");
            assertThat(j.info("persistence")).contains("aof_enabled:0").doesNotContain("aof_current_size");
            j.set("after", "disable"); // not in the AOF any more
        }
        s.stop();
        Proc again = start(true, sdir, "--appendonly", "yes");
        try (Jedis j = again.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
        }
    }

    @Test
    void bgrewriteaof_inMultiWithAofOff_scheduledThenBaseOnly_likeRedis() throws Exception {
        Path sdir = Files.createTempDirectory("aof-off-s"), rdir = Files.createTempDirectory("aof-off-r");
        Proc s = start(true, sdir), r = start(false, rdir);
        for (Proc p : List.of(s, r)) {
            try (Jedis j = p.jedis()) {
                fill(j);
                j.sendCommand(redis.clients.jedis.Protocol.Command.MULTI);
                j.sendCommand(redis.clients.jedis.Protocol.Command.BGREWRITEAOF);
                Object res = j.sendCommand(redis.clients.jedis.Protocol.Command.EXEC);
                assertThat(new String((byte[]) ((List<?>) res).get(0), StandardCharsets.UTF_8))
                        .isEqualTo("Background append only file rewriting scheduled");
                await().atMost(Duration.ofSeconds(30)).until(() -> j.info("persistence").contains("aof_rewrites:1"));
                awaitRewriteDone(j);
                assertThat(j.info("persistence")).contains("aof_enabled:0", "aof_last_bgrewrite_status:ok")
                        .doesNotContain("aof_current_size");
            }
        }
        assertThat(manifest(sdir)).isEqualTo(manifest(rdir)).isEqualTo("file appendonly.aof.1.base.rdb seq 1 type b\n");
        assertThat(aofFiles(sdir)).isEqualTo(aofFiles(rdir));
    }

    @Test
    void bgsaveAndBgrewriteaof_whileTheOtherRuns_sameRepliesAsRedis() throws Exception {
        Proc s = start(true, Files.createTempDirectory("aof-child-s"), "--appendonly", "yes");
        Proc r = start(false, Files.createTempDirectory("aof-child-r"), "--appendonly", "yes");
        List<List<Object>> replies = new ArrayList<>();
        for (Proc p : List.of(s, r)) {
            try (Jedis j = p.jedis()) {
                j.sendCommand(RdbFileTest.DEBUG, "populate", "300000", "k", "100");
                redis.clients.jedis.Pipeline pl = j.pipelined();
                List<redis.clients.jedis.Response<Object>> got = new ArrayList<>();
                for (String[] cmd : new String[][] {{"BGREWRITEAOF"}, {"BGREWRITEAOF"}, {"BGSAVE"}, {"BGSAVE", "SCHEDULE"}}) {
                    got.add(pl.sendCommand(() -> cmd[0].getBytes(StandardCharsets.US_ASCII), Arrays.copyOfRange(cmd, 1, cmd.length)));
                }
                pl.sync();
                List<Object> out = new ArrayList<>();
                for (var g : got) {
                    try {
                        Object o = g.get();
                        out.add(o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : o);
                    } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                        out.add(e.getMessage());
                    }
                }
                replies.add(out);
                awaitRewriteDone(j);
                await().atMost(Duration.ofSeconds(60)).until(() -> j.info("persistence").contains("rdb_bgsave_in_progress:0")
                        && !j.info("persistence").contains("rdb_saves:0"));
            }
        }
        assertThat(replies.get(0)).isEqualTo(replies.get(1)).containsExactly("Background append only file rewriting started",
                "ERR Background append only file rewriting already in progress",
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
                "Background saving scheduled");
    }

    @ParameterizedTest
    @ValueSource(strings = {"commands", "preamble"})
    void oldStyleAppendonlyAof_migratedIntoTheDirectory_likeRedis(String kind) throws Exception {
        // An old-style single file: commands, or (Redis 4-6's aof-use-rdb-preamble) an RDB followed by commands.
        byte[] head = new byte[0];
        if (kind.equals("preamble")) {
            Path src = Files.createTempDirectory("aof-old-src");
            Proc r0 = start(false, src, "--appendonly", "yes");
            try (Jedis j = r0.jedis()) {
                fill(j);
                j.bgrewriteaof();
                awaitRewriteDone(j);
            }
            r0.stop();
            head = Files.readAllBytes(src.resolve("appendonlydir/appendonly.aof.2.base.rdb"));
        }
        String tail = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\ntail\r\n$1\r\nx\r\n";
        byte[] file = new byte[head.length + tail.length()];
        System.arraycopy(head, 0, file, 0, head.length);
        System.arraycopy(tail.getBytes(StandardCharsets.US_ASCII), 0, file, head.length, tail.length());
        Path sdir = Files.createTempDirectory("aof-old-s"), rdir = Files.createTempDirectory("aof-old-r");
        Files.write(sdir.resolve("appendonly.aof"), file);
        Files.write(rdir.resolve("appendonly.aof"), file);
        Proc s = start(true, sdir, "--appendonly", "yes"), r = start(false, rdir, "--appendonly", "yes");
        List<String> expected = null;
        for (Proc p : List.of(s, r)) {
            try (Jedis j = p.jedis()) {
                assertThat(j.get("tail")).isEqualTo("x");
                List<String> d = describe(j);
                if (expected == null) expected = d;
                else assertThat(d).isEqualTo(expected);
            }
        }
        assertThat(manifest(sdir)).isEqualTo(manifest(rdir))
                .isEqualTo("file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        assertThat(s.log()).contains("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir).");
        if (kind.equals("preamble")) assertThat(s.log()).contains("Reading RDB preamble from AOF file...", "Reading the remaining AOF tail...");
        assertThat(Files.exists(sdir.resolve("appendonly.aof"))).isFalse();
    }

    @Test
    void autoAofRewrite_onGrowth_rewritesAndLogs() throws Exception {
        Path dir = Files.createTempDirectory("aof-auto");
        Proc s = start(true, dir, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "4096", "--auto-aof-rewrite-percentage", "100");
        try (Jedis j = s.jedis()) {
            for (int i = 0; i < 100; i++) j.set("key:" + i, "x".repeat(50));
            await().atMost(Duration.ofSeconds(30)).until(() -> !j.info("persistence").contains("aof_rewrites:0"));
            awaitRewriteDone(j);
            String info = j.info("persistence");
            assertThat(info).contains("aof_last_bgrewrite_status:ok");
            long rewrites = Long.parseLong(info.replaceAll("(?s).*aof_rewrites:(\\d+).*", "$1"));
            long base = Long.parseLong(info.replaceAll("(?s).*aof_base_size:(\\d+).*", "$1"));
            assertThat(base).isGreaterThan(0);
            assertThat(manifest(dir)).startsWith("file appendonly.aof." + (rewrites + 1) + ".base.rdb seq " + (rewrites + 1) + " type b\n");
        }
        assertThat(s.log()).contains("Starting automatic rewriting of AOF on ");
    }

    @Test
    void infoPersistence_aofFields_sameNamesAndOrderAsRedis() throws Exception {
        Proc s = start(true, Files.createTempDirectory("aof-info-s"), "--appendonly", "yes");
        Proc r = start(false, Files.createTempDirectory("aof-info-r"), "--appendonly", "yes");
        List<String> names = null;
        for (Proc p : List.of(s, r)) {
            try (Jedis j = p.jedis()) {
                List<String> n = new ArrayList<>();
                for (String line : j.info("persistence").split("\r\n")) n.add(line.split(":")[0]);
                if (names == null) names = n;
                else assertThat(names).isEqualTo(n);
                String info = j.info("persistence");
                assertThat(info).contains("aof_enabled:1", "aof_base_size:0", "aof_buffer_length:0", "aof_delayed_fsync:0");
            }
        }
    }

    // ---------------------------------------------------------------- damaged files, both servers

    /** Starling writes an AOF and stops; returns its directory and the data it had. */
    Path writeStarlingAof(List<String> describeOut) throws Exception {
        Path dir = Files.createTempDirectory("aof-bad");
        Proc s = start(true, dir, "--appendonly", "yes");
        try (Jedis j = s.jedis()) {
            j.set("a", "1");
            j.rpush("l", "x", "y");
            if (describeOut != null) describeOut.addAll(describe(j));
        }
        s.stop();
        return dir;
    }

    static Path copyDir(Path dir) throws Exception {
        Path to = Files.createTempDirectory("aof-copy");
        Files.createDirectories(to.resolve("appendonlydir"));
        try (var st = Files.list(dir.resolve("appendonlydir"))) {
            for (Path p : (Iterable<Path>) st::iterator) Files.copy(p, to.resolve("appendonlydir").resolve(p.getFileName()));
        }
        return to;
    }

    static String[] runToExit(boolean starling, Path dir, String... options) throws Exception {
        List<String> all = new ArrayList<>(List.of("--save", ""));
        all.addAll(Arrays.asList(options));
        return RdbFileTest.runToExit(starling, dir, all.toArray(new String[0]));
    }

    static void append(Path dir, String file, String text) throws Exception {
        Files.writeString(dir.resolve("appendonlydir").resolve(file), text, StandardOpenOption.APPEND);
    }

    /** The log lines of both servers from the first "!!!"/"Revert" line on, without their prefixes. */
    static List<String> loadLines(String log) {
        List<String> out = new ArrayList<>();
        for (String line : log.split("\n")) {
            int i = line.indexOf(" # ");
            if (i < 0) i = line.indexOf(" * ");
            String msg = i < 0 ? line : line.substring(i + 3);
            if (msg.startsWith("!!!") || msg.startsWith("Revert") || msg.startsWith("AOF ") || msg.startsWith("Unexpected end")
                    || msg.startsWith("Bad file format") || msg.startsWith("Unknown command")) out.add(msg);
        }
        return out;
    }

    /**
     * Appends tail to the incr file of a Starling AOF, then loads it in Starling and (a copy) in
     * Redis: both must have the data from before the tail, truncate the file back to its old size,
     * and log the same load lines, which are returned.
     */
    List<String> loadDamagedInBoth(String tail) throws Exception {
        List<String> expected = new ArrayList<>();
        Path dir = writeStarlingAof(expected);
        long good = Files.size(dir.resolve("appendonlydir").resolve(INCR1));
        append(dir, INCR1, tail);
        Path rdir = copyDir(dir);
        Proc s = start(true, dir, "--appendonly", "yes");
        Proc r = start(false, rdir, "--appendonly", "yes");
        for (Proc p : List.of(s, r)) {
            try (Jedis j = p.jedis()) {
                assertThat(describe(j)).isEqualTo(expected);
            }
        }
        assertThat(Files.size(dir.resolve("appendonlydir").resolve(INCR1))).isEqualTo(good);
        List<String> lines = loadLines(s.log());
        assertThat(lines).isEqualTo(loadLines(r.log()));
        return lines;
    }

    @Test
    void truncatedIncr_truncatedAndLoaded_likeRedis() throws Exception {
        List<String> lines = loadDamagedInBoth("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nhel");
        assertThat(lines).contains("!!! Warning: short read while loading the AOF file " + INCR1 + "!!!",
                "AOF " + INCR1 + " loaded anyway because aof-load-truncated is enabled");
        assertThat(String.join("\n", lines)).contains("!!! Truncating the AOF " + INCR1 + " at offset ");
    }

    @Test
    void truncatedIncr_withoutAofLoadTruncated_exitsLikeRedis() throws Exception {
        Path dir = writeStarlingAof(null);
        append(dir, INCR1, "*2\r\n$3\r\nDEL\r\n");
        Path rdir = copyDir(dir);
        String[] s = runToExit(true, dir, "--appendonly", "yes", "--aof-load-truncated", "no");
        String[] r = runToExit(false, rdir, "--appendonly", "yes", "--aof-load-truncated", "no");
        assertThat(s[0]).as(s[1]).isEqualTo("1").isEqualTo(r[0]);
        assertThat(loadLines(s[1])).isEqualTo(loadLines(r[1])).hasSize(1);
        assertThat(s[1]).contains("Unexpected end of file reading the append only file " + INCR1).doesNotContain("Exception");
    }

    @Test
    void multiWithoutExecAtEnd_reverted_likeRedis() throws Exception {
        assertThat(loadDamagedInBoth("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n"))
                .contains("Revert incomplete MULTI/EXEC transaction in AOF file " + INCR1);
    }

    @Test
    void corruptIncrOrUnknownCommand_stopsStartup_likeRedis() throws Exception {
        for (String tail : new String[] {"garbage\r\n", "*1\r\n$7\r\nNOSUCHC\r\n"}) {
            Path dir = writeStarlingAof(null);
            append(dir, INCR1, tail);
            Path rdir = copyDir(dir);
            String[] s = runToExit(true, dir, "--appendonly", "yes");
            String[] r = runToExit(false, rdir, "--appendonly", "yes");
            assertThat(s[0]).as(s[1]).isEqualTo("1").isEqualTo(r[0]);
            assertThat(loadLines(s[1])).isEqualTo(loadLines(r[1])).hasSize(1);
            assertThat(s[1]).doesNotContain("Exception", "Ready to accept connections");
        }
    }

    @Test
    void badManifest_stopsStartupWithRedisFatalBlock() throws Exception {
        String[][] cases = {{"file a seq 1 type z\n", "Unknown AOF file type"}, {"file a seq 1\n", "Invalid AOF manifest file format"},
                {"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"},
                {"file a seq 2 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number"}, {"", "Found an empty AOF manifest"}};
        for (String[] c : cases) {
            Path dir = Files.createTempDirectory("aof-manifest");
            Files.createDirectories(dir.resolve("appendonlydir"));
            Files.writeString(dir.resolve("appendonlydir/appendonly.aof.manifest"), c[0]);
            String[] s = runToExit(true, dir, "--appendonly", "yes");
            String[] r = runToExit(false, dir, "--appendonly", "yes");
            assertThat(s[0]).isEqualTo("1").isEqualTo(r[0]);
            assertThat(s[1]).contains("*** FATAL AOF MANIFEST FILE ERROR ***", c[1]);
            assertThat(r[1]).contains(c[1]);
        }
    }

    // ---------------------------------------------------------------- rewrite under load

    @Test
    void bgrewriteaof_underConcurrentWrites_restartHasTheSameData() throws Exception {
        Path dir = Files.createTempDirectory("aof-load");
        Proc s = start(true, dir, "--appendonly", "yes");
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        List<String> expected;
        try (Jedis j = s.jedis()) {
            j.sendCommand(RdbFileTest.DEBUG, "populate", "100000", "k", "20");
            for (int t = 0; t < 2; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    try (Jedis c = s.jedis()) {
                        java.util.Random rnd = new java.util.Random(id);
                        for (int i = 0; !stop.get(); i++) {
                            c.select(rnd.nextInt(3));
                            switch (i % 5) {
                                case 0 -> c.set("k:" + rnd.nextInt(100000), "v" + i);
                                case 1 -> c.incr("counter:" + id);
                                case 2 -> c.rpush("list:" + rnd.nextInt(50), "e" + i);
                                case 3 -> c.hset("hash:" + rnd.nextInt(50), "f" + rnd.nextInt(200), "v" + i);
                                default -> c.del("k:" + rnd.nextInt(100000));
                            }
                        }
                    }
                });
                writers.add(w);
                w.start();
            }
            for (int round = 0; round < 3; round++) {
                j.configSet("aof-use-rdb-preamble", round == 1 ? "no" : "yes");
                assertThat(j.bgrewriteaof()).isEqualTo("Background append only file rewriting started");
                awaitRewriteDone(j);
            }
            stop.set(true);
            for (Thread w : writers) w.join();
            assertThat(j.info("persistence")).contains("aof_rewrites:3", "aof_last_bgrewrite_status:ok");
            expected = describe(j);
        }
        s.stop();
        checkAof(dir.resolve("appendonlydir/appendonly.aof.manifest"));
        assertThat(manifest(dir)).startsWith("file appendonly.aof.4.base.rdb seq 4 type b\nfile appendonly.aof.4.incr.aof seq 4 type i\n");
        Proc again = start(true, dir, "--appendonly", "yes");
        try (Jedis j = again.jedis()) {
            assertThat(describe(j)).isEqualTo(expected);
        }
    }
}
