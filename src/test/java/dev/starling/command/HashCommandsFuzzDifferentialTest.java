package dev.starling.command;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random hash commands on a few keys against redis-server 7.0, with small and changing
 * conversion thresholds so both encodings and every conversion path are crossed many times. After
 * each command OBJECT ENCODING and DEBUG DIGEST-VALUE must agree; whole-hash replies are compared
 * in order for a listpack and as multisets for a hashtable.
 */
class HashCommandsFuzzDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    private static final String[] KEYS = {"h1", "h2", "h3"};

    static String field(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> Integer.toString(r.nextInt(20));
            case 1 -> "long-field-" + r.nextInt(20);
            default -> "f" + r.nextInt(20);
        };
    }

    static String value(Random r) {
        return switch (r.nextInt(7)) {
            case 0 -> Integer.toString(r.nextInt(2000) - 1000);
            case 1 -> "x".repeat(r.nextInt(12));
            case 2 -> Double.toString(r.nextDouble() * 100);
            case 3 -> Long.toString(r.nextLong());
            case 4 -> "007";
            default -> "v" + r.nextInt(100);
        };
    }

    @Test
    void randomCommands_sameRepliesEncodingsAndDigests() {
        Random r = new Random(2026);
        for (int proto : new int[] {2, 3}) {
            diff.protocol(proto);
            diff.flushAll();
            for (int step = 0; step < 1500; step++) {
                String key = KEYS[r.nextInt(KEYS.length)];
                boolean hashtable = diff.theirs().callString("OBJECT", "ENCODING", key).contains("hashtable");
                List<String> cmd = new ArrayList<>();
                boolean unordered = false;
                switch (r.nextInt(16)) {
                    case 0, 1, 2 -> {
                        cmd.addAll(List.of(r.nextInt(4) == 0 ? "HMSET" : "HSET", key));
                        for (int i = 1 + r.nextInt(3); i > 0; i--) {
                            cmd.add(field(r));
                            cmd.add(value(r));
                        }
                    }
                    case 3 -> cmd.addAll(List.of("HSETNX", key, field(r), value(r)));
                    case 4, 5 -> {
                        cmd.addAll(List.of("HDEL", key));
                        for (int i = 1 + r.nextInt(3); i > 0; i--) cmd.add(field(r));
                    }
                    case 6 -> cmd.addAll(List.of("HINCRBY", key, field(r), Integer.toString(r.nextInt(200000) - 100000)));
                    case 7 -> cmd.addAll(List.of("HINCRBYFLOAT", key, field(r), r.nextBoolean() ? "0.5" : "-1.25e2"));
                    case 8 -> cmd.addAll(List.of("HGET", key, field(r)));
                    case 9 -> cmd.addAll(List.of("HMGET", key, field(r), field(r)));
                    case 10 -> {
                        cmd.addAll(List.of(new String[] {"HGETALL", "HKEYS", "HVALS"}[r.nextInt(3)], key));
                        unordered = hashtable;
                    }
                    case 11 -> cmd.addAll(List.of(new String[] {"HLEN", "HEXISTS", "HSTRLEN"}[r.nextInt(3)], key, field(r)).subList(0, 2 + r.nextInt(2)));
                    case 12 -> {
                        if (hashtable) cmd.addAll(List.of("HLEN", key));
                        else cmd.addAll(List.of("HSCAN", key, "0", "MATCH", r.nextBoolean() ? "f1*" : "*"));
                    }
                    case 13 -> cmd.addAll(List.of("HRANDFIELD", key, "100", "WITHVALUES"));
                    case 14 -> cmd.addAll(List.of("CONFIG", "SET", "hash-max-listpack-entries", Integer.toString(2 + r.nextInt(12)),
                            "hash-max-listpack-value", Integer.toString(3 + r.nextInt(10))));
                    default -> cmd.addAll(List.of(r.nextInt(5) == 0 ? "DEL" : "EXISTS", key));
                }
                String[] a = cmd.toArray(new String[0]);
                if (cmd.get(0).equals("HRANDFIELD")) {
                    if (hashtable) diff.sameUnordered(proto == 2 ? 2 : 1, a);
                    else diff.same(a);
                } else if (unordered) {
                    diff.sameUnordered(cmd.get(0).equals("HGETALL") ? 2 : 1, a);
                } else {
                    diff.same(a);
                }
                diff.same("OBJECT", "ENCODING", key);
                diff.same("DEBUG", "DIGEST-VALUE", key);
            }
            diff.same("DEBUG", "DIGEST");
            String[] err = new String[1];
            diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
            assertThat(err[0]).isNull();
        }
        diff.protocol(2);
    }
}
