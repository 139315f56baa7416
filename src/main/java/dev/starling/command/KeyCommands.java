package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.Glob;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.Keyspace;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Client;
import dev.starling.types.Duplicable;
import dev.starling.types.ObjectEncoding;
import dev.starling.types.RawString;

import java.util.ArrayList;
import java.util.function.Consumer;

/**
 * The generic keyspace family (Redis's db.c, expire.c and the OBJECT command of object.c).
 *
 * <p>Lookups follow Redis's flags: TYPE, EXISTS, TTL and OBJECT read without touching the LRU/LFU
 * clock but count hits and misses; writes look keys up with lazy expiry first, so a key past its
 * TTL behaves as absent everywhere.
 */
final class KeyCommands {
    private KeyCommands() {}

    static void register(CommandTable t) {
        t.bind("del", KeyCommands::del);
        t.bind("unlink", KeyCommands::del);
        t.bind("exists", KeyCommands::exists);
        t.bind("type", KeyCommands::type);
        t.bind("rename", KeyCommands::rename);
        t.bind("renamenx", KeyCommands::renamenx);
        t.bind("copy", KeyCommands::copy);
        t.bind("move", KeyCommands::move);
        t.bind("swapdb", KeyCommands::swapdb);
        t.bind("keys", KeyCommands::keys);
        t.bind("scan", KeyCommands::scan);
        t.bind("randomkey", KeyCommands::randomkey);
        t.bind("touch", KeyCommands::touch);
        t.bind("dbsize", KeyCommands::dbsize);
        t.bind("flushdb", KeyCommands::flushdb);
        t.bind("flushall", KeyCommands::flushall);
        t.bind("expire", KeyCommands::expire);
        t.bind("pexpire", KeyCommands::pexpire);
        t.bind("expireat", KeyCommands::expireat);
        t.bind("pexpireat", KeyCommands::pexpireat);
        t.bind("ttl", KeyCommands::ttl);
        t.bind("pttl", KeyCommands::pttl);
        t.bind("expiretime", KeyCommands::expiretime);
        t.bind("pexpiretime", KeyCommands::pexpiretime);
        t.bind("persist", KeyCommands::persist);
        t.bind("object|encoding", KeyCommands::objectEncoding);
        t.bind("object|freq", KeyCommands::objectFreq);
        t.bind("object|idletime", KeyCommands::objectIdletime);
        t.bind("object|refcount", KeyCommands::objectRefcount);
        t.bind("object|help", KeyCommands::objectHelp);
    }

    // ---------------------------------------------------------------- helpers

    /** Redis's getIntFromObjectOrReply: a strict long in int range into c.llval, else msg (or Redis's texts). */
    static boolean getInt(Client c, byte[] arg, String msg) {
        if (!c.getLongLong(arg, msg)) return false;
        if (c.llval < Integer.MIN_VALUE || c.llval > Integer.MAX_VALUE) {
            c.addReplyError(msg != null ? msg : Errors.INT_OUT_OF_RANGE);
            return false;
        }
        return true;
    }

    /** ASCII case-insensitive comparison of an argument with a lower-case keyword (strcasecmp). */
    static boolean is(byte[] arg, String lower) {
        int n = lower.length();
        if (arg.length != n) return false;
        for (int i = 0; i < n; i++) {
            int b = arg[i];
            if (b >= 'A' && b <= 'Z') b += 32;
            if (b != lower.charAt(i)) return false;
        }
        return true;
    }

    /** Byte-wise equality (Redis's sdscmp == 0). */
    private static boolean sameKey(byte[] a, byte[] b) {
        return java.util.Arrays.equals(a, b);
    }

    /** Redis's addReplyHelp: a header naming the command, the lines, and the HELP footer. */
    static void addReplyHelp(Client c, String[] lines) {
        c.addReplyArrayLen(lines.length + 3);
        c.addReplyStatus(new String(c.argv[0], java.nio.charset.StandardCharsets.ISO_8859_1).toUpperCase(java.util.Locale.ROOT)
                + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        for (String l : lines) c.addReplyStatus(l);
        c.addReplyStatus("HELP");
        c.addReplyStatus("    Prints this help.");
    }

    /** Adds value under key in db keeping the entry's LRU/LFU field (the same object moved, as Redis). */
    private static void addMoved(Db db, byte[] key, Object value, int lru, long expire) {
        KeyEntry e = db.add(key, value);
        e.lru = lru;
        if (expire != -1) db.setExpire(key, expire);
    }

    // ---------------------------------------------------------------- DEL EXISTS TYPE TOUCH DBSIZE

    static void del(Client c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) {
            c.db.expireIfNeeded(c.argv[i]);
            if (c.db.delete(c.argv[i])) {
                c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", c.argv[i], c.db.id);
                c.server.dirty++;
                n++;
            }
        }
        c.addReplyLongLong(n);
    }

