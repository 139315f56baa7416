package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.MemorySize;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Numbers;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;
import dev.starling.types.RawString;

import static dev.starling.command.StringCommands.ascii;
import static dev.starling.command.StringCommands.is;
import static dev.starling.command.StringCommands.isString;
import static dev.starling.command.StringCommands.stringBuf;
import static dev.starling.command.StringCommands.stringLength;

/**
 * The bit operations on strings (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
 * BITFIELD and BITFIELD_RO. Bit 0 is the most significant bit of byte 0. A write makes the value a
 * {@link RawString} grown with zero bytes as needed.
 */
final class BitCommands {
    private BitCommands() {}

    static void register(CommandTable t) {
        t.bind("setbit", BitCommands::setbit);
        t.bind("getbit", BitCommands::getbit);
        t.bind("bitcount", BitCommands::bitcount);
        t.bind("bitpos", BitCommands::bitpos);
        t.bind("bitop", BitCommands::bitop);
        t.bind("bitfield", BitCommands::bitfield);
        t.bind("bitfield_ro", BitCommands::bitfieldRo);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Redis's getBitOffsetFromArgument: a bit offset in [0, proto-max-bulk-len * 8), with the
     * "#n" form (n * bits) when hash is set. Returns the offset, or -1 after replying the error.
     */
    private static long getBitOffset(Client c, byte[] arg, boolean hash, int bits) {
        int plen = arg.length;
        int skip = plen > 0 && arg[0] == '#' && hash ? 1 : 0;
        long off = Numbers.parseLong(arg, skip, plen - skip);
        if (off == Numbers.INVALID && !isInvalidMarkText(arg, skip, plen - skip)) {
            c.addReplyError(Errors.BIT_OFFSET);
            return -1;
        }
        if (skip == 1) off *= bits;
        if (off < 0 || (off >> 3) >= c.server.config.protoMaxBulkLen) {
            c.addReplyError(Errors.BIT_OFFSET);
            return -1;
        }
        return off;
    }

    private static boolean isInvalidMarkText(byte[] b, int off, int len) {
        return java.util.Arrays.equals(b, off, off + len, LONG_INVALID_TEXT, 0, LONG_INVALID_TEXT.length);
    }

    private static final byte[] LONG_INVALID_TEXT = ascii(Long.toString(Numbers.INVALID));

    /**
     * Set by lookupStringForBit: the key was created or grew (Redis's *dirty out-parameter; one
     * executor thread, so a field is safe).
     */
    private static boolean bitLookupDirty;

    /**
     * Redis's lookupStringForBitCommand: the key's value as a RawString at least maxbit/8+1 bytes
     * long (created if missing), or null after a WRONGTYPE reply.
     */
    private static RawString lookupStringForBit(Client c, long maxbit) {
        int bytes = (int) ((maxbit >> 3) + 1);
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (e == null) {
            RawString r = new RawString(new byte[bytes], bytes, false);
            c.db.add(key, r);
            bitLookupDirty = true;
            return r;
        }
        if (!isString(e.value)) {
            c.addReplyErrorWrongType();
            return null;
        }
        RawString r = StringCommands.unshare(c, e, 0);
        long before = MemorySize.ofValue(r);
        int oldLen = r.len;
        r.growZero(bytes);
        bitLookupDirty = r.len != oldLen;
        if (bitLookupDirty) StringCommands.reportGrowth(c, e, before);
        else c.db.adjustMemory(MemorySize.ofValue(r) - before);
        return r;
    }

    // ---------------------------------------------------------------- SETBIT / GETBIT

    static void setbit(Client c) {
        // A huge offset may not fit the heap: answer instead of losing the connection.
        try {
            setbitUnguarded(c);
        } catch (OutOfMemoryError oom) {
            c.addReplyError(Errors.OOM);
        }
    }

    private static void setbitUnguarded(Client c) {
        long off = getBitOffset(c, c.argv[2], false, 0);
        if (off < 0) return;
        if (!c.getLongLong(c.argv[3], Errors.BIT_VALUE)) return;
        long on = c.llval;
        if ((on & ~1L) != 0) {
            c.addReplyError(Errors.BIT_VALUE);
            return;
        }
        RawString r = lookupStringForBit(c, off);
        if (r == null) return;
        int byteIdx = (int) (off >> 3);
        int mask = 1 << (7 - (int) (off & 7));
        int old = r.buf[byteIdx] & mask;
        // Only a new or grown string, or a flipped bit, is a change (signal, event, dirty).
        if (bitLookupDirty || (old != 0) != (on != 0)) {
            if (on != 0) r.buf[byteIdx] |= (byte) mask;
            else r.buf[byteIdx] &= (byte) ~mask;
            if (!bitLookupDirty) c.db.ks.listener.keyModified(c.db, c.argv[1]);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "setbit", c.argv[1], c.db.id);
            c.server.dirty++;
        }
        c.addReply(old != 0 ? Resp.CONE : Resp.CZERO);
    }

