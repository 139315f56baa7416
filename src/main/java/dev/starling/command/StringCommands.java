package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.MemorySize;
import dev.starling.protocol.Errors;
import dev.starling.protocol.LongDouble;
import dev.starling.protocol.Numbers;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Client;
import dev.starling.types.ObjectEncoding;
import dev.starling.types.RawString;

import java.math.BigDecimal;

/**
 * The string family (Redis's t_string.c); the bit commands are in {@link BitCommands}.
 *
 * <p>Values: a string created whole (SET, MSET, INCR, ...) is an immutable {@code byte[]}, usually
 * the argv array itself (argv arrays are fresh per command, so storing them needs no copy); OBJECT
 * ENCODING derives int/embstr/raw from its content as Redis's tryObjectEncoding would. A string
 * modified in place (APPEND, SETRANGE, SETBIT, BITFIELD) becomes a {@link RawString} with sds-like
 * spare capacity, and reports its growth to the memory estimate.
 */
final class StringCommands {
    private StringCommands() {}

    static void register(CommandTable t) {
        t.bind("get", StringCommands::get);
        t.bind("set", StringCommands::set);
        t.bind("setnx", StringCommands::setnx);
        t.bind("setex", StringCommands::setex);
        t.bind("psetex", StringCommands::psetex);
        t.bind("getex", StringCommands::getex);
        t.bind("getdel", StringCommands::getdel);
        t.bind("getset", StringCommands::getset);
        t.bind("mget", StringCommands::mget);
        t.bind("mset", StringCommands::mset);
        t.bind("msetnx", StringCommands::msetnx);
        t.bind("append", StringCommands::append);
        t.bind("strlen", StringCommands::strlen);
        t.bind("getrange", StringCommands::getrange);
        t.bind("substr", StringCommands::getrange);
        t.bind("setrange", StringCommands::setrange);
        t.bind("incr", StringCommands::incr);
        t.bind("decr", StringCommands::decr);
        t.bind("incrby", StringCommands::incrby);
        t.bind("decrby", StringCommands::decrby);
        t.bind("incrbyfloat", StringCommands::incrbyfloat);
        t.bind("lcs", StringCommands::lcs);
    }

    // ---------------------------------------------------------------- value helpers

    /** The bytes of a string value (immutable or raw), or null if v is not a string. */
    static byte[] stringBytes(Object v) {
        if (v instanceof byte[] b) return b;
        if (v instanceof RawString r) return r.toBytes();
        return null;
    }

    static boolean isString(Object v) {
        return v instanceof byte[] || v instanceof RawString;
    }

    /** The backing array of a string value (valid bytes are [0, stringLength)). */
    static byte[] stringBuf(Object v) {
        return v instanceof byte[] b ? b : ((RawString) v).buf;
    }

    static int stringLength(Object v) {
        return v instanceof byte[] b ? b.length : ((RawString) v).len;
    }

    /**
     * Redis's dbUnshareStringValue: makes the entry's value a RawString that may be modified in
     * place (an immutable array is copied once, keeping the TTL). The caller reports growth with
     * {@link #reportGrowth}.
     */
    static RawString unshare(Client c, KeyEntry e, int extra) {
        if (e.value instanceof RawString r) {
            r.embstr = false;
            return r;
        }
        RawString r = new RawString((byte[]) e.value, extra);
        c.db.overwrite(e, r);
        return r;
    }

    /** Tells the memory estimate and the key's watchers that a raw value changed in place. */
    static void reportGrowth(Client c, KeyEntry e, long sizeBefore) {
        c.db.adjustMemory(MemorySize.ofValue(e.value) - sizeBefore);
        c.db.ks.listener.keyModified(c.db, e.key);
    }

    /**
     * Redis's setKey without KEEPTTL: a key past its TTL is expired first (counted and reported as
     * Redis's lookupKeyWrite inside setKey does), then the value replaces any old one and its TTL.
     */
    static void setKey(Client c, byte[] key, Object value) {
        if (c.db.expires.size() != 0) c.db.expireIfNeeded(key);
        c.db.setKey(key, value, false);
    }

