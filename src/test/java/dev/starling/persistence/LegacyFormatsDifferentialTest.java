package dev.starling.persistence;

import dev.starling.config.Config;
import dev.starling.support.Differential;
import dev.starling.types.StreamValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.starling.persistence.LegacyEncoder.b;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RDB formats of older Redis versions, written by {@link LegacyEncoder} and restored into
 * Starling and redis-server 7.0 (which reads them all): the reply, TYPE, OBJECT ENCODING,
 * DEBUG DIGEST-VALUE and the re-DUMP (7.0's format) must agree, under the default limits and
 * under small ones that force conversions on load.
 */
class LegacyFormatsDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @AfterEach
    void checkInvariants() {
        DumpRestoreDifferentialTest.checkInvariants(diff);
    }

    static final String[][] SMALL = {
        {"hash-max-listpack-entries", "4"}, {"hash-max-listpack-value", "8"}, {"zset-max-listpack-entries", "4"},
        {"zset-max-listpack-value", "8"}, {"set-max-intset-entries", "4"}, {"list-max-listpack-size", "3"}, {"list-compress-depth", "1"},
    };

    record Payload(String name, byte[] bytes) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Payload p(String name, LegacyEncoder e) {
        return new Payload(name, e.payload(7));
    }

    static List<String> strings(String... s) {
        return List.of(s);
    }

    static Stream<Payload> payloads() {
        List<Payload> out = new ArrayList<>();
        String long300 = "L".repeat(300), long20k = "Q".repeat(20000);
        out.add(p("list linked", new LegacyEncoder().type(1).len(6).string("a").encodedString("1").encodedString("-5")
                .string("x".repeat(100)).encodedString("12345678901234").encodedString("compress me ".repeat(5))));
        out.add(p("set ints", new LegacyEncoder().type(2).len(3).encodedString("1").string("5").string("-3")));
        out.add(p("set 6 ints", new LegacyEncoder().type(2).len(6).string("1").string("2").string("3").string("4").string("5").string("60000")));
        out.add(p("set mixed", new LegacyEncoder().type(2).len(3).string("1").string("a").string("2")));
        out.add(p("set dup ints", new LegacyEncoder().type(2).len(2).string("1").string("1")));
        out.add(p("set dup strings", new LegacyEncoder().type(2).len(3).string("a").string("1").string("a")));
        out.add(p("set empty", new LegacyEncoder().type(2).len(0)));
        out.add(p("zset text doubles", new LegacyEncoder().type(3).len(7).string("a").textDouble(1.5).string("b").textDouble(Double.POSITIVE_INFINITY)
                .string("c").textDouble(Double.NEGATIVE_INFINITY).string("d").textDouble(3).string("e").textDouble(1e-300)
                .string("f").textDouble(-0.0).string("g").textDouble(0.1)));
        out.add(p("zset text nan", new LegacyEncoder().type(3).len(1).string("a").textDouble(Double.NaN)));
        out.add(p("zset odd texts", new LegacyEncoder().type(3).len(4).string("a").raw(new byte[] {4}).raw(b(" 2.5"))
                .string("b").raw(new byte[] {6}).raw(b("1.5xyz")).string("c").raw(new byte[] {5}).raw(b("0x1p3")).string("d").raw(new byte[] {3}).raw(b("1e5"))));
        out.add(p("zset unparsable", new LegacyEncoder().type(3).len(1).string("a").raw(new byte[] {3}).raw(b("abc"))));
        out.add(p("zset empty text", new LegacyEncoder().type(3).len(1).string("a").raw(new byte[] {0})));
        out.add(p("zset2 unordered", new LegacyEncoder().type(5).len(5).string("m").binaryDouble(5).string("a").binaryDouble(-1)
                .string("z").binaryDouble(5).string("q").binaryDouble(2.25).string("long-member-name").binaryDouble(0)));
        out.add(p("zset2 dup", new LegacyEncoder().type(5).len(2).string("m").binaryDouble(5).string("m").binaryDouble(1)));
        out.add(p("hash linked", new LegacyEncoder().type(4).len(3).string("f").string("v").encodedString("1").encodedString("2")
                .string("long").string("y".repeat(70))));
        out.add(p("hash linked 6", new LegacyEncoder().type(4).len(6).string("a").string("1").string("b").string("2").string("c")
                .string("3").string("d").string("4").string("e").string("5").string("f").string("6")));
        out.add(p("hash dup", new LegacyEncoder().type(4).len(2).string("f").string("v").string("f").string("w")));
        out.add(p("hash dup after conversion", new LegacyEncoder().type(4).len(3).string("f").string("v").string("g")
                .string("y".repeat(70)).string("f").string("w")));
        out.add(p("zipmap", new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(strings("f", "v", "num", "12", "e", ""), 0))));
        out.add(p("zipmap free bytes", new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(strings("f", "v", "g", "w"), 3))));
        out.add(p("zipmap long value", new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(strings("f", long300, long300, "x"), 1))));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            many.add("field" + i);
            many.add(Integer.toString(i));
        }
        out.add(p("zipmap 300", new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(many, 0))));
        out.add(p("zipmap dup", new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(strings("f", "v", "f", "w"), 0))));
        List<String> items = strings("a", "0", "12", "13", "-1", "127", "-128", "200", "32767", "-32769", "8388607", "-8388609",
                "2147483647", "2147483648", "-9223372036854775808", long300, "", "mid", long20k, "after");
        out.add(p("list ziplist", new LegacyEncoder().type(10).string(LegacyEncoder.ziplist(items))));
        out.add(p("list ziplist empty", new LegacyEncoder().type(10).string(LegacyEncoder.ziplist(List.of()))));
        out.add(p("zset ziplist", new LegacyEncoder().type(12).string(LegacyEncoder.ziplist(strings("a", "1", "b", "1.5", "c", "2", "7", "3")))));
        out.add(p("zset ziplist 6", new LegacyEncoder().type(12).string(LegacyEncoder.ziplist(
                strings("a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6")))));
        out.add(p("zset ziplist dup", new LegacyEncoder().type(12).string(LegacyEncoder.ziplist(strings("a", "1", "a", "2")))));
        out.add(p("zset ziplist odd", new LegacyEncoder().type(12).string(LegacyEncoder.ziplist(strings("a", "1", "b")))));
        out.add(p("hash ziplist", new LegacyEncoder().type(13).string(LegacyEncoder.ziplist(strings("f", "v", "1", "2", "long", "z".repeat(40))))));
        out.add(p("hash ziplist int dup", new LegacyEncoder().type(13).string(LegacyEncoder.ziplist(strings("1", "v", "1", "w")))));
        out.add(p("hash ziplist empty", new LegacyEncoder().type(13).string(LegacyEncoder.ziplist(List.of()))));
        LegacyEncoder ql = new LegacyEncoder().type(14).len(4).string(LegacyEncoder.ziplist(strings("a", "b", "1")))
                .string(LegacyEncoder.ziplist(List.of())).string(LegacyEncoder.ziplist(items))
                .encodedString(new String(LegacyEncoder.ziplist(strings("c".repeat(50), "c".repeat(50))), StandardCharsets.ISO_8859_1));
        out.add(p("quicklist of ziplists", ql));
        out.add(p("quicklist of empty ziplists", new LegacyEncoder().type(14).len(2).string(LegacyEncoder.ziplist(List.of()))
                .string(LegacyEncoder.ziplist(List.of()))));
        Random r = new Random(5);
        List<String> randomItems = new ArrayList<>();
        for (int i = 0; i < 500; i++) randomItems.add(r.nextBoolean() ? Long.toString(r.nextLong() >> r.nextInt(64)) : "s" + "x".repeat(r.nextInt(300)));
        out.add(p("list ziplist 500 random", new LegacyEncoder().type(10).string(LegacyEncoder.ziplist(randomItems))));
        return out.stream();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        payloads().forEach(p -> {
            for (String sanitize : new String[] {"no", "yes"}) {
                out.add(Arguments.of(p, false, sanitize));
                out.add(Arguments.of(p, true, sanitize));
            }
        });
        return out.stream();
    }

    static void configure(boolean small) {
        diff.flushAll();
        for (String[] kv : DumpRestoreDifferentialTest.DEFAULTS) diff.same("CONFIG", "SET", kv[0], kv[1]);
        if (small) for (String[] kv : SMALL) diff.same("CONFIG", "SET", kv[0], kv[1]);
    }

    /** Restores payload as "k" on both and compares everything observable, then the re-DUMP. */
    static void compare(byte[] payload) {
        String reply = restoreBoth(diff, payload);
        if (!reply.startsWith("+")) return;
        diff.same("TYPE", "k");
        String enc = diff.same("OBJECT", "ENCODING", "k");
        diff.same("DEBUG", "DIGEST-VALUE", "k");
        byte[] ours = DumpRestoreDifferentialTest.bulk(diff.ours().call(b("DUMP"), b("k")));
        byte[] theirs = DumpRestoreDifferentialTest.bulk(diff.theirs().call(b("DUMP"), b("k")));
        if (enc.contains("hashtable")) assertThat(PayloadModel.decode(ours)).isEqualTo(PayloadModel.decode(theirs));
        else assertThat(ours).isEqualTo(theirs);
    }

    @ParameterizedTest(name = "{0} small={1} sanitize={2}")
    @MethodSource("cases")
    void restore_legacyPayload_likeRedis(Payload payload, boolean small, String sanitize) {
        configure(small);
        diff.same("CONFIG", "SET", "sanitize-dump-payload", sanitize);
        compare(payload.bytes());
    }

    /**
     * RESTORE of payload as "k" on both servers; returns the reply. The replies must be equal,
     * except that with sanitize-dump-payload no Starling still validates deeply: where Redis
     * accepts a payload that its deep validation refuses, Starling answers "Bad data format".
     */
    static String restoreBoth(Differential diff, byte[] payload) {
        byte[][] cmd = {b("RESTORE"), b("k"), b("0"), payload};
        String theirs = new String(diff.theirs().call(cmd), StandardCharsets.ISO_8859_1);
        String ours = new String(diff.ours().call(cmd), StandardCharsets.ISO_8859_1);
        if (ours.equals(theirs)) return ours;
        assertThat(ours).as("RESTORE reply (Redis said %s)", theirs).isEqualTo("-ERR Bad data format\r\n");
        String mode = diff.theirs().callString("CONFIG", "GET", "sanitize-dump-payload");
        assertThat(mode).contains("no");
        diff.theirs().callString("CONFIG", "SET", "sanitize-dump-payload", "yes");
        String deep = new String(diff.theirs().call(b("RESTORE"), b("k-deep"), b("0"), payload), StandardCharsets.ISO_8859_1);
        diff.theirs().callString("CONFIG", "SET", "sanitize-dump-payload", "no");
        assertThat(deep).as("Redis's deep validation of a payload Starling refuses").isEqualTo("-ERR Bad data format\r\n");
        diff.theirs().callString("DEL", "k");
        return ours;
    }

    // ---------------------------------------------------------------- streams of RDB_TYPE_STREAM_LISTPACKS

    /** A type-19 stream payload rewritten as type 15 (no first/max-deleted IDs, no read counters). */
    static byte[] asStreamV1(byte[] payload19) throws RdbException {
        RdbReader r = new RdbReader(payload19, new Config(), true);
        assertThat(r.loadType()).isEqualTo(Rdb.TYPE_STREAM_LISTPACKS_2);
        StreamValue s = (StreamValue) r.loadObject(Rdb.TYPE_STREAM_LISTPACKS_2);
        RdbWriter w = RdbWriter.toMemory(true, false);
        w.saveType(Rdb.TYPE_STREAM_LISTPACKS);
        w.saveLen(s.nodeKeys.length);
        for (int i = 0; i < s.nodeKeys.length; i++) {
            w.saveRawString(s.nodeKeys[i]);
            w.saveRawString(s.listpacks[i]);
        }
        w.saveLen(s.length);
        w.saveLen(s.lastMs);
        w.saveLen(s.lastSeq);
        w.saveLen(s.groups.length);
        for (StreamValue.Group g : s.groups) {
            w.saveRawString(g.name);
            w.saveLen(g.lastMs);
            w.saveLen(g.lastSeq);
            w.saveLen(g.pelIds.length);
            for (int i = 0; i < g.pelIds.length; i++) {
                w.writeRaw(g.pelIds[i], 0, 16);
                w.saveMillisecondTime(g.deliveryTimes[i]);
                w.saveLen(g.deliveryCounts[i]);
            }
            w.saveLen(g.consumers.length);
            for (StreamValue.Consumer c : g.consumers) {
                w.saveRawString(c.name);
                w.saveMillisecondTime(c.seenTime);
                w.saveLen(c.pelIds.length);
                for (byte[] id : c.pelIds) w.writeRaw(id, 0, 16);
            }
        }
        return RestoreCommandDifferentialTest.footer(w.toByteArray(), 8);
    }

    @Test
    void restore_streamV1_likeRedis() throws RdbException {
        configure(false);
        List<List<String[]>> builds = List.of(
                StreamRestoreDifferentialTest.streamCommands(20, true, true, "v"),
                StreamRestoreDifferentialTest.streamCommands(3, true, false, "v"),
                List.<String[]>of(new String[] {"XADD", "src", "5-5", "a", "b"}, new String[] {"XDEL", "src", "5-5"},
                        new String[] {"XGROUP", "CREATE", "src", "g", "0"}, new String[] {"XGROUP", "CREATE", "src", "h", "5-5"},
                        new String[] {"XGROUP", "CREATE", "src", "i", "9-9"}),
                List.<String[]>of(new String[] {"XADD", "src", "1-1", "a", "b"}, new String[] {"XADD", "src", "2-1", "a", "b"},
                        new String[] {"XADD", "src", "3-1", "a", "b"}, new String[] {"XDEL", "src", "2-1"},
                        new String[] {"XGROUP", "CREATE", "src", "g0", "0"}, new String[] {"XGROUP", "CREATE", "src", "g1", "1-1"},
                        new String[] {"XGROUP", "CREATE", "src", "g2", "2-1"}, new String[] {"XGROUP", "CREATE", "src", "g3", "3-1"}));
        for (List<String[]> build : builds) {
            diff.flushAll();
            byte[] v1 = asStreamV1(StreamRestoreDifferentialTest.redisStream(diff, build));
            compare(v1);
        }
    }
}
