package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import dev.starling.support.TcpProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;

import java.time.Duration;
import java.util.Map;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.assertValid;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.log;
import static dev.starling.replication.ReplicaSyncTest.startRedis;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * repl-diskless-load on a Starling replica (disabled, on-empty-db, swapdb), against a real
 * redis-server 7.0.15 primary and a Starling primary, with both transfer formats ($len from a
 * disk-based primary, $EOF: from a diskless one): keyspaces equal key by key and by DEBUG DIGEST
 * after a first sync into an empty replica and after a second full sync into a populated one;
 * swapdb serving the old dataset during a slow load (checked reply by reply against a Redis replica
 * loading at the same time); a transfer cut mid-way keeping the old dataset.
 */
class DisklessLoadTest {
    static final Duration LONG = Duration.ofSeconds(60);

    /**
     * Forces a full resync of the primary's replicas that keeps its replication id: kills their
     * links and, in the same transaction, writes more than the (shrunk) backlog holds.
     */
    static void forceFullResync(int primaryPort) {
        try (RespClient c = new RespClient(primaryPort)) {
            c.callString("CONFIG", "SET", "repl-backlog-size", "16384");
            c.callString("MULTI");
            c.callString("CLIENT", "KILL", "TYPE", "replica");
            String big = "A".repeat(16384);
            for (int i = 0; i < 12; i++) c.callString("SET", "filler" + i, big);
            assertThat(c.callString("EXEC")).startsWith("*13\r\n");
        }
    }

    static String expectedTo(String mode, boolean empty) {
        return mode.equals("swapdb") || (mode.equals("on-empty-db") && empty) ? "to parser" : "to disk";
    }

