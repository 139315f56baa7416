package dev.starling.persistence;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** CRC-64/Jones against its check value and a bitwise reference; LZF round trips and liblzf's edge cases. */
class Crc64AndLzfTest {
    /** Redis's crc64 bit by bit (the reflected Jones polynomial). */
    static long crcBitwise(byte[] data, int off, int len) {
        long crc = 0;
        for (int i = off; i < off + len; i++) {
            crc ^= data[i] & 0xffL;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x95AC9329AC4BC9B5L : crc >>> 1;
        }
        return crc;
    }

    @Test
    void crc64_checkValue_isRedisTestVector() {
        assertThat(Crc64.of("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xe9c6d914c4b8d9caL);
        assertThat(Crc64.of(new byte[0])).isZero();
    }

    @Property(tries = 300)
    void crc64_slicing_equalsBitwise(@ForAll @Size(max = 300) byte[] data, @ForAll @IntRange(max = 17) int skip) {
        int off = Math.min(skip, data.length);
        assertThat(Crc64.of(data, off, data.length - off)).isEqualTo(crcBitwise(data, off, data.length - off));
        // Continuing a CRC over two halves equals one pass.
        int mid = (data.length + off) / 2;
        assertThat(Crc64.update(Crc64.of(data, off, mid - off), data, mid, data.length - mid)).isEqualTo(crcBitwise(data, off, data.length - off));
    }

    @Property(tries = 500)
    void lzf_roundTrips_andNeverExceedsOutLen(@ForAll @Size(max = 2000) byte[] raw, @ForAll @IntRange(min = 1, max = 8) int alphabet) {
        byte[] in = raw.clone();
        for (int i = 0; i < in.length; i++) in[i] = (byte) ('a' + Math.floorMod(in[i], alphabet));
        int outLen = Math.max(1, in.length - 4);
        byte[] block = Lzf.compress(in, 0, in.length, outLen);
        if (block == null) return;
        assertThat(block.length).isLessThanOrEqualTo(outLen);
        assertThat(Lzf.decompress(block, 0, block.length, in.length)).isEqualTo(in);
        assertThat(Lzf.decompressedLength(block, 0, block.length, in.length)).isEqualTo(in.length);
    }

    @Test
    void lzf_roundTripsLargeInputsAtOffsets() {
        Random r = new Random(7);
        for (int len : new int[] {3, 16, 48, 1000, 65535, 65536, 300_000}) {
            byte[] in = new byte[len + 10];
            for (int i = 0; i < in.length; i++) in[i] = (byte) ("abcdefgh".charAt(r.nextInt(8)));
            byte[] block = Lzf.compress(in, 5, len, len + len / 16 + 64);
            assertThat(block).isNotNull();
            assertThat(Lzf.decompress(block, 0, block.length, len)).isEqualTo(Arrays.copyOfRange(in, 5, 5 + len));
        }
    }

    @Test
    void lzf_firstMatchNeverReferencesTheFirstByte() {
        // liblzf requires ref > in_data, so 50 'a's start with a two-byte literal (as Redis's DUMP shows).
        byte[] in = "a".repeat(50).getBytes(StandardCharsets.US_ASCII);
        assertThat(Lzf.compress(in, 0, in.length, in.length - 4)).containsExactly(0x01, 0x61, 0x61, 0xe0, 0x25, 0x00, 0x01, 0x61, 0x61);
    }

    @Test
    void lzf_decompress_rejectsAsLiblzfDoes() {
        byte[] out = new byte[10];
        assertThat(Lzf.decompress(new byte[0], 0, 0, out, 10)).isZero(); // empty input
        assertThat(Lzf.decompress(new byte[] {0, 'a'}, 0, 2, out, 0)).isZero(); // output overflow
        assertThat(Lzf.decompress(new byte[] {1, 'a'}, 0, 2, out, 10)).isZero(); // literal past input
        assertThat(Lzf.decompress(new byte[] {0x20, 0}, 0, 2, out, 10)).isZero(); // reference before output start
        assertThat(Lzf.decompress(new byte[] {0, 'a', 0x20}, 0, 3, out, 10)).isZero(); // reference cut short
        assertThat(Lzf.decompress(new byte[] {0, 'a', 0x20, 0}, 0, 4, out, 10)).isEqualTo(4); // "a" then copy 3
        assertThat(Arrays.copyOf(out, 4)).containsExactly('a', 'a', 'a', 'a');
    }
}
