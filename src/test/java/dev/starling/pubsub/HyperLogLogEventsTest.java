package dev.starling.pubsub;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Keyspace notifications and server.dirty of PFADD, PFCOUNT, PFMERGE and PFDEBUG, step by step
 * against redis-server 7.0: a PFCOUNT that rewrites the cache counts one change and publishes
 * nothing, PFMERGE publishes "pfadd", PFDEBUG's conversions count a change silently.
 */
class HyperLogLogEventsTest {
    static Differential diff;
    NotificationDiff n;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void clean() {
        diff.flushAll();
        diff.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    }

    @AfterEach
    void checkInvariants() {
        if (n != null) {
            n.configSet("notify-keyspace-events", "");
            n.close();
            n = null;
        }
        diff.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    static Stream<Arguments> settings() {
        return Stream.of(Arguments.of("KEA", 2), Arguments.of("KEAnm", 3), Arguments.of("E$", 2), Arguments.of("Kgn", 2));
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void hllCommands_eachStep_sameEventsAndDirty(String flags, int resp) {
        n = new NotificationDiff(diff, flags, resp);
        n.step("PFADD", "h", "a", "b", "c");
        n.step("PFADD", "h", "a", "b");
        n.step("PFADD", "h", "a", "d", "e", "f");
        n.step("PFADD", "h");
        n.step("PFADD", "empty");
        n.step("PFCOUNT", "h");
        n.step("PFCOUNT", "h");
        n.step("PFCOUNT", "h", "empty", "missing");
        n.step("PFCOUNT", "missing");
        n.step("PFMERGE", "m", "h", "empty");
        n.step("PFMERGE", "m");
        n.step("PFMERGE", "m2", "missing");
        n.step("PFDEBUG", "ENCODING", "h");
        n.step("PFDEBUG", "DECODE", "h");
        n.step("PFDEBUG", "GETREG", "h");
        n.step("PFDEBUG", "TODENSE", "m");
        n.step("PFDEBUG", "TODENSE", "m");
        n.step("PFADD", "m", "x", "y");
        n.step("PFCOUNT", "m");
        n.step("PFADD", "r", "e2119568080"); // a register run too long for sparse: promoted
        n.step("SET", "s", "x");
        n.step("PFADD", "s", "a");
        n.step("PFMERGE", "s", "h");
        n.step("PFCOUNT", "s");
        n.step("SET", "bad", "HYLL\u0001\0\0\0\0\0\0\0\0\0\0\0\u007f\u007e"); // 16255 registers: corrupt
        n.step("PFADD", "bad", "a", "b", "c");
        n.step("PFCOUNT", "bad");
        n.step("PFMERGE", "bad2", "bad");
        n.step("PEXPIRE", "h", "2");
        // Both servers set the TTL before replying, so the key is past it 2 ms after the reply.
        long expired = System.currentTimeMillis() + 2;
        await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > expired + 1);
        n.step("PFADD", "h", "z"); // expired first: "expired", then a new key
        n.step("MULTI");
        n.step("PFADD", "q", "1", "2");
        n.step("PFCOUNT", "q");
        n.step("PFMERGE", "q2", "q");
        n.step("EXEC");
    }
}
