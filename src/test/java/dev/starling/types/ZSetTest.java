package dev.starling.types;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.types.ZSkiplist.Node;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ZSet} and {@link ZSkiplist} on their own: the listpack encoding byte for byte against the
 * listpack redis-server 7.0 builds (read from its DUMP payload), and the skiplist's invariants
 * (order, spans, ranks, dict) after random operations checked against a sorted model.
 */
class ZSetTest {
    static RedisReference redis;
    static RespClient client;

    @BeforeAll
    static void start() {
        redis = RedisReference.start();
        client = redis.raw();
        client.callString("CONFIG", "SET", "rdbcompression", "no");
    }

    @AfterAll
    static void stop() {
        client.close();
        redis.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static final String[] SCORES = {"0", "-0", "1", "-1", "127", "128", "-4096", "4095", "32767", "-32769", "8388608", "2147483648",
            "0.1", "0.5", "-2.25", "1e15", "1e16", "1e17", "4611686018427387904", "4611686018427387905", "-4611686018427387904",
            "9.2233720368547758e18", "1.5e300", "-2.5e-7", "inf", "-inf", "4.9e-324", "123456789.125", "3.0000000000000004"};

    @Test
    void listpack_randomAdds_sameBytesAsRedis() {
        Random r = new Random(11);
        double[] newscore = new double[1];
        for (int round = 0; round < 120; round++) {
            client.call(b("DEL"), b("z"));
            ZSet z = ZSet.createListpack();
            int n = 1 + r.nextInt(40);
            for (int i = 0; i < n; i++) {
                String score = SCORES[r.nextInt(SCORES.length)];
                String member = switch (r.nextInt(5)) {
                    case 0 -> Integer.toString(r.nextInt(1000) - 500);
                    case 1 -> "x".repeat(r.nextInt(64));
                    case 2 -> "m" + r.nextInt(30);
                    case 3 -> Long.toString(r.nextLong());
                    default -> "member-" + r.nextInt(8);
                };
                String op = r.nextInt(5) == 0 ? "ZINCRBY" : "ZADD";
                client.call(b(op), b("z"), b(score), b(member));
                double d = dev.starling.protocol.Numbers.parseDouble(b(score));
                int ret = z.add(d, b(member), op.equals("ZINCRBY") ? ZSet.IN_INCR : 0, newscore, 128, 64);
                if ((ret & ZSet.OUT_NAN) != 0) assertThat(op).isEqualTo("ZINCRBY");
                if (r.nextInt(8) == 0) {
                    client.call(b("ZREM"), b("z"), b(member));
                    z.del(b(member));
                }
            }
            if (z.length() == 0) continue;
            assertThat(new String(client.call(b("OBJECT"), b("ENCODING"), b("z")), StandardCharsets.ISO_8859_1)).contains("listpack");
            byte[] theirs = ListpackTest.listpackFromDump(client.call(b("DUMP"), b("z")), 17);
            assertThat(Listpack.toBytes(z.lp)).as("round %d", round).isEqualTo(theirs);
            assertThat(z.validate()).isNull();
        }
    }

    @Test
    void convertToListpack_fromSkiplist_sameBytesAsRedisStoreResult() {
        client.callString("CONFIG", "SET", "zset-max-listpack-entries", "0");
        try {
            ZSet z = ZSet.createSkiplist();
            double[] ns = new double[1];
            List<String> args = new ArrayList<>(List.of("ZADD", "src"));
            for (int i = 0; i < SCORES.length; i++) {
                args.add(SCORES[i]);
                args.add("m" + i);
                z.add(dev.starling.protocol.Numbers.parseDouble(b(SCORES[i])), b("m" + i), 0, ns, 0, 64);
            }
            client.call(RespClient.args(args.toArray(new String[0])));
            client.callString("CONFIG", "SET", "zset-max-listpack-entries", "128");
            client.callString("ZUNIONSTORE", "dst", "1", "src");
            z.convertToListpackIfNeeded(2, 64, 128, 64);
            assertThat(z.isListpack()).isTrue();
            byte[] theirs = ListpackTest.listpackFromDump(client.call(b("DUMP"), b("dst")), 17);
            assertThat(Listpack.toBytes(z.lp)).isEqualTo(theirs);
        } finally {
            client.callString("CONFIG", "SET", "zset-max-listpack-entries", "128");
        }
    }

    @Test
    void strtod_asC() {
        int[] end = new int[1];
        assertThat(ZSet.strtod(b(" 1.5x"), 0, 5, end)).isEqualTo(1.5);
        assertThat(end[0]).isEqualTo(4);
        assertThat(ZSet.strtod(b(""), 0, 0, end)).isEqualTo(0);
        assertThat(end[0]).isEqualTo(0);
        assertThat(ZSet.strtod(b("abc"), 0, 3, end)).isEqualTo(0);
        assertThat(end[0]).isEqualTo(0);
        assertThat(ZSet.strtod(b("-Infinity"), 0, 9, end)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(end[0]).isEqualTo(9);
        assertThat(ZSet.strtod(b("0x1.8p1"), 0, 7, end)).isEqualTo(3.0);
        assertThat(ZSet.strtod(b("0x10"), 0, 4, end)).isEqualTo(16.0);
        assertThat(ZSet.strtod(b("0x"), 0, 2, end)).isEqualTo(0);
        assertThat(end[0]).isEqualTo(1);
        assertThat(ZSet.strtod(b("1e"), 0, 2, end)).isEqualTo(1);
        assertThat(end[0]).isEqualTo(1);
        assertThat(ZSet.strtod(b("1e+5"), 0, 4, end)).isEqualTo(1e5);
        assertThat(Double.isNaN(ZSet.strtod(b("nan(123)"), 0, 8, end))).isTrue();
        assertThat(end[0]).isEqualTo(8);
        assertThat(ZSet.strtod(b("7\0garbage"), 0, 9, end)).isEqualTo(7);
        assertThat(end[0]).isEqualTo(1);
    }

    // ---------------------------------------------------------------- skiplist

    /** Model key: score then member bytes, as the skiplist orders. */
    record Key(double score, byte[] member) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Double.compare(score, o.score);
            if (score == o.score) c = 0; // -0 and 0 are equal scores
            return c != 0 ? c : Arrays.compareUnsigned(member, o.member);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && compareTo(k) == 0;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(member);
        }
    }

