package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.startRedis;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Starling replica and a real Redis 7.0 replica of the same real primary, in the same situation,
 * answer the same: INFO replication's fields and order, ROLE, -READONLY, -MASTERDOWN, expiry,
 * REPLICAOF NO ONE.
 */
class ReplicaBehaviourTest {
    /** Fields whose values are the backlog's (the primary side's) or time-dependent. */
    static final List<String> VALUE_EXEMPT = List.of("repl_backlog_active", "repl_backlog_first_byte_offset",
            "repl_backlog_histlen", "master_last_io_seconds_ago", "master_link_down_since_seconds");

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void assertSameInfoReplication(Jedis ours, Jedis theirs, String... alsoExempt) {
        Map<String, String> a = info(ours, "replication"), b = info(theirs, "replication");
        assertThat(new ArrayList<>(a.keySet())).isEqualTo(new ArrayList<>(b.keySet()));
        for (String k : b.keySet()) {
            if (!VALUE_EXEMPT.contains(k) && !List.of(alsoExempt).contains(k)) assertThat(a.get(k)).as(k).isEqualTo(b.get(k));
        }
    }

    @Test
    void connected_infoAndRoleAsRedisReplica() {
        try (RedisReference primary = startRedis(); RedisReference rr = startRedis("--replicaof", "127.0.0.1", "0");
             ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", primary.port()); Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis();
             RespClient ro = star.raw(); RespClient rt = rr.raw()) {
            m.set("k", "v");
            assertThat(rt.callString("REPLICAOF", "127.0.0.1", Integer.toString(primary.port())))
                    .isEqualTo(ro.callString("REPLICAOF", "127.0.0.1", Integer.toString(primary.port())));
            awaitCaughtUp(m, ours);
            awaitCaughtUp(m, theirs);
            m.incr("n");
            awaitCaughtUp(m, ours);
            awaitCaughtUp(m, theirs);
            assertSameInfoReplication(ours, theirs);
            assertThat(ro.callString("ROLE")).isEqualTo(rt.callString("ROLE"));
            assertThat(ro.callString("REPLICAOF", "127.0.0.1", Integer.toString(primary.port())))
                    .isEqualTo(rt.callString("REPLICAOF", "127.0.0.1", Integer.toString(primary.port())))
                    .isEqualTo("+OK Already connected to specified master\r\n");
            assertThat(ro.callString("REPLICAOF", "127.0.0.1", "notaport")).isEqualTo(rt.callString("REPLICAOF", "127.0.0.1", "notaport"));
            assertThat(ro.callString("SLAVEOF", "a")).isEqualTo(rt.callString("SLAVEOF", "a"));
            assertThat(ro.callString("HELLO", "3")).contains("role\r\n$7\r\nreplica");
            // Writes are refused, in and out of transactions; reads work.
            for (String[] cmd : new String[][] {{"SET", "x", "1"}, {"GET", "k"}, {"MULTI"}, {"SET", "x", "1"}, {"GET", "k"},
                    {"EXEC"}, {"CONFIG", "SET", "replica-read-only", "no"}, {"SET", "x", "1"}, {"GET", "x"},
                    {"CONFIG", "SET", "replica-read-only", "yes"}, {"DEL", "x"}}) {
                assertThat(ro.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(rt.callString(cmd));
            }
            assertThat(ours.clientList()).contains("flags=M").contains("cmd=");
        }
    }

    @Test
    void linkDown_infoRoleAndMasterdownAsRedisReplica() throws IOException {
        int dead = closedPort();
        try (RedisReference rr = startRedis(); ServerFixture star = startStarling();
             Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis();
             RespClient ro = star.raw(); RespClient rt = rr.raw()) {
            for (RespClient c : new RespClient[] {ro, rt}) {
                c.callString("SET", "k", "v");
                assertThat(c.callString("REPLICAOF", "127.0.0.1", Integer.toString(dead))).isEqualTo("+OK\r\n");
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(ro.callString("ROLE")).isEqualTo(rt.callString("ROLE"));
                assertSameInfoReplication(ours, theirs, "master_replid");
            });
            assertThat(info(ours, "replication").get("master_link_status")).isEqualTo("down");
            // Stale data is served by default, refused with replica-serve-stale-data no.
            for (String[] cmd : new String[][] {{"GET", "k"}, {"CONFIG", "SET", "replica-serve-stale-data", "no"}, {"GET", "k"},
                    {"PING"}, {"SET", "k", "1"}, {"DBSIZE"}, {"MULTI"}, {"GET", "k"}, {"EXEC"}, {"ECHO", "a"},
                    {"CONFIG", "GET", "replica-serve-stale-data"}, {"REPLICAOF", "127.0.0.1", Integer.toString(dead)},
                    {"CONFIG", "SET", "replica-serve-stale-data", "yes"}, {"GET", "k"}}) {
                assertThat(ro.callString(cmd)).as(String.join(" ", cmd)).isEqualTo(rt.callString(cmd));
            }
            assertThat(rt.callString("GET", "k")).isEqualTo("$1\r\nv\r\n");
            // REPLICAOF NO ONE: back to a master, the writes work again.
            assertThat(ro.callString("REPLICAOF", "NO", "ONE")).isEqualTo(rt.callString("REPLICAOF", "NO", "ONE"));
            assertThat(ro.callString("SET", "k", "2")).isEqualTo("+OK\r\n");
            assertThat(ro.callString("ROLE")).startsWith("*3\r\n$6\r\nmaster\r\n");
        }
    }

