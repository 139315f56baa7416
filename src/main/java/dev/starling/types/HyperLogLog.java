package dev.starling.types;

import java.util.SplittableRandom;

/**
 * Redis 7.0's HyperLogLog (hyperloglog.c) over a string value's bytes, byte for byte.
 *
 * <h2>Format</h2>
 * A 16-byte header: "HYLL", the encoding byte (0 dense, 1 sparse), 3 unused bytes kept as they are,
 * and the cached cardinality as a little-endian 64-bit integer whose most significant bit (bit 7 of
 * byte 15) marks the cache invalid. Dense: 16384 6-bit registers packed from the least significant
 * bit of each byte up, 12288 bytes. Sparse: run-length opcodes ZERO {@code 00xxxxxx} (1..64 zero
 * registers), XZERO {@code 01xxxxxx yyyyyyyy} (1..16384 zero registers) and VAL {@code 1vvvvvxx}
 * (1..4 registers of value 1..32).
 *
 * <h2>Corrupt input</h2>
 * A value is any string a client can SET, so every walk is bounded and a bad sparse body is
 * reported (Redis's -1 / C_ERR / "invalid") rather than thrown. The walks that decode a whole body
 * (to dense, merge, histogram) call it corrupt at the first opcode running past register 16384, as
 * the CVE-2025-32023 fix in Debian's 7.0.15 does. Where Redis reads one byte past the
 * string (an XZERO opcode cut at the last byte reads the sds terminator) this class reads
 * {@link #at}: the byte at index {@code len} of a {@link RawString}'s buffer, which mirrors the sds
 * terminator (zero, except where Redis's hllSparseSet itself writes past the new end), or zero.
 */
public final class HyperLogLog {
    private HyperLogLog() {}

    // Redis's constants (hyperloglog.c); the format is persisted, so they never change.
    public static final int HLL_P = 14;
    public static final int HLL_Q = 64 - HLL_P;
    public static final int HLL_REGISTERS = 1 << HLL_P;
    static final int HLL_P_MASK = HLL_REGISTERS - 1;
    static final int HLL_BITS = 6;
    static final int HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
    public static final int HLL_HDR_SIZE = 16;
    public static final int HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8;
    public static final int HLL_DENSE = 0;
    public static final int HLL_SPARSE = 1;
    static final int HLL_MAX_ENCODING = 1;
    static final int ENCODING_OFFSET = 4;
    static final int CARD_OFFSET = 8;

    static final int HLL_SPARSE_XZERO_BIT = 0x40;
    static final int HLL_SPARSE_VAL_BIT = 0x80;
    static final int HLL_SPARSE_VAL_MAX_VALUE = 32;
    static final int HLL_SPARSE_VAL_MAX_LEN = 4;
    static final int HLL_SPARSE_ZERO_MAX_LEN = 64;
    static final int HLL_SPARSE_XZERO_MAX_LEN = 16384;
    static final double HLL_ALPHA_INF = 0.721347520444481703680;
    static final int MURMUR_SEED = 0xadc83b19;

    // ---------------------------------------------------------------- header

    /**
     * The checks of Redis's isHLLObjectOrReply after the type check: false if the bytes cannot be an
     * HLL (short, wrong magic, unknown encoding, dense of the wrong length).
     */
    public static boolean isValidHeader(byte[] b, int len) {
        if (len < HLL_HDR_SIZE) return false;
        if (b[0] != 'H' || b[1] != 'Y' || b[2] != 'L' || b[3] != 'L') return false;
        int enc = b[ENCODING_OFFSET] & 0xff;
        if (enc > HLL_MAX_ENCODING) return false;
        return enc != HLL_DENSE || len == HLL_DENSE_SIZE;
    }

    public static int encoding(byte[] b) {
        return b[ENCODING_OFFSET] & 0xff;
    }

    public static boolean validCache(byte[] b) {
        return (b[CARD_OFFSET + 7] & 0x80) == 0;
    }

