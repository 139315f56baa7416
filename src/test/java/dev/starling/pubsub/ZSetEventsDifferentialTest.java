package dev.starling.pubsub;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keyspace notifications and server.dirty of every sorted set command, step by step against
 * redis-server 7.0 ({@link NotificationDiff}): zadd, zincr, zrem, zremrangeby*, zpopmin/zpopmax,
 * the store commands, and "del" where a command empties or clears a key, in both encodings, under
 * several notify-keyspace-events settings and RESP2/RESP3 subscribers.
 */
class ZSetEventsDifferentialTest {
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
            n.configSet("zset-max-listpack-entries", "128");
            n.close();
            n = null;
        }
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    static Stream<Arguments> settings() {
        return Stream.of(
                Arguments.of("KEA", 2, "128"),
                Arguments.of("KEA", 3, "0"),
                Arguments.of("Kz", 2, "0"),
                Arguments.of("Egz", 3, "128"),
                Arguments.of("Kg", 2, "128"),
                Arguments.of("A", 2, "128")); // no K or E: nothing is published
    }

    @ParameterizedTest(name = "{0} RESP{1} entries {2}")
    @MethodSource("settings")
    void zsetCommands_sameNotificationsAndDirty(String flags, int resp, String entries) {
        n = new NotificationDiff(diff, flags, resp);
        n.configSet("zset-max-listpack-entries", entries);
        n.step("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        n.step("ZADD", "z", "1", "a");
        n.step("ZADD", "z", "NX", "9", "a", "5", "e");
        n.step("ZADD", "z", "XX", "CH", "9", "a", "5", "nosuch");
        n.step("ZADD", "z", "GT", "1", "b");
        n.step("ZADD", "z", "INCR", "1", "a");
        n.step("ZADD", "z", "INCR", "NX", "1", "a");
        n.step("ZINCRBY", "z", "0", "a");
        n.step("ZINCRBY", "z", "2.5", "b");
        n.step("ZINCRBY", "z", "1", "new");
        n.step("ZADD", "z", "1", "x", "nan", "y");
        n.step("ZADD", "i", "inf", "a");
        n.step("ZADD", "i", "INCR", "-inf", "a");
        n.step("ZADD", "nokey", "XX", "1", "a");
        n.step("ZREM", "z", "nosuch");
        n.step("ZREM", "z", "new", "nosuch");
        n.step("ZREMRANGEBYRANK", "z", "0", "0");
        n.step("ZREMRANGEBYRANK", "z", "100", "200");
        n.step("ZREMRANGEBYSCORE", "z", "100", "200");
        n.step("ZREMRANGEBYSCORE", "z", "3", "(4.5");
        n.step("ZADD", "l", "0", "a", "0", "b", "0", "c");
        n.step("ZREMRANGEBYLEX", "l", "[a", "[a");
        n.step("ZREMRANGEBYLEX", "l", "[x", "+");
        n.step("ZREMRANGEBYLEX", "l", "-", "+");
        n.step("ZPOPMIN", "z");
        n.step("ZPOPMAX", "z", "0");
        n.step("ZPOPMAX", "z", "2");
        n.step("ZPOPMIN", "nokey");
        n.step("ZPOPMIN", "z", "10");
        n.step("ZADD", "m", "1", "a", "2", "b", "3", "c");
        n.step("ZMPOP", "2", "nokey", "m", "MAX");
        n.step("ZMPOP", "1", "m", "MIN", "COUNT", "5");
        n.step("ZADD", "u", "1", "a", "2", "b");
        n.step("ZADD", "v", "2", "b", "3", "c");
        n.step("ZUNIONSTORE", "dst", "2", "u", "v");
        n.step("ZINTERSTORE", "dst", "2", "u", "v");
        n.step("ZDIFFSTORE", "dst", "2", "u", "v");
        n.step("ZINTERSTORE", "dst", "2", "u", "nokey");
        n.step("ZINTERSTORE", "dst", "2", "u", "nokey");
        n.step("ZRANGESTORE", "dst", "u", "0", "0");
        n.step("ZRANGESTORE", "dst", "u", "5", "6");
        n.step("ZRANGESTORE", "dst", "u", "5", "6");
        n.step("ZRANGESTORE", "dst", "nokey", "0", "-1");
        n.step("ZUNION", "2", "u", "v");
        n.step("ZRANGE", "u", "0", "-1");
        n.step("ZRANDMEMBER", "u", "10");
        n.step("COPY", "u", "u2");
        n.step("RENAME", "u2", "u3");
        n.step("DEL", "u3");
        n.step("ZREMRANGEBYRANK", "u", "0", "-1");
        n.step("SET", "s", "x");
        n.step("ZADD", "s", "1", "a");
        n.step("ZUNIONSTORE", "s", "1", "v");
        n.step("TYPE", "s");
    }
}