    @Test
    void replicaofNoOne_shiftsIdsAsRedis() {
        try (RedisReference primary = startRedis(); RedisReference rr = startRedis();
             ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", primary.port()); Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis()) {
            ours.replicaof("127.0.0.1", primary.port());
            theirs.replicaof("127.0.0.1", primary.port());
            for (int i = 0; i < 20; i++) m.set("k" + i, "v");
            awaitCaughtUp(m, ours);
            awaitCaughtUp(m, theirs);
            String replid = info(m, "replication").get("master_replid");
            assertThat(info(ours, "replication").get("master_replid")).isEqualTo(replid);
            ours.replicaofNoOne();
            theirs.replicaofNoOne();
            Map<String, String> a = info(ours, "replication"), b = info(theirs, "replication");
            assertThat(a.get("role")).isEqualTo("master");
            assertThat(a.get("master_replid2")).isEqualTo(replid).isEqualTo(b.get("master_replid2"));
            assertThat(a.get("second_repl_offset")).isEqualTo(b.get("second_repl_offset"));
            assertThat(a.get("master_repl_offset")).isEqualTo(b.get("master_repl_offset"));
            assertThat(a.get("master_replid")).isNotEqualTo(replid).hasSize(40);
            assertThat(ours.set("after", "promotion")).isEqualTo("OK");
            assertThat(ours.get("k3")).isEqualTo("v");
            assertThat(ReplicaSyncTest.log(star)).contains("Setting secondary replication ID to " + replid, "MASTER MODE enabled (user request from 'id=");
        }
    }

    /** Replicas do not expire keys: a read of a logically expired key is nil, the key goes with the master's DEL. */
    @Test
    void expiredKeys_readAsNil_deletedOnlyByMaster() {
        try (RedisReference primary = startRedis(); RedisReference rr = startRedis();
             ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", primary.port()); Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis()) {
            ours.replicaof("127.0.0.1", primary.port());
            theirs.replicaof("127.0.0.1", primary.port());
            awaitCaughtUp(m, ours);
            awaitCaughtUp(m, theirs);
            try (RespClient raw = primary.raw()) {
                assertThat(raw.callString("DEBUG", "SET-ACTIVE-EXPIRE", "0")).isEqualTo("+OK\r\n");
            }
            m.psetex("soon", 100, "v");
            m.set("keep", "v");
            awaitCaughtUp(m, ours);
            awaitCaughtUp(m, theirs);
            await().atMost(Duration.ofSeconds(5)).until(() -> ours.get("soon") == null);
            assertThat(theirs.get("soon")).isNull();
            assertThat(ours.exists("soon")).isEqualTo(theirs.exists("soon")).isFalse();
            assertThat(ours.dbSize()).isEqualTo(theirs.dbSize()).isEqualTo(2);
            assertThat(m.get("soon")).isNull(); // the master expires it and propagates DEL
            awaitCaughtUp(m, ours);
            awaitCaughtUp(m, theirs);
            assertThat(ours.dbSize()).isEqualTo(theirs.dbSize()).isEqualTo(1);
        }
    }