    public static void invalidateCache(byte[] b) {
        b[CARD_OFFSET + 7] |= (byte) 0x80;
    }

    public static long cachedCard(byte[] b) {
        long card = 0;
        for (int i = 7; i >= 0; i--) card = card << 8 | (b[CARD_OFFSET + i] & 0xff);
        return card;
    }

    public static void setCachedCard(byte[] b, long card) {
        for (int i = 0; i < 8; i++) b[CARD_OFFSET + i] = (byte) (card >>> (8 * i));
    }

    /** Redis's createHLLObject: an empty sparse HLL (XZERO:16384), cached cardinality 0 and valid. */
    public static RawString create() {
        int sparselen = HLL_HDR_SIZE + ((HLL_REGISTERS + (HLL_SPARSE_XZERO_MAX_LEN - 1)) / HLL_SPARSE_XZERO_MAX_LEN) * 2;
        byte[] s = new byte[sparselen];
        s[0] = 'H';
        s[1] = 'Y';
        s[2] = 'L';
        s[3] = 'L';
        s[ENCODING_OFFSET] = HLL_SPARSE;
        int p = HLL_HDR_SIZE;
        for (int aux = HLL_REGISTERS; aux > 0; ) {
            int xzero = Math.min(HLL_SPARSE_XZERO_MAX_LEN, aux);
            xzeroSet(s, p, xzero);
            p += 2;
            aux -= xzero;
        }
        return new RawString(s, sparselen, false);
    }

    // ---------------------------------------------------------------- hashing

    private static final java.lang.invoke.VarHandle LONG_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** MurmurHash2, 64-bit version, reading 8-byte blocks little-endian as Redis does on every arch. */
    public static long murmurHash64A(byte[] key, int len, int seed) {
        final long m = 0xc6a4a7935bd1e995L;
        final int r = 47;
        long h = (seed & 0xffffffffL) ^ (len * m);
        int data = 0, end = len - (len & 7);
        while (data != end) {
            long k = (long) LONG_LE.get(key, data);
            k *= m;
            k ^= k >>> r;
            k *= m;
            h ^= k;
            h *= m;
            data += 8;
        }
        switch (len & 7) {
            case 7: h ^= (key[data + 6] & 0xffL) << 48; // fall through
            case 6: h ^= (key[data + 5] & 0xffL) << 40; // fall through
            case 5: h ^= (key[data + 4] & 0xffL) << 32; // fall through
            case 4: h ^= (key[data + 3] & 0xffL) << 24; // fall through
            case 3: h ^= (key[data + 2] & 0xffL) << 16; // fall through
            case 2: h ^= (key[data + 1] & 0xffL) << 8; // fall through
            case 1:
                h ^= key[data] & 0xffL;
                h *= m;
                break;
            default:
                break;
        }
        h ^= h >>> r;
        h *= m;
        h ^= h >>> r;
        return h;
    }

    /**
     * Redis's hllPatLen: the register index (low 14 bits of the hash) in the low 16 bits of the
     * result and the length of the "000..1" pattern of the remaining bits (1..51) above them.
     */
    static int patLen(byte[] ele, int len) {
        long hash = murmurHash64A(ele, len, MURMUR_SEED);
        int index = (int) (hash & HLL_P_MASK);
        hash >>>= HLL_P;
        hash |= 1L << HLL_Q; // the loop in Redis stops here: count <= Q+1
        int count = Long.numberOfTrailingZeros(hash) + 1;
        return count << 16 | index;
    }

    // ---------------------------------------------------------------- dense registers

    /** The byte at i (i may equal the string length: Redis reads the sds terminator there). */
    static int at(byte[] b, int i) {
        return i < b.length ? b[i] & 0xff : 0;
    }

