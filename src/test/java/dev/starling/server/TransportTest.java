package dev.starling.server;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.Jedis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The network paths that differ between Netty's transports (reads, the direct reply write and its
 * fallback under back-pressure, closing, the replica's outgoing link), on every transport this
 * machine has, whichever one the suite runs on (-Dstarling.transport).
 */
class TransportTest {
    @ParameterizedTest
    @EnumSource(Transport.class)
    void pipeline_thousandCommandsInOneWrite_repliesInOrder(Transport t) {
        assumeThat(t.isAvailable()).isTrue();
        try (ServerFixture s = ServerFixture.start(t); RespClient c = s.raw()) {
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                req.writeBytes(RespClient.encode(RespClient.args("SET", "k" + i, "v" + i)));
                req.writeBytes(RespClient.encode(RespClient.args("GET", "k" + i)));
            }
            c.send(req.toByteArray());
            for (int i = 0; i < 1000; i++) {
                assertThat(c.readReplyString()).isEqualTo("+OK\r\n");
                assertThat(c.readReplyString()).isEqualTo("$" + ("v" + i).length() + "\r\nv" + i + "\r\n");
            }
            s.onExecutor(() -> assertThat(s.server.keyspace.validate()).isNull());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void largeReplies_clientNotReading_queueAndArriveIntact(Transport t) {
        assumeThat(t.isAvailable()).isTrue();
        byte[] big = new byte[4 << 20];
        for (int i = 0; i < big.length; i++) big[i] = (byte) ('a' + i % 26);
        try (ServerFixture s = ServerFixture.start(t); Jedis j = s.jedis(); RespClient c = s.raw()) {
            j.set("big".getBytes(StandardCharsets.US_ASCII), big);
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            for (int i = 0; i < 4; i++) {
                req.writeBytes(RespClient.encode(RespClient.args("GET", "big")));
                req.writeBytes(RespClient.encode(RespClient.args("PING")));
            }
            c.send(req.toByteArray());
            // The socket cannot take 16 MB: the rest waits in Netty's outbound buffer.
            await().atMost(Duration.ofSeconds(10)).until(() -> outputBytes(s, j) > 0);
            for (int i = 0; i < 4; i++) {
                byte[] r = c.readReply();
                int head = ("$" + big.length + "\r\n").length();
                assertThat(r.length).isEqualTo(head + big.length + 2);
                assertThat(Arrays.equals(r, head, head + big.length, big, 0, big.length)).isTrue();
                assertThat(c.readReplyString()).isEqualTo("+PONG\r\n");
            }
            assertThat(c.callString("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void outputBufferLimit_exceeded_disconnectsClient(Transport t) {
        assumeThat(t.isAvailable()).isTrue();
        try (ServerFixture s = ServerFixture.start(t, "--client-output-buffer-limit", "normal 1mb 1mb 0");
             Jedis j = s.jedis(); RespClient c = s.raw()) {
            j.set("v", "x".repeat(1 << 20));
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            for (int i = 0; i < 64; i++) req.writeBytes(RespClient.encode(RespClient.args("GET", "v")));
            c.send(req.toByteArray());
            await().atMost(Duration.ofSeconds(10)).until(() -> j.clientList().split("\n").length == 1);
            assertThat(j.ping()).isEqualTo("PONG");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void clientKill_closesTheConnection(Transport t) {
        assumeThat(t.isAvailable()).isTrue();
        try (ServerFixture s = ServerFixture.start(t); Jedis j = s.jedis(); RespClient c = s.raw(); RespClient k = s.raw()) {
            String id = c.callString("CLIENT", "ID");
            assertThat(k.callString("CLIENT", "KILL", "ID", id.substring(1, id.length() - 2))).isEqualTo(":1\r\n");
            assertThat(c.isClosedByPeer()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> j.clientList().split("\n").length == 2);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void replicaLink_syncsAndStreams(Transport t) {
        assumeThat(t.isAvailable()).isTrue();
        try (ServerFixture m = ServerFixture.start(t, "--repl-diskless-sync-delay", "0"); ServerFixture r = ServerFixture.start(t);
             Jedis mj = m.jedis(); Jedis rj = r.jedis()) {
            mj.set("before", "1");
            rj.replicaof("127.0.0.1", m.port());
            mj.set("after", "2");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "2".equals(rj.get("after")) && "1".equals(rj.get("before")));
            assertThat(rj.info("replication")).contains("master_link_status:up");
        }
    }

    /** Bytes waiting to be sent to the client other than j (CLIENT LIST omem of the other one). */
    private static long outputBytes(ServerFixture s, Jedis j) {
        AtomicLong n = new AtomicLong();
        s.onExecutor(() -> {
            for (Client cl : s.server.clients.values()) n.addAndGet(cl.outputBytes());
        });
        return n.get();
    }
}
