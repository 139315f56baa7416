package dev.starling.types;

import com.ning.compress.lzf.LZFException;
import com.ning.compress.lzf.impl.VanillaChunkDecoder;
import com.ning.compress.lzf.impl.VanillaChunkEncoder;

/**
 * Raw LZF blocks, the format of Redis's lzf.c (no chunk headers): what compressed quicklist nodes
 * hold and what RDB stores as LZF strings. Backed by compress-lzf's vanilla (no Unsafe) codec,
 * whose block format is liblzf's.
 */
public final class Lzf {
    private Lzf() {}

    /** compress-lzf's encoder with its block method opened up; one per thread (it keeps a hash table). */
    private static final class Encoder extends VanillaChunkEncoder {
        Encoder() {
            super(0xFFFF);
        }

        int compress(byte[] in, int off, int len, byte[] out) {
            return tryCompress(in, off, off + len, out, 0);
        }
    }

    private static final ThreadLocal<Encoder> ENCODER = ThreadLocal.withInitial(Encoder::new);
    private static final VanillaChunkDecoder DECODER = new VanillaChunkDecoder();

    /**
     * Compresses in[off, off+len) and returns the block, or null unless it is at most maxOut bytes
     * (Redis's lzf_compress returns 0 when the output would not fit its buffer).
     */
    public static byte[] compress(byte[] in, int off, int len, int maxOut) {
        if (len < 16) return null; // too short to shrink; the encoder needs a few bytes to start
        // LZF's worst case: one control byte per 32 literals.
        byte[] out = new byte[len + (len >>> 5) + 16];
        int n = ENCODER.get().compress(in, off, len, out);
        if (n > maxOut) return null;
        return java.util.Arrays.copyOf(out, n);
    }

    /** Decompresses a block into exactly rawLen bytes; throws IllegalStateException if corrupt. */
    public static byte[] decompress(byte[] block, int off, int rawLen) {
        byte[] out = new byte[rawLen];
        try {
            DECODER.decodeChunk(block, off, out, 0, rawLen);
        } catch (LZFException | RuntimeException e) {
            throw new IllegalStateException("corrupt LZF block", e);
        }
        return out;
    }
}
