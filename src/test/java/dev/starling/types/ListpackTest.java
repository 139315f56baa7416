package dev.starling.types;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listpack's bytes against Redis's own: a hash in listpack encoding, DUMPed by redis-server 7.0
 * with compression off, carries the listpack verbatim. Operations are checked against a list model.
 */
class ListpackTest {
    static RedisReference redis;
    static RespClient client;

    @BeforeAll
    static void start() {
        redis = RedisReference.start();
        client = redis.raw();
        client.callString("CONFIG", "SET", "rdbcompression", "no", "hash-max-listpack-value", "100000",
                "hash-max-listpack-entries", "100000");
    }

    @AfterAll
    static void stop() {
        client.close();
        redis.close();
    }

    /** Elements covering every encoding: each integer width at its limits, each string length class, non-canonical integers. */
    static byte[] element(Random r, int i) {
        String s = switch (r.nextInt(14)) {
            case 0 -> Integer.toString(r.nextInt(128));
            case 1 -> Integer.toString(r.nextInt(8192) - 4096);
            case 2 -> Integer.toString(r.nextInt(65536) - 32768);
            case 3 -> Integer.toString(r.nextInt(1 << 24) - (1 << 23));
            case 4 -> Integer.toString(r.nextInt());
            case 5 -> Long.toString(r.nextLong());
            case 6 -> r.nextBoolean() ? Long.toString(Long.MIN_VALUE) : Long.toString(Long.MAX_VALUE);
            case 7 -> new String[] {"127", "128", "-4096", "-4097", "4095", "4096", "32767", "-32769", "8388607", "-8388609",
                    "2147483648", "-2147483649", "0"}[r.nextInt(13)];
            case 8 -> new String[] {"007", "-0", "+1", " 1", "1 ", "", "9223372036854775808", "1.5", "0x10"}[r.nextInt(9)];
            case 9 -> "x".repeat(r.nextInt(70));
            case 10 -> "y".repeat(60 + r.nextInt(10));
            case 11 -> "z".repeat(4090 + r.nextInt(12));
            case 12 -> "w".repeat(16380 + r.nextInt(8));
            default -> "v" + i;
        };
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void appendedEntries_everyEncoding_sameBytesAsRedisListpack() {
        Random r = new Random(42);
        for (int round = 0; round < 150; round++) {
            int pairs = 1 + r.nextInt(12);
            List<byte[]> args = new ArrayList<>(List.of(b("HSET"), b("h")));
            byte[] lp = Listpack.create();
            for (int i = 0; i < pairs; i++) {
                byte[] field = ("f" + i + "-").getBytes(StandardCharsets.ISO_8859_1);
                if (r.nextInt(3) == 0) field = Integer.toString(i * (r.nextBoolean() ? 1 : 100003)).getBytes(StandardCharsets.ISO_8859_1);
                byte[] value = element(r, i);
                args.add(field);
                args.add(value);
                lp = Listpack.append(lp, field);
                lp = Listpack.append(lp, value);
            }
            client.call(b("DEL"), b("h"));
            client.call(args.toArray(new byte[0][]));
            assertThat(new String(client.call(b("OBJECT"), b("ENCODING"), b("h")), StandardCharsets.ISO_8859_1)).contains("listpack");
            byte[] redisLp = listpackFromDump(client.call(b("DUMP"), b("h")));
            assertThat(Listpack.toBytes(lp)).as("round %d", round).isEqualTo(redisLp);
            assertThat(Listpack.validate(redisLp)).isNull();
            assertThat(Listpack.size(lp)).isEqualTo(2 * pairs);
        }
    }

    @Test
    void randomOperations_matchListModel_andStayValid() {
        Random r = new Random(7);
        for (int round = 0; round < 200; round++) {
            List<byte[]> model = new ArrayList<>();
            byte[] lp = Listpack.create();
            for (int op = 0; op < 60; op++) {
                int k = r.nextInt(6);
                if (k == 0 || model.isEmpty()) {
                    byte[] e = element(r, op);
                    int at = r.nextInt(model.size() + 1);
                    int p = at == model.size() ? Listpack.end(lp) : Listpack.seek(lp, at);
                    lp = Listpack.insertAt(lp, p, e);
                    model.add(at, e);
                } else if (k == 1) {
                    byte[] e = element(r, op);
                    if (r.nextBoolean()) {
                        lp = Listpack.append(lp, e);
                        model.add(e);
                    } else {
                        lp = Listpack.prepend(lp, e);
                        model.add(0, e);
                    }
                } else if (k == 2) {
                    int at = r.nextInt(model.size());
                    lp = Listpack.delete(lp, Listpack.seek(lp, at));
                    model.remove(at);
                } else if (k == 3) {
                    int at = r.nextInt(model.size());
                    byte[] e = element(r, op);
                    lp = Listpack.replace(lp, Listpack.seek(lp, at), e);
                    model.set(at, e);
                } else if (k == 4) {
                    int at = r.nextInt(model.size());
                    int n = 1 + r.nextInt(3);
                    lp = Listpack.deleteRange(lp, Listpack.seek(lp, at), n);
                    for (int i = 0; i < n && at < model.size(); i++) model.remove(at);
                } else {
                    int at = r.nextInt(model.size());
                    int p = Listpack.find(lp, Listpack.first(lp), model.get(at), 0);
                    assertThat(p).isGreaterThanOrEqualTo(0);
                    assertThat(Listpack.get(lp, p)).isEqualTo(canonical(model.get(at)));
                }
                assertThat(Listpack.validate(lp)).isNull();
                assertThat(contents(lp)).as("round %d op %d", round, op).isEqualTo(model);
                assertThat(reversed(lp)).isEqualTo(reverse(model));
            }
        }
    }

    @Test
    void find_withSkip_looksOnlyAtFields() {
        byte[] lp = Listpack.create();
        for (String s : new String[] {"a", "b", "b", "c", "12", "12", "d", "e"}) lp = Listpack.append(lp, b(s));
        assertThat(Listpack.find(lp, Listpack.first(lp), b("b"), 1)).isEqualTo(Listpack.seek(lp, 2));
        assertThat(Listpack.find(lp, Listpack.first(lp), b("12"), 1)).isEqualTo(Listpack.seek(lp, 4));
        assertThat(Listpack.find(lp, Listpack.first(lp), b("e"), 1)).isEqualTo(-1);
        assertThat(Listpack.find(lp, Listpack.first(lp), b("012"), 0)).isEqualTo(-1);
    }

    @Test
    void validate_corruptBytes_reportsWithoutThrowing() {
        Random r = new Random(3);
        byte[] good = Listpack.create();
        for (int i = 0; i < 20; i++) good = Listpack.append(good, element(r, i));
        good = Listpack.toBytes(good);
        for (int i = 0; i < 5000; i++) {
            byte[] bad = good.clone();
            int flips = 1 + r.nextInt(3);
            for (int f = 0; f < flips; f++) bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
            Listpack.validate(bad); // must not throw
            byte[] cut = Arrays.copyOf(good, r.nextInt(good.length));
            Listpack.validate(cut);
        }
    }

    private static byte[] canonical(byte[] e) {
        long v = dev.starling.protocol.Numbers.parseLong(e);
        return dev.starling.protocol.Numbers.isValidLong(v, e) ? Long.toString(v).getBytes(StandardCharsets.ISO_8859_1) : e;
    }

    private static List<byte[]> contents(byte[] lp) {
        List<byte[]> out = new ArrayList<>();
        for (int p = Listpack.first(lp); p >= 0; p = Listpack.next(lp, p)) {
            out.add(Listpack.get(lp, p));
            assertThat(Listpack.valueLength(lp, p)).isEqualTo(out.get(out.size() - 1).length);
        }
        return new ArrayListOfBytes(out);
    }

    private static List<byte[]> reversed(byte[] lp) {
        List<byte[]> out = new ArrayList<>();
        for (int p = Listpack.last(lp); p >= 0; p = Listpack.prev(lp, p)) out.add(Listpack.get(lp, p));
        return new ArrayListOfBytes(out);
    }

    private static List<byte[]> reverse(List<byte[]> l) {
        List<byte[]> out = new ArrayList<>(l);
        java.util.Collections.reverse(out);
        return out;
    }

    /** A list of byte arrays compared by content, to assert against the model. */
    static final class ArrayListOfBytes extends ArrayList<byte[]> {
        ArrayListOfBytes(List<byte[]> l) {
            super(l);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof List<?> other) || other.size() != size()) return false;
            for (int i = 0; i < size(); i++) {
                if (!Arrays.equals(get(i), canonical((byte[]) other.get(i)))) return false;
            }
            return true;
        }