    @Test
    void skiplist_randomOperations_invariantsAndRanksMatchModel() {
        Random r = new Random(5);
        for (int round = 0; round < 20; round++) {
            ZSet z = ZSet.createSkiplist();
            TreeMap<Key, Boolean> model = new TreeMap<>();
            java.util.HashMap<String, Double> scores = new java.util.HashMap<>();
            double[] ns = new double[1];
            for (int op = 0; op < 600; op++) {
                String m = "m" + r.nextInt(200);
                double score = r.nextInt(4) == 0 ? r.nextInt(5) : r.nextGaussian() * 100;
                int k = r.nextInt(10);
                if (k < 6) {
                    z.add(score, b(m), 0, ns, 0, 64);
                    Double old = scores.put(m, score);
                    if (old != null) model.remove(new Key(old, b(m)));
                    model.put(new Key(score, b(m)), true);
                } else if (k < 8) {
                    boolean removed = z.del(b(m));
                    Double old = scores.remove(m);
                    assertThat(removed).isEqualTo(old != null);
                    if (old != null) model.remove(new Key(old, b(m)));
                } else if (k == 8 && !model.isEmpty()) {
                    long start = 1 + r.nextInt(model.size()), end = start + r.nextInt(5);
                    long expected = Math.min(end, model.size()) - start + 1;
                    List<Key> keys = new ArrayList<>(model.keySet());
                    assertThat(z.zsl.deleteRangeByRank(start, end, z.dict)).isEqualTo(expected);
                    for (long i = start; i <= Math.min(end, keys.size()); i++) {
                        Key key = keys.get((int) i - 1);
                        model.remove(key);
                        scores.remove(new String(key.member(), StandardCharsets.ISO_8859_1));
                    }
                } else {
                    ZSet.RangeSpec range = new ZSet.RangeSpec();
                    range.min = r.nextGaussian() * 100;
                    range.max = range.min + r.nextInt(30);
                    range.minex = r.nextBoolean();
                    long inRange = 0;
                    for (Key key : model.keySet()) if (range.gteMin(key.score()) && range.lteMax(key.score())) inRange++;
                    Node first = z.zsl.firstInRange(range), last = z.zsl.lastInRange(range);
                    if (inRange == 0) {
                        assertThat(first).isNull();
                        assertThat(last).isNull();
                    } else {
                        assertThat(z.zsl.getRank(last.score, last.key) - z.zsl.getRank(first.score, first.key) + 1).isEqualTo(inRange);
                    }
                }
                if (op % 50 == 0) assertThat(z.validate()).as("round %d op %d", round, op).isNull();
            }
            assertThat(z.validate()).isNull();
            assertThat(z.length()).isEqualTo(model.size());
            int rank = 1;
            Node x = z.zsl.first();
            for (Key key : model.keySet()) {
                assertThat(x.key).isEqualTo(key.member());
                assertThat(z.zsl.getRank(x.score, x.key)).isEqualTo(rank);
                assertThat(z.zsl.getElementByRank(rank)).isSameAs(x);
                x = x.next();
                rank++;
            }
            assertThat(x).isNull();
        }
    }

