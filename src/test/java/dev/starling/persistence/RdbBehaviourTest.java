package dev.starling.persistence;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * RDB paths against redis-server 7.0.15 in the same situation (each server in its own directory):
 * DEBUG RELOAD, MISCONF on a full disk (tmpfs), a save point firing, a throttled BGSAVE under
 * writes, and the {@link Loading} API that replication and the AOF build on.
 */
class RdbBehaviourTest {
    static final String[] OPTS = {"--enable-debug-command", "yes"};

    /** Starling in-process and redis-server, each with its own dir; compares raw replies. */
    static final class Pair implements AutoCloseable {
        final ServerFixture ours;
        final RedisReference redis;
        final RespClient s, r;

        Pair(Path oursDir, Path redisDir, String... options) {
            String[] o = concat(OPTS, options);
            ours = ServerFixture.start(concat(o, "--dir", oursDir.toString()));
            redis = RedisReference.start(concat(o, "--dir", redisDir.toString()));
            s = ours.raw();
            r = redis.raw();
        }

        String same(String... cmd) {
            String expected = r.callString(cmd);
            assertThat(s.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(expected);
            return expected;
        }

        void both(String... cmd) {
            r.callString(cmd);
            s.callString(cmd);
        }

        void validate() {
            ours.onExecutor(() -> assertThat(ours.server.keyspace.validate()).isNull());
        }

        @Override
        public void close() {
            s.close();
            r.close();
            ours.close();
            redis.close();
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String info(RespClient c, String field) {
        return LoadingTest.info(c, field);
    }

    static void fill(Pair p) {
        p.both("SET", "k", "v");
        p.both("SET", "ttl", "v", "EX", "10000");
        p.both("RPUSH", "l", "a", "b", "c");
        p.both("HSET", "h", "f", "v");
        p.both("SADD", "s", "1", "2");
        p.both("ZADD", "z", "1", "m");
        p.both("SELECT", "3");
        p.both("SET", "db3", "x");
        p.both("SELECT", "0");
    }

    // ---------------------------------------------------------------- DEBUG RELOAD

    @Test
    void debugReload_options_asRedis() throws Exception {
        try (Pair p = new Pair(Files.createTempDirectory("reload-s"), Files.createTempDirectory("reload-r"))) {
            p.same("DEBUG", "RELOAD", "NOSAVE"); // no file yet: the error, nothing else changes
            fill(p);
            String digest = p.same("DEBUG", "DIGEST");
            p.same("DEBUG", "RELOAD");
            assertThat(p.same("DEBUG", "DIGEST")).isEqualTo(digest);
            p.same("TTL", "ttl");
            p.same("DEBUG", "RELOAD", "bogus");
            p.same("DEBUG", "RELOAD", "MERGE", "NOFLUSH", "x");
            // NOSAVE: back to the file.
            p.both("SET", "extra", "1");
            p.both("DEL", "k");
            p.same("DEBUG", "RELOAD", "NOSAVE");
            p.same("GET", "extra");
            p.same("GET", "k");
            assertThat(p.same("DEBUG", "DIGEST")).isEqualTo(digest);
            // NOSAVE NOFLUSH MERGE: the file's keys replace conflicting ones; others stay.
            p.both("SET", "k", "changed");
            p.both("SET", "new", "kept");
            p.same("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE");
            p.same("GET", "k");
            p.same("GET", "new");
            p.same("DBSIZE");
            p.same("DEBUG", "DIGEST");
            p.same("CONFIG", "GET", "key-load-delay");
            p.same("CONFIG", "GET", "rdb-key-save-delay");
            p.same("CONFIG", "SET", "key-load-delay", "-10");
            p.same("CONFIG", "SET", "rdb-key-save-delay", "-10");
            p.same("DEBUG", "RELOAD");
            p.same("DEBUG", "DIGEST");
            p.validate();
        }
    }

    // ---------------------------------------------------------------- MISCONF

    static void awaitNoBgsave(Pair p) {
        await().atMost(Duration.ofSeconds(60)).until(() -> "0".equals(info(p.s, "rdb_bgsave_in_progress"))
                && "0".equals(info(p.r, "rdb_bgsave_in_progress")));
    }

    static boolean run(String... cmd) throws Exception {
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        pr.getInputStream().readAllBytes();
        return pr.waitFor(30, TimeUnit.SECONDS) && pr.exitValue() == 0;
    }

    @Test
    void misconf_fullDisk_writesRefusedReadsServed_thenRecovers_asRedis() throws Exception {
        Path mnt = Files.createTempDirectory("misconf");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString());
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs (needs root): MISCONF on a full disk not tested");
        try {
            Path sd = Files.createDirectory(mnt.resolve("s")), rd = Files.createDirectory(mnt.resolve("r"));
            try (Pair p = new Pair(sd, rd, "--save", "3600 1"); RespClient sa = p.ours.raw(); RespClient ra = p.redis.raw()) {
                try {
                    p.same("SET", "small", "1");
                    p.same("BGSAVE");
                    awaitNoBgsave(p);
                    assertThat(info(p.s, "rdb_last_bgsave_status")).isEqualTo("ok");
                    // A transaction that queued a write while saving still worked.
                    for (RespClient c : new RespClient[] {sa, ra}) {
                        assertThat(c.callString("MULTI")).isEqualTo("+OK\r\n");
                        assertThat(c.callString("SET", "x", "1")).isEqualTo("+QUEUED\r\n");
                    }
                    p.both("DEBUG", "POPULATE", "100000", "key", "100"); // ~10 MB: no longer fits
                    p.same("BGSAVE");
                    awaitNoBgsave(p);
                    assertThat(info(p.s, "rdb_last_bgsave_status")).isEqualTo("err").isEqualTo(info(p.r, "rdb_last_bgsave_status"));
                    String exec = ra.callString("EXEC");
                    assertThat(exec).startsWith("-EXECABORT Transaction discarded because of: MISCONF");
                    assertThat(sa.callString("EXEC")).isEqualTo(exec);
                    String misconf = p.same("SET", "a", "b");
                    assertThat(misconf).startsWith("-MISCONF");
                    p.same("GET", "key:1");
                    p.same("PING");
                    p.same("DBSIZE");
                    p.same("MULTI");
                    p.same("SET", "a", "b");
                    p.same("GET", "a");
                    p.same("EXEC");
                    p.same("MULTI");
                    p.same("GET", "key:2");
                    p.same("EXEC");
                    p.same("SAVE");
                    try (java.util.stream.Stream<Path> files = Files.list(sd)) {
                        assertThat(files.filter(f -> f.getFileName().toString().startsWith("temp-")).count()).isZero();
                    }
                    // Room again: the next BGSAVE succeeds and writes are accepted.
                    assertThat(run("mount", "-o", "remount,size=64m", mnt.toString())).isTrue();
                    p.same("BGSAVE");
                    awaitNoBgsave(p);
                    assertThat(info(p.s, "rdb_last_bgsave_status")).isEqualTo("ok").isEqualTo(info(p.r, "rdb_last_bgsave_status"));
                    p.same("SET", "a", "b");
                    p.same("PING");
                    p.validate();
                } finally {
                    // With save points a full disk would make shutdown refuse to exit, as in Redis.
                    p.both("CONFIG", "SET", "save", "");
                }
            }
        } finally {
            if (!run("umount", mnt.toString())) run("umount", "-l", mnt.toString());
            Files.deleteIfExists(mnt);
        }
    }

    // ---------------------------------------------------------------- save points, slow BGSAVE

    @Test
    void savePoint_dueAfterWrites_startsBgsave_asRedis() throws Exception {
        try (Pair p = new Pair(Files.createTempDirectory("sp-s"), Files.createTempDirectory("sp-r"))) {
            long before = Long.parseLong(info(p.s, "rdb_last_save_time"));
            // Due 3 s after the last save (start-up): time to read both counters before either saves.
            p.same("CONFIG", "SET", "save", "3 1");
            p.same("SET", "a", "1");
            p.same("INCR", "n");
            assertThat(info(p.s, "rdb_changes_since_last_save")).isEqualTo(info(p.r, "rdb_changes_since_last_save")).isEqualTo("2");
            for (RespClient c : new RespClient[] {p.s, p.r}) {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() ->
                        "0".equals(info(c, "rdb_changes_since_last_save")) && "0".equals(info(c, "rdb_bgsave_in_progress")));
                assertThat(info(c, "rdb_last_bgsave_status")).isEqualTo("ok");
                assertThat(Long.parseLong(info(c, "rdb_last_save_time"))).isGreaterThan(before);
            }
            assertThat(info(p.s, "rdb_saves")).isEqualTo(info(p.r, "rdb_saves")).isEqualTo("1");
            assertThat(Files.exists(Path.of(p.ours.server.config.dir, "dump.rdb"))).isTrue();
            p.same("CONFIG", "SET", "save", "");
        }
    }