    static void assertSyncedBoth(Jedis m, int masterPort, ServerFixture star, Jedis s, String mode, boolean lenPrefixed, boolean streams) {
        if (streams) ReplicaSyncTest.populate(m);
        else ReplicaSyncTest.populateWithoutStreams(m);
        // A replica's own data goes at the full sync (on-empty-db: the first sync is into an empty replica).
        boolean empty = mode.equals("on-empty-db");
        if (!empty) s.set("stale-key", "from-before");
        assertThat(s.replicaof("127.0.0.1", masterPort)).isEqualTo("OK");
        awaitCaughtUp(m, s);
        assertThat(s.exists("stale-key")).isFalse();
        ReplicaSyncTest.writeLoad(m, 100, false);
        StarlingReplicationTest.settle(m, s);
        assertSameKeyspace(masterPort, star.port());
        String first = lenPrefixed ? " bytes from master " + expectedTo(mode, empty) : "with EOF " + expectedTo(mode, empty);
        assertThat(log(star)).contains(first);

        // A second full sync, from the same history, into a populated replica.
        long full = stat(m, "stats", "sync_full");
        forceFullResync(masterPort);
        await().atMost(LONG).until(() -> stat(m, "stats", "sync_full") > full);
        ReplicaSyncTest.writeLoad(m, 50, false);
        StarlingReplicationTest.settle(m, s);
        assertSameKeyspace(masterPort, star.port());
        assertValid(star);
        String l = log(star);
        if (mode.equals("swapdb")) {
            assertThat(l).contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
                    "MASTER <-> REPLICA sync: Discarding old DB in background");
            assertThat(l).doesNotContain("MASTER <-> REPLICA sync: Flushing old data");
        } else {
            assertThat(l).contains("MASTER <-> REPLICA sync: Flushing old data").doesNotContain("Swapping active DB");
        }
        if (mode.equals("on-empty-db")) assertThat(l).contains("to parser", "to disk"); // empty first, populated then
        assertThat(l).contains("Discarding previously cached master state.", "MASTER <-> REPLICA sync: Finished with success");
    }

    @ParameterizedTest(name = "repl-diskless-load {0}, repl-diskless-sync {1}")
    @CsvSource({"disabled,yes", "disabled,no", "on-empty-db,yes", "on-empty-db,no", "swapdb,yes", "swapdb,no"})
    void redisPrimary_eachMode_keyspacesEqual(String mode, String disklessSync) {
        try (RedisReference redis = startRedis("--repl-diskless-sync", disklessSync);
             ServerFixture star = startStarling("--repl-diskless-load", mode);
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            assertSyncedBoth(m, redis.port(), star, s, mode, disklessSync.equals("no"), true);
        }
    }

    @ParameterizedTest(name = "repl-diskless-load {0}, repl-diskless-sync {1}")
    @CsvSource({"disabled,yes", "disabled,no", "on-empty-db,yes", "on-empty-db,no", "swapdb,yes", "swapdb,no"})
    void starlingPrimary_eachMode_keyspacesEqual(String mode, String disklessSync) {
        try (ServerFixture p = startStarling("--repl-diskless-sync", disklessSync, "--repl-diskless-sync-delay", "0");
             ServerFixture star = startStarling("--repl-diskless-load", mode);
             Jedis m = p.jedis(); Jedis s = star.jedis()) {
            assertSyncedBoth(m, p.port(), star, s, mode, disklessSync.equals("no"), false);
        }
    }

    static String digest(int port) {
        try (RespClient c = new RespClient(port)) {
            return c.callString("DEBUG", "DIGEST");
        }
    }

    /** INFO fields during an async load that the two replicas must show alike. */
    static final String[] ASYNC_FIELDS = {"loading", "async_loading", "loading_total_bytes"};
    static final String[] ASYNC_REPL_FIELDS = {"role", "master_link_status", "master_last_io_seconds_ago", "master_sync_in_progress",
        "master_sync_total_bytes", "master_sync_read_bytes", "master_sync_left_bytes", "master_sync_perc", "slave_read_only"};

    /**
     * swapdb from the same history: while the new dataset loads slowly (key-load-delay), reads are
     * served from the old one and only no_async_loading commands get -LOADING; compared reply by
     * reply with a redis-server 7.0.15 replica of the same primary loading at the same time.
     */
    @Test
    void swapdb_slowLoad_servesOldDataset_likeRedis() {
        try (RedisReference redis = startRedis("--repl-diskless-sync", "yes");
             RedisReference redisReplica = startRedis("--repl-diskless-load", "swapdb", "--loading-process-events-interval-bytes", "1024");
             ServerFixture star = startStarling("--repl-diskless-load", "swapdb");
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis rr = new Jedis("127.0.0.1", redisReplica.port()); Jedis s = star.jedis()) {
            try (RespClient c = redis.raw()) {
                c.callString("DEBUG", "POPULATE", "4000", "pop", "20");
            }
            m.set("answer", "old");
            // The master waits for both replicas so that they load the same payload at the same time.
            m.configSet("repl-diskless-sync-delay", "5");
            m.configSet("repl-diskless-sync-max-replicas", "2");
            rr.replicaof("127.0.0.1", redis.port());
            s.replicaof("127.0.0.1", redis.port());
            awaitCaughtUp(m, rr);
            awaitCaughtUp(m, s);
            String oldDigest = digest(star.port());
            rr.configSet("key-load-delay", "1000");
            s.configSet("key-load-delay", "1000");

            forceFullResync(redis.port());
            m.set("answer", "newer"); // in the new dataset only
            await().atMost(LONG).until(() -> "1".equals(info(s, "persistence").get("async_loading"))
                    && "1".equals(info(rr, "persistence").get("async_loading")));
            try (RespClient a = redisReplica.raw(); RespClient b = star.raw()) {
                for (String[] cmd : new String[][] {
                    {"GET", "answer"}, {"DBSIZE"}, {"EXISTS", "pop:17"}, {"BGSAVE"}, {"SAVE"}, {"FLUSHALL"}, {"SET", "x", "1"},
                    {"REPLICAOF", "NO", "ONE"}, {"PING"}, {"MULTI"}, {"GET", "answer"}, {"BGSAVE"}, {"EXEC"},
                    {"MULTI"}, {"GET", "answer"}, {"EXEC"}, {"ROLE"}}) {
                    assertThat(b.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(a.callString(cmd));
                }
            }
            assertThat(digest(star.port())).isEqualTo(oldDigest).isEqualTo(digest(redisReplica.port()));
            Map<String, String> ours = info(s, "persistence"), theirs = info(rr, "persistence");
            for (String f : ASYNC_FIELDS) assertThat(ours.get(f)).as(f).isEqualTo(theirs.get(f));
            assertThat(ours).containsKeys("loading_start_time", "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds");
            Map<String, String> ourRepl = info(s, "replication"), theirRepl = info(rr, "replication");
            for (String f : ASYNC_REPL_FIELDS) assertThat(ourRepl.get(f)).as(f).isEqualTo(theirRepl.get(f));

            rr.configSet("key-load-delay", "0");
            s.configSet("key-load-delay", "0");
            awaitCaughtUp(m, s);
            assertThat(s.get("answer")).isEqualTo("newer");
            assertThat(info(s, "persistence").get("async_loading")).isEqualTo("0");
            assertSameKeyspace(redis.port(), star.port());
            assertValid(star);
            String l = log(star);
            int loaded = l.lastIndexOf("Done loading RDB"), discard = l.lastIndexOf("Discarding previously cached master state."),
                    swap = l.lastIndexOf("Swapping active DB with loaded DB"), fin = l.lastIndexOf("MASTER <-> REPLICA sync: Finished with success");
            assertThat(loaded).isLessThan(discard);
            assertThat(discard).isLessThan(swap);
            assertThat(swap).isLessThan(fin);
        }
    }

    /** swapdb from another history (a new primary): a normal load (-LOADING), the old dataset still swapped only at the end. */
    @Test
    void swapdb_otherHistory_loadsWithLoadingError() {
        try (RedisReference redis = startRedis("--repl-diskless-sync", "yes");
             ServerFixture star = startStarling("--repl-diskless-load", "swapdb", "--key-load-delay", "2000");
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            try (RespClient c = redis.raw()) {
                c.callString("DEBUG", "POPULATE", "3000", "pop", "20");
            }
            s.set("mine", "1");
            s.replicaof("127.0.0.1", redis.port());
            await().atMost(LONG).until(() -> "1".equals(info(s, "persistence").get("loading")));
            assertThat(info(s, "persistence").get("async_loading")).isEqualTo("0");
            try (RespClient b = star.raw()) {
                assertThat(b.callString("GET", "mine")).startsWith("-LOADING");
                assertThat(b.callString("DBSIZE")).startsWith("-LOADING");
            }
            s.configSet("key-load-delay", "0");
            awaitCaughtUp(m, s);
            assertThat(s.exists("mine")).isFalse();
            assertSameKeyspace(redis.port(), star.port());
        }
    }

    static long loadedBytes(Jedis s) {
        String v = info(s, "persistence").get("loading_loaded_bytes");
        return v == null ? 0 : Long.parseLong(v);
    }

    /**
     * A swapdb transfer cut mid-way (the primary slows its RDB with rdb-key-save-delay), then the
     * proxy drops the link: the load fails with Redis's log lines, the old dataset stays served as
     * it was, and the next sync completes.
     */
    @ParameterizedTest(name = "primary {0}")
    @CsvSource({"redis", "starling"})
    void swapdb_transferCut_oldDatasetKept(String primary) {
        RedisReference redis = primary.equals("redis") ? startRedis("--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0") : null;
        ServerFixture p = redis == null ? startStarling("--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0") : null;
        int port = redis != null ? redis.port() : p.port();
        try (ServerFixture star = startStarling("--repl-diskless-load", "swapdb", "--repl-timeout", "5");
             TcpProxy proxy = new TcpProxy(port);
             Jedis m = new Jedis("127.0.0.1", port); Jedis s = star.jedis()) {
            ReplicaSyncTest.populateWithoutStreams(m);
            try (RespClient c = new RespClient(port)) {
                c.callString("DEBUG", "POPULATE", "4000", "pop", "20");
            }
            s.replicaof("127.0.0.1", proxy.port());
            awaitCaughtUp(m, s);
            String before = digest(star.port());
            long dbsize = s.dbSize();
            m.configSet("rdb-key-save-delay", "2000");
            forceFullResync(port);
            await().atMost(LONG).until(() -> "1".equals(info(s, "persistence").get("async_loading")));
            await().atMost(LONG).until(() -> loadedBytes(s) > 0);
            proxy.drop();
            await().atMost(LONG).until(() -> log(star).contains("MASTER <-> REPLICA sync: Discarding temporary DB in background"));
            assertThat(digest(star.port())).isEqualTo(before);
            assertThat(s.dbSize()).isEqualTo(dbsize);
            assertThat(s.exists("pop:5")).isTrue();
            // The cut attempt's lines: the replica may already be in its next sync.
            String l = log(star);
            int discarded = l.lastIndexOf("Discarding temporary DB in background");
            l = l.substring(l.lastIndexOf("Full resync from master", discarded), discarded);
            assertThat(l).contains("Short read or OOM loading DB. Unrecoverable error, aborting now.",
                    "Failure loading rdb format from socket, assuming connection error, resuming operation.",
                    "Failed trying to load the MASTER synchronization DB from socket");
            assertThat(l).doesNotContain("Swapping active DB with loaded DB");
            m.configSet("rdb-key-save-delay", "0");
            awaitCaughtUp(m, s);
            StarlingReplicationTest.settle(m, s);
            assertSameKeyspace(port, star.port());
            assertValid(star);
        } finally {
            if (redis != null) redis.close();
            if (p != null) p.close();
        }
    }

    /** A transfer cut mid-way: the dataset stays empty, no temp file is left behind, the retry completes. */
    @ParameterizedTest(name = "repl-diskless-load {0}")
    @CsvSource({"on-empty-db", "disabled"})
    void transferCut_intoEmptyReplica_retriesAndCompletes(String mode) throws Exception {
        try (RedisReference redis = startRedis("--repl-diskless-sync", "yes", "--rdb-key-save-delay", "2000");
             ServerFixture star = startStarling("--repl-diskless-load", mode);
             TcpProxy proxy = new TcpProxy(redis.port());
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            try (RespClient c = redis.raw()) {
                c.callString("DEBUG", "POPULATE", "3000", "pop", "20");
            }
            s.replicaof("127.0.0.1", proxy.port());
            boolean parser = mode.equals("on-empty-db");
            if (parser) {
                await().atMost(LONG).until(() -> "1".equals(info(s, "persistence").get("loading")));
                await().atMost(LONG).until(() -> loadedBytes(s) > 0);
            } else {
                await().atMost(LONG).until(() -> Long.parseLong(info(s, "replication").getOrDefault("master_sync_read_bytes", "0")) > 0);
            }
            proxy.drop();
            await().atMost(LONG).until(() -> log(star).contains(parser ? "Failed trying to load the MASTER synchronization DB from socket"
                    : "I/O error trying to sync with MASTER: connection lost"));
            assertThat(s.dbSize()).isZero();
            m.configSet("rdb-key-save-delay", "0");
            awaitCaughtUp(m, s);
            // The cut transfer's temp file was deleted, the completed one renamed.
            try (var files = java.nio.file.Files.list(java.nio.file.Path.of(star.server.config.dir))) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("temp-"));
            }
            assertSameKeyspace(redis.port(), star.port());
        }
    }

    /**
     * A payload five times the transfer queue's high water, loaded slowly: the link pauses and
     * resumes (TCP pushes back on the primary) while clients are answered, and the data arrives whole.
     */
    @ParameterizedTest(name = "repl-diskless-load {0}")
    @CsvSource({"on-empty-db", "disabled"})
    void payloadBiggerThanQueue_slowConsumer_completes(String mode) {
        try (ServerFixture p = startStarling("--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0");
             ServerFixture star = startStarling("--repl-diskless-load", mode, "--key-load-delay", "300");
             Jedis m = p.jedis(); Jedis s = star.jedis()) {
            try (RespClient c = p.raw()) {
                c.callString("DEBUG", "POPULATE", "4000", "pop", "10000");
            }
            s.replicaof("127.0.0.1", p.port());
            await().atMost(LONG).until(() -> "1".equals(info(s, "persistence").get("loading")));
            try (RespClient b = star.raw()) {
                assertThat(b.callString("PING")).isEqualTo("-LOADING Redis is loading the dataset in memory\r\n");
                assertThat(b.callString("INFO", "replication")).contains("master_sync_in_progress:1");
            }
            s.configSet("key-load-delay", "0");
            awaitCaughtUp(m, s);
            assertSameKeyspace(p.port(), star.port());
            assertThat(log(star)).contains(mode.equals("disabled") ? "with EOF to disk" : "with EOF to parser");
        }
    }
}
