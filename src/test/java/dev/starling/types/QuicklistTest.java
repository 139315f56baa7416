package dev.starling.types;

import dev.starling.persistence.Lzf;
import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quicklist against a list model over the fill/compress matrix, with the structural validator
 * after every operation; and its LZF blocks against redis-server's (both directions, through DUMP
 * and RESTORE of RDB_TYPE_LIST_QUICKLIST_2 payloads).
 */
class QuicklistTest {
    static RedisReference redis;
    static RespClient client;

    @BeforeAll
    static void start() {
        redis = RedisReference.start();
        client = redis.raw();
    }

    @AfterAll
    static void stop() {
        client.close();
        redis.close();
    }

    static Stream<Arguments> configs() {
        List<Arguments> out = new ArrayList<>();
        for (int fill : new int[] {-5, -3, -2, -1, 1, 2, 5, 32, 1000}) {
            for (int depth : new int[] {0, 1, 2, 3}) out.add(Arguments.of(fill, depth));
        }
        return out.stream();
    }

    static byte[] element(Random r, int i) {
        String s = switch (r.nextInt(10)) {
            case 0 -> Integer.toString(r.nextInt(200) - 100);
            case 1 -> Long.toString(r.nextLong());
            case 2 -> "x".repeat(r.nextInt(80));
            case 3 -> "rep" + "ab".repeat(r.nextInt(400));
            case 4 -> r.nextInt(20) == 0 ? "z".repeat(9000 + r.nextInt(100)) : "mid" + i;
            case 5 -> Integer.toString(r.nextInt(100000));
            default -> "e" + r.nextInt(50);
        };
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void check(Quicklist ql, List<String> model) {
        assertThat(ql.validate()).isNull();
        assertThat(ql.count()).isEqualTo(model.size());
        List<String> fwd = new ArrayList<>();
        Quicklist.Iter it = ql.iterator(true, false);
        while (it.next()) fwd.add(new String(it.value(), StandardCharsets.ISO_8859_1));
        assertThat(fwd).isEqualTo(model);
        List<String> back = new ArrayList<>();
        it = ql.iterator(false, false);
        while (it.next()) back.add(0, new String(it.value(), StandardCharsets.ISO_8859_1));
        assertThat(back).isEqualTo(model);
    }

    @ParameterizedTest(name = "fill {0} depth {1}")
    @MethodSource("configs")
    void randomOperations_matchModelAndKeepInvariants(int fill, int depth) {
        Random r = new Random(fill * 31L + depth);
        Quicklist ql = new Quicklist(fill, depth);
        List<String> model = new ArrayList<>();
        for (int step = 0; step < 1500; step++) {
            int op = r.nextInt(12);
            byte[] v = element(r, step);
            String vs = new String(v, StandardCharsets.ISO_8859_1);
            switch (op) {
                case 0, 1, 2 -> {
                    ql.pushTail(v);
                    model.add(vs);
                }
                case 3, 4 -> {
                    ql.pushHead(v);
                    model.add(0, vs);
                }
                case 5 -> {
                    if (!model.isEmpty()) {
                        boolean head = r.nextBoolean();
                        byte[] got = ql.pop(head);
                        assertThat(new String(got, StandardCharsets.ISO_8859_1)).isEqualTo(model.remove(head ? 0 : model.size() - 1));
                    }
                }
                case 6 -> {
                    if (!model.isEmpty()) {
                        int idx = r.nextInt(model.size());
                        boolean after = r.nextBoolean();
                        Quicklist.Iter it = ql.iteratorAt(idx, true, true);
                        assertThat(it.next()).isTrue();
                        ql.insert(it, v, after);
                        model.add(after ? idx + 1 : idx, vs);
                    }
                }
                case 7 -> {
                    if (!model.isEmpty()) {
                        int idx = r.nextInt(model.size());
                        long index = r.nextBoolean() ? idx : idx - model.size();
                        assertThat(ql.replaceAtIndex(index, v)).isTrue();
                        model.set(idx, vs);
                    }
                }
                case 8 -> {
                    if (!model.isEmpty()) {
                        int start = r.nextInt(model.size());
                        int n = 1 + r.nextInt(Math.max(1, model.size() / 3));
                        long s = r.nextBoolean() ? start : start - model.size();
                        ql.delRange(s, n);
                        for (int k = 0; k < n && start < model.size(); k++) model.remove(start);
                    }
                }
                case 9 -> {
                    // LREM-style delete of every element equal to a pivot, either direction.
                    if (!model.isEmpty()) {
                        String pivot = model.get(r.nextInt(model.size()));
                        boolean fwd = r.nextBoolean();
                        Quicklist.Iter it = ql.iterator(fwd, true);
                        byte[] pb = pivot.getBytes(StandardCharsets.ISO_8859_1);
                        while (it.next()) if (it.eq(pb)) it.delete();
                        it.release();
                        model.removeIf(pivot::equals);
                    }
                }
                case 10 -> {
                    Quicklist copy = (Quicklist) ql.duplicate();
                    check(copy, model);
                }
                default -> {
                    if (!model.isEmpty()) {
                        int idx = r.nextInt(model.size());
                        Quicklist.Iter it = ql.iteratorAt(idx - (r.nextBoolean() ? model.size() : 0), r.nextBoolean(), false);
                        assertThat(it.next()).isTrue();
                        assertThat(new String(it.value(), StandardCharsets.ISO_8859_1)).isEqualTo(model.get(idx));
                    }
                }
            }
            assertThat(ql.validate()).as("step %d op %d", step, op).isNull();
            if (step % 100 == 0) check(ql, model);
        }
        check(ql, model);
    }

    @Test
    void plainNodes_belowPackedThreshold_keepOrderAndInvariants() {
        long saved = Quicklist.packedThreshold;
        Quicklist.packedThreshold = 100;
        try {
            Random r = new Random(7);
            for (int depth = 0; depth <= 2; depth++) {
                Quicklist ql = new Quicklist(-2, depth);
                List<String> model = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    String s = r.nextInt(3) == 0 ? "P".repeat(100 + r.nextInt(200)) : "s" + i;
                    byte[] v = s.getBytes(StandardCharsets.ISO_8859_1);
                    int op = r.nextInt(5);
                    if (op == 0 && !model.isEmpty()) {
                        int idx = r.nextInt(model.size());
                        Quicklist.Iter it = ql.iteratorAt(idx, true, true);
                        it.next();
                        boolean after = r.nextBoolean();
                        ql.insert(it, v, after);
                        model.add(after ? idx + 1 : idx, s);
                    } else if (op == 1 && !model.isEmpty()) {
                        int idx = r.nextInt(model.size());
                        ql.replaceAtIndex(idx, v);
                        model.set(idx, s);
                    } else if (op == 2 && !model.isEmpty()) {
                        boolean head = r.nextBoolean();
                        assertThat(new String(ql.pop(head), StandardCharsets.ISO_8859_1)).isEqualTo(model.remove(head ? 0 : model.size() - 1));
                    } else {
                        ql.pushTail(v);
                        model.add(s);
                    }
                    assertThat(ql.validate()).isNull();
                }
                check(ql, model);
            }
        } finally {
            Quicklist.packedThreshold = saved;
        }
    }

