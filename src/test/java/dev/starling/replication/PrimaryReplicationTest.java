package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.starling.replication.PrimaryReplicationTest.Debug.DEBUG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real redis-server 7.0 replicating from Starling (REPLICAOF on the Redis side): full sync over
 * disk and sockets, the live stream, partial resync after a dropped link, WAIT, and the replica
 * lines of INFO. Keyspaces are compared by DEBUG DIGEST and key by key.
 */
class PrimaryReplicationTest {
    /** The DEBUG command for Jedis's sendCommand. */
    enum Debug implements redis.clients.jedis.commands.ProtocolCommand {
        DEBUG;

        @Override
        public byte[] getRaw() {
            return "DEBUG".getBytes(StandardCharsets.US_ASCII);
        }
    }

    @TempDir
    Path dir;

    static final Duration SYNC = Duration.ofSeconds(60);

    ServerFixture starling(String... extra) {
        List<String> args = new ArrayList<>(List.of("--enable-debug-command", "yes", "--dir", dir.toString(),
                "--logfile", dir.resolve("starling.log").toString(), "--loglevel", "notice", "--repl-diskless-sync-delay", "0"));
        args.addAll(List.of(extra));
        return ServerFixture.start(args.toArray(new String[0]));
    }

    static RedisReference replicaOf(ServerFixture s, String... extra) {
        List<String> args = new ArrayList<>(List.of("--replicaof", "127.0.0.1", Integer.toString(s.port()), "--enable-debug-command", "yes"));
        args.addAll(List.of(extra));
        return RedisReference.start(args.toArray(new String[0]));
    }

    String log() {
        try {
            return Files.readString(dir.resolve("starling.log"));
        } catch (IOException e) {
            return "";
        }
    }

    static String info(Jedis j, String field) {
        for (String line : j.info("replication").split("\r\n")) {
            if (line.startsWith(field + ":")) return line.substring(field.length() + 1);
        }
        return null;
    }

