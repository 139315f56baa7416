package dev.starling.persistence;

import dev.starling.protocol.Numbers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A test-only writer of the RDB formats Redis no longer writes (ziplists, zipmaps, linked lists,
 * text doubles, quicklists of ziplists, version-1 streams), following the layouts documented in
 * Redis's ziplist.c, zipmap.c and rdb.c, so the reader's legacy paths can be tested against what
 * redis-server 7.0 makes of the same payloads.
 */
final class LegacyEncoder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    LegacyEncoder type(int t) {
        out.write(t);
        return this;
    }

    LegacyEncoder raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    LegacyEncoder len(long len) {
        RdbWriter w = RdbWriter.toMemory(false, false);
        w.saveLen(len);
        out.writeBytes(w.toByteArray());
        return this;
    }

    /** A string in RDB form: plain, so the reader's integer and LZF paths are exercised elsewhere. */
    LegacyEncoder string(byte[] s) {
        len(s.length);
        out.writeBytes(s);
        return this;
    }

    LegacyEncoder string(String s) {
        return string(b(s));
    }

    /** A string the way rdbSaveRawString writes it (integer encodings, LZF). */
    LegacyEncoder encodedString(String s) {
        RdbWriter w = RdbWriter.toMemory(true, false);
        w.saveRawString(b(s));
        out.writeBytes(w.toByteArray());
        return this;
    }

    /** rdbSaveDoubleValue's text form. */
    LegacyEncoder textDouble(double d) {
        RdbWriter w = RdbWriter.toMemory(false, false);
        w.saveDoubleValue(d);
        out.writeBytes(w.toByteArray());
        return this;
    }

    LegacyEncoder binaryDouble(double d) {
        RdbWriter w = RdbWriter.toMemory(false, false);
        w.saveBinaryDoubleValue(d);
        out.writeBytes(w.toByteArray());
        return this;
    }

    byte[] body() {
        return out.toByteArray();
    }

    /** The body with a DUMP footer of the given RDB version. */
    byte[] payload(int version) {
        return RestoreCommandDifferentialTest.footer(body(), version);
    }

    // ---------------------------------------------------------------- ziplist

    /** A ziplist of the entries (canonical integers as ziplist integers, as zipTryEncoding does). */
    static byte[] ziplist(List<String> entries) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int prevlen = 0, tail = 10;
        for (String s : entries) {
            int start = e.size();
            tail = 10 + start;
            if (prevlen < 254) {
                e.write(prevlen);
            } else {
                e.write(0xFE);
                le32(e, prevlen);
            }
            byte[] v = b(s);
            long n = Numbers.parseLong(v);
            if (v.length > 0 && v.length < 32 && Numbers.isValidLong(n, v)) {
                if (n >= 0 && n <= 12) {
                    e.write(0xF1 + (int) n);
                } else if (n >= Byte.MIN_VALUE && n <= Byte.MAX_VALUE) {
                    e.write(0xFE);
                    e.write((int) n);
                } else if (n >= Short.MIN_VALUE && n <= Short.MAX_VALUE) {
                    e.write(0xC0);
                    e.write((int) n);
                    e.write((int) (n >> 8));
                } else if (n >= -(1 << 23) && n < (1 << 23)) {
                    e.write(0xF0);
                    for (int i = 0; i < 3; i++) e.write((int) (n >> (8 * i)));
                } else if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
                    e.write(0xD0);
                    le32(e, (int) n);
                } else {
                    e.write(0xE0);
                    for (int i = 0; i < 8; i++) e.write((int) (n >> (8 * i)));
                }
            } else if (v.length <= 63) {
                e.write(v.length);
                e.writeBytes(v);
            } else if (v.length <= 16383) {
                e.write(0x40 | (v.length >> 8));
                e.write(v.length & 0xff);
                e.writeBytes(v);
            } else {
                e.write(0x80);
                for (int i = 3; i >= 0; i--) e.write(v.length >> (8 * i));
                e.writeBytes(v);
            }
            prevlen = e.size() - start;
        }
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        le32(z, 10 + e.size() + 1);
        le32(z, entries.isEmpty() ? 10 : tail);
        int count = Math.min(entries.size(), 0xFFFF);
        z.write(count);
        z.write(count >> 8);
        z.writeBytes(e.toByteArray());
        z.write(0xFF);
        return z.toByteArray();
    }

    private static void le32(ByteArrayOutputStream o, int v) {
        for (int i = 0; i < 4; i++) o.write(v >> (8 * i));
    }

    // ---------------------------------------------------------------- zipmap

    /** A zipmap of field/value pairs (each value followed by `free` unused bytes). */
    static byte[] zipmap(List<String> pairs, int free) {
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        int n = pairs.size() / 2;
        z.write(n < 254 ? n : 254);
        for (int i = 0; i < pairs.size(); i += 2) {
            byte[] k = b(pairs.get(i)), v = b(pairs.get(i + 1));
            zipmapLen(z, k.length);
            z.writeBytes(k);
            zipmapLen(z, v.length);
            z.write(free);
            z.writeBytes(v);
            for (int f = 0; f < free; f++) z.write('#');
        }
        z.write(0xFF);
        return z.toByteArray();
    }

    private static void zipmapLen(ByteArrayOutputStream z, int len) {
        if (len < 254) {
            z.write(len);
        } else {
            z.write(254);
            le32(z, len);
        }
    }
}