    static void getbit(Client c) {
        long off = getBitOffset(c, c.argv[2], false, 0);
        if (off < 0) return;
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (!isString(e.value)) {
            c.addReplyErrorWrongType();
            return;
        }
        long byteIdx = off >> 3;
        int bit = 0;
        if (byteIdx < stringLength(e.value)) bit = (stringBuf(e.value)[(int) byteIdx] >> (7 - (int) (off & 7))) & 1;
        c.addReply(bit != 0 ? Resp.CONE : Resp.CZERO);
    }

    // ---------------------------------------------------------------- BITCOUNT / BITPOS

    private static final byte[] O_BIT = ascii("bit"), O_BYTE = ascii("byte");

    static void bitcount(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (!isString(e.value)) {
            c.addReplyErrorWrongType();
            return;
        }
        byte[] p = stringBuf(e.value);
        long strlen = stringLength(e.value);
        long start, end;
        int firstMask = 0, lastMask = 0;
        if (c.argc == 4 || c.argc == 5) {
            long totlen = strlen;
            if (!c.getLongLong(c.argv[2], null)) return;
            start = c.llval;
            if (!c.getLongLong(c.argv[3], null)) return;
            end = c.llval;
            if (start < 0 && end < 0 && start > end) {
                c.addReply(Resp.CZERO);
                return;
            }
            boolean isbit = false;
            if (c.argc == 5) {
                if (is(c.argv[4], O_BIT)) isbit = true;
                else if (!is(c.argv[4], O_BYTE)) {
                    c.addReplyErrorSyntax();
                    return;
                }
            }
            if (isbit) totlen <<= 3;
            if (start < 0) start = totlen + start;
            if (end < 0) end = totlen + end;
            if (start < 0) start = 0;
            if (end < 0) end = 0;
            if (end >= totlen) end = totlen - 1;
            if (isbit && start <= end) {
                // Bits of the edge bytes outside the range, to subtract.
                firstMask = ~((1 << (8 - (int) (start & 7))) - 1) & 0xff;
                lastMask = (1 << (7 - (int) (end & 7))) - 1;
                start >>= 3;
                end >>= 3;
            }
        } else if (c.argc == 2) {
            start = 0;
            end = strlen - 1;
        } else {
            c.addReplyErrorSyntax();
            return;
        }
        if (start > end) {
            c.addReply(Resp.CZERO);
            return;
        }
        long count = 0;
        int s = (int) start, n = (int) (end - start + 1);
        int i = 0;
        for (; i + 8 <= n; i += 8) count += Long.bitCount(readLong(p, s + i));
        for (; i < n; i++) count += Integer.bitCount(p[s + i] & 0xff);
        if (firstMask != 0) count -= Integer.bitCount(p[s] & firstMask);
        if (lastMask != 0) count -= Integer.bitCount(p[(int) end] & lastMask);
        c.addReplyLongLong(count);
    }

    private static long readLong(byte[] p, int i) {
        return (long) LONG_VIEW.get(p, i);
    }

