package dev.starling.pubsub;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Keyspace notifications and server.dirty, command by command against redis-server 7.0: every
 * event name of the string, bit, HyperLogLog, generic and transaction commands under several
 * notify-keyspace-events settings (each class character, K and E apart, and the n and m extras
 * that A leaves out), to RESP2 and RESP3 subscribers. Each step also compares the change of
 * rdb_changes_since_last_save.
 */
class KeyspaceNotificationsDifferentialTest {
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
        diff.same("SELECT", "0");
        diff.flushAll();
        // Only the commands below expire keys: the background cycle would race the comparison.
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
        return Stream.of(
                Arguments.of("KEA", 2),
                Arguments.of("KEAnm", 2),
                Arguments.of("KEAnm", 3),
                Arguments.of("Kg", 2),
                Arguments.of("E$", 2),
                Arguments.of("Kx", 2),
                Arguments.of("Em", 2),
                Arguments.of("Kn", 3),
                Arguments.of("K$gxn", 2),
                Arguments.of("A", 2)); // no K or E: nothing is published
    }

    private void open(String flags, int resp) {
        n = new NotificationDiff(diff, flags, resp);
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void stringCommands_eachEvent_sameNotificationsAndDirty(String flags, int resp) {
        open(flags, resp);
        n.step("SET", "k", "v");
        n.step("SET", "k", "v2");
        n.step("SET", "k", "v", "EX", "100");
        n.step("SET", "k", "v", "PX", "100000");
        n.step("SET", "k", "v", "KEEPTTL");
        n.step("SET", "k", "v", "EXAT", "99999999999");
        n.step("SET", "k", "v", "NX");
        n.step("SET", "k2", "v", "XX");
        n.step("SET", "k", "v3", "GET");
        n.step("SET", "missing", "v", "GET");
        n.step("SET", "k", "v", "NX", "GET");
        n.step("SET", "k", "v", "PXAT", "1");
        n.step("EXISTS", "k");
        n.step("SET", "k", "v", "EX", "0");
        n.step("SETNX", "nx", "1");
        n.step("SETNX", "nx", "2");
        n.step("SETEX", "ex", "100", "v");
        n.step("PSETEX", "px", "100000", "v");
        n.step("GETEX", "ex", "EX", "200");
        n.step("GETEX", "ex", "PERSIST");
        n.step("GETEX", "ex", "PERSIST");
        n.step("GETEX", "ex");
        n.step("GETEX", "ex", "PXAT", "1");
        n.step("GETEX", "missing2");
        n.step("GETEX", "px", "EXAT", "99999999999");
        n.step("GETDEL", "px");
        n.step("GETDEL", "px");
        n.step("GETSET", "gs", "1");
        n.step("GETSET", "gs", "2");
        n.step("MSET", "a", "1", "b", "2", "a", "3");
        n.step("MSETNX", "c", "1", "d", "2");
        n.step("MSETNX", "a", "1", "e", "2");
        n.step("APPEND", "ap", "x");
        n.step("APPEND", "ap", "yz");
        n.step("APPEND", "ap", "");
        n.step("SETRANGE", "sr", "0", "");
        n.step("SETRANGE", "sr", "3", "x");
        n.step("SETRANGE", "sr", "0", "");
        n.step("SETRANGE", "sr", "1", "yy");
        n.step("SETRANGE", "sr", "1", "yy");
        n.step("INCR", "i");
        n.step("DECR", "i");
        n.step("INCRBY", "i", "10");
        n.step("DECRBY", "i", "3");
        n.step("INCRBYFLOAT", "f", "1.5");
        n.step("INCRBYFLOAT", "f", "0");
        n.step("INCR", "k");
        n.step("INCRBYFLOAT", "k", "1");
        n.step("GET", "k");
        n.step("GET", "nope");
        n.step("MGET", "a", "nope", "b", "nope2");
        n.step("STRLEN", "nope");
        n.step("GETRANGE", "nope", "0", "1");
        n.step("SUBSTR", "a", "0", "1");
        n.step("LCS", "a", "nope");
        n.step("SET", "k", "v", "BADOPT");
        n.step("SETEX", "k", "-1", "v");
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void bitCommands_eachEvent_sameNotificationsAndDirty(String flags, int resp) {
        open(flags, resp);
        n.step("SETBIT", "b", "7", "1");
        n.step("SETBIT", "b", "7", "1");
        n.step("SETBIT", "b", "7", "0");
        n.step("SETBIT", "b", "100", "0");
        n.step("SETBIT", "b", "100", "0");
        n.step("GETBIT", "nope", "1");
        n.step("BITCOUNT", "nope");
        n.step("BITPOS", "nope", "1");
        n.step("SET", "x", "abc");
        n.step("SET", "y", "xyz");
        n.step("BITOP", "AND", "dest", "x", "y");
        n.step("BITOP", "OR", "dest", "x", "nope");
        n.step("BITOP", "XOR", "dest", "nope", "nope2");
        n.step("BITOP", "NOT", "dest", "nope");
        n.step("BITOP", "NOT", "dest2", "x");
        n.step("BITFIELD", "bf", "SET", "u8", "0", "0", "SET", "u8", "8", "0");
        n.step("BITFIELD", "bf", "SET", "u8", "0", "0");
        n.step("BITFIELD", "bf", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "0", "GET", "u8", "0");
        n.step("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300");
        n.step("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "300", "INCRBY", "i8", "0", "300");
        n.step("BITFIELD", "bf", "SET", "i8", "0", "200", "SET", "i8", "0", "200");
        n.step("BITFIELD", "nf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300");
        n.step("EXISTS", "nf");
        n.step("BITFIELD", "nope", "GET", "u8", "0");
        n.step("BITFIELD_RO", "nope3", "GET", "u8", "0");
        n.step("BITFIELD_RO", "bf", "GET", "u8", "0");
        n.step("SET", "t", "abc", "PXAT", "1");
        n.step("BITOP", "AND", "t", "nope", "nope2");
        n.step("SET", "t", "abc", "PXAT", "1");
        n.step("SETBIT", "t", "1", "1");
        n.step("SET", "t", "abc", "PXAT", "1");
        n.step("BITFIELD", "t", "SET", "u8", "0", "0");
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void keyCommands_eachEvent_sameNotificationsAndDirty(String flags, int resp) {
        open(flags, resp);
        n.step("MSET", "a", "1", "b", "2", "c", "3");
        n.step("DEL", "a", "a", "nope");
        n.step("UNLINK", "b", "nope");
        n.step("EXISTS", "c", "nope");
        n.step("TYPE", "nope");
        n.step("TYPE", "c");
        n.step("TOUCH", "c", "nope");
        n.step("TTL", "nope");
        n.step("PTTL", "c");
        n.step("EXPIRETIME", "nope");
        n.step("PEXPIRETIME", "c");
        n.step("OBJECT", "ENCODING", "nope");
        n.step("OBJECT", "ENCODING", "c");
        n.step("OBJECT", "REFCOUNT", "nope");
        n.step("EXPIRE", "c", "100");
        n.step("EXPIRE", "c", "100", "NX");
        n.step("EXPIRE", "c", "200", "GT");
        n.step("PEXPIRE", "c", "300000");
        n.step("EXPIREAT", "c", "99999999999");
        n.step("PEXPIREAT", "c", "99999999999999");
        n.step("EXPIRE", "nope", "10");
        n.step("PERSIST", "c");
        n.step("PERSIST", "c");
        n.step("PERSIST", "nope");
        n.step("EXPIRE", "c", "-1");
        n.step("SET", "r", "1");
        n.step("RENAME", "r", "r2");
        n.step("RENAME", "r2", "r2");
        n.step("SET", "r3", "x", "EX", "100");
        n.step("RENAME", "r3", "r2");
        n.step("RENAMENX", "r2", "r4");
        n.step("SET", "r5", "1");
        n.step("RENAMENX", "r4", "r5");
        n.step("RENAME", "nope", "r6");
        n.step("MOVE", "r4", "1");
        n.step("MOVE", "r4", "1");
        n.step("MOVE", "r5", "0");
        n.step("SET", "cp", "v", "PX", "100000");
        n.step("COPY", "cp", "cp2");
        n.step("COPY", "cp", "cp2");
        n.step("COPY", "cp", "cp2", "REPLACE");
        n.step("COPY", "cp", "cp3", "DB", "2");
        n.step("COPY", "nope", "cp4");
        n.step("SWAPDB", "0", "1");
        n.step("SWAPDB", "0", "0");
        n.step("SWAPDB", "0", "1");
        n.step("SELECT", "1");
        n.step("SET", "db1key", "v");
        n.step("DEL", "db1key");
        n.step("SELECT", "0");
        n.step("DBSIZE");
        n.step("DEBUG", "POPULATE", "3", "pop");
        n.step("DEBUG", "POPULATE", "4", "pop");
        n.stepUnordered("KEYS", "*");
        n.step("FLUSHDB");
        n.step("MSET", "a", "1", "b", "2");
        n.step("FLUSHALL");
        n.step("FLUSHALL");
        n.step("FLUSHDB", "ASYNC");
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void hyperLogLogCommands_eachEvent_sameNotificationsAndDirty(String flags, int resp) {
        // PFCOUNT rewriting the cache counts a change and publishes nothing; PFMERGE publishes
        // "pfadd"; PFDEBUG's conversions count a change silently.
        open(flags, resp);
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

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void lazyExpiry_everyAccessPath_expiredEvent(String flags, int resp) {
        open(flags, resp);
        String[][] accesses = {
            {"GET", "k"}, {"EXISTS", "k"}, {"TTL", "k"}, {"DEL", "k"}, {"SET", "k", "w"}, {"INCR", "k"},
            {"APPEND", "k", "x"}, {"SETBIT", "k", "1", "1"}, {"EXPIRE", "k", "100"}, {"OBJECT", "ENCODING", "k"},
            {"RENAME", "k", "k2"}, {"COPY", "k", "k3"}, {"GETDEL", "k"}, {"MOVE", "k", "1"}, {"SCAN", "0"},
            {"SETRANGE", "k", "0", "x"}, {"GETEX", "k", "PERSIST"},
        };
        for (String[] access : accesses) {
            n.step("SET", "k", "v", "PX", "2");
            // Both servers set the key before replying, so it is past its TTL 2 ms after the reply.
            long expired = System.currentTimeMillis() + 2;
            await().atMost(Duration.ofSeconds(5)).until(() -> System.currentTimeMillis() > expired + 1);
            n.step(access);
            n.step("DEL", "k", "k2", "k3");
        }
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("settings")
    void multiExec_eventsAndDirtyOfQueuedCommands(String flags, int resp) {
        open(flags, resp);
        n.step("MULTI");
        n.step("SET", "a", "1");
        n.step("INCR", "a");
        n.step("GET", "nope");
        n.step("EXPIRE", "a", "100");
        n.step("EXEC");
        n.step("MULTI");
        n.step("GET", "a");
        n.step("EXEC");
        n.step("MULTI");
        n.step("SET", "b", "1");
        n.step("DISCARD");
        n.step("MULTI");
        n.step("SET", "b");
        n.step("EXEC");
        n.step("WATCH", "a");
        n.step("MULTI");
        n.step("DEL", "a");
        n.step("EXEC");
    }

    @Test
    void activeExpiry_expiredEventWithoutAccess_sameOnBothServers() {
        open("KEx", 2);
        diff.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        // Not n.step: its drain could race the expiry. With KEx the SETs themselves publish nothing.
        diff.same("SET", "short", "v", "PX", "50");
        diff.same("SET", "long", "v", "EX", "100");
        List<String> ours = new ArrayList<>(), theirs = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ours.addAll(n.drainOurs());
            theirs.addAll(n.drainTheirs());
            return ours.size() >= 2 && theirs.size() >= 2;
        });
        assertThat(ours).isEqualTo(theirs).containsExactly(
                "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$20\r\n__keyspace@0__:short\r\n$7\r\nexpired\r\n",
                "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$22\r\n__keyevent@0__:expired\r\n$5\r\nshort\r\n");
        assertThat(diff.same("DBSIZE")).isEqualTo(":1\r\n");
    }

    @Test
    void eviction_everyKeyEvicted_sameEventsAsRedis() {
        open("KEe", 2);
        n.step("MSET", "a", "1", "b", "2", "c", "3");
        n.configSet("maxmemory-policy", "allkeys-random");
        try {
            // Far below either server's usage: the next write evicts every key on both.
            n.configSet("maxmemory", "1");
            diff.same("SET", "d", "4");
        } finally {
            n.configSet("maxmemory", "0");
            n.configSet("maxmemory-policy", "noeviction");
        }
        // Random victims in a random order: the same events as a multiset, each key's keyspace event
        // just before its keyevent.
        List<String> ours = n.drainOurs(), theirs = n.drainTheirs();
        assertThat(ours).hasSize(6);
        for (int i = 0; i < ours.size(); i += 2) {
            assertThat(ours.get(i)).contains("__keyspace@0__:").endsWith("$7\r\nevicted\r\n");
            assertThat(ours.get(i + 1)).contains("__keyevent@0__:evicted");
        }
        assertThat(sorted(ours)).isEqualTo(sorted(theirs));
        diff.same("DBSIZE");
    }

    private static List<String> sorted(List<String> l) {
        List<String> s = new ArrayList<>(l);
        java.util.Collections.sort(s);
        return s;
    }
}
