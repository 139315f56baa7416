package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.types.Quicklist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every list command, its errors and reply shapes, byte for byte against redis-server 7.0 in RESP2
 * and RESP3, over several list-max-listpack-size and list-compress-depth settings; after each
 * scenario the node layout (DEBUG OBJECT's ql_* fields), DEBUG DIGEST and the quicklist
 * invariants are checked too.
 */
class ListCommandsDifferentialTest {
    static Differential diff;

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
        diff.protocol(2);
        diff.same("SELECT", "0");
        diff.flushAll();
        config(-2, 0);
    }

    @AfterEach
    void checkInvariants() {
        assertThat(diff.same("DEBUG", "DIGEST")).isNotNull();
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = validateLists(diff.starling.server));
        assertThat(err[0]).isNull();
    }

    /** The keyspace invariants plus every list's quicklist invariants and the blocking tables. */
    static String validateLists(dev.starling.server.Server server) {
        String err = server.keyspace.validate();
        if (err != null) return err;
        for (dev.starling.keyspace.Db db : server.keyspace.dbs) {
            String[] e = new String[1];
            db.dict.forEach(en -> {
                if (e[0] == null && en.value instanceof Quicklist ql) {
                    String v = ql.validate();
                    if (v != null) e[0] = new String(en.key) + ": " + v;
                }
            });
            if (e[0] != null) return e[0];
        }
        return server.blocking.validate();
    }

    static void config(int fill, int depth) {
        diff.same("CONFIG", "SET", "list-max-listpack-size", Integer.toString(fill), "list-compress-depth", Integer.toString(depth));
    }

    /** Compares the whole list, its digest, encoding and node layout on both servers. */
    static void sameList(String key) {
        diff.same("LRANGE", key, "0", "-1");
        diff.same("DEBUG", "DIGEST-VALUE", key);
        diff.same("OBJECT", "ENCODING", key);
        diff.same("TYPE", key);
        String ours = diff.ours().callString("DEBUG", "OBJECT", key);
        String theirs = diff.theirs().callString("DEBUG", "OBJECT", key);
        assertThat(qlFields(ours)).as("node layout of %s", key).isEqualTo(qlFields(theirs));
    }

    private static String qlFields(String debugObject) {
        int i = debugObject.indexOf(" encoding:");
        int j = debugObject.indexOf(" serializedlength:");
        int k = debugObject.indexOf(" ql_nodes:");
        if (i < 0 || k < 0) return debugObject;
        return debugObject.substring(i, j) + debugObject.substring(k);
    }

    static Stream<Arguments> configs() {
        List<Arguments> out = new ArrayList<>();
        for (int proto : new int[] {2, 3}) {
            for (int fill : new int[] {-2, -1, 1, 4}) {
                for (int depth : new int[] {0, 1, 2}) out.add(Arguments.of(proto, fill, depth));
            }
        }
        return out.stream();
    }

    private static final String[] POOL = {"a", "b", "c", "1", "-5", "300", "70000", "-9999999999", "12345678901234", "007",
            "hello world", "", "x"};

    static String element(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> "v".repeat(60 + r.nextInt(100));
            case 1 -> "abc".repeat(r.nextInt(1200));
            case 2 -> r.nextInt(30) == 0 ? "big" + "Z".repeat(9000) : "m" + r.nextInt(100);
            default -> POOL[r.nextInt(POOL.length)];
        };
    }

    /** Random operations over three keys, every reply compared, the layouts compared every few steps. */
    @ParameterizedTest(name = "resp {0} fill {1} depth {2}")
    @MethodSource("configs")
    void randomOperations_sameRepliesAndLayout(int proto, int fill, int depth) {
        config(fill, depth);
        diff.protocol(proto);
        Random r = new Random(proto * 1000L + fill * 10L + depth);
        String[] keys = {"k1", "k2", "k3"};
        for (int step = 0; step < 400; step++) {
            String k = keys[r.nextInt(3)], k2 = keys[r.nextInt(3)];
            String lr = r.nextBoolean() ? "LEFT" : "RIGHT", lr2 = r.nextBoolean() ? "LEFT" : "RIGHT";
            int idx = r.nextInt(40) - 20;
            switch (r.nextInt(22)) {
                case 0, 1, 2 -> diff.same("RPUSH", k, element(r), element(r), element(r));
                case 3, 4 -> diff.same("LPUSH", k, element(r));
                case 5 -> diff.same(r.nextBoolean() ? "LPUSHX" : "RPUSHX", k, element(r));
                case 6 -> diff.same(r.nextBoolean() ? "LPOP" : "RPOP", k);
                case 7 -> diff.same(r.nextBoolean() ? "LPOP" : "RPOP", k, Integer.toString(r.nextInt(5)));
                case 8 -> diff.same("LINSERT", k, r.nextBoolean() ? "BEFORE" : "AFTER", POOL[r.nextInt(POOL.length)], element(r));
                case 9 -> diff.same("LSET", k, Integer.toString(idx), element(r));
                case 10 -> diff.same("LREM", k, Integer.toString(r.nextInt(5) - 2), POOL[r.nextInt(POOL.length)]);
                case 11 -> diff.same("LTRIM", k, Integer.toString(r.nextInt(6) - 2), Integer.toString(r.nextInt(80) - 5));
                case 12 -> diff.same("LINDEX", k, Integer.toString(idx));
                case 13 -> diff.same("LRANGE", k, Integer.toString(idx), Integer.toString(r.nextInt(60) - 10));
                case 14 -> diff.same("LPOS", k, POOL[r.nextInt(POOL.length)], "RANK", Integer.toString(r.nextBoolean() ? 1 + r.nextInt(3) : -1 - r.nextInt(3)),
                        "COUNT", Integer.toString(r.nextInt(4)), "MAXLEN", Integer.toString(r.nextInt(30)));
                case 15 -> diff.same("LPOS", k, POOL[r.nextInt(POOL.length)]);
                case 16 -> diff.same("LMOVE", k, k2, lr, lr2);
                case 17 -> diff.same("RPOPLPUSH", k, k2);
                case 18 -> diff.same("LMPOP", "2", k, k2, lr, "COUNT", Integer.toString(1 + r.nextInt(4)));
                case 19 -> diff.same("LLEN", k);
                case 20 -> diff.same("BLPOP", k, k2, "0.01");
                default -> diff.same("LMPOP", "1", k, lr);
            }
            if (step % 25 == 0) {
                for (String key : keys) {
                    diff.same("EXISTS", key);
                    if (diff.ours().callString("EXISTS", key).equals(":1\r\n")) sameList(key);
                }
            }
        }
        for (String key : keys) if (diff.ours().callString("EXISTS", key).equals(":1\r\n")) sameList(key);
        diff.same("DEBUG", "DIGEST");
    }

    /** Large lists: many nodes, inserts that split full nodes and merge neighbours, compressed middles. */
    @ParameterizedTest(name = "fill {0} depth {1}")
    @MethodSource("bigConfigs")
    void manyNodes_insertsSplitsAndTrims_sameLayout(int fill, int depth) {
        config(fill, depth);
        String[] args = new String[502];
        args[0] = "RPUSH";
        args[1] = "big";
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 500; i++) args[i + 2] = "elem" + (i % 17) + "-" + "p".repeat((i * 7 + round) % 40);
            diff.same(args);
        }
        sameList("big");
        for (int i = 0; i < 60; i++) {
            diff.same("LINSERT", "big", i % 2 == 0 ? "BEFORE" : "AFTER", "elem" + (i % 17) + "-" + "p".repeat(i % 40), "ins" + "q".repeat(i * 13));
        }
        sameList("big");
        for (int i = 0; i < 40; i++) diff.same("LSET", "big", Integer.toString(i * 71 - 1400), "set" + "r".repeat(i * 37));
        sameList("big");
        diff.same("LREM", "big", "5", "elem3-");
        diff.same("LREM", "big", "-7", "elem4-pppp");
        diff.same("LREM", "big", "0", "elem5-ppppp");
        sameList("big");
        diff.same("LTRIM", "big", "100", "-200");
        sameList("big");
        diff.same("LPOP", "big", "300");
        diff.same("RPOP", "big", "250");
        sameList("big");
        diff.same("LRANGE", "big", "500", "1100");
        diff.same("LINSERT", "big", "BEFORE", "elem1-", "x".repeat(20000));
        diff.same("LSET", "big", "700", "y".repeat(12000));
        sameList("big");
        diff.same("COPY", "big", "copy");
        sameList("copy");
        diff.same("LRANGE", "copy", "0", "-1");
    }

    static Stream<Arguments> bigConfigs() {
        List<Arguments> out = new ArrayList<>();
        for (int fill : new int[] {-5, -2, -1, 3, 128}) {
            for (int depth : new int[] {0, 1, 2}) out.add(Arguments.of(fill, depth));
        }
        return out.stream();
    }

    @Test
    void configSet_appliesToNewListsOnly() {
        diff.same("RPUSH", "old", "a", "b", "c", "d", "e");
        config(2, 1);
        diff.same("RPUSH", "old", "f", "g");
        diff.same("RPUSH", "new", "a", "b", "c", "d", "e", "f", "g");
        sameList("old");
        sameList("new");
        diff.same("CONFIG", "GET", "list-max-ziplist-size");
    }

    @ParameterizedTest(name = "resp {0}")
    @ValueSource(ints = {2, 3})
    void popAndMpop_replyShapes(int proto) {
        diff.protocol(proto);
        diff.same("LPOP", "nokey");
        diff.same("LPOP", "nokey", "0");
        diff.same("LPOP", "nokey", "3");
        diff.same("RPOP", "nokey", "3");
        diff.same("RPUSH", "l", "a", "b", "c", "1", "2");
        diff.same("LPOP", "l", "0");
        diff.same("LPOP", "l", "2");
        diff.same("RPOP", "l", "2");
        diff.same("RPOP", "l", "5");
        diff.same("EXISTS", "l");
        diff.same("LMPOP", "2", "n1", "n2", "LEFT");
        diff.same("RPUSH", "m", "1", "2", "3");
        diff.same("LMPOP", "2", "n1", "m", "RIGHT", "COUNT", "2");
        diff.same("LMPOP", "2", "n1", "m", "LEFT", "COUNT", "10");
        diff.same("LPOS", "nokey", "a");
        diff.same("LPOS", "nokey", "a", "COUNT", "0");
        diff.same("RPUSH", "p", "a", "b", "a", "c", "a");
        diff.same("LPOS", "p", "a", "COUNT", "0");
        diff.same("LPOS", "p", "a", "RANK", "-1", "COUNT", "2");
        diff.same("LPOS", "p", "z");
        diff.same("LPOS", "p", "z", "COUNT", "1");
        diff.same("LINDEX", "p", "99");
        diff.same("LINDEX", "nokey", "0");
        diff.same("LRANGE", "nokey", "0", "-1");
        diff.same("RPOPLPUSH", "nokey", "p");
        diff.same("LMOVE", "nokey", "p", "LEFT", "RIGHT");
        diff.same("BLPOP", "p", "0");
        diff.same("BRPOP", "nokey", "p", "0");
        diff.same("BLMPOP", "0", "2", "nokey", "p", "LEFT", "COUNT", "2");
        diff.same("BLMOVE", "p", "q", "RIGHT", "LEFT", "0");
        diff.same("BRPOPLPUSH", "q", "q", "0");
        diff.same("LRANGE", "q", "0", "-1");
    }

    @ParameterizedTest(name = "resp {0}")
    @ValueSource(ints = {2, 3})
    void blockingCommandsInsideMulti_neverBlock(int proto) {
        diff.protocol(proto);
        diff.same("MULTI");
        diff.same("BLPOP", "e1", "e2", "0");
        diff.same("BRPOP", "e1", "1");
        diff.same("BLMOVE", "e1", "e2", "LEFT", "LEFT", "0");
        diff.same("BRPOPLPUSH", "e1", "e2", "0");
        diff.same("BLMPOP", "0", "1", "e1", "LEFT");
        diff.same("RPUSH", "e1", "x", "y");
        diff.same("BLPOP", "e1", "0");
        diff.same("BLMOVE", "e1", "e2", "LEFT", "RIGHT", "0");
        diff.same("EXEC");
        diff.same("LRANGE", "e2", "0", "-1");
    }

    @Test
    void errors_sameTextsAndOrder() {
        diff.same("SET", "s", "str");
        for (String[] cmd : new String[][] {
                {"LPUSH", "s", "a"}, {"RPUSHX", "s", "a"}, {"LLEN", "s"}, {"LRANGE", "s", "0", "1"}, {"LINDEX", "s", "0"},
                {"LSET", "s", "0", "a"}, {"LPOP", "s"}, {"RPOP", "s", "2"}, {"LREM", "s", "0", "a"}, {"LTRIM", "s", "0", "1"},
                {"LINSERT", "s", "BEFORE", "a", "b"}, {"LPOS", "s", "a"}, {"LMOVE", "s", "d", "LEFT", "LEFT"},
                {"RPOPLPUSH", "s", "d"}, {"LMPOP", "1", "s", "LEFT"}, {"BLPOP", "s", "0"}, {"BLMOVE", "s", "d", "LEFT", "LEFT", "0"},
                {"BLMPOP", "0", "1", "s", "LEFT"},
                {"LINDEX", "s", "x"}, {"LSET", "nokey", "x", "a"}, {"LSET", "s", "x", "a"}, {"LRANGE", "s", "x", "1"},
                {"LRANGE", "nokey", "0", "x"}, {"LTRIM", "nokey", "x", "1"}, {"LREM", "nokey", "x", "a"},
                {"LPOP", "nokey", "x"}, {"LPOP", "nokey", "-1"}, {"LPOP", "s", "-1"}, {"LPOP", "a", "1", "2"},
                {"LINSERT", "nokey", "MIDDLE", "a", "b"}, {"LINSERT", "nokey", "BEFORE", "a", "b"},
                {"LPOS", "nokey", "a", "RANK", "0"}, {"LPOS", "nokey", "a", "RANK", "x"},
                {"LPOS", "nokey", "a", "RANK", "-9223372036854775808"}, {"LPOS", "nokey", "a", "COUNT", "-1"},
                {"LPOS", "nokey", "a", "MAXLEN", "-1"}, {"LPOS", "nokey", "a", "FOO"}, {"LPOS", "nokey", "a", "COUNT"},
                {"LMOVE", "a", "b", "UP", "LEFT"}, {"LMOVE", "a", "b", "LEFT", "DOWN"},
                {"LMPOP", "0", "a", "LEFT"}, {"LMPOP", "x", "a", "LEFT"}, {"LMPOP", "3", "a", "LEFT"},
                {"LMPOP", "1", "a", "UP"}, {"LMPOP", "1", "a", "LEFT", "COUNT", "0"}, {"LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"},
                {"LMPOP", "1", "a", "LEFT", "FOO"}, {"LMPOP", "1", "a", "LEFT", "COUNT"},
                {"BLPOP", "a", "x"}, {"BLPOP", "a", "-1"}, {"BLPOP", "a", "-1.5"}, {"BLPOP", "a", "inf"}, {"BLPOP", "a", "nan"},
                {"BLPOP", "a", "1e400"}, {"BLPOP", "a", "9223372036854775807"}, {"BLPOP", "a", "922337203685477580"},
                {"BLPOP", "s", "x"}, {"BLMOVE", "a", "b", "LEFT", "LEFT", "x"}, {"BLMOVE", "a", "b", "X", "LEFT", "x"},
                {"BRPOPLPUSH", "a", "b", "-1"}, {"BLMPOP", "x", "1", "a", "LEFT"}, {"BLMPOP", "0", "0", "a", "LEFT"},
                {"BLMPOP", "-1", "1", "a", "LEFT"},
                {"LPUSH", "a"}, {"LLEN"}, {"LRANGE", "a", "0"}, {"BLPOP", "a"}, {"LMPOP", "1", "a"}}) {
            diff.same(cmd);
        }
        diff.same("RPUSH", "l", "a");
        diff.same("LSET", "l", "5", "x");
        diff.same("LMOVE", "l", "s", "LEFT", "LEFT");
        diff.same("RPOPLPUSH", "l", "s");
        diff.same("LRANGE", "l", "0", "-1");
    }

    @Test
    void integersAndBinary_roundTrip() {
        diff.same("RPUSH", "n", "0", "-1", "127", "128", "-4096", "-4097", "32767", "32768", "8388607", "8388608",
                "2147483647", "2147483648", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "01", "+1", " 1", "1.0");
        diff.same("LRANGE", "n", "0", "-1");
        diff.same("LPOS", "n", "128");
        diff.same("LREM", "n", "0", "01");
        diff.same("LINSERT", "n", "AFTER", "-4097", "\u0000\r\n\u00ff");
        sameList("n");
    }

    @Test
    void keyspaceOperations_moveRenameCopyDump() {
        diff.same("RPUSH", "a", "1", "2", "3");
        diff.same("RENAME", "a", "b");
        diff.same("MOVE", "b", "1");
        diff.same("SELECT", "1");
        diff.same("LRANGE", "b", "0", "-1");
        diff.same("COPY", "b", "c", "DB", "0");
        diff.same("SELECT", "0");
        diff.same("LPUSH", "c", "0");
        diff.same("LRANGE", "c", "0", "-1");
        diff.same("TYPE", "c");
        diff.same("OBJECT", "ENCODING", "c");
        diff.same("SWAPDB", "0", "1");
        diff.same("LRANGE", "b", "0", "-1");
        diff.same("DEBUG", "DIGEST");
    }
}