    @Test
    void lzf_roundTripsLargeAndSmallInputs() {
        Random r = new Random(3);
        for (int len : new int[] {16, 47, 48, 1000, 65535, 65536, 300_000}) {
            byte[] in = new byte[len];
            for (int i = 0; i < len; i++) in[i] = (byte) ("abcdefgh".charAt(r.nextInt(8)));
            byte[] block = Lzf.compress(in, 0, len, len + len / 16 + 64);
            assertThat(block).isNotNull();
            assertThat(Lzf.decompress(block, 0, len)).isEqualTo(in);
        }
    }

    // ---------------------------------------------------------------- against redis-server

    @Test
    void lzf_decodesRedisCompressedNodesFromDump() {
        client.callString("FLUSHALL");
        client.callString("CONFIG", "SET", "list-compress-depth", "1", "list-max-listpack-size", "-1");
        List<String> model = new ArrayList<>();
        String[] push = new String[1001];
        push[0] = "RPUSH";
        for (int i = 0; i < 1000; i++) {
            push[i + 1] = "element-" + (i % 37) + "-" + "q".repeat(i % 50);
            model.add(push[i + 1]);
        }
        byte[][] args = new byte[push.length + 1][];
        args[0] = push[0].getBytes();
        args[1] = "l".getBytes();
        for (int i = 1; i < push.length; i++) args[i + 1] = push[i].getBytes();
        client.call(args);
        client.callString("CONFIG", "SET", "list-compress-depth", "0", "list-max-listpack-size", "-2");
        byte[] dump = bulk(client.call("DUMP".getBytes(), "l".getBytes()));
        Quicklist ql = fromPayload(dump);
        assertThat(ql.nodes()).isGreaterThan(3);
        check(ql, model);
    }

