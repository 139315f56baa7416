package dev.starling.protocol;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;

/**
 * Incremental RESP request decoder: multibulk ({@code *N\r\n$len\r\n...}) and inline commands, with
 * Redis 7.0's limits and exact protocol errors.
 *
 * <p>It is a state machine over the client's query buffer: {@link #parse} consumes what it can and
 * returns {@link #NEED_MORE} to wait for bytes, so a command split across any number of TCP reads is
 * assembled without rescanning. Arguments are copied once into fresh {@code byte[]}s which the
 * keyspace may keep as they are (keys and values are never copied again).
 */
public final class RequestParser {
    /** Redis's PROTO_INLINE_MAX_SIZE: longest inline request or length line without a newline. */
    public static final int PROTO_INLINE_MAX_SIZE = 1024 * 64;
    /** Redis's PROTO_MBULK_BIG_ARG: bulks this long get an exactly sized query buffer. */
    public static final int PROTO_MBULK_BIG_ARG = 1024 * 32;
    /** Unauthenticated clients may send at most this many arguments (Redis 7.0). */
    public static final int UNAUTH_MAX_MULTIBULK = 10;
    /** ... and bulks at most this long. */
    public static final int UNAUTH_MAX_BULK = 16384;

    public static final int NEED_MORE = 0;
    public static final int COMMAND_READY = 1;
    /** An empty command (blank inline line or {@code *0}/{@code *-1}): skip it. */
    public static final int EMPTY = 2;
    public static final int PROTOCOL_ERROR = 3;

    private static final int REQ_UNKNOWN = 0, REQ_INLINE = 1, REQ_MULTIBULK = 2;

    private int reqType = REQ_UNKNOWN;
    private int multibulkLen;
    private long bulkLen = -1;

    /** Arguments of the command being assembled; valid up to {@link #argc} after COMMAND_READY. */
    public byte[][] argv = new byte[8][];
    public int argc;
    /** The Redis error text after PROTOCOL_ERROR (without "-ERR "). */
    public String error;
    /** Short reason for the log, as Redis's setProtocolError. */
    public String errorReason;
    /** Bytes the parser will still need for a big bulk in progress, for query buffer sizing. */
    public long pendingBulkBytes;

    /** Forgets the assembled command; the next parse starts a new request. */
    public void reset() {
        for (int i = 0; i < argc; i++) argv[i] = null;
        argc = 0;
        reqType = REQ_UNKNOWN;
        multibulkLen = 0;
        bulkLen = -1;
        pendingBulkBytes = 0;
    }

    /**
     * Consumes bytes of one request from {@code buf}.
     *
     * @param authRequired the connection has not authenticated yet, so Redis's tighter limits apply
     * @param maxBulkLen proto-max-bulk-len
     */
    public int parse(ByteBuf buf, boolean authRequired, long maxBulkLen) {
        if (!buf.isReadable()) return NEED_MORE;
        if (reqType == REQ_UNKNOWN) {
            reqType = buf.getByte(buf.readerIndex()) == '*' ? REQ_MULTIBULK : REQ_INLINE;
        }
        return reqType == REQ_MULTIBULK ? parseMultibulk(buf, authRequired, maxBulkLen) : parseInline(buf);
    }

    private int fail(String error, String reason) {
        this.error = error;
        this.errorReason = reason;
        return PROTOCOL_ERROR;
    }

    private int parseMultibulk(ByteBuf buf, boolean authRequired, long maxBulkLen) {
        if (multibulkLen == 0) {
            int start = buf.readerIndex();
            int cr = buf.indexOf(start, buf.writerIndex(), (byte) '\r');
            if (cr < 0) {
                if (buf.readableBytes() > PROTO_INLINE_MAX_SIZE) {
                    return fail("Protocol error: too big mbulk count string", "too big mbulk count string");
                }
                return NEED_MORE;
            }
            if (cr + 1 >= buf.writerIndex()) return NEED_MORE; // the '\n' has not arrived yet
            long ll = parseLong(buf, start + 1, cr);
            if (ll == BAD_NUMBER || ll > Integer.MAX_VALUE) {
                return fail("Protocol error: invalid multibulk length", "invalid mbulk count");
            } else if (ll > UNAUTH_MAX_MULTIBULK && authRequired) {
                return fail("Protocol error: unauthenticated multibulk length", "unauth mbulk count");
            }
            buf.readerIndex(cr + 2);
            if (ll <= 0) return EMPTY;
            multibulkLen = (int) ll;
            if (argv.length < multibulkLen) argv = new byte[Math.min(multibulkLen, 1024 * 1024)][];
        }
        while (multibulkLen > 0) {
            if (bulkLen == -1) {
                int start = buf.readerIndex();
                int cr = buf.indexOf(start, buf.writerIndex(), (byte) '\r');
                if (cr < 0) {
                    if (buf.readableBytes() > PROTO_INLINE_MAX_SIZE) {
                        return fail("Protocol error: too big bulk count string", "too big bulk count string");
                    }
                    return NEED_MORE;
                }
                if (cr + 1 >= buf.writerIndex()) return NEED_MORE;
                byte first = buf.getByte(start);
                if (first != '$') {
                    return fail("Protocol error: expected '$', got '" + (char) (first & 0xff) + "'", "expected $ but got something else");
                }
                long ll = parseLong(buf, start + 1, cr);
                if (ll == BAD_NUMBER || ll < 0 || ll > maxBulkLen) {
                    return fail("Protocol error: invalid bulk length", "invalid bulk length");
                } else if (ll > UNAUTH_MAX_BULK && authRequired) {
                    return fail("Protocol error: unauthenticated bulk length", "unauth bulk length");
                }
                buf.readerIndex(cr + 2);
                bulkLen = ll;
            }
            if (buf.readableBytes() < bulkLen + 2) {
                pendingBulkBytes = bulkLen + 2 - buf.readableBytes();
                return NEED_MORE;
            }
            pendingBulkBytes = 0;
            byte[] arg;
            if (argc == 0 && sameAsLastName(buf, (int) bulkLen)) {
                // Command names repeat; handlers never keep or modify argv[0], so share it.
                arg = lastName;
                buf.skipBytes((int) bulkLen);
            } else {
                arg = new byte[(int) bulkLen];
                buf.readBytes(arg);
                if (argc == 0 && bulkLen <= 32) lastName = arg;
            }
            buf.skipBytes(2); // Redis does not check that the bulk ends in CRLF either
            if (argc == argv.length) growArgv();
            argv[argc++] = arg;
            bulkLen = -1;
            multibulkLen--;
        }
        return COMMAND_READY;
    }