    /** Becoming a replica ends BLPOP-style waits with -UNBLOCKED and closes those connections, as Redis. */
    @Test
    void becomingReplica_unblocksBlockedClients() throws IOException {
        int dead = closedPort();
        try (RedisReference rr = startRedis(); ServerFixture star = startStarling();
             RespClient ro = star.raw(); RespClient rt = rr.raw(); RespClient bo = star.raw(); RespClient bt = rr.raw()) {
            bo.send(RespClient.encode(RespClient.args("BLPOP", "list", "0")));
            bt.send(RespClient.encode(RespClient.args("BLPOP", "list", "0")));
            await().atMost(Duration.ofSeconds(5)).until(() -> ro.callString("INFO", "clients").contains("blocked_clients:1")
                    && rt.callString("INFO", "clients").contains("blocked_clients:1"));
            assertThat(ro.callString("REPLICAOF", "127.0.0.1", Integer.toString(dead)))
                    .isEqualTo(rt.callString("REPLICAOF", "127.0.0.1", Integer.toString(dead)));
            assertThat(bo.readReplyString()).isEqualTo(bt.readReplyString())
                    .isEqualTo("-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n");
            assertThat(bo.isClosedByPeer()).isTrue();
            assertThat(bt.isClosedByPeer()).isTrue();
        }
    }

