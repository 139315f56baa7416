package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every generic keyspace command and error, byte for byte against redis-server 7.0. */
class KeyCommandsDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @org.junit.jupiter.api.AfterEach
    void checkInvariants() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    @BeforeEach
    void clean() {
        diff.same("SELECT", "0");
        diff.flushAll();
    }

    @Test
    void delUnlinkExistsTouch_variousKeys_sameReplies() {
        diff.same("SET", "a", "1");
        diff.same("SET", "b", "2");
        diff.same("EXISTS", "a", "b", "c", "a");
        diff.same("TOUCH", "a", "c", "b");
        diff.same("DEL", "a", "c");
        diff.same("UNLINK", "b", "b");
        diff.same("EXISTS", "a", "b");
        diff.same("DBSIZE");
        diff.same("DEL");
        diff.same("EXISTS");
        diff.same("UNLINK");
        diff.same("TOUCH");
    }

    @Test
    void type_stringAndMissing_sameReplies() {
        diff.same("SET", "s", "v");
        diff.same("TYPE", "s");
        diff.same("TYPE", "nope");
        diff.same("TYPE");
        diff.same("TYPE", "a", "b");
    }

    @Test
    void rename_allCases_sameReplies() {
        diff.same("RENAME", "nokey", "x");
        diff.same("RENAMENX", "nokey", "x");
        diff.same("SET", "a", "1");
        diff.same("RENAME", "a", "a");
        diff.same("RENAMENX", "a", "a");
        diff.same("PEXPIREAT", "a", "99999999999999");
        diff.same("RENAME", "a", "b");
        diff.same("PEXPIRETIME", "b");
        diff.same("EXISTS", "a");
        diff.same("SET", "c", "3");
        diff.same("RENAMENX", "b", "c");
        diff.same("RENAMENX", "b", "d");
        diff.same("PEXPIRETIME", "d");
        diff.same("RENAME", "d", "c");
        diff.same("GET", "c");
        diff.same("PEXPIRETIME", "c");
        diff.same("RENAME", "c");
    }

    @Test
    void copy_optionsAndErrors_sameReplies() {
        diff.same("SET", "a", "hello");
        diff.same("PEXPIREAT", "a", "99999999999999");
        diff.same("COPY", "a", "b");
        diff.same("GET", "b");
        diff.same("PEXPIRETIME", "b");
        diff.same("COPY", "a", "b");
        diff.same("COPY", "a", "b", "REPLACE");
        diff.same("COPY", "a", "a");
        diff.same("COPY", "a", "a", "DB", "0");
        diff.same("COPY", "a", "a", "DB", "1");
        diff.same("COPY", "nokey", "z");
        diff.same("COPY", "a", "b", "DB");
        diff.same("COPY", "a", "b", "DB", "x");
        diff.same("COPY", "a", "b", "DB", "16");
        diff.same("COPY", "a", "b", "DB", "-1");
        diff.same("COPY", "a", "b", "DB", "99999999999");
        diff.same("COPY", "a", "b", "FOO");
        diff.same("COPY", "a", "b", "replace", "db", "2", "REPLACE");
        diff.same("SELECT", "2");
        diff.same("GET", "b");
        diff.same("PEXPIRETIME", "b");
    }

    @Test
    void move_allCases_sameReplies() {
        diff.same("SET", "a", "1");
        diff.same("MOVE", "a", "0");
        diff.same("MOVE", "a", "16");
        diff.same("MOVE", "a", "-1");
        diff.same("MOVE", "a", "x");
        diff.same("MOVE", "a", "99999999999");
        diff.same("MOVE", "nokey", "1");
        diff.same("PEXPIREAT", "a", "99999999999999");
        diff.same("MOVE", "a", "1");
        diff.same("EXISTS", "a");
        diff.same("SELECT", "1");
        diff.same("GET", "a");
        diff.same("PEXPIRETIME", "a");
        diff.same("SET", "b", "x");
        diff.same("SELECT", "0");
        diff.same("SET", "b", "y");
        diff.same("MOVE", "b", "1");
    }

    @Test
    void swapdb_allCases_sameReplies() {
        diff.same("SET", "a", "in0");
        diff.same("SWAPDB", "0", "1");
        diff.same("GET", "a");
        diff.same("SELECT", "1");
        diff.same("GET", "a");
        diff.same("SWAPDB", "1", "1");
        diff.same("SWAPDB", "x", "1");
        diff.same("SWAPDB", "1", "x");
        diff.same("SWAPDB", "99999999999", "1");
        diff.same("SWAPDB", "1", "99999999999");
        diff.same("SWAPDB", "16", "1");
        diff.same("SWAPDB", "1", "-1");
        diff.same("SWAPDB", "1");
    }

    @Test
    void flush_options_sameReplies() {
        diff.same("SET", "a", "1");
        diff.same("FLUSHDB", "ASYNC");
        diff.same("FLUSHDB", "sync");
        diff.same("FLUSHDB", "foo");
        diff.same("FLUSHDB", "async", "x");
        diff.same("FLUSHALL", "foo");
        diff.same("FLUSHALL", "ASYNC");
        diff.same("FLUSHALL", "SYNC");
        diff.same("FLUSHALL", "a", "b");
        diff.same("SELECT", "3");
        diff.same("SET", "x", "1");
        diff.same("FLUSHALL");
        diff.same("DBSIZE");
    }

    @Test
    void expire_flagsAndErrors_sameReplies() {
        diff.same("EXPIRE", "nokey", "100");
        diff.same("SET", "a", "1");
        for (String cmd : new String[] {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"}) {
            diff.same(cmd, "a", "x");
            diff.same(cmd, "a", "1.5");
            diff.same(cmd, "a", "100", "FOO");
            diff.same(cmd, "a", "100", "NX", "XX");
            diff.same(cmd, "a", "100", "nx", "gt");
            diff.same(cmd, "a", "100", "NX", "LT");
            diff.same(cmd, "a", "100", "GT", "LT");
            diff.same(cmd, "a", "100", "XX", "GT", "LT");
            diff.same(cmd, "a", "9223372036854775807");
            diff.same(cmd, "a", "-9223372036854775808");
            diff.same(cmd, "a", "9223372036854775808");
            diff.same(cmd, "a");
        }
        diff.same("EXPIRE", "a", "9223372036854775");
        diff.same("EXPIRE", "a", "9223372036854776");
        diff.same("EXPIREAT", "a", "9223372036854775");
        diff.same("PEXPIRE", "a", "9223372036854775000");
        diff.same("EXPIRE", "a", "-9223372036854775");
        diff.same("EXPIRE", "a", "-9223372036854776");
        diff.same("TTL", "a");
        diff.same("EXPIRE", "a", "1000", "XX");
        diff.same("EXPIRE", "a", "1000", "GT");
        diff.same("EXPIRE", "a", "1000", "LT");
        diff.same("TTL", "a");
        diff.same("EXPIRE", "a", "2000", "NX");
        diff.same("EXPIRE", "a", "500", "NX");
        diff.same("TTL", "a");
        diff.same("EXPIRE", "a", "400", "GT");
        diff.same("EXPIRE", "a", "600", "GT");
        diff.same("EXPIRE", "a", "700", "lt");
        diff.same("EXPIRE", "a", "300", "lt");
        diff.same("EXPIRE", "a", "300", "XX", "LT");
        diff.same("TTL", "a");
        diff.same("EXPIRE", "a", "3000", "XX", "GT");
        diff.same("TTL", "a");
        diff.same("PERSIST", "a");
        diff.same("PERSIST", "a");
        diff.same("PERSIST", "nokey");
        diff.same("TTL", "a");
        diff.same("PTTL", "a");
        diff.same("EXPIRETIME", "a");
        diff.same("PEXPIRETIME", "a");
        diff.same("TTL", "nokey");
        diff.same("PTTL", "nokey");
        diff.same("EXPIRETIME", "nokey");
        diff.same("PEXPIRETIME", "nokey");
        diff.same("EXPIREAT", "a", "4000000000");
        diff.same("EXPIRETIME", "a");
        diff.same("PEXPIRETIME", "a");
        diff.same("PEXPIREAT", "a", "4000000000499");
        diff.same("EXPIRETIME", "a");
        diff.same("PEXPIREAT", "a", "4000000000500");
        diff.same("EXPIRETIME", "a");
    }

    @Test
    void expire_negativeOrPastTime_deletesKey() {
        for (String cmd : new String[] {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"}) {
            diff.same("SET", "a", "1");
            diff.same(cmd, "a", "-1");
            diff.same("EXISTS", "a");
            diff.same("SET", "a", "1");
            diff.same(cmd, "a", "0");
            diff.same("EXISTS", "a");
            diff.same("SET", "a", "1");
            diff.same(cmd, "a", "0", "NX");
            diff.same("EXISTS", "a");
        }
        diff.same("SET", "a", "1");
        diff.same("EXPIRE", "a", "100");
        diff.same("EXPIRE", "a", "-5", "GT");
        diff.same("EXPIRE", "a", "-5", "LT");
        diff.same("EXISTS", "a");
        diff.same("SET", "a", "1");
        diff.same("EXPIRE", "a", "-5", "LT");
        diff.same("EXISTS", "a");
    }

    @Test
    void keys_patterns_sameSortedReplies() {
        for (String k : new String[] {"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h[a]llo", "foo", "bar", "a\\b", "x"}) {
            diff.same("SET", k, "v");
        }
        for (String p : new String[] {"*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
                "h\\*llo", "*o", "f*", "[", "[a", "h[", "\\", "a\\\\b", "*[", "x*", "**", "?", "h[^", "[]]"}) {
            assertThat(sorted(diff.ours().call(RespClient.args("KEYS", p))))
                    .as("KEYS %s", p).isEqualTo(sorted(diff.theirs().call(RespClient.args("KEYS", p))));
        }
        diff.same("KEYS");
    }

    @Test
    void keys_expiredKeysHidden_sameReplies() {
        diff.same("SET", "live", "1");
        diff.same("SET", "dead", "1");
        diff.same("PEXPIRE", "dead", "1");
        await(() -> diff.same("KEYS", "*").equals("*1\r\n$4\r\nlive\r\n"));
        diff.same("KEYS", "*");
    }

    @Test
    void scan_optionsAndErrors_sameReplies() {
        // Cursor parsing on an empty db (bucket placement differs between servers).
        diff.same("SCAN", "18446744073709551615");
        diff.same("SCAN", "-1");
        diff.same("SCAN", "007");
        diff.same("SET", "k", "v");
        diff.same("SCAN", "0");
        diff.same("SCAN", "");
        diff.same("SCAN", "+0");
        diff.same("SCAN", "-0");
        diff.same("SCAN", "abc");
        diff.same("SCAN", " 0");
        diff.same("SCAN", "0 ");
        diff.same("SCAN", "+");
        diff.same("SCAN", "-");
        diff.same("SCAN", "18446744073709551616");
        diff.same("SCAN", "-18446744073709551616");
        diff.same("SCAN", "0", "COUNT", "0");
        diff.same("SCAN", "0", "COUNT", "-1");
        diff.same("SCAN", "0", "COUNT", "x");
        diff.same("SCAN", "0", "COUNT");
        diff.same("SCAN", "0", "MATCH");
        diff.same("SCAN", "0", "TYPE");
        diff.same("SCAN", "0", "FOO", "bar");
        diff.same("SCAN", "0", "MATCH", "k*", "COUNT", "100", "TYPE", "string");
        diff.same("SCAN", "0", "MATCH", "x*");
        diff.same("SCAN", "0", "TYPE", "STRING");
        diff.same("SCAN", "0", "TYPE", "list");
        diff.same("SCAN", "0", "type", "none");
        diff.same("SCAN");
    }

    @Test
    void scan_fullIteration_returnsEveryKey() {
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            diff.ours().call(RespClient.args("SET", "key:" + i, "v"));
            want.add("key:" + i);
        }
        java.util.Set<String> got = new java.util.HashSet<>();
        String cursor = "0";
        do {
            byte[] reply = diff.ours().call(RespClient.args("SCAN", cursor, "COUNT", "7"));
            List<String> parts = bulks(reply);
            cursor = parts.get(0);
            got.addAll(parts.subList(1, parts.size()));
        } while (!cursor.equals("0"));
        assertThat(got).containsExactlyInAnyOrderElementsOf(want);
    }

    @Test
    void randomkey_emptyAndSingle_sameReplies() {
        diff.same("RANDOMKEY");
        diff.same("SET", "only", "1");
        diff.same("RANDOMKEY");
    }

    @Test
    void object_subcommands_sameReplies() {
        diff.same("SET", "int", "100");
        diff.same("SET", "big", "10000");
        diff.same("SET", "neg", "-1");
        diff.same("SET", "emb", "hello");
        diff.same("SET", "raw", "x".repeat(50));
        diff.same("SET", "lead0", "007");
        for (String k : new String[] {"int", "big", "neg", "emb", "raw", "lead0", "nokey"}) {
            diff.same("OBJECT", "ENCODING", k);
            diff.same("OBJECT", "REFCOUNT", k);
            // Idle seconds can tick between the two servers: compare the shape, not the digit.
            if (k.equals("nokey")) diff.same("OBJECT", "IDLETIME", k);
            else assertThat(diff.ours().callString("OBJECT", "IDLETIME", k)).matches(":[01]\r\n");
            diff.same("OBJECT", "FREQ", k);
        }
        diff.same("OBJECT", "HELP");
        diff.same("object", "help");
        diff.same("OBJECT", "HELP", "x");
        diff.same("OBJECT", "ENCODING");
        diff.same("OBJECT", "ENCODING", "a", "b");
        diff.same("OBJECT", "FOO", "a");
        diff.same("OBJECT");
    }

    @Test
    void object_lfuPolicy_freqAndIdletimeErrors() {
        try (Differential lfu = new Differential("--maxmemory-policy", "allkeys-lfu")) {
            lfu.same("SET", "a", "100");
            lfu.same("OBJECT", "FREQ", "a");
            lfu.same("GET", "a");
            lfu.same("OBJECT", "FREQ", "a");
            lfu.same("OBJECT", "IDLETIME", "a");
            lfu.same("OBJECT", "REFCOUNT", "a");
            lfu.same("OBJECT", "FREQ", "nokey");
        }
        try (Differential lru = new Differential("--maxmemory-policy", "allkeys-lru", "--maxmemory", "100mb")) {
            lru.same("SET", "a", "100");
            lru.same("OBJECT", "REFCOUNT", "a");
            lru.same("OBJECT", "ENCODING", "a");
        }
    }

    @Test
    void scan_matchAndTypeFullIteration_sameKeySets() {
        for (int i = 0; i < 200; i++) diff.same("SET", (i % 3 == 0 ? "user:" : "item:") + i, "v");
        for (String[] opts : new String[][] {{}, {"MATCH", "user:*"}, {"MATCH", "*1?"}, {"TYPE", "string"},
                {"TYPE", "hash"}, {"MATCH", "item:[1-3]*", "COUNT", "3"}, {"COUNT", "1000"}}) {
            assertThat(fullScan(diff.ours(), opts)).as("SCAN %s", String.join(" ", opts))
                    .isEqualTo(fullScan(diff.theirs(), opts));
        }
    }

    /** Every key a complete SCAN iteration returns, deduplicated and sorted. */
    static List<String> fullScan(RespClient client, String... opts) {
        java.util.TreeSet<String> keys = new java.util.TreeSet<>();
        String cursor = "0";
        do {
            String[] args = new String[2 + opts.length];
            args[0] = "SCAN";
            args[1] = cursor;
            System.arraycopy(opts, 0, args, 2, opts.length);
            List<String> parts = bulks(client.call(RespClient.args(args)));
            cursor = parts.get(0);
            keys.addAll(parts.subList(1, parts.size()));
        } while (!cursor.equals("0"));
        return new ArrayList<>(keys);
    }

    @Test
    void maxmemoryExceeded_noeviction_sameOomError() {
        try (Differential tiny = new Differential("--maxmemory", "1")) {
            tiny.same("SET", "a", "1");
            tiny.same("GET", "a");
            tiny.same("EXPIRE", "a", "10");
            tiny.same("DEL", "a");
            tiny.same("COPY", "a", "b");
        }
    }

    @Test
    void binaryKeys_roundTrip_sameReplies() {
        byte[] key = {0, 1, '\r', '\n', (byte) 0xff, '*'};
        diff.same(b("SET"), key, b("v"));
        diff.same("KEYS", "*");
        diff.same(b("TYPE"), key);
        diff.same(b("EXISTS"), key);
        diff.same(b("RENAME"), key, new byte[] {(byte) 0xfe});
        diff.same(b("SCAN"), b("0"), b("MATCH"), new byte[] {'[', (byte) 0xf0, '-', (byte) 0xff, ']'});
        diff.same(b("SCAN"), b("0"), b("MATCH"), new byte[] {'[', 'a', '-', (byte) 0xff, ']'});
        diff.same(b("SCAN"), new byte[] {'0', 0, 'x'});
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- helpers

    static void await(java.util.concurrent.Callable<Boolean> cond) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(cond);
    }

    /** The bulk strings of a flat or one-level nested array reply, in order. */
    static List<String> bulks(byte[] reply) {
        String s = new String(reply, StandardCharsets.ISO_8859_1);
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int eol = s.indexOf("\r\n", i);
            char t = s.charAt(i);
            if (t == '$') {
                int len = Integer.parseInt(s.substring(i + 1, eol));
                if (len < 0) {
                    i = eol + 2;
                    continue;
                }
                out.add(s.substring(eol + 2, eol + 2 + len));
                i = eol + 2 + len + 2;
            } else {
                i = eol + 2;
            }
        }
        return out;
    }

    static List<String> sorted(byte[] reply) {
        List<String> l = bulks(reply);
        Collections.sort(l);
        return l;
    }
}