    private static final java.lang.invoke.VarHandle LONG_VIEW =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);

    static void bitpos(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        long bit = c.llval;
        if (bit != 0 && bit != 1) {
            c.addReplyError(Errors.BITPOS_BIT);
            return;
        }
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReplyLongLong(bit != 0 ? -1 : 0);
            return;
        }
        if (!isString(e.value)) {
            c.addReplyErrorWrongType();
            return;
        }
        byte[] p = stringBuf(e.value);
        long strlen = stringLength(e.value);
        long start, end;
        boolean isbit = false, endGiven = false;
        if (c.argc >= 4 && c.argc <= 6) {
            long totlen = strlen;
            if (!c.getLongLong(c.argv[3], null)) return;
            start = c.llval;
            if (c.argc == 6) {
                if (is(c.argv[5], O_BIT)) isbit = true;
                else if (!is(c.argv[5], O_BYTE)) {
                    c.addReplyErrorSyntax();
                    return;
                }
            }
            if (c.argc >= 5) {
                if (!c.getLongLong(c.argv[4], null)) return;
                end = c.llval;
                endGiven = true;
            } else {
                end = isbit ? (totlen << 3) + 7 : totlen - 1;
            }
            if (isbit) totlen <<= 3;
            if (start < 0) start = totlen + start;
            if (end < 0) end = totlen + end;
            if (start < 0) start = 0;
            if (end < 0) end = 0;
            if (end >= totlen) end = totlen - 1;
        } else if (c.argc == 3) {
            start = 0;
            end = strlen - 1;
        } else {
            c.addReplyErrorSyntax();
            return;
        }
        if (start > end) {
            c.addReplyLongLong(-1);
            return;
        }
        // Search the bit range [sbit, ebit].
        long sbit = isbit ? start : start << 3;
        long ebit = isbit ? end : (end << 3) + 7;
        long pos = findBit(p, sbit, ebit, (int) bit);
        if (pos < 0) {
            // Past a range the user ended, there is no zero padding to find a clear bit in.
            pos = bit == 1 || endGiven ? -1 : ebit + 1;
        }
        c.addReplyLongLong(pos);
    }

    /** The first bit in [from, to] equal to bit, or -1. */
    private static long findBit(byte[] p, long from, long to, int bit) {
        long i = from;
        int skipByte = bit == 1 ? 0 : 0xff;
        while (i <= to) {
            if ((i & 7) == 0 && i + 7 <= to && (p[(int) (i >> 3)] & 0xff) == skipByte) {
                i += 8;
                continue;
            }
            if (((p[(int) (i >> 3)] >> (7 - (int) (i & 7))) & 1) == bit) return i;
            i++;
        }
        return -1;
    }

    // ---------------------------------------------------------------- BITOP

    private static final byte[] O_AND = ascii("and"), O_OR = ascii("or"), O_XOR = ascii("xor"), O_NOT = ascii("not");
    private static final int AND = 0, OR = 1, XOR = 2, NOT = 3;

    static void bitop(Client c) {
        byte[] opname = c.argv[1];
        int op;
        if (is(opname, O_AND)) op = AND;
        else if (is(opname, O_OR)) op = OR;
        else if (is(opname, O_XOR)) op = XOR;
        else if (is(opname, O_NOT)) op = NOT;
        else {
            c.addReplyErrorSyntax();
            return;
        }
        if (op == NOT && c.argc != 4) {
            c.addReplyError(Errors.BITOP_NOT_ARGS);
            return;
        }
        int numkeys = c.argc - 3;
        byte[][] src = new byte[numkeys][];
        int[] len = new int[numkeys];
        int maxlen = 0;
        for (int j = 0; j < numkeys; j++) {
            KeyEntry e = c.db.lookupKeyRead(c.argv[j + 3]);
            if (e == null) continue;
            if (!isString(e.value)) {
                c.addReplyErrorWrongType();
                return;
            }
            src[j] = stringBuf(e.value);
            len[j] = stringLength(e.value);
            maxlen = Math.max(maxlen, len[j]);
        }
        byte[] targetkey = c.argv[2];
        if (maxlen > 0) {
            byte[] res = new byte[maxlen];
            for (int i = 0; i < maxlen; i++) {
                int out = byteAt(src[0], len[0], i);
                if (op == NOT) {
                    out = ~out;
                } else {
                    for (int j = 1; j < numkeys; j++) {
                        int v = byteAt(src[j], len[j], i);
                        if (op == AND) out &= v;
                        else if (op == OR) out |= v;
                        else out ^= v;
                    }
                }
                res[i] = (byte) out;
            }
            // Redis stores the result as a raw-encoded object whatever its length.
            StringCommands.setKey(c, targetkey, new RawString(res, maxlen, false));
            c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "set", targetkey, c.db.id);
            c.server.dirty++;
        } else {
            // Redis's dbDelete: no expiry check, so an expired target counts as deleted ("del").
            if (c.db.delete(targetkey)) {
                c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", targetkey, c.db.id);
                c.server.dirty++;
            }
        }
        c.addReplyLongLong(maxlen);
    }

    private static int byteAt(byte[] s, int len, int i) {
        return s != null && i < len ? s[i] & 0xff : 0;
    }

    // ---------------------------------------------------------------- BITFIELD

    private static final byte[] O_GET = ascii("get"), O_SET = ascii("set"), O_INCRBY = ascii("incrby"),
            O_OVERFLOW = ascii("overflow"), O_WRAP = ascii("wrap"), O_SAT = ascii("sat"), O_FAIL = ascii("fail");
    private static final int OP_GET = 0, OP_SET = 1, OP_INCRBY = 2;
    private static final int WRAP = 0, SAT = 1, FAIL = 2;

    static void bitfield(Client c) {
        try {
            bitfieldGeneric(c, false);
        } catch (OutOfMemoryError oom) {
            c.addReplyError(Errors.OOM);
        }
    }

    static void bitfieldRo(Client c) {
        bitfieldGeneric(c, true);
    }

    /** Redis's bitfieldGeneric: parses every operation first, then runs them in order. */
    private static void bitfieldGeneric(Client c, boolean readonlyCommand) {
        // Per operation: opcode | sign<<2 | overflow<<3 | bits<<8, the offset, the value.
        int max = c.argc / 2 + 1;
        int[] kinds = new int[max];
        long[] offsets = new long[max];
        long[] values = new long[max];
        int numops = 0;
        int owtype = WRAP;
        boolean readonly = true;
        long highestWrite = 0;
        for (int j = 2; j < c.argc; j++) {
            int remargs = c.argc - j - 1;
            byte[] sub = c.argv[j];
            int opcode;
            if (is(sub, O_GET) && remargs >= 2) {
                opcode = OP_GET;
            } else if (is(sub, O_SET) && remargs >= 3) {
                opcode = OP_SET;
            } else if (is(sub, O_INCRBY) && remargs >= 3) {
                opcode = OP_INCRBY;
            } else if (is(sub, O_OVERFLOW) && remargs >= 1) {
                byte[] name = c.argv[++j];
                if (is(name, O_WRAP)) owtype = WRAP;
                else if (is(name, O_SAT)) owtype = SAT;
                else if (is(name, O_FAIL)) owtype = FAIL;
                else {
                    c.addReplyError(Errors.BITFIELD_OVERFLOW_TYPE);
                    return;
                }
                continue;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
            byte[] type = c.argv[j + 1];
            int sign;
            if (type.length > 0 && type[0] == 'i') sign = 1;
            else if (type.length > 0 && type[0] == 'u') sign = 0;
            else {
                c.addReplyError(Errors.BITFIELD_TYPE);
                return;
            }
            int tlen = 1;
            while (tlen < type.length && type[tlen] != 0) tlen++; // strlen
            long bits = Numbers.parseLong(type, 1, tlen - 1);
            if (bits == Numbers.INVALID || bits < 1 || (sign == 1 && bits > 64) || (sign == 0 && bits > 63)) {
                c.addReplyError(Errors.BITFIELD_TYPE);
                return;
            }
            long offset = getBitOffset(c, c.argv[j + 2], true, (int) bits);
            if (offset < 0) return;
            long value = 0;
            if (opcode != OP_GET) {
                readonly = false;
                if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
                if (!c.getLongLong(c.argv[j + 3], null)) return;
                value = c.llval;
            }
            if (numops == kinds.length) {
                kinds = java.util.Arrays.copyOf(kinds, numops * 2);
                offsets = java.util.Arrays.copyOf(offsets, numops * 2);
                values = java.util.Arrays.copyOf(values, numops * 2);
            }
            kinds[numops] = opcode | sign << 2 | owtype << 3 | (int) bits << 8;
            offsets[numops] = offset;
            values[numops] = value;
            numops++;
            j += opcode == OP_GET ? 2 : 3;
        }
        RawString target = null;
        KeyEntry readEntry = null;
        if (readonly) {
            readEntry = c.db.lookupKeyRead(c.argv[1]);
            if (readEntry != null && !isString(readEntry.value)) {
                c.addReplyErrorWrongType();
                return;
            }
        } else {
            if (readonlyCommand) {
                c.addReplyError(Errors.BITFIELD_RO_WRITE);
                return;
            }
            target = lookupStringForBit(c, highestWrite);
            if (target == null) return;
        }
        c.addReplyArrayLen(numops);
        int changes = 0;
        for (int j = 0; j < numops; j++) {
            int kind = kinds[j];
            int opcode = kind & 3;
            boolean signed = (kind & 4) != 0;
            int ow = (kind >> 3) & 3;
            int bits = kind >>> 8;
            long offset = offsets[j];
            if (opcode == OP_GET) {
                byte[] p;
                long len;
                if (target != null) {
                    p = target.buf;
                    len = target.len;
                } else if (readEntry != null) {
                    p = stringBuf(readEntry.value);
                    len = stringLength(readEntry.value);
                } else {
                    p = null;
                    len = 0;
                }
                long v = getUnsigned(p, len, offset, bits);
                c.addReplyLongLong(signed ? signExtend(v, bits) : v);
                continue;
            }
            long oldval = getUnsigned(target.buf, target.len, offset, bits);
            long newval, retval;
            boolean overflow;
            if (signed) {
                oldval = signExtend(oldval, bits);
                if (opcode == OP_INCRBY) {
                    overflow = checkSignedOverflow(c, oldval, values[j], bits, ow);
                    newval = overflow ? c.llval : oldval + values[j];
                    retval = newval;
                } else {
                    newval = values[j];
                    overflow = checkSignedOverflow(c, newval, 0, bits, ow);
                    if (overflow) newval = c.llval;
                    retval = oldval;
                }
            } else {
                if (opcode == OP_INCRBY) {
                    overflow = checkUnsignedOverflow(c, oldval, values[j], bits, ow);
                    newval = overflow ? c.llval : oldval + values[j];
                    retval = newval;
                } else {
                    newval = values[j];
                    overflow = checkUnsignedOverflow(c, newval, 0, bits, ow);
                    if (overflow) newval = c.llval;
                    retval = oldval;
                }
            }
            if (!(overflow && ow == FAIL)) {
                c.addReplyLongLong(retval);
                setBits(target.buf, offset, bits, newval);
                // A field left as it was is no change, unless the string was created or grew (Redis 7.0).
                if (bitLookupDirty || oldval != newval) changes++;
            } else {
                c.addReplyNull();
            }
        }
        if (changes > 0) {
            c.db.ks.listener.keyModified(c.db, c.argv[1]);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "setbit", c.argv[1], c.db.id);
            c.server.dirty += changes;
        }
    }

    /** The bits-wide field at bit offset, unsigned, with bytes past len reading as zero. */
    private static long getUnsigned(byte[] p, long len, long offset, int bits) {
        long v = 0;
        for (int i = 0; i < bits; i++) {
            long bitpos = offset + i;
            long byteIdx = bitpos >> 3;
            int b = p != null && byteIdx < len ? (p[(int) byteIdx] >> (7 - (int) (bitpos & 7))) & 1 : 0;
            v = (v << 1) | b;
        }
        return v;
    }

    private static void setBits(byte[] p, long offset, int bits, long value) {
        for (int i = 0; i < bits; i++) {
            int b = (int) ((value >>> (bits - 1 - i)) & 1);
            long bitpos = offset + i;
            int byteIdx = (int) (bitpos >> 3);
            int mask = 1 << (7 - (int) (bitpos & 7));
            if (b != 0) p[byteIdx] |= (byte) mask;
            else p[byteIdx] &= (byte) ~mask;
        }
    }

    private static long signExtend(long v, int bits) {
        if (bits == 64) return v;
        return (v << (64 - bits)) >> (64 - bits);
    }

    /** Redis's checkSignedBitfieldOverflow, with C's wrapping arithmetic; sets c.llval to the saturated or wrapped value (Redis's *limit). */
    private static boolean checkSignedOverflow(Client cl, long value, long incr, int bits, int owtype) {
        long max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        long maxincr = max - value;
        long minincr = min - value;
        if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
            if (owtype == WRAP) cl.llval = wrapSigned(value, incr, bits);
            else if (owtype == SAT) cl.llval = max;
            return true;
        } else if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
            if (owtype == WRAP) cl.llval = wrapSigned(value, incr, bits);
            else if (owtype == SAT) cl.llval = min;
            return true;
        }
        return false;
    }

    private static long wrapSigned(long value, long incr, int bits) {
        long c = value + incr;
        if (bits < 64) c = signExtend(c & ((1L << bits) - 1), bits);
        return c;
    }

    /** Redis's checkUnsignedBitfieldOverflow (value compared as unsigned); sets c.llval to the saturated or wrapped value (Redis's *limit). */
    private static boolean checkUnsignedOverflow(Client cl, long value, long incr, int bits, int owtype) {
        long max = (1L << bits) - 1; // bits <= 63
        long maxincr = max - value;
        long minincr = -value;
        if (Long.compareUnsigned(value, max) > 0 || incr > maxincr || (value >= 0 && incr > 0 && incr > maxincr)) {
            if (owtype == WRAP) cl.llval = (value + incr) & max;
            else if (owtype == SAT) cl.llval = max;
            return true;
        } else if (incr < 0 && incr < minincr) {
            if (owtype == WRAP) cl.llval = (value + incr) & max;
            else if (owtype == SAT) cl.llval = 0;
            return true;
        }
        return false;
    }
}
