package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Blocking;
import dev.starling.server.Client;
import dev.starling.types.Quicklist;

/**
 * The list type (Redis 7.0's t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
 * LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH
 * BLMPOP. Every list is a {@link Quicklist}, small ones included, as in 7.0. Argument checks,
 * replies, keyspace events and dirty counts follow t_list.c in its order.
 *
 * <p>Replication is not built yet. Where Redis rewrites a command for the replicas and the AOF it
 * is noted ("propagates as ...").
 */
public final class ListCommands {
    private ListCommands() {}

    /** Redis's LIST_HEAD / LIST_TAIL. */
    public static final int LIST_HEAD = 0, LIST_TAIL = 1;

    static void register(CommandTable t) {
        t.bind("lpush", ListCommands::lpush);
        t.bind("rpush", ListCommands::rpush);
        t.bind("lpushx", ListCommands::lpushx);
        t.bind("rpushx", ListCommands::rpushx);
        t.bind("linsert", ListCommands::linsert);
        t.bind("llen", ListCommands::llen);
        t.bind("lindex", ListCommands::lindex);
        t.bind("lset", ListCommands::lset);
        t.bind("lpop", ListCommands::lpop);
        t.bind("rpop", ListCommands::rpop);
        t.bind("lrange", ListCommands::lrange);
        t.bind("ltrim", ListCommands::ltrim);
        t.bind("lpos", ListCommands::lpos);
        t.bind("lrem", ListCommands::lrem);
        t.bind("rpoplpush", ListCommands::rpoplpush);
        t.bind("lmove", ListCommands::lmove);
        t.bind("lmpop", ListCommands::lmpop);
        t.bind("blpop", ListCommands::blpop);
        t.bind("brpop", ListCommands::brpop);
        t.bind("brpoplpush", ListCommands::brpoplpush);
        t.bind("blmove", ListCommands::blmove);
        t.bind("blmpop", ListCommands::blmpop);
    }

    // ---------------------------------------------------------------- helpers

    /** A new empty list with the current list-max-listpack-size and list-compress-depth. */
    static Quicklist createQuicklist(Client c) {
        return new Quicklist(c.server.config.listMaxListpackSize, c.server.config.listCompressDepth);
    }

    /** Redis's checkType for lists: replies WRONGTYPE and returns true if e holds another type. */
    private static boolean wrongType(Client c, KeyEntry e) {
        if (e != null && !(e.value instanceof Quicklist)) {
            c.addReplyErrorWrongType();
            return true;
        }
        return false;
    }

    /**
     * Redis's lookupKey{Read,Write}OrReply plus checkType: the list at key, or null after replying
     * missing (no key) or WRONGTYPE.
     */
    private static Quicklist lookupListOrReply(Client c, byte[] key, boolean write, byte[] missing) {
        KeyEntry e = write ? c.db.lookupKeyWrite(key) : c.db.lookupKeyRead(key);
        if (e == null) {
            c.addReply(missing);
            return null;
        }
        if (wrongType(c, e)) return null;
        return (Quicklist) e.value;
    }

    /** Redis's getListPositionFromObjectOrReply: LEFT → HEAD, RIGHT → TAIL, else -1 after a syntax error. */
    private static int listPosition(Client c, byte[] arg) {
        if (KeyCommands.is(arg, "right")) return LIST_TAIL;
        if (KeyCommands.is(arg, "left")) return LIST_HEAD;
        c.addReplyError(Errors.SYNTAX);
        return -1;
    }

    /** Redis's getRangeLongFromObjectOrReply; false after replying. msg replaces both errors when given. */
    private static boolean rangeLong(Client c, byte[] arg, long min, long max, String msg) {
        if (!c.getLongLong(arg, msg)) return false;
        if (c.llval < min || c.llval > max) {
            c.addReplyError(msg != null ? msg : "value is out of range, value must between " + min + " and " + max);
            return false;
        }
        return true;
    }

    /** Writes the current entry of it as a bulk string, straight from the listpack bytes. */
    private static void replyEntry(Client c, Quicklist.Iter it) {
        if (it.isInt()) c.addReplyBulkLongLong(it.intValue());
        else c.addReplyBulk(it.buf(), it.off(), it.len());
    }

