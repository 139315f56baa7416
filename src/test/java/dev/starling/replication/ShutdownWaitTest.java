package dev.starling.replication;

import dev.starling.support.RespClient;
import dev.starling.support.ServerProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis 7.0's shutdown that waits for lagging replicas (SHUTDOWN, SIGTERM; NOW, ABORT;
 * shutdown-timeout), its INFO during the wait, and the restart under load it exists for: the
 * replicas continue with a partial resync. Each case runs with redis-server as the primary too,
 * so the expectations are Redis's own.
 */
class ShutdownWaitTest {
    static final Duration LONG = Duration.ofSeconds(60);

    static ServerProcess primary(boolean starling, String... opts) {
        return starling ? ServerProcess.starling(opts) : ServerProcess.redis(opts);
    }

    static void attach(Jedis m, Jedis s, int port) {
        s.replicaof("127.0.0.1", port);
        m.set("k0", "v");
        awaitCaughtUp(m, s);
    }

    /** Writes about bytes of SETs (pipelined) so a stopped replica falls that far behind. */
    static void writeBytes(Jedis m, long bytes) {
        String v = "x".repeat(1000);
        var p = m.pipelined();
        for (long i = 0; i * 1000 < bytes; i++) p.set("big" + i, v);
        p.sync();
    }

