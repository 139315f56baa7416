package dev.starling.replication;

import dev.starling.support.ServerFixture;
import dev.starling.support.ServerProcess;
import dev.starling.support.TcpProxy;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.time.Duration;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.log;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static dev.starling.replication.StarlingReplicationTest.populate;
import static dev.starling.replication.StarlingReplicationTest.settle;
import static dev.starling.replication.StarlingReplicationTest.writeLoad;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault tests: a Starling replica follows a Starling primary through a loopback {@link TcpProxy}
 * that delays, stalls, drops and half-opens the link; a replica process paused with SIGSTOP; a
 * primary process killed with kill -9 and restarted. Each ends with equal keyspaces and the sync
 * counters Redis would show (a partial resync where the history allows it, never a needless full one).
 */
class ReplicationFaultTest {
    static final Duration LONG = Duration.ofSeconds(60);
    /** Short timeouts so faults are detected quickly; the primary pings often enough not to trip them. */
    static final String[] PRIMARY = {"--repl-timeout", "2", "--repl-ping-replica-period", "1", "--repl-diskless-sync-delay", "0"};
    static final String[] REPLICA = {"--repl-timeout", "2"};
    /** No PINGs: a PING after the SAVE would move the offset past what the RDB holds (a race in Redis too). */
    static final String[] QUIET_PRIMARY = {"--repl-ping-replica-period", "3600", "--repl-diskless-sync-delay", "0"};

    /** A primary and a replica linked through a proxy, synchronized. */
    private record Setup(ServerFixture p, ServerFixture r, TcpProxy proxy, Jedis m, Jedis s) implements AutoCloseable {
        static Setup start() {
            ServerFixture p = startStarling(PRIMARY);
            ServerFixture r = startStarling(REPLICA);
            TcpProxy proxy = new TcpProxy(p.port());
            Jedis m = p.jedis(), s = r.jedis();
            populate(m);
            s.replicaof("127.0.0.1", proxy.port());
            awaitCaughtUp(m, s);
            return new Setup(p, r, proxy, m, s);
        }

        long stat(String field) {
            return ReplicaSyncTest.stat(m, "stats", field);
        }

        void assertEqual() {
            settle(m, s);
            assertSameKeyspace(p.port(), r.port());
        }

        @Override
        public void close() {
            m.close();
            s.close();
            proxy.close();
            r.close();
            p.close();
        }
    }

    @Test
    void delayedLink_keepsUp_noResync() {
        try (Setup x = Setup.start()) {
            long full = x.stat("sync_full"), partial = x.stat("sync_partial_ok");
            x.proxy.delay(40);
            writeLoad(x.m, 200);
            awaitCaughtUp(x.m, x.s);
            x.proxy.delay(0);
            x.assertEqual();
            assertThat(x.stat("sync_full")).isEqualTo(full);
            assertThat(x.stat("sync_partial_ok")).isEqualTo(partial);
            assertThat(x.proxy.accepted.get()).isEqualTo(1);
        }
    }

    /** A stall shorter than repl-timeout is only latency: the same connection carries on. */
    @Test
    void shortStall_resumed_sameConnection() {
        try (Setup x = Setup.start()) {
            long partial = x.stat("sync_partial_ok");
            x.proxy.stall();
            writeLoad(x.m, 50);
            await().pollDelay(Duration.ofMillis(800)).atMost(LONG).until(() -> true); // less than repl-timeout (2 s)
            x.proxy.resume();
            awaitCaughtUp(x.m, x.s);
            x.assertEqual();
            assertThat(x.stat("sync_partial_ok")).isEqualTo(partial);
            assertThat(x.proxy.accepted.get()).isEqualTo(1);
        }
    }

    /** A stall beyond repl-timeout: both ends time out, the replica reconnects and continues partially. */
    @Test
    void stallBeyondReplTimeout_reconnect_partialResync() {
        try (Setup x = Setup.start()) {
            long full = x.stat("sync_full"), partial = x.stat("sync_partial_ok");
            x.proxy.stall();
            writeLoad(x.m, 100);
            await().atMost(LONG).until(() -> x.stat("sync_partial_ok") == partial + 1);
            awaitCaughtUp(x.m, x.s);
            x.assertEqual();
            assertThat(x.stat("sync_full")).isEqualTo(full);
            assertThat(x.proxy.accepted.get()).isEqualTo(2);
            assertThat(log(x.r)).contains("MASTER timeout: no data nor PING received...");
            // The stalled old link gives the primary no ACKs: it drops that replica client on its own timeout.
            await().atMost(LONG).until(() -> log(x.p).contains("Disconnecting timedout replica (streaming sync)"));
        }
    }

