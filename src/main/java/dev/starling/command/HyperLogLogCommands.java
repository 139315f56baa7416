package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.MemorySize;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;
import dev.starling.types.HyperLogLog;
import dev.starling.types.RawString;

import static dev.starling.command.StringCommands.ascii;
import static dev.starling.command.StringCommands.is;
import static dev.starling.command.StringCommands.isString;
import static dev.starling.command.StringCommands.stringBuf;
import static dev.starling.command.StringCommands.stringLength;

/**
 * The HyperLogLog commands (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
 * An HLL is an ordinary string value in Redis's exact format ({@link HyperLogLog}); a command that
 * changes it first makes it a {@link RawString} and changes the bytes in place.
 *
 * <p>Redis's dbUnshareStringValue goes through dbOverwrite, which does not signal the key as
 * modified, so {@link #unshare} does not either: a PFCOUNT answered from the cache or a PFADD that
 * changes nothing leaves WATCH alone, as in Redis.
 */
final class HyperLogLogCommands {
    private HyperLogLogCommands() {}

    static void register(CommandTable t) {
        t.bind("pfadd", HyperLogLogCommands::pfadd);
        t.bind("pfcount", HyperLogLogCommands::pfcount);
        t.bind("pfmerge", HyperLogLogCommands::pfmerge);
        t.bind("pfdebug", HyperLogLogCommands::pfdebug);
        t.bind("pfselftest", HyperLogLogCommands::pfselftest);
    }

    /**
     * Redis's isHLLObjectOrReply: true if v is a string holding a plausible HLL; otherwise replies
     * WRONGTYPE (the generic text for other types, the HLL text for other strings).
     */
    private static boolean isHLLObjectOrReply(Client c, Object v) {
        if (!isString(v)) {
            c.addReplyErrorWrongType();
            return false;
        }
        if (!HyperLogLog.isValidHeader(stringBuf(v), stringLength(v))) {
            c.addReplyError(Errors.HLL_WRONGTYPE);
            return false;
        }
        return true;
    }

    /** Redis's dbUnshareStringValue without the modified-key signal (see the class comment). */
    private static RawString unshare(Client c, KeyEntry e) {
        if (e.value instanceof RawString r) {
            r.embstr = false;
            return r;
        }
        byte[] b = (byte[]) e.value;
        RawString r = new RawString(b, 0);
        c.db.adjustMemory(MemorySize.ofValue(r) - e.setValue(r));
        return r;
    }

    /** Reports a change of o's buffer size since {@code before} to the memory estimate. */
    private static void adjustMemory(Client c, RawString o, long before) {
        c.db.adjustMemory(MemorySize.ofValue(o) - before);
    }

    // ---------------------------------------------------------------- PFADD / PFCOUNT / PFMERGE

    /** PFADD key [element ...]: 1 if the key was created or a register changed, else 0. */
    static void pfadd(Client c) {
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        int updated = 0;
        RawString o;
        if (e == null) {
            o = HyperLogLog.create();
            c.db.add(key, o);
            updated++;
        } else {
            if (!isHLLObjectOrReply(c, e.value)) return;
            o = unshare(c, e);
        }
        long before = MemorySize.ofValue(o);
        long sparseMax = c.server.config.hllSparseMaxBytes;
        for (int j = 2; j < c.argc; j++) {
            int retval = HyperLogLog.add(o, c.argv[j], sparseMax);
            if (retval == 1) {
                updated++;
            } else if (retval == -1) {
                // Registers set before the corrupt spot stay set, as in Redis.
                adjustMemory(c, o, before);
                c.addReplyError(Errors.HLL_INVALIDOBJ);
                return;
            }
        }
        adjustMemory(c, o, before);
        if (updated != 0) {
            c.db.ks.listener.keyModified(c.db, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "pfadd", key, c.db.id);
            c.server.dirty += updated;
            HyperLogLog.invalidateCache(o.buf);
        }
        c.addReply(updated != 0 ? Resp.CONE : Resp.CZERO);
    }

    /**
     * PFCOUNT key [key ...]. One key: the cached cardinality, or a fresh estimate written into the
     * cache (a change to the value although the command is read-only, so Redis signals the key and
     * counts it dirty to propagate it). Several keys: the estimate of their union, computed in a
     * temporary register array; the keys are not touched.
     */
    static void pfcount(Client c) {
        if (c.argc > 2) {
            byte[] max = new byte[HyperLogLog.HLL_REGISTERS];
            for (int j = 1; j < c.argc; j++) {
                KeyEntry e = c.db.lookupKeyRead(c.argv[j]);
                if (e == null) continue; // a missing key is an empty HLL
                if (!isHLLObjectOrReply(c, e.value)) return;
                if (!HyperLogLog.merge(max, stringBuf(e.value), stringLength(e.value))) {
                    c.addReplyError(Errors.HLL_INVALIDOBJ);
                    return;
                }
            }
            c.addReplyLongLong(HyperLogLog.countRaw(max));
            return;
        }
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyRead(key);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (!isHLLObjectOrReply(c, e.value)) return;
        c.db.prepareWrite(e); // the cache below is written after a read lookup
        RawString o = unshare(c, e);
        long card;
        if (HyperLogLog.validCache(o.buf)) {
            card = HyperLogLog.cachedCard(o.buf);
        } else {
            card = HyperLogLog.count(o.buf, o.len);
            if (card == HyperLogLog.INVALID) {
                c.addReplyError(Errors.HLL_INVALIDOBJ);
                return;
            }
            HyperLogLog.setCachedCard(o.buf, card);
            c.db.ks.listener.keyModified(c.db, key);
            c.server.dirty++;
        }
        c.addReplyLongLong(card);
    }

