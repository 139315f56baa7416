package dev.starling.persistence;

/**
 * LZF blocks exactly as Redis's bundled liblzf 3.6 writes and reads them (lzf_c.c / lzf_d.c with
 * Redis's lzfP.h: HLOG 16, VERY_FAST, CHECK_INPUT, offsets in the hash table on 64-bit builds).
 * RDB strings over 20 bytes, DUMP payloads and compressed quicklist nodes are these blocks, and
 * they must be byte-identical to Redis's, which compress-lzf's encoder is not (it finds other
 * matches: it may reference offset 0, liblzf never does).
 *
 * <h2>Format</h2>
 * A sequence of chunks. A control byte below 32 starts a literal run of ctrl+1 bytes. Otherwise its
 * top 3 bits are a length L (7 means "add the next byte") and the low 5 bits the high bits of a
 * back-reference offset whose low byte follows: copy L+2 bytes from (output position - offset - 1).
 *
 * <h2>The compressor, as liblzf does it</h2>
 * A hash of the next three bytes indexes a 64K table of the last input position with that hash.
 * A candidate is used when it lies strictly after the first input byte, within 8 KB before the
 * current position and its three bytes are equal; the match is then extended up to 264 bytes (in
 * liblzf's unrolled order, which can overshoot the soft limit near the end of the input by two).
 * After a match only its last two positions are entered in the table (VERY_FAST). Output space is
 * checked where liblzf checks it, so "does not fit in out_len" answers exactly as Redis's does.
 *
 * <p>liblzf does not clear its table between calls (INIT_HTAB 0, stack memory), so in theory a
 * stale slot can make Redis find a match a fresh table would not; this implementation always
 * starts from an empty table, which is what Redis sees in the common case. The table is reset in
 * O(1) by stamping entries with a per-call generation.
 */
public final class Lzf {
    private Lzf() {}

    private static final int HLOG = 16, HSIZE = 1 << HLOG;
    static final int MAX_LIT = 1 << 5, MAX_OFF = 1 << 13, MAX_REF = (1 << 8) + (1 << 3);

    /** Per-thread hash table: generation in the high 32 bits, input position in the low 32. */
    private static final class Table {
        final long[] slots = new long[HSIZE];
        int generation;

        int begin() {
            if (++generation == 0) { // wrapped: old stamps could look current
                java.util.Arrays.fill(slots, 0);
                generation = 1;
            }
            return generation;
        }
    }

    private static final ThreadLocal<Table> TABLES = ThreadLocal.withInitial(Table::new);

    /** liblzf's IDX over the rolling 32-bit hash value (only its low 24 bits matter). */
    private static int idx(int h) {
        return ((h >>> 8) - h * 5) & (HSIZE - 1);
    }

    /**
     * lzf_compress of in[off, off+len) into at most outLen bytes: the block, or null where liblzf
     * returns 0 (empty input, or the output would not fit in outLen bytes).
     */
    public static byte[] compress(byte[] in, int off, int len, int outLen) {
        if (len <= 0 || outLen <= 0) return null;
        byte[] out = new byte[outLen];
        int n = compress(in, off, len, out, outLen);
        return n == 0 ? null : java.util.Arrays.copyOf(out, n);
    }

