package dev.starling.command;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST against redis-server 7.0: the replies and the raw
 * bytes of every HLL (via GET) must be identical, through sparse growth, promotion to dense, merges
 * and corrupt values.
 */
class HyperLogLogCommandsTest {
    static Differential diff;

    /** An element whose hash has a 35-long "000..1" run (register 12049): too big for a sparse VAL. */
    static final String RUN_35 = "e2119568080";

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
        diff.same("SELECT", "0");
        diff.flushAll();
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
    }

    @AfterEach
    void checkInvariants() {
        diff.protocol(2);
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    /** PFADD key prefix+from ... prefix+(to-1). */
    static String[] pfadd(String key, String prefix, int from, int to) {
        List<String> a = new ArrayList<>();
        a.add("PFADD");
        a.add(key);
        for (int i = from; i < to; i++) a.add(prefix + i);
        return a.toArray(new String[0]);
    }

    /** The same reply, then the same bytes in the key, its PFCOUNT (which writes the cache) and bytes again. */
    static void sameState(String key) {
        diff.same("GET", key);
        diff.same("PFDEBUG", "ENCODING", key);
        diff.same("PFCOUNT", key);
        diff.same("GET", key);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    // ---------------------------------------------------------------- PFADD / PFCOUNT

    @Test
    void pfadd_newKeyAndRepeats_sameRepliesAndBytes() {
        diff.same("PFADD", "h");
        diff.same("GET", "h");
        diff.same("PFCOUNT", "h");
        diff.same("PFADD", "h");
        diff.same("PFADD", "h", "a", "b", "c");
        diff.same("PFADD", "h", "a", "b", "c");
        diff.same("GET", "h");
        diff.same("PFDEBUG", "DECODE", "h");
        sameState("h");
        diff.same("PFADD", "h", "a");
        diff.same("GET", "h"); // the cache stays valid when nothing changed
        diff.same("PFADD", "h", "d");
        diff.same("GET", "h"); // and is invalidated when a register changed
        diff.same("PFCOUNT", "missing");
        diff.same("TYPE", "h");
        diff.same("OBJECT", "ENCODING", "h");
        diff.same("STRLEN", "h");
    }

    @Test
    void changesInPlace_keepTheTtl() {
        diff.same("PFADD", "h", "a");
        diff.same("EXPIRE", "h", "1000");
        diff.same("PFADD", "h", "b");
        diff.same("TTL", "h");
        diff.same("PFCOUNT", "h");
        diff.same("TTL", "h");
        diff.same("PFMERGE", "h", "other");
        diff.same("TTL", "h");
        diff.same("PFDEBUG", "TODENSE", "h");
        diff.same("TTL", "h");
        diff.same("PFADD", "gone", "a");
        diff.same("PEXPIRE", "gone", "1");
        org.awaitility.Awaitility.await().pollInSameThread().until(() -> diff.theirs().callString("EXISTS", "gone").equals(":0\r\n")
                & diff.ours().callString("EXISTS", "gone").equals(":0\r\n"));
        diff.same("PFCOUNT", "gone");
        diff.same("PFADD", "gone", "b");
        diff.same("GET", "gone");
        diff.same("TTL", "gone");
    }

    @Test
    void pfadd_sparseGrowsUntilPromoted_sameBytesAtEveryStep() {
        for (int i = 0; i < 4000; i += 50) {
            diff.same(pfadd("h", "x", i, i + 50));
            diff.same("GET", "h");
            diff.same("PFDEBUG", "ENCODING", "h");
            if (i % 500 == 0) sameState("h");
        }
        diff.same("PFDEBUG", "ENCODING", "h");
        sameState("h");
    }

    @Test
    void pfadd_oneAtATime_everySparseSplitAndMergeMatches() {
        // Single additions exercise each opcode split (XZERO, ZERO, VAL) and the VAL merging.
        for (int i = 0; i < 600; i++) {
            diff.same("PFADD", "h", "s" + i);
            if (i % 7 == 0) diff.same("GET", "h");
        }
        diff.same("PFDEBUG", "DECODE", "h");
        sameState("h");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 18, 19, 20, 50, 300, 1000})
    void pfadd_smallSparseMaxBytes_promotesWhereRedisDoes(int maxBytes) {
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", Integer.toString(maxBytes));
        diff.same("PFADD", "h");
        diff.same("PFADD", "h", "a");
        diff.same("GET", "h");
        for (int i = 0; i < 400; i += 20) {
            diff.same(pfadd("h", "m", i, i + 20));
            diff.same("GET", "h");
        }
        sameState("h");
    }

    @Test
    void pfadd_largeCardinality_denseBytesAndCountsMatch() {
        for (int i = 0; i < 300_000; i += 5000) {
            diff.same(pfadd("h", "big", i, i + 5000));
            if (i % 50_000 == 0) sameState("h");
        }
        sameState("h");
        diff.same("PFADD", "h", "big1", "big2");
        diff.same("GET", "h");
    }

    @Test
    void pfadd_runLongerThan32_promotesSparseToDense() {
        diff.same("PFADD", "h", "a", "b");
        diff.same("PFCOUNT", "h");
        diff.same("PFADD", "h", RUN_35);
        diff.same("PFDEBUG", "ENCODING", "h");
        diff.same("GET", "h"); // the cached cardinality bytes survive the promotion, then are invalidated
        sameState("h");
        diff.same("PFADD", "n", RUN_35, "z");
        sameState("n");
    }

    @Test
    void pfcount_severalKeys_mergesWithoutTouchingKeys() {
        diff.same(pfadd("a", "a", 0, 100));
        diff.same(pfadd("b", "b", 0, 5000));
        diff.same("PFDEBUG", "ENCODING", "b");
        diff.same(pfadd("c", "a", 50, 150));
        diff.same("PFCOUNT", "a", "b", "c", "missing");
        diff.same("PFCOUNT", "a", "c");
        diff.same("PFCOUNT", "missing", "missing2");
        diff.same("PFCOUNT", "a", "a");
        diff.same("GET", "a"); // no cache written by the multi-key form
        diff.same("GET", "c");
        diff.same("PFADD", "r", RUN_35);
        diff.same("PFCOUNT", "r", "a");
    }

    // ---------------------------------------------------------------- PFMERGE

    @Test
    void pfmerge_sparseSources_destStaysSparse() {
        diff.same(pfadd("a", "a", 0, 100));
        diff.same(pfadd("b", "b", 0, 200));
        diff.same("PFMERGE", "d", "a", "b", "missing");
        sameState("d");
        diff.same("PFMERGE", "d", "a");
        diff.same("GET", "d");
        diff.same("PFMERGE", "d");
        diff.same("GET", "d");
        diff.same("PFMERGE", "e");
        sameState("e");
        diff.same("PFMERGE", "a", "b");
        sameState("a");
    }

    @Test
    void pfmerge_sparseSourcesTooBigForSparse_destPromotedOnTheWay() {
        diff.same(pfadd("a", "a", 0, 1500));
        diff.same(pfadd("b", "b", 0, 1500));
        diff.same("PFDEBUG", "ENCODING", "a");
        diff.same("PFMERGE", "d", "a", "b");
        sameState("d");
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "100");
        diff.same(pfadd("x", "x", 0, 5));
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
        diff.same(pfadd("y", "y", 0, 40));
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "100");
        diff.same("PFMERGE", "x", "y");
        sameState("x");
    }

    @Test
    void pfmerge_anyDenseSource_destDense() {
        diff.same(pfadd("a", "a", 0, 10));
        diff.same(pfadd("b", "b", 0, 20000));
        diff.same("PFMERGE", "a", "b");
        sameState("a");
        diff.same(pfadd("c", "c", 0, 10));
        diff.same("PFMERGE", "new", "c", "b");
        sameState("new");
        diff.same("PFADD", "r", RUN_35);
        diff.same("PFMERGE", "c", "r");
        sameState("c");
        diff.same("PFMERGE", "b", "b");
        sameState("b");
    }

    // ---------------------------------------------------------------- errors

    @Test
    void wrongTypes_andInvalidStrings_sameErrors() {
        StringScripts.makeList(diff, b("list"));
        diff.same("SET", "str", "hello");
        diff.same("SET", "short", "HYLL");
        diff.same(b("SET"), b("enc"), b("HYLL\u0002\0\0\0\0\0\0\0\0\0\0\0\u007f\u00ff"));
        diff.same(b("SET"), b("dense"), b("HYLL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"));
        diff.same("SET", "int", "12345678901234567890");
        diff.same(pfadd("ok", "a", 0, 3));
        for (String k : new String[] {"list", "str", "short", "enc", "dense", "int"}) {
            diff.same("PFADD", k, "a");
            diff.same("PFADD", k);
            diff.same("PFCOUNT", k);
            diff.same("PFCOUNT", "ok", k);
            diff.same("PFMERGE", k, "ok");
            diff.same("PFMERGE", "ok", k);
            diff.same("PFMERGE", "fresh", "ok", k);
            diff.same("EXISTS", "fresh");
            diff.same("PFDEBUG", "ENCODING", k);
        }
        diff.same("PFADD");
        diff.same("PFCOUNT");
        diff.same("PFMERGE");
        diff.same("PFDEBUG", "ENCODING");
        diff.same("PFDEBUG", "ENCODING", "ok", "extra");
        diff.same("PFSELFTEST", "x");
        diff.same("INFO", "errorstats");
    }

    @Test
    void corruptSparse_invalidObjError_andPartialEffectsAsRedis() {
        // The opcodes cover 16383 registers only: adds before the gap work, counting fails.
        String hdr = "HYLL\u0001\0\0\0\0\0\0\0\0\0\0\0";
        diff.same(b("SET"), b("short"), b(hdr + "\u007f\u00fe"));
        diff.same("PFCOUNT", "short");
        diff.same("PFADD", "short", "a", "b", "c");
        diff.same("GET", "short");
        diff.same("PFMERGE", "d", "short");
        diff.same("PFCOUNT", "short", "short");
        diff.same("PFDEBUG", "GETREG", "short");
        diff.same("PFDEBUG", "TODENSE", "short");
        diff.same("PFDEBUG", "DECODE", "short");
        // Too many registers; a VAL running past the end; an empty body; a cut XZERO.
        diff.same(b("SET"), b("long"), b(hdr + "\u007f\u00ff\u0000"));
        diff.same(b("SET"), b("val"), b(hdr + "\u007f\u00fe\u0083"));
        diff.same(b("SET"), b("empty"), b(hdr));
        diff.same(b("SET"), b("cut"), b(hdr + "\u007f\u00fe\u0080\u0040"));
        diff.same(b("SET"), b("cutok"), b(hdr + "\u007f\u00ff\u0040"));
        for (String k : new String[] {"long", "val", "empty", "cut", "cutok"}) {
            diff.same("PFCOUNT", k);
            diff.same("PFCOUNT", k, "long");
            diff.same("PFDEBUG", "DECODE", k);
            diff.same("PFADD", k, "x", RUN_35);
            diff.same("GET", k);
            diff.same("PFADD", k, "a", "b", "c", "d");
            diff.same("GET", k);
            diff.same("PFMERGE", k, k);
            diff.same("PFDEBUG", "TODENSE", k);
            diff.same("GET", k);
        }
        diff.same("INFO", "errorstats");
    }

    @Test
    void sparseEndingInHalfAnXzero_readsTheTerminatorAsRedis() {
        // XZERO:255, then an XZERO cut after its first byte: with the terminator's zero it spans 16129.
        // Splitting it writes the last byte of the new opcodes past the new end (Redis's memcpy after
        // sdsIncrLen), where the next walk reads it as the terminator.
        String hdr = "HYLL\u0001\0\0\0\0\0\0\0\0\0\0\0";
        for (int round = 0; round < 3; round++) {
            diff.same(b("SET"), b("h"), b(hdr + "\u0040\u00fe\u007f"));
            diff.same("PFCOUNT", "h");
            diff.same("PFDEBUG", "DECODE", "h");
            for (int i = 0; i < 300; i++) {
                diff.same("PFADD", "h", "t" + round + "-" + i);
                diff.same("GET", "h");
                if (i % 10 == 0) diff.same("PFCOUNT", "h", "h");
            }
            sameState("h");
        }
    }

    @Test
    void cachedCardinality_setByHand_isTrustedAsRedisDoes() {
        String body = "\u007f\u00ff";
        diff.same(b("SET"), b("h"), b("HYLL\u0001\u0009\u0008\u0007\u002a\0\0\0\0\0\0\u0000" + body));
        diff.same("PFCOUNT", "h");
        diff.same("OBJECT", "ENCODING", "h");
        diff.same(b("SET"), b("h"), b("HYLL\u0001\u0009\u0008\u0007\u002a\0\0\0\0\0\0\u0080" + body));
        diff.same("PFCOUNT", "h");
        diff.same("GET", "h");
        diff.same("PFADD", "h", "q");
        diff.same("GET", "h");
        diff.same("PFDEBUG", "TODENSE", "h");
        diff.same("GET", "h"); // the unused header bytes travel with the conversion
    }

    @Test
    void dense_registersAbove50_estimateOverflowsAsRedis() {
        // Every register 51: the estimator divides by zero and Redis answers 2^63 as a signed integer.
        byte[] hll = new byte[16 + 12288];
        System.arraycopy(b("HYLL"), 0, hll, 0, 4);
        hll[15] = (byte) 0x80;
        for (int i = 0; i < 12288; i += 3) {
            int v = 51;
            int word = v | v << 6 | v << 12 | v << 18;
            hll[16 + i] = (byte) word;
            hll[17 + i] = (byte) (word >> 8);
            hll[18 + i] = (byte) (word >> 16);
        }
        diff.same(b("SET"), b("h"), hll);
        diff.same("PFCOUNT", "h");
        diff.same("GET", "h");
        diff.same("PFCOUNT", "h");
        diff.same("PFCOUNT", "h", "h");
        hll[16] = 50; // register 0 at 50: a huge but finite estimate, still past the long range
        diff.same(b("SET"), b("h"), hll);
        diff.same("PFCOUNT", "h");
        hll[16] = 63;
        hll[17] = (byte) 0xff;
        diff.same(b("SET"), b("h"), hll);
        diff.same("PFCOUNT", "h");
        diff.same("PFMERGE", "s", "h");
        sameState("s");
    }

    // ---------------------------------------------------------------- PFDEBUG / PFSELFTEST

    @Test
    void pfdebug_subcommands_sameRepliesAndConversions() {
        diff.same("PFDEBUG", "ENCODING", "missing");
        diff.same("PFDEBUG", "nope", "missing");
        diff.same(pfadd("h", "d", 0, 30));
        diff.same("PFDEBUG", "nope", "h");
        diff.same("PFDEBUG", "DeCoDe", "h");
        diff.same("PFDEBUG", "encoding", "h");
        diff.same("PFDEBUG", "GETREG", "h");
        diff.same("PFDEBUG", "ENCODING", "h");
        diff.same("GET", "h");
        diff.same("PFDEBUG", "DECODE", "h");
        diff.same("PFDEBUG", "TODENSE", "h");
        diff.same(pfadd("g", "d", 0, 30));
        diff.same("PFDEBUG", "TODENSE", "g");
        diff.same("PFDEBUG", "TODENSE", "g");
        diff.same("GET", "g");
        diff.same("PFCOUNT", "g");
        diff.same("PFCOUNT", "h");
    }

    @Test
    void pfselftest_passes() {
        diff.same("PFSELFTEST");
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", "0");
        diff.same("PFSELFTEST");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void replies_bothProtocols_same(int proto) {
        diff.protocol(proto);
        diff.same(pfadd("h", "p", 0, 20));
        diff.same("PFCOUNT", "h");
        diff.same("PFCOUNT", "h", "x");
        diff.same("PFMERGE", "m", "h");
        diff.same("PFDEBUG", "ENCODING", "m");
        diff.same("PFDEBUG", "DECODE", "m");
        diff.same("PFDEBUG", "GETREG", "m");
        diff.same("PFDEBUG", "TODENSE", "m");
        diff.same("SET", "s", "x");
        diff.same("PFADD", "s", "a");
        diff.same("PFCOUNT", "missing");
    }

    // ---------------------------------------------------------------- side effects

    @Test
    void pfcount_cacheHitLeavesWatchAlone_recomputeBreaksIt() {
        diff.same(pfadd("h", "w", 0, 10));
        diff.same("PFCOUNT", "h");
        diff.same("WATCH", "h");
        diff.same("PFCOUNT", "h");
        diff.same("PFADD", "h", "w1");
        diff.same("MULTI");
        diff.same("PING");
        diff.same("EXEC");
        diff.same("WATCH", "h");
        diff.same("PFADD", "h", "new-element");
        diff.same("MULTI");
        diff.same("PING");
        diff.same("EXEC");
        diff.same("WATCH", "h");
        diff.same("PFCOUNT", "h");
        diff.same("MULTI");
        diff.same("PING");
        diff.same("EXEC");
    }

    @Test
    void randomMix_ofAddsMergesAndCounts_sameBytes() {
        Random rnd = new Random(42);
        String[] keys = {"k0", "k1", "k2", "k3"};
        for (int step = 0; step < 150; step++) {
            String k = keys[rnd.nextInt(keys.length)];
            switch (rnd.nextInt(4)) {
                case 0 -> {
                    int from = rnd.nextInt(3000);
                    diff.same(pfadd(k, "r", from, from + 1 + rnd.nextInt(rnd.nextBoolean() ? 10 : 400)));
                }
                case 1 -> diff.same("PFMERGE", k, keys[rnd.nextInt(keys.length)], keys[rnd.nextInt(keys.length)]);
                case 2 -> diff.same("PFCOUNT", k);
                default -> diff.same("PFCOUNT", k, keys[rnd.nextInt(keys.length)]);
            }
            diff.same("GET", k);
        }
    }
}