    /** Redis's addListRangeReply: elements start..end (normalised like LRANGE), reversed if asked. */
    static void addListRangeReply(Client c, Quicklist ql, long start, long end, boolean reverse) {
        long llen = ql.count();
        if (start < 0) start = llen + start;
        if (end < 0) end = llen + end;
        if (start < 0) start = 0;
        if (start > end || start >= llen) {
            c.addReply(Resp.EMPTY_ARRAY);
            return;
        }
        if (end >= llen) end = llen - 1;
        long rangelen = end - start + 1;
        c.addReplyArrayLen(rangelen);
        Quicklist.Iter it = ql.iteratorAt(reverse ? end : start, !reverse, false);
        while (rangelen-- > 0 && it.next()) replyEntry(c, it);
    }

    /** Redis's listElementsRemoved: events, deletion of an emptied list, dirty. Returns true if deleted. */
    private static boolean listElementsRemoved(Client c, byte[] key, int where, Quicklist ql, long count) {
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, where == LIST_HEAD ? "lpop" : "rpop", key, c.db.id);
        boolean deleted = deleteIfEmpty(c, key, ql);
        c.db.ks.listener.keyModified(c.db, key);
        c.server.dirty += count;
        return deleted;
    }

    /** Deletes an emptied list with its "del" event, as every popping command does; true if deleted. */
    private static boolean deleteIfEmpty(Client c, byte[] key, Quicklist ql) {
        if (ql.count() != 0) return false;
        c.db.delete(key);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
        return true;
    }

    /** Deletes start..start+n of ql, keeping the memory estimate. */
    private static void delRange(Client c, Quicklist ql, long start, long n) {
        long before = ql.memoryBytes();
        ql.delRange(start, n);
        c.db.adjustMemory(ql.memoryBytes() - before);
    }

    private static byte[] pop(Client c, Quicklist ql, int where) {
        long before = ql.memoryBytes();
        byte[] v = ql.pop(where == LIST_HEAD);
        c.db.adjustMemory(ql.memoryBytes() - before);
        return v;
    }

    private static void push(Client c, Quicklist ql, byte[] v, int where) {
        long before = ql.memoryBytes();
        ql.push(v, where == LIST_HEAD);
        c.db.adjustMemory(ql.memoryBytes() - before);
    }

    // ---------------------------------------------------------------- push

    static void lpush(Client c) {
        pushGeneric(c, LIST_HEAD, false);
    }

    static void rpush(Client c) {
        pushGeneric(c, LIST_TAIL, false);
    }

    static void lpushx(Client c) {
        pushGeneric(c, LIST_HEAD, true);
    }

    static void rpushx(Client c) {
        pushGeneric(c, LIST_TAIL, true);
    }

    /** Redis's pushGenericCommand; xx: only if the list exists (LPUSHX/RPUSHX). */
    private static void pushGeneric(Client c, int where, boolean xx) {
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (wrongType(c, e)) return;
        Quicklist ql;
        if (e == null) {
            if (xx) {
                c.addReply(Resp.CZERO);
                return;
            }
            ql = createQuicklist(c);
            c.db.add(key, ql);
        } else {
            ql = (Quicklist) e.value;
        }
        long before = ql.memoryBytes();
        for (int j = 2; j < c.argc; j++) {
            ql.push(c.argv[j], where == LIST_HEAD);
            c.server.dirty++;
        }
        c.db.adjustMemory(ql.memoryBytes() - before);
        c.addReplyLongLong(ql.count());
        c.db.ks.listener.keyModified(c.db, key);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, where == LIST_HEAD ? "lpush" : "rpush", key, c.db.id);
    }

    static void linsert(Client c) {
        boolean after;
        if (KeyCommands.is(c.argv[2], "after")) after = true;
        else if (KeyCommands.is(c.argv[2], "before")) after = false;
        else {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        Quicklist ql = lookupListOrReply(c, c.argv[1], true, Resp.CZERO);
        if (ql == null) return;
        long before = ql.memoryBytes();
        Quicklist.Iter it = ql.iterator(true, true);
        boolean inserted = false;
        while (it.next()) {
            if (it.eq(c.argv[3])) {
                ql.insert(it, c.argv[4], after);
                inserted = true;
                break;
            }
        }
        it.release();
        c.db.adjustMemory(ql.memoryBytes() - before);
        if (!inserted) {
            c.addReplyLongLong(-1);
            return;
        }
        c.db.ks.listener.keyModified(c.db, c.argv[1]);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, "linsert", c.argv[1], c.db.id);
        c.server.dirty++;
        c.addReplyLongLong(ql.count());
    }

    // ---------------------------------------------------------------- read

    static void llen(Client c) {
        Quicklist ql = lookupListOrReply(c, c.argv[1], false, Resp.CZERO);
        if (ql != null) c.addReplyLongLong(ql.count());
    }

    static void lindex(Client c) {
        Quicklist ql = lookupListOrReply(c, c.argv[1], false, c.resp == 2 ? Resp.NULL_BULK_RESP2 : Resp.NULL_RESP3);
        if (ql == null || !c.getLongLong(c.argv[2], null)) return;
        Quicklist.Iter it = ql.iteratorAt(c.llval, false, false);
        if (it != null && it.next()) replyEntry(c, it);
        else c.addReplyNull();
    }

    static void lrange(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        long start = c.llval;
        if (!c.getLongLong(c.argv[3], null)) return;
        long end = c.llval;
        Quicklist ql = lookupListOrReply(c, c.argv[1], false, Resp.EMPTY_ARRAY);
        if (ql != null) addListRangeReply(c, ql, start, end, false);
    }

    static void lpos(Client c) {
        byte[] ele = c.argv[2];
        int direction = LIST_TAIL;
        long rank = 1, count = -1, maxlen = 0; // count -1: no COUNT option
        for (int j = 3; j < c.argc; j++) {
            boolean more = c.argc - 1 - j > 0;
            if (KeyCommands.is(c.argv[j], "rank") && more) {
                j++;
                // 7.0 takes any long here: RANK LONG_MIN stays negative when negated, as in C.
                if (!c.getLongLong(c.argv[j], null)) return;
                rank = c.llval;
                if (rank == 0) {
                    c.addReplyError(Errors.LPOS_RANK_ZERO);
                    return;
                }
            } else if (KeyCommands.is(c.argv[j], "count") && more) {
                j++;
                if (!rangeLong(c, c.argv[j], 0, Long.MAX_VALUE, Errors.LPOS_COUNT_NEGATIVE)) return;
                count = c.llval;
            } else if (KeyCommands.is(c.argv[j], "maxlen") && more) {
                j++;
                if (!rangeLong(c, c.argv[j], 0, Long.MAX_VALUE, Errors.LPOS_MAXLEN_NEGATIVE)) return;
                maxlen = c.llval;
            } else {
                c.addReplyError(Errors.SYNTAX);
                return;
            }
        }
        if (rank < 0) {
            rank = -rank;
            direction = LIST_HEAD;
        }
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            if (count != -1) c.addReply(Resp.EMPTY_ARRAY);
            else c.addReplyNull();
            return;
        }
        if (wrongType(c, e)) return;
        Quicklist ql = (Quicklist) e.value;
        long llen = ql.count();
        Quicklist.Iter it = ql.iterator(direction == LIST_TAIL, false);
        long index = 0, matches = 0, matchindex = -1;
        // With COUNT the indexes are collected first: the array length comes before them.
        long[] found = count != -1 ? new long[8] : null;
        int nfound = 0;
        while (it.next() && (maxlen == 0 || index < maxlen)) {
            if (it.eq(ele)) {
                matches++;
                matchindex = direction == LIST_TAIL ? index : llen - index - 1;
                if (matches >= rank) {
                    if (found != null) {
                        if (nfound == found.length) found = java.util.Arrays.copyOf(found, nfound * 2);
                        found[nfound++] = matchindex;
                        if (count != 0 && matches - rank + 1 >= count) break;
                    } else {
                        break;
                    }
                }
            }
            index++;
            matchindex = -1;
        }
        if (found != null) {
            c.addReplyArrayLen(nfound);
            for (int i = 0; i < nfound; i++) c.addReplyLongLong(found[i]);
        } else if (matchindex != -1) {
            c.addReplyLongLong(matchindex);
        } else {
            c.addReplyNull();
        }
    }

    // ---------------------------------------------------------------- write

    static void lset(Client c) {
        KeyEntry e = c.db.lookupKeyWrite(c.argv[1]);
        if (e == null) {
            c.addReplyError(Errors.NO_SUCH_KEY);
            return;
        }
        if (wrongType(c, e)) return;
        if (!c.getLongLong(c.argv[2], null)) return;
        Quicklist ql = (Quicklist) e.value;
        long before = ql.memoryBytes();
        boolean replaced = ql.replaceAtIndex(c.llval, c.argv[3]);
        c.db.adjustMemory(ql.memoryBytes() - before);
        if (!replaced) {
            c.addReplyError(Errors.OUT_OF_RANGE);
            return;
        }
        c.addReplyOk();
        c.db.ks.listener.keyModified(c.db, c.argv[1]);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, "lset", c.argv[1], c.db.id);
        c.server.dirty++;
    }

    static void lpop(Client c) {
        popGeneric(c, LIST_HEAD);
    }

    static void rpop(Client c) {
        popGeneric(c, LIST_TAIL);
    }

    /** Redis's popGenericCommand: one element as a bulk, or with COUNT an array (null array if no key). */
    private static void popGeneric(Client c, int where) {
        boolean hascount = c.argc == 3;
        long count = 0;
        if (c.argc > 3) {
            c.addReplyErrorArity();
            return;
        } else if (hascount) {
            if (!rangeLong(c, c.argv[2], 0, Long.MAX_VALUE, Errors.POP_COUNT_NOT_POSITIVE)) return;
            count = c.llval;
        }
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (e == null) {
            if (hascount) c.addReplyNullArray();
            else c.addReplyNull();
            return;
        }
        if (wrongType(c, e)) return;
        Quicklist ql = (Quicklist) e.value;
        if (hascount && count == 0) {
            c.addReply(Resp.EMPTY_ARRAY);
            return;
        }
        if (count == 0) {
            c.addReplyBulk(pop(c, ql, where));
            listElementsRemoved(c, key, where, ql, 1);
        } else {
            long llen = ql.count();
            long rangelen = Math.min(count, llen);
            long rangestart = where == LIST_HEAD ? 0 : -rangelen;
            long rangeend = where == LIST_HEAD ? rangelen - 1 : -1;
            addListRangeReply(c, ql, rangestart, rangeend, where == LIST_TAIL);
            delRange(c, ql, rangestart, rangelen);
            listElementsRemoved(c, key, where, ql, rangelen);
        }
    }

    static void ltrim(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        long start = c.llval;
        if (!c.getLongLong(c.argv[3], null)) return;
        long end = c.llval;
        byte[] key = c.argv[1];
        Quicklist ql = lookupListOrReply(c, key, true, Resp.OK);
        if (ql == null) return;
        long llen = ql.count();
        if (start < 0) start = llen + start;
        if (end < 0) end = llen + end;
        if (start < 0) start = 0;
        long ltrim, rtrim;
        if (start > end || start >= llen) {
            ltrim = llen;
            rtrim = 0;
        } else {
            if (end >= llen) end = llen - 1;
            ltrim = start;
            rtrim = llen - end - 1;
        }
        delRange(c, ql, 0, ltrim);
        delRange(c, ql, -rtrim, rtrim);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, "ltrim", key, c.db.id);
        deleteIfEmpty(c, key, ql);
        c.db.ks.listener.keyModified(c.db, key);
        c.server.dirty += ltrim + rtrim;
        c.addReplyOk();
    }

    static void lrem(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        long toremove = c.llval;
        byte[] key = c.argv[1];
        Quicklist ql = lookupListOrReply(c, key, true, Resp.CZERO);
        if (ql == null) return;
        long before = ql.memoryBytes();
        Quicklist.Iter it;
        if (toremove < 0) {
            toremove = -toremove;
            it = ql.iterator(false, true);
        } else {
            it = ql.iterator(true, true);
        }
        long removed = 0;
        byte[] obj = c.argv[3];
        while (it.next()) {
            if (it.eq(obj)) {
                it.delete();
                c.server.dirty++;
                removed++;
                if (toremove != 0 && removed == toremove) break;
            }
        }
        it.release();
        c.db.adjustMemory(ql.memoryBytes() - before);
        if (removed != 0) c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, "lrem", key, c.db.id);
        deleteIfEmpty(c, key, ql);
        if (removed != 0) c.db.ks.listener.keyModified(c.db, key);
        c.addReplyLongLong(removed);
    }

    // ---------------------------------------------------------------- LMOVE RPOPLPUSH

    static void rpoplpush(Client c) {
        lmoveGeneric(c, LIST_TAIL, LIST_HEAD, null);
    }

    static void lmove(Client c) {
        int wherefrom = listPosition(c, c.argv[3]);
        if (wherefrom < 0) return;
        int whereto = listPosition(c, c.argv[4]);
        if (whereto < 0) return;
        lmoveGeneric(c, wherefrom, whereto, null);
    }

    /** Redis's lmoveHandlePush: pushes value to dstkey (creating the list), and replies it. */
    private static void lmoveHandlePush(Client c, byte[] dstkey, KeyEntry dst, byte[] value, int where) {
        Quicklist dql;
        if (dst == null) {
            dql = createQuicklist(c);
            c.db.add(dstkey, dql);
        } else {
            dql = (Quicklist) dst.value;
        }
        c.db.ks.listener.keyModified(c.db, dstkey);
        push(c, dql, value, where);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, where == LIST_HEAD ? "lpush" : "rpush", dstkey, c.db.id);
        c.addReplyBulk(value);
    }

    /**
     * Redis's lmoveGenericCommand. propagateAs: null to propagate the command as sent, or LMOVE
     * (BLMOVE) or RPOPLPUSH (BRPOPLPUSH) for the blocking forms served at once.
     */
    private static void lmoveGeneric(Client c, int wherefrom, int whereto, byte[] propagateAs) {
        byte[] src = c.argv[1], dstkey = c.argv[2];
        KeyEntry se = c.db.lookupKeyWrite(src);
        if (se == null) {
            c.addReplyNull();
            return;
        }
        if (wrongType(c, se)) return;
        Quicklist sql = (Quicklist) se.value;
        KeyEntry de = c.db.lookupKeyWrite(dstkey);
        if (wrongType(c, de)) return;
        byte[] value = pop(c, sql, wherefrom);
        lmoveHandlePush(c, dstkey, de, value, whereto);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, wherefrom == LIST_HEAD ? "lpop" : "rpop", src, c.db.id);
        deleteIfEmpty(c, src, sql);
        c.db.ks.listener.keyModified(c.db, src);
        c.server.dirty++;
        if (propagateAs == Propagator.LMOVE) {
            c.rewriteCommandVector(Propagator.LMOVE, src, dstkey, c.argv[3], c.argv[4]);
        } else if (propagateAs == Propagator.RPOPLPUSH) {
            c.rewriteCommandVector(Propagator.RPOPLPUSH, src, dstkey);
        }
    }

    /**
     * What a blocking pop propagates: LPOP/RPOP key, with the number popped when count is not -1
     * (LMPOP and BLMPOP too). also: a blocked client served later, whose pop is queued for the
     * unit instead of rewriting the command that wakes it.
     */
    private static void propagatePop(Client c, byte[] key, int where, long count, boolean also) {
        if (!c.server.propagator.active()) return;
        byte[] cmd = where == LIST_HEAD ? Propagator.LPOP : Propagator.RPOP;
        byte[][] argv = count == -1 ? new byte[][] {cmd, key} : new byte[][] {cmd, key, StringCommands.longToBytes(count)};
        if (also) c.server.propagator.alsoPropagate(c.db.id, argv);
        else c.rewriteCommandVector(argv);
    }

    // ---------------------------------------------------------------- LMPOP

    static void lmpop(Client c) {
        lmpopGeneric(c, 1, false);
    }

    static void blmpop(Client c) {
        lmpopGeneric(c, 2, true);
    }

    /** Redis's lmpopGenericCommand: numkeys, the keys, LEFT|RIGHT, [COUNT n]. */
    private static void lmpopGeneric(Client c, int numkeysIdx, boolean block) {
        if (!rangeLong(c, c.argv[numkeysIdx], 1, Long.MAX_VALUE, Errors.NUMKEYS_NOT_POSITIVE)) return;
        long numkeys = c.llval;
        long whereIdx = numkeysIdx + numkeys + 1;
        if (whereIdx >= c.argc) {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        int where = listPosition(c, c.argv[(int) whereIdx]);
        if (where < 0) return;
        long count = -1;
        for (int j = (int) whereIdx + 1; j < c.argc; j++) {
            boolean more = c.argc - 1 - j > 0;
            if (count == -1 && KeyCommands.is(c.argv[j], "count") && more) {
                j++;
                if (!rangeLong(c, c.argv[j], 1, Long.MAX_VALUE, Errors.COUNT_NOT_POSITIVE)) return;
                count = c.llval;
            } else {
                c.addReplyError(Errors.SYNTAX);
                return;
            }
        }
        if (count == -1) count = 1;
        if (block) blockingPopGeneric(c, numkeysIdx + 1, (int) numkeys, where, 1, count);
        else mpopGeneric(c, numkeysIdx + 1, (int) numkeys, where, count);
    }

    /** Redis's mpopGenericCommand: pops from the first non-empty list (propagates as LPOP/RPOP key count). */
    private static void mpopGeneric(Client c, int first, int numkeys, int where, long count) {
        for (int j = first; j < first + numkeys; j++) {
            byte[] key = c.argv[j];
            KeyEntry e = c.db.lookupKeyWrite(key);
            if (e == null) continue;
            if (wrongType(c, e)) return;
            Quicklist ql = (Quicklist) e.value;
            propagatePop(c, key, where, Math.min(count, ql.count()), false);
            listPopRangeAndReplyWithKey(c, ql, key, where, count);
            return;
        }
        c.addReplyNullArray();
    }

    /** Redis's listPopRangeAndReplyWithKey: [key, [elements]]; returns true if the list was deleted. */
    private static boolean listPopRangeAndReplyWithKey(Client c, Quicklist ql, byte[] key, int where, long count) {
        long llen = ql.count();
        long rangelen = Math.min(count, llen);
        long rangestart = where == LIST_HEAD ? 0 : -rangelen;
        long rangeend = where == LIST_HEAD ? rangelen - 1 : -1;
        c.addReplyArrayLen(2);
        c.addReplyBulk(key);
        addListRangeReply(c, ql, rangestart, rangeend, where == LIST_TAIL);
        delRange(c, ql, rangestart, rangelen);
        return listElementsRemoved(c, key, where, ql, rangelen);
    }

    // ---------------------------------------------------------------- blocking

    static void blpop(Client c) {
        blockingPopGeneric(c, 1, c.argc - 2, LIST_HEAD, c.argc - 1, -1);
    }

    static void brpop(Client c) {
        blockingPopGeneric(c, 1, c.argc - 2, LIST_TAIL, c.argc - 1, -1);
    }

    /**
     * Redis's blockingPopGenericCommand: serves at once from the first non-empty list (propagates as
     * LPOP/RPOP, with the count for BLMPOP), else blocks; count -1 means BLPOP/BRPOP replies.
     */
    private static void blockingPopGeneric(Client c, int first, int numkeys, int where, int timeoutIdx, long count) {
        long timeout = Blocking.timeoutOrReply(c, c.argv[timeoutIdx]);
        if (timeout < 0) return;
        for (int j = first; j < first + numkeys; j++) {
            byte[] key = c.argv[j];
            KeyEntry e = c.db.lookupKeyWrite(key);
            if (e == null) continue;
            if (wrongType(c, e)) return;
            Quicklist ql = (Quicklist) e.value;
            if (count != -1) {
                propagatePop(c, key, where, Math.min(count, ql.count()), false);
                listPopRangeAndReplyWithKey(c, ql, key, where, count);
                return;
            }
            byte[] value = pop(c, ql, where);
            c.addReplyArrayLen(2);
            c.addReplyBulk(key);
            c.addReplyBulk(value);
            listElementsRemoved(c, key, where, ql, 1);
            propagatePop(c, key, where, -1, false);
            return;
        }
        if (Blocking.deniesBlocking(c)) {
            c.addReplyNullArray();
            return;
        }
        Blocking.State st = c.server.blocking.blockForKeys(c, c.argv, first, numkeys, timeout, LIST_BLOCKED);
        st.where = where;
        st.count = count;
    }

    static void blmove(Client c) {
        int wherefrom = listPosition(c, c.argv[3]);
        if (wherefrom < 0) return;
        int whereto = listPosition(c, c.argv[4]);
        if (whereto < 0) return;
        long timeout = Blocking.timeoutOrReply(c, c.argv[5]);
        if (timeout < 0) return;
        blmoveGeneric(c, wherefrom, whereto, timeout, Propagator.LMOVE);
    }

    static void brpoplpush(Client c) {
        long timeout = Blocking.timeoutOrReply(c, c.argv[3]);
        if (timeout < 0) return;
        blmoveGeneric(c, LIST_TAIL, LIST_HEAD, timeout, Propagator.RPOPLPUSH);
    }

    /** BLMOVE and BRPOPLPUSH; propagateAs is the non-blocking command they propagate as. */
    private static void blmoveGeneric(Client c, int wherefrom, int whereto, long timeout, byte[] propagateAs) {
        KeyEntry e = c.db.lookupKeyWrite(c.argv[1]);
        if (wrongType(c, e)) return;
        if (e != null) {
            lmoveGeneric(c, wherefrom, whereto, propagateAs);
            return;
        }
        if (Blocking.deniesBlocking(c)) {
            c.addReplyNull();
            return;
        }
        Blocking.State st = c.server.blocking.blockForKeys(c, c.argv, 1, 1, timeout, LIST_BLOCKED);
        st.where = wherefrom;
        st.whereTo = whereto;
        st.target = c.argv[2];
        st.extra = propagateAs;
    }

    /** Serves clients blocked by the list commands (Redis's serveClientBlockedOnList). */
    static final Blocking.Handler LIST_BLOCKED = new Blocking.Handler() {
        @Override
        public boolean accepts(Object value) {
            return value instanceof Quicklist;
        }

        @Override
        public boolean serve(Client r, Blocking.State st, byte[] key, KeyEntry e) {
            Quicklist ql = (Quicklist) e.value;
            Db db = r.db;
            if (st.target == null) {
                if (st.count != -1) {
                    // BLMPOP, propagates as LPOP/RPOP key count.
                    propagatePop(r, key, st.where, Math.min(st.count, ql.count()), true);
                    return listPopRangeAndReplyWithKey(r, ql, key, st.where, st.count);
                }
                // BLPOP/BRPOP, propagates as LPOP/RPOP key.
                byte[] value = pop(r, ql, st.where);
                r.addReplyArrayLen(2);
                r.addReplyBulk(key);
                r.addReplyBulk(value);
                r.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, st.where == LIST_HEAD ? "lpop" : "rpop", key, db.id);
                propagatePop(r, key, st.where, -1, true);
            } else {
                // BLMOVE/BRPOPLPUSH, propagates as LMOVE/RPOPLPUSH. A destination of another type
                // fails this client with WRONGTYPE and leaves the source as it was.
                KeyEntry dst = db.lookupKeyWrite(st.target);
                if (wrongType(r, dst)) return false;
                byte[] value = pop(r, ql, st.where);
                lmoveHandlePush(r, st.target, dst, value, st.whereTo);
                r.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, st.where == LIST_TAIL ? "rpop" : "lpop", key, db.id);
                if (r.server.propagator.active()) {
                    if (st.extra == Propagator.RPOPLPUSH) {
                        r.server.propagator.alsoPropagate(db.id, Propagator.RPOPLPUSH, key, st.target);
                    } else {
                        r.server.propagator.alsoPropagate(db.id, Propagator.LMOVE, key, st.target,
                                st.where == LIST_HEAD ? Propagator.LEFT : Propagator.RIGHT,
                                st.whereTo == LIST_HEAD ? Propagator.LEFT : Propagator.RIGHT);
                    }
                }
            }
            return deleteIfEmpty(r, key, ql);
        }
    };
}