    static void exists(Client c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) if (c.db.lookupKeyReadNoTouch(c.argv[i]) != null) n++;
        c.addReplyLongLong(n);
    }

    static void type(Client c) {
        KeyEntry e = c.db.lookupKeyReadNoTouch(c.argv[1]);
        c.addReplyStatus(ObjectEncoding.typeName(e == null ? null : e.value));
    }

    static void touch(Client c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) if (c.db.lookupKeyRead(c.argv[i]) != null) n++;
        c.addReplyLongLong(n);
    }

    static void dbsize(Client c) {
        c.addReplyLongLong(c.db.size());
    }

    // ---------------------------------------------------------------- RENAME COPY MOVE SWAPDB

    static void rename(Client c) {
        renameGeneric(c, false);
    }

    static void renamenx(Client c) {
        renameGeneric(c, true);
    }

    /** Redis's renameGenericCommand: the value object moves with its TTL and LRU. */
    private static void renameGeneric(Client c, boolean nx) {
        byte[] src = c.argv[1], dst = c.argv[2];
        boolean samekey = sameKey(src, dst);
        KeyEntry e = c.db.lookupKeyWrite(src);
        if (e == null) {
            c.addReplyError(Errors.NO_SUCH_KEY);
            return;
        }
        if (samekey) {
            c.addReply(nx ? Resp.CZERO : Resp.OK);
            return;
        }
        Object value = e.value;
        int lru = e.lru;
        long expire = c.db.getExpire(src);
        if (c.db.lookupKeyWrite(dst) != null) {
            if (nx) {
                c.addReply(Resp.CZERO);
                return;
            }
            c.db.delete(dst);
        }
        c.db.delete(src);
        addMoved(c.db, dst, value, lru, expire);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "rename_from", src, c.db.id);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "rename_to", dst, c.db.id);
        c.server.dirty++;
        c.addReply(nx ? Resp.CONE : Resp.OK);
    }

    static void move(Client c) {
        Db src = c.db;
        if (!getInt(c, c.argv[2], null)) return;
        int dbid = (int) c.llval;
        Keyspace ks = c.server.keyspace;
        if (dbid < 0 || dbid >= ks.dbs.length) {
            c.addReplyError(Errors.DB_INDEX_OUT_OF_RANGE);
            return;
        }
        Db dst = ks.dbs[dbid];
        if (src == dst) {
            c.addReplyError(Errors.SAME_OBJECT);
            return;
        }
        byte[] key = c.argv[1];
        KeyEntry e = src.lookupKeyWrite(key);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        long expire = src.getExpire(key);
        if (dst.lookupKeyWrite(key) != null) {
            c.addReply(Resp.CZERO);
            return;
        }
        Object value = e.value;
        int lru = e.lru;
        src.delete(key);
        addMoved(dst, key, value, lru, expire);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "move_from", key, src.id);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "move_to", key, dst.id);
        c.server.dirty++;
        c.addReply(Resp.CONE);
    }

    static void copy(Client c) {
        Db src = c.db, dst = c.db;
        Keyspace ks = c.server.keyspace;
        boolean replace = false;
        for (int j = 3; j < c.argc; j++) {
            int additional = c.argc - j - 1;
            if (is(c.argv[j], "replace")) {
                replace = true;
            } else if (is(c.argv[j], "db") && additional >= 1) {
                if (!getInt(c, c.argv[j + 1], null)) return;
                if (c.llval < 0 || c.llval >= ks.dbs.length) {
                    c.addReplyError(Errors.DB_INDEX_OUT_OF_RANGE);
                    return;
                }
                dst = ks.dbs[(int) c.llval];
                j++;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        byte[] key = c.argv[1], newkey = c.argv[2];
        if (src == dst && sameKey(key, newkey)) {
            c.addReplyError(Errors.SAME_OBJECT);
            return;
        }
        KeyEntry e = src.lookupKeyRead(key);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        long expire = src.getExpire(key);
        boolean delete = false;
        if (dst.lookupKeyWrite(newkey) != null) {
            if (!replace) {
                c.addReply(Resp.CZERO);
                return;
            }
            delete = true;
        }
        Object dup = duplicate(e.value);
        if (dup == null) {
            c.addReplyError(Errors.UNKNOWN_TYPE_OBJECT);
            return;
        }
        if (delete) dst.delete(newkey);
        dst.add(newkey, dup);
        if (expire != -1) dst.setExpire(newkey, expire);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "copy_to", newkey, dst.id);
        c.server.dirty++;
        c.addReply(Resp.CONE);
    }

    /** A copy of value sharing nothing mutable; immutable strings are shared. Null if not copyable. */
    static Object duplicate(Object v) {
        if (v instanceof byte[]) return v;
        if (v instanceof RawString r) return new RawString(r.toBytes(), r.capacity() - r.len);
        if (v instanceof Duplicable d) return d.duplicate();
        return null;
    }

    static void swapdb(Client c) {
        if (!getInt(c, c.argv[1], Errors.INVALID_FIRST_DB_INDEX)) return;
        int id1 = (int) c.llval;
        if (!getInt(c, c.argv[2], Errors.INVALID_SECOND_DB_INDEX)) return;
        int id2 = (int) c.llval;
        Keyspace ks = c.server.keyspace;
        if (id1 < 0 || id1 >= ks.dbs.length || id2 < 0 || id2 >= ks.dbs.length) {
            c.addReplyError(Errors.DB_INDEX_OUT_OF_RANGE);
            return;
        }
        if (id1 != id2) {
            ks.listener.dbsSwapping(ks.dbs[id1], ks.dbs[id2]);
            ks.dbs[id1].swapWith(ks.dbs[id2]);
            // Clients blocked in either db may now find their keys (Redis's scanDatabaseForReadyKeys).
            c.server.blocking.scanDatabaseForReadyKeys(ks.dbs[id1]);
            c.server.blocking.scanDatabaseForReadyKeys(ks.dbs[id2]);
        }
        c.server.dirty++;
        c.addReplyOk();
    }

    // ---------------------------------------------------------------- KEYS SCAN RANDOMKEY

    /** Collects keys visited by a dict walk, optionally filtered by a pattern. */
    private static final class KeyCollector implements Consumer<KeyEntry> {
        final ArrayList<byte[]> keys = new ArrayList<>();
        Glob.Matcher pattern;

        @Override
        public void accept(KeyEntry e) {
            if (pattern == null || pattern.matches(e.key)) keys.add(e.key);
        }
    }

    static void keys(Client c) {
        byte[] pattern = c.argv[1];
        KeyCollector col = new KeyCollector();
        col.pattern = pattern.length == 1 && pattern[0] == '*' ? null : Glob.compile(pattern, false);
        c.db.dict.forEach(col);
        ArrayList<byte[]> keys = col.keys;
        int n = 0;
        for (int i = 0, size = keys.size(); i < size; i++) {
            byte[] k = keys.get(i);
            if (!c.db.keyIsExpired(k)) keys.set(n++, k);
        }
        c.addReplyArrayLen(n);
        for (int i = 0; i < n; i++) c.addReplyBulk(keys.get(i));
    }

    /** Marks an invalid SCAN cursor in {@link #parseScanCursor}'s result. */
    static final class BadCursor extends Exception {
        BadCursor() {
            super(null, null, false, false);
        }
    }

    /**
     * Parses a SCAN cursor as Redis does with strtoul: unsigned 64-bit decimal, optional sign ("-1"
     * wraps), no leading space, nothing after the digits (an empty string is cursor 0).
     */
    static long parseScanCursor(byte[] b) throws BadCursor {
        int n = b.length;
        if (n == 0) return 0;
        int first = b[0];
        if (first == ' ' || (first >= '\t' && first <= '\r')) throw new BadCursor();
        int i = 0;
        boolean neg = false;
        if (first == '+' || first == '-') {
            neg = first == '-';
            i++;
        }
        int digitsStart = i;
        long v = 0;
        boolean overflow = false;
        for (; i < n; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) break;
            // v * 10 + d in unsigned 64-bit, detecting overflow.
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, 10)) > 0) overflow = true;
            v = v * 10 + d;
        }
        if (i == digitsStart) {
            // No digits: strtoul leaves the end pointer at the start of the string.
            throw new BadCursor();
        }
        if (overflow) throw new BadCursor();
        // strtoul stops at a NUL byte, which is also where C sees the string end.
        if (i < n && b[i] != 0) throw new BadCursor();
        return neg ? -v : v;
    }

    static void scan(Client c) {
        if (!ScanOptions.parseCursorOrReply(c, c.argv[1])) return;
        long cursor = c.llval;
        ScanOptions opts = ScanOptions.parse(c, 2, true);
        if (opts == null) return;
        long count = opts.count;
        Glob.Matcher pattern = opts.pattern;
        byte[] typeName = opts.typeName;
        Db db = c.db;
        KeyCollector col = new KeyCollector();
        Dict<KeyEntry> dict = db.dict;
        // At most ten buckets per wanted key, so a sparse table cannot hold the executor long.
        long maxIterations = count * 10;
        do {
            cursor = dict.scan(cursor, col);
        } while (cursor != 0 && maxIterations-- != 0 && col.keys.size() < count);

        ArrayList<byte[]> keys = col.keys;
        int n = 0;
        for (int i = 0, size = keys.size(); i < size; i++) {
            byte[] k = keys.get(i);
            if (pattern != null && !pattern.matches(k)) continue;
            if (typeName != null) {
                KeyEntry e = db.lookupKeyReadNoTouch(k);
                if (!is(typeName, ObjectEncoding.typeName(e == null ? null : e.value))) continue;
            }
            if (db.expireIfNeeded(k)) continue;
            keys.set(n++, k);
        }
        c.addReplyArrayLen(2);
        c.addReplyBulkLongLong(cursor); // below the table size, so never negative (Redis prints it signed too)
        c.addReplyArrayLen(n);
        for (int i = 0; i < n; i++) c.addReplyBulk(keys.get(i));
    }

    static void randomkey(Client c) {
        Db db = c.db;
        int maxtries = 100;
        boolean allVolatile = db.dict.size() == db.expires.size();
        for (;;) {
            KeyEntry e = db.dict.randomEntry();
            if (e == null) {
                c.addReplyNull();
                return;
            }
            byte[] key = e.key;
            if (db.getExpire(key) != -1) {
                // On a replica expired keys are not deleted: give up rather than loop forever.
                if (allVolatile && db.ks.expireHook != null && !db.ks.expireHook.mayDelete() && --maxtries == 0) {
                    c.addReplyBulk(key);
                    return;
                }
                if (db.expireIfNeeded(key)) continue;
            }
            c.addReplyBulk(key);
            return;
        }
    }

    // ---------------------------------------------------------------- FLUSHDB FLUSHALL

    /** Redis's getFlushCommandFlags: ASYNC or SYNC, else a syntax error. Returns false on error. */
    private static boolean flushFlagsOk(Client c) {
        if (c.argc == 2 && (is(c.argv[1], "sync") || is(c.argv[1], "async"))) return true;
        if (c.argc != 1) {
            c.addReplyErrorSyntax();
            return false;
        }
        return true;
    }

    static void flushdb(Client c) {
        if (!flushFlagsOk(c)) return;
        c.db.ks.listener.dbFlushing(c.db);
        c.server.dirty += c.db.clear();
        // Replicated even when the database was already empty.
        c.forceCommandPropagation(Propagator.PROPAGATE_ALL);
        c.addReplyOk();
    }

    static void flushall(Client c) {
        if (!flushFlagsOk(c)) return;
        for (Db db : c.server.keyspace.dbs) {
            db.ks.listener.dbFlushing(db);
            c.server.dirty += db.clear();
        }
        // Redis kills a BGSAVE, then saves when save points are configured (which resets dirty).
        c.server.rdb.afterFlushAll();
        // Propagated as FLUSHALL after the save above, as Redis 7.0 does.
        c.forceCommandPropagation(Propagator.PROPAGATE_ALL);
        c.addReplyOk();
    }

    // ---------------------------------------------------------------- EXPIRE family

    static final int UNIT_SECONDS = 0, UNIT_MS = 1;
    static final int EXPIRE_NX = 1, EXPIRE_XX = 2, EXPIRE_GT = 4, EXPIRE_LT = 8;

    static void expire(Client c) {
        expireGeneric(c, c.server.keyspace.now, UNIT_SECONDS);
    }

    static void pexpire(Client c) {
        expireGeneric(c, c.server.keyspace.now, UNIT_MS);
    }

    static void expireat(Client c) {
        expireGeneric(c, 0, UNIT_SECONDS);
    }

    static void pexpireat(Client c) {
        expireGeneric(c, 0, UNIT_MS);
    }

    /** Redis's parseExtendedExpireArgumentsOrReply: NX XX GT LT flags, or -1 after replying an error. */
    private static int parseExpireFlags(Client c) {
        int flags = 0;
        for (int j = 3; j < c.argc; j++) {
            byte[] o = c.argv[j];
            if (is(o, "nx")) flags |= EXPIRE_NX;
            else if (is(o, "xx")) flags |= EXPIRE_XX;
            else if (is(o, "gt")) flags |= EXPIRE_GT;
            else if (is(o, "lt")) flags |= EXPIRE_LT;
            else {
                c.addReplyError("Unsupported option " + cString(o));
                return -1;
            }
        }
        if ((flags & EXPIRE_NX) != 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) != 0) {
            c.addReplyError(Errors.EXPIRE_NX_INCOMPATIBLE);
            return -1;
        }
        if ((flags & EXPIRE_GT) != 0 && (flags & EXPIRE_LT) != 0) {
            c.addReplyError(Errors.EXPIRE_GT_LT_INCOMPATIBLE);
            return -1;
        }
        return flags;
    }

    /** An argument as C's %s prints it: up to the first NUL byte. */
    static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Redis's expireGenericCommand: basetime is now for relative forms and 0 for absolute ones. A
     * time already past deletes the key; the reply is 1 if the TTL was set or the key deleted.
     */
    private static void expireGeneric(Client c, long basetime, int unit) {
        byte[] key = c.argv[1];
        int flags = parseExpireFlags(c);
        if (flags < 0) return;
        if (!c.getLongLong(c.argv[2], null)) return;
        long when = c.llval;
        if (unit == UNIT_SECONDS) {
            if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000) {
                c.addReplyError(String.format(Errors.INVALID_EXPIRE, c.cmd.fullName));
                return;
            }
            when *= 1000;
        }
        if (when > Long.MAX_VALUE - basetime) {
            c.addReplyError(String.format(Errors.INVALID_EXPIRE, c.cmd.fullName));
            return;
        }
        when += basetime;
        Db db = c.db;
        if (db.lookupKeyWrite(key) == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (flags != 0) {
            long current = db.getExpire(key);
            if ((flags & EXPIRE_NX) != 0 && current != -1
                    || (flags & EXPIRE_XX) != 0 && current == -1
                    // No TTL counts as infinite: GT never beats it, LT always does.
                    || (flags & EXPIRE_GT) != 0 && (when <= current || current == -1)
                    || (flags & EXPIRE_LT) != 0 && current != -1 && when >= current) {
                c.addReply(Resp.CZERO);
                return;
            }
        }
        if (checkAlreadyExpired(c, when)) {
            db.delete(key);
            c.server.dirty++;
            c.rewriteCommandVector(c.server.config.lazyfreeLazyExpire ? Propagator.UNLINK : Propagator.DEL, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, db.id);
            c.addReply(Resp.CONE);
            return;
        }
        db.setExpire(key, when);
        c.addReply(Resp.CONE);
        // Propagate as PEXPIREAT key ms, keeping the NX/XX/GT/LT arguments.
        if (c.server.propagator.active()) {
            if (basetime != 0 || unit == UNIT_SECONDS) {
                c.rewriteCommandArgument(0, Propagator.PEXPIREAT);
                c.rewriteCommandArgument(2, StringCommands.longToBytes(when));
            }
        }
        db.ks.listener.keyModified(db, key);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "expire", key, db.id);
        c.server.dirty++;
    }

    /** A time at or before now deletes at once, except on a replica (its master sends the DEL). */
    static boolean checkAlreadyExpired(Client c, long when) {
        Keyspace ks = c.server.keyspace;
        if (ks.loading || (ks.expireHook != null && !ks.expireHook.mayDelete())) return false;
        return when <= ks.clock.millis();
    }

    static void ttl(Client c) {
        ttlGeneric(c, false, false);
    }

    static void pttl(Client c) {
        ttlGeneric(c, true, false);
    }

    static void expiretime(Client c) {
        ttlGeneric(c, false, true);
    }

    static void pexpiretime(Client c) {
        ttlGeneric(c, true, true);
    }

    /** Redis's ttlGenericCommand: -2 no key, -1 no TTL, else the TTL (relative or absolute). */
    private static void ttlGeneric(Client c, boolean ms, boolean abs) {
        if (c.db.lookupKeyReadNoTouch(c.argv[1]) == null) {
            c.addReplyLongLong(-2);
            return;
        }
        long expire = c.db.getExpire(c.argv[1]);
        if (expire == -1) {
            c.addReplyLongLong(-1);
            return;
        }
        long ttl = abs ? expire : expire - c.server.keyspace.clock.millis();
        if (ttl < 0) ttl = 0;
        c.addReplyLongLong(ms ? ttl : (ttl + 500) / 1000);
    }

    static void persist(Client c) {
        if (c.db.lookupKeyWrite(c.argv[1]) == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (c.db.removeExpire(c.argv[1])) {
            c.db.ks.listener.keyModified(c.db, c.argv[1]);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "persist", c.argv[1], c.db.id);
            c.addReply(Resp.CONE);
            c.server.dirty++;
        } else {
            c.addReply(Resp.CZERO);
        }
    }

    // ---------------------------------------------------------------- OBJECT

    private static final String[] OBJECT_HELP = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    };

    /** Redis's OBJ_SHARED_REFCOUNT: the refcount shown for shared integer objects. */
    static final long OBJ_SHARED_REFCOUNT = Integer.MAX_VALUE;
    /** Redis's OBJ_SHARED_INTEGERS: values 0..9999 are shared objects. */
    static final long OBJ_SHARED_INTEGERS = 10000;

    static void objectHelp(Client c) {
        addReplyHelp(c, OBJECT_HELP);
    }

    /** The entry for OBJECT's key without touching it, or null after replying null. */
    private static KeyEntry objectLookup(Client c) {
        KeyEntry e = c.db.lookupKeyReadNoNotify(c.argv[2]);
        if (e == null) c.addReplyNull();
        return e;
    }

    private static boolean lfuPolicy(Client c) {
        return c.server.config.maxmemoryPolicy.contains("lfu");
    }

    static void objectEncoding(Client c) {
        KeyEntry e = objectLookup(c);
        if (e != null) c.addReplyBulkString(ObjectEncoding.encodingName(e.value));
    }

    static void objectFreq(Client c) {
        KeyEntry e = objectLookup(c);
        if (e == null) return;
        if (!lfuPolicy(c)) {
            c.addReplyError(Errors.OBJECT_FREQ_NOT_LFU);
            return;
        }
        c.addReplyLongLong(c.server.keyspace.lfuDecrAndReturn(e));
    }

    static void objectIdletime(Client c) {
        KeyEntry e = objectLookup(c);
        if (e == null) return;
        if (lfuPolicy(c)) {
            c.addReplyError(Errors.OBJECT_IDLETIME_LFU);
            return;
        }
        c.addReplyLongLong(c.server.keyspace.idleMillis(e) / 1000);
    }

    /**
     * 1, except for integers 0..9999 stored by SET-like commands, which Redis replaces by shared
     * objects (refcount INT_MAX) unless maxmemory is set with an LRU/LFU policy.
     */
    static void objectRefcount(Client c) {
        KeyEntry e = objectLookup(c);
        if (e == null) return;
        long refcount = 1;
        if (e.value instanceof byte[] b && b.length <= 4 && sharedIntegersAllowed(c)) {
            long v = dev.starling.protocol.Numbers.parseLong(b);
            if (dev.starling.protocol.Numbers.isValidLong(v, b) && v >= 0 && v < OBJ_SHARED_INTEGERS) {
                refcount = OBJ_SHARED_REFCOUNT;
            }
        }
        c.addReplyLongLong(refcount);
    }

    /** Redis's MAXMEMORY_FLAG_NO_SHARED_INTEGERS check in tryObjectEncoding. */
    private static boolean sharedIntegersAllowed(Client c) {
        String p = c.server.config.maxmemoryPolicy;
        return c.server.config.maxmemory == 0 || !(p.contains("lru") || p.contains("lfu"));
    }
}