    /** The previous request's command name, shared when the next one is the same bytes. */
    private byte[] lastName;

    private boolean sameAsLastName(ByteBuf buf, int len) {
        byte[] n = lastName;
        if (n == null || n.length != len) return false;
        int at = buf.readerIndex();
        for (int i = 0; i < len; i++) if (buf.getByte(at + i) != n[i]) return false;
        return true;
    }

    private void growArgv() {
        byte[][] bigger = new byte[argv.length * 2][];
        System.arraycopy(argv, 0, bigger, 0, argc);
        argv = bigger;
    }

    private int parseInline(ByteBuf buf) {
        int start = buf.readerIndex();
        int lf = buf.indexOf(start, buf.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (buf.readableBytes() > PROTO_INLINE_MAX_SIZE) {
                return fail("Protocol error: too big inline request", "too big inline request");
            }
            return NEED_MORE;
        }
        int end = lf;
        if (end > start && buf.getByte(end - 1) == '\r') end--;
        byte[] line = new byte[end - start];
        buf.getBytes(start, line);
        buf.readerIndex(lf + 1);
        byte[][] args = splitArgs(line);
        if (args == null) return fail("Protocol error: unbalanced quotes in request", "unbalanced quotes in inline request");
        if (args.length == 0) return EMPTY;
        if (argv.length < args.length) argv = new byte[args.length][];
        System.arraycopy(args, 0, argv, 0, args.length);
        argc = args.length;
        return COMMAND_READY;
    }

    static final long BAD_NUMBER = Long.MIN_VALUE;

    /** Parses a strict signed decimal in [from, to), as Redis's string2ll; BAD_NUMBER if invalid. */
    private static long parseLong(ByteBuf buf, int from, int to) {
        if (from >= to || to - from > 20) return BAD_NUMBER;
        boolean neg = false;
        int i = from;
        if (buf.getByte(i) == '-') {
            neg = true;
            i++;
            if (i == to) return BAD_NUMBER;
        }
        if (to - i > 1 && buf.getByte(i) == '0') return BAD_NUMBER;
        long v = 0;
        for (; i < to; i++) {
            int d = buf.getByte(i) - '0';
            if (d < 0 || d > 9) return BAD_NUMBER;
            if (v > (Long.MAX_VALUE - d) / 10) return BAD_NUMBER;
            v = v * 10 + d;
        }
        return neg ? -v : v;
    }

    /**
     * Splits an inline line the way Redis's sdssplitargs does: spaces separate, "double quotes" take
     * \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \'; a closing quote must be followed
     * by a space or the end. Returns null for unbalanced quotes.
     */
    public static byte[][] splitArgs(byte[] line) {
        java.util.ArrayList<byte[]> out = new java.util.ArrayList<>();
        int p = 0, n = line.length;
        while (true) {
            while (p < n && isSpace(line[p])) p++;
            if (p >= n) return out.toArray(new byte[0][]);
            boolean inq = false, insq = false, done = false;
            ByteArrayOutputStream cur = new ByteArrayOutputStream();
            while (!done) {
                if (inq) {
                    if (p >= n) return null;
                    if (line[p] == '\\' && p + 3 < n && line[p + 1] == 'x' && isHex(line[p + 2]) && isHex(line[p + 3])) {
                        cur.write(hex(line[p + 2]) * 16 + hex(line[p + 3]));
                        p += 3;
                    } else if (line[p] == '\\' && p + 1 < n) {
                        p++;
                        byte c = line[p];
                        cur.write(switch (c) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> c;
                        });
                    } else if (line[p] == '"') {
                        if (p + 1 < n && !isSpace(line[p + 1])) return null;
                        done = true;
                    } else {
                        cur.write(line[p]);
                    }
                } else if (insq) {
                    if (p >= n) return null;
                    if (line[p] == '\\' && p + 1 < n && line[p + 1] == '\'') {
                        p++;
                        cur.write('\'');
                    } else if (line[p] == '\'') {
                        if (p + 1 < n && !isSpace(line[p + 1])) return null;
                        done = true;
                    } else {
                        cur.write(line[p]);
                    }
                } else {
                    if (p >= n) {
                        done = true;
                        break;
                    }
                    switch (line[p]) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inq = true;
                        case '\'' -> insq = true;
                        default -> cur.write(line[p]);
                    }
                }
                if (p < n) p++;
            }
            out.add(cur.toByteArray());
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == 0x0b || b == '\f';
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        return b - 'A' + 10;
    }
}
