package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.Glob;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Client;
import dev.starling.types.IntSet;
import dev.starling.types.SetValue;

import java.util.ArrayList;
import java.util.function.Consumer;

/**
 * The set family (Redis 7.0's t_set.c) over {@link SetValue}.
 *
 * <p>Reply order follows Redis: commands that reply from a set iterate it (an intset ascending, a
 * hashtable in bucket order), and SUNION/SDIFF (and SPOP with a count covering the whole set)
 * first build their result in a fresh set that starts as an intset, so an all-integer result of
 * up to set-max-intset-entries members comes back sorted even from hashtable inputs, as in Redis.
 * The *STORE commands store that fresh set, which is how a hashtable input can yield an intset.
 */
final class SetCommands {
    private SetCommands() {}

    static void register(CommandTable t) {
        t.bind("sadd", SetCommands::sadd);
        t.bind("srem", SetCommands::srem);
        t.bind("smove", SetCommands::smove);
        t.bind("sismember", SetCommands::sismember);
        t.bind("smismember", SetCommands::smismember);
        t.bind("scard", SetCommands::scard);
        t.bind("spop", SetCommands::spop);
        t.bind("srandmember", SetCommands::srandmember);
        t.bind("smembers", SetCommands::sinter); // Redis 7.0 serves SMEMBERS with sinterCommand
        t.bind("sinter", SetCommands::sinter);
        t.bind("sintercard", SetCommands::sintercard);
        t.bind("sinterstore", SetCommands::sinterstore);
        t.bind("sunion", SetCommands::sunion);
        t.bind("sunionstore", SetCommands::sunionstore);
        t.bind("sdiff", SetCommands::sdiff);
        t.bind("sdiffstore", SetCommands::sdiffstore);
        t.bind("sscan", SetCommands::sscan);
    }


    private static long maxIntset(Client c) {
        return c.server.config.setMaxIntsetEntries;
    }

    /** Tells the memory estimate and WATCH that a set changed in place. */
    private static void modified(Client c, byte[] key, SetValue s, long sizeBefore) {
        c.db.adjustMemory(s.memoryBytes() - sizeBefore);
        c.db.ks.listener.keyModified(c.db, key);
    }

    /** Replies one member of a set being iterated: an intset's integer or a hashtable's bytes. */
    private static void replyMembers(Client c, SetValue s) {
        if (s.isIntset()) {
            byte[] is = s.intsetBytes();
            for (int i = 0, n = IntSet.len(is); i < n; i++) c.addReplyBulkLongLong(IntSet.get(is, i));
        } else {
            for (byte[] m : s.members()) c.addReplyBulk(m);
        }
    }

    /** alsoPropagates SREM key member for each member of s, in {@link #replyMembers} order. */
    private static void propagateSrems(Client c, byte[] key, SetValue s) {
        if (s.isIntset()) {
            byte[] is = s.intsetBytes();
            for (int i = 0, n = IntSet.len(is); i < n; i++) {
                c.server.propagator.alsoPropagate(c.db.id, Propagator.SREM, key, IntSet.ll2bytes(IntSet.get(is, i)));
            }
        } else {
            for (byte[] m : s.members()) c.server.propagator.alsoPropagate(c.db.id, Propagator.SREM, key, m);
        }
    }

    // ---------------------------------------------------------------- SADD SREM SMOVE

    static void sadd(Client c) {
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        SetValue s;
        if (e == null) {
            s = SetValue.create(c.argv[2]);
            c.db.add(key, s);
        } else if (e.value instanceof SetValue v) {
            s = v;
        } else {
            c.addReplyErrorWrongType();
            return;
        }
        long before = s.memoryBytes(), max = maxIntset(c);
        int added = 0;
        for (int j = 2; j < c.argc; j++) {
            if (s.add(c.argv[j], max)) added++;
        }
        c.db.adjustMemory(s.memoryBytes() - before);
        if (added != 0) {
            c.db.ks.listener.keyModified(c.db, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, "sadd", key, c.db.id);
        }
        c.server.dirty += added;
        c.addReplyLongLong(added);
    }

