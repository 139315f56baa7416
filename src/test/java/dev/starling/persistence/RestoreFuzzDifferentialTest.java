package dev.starling.persistence;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.starling.persistence.LegacyEncoder.b;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corrupt payloads against redis-server 7.0: every single-byte mutation (eight values per position)
 * and every truncation of the body of a set of seed payloads (every type and encoding, legacy ones
 * included), with the footer recomputed so the body itself is tested. With sanitize-dump-payload
 * yes the RESTORE replies must be byte-identical, and a payload both accept must then behave the
 * same under reads and writes of its type. With "no" Redis itself crashes on some of these
 * payloads (it asserts on listpacks it did not validate), so there only Starling is exercised:
 * every reply is OK or "Bad data format", and every accepted value survives the same commands.
 * Starling must stay up and keep its invariants throughout.
 */
class RestoreFuzzDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        if (diff == null) diff = new Differential("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        diff.close();
        diff = null;
    }

    @AfterEach
    void checkInvariants() {
        DumpRestoreDifferentialTest.checkInvariants(diff);
    }

    record Seed(String name, byte[] body) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Builds "src" on Redis with the commands and returns the body of its DUMP (footer removed). */
    static Seed fromRedis(String name, String... commands) {
        for (String c : commands) {
            String r = new String(diff.theirs().call(StreamRestoreDifferentialTest.RespClientArgs.of(c.split(" "))), StandardCharsets.ISO_8859_1);
            assertThat(r).as("%s: %s", name, c).doesNotStartWith("-");
        }
        byte[] p = DumpRestoreDifferentialTest.bulk(diff.theirs().call(b("DUMP"), b("src")));
        diff.theirs().call(b("DEL"), b("src"));
        return new Seed(name, Arrays.copyOf(p, p.length - 10));
    }

    static Stream<Seed> seeds() {
        if (diff == null) start(); // the provider runs before @BeforeAll's instance
        diff.theirs().call(b("CONFIG"), b("SET"), b("list-compress-depth"), b("0"));
        List<Seed> out = new ArrayList<>();
        out.add(fromRedis("string", "SET src hello"));
        out.add(fromRedis("string lzf", "SET src " + "abcdefgh".repeat(12)));
        out.add(fromRedis("list listpack", "RPUSH src a b 1 -200 70000 " + "x".repeat(70)));
        diff.theirs().call(b("CONFIG"), b("SET"), b("list-compress-depth"), b("1"));
        diff.theirs().call(b("CONFIG"), b("SET"), b("list-max-listpack-size"), b("4"));
        out.add(fromRedis("list compressed nodes", "RPUSH src " + "aaaaaaaaaaaaaaaaaaaa1 ".repeat(12).trim()));
        diff.theirs().call(b("CONFIG"), b("SET"), b("list-compress-depth"), b("0"));
        diff.theirs().call(b("CONFIG"), b("SET"), b("list-max-listpack-size"), b("-2"));
        out.add(fromRedis("list plain node", "DEBUG QUICKLIST-PACKED-THRESHOLD 10", "RPUSH src a " + "p".repeat(12) + " b",
                "DEBUG QUICKLIST-PACKED-THRESHOLD 1073741824"));
        out.add(fromRedis("set intset", "SADD src 1 2 3 -1000 100000"));
        out.add(fromRedis("set hashtable", "SADD src a b c 1"));
        out.add(fromRedis("hash listpack", "HSET src f v num 12 neg -5000 s " + "y".repeat(20)));
        out.add(fromRedis("hash hashtable", "HSET src f v " + "z".repeat(70) + " w"));
        out.add(fromRedis("zset listpack", "ZADD src 1 a 2.5 b -3 c inf d"));
        out.add(fromRedis("zset skiplist", "ZADD src 1 a 2.5 b -3 c 4 " + "m".repeat(70)));
        out.add(fromRedis("stream", "XADD src 1-1 f v g w", "XADD src 1-2 f x g y", "XADD src 2-0 h 7", "XDEL src 1-2",
                "XGROUP CREATE src grp 0", "XREADGROUP GROUP grp alice COUNT 2 STREAMS src >"));
        out.add(new Seed("legacy list ziplist", new LegacyEncoder().type(10).string(LegacyEncoder.ziplist(List.of("a", "5", "-300", "x".repeat(30)))).body()));
        out.add(new Seed("legacy zipmap", new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(List.of("f", "v", "g", "12"), 1)).body()));
        out.add(new Seed("legacy zset ziplist", new LegacyEncoder().type(12).string(LegacyEncoder.ziplist(List.of("a", "1", "b", "2.5"))).body()));
        out.add(new Seed("legacy hash ziplist", new LegacyEncoder().type(13).string(LegacyEncoder.ziplist(List.of("f", "v", "7", "8"))).body()));
        out.add(new Seed("legacy quicklist", new LegacyEncoder().type(14).len(2).string(LegacyEncoder.ziplist(List.of("a", "1")))
                .string(LegacyEncoder.ziplist(List.of("b", "c"))).body()));
        out.add(new Seed("legacy linked", new LegacyEncoder().type(1).len(2).string("a").encodedString("300").body()));
        out.add(new Seed("legacy zset text", new LegacyEncoder().type(3).len(2).string("a").textDouble(1.5).string("b").textDouble(-2).body()));
        out.add(new Seed("legacy hash", new LegacyEncoder().type(4).len(2).string("f").string("v").string("g").encodedString("5").body()));
        return out.stream();
    }

    /** Each seed under each sanitize mode. */
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        seeds().forEach(s -> {
            out.add(Arguments.of(s, "yes"));
            out.add(Arguments.of(s, "no"));
        });
        return out.stream();
    }

    /** RESTORE on Starling alone: OK or Bad data format; an accepted value then takes every command. */
    static int starlingOnly(byte[] payload) {
        String reply = new String(diff.ours().call(b("RESTORE"), b("k"), b("0"), payload), StandardCharsets.ISO_8859_1);
        assertThat(reply).isIn("+OK\r\n", "-ERR Bad data format\r\n");
        if (reply.startsWith("+")) {
            for (String[] c : EXERCISE) diff.ours().call(StreamRestoreDifferentialTest.RespClientArgs.of(c));
            keyspaceValid();
        }
        assertThat(diff.ours().callString("DEL", "k")).startsWith(":");
        return reply.startsWith("+") ? 1 : 0;
    }

    /** Commands of every type, for values only Starling accepted (each answers or is WRONGTYPE). */
    static final String[][] EXERCISE = {
        {"TYPE", "k"}, {"OBJECT", "ENCODING", "k"}, {"DEBUG", "DIGEST-VALUE", "k"}, {"DUMP", "k"}, {"GET", "k"}, {"APPEND", "k", "x"},
        {"LRANGE", "k", "0", "-1"}, {"LINSERT", "k", "BEFORE", "a", "n"}, {"LPUSH", "k", "h"}, {"RPOP", "k"}, {"LSET", "k", "1", "s"},
        {"LREM", "k", "0", "1"}, {"SMEMBERS", "k"}, {"SADD", "k", "7", "nonint"}, {"SREM", "k", "1", "a"}, {"SPOP", "k"},
        {"SRANDMEMBER", "k", "-5"}, {"ZRANGE", "k", "0", "-1", "WITHSCORES"}, {"ZADD", "k", "1.25", "new", "3", "a"}, {"ZREM", "k", "b"},
        {"ZRANGEBYSCORE", "k", "-inf", "+inf"}, {"ZRANGEBYLEX", "k", "-", "+"}, {"ZADD", "k", "1", "x".repeat(80)}, {"ZRANDMEMBER", "k", "-5"},
        {"HGETALL", "k"}, {"HSET", "k", "new", "1", "f", "c"}, {"HDEL", "k", "g"}, {"HINCRBY", "k", "num", "1"},
        {"HSET", "k", "big", "v".repeat(80)}, {"HRANDFIELD", "k", "-5"}, {"SORT", "k", "ALPHA"}, {"COPY", "k", "k2"}, {"DEL", "k2"},
        {"DEBUG", "DIGEST-VALUE", "k"}, {"DUMP", "k"},
    };

    /** The mutated bodies: eight replacement values at every position, and every truncation. */
    static List<byte[]> mutations(byte[] body) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < body.length; i++) {
            int v = body[i] & 0xff;
            Set<Integer> values = new LinkedHashSet<>(List.of(0, 0xff, (v + 1) & 0xff, (v - 1) & 0xff, v ^ 0x80, 0x7f, 0xc0, 0xf0));
            values.remove(v);
            for (int nv : values) {
                byte[] m = body.clone();
                m[i] = (byte) nv;
                out.add(m);
            }
        }
        for (int len = 0; len < body.length; len++) out.add(Arrays.copyOf(body, len));
        return out;
    }

    @ParameterizedTest(name = "{0} sanitize={1}")
    @MethodSource("cases")
    void restore_mutatedPayloads_likeRedis_andNeverBreak(Seed seed, String sanitize) {
        diff.flushAll();
        for (String[] kv : DumpRestoreDifferentialTest.DEFAULTS) diff.same("CONFIG", "SET", kv[0], kv[1]);
        diff.same("CONFIG", "SET", "sanitize-dump-payload", sanitize);
        int accepted = 0;
        for (byte[] body : mutations(seed.body())) {
            byte[] payload = RestoreCommandDifferentialTest.footer(body, 10);
            if (sanitize.equals("no")) {
                accepted += starlingOnly(payload);
                continue;
            }
            try {
                String reply = LegacyFormatsDifferentialTest.restoreBoth(diff, payload);
                if (reply.startsWith("+")) {
                    accepted++;
                    exercise();
                    keyspaceValid();
                }
                diff.same("DEL", "k");
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("payload " + java.util.HexFormat.of().formatHex(payload) + ": " + e.getMessage(), e);
            }
        }
        diff.same("PING");
        assertThat(accepted).isGreaterThan(0);
        if (sanitize.equals("no")) checkValues();
    }

    /** The keyspace's structure and memory accounting (values Redis accepts may be stranger than our own validators allow). */
    static void keyspaceValid() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    /** Every value's own validator (the fuzz keys are deleted as they go, so this checks leftovers). */
    static void checkValues() {
        DumpRestoreDifferentialTest.checkInvariants(diff);
    }

    /** Reads and writes of the restored key's type, compared with Redis. */
    static void exercise() {
        String type = diff.same("TYPE", "k");
        diff.same("OBJECT", "ENCODING", "k");
        diff.same("DEBUG", "DIGEST-VALUE", "k");
        switch (type.trim().substring(1)) {
            case "string" -> {
                diff.same("GET", "k");
                diff.same("APPEND", "k", "xyz");
                diff.same("GET", "k");
            }
            case "list" -> {
                diff.same("LRANGE", "k", "0", "-1");
                diff.same("LINDEX", "k", "-1");
                diff.same("LINSERT", "k", "BEFORE", "a", "new");
                diff.same("LPUSH", "k", "head");
                diff.same("RPOP", "k");
                diff.same("LSET", "k", "1", "set");
                diff.same("LREM", "k", "0", "1");
                diff.same("LRANGE", "k", "0", "-1");
            }
            case "set" -> {
                diff.sameUnordered(1, "SMEMBERS", "k");
                diff.same("SISMEMBER", "k", "1");
                diff.same("SADD", "k", "7", "nonint");
                diff.same("SREM", "k", "1", "a");
                diff.sameUnordered(1, "SMEMBERS", "k");
                diff.same("SCARD", "k");
            }
            case "zset" -> {
                diff.same("ZRANGE", "k", "0", "-1", "WITHSCORES");
                diff.same("ZSCORE", "k", "a");
                diff.same("ZRANGEBYSCORE", "k", "-inf", "+inf");
                diff.same("ZADD", "k", "1.25", "new", "3", "a");
                diff.same("ZREM", "k", "b");
                diff.same("ZRANGE", "k", "0", "-1", "WITHSCORES");
                diff.same("ZADD", "k", "1", "x".repeat(80));
                diff.same("ZRANGE", "k", "0", "-1", "WITHSCORES");
            }
            case "hash" -> {
                diff.sameUnordered(2, "HGETALL", "k");
                diff.same("HGET", "k", "f");
                diff.same("HSET", "k", "new", "1", "f", "changed");
                diff.same("HDEL", "k", "g");
                diff.same("HINCRBY", "k", "num", "1");
                diff.same("HSET", "k", "big", "v".repeat(80));
                diff.sameUnordered(2, "HGETALL", "k");
            }
            default -> {
                byte[] ours = DumpRestoreDifferentialTest.bulk(diff.ours().call(b("DUMP"), b("k")));
                byte[] theirs = DumpRestoreDifferentialTest.bulk(diff.theirs().call(b("DUMP"), b("k")));
                assertThat(new String(ours, StandardCharsets.ISO_8859_1)).isEqualTo(new String(theirs, StandardCharsets.ISO_8859_1));
            }
        }
        diff.same("DEBUG", "DIGEST-VALUE", "k");
    }
}