        @Override
        public int hashCode() {
            return size();
        }

        @Override
        public String toString() {
            List<String> s = new ArrayList<>();
            for (byte[] b : this) s.add(new String(b, StandardCharsets.ISO_8859_1));
            return s.toString();
        }
    }

    /** The listpack inside a DUMP payload of an RDB_TYPE_HASH_LISTPACK (16) value, stored uncompressed. */
    static byte[] listpackFromDump(byte[] reply) {
        return listpackFromDump(reply, 16);
    }

    /** The listpack of a DUMP payload whose RDB type is rdbType (16 hash, 17 zset listpack). */
    static byte[] listpackFromDump(byte[] reply, int rdbType) {
        // reply is "$<n>\r\n<payload>\r\n"
        int eol = indexOf(reply, (byte) '\n') + 1;
        byte[] payload = Arrays.copyOfRange(reply, eol, reply.length - 2);
        assertThat(payload[0]).isEqualTo((byte) rdbType);
        int p = 1;
        int b0 = payload[p] & 0xff;
        long len;
        int type = b0 >> 6;
        if (type == 0) {
            len = b0 & 0x3f;
            p += 1;
        } else if (type == 1) {
            len = ((b0 & 0x3f) << 8) | (payload[p + 1] & 0xff);
            p += 2;
        } else if (b0 == 0x80) {
            len = ((payload[p + 1] & 0xffL) << 24) | ((payload[p + 2] & 0xff) << 16) | ((payload[p + 3] & 0xff) << 8) | (payload[p + 4] & 0xff);
            p += 5;
        } else {
            throw new AssertionError("unexpected length encoding " + b0);
        }
        return Arrays.copyOfRange(payload, p, p + (int) len);
    }

    private static int indexOf(byte[] a, byte x) {
        for (int i = 0; i < a.length; i++) if (a[i] == x) return i;
        return -1;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
