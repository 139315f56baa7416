package dev.starling.command;

import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.MemorySize;
import dev.starling.support.Differential;
import dev.starling.types.ObjectEncoding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The string family, byte-exact against redis-server 7.0 (scripts in resources/strings plus targeted cases). */
class StringCommandsTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void reset() {
        StringScripts.reset(diff);
    }

    @TestFactory
    Stream<DynamicTest> scripts_eachLine_sameRepliesAsRedis() {
        return Stream.of("set-get.txt", "append.txt", "incr.txt", "incrbyfloat-edges.txt", "lcs.txt", "wrongtype.txt", "binary.txt")
                .flatMap(file -> Stream.concat(
                        Stream.of(DynamicTest.dynamicTest(file + " reset", () -> StringScripts.reset(diff))),
                        StringScripts.load(file).stream()
                                .map(line -> DynamicTest.dynamicTest(line.toString(), () -> StringScripts.run(diff, line)))));
    }

    @Test
    void resp3Script_eachLine_sameRepliesAsRedis() {
        // HELLO is another family's: switch our connections to RESP3 directly.
        diff.theirs().callString("HELLO", "3");
        diff.starling.onExecutor(() -> diff.starling.server.clients.values().forEach(cl -> cl.resp = 3));
        try {
            assertThat(diff.same("GET", "nokey")).isEqualTo("_\r\n");
            for (StringScripts.Line line : StringScripts.load("resp3.txt")) StringScripts.run(diff, line);
            assertThat(diff.same("LCS", "a", "b", "IDX")).startsWith("%2\r\n");
        } finally {
            diff.theirs().callString("HELLO", "2");
            diff.starling.onExecutor(() -> diff.starling.server.clients.values().forEach(cl -> cl.resp = 2));
        }
    }

    // ---------------------------------------------------------------- expiry

    /** Our absolute expire time of key in db 0, or -1. */
    static long ourExpire(String key) {
        AtomicLong when = new AtomicLong();
        diff.starling.onExecutor(() -> when.set(diff.starling.server.keyspace.dbs[0].getExpire(bytes(key))));
        return when.get();
    }

    static long theirExpire(String key) {
        String r = diff.theirs().callString("PEXPIRETIME", key);
        return Long.parseLong(r.substring(1).trim());
    }

    @ParameterizedTest
    @ValueSource(strings = {"EX 100", "PX 100000", "EXAT 4102444800", "PXAT 4102444800123"})
    void set_withExpireOption_storesSameAbsoluteTime(String option) {
        String[] o = option.split(" ");
        diff.same("SET", "k", "v", o[0], o[1]);
        assertThat(ourExpire("k")).isCloseTo(theirExpire("k"), org.assertj.core.data.Offset.offset(2000L));
        diff.same("SET", "k", "w", "KEEPTTL");
        assertThat(ourExpire("k")).isCloseTo(theirExpire("k"), org.assertj.core.data.Offset.offset(2000L));
        diff.same("SET", "k", "w");
        assertThat(ourExpire("k")).isEqualTo(-1).isEqualTo(theirExpire("k"));
    }

    @Test
    void incrAndAppendAndSetrange_keepTtl_butGetsetAndMsetDropIt() {
        diff.same("SET", "k", "1", "EX", "1000");
        diff.same("INCR", "k");
        diff.same("APPEND", "k", "0");
        diff.same("SETRANGE", "k", "0", "5");
        diff.same("SETBIT", "k", "0", "1");
        diff.same("INCRBYFLOAT", "k", "1");
        assertThat(ourExpire("k")).isPositive();
        assertThat(theirExpire("k")).isPositive();
        diff.same("GETSET", "k", "x");
        assertThat(ourExpire("k")).isEqualTo(-1).isEqualTo(theirExpire("k"));
        diff.same("SETEX", "k", "100", "v");
        diff.same("MSET", "k", "v");
        assertThat(ourExpire("k")).isEqualTo(-1).isEqualTo(theirExpire("k"));
    }

    @Test
    void getex_options_changeTtlAsRedis() {
        diff.same("SET", "k", "v");
        diff.same("GETEX", "k", "EX", "100");
        assertThat(ourExpire("k")).isCloseTo(theirExpire("k"), org.assertj.core.data.Offset.offset(2000L));
        diff.same("GETEX", "k", "PERSIST");
        assertThat(ourExpire("k")).isEqualTo(-1).isEqualTo(theirExpire("k"));
        diff.same("GETEX", "k", "PXAT", "4102444800123");
        assertThat(ourExpire("k")).isEqualTo(4102444800123L).isEqualTo(theirExpire("k"));
        diff.same("GETEX", "k");
        assertThat(ourExpire("k")).isEqualTo(4102444800123L);
        diff.same("GETEX", "k", "EXAT", "1");
        diff.same("EXISTS", "k");
    }

    @Test
    void set_pxInThePast_keyIsGoneOnNextRead() {
        diff.same("SET", "k", "v", "PXAT", "1");
        diff.same("GET", "k");
        diff.same("SET", "k", "v", "EXAT", "1", "GET");
        diff.same("EXISTS", "k");
    }

    @Test
    void writes_overKeysPastTheirTtl_countThemExpiredAsRedis() {
        long theirsBefore = theirExpiredKeys();
        AtomicLong oursBefore = new AtomicLong();
        diff.starling.onExecutor(() -> oursBefore.set(diff.starling.server.keyspace.expiredKeys));
        for (String k : new String[] {"a", "b", "c", "d", "e", "f"}) diff.same("SET", k, "1", "PXAT", "1");
        diff.same("SET", "a", "x");
        diff.same("MSET", "b", "x");
        diff.same("BITOP", "NOT", "c", "a");
        diff.same("INCR", "d");
        diff.same("APPEND", "e", "x");
        diff.same("SET", "f", "x", "KEEPTTL");
        diff.same("MGET", "a", "b", "c", "d", "e", "f");
        AtomicLong oursAfter = new AtomicLong();
        diff.starling.onExecutor(() -> oursAfter.set(diff.starling.server.keyspace.expiredKeys));
        assertThat(oursAfter.get() - oursBefore.get()).isEqualTo(theirExpiredKeys() - theirsBefore).isEqualTo(6);
        assertThat(ourExpire("f")).isEqualTo(-1);
    }

    static long theirExpiredKeys() {
        for (String line : diff.theirs().callString("INFO", "stats").split("\r\n")) {
            if (line.startsWith("expired_keys:")) return Long.parseLong(line.substring(13));
        }
        throw new IllegalStateException("no expired_keys");
    }

    // ---------------------------------------------------------------- encodings and memory

    static String ourEncoding(String key) {
        AtomicReference<String> enc = new AtomicReference<>();
        diff.starling.onExecutor(() -> {
            KeyEntry e = diff.starling.server.keyspace.dbs[0].lookupNoTouch(bytes(key));
            enc.set(e == null ? null : ObjectEncoding.encodingName(e.value));
        });
        return enc.get();
    }

    @Test
    void objectEncoding_afterEachCommand_matchesRedis() {
        String long45 = "x".repeat(45);
        String[][] cmds = {
                {"SET", "a", "123"}, {"SET", "b", "hello"}, {"SET", "c", long45}, {"SET", "d", "x".repeat(44)},
                {"SET", "e", "-9223372036854775808"}, {"SET", "f", "9223372036854775808"}, {"SET", "g", "01"},
                {"APPEND", "h", "123"}, {"APPEND", "i", "ab"}, {"APPEND", "i", "c"}, {"SET", "j", "1"}, {"APPEND", "j", ""},
                {"INCR", "k"}, {"SET", "l", "5"}, {"INCRBY", "l", "100000"}, {"INCRBYFLOAT", "m", "3"},
                {"INCRBYFLOAT", "n", "3.5"}, {"SET", "o", "1"}, {"INCRBYFLOAT", "o", "1"}, {"SETRANGE", "p", "0", "1"},
                {"SET", "q", "1"}, {"SETRANGE", "q", "0", "2"}, {"SETBIT", "r", "1", "1"}, {"SET", "s", "1"},
                {"SETBIT", "s", "1", "1"}, {"MSET", "t", "12", "u", "ab"}, {"GETSET", "v", "77"}, {"SETNX", "w", "9"},
                {"SETEX", "x", "100", "42"}, {"BITOP", "NOT", "y", "a"}, {"BITFIELD", "z", "SET", "u8", "0", "1"},
                {"SET", "a1", "1"}, {"GETEX", "a1", "EX", "100"}, {"MSETNX", "a2", "3"}, {"SET", "a3", "3", "GET"},
                {"INCRBYFLOAT", "o", "1"}, {"APPEND", "o", "1"},
        };
        for (String[] c : cmds) diff.same(c);
        for (String key : new String[] {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
                "s", "t", "u", "v", "w", "x", "y", "z", "a1", "a2", "a3"}) {
            String theirs = diff.theirs().callString("OBJECT", "ENCODING", key).split("\r\n")[1];
            assertThat(ourEncoding(key)).as("encoding of %s", key).isEqualTo(theirs);
        }
    }

    @Test
    void datasetBytes_afterInPlaceChanges_equalsSumOfSizes() {
        for (int i = 0; i < 200; i++) {
            diff.same("APPEND", "a", "x".repeat(i % 7 + 1));
            diff.same("SETRANGE", "b", Integer.toString(i * 3), "yz");
            diff.same("SETBIT", "c", Integer.toString(i * 11), "1");
            diff.same("BITFIELD", "d", "INCRBY", "u8", "#" + i, "3");
            if (i % 50 == 0) diff.same("SET", "a", "reset");
            if (i % 30 == 0) diff.same("INCRBYFLOAT", "e", "0.5");
        }
        diff.same("GET", "a");
        diff.same("GET", "b");
        diff.same("GET", "c");
        diff.same("GET", "d");
        AtomicLong expected = new AtomicLong(), actual = new AtomicLong();
        diff.starling.onExecutor(() -> {
            Db db = diff.starling.server.keyspace.dbs[0];
            db.dict.forEach(e -> expected.addAndGet(MemorySize.ofKey(e.key) + MemorySize.ofValue(e.value)));
            for (Db d : diff.starling.server.keyspace.dbs) d.expires.forEach(x -> expected.addAndGet(32));
            actual.set(diff.starling.server.keyspace.datasetBytes);
        });
        assertThat(actual.get()).isEqualTo(expected.get());
    }

    // ---------------------------------------------------------------- INCRBYFLOAT as long double

    @Test
    void incrbyfloat_randomValues_printLikeRedisLongDouble() {
        Random rnd = new Random(42);
        for (int i = 0; i < 400; i++) {
            String incr = switch (i % 5) {
                case 0 -> Double.toString(rnd.nextDouble() * 1000 - 500);
                case 1 -> Long.toString(rnd.nextLong() % 100000) + "." + Math.abs(rnd.nextInt(1000));
                case 2 -> String.format("%.3e", rnd.nextGaussian() * 1e6);
                case 3 -> "0." + "0".repeat(rnd.nextInt(18)) + (1 + rnd.nextInt(9));
                default -> Double.toString(rnd.nextGaussian() * Math.pow(10, rnd.nextInt(30) - 10));
            };
            diff.same("INCRBYFLOAT", "f" + (i % 7), incr);
        }
    }

    // ---------------------------------------------------------------- size limits

    @Test
    void setrangeAndAppend_pastProtoMaxBulkLen_stringTooLongError() {
        try (Differential small = new Differential("--proto-max-bulk-len", "1mb")) {
            small.same("SETRANGE", "k", "1048575", "x");
            small.same("STRLEN", "k");
            small.same("SETRANGE", "k", "1048576", "x");
            small.same("SETRANGE", "k", "1048575", "xy");
            small.same("APPEND", "k", "y");
            small.same("SETBIT", "k", "8388607", "1");
            small.same("SETBIT", "k", "8388608", "1");
            small.same("GETBIT", "k", "8388608");
            small.same("BITFIELD", "k", "GET", "u8", "8388600");
            small.same("BITFIELD", "k", "GET", "u8", "8388608");
            small.same("BITFIELD", "k", "SET", "u8", "#1048575", "1");
            small.same("BITFIELD", "k", "SET", "u8", "#1048576", "1");
            small.same("SETRANGE", "n", "1048576", "x");
            small.same("EXISTS", "n");
            small.same("SETRANGE", "n", "9223372036854775807", "x");
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
