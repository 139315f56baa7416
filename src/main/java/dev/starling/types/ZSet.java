package dev.starling.types;

import dev.starling.command.Digest;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.MemorySize;
import dev.starling.protocol.Numbers;
import dev.starling.types.ZSkiplist.Node;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A sorted set value (Redis's OBJ_ZSET) in one of Redis 7.0's two encodings.
 *
 * <h2>Encodings</h2>
 * <ul>
 * <li><b>listpack</b> ({@link #lp} non-null): member, score, member, score... sorted by score then
 *     member, in Redis's exact bytes. A score is stored as an integer when it is integral within
 *     ±2^62 (Redis's double2ll in zzlInsertAt), else as its %.17g text, so the listpack equals the
 *     one redis-server builds (RDB and DUMP carry it verbatim).</li>
 * <li><b>skiplist</b> ({@link #zsl} and {@link #dict} non-null): a {@link ZSkiplist} for order and
 *     rank, and a {@link Dict} from member to node for O(1) score lookups; ZSCAN walks the dict with
 *     Redis's cursor.</li>
 * </ul>
 * A zset becomes a skiplist when it would exceed zset-max-listpack-entries or a member would exceed
 * zset-max-listpack-value (checked where Redis 7.0 checks: {@link #add}); only ZUNIONSTORE,
 * ZINTERSTORE and ZDIFFSTORE results convert back ({@link #convertToListpackIfNeeded}).
 *
 * <p>The functions keep Redis's names (zsetAdd → {@link #add}, zzlInsert → {@link #zzlInsert}).
 */
public final class ZSet implements ObjectEncoding.Typed, Digest.Digestible, Duplicable, MemorySize.Sized {
    /** The listpack, or null in skiplist encoding. */
    public byte[] lp;
    public ZSkiplist zsl;
    public Dict<Node> dict;

    private static final Dict.EntryFactory<Node> NODES = Node::new;
    /** Redis's LISTPACK_MAX_SAFETY_SIZE (lpSafeToAdd). */
    static final long LISTPACK_MAX_SAFETY_SIZE = 1L << 30;

    private ZSet() {}

    /** createZsetListpackObject. */
    public static ZSet createListpack() {
        ZSet z = new ZSet();
        z.lp = Listpack.create();
        return z;
    }

    /** createZsetObject. */
    public static ZSet createSkiplist() {
        ZSet z = new ZSet();
        z.zsl = new ZSkiplist();
        z.dict = new Dict<>(NODES);
        return z;
    }

    public boolean isListpack() {
        return lp != null;
    }

    /** zsetLength. */
    public long length() {
        return lp != null ? Listpack.size(lp) / 2 : zsl.length();
    }

    @Override
    public String typeName() {
        return "zset";
    }

    @Override
    public String encodingName() {
        return lp != null ? "listpack" : "skiplist";
    }

    // ---------------------------------------------------------------- scores as stored

    /**
     * Redis's double2ll: true if d is integral and within ±LLONG_MAX/2, so zzlInsertAt stores it as
     * a listpack integer.
     */
    public static boolean double2ll(double d) {
        if (d < -(double) (Long.MAX_VALUE / 2) || d > (double) (Long.MAX_VALUE / 2)) return false;
        return (long) d == d;
    }

    /** C strtod over b[off, off+len) up to the first NUL; end[0] receives the offset where parsing stopped. */
    public static double strtod(byte[] b, int off, int len, int[] end) {
        int lim = off + len;
        for (int i = off; i < lim; i++) {
            if (b[i] == 0) {
                lim = i;
                break;
            }
        }
        int i = off;
        while (i < lim && isSpace(b[i])) i++;
        int start = i;
        boolean neg = false;
        if (i < lim && (b[i] == '+' || b[i] == '-')) {
            neg = b[i] == '-';
            i++;
        }
        // inf / infinity / nan
        if (i < lim && (b[i] == 'i' || b[i] == 'I' || b[i] == 'n' || b[i] == 'N')) {
            if (matchWord(b, i, lim, "infinity")) {
                end[0] = i + 8;
                return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (matchWord(b, i, lim, "inf")) {
                end[0] = i + 3;
                return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (matchWord(b, i, lim, "nan")) {
                int j = i + 3;
                // nan(n-char-sequence)
                if (j < lim && b[j] == '(') {
                    int k = j + 1;
                    while (k < lim && (Character.isLetterOrDigit(b[k]) || b[k] == '_')) k++;
                    if (k < lim && b[k] == ')') j = k + 1;
                }
                end[0] = j;
                return Double.NaN;
            }
            end[0] = off;
            return 0;
        }
        boolean hex = i + 1 < lim && b[i] == '0' && (b[i + 1] == 'x' || b[i + 1] == 'X')
                && i + 2 < lim && (isHexDigit(b[i + 2]) || (b[i + 2] == '.' && i + 3 < lim && isHexDigit(b[i + 3])));
        int mantStart = hex ? i + 2 : i;
        int j = mantStart;
        int digits = 0;
        while (j < lim && (hex ? isHexDigit(b[j]) : isDigit(b[j]))) {
            j++;
            digits++;
        }
        if (j < lim && b[j] == '.') {
            j++;
            while (j < lim && (hex ? isHexDigit(b[j]) : isDigit(b[j]))) {
                j++;
                digits++;
            }
        }
        if (digits == 0) {
            end[0] = off; // no conversion: the end pointer is the start of the string
            return 0;
        }
        int mantEnd = j;
        int expEnd = j;
        if (j < lim && (hex ? (b[j] == 'p' || b[j] == 'P') : (b[j] == 'e' || b[j] == 'E'))) {
            int k = j + 1;
            if (k < lim && (b[k] == '+' || b[k] == '-')) k++;
            int ds = k;
            while (k < lim && isDigit(b[k])) k++;
            if (k > ds) expEnd = k;
        }
        end[0] = expEnd;
        String text = new String(b, start, expEnd - start, StandardCharsets.ISO_8859_1);
        if (hex && expEnd == mantEnd) text = text + "p0";
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            end[0] = off;
            return 0;
        }
    }

    private static boolean matchWord(byte[] b, int i, int lim, String w) {
        if (lim - i < w.length()) return false;
        for (int k = 0; k < w.length(); k++) {
            int ch = b[i + k];
            if (ch >= 'A' && ch <= 'Z') ch += 32;
            if (ch != w.charAt(k)) return false;
        }
        return true;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHexDigit(byte c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // ---------------------------------------------------------------- range specs

    /**
     * An interval of elements, by score ({@link RangeSpec}) or by member ({@link LexRangeSpec}), so
     * one search, count, walk and delete serve both, as Redis's twin zsl*Range / zsl*LexRange do.
     */
    public interface Range {
        /** True for ranges that are always empty (min above max, or equal with an open end). */
        boolean isEmpty();

        boolean gteMin(Node x);

        boolean lteMax(Node x);

        /** The element whose member entry is at eptr of a listpack. */
        boolean gteMin(byte[] lp, int eptr);

        boolean lteMax(byte[] lp, int eptr);
    }

    /** Redis's zrangespec: a score interval, each end inclusive or exclusive. */
    public static final class RangeSpec implements Range {
        public double min, max;
        public boolean minex, maxex;

        public boolean gteMin(double v) {
            return minex ? v > min : v >= min;
        }

        public boolean lteMax(double v) {
            return maxex ? v < max : v <= max;
        }

        @Override
        public boolean isEmpty() {
            return min > max || (min == max && (minex || maxex));
        }

        @Override
        public boolean gteMin(Node x) {
            return gteMin(x.score);
        }

        @Override
        public boolean lteMax(Node x) {
            return lteMax(x.score);
        }

        @Override
        public boolean gteMin(byte[] lp, int eptr) {
            return gteMin(zzlGetScore(lp, Listpack.next(lp, eptr)));
        }

        @Override
        public boolean lteMax(byte[] lp, int eptr) {
            return lteMax(zzlGetScore(lp, Listpack.next(lp, eptr)));
        }

        /** zslParseRange: false if min or max is not a float. */
        public boolean parse(byte[] minArg, byte[] maxArg) {
            int[] end = new int[1];
            minex = minArg.length > 0 && minArg[0] == '(';
            min = parseItem(minArg, minex, end);
            if (Double.isNaN(min)) return false;
            maxex = maxArg.length > 0 && maxArg[0] == '(';
            max = parseItem(maxArg, maxex, end);
            return !Double.isNaN(max);
        }

        /** strtod of the item after any '('; NaN if it does not parse to its end or is NaN. */
        private static double parseItem(byte[] a, boolean ex, int[] end) {
            int off = ex ? 1 : 0;
            double d = strtod(a, off, a.length - off, end);
            // The C string ends at the first NUL: a parse that stops there is complete.
            if (end[0] < a.length && a[end[0]] != 0) return Double.NaN;
            return d;
        }
    }

    /** Redis's zlexrangespec: '-' and '+' are the shared minstring / maxstring. */
    public static final class LexRangeSpec implements Range {
        public static final byte[] MIN_STRING = new byte[0], MAX_STRING = new byte[0];
        public byte[] min, max;
        public boolean minex, maxex;

        /** zslParseLexRange: false if an item is not valid. */
        public boolean parse(byte[] minArg, byte[] maxArg) {
            min = parseItem(minArg, true);
            max = parseItem(maxArg, false);
            return min != null && max != null;
        }

        /** zslParseLexRangeItem (the C string ends at a NUL, so "+\0x" is '+'). */
        private byte[] parseItem(byte[] a, boolean isMin) {
            if (a.length == 0) return null;
            boolean ex;
            byte[] v;
            switch (a[0]) {
                case '+', '-' -> {
                    if (a.length > 1 && a[1] != 0) return null;
                    ex = true;
                    v = a[0] == '+' ? MAX_STRING : MIN_STRING;
                }
                case '(' -> {
                    ex = true;
                    v = Arrays.copyOfRange(a, 1, a.length);
                }
                case '[' -> {
                    ex = false;
                    v = Arrays.copyOfRange(a, 1, a.length);
                }
                default -> {
                    return null;
                }
            }
            if (isMin) minex = ex;
            else maxex = ex;
            return v;
        }

        /** sdscmplex. */
        static int cmplex(byte[] a, byte[] b) {
            if (a == b) return 0;
            if (a == MIN_STRING || b == MAX_STRING) return -1;
            if (a == MAX_STRING || b == MIN_STRING) return 1;
            return ZSkiplist.compare(a, b);
        }

        public boolean gteMin(byte[] v) {
            int c = cmplex(v, min);
            return minex ? c > 0 : c >= 0;
        }

        public boolean lteMax(byte[] v) {
            int c = cmplex(v, max);
            return maxex ? c < 0 : c <= 0;
        }

        @Override
        public boolean isEmpty() {
            int c = cmplex(min, max);
            return c > 0 || (c == 0 && (minex || maxex));
        }

        @Override
        public boolean gteMin(Node x) {
            return gteMin(x.key);
        }

        @Override
        public boolean lteMax(Node x) {
            return lteMax(x.key);
        }

        @Override
        public boolean gteMin(byte[] lp, int eptr) {
            int c = zzlCmplex(lp, eptr, min);
            return minex ? c > 0 : c >= 0;
        }

        @Override
        public boolean lteMax(byte[] lp, int eptr) {
            int c = zzlCmplex(lp, eptr, max);
            return maxex ? c < 0 : c <= 0;
        }
    }

    // ---------------------------------------------------------------- listpack (zzl*)

    /** zzlGetScore: the score entry at sptr. */
    public static double zzlGetScore(byte[] lp, int sptr) {
        if (Listpack.isInt(lp, sptr)) return Listpack.getInt(lp, sptr);
        return zzlStrtod(lp, Listpack.strOffset(lp, sptr), Listpack.strLength(lp, sptr));
    }

    /** zzlStrtod: strtod of at most 127 bytes. */
    public static double zzlStrtod(byte[] b, int off, int len) {
        if (len == 3 && b[off] == 'i' && b[off + 1] == 'n' && b[off + 2] == 'f') return Double.POSITIVE_INFINITY;
        if (len == 4 && b[off] == '-' && b[off + 1] == 'i') return Double.NEGATIVE_INFINITY;
        return strtod(b, off, Math.min(len, 127), new int[1]);
    }

    /** The member entry at eptr as bytes (integers in decimal): lpGetObject. */
    public static byte[] zzlMember(byte[] lp, int eptr) {
        return Listpack.get(lp, eptr);
    }

    /** zzlCompareElements: the entry at eptr compared with s (memcmp, then length). */
    public static int zzlCompareElements(byte[] lp, int eptr, byte[] s) {
        if (Listpack.isInt(lp, eptr)) return ZSkiplist.compare(Listpack.get(lp, eptr), s);
        int off = Listpack.strOffset(lp, eptr), len = Listpack.strLength(lp, eptr);
        return Arrays.compareUnsigned(lp, off, off + len, s, 0, s.length);
    }

    /** The lex comparison of the entry at eptr with a range bound (sdscmplex with the entry first). */
    private static int zzlCmplex(byte[] lp, int eptr, byte[] bound) {
        if (bound == LexRangeSpec.MIN_STRING) return 1;
        if (bound == LexRangeSpec.MAX_STRING) return -1;
        return zzlCompareElements(lp, eptr, bound);
    }

    /** zzlFind: the member's entry, or -1. */
    public static int zzlFind(byte[] lp, byte[] ele) {
        int eptr = Listpack.first(lp);
        if (eptr < 0) return -1;
        return Listpack.find(lp, eptr, ele, 1);
    }

    /** zzlIsInRange / zzlIsInLexRange. */
    static boolean zzlIsInRange(byte[] lp, Range range) {
        if (range.isEmpty()) return false;
        int last = Listpack.seek(lp, -2);
        if (last < 0 || !range.gteMin(lp, last)) return false;
        return range.lteMax(lp, Listpack.first(lp));
    }

    /** zzlFirstInRange / zzlFirstInLexRange: the member entry of the first element in range, or -1. */
    public static int zzlFirstInRange(byte[] lp, Range range) {
        if (!zzlIsInRange(lp, range)) return -1;
        for (int eptr = Listpack.first(lp); eptr >= 0; eptr = zzlNext(lp, eptr)) {
            if (range.gteMin(lp, eptr)) return range.lteMax(lp, eptr) ? eptr : -1;
        }
        return -1;
    }

    /** zzlLastInRange / zzlLastInLexRange. */
    public static int zzlLastInRange(byte[] lp, Range range) {
        if (!zzlIsInRange(lp, range)) return -1;
        for (int eptr = Listpack.seek(lp, -2); eptr >= 0; eptr = zzlPrev(lp, eptr)) {
            if (range.lteMax(lp, eptr)) return range.gteMin(lp, eptr) ? eptr : -1;
        }
        return -1;
    }

    /** zzlDeleteRangeByScore / zzlDeleteRangeByLex: removes the elements in range. */
    public static byte[] zzlDeleteRange(byte[] lp, Range range) {
        int eptr = zzlFirstInRange(lp, range);
        if (eptr < 0) return lp;
        // After each delete, what followed is at eptr.
        while (!Listpack.isEnd(lp, eptr) && range.lteMax(lp, eptr)) lp = zzlDelete(lp, eptr);
        return lp;
    }

    /** The member entry after the pair at eptr, or -1 (zzlNext). */
    public static int zzlNext(byte[] lp, int eptr) {
        int sptr = Listpack.next(lp, eptr);
        return Listpack.next(lp, sptr);
    }

    /** The member entry before the pair at eptr, or -1 (zzlPrev). */
    public static int zzlPrev(byte[] lp, int eptr) {
        int sptr = Listpack.prev(lp, eptr);
        return sptr < 0 ? -1 : Listpack.prev(lp, sptr);
    }

    /** zzlInsertAt: inserts (ele, score) before the pair at eptr, or appends when eptr is -1. */
    public static byte[] zzlInsertAt(byte[] lp, int eptr, byte[] ele, double score) {
        int p = eptr < 0 ? Listpack.end(lp) : eptr;
        lp = Listpack.insertAt(lp, p, ele);
        int sptr = p + Listpack.entryBytes(lp, p);
        if (double2ll(score)) return Listpack.insertLongAt(lp, sptr, (long) score);
        return Listpack.insertAt(lp, sptr, Numbers.formatDouble(score).getBytes(StandardCharsets.US_ASCII));
    }

    /** zzlInsert: inserts (ele, score) at its place; ele must not be present. */
    public static byte[] zzlInsert(byte[] lp, byte[] ele, double score) {
        for (int eptr = Listpack.first(lp); eptr >= 0; ) {
            int sptr = Listpack.next(lp, eptr);
            double s = zzlGetScore(lp, sptr);
            if (s > score || (s == score && zzlCompareElements(lp, eptr, ele) > 0)) {
                return zzlInsertAt(lp, eptr, ele, score);
            }
            eptr = Listpack.next(lp, sptr);
        }
        return zzlInsertAt(lp, -1, ele, score);
    }

    /** zzlDelete: removes the pair at eptr. */
    public static byte[] zzlDelete(byte[] lp, int eptr) {
        return Listpack.deleteRange(lp, eptr, 2);
    }

    // ---------------------------------------------------------------- zset API

    // zsetAdd input flags (ZADD_IN_*) and output flags (ZADD_OUT_*).
    public static final int IN_INCR = 1, IN_NX = 1 << 1, IN_XX = 1 << 2, IN_GT = 1 << 3, IN_LT = 1 << 4;
    public static final int OUT_NOP = 1, OUT_NAN = 1 << 1, OUT_ADDED = 1 << 2, OUT_UPDATED = 1 << 3;

    /** lpSafeToAdd. */
    static boolean lpSafeToAdd(byte[] lp, long add) {
        long len = lp == null ? 0 : Listpack.bytes(lp);
        return len + add <= LISTPACK_MAX_SAFETY_SIZE;
    }

    /**
     * zsetAdd: adds or updates ele with score under the IN_* flags; returns OUT_* flags (OUT_NAN
     * means the operation failed: the score or the incremented score is NaN). The resulting score
     * goes to newscore[0] (when newscore is not null) unless nothing was done. Converts to skiplist when the listpack would
     * exceed maxEntries or ele exceeds maxValue. The caller stores ele itself, so it must not be
     * modified afterwards.
     */
    public int add(double score, byte[] ele, int inFlags, double[] newscore, long maxEntries, long maxValue) {
        if (Double.isNaN(score)) return OUT_NAN;
        boolean xx = (inFlags & IN_XX) != 0;
        if (lp != null) {
            int eptr = zzlFind(lp, ele);
            if (eptr >= 0) {
                double curscore = zzlGetScore(lp, Listpack.next(lp, eptr));
                if ((inFlags & IN_INCR) != 0) score += curscore;
                int out = updateOutcome(score, curscore, inFlags);
                if (out != UPDATE) return out;
                if (newscore != null) newscore[0] = score;
                if (score == curscore) return 0;
                lp = zzlDelete(lp, eptr);
                lp = zzlInsert(lp, ele, score);
                return OUT_UPDATED;
            }
            if (xx) return OUT_NOP;
            if (Listpack.size(lp) / 2 + 1 <= maxEntries && ele.length <= maxValue && lpSafeToAdd(lp, ele.length)) {
                lp = zzlInsert(lp, ele, score);
                if (newscore != null) newscore[0] = score;
                return OUT_ADDED;
            }
            convertToSkiplist();
        }
        Node x = dict.get(ele);
        if (x != null) {
            double curscore = x.score;
            if ((inFlags & IN_INCR) != 0) score += curscore;
            int out = updateOutcome(score, curscore, inFlags);
            if (out != UPDATE) return out;
            if (newscore != null) newscore[0] = score;
            if (score == curscore) return 0;
            zsl.updateScore(x, score);
            return OUT_UPDATED;
        }
        if (xx) return OUT_NOP;
        x = dict.add(ele);
        x.score = score;
        zsl.insertNew(x);
        if (newscore != null) newscore[0] = score;
        return OUT_ADDED;
    }

    /** {@link #updateOutcome}'s answer when the member takes the new (possibly incremented) score. */
    private static final int UPDATE = -1;

    /**
     * zsetAdd's rules for a member already present, given the new score (already incremented
     * under INCR): NX leaves it, an INCR to NaN fails, GT / LT leave it unless the score grows /
     * shrinks. Returns the OUT_* flags to return as they are, or {@link #UPDATE} when the member
     * takes the new score.
     */
    private static int updateOutcome(double score, double curscore, int inFlags) {
        if ((inFlags & IN_NX) != 0) return OUT_NOP;
        if ((inFlags & IN_INCR) != 0 && Double.isNaN(score)) return OUT_NAN;
        if (((inFlags & IN_LT) != 0 && score >= curscore) || ((inFlags & IN_GT) != 0 && score <= curscore)) return OUT_NOP;
        return UPDATE;
    }

    /** zsetScore: the member's score, or NaN if it is not in the set. */
    public double score(byte[] ele) {
        if (lp != null) {
            int eptr = zzlFind(lp, ele);
            return eptr < 0 ? Double.NaN : zzlGetScore(lp, Listpack.next(lp, eptr));
        }
        Node x = dict.get(ele);
        return x == null ? Double.NaN : x.score;
    }

    /** zsetDel: removes ele; true if it was there. */
    public boolean del(byte[] ele) {
        if (lp != null) {
            int eptr = zzlFind(lp, ele);
            if (eptr < 0) return false;
            lp = zzlDelete(lp, eptr);
            return true;
        }
        Node x = dict.remove(ele);
        if (x == null) return false;
        zsl.delete(x);
        dict.shrinkIfNeeded();
        return true;
    }

    /** Removes a node of the skiplist encoding (from the skiplist and the dict). */
    public void deleteNode(Node x) {
        dict.remove(x.key);
        zsl.delete(x);
        dict.shrinkIfNeeded();
    }

    /** zsetRank: 0-based rank (from the top when reverse), or -1 if ele is absent. */
    public long rank(byte[] ele, boolean reverse) {
        long llen = length();
        if (lp != null) {
            long rank = 1;
            for (int eptr = Listpack.first(lp); eptr >= 0; eptr = zzlNext(lp, eptr)) {
                if (Listpack.eq(lp, eptr, ele)) return reverse ? llen - rank : rank - 1;
                rank++;
            }
            return -1;
        }
        Node x = dict.get(ele);
        if (x == null) return -1;
        long rank = zsl.getRank(x.score, ele);
        return reverse ? llen - rank : rank - 1;
    }

    // ---------------------------------------------------------------- conversion

    /** zsetConvert to skiplist. */
    public void convertToSkiplist() {
        if (lp == null) return;
        ZSkiplist sl = new ZSkiplist();
        Dict<Node> d = new Dict<>(NODES);
        byte[] l = lp;
        for (int eptr = Listpack.first(l); eptr >= 0; ) {
            int sptr = Listpack.next(l, eptr);
            Node x = d.add(Listpack.get(l, eptr));
            x.score = zzlGetScore(l, sptr);
            sl.insertNew(x);
            eptr = Listpack.next(l, sptr);
        }
        lp = null;
        zsl = sl;
        dict = d;
    }

    /** zsetConvert to listpack. */
    public void convertToListpack() {
        if (lp != null) return;
        byte[] l = Listpack.create();
        for (Node x = zsl.first(); x != null; x = x.next()) l = zzlInsertAt(l, -1, x.key, x.score);
        lp = l;
        zsl = null;
        dict = null;
    }

    /** zsetConvertToListpackIfNeeded: back to listpack when the limits allow (store results). */
    public void convertToListpackIfNeeded(long maxelelen, long totelelen, long maxEntries, long maxValue) {
        if (lp != null) return;
        if (zsl.length() <= maxEntries && maxelelen <= maxValue && lpSafeToAdd(null, totelelen)) convertToListpack();
    }

    /** A new empty zset with the encoding Redis's zsetTypeCreate-style callers would pick for size entries. */
    public static ZSet createFor(long size, long maxEntries) {
        return size > maxEntries ? createSkiplist() : createListpack();
    }

    // ---------------------------------------------------------------- value interfaces

    @Override
    public Object duplicate() {
        ZSet z = new ZSet();
        if (lp != null) {
            z.lp = Listpack.trim(Listpack.toBytes(lp));
            return z;
        }
        z.zsl = new ZSkiplist();
        z.dict = new Dict<>(NODES);
        z.dict.expand(dict.size());
        // zsetDup inserts from the tail, so each insert lands at the head.
        for (Node x = zsl.last(); x != null; x = x.prev()) {
            Node n = z.dict.add(x.key);
            n.score = x.score;
            z.zsl.insertNew(n);
        }
        return z;
    }

    /** Heap estimate: this object, the listpack array, or the nodes plus an estimated dict table. */
    @Override
    public long memoryBytes() {
        if (lp != null) return 24 + Listpack.memoryBytes(lp);
        // The table estimate depends on the size only, so reads that advance a rehash do not move it.
        long n = zsl.length();
        long table = n <= 4 ? 4 : Long.highestOneBit(n - 1) << 1;
        return 24 + 64 + 2 * ZSkiplist.NODE_BYTES + 2 * MemorySize.ofArray(4 * (ZSkiplist.MAXLEVEL - ZSkiplist.INLINE_LEVELS)) + 2 * MemorySize.ofArray(4 * ZSkiplist.MAXLEVEL)
                + zsl.nodeBytes + 4 * table;
    }

    @Override
    public int digestType() {
        return Digest.OBJ_ZSET;
    }

    /** debug.c: xor over members of mix(member) then mix(%.17g score), so order does not matter. */
    @Override
    public void digestInto(Digest d, byte[] digest) {
        byte[] ele = new byte[20];
        if (lp != null) {
            for (int eptr = Listpack.first(lp); eptr >= 0; ) {
                int sptr = Listpack.next(lp, eptr);
                Arrays.fill(ele, (byte) 0);
                if (Listpack.isInt(lp, eptr)) {
                    d.mixDigest(ele, Listpack.get(lp, eptr));
                } else {
                    d.mixDigest(ele, lp, Listpack.strOffset(lp, eptr), Listpack.strLength(lp, eptr));
                }
                d.mixDigest(ele, Numbers.formatDouble(zzlGetScore(lp, sptr)).getBytes(StandardCharsets.US_ASCII));
                d.xorDigest(digest, ele, 0, 20);
                eptr = Listpack.next(lp, sptr);
            }
            return;
        }
        for (Node x = zsl.first(); x != null; x = x.next()) {
            Arrays.fill(ele, (byte) 0);
            d.mixDigest(ele, x.key);
            d.mixDigest(ele, Numbers.formatDouble(x.score).getBytes(StandardCharsets.US_ASCII));
            d.xorDigest(digest, ele, 0, 20);
        }
    }

    // ---------------------------------------------------------------- invariants

    /** Checks the encoding's invariants; returns what is wrong, or null. */
    public String validate() {
        if ((lp == null) == (zsl == null)) return "exactly one encoding must be set";
        if (lp == null) {
            if (dict == null) return "skiplist without dict";
            String err = dict.validate();
            return err != null ? err : zsl.validate(dict);
        }
        String err = Listpack.validate(lp);
        if (err != null) return err;
        int n = Listpack.size(lp);
        if (n % 2 != 0) return "odd listpack entry count " + n;
        byte[] prevEle = null;
        double prevScore = 0;
        for (int eptr = Listpack.first(lp); eptr >= 0; ) {
            int sptr = Listpack.next(lp, eptr);
            byte[] ele = Listpack.get(lp, eptr);
            double score = zzlGetScore(lp, sptr);
            if (Double.isNaN(score)) return "NaN score";
            boolean storedInt = Listpack.isInt(lp, sptr);
            if (storedInt != double2ll(score)) return "score " + score + " stored " + (storedInt ? "as integer" : "as string");
            if (!storedInt && !Arrays.equals(Listpack.get(lp, sptr), Numbers.formatDouble(score).getBytes(StandardCharsets.US_ASCII))) {
                return "score text is not %.17g";
            }
            if (prevEle != null && (prevScore > score || (prevScore == score && ZSkiplist.compare(prevEle, ele) >= 0))) {
                return "listpack out of order";
            }
            prevEle = ele;
            prevScore = score;
            eptr = Listpack.next(lp, sptr);
        }
        return null;
    }
}
