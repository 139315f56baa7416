package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.types.Hash;
import dev.starling.types.Quicklist;
import dev.starling.types.SetMembers;
import dev.starling.types.ZSet;
import dev.starling.types.ZSkiplist;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;

/**
 * SORT and SORT_RO (Redis's sort.c): sorts a list, set or sorted set numerically or by bytes
 * (ALPHA), optionally by weights looked up through a pattern (BY), returns a LIMIT window of the
 * elements or of values looked up through GET patterns, or STOREs them as a list.
 *
 * <p>Redis quirks kept on purpose: a sorted set in listpack encoding is converted to a skiplist
 * (Redis converts "destructively" before sorting); BY with a constant pattern skips sorting
 * (lists and sorted sets keep their order, but a set is sorted ALPHA when STOREd so the result
 * is deterministic); elements with equal scores are ordered by their bytes.
 */
final class SortCommands {
    private SortCommands() {}

    static void register(CommandTable t) {
        t.bind("sort", SortCommands::sort);
        t.bind("sort_ro", SortCommands::sortRo);
    }

    private static final byte[] ASC = {'a', 's', 'c'}, DESC = {'d', 'e', 's', 'c'}, ALPHA = {'a', 'l', 'p', 'h', 'a'},
            LIMIT = {'l', 'i', 'm', 'i', 't'}, STORE = {'s', 't', 'o', 'r', 'e'}, BY = {'b', 'y'}, GET = {'g', 'e', 't'};
    private static final byte[] EMPTY = new byte[0];

    /** One element of the vector to sort (Redis's redisSortObject). */
    private static final class SortObject {
        final byte[] obj;
        double score;
        /** The BY value for ALPHA sorting, or null if the weight key is missing. */
        byte[] cmpobj;

        SortObject(byte[] obj) {
            this.obj = obj;
        }
    }

    static void sort(Client c) {
        sortGeneric(c, false);
    }

    static void sortRo(Client c) {
        sortGeneric(c, true);
    }

