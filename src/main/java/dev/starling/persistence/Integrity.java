package dev.starling.persistence;

import dev.starling.keyspace.Dict;
import dev.starling.protocol.Numbers;
import dev.starling.types.SetValue;

/**
 * The integrity checks Redis runs on the blobs inside RDB values (listpack.c lpValidateIntegrity,
 * ziplist.c ziplistValidateIntegrity, zipmap.c zipmapValidateIntegrity, intset.c
 * intsetValidateIntegrity, t_stream.c streamValidateListpackIntegrity), reproduced decision for
 * decision so a payload is accepted exactly when redis-server 7.0 in sanitize-dump-payload yes
 * mode accepts it. Every function reads only inside the array and never throws on corrupt input.
 *
 * <p>The ziplist and zipmap walkers also decode the entries for the loader, through callbacks, as
 * Redis converts those legacy encodings while validating them.
 */
final class Integrity {
    private Integrity() {}

    // ---------------------------------------------------------------- listpack

    static final int LP_HDR_SIZE = 6, LP_EOF = 0xFF, LP_HDR_NUMELE_UNKNOWN = 65535;

    /** Receives each entry during a deep listpack validation; false rejects the listpack. */
    interface LpEntryCheck {
        boolean entry(byte[] lp, int p);
    }

    private static long u32(byte[] b, int p) {
        return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24;
    }

    /** lpCurrentEncodedSizeBytes: bytes of the encoding header, 0 if the encoding byte is invalid. */
    private static int lpEncodedSizeBytes(int b) {
        if ((b & 0x80) == 0) return 1; // 7-bit uint
        if ((b & 0xC0) == 0x80) return 1; // 6-bit string
        if ((b & 0xE0) == 0xC0) return 1; // 13-bit int
        if (b >= 0xF1 && b <= 0xF4) return 1; // 16/24/32/64-bit int
        if ((b & 0xF0) == 0xE0) return 2; // 12-bit string
        if (b == 0xF0) return 5; // 32-bit string
        if (b == LP_EOF) return 1;
        return 0;
    }

    /** lpDecodeBacklen reading backwards from p; -1 (UINT64_MAX) past 5 bytes. */
    private static long lpDecodeBacklen(byte[] lp, int p) {
        long val = 0;
        int shift = 0;
        while (true) {
            int b = lp[p] & 0xff;
            val |= (long) (b & 127) << shift;
            if ((b & 128) == 0) break;
            shift += 7;
            p--;
            if (shift > 28 || p < 0) return -1;
        }
        return val;
    }

    /**
     * lpValidateNext: validates the entry at p of lp (total bytes {@code bytes}) and returns the
     * offset of the next entry, {@link #LP_END} if p is the terminator, or {@link #LP_BAD}.
     */
    static int lpValidateNext(byte[] lp, int p, int bytes) {
        if (p < LP_HDR_SIZE || p > bytes - 1) return LP_BAD;
        int b = lp[p] & 0xff;
        if (b == LP_EOF) return LP_END;
        int lenbytes = lpEncodedSizeBytes(b);
        if (lenbytes == 0) return LP_BAD;
        if ((long) p + lenbytes > bytes - 1) return LP_BAD;
        long entrylen = dev.starling.types.Listpack.encodedSize(lp, p);
        int backlen = dev.starling.types.Listpack.backlenSize(entrylen);
        entrylen += backlen;
        if (p + entrylen > bytes - 1) return LP_BAD;
        int next = (int) (p + entrylen);
        long prevlen = lpDecodeBacklen(lp, next - 1);
        if (prevlen < 0 || prevlen + backlen != entrylen) return LP_BAD;
        return next;
    }

    static final int LP_END = -1, LP_BAD = -2;