    static void srem(Client c) {
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (!(e.value instanceof SetValue s)) {
            c.addReplyErrorWrongType();
            return;
        }
        long before = s.memoryBytes();
        int deleted = 0;
        boolean keyRemoved = false;
        for (int j = 2; j < c.argc; j++) {
            if (s.remove(c.argv[j])) {
                deleted++;
                if (s.size() == 0) {
                    keyRemoved = true;
                    break;
                }
            }
        }
        c.db.adjustMemory(s.memoryBytes() - before);
        if (keyRemoved) c.db.delete(key);
        if (deleted != 0) {
            c.db.ks.listener.keyModified(c.db, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, "srem", key, c.db.id);
            if (keyRemoved) c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
            c.server.dirty += deleted;
        }
        c.addReplyLongLong(deleted);
    }

    static void smove(Client c) {
        byte[] src = c.argv[1], dst = c.argv[2], ele = c.argv[3];
        KeyEntry se = c.db.lookupKeyWrite(src);
        KeyEntry de = c.db.lookupKeyWrite(dst);
        if (se == null) {
            c.addReply(Resp.CZERO);
            return;
        }
        if (!(se.value instanceof SetValue srcset) || (de != null && !(de.value instanceof SetValue))) {
            c.addReplyErrorWrongType();
            return;
        }
        SetValue dstset = de == null ? null : (SetValue) de.value;
        if (srcset == dstset) {
            c.addReply(srcset.contains(ele) ? Resp.CONE : Resp.CZERO);
            return;
        }
        long before = srcset.memoryBytes();
        if (!srcset.remove(ele)) {
            c.addReply(Resp.CZERO);
            return;
        }
        c.db.adjustMemory(srcset.memoryBytes() - before);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, "srem", src, c.db.id);
        if (srcset.size() == 0) {
            c.db.delete(src);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", src, c.db.id);
        }
        if (dstset == null) {
            dstset = SetValue.create(ele);
            c.db.add(dst, dstset);
        }
        c.db.ks.listener.keyModified(c.db, src);
        c.server.dirty++;
        before = dstset.memoryBytes();
        if (dstset.add(ele, maxIntset(c))) {
            c.server.dirty++;
            modified(c, dst, dstset, before);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, "sadd", dst, c.db.id);
        }
        c.addReply(Resp.CONE);
    }

    // ---------------------------------------------------------------- SISMEMBER SMISMEMBER SCARD

    static void sismember(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.CZERO);
        } else if (e.value instanceof SetValue s) {
            c.addReply(s.contains(c.argv[2]) ? Resp.CONE : Resp.CZERO);
        } else {
            c.addReplyErrorWrongType();
        }
    }

    static void smismember(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        SetValue s = null;
        if (e != null) {
            if (!(e.value instanceof SetValue v)) {
                c.addReplyErrorWrongType();
                return;
            }
            s = v;
        }
        c.addReplyArrayLen(c.argc - 2);
        for (int j = 2; j < c.argc; j++) c.addReply(s != null && s.contains(c.argv[j]) ? Resp.CONE : Resp.CZERO);
    }

    static void scard(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.CZERO);
        } else if (e.value instanceof SetValue s) {
            c.addReplyLongLong(s.size());
        } else {
            c.addReplyErrorWrongType();
        }
    }

    // ---------------------------------------------------------------- SPOP

    /** Redis's SPOP_MOVE_STRATEGY_MUL: past this ratio SPOP rebuilds the set from what remains. */
    private static final int SPOP_MOVE_STRATEGY_MUL = 5;

    static void spop(Client c) {
        if (c.argc == 3) {
            spopWithCount(c);
            return;
        } else if (c.argc > 3) {
            c.addReplyErrorSyntax();
            return;
        }
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (e == null) {
            c.addReplyNull();
            return;
        }
        if (!(e.value instanceof SetValue s)) {
            c.addReplyErrorWrongType();
            return;
        }
        long before = s.memoryBytes();
        byte[] m;
        if (s.isIntset()) {
            long v = s.randomInt();
            s.removeInt(v);
            c.addReplyBulkLongLong(v);
            m = c.server.propagator.active() ? IntSet.ll2bytes(v) : null;
        } else {
            m = s.randomMember();
            s.remove(m);
            c.addReplyBulk(m);
        }
        // The member chosen at random, as SREM.
        if (m != null) c.rewriteCommandVector(Propagator.SREM, key, m);
        c.db.adjustMemory(s.memoryBytes() - before);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, "spop", key, c.db.id);
        if (s.size() == 0) {
            c.db.delete(key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
        }
        c.db.ks.listener.keyModified(c.db, key);
        c.server.dirty++;
    }

    private static void spopWithCount(Client c) {
        if (!getPositiveLong(c, c.argv[2], null)) return;
        long count = c.llval;
        byte[] key = c.argv[1];
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (e == null) {
            c.addReplySetLen(0);
            return;
        }
        if (!(e.value instanceof SetValue s)) {
            c.addReplyErrorWrongType();
            return;
        }
        if (count == 0) {
            c.addReplySetLen(0);
            return;
        }
        long size = s.size();
        c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, "spop", key, c.db.id);
        c.server.dirty += Math.min(count, size);

        // CASE 1: the whole set, replied as SUNION key would, propagated as DEL.
        if (count >= size) {
            sunionDiffGeneric(c, 1, 1, null, SET_OP_UNION);
            c.rewriteCommandVector(Propagator.DEL, key);
            c.db.delete(key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
            c.db.ks.listener.keyModified(c.db, key);
            return;
        }
        c.addReplySetLen(count);
        long remaining = size - count;
        long before = s.memoryBytes();
        // Each popped member propagates as one SREM (7.0 does not batch them); SPOP itself does not.
        c.preventCommandPropagation();
        boolean propagate = c.server.propagator.active();
        if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
            // CASE 2: few elements compared to the set: pop them one by one.
            while (count-- > 0) {
                if (s.isIntset()) {
                    long v = s.randomInt();
                    c.addReplyBulkLongLong(v);
                    s.removeInt(v);
                    if (propagate) c.server.propagator.alsoPropagate(c.db.id, Propagator.SREM, key, IntSet.ll2bytes(v));
                } else {
                    byte[] m = s.randomMember();
                    c.addReplyBulk(m);
                    s.remove(m);
                    if (propagate) c.server.propagator.alsoPropagate(c.db.id, Propagator.SREM, key, m);
                }
            }
            c.db.adjustMemory(s.memoryBytes() - before);
        } else {
            // CASE 3: most of the set goes: move the few that remain into a new set (created as
            // setTypeCreate would for the first of them), reply what is left of the old one.
            SetValue newset = null;
            long max = maxIntset(c);
            while (remaining-- > 0) {
                byte[] m = s.isIntset() ? IntSet.ll2bytes(s.randomInt()) : s.randomMember();
                if (newset == null) newset = SetValue.create(m);
                newset.add(m, max);
                s.remove(m);
            }
            replyMembers(c, s);
            if (propagate) propagateSrems(c, key, s);
            c.db.adjustMemory(s.memoryBytes() - before);
            c.db.overwrite(e, newset);
        }
        c.db.ks.listener.keyModified(c.db, key);
    }

    /** Redis's getPositiveLongFromObjectOrReply: a long >= 0, else msg (or its default) is replied. */
    private static boolean getPositiveLong(Client c, byte[] arg, String msg) {
        if (msg == null) msg = Errors.MUST_BE_POSITIVE;
        if (!c.getLongLong(arg, msg)) return false;
        if (c.llval < 0) {
            c.addReplyError(msg);
            return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- SRANDMEMBER

    /** Redis's SRANDMEMBER_SUB_STRATEGY_MUL: below this ratio, copy the set and remove randomly. */
    private static final int SRANDMEMBER_SUB_STRATEGY_MUL = 3;

    static void srandmember(Client c) {
        if (c.argc == 3) {
            srandmemberWithCount(c);
            return;
        } else if (c.argc > 3) {
            c.addReplyErrorSyntax();
            return;
        }
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReplyNull();
        } else if (e.value instanceof SetValue s) {
            if (s.isIntset()) c.addReplyBulkLongLong(s.randomInt());
            else c.addReplyBulk(s.randomMember());
        } else {
            c.addReplyErrorWrongType();
        }
    }

    private static void srandmemberWithCount(Client c) {
        if (!c.getLongLong(c.argv[2], null)) return;
        long l = c.llval;
        if (l == Long.MIN_VALUE) {
            c.addReplyError(Errors.SRANDMEMBER_RANGE);
            return;
        }
        boolean uniq = l >= 0;
        long count = Math.abs(l);
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(Resp.EMPTY_ARRAY);
            return;
        }
        if (!(e.value instanceof SetValue s)) {
            c.addReplyErrorWrongType();
            return;
        }
        long size = s.size();
        if (count == 0) {
            c.addReply(Resp.EMPTY_ARRAY);
            return;
        }
        // CASE 1: a negative count (repeats allowed), or one member.
        if (!uniq || count == 1) {
            c.addReplyArrayLen(count);
            while (count-- > 0) {
                if (s.isIntset()) c.addReplyBulkLongLong(s.randomInt());
                else c.addReplyBulk(s.randomMember());
            }
            return;
        }
        // CASE 2: the whole set.
        if (count >= size) {
            c.addReplyArrayLen(size);
            replyMembers(c, s);
            return;
        }
        Dict<SetValue.Member> d = SetValue.newMemberDict();
        if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size) {
            // CASE 3: copy the set, then remove random members down to count.
            d.expand(size);
            for (byte[] m : s.members()) d.add(m);
            while (size > count) {
                d.remove(SetValue.fairRandomKey(d).key);
                size--;
            }
        } else {
            // CASE 4: draw random members until count distinct ones are found.
            d.expand(count);
            long added = 0;
            while (added < count) {
                byte[] m = s.isIntset() ? IntSet.ll2bytes(s.randomInt()) : s.randomMember();
                if (d.get(m) == null) {
                    d.add(m);
                    added++;
                }
            }
        }
        c.addReplyArrayLen(count);
        MemberReplier r = new MemberReplier(c);
        d.forEach(r);
    }

    /** Replies each visited member (a class, not a capturing lambda). */
    private static final class MemberReplier implements Consumer<SetValue.Member> {
        final Client c;

        MemberReplier(Client c) {
            this.c = c;
        }

        @Override
        public void accept(SetValue.Member m) {
            c.addReplyBulk(m.key);
        }
    }

    // ---------------------------------------------------------------- SINTER SINTERCARD SINTERSTORE

    static void sinter(Client c) {
        sinterGeneric(c, 1, c.argc - 1, null, false, 0);
    }

    static void sinterstore(Client c) {
        sinterGeneric(c, 2, c.argc - 2, c.argv[1], false, 0);
    }

    static void sintercard(Client c) {
        if (!c.getLongLong(c.argv[1], Errors.NUMKEYS_POSITIVE)) return;
        long numkeys = c.llval;
        if (numkeys < 1) {
            c.addReplyError(Errors.NUMKEYS_POSITIVE);
            return;
        }
        if (numkeys > c.argc - 2) {
            c.addReplyError(Errors.NUMKEYS_TOO_MANY);
            return;
        }
        long limit = 0;
        for (int j = 2 + (int) numkeys; j < c.argc; j++) {
            int moreargs = c.argc - 1 - j;
            if (StringCommands.is(c.argv[j], O_LIMIT) && moreargs > 0) {
                j++;
                if (!getPositiveLong(c, c.argv[j], Errors.LIMIT_NEGATIVE)) return;
                limit = c.llval;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        sinterGeneric(c, 2, (int) numkeys, null, true, limit);
    }

    private static final byte[] O_LIMIT = StringCommands.ascii("limit");

    /**
     * Looks up argv[first, first+n) as sets (null for a missing key) into a new array; returns null
     * after a WRONGTYPE reply. Every key is checked, as Redis does, before any work.
     */
    private static SetValue[] lookupSets(Client c, int first, int n) {
        SetValue[] sets = new SetValue[n];
        for (int j = 0; j < n; j++) {
            KeyEntry e = c.db.lookupKeyRead(c.argv[first + j]);
            if (e == null) continue;
            if (!(e.value instanceof SetValue s)) {
                c.addReplyErrorWrongType();
                return null;
            }
            sets[j] = s;
        }
        return sets;
    }

    /** Sorts sets by ascending size, stable (glibc's qsort is a merge sort for these sizes). */
    private static void sortBySize(SetValue[] sets, int from, boolean descending) {
        for (int i = from + 1; i < sets.length; i++) {
            SetValue x = sets[i];
            long xs = x == null ? 0 : x.size();
            int j = i - 1;
            while (j >= from) {
                long js = sets[j] == null ? 0 : sets[j].size();
                if (descending ? js >= xs : js <= xs) break;
                sets[j + 1] = sets[j];
                j--;
            }
            sets[j + 1] = x;
        }
    }

    /** Redis's sinterGenericCommand over argv[first, first+n). */
    private static void sinterGeneric(Client c, int first, int n, byte[] dstkey, boolean cardinalityOnly, long limit) {
        SetValue[] sets = lookupSets(c, first, n);
        if (sets == null) return;
        for (SetValue s : sets) {
            if (s != null) continue;
            // Intersection with an empty set is empty.
            if (dstkey != null) {
                if (c.db.delete(dstkey)) {
                    c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", dstkey, c.db.id);
                    c.server.dirty++;
                }
                c.addReply(Resp.CZERO);
            } else if (cardinalityOnly) {
                c.addReply(Resp.CZERO);
            } else {
                c.addReplySetLen(0);
            }
            return;
        }
        sortBySize(sets, 0, false);
        SetValue smallest = sets[0];
        SetValue dstset = dstkey != null ? SetValue.createIntset() : null;
        long max = maxIntset(c);
        long cardinality = 0;
        // Without STORE, the members found are collected, then replied after the count.
        long[] ints = null;
        ArrayList<byte[]> found = null;
        if (dstkey == null && !cardinalityOnly) {
            if (smallest.isIntset()) ints = new long[(int) smallest.size()];
            else found = new ArrayList<>();
        }
        if (smallest.isIntset()) {
            byte[] is = smallest.intsetBytes();
            for (int i = 0, len = IntSet.len(is); i < len; i++) {
                long v = IntSet.get(is, i);
                int j = 1;
                for (; j < n; j++) {
                    if (sets[j] == smallest) continue;
                    if (!sets[j].containsInt(v)) break;
                }
                if (j != n) continue;
                if (cardinalityOnly) {
                    cardinality++;
                    if (limit != 0 && cardinality >= limit) break;
                } else if (dstset == null) {
                    ints[(int) cardinality++] = v;
                } else {
                    dstset.add(IntSet.ll2bytes(v), max);
                }
            }
        } else {
            for (byte[] m : smallest.members()) {
                int j = 1;
                for (; j < n; j++) {
                    if (sets[j] == smallest) continue;
                    if (!sets[j].contains(m)) break;
                }
                if (j != n) continue;
                if (cardinalityOnly) {
                    cardinality++;
                    if (limit != 0 && cardinality >= limit) break;
                } else if (dstset == null) {
                    found.add(m);
                    cardinality++;
                } else {
                    dstset.add(m, max);
                }
            }
        }
        if (cardinalityOnly) {
            c.addReplyLongLong(cardinality);
        } else if (dstset != null) {
            storeResult(c, dstkey, dstset, "sinterstore");
        } else {
            c.addReplySetLen(cardinality);
            if (ints != null) {
                for (int i = 0; i < cardinality; i++) c.addReplyBulkLongLong(ints[i]);
            } else {
                for (int i = 0, size = found.size(); i < size; i++) c.addReplyBulk(found.get(i));
            }
        }
    }

    /** The *STORE ending: a non-empty result replaces dstkey (any type, TTL dropped); else dstkey is deleted. */
    private static void storeResult(Client c, byte[] dstkey, SetValue dstset, String event) {
        long size = dstset.size();
        if (size > 0) {
            StringCommands.setKey(c, dstkey, dstset);
            c.addReplyLongLong(size);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_SET, event, dstkey, c.db.id);
            c.server.dirty++;
        } else {
            c.addReply(Resp.CZERO);
            if (c.db.delete(dstkey)) {
                c.server.dirty++;
                c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", dstkey, c.db.id);
            }
        }
    }

    // ---------------------------------------------------------------- SUNION SDIFF (+STORE)

    private static final int SET_OP_UNION = 0, SET_OP_DIFF = 1;

    static void sunion(Client c) {
        sunionDiffGeneric(c, 1, c.argc - 1, null, SET_OP_UNION);
    }

    static void sunionstore(Client c) {
        sunionDiffGeneric(c, 2, c.argc - 2, c.argv[1], SET_OP_UNION);
    }

    static void sdiff(Client c) {
        sunionDiffGeneric(c, 1, c.argc - 1, null, SET_OP_DIFF);
    }

    static void sdiffstore(Client c) {
        sunionDiffGeneric(c, 2, c.argc - 2, c.argv[1], SET_OP_DIFF);
    }

    /** Redis's sunionDiffGenericCommand over argv[first, first+n). */
    private static void sunionDiffGeneric(Client c, int first, int n, byte[] dstkey, int op) {
        SetValue[] sets = lookupSets(c, first, n);
        if (sets == null) return;
        int diffAlgo = 1;
        if (op == SET_OP_DIFF && sets[0] != null) {
            // Algorithm 1 is O(N*M) over the first set, 2 is O(total members); 1 gets a 2x advantage.
            long algoOneWork = 0, algoTwoWork = 0;
            for (SetValue s : sets) {
                if (s == null) continue;
                algoOneWork += sets[0].size();
                algoTwoWork += s.size();
            }
            algoOneWork /= 2;
            diffAlgo = algoOneWork <= algoTwoWork ? 1 : 2;
            // Subtract the biggest sets first, to drop members early.
            if (diffAlgo == 1 && n > 1) sortBySize(sets, 1, true);
        }
        SetValue dstset = SetValue.createIntset();
        long max = maxIntset(c);
        if (op == SET_OP_UNION) {
            for (SetValue s : sets) {
                if (s == null) continue;
                for (byte[] m : s.members()) dstset.add(m, max);
            }
        } else if (sets[0] != null && diffAlgo == 1) {
            for (byte[] m : sets[0].members()) {
                int j = 1;
                for (; j < n; j++) {
                    if (sets[j] == null) continue;
                    if (sets[j] == sets[0]) break;
                    if (sets[j].contains(m)) break;
                }
                if (j == n) dstset.add(m, max);
            }
        } else if (sets[0] != null) {
            for (int j = 0; j < n; j++) {
                if (sets[j] == null) continue;
                for (byte[] m : sets[j].members()) {
                    if (j == 0) dstset.add(m, max);
                    else dstset.remove(m);
                }
                if (dstset.size() == 0) break;
            }
        }
        if (dstkey == null) {
            c.addReplySetLen(dstset.size());
            replyMembers(c, dstset);
        } else {
            storeResult(c, dstkey, dstset, op == SET_OP_UNION ? "sunionstore" : "sdiffstore");
        }
    }

    // ---------------------------------------------------------------- SSCAN

    /** Collects the members a dict scan visits (a class, not a capturing lambda). */
    private static final class ScanCollector implements Consumer<SetValue.Member> {
        final ArrayList<byte[]> items = new ArrayList<>();

        @Override
        public void accept(SetValue.Member m) {
            items.add(m.key);
        }
    }

    /** SSCAN key cursor [MATCH pattern] [COUNT count]: sscanCommand + scanGenericCommand. */
    static void sscan(Client c) {
        if (!ScanOptions.parseCursorOrReply(c, c.argv[2])) return;
        long cursor = c.llval;
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReply(ScanOptions.EMPTY_SCAN);
            return;
        }
        if (!(e.value instanceof SetValue s)) {
            c.addReplyErrorWrongType();
            return;
        }
        ScanOptions opts = ScanOptions.parse(c, 3, false);
        if (opts == null) return;
        long count = opts.count;
        Glob.Matcher pattern = opts.pattern;
        ArrayList<byte[]> items;
        if (s.isIntset()) {
            // Small encodings are returned whole, with cursor 0.
            byte[] is = s.intsetBytes();
            int n = IntSet.len(is);
            items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) items.add(IntSet.ll2bytes(IntSet.get(is, i)));
            cursor = 0;
        } else {
            ScanCollector col = new ScanCollector();
            Dict<SetValue.Member> d = s.hashtable();
            // At most ten buckets per wanted member, so a sparse table cannot hold the executor long.
            long maxIterations = count * 10;
            do {
                cursor = d.scan(cursor, col);
            } while (cursor != 0 && maxIterations-- != 0 && col.items.size() < count);
            items = col.items;
        }
        int kept = 0;
        for (int i = 0, size = items.size(); i < size; i++) {
            byte[] m = items.get(i);
            if (pattern == null || pattern.matches(m)) items.set(kept++, m);
        }
        c.addReplyArrayLen(2);
        c.addReplyBulkLongLong(cursor);
        c.addReplyArrayLen(kept);
        for (int i = 0; i < kept; i++) c.addReplyBulk(items.get(i));
    }

}
