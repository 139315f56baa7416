package dev.starling.persistence;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import dev.starling.types.Hash;
import dev.starling.types.Quicklist;
import dev.starling.types.SetValue;
import dev.starling.types.ZSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DUMP and RESTORE against redis-server 7.0, for every type and encoding: the same commands build
 * key "k" on both servers, then
 * <ul>
 * <li>DUMP must be byte-identical (for hashtable encodings, whose order follows each server's hash
 *     function, the payload is compared after decoding, as a multiset);</li>
 * <li>Redis's payload restored into Starling and Starling's restored into Redis must give the same
 *     DEBUG DIGEST-VALUE, OBJECT ENCODING and TYPE on both sides, and re-DUMP identically.</li>
 * </ul>
 * In RESP2 and RESP3.
 */
class DumpRestoreDifferentialTest {
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
    void reset() {
        diff.protocol(2);
        diff.flushAll();
        for (String[] kv : DEFAULTS) diff.same("CONFIG", "SET", kv[0], kv[1]);
    }

    @AfterEach
    void checkInvariants() {
        checkInvariants(diff);
    }

    static final String[][] DEFAULTS = {
        {"list-max-listpack-size", "-2"}, {"list-compress-depth", "0"}, {"hash-max-listpack-entries", "512"},
        {"hash-max-listpack-value", "64"}, {"zset-max-listpack-entries", "128"}, {"zset-max-listpack-value", "64"},
        {"set-max-intset-entries", "512"}, {"rdbcompression", "yes"}, {"sanitize-dump-payload", "no"},
    };

