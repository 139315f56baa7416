package dev.starling.replication;

import dev.starling.support.ServerProcess;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.time.Duration;
import java.util.Map;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static dev.starling.replication.StarlingReplicationTest.populate;
import static dev.starling.replication.StarlingReplicationTest.writeLoad;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Restart followed by a partial resync (Redis 7.0's loadDataFromDisk restoring the RDB's repl-id
 * and repl-offset): a replica shut down and started again on the same directory continues from
 * its primary with +CONTINUE; a primary shut down and started again keeps the saved history as
 * replid2 so its replicas continue too. Starling and redis-server on either side.
 */
class ReplicationRestartTest {
    static final Duration SYNC = Duration.ofSeconds(60);

    static void awaitPartial(Jedis master, long expected) {
        await().atMost(SYNC).until(() -> stat(master, "stats", "sync_partial_ok") == expected);
    }

    /** A replica (Starling or Redis) of a primary (Starling or Redis) restarts: partial resync, writes of the gap arrive. */
    private static void replicaRestarts(boolean starlingPrimary, boolean starlingReplica) {
        try (ServerProcess p = starlingPrimary ? ServerProcess.starling() : ServerProcess.redis();
             ServerProcess r = starlingReplica ? ServerProcess.starling() : ServerProcess.redis();
             Jedis m = p.jedis()) {
            if (starlingPrimary) populate(m);
            else m.set("x", "1");
            try (Jedis s = r.jedis()) {
                s.replicaof("127.0.0.1", p.port);
                writeLoad(m, 50);
                awaitCaughtUp(m, s);
            }
            long full = stat(m, "stats", "sync_full"), partial = stat(m, "stats", "sync_partial_ok");
            r.shutdown("SAVE");
            m.set("during-downtime", "1");
            m.hset("gaph", "f", "v");
            r.start("--replicaof", "127.0.0.1", Integer.toString(p.port));
            try (Jedis s = r.jedis()) {
                awaitPartial(m, partial + 1);
                writeLoad(m, 50);
                awaitCaughtUp(m, s);
                StarlingReplicationTest.settle(m, s);
                assertThat(stat(m, "stats", "sync_full")).isEqualTo(full);
                assertThat(s.get("during-downtime")).isEqualTo("1");
            }
            assertSameKeyspace(p.port, r.port);
            assertThat(r.log()).contains("Before turning into a replica, using my own master parameters to synthesize a cached master",
                    "Successful partial resynchronization with master.");
        }
    }

    @Test
    void starlingReplicaRestarts_starlingPrimary_partialResync() {
        replicaRestarts(true, true);
    }

    @Test
    void starlingReplicaRestarts_redisPrimary_partialResync() {
        replicaRestarts(false, true);
    }

    @Test
    void redisReplicaRestarts_starlingPrimary_partialResync() {
        replicaRestarts(true, false);
    }

    /**
     * A primary (Starling or Redis) restarts on its saved RDB; its replica (Starling or Redis)
     * reconnects with PSYNC old-id offset+1 and the new primary accepts it through replid2.
     * The primary's INFO replication after the restart is checked against Redis's rules.
     */
    private static void primaryRestarts(boolean starlingPrimary, boolean starlingReplica) {
        try (ServerProcess p = starlingPrimary ? ServerProcess.starling() : ServerProcess.redis();
             ServerProcess r = starlingReplica ? ServerProcess.starling() : ServerProcess.redis();
             Jedis s = r.jedis()) {
            try (Jedis m = p.jedis()) {
                if (starlingPrimary) populate(m);
                else m.set("x", "1");
                s.replicaof("127.0.0.1", p.port);
                writeLoad(m, 50);
                awaitCaughtUp(m, s);
            }
            String oldId = info(s, "replication").get("master_replid");
            p.shutdown("SAVE");
            // Redis sends REPLCONF GETACK before it saves at shutdown; the replica's offset is the one saved.
            long saved = Long.parseLong(info(s, "replication").get("slave_repl_offset"));
            p.start();
            try (Jedis m = p.jedis()) {
                awaitPartial(m, 1);
                Map<String, String> ri = info(m, "replication");
                assertThat(ri.get("master_replid2")).isEqualTo(oldId);
                assertThat(ri.get("second_repl_offset")).isEqualTo(Long.toString(saved + 1));
                assertThat(ri.get("master_replid")).isNotEqualTo(oldId);
                assertThat(stat(m, "stats", "sync_full")).isZero();
                m.set("after-restart", "1");
                writeLoad(m, 50);
                awaitCaughtUp(m, s);
                StarlingReplicationTest.settle(m, s);
                assertThat(info(s, "replication").get("master_replid")).isEqualTo(ri.get("master_replid"));
                assertThat(s.get("after-restart")).isEqualTo("1");
            }
            assertSameKeyspace(p.port, r.port);
        }
    }

    @Test
    void starlingPrimaryRestarts_starlingReplica_partialResync() {
        primaryRestarts(true, true);
    }

    @Test
    void starlingPrimaryRestarts_redisReplica_partialResync() {
        primaryRestarts(true, false);
    }

    @Test
    void redisPrimaryRestarts_starlingReplica_partialResync() {
        primaryRestarts(false, true);
    }

    /** The reference pairing, so the expectations above are Redis's own. */
    @Test
    void redisPrimaryRestarts_redisReplica_partialResync() {
        primaryRestarts(false, false);
    }
}
