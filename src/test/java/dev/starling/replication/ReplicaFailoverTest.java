package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.time.Duration;
import java.util.Map;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.log;
import static dev.starling.replication.ReplicaSyncTest.populate;
import static dev.starling.replication.ReplicaSyncTest.startRedis;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static dev.starling.replication.ReplicaSyncTest.writeLoad;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** PSYNC2 across a failover, the announce options, the disk-based transfer's keepalives, and the SYNC fallback. */
class ReplicaFailoverTest {
    /**
     * A Redis primary A with a Redis replica B and a Starling replica; B is promoted and Starling
     * follows it: B accepts the partial resync through its replid2, +CONTINUE carries B's new id,
     * and Starling ends with the same ids and offsets as a Redis replica that did the same.
     */
    @Test
    void promotedSibling_acceptsPartialResync_newReplidAdopted() {
        try (RedisReference a = startRedis(); RedisReference b = startRedis(); RedisReference c = startRedis();
             ServerFixture star = startStarling();
             Jedis ja = new Jedis("127.0.0.1", a.port()); Jedis jb = new Jedis("127.0.0.1", b.port());
             Jedis jc = new Jedis("127.0.0.1", c.port()); Jedis s = star.jedis()) {
            populate(ja);
            jb.replicaof("127.0.0.1", a.port());
            jc.replicaof("127.0.0.1", a.port());
            s.replicaof("127.0.0.1", a.port());
            writeLoad(ja, 50);
            awaitCaughtUp(ja, jb);
            awaitCaughtUp(ja, jc);
            awaitCaughtUp(ja, s);
            String oldId = info(ja, "replication").get("master_replid");
            jb.replicaofNoOne();
            s.replicaof("127.0.0.1", b.port());
            jc.replicaof("127.0.0.1", b.port());
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(jb, "stats", "sync_partial_ok") == 2);
            assertThat(stat(jb, "stats", "sync_full")).isZero();
            writeLoad(jb, 50);
            awaitCaughtUp(jb, s);
            awaitCaughtUp(jb, jc);
            Map<String, String> ours = info(s, "replication"), theirs = info(jc, "replication");
            for (String k : new String[] {"master_replid", "master_replid2", "master_repl_offset", "second_repl_offset", "slave_repl_offset"}) {
                assertThat(ours.get(k)).as(k).isEqualTo(theirs.get(k));
            }
            assertThat(ours.get("master_replid2")).isEqualTo(oldId);
            assertThat(log(star)).contains("Master replication ID changed to " + info(jb, "replication").get("master_replid"));
            assertSameKeyspace(b.port(), star.port());
        }
    }

    @Test
    void announceIpAndPort_shownByMaster_onlineWithAckedOffset() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling("--replica-announce-ip", "10.1.2.3", "--replica-announce-port", "4321");
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            s.replicaof("127.0.0.1", redis.port());
            m.set("a", "1");
            awaitCaughtUp(m, s);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                String slave0 = info(m, "replication").get("slave0");
                String off = info(m, "replication").get("master_repl_offset");
                return slave0 != null && slave0.startsWith("ip=10.1.2.3,port=4321,state=online,offset=" + off + ",");
            });
        }
    }

    /** Disk-based sync from a slow BGSAVE: the master sends newlines until the payload is ready. */
    @Test
    void diskBasedSlowBgsave_keepaliveNewlines_thenSync() {
        try (RedisReference redis = startRedis("--repl-diskless-sync", "no", "--rdb-key-save-delay", "1000");
             ServerFixture star = startStarling(); Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            for (int i = 0; i < 2500; i++) m.set("key" + i, "value" + i);
            s.replicaof("127.0.0.1", redis.port());
            await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(info(s, "replication").get("master_sync_in_progress")));
            m.set("during", "sync");
            awaitCaughtUp(m, s);
            assertThat(s.get("during")).isEqualTo("sync");
            assertThat(s.dbSize()).isEqualTo(2501);
            assertThat(log(star)).containsPattern("MASTER <-> REPLICA sync: receiving \\d+ bytes from master to disk");
        }
    }

    /**
     * A master without PSYNC: the replica falls back to SYNC, as Redis does. Disk-based, because a
     * diskless master puts a replica online only on its first REPLCONF ACK, and replicas send a
     * pre-PSYNC master that single ACK right after loading: if it arrives before the master has
     * finished its side of the transfer, 7.0 ignores it and the link never comes online (a real
     * Redis replica has the same race).
     */
    @Test
    void psyncRefused_fallsBackToSync() {
        try (RedisReference redis = startRedis("--rename-command", "PSYNC", "\"\"", "--repl-diskless-sync", "no");
             ServerFixture star = startStarling(); Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            m.set("a", "1");
            s.replicaof("127.0.0.1", redis.port());
            await().atMost(Duration.ofSeconds(20)).until(() -> "up".equals(info(s, "replication").get("master_link_status")));
            m.set("b", "2");
            await().atMost(Duration.ofSeconds(20)).until(() -> "2".equals(s.get("b")));
            assertThat(log(star)).contains("Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC'",
                    "Retrying with SYNC...", "MASTER <-> REPLICA sync: Finished with success");
        }
    }

    /**
     * Starling as a sub-replica of a Redis replica: while that replica has no master it answers
     * -NOMASTERLINK and Starling retries; once it is synchronized, Starling follows the chain.
     */
    @Test
    void subReplicaOfRedisReplica_noMasterLinkThenChained() throws Exception {
        int dead;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0)) {
            dead = ss.getLocalPort();
        }
        try (RedisReference top = startRedis(); RedisReference mid = startRedis("--replicaof", "127.0.0.1", Integer.toString(dead));
             ServerFixture star = startStarling();
             Jedis jt = new Jedis("127.0.0.1", top.port()); Jedis jm = new Jedis("127.0.0.1", mid.port()); Jedis s = star.jedis()) {
            populate(jt);
            s.replicaof("127.0.0.1", mid.port());
            await().atMost(Duration.ofSeconds(10)).until(() -> log(star).contains(
                    "Master is currently unable to PSYNC but should be in the future: -NOMASTERLINK Can't SYNC while not connected with my master"));
            jm.replicaof("127.0.0.1", top.port());
            writeLoad(jt, 50);
            awaitCaughtUp(jt, jm);
            awaitCaughtUp(jt, s);
            assertSameKeyspace(top.port(), star.port());
            assertThat(info(s, "replication").get("master_replid")).isEqualTo(info(jt, "replication").get("master_replid"));
        }
    }
}