    private static void sortGeneric(Client c, boolean readonly) {
        boolean desc = false, alpha = false, dontsort = false;
        long limitStart = 0, limitCount = -1;
        byte[] sortby = null, storekey = null;
        ArrayList<byte[]> getPatterns = new ArrayList<>();

        for (int j = 2; j < c.argc; j++) {
            byte[] a = c.argv[j];
            int leftargs = c.argc - j - 1;
            if (StringCommands.is(a, ASC)) {
                desc = false;
            } else if (StringCommands.is(a, DESC)) {
                desc = true;
            } else if (StringCommands.is(a, ALPHA)) {
                alpha = true;
            } else if (StringCommands.is(a, LIMIT) && leftargs >= 2) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                limitStart = c.llval;
                if (!c.getLongLong(c.argv[j + 2], null)) return;
                limitCount = c.llval;
                j += 2;
            } else if (!readonly && StringCommands.is(a, STORE) && leftargs >= 1) {
                storekey = c.argv[++j];
            } else if (StringCommands.is(a, BY) && leftargs >= 1) {
                sortby = c.argv[++j];
                // A constant BY pattern means nothing to sort by.
                if (indexOf(sortby, (byte) '*', 0) < 0) dontsort = true;
            } else if (StringCommands.is(a, GET) && leftargs >= 1) {
                getPatterns.add(c.argv[++j]);
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }

        KeyEntry e = storekey == null ? c.db.lookupKeyRead(c.argv[1]) : c.db.lookupKeyWrite(c.argv[1]);
        Object sortval = e == null ? null : e.value;
        if (sortval != null && !(sortval instanceof Quicklist) && !(sortval instanceof SetMembers)
                && !(sortval instanceof ZSet)) {
            c.addReplyErrorWrongType();
            return;
        }

        // Sets have no order of their own: sort them when the result is stored (replicated).
        if (dontsort && sortval instanceof SetMembers && storekey != null) {
            dontsort = false;
            alpha = true;
            sortby = null;
        }

        if (sortval instanceof ZSet z && z.isListpack()) {
            long before = z.memoryBytes();
            z.convertToSkiplist();
            c.db.adjustMemory(z.memoryBytes() - before);
        }

        int vectorlen = sortval == null ? 0 : (int) length(sortval);
        long start = Math.min(Math.max(limitStart, 0), vectorlen);
        limitCount = Math.min(Math.max(limitCount, -1), vectorlen);
        long end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
        if (start >= vectorlen) {
            start = vectorlen - 1;
            end = vectorlen - 2;
        }
        if (end >= vectorlen) end = vectorlen - 1;

        // Ordered types with nothing to sort load just the LIMIT window.
        boolean ordered = sortval instanceof Quicklist || sortval instanceof ZSet;
        if (ordered && dontsort && (start != 0 || end != vectorlen - 1)) vectorlen = (int) (end - start + 1);

        SortObject[] vector = new SortObject[Math.max(vectorlen, 0)];
        int n = 0;
        if (sortval instanceof Quicklist list) {
            if (dontsort) {
                if (end >= start) {
                    long from = desc ? list.count() - start - 1 : start;
                    Quicklist.Iter it = list.iteratorAt(from, !desc, false);
                    while (n < vectorlen && it != null && it.next()) vector[n++] = new SortObject(it.value());
                    if (it != null) it.release();
                    end -= start;
                    start = 0;
                }
            } else {
                Quicklist.Iter it = list.iterator(true, false);
                while (it.next()) vector[n++] = new SortObject(it.value());
                it.release();
            }
        } else if (sortval instanceof SetMembers set) {
            SortObject[] v = vector;
            int[] count = {0};
            set.forEachMember(m -> v[count[0]++] = new SortObject(m));
            n = count[0];
        } else if (sortval instanceof ZSet z) {
            ZSkiplist zsl = z.zsl;
            if (dontsort) {
                long zsetlen = z.length();
                ZSkiplist.Node ln;
                if (desc) ln = start > 0 ? zsl.getElementByRank(zsetlen - start) : zsl.last();
                else ln = start > 0 ? zsl.getElementByRank(start + 1) : zsl.first();
                for (int r = vectorlen; r > 0 && ln != null; r--) {
                    vector[n++] = new SortObject(ln.key);
                    ln = desc ? ln.prev() : ln.next();
                }
                end -= start;
                start = 0;
            } else {
                for (ZSkiplist.Node ln = zsl.first(); ln != null; ln = ln.next()) vector[n++] = new SortObject(ln.key);
            }
        }

        boolean conversionError = false;
        if (!dontsort) {
            int[] endOut = new int[1];
            for (int j = 0; j < n; j++) {
                byte[] byval;
                if (sortby != null) {
                    byval = lookupKeyByPattern(c, sortby, vector[j].obj);
                    if (byval == null) continue;
                } else {
                    byval = vector[j].obj;
                }
                if (alpha) {
                    if (sortby != null) vector[j].cmpobj = byval;
                } else {
                    double d = ZSet.strtod(byval, 0, byval.length, endOut);
                    vector[j].score = d;
                    if (endOut[0] != cStringEnd(byval) || Double.isNaN(d) || outOfRange(byval, d)) conversionError = true;
                }
            }
            Arrays.sort(vector, 0, n, comparator(alpha, sortby != null, storekey != null, desc));
        }

        long outputlen = getPatterns.isEmpty() ? end - start + 1 : (long) getPatterns.size() * (end - start + 1);
        if (conversionError) {
            c.addReplyError(Errors.SORT_SCORE_NOT_DOUBLE);
        } else if (storekey == null) {
            c.addReplyArrayLen(outputlen);
            for (long j = start; j <= end; j++) {
                byte[] obj = vector[(int) j].obj;
                if (getPatterns.isEmpty()) c.addReplyBulk(obj);
                for (int g = 0; g < getPatterns.size(); g++) {
                    byte[] val = lookupKeyByPattern(c, getPatterns.get(g), obj);
                    if (val == null) c.addReplyNull();
                    else c.addReplyBulk(val);
                }
            }
        } else {
            Quicklist sobj = ListCommands.createQuicklist(c);
            for (long j = start; j <= end; j++) {
                byte[] obj = vector[(int) j].obj;
                if (getPatterns.isEmpty()) sobj.pushTail(obj);
                for (int g = 0; g < getPatterns.size(); g++) {
                    byte[] val = lookupKeyByPattern(c, getPatterns.get(g), obj);
                    sobj.pushTail(val == null ? EMPTY : val);
                }
            }
            if (outputlen > 0) {
                StringCommands.setKey(c, storekey, sobj);
                c.server.notifyKeyspaceEvent(Config.NOTIFY_LIST, "sortstore", storekey, c.db.id);
                c.server.dirty += outputlen;
            } else if (c.db.delete(storekey)) {
                c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", storekey, c.db.id);
                c.server.dirty++;
            }
            c.addReplyLongLong(outputlen);
        }
    }