    /** Keyspace invariants and every collection's own validator. */
    static void checkInvariants(Differential diff) {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> {
            err[0] = diff.starling.server.keyspace.validate();
            for (var db : diff.starling.server.keyspace.dbs) {
                db.dict.forEach(e -> {
                    if (err[0] != null) return;
                    if (e.value instanceof SetValue s) err[0] = s.validate();
                    else if (e.value instanceof Hash h) err[0] = h.validate();
                    else if (e.value instanceof ZSet z) err[0] = z.validate();
                    else if (e.value instanceof Quicklist q) err[0] = q.validate();
                });
            }
        });
        assertThat(err[0]).isNull();
    }

    // ---------------------------------------------------------------- scenarios

    /** A named way to build key "k": commands (argument lists) run on both servers. */
    record Scenario(String name, boolean ordered, List<String[]> commands) {
        @Override
        public String toString() {
            return name;
        }
    }

    static String rep(String s, int n) {
        return s.repeat(n);
    }

    static String randomText(Random r, int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) sb.append((char) (33 + r.nextInt(94)));
        return sb.toString();
    }

    static Scenario of(String name, String... commands) {
        List<String[]> c = new ArrayList<>();
        for (String cmd : commands) c.add(cmd.split(" "));
        return new Scenario(name, true, c);
    }

    static Scenario cmds(String name, boolean ordered, List<String[]> commands) {
        return new Scenario(name, ordered, commands);
    }

    static String[] push(String cmd, String key, List<String> items) {
        String[] a = new String[items.size() + 2];
        a[0] = cmd;
        a[1] = key;
        for (int i = 0; i < items.size(); i++) a[i + 2] = items.get(i);
        return a;
    }

    static Stream<Scenario> scenarios() {
        Random r = new Random(42);
        List<Scenario> out = new ArrayList<>();
        // Strings: integer encodings at each width boundary, raw, LZF, and in-place modified.
        for (String v : new String[] {"", "a", "0", "-1", "127", "128", "-128", "-129", "32767", "32768", "-32768", "-32769",
            "2147483647", "2147483648", "-2147483648", "-2147483649", "12345678901", "-1234567890", "9223372036854775807",
            "-9223372036854775808", "007", "+1", "1.5", " 1", "-0"}) {
            out.add(cmds("string '" + v + "'", true, List.<String[]>of(new String[] {"SET", "k", v})));
        }
        out.add(of("string 20 bytes", "SET k " + rep("a", 20)));
        out.add(of("string 21 bytes compressible", "SET k " + rep("a", 21)));
        out.add(of("string 21 bytes incompressible", "SET k abcdefghijklmnopqrstu"));
        out.add(of("string 24 bytes barely compressible", "SET k abcabcabcabcXYZWVUTSRQPO"));
        out.add(of("string random 1000", "SET k " + randomText(r, 1000)));
        out.add(of("string compressible 20000", "SET k " + rep("hello-world;", 2000)));
        out.add(of("string mixed 5000", "SET k " + randomText(r, 100) + rep("xy", 1000) + randomText(r, 500) + rep("z", 2000)));
        out.add(of("string appended", "SET k 12", "APPEND k 34"));
        out.add(of("string setrange", "SETRANGE k 30 " + rep("q", 40)));
        out.add(of("string incrbyfloat", "SET k 1.5", "INCRBYFLOAT k 1.5"));
        out.add(of("string incr", "SET k 99", "INCR k"));
        out.add(of("string setbit", "SETBIT k 1000 1", "SETBIT k 7 1"));
        // Lists.
        out.add(of("list small", "RPUSH k a b c 1 2 3 -7 100000 " + rep("x", 70)));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 3000; i++) many.add(i % 3 == 0 ? Integer.toString(i * 7919) : "element-" + (i % 97) + "-" + rep("ab", i % 40));
        out.add(cmds("list many nodes", true, List.<String[]>of(push("RPUSH", "k", many))));
        out.add(cmds("list compress depth 1", true, List.of(new String[] {"CONFIG", "SET", "list-compress-depth", "1"}, push("RPUSH", "k", many))));
        out.add(cmds("list compress depth 2 fill 5", true, List.of(new String[] {"CONFIG", "SET", "list-compress-depth", "2"},
                new String[] {"CONFIG", "SET", "list-max-listpack-size", "5"}, push("LPUSH", "k", many))));
        List<String> big = new ArrayList<>();
        for (int i = 0; i < 20; i++) big.add(i % 4 == 0 ? rep("P", 9000 + i) : randomText(r, 200));
        out.add(cmds("list big elements", true, List.of(new String[] {"CONFIG", "SET", "list-compress-depth", "1"}, push("RPUSH", "k", big))));
        out.add(of("list plain nodes", "DEBUG QUICKLIST-PACKED-THRESHOLD 100", "RPUSH k a " + rep("b", 150) + " c " + rep("d", 300),
                "DEBUG QUICKLIST-PACKED-THRESHOLD 1073741824"));
        // Sets: intsets of each width, hashtable.
        out.add(of("set intset16", "SADD k 1 2 3 -5 32767 -32768"));
        out.add(of("set intset32", "SADD k 1 70000 -70000 2147483647"));
        out.add(of("set intset64", "SADD k 1 5000000000 -9223372036854775808 9223372036854775807"));
        List<String> ints = new ArrayList<>();
        for (int i = 0; i < 400; i++) ints.add(Integer.toString(i * 3 - 500));
        out.add(cmds("set intset 400 (compressible blob)", true, List.<String[]>of(push("SADD", "k", ints))));
        List<String> ints600 = new ArrayList<>();
        for (int i = 0; i < 600; i++) ints600.add(Integer.toString(i));
        out.add(cmds("set hashtable of ints", false, List.<String[]>of(push("SADD", "k", ints600))));
        out.add(cmds("set hashtable", false, List.<String[]>of(new String[] {"SADD", "k", "a", "b", "1", "c", rep("long", 30)})));
        // Hashes.
        out.add(of("hash listpack", "HSET k f v n 1 neg -12345 big 123456789012 " + rep("f", 30) + " " + rep("v", 60)));
        out.add(of("hash listpack compressible", "HSET k " + rep("field ", 40).trim().replace(" ", " v ") + " v"));
        List<String> pairs = new ArrayList<>();
        pairs.add("HSET");
        pairs.add("k");
        for (int i = 0; i < 30; i++) {
            pairs.add("field:" + i);
            pairs.add(i % 2 == 0 ? Integer.toString(i * 1000) : "value-" + rep("w", i));
        }
        out.add(cmds("hash listpack 30", true, List.<String[]>of(pairs.toArray(new String[0]))));
        out.add(cmds("hash hashtable (long value)", false, List.<String[]>of(new String[] {"HSET", "k", "a", "1", "b", rep("x", 100)})));
        List<String> pairs600 = new ArrayList<>();
        pairs600.add("HSET");
        pairs600.add("k");
        for (int i = 0; i < 600; i++) {
            pairs600.add("f" + i);
            pairs600.add(Integer.toString(i));
        }
        out.add(cmds("hash hashtable 600", false, List.<String[]>of(pairs600.toArray(new String[0]))));
        // Sorted sets.
        out.add(of("zset listpack", "ZADD k 1 a 2 b 1.5 c -3 d 0 e"));
        out.add(of("zset special scores", "ZADD k inf a -inf b -0 c 0 d 1e-300 e 1.7976931348623157e308 f 4611686018427387904 g "
                + "4611686018427387903 h 0.1 i -2.5e-10 j 9007199254740993 l"));
        List<String> zadd = new ArrayList<>();
        zadd.add("ZADD");
        zadd.add("k");
        for (int i = 0; i < 300; i++) {
            zadd.add(i % 5 == 0 ? Double.toString(i / 7.0) : Integer.toString(i - 150));
            zadd.add("member:" + i);
        }
        out.add(cmds("zset skiplist 300", true, List.<String[]>of(zadd.toArray(new String[0]))));
        out.add(of("zset skiplist special scores", "ZADD k inf a -inf b -0 c 0 d 1e-300 e 0.1 f " + "1 " + rep("m", 100)));
        out.add(of("zset long member", "ZADD k 1 " + rep("m", 70) + " 2 x"));
        return out.stream();
    }

    // ---------------------------------------------------------------- helpers

    static byte[] bulk(byte[] reply) {
        String s = new String(reply, StandardCharsets.ISO_8859_1);
        assertThat(s).startsWith("$");
        int eol = s.indexOf("\r\n");
        int len = Integer.parseInt(s.substring(1, eol));
        return Arrays.copyOfRange(reply, eol + 2, eol + 2 + len);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void build(Scenario s) {
        for (String[] c : s.commands()) diff.same(c);
        assertThat(diff.same("EXISTS", "k")).as("scenario builds k").isEqualTo(":1\r\n");
    }

    // ---------------------------------------------------------------- tests

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void dump_equalsRedis(Scenario s) {
        build(s);
        diff.same("OBJECT", "ENCODING", "k");
        byte[] ours = bulk(diff.ours().call(b("DUMP"), b("k")));
        byte[] theirs = bulk(diff.theirs().call(b("DUMP"), b("k")));
        if (s.ordered()) {
            assertThat(ours).as("DUMP of %s", s.name()).isEqualTo(theirs);
        } else {
            assertThat(PayloadModel.decode(ours)).as("DUMP of %s (unordered)", s.name()).isEqualTo(PayloadModel.decode(theirs));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void restore_crossesBothWays(Scenario s) {
        build(s);
        byte[] ours = bulk(diff.ours().call(b("DUMP"), b("k")));
        byte[] theirs = bulk(diff.theirs().call(b("DUMP"), b("k")));
        for (int resp : new int[] {2, 3}) {
            diff.protocol(resp);
            // Redis's payload into both as "r", Starling's into both as "s".
            diff.same(b("RESTORE"), b("r"), b("0"), theirs, b("REPLACE"));
            diff.same(b("RESTORE"), b("s"), b("0"), ours, b("REPLACE"));
            for (String key : new String[] {"k", "r", "s"}) {
                diff.same("TYPE", key);
                diff.same("OBJECT", "ENCODING", key);
                diff.same("OBJECT", "REFCOUNT", key);
                diff.same("DEBUG", "DIGEST-VALUE", key);
            }
            diff.same("DEBUG", "DIGEST");
        }
        if (s.ordered()) {
            // Restored values re-dump as the original.
            assertThat(bulk(diff.ours().call(b("DUMP"), b("r")))).isEqualTo(theirs);
            assertThat(bulk(diff.theirs().call(b("DUMP"), b("s")))).isEqualTo(ours);
        }
    }
}