    /** Redis's checkStringLength: the error if a string of size+append bytes would be too long. */
    static boolean checkStringLength(Client c, long size, long append) {
        long total = size + append;
        if (total > c.server.config.protoMaxBulkLen || total < size || total < append || total > Integer.MAX_VALUE - 16) {
            c.addReplyError(Errors.STRING_TOO_LONG);
            return false;
        }
        return true;
    }

    /** Case-insensitive compare of an argument with a lower-case ASCII option name. */
    static boolean is(byte[] arg, byte[] lower) {
        if (arg.length != lower.length) return false;
        for (int i = 0; i < arg.length; i++) {
            int ch = arg[i];
            if (ch >= 'A' && ch <= 'Z') ch += 32;
            if (ch != lower[i]) return false;
        }
        return true;
    }

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    // ---------------------------------------------------------------- GET / SET

    static void get(Client c) {
        getGeneric(c);
    }

    /** Replies with the value of argv[1] (or null); returns false after a WRONGTYPE error. */
    private static boolean getGeneric(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReplyNull();
        } else if (e.value instanceof byte[] b) {
            c.addReplyBulk(b);
        } else if (e.value instanceof RawString r) {
            c.addReplyBulk(r.buf, 0, r.len);
        } else {
            c.addReplyErrorWrongType();
            return false;
        }
        return true;
    }

    // Redis's OBJ_* flags of parseExtendedStringArgumentsOrReply.
    static final int SET_NX = 1, SET_XX = 1 << 1, EX = 1 << 2, PX = 1 << 3, KEEPTTL = 1 << 4, SET_GET = 1 << 5,
            EXAT = 1 << 6, PXAT = 1 << 7, PERSIST = 1 << 8;
    private static final int ANY_EXPIRE = EX | PX | EXAT | PXAT;
    private static final boolean COMMAND_SET = true, COMMAND_GET = false;

    private static final byte[] O_NX = ascii("nx"), O_XX = ascii("xx"), O_GET = ascii("get"), O_KEEPTTL = ascii("keepttl"),
            O_PERSIST = ascii("persist"), O_EX = ascii("ex"), O_PX = ascii("px"), O_EXAT = ascii("exat"), O_PXAT = ascii("pxat");

    /**
     * Redis's parseExtendedStringArgumentsOrReply for SET (from argv[3]) and GETEX (from argv[2]):
     * returns the flags with the expire argument's index (0 if none) above bit 16, or -1 after
     * replying a syntax error. Conflicting options are syntax errors;
     * a repeated expire option takes the last value.
     */
    private static int parseExtended(Client c, boolean commandSet) {
        int flags = 0, expireArg = 0;
        for (int j = commandSet ? 3 : 2; j < c.argc; j++) {
            byte[] opt = c.argv[j];
            boolean hasNext = j + 1 < c.argc;
            if (commandSet && is(opt, O_NX) && (flags & SET_XX) == 0) {
                flags |= SET_NX;
            } else if (commandSet && is(opt, O_XX) && (flags & SET_NX) == 0) {
                flags |= SET_XX;
            } else if (commandSet && is(opt, O_GET)) {
                flags |= SET_GET;
            } else if (commandSet && is(opt, O_KEEPTTL) && (flags & (PERSIST | ANY_EXPIRE)) == 0) {
                flags |= KEEPTTL;
            } else if (!commandSet && is(opt, O_PERSIST) && (flags & (KEEPTTL | ANY_EXPIRE)) == 0) {
                flags |= PERSIST;
            } else if (hasNext && is(opt, O_EX) && (flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~EX))) == 0) {
                flags |= EX;
                expireArg = ++j;
            } else if (hasNext && is(opt, O_PX) && (flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~PX))) == 0) {
                flags |= PX;
                expireArg = ++j;
            } else if (hasNext && is(opt, O_EXAT) && (flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~EXAT))) == 0) {
                flags |= EXAT;
                expireArg = ++j;
            } else if (hasNext && is(opt, O_PXAT) && (flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~PXAT))) == 0) {
                flags |= PXAT;
                expireArg = ++j;
            } else {
                c.addReplyErrorSyntax();
                return -1;
            }
        }
        return flags | expireArg << 16;
    }

    /**
     * Redis's getExpireMillisecondsOrReply: the absolute unix-ms time of arg under the flags' unit,
     * into c.llval; false after replying an error.
     */
    private static boolean getExpireMilliseconds(Client c, byte[] arg, int flags) {
        if (!c.getLongLong(arg, null)) return false;
        long ms = c.llval;
        boolean seconds = (flags & (EX | EXAT)) != 0;
        if (ms <= 0 || (seconds && ms > Long.MAX_VALUE / 1000)) {
            addReplyErrorExpireTime(c);
            return false;
        }
        if (seconds) ms *= 1000;
        if ((flags & (EX | PX)) != 0) {
            long now = c.db.ks.now;
            if (ms > Long.MAX_VALUE - now) {
                addReplyErrorExpireTime(c);
                return false;
            }
            ms += now;
        }
        c.llval = ms;
        return true;
    }

    private static void addReplyErrorExpireTime(Client c) {
        c.addReplyError(String.format(Errors.INVALID_EXPIRE, c.cmd.fullName));
    }

    static void set(Client c) {
        if (c.argc == 3) {
            // The benchmarked path: no options, no parsing.
            setKey(c, c.argv[1], c.argv[2]);
            c.server.dirty++;
            c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "set", c.argv[1], c.db.id);
            c.addReplyOk();
            return;
        }
        int flags = parseExtended(c, COMMAND_SET);
        if (flags < 0) return;
        int expireArg = flags >>> 16;
        setGeneric(c, flags & 0xffff, c.argv[1], c.argv[2], expireArg == 0 ? null : c.argv[expireArg], null, null);
    }

    /**
     * Redis's setGenericCommand: SET with its options, SETNX, SETEX and PSETEX. okReply/abortReply
     * replace +OK and the null reply when not null.
     */
    private static void setGeneric(Client c, int flags, byte[] key, byte[] val, byte[] expire, byte[] okReply, byte[] abortReply) {
        if (expire != null && !getExpireMilliseconds(c, expire, flags)) return;
        long when = c.llval;
        if ((flags & SET_GET) != 0 && !getGeneric(c)) return;
        boolean found = c.db.lookupKeyWrite(key) != null;
        if (((flags & SET_NX) != 0 && found) || ((flags & SET_XX) != 0 && !found)) {
            if ((flags & SET_GET) == 0) {
                if (abortReply != null) c.addReply(abortReply);
                else c.addReplyNull();
            }
            return;
        }
        c.db.setKey(key, val, (flags & KEEPTTL) != 0);
        c.server.dirty++;
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "set", key, c.db.id);
        if (expire != null) {
            c.db.setExpire(key, when);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "expire", key, c.db.id);
            // Replicas must not depend on when they apply it: propagate as SET key value PXAT ms.
            if (c.server.propagator.active()) c.rewriteCommandVector(Propagator.SET, key, val, Propagator.PXAT, longToBytes(when));
        } else if ((flags & SET_GET) != 0 && c.server.propagator.active()) {
            propagateWithoutGet(c);
        }
        if ((flags & SET_GET) == 0) {
            if (okReply != null) c.addReply(okReply);
            else c.addReplyOk();
        }
    }

    /** SET ... GET propagates without its GET arguments (the reply is no replica's business). */
    private static void propagateWithoutGet(Client c) {
        byte[][] argv = new byte[c.argc][];
        int n = 0;
        for (int j = 0; j < c.argc; j++) {
            if (j >= 3 && is(c.argv[j], O_GET)) continue;
            argv[n++] = c.argv[j];
        }
        c.rewriteCommandVector(java.util.Arrays.copyOf(argv, n));
    }

    static void setnx(Client c) {
        setGeneric(c, SET_NX, c.argv[1], c.argv[2], null, Resp.CONE, Resp.CZERO);
    }

    static void setex(Client c) {
        setGeneric(c, EX, c.argv[1], c.argv[3], c.argv[2], null, null);
    }

    static void psetex(Client c) {
        setGeneric(c, PX, c.argv[1], c.argv[3], c.argv[2], null, null);
    }

    static void getex(Client c) {
        int flags = parseExtended(c, COMMAND_GET);
        if (flags < 0) return;
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyRead(key);
        if (e == null) {
            c.addReplyNull();
            return;
        }
        if (!isString(e.value)) {
            c.addReplyErrorWrongType();
            return;
        }
        int expireArg = flags >>> 16;
        flags &= 0xffff;
        byte[] expire = expireArg == 0 ? null : c.argv[expireArg];
        if (expire != null && !getExpireMilliseconds(c, expire, flags)) return;
        long when = c.llval;
        c.addReplyBulk(stringBuf(e.value), 0, stringLength(e.value));
        if ((flags & (PXAT | EXAT)) != 0 && when <= c.db.ks.now) {
            c.db.delete(key);
            c.rewriteCommandVector(c.server.config.lazyfreeLazyExpire ? Propagator.UNLINK : Propagator.DEL, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
            c.server.dirty++;
        } else if (expire != null) {
            c.db.setExpire(key, when);
            if (c.server.propagator.active()) c.rewriteCommandVector(Propagator.PEXPIREAT, key, longToBytes(when));
            c.db.ks.listener.keyModified(c.db, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "expire", key, c.db.id);
            c.server.dirty++;
        } else if ((flags & PERSIST) != 0 && c.db.removeExpire(key)) {
            c.db.ks.listener.keyModified(c.db, key);
            c.rewriteCommandVector(Propagator.PERSIST, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "persist", key, c.db.id);
            c.server.dirty++;
        }
    }

    static void getdel(Client c) {
        if (!getGeneric(c)) return;
        if (c.db.delete(c.argv[1])) {
            c.rewriteCommandVector(c.server.config.lazyfreeLazyUserDel ? Propagator.UNLINK : Propagator.DEL, c.argv[1]);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", c.argv[1], c.db.id);
            c.server.dirty++;
        }
    }

    static void getset(Client c) {
        if (!getGeneric(c)) return;
        c.db.setKey(c.argv[1], c.argv[2], false);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "set", c.argv[1], c.db.id);
        c.server.dirty++;
        c.rewriteCommandArgument(0, Propagator.SET);
    }

    static void mget(Client c) {
        c.addReplyArrayLen(c.argc - 1);
        for (int j = 1; j < c.argc; j++) {
            KeyEntry e = c.db.lookupKeyRead(c.argv[j]);
            if (e == null || !isString(e.value)) c.addReplyNull();
            else c.addReplyBulk(stringBuf(e.value), 0, stringLength(e.value));
        }
    }

    static void mset(Client c) {
        msetGeneric(c, false);
    }

    static void msetnx(Client c) {
        msetGeneric(c, true);
    }

    private static void msetGeneric(Client c, boolean nx) {
        if ((c.argc % 2) == 0) {
            c.addReplyErrorArity();
            return;
        }
        if (nx) {
            for (int j = 1; j < c.argc; j += 2) {
                if (c.db.lookupKeyWrite(c.argv[j]) != null) {
                    c.addReply(Resp.CZERO);
                    return;
                }
            }
        }
        for (int j = 1; j < c.argc; j += 2) {
            setKey(c, c.argv[j], c.argv[j + 1]);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "set", c.argv[j], c.db.id);
        }
        c.server.dirty += (c.argc - 1) / 2;
        if (nx) c.addReply(Resp.CONE);
        else c.addReplyOk();
    }

    // ---------------------------------------------------------------- APPEND / STRLEN / ranges

    static void append(Client c) {
        // A huge offset may not fit the heap: answer instead of losing the connection.
        try {
            appendUnguarded(c);
        } catch (OutOfMemoryError oom) {
            c.addReplyError(Errors.OOM);
        }
    }

    private static void appendUnguarded(Client c) {
        byte[] key = c.argv[1], add = c.argv[2];
        KeyEntry e = c.db.lookupKeyWrite(key);
        long totlen;
        if (e == null) {
            c.db.add(key, add);
            totlen = add.length;
        } else {
            if (!isString(e.value)) {
                c.addReplyErrorWrongType();
                return;
            }
            int len = stringLength(e.value);
            if (!checkStringLength(c, len, add.length)) return;
            RawString r = unshare(c, e, add.length);
            long before = MemorySize.ofValue(r);
            r.ensureLength(len + add.length);
            System.arraycopy(add, 0, r.buf, len, add.length);
            r.len = len + add.length;
            reportGrowth(c, e, before);
            totlen = r.len;
        }
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "append", key, c.db.id);
        c.server.dirty++;
        c.addReplyLongLong(totlen);
    }

    static void strlen(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.CZERO);
        } else if (!isString(e.value)) {
            c.addReplyErrorWrongType();
        } else {
            c.addReplyLongLong(stringLength(e.value));
        }
    }

    static void getrange(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        long start = c.llval;
        if (!c.getLongLong(c.argv[3], null)) return;
        long end = c.llval;
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.EMPTY_BULK);
            return;
        }
        if (!isString(e.value)) {
            c.addReplyErrorWrongType();
            return;
        }
        long strlen = stringLength(e.value);
        if (start < 0 && end < 0 && start > end) {
            c.addReply(Resp.EMPTY_BULK);
            return;
        }
        if (start < 0) start = strlen + start;
        if (end < 0) end = strlen + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= strlen) end = strlen - 1;
        if (start > end || strlen == 0) {
            c.addReply(Resp.EMPTY_BULK);
        } else {
            c.addReplyBulk(stringBuf(e.value), (int) start, (int) (end - start + 1));
        }
    }

    static void setrange(Client c) {
        // A huge offset may not fit the heap: answer instead of losing the connection.
        try {
            setrangeUnguarded(c);
        } catch (OutOfMemoryError oom) {
            c.addReplyError(Errors.OOM);
        }
    }

    private static void setrangeUnguarded(Client c) {
        byte[] key = c.argv[1], value = c.argv[3];
        if (!c.getLongLong(c.argv[2], null)) return;
        long offset = c.llval;
        if (offset < 0) {
            c.addReplyError(Errors.OFFSET_OUT_OF_RANGE);
            return;
        }
        KeyEntry e = c.db.lookupKeyWrite(key);
        RawString r;
        if (e == null) {
            if (value.length == 0) {
                c.addReply(Resp.CZERO);
                return;
            }
            if (!checkStringLength(c, offset, value.length)) return;
            int n = (int) (offset + value.length);
            r = new RawString(new byte[n], n, false);
            System.arraycopy(value, 0, r.buf, (int) offset, value.length);
            c.db.add(key, r);
        } else {
            if (!isString(e.value)) {
                c.addReplyErrorWrongType();
                return;
            }
            int olen = stringLength(e.value);
            if (value.length == 0) {
                c.addReplyLongLong(olen);
                return;
            }
            if (!checkStringLength(c, offset, value.length)) return;
            int n = (int) (offset + value.length);
            r = unshare(c, e, 0);
            long before = MemorySize.ofValue(r);
            r.growZero(n);
            System.arraycopy(value, 0, r.buf, (int) offset, value.length);
            reportGrowth(c, e, before);
        }
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "setrange", key, c.db.id);
        c.server.dirty++;
        c.addReplyLongLong(r.len);
    }

    // ---------------------------------------------------------------- INCR / DECR

    static void incr(Client c) {
        incrDecr(c, 1);
    }

    static void decr(Client c) {
        incrDecr(c, -1);
    }

    static void incrby(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        incrDecr(c, c.llval);
    }

    static void decrby(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        if (c.llval == Long.MIN_VALUE) {
            c.addReplyError(Errors.DECR_OVERFLOW);
            return;
        }
        incrDecr(c, -c.llval);
    }

    /** Redis's incrDecrCommand: the new value is stored as its decimal digits (encoding "int"); the TTL stays. */
    private static void incrDecr(Client c, long incr) {
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        long value = 0;
        if (e != null) {
            if (!isString(e.value)) {
                c.addReplyErrorWrongType();
                return;
            }
            value = Numbers.parseLong(stringBuf(e.value), 0, stringLength(e.value));
            if (!isValidLong(value, e.value)) {
                c.addReplyError(Errors.NOT_INTEGER);
                return;
            }
        }
        long old = value;
        if ((incr < 0 && old < 0 && incr < (Long.MIN_VALUE - old)) || (incr > 0 && old > 0 && incr > (Long.MAX_VALUE - old))) {
            c.addReplyError(Errors.INCR_OVERFLOW);
            return;
        }
        value += incr;
        byte[] digits = longToBytes(value);
        if (e != null) c.db.overwrite(e, digits);
        else c.db.add(key, digits);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "incrby", key, c.db.id);
        c.server.dirty++;
        c.addReplyLongLong(value);
    }

    /** True if v (parsed from a string value) is a real long rather than Numbers.INVALID. */
    private static boolean isValidLong(long v, Object value) {
        if (v != Numbers.INVALID) return true;
        return Numbers.isLong(stringBytes(value));
    }

    static byte[] longToBytes(long v) {
        if (v == Long.MIN_VALUE) return ascii("-9223372036854775808");
        boolean neg = v < 0;
        long a = neg ? -v : v;
        int n = Resp.digits(a) + (neg ? 1 : 0);
        byte[] b = new byte[n];
        for (int i = n - 1; i >= (neg ? 1 : 0); i--) {
            b[i] = (byte) ('0' + a % 10);
            a /= 10;
        }
        if (neg) b[0] = '-';
        return b;
    }

    static void incrbyfloat(Client c) {
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        BigDecimal value = BigDecimal.ZERO;
        if (e != null) {
            if (!isString(e.value)) {
                c.addReplyErrorWrongType();
                return;
            }
            value = LongDouble.parse(stringBuf(e.value), 0, stringLength(e.value));
            if (value == null) {
                c.addReplyError(Errors.NOT_FLOAT);
                return;
            }
        }
        byte[] arg = c.argv[2];
        BigDecimal incr = LongDouble.parse(arg, 0, arg.length);
        if (incr == null) {
            c.addReplyError(Errors.NOT_FLOAT);
            return;
        }
        BigDecimal sum = LongDouble.add(value, incr);
        if (sum == null) {
            c.addReplyError(Errors.INCR_NAN);
            return;
        }
        byte[] text = LongDouble.toHumanString(sum);
        // Redis creates the result with createStringObject: embstr even when it looks like an integer.
        Object stored = text.length <= ObjectEncoding.EMBSTR_SIZE_LIMIT && Numbers.isLong(text)
                ? new RawString(text, text.length, true)
                : text;
        if (e != null) c.db.overwrite(e, stored);
        else c.db.add(key, stored);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "incrbyfloat", key, c.db.id);
        c.server.dirty++;
        c.addReplyBulk(text);
        // The result, not the increment: float formatting must not differ on replicas.
        c.rewriteCommandVector(Propagator.SET, key, text, Propagator.KEEPTTL);
    }

    // ---------------------------------------------------------------- LCS

    private static final byte[] O_IDX = ascii("idx"), O_LEN = ascii("len"), O_WITHMATCHLEN = ascii("withmatchlen"),
            O_MINMATCHLEN = ascii("minmatchlen");

    static void lcs(Client c) {
        KeyEntry ea = c.db.lookupKeyRead(c.argv[1]);
        KeyEntry eb = c.db.lookupKeyRead(c.argv[2]);
        if ((ea != null && !isString(ea.value)) || (eb != null && !isString(eb.value))) {
            c.addReplyError(Errors.LCS_WRONGTYPE);
            return;
        }
        byte[] a = ea == null ? new byte[0] : stringBuf(ea.value);
        int alen = ea == null ? 0 : stringLength(ea.value);
        byte[] b = eb == null ? new byte[0] : stringBuf(eb.value);
        int blen = eb == null ? 0 : stringLength(eb.value);
        boolean getlen = false, getidx = false, withmatchlen = false;
        long minmatchlen = 0;
        for (int j = 3; j < c.argc; j++) {
            byte[] opt = c.argv[j];
            boolean more = j + 1 < c.argc;
            if (is(opt, O_IDX)) {
                getidx = true;
            } else if (is(opt, O_LEN)) {
                getlen = true;
            } else if (is(opt, O_WITHMATCHLEN)) {
                withmatchlen = true;
            } else if (more && is(opt, O_MINMATCHLEN)) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                minmatchlen = Math.max(0, c.llval);
                j++;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        if (getidx && getlen) {
            c.addReplyError(Errors.LCS_LEN_AND_IDX);
            return;
        }
        long cells = (long) (alen + 1) * (blen + 1);
        int[] table;
        try {
            table = cells > Integer.MAX_VALUE - 8 ? null : new int[(int) cells];
        } catch (OutOfMemoryError oom) {
            table = null;
        }
        if (table == null) {
            c.addReplyError(Errors.LCS_NO_MEMORY);
            return;
        }
        lcsReply(c, a, alen, b, blen, table, getlen, getidx, withmatchlen, minmatchlen);
    }

    /**
     * Fills the dynamic-programming table and walks it back from the end, emitting the matched
     * ranges from the last to the first as Redis does.
     */
    private static void lcsReply(Client c, byte[] a, int alen, byte[] b, int blen, int[] t, boolean getlen, boolean getidx,
            boolean withmatchlen, long minmatchlen) {
        int w = blen + 1;
        for (int i = 1; i <= alen; i++) {
            for (int j = 1; j <= blen; j++) {
                if (a[i - 1] == b[j - 1]) t[i * w + j] = t[(i - 1) * w + j - 1] + 1;
                else t[i * w + j] = Math.max(t[(i - 1) * w + j], t[i * w + j - 1]);
            }
        }
        int total = t[alen * w + blen];
        boolean computeLcs = getidx || !getlen;
        byte[] result = computeLcs ? new byte[total] : null;
        // Ranges as {aStart, aEnd, bStart, bEnd} quadruples, in emission order.
        long[] ranges = new long[16];
        int nranges = 0;
        int idx = total;
        int i = alen, j = blen;
        long aStart = -1, aEnd = 0, bStart = 0, bEnd = 0; // aStart -1: no range open
        while (computeLcs && i > 0 && j > 0) {
            boolean emit = false;
            if (a[i - 1] == b[j - 1]) {
                result[idx - 1] = a[i - 1];
                if (aStart == -1) {
                    aStart = aEnd = i - 1;
                    bStart = bEnd = j - 1;
                } else if (aStart == i && bStart == j) {
                    aStart--;
                    bStart--;
                } else {
                    emit = true;
                }
                if (aStart == 0 || bStart == 0) emit = true;
                idx--;
                i--;
                j--;
            } else {
                if (t[(i - 1) * w + j] > t[i * w + j - 1]) i--;
                else j--;
                if (aStart != -1) emit = true;
            }
            if (emit) {
                long matchLen = aEnd - aStart + 1;
                if (getidx && (minmatchlen == 0 || matchLen >= minmatchlen)) {
                    if (nranges * 4 + 4 > ranges.length) ranges = java.util.Arrays.copyOf(ranges, ranges.length * 2);
                    ranges[nranges * 4] = aStart;
                    ranges[nranges * 4 + 1] = aEnd;
                    ranges[nranges * 4 + 2] = bStart;
                    ranges[nranges * 4 + 3] = bEnd;
                    nranges++;
                }
                aStart = -1;
            }
        }
        if (getidx) {
            c.addReplyMapLen(2);
            c.addReplyBulk(O_MATCHES);
            c.addReplyArrayLen(nranges);
            for (int r = 0; r < nranges; r++) {
                long as = ranges[r * 4], ae = ranges[r * 4 + 1];
                c.addReplyArrayLen(withmatchlen ? 3 : 2);
                c.addReplyArrayLen(2);
                c.addReplyLongLong(as);
                c.addReplyLongLong(ae);
                c.addReplyArrayLen(2);
                c.addReplyLongLong(ranges[r * 4 + 2]);
                c.addReplyLongLong(ranges[r * 4 + 3]);
                if (withmatchlen) c.addReplyLongLong(ae - as + 1);
            }
            c.addReplyBulk(O_LEN);
            c.addReplyLongLong(total);
        } else if (getlen) {
            c.addReplyLongLong(total);
        } else {
            c.addReplyBulk(result);
        }
    }

    private static final byte[] O_MATCHES = ascii("matches");
}