    /**
     * lpValidateIntegrity over the whole of lp (its allocation is lp.length bytes). Without deep,
     * only the header; with deep, every entry, the terminator's position and the count.
     */
    static boolean listpack(byte[] lp, boolean deep, LpEntryCheck check) {
        int size = lp.length;
        if (size < LP_HDR_SIZE + 1) return false;
        if (u32(lp, 0) != size) return false;
        if ((lp[size - 1] & 0xff) != LP_EOF) return false;
        if (!deep) return true;
        long count = 0;
        int numele = (lp[4] & 0xff) | (lp[5] & 0xff) << 8;
        int p = LP_HDR_SIZE;
        while ((lp[p] & 0xff) != LP_EOF) {
            int prev = p;
            int next = lpValidateNext(lp, p, size);
            if (next == LP_BAD) return false;
            if (check != null && !check.entry(lp, prev)) return false;
            count++;
            if (next == LP_END) {
                p = -1;
                break;
            }
            p = next;
        }
        if (p != size - 1) return false;
        return numele == LP_HDR_NUMELE_UNKNOWN || numele == count;
    }

    /**
     * lpValidateIntegrityAndDups (lpPairsValidateIntegrityAndDups in 7.0): the deep listpack check
     * plus, for tuples of tupleLen entries, no repeated first entry (the hash field or zset member)
     * and a whole number of tuples. tupleLen 1 checks every entry (a set).
     */
    static boolean listpackTuples(byte[] lp, boolean deep, int tupleLen) {
        if (!deep) return listpack(lp, false, null);
        Dict<SetValue.Member> seen = SetValue.newMemberDict();
        long[] count = {0};
        boolean ok = listpack(lp, true, (b, p) -> {
            if (count[0]++ % tupleLen != 0) return true;
            byte[] field = dev.starling.types.Listpack.get(b, p);
            if (seen.get(field) != null) return false;
            seen.add(field);
            return true;
        });
        return ok && count[0] % tupleLen == 0;
    }

    // ---------------------------------------------------------------- intset

    /** intsetValidateIntegrity: a known encoding, the exact size, not empty; deep: strictly ascending. */
    static boolean intset(byte[] is, boolean deep) {
        int size = is.length;
        if (size < 8) return false;
        long enc = u32(is, 0);
        if (enc != 2 && enc != 4 && enc != 8) return false;
        long count = u32(is, 4);
        if (8 + count * enc != size) return false;
        if (count == 0) return false;
        if (!deep) return true;
        long prev = intsetGet(is, 0, (int) enc);
        for (int i = 1; i < count; i++) {
            long cur = intsetGet(is, i, (int) enc);
            if (cur <= prev) return false;
            prev = cur;
        }
        return true;
    }

    private static long intsetGet(byte[] is, int i, int enc) {
        int p = 8 + i * enc;
        return switch (enc) {
            case 2 -> (short) ((is[p] & 0xff) | (is[p + 1] & 0xff) << 8);
            case 4 -> (int) u32(is, p);
            default -> u32(is, p) | u32(is, p + 4) << 32;
        };
    }

    // ---------------------------------------------------------------- ziplist (Redis < 7.0)

    /** Receives each ziplist entry: a string (bytes at off, len) or an integer; false rejects. */
    interface ZipEntryCheck {
        boolean entry(byte[] zl, int strOff, int strLen, long value, boolean isString, int headerCount);
    }

    private static final int ZIPLIST_HEADER_SIZE = 10, ZIP_END = 0xFF, ZIP_BIG_PREVLEN = 254;
    private static final int ZIP_INT_16B = 0xC0, ZIP_INT_32B = 0xD0, ZIP_INT_64B = 0xE0, ZIP_INT_24B = 0xF0,
            ZIP_INT_8B = 0xFE, ZIP_INT_IMM_MIN = 0xF1, ZIP_INT_IMM_MAX = 0xFD;

