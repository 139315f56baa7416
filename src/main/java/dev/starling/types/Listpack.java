package dev.starling.types;

import dev.starling.protocol.Numbers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Redis's listpack (listpack.c), in its exact byte format, held in a {@code byte[]}.
 *
 * <h2>Format</h2>
 * A 6-byte header (total bytes as a little-endian u32, element count as a u16, 65535 meaning
 * "count by walking"), the entries, and a 0xFF terminator. Each entry is an encoding byte (7-bit
 * uint, 13/16/24/32/64-bit int, or a string with a 6/12/32-bit length), its data, and a backlen
 * (the size of encoding+data in 1 to 5 bytes, 7 bits each, read from its last byte backwards) that
 * makes backward iteration possible. Strings that are canonical integers (string2ll) are stored as
 * integers, exactly as Redis does, so the bytes equal Redis's for the same operations: RDB files
 * and DUMP payloads carry them unchanged.
 *
 * <h2>API</h2>
 * Static functions over the array, in Redis's style: an entry is addressed by its byte offset
 * ({@code -1} for none), and every write returns the (possibly new) array, as {@code lp = lpAppend(lp, ...)}
 * does. The array may be longer than the listpack (spare capacity for appends): the header's total
 * is authoritative and {@link #toBytes} returns the exact bytes.
 */
public final class Listpack {
    private Listpack() {}

    public static final int HEADER_SIZE = 6;
    static final int EOF = 0xFF;
    /** Redis's LP_HDR_NUMELE_UNKNOWN. */
    static final int NUMELE_UNKNOWN = 65535;

    private static final VarHandle U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    // Encoding bytes (listpack.c LP_ENCODING_*).
    private static final int ENC_16BIT_INT = 0xF1, ENC_24BIT_INT = 0xF2, ENC_32BIT_INT = 0xF3, ENC_64BIT_INT = 0xF4,
            ENC_32BIT_STR = 0xF0;

    // ---------------------------------------------------------------- header

    /** A new empty listpack. */
    public static byte[] create() {
        return create(0);
    }

    /** A new empty listpack with room for {@code capacity} bytes of entries. */
    public static byte[] create(int capacity) {
        byte[] lp = new byte[HEADER_SIZE + 1 + capacity];
        setTotalBytes(lp, HEADER_SIZE + 1);
        lp[HEADER_SIZE] = (byte) EOF;
        return lp;
    }

    /** Total bytes of the listpack (header, entries and terminator). */
    public static int bytes(byte[] lp) {
        return (int) U32.get(lp, 0);
    }

    private static void setTotalBytes(byte[] lp, int n) {
        U32.set(lp, 0, n);
    }

    private static int headerCount(byte[] lp) {
        return (short) U16.get(lp, 4) & 0xffff;
    }

    private static void setHeaderCount(byte[] lp, int n) {
        U16.set(lp, 4, (short) n);
    }

    /** Number of entries (Redis's lpLength; walks only past 65534 entries). */
    public static int size(byte[] lp) {
        int n = headerCount(lp);
        if (n != NUMELE_UNKNOWN) return n;
        int count = 0;
        for (int p = first(lp); p >= 0; p = next(lp, p)) count++;
        if (count < NUMELE_UNKNOWN) setHeaderCount(lp, count);
        return count;
    }

    /** The exact listpack bytes (what RDB stores). */
    public static byte[] toBytes(byte[] lp) {
        int n = bytes(lp);
        return n == lp.length ? lp.clone() : Arrays.copyOf(lp, n);
    }

    /** The listpack without spare capacity (the same array if it has none). */
    public static byte[] trim(byte[] lp) {
        int n = bytes(lp);
        return n == lp.length ? lp : Arrays.copyOf(lp, n);
    }

    // ---------------------------------------------------------------- navigation

    /** Offset of the first entry, or -1 if empty. */
    public static int first(byte[] lp) {
        return (lp[HEADER_SIZE] & 0xff) == EOF ? -1 : HEADER_SIZE;
    }

    /** Offset of the last entry, or -1 if empty. */
    public static int last(byte[] lp) {
        int end = bytes(lp) - 1;
        return end == HEADER_SIZE ? -1 : prevFrom(lp, end);
    }

    /** Offset of the entry after p, or -1 at the end. */
    public static int next(byte[] lp, int p) {
        int q = p + entryBytes(lp, p);
        return (lp[q] & 0xff) == EOF ? -1 : q;
    }

    /** Offset of the entry before p, or -1 at the start. */
    public static int prev(byte[] lp, int p) {
        return p == HEADER_SIZE ? -1 : prevFrom(lp, p);
    }

    /** The entry ending just before offset end (end is an entry start or the terminator). */
    private static int prevFrom(byte[] lp, int end) {
        int q = end - 1;
        int len = 0, shift = 0;
        while (true) {
            int b = lp[q] & 0xff;
            len |= (b & 127) << shift;
            if ((b & 128) == 0) break;
            shift += 7;
            q--;
        }
        return end - backlenSize(len) - len;
    }

    /** Offset of the entry at index (negative counts from the end), or -1 if out of range. */
    public static int seek(byte[] lp, long index) {
        int n = size(lp);
        if (index < 0) index += n;
        if (index < 0 || index >= n) return -1;
        if (index <= n / 2) {
            int p = first(lp);
            for (long i = 0; i < index; i++) p = next(lp, p);
            return p;
        }
        int p = last(lp);
        for (long i = n - 1; i > index; i--) p = prev(lp, p);
        return p;
    }

    /** Size of the entry at p including its backlen. */
    public static int entryBytes(byte[] lp, int p) {
        int l = (int) encodedSize(lp, p);
        return l + backlenSize(l);
    }

    /**
     * Size of the encoding byte(s) and data of the entry at p (what the backlen stores; Redis's
     * lpCurrentEncodedSizeUnsafe). A long: a corrupt 32-bit string length may claim up to 4 GB.
     */
    public static long encodedSize(byte[] lp, int p) {
        int b = lp[p] & 0xff;
        if ((b & 0x80) == 0) return 1;
        if ((b & 0xC0) == 0x80) return 1 + (b & 0x3F);
        if ((b & 0xE0) == 0xC0) return 2;
        if ((b & 0xF0) == 0xE0) return 2 + (((b & 0x0F) << 8) | (lp[p + 1] & 0xff));
        return switch (b) {
            case ENC_16BIT_INT -> 3;
            case ENC_24BIT_INT -> 4;
            case ENC_32BIT_INT -> 5;
            case ENC_64BIT_INT -> 9;
            case ENC_32BIT_STR -> 5 + ((int) U32.get(lp, p + 1) & 0xffffffffL);
            default -> throw new IllegalStateException("bad listpack encoding " + b);
        };
    }

    /** Bytes of the backlen that stores length l (lpEncodeBacklen's thresholds). */
    public static int backlenSize(long l) {
        if (l <= 127) return 1;
        if (l < 16383) return 2;
        if (l < 2097151) return 3;
        if (l < 268435455) return 4;
        return 5;
    }

    // ---------------------------------------------------------------- reading

    /** True if the entry at p is stored as an integer. */
    public static boolean isInt(byte[] lp, int p) {
        int b = lp[p] & 0xff;
        return (b & 0x80) == 0 || (b & 0xE0) == 0xC0 || (b >= ENC_16BIT_INT && b <= ENC_64BIT_INT);
    }

    /** The integer value of the entry at p; only valid when {@link #isInt}. */
    public static long getInt(byte[] lp, int p) {
        int b = lp[p] & 0xff;
        if ((b & 0x80) == 0) return b;
        if ((b & 0xE0) == 0xC0) return ((((b & 0x1F) << 8) | (lp[p + 1] & 0xff)) << 19) >> 19;
        return switch (b) {
            case ENC_16BIT_INT -> (short) U16.get(lp, p + 1);
            case ENC_24BIT_INT -> (((lp[p + 1] & 0xff) | ((lp[p + 2] & 0xff) << 8) | ((lp[p + 3] & 0xff) << 16)) << 8) >> 8;
            case ENC_32BIT_INT -> (int) U32.get(lp, p + 1);
            default -> (long) I64.get(lp, p + 1);
        };
    }

    /** Offset of the string bytes of the entry at p; only valid when not {@link #isInt}. */
    public static int strOffset(byte[] lp, int p) {
        int b = lp[p] & 0xff;
        if ((b & 0xC0) == 0x80) return p + 1;
        if ((b & 0xF0) == 0xE0) return p + 2;
        return p + 5;
    }

    /** Length of the string of the entry at p; only valid when not {@link #isInt}. */
    public static int strLength(byte[] lp, int p) {
        int b = lp[p] & 0xff;
        if ((b & 0xC0) == 0x80) return b & 0x3F;
        if ((b & 0xF0) == 0xE0) return ((b & 0x0F) << 8) | (lp[p + 1] & 0xff);
        return (int) U32.get(lp, p + 1);
    }

    /** The entry's value as bytes (integers in decimal, as Redis's lpGet renders them). */
    public static byte[] get(byte[] lp, int p) {
        if (isInt(lp, p)) return Long.toString(getInt(lp, p)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int off = strOffset(lp, p);
        return Arrays.copyOfRange(lp, off, off + strLength(lp, p));
    }

    /** Length of the entry's value as a string (integers: their decimal length). */
    public static int valueLength(byte[] lp, int p) {
        if (!isInt(lp, p)) return strLength(lp, p);
        return decimalLength(getInt(lp, p));
    }

    static int decimalLength(long v) {
        if (v == Long.MIN_VALUE) return 20;
        int n = v < 0 ? 2 : 1;
        long u = Math.abs(v);
        while (u >= 10) {
            u /= 10;
            n++;
        }
        return n;
    }

    /** True if the entry at p equals s (Redis's lpCompare). */
    public static boolean eq(byte[] lp, int p, byte[] s) {
        if (isInt(lp, p)) {
            long v = Numbers.parseLong(s);
            return Numbers.isValidLong(v, s) && v == getInt(lp, p);
        }
        int off = strOffset(lp, p), len = strLength(lp, p);
        return Arrays.equals(lp, off, off + len, s, 0, s.length);
    }

    /**
     * Offset of the first entry at or after p equal to s, looking at every (skip+1)-th entry (skip 1
     * finds hash fields and skips their values), or -1 (Redis's lpFind).
     */
    public static int find(byte[] lp, int p, byte[] s, int skip) {
        // Parse s once: an integer-encoded entry can only equal a canonical integer string.
        long sv = Numbers.parseLong(s);
        boolean sIsInt = Numbers.isValidLong(sv, s);
        int skipped = 0;
        while (p >= 0) {
            if (skipped == 0) {
                if (isInt(lp, p)) {
                    if (sIsInt && getInt(lp, p) == sv) return p;
                } else {
                    // Compared as bytes even when s is an integer: a RESTOREd listpack may hold a
                    // canonical integer as a string entry, and Redis's lpFind finds it.
                    int off = strOffset(lp, p), len = strLength(lp, p);
                    if (len == s.length && Arrays.equals(lp, off, off + len, s, 0, len)) return p;
                }
                skipped = skip;
            } else {
                skipped--;
            }
            p = next(lp, p);
        }
        return -1;
    }

    // ---------------------------------------------------------------- writing

    /** Appends s at the end. */
    public static byte[] append(byte[] lp, byte[] s) {
        return insertAt(lp, bytes(lp) - 1, s);
    }

    /** Appends the integer v at the end. */
    public static byte[] appendLong(byte[] lp, long v) {
        return insertEncoded(lp, bytes(lp) - 1, null, v);
    }

    /** Inserts s before the first entry. */
    public static byte[] prepend(byte[] lp, byte[] s) {
        return insertAt(lp, HEADER_SIZE, s);
    }

    /**
     * Inserts s at offset p, which is an entry's offset (s goes before it) or the terminator's
     * (s is appended). The new entry is at offset p of the returned array.
     */
    public static byte[] insertAt(byte[] lp, int p, byte[] s) {
        long v = Numbers.parseLong(s);
        if (Numbers.isValidLong(v, s)) return insertEncoded(lp, p, null, v);
        return insertEncoded(lp, p, s, 0);
    }

    /** Inserts the integer v at offset p, as {@link #insertAt} does for a string. */
    public static byte[] insertLongAt(byte[] lp, int p, long v) {
        return insertEncoded(lp, p, null, v);
    }

    /** Offset just past the last entry: {@link #insertAt} there appends. */
    public static int end(byte[] lp) {
        return bytes(lp) - 1;
    }

    /** Replaces the entry at p with s; the new entry is at offset p. */
    public static byte[] replace(byte[] lp, int p, byte[] s) {
        long v = Numbers.parseLong(s);
        boolean isInt = Numbers.isValidLong(v, s);
        return replaceEncoded(lp, p, isInt ? null : s, v);
    }

    /** Replaces the entry at p with the integer v. */
    public static byte[] replaceLong(byte[] lp, int p, long v) {
        return replaceEncoded(lp, p, null, v);
    }

    /** Deletes the entry at p; what followed it is now at p (check {@link #isEnd}). */
    public static byte[] delete(byte[] lp, int p) {
        return deleteRange(lp, p, 1);
    }

    /** Deletes up to n entries starting at p. */
    public static byte[] deleteRange(byte[] lp, int p, int n) {
        int total = bytes(lp);
        int q = p, deleted = 0;
        while (deleted < n && (lp[q] & 0xff) != EOF) {
            q += entryBytes(lp, q);
            deleted++;
        }
        System.arraycopy(lp, q, lp, p, total - q);
        setTotalBytes(lp, total - (q - p));
        adjustCount(lp, -deleted);
        return lp;
    }

    /** True if offset p is the terminator (nothing follows). */
    public static boolean isEnd(byte[] lp, int p) {
        return (lp[p] & 0xff) == EOF;
    }

    private static void adjustCount(byte[] lp, int delta) {
        int n = headerCount(lp);
        if (n != NUMELE_UNKNOWN) setHeaderCount(lp, Math.min(n + delta, NUMELE_UNKNOWN));
    }

    /** Writes the entry (string s, or the integer v when s is null) at p, shifting the rest. */
    private static byte[] insertEncoded(byte[] lp, int p, byte[] s, long v) {
        int enc = s == null ? intEncodedBytes(v) : strEncodedBytes(s.length);
        int size = enc + backlenSize(enc);
        int total = bytes(lp);
        lp = ensureCapacity(lp, total + size);
        System.arraycopy(lp, p, lp, p + size, total - p);
        writeEntry(lp, p, s, v, enc);
        setTotalBytes(lp, total + size);
        adjustCount(lp, 1);
        return lp;
    }

    private static byte[] replaceEncoded(byte[] lp, int p, byte[] s, long v) {
        int enc = s == null ? intEncodedBytes(v) : strEncodedBytes(s.length);
        int size = enc + backlenSize(enc);
        int old = entryBytes(lp, p);
        int total = bytes(lp);
        if (size != old) {
            lp = ensureCapacity(lp, total + size - old);
            System.arraycopy(lp, p + old, lp, p + size, total - p - old);
            setTotalBytes(lp, total + size - old);
        }
        writeEntry(lp, p, s, v, enc);
        return lp;
    }

    /**
     * Growth leaves 1/8 spare so runs of appends copy rarely, while small collections stay within
     * about what jemalloc's size classes waste for Redis.
     */
    private static byte[] ensureCapacity(byte[] lp, int need) {
        if (need <= lp.length) return lp;
        int cap = need + (need >>> 3);
        return Arrays.copyOf(lp, (cap + 7) & ~7);
    }

    private static int intEncodedBytes(long v) {
        if (v >= 0 && v <= 127) return 1;
        if (v >= -4096 && v <= 4095) return 2;
        if (v >= -32768 && v <= 32767) return 3;
        if (v >= -8388608 && v <= 8388607) return 4;
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) return 5;
        return 9;
    }

    private static int strEncodedBytes(int len) {
        if (len < 64) return 1 + len;
        if (len < 4096) return 2 + len;
        return 5 + len;
    }

    /** Encodes one entry of enc bytes (plus its backlen) at p. */
    private static void writeEntry(byte[] lp, int p, byte[] s, long v, int enc) {
        if (s == null) {
            switch (enc) {
                case 1 -> lp[p] = (byte) v;
                case 2 -> {
                    int u = (int) v & 0x1FFF;
                    lp[p] = (byte) (0xC0 | (u >>> 8));
                    lp[p + 1] = (byte) u;
                }
                case 3 -> {
                    lp[p] = (byte) ENC_16BIT_INT;
                    U16.set(lp, p + 1, (short) v);
                }
                case 4 -> {
                    lp[p] = (byte) ENC_24BIT_INT;
                    lp[p + 1] = (byte) v;
                    lp[p + 2] = (byte) (v >>> 8);
                    lp[p + 3] = (byte) (v >>> 16);
                }
                case 5 -> {
                    lp[p] = (byte) ENC_32BIT_INT;
                    U32.set(lp, p + 1, (int) v);
                }
                default -> {
                    lp[p] = (byte) ENC_64BIT_INT;
                    I64.set(lp, p + 1, v);
                }
            }
        } else {
            int len = s.length, off;
            if (len < 64) {
                lp[p] = (byte) (0x80 | len);
                off = p + 1;
            } else if (len < 4096) {
                lp[p] = (byte) (0xE0 | (len >>> 8));
                lp[p + 1] = (byte) len;
                off = p + 2;
            } else {
                lp[p] = (byte) ENC_32BIT_STR;
                U32.set(lp, p + 1, len);
                off = p + 5;
            }
            System.arraycopy(s, 0, lp, off, len);
        }
        writeBacklen(lp, p + enc, enc);
    }

    /** lpEncodeBacklen: the most significant 7-bit group first; every byte but the first has bit 7 set. */
    private static void writeBacklen(byte[] lp, int q, int l) {
        int n = backlenSize(l);
        for (int i = n - 1; i >= 0; i--) {
            lp[q + i] = (byte) ((l & 127) | (i == 0 ? 0 : 128));
            l >>>= 7;
        }
    }

    // ---------------------------------------------------------------- validation

    /**
     * Checks the structure (Redis's lpValidateIntegrity with deep checks): header total within the
     * array, every entry's encoding, lengths and backlen consistent, the count matching, the
     * terminator last. Returns null if valid, else what is wrong. Never throws on corrupt input.
     */
    public static String validate(byte[] lp) {
        if (lp.length < HEADER_SIZE + 1) return "too short";
        int total = bytes(lp);
        if (total < HEADER_SIZE + 1 || total > lp.length) return "bad total bytes " + total;
        if ((lp[total - 1] & 0xff) != EOF) return "no terminator";
        int p = HEADER_SIZE, count = 0;
        while (p < total - 1) {
            int b = lp[p] & 0xff;
            if (b == EOF) return "terminator at " + p;
            if (b > ENC_64BIT_INT && b != EOF) return "bad encoding at " + p;
            int need = (b & 0xF0) == 0xE0 || (b & 0xE0) == 0xC0 ? 2 : b == ENC_32BIT_STR ? 5 : 1;
            if (p + need > total - 1) return "truncated entry at " + p;
            long enc = encodedSize(lp, p);
            int bl = backlenSize(enc);
            long size = enc + bl;
            if (p + size > total - 1) return "entry overflows at " + p;
            // Compare the backlen bytes with their encoding rather than decoding them backwards,
            // which could run off the array on corrupt input.
            long l = enc;
            for (int i = bl - 1; i >= 0; i--, l >>>= 7) {
                int expected = (int) (l & 127) | (i == 0 ? 0 : 128);
                if ((lp[(int) (p + enc + i)] & 0xff) != expected) return "bad backlen at " + p;
            }
            p = (int) (p + size);
            count++;
        }
        int hc = headerCount(lp);
        if (hc != NUMELE_UNKNOWN && hc != count) return "count " + hc + " but " + count + " entries";
        return null;
    }

    /** Estimated heap bytes of the array (MemorySize's array formula). */
    public static long memoryBytes(byte[] lp) {
        return (16L + lp.length + 7) & ~7L;
    }
}
