package dev.starling.command;

import dev.starling.support.RespClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sorted set behaviour beyond single replies, against redis-server 7.0: where the encoding
 * converts (and converts back for store results), ZSCAN, WATCH and keyspace hits and misses.
 * Notifications and server.dirty are in pubsub.ZSetEventsDifferentialTest.
 */
class ZSetCommandsDifferentialTest extends ZSetTestSupport {
    @BeforeEach
    void clean() {
        diff.flushAll();
    }

    /** ZADD key with n members m0..m(n-1) scored by index, in one command. */
    static void zaddMany(String key, int n, int from) {
        List<String> a = new ArrayList<>(List.of("ZADD", key));
        for (int i = from; i < from + n; i++) {
            a.add(Integer.toString(i));
            a.add("m" + i);
        }
        diff.same(a.toArray(new String[0]));
    }

    void sameEncodingAndDigest(String key) {
        diff.same("OBJECT", "ENCODING", key);
        diff.same("DEBUG", "DIGEST-VALUE", key);
    }

    // ---------------------------------------------------------------- encodings

    @Test
    void zadd_atEntriesLimit_convertsExactlyWhereRedisDoes() {
        zaddMany("z", 128, 0);
        assertThat(diff.same("OBJECT", "ENCODING", "z")).contains("listpack");
        zaddMany("z", 1, 128);
        assertThat(diff.same("OBJECT", "ENCODING", "z")).contains("skiplist");
        sameEncodingAndDigest("z");
        // One command creating more than the limit.
        zaddMany("big", 200, 0);
        sameEncodingAndDigest("big");
        // Removing members does not convert back.
        diff.same("ZREMRANGEBYRANK", "big", "0", "195");
        sameEncodingAndDigest("big");
        diff.same("ZRANGE", "big", "0", "-1", "WITHSCORES");
    }

