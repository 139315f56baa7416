package dev.starling.types;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The HLL algorithm alone: registers, hashing, sparse/dense agreement, and corrupt bodies. */
class HyperLogLogTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static RawString withBody(int encoding, byte[] body) {
        byte[] v = new byte[16 + body.length];
        System.arraycopy(b("HYLL"), 0, v, 0, 4);
        v[4] = (byte) encoding;
        System.arraycopy(body, 0, v, 16, body.length);
        return new RawString(v, v.length, false);
    }

    @Test
    void create_isRedisEmptySparseHll() {
        RawString o = HyperLogLog.create();
        assertThat(Arrays.copyOf(o.buf, o.len)).isEqualTo(b("HYLL\u0001\0\0\0\0\0\0\0\0\0\0\0\u007f\u00ff"));
        assertThat(HyperLogLog.count(o.buf, o.len)).isZero();
        assertThat(HyperLogLog.decode(o.buf, o.len)).isEqualTo("Z:16384");
    }

    @Test
    void patLen_knownLongRun_matchesRedisRegister() {
        // redis-server 7.0: PFADD k e2119568080 sets register 12049 to 35.
        int pl = HyperLogLog.patLen(b("e2119568080"), 11);
        assertThat(pl & 0xffff).isEqualTo(12049);
        assertThat(pl >>> 16).isEqualTo(35);
    }

    @Test
    void denseRegisters_randomValues_roundTripWithoutTouchingNeighbours() {
        Random rnd = new Random(1);
        byte[] b = new byte[HyperLogLog.HLL_DENSE_SIZE];
        int[] expect = new int[HyperLogLog.HLL_REGISTERS];
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < expect.length; i++) {
                expect[i] = rnd.nextInt(64);
                HyperLogLog.denseSetRegister(b, HyperLogLog.HLL_HDR_SIZE, i, expect[i]);
            }
            for (int i = 0; i < expect.length; i++) assertThat(HyperLogLog.denseGet(b, HyperLogLog.HLL_HDR_SIZE, i)).isEqualTo(expect[i]);
        }
    }

    @Test
    void sparseAndDense_sameElements_sameRegistersAndCount() {
        RawString sparse = HyperLogLog.create();
        RawString dense = HyperLogLog.create();
        assertThat(HyperLogLog.sparseToDense(dense)).isTrue();
        for (int i = 0; i < 3000; i++) {
            byte[] ele = b("el" + i);
            assertThat(HyperLogLog.add(sparse, ele, 1 << 20)).isNotNegative();
            HyperLogLog.add(dense, ele, 1 << 20);
            if (i % 300 == 0) {
                assertThat(HyperLogLog.encoding(sparse.buf)).isEqualTo(HyperLogLog.HLL_SPARSE);
                assertThat(HyperLogLog.count(sparse.buf, sparse.len)).isEqualTo(HyperLogLog.count(dense.buf, dense.len));
            }
        }
        RawString converted = new RawString(Arrays.copyOf(sparse.buf, sparse.len), sparse.len, false);
        assertThat(HyperLogLog.sparseToDense(converted)).isTrue();
        assertThat(HyperLogLog.registers(converted.buf)).isEqualTo(HyperLogLog.registers(dense.buf));
        byte[] max = new byte[HyperLogLog.HLL_REGISTERS];
        assertThat(HyperLogLog.merge(max, sparse.buf, sparse.len)).isTrue();
        assertThat(HyperLogLog.countRaw(max)).isEqualTo(HyperLogLog.count(dense.buf, dense.len));
    }

    @Test
    void sparseMaxBytes_reached_promotesToDense() {
        RawString o = HyperLogLog.create();
        for (int i = 0; i < 200 && HyperLogLog.encoding(o.buf) == HyperLogLog.HLL_SPARSE; i++) {
            HyperLogLog.add(o, b("p" + i), 100);
            if (HyperLogLog.encoding(o.buf) == HyperLogLog.HLL_SPARSE) assertThat(o.len).isLessThanOrEqualTo(100);
        }
        assertThat(HyperLogLog.encoding(o.buf)).isEqualTo(HyperLogLog.HLL_DENSE);
        assertThat(o.len).isEqualTo(HyperLogLog.HLL_DENSE_SIZE);
    }

    @Test
    void estimate_everyRegisterAbove50_answersRedisOverflowValue() {
        int[] histo = new int[64];
        histo[51] = HyperLogLog.HLL_REGISTERS;
        assertThat(HyperLogLog.estimate(histo)).isEqualTo(Long.MIN_VALUE);
        histo = new int[64];
        histo[0] = HyperLogLog.HLL_REGISTERS;
        assertThat(HyperLogLog.estimate(histo)).isZero();
    }

    @Test
    void selfTest_passes() {
        assertThat(HyperLogLog.selfTest(3000)).isNull();
    }

    @Property(tries = 2000)
    void corruptSparseBody_neverThrows_andEveryWalkAgreesOnValidity(@ForAll @Size(max = 120) byte[] body) {
        RawString o = withBody(HyperLogLog.HLL_SPARSE, body);
        long card = HyperLogLog.count(o.buf, o.len);
        byte[] max = new byte[HyperLogLog.HLL_REGISTERS];
        boolean merged = HyperLogLog.merge(max, o.buf, o.len);
        HyperLogLog.decode(o.buf, o.len);
        RawString dense = new RawString(Arrays.copyOf(o.buf, o.len), o.len, false);
        boolean converted = HyperLogLog.sparseToDense(dense);
        assertThat(merged).isEqualTo(converted).isEqualTo(card != HyperLogLog.INVALID);
        if (converted) {
            assertThat(HyperLogLog.count(dense.buf, dense.len)).isEqualTo(card);
            assertThat(HyperLogLog.countRaw(max)).isEqualTo(card);
        }
        for (int i = 0; i < 20; i++) {
            int r = HyperLogLog.add(o, b("x" + i), 3000);
            assertThat(r).isBetween(-1, 1);
            assertThat(o.len).isLessThanOrEqualTo(Math.max(3000, HyperLogLog.HLL_DENSE_SIZE));
        }
    }

    @Property(tries = 200)
    void anyDenseBody_countsAndMergesWithoutThrowing(@ForAll @Size(min = 12288, max = 12288) byte[] body) {
        RawString o = withBody(HyperLogLog.HLL_DENSE, body);
        long card = HyperLogLog.count(o.buf, o.len);
        byte[] max = new byte[HyperLogLog.HLL_REGISTERS];
        assertThat(HyperLogLog.merge(max, o.buf, o.len)).isTrue();
        assertThat(HyperLogLog.countRaw(max)).isEqualTo(card);
        HyperLogLog.add(o, b("y"), 3000);
    }
}
