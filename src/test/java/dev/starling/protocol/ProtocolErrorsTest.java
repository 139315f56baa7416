package dev.starling.protocol;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Malformed requests get Redis 7.0's exact error and the connection is closed, as Redis does. */
class ProtocolErrorsTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "*x\r\n",
            "*3000000000\r\n",
            "*1\r\nx\r\n",
            "*1\r\n$-5\r\n",
            "*1\r\n$abc\r\n",
            "*1\r\n$600000000\r\n",
            "\"unbalanced\r\n",
            "'a'b\r\n",
    })
    void malformedRequest_getsRedisErrorAndClose(String request) {
        try (RespClient ours = diff.starling.raw(); RespClient theirs = diff.redis.raw()) {
            byte[] b = request.getBytes(StandardCharsets.ISO_8859_1);
            ours.send(b);
            theirs.send(b);
            assertThat(ours.readReplyString()).isEqualTo(theirs.readReplyString());
            assertThat(ours.isClosedByPeer()).isTrue();
            assertThat(theirs.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void tooBigInlineRequest_getsRedisError() {
        try (RespClient ours = diff.starling.raw(); RespClient theirs = diff.redis.raw()) {
            byte[] b = "a".repeat(70 * 1024).getBytes(StandardCharsets.ISO_8859_1);
            ours.send(b);
            theirs.send(b);
            assertThat(ours.readReplyString()).isEqualTo(theirs.readReplyString())
                    .isEqualTo("-ERR Protocol error: too big inline request\r\n");
        }
    }

    @Test
    void tooBigMultibulkCount_getsRedisError() {
        try (RespClient ours = diff.starling.raw(); RespClient theirs = diff.redis.raw()) {
            byte[] b = ("*" + "1".repeat(70 * 1024)).getBytes(StandardCharsets.ISO_8859_1);
            ours.send(b);
            theirs.send(b);
            assertThat(ours.readReplyString()).isEqualTo(theirs.readReplyString());
        }
    }

    @Test
    void commandsBeforeAnError_stillExecute() {
        try (RespClient ours = diff.starling.raw(); RespClient theirs = diff.redis.raw()) {
            byte[] b = "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n!\r\n".getBytes(StandardCharsets.ISO_8859_1);
            ours.send(b);
            theirs.send(b);
            for (int i = 0; i < 3; i++) assertThat(ours.readReplyString()).isEqualTo(theirs.readReplyString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "PING\r\n",
            "  PING   \r\n",
            "ECHO \"a\\x41\\n\"\r\n",
            "ECHO 'it\\'s'\r\n",
            "\r\nPING\n",
            "*0\r\nPING\r\n",
            "*-1\r\nPING\r\n",
            "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    })
    void validInlineAndEdgeRequests_replyAsRedis(String request) {
        diff.sameRaw(request);
    }

    @Test
    void commandSplitAcrossManyWrites_isAssembled() {
        try (RespClient ours = diff.starling.raw()) {
            byte[] req = RespClient.encode(RespClient.args("ECHO", "x".repeat(100_000)));
            for (int i = 0; i < req.length; i += 777) {
                ours.send(java.util.Arrays.copyOfRange(req, i, Math.min(req.length, i + 777)));
            }
            assertThat(ours.readReplyString()).hasSize(100_000 + "$100000\r\n\r\n".length());
        }
    }

    @Test
    void unknownCommand_errorMatchesRedis() {
        diff.same("NOSUCHCOMMAND", "a", "b");
        diff.same("nosuch", "x".repeat(200));
        diff.same("GET");
        diff.same("get", "a", "b");
    }
}