    private static long length(Object v) {
        if (v instanceof Quicklist l) return l.count();
        if (v instanceof SetMembers s) return s.setSize();
        return ((ZSet) v).length();
    }

    /** sortCompare: numeric by score then bytes, or ALPHA by the BY value or the element. */
    private static Comparator<SortObject> comparator(boolean alpha, boolean bypattern, boolean store, boolean desc) {
        Comparator<SortObject> cmp;
        if (!alpha) {
            cmp = (a, b) -> a.score > b.score ? 1 : a.score < b.score ? -1 : Arrays.compareUnsigned(a.obj, b.obj);
        } else if (bypattern) {
            cmp = (a, b) -> {
                if (a.cmpobj == null || b.cmpobj == null) return a.cmpobj == b.cmpobj ? 0 : a.cmpobj == null ? -1 : 1;
                return store ? Arrays.compareUnsigned(a.cmpobj, b.cmpobj) : collate(a.cmpobj, b.cmpobj);
            };
        } else {
            cmp = (a, b) -> store ? Arrays.compareUnsigned(a.obj, b.obj) : collate(a.obj, b.obj);
        }
        return desc ? cmp.reversed() : cmp;
    }

    /** strcoll in the C locale: strcmp over the bytes up to each string's first NUL. */
    private static int collate(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, 0, cStringEnd(a), b, 0, cStringEnd(b));
    }

    private static int cStringEnd(byte[] b) {
        int i = indexOf(b, (byte) 0, 0);
        return i < 0 ? b.length : i;
    }

    /** strtod's ERANGE: a finite text that overflows to infinity or underflows to zero or a subnormal. */
    private static boolean outOfRange(byte[] text, double d) {
        if (Double.isInfinite(d)) return indexOf(text, (byte) 'i', 0) < 0 && indexOf(text, (byte) 'I', 0) < 0;
        if (Math.abs(d) >= Double.MIN_NORMAL) return false;
        // Zero or subnormal: out of range only if the mantissa had a nonzero digit.
        for (byte ch : text) {
            if (ch == 'e' || ch == 'E' || ch == 'p' || ch == 'P') break;
            if (ch >= '1' && ch <= '9') return true;
        }
        return false;
    }

    /**
     * lookupKeyByPattern: "#" is the element itself; otherwise the first '*' of the pattern is
     * replaced by the element to name a string key, or a hash key and field with "key*->field".
     * Null if the pattern has no '*', the key is missing or of another type, or the field is missing.
     */
    static byte[] lookupKeyByPattern(Client c, byte[] pattern, byte[] subst) {
        if (pattern.length == 1 && pattern[0] == '#') return subst;
        int p = indexOf(pattern, (byte) '*', 0);
        if (p < 0) return null;
        int f = indexOfArrow(pattern, p + 1);
        int fieldlen = f >= 0 && f + 2 < pattern.length ? pattern.length - f - 2 : 0;
        int postfixlen = pattern.length - (p + 1) - (fieldlen > 0 ? fieldlen + 2 : 0);
        byte[] key = new byte[p + subst.length + postfixlen];
        System.arraycopy(pattern, 0, key, 0, p);
        System.arraycopy(subst, 0, key, p, subst.length);
        System.arraycopy(pattern, p + 1, key, p + subst.length, postfixlen);

        KeyEntry e = c.db.lookupKeyRead(key);
        if (e == null) return null;
        if (fieldlen > 0) {
            if (!(e.value instanceof Hash h)) return null;
            return h.get(Arrays.copyOfRange(pattern, pattern.length - fieldlen, pattern.length));
        }
        return StringCommands.stringBytes(e.value);
    }

    private static int indexOfArrow(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) if (b[i] == '-' && b[i + 1] == '>') return i;
        return -1;
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == x) return i;
        return -1;
    }
}
