package dev.starling.command;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** SORT and SORT_RO over lists, sets and sorted sets, byte for byte against redis-server 7.0. */
class SortCommandsDifferentialTest {
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
    void clean() {
        diff.protocol(2);
        diff.flushAll();
    }

    @AfterEach
    void checkInvariants() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    private static final String[][] OPTIONS = {
            {}, {"DESC"}, {"ALPHA"}, {"ALPHA", "DESC"}, {"LIMIT", "0", "3"}, {"LIMIT", "2", "2", "DESC"},
            {"LIMIT", "-5", "2"}, {"LIMIT", "1", "-1"}, {"LIMIT", "100", "5"}, {"LIMIT", "0", "0"},
            {"BY", "w_*"}, {"BY", "w_*", "DESC"}, {"BY", "w_*", "ALPHA"}, {"BY", "w_*", "LIMIT", "1", "2"},
            {"BY", "nosort"}, {"BY", "nosort", "DESC"}, {"BY", "nosort", "LIMIT", "1", "2"},
            {"BY", "nosort", "LIMIT", "2", "10", "DESC"}, {"BY", "h_*->f"}, {"BY", "h_*->f", "ALPHA", "DESC"},
            {"GET", "#"}, {"GET", "v_*"}, {"GET", "#", "GET", "v_*", "GET", "h_*->f", "GET", "h_*->g"},
            {"GET", "nostar"}, {"GET", "h_*->"}, {"BY", "w_*", "GET", "#", "GET", "v_*", "LIMIT", "1", "3"},
    };

    private void weights() {
        for (int i = 1; i <= 8; i++) {
            if (i % 3 != 0) diff.same("SET", "w_" + i, Integer.toString((i * 37) % 11));
            if (i % 2 == 0) diff.same("SET", "v_" + i, "val" + i);
            if (i != 5) diff.same("HSET", "h_" + i, "f", Integer.toString(100 - i), "g", "x" + i);
        }
    }

    /**
     * ALPHA with BY compares equal weights (w_3 and w_6 are both missing) as ties, which keep the
     * input order; for a hashtable set or a zset that is Redis's dict order (random per process: the
     * hash seed is), not ours.
     */
    private static boolean tiesFollowHashOrder(String[] opts) {
        java.util.List<String> o = java.util.Arrays.asList(opts);
        return o.contains("ALPHA") && o.contains("w_*");
    }

    private void sortAll(String key, boolean hashOrder) {
        for (String[] opts : OPTIONS) {
            if (hashOrder && tiesFollowHashOrder(opts)) continue;
            String[] cmd = new String[opts.length + 2];
            cmd[0] = "SORT";
            cmd[1] = key;
            System.arraycopy(opts, 0, cmd, 2, opts.length);
            diff.same(cmd);
            cmd[0] = "SORT_RO";
            diff.same(cmd);
            String[] store = java.util.Arrays.copyOf(cmd, cmd.length + 2);
            store[0] = "SORT";
            store[cmd.length] = "STORE";
            store[cmd.length + 1] = "dst";
            diff.same(store);
            diff.same("LRANGE", "dst", "0", "-1");
            diff.same("TYPE", "dst");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sortList_everyOption_sameReplies(int resp) {
        diff.protocol(resp);
        weights();
        diff.same("RPUSH", "l", "3", "1", "8", "2", "7", "5", "4", "6", "1");
        sortAll("l", false);
        diff.same("RPUSH", "words", "pear", "apple", "fig", "banana", "apple");
        diff.same("SORT", "words", "ALPHA");
        diff.same("SORT", "words");
        diff.same("SORT", "words", "BY", "nosort");
    }

    @ParameterizedTest
    @ValueSource(strings = {"intset", "hashtable"})
    void sortSet_everyOption_sameReplies(String encoding) {
        weights();
        diff.same("SADD", "s", "3", "1", "8", "2", "7", "5", "4", "6");
        if (encoding.equals("hashtable")) {
            diff.same("SADD", "s", "x");
            diff.same("SREM", "s", "x");
        }
        diff.same("OBJECT", "ENCODING", "s");
        for (String[] opts : OPTIONS) {
            if (opts.length > 0 && opts[0].equals("BY") && opts[1].equals("nosort")) continue; // hash order
            if (encoding.equals("hashtable") && tiesFollowHashOrder(opts)) continue;
            String[] cmd = new String[opts.length + 2];
            cmd[0] = "SORT";
            cmd[1] = "s";
            System.arraycopy(opts, 0, cmd, 2, opts.length);
            diff.same(cmd);
        }
        // Stored with a constant BY, a set is sorted ALPHA so the result is deterministic.
        diff.same("SORT", "s", "BY", "nosort", "STORE", "dst");
        diff.same("LRANGE", "dst", "0", "-1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"listpack", "skiplist"})
    void sortZset_everyOption_sameRepliesAndEncoding(String encoding) {
        weights();
        diff.same("ZADD", "z", "5", "3", "1", "1", "9", "8", "2", "2", "0", "7", "4", "5", "3", "4", "6", "6");
        if (encoding.equals("skiplist")) diff.same("ZADD", "z", "10", "a".repeat(100));
        if (encoding.equals("skiplist")) diff.same("ZREM", "z", "a".repeat(100));
        diff.same("OBJECT", "ENCODING", "z");
        sortAll("z", true); // SORT converts a zset to skiplist and reads its dict
        diff.same("OBJECT", "ENCODING", "z");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sortErrorsAndEdges_sameReplies(int resp) {
        diff.protocol(resp);
        diff.same("SORT", "missing");
        diff.same("SORT", "missing", "STORE", "dst");
        diff.same("SET", "dst", "x");
        diff.same("SORT", "missing", "STORE", "dst");
        diff.same("EXISTS", "dst");
        diff.same("SET", "str", "1");
        diff.same("SORT", "str");
        diff.same("HSET", "h", "a", "1");
        diff.same("SORT", "h");
        diff.same("RPUSH", "l", "1", "a", "2");
        diff.same("SORT", "l");
        diff.same("SORT", "l", "ALPHA");
        diff.same("SORT", "l", "LIMIT", "x", "1");
        diff.same("SORT", "l", "LIMIT", "0");
        diff.same("SORT", "l", "BY");
        diff.same("SORT", "l", "FOO");
        diff.same("SORT_RO", "l", "STORE", "dst");
        // INCRBYFLOAT clears errno in Redis (see below), undoing an earlier run's ERANGE.
        diff.same("INCRBYFLOAT", "f", "0");
        diff.same("RPUSH", "n", "1", " 2", "-0.5", "", "1e3", "0x10", "inf", "-inf");
        diff.same("SORT", "n");
        diff.same("SORT", "n", "DESC");
        // Out of range last: Redis reads errno without clearing it first, so a stale ERANGE
        // would fail every later numeric SORT on this connection until something resets errno.
        diff.same("DEL", "n");
        diff.same("RPUSH", "n", "1", " 2", "3e400", "");
        diff.same("SORT", "n");
        diff.same("RPUSH", "nan", "nan");
        diff.same("SORT", "nan");
        diff.same("SET", "w_1", "5 ");
        diff.same("RPUSH", "one", "1");
        diff.same("SORT", "one", "BY", "w_*");
        diff.same("SORT", "one", "BY", "w_*", "ALPHA");
        diff.same("SORT", "one", "BY", "w_*", "STORE", "dst", "GET", "#", "GET", "nothere_*");
        diff.same("LRANGE", "dst", "0", "-1");
        diff.same("INFO", "keyspace");
    }
}