    /**
     * ziplistValidateIntegrity (always deep, as Redis calls it for conversion): header fields,
     * every entry inside the list (zipEntrySafe), each prevlen equal to the previous entry's size,
     * the tail offset pointing at the last entry and the count matching; then each entry is passed
     * to check in order.
     */
    static boolean ziplist(byte[] zl, ZipEntryCheck check) {
        int size = zl.length;
        if (size < ZIPLIST_HEADER_SIZE + 1) return false;
        if (u32(zl, 0) != size) return false;
        if ((zl[size - 1] & 0xff) != ZIP_END) return false;
        long tail = u32(zl, 4);
        if (tail > size - 1) return false;
        int headerCount = (zl[8] & 0xff) | (zl[9] & 0xff) << 8;
        long count = 0;
        long p = ZIPLIST_HEADER_SIZE;
        long prev = -1, prevRawSize = 0;
        final long first = ZIPLIST_HEADER_SIZE, last = size - 1;
        while ((zl[(int) p] & 0xff) != ZIP_END) {
            // zipEntrySafe
            if (p < first || p > last) return false;
            int prevlensize = (zl[(int) p] & 0xff) < ZIP_BIG_PREVLEN ? 1 : 5;
            if (p + prevlensize > last) return false;
            int encByte = zl[(int) (p + prevlensize)] & 0xff;
            int encoding = encByte < 0xC0 ? encByte & 0xC0 : encByte;
            int lensize = zipEncodingLenSize(encoding);
            if (lensize == 0) return false;
            if (p + prevlensize + lensize > last) return false;
            long prevlen = prevlensize == 1 ? zl[(int) p] & 0xff : u32(zl, (int) p + 1);
            int q = (int) (p + prevlensize);
            long len;
            if (encoding < 0xC0) {
                if (encoding == 0x00) len = zl[q] & 0x3F;
                else if (encoding == 0x40) len = ((zl[q] & 0x3F) << 8) | (zl[q + 1] & 0xff);
                else len = (zl[q + 1] & 0xffL) << 24 | (zl[q + 2] & 0xffL) << 16 | (zl[q + 3] & 0xffL) << 8 | (zl[q + 4] & 0xffL);
            } else {
                len = zipIntSize(encoding);
            }
            long headersize = prevlensize + lensize;
            if (p + headersize + len < first || p + headersize + len > last) return false;
            if (p - prevlen < first || p - prevlen > last) return false;
            // the entry itself
            if (prevlen != prevRawSize) return false;
            if (check != null) {
                int data = (int) (p + headersize);
                boolean ok = encoding < 0xC0
                        ? check.entry(zl, data, (int) len, 0, true, headerCount)
                        : check.entry(zl, 0, 0, zipLoadInteger(zl, data, encoding), false, headerCount);
                if (!ok) return false;
            }
            prevRawSize = headersize + len;
            prev = p;
            p += headersize + len;
            count++;
        }
        if (p != size - 1) return false;
        if (prev != -1 && prev != tail) return false;
        return headerCount == 0xFFFF || count == headerCount;
    }

    private static int zipEncodingLenSize(int encoding) {
        if (encoding == ZIP_INT_16B || encoding == ZIP_INT_32B || encoding == ZIP_INT_24B || encoding == ZIP_INT_64B
                || encoding == ZIP_INT_8B) return 1;
        if (encoding >= ZIP_INT_IMM_MIN && encoding <= ZIP_INT_IMM_MAX) return 1;
        if (encoding == 0x00) return 1;
        if (encoding == 0x40) return 2;
        if (encoding == 0x80) return 5;
        return 0;
    }

    private static int zipIntSize(int encoding) {
        return switch (encoding) {
            case ZIP_INT_8B -> 1;
            case ZIP_INT_16B -> 2;
            case ZIP_INT_24B -> 3;
            case ZIP_INT_32B -> 4;
            case ZIP_INT_64B -> 8;
            default -> 0; // 4-bit immediate
        };
    }

    private static long zipLoadInteger(byte[] zl, int p, int encoding) {
        return switch (encoding) {
            case ZIP_INT_8B -> zl[p];
            case ZIP_INT_16B -> (short) ((zl[p] & 0xff) | (zl[p + 1] & 0xff) << 8);
            case ZIP_INT_24B -> ((zl[p] & 0xff) << 8 | (zl[p + 1] & 0xff) << 16 | (zl[p + 2] & 0xff) << 24) >> 8;
            case ZIP_INT_32B -> (int) u32(zl, p);
            case ZIP_INT_64B -> u32(zl, p) | u32(zl, p + 4) << 32;
            default -> (encoding & 0x0F) - 1;
        };
    }