    @ParameterizedTest(name = "starlingPrimary={0}")
    @ValueSource(booleans = {false, true})
    void shutdown_laggingReplica_waitsShutdownTimeoutThenExits(boolean starling) {
        try (ServerProcess p = primary(starling, "--shutdown-timeout", "3");
             ServerProcess r = ServerProcess.starling();
             Jedis m = p.jedis(); Jedis s = r.jedis(); Jedis reader = p.jedis();
             RespClient shut = p.raw(); RespClient write = p.raw()) {
            attach(m, s, p.port);
            r.signal("STOP");
            m.set("after-stop", "1");
            long start = System.nanoTime();
            shut.send(RespClient.encode(RespClient.args("SHUTDOWN")));
            await().atMost(LONG).until(() -> p.log().contains("Waiting for replicas before shutting down."));
            Map<String, String> server = info(reader, "server");
            assertThat(Long.parseLong(server.get("shutdown_in_milliseconds"))).isBetween(1L, 3000L);
            assertThat(stat(reader, "clients", "blocked_clients")).isEqualTo(1);
            // Reads go on, writes wait (CLIENT PAUSE WRITE) and count as blocked.
            assertThat(reader.get("after-stop")).isEqualTo("1");
            write.send(RespClient.encode(RespClient.args("SET", "during-wait", "1")));
            await().atMost(LONG).until(() -> stat(reader, "clients", "blocked_clients") == 2);
            awaitExit(p);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).isBetween(2900L, 8000L);
            assertThat(shut.isClosedByPeer()).isTrue();
            assertThat(write.isClosedByPeer()).isTrue();
            String log = p.log();
            assertThat(log).containsPattern("Lagging replica 127\\.0\\.0\\.1:" + r.port + " reported offset \\d+ behind master, lag=\\d+, state=online\\.")
                    .contains("0 of 1 replicas are in sync when shutting down.", "is now ready to exit, bye bye...");
            r.signal("CONT");
        }
    }

    @ParameterizedTest(name = "starlingPrimary={0}")
    @ValueSource(booleans = {false, true})
    void shutdownAbort_cancelsTheWait_blockedShutdownsGetTheError(boolean starling) throws Exception {
        try (ServerProcess p = primary(starling, "--shutdown-timeout", "60");
             ServerProcess r = ServerProcess.starling();
             Jedis m = p.jedis(); Jedis s = r.jedis();
             RespClient a = p.raw(); RespClient b = p.raw(); RespClient w = p.raw(); RespClient admin = p.raw()) {
            attach(m, s, p.port);
            r.signal("STOP");
            m.set("x", "1");
            a.send(RespClient.encode(RespClient.args("SHUTDOWN")));
            await().atMost(LONG).until(() -> p.log().contains("Waiting for replicas before shutting down."));
            b.send(RespClient.encode(RespClient.args("SHUTDOWN", "NOSAVE", "NOW")));
            w.send(RespClient.encode(RespClient.args("INCR", "x")));
            await().atMost(LONG).until(() -> stat(m, "clients", "blocked_clients") == 3);
            assertThat(admin.callString("SHUTDOWN", "ABORT")).isEqualTo("+OK\r\n");
            assertThat(a.readReplyString()).isEqualTo("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
            assertThat(b.readReplyString()).isEqualTo("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
            assertThat(w.readReplyString()).isEqualTo(":2\r\n");
            assertThat(admin.callString("SHUTDOWN", "ABORT")).isEqualTo("-ERR No shutdown in progress.\r\n");
            assertThat(info(m, "server")).doesNotContainKey("shutdown_in_milliseconds");
            assertThat(p.log()).contains("Shutdown manually aborted.");
            assertThat(p.log().split("User requested shutdown\\.\\.\\.", -1)).hasSize(2); // the second SHUTDOWN logs nothing
            r.signal("CONT");
            // This one waits until the replica acknowledged everything, GETACK included.
            p.shutdown();
            assertThat(p.log()).contains("1 of 1 replicas are in sync when shutting down.");
        }
    }

    @ParameterizedTest(name = "starlingPrimary={0}")
    @ValueSource(booleans = {false, true})
    void sigterm_laggingReplica_waitsThenHonoursShutdownOnSigterm(boolean starling) {
        try (ServerProcess p = primary(starling, "--shutdown-timeout", "2", "--shutdown-on-sigterm", "save");
             ServerProcess r = ServerProcess.starling();
             Jedis m = p.jedis(); Jedis s = r.jedis()) {
            attach(m, s, p.port);
            r.signal("STOP");
            m.set("y", "1");
            long start = System.nanoTime();
            p.signal("TERM");
            awaitExit(p);
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(1900L);
            assertThat(p.log()).contains("Received SIGTERM scheduling shutdown...", "Waiting for replicas before shutting down.",
                    "0 of 1 replicas are in sync when shutting down.", "Saving the final RDB snapshot before exiting.");
            assertThat(p.dir.resolve("dump.rdb")).exists();
            r.signal("CONT");
        }
    }

    /**
     * The point of the wait: a primary restarted (SHUTDOWN or SIGTERM, saving) while clients keep
     * writing leaves its replica exactly at the saved offset, so it continues with +CONTINUE.
     */
    @ParameterizedTest(name = "starlingPrimary={0}, starlingReplica={1}, how={2}")
    @CsvSource({"false,false,SHUTDOWN", "true,true,SHUTDOWN", "true,false,SHUTDOWN", "false,true,SIGTERM", "true,true,SIGTERM",
            "true,false,SIGTERM"})
    void primaryRestartUnderWriteLoad_replicaResyncsPartially(boolean starlingPrimary, boolean starlingReplica, String how) throws Exception {
        // A backlog the writes between the restart and the replica's reconnection fit in.
        try (ServerProcess p = primary(starlingPrimary, "--shutdown-on-sigterm", "save", "--repl-backlog-size", "200mb");
             ServerProcess r = starlingReplica ? ServerProcess.starling() : ServerProcess.redis();
             Jedis s = r.jedis()) {
            try (Jedis m = p.jedis()) {
                attach(m, s, p.port);
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong acked = new AtomicLong();
            Thread writer = new Thread(() -> {
                while (!stop.get()) {
                    try (Jedis w = new Jedis("127.0.0.1", p.port, 5_000)) {
                        while (!stop.get()) {
                            w.incr("counter");
                            w.rpush("list", "e");
                            w.set("k" + (acked.get() % 500), "v".repeat(100));
                            acked.incrementAndGet();
                        }
                    } catch (RuntimeException down) {
                        pause(20); // the primary is restarting
                    }
                }
            });
            writer.start();
            await().atMost(LONG).until(() -> acked.get() > 2000);
            if (how.equals("SHUTDOWN")) p.shutdown("SAVE");
            else {
                p.signal("TERM");
                awaitExit(p);
            }
            p.start();
            try (Jedis m = p.jedis()) {
                await().atMost(LONG).until(() -> stat(m, "stats", "sync_partial_ok") == 1);
                assertThat(stat(m, "stats", "sync_full")).isZero();
                await().atMost(LONG).until(() -> acked.get() > 4000);
                stop.set(true);
                writer.join();
                awaitCaughtUp(m, s);
                assertThat(s.get("counter")).isEqualTo(m.get("counter"));
                assertThat(s.llen("list")).isEqualTo(m.llen("list"));
            }
            assertSameKeyspace(p.port, r.port);
            assertThat(p.log()).contains("1 of 1 replicas are in sync when shutting down.");
        }
    }

    /**
     * INFO memory with a stopped replica: the replication buffer beyond repl-backlog-size is the
     * replicas' (mem_clients_slaves), the rest the backlog's, as Redis 7.0 splits it.
     */
    @ParameterizedTest(name = "starlingPrimary={0}")
    @ValueSource(booleans = {false, true})
    void infoMemory_laggingReplica_bufferBeyondBacklogIsTheReplicas(boolean starling) {
        try (ServerProcess p = primary(starling, "--repl-backlog-size", "1mb", "--client-output-buffer-limit", "replica 0 0 0");
             ServerProcess r = ServerProcess.starling();
             Jedis m = p.jedis(); Jedis s = r.jedis()) {
            attach(m, s, p.port);
            Map<String, String> idle = info(m, "memory");
            assertThat(Long.parseLong(idle.get("mem_clients_slaves"))).isZero();
            r.signal("STOP");
            // Enough to fill the socket buffers on both sides and then the backlog well past its size.
            writeBytes(m, 40L << 20);
            await().atMost(LONG).until(() -> Long.parseLong(info(m, "memory").get("mem_clients_slaves")) > 0);
            Map<String, String> mem = info(m, "memory");
            long total = Long.parseLong(mem.get("mem_total_replication_buffers"));
            long slaves = Long.parseLong(mem.get("mem_clients_slaves"));
            long backlog = Long.parseLong(mem.get("mem_replication_backlog"));
            assertThat(slaves).isEqualTo(total - (1 << 20));
            assertThat(backlog - (1 << 20)).isBetween(0L, 4096L); // the size plus the block index's estimate
            r.signal("CONT");
            awaitCaughtUp(m, s);
            // Caught up, the backlog is trimmed back to its size; what is left over is under one block.
            m.set("trigger-trim", "1");
            await().atMost(LONG).until(() -> Long.parseLong(info(m, "memory").get("mem_clients_slaves")) < 128 * 1024);
        }
    }

    /** instantaneous_output_repl_kbps on the primary and instantaneous_input_repl_kbps on the replica follow the stream. */
    @ParameterizedTest(name = "starlingPrimary={0}")
    @ValueSource(booleans = {false, true})
    void instantaneousReplKbps_underLoad_positive(boolean starling) {
        try (ServerProcess p = primary(starling);
             ServerProcess r = ServerProcess.starling();
             Jedis m = p.jedis(); Jedis s = r.jedis()) {
            attach(m, s, p.port);
            String stats = m.info("stats");
            assertThat(stats.indexOf("instantaneous_output_kbps:")).isLessThan(stats.indexOf("instantaneous_input_repl_kbps:"));
            assertThat(stats.indexOf("instantaneous_input_repl_kbps:")).isLessThan(stats.indexOf("instantaneous_output_repl_kbps:"));
            await().atMost(LONG).until(() -> {
                writeBytes(m, 1 << 20);
                return Double.parseDouble(info(m, "stats").get("instantaneous_output_repl_kbps")) > 0
                        && Double.parseDouble(info(s, "stats").get("instantaneous_input_repl_kbps")) > 0;
            });
        }
    }

    static void awaitExit(ServerProcess p) {
        await().atMost(LONG).until(() -> !p.alive());
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
