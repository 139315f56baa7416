package dev.starling.persistence;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RESTORE's arguments, checks and their order, and its payload footer rules, against
 * redis-server 7.0 byte for byte, in RESP2 and RESP3: options (REPLACE ABSTTL IDLETIME FREQ and
 * their conflicts), BUSYKEY before the TTL, the TTL before the payload, version and checksum,
 * bodies running into the footer or followed by junk, types Redis 7.0 does not know.
 */
class RestoreCommandDifferentialTest {
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
        diff.same("CONFIG", "SET", "maxmemory-policy", "noeviction");
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** body + version (little-endian) + CRC-64 of both. */
    static byte[] footer(byte[] body, int version) {
        byte[] v = concat(body, new byte[] {(byte) version, (byte) (version >>> 8)});
        long crc = Crc64.of(v);
        byte[] c = new byte[8];
        for (int i = 0; i < 8; i++) c[i] = (byte) (crc >>> (8 * i));
        return concat(v, c);
    }

    static byte[] bytes(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (byte) v[i];
        return out;
    }

    String restore(byte[]... args) {
        byte[][] a = new byte[args.length + 1][];
        a[0] = b("RESTORE");
        System.arraycopy(args, 0, a, 1, args.length);
        return diff.same(a);
    }

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void options_andTheirOrder_likeRedis(int resp) {
        diff.protocol(resp);
        byte[] p = footer(concat(bytes(0, 5), b("hello")), 10);
        diff.same("RESTORE", "k");
        diff.same("RESTORE", "k", "0");
        restore(b("k"), b("0"), p, b("BOGUS"));
        restore(b("k"), b("0"), p, b("IDLETIME"));
        restore(b("k"), b("0"), p, b("FREQ"));
        restore(b("k"), b("0"), p, b("IDLETIME"), b("x"));
        restore(b("k"), b("0"), p, b("IDLETIME"), b("-1"));
        restore(b("k"), b("0"), p, b("FREQ"), b("-1"));
        restore(b("k"), b("0"), p, b("FREQ"), b("256"));
        restore(b("k"), b("0"), p, b("FREQ"), b("1.5"));
        restore(b("k"), b("0"), p, b("IDLETIME"), b("5"), b("FREQ"), b("5"));
        restore(b("k"), b("0"), p, b("FREQ"), b("5"), b("IDLETIME"), b("5"));
        restore(b("k"), b("x"), p);
        restore(b("k"), b("-1"), p);
        restore(b("k"), b("-1"), b("junk"));
        restore(b("k"), b("0"), b("junk"));
        restore(b("k"), b("0"), p, b("replace"), b("absttl"), b("Replace"));
        diff.same("GET", "k");
        // An existing key: options are checked first, then BUSYKEY, then the TTL, then the payload.
        restore(b("k"), b("0"), p, b("FREQ"), b("300"));
        restore(b("k"), b("0"), b("junk"));
        restore(b("k"), b("-5"), p);
        restore(b("k"), b("x"), b("junk"), b("REPLACE"));
        restore(b("k"), b("0"), b("junk"), b("REPLACE"));
        // An expired key is not busy.
        diff.same("SET", "e", "v", "PX", "1");
        diff.same("DEBUG", "SLEEP", "0.01");
        restore(b("e"), b("0"), p);
        diff.same("GET", "e");
    }