    @Test
    void skiplist_updateScore_keepsNodeAndInvariants() {
        ZSet z = ZSet.createSkiplist();
        double[] ns = new double[1];
        for (int i = 0; i < 100; i++) z.add(i, b("m" + i), 0, ns, 0, 64);
        Node n = z.dict.get(b("m50"));
        z.add(50.5, b("m50"), 0, ns, 0, 64); // stays in place
        assertThat(z.dict.get(b("m50"))).isSameAs(n);
        z.add(-1, b("m50"), 0, ns, 0, 64); // moves to the head
        assertThat(z.zsl.first()).isSameAs(n);
        z.add(1000, b("m50"), ZSet.IN_INCR, ns, 0, 64);
        assertThat(z.zsl.last()).isSameAs(n);
        assertThat(ns[0]).isEqualTo(999);
        assertThat(z.validate()).isNull();
        ZSet copy = (ZSet) z.duplicate();
        assertThat(copy.validate()).isNull();
        assertThat(copy.memoryBytes()).isPositive();
        copy.convertToListpack();
        assertThat(copy.validate()).isNull();
        copy.convertToSkiplist();
        assertThat(copy.validate()).isNull();
        assertThat(copy.rank(b("m50"), true)).isEqualTo(0);
    }

    /**
     * Score updates that move a node (ZSkiplist.move finds both places in one walk): every kind of
     * move — to a neighbour's place, past it, across ties on score (member order decides), to the
     * ends, into and out of the top levels — checked against a model after every update.
     */
    @Test
    void skiplist_moves_matchModelAfterEveryUpdate() {
        Random r = new Random(17);
        for (int round = 0; round < 6; round++) {
            ZSet z = ZSet.createSkiplist();
            TreeMap<Key, Boolean> model = new TreeMap<>();
            java.util.HashMap<String, Double> scores = new java.util.HashMap<>();
            double[] ns = new double[1];
            int members = round < 3 ? 40 : 3000;
            int distinct = round % 3 == 0 ? 3 : round % 3 == 1 ? members : members * 10;
            for (int op = 0; op < 4000; op++) {
                String m = "m" + r.nextInt(members);
                double score;
                Double cur = scores.get(m);
                int kind = r.nextInt(8);
                if (cur != null && kind == 0) score = cur + (r.nextBoolean() ? 1 : -1); // next door
                else if (cur != null && kind == 1) score = cur + r.nextGaussian() * 0.01;
                else if (kind == 2) score = r.nextBoolean() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                else score = r.nextInt(distinct);
                Node before = z.dict.get(b(m));
                z.add(score, b(m), 0, ns, 0, 64);
                if (before != null) assertThat(z.dict.get(b(m))).isSameAs(before);
                Double old = scores.put(m, score);
                if (old != null) model.remove(new Key(old, b(m)));
                model.put(new Key(score, b(m)), true);
                if (members < 100 || op % 97 == 0) {
                    assertThat(z.validate()).as("round %d op %d", round, op).isNull();
                    int rank = 1;
                    Node x = z.zsl.first();
                    for (Key key : model.keySet()) {
                        assertThat(x.key).isEqualTo(key.member());
                        assertThat(x.score).isEqualTo(key.score());
                        if (members < 100) assertThat(z.zsl.getRank(x.score, x.key)).isEqualTo(rank);
                        x = x.next();
                        rank++;
                    }
                    assertThat(x).isNull();
                }
            }
            assertThat(z.validate()).isNull();
        }
    }
}
