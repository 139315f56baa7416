package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.DictEntry;
import dev.starling.keyspace.Glob;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Errors;
import dev.starling.protocol.LongDouble;
import dev.starling.protocol.Numbers;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Client;
import dev.starling.types.Hash;
import dev.starling.types.Listpack;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The hash family (Redis 7.0's t_hash.c commands over {@link Hash}).
 *
 * <p>Write commands follow Redis's order: look the key up (WRONGTYPE before anything else), convert
 * the encoding where t_hash.c does, write, then signal the key modified, notify and move
 * server.dirty by Redis's amounts. A new hash is built first and added to the db at the end
 * (Redis adds the empty object first; nothing can observe the difference within one command), so
 * its size is accounted once; an existing one reports its size change.
 */
final class HashCommands {
    private HashCommands() {}

    static void register(CommandTable t) {
        t.bind("hset", HashCommands::hset);
        t.bind("hmset", HashCommands::hset);
        t.bind("hsetnx", HashCommands::hsetnx);
        t.bind("hget", HashCommands::hget);
        t.bind("hmget", HashCommands::hmget);
        t.bind("hgetall", HashCommands::hgetall);
        t.bind("hkeys", HashCommands::hkeys);
        t.bind("hvals", HashCommands::hvals);
        t.bind("hdel", HashCommands::hdel);
        t.bind("hlen", HashCommands::hlen);
        t.bind("hexists", HashCommands::hexists);
        t.bind("hstrlen", HashCommands::hstrlen);
        t.bind("hincrby", HashCommands::hincrby);
        t.bind("hincrbyfloat", HashCommands::hincrbyfloat);
        t.bind("hrandfield", HashCommands::hrandfield);
        t.bind("hscan", HashCommands::hscan);
    }

    private static final byte[] EMPTY_MAP_RESP3 = Resp.ascii("%0\r\n");

    // ---------------------------------------------------------------- lookup helpers

    /**
     * The hash at the key for reading, or null: replies {@code missing} (if not null) when there is
     * no key and WRONGTYPE when it is not a hash (Redis's lookupKeyReadOrReply + checkType); either
     * way the reply is sent and the caller returns.
     */
    private static Hash lookupRead(Client c, byte[] missing) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            if (missing != null) c.addReply(missing);
            return null;
        }
        if (e.value instanceof Hash h) return h;
        c.addReplyErrorWrongType();
        return null;
    }

    /** What {@link #lookupWrite} returns after replying WRONGTYPE. */
    private static final Hash WRONG_TYPE = new Hash();

    /**
     * Redis's hashTypeLookupWriteOrCreate without the create: the hash at argv[1] for a write, null
     * if there is no key, or {@link #WRONG_TYPE} after replying WRONGTYPE.
     */
    private static Hash lookupWrite(Client c) {
        KeyEntry e = c.db.lookupKeyWrite(c.argv[1]);
        if (e == null) return null;
        if (e.value instanceof Hash h) return h;
        c.addReplyErrorWrongType();
        return WRONG_TYPE;
    }

    /**
     * After a write: a new hash (sizeBefore -1) is added to the db; an existing one reports its size
     * change and is signalled modified (Redis's signalModifiedKey; dbAdd signals new keys itself).
     */
    private static void written(Client c, Hash o, long sizeBefore) {
        o.trim();
        if (sizeBefore < 0) {
            c.db.add(c.argv[1], o);
        } else {
            c.db.adjustMemory(o.memoryBytes() - sizeBefore);
            c.db.ks.listener.keyModified(c.db, c.argv[1]);
        }
    }

    /** Replies the listpack entry at p as a bulk string (integers in decimal). */
    static void addListpackEntryToReply(Client c, byte[] lp, int p) {
        if (Listpack.isInt(lp, p)) c.addReplyBulkLongLong(Listpack.getInt(lp, p));
        else c.addReplyBulk(lp, Listpack.strOffset(lp, p), Listpack.strLength(lp, p));
    }

    /** Redis's addHashFieldToReply: the field's value or a null. */
    private static void addHashFieldToReply(Client c, Hash o, byte[] field) {
        if (o == null) {
            c.addReplyNull();
            return;
        }
        byte[] lp = o.lp();
        if (lp != null) {
            int vptr = Hash.lpFindValue(lp, field);
            if (vptr < 0) c.addReplyNull();
            else addListpackEntryToReply(c, lp, vptr);
        } else {
            Hash.Field f = o.dict().get(field);
            if (f == null) c.addReplyNull();
            else c.addReplyBulk(f.value);
        }
    }

    // ---------------------------------------------------------------- HSET HMSET HSETNX

    /** HSET key field value [field value ...] and HMSET (same, but replies OK). */
    static void hset(Client c) {
        if (c.argc % 2 == 1) {
            c.addReplyErrorArity();
            return;
        }
        Hash o = lookupWrite(c);
        if (o == WRONG_TYPE) return;
        boolean created = o == null;
        Config cfg = c.server.config;
        if (created) o = (c.argc - 2) / 2 <= cfg.hashMaxListpackEntries ? Hash.withRoomFor(c.argv, 2, c.argc - 1) : new Hash();
        long before = created ? -1 : o.memoryBytes();
        o.tryConversion(c.argv, 2, c.argc - 1, cfg.hashMaxListpackValue);
        int added = 0;
        for (int i = 2; i < c.argc; i += 2) {
            if (!o.set(c.argv[i], c.argv[i + 1], cfg.hashMaxListpackEntries, cfg.hashMaxListpackValue)) added++;
        }
        written(c, o, before);
        byte[] name = c.argv[0];
        if (name[1] == 's' || name[1] == 'S') c.addReplyLongLong(added);
        else c.addReplyOk();
        c.server.notifyKeyspaceEvent(Config.NOTIFY_HASH, "hset", c.argv[1], c.db.id);
        c.server.dirty += (c.argc - 2) / 2;
    }

    static void hsetnx(Client c) {
        Hash o = lookupWrite(c);
        if (o == WRONG_TYPE) return;
        boolean created = o == null;
        if (created) o = new Hash();
        if (!created && o.exists(c.argv[2])) {
            c.addReply(Resp.CZERO);
            return;
        }
        long before = created ? -1 : o.memoryBytes();
        Config cfg = c.server.config;
        o.tryConversion(c.argv, 2, 3, cfg.hashMaxListpackValue);
        o.set(c.argv[2], c.argv[3], cfg.hashMaxListpackEntries, cfg.hashMaxListpackValue);
        written(c, o, before);
        c.addReply(Resp.CONE);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_HASH, "hset", c.argv[1], c.db.id);
        c.server.dirty++;
    }

    // ---------------------------------------------------------------- HGET HMGET HEXISTS HSTRLEN HLEN

    static void hget(Client c) {
        Hash o = lookupRead(c, c.resp == 2 ? Resp.NULL_BULK_RESP2 : Resp.NULL_RESP3);
        if (o != null) addHashFieldToReply(c, o, c.argv[2]);
    }

    /** Missing keys are empty hashes: a null per field. */
    static void hmget(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        Hash o = null;
        if (e != null) {
            if (!(e.value instanceof Hash h)) {
                c.addReplyErrorWrongType();
                return;
            }
            o = h;
        }
        c.addReplyArrayLen(c.argc - 2);
        for (int i = 2; i < c.argc; i++) addHashFieldToReply(c, o, c.argv[i]);
    }

    static void hexists(Client c) {
        Hash o = lookupRead(c, Resp.CZERO);
        if (o != null) c.addReply(o.exists(c.argv[2]) ? Resp.CONE : Resp.CZERO);
    }

    static void hstrlen(Client c) {
        Hash o = lookupRead(c, Resp.CZERO);
        if (o != null) c.addReplyLongLong(o.valueLength(c.argv[2]));
    }

    static void hlen(Client c) {
        Hash o = lookupRead(c, Resp.CZERO);
        if (o != null) c.addReplyLongLong(o.length());
    }

    // ---------------------------------------------------------------- HGETALL HKEYS HVALS

    private static final int OBJ_HASH_KEY = 1, OBJ_HASH_VALUE = 2;

    static void hgetall(Client c) {
        genericHgetall(c, OBJ_HASH_KEY | OBJ_HASH_VALUE);
    }

    static void hkeys(Client c) {
        genericHgetall(c, OBJ_HASH_KEY);
    }

    static void hvals(Client c) {
        genericHgetall(c, OBJ_HASH_VALUE);
    }

    /**
     * Replies the chosen parts (OBJ_HASH_KEY, OBJ_HASH_VALUE) of every hashtable entry it visits;
     * with {@code nested}, each field/value pair in its own array in RESP3 (HRANDFIELD's shape).
     */
    private static final class FieldReplier implements Consumer<Hash.Field> {
        final Client c;
        final int flags;
        final boolean nested;

        FieldReplier(Client c, int flags, boolean nested) {
            this.c = c;
            this.flags = flags;
            this.nested = nested;
        }

        @Override
        public void accept(Hash.Field f) {
            if (nested && c.resp > 2) c.addReplyArrayLen(2);
            if ((flags & OBJ_HASH_KEY) != 0) c.addReplyBulk(f.key);
            if ((flags & OBJ_HASH_VALUE) != 0) c.addReplyBulk(f.value);
        }
    }

    /** Redis's genericHgetallCommand: a map for fields and values, an array for one of them. */
    private static void genericHgetall(Client c, int flags) {
        boolean both = flags == (OBJ_HASH_KEY | OBJ_HASH_VALUE);
        Hash o = lookupRead(c, both && c.resp == 3 ? EMPTY_MAP_RESP3 : Resp.EMPTY_ARRAY);
        if (o == null) return;
        long length = o.length();
        if (both) c.addReplyMapLen(length);
        else c.addReplyArrayLen(length);
        byte[] lp = o.lp();
        if (lp != null) {
            for (int p = Listpack.first(lp); p >= 0; p = Listpack.next(lp, p)) {
                if ((flags & OBJ_HASH_KEY) != 0) addListpackEntryToReply(c, lp, p);
                p = Listpack.next(lp, p);
                if ((flags & OBJ_HASH_VALUE) != 0) addListpackEntryToReply(c, lp, p);
            }
        } else {
            o.dict().forEach(new FieldReplier(c, flags, false));
        }
    }

    // ---------------------------------------------------------------- HDEL

    static void hdel(Client c) {
        Hash o = lookupWrite(c);
        if (o == WRONG_TYPE) return;
        if (o == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        long before = o.memoryBytes();
        int deleted = 0;
        boolean keyRemoved = false;
        for (int j = 2; j < c.argc; j++) {
            if (o.delete(c.argv[j])) {
                deleted++;
                if (o.length() == 0) {
                    keyRemoved = true;
                    break;
                }
            }
        }
        if (deleted > 0) {
            if (keyRemoved) {
                c.db.adjustMemory(o.memoryBytes() - before); // delete() subtracts the current size
                c.db.delete(c.argv[1]);
            } else {
                written(c, o, before);
            }
            c.server.notifyKeyspaceEvent(Config.NOTIFY_HASH, "hdel", c.argv[1], c.db.id);
            if (keyRemoved) c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", c.argv[1], c.db.id);
            c.server.dirty += deleted;
        }
        c.addReplyLongLong(deleted);
    }

    // ---------------------------------------------------------------- HINCRBY HINCRBYFLOAT

    static void hincrby(Client c) {
        if (!c.getLongLong(c.argv[3], null)) return;
        long incr = c.llval;
        Hash o = lookupWrite(c);
        if (o == WRONG_TYPE) return;
        boolean created = o == null;
        if (created) o = new Hash();
        long value = 0;
        if (!created) {
            byte[] lp = o.lp();
            if (lp != null) {
                int vptr = Hash.lpFindValue(lp, c.argv[2]);
                if (vptr >= 0) {
                    if (Listpack.isInt(lp, vptr)) {
                        value = Listpack.getInt(lp, vptr);
                    } else {
                        // Usually not a number (lpAppend stores canonical integers as integers), but
                        // a RESTOREd listpack may hold one as a string, which string2ll accepts.
                        byte[] s = Listpack.get(lp, vptr);
                        value = Numbers.parseLong(s);
                        if (!Numbers.isValidLong(value, s)) {
                            c.addReplyError(Errors.HASH_VALUE_NOT_INTEGER);
                            return;
                        }
                    }
                }
            } else {
                Hash.Field f = o.dict().get(c.argv[2]);
                if (f != null) {
                    long v = Numbers.parseLong(f.value);
                    if (!Numbers.isValidLong(v, f.value)) {
                        c.addReplyError(Errors.HASH_VALUE_NOT_INTEGER);
                        return;
                    }
                    value = v;
                }
            }
        }
        if ((incr < 0 && value < 0 && incr < Long.MIN_VALUE - value) || (incr > 0 && value > 0 && incr > Long.MAX_VALUE - value)) {
            c.addReplyError(Errors.INCR_OVERFLOW);
            return;
        }
        value += incr;
        long before = created ? -1 : o.memoryBytes();
        Config cfg = c.server.config;
        o.set(c.argv[2], Long.toString(value).getBytes(StandardCharsets.US_ASCII),
                cfg.hashMaxListpackEntries, cfg.hashMaxListpackValue);
        written(c, o, before);
        c.addReplyLongLong(value);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_HASH, "hincrby", c.argv[1], c.db.id);
        c.server.dirty++;
    }

    static void hincrbyfloat(Client c) {
        byte[] arg = c.argv[3];
        BigDecimal incr = LongDouble.parse(arg, 0, arg.length);
        if (incr == null) {
            c.addReplyError(Errors.NOT_FLOAT);
            return;
        }
        if (incr == LongDouble.POS_INF || incr == LongDouble.NEG_INF) {
            c.addReplyError(Errors.VALUE_NAN_OR_INF);
            return;
        }
        Hash o = lookupWrite(c);
        if (o == WRONG_TYPE) return;
        boolean created = o == null;
        if (created) o = new Hash();
        BigDecimal value = BigDecimal.ZERO;
        if (!created) {
            byte[] lp = o.lp();
            if (lp != null) {
                int vptr = Hash.lpFindValue(lp, c.argv[2]);
                if (vptr >= 0) {
                    value = Listpack.isInt(lp, vptr) ? BigDecimal.valueOf(Listpack.getInt(lp, vptr))
                            : LongDouble.parse(lp, Listpack.strOffset(lp, vptr), Listpack.strLength(lp, vptr));
                }
            } else {
                Hash.Field f = o.dict().get(c.argv[2]);
                if (f != null) value = LongDouble.parse(f.value, 0, f.value.length);
            }
            if (value == null) {
                c.addReplyError(Errors.HASH_VALUE_NOT_FLOAT);
                return;
            }
        }
        BigDecimal sum = LongDouble.add(value, incr);
        if (sum == null) {
            c.addReplyError(Errors.INCR_NAN);
            return;
        }
        byte[] text = LongDouble.toHumanString(sum);
        long before = created ? -1 : o.memoryBytes();
        Config cfg = c.server.config;
        o.set(c.argv[2], text, cfg.hashMaxListpackEntries, cfg.hashMaxListpackValue);
        written(c, o, before);
        c.addReplyBulk(text);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_HASH, "hincrbyfloat", c.argv[1], c.db.id);
        c.server.dirty++;
        // The result, not the increment: float formatting must not differ on replicas.
        c.rewriteCommandArgument(0, Propagator.HSET);
        c.rewriteCommandArgument(3, text);
    }

    // ---------------------------------------------------------------- HRANDFIELD

    /** Redis's HRANDFIELD_SUB_STRATEGY_MUL and HRANDFIELD_RANDOM_SAMPLE_LIMIT. */
    private static final int HRANDFIELD_SUB_STRATEGY_MUL = 3;
    private static final byte[] O_WITHVALUES = StringCommands.ascii("withvalues");

    /** HRANDFIELD key [count [WITHVALUES]]. */
    static void hrandfield(Client c) {
        if (c.argc >= 3) {
            if (!c.getLongLong(c.argv[2], null)) return;
            long l = c.llval;
            if (l < -Long.MAX_VALUE) {
                c.addReplyError(Errors.rangeLong(-Long.MAX_VALUE, Long.MAX_VALUE));
                return;
            }
            boolean withValues = false;
            if (c.argc > 4 || (c.argc == 4 && !StringCommands.is(c.argv[3], O_WITHVALUES))) {
                c.addReplyErrorSyntax();
                return;
            } else if (c.argc == 4) {
                withValues = true;
                if (l < -Long.MAX_VALUE / 2 || l > Long.MAX_VALUE / 2) {
                    c.addReplyError(Errors.VALUE_OUT_OF_RANGE);
                    return;
                }
            }
            hrandfieldWithCount(c, l, withValues);
            return;
        }
        Hash o = lookupRead(c, c.resp == 2 ? Resp.NULL_BULK_RESP2 : Resp.NULL_RESP3);
        if (o == null) return;
        byte[] lp = o.lp();
        if (lp != null) {
            int n = Listpack.size(lp) / 2;
            addListpackEntryToReply(c, lp, Listpack.seek(lp, 2L * ThreadLocalRandom.current().nextInt(n)));
        } else {
            c.addReplyBulk(fairRandomEntry(o.dict()).key);
        }
    }

    private static final DictEntry[] FAIR_SAMPLE = new DictEntry[15];

    /** Redis's dictGetFairRandomKey: a random one of up to 15 sampled entries (less biased by chain length). */
    private static Hash.Field fairRandomEntry(Dict<Hash.Field> d) {
        int n = d.sample(FAIR_SAMPLE, FAIR_SAMPLE.length);
        Hash.Field f = n == 0 ? d.randomEntry() : (Hash.Field) FAIR_SAMPLE[ThreadLocalRandom.current().nextInt(n)];
        java.util.Arrays.fill(FAIR_SAMPLE, 0, n, null);
        return f;
    }

    /** Offsets of every field of the listpack, in order (values follow each). */
    private static int[] fieldOffsets(byte[] lp, int n) {
        int[] offs = new int[n];
        int i = 0;
        for (int p = Listpack.first(lp); p >= 0; p = Listpack.next(lp, Listpack.next(lp, p))) offs[i++] = p;
        return offs;
    }

    /** One pair of the reply: RESP3 nests each field/value pair in its own array. */
    private static void replyListpackPair(Client c, byte[] lp, int fptr, boolean withValues) {
        if (withValues && c.resp > 2) c.addReplyArrayLen(2);
        addListpackEntryToReply(c, lp, fptr);
        if (withValues) addListpackEntryToReply(c, lp, Listpack.next(lp, fptr));
    }

    /** Redis's hrandfieldWithCountCommand, its four cases. */
    private static void hrandfieldWithCount(Client c, long l, boolean withValues) {
        Hash o = lookupRead(c, Resp.EMPTY_ARRAY);
        if (o == null) return;
        long size = o.length();
        boolean uniq = l >= 0;
        long count = uniq ? l : -l;
        if (count == 0) {
            c.addReply(Resp.EMPTY_ARRAY);
            return;
        }
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        byte[] lp = o.lp();
        FieldReplier reply = new FieldReplier(c, withValues ? OBJ_HASH_KEY | OBJ_HASH_VALUE : OBJ_HASH_KEY, withValues);

        // CASE 1: negative count (repetitions allowed, random order), or a single element.
        if (!uniq || count == 1) {
            c.addReplyArrayLen(withValues && c.resp == 2 ? count * 2 : count);
            if (lp != null) {
                int[] offs = fieldOffsets(lp, (int) size);
                while (count-- > 0) {
                    replyListpackPair(c, lp, offs[rnd.nextInt(offs.length)], withValues);
                    if (c.has(Client.CLOSE_ASAP)) break;
                }
            } else {
                while (count-- > 0) {
                    reply.accept(fairRandomEntry(o.dict()));
                    if (c.has(Client.CLOSE_ASAP)) break;
                }
            }
            return;
        }

        long replySize = Math.min(count, size);
        c.addReplyArrayLen(withValues && c.resp == 2 ? replySize * 2 : replySize);

        // CASE 2: the whole hash, in its iteration order.
        if (count >= size) {
            if (lp != null) {
                for (int p = Listpack.first(lp); p >= 0; p = Listpack.next(lp, Listpack.next(lp, p))) {
                    replyListpackPair(c, lp, p, withValues);
                }
            } else {
                o.dict().forEach(reply);
            }
            return;
        }

        // CASE 3: count close to the size: take everything, drop random ones down to count (Redis
        // replies from a temporary dict, so its order is arbitrary too).
        if (count * HRANDFIELD_SUB_STRATEGY_MUL > size) {
            int n = (int) size;
            if (lp != null) {
                int[] offs = fieldOffsets(lp, n);
                while (n > count) {
                    int i = rnd.nextInt(n);
                    offs[i] = offs[--n];
                }
                for (int i = 0; i < n; i++) replyListpackPair(c, lp, offs[i], withValues);
            } else {
                EntryCollector all = new EntryCollector();
                o.dict().forEach(all);
                ArrayList<Hash.Field> fields = all.fields;
                while (n > count) {
                    int i = rnd.nextInt(n);
                    fields.set(i, fields.get(--n));
                }
                for (int i = 0; i < n; i++) reply.accept(fields.get(i));
            }
            return;
        }

        // CASE 4: a big hash compared to count.
        if (lp != null) {
            // lpRandomPairsUnique: selection sampling in one pass, so in listpack order.
            long remaining = count, index = 0;
            for (int p = Listpack.first(lp); p >= 0 && remaining > 0; p = Listpack.next(lp, Listpack.next(lp, p))) {
                double threshold = (double) remaining / (size - index);
                if (rnd.nextDouble() <= threshold) {
                    replyListpackPair(c, lp, p, withValues);
                    remaining--;
                }
                index++;
            }
            return;
        }
        HashSet<DictEntry> picked = new HashSet<>((int) Math.min(count * 2, Integer.MAX_VALUE - 8));
        long added = 0;
        while (added < count) {
            Hash.Field f = fairRandomEntry(o.dict());
            if (!picked.add(f)) continue;
            added++;
            reply.accept(f);
        }
    }

    private static final class EntryCollector implements Consumer<Hash.Field> {
        final ArrayList<Hash.Field> fields = new ArrayList<>();

        @Override
        public void accept(Hash.Field f) {
            fields.add(f);
        }
    }

    // ---------------------------------------------------------------- HSCAN

    /**
     * HSCAN key cursor [MATCH pattern] [COUNT count]: Redis's hscanCommand + scanGenericCommand. A
     * listpack replies every pair with cursor 0; a hashtable walks its dict with Redis's cursor,
     * COUNT entries per call (at most ten buckets per wanted element). MATCH tests the fields.
     */
    static void hscan(Client c) {
        if (!ScanOptions.parseCursorOrReply(c, c.argv[2])) return;
        long cursor = c.llval;
        Hash o = lookupRead(c, ScanOptions.EMPTY_SCAN);
        if (o == null) return;
        ScanOptions opts = ScanOptions.parse(c, 3, false);
        if (opts == null) return;
        long count = opts.count;
        Glob.Matcher pattern = opts.pattern;
        ArrayList<byte[]> items = new ArrayList<>();
        byte[] lp = o.lp();
        if (lp != null) {
            for (int p = Listpack.first(lp); p >= 0; p = Listpack.next(lp, p)) items.add(Listpack.get(lp, p));
            cursor = 0;
        } else {
            ScanCollector col = new ScanCollector(items);
            Dict<Hash.Field> d = o.dict();
            count *= 2; // field and value per entry
            long maxIterations = count * 10;
            do {
                cursor = d.scan(cursor, col);
            } while (cursor != 0 && maxIterations-- != 0 && items.size() < count);
        }
        int n = 0;
        for (int i = 0, size = items.size(); i < size; i += 2) {
            byte[] field = items.get(i);
            if (pattern != null && !pattern.matches(field)) continue;
            items.set(n++, field);
            items.set(n++, items.get(i + 1));
        }
        c.addReplyArrayLen(2);
        c.addReplyBulkLongLong(cursor);
        c.addReplyArrayLen(n);
        for (int i = 0; i < n; i++) c.addReplyBulk(items.get(i));
    }

    private static final class ScanCollector implements Consumer<Hash.Field> {
        final ArrayList<byte[]> items;

        ScanCollector(ArrayList<byte[]> items) {
            this.items = items;
        }

        @Override
        public void accept(Hash.Field f) {
            items.add(f.key);
            items.add(f.value);
        }
    }
}
