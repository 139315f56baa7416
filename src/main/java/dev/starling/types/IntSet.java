package dev.starling.types;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Redis's intset (intset.c) over a {@code byte[]}, byte for byte: a little-endian u32 encoding (2, 4
 * or 8: the width of every element), a little-endian u32 length, then the sorted, distinct
 * elements, little-endian at that width. The array is exactly {@link #blobLen} bytes, so it is
 * what RDB's RDB_TYPE_SET_INTSET stores and DUMP carries.
 *
 * <p>Like Redis, adding a value wider than the current encoding upgrades every element in place
 * (int16 → int32 → int64) and never downgrades. Writes return a new array (Redis reallocs); a
 * caller keeps the returned one.
 */
public final class IntSet {
    private IntSet() {}

    /** Redis's INTSET_ENC_*: the width in bytes. */
    public static final int ENC_INT16 = 2, ENC_INT32 = 4, ENC_INT64 = 8;
    static final int HEADER = 8;

    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private static final byte[] EMPTY = {ENC_INT16, 0, 0, 0, 0, 0, 0, 0};

    /** An empty intset (intsetNew): int16 encoding, no elements. */
    public static byte[] create() {
        return EMPTY.clone();
    }

    /** The smallest encoding that holds v (_intsetValueEncoding). */
    static int valueEncoding(long v) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) return ENC_INT64;
        if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) return ENC_INT32;
        return ENC_INT16;
    }

    public static int encoding(byte[] is) {
        return (int) I32.get(is, 0);
    }

    /** Number of elements (intsetLen). */
    public static int len(byte[] is) {
        return (int) I32.get(is, 4);
    }

    /** Bytes of the serialized intset (intsetBlobLen): the whole array. */
    public static int blobLen(byte[] is) {
        return HEADER + len(is) * encoding(is);
    }

    private static long get(byte[] is, int pos, int enc) {
        int off = HEADER + pos * enc;
        return switch (enc) {
            case ENC_INT16 -> (short) I16.get(is, off);
            case ENC_INT32 -> (int) I32.get(is, off);
            default -> (long) I64.get(is, off);
        };
    }

    private static void set(byte[] is, int pos, int enc, long v) {
        int off = HEADER + pos * enc;
        switch (enc) {
            case ENC_INT16 -> I16.set(is, off, (short) v);
            case ENC_INT32 -> I32.set(is, off, (int) v);
            default -> I64.set(is, off, v);
        }
    }

    /** The element at pos, which must be in [0, len) (intsetGet). */
    public static long get(byte[] is, int pos) {
        return get(is, pos, encoding(is));
    }

    /**
     * Binary search (intsetSearch): the position of v if present, else -(insertion point) - 1.
     */
    static int search(byte[] is, long v) {
        int enc = encoding(is), n = len(is);
        if (n == 0) return -1;
        // The ends first: appending and prepending are common (Redis checks them the same way).
        if (v > get(is, n - 1, enc)) return -n - 1;
        if (v < get(is, 0, enc)) return -1;
        int lo = 0, hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long cur = get(is, mid, enc);
            if (v > cur) lo = mid + 1;
            else if (v < cur) hi = mid - 1;
            else return mid;
        }
        return -lo - 1;
    }

    /** True if v is an element (intsetFind). */
    public static boolean find(byte[] is, long v) {
        return valueEncoding(v) <= encoding(is) && search(is, v) >= 0;
    }

    /** Adds v (intsetAdd); returns is itself if v was already there, else a new array. */
    public static byte[] add(byte[] is, long v) {
        int enc = encoding(is), n = len(is);
        int venc = valueEncoding(v);
        if (venc > enc) return upgradeAndAdd(is, v, venc);
        int pos = search(is, v);
        if (pos >= 0) return is;
        pos = -pos - 1;
        byte[] out = new byte[HEADER + (n + 1) * enc];
        System.arraycopy(is, 0, out, 0, HEADER + pos * enc);
        System.arraycopy(is, HEADER + pos * enc, out, HEADER + (pos + 1) * enc, (n - pos) * enc);
        set(out, pos, enc, v);
        I32.set(out, 4, n + 1);
        return out;
    }

    /** intsetUpgradeAndAdd: v does not fit, so it is either below or above every element. */
    private static byte[] upgradeAndAdd(byte[] is, long v, int newEnc) {
        int enc = encoding(is), n = len(is);
        int prepend = v < 0 ? 1 : 0;
        byte[] out = new byte[HEADER + (n + 1) * newEnc];
        I32.set(out, 0, newEnc);
        I32.set(out, 4, n + 1);
        for (int i = 0; i < n; i++) set(out, i + prepend, newEnc, get(is, i, enc));
        set(out, prepend == 1 ? 0 : n, newEnc, v);
        return out;
    }

    /** Removes v (intsetRemove); returns is itself if v was not there, else a new array. */
    public static byte[] remove(byte[] is, long v) {
        int enc = encoding(is), n = len(is);
        if (valueEncoding(v) > enc) return is;
        int pos = search(is, v);
        if (pos < 0) return is;
        byte[] out = new byte[HEADER + (n - 1) * enc];
        System.arraycopy(is, 0, out, 0, HEADER + pos * enc);
        System.arraycopy(is, HEADER + (pos + 1) * enc, out, HEADER + pos * enc, (n - pos - 1) * enc);
        I32.set(out, 4, n - 1);
        return out;
    }

    /** A uniformly random element of a non-empty intset (intsetRandom). */
    public static long random(byte[] is) {
        return get(is, ThreadLocalRandom.current().nextInt(len(is)));
    }

    /** Checks the layout (intsetValidateIntegrity with deep checks): for tests and RESTORE. */
    public static boolean validate(byte[] is) {
        if (is.length < HEADER) return false;
        int enc = encoding(is);
        if (enc != ENC_INT16 && enc != ENC_INT32 && enc != ENC_INT64) return false;
        long n = len(is) & 0xffffffffL;
        if (HEADER + n * enc != is.length) return false;
        for (int i = 1; i < n; i++) {
            if (get(is, i - 1, enc) >= get(is, i, enc)) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- decimal text

    /** The decimal text of v, as Redis's ll2string / sdsfromlonglong writes it. */
    public static byte[] ll2bytes(long v) {
        if (v == Long.MIN_VALUE) return MIN_TEXT.clone();
        int n = v < 0 ? 1 : 0;
        long a = Math.abs(v);
        int digits = 1;
        for (long t = a; t >= 10; t /= 10) digits++;
        byte[] out = new byte[n + digits];
        if (v < 0) out[0] = '-';
        for (int i = out.length - 1; i >= n; i--) {
            out[i] = (byte) ('0' + a % 10);
            a /= 10;
        }
        return out;
    }

    private static final byte[] MIN_TEXT = Long.toString(Long.MIN_VALUE).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
}