    static long stat(Jedis j, String field) {
        for (String line : j.info("stats").split("\r\n")) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1));
        }
        throw new AssertionError("no " + field);
    }

    /** Waits until the replica has applied everything Starling propagated, then compares the data. */
    static void awaitInSync(ServerFixture s, RedisReference r) {
        awaitInSync(s, r, true);
    }

    /** keyByKey false: DEBUG DIGEST only (it covers values and TTLs), for big datasets. */
    static void awaitInSync(ServerFixture s, RedisReference r, boolean keyByKey) {
        try (Jedis p = s.jedis(); Jedis q = new Jedis("127.0.0.1", r.port(), 20_000)) {
            await().atMost(SYNC).until(() -> "up".equals(info(q, "master_link_status"))
                    && info(p, "master_repl_offset").equals(info(q, "slave_repl_offset")));
            assertThat(digest(q)).isEqualTo(digest(p));
            if (keyByKey) compareKeyByKey(p, q);
        }
        s.onExecutor(() -> assertThat(s.server.replication.primary.validate()).isNull());
        s.onExecutor(() -> assertThat(s.server.keyspace.validate()).isNull());
    }

    static String digest(Jedis j) {
        return new String((byte[]) j.sendCommand(DEBUG, "digest"), StandardCharsets.UTF_8);
    }

    static String digestValue(Jedis j, String k) {
        Object d = j.sendCommand(DEBUG, "digest-value", k);
        return new String((byte[]) ((List<?>) d).get(0), StandardCharsets.UTF_8);
    }

    static void compareKeyByKey(Jedis p, Jedis q) {
        for (int db = 0; db < 16; db++) {
            p.select(db);
            q.select(db);
            assertThat(q.dbSize()).as("dbsize of db %d", db).isEqualTo(p.dbSize());
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = p.scan(cursor, new ScanParams().count(500));
                for (String k : page.getResult()) {
                    assertThat(q.type(k)).as(k).isEqualTo(p.type(k));
                    assertThat(q.pexpireTime(k)).as(k).isEqualTo(p.pexpireTime(k));
                    assertThat(digestValue(q, k)).as(k).isEqualTo(digestValue(p, k));
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        p.select(0);
        q.select(0);
    }

    /** Every type, small and large encodings, TTLs, in databases 0, 1 and 9. */
    static void populate(Jedis j) {
        for (int db : new int[] {0, 1, 9}) {
            j.select(db);
            Pipeline pl = j.pipelined();
            String big = "v".repeat(100_000);
            pl.set("str:int", "12345");
            pl.set("str:raw", "hello world");
            pl.set("str:big", big);
            pl.set("str:ttl", "x", redis.clients.jedis.params.SetParams.setParams().px(1_000_000));
            for (int i = 0; i < 10; i++) pl.rpush("list:small", "e" + i);
            for (int i = 0; i < 3000; i++) pl.rpush("list:big", "element-" + i);
            for (int i = 0; i < 10; i++) pl.hset("hash:small", "f" + i, "v" + i);
            for (int i = 0; i < 1000; i++) pl.hset("hash:big", "field-" + i, "value-" + i);
            for (int i = 0; i < 10; i++) pl.sadd("set:int", Integer.toString(i));
            for (int i = 0; i < 10; i++) pl.sadd("set:small", "m" + i);
            for (int i = 0; i < 1000; i++) pl.sadd("set:big", "member-" + i);
            for (int i = 0; i < 10; i++) pl.zadd("zset:small", i * 1.5, "m" + i);
            for (int i = 0; i < 500; i++) pl.zadd("zset:big", i / 3.0, "member-" + i);
            pl.pfadd("hll", "a", "b", "c");
            pl.expire("hash:small", 100_000);
            pl.pexpire("zset:big", 5_000_000);
            pl.sync();
        }
        j.select(0);
    }

    /** A mixed write load across types and databases. */
    static void writeLoad(Jedis j, int n, long seed) {
        Random rnd = new Random(seed);
        Pipeline pl = j.pipelined();
        for (int i = 0; i < n; i++) {
            int db = rnd.nextInt(3) * 4;
            pl.select(db);
            String k = "k" + rnd.nextInt(200);
            switch (rnd.nextInt(10)) {
                case 0 -> pl.set(k + ":s", "val" + i);
                case 1 -> pl.incrByFloat(k + ":f", 1.5);
                case 2 -> pl.lpush(k + ":l", "x" + i);
                case 3 -> pl.hset(k + ":h", "f" + rnd.nextInt(20), "v" + i);
                case 4 -> pl.sadd(k + ":set", "m" + rnd.nextInt(50));
                case 5 -> pl.zadd(k + ":z", rnd.nextInt(100), "m" + rnd.nextInt(50));
                case 6 -> pl.expire(k + ":s", 1000 + rnd.nextInt(1000));
                case 7 -> pl.del(k + ":l");
                case 8 -> pl.spop(k + ":set");
                default -> pl.setex(k + ":e", 5000, "e" + i);
            }
        }
        pl.select(0);
        pl.sync();
    }

    @ParameterizedTest(name = "diskless={0}")
    @ValueSource(booleans = {true, false})
    void fullSync_everyTypeThenLiveWrites_keyspacesEqual(boolean diskless) {
        try (ServerFixture s = starling("--repl-diskless-sync", diskless ? "yes" : "no");
             Jedis j = s.jedis()) {
            populate(j);
            // Random values the RDB cannot compress: the file goes out in several slices.
            Random rnd = new Random(7);
            Pipeline pl = j.pipelined();
            for (int i = 0; i < 4000; i++) {
                byte[] v = new byte[300];
                rnd.nextBytes(v);
                pl.set(("bulk:" + i).getBytes(StandardCharsets.UTF_8), v);
            }
            pl.sync();
            try (RedisReference r = replicaOf(s)) {
                awaitInSync(s, r);
                writeLoad(j, 5000, 1);
                awaitInSync(s, r);
                assertThat(stat(j, "sync_full")).isEqualTo(1);
                assertThat(info(j, "connected_slaves")).isEqualTo("1");
                assertThat(info(j, "slave0")).startsWith("ip=127.0.0.1,port=" + r.port() + ",state=online,offset=");
                String log = log();
                assertThat(log).contains("Replica 127.0.0.1:" + r.port() + " asks for synchronization")
                        .contains("Full resync requested by replica 127.0.0.1:" + r.port())
                        .contains("Starting BGSAVE for SYNC with target: " + (diskless ? "replicas sockets" : "disk"))
                        .contains("Synchronization with replica 127.0.0.1:" + r.port() + " succeeded");
                if (diskless) {
                    assertThat(log).contains("Streamed RDB transfer with replica 127.0.0.1:" + r.port() + " succeeded (socket)");
                } else {
                    assertThat(dir.resolve("dump.rdb")).exists();
                    assertThat(dir.resolve("dump.rdb").toFile().length()).isGreaterThan(3 * FullSync.FILE_SLICE);
                }
            }
        }
    }

    @ParameterizedTest(name = "kill {0}")
    @ValueSource(strings = {"replica-side", "primary-side"})
    void linkDropped_writesDuringGap_partialResync(String side) {
        try (ServerFixture s = starling(); Jedis j = s.jedis()) {
            populate(j);
            try (RedisReference r = replicaOf(s); Jedis q = new Jedis("127.0.0.1", r.port(), 20_000)) {
                awaitInSync(s, r);
                long full = stat(j, "sync_full"), ok = stat(j, "sync_partial_ok");
                if (side.equals("primary-side")) {
                    assertThat(j.clientKill(redis.clients.jedis.params.ClientKillParams.clientKillParams()
                            .type(redis.clients.jedis.args.ClientType.REPLICA))).isEqualTo(1);
                } else {
                    q.clientKill(redis.clients.jedis.params.ClientKillParams.clientKillParams()
                            .type(redis.clients.jedis.args.ClientType.MASTER));
                }
                writeLoad(j, 2000, 2);
                await().atMost(SYNC).until(() -> stat(j, "sync_partial_ok") == ok + 1);
                awaitInSync(s, r);
                assertThat(stat(j, "sync_full")).isEqualTo(full);
                assertThat(log()).contains("Partial resynchronization request from 127.0.0.1:" + r.port() + " accepted. Sending ");
            }
        }
    }

    @Test
    void wait_countsAckingReplicas() {
        try (ServerFixture s = starling(); Jedis j = s.jedis()) {
            try (RedisReference r1 = replicaOf(s); RedisReference r2 = replicaOf(s)) {
                await().atMost(SYNC).until(() -> info(j, "slave1") != null && info(j, "slave0").contains("state=online")
                        && info(j, "slave1").contains("state=online"));
                j.set("a", "1");
                assertThat(j.waitReplicas(2, 10_000)).isEqualTo(2);
                j.set("b", "2");
                // Asking for more replicas than exist times out with the number that acknowledged.
                assertThat(j.waitReplicas(3, 300)).isEqualTo(2);
                assertThat(j.waitReplicas(0, 0)).isEqualTo(2);
                List<Object> role = j.role();
                assertThat(role.get(0)).isEqualTo("master");
                assertThat((List<?>) role.get(2)).hasSize(2);
            }
        }
    }

    /**
     * Diskless sync to a replica that stops reading mid-transfer: the snapshot walk pauses on the
     * socket's back-pressure while the server keeps serving (and writing) other clients; continued,
     * the replica completes the sync and holds exactly Starling's data.
     */
    @Test
    void disklessSync_replicaStopped_transferWaitsServerKeepsServing() throws Exception {
        try (ServerFixture s = starling("--repl-diskless-sync-delay", "2"); Jedis j = s.jedis()) {
            j.sendCommand(Debug.DEBUG, "populate", "300000", "key", "100");
            try (RedisReference r = replicaOf(s)) {
                await().atMost(SYNC).until(() -> String.valueOf(info(j, "slave0")).contains("state=wait_bgsave"));
                PrimaryBehaviourTest.signal("STOP", r.pid());
                try {
                    await().atMost(SYNC).until(() -> {
                        boolean[] stalled = {false};
                        s.onExecutor(() -> {
                            FullSync f = s.server.replication.primary.sync;
                            stalled[0] = f != null && f.snapshot() != null && f.waitingForDrain();
                        });
                        return stalled[0];
                    });
                    // The executor is free: commands run, and writes to keys not yet sent hand them over first.
                    for (int i = 0; i < 100; i++) assertThat(j.set("key:" + i * 997, "changed")).isEqualTo("OK");
                    assertThat(j.ping()).isEqualTo("PONG");
                } finally {
                    PrimaryBehaviourTest.signal("CONT", r.pid());
                }
                awaitInSync(s, r, false);
                assertThat(stat(j, "sync_full")).isEqualTo(1);
            }
        }
    }

    /** With repl-diskless-sync-max-replicas 2 the transfer starts once two replicas wait, long before the delay, and serves both. */
    @Test
    void disklessSync_maxReplicasReached_oneSnapshotServesBoth() {
        try (ServerFixture s = starling("--repl-diskless-sync-delay", "60", "--repl-diskless-sync-max-replicas", "2");
             Jedis j = s.jedis()) {
            populate(j);
            try (RedisReference r1 = replicaOf(s); RedisReference r2 = replicaOf(s)) {
                awaitInSync(s, r1);
                awaitInSync(s, r2);
                assertThat(stat(j, "sync_full")).isEqualTo(2);
                String log = log();
                assertThat(log.split("Starting BGSAVE for SYNC with target: replicas sockets", -1)).hasSize(2);
                assertThat(log).contains("Delay next BGSAVE for diskless SYNC");
            }
        }
    }

    /** A replica that sends no ACK for repl-timeout is dropped with Redis's line, and reconnects by itself. */
    @Test
    void replicaSilentPastReplTimeout_disconnectedThenResyncs() throws Exception {
        try (ServerFixture s = starling("--repl-timeout", "2"); Jedis j = s.jedis()) {
            populate(j);
            try (RedisReference r = replicaOf(s)) {
                awaitInSync(s, r);
                PrimaryBehaviourTest.signal("STOP", r.pid());
                try {
                    await().atMost(SYNC).until(() -> log().contains("Disconnecting timedout replica (streaming sync): 127.0.0.1:" + r.port()));
                    assertThat(log()).contains("Connection with replica 127.0.0.1:" + r.port() + " lost.");
                } finally {
                    PrimaryBehaviourTest.signal("CONT", r.pid());
                }
                writeLoad(j, 500, 3);
                awaitInSync(s, r);
                assertThat(stat(j, "sync_partial_ok")).isEqualTo(1);
            }
        }
    }

    /**
     * After a new history starts (what a promotion does: shiftReplicationId), a replica of the old
     * one continues with PSYNC old-id: replid2 is accepted up to second_repl_offset, +CONTINUE
     * names the new id, and the replica adopts it.
     */
    @Test
    void psyncWithReplid2_afterShift_continuesWithNewId() {
        try (ServerFixture s = starling(); Jedis j = s.jedis()) {
            populate(j);
            try (RedisReference r = replicaOf(s); Jedis q = new Jedis("127.0.0.1", r.port(), 20_000)) {
                awaitInSync(s, r);
                String old = info(j, "master_replid");
                s.onExecutor(() -> s.server.replication.shiftReplicationId());
                assertThat(info(j, "master_replid2")).isEqualTo(old);
                assertThat(info(j, "second_repl_offset")).isEqualTo(Long.toString(Long.parseLong(info(j, "master_repl_offset")) + 1));
                q.clientKill(redis.clients.jedis.params.ClientKillParams.clientKillParams()
                        .type(redis.clients.jedis.args.ClientType.MASTER));
                await().atMost(SYNC).until(() -> stat(j, "sync_partial_ok") == 1);
                writeLoad(j, 300, 4);
                awaitInSync(s, r);
                assertThat(info(q, "master_replid")).isEqualTo(info(j, "master_replid"));
                assertThat(stat(j, "sync_full")).isEqualTo(1);
            }
        }
    }

    /**
     * Disk target: a replica arriving while the replication BGSAVE of another runs attaches to it
     * (Redis's CASE 1: same capabilities), so one file serves both, and both end up equal.
     */
    @Test
    void diskSync_secondReplicaDuringBgsave_attachesToIt() {
        try (ServerFixture s = starling("--repl-diskless-sync", "no"); Jedis j = s.jedis()) {
            j.sendCommand(Debug.DEBUG, "populate", "300000", "key", "100");
            try (RedisReference r1 = replicaOf(s)) {
                await().atMost(SYNC).until(() -> log().contains("Starting BGSAVE for SYNC with target: disk"));
                try (RedisReference r2 = replicaOf(s)) {
                    awaitInSync(s, r1, false);
                    awaitInSync(s, r2, false);
                    assertThat(log()).contains("Waiting for end of BGSAVE for SYNC");
                    assertThat(log().split("Starting BGSAVE for SYNC with target: disk", -1)).hasSize(2);
                    assertThat(stat(j, "sync_full")).isEqualTo(2);
                }
            }
        }
    }

    /**
     * A chain: redis-server primary, Starling replica, redis-server sub-replica. Starling serves
     * its replica from its master's stream relayed into its backlog; once promoted (REPLICAOF NO
     * ONE) the sub-replica continues by PSYNC with the old id (replid2), without a full sync.
     */
    @Test
    void chained_starlingReplicaServesSubReplica_thenPromotedContinues() {
        try (RedisReference top = RedisReference.start("--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes");
             ServerFixture s = starling(); Jedis jt = new Jedis("127.0.0.1", top.port(), 20_000); Jedis js = s.jedis()) {
            populate(jt);
            js.replicaof("127.0.0.1", top.port());
            await().atMost(SYNC).until(() -> "up".equals(info(js, "master_link_status")));
            try (RedisReference sub = replicaOf(s); Jedis jsub = new Jedis("127.0.0.1", sub.port(), 20_000)) {
                writeLoad(jt, 2000, 5);
                await().atMost(SYNC).until(() -> info(jt, "master_repl_offset").equals(info(js, "master_repl_offset")));
                awaitInSync(s, sub);
                assertThat(digest(js)).isEqualTo(digest(jt));
                assertThat(info(jsub, "master_replid")).isEqualTo(info(jt, "master_replid"));
                assertThat(info(js, "connected_slaves")).isEqualTo("1");
                js.replicaofNoOne();
                writeLoad(js, 500, 6);
                awaitInSync(s, sub);
                assertThat(stat(js, "sync_full")).isEqualTo(1);
                assertThat(stat(js, "sync_partial_ok")).isEqualTo(1);
                assertThat(info(jsub, "master_replid")).isEqualTo(info(js, "master_replid"));
            }
        }
    }
}
