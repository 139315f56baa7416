package dev.starling.command;

import dev.starling.support.Differential;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corrupt HLL strings (a valid-looking header and random, mutated or truncated bodies) under every
 * HLL command: the replies and the resulting bytes must be Redis 7.0's, and Starling must stay up
 * with its keyspace invariants intact.
 */
class HyperLogLogFuzzTest {
    static Differential diff;

    @BeforeContainer
    static void start() {
        diff = new Differential();
    }

    @AfterContainer
    static void stop() {
        diff.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A 16-byte header: magic, the encoding, unused bytes and cache bytes, mostly plausible. */
    static byte[] header(Random rnd, int encoding) {
        byte[] h = new byte[16];
        System.arraycopy(b("HYLL"), 0, h, 0, 4);
        h[4] = (byte) encoding;
        if (rnd.nextInt(4) == 0) for (int i = 5; i < 8; i++) h[i] = (byte) rnd.nextInt(256);
        if (rnd.nextBoolean()) {
            for (int i = 8; i < 16; i++) h[i] = (byte) rnd.nextInt(256);
        } else {
            h[15] = (byte) (rnd.nextBoolean() ? 0x80 : 0);
        }
        return h;
    }

    /**
     * Sparse opcodes covering exactly 16384 registers, in random shapes (canonical or not); sometimes
     * the last is an XZERO cut after its first byte, which Redis completes with the sds terminator.
     */
    static byte[] validSparseBody(Random rnd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int cutHigh = rnd.nextInt(4) == 0 ? rnd.nextInt(64) : -1;
        int left = 16384 - (cutHigh < 0 ? 0 : cutHigh * 256 + 1);
        while (left > 0) {
            int kind = rnd.nextInt(3);
            if (kind == 0) {
                int n = Math.min(left, 1 + rnd.nextInt(64));
                out.write(n - 1);
                left -= n;
            } else if (kind == 1) {
                int n = Math.min(left, 1 + rnd.nextInt(rnd.nextBoolean() ? 300 : 16384));
                out.write(0x40 | (n - 1) >> 8);
                out.write((n - 1) & 0xff);
                left -= n;
            } else {
                int n = Math.min(left, 1 + rnd.nextInt(4));
                out.write(0x80 | rnd.nextInt(32) << 2 | (n - 1));
                left -= n;
            }
        }
        if (cutHigh >= 0) out.write(0x40 | cutHigh);
        return out.toByteArray();
    }

    static byte[] body(Random rnd) {
        switch (rnd.nextInt(4)) {
            case 0: { // random bytes
                byte[] r = new byte[rnd.nextInt(80)];
                rnd.nextBytes(r);
                return r;
            }
            case 1: { // dense registers of random values
                byte[] r = new byte[12288];
                if (rnd.nextBoolean()) {
                    rnd.nextBytes(r);
                } else {
                    for (int i = 0; i < 40; i++) r[rnd.nextInt(r.length)] = (byte) rnd.nextInt(256);
                }
                return r;
            }
            default: { // a valid sparse body, maybe mutated, cut or extended
                byte[] v = validSparseBody(rnd);
                int mutations = rnd.nextInt(3);
                for (int i = 0; i < mutations && v.length > 0; i++) v[rnd.nextInt(v.length)] = (byte) rnd.nextInt(256);
                if (rnd.nextInt(4) == 0 && v.length > 0) v = java.util.Arrays.copyOf(v, rnd.nextInt(v.length));
                if (rnd.nextInt(6) == 0) {
                    v = java.util.Arrays.copyOf(v, v.length + 1);
                    v[v.length - 1] = (byte) rnd.nextInt(256);
                }
                return v;
            }
        }
    }

    static byte[] value(Random rnd) {
        byte[] body = body(rnd);
        int encoding = body.length == 12288 ? (rnd.nextInt(8) == 0 ? 1 : 0) : (rnd.nextInt(10) == 0 ? rnd.nextInt(3) : 1);
        byte[] h = header(rnd, encoding);
        byte[] v = new byte[16 + body.length];
        System.arraycopy(h, 0, v, 0, 16);
        System.arraycopy(body, 0, v, 16, body.length);
        return v;
    }

    static byte[][] pfadd(Random rnd, String key) {
        List<byte[]> a = new ArrayList<>();
        a.add(b("PFADD"));
        a.add(b(key));
        int n = rnd.nextInt(rnd.nextBoolean() ? 4 : 200);
        for (int i = 0; i < n; i++) a.add(b("f" + rnd.nextInt(100_000)));
        if (rnd.nextInt(5) == 0) a.add(b(HyperLogLogCommandsTest.RUN_35));
        return a.toArray(new byte[0][]);
    }

    @Property(tries = 300)
    void corruptValues_everyCommand_sameRepliesAndBytesAsRedis(@ForAll long seed) {
        Random rnd = new Random(seed);
        diff.flushAll();
        diff.same("CONFIG", "SET", "hll-sparse-max-bytes", rnd.nextInt(4) == 0 ? Integer.toString(rnd.nextInt(200)) : "3000");
        diff.same(b("SET"), b("k"), value(rnd));
        diff.same(b("SET"), b("o"), value(rnd));
        String[] keys = {"k", "o", "d"};
        for (int step = 0; step < 8; step++) {
            String k = keys[rnd.nextInt(keys.length)];
            String other = keys[rnd.nextInt(keys.length)];
            switch (rnd.nextInt(7)) {
                case 0, 1 -> diff.same(pfadd(rnd, k));
                case 2 -> diff.same("PFCOUNT", k);
                case 3 -> diff.same("PFCOUNT", k, other);
                case 4 -> diff.same("PFMERGE", k, other);
                case 5 -> diff.same("PFDEBUG", new String[] {"GETREG", "DECODE", "ENCODING", "TODENSE"}[rnd.nextInt(4)], k);
                default -> diff.same(b("SET"), b(k), value(rnd));
            }
            diff.same("GET", k);
        }
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }
}