    // ---------------------------------------------------------------- zipmap (Redis < 2.6)

    private static final int ZIPMAP_BIGLEN = 254, ZIPMAP_END = 255;

    /** zipmapValidateIntegrity (deep, as Redis always calls it): entries inside, not empty, count right. */
    static boolean zipmap(byte[] zm) {
        int size = zm.length;
        if (size < 2) return false;
        if ((zm[size - 1] & 0xff) != ZIPMAP_END) return false;
        long count = 0;
        long p = 1;
        while ((zm[(int) p] & 0xff) != ZIPMAP_END) {
            int s = (zm[(int) p] & 0xff) < ZIPMAP_BIGLEN ? 1 : 5;
            if (zipmapOut(p + s, size)) return false;
            long l = zipmapDecodeLength(zm, (int) p);
            p += s;
            p += l;
            if (zipmapOut(p, size)) return false;
            s = (zm[(int) p] & 0xff) < ZIPMAP_BIGLEN ? 1 : 5;
            if (zipmapOut(p + s, size)) return false;
            l = zipmapDecodeLength(zm, (int) p);
            p += s;
            long e = zm[(int) p++] & 0xff;
            p += (l + e) & 0xFFFFFFFFL; // unsigned int arithmetic in C
            count++;
            if (zipmapOut(p, size)) return false;
        }
        if (count == 0) return false;
        int header = zm[0] & 0xff;
        return header == ZIPMAP_BIGLEN || header == count;
    }

    private static boolean zipmapOut(long p, int size) {
        return p < 2 || p > size - 1;
    }

    private static long zipmapDecodeLength(byte[] zm, int p) {
        int len = zm[p] & 0xff;
        if (len < ZIPMAP_BIGLEN) return len;
        return u32(zm, p + 1);
    }

    /** Receives one zipmap pair (field and value as offsets into the zipmap); false rejects. */
    interface ZipmapPair {
        boolean pair(byte[] zm, int fieldOff, int fieldLen, int valueOff, int valueLen);
    }

    /**
     * zipmapNext over a validated zipmap. Redis sizes each length header by the decoded value
     * rather than its first byte, so a non-canonical header walks differently from the
     * validation; the walk is bounds-checked and fails where Redis would read outside.
     */
    static boolean zipmapPairs(byte[] zm, ZipmapPair visitor) {
        int size = zm.length;
        long p = 1;
        while (true) {
            if (p < 0 || p > size - 1) return false;
            if ((zm[(int) p] & 0xff) == ZIPMAP_END) return true;
            if (p + 4 > size - 1 && (zm[(int) p] & 0xff) >= ZIPMAP_BIGLEN) return false;
            long klen = zipmapDecodeLength(zm, (int) p);
            long key = p + (klen < ZIPMAP_BIGLEN ? 1 : 5);
            p = key + klen; // zipmapRawKeyLength
            if (p > size - 1) return false;
            if (p + 4 > size - 1 && (zm[(int) p] & 0xff) >= ZIPMAP_BIGLEN) return false;
            long vlen = zipmapDecodeLength(zm, (int) p);
            int used = vlen < ZIPMAP_BIGLEN ? 1 : 5;
            if (p + used > size - 1) return false;
            long value = p + 1 + used; // Redis: zm+1, then past the length bytes (skipping the free byte)
            long free = zm[(int) (p + used)] & 0xff;
            long end = p + used + free + 1 + vlen;
            if (value + vlen > size - 1 || end > size - 1) return false;
            if (klen > Integer.MAX_VALUE || vlen > Integer.MAX_VALUE) return false;
            if (!visitor.pair(zm, (int) key, (int) klen, (int) value, (int) vlen)) return false;
            p = end;
        }
    }

    // ---------------------------------------------------------------- stream listpack

