package dev.starling.pubsub;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RESTORE's and DUMP's keyspace notifications ("restore", "new", "del", "keymiss") and dirty
 * counts, step by step against redis-server 7.0: a new key, REPLACE, a TTL in the past with and
 * without a key to replace, BUSYKEY and bad payloads (nothing happens), DUMP of a missing key.
 */
class DumpRestoreEventsDifferentialTest {
    static Differential diff;
    NotificationDiff n;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void clean() {
        diff.flushAll();
    }

    @AfterEach
    void checkInvariants() {
        if (n != null) {
            n.configSet("notify-keyspace-events", "");
            n.close();
            n = null;
        }
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    static Stream<Arguments> settings() {
        return Stream.of(Arguments.of("KEA", 2), Arguments.of("KEA", 3), Arguments.of("Eg", 2), Arguments.of("Kgn", 3),
                Arguments.of("Em", 2), Arguments.of("Kh", 2));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] payload(String... build) {
        diff.same(build);
        String r = diff.same("DUMP", build[1]);
        diff.same("DEL", build[1]);
        int eol = r.indexOf("\r\n");
        return Arrays.copyOfRange(b(r), eol + 2, b(r).length - 2);
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void restore_eventsAndDirty_likeRedis(String flags, int resp) {
        byte[] hash = payload("HSET", "h", "f", "v", "g", "w");
        byte[] str = payload("SET", "s", "hello");
        n = new NotificationDiff(diff, flags, resp);
        n.step(b("RESTORE"), b("k"), b("0"), hash);
        n.step(b("RESTORE"), b("k"), b("0"), hash);
        n.step(b("RESTORE"), b("k"), b("0"), str, b("REPLACE"));
        n.step(b("RESTORE"), b("t"), b("100000"), str);
        n.step(b("RESTORE"), b("k"), b("1"), hash, b("REPLACE"), b("ABSTTL"));
        n.step(b("RESTORE"), b("gone"), b("1"), hash, b("ABSTTL"));
        n.step(b("RESTORE"), b("x"), b("0"), Arrays.copyOf(hash, hash.length - 1));
        n.step(b("RESTORE"), b("x"), b("0"), b("\u0004\u0000\n\u0000") );
        n.step(b("RESTORE"), b("t"), b("0"), str, b("REPLACE"), b("IDLETIME"), b("10"));
        n.step("EXISTS", "k");
        n.step("EXISTS", "gone");
        n.step("TTL", "t");
        n.step("DUMP", "t");
        n.step("DUMP", "missing");
        n.step("DEL", "t");
    }
}