    /** HLL_DENSE_GET_REGISTER over registers starting at offset off. */
    static int denseGet(byte[] b, int off, int regnum) {
        int bytePos = off + regnum * HLL_BITS / 8;
        int fb = regnum * HLL_BITS & 7;
        int b0 = b[bytePos] & 0xff;
        int b1 = at(b, bytePos + 1);
        return ((b0 >>> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
    }

    /** HLL_DENSE_SET_REGISTER; the byte after the last register is only touched when bits land there. */
    static void denseSetRegister(byte[] b, int off, int regnum, int val) {
        int bytePos = off + regnum * HLL_BITS / 8;
        int fb = regnum * HLL_BITS & 7;
        int fb8 = 8 - fb;
        b[bytePos] = (byte) ((b[bytePos] & ~(HLL_REGISTER_MAX << fb)) | (val << fb));
        int hi = HLL_REGISTER_MAX >>> fb8;
        if (hi != 0) b[bytePos + 1] = (byte) ((b[bytePos + 1] & ~hi) | (val >>> fb8));
    }

    /** Redis's hllDenseSet: raises the register to count if smaller; 1 if it changed. */
    static int denseSet(byte[] b, int index, int count) {
        int old = denseGet(b, HLL_HDR_SIZE, index);
        if (count > old) {
            denseSetRegister(b, HLL_HDR_SIZE, index, count);
            return 1;
        }
        return 0;
    }

    /** Redis's hllDenseRegHisto. */
    static void denseRegHisto(byte[] b, int[] reghisto) {
        int r = HLL_HDR_SIZE;
        // Four registers in every three bytes.
        for (int j = 0; j < HLL_REGISTERS / 4; j++, r += 3) {
            int b0 = b[r] & 0xff, b1 = b[r + 1] & 0xff, b2 = b[r + 2] & 0xff;
            reghisto[b0 & 63]++;
            reghisto[(b0 >>> 6 | b1 << 2) & 63]++;
            reghisto[(b1 >>> 4 | b2 << 4) & 63]++;
            reghisto[(b2 >>> 2) & 63]++;
        }
    }

    // ---------------------------------------------------------------- sparse opcodes

    static boolean isZero(int op) {
        return (op & 0xc0) == 0;
    }

    static boolean isXzero(int op) {
        return (op & 0xc0) == HLL_SPARSE_XZERO_BIT;
    }

    static boolean isVal(int op) {
        return (op & HLL_SPARSE_VAL_BIT) != 0;
    }

    static int zeroLen(int op) {
        return (op & 0x3f) + 1;
    }

    static int xzeroLen(byte[] b, int p) {
        return (((b[p] & 0x3f) << 8) | at(b, p + 1)) + 1;
    }

    static int valValue(int op) {
        return ((op >>> 2) & 0x1f) + 1;
    }

    static int valLen(int op) {
        return (op & 0x3) + 1;
    }

    static byte valOp(int val, int len) {
        return (byte) (((val - 1) << 2 | (len - 1)) | HLL_SPARSE_VAL_BIT);
    }

    static void xzeroSet(byte[] b, int p, int len) {
        int l = len - 1;
        b[p] = (byte) ((l >>> 8) | HLL_SPARSE_XZERO_BIT);
        b[p + 1] = (byte) l;
    }

    /**
     * sdsMakeRoomFor: room for add more bytes plus the terminator. The byte at len (the emulated
     * terminator) moves with the content, as realloc keeps it.
     */
    static void makeRoomFor(RawString o, int add) {
        int need = o.len + add + 1;
        if (need <= o.buf.length) return;
        int want = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
        byte[] bigger = new byte[want];
        System.arraycopy(o.buf, 0, bigger, 0, Math.min(o.buf.length, o.len + 1));
        o.buf = bigger;
    }

    /** sdsIncrLen: moves the length and writes the terminator after it. */
    static void incrLen(RawString o, int delta) {
        o.len += delta;
        if (o.len < o.buf.length) o.buf[o.len] = 0;
    }

    /**
     * Redis's hllSparseToDense: converts in place (a new 12304-byte buffer; the header is copied,
     * cached cardinality and unused bytes included). False if the sparse body is corrupt, in which
     * case o is unchanged.
     */
    public static boolean sparseToDense(RawString o) {
        byte[] s = o.buf;
        if (encoding(s) == HLL_DENSE) return true;
        // Decoding into zeroed one-byte registers sets exactly the VAL runs, with the same checks.
        byte[] raw = new byte[HLL_REGISTERS];
        if (!merge(raw, s, o.len)) return false;
        byte[] dense = new byte[HLL_DENSE_SIZE + 1];
        System.arraycopy(s, 0, dense, 0, HLL_HDR_SIZE);
        dense[ENCODING_OFFSET] = HLL_DENSE;
        for (int i = 0; i < HLL_REGISTERS; i++) {
            if (raw[i] != 0) denseSetRegister(dense, HLL_HDR_SIZE, i, raw[i]);
        }
        o.buf = dense;
        o.len = HLL_DENSE_SIZE;
        return true;
    }

    /**
     * Redis's hllSparseSet: raises register index to count. Returns 1 if it changed, 0 if not, -1
     * if the sparse body is corrupt. Promotes to dense when count does not fit a VAL opcode or the
     * grown string would pass sparseMaxBytes (hll-sparse-max-bytes).
     */
    static int sparseSet(RawString o, int index, int count, long sparseMaxBytes) {
        if (count > HLL_SPARSE_VAL_MAX_VALUE) return promote(o, index, count);
        // The worst case (XZERO split into XZERO-VAL-XZERO) grows the string by 3 bytes.
        makeRoomFor(o, 3);
        byte[] s = o.buf;
        final int sparse = HLL_HDR_SIZE;
        int p = sparse, end = o.len;
        long first = 0, span = 0;
        int prev = -1;
        // Step 1: find the opcode covering index.
        while (p < end) {
            int op = s[p] & 0xff;
            int oplen = 1;
            if (isZero(op)) {
                span = zeroLen(op);
            } else if (isVal(op)) {
                span = valLen(op);
            } else {
                span = xzeroLen(s, p);
                oplen = 2;
            }
            if (index <= first + span - 1) break;
            prev = p;
            p += oplen;
            first += span;
        }
        if (span == 0 || p >= end) return -1;
        int op = s[p] & 0xff;
        int next = isXzero(op) ? p + 2 : p + 1;
        if (next >= end) next = -1;
        boolean isZero = false, isXzero = false;
        long runlen;
        if (isZero(op)) {
            isZero = true;
            runlen = zeroLen(op);
        } else if (isXzero(op)) {
            isXzero = true;
            runlen = xzeroLen(s, p);
        } else {
            runlen = valLen(op);
        }

        boolean updated = false;
        if (!isZero && !isXzero) {
            // A) a VAL already as high: nothing to do. B) a VAL of one register: rewrite it.
            if (valValue(op) >= count) return 0;
            if (runlen == 1) {
                s[p] = valOp(count, 1);
                updated = true;
            }
        }
        // C) a ZERO of one register becomes a VAL.
        if (!updated && isZero && runlen == 1) {
            s[p] = valOp(count, 1);
            updated = true;
        }
        if (!updated) {
            // D) split the opcode into up to three (at most 5 bytes).
            byte[] seq = new byte[5];
            int n = 0;
            long last = first + span - 1;
            if (isZero || isXzero) {
                if (index != first) n = zeroRun(seq, n, (int) (index - first));
                seq[n++] = valOp(count, 1);
                if (index != last) n = zeroRun(seq, n, (int) (last - index));
            } else {
                int curval = valValue(op);
                if (index != first) seq[n++] = valOp(curval, (int) (index - first));
                seq[n++] = valOp(count, 1);
                if (index != last) seq[n++] = valOp(curval, (int) (last - index));
            }
            // Step 3: put the new sequence in place of the old opcode.
            int seqlen = n;
            int oldlen = isXzero ? 2 : 1;
            int deltalen = seqlen - oldlen;
            if (deltalen > 0 && (long) o.len + deltalen > sparseMaxBytes) return promote(o, index, count);
            if (deltalen != 0 && next >= 0) System.arraycopy(s, next, s, next + deltalen, end - next);
            incrLen(o, deltalen);
            // Like Redis's memcpy after sdsIncrLen: an opcode cut at the end writes past the new end.
            System.arraycopy(seq, 0, s, p, seqlen);
            end += deltalen;
        }

        // Step 4: merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from prev.
        p = prev >= 0 ? prev : sparse;
        int scanlen = 5;
        while (p < end && scanlen-- > 0) {
            int cur = s[p] & 0xff;
            if (isXzero(cur)) {
                p += 2;
                continue;
            } else if (isZero(cur)) {
                p++;
                continue;
            }
            if (p + 1 < end && isVal(s[p + 1] & 0xff)) {
                int v1 = valValue(cur);
                int v2 = valValue(s[p + 1] & 0xff);
                if (v1 == v2) {
                    int len = valLen(cur) + valLen(s[p + 1] & 0xff);
                    if (len <= HLL_SPARSE_VAL_MAX_LEN) {
                        s[p + 1] = valOp(v1, len);
                        System.arraycopy(s, p + 1, s, p, end - p - 1);
                        incrLen(o, -1);
                        end--;
                        continue; // try to merge the result with the next one too
                    }
                }
            }
            p++;
        }
        invalidateCache(s);
        return 1;
    }

    /** Writes a ZERO (up to 64) or XZERO opcode for len zero registers at seq[n]; returns the next index. */
    private static int zeroRun(byte[] seq, int n, int len) {
        if (len > HLL_SPARSE_ZERO_MAX_LEN) {
            xzeroSet(seq, n, len);
            return n + 2;
        }
        seq[n] = (byte) (len - 1);
        return n + 1;
    }

    /** hllSparseSet's promote label: convert, then set in the dense registers (always a change). */
    private static int promote(RawString o, int index, int count) {
        if (!sparseToDense(o)) return -1;
        denseSet(o.buf, index, count);
        return 1;
    }

    /** Redis's hllSparseRegHisto; returns false if the opcodes do not cover exactly 16384 registers. */
    static boolean sparseRegHisto(byte[] s, int len, int[] reghisto) {
        int idx = 0;
        int p = HLL_HDR_SIZE;
        while (p < len) {
            int op = s[p] & 0xff;
            int runlen = isZero(op) ? zeroLen(op) : isXzero(op) ? xzeroLen(s, p) : valLen(op);
            if (runlen + idx > HLL_REGISTERS) return false; // overflow
            idx += runlen;
            reghisto[isVal(op) ? valValue(op) : 0] += runlen;
            p += isXzero(op) ? 2 : 1;
        }
        return idx == HLL_REGISTERS;
    }

    // ---------------------------------------------------------------- add / count / merge

    /**
     * Redis's hllAdd: adds ele to the HLL held by o. Returns 1 if a register changed, 0 if not, -1
     * if the representation is corrupt.
     */
    public static int add(RawString o, byte[] ele, long sparseMaxBytes) {
        int pl = patLen(ele, ele.length);
        int index = pl & 0xffff, count = pl >>> 16;
        return switch (encoding(o.buf)) {
            case HLL_DENSE -> denseSet(o.buf, index, count);
            case HLL_SPARSE -> sparseSet(o, index, count, sparseMaxBytes);
            default -> -1;
        };
    }

    /** Raises register index of o to count (PFMERGE's write loop); the result is Redis's, ignored there. */
    public static int set(RawString o, int index, int count, long sparseMaxBytes) {
        return encoding(o.buf) == HLL_DENSE ? denseSet(o.buf, index, count) : sparseSet(o, index, count, sparseMaxBytes);
    }

    /** What {@link #count} returns for a corrupt sparse body (the estimate is never -1). */
    public static final long INVALID = -1;

    /**
     * Redis's hllCount for a dense or sparse HLL of len bytes: the estimated cardinality (as
     * Redis's uint64, see {@link #estimate}), or {@link #INVALID} if the sparse body is corrupt.
     */
    public static long count(byte[] b, int len) {
        int[] reghisto = new int[64];
        if (encoding(b) == HLL_DENSE) {
            denseRegHisto(b, reghisto);
        } else if (!sparseRegHisto(b, len, reghisto)) {
            return INVALID;
        }
        return estimate(reghisto);
    }

    /** hllCount of Redis's internal HLL_RAW encoding: one register per byte (PFCOUNT of several keys). */
    public static long countRaw(byte[] registers) {
        int[] reghisto = new int[64];
        for (int j = 0; j < HLL_REGISTERS; j++) reghisto[registers[j]]++;
        return estimate(reghisto);
    }

    /**
     * The estimator of Redis 7.0's hllCount: Otmar Ertl's improved raw estimator ("New cardinality
     * estimation algorithms for HyperLogLog sketches", arXiv:1702.01284) over the register histogram.
     * Every step is one IEEE double operation, in Redis's order, so the result is Redis's.
     */
    static long estimate(int[] reghisto) {
        double m = HLL_REGISTERS;
        double z = m * tau((m - reghisto[HLL_Q + 1]) / m);
        for (int j = HLL_Q; j >= 1; --j) {
            z += reghisto[j];
            z *= 0.5;
        }
        z += m * sigma(reghisto[0] / m);
        double e = HLL_ALPHA_INF * m * m / z;
        // llroundl rounds half away from zero (e is never negative); past the long range (z is 0
        // when every register is 51 or more) x86 answers LLONG_MIN, which Redis then returns as the
        // unsigned 2^63: its cache bytes carry the "invalid" bit, so it is never reused.
        return e >= 0x1p63 ? Long.MIN_VALUE : Math.round(e);
    }

    static double sigma(double x) {
        if (x == 1.) return Double.POSITIVE_INFINITY;
        double zPrime;
        double y = 1;
        double z = x;
        do {
            x *= x;
            zPrime = z;
            z += x * y;
            y += y;
        } while (zPrime != z);
        return z;
    }

    static double tau(double x) {
        if (x == 0. || x == 1.) return 0.;
        double zPrime;
        double y = 1.0;
        double z = 1 - x;
        do {
            x = Math.sqrt(x);
            zPrime = z;
            y *= 0.5;
            double d = 1 - x;
            z -= d * d * y; // pow(1 - x, 2) is exact-then-rounded, as d * d is
        } while (zPrime != z);
        return z / 3;
    }

    /**
     * Redis's hllMerge: max[i] = MAX(max[i], register i) over the HLL in b (header already valid).
     * False if its sparse body is corrupt.
     */
    public static boolean merge(byte[] max, byte[] b, int len) {
        if (encoding(b) == HLL_DENSE) {
            // Four registers in every three bytes, as in denseRegHisto.
            for (int i = 0, r = HLL_HDR_SIZE; i < HLL_REGISTERS; i += 4, r += 3) {
                int word = (b[r] & 0xff) | (b[r + 1] & 0xff) << 8 | (b[r + 2] & 0xff) << 16;
                for (int k = 0; k < 4; k++, word >>>= 6) {
                    int val = word & 63;
                    if (val > max[i + k]) max[i + k] = (byte) val;
                }
            }
            return true;
        }
        int i = 0;
        int p = HLL_HDR_SIZE;
        while (p < len) {
            int op = b[p] & 0xff;
            int runlen = isZero(op) ? zeroLen(op) : isXzero(op) ? xzeroLen(b, p) : valLen(op);
            if (runlen + i > HLL_REGISTERS) return false; // overflow
            if (isVal(op)) {
                for (int regval = valValue(op); runlen > 0; runlen--, i++) {
                    if (regval > max[i]) max[i] = (byte) regval;
                }
            } else {
                i += runlen;
            }
            p += isXzero(op) ? 2 : 1;
        }
        return i == HLL_REGISTERS;
    }

    // ---------------------------------------------------------------- PFDEBUG / PFSELFTEST

    /** The 16384 registers of a dense HLL. */
    public static int[] registers(byte[] b) {
        int[] regs = new int[HLL_REGISTERS];
        for (int j = 0; j < HLL_REGISTERS; j++) regs[j] = denseGet(b, HLL_HDR_SIZE, j);
        return regs;
    }

    /** PFDEBUG DECODE's text of a sparse HLL: "Z:n" XZERO, "z:n" ZERO, "v:value,n" VAL, space separated. */
    public static String decode(byte[] b, int len) {
        StringBuilder sb = new StringBuilder();
        int p = HLL_HDR_SIZE;
        while (p < len) {
            int op = b[p] & 0xff;
            if (sb.length() > 0) sb.append(' ');
            if (isZero(op)) {
                sb.append("z:").append(zeroLen(op));
                p++;
            } else if (isXzero(op)) {
                sb.append("Z:").append(xzeroLen(b, p));
                p += 2;
            } else {
                sb.append("v:").append(valValue(op)).append(',').append(valLen(op));
                p++;
            }
        }
        return sb.toString();
    }

    /**
     * Redis's PFSELFTEST: random register round trips on a dense HLL, then 10M additions to a dense
     * and a sparse HLL checked at powers of ten. Returns null on success or Redis's error text.
     */
    public static String selfTest(long sparseMaxBytes) {
        final int cycles = 1000;
        SplittableRandom rnd = new SplittableRandom();
        byte[] bitcounters = new byte[HLL_DENSE_SIZE + 1];
        byte[] bytecounters = new byte[HLL_REGISTERS];
        // Test 1: registers keep their values and leave their neighbours alone.
        for (int j = 0; j < cycles; j++) {
            for (int i = 0; i < HLL_REGISTERS; i++) {
                int r = rnd.nextInt() & HLL_REGISTER_MAX;
                bytecounters[i] = (byte) r;
                denseSetRegister(bitcounters, HLL_HDR_SIZE, i, r);
            }
            for (int i = 0; i < HLL_REGISTERS; i++) {
                int val = denseGet(bitcounters, HLL_HDR_SIZE, i);
                if (val != bytecounters[i]) {
                    return "TESTFAILED Register " + i + " should be " + bytecounters[i] + " but is " + val;
                }
            }
        }
        // Test 2: approximation error, dense and sparse agreeing.
        java.util.Arrays.fill(bitcounters, (byte) 0);
        bitcounters[ENCODING_OFFSET] = HLL_DENSE;
        RawString o = create();
        double relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
        long checkpoint = 1;
        long seed = rnd.nextLong();
        byte[] ele = new byte[8];
        for (long j = 1; j <= 10_000_000; j++) {
            long v = j ^ seed;
            for (int k = 0; k < 8; k++) ele[k] = (byte) (v >>> (8 * k));
            int pl = patLen(ele, 8);
            denseSet(bitcounters, pl & 0xffff, pl >>> 16);
            add(o, ele, sparseMaxBytes);
            if (j != checkpoint) continue;
            if (j < sparseMaxBytes / 2 && encoding(o.buf) != HLL_SPARSE) return "TESTFAILED sparse encoding not used";
            long denseCount = count(bitcounters, HLL_DENSE_SIZE);
            if (denseCount != count(o.buf, o.len)) return "TESTFAILED dense/sparse disagree";
            long abserr = Math.abs(checkpoint - denseCount);
            long maxerr = (long) Math.ceil(relerr * 6 * checkpoint);
            // Cardinality 10 collides often enough to fail a fair test.
            if (j == 10) maxerr = 1;
            if (abserr > maxerr) return "TESTFAILED Too big error. card:" + checkpoint + " abserr:" + abserr;
            checkpoint *= 10;
        }
        return null;
    }
}
