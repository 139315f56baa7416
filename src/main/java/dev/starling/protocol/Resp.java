package dev.starling.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * RESP2/RESP3 encoding into a {@link ByteBuf}, and the pre-encoded replies every command shares.
 *
 * <p>Numbers are written digit by digit into the buffer: no String, no boxing on the reply path.
 */
public final class Resp {
    private Resp() {}

    public static final byte[] CRLF = {'\r', '\n'};

    // Pre-encoded shared replies (Redis's shared.* objects).
    public static final byte[] OK = ascii("+OK\r\n");
    public static final byte[] PONG = ascii("+PONG\r\n");
    public static final byte[] QUEUED = ascii("+QUEUED\r\n");
    public static final byte[] CZERO = ascii(":0\r\n");
    public static final byte[] CONE = ascii(":1\r\n");
    public static final byte[] CNEGONE = ascii(":-1\r\n");
    public static final byte[] EMPTY_BULK = ascii("$0\r\n\r\n");
    public static final byte[] EMPTY_ARRAY = ascii("*0\r\n");
    public static final byte[] NULL_BULK_RESP2 = ascii("$-1\r\n");
    public static final byte[] NULL_ARRAY_RESP2 = ascii("*-1\r\n");
    public static final byte[] NULL_RESP3 = ascii("_\r\n");
    public static final byte[] TRUE_RESP3 = ascii("#t\r\n");
    public static final byte[] FALSE_RESP3 = ascii("#f\r\n");

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** True if b equals lower (a lower-case ASCII name) case-insensitively, as Redis's strcasecmp on arguments. */
    public static boolean equalsAscii(byte[] b, String lower) {
        if (b.length != lower.length()) return false;
        for (int i = 0; i < b.length; i++) {
            int x = b[i];
            if (x >= 'A' && x <= 'Z') x += 32;
            if (x != lower.charAt(i)) return false;
        }
        return true;
    }

    /** Writes the decimal digits of v (as Redis's ll2string). */
    public static void writeLong(ByteBuf out, long v) {
        if (v >= 0 && v < 10) {
            out.writeByte('0' + (int) v);
            return;
        }
        if (v == Long.MIN_VALUE) {
            out.writeBytes(ascii("-9223372036854775808"));
            return;
        }
        if (v < 0) {
            out.writeByte('-');
            v = -v;
        }
        int digits = digits(v);
        out.ensureWritable(digits);
        int end = out.writerIndex() + digits;
        for (int i = end - 1; i >= out.writerIndex(); i--) {
            out.setByte(i, (int) ('0' + v % 10));
            v /= 10;
        }
        out.writerIndex(end);
    }

    /** Number of decimal digits of a non-negative value. */
    public static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    public static void writeHeader(ByteBuf out, char type, long len) {
        out.writeByte(type);
        writeLong(out, len);
        out.writeShort(0x0d0a);
    }

    public static void writeBulk(ByteBuf out, byte[] b) {
        writeBulk(out, b, 0, b.length);
    }

    public static void writeBulk(ByteBuf out, byte[] b, int off, int len) {
        out.ensureWritable(len + 16);
        out.writeByte('$');
        writeLong(out, len);
        out.writeShort(0x0d0a);
        out.writeBytes(b, off, len);
        out.writeShort(0x0d0a);
    }

    public static void writeInteger(ByteBuf out, long v) {
        out.writeByte(':');
        writeLong(out, v);
        out.writeShort(0x0d0a);
    }

    /** A bulk string holding the decimal form of v. */
    public static void writeBulkLong(ByteBuf out, long v) {
        int len = v < 0 ? (v == Long.MIN_VALUE ? 20 : digits(-v) + 1) : digits(v);
        out.writeByte('$');
        writeLong(out, len);
        out.writeShort(0x0d0a);
        writeLong(out, v);
        out.writeShort(0x0d0a);
    }

    /** Writes s, which must be free of CR and LF, as a simple string. */
    public static void writeSimple(ByteBuf out, String s) {
        out.writeByte('+');
        out.writeCharSequence(s, StandardCharsets.ISO_8859_1);
        out.writeShort(0x0d0a);
    }

    /** Writes an error line; msg starting with '-' is written as is, otherwise "-ERR " is prefixed. */
    public static void writeError(ByteBuf out, String msg) {
        if (msg.isEmpty() || msg.charAt(0) != '-') out.writeBytes(ERR_PREFIX);
        // Redis replaces newlines so the error stays one protocol line.
        out.writeCharSequence(msg.replace('\r', ' ').replace('\n', ' '), StandardCharsets.UTF_8);
        out.writeShort(0x0d0a);
    }

    private static final byte[] ERR_PREFIX = ascii("-ERR ");
}