    @Test
    void bgsave_slowDisk_writesAnsweredMeanwhile_memoryBounded_fileIsTheCut() throws Exception {
        int keys = 50_000;
        try (ServerFixture f = ServerFixture.start(concat(OPTS, "--dir", Files.createTempDirectory("slow").toString()));
             RespClient c = f.raw(); RespClient w = f.raw()) {
            c.callString("DEBUG", "POPULATE", Integer.toString(keys), "key", "100");
            c.callString("CONFIG", "SET", "rdb-key-save-delay", "-4");
            long start = System.nanoTime();
            assertThat(c.callString("BGSAVE")).isEqualTo("+Background saving started\r\n");
            long maxNanos = 0;
            int writes = 0;
            while ("1".equals(info(c, "rdb_bgsave_in_progress"))) {
                for (int i = 0; i < 20; i++, writes++) {
                    long t = System.nanoTime();
                    // New keys and overwrites of keys of the cut: hooks hand the old values over.
                    assertThat(w.callString("SET", (writes % 2 == 0 ? "new:" : "key:") + writes, "v")).isEqualTo("+OK\r\n");
                    maxNanos = Math.max(maxNanos, System.nanoTime() - t);
                }
            }
            long took = System.nanoTime() - start;
            assertThat(info(c, "rdb_last_bgsave_status")).isEqualTo("ok");
            assertThat(took).as("a throttled BGSAVE takes a while").isGreaterThan(TimeUnit.MILLISECONDS.toNanos(300));
            assertThat(writes).isGreaterThan(100);
            assertThat(maxNanos).as("the executor is never held by the slow writer").isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
            // Queued bytes stay near the slow-mode high-water mark (128 KB, overshot by at most the
            // batch a walk slice fills before it is published), far below the ~7 MB dataset.
            assertThat(Long.parseLong(info(c, "rdb_last_cow_size"))).isLessThan(2L << 20);
            c.callString("CONFIG", "SET", "rdb-key-save-delay", "0");
            assertThat(c.callString("DEBUG", "RELOAD", "NOSAVE")).isEqualTo("+OK\r\n");
            assertThat(c.callString("DBSIZE")).isEqualTo(":" + keys + "\r\n");
            assertThat(c.callString("GET", "key:1")).startsWith("$100\r\nvalue:1");
            f.onExecutor(() -> assertThat(f.server.keyspace.validate()).isNull());
        }
    }