    @Test
    void droppedLink_reconnect_partialResync() {
        try (Setup x = Setup.start()) {
            long full = x.stat("sync_full"), partial = x.stat("sync_partial_ok");
            for (int round = 1; round <= 3; round++) {
                writeLoad(x.m, 30);
                x.proxy.drop();
                x.m.set("after-drop-" + round, "1");
                long expected = partial + round;
                await().atMost(LONG).until(() -> x.stat("sync_partial_ok") == expected);
                awaitCaughtUp(x.m, x.s);
            }
            x.assertEqual();
            assertThat(x.stat("sync_full")).isEqualTo(full);
            assertThat(log(x.r)).contains("Connection with master lost.", "Successful partial resynchronization with master.");
        }
    }

    /** The link goes silent without a FIN in either direction: only the timeouts end it, then a partial resync. */
    @Test
    void halfOpenLink_timeoutsEndIt_partialResync() {
        try (Setup x = Setup.start()) {
            long full = x.stat("sync_full"), partial = x.stat("sync_partial_ok"), err = x.stat("sync_partial_err");
            x.proxy.halfOpen();
            writeLoad(x.m, 100);
            await().atMost(LONG).until(() -> x.stat("sync_partial_ok") == partial + 1);
            awaitCaughtUp(x.m, x.s);
            x.assertEqual();
            assertThat(x.stat("sync_full")).isEqualTo(full);
            assertThat(x.stat("sync_partial_err")).isEqualTo(err);
        }
    }

    /** A replica process paused with SIGSTOP beyond repl-timeout: the primary drops it; on SIGCONT it resyncs partially. */
    @Test
    void replicaSigstop_beyondTimeout_sigcont_partialResync() {
        try (ServerFixture p = startStarling(PRIMARY); ServerProcess r = ServerProcess.starling(REPLICA);
             Jedis m = p.jedis()) {
            populate(m);
            try (Jedis s = r.jedis()) {
                s.replicaof("127.0.0.1", p.port());
                awaitCaughtUp(m, s);
            }
            long full = stat(m, "stats", "sync_full"), partial = stat(m, "stats", "sync_partial_ok");
            r.signal("STOP");
            try {
                await().atMost(LONG).until(() -> log(p).contains("Disconnecting timedout replica (streaming sync)"));
                writeLoad(m, 100);
            } finally {
                r.signal("CONT");
            }
            await().atMost(LONG).until(() -> stat(m, "stats", "sync_partial_ok") == partial + 1);
            try (Jedis s = r.jedis()) {
                awaitCaughtUp(m, s);
                settle(m, s);
            }
            assertSameKeyspace(p.port(), r.port);
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(full);
        }
    }

    /**
     * A primary process killed with kill -9 after a SAVE and no later write: restarted on that RDB,
     * it continues the saved history as replid2 and the replica resyncs partially.
     */
    @Test
    void primaryKill9_afterSave_restart_partialResync() {
        try (ServerProcess p = ServerProcess.starling(QUIET_PRIMARY); ServerFixture r = startStarling();
             Jedis s = r.jedis()) {
            try (Jedis m = p.jedis()) {
                populate(m);
                s.replicaof("127.0.0.1", p.port);
                writeLoad(m, 50);
                awaitCaughtUp(m, s);
                settle(m, s);
                assertThat(m.save()).isEqualTo("OK");
                awaitCaughtUp(m, s);
            }
            p.kill9();
            p.start();
            try (Jedis m = p.jedis()) {
                await().atMost(LONG).until(() -> stat(m, "stats", "sync_partial_ok") == 1);
                m.set("after", "1");
                awaitCaughtUp(m, s);
                assertThat(stat(m, "stats", "sync_full")).isZero();
                assertThat(s.get("after")).isEqualTo("1");
            }
            assertSameKeyspace(p.port, r.port());
        }
    }

    /**
     * kill -9 after writes that the last SAVE does not hold: the restarted primary's history ends
     * before the replica's offset, so the PSYNC is refused (sync_partial_err) and the replica is
     * fully resynchronized to the primary's data, as Redis 7.0 does.
     */
    @Test
    void primaryKill9_writesAfterSave_restart_fullResyncToPrimaryData() {
        try (ServerProcess p = ServerProcess.starling(QUIET_PRIMARY); ServerFixture r = startStarling();
             Jedis s = r.jedis()) {
            try (Jedis m = p.jedis()) {
                populate(m);
                s.replicaof("127.0.0.1", p.port);
                awaitCaughtUp(m, s);
                assertThat(m.save()).isEqualTo("OK");
                m.set("lost", "1");
                awaitCaughtUp(m, s);
            }
            p.kill9();
            p.start();
            try (Jedis m = p.jedis()) {
                await().atMost(LONG).until(() -> stat(m, "stats", "sync_full") == 1);
                assertThat(stat(m, "stats", "sync_partial_err")).isEqualTo(1);
                m.set("after", "1");
                awaitCaughtUp(m, s);
                assertThat(s.get("lost")).isNull();
                assertThat(s.get("after")).isEqualTo("1");
            }
            assertSameKeyspace(p.port, r.port());
            assertThat(p.log()).contains("Partial resynchronization not accepted");
        }
    }
}