    /** While the RDB arrives (a master slowed by rdb-key-save-delay): the sync fields, ROLE "sync". */
    @Test
    void duringTransfer_syncFieldsAsRedisReplica() {
        String[] slow = {"--rdb-key-save-delay", "3000"};
        try (RedisReference p1 = startRedis(slow); RedisReference p2 = startRedis(slow); RedisReference rr = startRedis();
             ServerFixture star = startStarling();
             Jedis m1 = new Jedis("127.0.0.1", p1.port()); Jedis m2 = new Jedis("127.0.0.1", p2.port());
             Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis();
             RespClient ro = star.raw(); RespClient rt = rr.raw()) {
            for (Jedis m : new Jedis[] {m1, m2}) {
                for (int i = 0; i < 2000; i++) m.set("key" + i, "value" + i);
            }
            ours.replicaof("127.0.0.1", p1.port());
            theirs.replicaof("127.0.0.1", p2.port());
            await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(info(ours, "replication").get("master_sync_in_progress"))
                    && "1".equals(info(theirs, "replication").get("master_sync_in_progress")));
            Map<String, String> a = info(ours, "replication"), b = info(theirs, "replication");
            assertThat(new ArrayList<>(a.keySet())).isEqualTo(new ArrayList<>(b.keySet()));
            assertThat(a.get("master_sync_total_bytes")).isEqualTo(b.get("master_sync_total_bytes"));
            assertThat(ro.callString("ROLE")).endsWith("$4\r\nsync\r\n:-1\r\n");
            assertThat(rt.callString("ROLE")).endsWith("$4\r\nsync\r\n:-1\r\n");
            for (Jedis m : new Jedis[] {m1, m2}) m.configSet("rdb-key-save-delay", "0");
        }
    }

    /** replicaof in the config, the master unreachable: no cached master (offset 1), never up (down since -1). */
    @Test
    void replicaofAtStart_deadMaster_infoAsRedis() throws IOException {
        String dead = Integer.toString(closedPort());
        try (RedisReference rr = startRedis("--replicaof", "127.0.0.1", dead);
             ServerFixture star = startStarling("--replicaof", "127.0.0.1", dead);
             Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis()) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertSameInfoReplication(ours, theirs, "master_replid");
                assertThat(ReplicaSyncTest.log(star)).contains("Error condition on socket for SYNC: Connection refused");
            });
            assertThat(info(ours, "replication").get("slave_repl_offset")).isEqualTo("1");
            assertThat(info(ours, "replication").get("master_link_down_since_seconds")).isEqualTo("-1");
            assertThat(ours.configGet("replicaof")).isEqualTo(theirs.configGet("replicaof"));
        }
    }

    /** REPLICAOF NO ONE during the transfer: the temp file goes, the dataset stays, the server is a master. */
    @Test
    void replicaofNoOneDuringTransfer_abortsCleanly() throws IOException {
        try (RedisReference primary = startRedis("--rdb-key-save-delay", "5000"); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", primary.port()); Jedis ours = star.jedis()) {
            for (int i = 0; i < 2000; i++) m.set("key" + i, "value" + i);
            ours.set("mine", "1");
            ours.replicaof("127.0.0.1", primary.port());
            await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(info(ours, "replication").get("master_sync_in_progress")));
            java.nio.file.Path dir = java.nio.file.Path.of(star.server.config.dir);
            await().atMost(Duration.ofSeconds(10)).until(() -> tempFiles(dir) == 1);
            assertThat(ours.replicaofNoOne()).isEqualTo("OK");
            assertThat(tempFiles(dir)).isZero();
            assertThat(info(ours, "replication").get("role")).isEqualTo("master");
            assertThat(ours.get("mine")).isEqualTo("1");
            assertThat(ours.set("x", "y")).isEqualTo("OK");
            m.configSet("rdb-key-save-delay", "0");
        }
    }

    static long tempFiles(java.nio.file.Path dir) throws IOException {
        try (var files = java.nio.file.Files.list(dir)) {
            long n = 0;
            for (var it = files.iterator(); it.hasNext(); ) if (it.next().getFileName().toString().startsWith("temp-")) n++;
            return n;
        }
    }

    /** REPLICAOF NO ONE, then back to the same primary: a full resync in 7.0 (the promoted replica's new id is unknown to it). */
    @Test
    void backToSamePrimaryAfterPromotion_fullResyncAsRedis() {
        try (RedisReference primary = startRedis(); RedisReference rr = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", primary.port()); Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis()) {
            m.set("a", "1");
            for (Jedis r : new Jedis[] {ours, theirs}) {
                r.replicaof("127.0.0.1", primary.port());
                awaitCaughtUp(m, r);
                r.replicaofNoOne();
                r.replicaof("127.0.0.1", primary.port());
                awaitCaughtUp(m, r);
            }
            // Two full syncs each, none partial: the same for Redis and for Starling.
            assertThat(ReplicaSyncTest.stat(m, "stats", "sync_full")).isEqualTo(4);
            assertThat(ReplicaSyncTest.stat(m, "stats", "sync_partial_ok")).isZero();
            assertThat(ours.get("a")).isEqualTo("1");
        }
    }

    /** While the received RDB loads (slowed by key-load-delay): -LOADING, loading:1 and master_sync_in_progress:1, as Redis. */
    @Test
    void duringLoad_loadingRepliesAndInfoAsRedisReplica() {
        try (RedisReference p1 = startRedis(); RedisReference p2 = startRedis(); RedisReference rr = startRedis("--key-load-delay", "3000",
                     "--loading-process-events-interval-bytes", "1024");
             ServerFixture star = startStarling("--key-load-delay", "3000");
             Jedis m1 = new Jedis("127.0.0.1", p1.port()); Jedis m2 = new Jedis("127.0.0.1", p2.port());
             Jedis theirs = new Jedis("127.0.0.1", rr.port()); Jedis ours = star.jedis();
             RespClient ro = star.raw(); RespClient rt = rr.raw()) {
            // Redis serves clients while loading every loading-process-events-interval-bytes of input.
            java.util.Random rnd = new java.util.Random(1);
            for (int i = 0; i < 3000; i++) {
                byte[] v = new byte[3000];
                rnd.nextBytes(v); // incompressible, so the RDB really is that big
                m1.set(("key" + i).getBytes(), v);
                m2.set(("key" + i).getBytes(), v);
            }
            ours.replicaof("127.0.0.1", p1.port());
            theirs.replicaof("127.0.0.1", p2.port());
            await("starling loading").atMost(Duration.ofSeconds(20)).until(() -> ro.callString("INFO", "persistence").contains("loading:1\r\n"));
            await("redis loading").atMost(Duration.ofSeconds(20)).until(() -> rt.callString("INFO", "persistence").contains("loading:1\r\n"));
            for (String[] cmd : new String[][] {{"GET", "key1"}, {"PING"}, {"ROLE"}, {"DBSIZE"}, {"REPLICAOF", "NO", "ONE"}}) {
                String a = ro.callString(cmd), b = rt.callString(cmd);
                if (cmd[0].equals("ROLE")) {
                    assertThat(a).endsWith("$4\r\nsync\r\n:-1\r\n");
                    assertThat(b).endsWith("$4\r\nsync\r\n:-1\r\n");
                } else {
                    assertThat(a).as(String.join(" ", cmd)).isEqualTo(b);
                }
            }
            Map<String, String> a = info(ours, "replication"), b = info(theirs, "replication");
            assertThat(a.get("master_sync_in_progress")).isEqualTo(b.get("master_sync_in_progress")).isEqualTo("1");
            assertThat(new ArrayList<>(a.keySet())).isEqualTo(new ArrayList<>(b.keySet()));
            ours.configSet("key-load-delay", "0");
            theirs.configSet("key-load-delay", "0");
            m1.set("after", "load");
            awaitCaughtUp(m1, ours);
            assertThat(ours.get("after")).isEqualTo("load");
            assertThat(ours.dbSize()).isEqualTo(3001);
            assertThat(ours.replicaofNoOne()).isEqualTo("OK");
        }
    }
}
