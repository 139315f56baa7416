package dev.starling.command;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random sequences of every deterministic sorted set command, byte for byte against
 * redis-server 7.0, with listpack limits that make zsets convert at different sizes (including
 * zset-max-listpack-entries 0, all skiplist). OBJECT ENCODING and DEBUG DIGEST-VALUE are compared
 * along the way, so an encoding decision or a stored score that differs from Redis's fails.
 */
class ZSetCommandsFuzzDifferentialTest extends ZSetTestSupport {
    static final String[] KEYS = {"z0", "z1", "z2", "z3"};
    static final String[] LEX_KEYS = {"l0", "l1"};
    static final String[] SCORES = {"0", "1", "2", "3", "-1", "1.5", "0.1", "0.3", "-2.25", "100", "1e17", "-0", "inf", "-inf",
            "4611686018427387904", "123456789", "2.5e-5", "7"};

    Random r;

    String member() {
        return switch (r.nextInt(8)) {
            case 0 -> Integer.toString(r.nextInt(30));
            case 1 -> "m" + r.nextInt(40);
            case 2 -> "long-member-" + "x".repeat(r.nextInt(20)) + r.nextInt(5);
            case 3 -> Integer.toString(-r.nextInt(5));
            case 4 -> r.nextBoolean() ? "" : "\u00ff";
            default -> "m" + r.nextInt(12);
        };
    }

    String score() {
        return r.nextInt(4) == 0 ? Integer.toString(r.nextInt(20) - 5) : SCORES[r.nextInt(SCORES.length)];
    }

    /** A key that any command may write (scores vary). */
    String key() {
        return KEYS[r.nextInt(KEYS.length)];
    }

    /**
     * A key whose members all score 0. Lex ranges are only defined on such zsets: with mixed scores
     * the skiplist search depends on the random node levels, in Redis too.
     */
    String lexKey() {
        return LEX_KEYS[r.nextInt(LEX_KEYS.length)];
    }

    /** Any key, for commands that keep scores equal (reads, removals). */
    String anyKey() {
        return r.nextInt(3) == 0 ? lexKey() : key();
    }

    String scoreBound() {
        String s = score();
        return r.nextInt(3) == 0 ? "(" + s : s;
    }

    String lexBound() {
        return switch (r.nextInt(5)) {
            case 0 -> "-";
            case 1 -> "+";
            case 2 -> "(" + member();
            default -> "[" + member();
        };
    }

    String rank() {
        return Integer.toString(r.nextInt(30) - 12);
    }