    /** lzf_compress into out (at least outLen bytes); returns the block length, or 0 if it does not fit. */
    public static int compress(byte[] in, int off, int len, byte[] out, int outLen) {
        if (len <= 0 || outLen <= 0) return 0;
        Table table = TABLES.get();
        long[] htab = table.slots;
        long stamp = (long) table.begin() << 32;
        final int inEnd = off + len;
        int ip = off, op = 0, lit = 0;
        op++; // start a literal run: its control byte is filled in when the run ends
        int hval = len >= 2 ? ((in[ip] & 0xff) << 8) | (in[ip + 1] & 0xff) : 0;
        while (ip < inEnd - 2) {
            hval = (hval << 8) | (in[ip + 2] & 0xff);
            int slot = idx(hval);
            long entry = htab[slot];
            // A slot from an earlier call reads as position 0, which the "ref > start" test rejects.
            int ref = (entry & 0xFFFFFFFF00000000L) == stamp ? off + (int) entry : off;
            htab[slot] = stamp | (ip - off);
            int distance = ip - ref - 1; // liblzf's unsigned off: a ref at or after ip is "far"
            if (ref > off && distance >= 0 && distance < MAX_OFF
                    && in[ref + 2] == in[ip + 2] && in[ref] == in[ip] && in[ref + 1] == in[ip + 1]) {
                int mlen = 2;
                int maxlen = inEnd - ip - mlen;
                if (maxlen > MAX_REF) maxlen = MAX_REF;
                if (op + 3 + 1 >= outLen && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outLen) return 0;
                out[op - lit - 1] = (byte) (lit - 1); // close the literal run
                if (lit == 0) op--; // an empty run takes no byte
                boolean stopped = false;
                if (maxlen > 16) { // liblzf's unrolled first 16 steps, which ignore maxlen
                    for (int k = 0; k < 16; k++) {
                        mlen++;
                        if (in[ref + mlen] != in[ip + mlen]) {
                            stopped = true;
                            break;
                        }
                    }
                }
                if (!stopped) {
                    do {
                        mlen++;
                    } while (mlen < maxlen && in[ref + mlen] == in[ip + mlen]);
                }
                mlen -= 2; // the encoded length: bytes copied are mlen + 2
                ip++;
                if (mlen < 7) {
                    out[op++] = (byte) ((distance >>> 8) + (mlen << 5));
                } else {
                    out[op++] = (byte) ((distance >>> 8) + (7 << 5));
                    out[op++] = (byte) (mlen - 7);
                }
                out[op++] = (byte) distance;
                lit = 0;
                op++; // start a new literal run
                ip += mlen + 1;
                if (ip >= inEnd - 2) break;
                // VERY_FAST: hash only the last two positions of the match.
                ip -= 2;
                hval = ((in[ip] & 0xff) << 8) | (in[ip + 1] & 0xff);
                hval = (hval << 8) | (in[ip + 2] & 0xff);
                htab[idx(hval)] = stamp | (ip - off);
                ip++;
                hval = (hval << 8) | (in[ip + 2] & 0xff);
                htab[idx(hval)] = stamp | (ip - off);
                ip++;
            } else {
                if (op >= outLen) return 0;
                lit++;
                out[op++] = in[ip++];
                if (lit == MAX_LIT) {
                    out[op - lit - 1] = (byte) (lit - 1);
                    lit = 0;
                    op++;
                }
            }
        }
        if (op + 3 > outLen) return 0; // at most 3 more bytes: two literals and a run header
        while (ip < inEnd) {
            lit++;
            out[op++] = in[ip++];
            if (lit == MAX_LIT) {
                out[op - lit - 1] = (byte) (lit - 1);
                lit = 0;
                op++;
            }
        }
        out[op - lit - 1] = (byte) (lit - 1);
        if (lit == 0) op--;
        return op;
    }

    /**
     * lzf_decompress of in[off, off+len) into out[0, outLen): the number of bytes produced, or 0 on
     * any error (output overflow, input overrun, a reference before the output start), as liblzf
     * with CHECK_INPUT. Callers compare the result with the expected length, as Redis does, so a
     * block that decodes to fewer bytes is an error too.
     */
    public static int decompress(byte[] in, int off, int len, byte[] out, int outLen) {
        return (int) decode(in, off, len, out, outLen);
    }

    /**
     * What {@link #decompress(byte[], int, int, byte[], int)} would return, without writing: lets a
     * loader check a claimed size before allocating it (a corrupt length must not cost memory).
     */
    public static long decompressedLength(byte[] in, int off, int len, long outLen) {
        return decode(in, off, len, null, outLen);
    }

    /** The decoder; with out null it only checks and counts. */
    private static long decode(byte[] in, int off, int len, byte[] out, long outLen) {
        if (len <= 0) return 0; // liblzf reads one control byte past an empty input and fails
        int ip = off, inEnd = off + len;
        long op = 0;
        do {
            int ctrl = in[ip++] & 0xff;
            if (ctrl < (1 << 5)) {
                ctrl++;
                if (op + ctrl > outLen) return 0;
                if (ip + ctrl > inEnd) return 0;
                if (out != null) System.arraycopy(in, ip, out, (int) op, ctrl);
                ip += ctrl;
                op += ctrl;
            } else {
                int mlen = ctrl >>> 5;
                long ref = op - ((ctrl & 0x1f) << 8) - 1;
                if (ip >= inEnd) return 0;
                if (mlen == 7) {
                    mlen += in[ip++] & 0xff;
                    if (ip >= inEnd) return 0;
                }
                ref -= in[ip++] & 0xff;
                if (op + mlen + 2 > outLen) return 0;
                if (ref < 0) return 0;
                if (out != null) {
                    // Byte by byte: the source may overlap the bytes being written (runs).
                    int o = (int) op, r = (int) ref;
                    for (int end = o + mlen + 2; o < end; ) out[o++] = out[r++];
                }
                op += mlen + 2;
            }
        } while (ip < inEnd);
        return op;
    }

    /** Decompresses a block into exactly rawLen bytes; throws IllegalStateException if it does not decode to that. */
    public static byte[] decompress(byte[] block, int off, int rawLen) {
        return decompress(block, off, block.length - off, rawLen);
    }

    /** Decompresses block[off, off+len) into exactly rawLen bytes; throws IllegalStateException otherwise. */
    public static byte[] decompress(byte[] block, int off, int len, int rawLen) {
        byte[] out = new byte[rawLen];
        if (decompress(block, off, len, out, rawLen) != rawLen) throw new IllegalStateException("corrupt LZF block");
        return out;
    }
}