    /**
     * lpGetIntegerIfValid: true and the integer in out[0] if the entry at p is an integer, or a
     * string that string2ll parses.
     */
    private static boolean lpIntegerValid(byte[] lp, int p, long[] out) {
        // Redis reads the terminator as a bogus integer here, but every path that does so fails
        // at its next step, so refusing at once decides the same.
        if ((lp[p] & 0xff) == LP_EOF) return false;
        if (dev.starling.types.Listpack.isInt(lp, p)) {
            out[0] = dev.starling.types.Listpack.getInt(lp, p);
            return true;
        }
        int off = dev.starling.types.Listpack.strOffset(lp, p), len = dev.starling.types.Listpack.strLength(lp, p);
        long v = Numbers.parseLong(lp, off, len);
        // INVALID is also the value of one 20-character text; tell them apart.
        if (v == Numbers.INVALID && !Numbers.isValidLong(v, java.util.Arrays.copyOfRange(lp, off, off + len))) return false;
        out[0] = v;
        return true;
    }

    /**
     * streamValidateListpackIntegrity: the listpack header; deep: the master entry (count, deleted,
     * fields, zero terminator) and every entry's layout (flags, ID deltas, fields or values by the
     * SAMEFIELDS flag, lp-count) for count+deleted entries, and nothing after them.
     */
    static boolean streamListpack(byte[] lp, boolean deep) {
        if (!listpack(lp, false, null)) return false;
        if (!deep) return true;
        int size = lp.length;
        long[] v = new long[1];
        int p = (lp[LP_HDR_SIZE] & 0xff) == LP_EOF ? LP_END : LP_HDR_SIZE;
        if (p == LP_END) return false; // lpValidateNext of NULL
        int next = lpValidateNext(lp, p, size);
        if (next == LP_BAD) return false;
        // entry count
        if (!lpIntegerValid(lp, p, v)) return false;
        long entryCount = v[0];
        p = next;
        if ((next = step(lp, p, size)) == LP_BAD) return false;
        // deleted
        if (!lpIntegerValid(lp, p, v)) return false;
        long deleted = v[0];
        p = next;
        if ((next = step(lp, p, size)) == LP_BAD) return false;
        // master fields
        if (!lpIntegerValid(lp, p, v)) return false;
        long masterFields = v[0];
        p = next;
        if ((next = step(lp, p, size)) == LP_BAD) return false;
        for (long j = 0; j < masterFields; j++) {
            p = next;
            if ((next = step(lp, p, size)) == LP_BAD) return false;
        }
        // the zero terminator of the master entry
        if (!lpIntegerValid(lp, p, v) || v[0] != 0) return false;
        p = next;
        if ((next = step(lp, p, size)) == LP_BAD) return false;
        entryCount += deleted;
        while (entryCount-- != 0) {
            if (p == LP_END) return false;
            long fields = masterFields, extra = 3;
            if (!lpIntegerValid(lp, p, v)) return false;
            long flags = v[0];
            p = next;
            if ((next = step(lp, p, size)) == LP_BAD) return false;
            if (!lpIntegerValid(lp, p, v)) return false; // ms delta
            p = next;
            if ((next = step(lp, p, size)) == LP_BAD) return false;
            if (!lpIntegerValid(lp, p, v)) return false; // seq delta
            p = next;
            if ((next = step(lp, p, size)) == LP_BAD) return false;
            if ((flags & 2) == 0) {
                if (!lpIntegerValid(lp, p, v)) return false;
                fields = v[0];
                p = next;
                if ((next = step(lp, p, size)) == LP_BAD) return false;
                for (long j = 0; j < fields; j++) {
                    p = next;
                    if ((next = step(lp, p, size)) == LP_BAD) return false;
                }
                extra += fields + 1;
            }
            for (long j = 0; j < fields; j++) {
                p = next;
                if ((next = step(lp, p, size)) == LP_BAD) return false;
            }
            if (!lpIntegerValid(lp, p, v)) return false;
            if (v[0] != fields + extra) return false;
            p = next;
            if ((next = step(lp, p, size)) == LP_BAD) return false;
        }
        return next == LP_END;
    }

    /** lpValidateNext(lp, &next): a NULL cursor (LP_END) fails, the terminator yields LP_END. */
    private static int step(byte[] lp, int p, int size) {
        if (p == LP_END) return LP_BAD;
        return lpValidateNext(lp, p, size);
    }
}