    List<String> command() {
        List<String> a = new ArrayList<>();
        int k = r.nextInt(40);
        if (k < 10) {
            a.add("ZADD");
            boolean lex = r.nextInt(4) == 0;
            a.add(lex ? lexKey() : key());
            if (r.nextInt(4) == 0) a.add(new String[] {"NX", "XX", "GT", "LT", "CH"}[r.nextInt(5)]);
            if (r.nextInt(6) == 0) a.add("CH");
            if (lex) {
                int n = 1 + r.nextInt(r.nextInt(5) == 0 ? 40 : 4);
                for (int i = 0; i < n; i++) {
                    a.add("0");
                    a.add(member());
                }
            } else if (r.nextInt(10) == 0) {
                a.add("INCR");
                a.add(score());
                a.add(member());
            } else {
                int n = 1 + r.nextInt(r.nextInt(5) == 0 ? 40 : 4);
                for (int i = 0; i < n; i++) {
                    a.add(score());
                    a.add(member());
                }
            }
        } else if (k < 12) {
            a.addAll(List.of("ZINCRBY", key(), score(), member()));
        } else if (k < 14) {
            a.addAll(List.of("ZREM", anyKey(), member(), member()));
        } else if (k == 14) {
            a.addAll(List.of("ZREMRANGEBYRANK", anyKey(), rank(), rank()));
        } else if (k == 15) {
            a.addAll(List.of("ZREMRANGEBYSCORE", anyKey(), scoreBound(), scoreBound()));
        } else if (k == 16) {
            a.addAll(List.of("ZREMRANGEBYLEX", lexKey(), lexBound(), lexBound()));
        } else if (k == 17) {
            a.addAll(List.of(r.nextBoolean() ? "ZPOPMIN" : "ZPOPMAX", anyKey()));
            if (r.nextBoolean()) a.add(Integer.toString(r.nextInt(5)));
        } else if (k == 18) {
            a.addAll(List.of("ZMPOP", "2", anyKey(), anyKey(), r.nextBoolean() ? "MIN" : "MAX"));
            if (r.nextBoolean()) a.addAll(List.of("COUNT", Integer.toString(1 + r.nextInt(4))));
        } else if (k < 22) {
            int type = r.nextInt(3);
            a.addAll(List.of("ZRANGE", type == 2 ? lexKey() : anyKey()));
            if (type == 0) {
                a.add(rank());
                a.add(rank());
            } else if (type == 1) {
                a.add(scoreBound());
                a.add(scoreBound());
                a.add("BYSCORE");
            } else {
                a.add(lexBound());
                a.add(lexBound());
                a.add("BYLEX");
            }
            if (r.nextBoolean()) a.add("REV");
            if (type != 0 && r.nextBoolean()) a.addAll(List.of("LIMIT", Integer.toString(r.nextInt(6) - 1), Integer.toString(r.nextInt(6) - 1)));
            if (type != 2 && r.nextBoolean()) a.add("WITHSCORES");
        } else if (k == 22) {
            a.addAll(List.of("ZRANGESTORE", key(), anyKey()));
            if (r.nextBoolean()) {
                a.add(rank());
                a.add(rank());
            } else {
                a.add(scoreBound());
                a.add(scoreBound());
                a.add("BYSCORE");
            }
        } else if (k < 26) {
            String[] ops = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"};
            String op = ops[r.nextInt(ops.length)];
            a.add(op);
            if (op.endsWith("STORE")) a.add(key());
            int n = 1 + r.nextInt(3);
            a.add(Integer.toString(n));
            // Plain sets are inputs too (every score 1): s0 an intset, s1 a hashtable.
            for (int i = 0; i < n; i++) a.add(r.nextInt(6) == 0 ? (r.nextBoolean() ? "s0" : "s1") : anyKey());
            boolean diffOp = op.startsWith("ZDIFF"), card = op.equals("ZINTERCARD");
            if (!diffOp && !card && r.nextBoolean()) {
                a.add("WEIGHTS");
                for (int i = 0; i < n; i++) a.add(new String[] {"1", "2", "-1", "0.5", "0", "inf"}[r.nextInt(6)]);
            }
            if (!diffOp && !card && r.nextBoolean()) a.addAll(List.of("AGGREGATE", new String[] {"SUM", "MIN", "MAX"}[r.nextInt(3)]));
            if (card && r.nextBoolean()) a.addAll(List.of("LIMIT", Integer.toString(r.nextInt(4))));
            if (!op.endsWith("STORE") && !card && r.nextBoolean()) a.add("WITHSCORES");
        } else if (k == 26) {
            a.addAll(List.of("ZCOUNT", anyKey(), scoreBound(), scoreBound()));
        } else if (k == 27) {
            a.addAll(List.of("ZLEXCOUNT", lexKey(), lexBound(), lexBound()));
        } else if (k == 28) {
            a.addAll(List.of("ZSCORE", anyKey(), member()));
        } else if (k == 29) {
            a.addAll(List.of("ZMSCORE", anyKey(), member(), member(), member()));
        } else if (k == 30) {
            a.addAll(List.of(r.nextBoolean() ? "ZRANK" : "ZREVRANK", anyKey(), member()));
        } else if (k == 31) {
            a.addAll(List.of("ZCARD", anyKey()));
        } else if (k == 32) {
            a.addAll(List.of("OBJECT", "ENCODING", anyKey()));
        } else if (k == 33) {
            a.addAll(List.of("DEBUG", "DIGEST-VALUE", anyKey()));
        } else if (k == 34) {
            // The whole set: deterministic order (highest score first).
            a.addAll(List.of("ZRANDMEMBER", anyKey(), "1000"));
            if (r.nextBoolean()) a.add("WITHSCORES");
        } else if (k == 35) {
            a.addAll(List.of(r.nextBoolean() ? "ZRANGEBYSCORE" : "ZREVRANGEBYSCORE", anyKey(), scoreBound(), scoreBound()));
            if (r.nextBoolean()) a.add("WITHSCORES");
        } else if (k == 36) {
            a.addAll(List.of(r.nextBoolean() ? "ZRANGEBYLEX" : "ZREVRANGEBYLEX", lexKey(), lexBound(), lexBound()));
        } else if (k == 37) {
            a.addAll(List.of("ZREVRANGE", anyKey(), rank(), rank()));
        } else if (k == 38) {
            a.addAll(List.of("COPY", anyKey(), key(), "REPLACE"));
        } else {
            a.addAll(List.of("DEBUG", "DIGEST"));
        }
        return a;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void randomCommands_sameRepliesEncodingsAndDigests(int seed) {
        r = new Random(seed);
        diff.flushAll();
        diff.protocol(seed % 2 == 0 ? 3 : 2);
        String entries = new String[] {"0", "1", "4", "16", "128"}[seed % 5];
        String value = seed % 3 == 0 ? "8" : "64";
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", entries, "zset-max-listpack-value", value);
        diff.same("SADD", "s0", "0", "1", "2", "3", "5", "8", "13", "21", "-1", "-3");
        diff.same("SADD", "s1", "m1", "m2", "m3", "m5", "m8", "0", "2", "", "long-member-x1");
        for (int op = 0; op < 2000; op++) {
            List<String> cmd = command();
            diff.same(cmd.toArray(new String[0]));
            if (op % 100 == 0) assertThat(validate(diff.starling)).as("after op %d", op).isNull();
        }
        for (String k : new String[] {"z0", "z1", "z2", "z3", "l0", "l1"}) {
            diff.same("OBJECT", "ENCODING", k);
            diff.same("ZRANGE", k, "0", "-1", "WITHSCORES");
        }
        diff.same("DEBUG", "DIGEST");
        assertThat(validate(diff.starling)).isNull();
    }
}