    @Test
    void zadd_memberLongerThanValueLimit_convertsOnCreationAndLater() {
        String m64 = "x".repeat(64), m65 = "y".repeat(65);
        diff.same("ZADD", "a", "1", m64);
        assertThat(diff.same("OBJECT", "ENCODING", "a")).contains("listpack");
        diff.same("ZADD", "a", "2", m65);
        assertThat(diff.same("OBJECT", "ENCODING", "a")).contains("skiplist");
        // Creation looks at the first member only; a later long one converts on insert.
        diff.same("ZADD", "b", "1", m65, "2", "short");
        sameEncodingAndDigest("b");
        diff.same("ZADD", "c", "1", "short", "2", m65);
        sameEncodingAndDigest("c");
        diff.same("ZINCRBY", "d", "1", m65);
        sameEncodingAndDigest("d");
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "0");
        diff.same("ZADD", "e", "1", "a");
        sameEncodingAndDigest("e");
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "0");
        diff.same("ZADD", "f", "1", "a");
        sameEncodingAndDigest("f");
        diff.same("ZADD", "g", "1", "");
        sameEncodingAndDigest("g");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"})
    void storeResults_smallEnough_convertBackToListpack(String op) {
        zaddMany("big1", 200, 0);
        zaddMany("big2", 195, 5);
        String weights = op.equals("ZDIFFSTORE") ? null : "WEIGHTS";
        // Large result: stays skiplist.
        diff.same(op, "dst", "2", "big1", "big2");
        sameEncodingAndDigest("dst");
        diff.same("ZRANGE", "dst", "0", "-1", "WITHSCORES");
        // Small result from skiplist inputs: converted back to listpack.
        zaddMany("few", 10, 190);
        diff.same(op, "dst", "2", "few", "big1");
        sameEncodingAndDigest("dst");
        diff.same(op, "dst", "2", "big1", "few");
        sameEncodingAndDigest("dst");
        if (weights != null) {
            diff.same(op, "dst", "2", "few", "big2", weights, "2", "0.5");
            sameEncodingAndDigest("dst");
        }
        // A long member keeps the result a skiplist.
        diff.same("ZADD", "few", "1", "z".repeat(65));
        diff.same(op, "dst", "2", "few", "nokey");
        sameEncodingAndDigest("dst");
        // ZDIFF's second algorithm (few removals from a big first input).
        diff.same(op, "dst", "3", "big1", "few", "nokey");
        sameEncodingAndDigest("dst");
        diff.same("ZRANGE", "dst", "0", "-1", "WITHSCORES");
    }

    @Test
    void zrangestore_sizesTheDestinationAsRedis() {
        zaddMany("big", 300, 0);
        // By rank, the destination is created for the range length.
        diff.same("ZRANGESTORE", "d1", "big", "0", "127");
        sameEncodingAndDigest("d1");
        diff.same("ZRANGESTORE", "d2", "big", "0", "128");
        sameEncodingAndDigest("d2");
        diff.same("ZRANGESTORE", "d3", "big", "10", "19", "REV");
        sameEncodingAndDigest("d3");
        // By score or lex it starts as a listpack and converts while filling.
        diff.same("ZRANGESTORE", "d4", "big", "0", "127", "BYSCORE");
        sameEncodingAndDigest("d4");
        diff.same("ZRANGESTORE", "d5", "big", "0", "128", "BYSCORE");
        sameEncodingAndDigest("d5");
        diff.same("ZRANGESTORE", "d6", "big", "(5", "+inf", "BYSCORE", "LIMIT", "0", "20");
        sameEncodingAndDigest("d6");
        diff.same("ZADD", "lex", "0", "a", "0", "b", "0", "c");
        diff.same("ZRANGESTORE", "d7", "lex", "[b", "+", "BYLEX");
        sameEncodingAndDigest("d7");
        diff.same("ZADD", "long", "1", "q".repeat(70), "2", "short");
        diff.same("ZRANGESTORE", "d8", "long", "0", "-1");
        sameEncodingAndDigest("d8");
        diff.same("ZRANGESTORE", "d9", "long", "1", "1");
        sameEncodingAndDigest("d9");
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "0");
        diff.same("ZRANGESTORE", "d10", "long", "1", "1");
        sameEncodingAndDigest("d10");
        diff.same("ZRANGESTORE", "d11", "long", "-inf", "+inf", "BYSCORE");
        sameEncodingAndDigest("d11");
    }

    @Test
    void copy_bothEncodings_independentCopies() {
        zaddMany("s", 200, 0);
        diff.same("ZADD", "l", "1.5", "a", "2", "b");
        diff.same("COPY", "s", "s2");
        diff.same("COPY", "l", "l2");
        sameEncodingAndDigest("s2");
        sameEncodingAndDigest("l2");
        diff.same("ZADD", "s2", "1000", "new");
        diff.same("ZREM", "l2", "a");
        diff.same("ZCARD", "s");
        diff.same("ZRANGE", "l", "0", "-1", "WITHSCORES");
        diff.same("ZRANGE", "s2", "-3", "-1", "WITHSCORES");
        diff.same("DEBUG", "DIGEST");
    }

    @Test
    void scoresStoredAsRedisStoresThem_sameDigestsInBothEncodings() {
        String[] scores = {"0", "-0", "1", "-1", "0.1", "1e17", "1e16", "4611686018427387904", "4611686018427387905", "-4611686018427387904",
                "9.2233720368547758e18", "1.5e300", "-2.5e-7", "inf", "-inf", "4.9e-324", "123456789.125", "0x10", "1e15", "-1e15"};
        for (int i = 0; i < scores.length; i++) {
            diff.same("ZADD", "lp", scores[i], "m" + i);
            diff.same("ZADD", "sl", scores[i], "m" + i);
        }
        zaddMany("sl", 130, 1000);
        diff.same("ZREMRANGEBYRANK", "sl", "0", "-1"); // empty: deleted
        for (int i = 0; i < scores.length; i++) diff.same("ZADD", "sl", scores[i], "m" + i);
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "0");
        diff.same("ZUNIONSTORE", "sl2", "1", "lp");
        sameEncodingAndDigest("lp");
        sameEncodingAndDigest("sl2");
        diff.same("ZRANGE", "lp", "0", "-1", "WITHSCORES");
        diff.same("ZRANGE", "sl2", "0", "-1", "WITHSCORES");
        diff.same("ZSCAN", "lp", "0");
        diff.same("ZINCRBY", "lp", "0.5", "m5");
        diff.same("ZINCRBY", "sl2", "0.5", "m5");
        sameEncodingAndDigest("lp");
        sameEncodingAndDigest("sl2");
    }

    @Test
    void zscan_skiplist_returnsEveryMemberWithRedisScoreText() {
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "0");
        diff.same("ZADD", "z", "0.1", "a", "1e17", "b", "inf", "c", "-0", "d", "3", "e");
        // A zset with at most COUNT members in a small table comes back whole.
        assertThat(sortedPairs(diff.ours().call(RespClient.args("ZSCAN", "z", "0"))))
                .isEqualTo(sortedPairs(diff.theirs().call(RespClient.args("ZSCAN", "z", "0"))));
        zaddMany("big", 1000, 0);
        // The full iteration returns each member once (no rehash in between) with Redis's score text.
        java.util.Set<String> seen = new java.util.HashSet<>();
        long cursor = 0;
        int calls = 0;
        do {
            String reply = new String(diff.ours().call(RespClient.args("ZSCAN", "big", Long.toString(cursor), "COUNT", "50")), StandardCharsets.ISO_8859_1);
            List<String> parts = scanParts(reply);
            cursor = Long.parseLong(parts.get(0));
            for (int i = 1; i < parts.size(); i += 2) {
                assertThat(seen.add(parts.get(i))).isTrue();
                assertThat(parts.get(i + 1)).isEqualTo(parts.get(i).substring(1));
            }
            calls++;
        } while (cursor != 0);
        assertThat(seen).hasSize(1000);
        assertThat(calls).isGreaterThan(5);
        String reply = new String(diff.ours().call(RespClient.args("ZSCAN", "big", "0", "MATCH", "m99*", "COUNT", "2000")), StandardCharsets.ISO_8859_1);
        assertThat(scanParts(reply)).hasSize(1 + 2 * 11);
    }

    /** The cursor, then the member/score pairs of a ZSCAN reply sorted. */
    static List<String> sortedPairs(byte[] reply) {
        List<String> parts = scanParts(new String(reply, StandardCharsets.ISO_8859_1));
        List<String> pairs = new ArrayList<>();
        for (int i = 1; i < parts.size(); i += 2) pairs.add(parts.get(i) + " " + parts.get(i + 1));
        Collections.sort(pairs);
        pairs.add(0, parts.get(0));
        return pairs;
    }

    /** The cursor and the elements of a ZSCAN reply. */
    static List<String> scanParts(String reply) {
        List<String> out = new ArrayList<>();
        String[] lines = reply.split("\r\n");
        out.add(lines[2]);
        for (int i = 4; i < lines.length; i += 2) out.add(lines[i + 1]);
        return out;
    }

    // ---------------------------------------------------------------- INFO

    static long infoField(RespClient c, String section, String field) {
        String info = c.callString("INFO", section);
        for (String line : info.split("\r\n")) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.substring(line.indexOf(':') + 1));
        }
        throw new IllegalStateException(info);
    }

    @Test
    void keyspaceHitsAndMisses_readLookupsAsRedis() {
        diff.same("ZADD", "a", "1", "x", "2", "y");
        diff.same("ZADD", "b", "1", "x");
        // ZRANDMEMBER on b: a single member, so the reply is not random.
        String[][] commands = {
            {"ZSCORE", "a", "x"}, {"ZSCORE", "nokey", "x"}, {"ZMSCORE", "a", "x", "q"}, {"ZRANGE", "a", "0", "-1"}, {"ZRANGE", "nokey", "0", "1"},
            {"ZCARD", "a"}, {"ZCOUNT", "a", "0", "5"}, {"ZLEXCOUNT", "a", "-", "+"}, {"ZRANK", "a", "y"}, {"ZRANDMEMBER", "b"},
            {"ZSCAN", "a", "0"}, {"ZUNIONSTORE", "d", "2", "a", "nokey"}, {"ZINTER", "2", "a", "b"}, {"ZDIFF", "2", "nokey", "a"},
            {"ZINTERCARD", "2", "a", "b"}, {"ZRANGESTORE", "d2", "a", "0", "-1"}, {"ZADD", "a", "3", "z"}, {"ZINCRBY", "a", "1", "z"},
            {"ZREM", "a", "z"}, {"ZPOPMIN", "b"}, {"ZMPOP", "2", "nokey", "a", "MIN"}, {"ZREMRANGEBYRANK", "nokey", "0", "1"},
        };
        for (String[] cmd : commands) {
            long oh = infoField(diff.ours(), "stats", "keyspace_hits"), om = infoField(diff.ours(), "stats", "keyspace_misses");
            long th = infoField(diff.theirs(), "stats", "keyspace_hits"), tm = infoField(diff.theirs(), "stats", "keyspace_misses");
            diff.same(cmd);
            assertThat(infoField(diff.ours(), "stats", "keyspace_hits") - oh).as("hits of %s", String.join(" ", cmd))
                    .isEqualTo(infoField(diff.theirs(), "stats", "keyspace_hits") - th);
            assertThat(infoField(diff.ours(), "stats", "keyspace_misses") - om).as("misses of %s", String.join(" ", cmd))
                    .isEqualTo(infoField(diff.theirs(), "stats", "keyspace_misses") - tm);
        }
    }

    // ---------------------------------------------------------------- WATCH

    @Test
    void watch_changedOnlyWhenRedisSignalsTheKey() {
        String[][] cases = {
            {"ZADD", "w", "1", "a"}, {"ZADD", "w", "NX", "5", "a"}, {"ZADD", "w", "XX", "1", "a"}, {"ZADD", "w", "2", "a"},
            {"ZINCRBY", "w", "0", "a"}, {"ZINCRBY", "w", "1", "a"}, {"ZREM", "w", "nosuch"}, {"ZREM", "w", "a"},
            {"ZREMRANGEBYSCORE", "w", "100", "200"}, {"ZPOPMIN", "w"}, {"ZPOPMIN", "w", "0"}, {"ZUNIONSTORE", "w", "1", "nokey"},
            {"ZRANGESTORE", "w", "nokey", "0", "-1"}, {"ZUNIONSTORE", "w", "1", "src"}, {"ZRANGESTORE", "w", "src", "0", "0"},
            {"ZINTERSTORE", "w", "2", "src", "nokey"},
        };
        diff.same("ZADD", "w", "1", "a", "2", "b");
        diff.same("ZADD", "src", "1", "s");
        try (RespClient ours2 = diff.starling.raw(); RespClient theirs2 = diff.redis.raw()) {
            for (String[] cmd : cases) {
                diff.same("WATCH", "w");
                byte[][] a = RespClient.args(cmd);
                assertThat(new String(ours2.call(a), StandardCharsets.ISO_8859_1)).isEqualTo(new String(theirs2.call(a), StandardCharsets.ISO_8859_1));
                diff.same("MULTI");
                diff.same("PING");
                diff.same("EXEC");
                diff.same("ZADD", "w", "1", "a", "2", "b");
            }
        }
    }

    // ---------------------------------------------------------------- score updates (skiplist)

    /**
     * Score updates on a skiplist zset, every way ZADD / ZINCRBY can change a member: in place
     * (the new score still between its neighbours), moves across ties on score (member order
     * decides), to and from ±inf, INCR to NaN (an error, nothing changes), and NX / XX / GT / LT /
     * CH / INCR with one and several pairs; replies, order and ranks as Redis's, in RESP2 and RESP3.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zadd_scoreUpdates_inPlaceMovesTiesAndFlags_asRedis(int proto) {
        diff.protocol(proto);
        java.util.Random r = new java.util.Random(proto);
        List<String> a = new ArrayList<>(List.of("ZADD", "z"));
        for (int i = 0; i < 300; i++) {
            a.add(Integer.toString(i % 7));
            a.add("m" + i);
        }
        diff.same(a.toArray(new String[0]));
        assertThat(diff.same("OBJECT", "ENCODING", "z")).contains("skiplist");
        String[][] flagSets = {{}, {"CH"}, {"NX"}, {"XX"}, {"GT"}, {"LT"}, {"GT", "CH"}, {"LT", "CH"}, {"XX", "GT", "CH"},
                {"INCR"}, {"XX", "INCR"}, {"NX", "INCR"}, {"GT", "INCR"}, {"LT", "INCR"}};
        String[] odd = {"inf", "-inf", "+inf", "0", "-0", "0.5", "1e300", "-1e-300", "3.0000000000000004", "nan"};
        for (int op = 0; op < 1500; op++) {
            List<String> cmd = new ArrayList<>(List.of("ZADD", "z"));
            Collections.addAll(cmd, flagSets[r.nextInt(flagSets.length)]);
            boolean incr = cmd.contains("INCR");
            int pairs = incr ? 1 : 1 + (r.nextInt(4) == 0 ? r.nextInt(3) : 0);
            for (int p = 0; p < pairs; p++) {
                int k = r.nextInt(10);
                String score;
                if (k < 2) score = odd[r.nextInt(odd.length)];
                else if (k < 4) score = (r.nextInt(7)) + "." + r.nextInt(10); // between or on the ties
                else score = Integer.toString(r.nextInt(8) - 1); // onto a tie group
                cmd.add(score);
                cmd.add("m" + r.nextInt(320)); // mostly present, sometimes new
            }
            diff.same(cmd.toArray(new String[0]));
            if (r.nextInt(8) == 0) diff.same("ZINCRBY", "z", r.nextBoolean() ? "0.25" : "-1", "m" + r.nextInt(300));
            if (op % 50 == 0) {
                diff.same("ZRANGE", "z", "0", "-1", "WITHSCORES");
                diff.same("ZRANK", "z", "m" + r.nextInt(300));
                diff.same("ZREVRANK", "z", "m" + r.nextInt(300));
                assertThat(validate(diff.starling)).as("after op %d", op).isNull();
            }
        }
        diff.same("ZRANGE", "z", "0", "-1", "WITHSCORES");
        sameEncodingAndDigest("z");
    }
}
