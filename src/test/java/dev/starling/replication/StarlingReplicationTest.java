package dev.starling.replication;

import dev.starling.support.ServerFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

import java.time.Duration;
import java.util.Map;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.assertValid;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starling follows Starling: full sync (disk and diskless) of every type with TTLs in several
 * databases, a live write load, a dropped link resynchronized partially, promotion of a replica
 * with REPLICAOF NO ONE followed by a partial resync of its sibling, and a chained replica; the
 * keyspaces are compared with DEBUG DIGEST and key by key after each step.
 */
class StarlingReplicationTest {
    static void populate(Jedis r) {
        ReplicaSyncTest.populateWithoutStreams(r);
    }

    /** The shared write load without scripts (Starling has no Lua yet). */
    static void writeLoad(Jedis r, int rounds) {
        ReplicaSyncTest.writeLoad(r, rounds, false);
    }

    /** Waits for short-lived keys to expire on the master (their DELs propagate), then for the replica. */
    static void settle(Jedis m, Jedis s) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (int db = 0; db < 4; db++) {
                m.select(db);
                for (String k : m.keys("short*")) m.exists(k); // lazy expiry on the master propagates DEL
                s.select(db);
                if (m.dbSize() != s.dbSize()) return false;
            }
            return true;
        });
        m.select(0);
        s.select(0);
        awaitCaughtUp(m, s);
    }

    @ParameterizedTest(name = "repl-diskless-sync {0}")
    @ValueSource(strings = {"yes", "no"})
    void fullSync_liveLoad_linkDrop_partialResync(String diskless) {
        try (ServerFixture p = startStarling("--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0");
             ServerFixture r = startStarling();
             Jedis m = p.jedis(); Jedis s = r.jedis()) {
            populate(m);
            assertThat(s.replicaof("127.0.0.1", p.port())).isEqualTo("OK");
            awaitCaughtUp(m, s);
            assertSameKeyspace(p.port(), r.port());
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(1);

            writeLoad(m, 300);
            settle(m, s);
            assertSameKeyspace(p.port(), r.port());

            long partial = stat(m, "stats", "sync_partial_ok"), err = stat(m, "stats", "sync_partial_err");
            // The kill and the writes run in one EXEC, so the writes happen while the link is down.
            Transaction t = m.multi();
            t.sendCommand(redis.clients.jedis.Protocol.Command.CLIENT, "KILL", "TYPE", "replica");
            for (int i = 0; i < 50; i++) t.set("gap" + i, "v" + i);
            t.hset("gaphash", "f", "v");
            t.exec();
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(m, "stats", "sync_partial_ok") == partial + 1);
            writeLoad(m, 100);
            settle(m, s);
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(1);
            assertSameKeyspace(p.port(), r.port());
            // The replica's side of the link drop: CLIENT KILL TYPE master.
            s.clientKill(redis.clients.jedis.params.ClientKillParams.clientKillParams().type(redis.clients.jedis.args.ClientType.MASTER));
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(m, "stats", "sync_partial_ok") == partial + 2);
            m.set("after", "1");
            awaitCaughtUp(m, s);
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(1);
            assertThat(stat(m, "stats", "sync_partial_err")).isEqualTo(err);
            assertSameKeyspace(p.port(), r.port());
            assertValid(r);
            assertValid(p);
        }
    }

    /**
     * A primary with two replicas; one is promoted with REPLICAOF NO ONE and the other follows it:
     * the promoted one accepts a partial resync through its replid2, writes continue on it, and the
     * old primary rejoins as its replica, also partially.
     */
    @Test
    void promotion_siblingAndOldPrimary_partialResync() {
        try (ServerFixture a = startStarling(); ServerFixture b = startStarling(); ServerFixture c = startStarling();
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis()) {
            populate(ja);
            jb.replicaof("127.0.0.1", a.port());
            jc.replicaof("127.0.0.1", a.port());
            writeLoad(ja, 100);
            settle(ja, jb);
            settle(ja, jc);
            assertSameKeyspace(a.port(), b.port());
            assertSameKeyspace(a.port(), c.port());
            String oldId = info(ja, "replication").get("master_replid");

            assertThat(jb.replicaofNoOne()).isEqualTo("OK");
            Map<String, String> promoted = info(jb, "replication");
            assertThat(promoted.get("role")).isEqualTo("master");
            assertThat(promoted.get("master_replid2")).isEqualTo(oldId);
            assertThat(promoted.get("master_replid")).isNotEqualTo(oldId);
            assertThat(promoted.get("second_repl_offset")).isEqualTo(Long.toString(stat(ja, "replication", "master_repl_offset") + 1));

            jc.replicaof("127.0.0.1", b.port());
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(jb, "stats", "sync_partial_ok") == 1);
            writeLoad(jb, 100);
            settle(jb, jc);
            assertThat(stat(jb, "stats", "sync_full")).isZero();
            assertThat(info(jc, "replication").get("master_replid")).isEqualTo(promoted.get("master_replid"));
            assertThat(info(jc, "replication").get("master_replid2")).isEqualTo(oldId);
            assertSameKeyspace(b.port(), c.port());

            // The old primary, with no writes since, continues from the promoted one's history too.
            ja.replicaof("127.0.0.1", b.port());
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(jb, "stats", "sync_partial_ok") == 2);
            jb.set("last", "1");
            awaitCaughtUp(jb, ja);
            awaitCaughtUp(jb, jc);
            assertThat(stat(jb, "stats", "sync_full")).isZero();
            assertSameKeyspace(b.port(), a.port());
            assertSameKeyspace(b.port(), c.port());
        }
    }

    /** A -> B -> C: C is a replica of a replica, with the same ids and offsets; dropping B's link keeps both partial. */
    @Test
    void chainedReplica_sameIdsAndOffsets_partialAfterDrop() {
        try (ServerFixture a = startStarling("--repl-diskless-sync", "no"); ServerFixture b = startStarling(); ServerFixture c = startStarling();
             Jedis ja = a.jedis(); Jedis jb = b.jedis(); Jedis jc = c.jedis()) {
            populate(ja);
            jb.replicaof("127.0.0.1", a.port());
            awaitCaughtUp(ja, jb);
            jc.replicaof("127.0.0.1", b.port());
            writeLoad(ja, 200);
            settle(ja, jb);
            awaitCaughtUp(jb, jc);
            awaitCaughtUp(ja, jc);
            for (String k : new String[] {"master_replid", "master_repl_offset"}) {
                assertThat(info(jc, "replication").get(k)).as(k).isEqualTo(info(ja, "replication").get(k));
            }
            assertSameKeyspace(a.port(), b.port());
            assertSameKeyspace(a.port(), c.port());
            assertThat(stat(jb, "stats", "sync_full")).isEqualTo(1);

            // B loses its master: B resyncs partially; C is not disturbed.
            jb.clientKill(redis.clients.jedis.params.ClientKillParams.clientKillParams().type(redis.clients.jedis.args.ClientType.MASTER));
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(ja, "stats", "sync_partial_ok") == 1);
            // C loses B: C resyncs partially from B.
            jc.clientKill(redis.clients.jedis.params.ClientKillParams.clientKillParams().type(redis.clients.jedis.args.ClientType.MASTER));
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(jb, "stats", "sync_partial_ok") == 1);
            writeLoad(ja, 100);
            settle(ja, jb);
            awaitCaughtUp(ja, jc);
            assertThat(stat(ja, "stats", "sync_full")).isEqualTo(1);
            assertThat(stat(jb, "stats", "sync_full")).isEqualTo(1);
            assertSameKeyspace(a.port(), c.port());
            assertValid(c);
        }
    }
}
