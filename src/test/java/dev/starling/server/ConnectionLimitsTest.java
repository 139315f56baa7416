package dev.starling.server;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectionLimitsTest {
    @Test
    void deepPipeline_allRepliesArriveInOrder() {
        try (ServerFixture s = ServerFixture.start(); RespClient c = s.raw()) {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            int n = 100_000;
            for (int i = 0; i < n; i++) wire.writeBytes(RespClient.encode(RespClient.args("ECHO", Integer.toString(i))));
            c.send(wire.toByteArray());
            for (int i = 0; i < n; i++) {
                String v = Integer.toString(i);
                assertThat(c.readReplyString()).isEqualTo("$" + v.length() + "\r\n" + v + "\r\n");
            }
        }
    }

    @Test
    void queryBufferOverLimit_closesTheClient_andLogsRedisLine() {
        try (ServerFixture s = ServerFixture.start("--client-query-buffer-limit", "1mb"); RespClient c = s.raw();
             RespClient other = s.raw()) {
            // A bulk announced at 2 MB exceeds the 1 MB query buffer limit once it is being read.
            c.send("*2\r\n$4\r\nECHO\r\n$2000000\r\n".getBytes(StandardCharsets.US_ASCII));
            c.send(new byte[1_100_000]);
            assertThat(c.isClosedByPeer()).isTrue();
            assertThat(other.callString("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void maxclients_refusesTheExtraConnection_withRedisError() {
        try (ServerFixture s = ServerFixture.start("--maxclients", "2"); RespClient a = s.raw(); RespClient b = s.raw()) {
            assertThat(a.callString("PING")).isEqualTo("+PONG\r\n");
            assertThat(b.callString("PING")).isEqualTo("+PONG\r\n");
            try (RespClient c = s.raw()) {
                assertThat(c.readReplyString()).isEqualTo("-ERR max number of clients reached\r\n");
                assertThat(c.isClosedByPeer()).isTrue();
            }
        }
    }
}