    @Test
    void footer_versionAndChecksum_likeRedis() {
        byte[] body = concat(bytes(0, 5), b("hello"));
        for (int v : new int[] {0, 1, 6, 9, 10, 11, 12, 255, 256, 0xffff}) {
            restore(b("k" + v), b("0"), footer(body, v));
        }
        byte[] good = footer(body, 10);
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            restore(b("flip" + i), b("0"), bad);
        }
        restore(b("short"), b("0"), Arrays.copyOf(good, 9));
        restore(b("empty"), b("0"), new byte[0]);
        // Junk between the body and the footer is ignored; a body may read into the footer.
        restore(b("junk"), b("0"), footer(concat(body, b("trailing junk")), 10));
        restore(b("into"), b("0"), footer(concat(bytes(0, 8), b("hello")), 10));
        restore(b("lzf0"), b("0"), footer(bytes(0, 0xc3, 0, 0), 10));
        restore(b("lzf1"), b("0"), footer(bytes(0, 0xc3, 1, 0, 0), 10));
        restore(b("lzf2"), b("0"), footer(bytes(0, 0xc3, 2, 2, 0, 'a'), 10));
        for (String k : new String[] {"k0", "k10", "junk", "into", "lzf0", "lzf1"}) diff.same("GET", k);
    }

    @Test
    void types_redis70DoesNotKnow_areBadDataFormat() {
        for (int t = 0; t < 256; t++) restore(b("t" + t), b("0"), footer(bytes(t, 0), 10));
        // A 7.2 SET_LISTPACK in a version-10 payload.
        restore(b("sl"), b("0"), footer(concat(bytes(20, 9), bytes(9, 0, 0, 0, 1, 0, 1, 2, 0xff)), 10));
        diff.same("DBSIZE");
    }

    @Test
    void ttl_idletime_freq_takeEffect() {
        byte[] p = footer(concat(bytes(0, 5), b("hello")), 10);
        restore(b("a"), b("100000"), p);
        diff.same("TTL", "a");
        restore(b("b"), b(Long.toString(System.currentTimeMillis() + 500_000)), p, b("ABSTTL"));
        diff.same("TTL", "b");
        restore(b("c"), b("0"), p, b("IDLETIME"), b("1000"));
        diff.same("OBJECT", "IDLETIME", "c");
        restore(b("c2"), b("0"), p, b("IDLETIME"), b("9223372036854775807"));
        diff.same("OBJECT", "IDLETIME", "c2");
        restore(b("d"), b("0"), p, b("FREQ"), b("100"));
        diff.same("OBJECT", "IDLETIME", "d");
        diff.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
        restore(b("e"), b("0"), p, b("FREQ"), b("100"));
        diff.same("OBJECT", "FREQ", "e");
        restore(b("f"), b("0"), p, b("IDLETIME"), b("100"));
        diff.same("OBJECT", "FREQ", "f");
        restore(b("g"), b("9223372036854775807"), p);
        diff.same("EXISTS", "g");
        restore(b("h"), b("1"), p, b("ABSTTL"));
        diff.same("EXISTS", "h");
        assertThat(diff.same("DBSIZE")).isEqualTo(":7\r\n");
    }

    /** A listpack whose entries are all 6-bit strings, even canonical integers (Redis's lpAppend would store those as integers). */
    static byte[] stringListpack(String... entries) {
        java.io.ByteArrayOutputStream e = new java.io.ByteArrayOutputStream();
        for (String x : entries) {
            byte[] v = b(x);
            e.write(0x80 | v.length);
            e.writeBytes(v);
            e.write(1 + v.length);
        }
        int total = 6 + e.size() + 1;
        byte[] lp = new byte[total];
        lp[0] = (byte) total;
        lp[1] = (byte) (total >> 8);
        lp[4] = (byte) entries.length;
        System.arraycopy(e.toByteArray(), 0, lp, 6, e.size());
        lp[total - 1] = (byte) 0xff;
        return lp;
    }

    @ParameterizedTest(name = "sanitize={0}")
    @ValueSource(strings = {"no", "yes"})
    void listpacksWithIntegersAsStrings_behaveAsInRedis(String sanitize) {
        diff.same("CONFIG", "SET", "sanitize-dump-payload", sanitize);
        restore(b("h"), b("0"), footer(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK).string(stringListpack("5", "v", "f", "7")).body(), 10));
        diff.same("HGET", "h", "5");
        diff.same("HEXISTS", "h", "5");
        diff.same("HSET", "h", "5", "w");
        diff.same("HINCRBY", "h", "f", "1");
        diff.same("HGETALL", "h");
        diff.same("HDEL", "h", "5");
        diff.same("HGETALL", "h");
        restore(b("z"), b("0"), footer(new LegacyEncoder().type(Rdb.TYPE_ZSET_LISTPACK).string(stringListpack("5", "1", "a", "2.5")).body(), 10));
        diff.same("ZSCORE", "z", "5");
        diff.same("ZADD", "z", "3", "5");
        diff.same("ZRANGE", "z", "0", "-1", "WITHSCORES");
        diff.same("ZREM", "z", "5");
        diff.same("ZRANGE", "z", "0", "-1", "WITHSCORES");
        restore(b("l"), b("0"), footer(new LegacyEncoder().type(Rdb.TYPE_LIST_QUICKLIST_2).len(1).len(2)
                .string(stringListpack("5", "x", "5")).body(), 10));
        diff.same("LPOS", "l", "5", "COUNT", "0");
        diff.same("LREM", "l", "1", "5");
        diff.same("LINSERT", "l", "AFTER", "5", "after");
        diff.same("LRANGE", "l", "0", "-1");
        for (String k : new String[] {"h", "z", "l"}) diff.same("DEBUG", "DIGEST-VALUE", k);
    }

    @Test
    void sanitizationsCounter_andRdbcompression_likeRedis() {
        byte[] hash = footer(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK).string(stringListpack("f", "v")).body(), 10);
        byte[] ql = footer(new LegacyEncoder().type(Rdb.TYPE_LIST_QUICKLIST_2).len(2).len(2).string(stringListpack("a"))
                .len(2).string(stringListpack("b")).body(), 10);
        for (String mode : new String[] {"no", "yes", "clients"}) {
            diff.same("CONFIG", "SET", "sanitize-dump-payload", mode);
            restore(b("h" + mode), b("0"), hash);
            restore(b("q" + mode), b("0"), ql);
            // An unsorted intset: refused in deep mode (by Starling in every mode).
            if (!mode.equals("no")) {
                restore(b("bad" + mode), b("0"), footer(new LegacyEncoder().type(Rdb.TYPE_SET_INTSET).string(new byte[] {2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0}).body(), 10));
            }
            String ours = diff.ours().callString("INFO", "stats"), theirs = diff.theirs().callString("INFO", "stats");
            assertThat(field(ours, "dump_payload_sanitizations")).isEqualTo(field(theirs, "dump_payload_sanitizations"));
        }
        diff.same("CONFIG", "SET", "rdbcompression", "no");
        diff.same("SET", "long", "a".repeat(100));
        diff.same("RPUSH", "list", "b".repeat(100), "c".repeat(100));
        diff.same("DUMP", "long");
        diff.same("DUMP", "list");
        diff.same("CONFIG", "SET", "rdbcompression", "yes");
        diff.same("DUMP", "long");
        diff.same("CONFIG", "SET", "sanitize-dump-payload", "no");
    }

    static String field(String info, String name) {
        int i = info.indexOf(name + ":");
        return info.substring(i, info.indexOf("\r\n", i));
    }

    @Test
    void keyspaceHitsAndMisses_likeRedis() {
        byte[] p = footer(concat(bytes(0, 5), b("hello")), 10);
        String[][] steps = {{"DUMP", "missing"}, {"SET", "k", "v"}, {"DUMP", "k"}};
        for (String[] step : steps) {
            String before0 = stats(diff.ours()), before1 = stats(diff.theirs());
            diff.same(step);
            assertThat(delta(before0, stats(diff.ours()))).as(String.join(" ", step)).isEqualTo(delta(before1, stats(diff.theirs())));
        }
        for (byte[][] cmd : new byte[][][] {{b("RESTORE"), b("k"), b("0"), p}, {b("RESTORE"), b("n"), b("0"), p},
            {b("RESTORE"), b("k"), b("0"), p, b("REPLACE")}}) {
            String before0 = stats(diff.ours()), before1 = stats(diff.theirs());
            diff.same(cmd);
            assertThat(delta(before0, stats(diff.ours()))).isEqualTo(delta(before1, stats(diff.theirs())));
        }
    }

    static String stats(dev.starling.support.RespClient c) {
        String info = c.callString("INFO", "stats");
        return field(info, "keyspace_hits") + " " + field(info, "keyspace_misses");
    }

    /** The change of "keyspace_hits:H keyspace_misses:M" between two samples. */
    static String delta(String before, String after) {
        String[] b = before.split(" "), a = after.split(" ");
        long dh = Long.parseLong(a[0].substring(a[0].indexOf(':') + 1)) - Long.parseLong(b[0].substring(b[0].indexOf(':') + 1));
        long dm = Long.parseLong(a[1].substring(a[1].indexOf(':') + 1)) - Long.parseLong(b[1].substring(b[1].indexOf(':') + 1));
        return dh + "/" + dm;
    }
}
