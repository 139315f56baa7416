package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import dev.starling.types.SetValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The set family byte for byte against redis-server 7.0, in RESP2 and RESP3, for both encodings
 * and the conversions between them. Hashtable-ordered replies are compared as multisets.
 */
class SetCommandsDifferentialTest {
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
        diff.same("CONFIG", "SET", "set-max-intset-entries", "512");
        diff.flushAll();
    }

    @AfterEach
    void checkInvariants() {
        checkInvariants(diff);
    }

    /** The keyspace invariants and every set's own (intset layout, member-bytes count, dict). */
    static void checkInvariants(Differential diff) {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> {
            err[0] = diff.starling.server.keyspace.validate();
            for (var db : diff.starling.server.keyspace.dbs) {
                db.dict.forEach(e -> {
                    if (err[0] == null && e.value instanceof SetValue s) err[0] = s.validate();
                });
            }
        });
        assertThat(err[0]).isNull();
    }

    /** Runs each command (split on spaces) on both servers and compares the replies byte for byte. */
    static void same(String... commands) {
        for (String cmd : commands) diff.same(cmd.split(" "));
    }

    /** Sends a command with a random reply to both servers; only the reply's first line must match. */
    static void random(String cmd) {
        random(diff, cmd);
    }

    static void random(Differential diff, String cmd) {
        byte[][] args = RespClient.args(cmd.split(" "));
        String ours = new String(diff.ours().call(args), java.nio.charset.StandardCharsets.ISO_8859_1);
        String theirs = new String(diff.theirs().call(args), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(ours.substring(0, ours.indexOf("\r\n"))).as("reply to %s", cmd).isEqualTo(theirs.substring(0, theirs.indexOf("\r\n")));
    }

    /** Like {@link #same} for replies in hashtable order. */
    static void unordered(String... commands) {
        for (String cmd : commands) diff.sameUnordered(1, cmd.split(" "));
    }

    static String[] sadd(String key, int from, int to, String prefix) {
        List<String> args = new ArrayList<>(List.of("SADD", key));
        for (int i = from; i < to; i++) args.add(prefix + i);
        return args.toArray(new String[0]);
    }

    // ---------------------------------------------------------------- basics

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void intset_basicCommands_sameBytes(int proto) {
        diff.protocol(proto);
        same("SADD s 3 1 2 -5 1", "SADD s 2", "SMEMBERS s", "SCARD s", "SISMEMBER s 1", "SISMEMBER s 4", "SISMEMBER s 01",
                "SMISMEMBER s 1 4 -5 x", "SMISMEMBER nokey a b", "OBJECT ENCODING s", "TYPE s", "DEBUG DIGEST-VALUE s",
                "SREM s 1 4 x", "SMEMBERS s", "SREM s 2 3 -5 7", "EXISTS s", "SMEMBERS s", "SCARD s", "SISMEMBER s 1",
                "SREM nokey a", "SMEMBERS nokey");
        same("SADD big 70000 -3 9223372036854775807 -9223372036854775808", "SMEMBERS big", "OBJECT ENCODING big",
                "SISMEMBER big 70000", "SREM big 70000", "SMEMBERS big", "DEBUG DIGEST-VALUE big", "DEBUG DIGEST");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hashtable_basicCommands_sameBytes(int proto) {
        diff.protocol(proto);
        same("SADD h a b c 1 2", "SADD h a", "OBJECT ENCODING h", "TYPE h", "SCARD h", "SISMEMBER h a", "SISMEMBER h 1",
                "SISMEMBER h z", "SMISMEMBER h a z 1", "DEBUG DIGEST-VALUE h", "SREM h a z 1");
        unordered("SMEMBERS h");
        same("SREM h b c 2", "EXISTS h", "DEBUG DIGEST");
        diff.same("SADD", "bin", "", "\u0000\u00ff", "x y");
        unordered("SMEMBERS bin");
        diff.same("SISMEMBER", "bin", "");
        same("DEBUG DIGEST-VALUE bin");
    }

    @Test
    void nonCanonicalIntegers_makeHashtable() {
        String[] notInts = {"01", "+1", " 1", "1 ", "-0", "1.0", "9223372036854775808", "-9223372036854775809", "0x1", ""};
        for (String m : notInts) {
            diff.same("DEL", "s");
            diff.same("SADD", "s", m);
            same("OBJECT ENCODING s");
            diff.same("SADD", "t", "5");
            diff.same("SADD", "t", m);
            same("OBJECT ENCODING t", "SCARD t", "DEL t");
        }
        same("SADD z 0 -1", "OBJECT ENCODING z", "SMEMBERS z");
    }

    @Test
    void conversion_pastMaxIntsetEntries_becomesHashtable() {
        diff.same(sadd("s", 0, 512, ""));
        same("OBJECT ENCODING s", "SMEMBERS s", "DEBUG DIGEST-VALUE s");
        same("SADD s 511", "OBJECT ENCODING s", "SADD s 512", "OBJECT ENCODING s", "SCARD s", "DEBUG DIGEST-VALUE s");
        unordered("SMEMBERS s");
        // The limit is live; a hashtable never converts back.
        same("CONFIG SET set-max-intset-entries 3", "SADD c 1 2 3", "OBJECT ENCODING c", "SADD c 4", "OBJECT ENCODING c",
                "SREM c 4 3", "OBJECT ENCODING c", "SADD d 1 2 3 4", "OBJECT ENCODING d");
        same("CONFIG SET set-max-intset-entries 0", "SADD e 1", "OBJECT ENCODING e");
    }

    @Test
    void errors_arityAndWrongType_sameBytes() {
        same("SET str v");
        for (String cmd : new String[] {"SADD str a", "SREM str a", "SMEMBERS str", "SISMEMBER str a", "SMISMEMBER str a",
                "SCARD str", "SPOP str", "SPOP str 2", "SRANDMEMBER str", "SRANDMEMBER str 2", "SMOVE str x a",
                "SINTER str", "SINTERCARD 1 str", "SINTERSTORE d str", "SUNION str", "SUNIONSTORE d str", "SDIFF str",
                "SDIFFSTORE d str", "SSCAN str 0"}) {
            same(cmd);
        }
        same("SADD s a", "SINTER s str", "SINTER nokey str", "SUNION s nokey str", "SDIFF nokey str", "SDIFF s str",
                "SMOVE s str a", "SMOVE nokey str a", "SMOVE str s a", "SINTERSTORE d nokey str");
        for (String cmd : new String[] {"SADD s", "SREM s", "SCARD", "SISMEMBER s", "SMISMEMBER s", "SMOVE a b",
                "SINTER", "SINTERCARD 1", "SINTERSTORE d", "SUNION", "SDIFFSTORE d", "SSCAN s", "SPOP", "SRANDMEMBER"}) {
            same(cmd);
        }
        same("SPOP s 1 2", "SRANDMEMBER s 1 2", "SPOP s x", "SPOP s -1", "SPOP nokey -1", "SPOP str -1", "SRANDMEMBER s x",
                "SRANDMEMBER str x", "SRANDMEMBER s -9223372036854775808", "SRANDMEMBER s 9223372036854775808",
                "SPOP s 9223372036854775808");
    }

    // ---------------------------------------------------------------- SMOVE

    @Test
    void smove_allCases_sameRepliesAndEncodings() {
        same("SADD a 1 2 3", "SMOVE a b 1", "OBJECT ENCODING b", "SMEMBERS a", "SMEMBERS b", "SMOVE a b 9", "SMOVE a a 2",
                "SMOVE a a 9", "SMOVE nokey b 1", "SMOVE a b x");
        same("SADD c x", "SMOVE a c 2", "OBJECT ENCODING c", "SMOVE c d x", "OBJECT ENCODING d", "EXISTS c");
        same("SMOVE a b 3", "SMOVE a b 2", "EXISTS a", "SMEMBERS b", "SADD b 2", "SMOVE b d 2", "SMEMBERS b");
        unordered("SMEMBERS d");
        // An integer moved into a full intset converts the destination.
        same("CONFIG SET set-max-intset-entries 2", "SADD f 7 8", "SADD g 9", "SMOVE g f 9", "OBJECT ENCODING f",
                "EXISTS g");
    }

    // ---------------------------------------------------------------- SINTER SUNION SDIFF

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setAlgebra_intsets_sortedSameBytes(int proto) {
        diff.protocol(proto);
        same("SADD a 1 2 3 4 5", "SADD b 4 5 6 7", "SADD c 5 6 100000", "SINTER a b", "SINTER a b c", "SINTER b a",
                "SINTER a", "SINTER a nokey", "SINTER nokey", "SUNION a b c", "SUNION nokey", "SUNION a nokey",
                "SDIFF a b", "SDIFF a b c", "SDIFF b a", "SDIFF nokey a", "SDIFF a nokey", "SDIFF a a", "SDIFF a b a",
                "SINTERCARD 2 a b", "SINTERCARD 3 a b c", "SINTERCARD 1 nokey", "SINTERCARD 2 a b LIMIT 1",
                "SINTERCARD 2 a b LIMIT 0", "SINTERCARD 1 a LIMIT 3", "SINTERCARD 1 a limit 3 LIMIT 1");
        // Hashtable inputs whose integer result fits an intset reply sorted, as Redis's fresh result set is an intset.
        same("SADD h x 10 3 1 2", "SREM h x", "OBJECT ENCODING h", "SUNION h", "SDIFF h a", "SUNION h b",
                "SPOP h 100", "EXISTS h");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setAlgebra_hashtables_sameMembers(int proto) {
        diff.protocol(proto);
        same("SADD a x y z 1 2", "SADD b y z w 2", "SADD c z 2 q", "SADD i 2 3 4");
        unordered("SINTER a b", "SINTER a b c", "SINTER b a", "SINTER a i", "SINTER i a", "SUNION a b c", "SUNION a i",
                "SDIFF a b", "SDIFF a b c", "SDIFF b a", "SDIFF a i", "SDIFF i a", "SMEMBERS a");
        same("SINTERCARD 2 a b", "SINTERCARD 3 a b c", "SINTERCARD 2 a b LIMIT 1", "SINTERCARD 2 a i");
        // Large inputs: diff algorithm 2 (first set small against large ones) and 1.
        diff.same(sadd("big1", 0, 2000, "m"));
        diff.same(sadd("big2", 1000, 3000, "m"));
        same("SADD small m1 m1500 m2999 nope");
        unordered("SDIFF small big1", "SDIFF small big1 big2", "SDIFF big1 small", "SINTER big1 big2 small");
        same("SDIFFSTORE d1 big1 big2", "SINTERSTORE d2 big1 big2", "SUNIONSTORE d3 big1 big2", "SINTERCARD 2 big1 big2",
                "SINTERCARD 2 big1 big2 LIMIT 10", "OBJECT ENCODING d1");
    }

    @Test
    void sintercard_argumentErrors_sameBytes() {
        same("SADD a 1", "SINTERCARD 0 a", "SINTERCARD -1 a", "SINTERCARD x a", "SINTERCARD 2 a", "SINTERCARD 1 a LIMIT",
                "SINTERCARD 1 a LIMIT -1", "SINTERCARD 1 a LIMIT x", "SINTERCARD 1 a FOO 1", "SINTERCARD 1 a b",
                "SINTERCARD 9223372036854775807 a", "SINTERCARD 1 a LIMIT 9223372036854775807");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void stores_encodingsOverwritesAndDeletes_sameBytes(int proto) {
        diff.protocol(proto);
        same("SADD a 1 2 3 x", "SADD b 2 3 4 y", "SADD i 2 3 4");
        same("SINTERSTORE d a b", "OBJECT ENCODING d", "SMEMBERS d", "SUNIONSTORE u a i", "OBJECT ENCODING u",
                "SDIFFSTORE f a b", "OBJECT ENCODING f", "DEBUG DIGEST-VALUE u");
        unordered("SMEMBERS u", "SMEMBERS f");
        // A STORE replaces a key of any type and drops its TTL.
        same("SET str v EX 100", "SINTERSTORE str a i", "TYPE str", "TTL str", "SMEMBERS str");
        same("SET str2 v", "SUNIONSTORE str2 nokey", "EXISTS str2", "SET str3 v", "SDIFFSTORE str3 i a b", "EXISTS str3");
        same("SINTERSTORE d a nokey", "EXISTS d", "SINTERSTORE d a nokey", "SDIFFSTORE nokey2 nokey a");
        // The destination may be a source.
        same("SUNIONSTORE a a i", "SMEMBERS i", "SDIFFSTORE i i a", "EXISTS i", "SINTERSTORE b b a", "SCARD b");
        // An intset result past the limit becomes a hashtable.
        same("CONFIG SET set-max-intset-entries 2", "SADD p 1 2", "SADD q 3", "SUNIONSTORE r p q", "OBJECT ENCODING r",
                "SINTERSTORE r2 p p", "OBJECT ENCODING r2");
    }

    // ---------------------------------------------------------------- SPOP SRANDMEMBER

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void spopSrandmember_deterministicCases_sameBytes(int proto) {
        diff.protocol(proto);
        same("SPOP nokey", "SPOP nokey 3", "SPOP nokey 0", "SRANDMEMBER nokey", "SRANDMEMBER nokey 3",
                "SRANDMEMBER nokey -3", "SRANDMEMBER nokey 0");
        same("SADD s 5", "SRANDMEMBER s", "SRANDMEMBER s 1", "SRANDMEMBER s -3", "SRANDMEMBER s 0", "SPOP s 0",
                "SPOP s", "EXISTS s", "SADD s 1 2 3", "SRANDMEMBER s 3", "SRANDMEMBER s 10", "SPOP s 3", "EXISTS s");
        same("SADD h x", "SRANDMEMBER h -2", "SPOP h 5", "EXISTS h");
    }

    @Test
    void spop_countStrategies_rebuildEncodingAsRedis() {
        // CASE 3 (most of the set popped) rebuilds the remainder from setTypeCreate: a hashtable of
        // integers comes back as an intset.
        diff.same(sadd("h", 0, 1000, ""));
        same("OBJECT ENCODING h");
        random("SPOP h 900");
        same("OBJECT ENCODING h", "SCARD h");
        diff.same(sadd("h2", 0, 1000, ""));
        // CASE 2 (few popped) keeps the encoding.
        random("SPOP h2 10");
        same("OBJECT ENCODING h2", "SCARD h2", "SADD i 1 2 3 4 5 6 7 8 9 10");
        random("SPOP i 9");
        same("OBJECT ENCODING i", "SCARD i");
        random("SPOP i 1");
        same("EXISTS i", "SADD s a b c d e f g h i j");
        random("SPOP s 9");
        same("OBJECT ENCODING s", "SCARD s");
    }

    /** Properties of the random commands: sizes, membership, distinctness, and SPOP's removal. */
    @Test
    void spopSrandmember_randomReplies_haveRedisProperties() {
        RespClient c = diff.ours();
        for (String enc : new String[] {"", "m"}) {
            for (int size : new int[] {5, 40, 600}) {
                c.callString("DEL", "s");
                List<String> all = new ArrayList<>();
                List<String> args = new ArrayList<>(List.of("SADD", "s"));
                for (int i = 0; i < size; i++) {
                    all.add(enc + i);
                    args.add(enc + i);
                }
                c.callString(args.toArray(new String[0]));
                for (int count : new int[] {1, 2, size / 3 + 1, size / 2, size - 1, size, size + 5}) {
                    List<String> got = KeyCommandsDifferentialTest.bulks(c.call(RespClient.args("SRANDMEMBER", "s", "" + count)));
                    assertThat(got).hasSize(Math.min(count, size)).doesNotHaveDuplicates();
                    assertThat(all).containsAll(got);
                    List<String> rep = KeyCommandsDifferentialTest.bulks(c.call(RespClient.args("SRANDMEMBER", "s", "-" + count)));
                    assertThat(rep).hasSize(count);
                    assertThat(all).containsAll(rep);
                }
                String one = KeyCommandsDifferentialTest.bulks(c.call(RespClient.args("SRANDMEMBER", "s"))).get(0);
                assertThat(all).contains(one);
                List<String> left = new ArrayList<>(all);
                for (int count : new int[] {1, size / 10 + 1, size / 2}) {
                    List<String> popped = KeyCommandsDifferentialTest.bulks(c.call(RespClient.args("SPOP", "s", "" + count)));
                    assertThat(popped).hasSize(Math.min(count, left.size())).doesNotHaveDuplicates();
                    assertThat(left).containsAll(popped);
                    left.removeAll(popped);
                    if (left.isEmpty()) break;
                    String single = KeyCommandsDifferentialTest.bulks(c.call(RespClient.args("SPOP", "s"))).get(0);
                    assertThat(left).contains(single);
                    left.remove(single);
                    assertThat(KeyCommandsDifferentialTest.sorted(c.call(RespClient.args("SMEMBERS", "s"))))
                            .containsExactlyInAnyOrderElementsOf(left);
                }
                if (!left.isEmpty()) {
                    List<String> rest = KeyCommandsDifferentialTest.bulks(c.call(RespClient.args("SPOP", "s", "" + (size * 2))));
                    assertThat(rest).containsExactlyInAnyOrderElementsOf(left);
                }
                assertThat(c.callString("EXISTS", "s")).isEqualTo(":0\r\n");
            }
        }
    }

    // ---------------------------------------------------------------- SSCAN

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sscan_intsetWholeInOneCall_sameBytes(int proto) {
        diff.protocol(proto);
        same("SSCAN nokey 0", "SADD s 1 2 3 10 20 -7", "SSCAN s 0", "SSCAN s 5", "SSCAN s 0 COUNT 1", "SSCAN s 0 MATCH 1*",
                "SSCAN s 0 MATCH * COUNT 2", "SSCAN s 0 COUNT 0", "SSCAN s 0 COUNT x", "SSCAN s 0 TYPE set", "SSCAN s 0 MATCH",
                "SSCAN s x", "SSCAN s -1", "SSCAN nokey 0 COUNT 0", "SSCAN s 18446744073709551616");
    }

    @Test
    void sscan_hashtable_returnsEveryMemberAcrossCursors() {
        diff.same(sadd("h", 0, 1000, "m"));
        same("SSCAN h 0 MATCH nomatch* COUNT 5000", "SSCAN h 0 COUNT 0");
        for (String[] opts : new String[][] {{}, {"COUNT", "7"}, {"MATCH", "m1*"}, {"COUNT", "100", "MATCH", "*5"}}) {
            for (RespClient client : new RespClient[] {diff.ours(), diff.theirs()}) {
                List<String> got = new ArrayList<>();
                String cursor = "0";
                do {
                    List<String> args = new ArrayList<>(List.of("SSCAN", "h", cursor));
                    args.addAll(List.of(opts));
                    List<String> parts = KeyCommandsDifferentialTest.bulks(client.call(RespClient.args(args.toArray(new String[0]))));
                    cursor = parts.get(0);
                    got.addAll(parts.subList(1, parts.size()));
                } while (!cursor.equals("0"));
                List<String> want = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    String m = "m" + i;
                    if (opts.length > 0 && opts[opts.length - 2].equals("MATCH")) {
                        String p = opts[opts.length - 1];
                        if (p.endsWith("*") && !m.startsWith(p.substring(0, p.length() - 1))) continue;
                        if (p.startsWith("*") && !m.endsWith(p.substring(1))) continue;
                    }
                    want.add(m);
                }
                assertThat(new java.util.HashSet<>(got)).containsExactlyInAnyOrderElementsOf(want);
            }
        }
    }

    // ---------------------------------------------------------------- keyspace integration

    @Test
    void copyAndDigest_bothEncodings_sameBytes() {
        same("SADD i 1 2 3", "SADD h a b 1", "SADD hi x 1 2", "SREM hi x", "COPY i i2", "COPY h h2", "COPY hi hi2",
                "OBJECT ENCODING i2", "OBJECT ENCODING h2", "OBJECT ENCODING hi2", "SMEMBERS i2", "DEBUG DIGEST-VALUE i2 h2 hi2",
                "SADD i2 4", "SCARD i", "SREM h2 a", "SCARD h", "DEBUG DIGEST", "EXPIRE h 100", "DEBUG DIGEST-VALUE h",
                "COPY h i REPLACE", "TYPE i", "OBJECT ENCODING i");
        unordered("SMEMBERS h2");
    }

    @Test
    void watch_setWrites_abortExec() {
        RespClient ours = diff.starling.raw(), theirs = diff.redis.raw();
        for (String write : new String[] {"SADD s 9", "SREM s 1", "SPOP s", "SMOVE s t 2", "SINTERSTORE s s", "SPOP s 2"}) {
            same("DEL s", "SADD s 1 2 3");
            for (RespClient c : new RespClient[] {ours, theirs}) c.callString("WATCH", "s");
            for (RespClient c : new RespClient[] {ours, theirs}) c.callString("MULTI");
            random(write);
            for (RespClient c : new RespClient[] {ours, theirs}) c.callString("PING");
            assertThat(ours.callString("EXEC")).as("EXEC after %s", write).isEqualTo(theirs.callString("EXEC")).isEqualTo("*-1\r\n");
        }
        // A no-op write does not touch the key.
        same("DEL s", "SADD s 1 2 3");
        for (RespClient c : new RespClient[] {ours, theirs}) c.callString("WATCH", "s");
        for (RespClient c : new RespClient[] {ours, theirs}) c.callString("MULTI");
        same("SADD s 1", "SREM s 9", "SMOVE s s 1");
        for (RespClient c : new RespClient[] {ours, theirs}) c.callString("PING");
        assertThat(ours.callString("EXEC")).isEqualTo(theirs.callString("EXEC")).isEqualTo("*1\r\n+PONG\r\n");
        ours.close();
        theirs.close();
    }

    @Test
    void memoryUsage_growsAndShrinksWithTheSet() {
        same("SADD s 1");
        long small = usage("s");
        diff.same(sadd("s", 0, 500, ""));
        long ints = usage("s");
        diff.same(sadd("s", 0, 500, "member:"));
        long ht = usage("s");
        assertThat(small).isLessThan(ints);
        assertThat(ints).isLessThan(ht);
        diff.same(sadd("s", 0, 500, "member:"));
        assertThat(usage("s")).isEqualTo(ht);
    }

    static long usage(String key) {
        String r = diff.ours().callString("MEMORY", "USAGE", key);
        return Long.parseLong(r.substring(1, r.indexOf("\r\n")));
    }
}