    // ---------------------------------------------------------------- the Loading API

    @Test
    void loadingApi_jobRunsOffExecutor_clientsGetLoading_swapOnSuccessOnly() throws Exception {
        try (ServerFixture f = ServerFixture.start(); RespClient c = f.raw()) {
            c.callString("SET", "old", "1");
            c.callString("WATCH", "old");
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Throwable> done = new CompletableFuture<>();
            f.onExecutor(() -> f.server.loading.start("test-load", 100, (fresh, progress) -> {
                fresh.dbs[0].add(bytes("k"), bytes("v"));
                fresh.dbs[2].add(bytes("k2"), bytes("v2"));
                progress.progress(50, 2);
                go.await();
            }, e -> done.complete(e)));
            assertThat(c.callString("GET", "old")).isEqualTo("-LOADING Redis is loading the dataset in memory\r\n");
            assertThat(info(c, "loading")).isEqualTo("1");
            assertThat(info(c, "loading_total_bytes")).isEqualTo("100");
            assertThat(info(c, "loading_loaded_bytes")).isEqualTo("50");
            assertThat(info(c, "loading_loaded_perc")).isEqualTo("49.50");
            assertThat(info(c, "rdb_last_load_keys_loaded")).isEqualTo("2");
            go.countDown();
            assertThat(done.get(10, TimeUnit.SECONDS)).isNull();
            assertThat(info(c, "loading")).isEqualTo("0");
            assertThat(info(c, "loading_total_bytes")).isNull();
            assertThat(c.callString("GET", "old")).isEqualTo("$-1\r\n");
            assertThat(c.callString("GET", "k")).isEqualTo("$1\r\nv\r\n");
            // The dataset was replaced: a WATCHed key of the old one aborts EXEC.
            c.callString("MULTI");
            c.callString("PING");
            assertThat(c.callString("EXEC")).isEqualTo("*-1\r\n");
            f.onExecutor(() -> assertThat(f.server.keyspace.validate()).isNull());

            // A failing job leaves the dataset as it was.
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            f.onExecutor(() -> f.server.loading.start("test-load", 0, (fresh, progress) -> {
                fresh.dbs[0].add(bytes("half"), bytes("loaded"));
                throw new java.io.IOException("boom");
            }, e -> failed.complete(e)));
            assertThat(failed.get(10, TimeUnit.SECONDS)).hasMessage("boom");
            assertThat(c.callString("GET", "k")).isEqualTo("$1\r\nv\r\n");
            assertThat(c.callString("EXISTS", "half")).isEqualTo(":0\r\n");

            // A cancelled one too; its done is told at once.
            CountDownLatch never = new CountDownLatch(1);
            CompletableFuture<Throwable> cancelled = new CompletableFuture<>();
            f.onExecutor(() -> f.server.loading.start("test-load", 0, (fresh, progress) -> never.await(), e -> cancelled.complete(e)));
            assertThat(c.callString("GET", "k")).startsWith("-LOADING");
            f.onExecutor(() -> f.server.loading.cancel());
            assertThat(cancelled.get(10, TimeUnit.SECONDS)).isInstanceOf(Loading.Cancelled.class);
            assertThat(c.callString("GET", "k")).isEqualTo("$1\r\nv\r\n");
            never.countDown();
            f.onExecutor(() -> assertThat(f.server.keyspace.validate()).isNull());
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