    /**
     * PFMERGE destkey [sourcekey ...]: the register-wise maximum of all the keys (the destination
     * included) written into the destination, created sparse if missing. The destination becomes
     * dense if any input is dense; otherwise it stays sparse until a register needs it dense.
     */
    static void pfmerge(Client c) {
        byte[] max = new byte[HyperLogLog.HLL_REGISTERS];
        boolean useDense = false;
        for (int j = 1; j < c.argc; j++) {
            KeyEntry e = c.db.lookupKeyRead(c.argv[j]);
            if (e == null) continue;
            if (!isHLLObjectOrReply(c, e.value)) return;
            byte[] b = stringBuf(e.value);
            if (HyperLogLog.encoding(b) == HyperLogLog.HLL_DENSE) useDense = true;
            if (!HyperLogLog.merge(max, b, stringLength(e.value))) {
                c.addReplyError(Errors.HLL_INVALIDOBJ);
                return;
            }
        }
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        RawString o;
        if (e == null) {
            o = HyperLogLog.create();
            c.db.add(key, o);
        } else {
            // Checked by the loop above: the destination is one of the inputs.
            o = unshare(c, e);
        }
        long before = MemorySize.ofValue(o);
        if (useDense && !HyperLogLog.sparseToDense(o)) {
            c.addReplyError(Errors.HLL_INVALIDOBJ);
            return;
        }
        long sparseMax = c.server.config.hllSparseMaxBytes;
        for (int j = 0; j < HyperLogLog.HLL_REGISTERS; j++) {
            if (max[j] != 0) HyperLogLog.set(o, j, max[j], sparseMax);
        }
        HyperLogLog.invalidateCache(o.buf);
        adjustMemory(c, o, before);
        c.db.ks.listener.keyModified(c.db, key);
        // Redis reports a merge as a mass PFADD.
        c.server.notifyKeyspaceEvent(Config.NOTIFY_STRING, "pfadd", key, c.db.id);
        c.server.dirty++;
        c.addReplyOk();
    }

    // ---------------------------------------------------------------- PFDEBUG / PFSELFTEST

    private static final byte[] O_GETREG = ascii("getreg"), O_DECODE = ascii("decode"), O_ENCODING = ascii("encoding"),
            O_TODENSE = ascii("todense");

    /** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key (the arity is exactly 3, checked by the table). */
    static void pfdebug(Client c) {
        byte[] cmd = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(c.argv[2]);
        if (e == null) {
            c.addReplyError(Errors.PFDEBUG_NO_KEY);
            return;
        }
        if (!isHLLObjectOrReply(c, e.value)) return;
        RawString o = unshare(c, e);
        if (is(cmd, O_GETREG)) {
            if (HyperLogLog.encoding(o.buf) == HyperLogLog.HLL_SPARSE) {
                if (!toDense(c, o)) return;
                c.server.dirty++; // Redis forces propagation of the encoding change
            }
            int[] regs = HyperLogLog.registers(o.buf);
            c.addReplyArrayLen(regs.length);
            for (int r : regs) c.addReplyLongLong(r);
        } else if (is(cmd, O_DECODE)) {
            if (HyperLogLog.encoding(o.buf) != HyperLogLog.HLL_SPARSE) {
                c.addReplyError(Errors.PFDEBUG_NOT_SPARSE);
                return;
            }
            c.addReplyBulkString(HyperLogLog.decode(o.buf, o.len));
        } else if (is(cmd, O_ENCODING)) {
            c.addReplyStatus(HyperLogLog.encoding(o.buf) == HyperLogLog.HLL_DENSE ? "dense" : "sparse");
        } else if (is(cmd, O_TODENSE)) {
            boolean conv = false;
            if (HyperLogLog.encoding(o.buf) == HyperLogLog.HLL_SPARSE) {
                if (!toDense(c, o)) return;
                conv = true;
                c.server.dirty++;
            }
            c.addReply(conv ? Resp.CONE : Resp.CZERO);
        } else {
            c.addReplyError(String.format(Errors.PFDEBUG_UNKNOWN, cString(cmd)));
        }
    }

    /** Converts o to dense, reporting the size change; false after replying INVALIDOBJ. */
    private static boolean toDense(Client c, RawString o) {
        long before = MemorySize.ofValue(o);
        if (!HyperLogLog.sparseToDense(o)) {
            c.addReplyError(Errors.HLL_INVALIDOBJ);
            return false;
        }
        adjustMemory(c, o, before);
        return true;
    }

    /** An argument as C's %s prints it: up to the first NUL byte. */
    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** PFSELFTEST: Redis's self-test of the register code and the estimator (about half a second). */
    static void pfselftest(Client c) {
        String err = HyperLogLog.selfTest(c.server.config.hllSparseMaxBytes);
        if (err == null) c.addReplyOk();
        else c.addReplyError(err);
    }
}
