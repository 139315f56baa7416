package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hash family against redis-server 7.0, byte for byte: every command and error in RESP2 and
 * RESP3, both encodings and the conversions between them (by entries, by value length, through
 * CONFIG SET thresholds), OBJECT ENCODING at every step, DEBUG DIGEST-VALUE, server.dirty, WATCH
 * and keyspace notifications. Hashtable replies are in hash order, which differs from Redis's, and
 * are compared as multisets of field/value pairs.
 */
class HashCommandsDifferentialTest {
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
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "64");
    }

    @AfterEach
    void checkInvariants() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> {
            err[0] = diff.starling.server.keyspace.validate();
            if (err[0] == null) {
                for (var db : diff.starling.server.keyspace.dbs) {
                    db.dict.forEach(e -> {
                        if (e.value instanceof dev.starling.types.Hash h && err[0] == null) err[0] = h.validate();
                    });
                }
            }
        });
        assertThat(err[0]).isNull();
        diff.protocol(2);
    }

    private static void encoding(String key) {
        diff.same("OBJECT", "ENCODING", key);
        diff.same("DEBUG", "DIGEST-VALUE", key);
    }

    /** Compares a hash-ordered reply: field/value pairs (HGETALL, RESP2 WITHVALUES) as multisets. */
    private static void pairs(String... args) {
        diff.sameUnordered(2, args);
    }

    /** Compares a hash-ordered reply of single elements (HKEYS, HVALS, RESP3 nested pairs) as a multiset. */
    private static void elements(String... args) {
        diff.sameUnordered(1, args);
    }

    // ---------------------------------------------------------------- listpack: every command

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void listpack_everyCommand_sameReplies(int proto) {
        diff.protocol(proto);
        diff.same("HSET", "h", "f1", "v1", "f2", "2", "num", "-17", "big", "9223372036854775807", "float", "1.5");
        encoding("h");
        diff.same("HSET", "h", "f1", "v1b", "f3", "");
        diff.same("HMSET", "h", "f4", "v4", "f1", "again");
        diff.same("HSETNX", "h", "f1", "x");
        diff.same("HSETNX", "h", "new", "x");
        diff.same("HSETNX", "created", "f", "v");
        diff.same("HGETALL", "h");
        diff.same("HKEYS", "h");
        diff.same("HVALS", "h");
        diff.same("HGET", "h", "f1");
        diff.same("HGET", "h", "num");
        diff.same("HGET", "h", "nosuch");
        diff.same("HGET", "nokey", "f");
        diff.same("HMGET", "h", "f1", "nosuch", "num", "f3");
        diff.same("HMGET", "nokey", "a", "b");
        diff.same("HLEN", "h");
        diff.same("HLEN", "nokey");
        diff.same("HEXISTS", "h", "f2");
        diff.same("HEXISTS", "h", "nosuch");
        diff.same("HEXISTS", "nokey", "f");
        diff.same("HSTRLEN", "h", "f1");
        diff.same("HSTRLEN", "h", "num");
        diff.same("HSTRLEN", "h", "big");
        diff.same("HSTRLEN", "h", "f3");
        diff.same("HSTRLEN", "h", "nosuch");
        diff.same("HSTRLEN", "nokey", "f");
        diff.same("HINCRBY", "h", "f2", "40");
        diff.same("HINCRBY", "h", "num", "-3");
        diff.same("HINCRBY", "h", "newint", "5");
        diff.same("HINCRBY", "h", "f1", "1");
        diff.same("HINCRBY", "h", "big", "1");
        diff.same("HINCRBY", "h", "num", "-9223372036854775800");
        diff.same("HINCRBY", "h", "f2", "x");
        diff.same("HINCRBY", "inc", "a", "-5");
        diff.same("HINCRBYFLOAT", "h", "float", "0.1");
        diff.same("HINCRBYFLOAT", "h", "f2", "2.5");
        diff.same("HINCRBYFLOAT", "h", "newf", "-1e3");
        diff.same("HINCRBYFLOAT", "h", "f1", "1");
        diff.same("HINCRBYFLOAT", "h", "float", "abc");
        diff.same("HINCRBYFLOAT", "h", "float", "inf");
        diff.same("HINCRBYFLOAT", "h", "float", "-inf");
        diff.same("HINCRBYFLOAT", "h", "float", "nan");
        diff.same("HINCRBYFLOAT", "h", "float", "1e5000");
        diff.same("HINCRBYFLOAT", "h", "float", "");
        diff.same("HINCRBYFLOAT", "incf", "a", "3.0e1");
        diff.same("HSET", "hf", "infv", "inf", "hugev", "1e4931");
        diff.same("HINCRBYFLOAT", "hf", "infv", "1");
        diff.same("HINCRBYFLOAT", "hf", "hugev", "1e4931");
        diff.same("HINCRBYFLOAT", "hf", "hugev", "1e4931");
        encoding("hf"); // the 4932-digit result is longer than hash-max-listpack-value
        diff.same("HINCRBYFLOAT", "hf", "hugev", "-1e4931");
        pairs("HGETALL", "hf");
        diff.same("HGETALL", "h");
        encoding("h");
        diff.same("HDEL", "h", "f1", "nosuch", "f2", "f1");
        diff.same("HDEL", "h", "nosuch");
        diff.same("HDEL", "nokey", "a");
        diff.same("HGETALL", "h");
        diff.same("HGETALL", "nokey");
        diff.same("HKEYS", "nokey");
        diff.same("HVALS", "nokey");
        diff.same("HSCAN", "h", "0");
        diff.same("HSCAN", "h", "0", "MATCH", "f*");
        diff.same("HSCAN", "h", "0", "MATCH", "*", "COUNT", "1");
        diff.same("HSCAN", "h", "123", "COUNT", "2");
        diff.same("HSCAN", "nokey", "0");
        diff.same("HSET", "e", "only", "1");
        diff.same("HDEL", "e", "only", "only");
        diff.same("EXISTS", "e");
        diff.same("TYPE", "h");
        encoding("h");
        encoding("nokey");
    }

    @Test
    void numericFields_integerEncodedInListpack_sameReplies() {
        diff.same("HSET", "n", "1", "a", "01", "b", "-0", "c", "9223372036854775808", "d", "-9223372036854775808", "e");
        diff.same("HSET", "n", "1", "x", "1.0", "y");
        diff.same("HGETALL", "n");
        diff.same("HGET", "n", "01");
        diff.same("HGET", "n", "1");
        diff.same("HEXISTS", "n", "+1");
        diff.same("HSTRLEN", "n", "-9223372036854775808");
        diff.same("HDEL", "n", "01", "1");
        diff.same("HSCAN", "n", "0", "MATCH", "-*");
        diff.same("HGETALL", "n");
        encoding("n");
    }

    // ---------------------------------------------------------------- errors

    @Test
    void errors_arityWrongtypeAndArguments_sameReplies() {
        diff.same("SET", "s", "x");
        String[][] wrongType = {
            {"HSET", "s", "f", "v"}, {"HMSET", "s", "f", "v"}, {"HSETNX", "s", "f", "v"}, {"HGET", "s", "f"}, {"HMGET", "s", "f"},
            {"HGETALL", "s"}, {"HKEYS", "s"}, {"HVALS", "s"}, {"HDEL", "s", "f"}, {"HLEN", "s"}, {"HEXISTS", "s", "f"},
            {"HSTRLEN", "s", "f"}, {"HINCRBY", "s", "f", "1"}, {"HINCRBYFLOAT", "s", "f", "1"}, {"HRANDFIELD", "s"},
            {"HRANDFIELD", "s", "1"}, {"HRANDFIELD", "s", "0"}, {"HRANDFIELD", "s", "-3", "WITHVALUES"}, {"HSCAN", "s", "0"},
            {"HSCAN", "s", "0", "BADOPT"},
        };
        for (String[] cmd : wrongType) diff.same(cmd);
        String[][] bad = {
            {"HSET", "h", "f"}, {"HSET", "h", "f", "v", "g"}, {"HMSET", "h", "f", "v", "g"}, {"HSET", "h"}, {"HSETNX", "h", "f"},
            {"HGET", "h"}, {"HMGET", "h"}, {"HDEL", "h"}, {"HINCRBY", "h", "f"}, {"HINCRBY", "h", "f", "1.5"},
            {"HINCRBY", "h", "f", "99999999999999999999"}, {"HINCRBY", "s", "f", "x"}, {"HINCRBYFLOAT", "s", "f", "x"},
            {"HINCRBYFLOAT", "s", "f", "inf"}, {"HRANDFIELD"}, {"HRANDFIELD", "h", "x"}, {"HRANDFIELD", "s", "x"},
            {"HRANDFIELD", "h", "1", "WITHVALUE"}, {"HRANDFIELD", "h", "1", "WITHVALUES", "x"},
            {"HRANDFIELD", "h", "-9223372036854775808"}, {"HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"},
            {"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"}, {"HRANDFIELD", "h", "4611686018427387904", "withvalues"},
            {"HSCAN", "h", "x"}, {"HSCAN", "s", "x"}, {"HSCAN", "h", "-"}, {"HSCAN", "h", "18446744073709551616"},
            {"HSCAN", "h", "0", "COUNT"}, {"HSCAN", "h", "0", "COUNT", "0"},
        };
        for (String[] cmd : bad) diff.same(cmd);
        diff.same("HSET", "h", "f", "v", "i", "10");
        String[][] onHash = {
            {"HSCAN", "h", "0", "COUNT", "0"}, {"HSCAN", "h", "0", "COUNT", "-1"}, {"HSCAN", "h", "0", "COUNT", "x"},
            {"HSCAN", "h", "0", "TYPE", "hash"}, {"HSCAN", "h", "0", "MATCH"}, {"HSCAN", "h", "0", "NOPE", "1"},
            {"HSCAN", "h", "-1"}, {"HINCRBY", "h", "f", "1"}, {"HINCRBYFLOAT", "h", "f", "1"}, {"HINCRBY", "h", "i", "9223372036854775807"},
            {"HRANDFIELD", "h", "1", "WITHVALUE"},
        };
        for (String[] cmd : onHash) diff.same(cmd);
        diff.same("EXISTS", "nokey");
        diff.same("HGETALL", "h");
    }

    // ---------------------------------------------------------------- conversions

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void conversion_byEntries_atHashMaxListpackEntries(int proto) {
        diff.protocol(proto);
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "4");
        diff.same("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4");
        encoding("h");
        diff.same("HSET", "h", "a", "updated");
        encoding("h");
        diff.same("HGETALL", "h");
        diff.same("HSET", "h", "e", "5");
        encoding("h");
        pairs("HGETALL", "h");
        elements("HKEYS", "h");
        elements("HVALS", "h");
        diff.same("HDEL", "h", "a", "b", "c", "d");
        encoding("h"); // a hashtable never converts back
        diff.same("HGETALL", "h");
        // One HSET past the limit converts in the middle of its own pairs.
        diff.same("HSET", "g", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f");
        encoding("g");
        pairs("HGETALL", "g");
        // HSETNX, HINCRBY and HINCRBYFLOAT add fields through the same check.
        diff.same("HSET", "x", "a", "1", "b", "2", "c", "3", "d", "4");
        diff.same("HSETNX", "x", "e", "5");
        encoding("x");
        diff.same("HSET", "y", "a", "1", "b", "2", "c", "3", "d", "4");
        diff.same("HINCRBY", "y", "e", "5");
        encoding("y");
        diff.same("HSET", "z", "a", "1", "b", "2", "c", "3", "d", "4");
        diff.same("HINCRBYFLOAT", "z", "e", "5.5");
        encoding("z");
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "0");
        diff.same("HSET", "zero", "a", "1");
        encoding("zero");
        diff.same("HSETNX", "zero2", "a", "1");
        encoding("zero2");
    }

    @Test
    void conversion_configLowered_existingListpackConvertsOnItsNextSet() {
        diff.same("HSET", "h", "a", "1", "b", "2", "c", "3");
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "2");
        encoding("h");
        diff.same("HGET", "h", "a");
        diff.same("HDEL", "h", "nosuch");
        diff.same("HSETNX", "h", "a", "x");
        encoding("h");
        diff.same("HSET", "h", "a", "changed");
        encoding("h");
        diff.same("HSET", "k", "a", "1", "b", "2", "c", "3");
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "3");
        diff.same("HSET", "k", "a", "1234");
        encoding("k");
        diff.same("HSET", "m", "a", "1");
        diff.same("HINCRBY", "m", "a", "1000");
        encoding("m");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void conversion_byValueLength_atHashMaxListpackValue(int proto) {
        diff.protocol(proto);
        diff.same("CONFIG", "SET", "hash-max-listpack-value", "8");
        String eight = "12345678", nine = "123456789";
        diff.same("HSET", "h", eight, eight);
        encoding("h");
        diff.same("HSET", "h", "v", nine);
        encoding("h");
        pairs("HGETALL", "h");
        diff.same("HSET", "f", nine, "v");
        encoding("f");
        // Every argument is checked before the write, even of pairs that only update.
        diff.same("HSET", "u", "a", "1", "b", "2");
        diff.same("HSET", "u", "a", "1", "b", "2", "c", nine);
        encoding("u");
        // HSETNX checks only when it will write.
        diff.same("HSET", "n", "a", "1");
        diff.same("HSETNX", "n", "a", nine);
        encoding("n");
        diff.same("HSETNX", "n", "b", nine);
        encoding("n");
        // HINCRBY* results and fields are checked by hashTypeSet itself.
        diff.same("HSET", "i", "a", "1");
        diff.same("HINCRBY", "i", "a", "999999999");
        encoding("i");
        diff.same("HSET", "j", "a", "1");
        diff.same("HINCRBY", "j", "a-long-field", "1");
        encoding("j");
        diff.same("HSET", "k", "a", "1");
        diff.same("HINCRBYFLOAT", "k", "a", "0.0000001");
        encoding("k");
        diff.same("HSET", "l", "a", "1");
        diff.same("HINCRBYFLOAT", "l", "a", "0.5");
        encoding("l");
        // Errors convert nothing, and HINCRBY's parse error comes before the value check.
        diff.same("HSET", "q", "a", "x");
        diff.same("HINCRBY", "q", "a", "1");
        diff.same("HINCRBY", "q", nine + "field", "x");
        encoding("q");
        diff.same("CONFIG", "SET", "hash-max-listpack-value", "0");
        diff.same("HSET", "z", "", "");
        encoding("z");
        diff.same("HSET", "z", "a", "");
        encoding("z");
        pairs("HGETALL", "z");
    }

    // ---------------------------------------------------------------- hashtable: every command

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hashtable_everyCommand_sameReplies(int proto) {
        diff.protocol(proto);
        List<String> args = new ArrayList<>(List.of("HSET", "h"));
        for (int i = 0; i < 300; i++) {
            args.add("field:" + i);
            args.add(i % 3 == 0 ? Integer.toString(i) : "value:" + i);
        }
        diff.same(args.toArray(new String[0]));
        encoding("h");
        pairs("HGETALL", "h");
        elements("HKEYS", "h");
        elements("HVALS", "h");
        diff.same("HLEN", "h");
        diff.same("HGET", "h", "field:7");
        diff.same("HGET", "h", "field:300");
        diff.same("HMGET", "h", "field:1", "nosuch", "field:3");
        diff.same("HEXISTS", "h", "field:299");
        diff.same("HSTRLEN", "h", "field:299");
        diff.same("HSTRLEN", "h", "field:3");
        diff.same("HSET", "h", "field:1", "new", "extra", "x");
        diff.same("HSETNX", "h", "field:2", "x");
        diff.same("HSETNX", "h", "extra2", "y");
        diff.same("HINCRBY", "h", "field:3", "10");
        diff.same("HINCRBY", "h", "field:4", "10");
        diff.same("HINCRBY", "h", "cnt", "-10");
        diff.same("HINCRBYFLOAT", "h", "field:6", "0.25");
        diff.same("HINCRBYFLOAT", "h", "field:5", "0.25");
        diff.same("HINCRBYFLOAT", "h", "flt", "1e-3");
        diff.same("HGET", "h", "flt");
        diff.same("HDEL", "h", "field:1", "field:2", "nosuch");
        diff.same("HLEN", "h");
        encoding("h");
        for (int i = 0; i < 300; i++) diff.same("HDEL", "h", "field:" + i);
        pairs("HGETALL", "h");
        diff.same("HDEL", "h", "extra", "extra2", "cnt", "flt");
        diff.same("EXISTS", "h");
    }

    /** Full HSCAN iterations of a hashtable return every pair (values with their fields) and honour MATCH. */
    @Test
    void hscan_hashtable_fullIterationReturnsEveryPair() {
        List<String> args = new ArrayList<>(List.of("HSET", "h"));
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            args.add("f" + i);
            args.add("v" + i);
            expected.put("f" + i, "v" + i);
        }
        diff.same(args.toArray(new String[0]));
        for (String[] opts : new String[][] {{}, {"COUNT", "1"}, {"COUNT", "100"}, {"MATCH", "f1*"}, {"MATCH", "f1*", "COUNT", "3"}}) {
            Map<String, String> got = new HashMap<>();
            long cursor = 0;
            int calls = 0;
            do {
                List<String> cmd = new ArrayList<>(List.of("HSCAN", "h", Long.toUnsignedString(cursor)));
                cmd.addAll(List.of(opts));
                List<String> reply = flat(diff.ours().call(RespClient.args(cmd.toArray(new String[0]))));
                cursor = Long.parseUnsignedLong(reply.get(0));
                for (int i = 1; i < reply.size(); i += 2) got.put(reply.get(i), reply.get(i + 1));
                calls++;
            } while (cursor != 0);
            Map<String, String> want = new HashMap<>();
            boolean match = opts.length > 0 && opts[0].equals("MATCH");
            for (var e : expected.entrySet()) if (!match || e.getKey().startsWith("f1")) want.put(e.getKey(), e.getValue());
            assertThat(got).as("HSCAN %s", String.join(" ", opts)).isEqualTo(want);
            if (opts.length == 2 && opts[1].equals("1")) assertThat(calls).isGreaterThan(100);
        }
    }

    /** The bulk strings of a reply, in order (nested pairs flattened). */
    static List<String> flat(byte[] reply) {
        return KeyCommandsDifferentialTest.bulks(reply);
    }

    // ---------------------------------------------------------------- HRANDFIELD

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hrandfield_deterministicCases_sameReplies(int proto) {
        diff.protocol(proto);
        diff.same("HSET", "h", "a", "1", "b", "2", "c", "3");
        diff.same("HRANDFIELD", "nokey");
        diff.same("HRANDFIELD", "nokey", "5");
        diff.same("HRANDFIELD", "nokey", "-5", "WITHVALUES");
        diff.same("HRANDFIELD", "h", "0");
        diff.same("HRANDFIELD", "h", "0", "WITHVALUES");
        diff.same("HRANDFIELD", "h", "3");
        diff.same("HRANDFIELD", "h", "100", "WITHVALUES");
        diff.same("HRANDFIELD", "h", "3", "withvalues");
        diff.same("HSET", "one", "only", "v");
        diff.same("HRANDFIELD", "one");
        diff.same("HRANDFIELD", "one", "1", "WITHVALUES");
        diff.same("HRANDFIELD", "one", "-3", "WITHVALUES");
        diff.same("HRANDFIELD", "one", "-2");
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "2");
        diff.same("HSET", "t", "a", "1", "b", "2", "c", "3");
        if (proto == 2) pairs("HRANDFIELD", "t", "3", "WITHVALUES");
        else elements("HRANDFIELD", "t", "3", "WITHVALUES");
        elements("HRANDFIELD", "t", "10");
        diff.same("HSET", "t1", "a", "1", "b", "2", "c", "3");
        diff.same("HDEL", "t1", "a", "b");
        diff.same("HRANDFIELD", "t1");
        diff.same("HRANDFIELD", "t1", "-2", "WITHVALUES");
    }

    /**
     * The random cases, checked by their properties on both servers (the picks themselves are
     * random): reply shape, distinctness for a positive count, membership, values matching fields.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hrandfield_randomCases_properties(int proto) {
        diff.protocol(proto);
        for (int size : new int[] {10, 100, 200, 1000}) {
            diff.flushAll();
            List<String> args = new ArrayList<>(List.of("HSET", "h"));
            for (int i = 0; i < size; i++) {
                args.add("f" + i);
                args.add("v" + i);
            }
            diff.same(args.toArray(new String[0]));
            encoding("h");
            for (int count : new int[] {1, 2, size / 2, size - 1, size / 5, -1, -5, -size * 2}) {
                for (boolean withValues : new boolean[] {false, true}) {
                    List<String> cmd = new ArrayList<>(List.of("HRANDFIELD", "h", Integer.toString(count)));
                    if (withValues) cmd.add("WITHVALUES");
                    for (RespClient client : new RespClient[] {diff.ours(), diff.theirs()}) {
                        String reply = new String(client.call(RespClient.args(cmd.toArray(new String[0]))), StandardCharsets.ISO_8859_1);
                        int n = Math.abs(count);
                        String header = withValues && proto == 2 ? "*" + 2 * n : "*" + n;
                        assertThat(reply).as("%s", cmd).startsWith(header + "\r\n");
                        if (withValues && proto == 3) assertThat(reply.substring(header.length() + 2)).startsWith("*2\r\n");
                        List<String> items = flat(reply.getBytes(StandardCharsets.ISO_8859_1));
                        int step = withValues ? 2 : 1;
                        Set<String> seen = new HashSet<>();
                        for (int i = 0; i < items.size(); i += step) {
                            String f = items.get(i);
                            assertThat(Integer.parseInt(f.substring(1))).isBetween(0, size - 1);
                            if (withValues) assertThat(items.get(i + 1)).isEqualTo("v" + f.substring(1));
                            seen.add(f);
                        }
                        assertThat(items).hasSize(n * step);
                        if (count > 0) assertThat(seen).hasSize(n);
                    }
                }
            }
            // Without a count: a field of the hash.
            for (int i = 0; i < 20; i++) assertThat(diff.ours().callString("HRANDFIELD", "h")).matches("(?s)\\$\\d+\r\nf\\d+\r\n");
        }
    }

    /** Every field is eventually returned by HRANDFIELD for both encodings (the picks are not stuck). */
    @Test
    void hrandfield_coversEveryField() {
        diff.same("HSET", "small", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
        diff.same("CONFIG", "SET", "hash-max-listpack-entries", "2");
        diff.same("HSET", "big", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
        for (String key : new String[] {"small", "big"}) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 400 && seen.size() < 5; i++) seen.add(flat(diff.ours().call(RespClient.args("HRANDFIELD", key))).get(0));
            assertThat(seen).containsExactlyInAnyOrder("a", "b", "c", "d", "e");
            seen.clear();
            for (int i = 0; i < 400 && seen.size() < 5; i++) seen.addAll(flat(diff.ours().call(RespClient.args("HRANDFIELD", key, "2"))));
            assertThat(seen).containsExactlyInAnyOrder("a", "b", "c", "d", "e");
        }
    }

    // ---------------------------------------------------------------- DIGEST, COPY, TYPE, OBJECT

    @Test
    void digestCopyTypeObject_bothEncodings_sameReplies() {
        diff.same("HSET", "small", "a", "1", "b", "two", "-5", "x", "e", "");
        List<String> args = new ArrayList<>(List.of("HSET", "large"));
        for (int i = 0; i < 200; i++) {
            args.add("k" + i);
            args.add(Integer.toString(i * 7));
        }
        diff.same(args.toArray(new String[0]));
        for (String key : new String[] {"small", "large"}) {
            encoding(key);
            diff.same("TYPE", key);
            diff.same("COPY", key, key + "-copy");
            encoding(key + "-copy");
            diff.same("HSET", key + "-copy", "changed", "1");
            diff.same("DEBUG", "DIGEST-VALUE", key);
            diff.same("COPY", key, key + "-copy", "DB", "3", "REPLACE");
        }
        diff.same("DEBUG", "DIGEST");
        diff.same("PEXPIREAT", "small", "99999999999999");
        diff.same("DEBUG", "DIGEST-VALUE", "small");
        diff.same("DEBUG", "DIGEST");
        diff.same("SELECT", "3");
        encoding("large-copy");
        pairs("HGETALL", "large-copy");
        diff.same("SCAN", "0", "TYPE", "hash", "MATCH", "small*");
        diff.same("SCAN", "0", "TYPE", "string");
        diff.same("RENAME", "small-copy", "s2");
        diff.same("HGETALL", "s2");
    }

    // ---------------------------------------------------------------- dirty, WATCH, notifications

    static long dirty(RespClient c) {
        String info = c.callString("INFO", "persistence");
        for (String line : info.split("\r\n")) {
            if (line.startsWith("rdb_changes_since_last_save:")) return Long.parseLong(line.substring(line.indexOf(':') + 1));
        }
        throw new IllegalStateException(info);
    }

    private static final String[][] WRITES = {
        {"HSET", "h", "a", "1", "b", "2", "c", "3"}, {"HSET", "h", "a", "1"}, {"HMSET", "h", "a", "9", "d", "4"},
        {"HSETNX", "h", "a", "x"}, {"HSETNX", "h", "e", "5"}, {"HDEL", "h", "nosuch"}, {"HDEL", "h", "a", "b", "nosuch"},
        {"HDEL", "nokey", "a"}, {"HINCRBY", "h", "c", "1"}, {"HINCRBY", "h", "c", "x"}, {"HINCRBY", "h", "n", "0"},
        {"HINCRBYFLOAT", "h", "c", "1.5"}, {"HINCRBYFLOAT", "h", "c", "inf"}, {"HSET", "h", "s", "str"},
        {"HINCRBY", "h", "s", "1"}, {"HINCRBYFLOAT", "h", "s", "1"}, {"HSETNX", "new", "f", "v"}, {"HINCRBY", "new2", "f", "1"},
        {"HINCRBYFLOAT", "new3", "f", "1"}, {"HDEL", "new", "f"}, {"HDEL", "h", "c", "d", "e", "n", "s"}, {"HGET", "h", "a"},
    };

    @Test
    void dirty_countsChangesAsRedis() {
        for (String[] cmd : WRITES) {
            long theirs = dirty(diff.theirs()), ours = dirty(diff.ours());
            diff.same(cmd);
            assertThat(dirty(diff.ours()) - ours).as(String.join(" ", cmd)).isEqualTo(dirty(diff.theirs()) - theirs);
        }
    }

    @Test
    void watch_changedWhenRedisSignalsTheKey() {
        String[][] cases = {
            {"HSET", "w", "a", "1"}, {"HSETNX", "w", "a", "x"}, {"HSETNX", "w", "z", "x"}, {"HDEL", "w", "nosuch"},
            {"HDEL", "w", "a"}, {"HINCRBY", "w", "a", "1"}, {"HINCRBY", "w", "s", "1"}, {"HINCRBYFLOAT", "w", "a", "1"},
            {"HGET", "w", "a"}, {"HGETALL", "w"}, {"HDEL", "w", "a", "b", "s"},
        };
        try (RespClient ours2 = diff.starling.raw(); RespClient theirs2 = diff.redis.raw()) {
            for (String[] cmd : cases) {
                diff.same("HSET", "w", "a", "1", "b", "2", "s", "str");
                diff.same("WATCH", "w");
                byte[][] a = RespClient.args(cmd);
                assertThat(new String(ours2.call(a), StandardCharsets.ISO_8859_1)).isEqualTo(new String(theirs2.call(a), StandardCharsets.ISO_8859_1));
                diff.same("MULTI");
                diff.same("PING");
                diff.same("EXEC");
            }
        }
    }

    @Test
    void keyspaceEvents_sameEventsInSameOrder() {
        List<String> ours = Collections.synchronizedList(new ArrayList<>());
        diff.starling.onExecutor(() -> diff.starling.server.keyspaceEvents = (type, event, key, dbid) -> {
            String k = new String(key, StandardCharsets.ISO_8859_1);
            if (!k.equals("end")) ours.add(event + " " + k);
        });
        diff.same("CONFIG", "SET", "notify-keyspace-events", "Kgh$");
        List<String> theirs = new ArrayList<>();
        try (RespClient sub = diff.redis.raw()) {
            sub.call(RespClient.args("PSUBSCRIBE", "__keyspace@0__:*"));
            for (String[] cmd : WRITES) diff.same(cmd);
            diff.same("SET", "end", "1");
            while (true) {
                String msg = sub.readReplyString();
                String[] lines = msg.split("\r\n");
                String key = lines[lines.length - 3].substring("__keyspace@0__:".length());
                String event = lines[lines.length - 1];
                if (key.equals("end")) break;
                theirs.add(event + " " + key);
            }
        } finally {
            diff.same("CONFIG", "SET", "notify-keyspace-events", "");
            diff.starling.onExecutor(() -> diff.starling.server.keyspaceEvents = (type, event, key, dbid) -> {});
        }
        await().untilAsserted(() -> assertThat(ours).containsExactlyElementsOf(theirs));
        assertThat(theirs).contains("hset h", "hdel h", "hincrby h", "hincrbyfloat h", "del new", "del h");
    }
}
