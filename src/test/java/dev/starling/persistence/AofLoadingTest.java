package dev.starling.persistence;

import dev.starling.persistence.LoadingTest.Srv;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.starling.persistence.LoadingTest.info;
import static dev.starling.persistence.LoadingTest.infoFieldNames;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AOF side of loading, between real processes, Starling against redis-server 7.0.15: a slow
 * start-up load (key-load-delay) answering -LOADING with INFO's loading_* fields over every AOF
 * file, a corrupt AOF never served, DEBUG LOADAOF and its exits, and the rewrite-failure back-off
 * on a full tmpfs.
 */
class AofLoadingTest {
    private final List<Process> procs = new ArrayList<>();
    private final List<Path> mounts = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (Process p : procs) {
            if (p.isAlive()) p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        for (Path m : mounts) {
            if (run("umount", m.toString()) != 0) run("umount", "-l", m.toString());
        }
    }

    /** A server in dir (its log in logDir), started without waiting for PING (it may answer -LOADING first). */
    Srv start(boolean starling, Path dir, Path logDir, String... options) throws Exception {
        return LoadingTest.startIn(procs, starling, dir, logDir, options);
    }

    Srv start(boolean starling, Path dir, String... options) throws Exception {
        return start(starling, dir, dir, options);
    }

    static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(20, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static void awaitRewriteDone(Jedis j) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            String info = j.info("persistence");
            return info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0");
        });
    }

    /** Writes of many kinds in several databases, some inside MULTI, through a pipeline: the AOF's incr part. */
    static void writes(Jedis j, int n) {
        Pipeline p = j.pipelined();
        for (int i = 0; i < n; i++) {
            p.select(i % 3);
            switch (i % 7) {
                case 0 -> p.set("s:" + i, "v" + i);
                case 1 -> p.rpush("list:" + (i % 13), "e" + i);
                case 2 -> p.hset("hash:" + (i % 11), "f" + i, "v" + i);
                case 3 -> p.incr("counter");
                case 4 -> p.expire("s:" + (i - 4), 100_000);
                case 5 -> {
                    p.sendCommand(redis.clients.jedis.Protocol.Command.MULTI, new String[0]);
                    p.sadd("set:" + (i % 5), "m" + i);
                    p.zadd("zset", i, "m" + i);
                    p.sendCommand(redis.clients.jedis.Protocol.Command.EXEC, new String[0]);
                }
                default -> p.del("s:" + (i - 6 * 7));
            }
        }
        p.sync();
    }

    /** Per-database key counts and the dataset digest: what must be equal after loading. */
    static List<String> dataset(RespClient c) {
        List<String> out = new ArrayList<>();
        for (int db = 0; db < 4; db++) {
            c.callString("SELECT", Integer.toString(db));
            out.add(db + ":" + c.callString("DBSIZE"));
        }
        c.callString("SELECT", "0");
        out.add(c.callString("DEBUG", "DIGEST"));
        return out;
    }

    static final int BASE_KEYS = 5000;

    /** A Redis-made AOF directory: an RDB base with BASE_KEYS keys (plus a hash and a TTL) and an incr file of 3000 writes. */
    Path redisAof() throws Exception {
        Path src = Files.createTempDirectory("aofload-src");
        Srv r = start(false, src, "--appendonly", "yes", "--aof-use-rdb-preamble", "yes");
        try (Jedis j = r.jedis()) {
            j.sendCommand(RdbFileTest.DEBUG, "POPULATE", Integer.toString(BASE_KEYS), "key", "100");
            j.hset("h", "f", "v");
            j.setex("ttl", 10_000, "v");
            j.bgrewriteaof();
            awaitRewriteDone(j);
            writes(j, 3000);
        }
        r.p().destroy();
        assertThat(r.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
        return src;
    }

    static long baseSize(Path dir) throws IOException {
        try (var s = Files.list(dir.resolve("appendonlydir"))) {
            for (Path p : (Iterable<Path>) s::iterator) if (p.getFileName().toString().contains(".base.")) return Files.size(p);
        }
        throw new AssertionError("no base file");
    }

    // ---------------------------------------------------------------- start-up

    @Test
    void startup_slowAofLoad_loadingRepliesAndInfoAsRedis_thenSameDataset() throws Exception {
        Path src = redisAof();
        Path ourDir = Files.createTempDirectory("aofload-s"), redisDir = Files.createTempDirectory("aofload-r");
        copyDir(src, ourDir);
        copyDir(src, redisDir);
        long base = baseSize(src);
        String[] opts = {"--appendonly", "yes", "--key-load-delay", "2000"};
        // Starling first (its JVM starts slower), so both are still loading when compared.
        Srv ours = start(true, ourDir, opts);
        try (RespClient s = ours.client()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(info(s, "loading")));
        }
        Srv redis = start(false, redisDir, opts);
        try (RespClient r = redis.client(); RespClient s = ours.client()) {
            // Compared while both read the base: Redis serves clients every 1024 commands of an incr
            // file (seconds apart with the delay), but every loading-process-events-interval-bytes of an RDB.
            await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(info(r, "loading")));
            for (String[] cmd : LoadingTest.DURING_LOADING) {
                assertThat(s.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(r.callString(cmd));
            }
            assertThat(infoFieldNames(s)).isEqualTo(infoFieldNames(r));
            // loading_total_bytes runs over the base and the incr file; the base's used-mem aux is shown.
            assertThat(info(s, "loading_total_bytes")).isEqualTo(info(r, "loading_total_bytes"));
            assertThat(info(s, "loading_rdb_used_mem")).isEqualTo(info(r, "loading_rdb_used_mem"));
            r.callString("CONFIG", "SET", "key-load-delay", "0");
            // Into the incr file: commands are replayed, and clients still get -LOADING.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                String loaded = info(s, "loading_loaded_bytes");
                assertThat(loaded).as(s.callString("INFO", "persistence")).isNotNull();
                return Long.parseLong(loaded) > base;
            });
            assertThat(info(s, "loading")).isEqualTo("1");
            assertThat(s.callString("GET", "s:0")).startsWith("-LOADING");
            assertThat(info(s, "rdb_last_load_keys_loaded")).isEqualTo(Integer.toString(BASE_KEYS + 2));
            assertThat(s.callString("DBSIZE")).startsWith("-LOADING");
            s.callString("CONFIG", "SET", "key-load-delay", "0");
            await().atMost(Duration.ofSeconds(60)).until(() -> "0".equals(info(s, "loading")) && "0".equals(info(r, "loading")));
            assertThat(dataset(s)).isEqualTo(dataset(r));
            for (String f : new String[] {"rdb_changes_since_last_save", "rdb_last_load_keys_loaded", "rdb_last_load_keys_expired",
                    "aof_current_size", "aof_base_size"}) {
                assertThat(info(s, f)).as(f).isEqualTo(info(r, f));
            }
            assertThat(infoFieldNames(s)).isEqualTo(infoFieldNames(r));
            assertThat(s.callString("SET", "after", "load")).isEqualTo("+OK\r\n");
        }
        assertThat(ours.log()).containsSubsequence("Reading RDB base file on AOF loading...", "Done loading RDB, keys loaded: " + (BASE_KEYS + 2),
                "DB loaded from base file appendonly.aof.2.base.rdb: ", "DB loaded from incr file appendonly.aof.2.incr.aof: ",
                "DB loaded from append only file: ", "Opening AOF incr file appendonly.aof.2.incr.aof on server start",
                "Ready to accept connections");
        // What was loaded is appended to, and loads again.
        ours.p().destroy();
        assertThat(ours.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
        Srv again = start(true, ourDir, "--appendonly", "yes");
        try (RespClient s = again.client(); RespClient r = redis.client()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> "0".equals(info(s, "loading")));
            assertThat(s.callString("GET", "after")).isEqualTo("$4\r\nload\r\n");
            s.callString("DEL", "after");
            assertThat(dataset(s)).isEqualTo(dataset(r));
        }
    }

    @Test
    void startup_corruptAofLoadedSlowly_neverServesData_exitsLikeRedis() throws Exception {
        Path dir = redisAof();
        AofFileTest.append(dir, "appendonly.aof.2.incr.aof", "*2\r\n$3\r\nGET\r\n$1\r\nx\r\nthis is not a command\r\n");
        Path redisDir = Files.createTempDirectory("aofload-r");
        copyDir(dir, redisDir);
        Srv ours = start(true, dir, "--appendonly", "yes", "--key-load-delay", "200");
        List<String> replies = new ArrayList<>();
        try (RespClient s = ours.client()) {
            while (ours.p().isAlive()) {
                try {
                    replies.add(s.callString("DBSIZE"));
                    replies.add(s.callString("GET", "s:0"));
                } catch (RuntimeException e) {
                    break; // the server exited
                }
            }
        }
        assertThat(ours.p().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ours.p().exitValue()).isEqualTo(1);
        assertThat(replies).isNotEmpty().allMatch(r -> r.startsWith("-LOADING"));
        String[] r = AofFileTest.runToExit(false, redisDir, "--appendonly", "yes");
        assertThat(r[0]).isEqualTo("1");
        List<String> expected = AofFileTest.loadLines(r[1]);
        assertThat(expected).isNotEmpty();
        assertThat(AofFileTest.loadLines(ours.log())).isEqualTo(expected);
        assertThat(ours.log()).doesNotContain("Ready to accept connections", "Exception");
    }

    /** Every file of dir's AOF directory, by name. */
    static java.util.Map<String, byte[]> aofFiles(Path dir) throws IOException {
        java.util.Map<String, byte[]> out = new java.util.TreeMap<>();
        try (var s = Files.list(dir.resolve("appendonlydir"))) {
            for (Path p : (Iterable<Path>) s::iterator) out.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return out;
    }

    @Test
    void sigterm_duringAofLoading_exitsWithoutTouchingTheFiles_likeRedis() throws Exception {
        Path src = redisAof();
        java.util.Map<String, byte[]> before = aofFiles(src);
        Path redisDir = Files.createTempDirectory("aofload-r");
        copyDir(src, redisDir);
        for (boolean starling : new boolean[] {true, false}) {
            Path dir = starling ? src : redisDir;
            Srv srv = start(starling, dir, "--appendonly", "yes", "--key-load-delay", "2000");
            try (RespClient c = srv.client()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(info(c, "loading")));
            }
            srv.p().destroy();
            assertThat(srv.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(srv.p().exitValue()).isZero();
            assertThat(aofFiles(dir)).as(starling ? "starling" : "redis").containsExactlyEntriesOf(before);
            assertThat(srv.log()).containsSubsequence("Received shutdown signal during loading, scheduling shutdown.",
                    "User requested shutdown...", "Redis is now ready to exit, bye bye...")
                    .doesNotContain("Ready to accept connections", "Calling fsync() on the AOF file.");
        }
    }

    @Test
    void startup_aofWithTransactions_statsAsRedis() throws Exception {
        Path src = Files.createTempDirectory("aofload-tx");
        Srv maker = start(false, src, "--appendonly", "yes");
        try (Jedis j = maker.jedis()) {
            writes(j, 200);
        }
        maker.p().destroy();
        assertThat(maker.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
        Path redisDir = Files.createTempDirectory("aofload-r");
        copyDir(src, redisDir);
        Srv ours = start(true, src, "--appendonly", "yes");
        Srv redis = start(false, redisDir, "--appendonly", "yes");
        try (RespClient s = ours.client(); RespClient r = redis.client()) {
            // Polled with INFO, counted, as every INFO counts as a command processed.
            java.util.concurrent.atomic.AtomicInteger sPolls = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger rPolls = new java.util.concurrent.atomic.AtomicInteger();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                sPolls.incrementAndGet();
                return "0".equals(info(s, "loading"));
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                rPolls.incrementAndGet();
                return "0".equals(info(r, "loading"));
            });
            // The commands EXEC ran count in total_commands_processed; commandstats shows only INFO.
            long sTotal = Long.parseLong(LoadingTest.infoField(s, "stats", "total_commands_processed")) - sPolls.get();
            long rTotal = Long.parseLong(LoadingTest.infoField(r, "stats", "total_commands_processed")) - rPolls.get();
            assertThat(sTotal).isEqualTo(rTotal).isPositive();
            for (RespClient c : new RespClient[] {s, r}) {
                assertThat(c.callString("INFO", "commandstats").split("\r\n")).filteredOn(l -> l.startsWith("cmdstat_"))
                        .allMatch(l -> l.startsWith("cmdstat_info:"));
            }
            assertThat(dataset(s)).isEqualTo(dataset(r));
        }
    }

    // ---------------------------------------------------------------- DEBUG LOADAOF

    @Test
    void debugLoadaof_reloadsFromTheAof_sameRepliesAsRedis() throws Exception {
        Srv redis = start(false, Files.createTempDirectory("loadaof-r"), "--appendonly", "yes");
        Srv ours = start(true, Files.createTempDirectory("loadaof-s"), "--appendonly", "yes");
        try (RespClient r = redis.client(); RespClient s = ours.client(); RespClient rw = redis.client(); RespClient sw = ours.client();
             Jedis rj = redis.jedis(); Jedis sj = ours.jedis()) {
            writes(rj, 500);
            writes(sj, 500);
            List<String> before = dataset(s);
            assertThat(before).isEqualTo(dataset(r));
            for (RespClient c : new RespClient[] {rw, sw}) assertThat(c.callString("WATCH", "s:7")).isEqualTo("+OK\r\n");
            assertThat(s.callString("DEBUG", "LOADAOF")).isEqualTo(r.callString("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
            assertThat(dataset(s)).isEqualTo(before).isEqualTo(dataset(r));
            assertThat(info(s, "rdb_changes_since_last_save")).isEqualTo(info(r, "rdb_changes_since_last_save")).isEqualTo("0");
            // As loadAppendOnlyFiles leaves them: the files' total and the base's size.
            long baseSize = baseSize(ours.dir()), incrSize = Files.size(ours.dir().resolve("appendonlydir").resolve(AofFileTest.INCR1));
            assertThat(info(s, "aof_base_size")).isEqualTo(Long.toString(baseSize));
            assertThat(info(s, "aof_current_size")).isEqualTo(Long.toString(baseSize + incrSize));
            // The reload replaced every key: a watched key counts as modified, as after a flush.
            for (RespClient c : new RespClient[] {rw, sw}) {
                c.callString("MULTI");
                c.callString("SET", "s:7", "x");
            }
            assertThat(sw.callString("EXEC")).isEqualTo(rw.callString("EXEC"));
            // appendonly no: the files left behind are loaded; later writes, which are not in them, are gone.
            for (RespClient c : new RespClient[] {r, s}) {
                assertThat(c.callString("CONFIG", "SET", "appendonly", "no")).isEqualTo("+OK\r\n");
                c.callString("SET", "not-in-aof", "v");
            }
            // A client blocked on a list the files hold is served by the reload, as Redis's dbAdd wakes it.
            for (RespClient c : new RespClient[] {r, s}) assertThat(c.callString("DEL", "list:1")).isEqualTo(":1\r\n");
            for (RespClient c : new RespClient[] {rw, sw}) c.send(RespClient.encode(RespClient.args("BLPOP", "list:1", "0")));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.callString("INFO", "clients").contains("blocked_clients:1\r\n")
                    && r.callString("INFO", "clients").contains("blocked_clients:1\r\n"));
            assertThat(s.callString("DEBUG", "LOADAOF")).isEqualTo(r.callString("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
            assertThat(sw.readReplyString()).isEqualTo(rw.readReplyString()).startsWith("*2\r\n");
            assertThat(s.callString("EXISTS", "not-in-aof")).isEqualTo(r.callString("EXISTS", "not-in-aof")).isEqualTo(":0\r\n");
            assertThat(dataset(s)).isEqualTo(dataset(r));
            assertThat(s.callString("DEBUG", "HELP")).contains("LOADAOF");
        }
        assertThat(ours.log()).contains("Append Only File loaded by DEBUG LOADAOF");
    }

    /**
     * DEBUG LOADAOF of a slow load (key-load-delay): another client gets -LOADING meanwhile (RESP2
     * and RESP3, byte for byte as 7.0 answers during the same load) instead of waiting, INFO says
     * loading:1 and blocked_clients:0, and the caller gets +OK when the load ends, then the reply to what it pipelined
     * behind it; the dataset is the one written before.
     */
    @Test
    void debugLoadaof_slowLoad_othersGetLoading_callerAnsweredAtTheEnd() throws Exception {
        Srv redis = start(false, Files.createTempDirectory("loadaof-r"), "--appendonly", "yes");
        Srv ours = start(true, Files.createTempDirectory("loadaof-s"), "--appendonly", "yes");
        List<List<String>> seen = new ArrayList<>();
        List<List<String>> datasets = new ArrayList<>();
        for (Srv srv : new Srv[] {redis, ours}) {
            try (RespClient caller = srv.client(); RespClient other = srv.client(); RespClient other3 = srv.client(); Jedis j = srv.jedis()) {
                writes(j, 6000);
                List<String> before = dataset(caller);
                assertThat(caller.callString("CONFIG", "SET", "key-load-delay", "500")).isEqualTo("+OK\r\n");
                other3.callString("HELLO", "3");
                // DEBUG LOADAOF, and behind it a command that must wait for its +OK.
                caller.send(RespClient.encode(RespClient.args("DEBUG", "LOADAOF")));
                caller.send(RespClient.encode(RespClient.args("GET", "s:0")));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> "1".equals(LoadingTest.info(other, "loading")));
                // Pipelined, so Redis (which serves events once per 1024 commands loaded) answers them in one go.
                List<String> replies = new ArrayList<>();
                for (RespClient c : new RespClient[] {other, other3}) {
                    for (String[] cmd : new String[][] {{"GET", "s:0"}, {"DBSIZE"}, {"SET", "new", "v"}, {"INFO"}}) {
                        c.send(RespClient.encode(RespClient.args(cmd)));
                    }
                }
                for (RespClient c : new RespClient[] {other, other3}) {
                    for (int i = 0; i < 3; i++) replies.add(c.readReplyString());
                    String info = c.readReplyString();
                    assertThat(info).contains("loading:1\r\n"); // answered during the load
                    // The caller is running its command, not blocked (Redis runs it on its main thread).
                    assertThat(info).contains("blocked_clients:0\r\n");
                }
                seen.add(replies);
                assertThat(caller.readReplyString()).isEqualTo("+OK\r\n");
                assertThat(caller.readReplyString()).isEqualTo("$2\r\nv0\r\n");
                assertThat(LoadingTest.info(other, "loading")).isEqualTo("0");
                caller.callString("CONFIG", "SET", "key-load-delay", "0");
                List<String> after = dataset(caller);
                assertThat(after).isEqualTo(before);
                datasets.add(after);
            }
        }
        assertThat(seen.get(1)).isEqualTo(seen.get(0)).allMatch(r -> r.equals("-LOADING Redis is loading the dataset in memory\r\n"));
        assertThat(datasets.get(1)).isEqualTo(datasets.get(0));
        assertThat(ours.log()).contains("Append Only File loaded by DEBUG LOADAOF");
    }

    /** Sends DEBUG LOADAOF and returns the exit status of the server, which is expected to exit. */
    static int loadaofExits(Srv srv) throws Exception {
        try (RespClient c = srv.client()) {
            c.send(RespClient.encode(RespClient.args("DEBUG", "LOADAOF")));
            assertThat(c.isClosedByPeer()).isTrue();
        }
        assertThat(srv.p().waitFor(30, TimeUnit.SECONDS)).isTrue();
        return srv.p().exitValue();
    }

    @Test
    void debugLoadaof_noAofOrTruncatedAof_exitsLikeRedis() throws Exception {
        // appendonly no and no AOF directory: 7.0 exits with status 1, logging nothing.
        Srv redis = start(false, Files.createTempDirectory("loadaof-r"));
        Srv ours = start(true, Files.createTempDirectory("loadaof-s"));
        assertThat(loadaofExits(ours)).isEqualTo(loadaofExits(redis)).isEqualTo(1);
        // A truncated last incr file is truncated and loaded, then 7.0 exits all the same.
        Srv redis2 = start(false, Files.createTempDirectory("loadaof-r"), "--appendonly", "yes");
        Srv ours2 = start(true, Files.createTempDirectory("loadaof-s"), "--appendonly", "yes");
        for (Srv srv : new Srv[] {redis2, ours2}) {
            try (Jedis j = srv.jedis()) {
                writes(j, 100);
                // Written out first: Starling's writer writes at its own offset (Redis's fd is O_APPEND).
                await().atMost(Duration.ofSeconds(10)).until(() -> "0".equals(persistence(j, "aof_buffer_length")));
            }
            AofFileTest.append(srv.dir(), AofFileTest.INCR1, "*3\r\n$3\r\nSET\r\n$1\r\nx");
        }
        assertThat(loadaofExits(ours2)).isEqualTo(loadaofExits(redis2)).isEqualTo(1);
        assertThat(AofFileTest.loadLines(ours2.log())).isEqualTo(AofFileTest.loadLines(redis2.log())).isNotEmpty();
    }

    // ---------------------------------------------------------------- rewrite back-off

    /** Mounts a small tmpfs for one server (skipped without root). */
    Path tmpfs() throws Exception {
        Path mnt = Files.createTempDirectory("aof-backoff");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt.toString()) == 0;
        assumeTrue(mounted, "mounting a tmpfs needs root: the rewrite back-off on a full disk is not tested");
        mounts.add(mnt);
        return mnt;
    }

    /** Fills the filesystem of file, then frees reserve bytes (room for manifests, none for a new base). */
    static void fillDiskLeaving(Path file, long reserve) throws IOException {
        AofDurabilityTest.fillDisk(file);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(Math.max(0, f.length() - reserve));
        }
    }

    static String persistence(Jedis j, String field) {
        for (String line : j.info("persistence").split("\r\n")) if (line.startsWith(field + ":")) return line.substring(field.length() + 1);
        return null;
    }

    @Test
    void rewriteFailingRepeatedly_autoRewriteBacksOff_manualNotLimited_likeRedis() throws Exception {
        Path logs = Files.createTempDirectory("aof-backoff-logs");
        Path rm = tmpfs(), sm = tmpfs();
        String[] opts = {"--appendonly", "yes", "--auto-aof-rewrite-percentage", "0", "--rdbcompression", "no"};
        Srv redis = start(false, rm, Files.createDirectories(logs.resolve("r")), opts);
        Srv ours = start(true, sm, Files.createDirectories(logs.resolve("s")), opts);
        String limit = "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes";
        try (Jedis r = redis.jedis(); Jedis s = ours.jedis()) {
            byte[] value = new byte[1024];
            new Random(7).nextBytes(value);
            for (Jedis j : new Jedis[] {r, s}) {
                for (int i = 0; i < 300; i++) j.set(("k" + i).getBytes(), value);
                j.configSet("auto-aof-rewrite-min-size", "1024");
            }
            fillDiskLeaving(rm.resolve("filler"), 64 * 1024);
            fillDiskLeaving(sm.resolve("filler"), 64 * 1024);
            for (Jedis j : new Jedis[] {r, s}) j.configSet("auto-aof-rewrite-percentage", "100");
            await().atMost(Duration.ofSeconds(60)).until(() -> ours.log().contains(limit) && redis.log().contains(limit));
            for (Jedis j : new Jedis[] {r, s}) {
                assertThat(persistence(j, "aof_rewrites_consecutive_failures")).isEqualTo("3");
                assertThat(persistence(j, "aof_last_bgrewrite_status")).isEqualTo("err");
            }
            // Limited: no automatic attempt for a minute (watched for two seconds, twenty cron runs).
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> "3".equals(persistence(s, "aof_rewrites_consecutive_failures")) && "0".equals(persistence(s, "aof_rewrite_in_progress")));
            assertThat(persistence(r, "aof_rewrites_consecutive_failures")).isEqualTo("3");
            assertThat(ours.log().split(limit, -1)).hasSize(2);
            // BGREWRITEAOF by hand is not limited (and fails here too).
            for (Jedis j : new Jedis[] {r, s}) {
                assertThat(j.bgrewriteaof()).isEqualTo("Background append only file rewriting started");
                await().atMost(Duration.ofSeconds(30)).until(() -> "4".equals(persistence(j, "aof_rewrites_consecutive_failures")));
            }
            // Each attempt left an incr file behind, the same ones in both.
            assertThat(AofFileTest.manifest(sm)).isEqualTo(AofFileTest.manifest(rm));
            // Space returns: a manual rewrite succeeds and resets the count.
            Files.delete(rm.resolve("filler"));
            Files.delete(sm.resolve("filler"));
            for (Jedis j : new Jedis[] {r, s}) {
                assertThat(j.bgrewriteaof()).isEqualTo("Background append only file rewriting started");
                awaitRewriteDone(j);
                assertThat(persistence(j, "aof_rewrites_consecutive_failures")).isEqualTo("0");
                assertThat(persistence(j, "aof_last_bgrewrite_status")).isEqualTo("ok");
            }
        }
        assertThat(ours.log()).contains("Background AOF rewrite terminated with error", "Write error writing append only file on disk: ");
    }

    @Test
    void aofRewriteLimited_backOffDoublesUpToAnHour_oneAttemptPerWait_resetBelowThreshold() throws Exception {
        long[] now = {1_700_000_000_000L};
        dev.starling.server.Clock clock = new dev.starling.server.Clock() {
            @Override
            public long millis() {
                return now[0];
            }

            @Override
            public long nanos() {
                return now[0] * 1_000_000;
            }
        };
        dev.starling.server.Server server = new dev.starling.server.Server(new dev.starling.config.Config(), clock);
        Path log = Files.createTempFile("backoff", ".log");
        server.log.setFile(log.toString());
        AofPersistence aof = server.aof;
        aof.consecutiveFailures = 2;
        assertThat(aof.aofRewriteLimited()).isFalse();
        aof.consecutiveFailures = 3;
        List<String> expected = new ArrayList<>();
        for (int minutes : new int[] {1, 2, 4, 8, 16, 32, 60, 60}) {
            assertThat(aof.aofRewriteLimited()).as("enters a %d-minute wait", minutes).isTrue();
            expected.add("will retry in " + minutes + " minutes");
            now[0] += minutes * 60_000L - 1000;
            assertThat(aof.aofRewriteLimited()).isTrue();
            now[0] += 1000;
            assertThat(aof.aofRewriteLimited()).as("one attempt after %d minutes", minutes).isFalse();
        }
        aof.consecutiveFailures = 0; // a rewrite succeeded (or BGREWRITEAOF was scheduled by hand)
        assertThat(aof.aofRewriteLimited()).isFalse();
        aof.consecutiveFailures = 3;
        assertThat(aof.aofRewriteLimited()).isTrue();
        expected.add("will retry in 1 minutes");
        List<String> logged = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.contains(" # Background AOF rewrite has repeatedly failed and triggered the limit, ")) logged.add(line.substring(line.indexOf("will retry")));
        }
        assertThat(logged).isEqualTo(expected);
    }
}