    @Test
    void restore_redisReadsOurCompressedNodes() {
        Quicklist ql = new Quicklist(-1, 1);
        List<String> model = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String s = "item:" + (i % 91) + ":" + "k".repeat(i % 30);
            ql.pushTail(s.getBytes(StandardCharsets.ISO_8859_1));
            model.add(s);
        }
        int compressed = 0;
        for (Quicklist.Node n = ql.head(); n != null; n = n.next()) if (n.isCompressed()) compressed++;
        assertThat(compressed).isGreaterThan(0);
        client.callString("DEL", "r");
        String reply = new String(client.call("RESTORE".getBytes(), "r".getBytes(), "0".getBytes(), toPayload(ql)), StandardCharsets.ISO_8859_1);
        assertThat(reply).isEqualTo("+OK\r\n");
        assertThat(client.callString("LLEN", "r")).isEqualTo(":" + model.size() + "\r\n");
        String idx = client.callString("LINDEX", "r", "1234");
        assertThat(idx).isEqualTo("$" + model.get(1234).length() + "\r\n" + model.get(1234) + "\r\n");
    }

    private static byte[] bulk(byte[] reply) {
        String s = new String(reply, StandardCharsets.ISO_8859_1);
        int eol = s.indexOf("\r\n");
        int len = Integer.parseInt(s.substring(1, eol));
        return Arrays.copyOfRange(reply, eol + 2, eol + 2 + len);
    }

    /** Minimal RDB reading of a DUMP payload of type 18 (RDB_TYPE_LIST_QUICKLIST_2). */
    private static Quicklist fromPayload(byte[] p) {
        assertThat(p[0]).isEqualTo((byte) 18);
        int[] pos = {1};
        long nodes = readLen(p, pos);
        Quicklist ql = new Quicklist(-2, 0);
        for (long i = 0; i < nodes; i++) {
            long container = readLen(p, pos);
            byte[] data = readString(p, pos);
            ql.appendNode(data, container == 1);
        }
        return ql;
    }

    private static long readLen(byte[] p, int[] pos) {
        int b = p[pos[0]++] & 0xff;
        int type = b >> 6;
        if (type == 0) return b & 63;
        if (type == 1) return ((b & 63) << 8) | (p[pos[0]++] & 0xff);
        if (b == 0x80) {
            long v = ((p[pos[0]] & 0xffL) << 24) | ((p[pos[0] + 1] & 0xffL) << 16) | ((p[pos[0] + 2] & 0xffL) << 8) | (p[pos[0] + 3] & 0xffL);
            pos[0] += 4;
            return v;
        }
        throw new IllegalStateException("unexpected length byte " + b);
    }

    private static byte[] readString(byte[] p, int[] pos) {
        int b = p[pos[0]] & 0xff;
        if (b == 0xC3) { // RDB_ENCVAL | RDB_ENC_LZF
            pos[0]++;
            int clen = (int) readLen(p, pos);
            int len = (int) readLen(p, pos);
            byte[] out = Lzf.decompress(p, pos[0], clen, len);
            pos[0] += clen;
            return out;
        }
        int len = (int) readLen(p, pos);
        byte[] out = Arrays.copyOfRange(p, pos[0], pos[0] + len);
        pos[0] += len;
        return out;
    }

    /** A DUMP payload of ql: compressed nodes as their LZF blocks, the rest as raw listpacks. */
    private static byte[] toPayload(Quicklist ql) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(18);
        writeLen(b, ql.nodes());
        for (Quicklist.Node n = ql.head(); n != null; n = n.next()) {
            writeLen(b, n.isPlain() ? 1 : 2);
            if (n.isCompressed()) {
                b.write(0xC3);
                writeLen(b, n.stored().length);
                writeLen(b, n.size());
                b.writeBytes(n.stored());
            } else {
                writeLen(b, n.size());
                b.write(n.stored(), 0, n.size());
            }
        }
        b.write(10);
        b.write(0);
        byte[] body = b.toByteArray();
        long crc = crc64(body);
        for (int i = 0; i < 8; i++) b.write((int) (crc >>> (8 * i)));
        return b.toByteArray();
    }

    private static void writeLen(ByteArrayOutputStream b, long len) {
        if (len < 64) {
            b.write((int) len);
        } else if (len < 16384) {
            b.write(0x40 | (int) (len >> 8));
            b.write((int) len);
        } else {
            b.write(0x80);
            for (int i = 3; i >= 0; i--) b.write((int) (len >>> (8 * i)));
        }
    }

    /** Redis's crc64 (Jones polynomial, reflected), bit by bit. */
    private static long crc64(byte[] data) {
        long crc = 0;
        for (byte d : data) {
            crc ^= d & 0xffL;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x95AC9329AC4BC9B5L : crc >>> 1;
        }
        return crc;
    }
}
