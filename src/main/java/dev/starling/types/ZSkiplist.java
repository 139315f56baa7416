package dev.starling.types;

import dev.starling.keyspace.Dict;
import dev.starling.keyspace.DictEntry;
import dev.starling.keyspace.MemorySize;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Redis's zset skiplist (t_zset.c zsl*): Pugh's skiplist ordered by (score, member), with a span
 * per forward pointer so rank queries are O(log n), and a backward pointer at level 0 for reverse
 * walks.
 *
 * <h2>Layout</h2>
 * A node is also the member's entry in the zset's {@link Dict} ({@link Node} extends
 * {@link DictEntry}), so a member costs one object plus its bytes, where Redis has a skiplist node,
 * an sds and a dict entry. Levels 0 to 2 are fields of the node, because a search takes most of
 * its steps there, through nodes too many to stay in cache, and a level array would be one more
 * cache miss per step; the span of level 0 is always 1 (0 at the tail), so it is not stored.
 * Levels 3 and up (one node in 64) live in two small arrays.
 *
 * <h2>Invariants</h2> (checked by {@link #validate})
 * <ul>
 * <li>Level 0 is sorted strictly by (score, member bytes unsigned), with backward links and tail.</li>
 * <li>span(x, i) = rank(forward(x, i)) - rank(x), or length - rank(x) when forward is null
 *     (the header has rank 0), for every level below {@code level}.</li>
 * <li>Header forward pointers at levels {@code >= level} are null.</li>
 * </ul>
 */
public final class ZSkiplist {
    /** Redis's ZSKIPLIST_MAXLEVEL. */
    public static final int MAXLEVEL = 32;
    /** Heap bytes of a node without its member and level arrays (object header and 13 fields). */
    static final long NODE_BYTES = 64;

    /**
     * The fields a search reads, declared first so the JVM lays them out next to the dict entry's
     * key: fewer nodes straddle two cache lines where a search looks.
     */
    abstract static class SearchFields extends DictEntry {
        public double score;
        /** Forward pointers of levels 0..2, inline: most steps of a search are there. */
        Node next0, next1, next2;

        SearchFields(byte[] key, int hash) {
            super(key, hash);
        }
    }

    /** One member: its dict entry (key = member bytes) and its skiplist node. */
    public static final class Node extends SearchFields {
        Node backward;
        /** Spans of levels 1..2 (level 0's is implicit). */
        int span1, span2;
        /** Forward pointers and spans of levels 3..level-1; null below level 4. */
        Node[] up;
        int[] upSpan;
        byte level;

        public Node(byte[] key, int hash) {
            super(key, hash);
        }

        /** The next node in order, or null at the tail. */
        public Node next() {
            return next0;
        }

        /** The previous node in order, or null at the head. */
        public Node prev() {
            return backward;
        }

        public int level() {
            return level;
        }

        void setLevel(int level) {
            this.level = (byte) level;
            if (level > INLINE_LEVELS) {
                up = new Node[level - INLINE_LEVELS];
                upSpan = new int[level - INLINE_LEVELS];
            }
        }
    }

    /** Levels held in node fields rather than arrays. */
    static final int INLINE_LEVELS = 3;

    private final Node header = new Node(null, 0);
    /** Scratch for insert and delete searches (the executor is single-threaded; calls never nest). */
    private final Node[] update = new Node[MAXLEVEL];
    private final int[] rank = new int[MAXLEVEL];
    private Node tail;
    private int length;
    private int level = 1;
    /** Heap bytes of the nodes, members and level arrays (kept as nodes come and go). */
    long nodeBytes;

    public ZSkiplist() {
        header.setLevel(MAXLEVEL);
    }

    public int length() {
        return length;
    }

    /** The first node (lowest score), or null if empty. */
    public Node first() {
        return header.next0;
    }

    /** The last node (highest score), or null if empty. */
    public Node last() {
        return tail;
    }

    // ---------------------------------------------------------------- level access

    private static Node fwd(Node x, int i) {
        return switch (i) {
            case 0 -> x.next0;
            case 1 -> x.next1;
            case 2 -> x.next2;
            default -> x.up[i - INLINE_LEVELS];
        };
    }

    private static void setFwd(Node x, int i, Node v) {
        switch (i) {
            case 0 -> x.next0 = v;
            case 1 -> x.next1 = v;
            case 2 -> x.next2 = v;
            default -> x.up[i - INLINE_LEVELS] = v;
        }
    }

    private static int span(Node x, int i) {
        return switch (i) {
            case 0 -> x.next0 != null ? 1 : 0;
            case 1 -> x.span1;
            case 2 -> x.span2;
            default -> x.upSpan[i - INLINE_LEVELS];
        };
    }

    /** Level-0 spans are implicit, so writes to them are dropped. */
    private static void setSpan(Node x, int i, int v) {
        switch (i) {
            case 0 -> {
            }
            case 1 -> x.span1 = v;
            case 2 -> x.span2 = v;
            default -> x.upSpan[i - INLINE_LEVELS] = v;
        }
    }

    /** sdscmp: unsigned bytes, then length. */
    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** True if node f sorts before (score, ele). */
    private static boolean before(Node f, double score, byte[] ele) {
        return f.score < score || (f.score == score && compare(f.key, ele) < 0);
    }

    /** zslRandomLevel: each further level with probability 1/4 (ZSKIPLIST_P). */
    static int randomLevel() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int level = 1;
        while ((r.nextInt() & 0xFFFF) < (int) (0.25 * 0xFFFF)) level++;
        return Math.min(level, MAXLEVEL);
    }

    static long bytesOf(Node x) {
        long b = NODE_BYTES + MemorySize.ofArray(x.key.length);
        if (x.up != null) b += 2 * MemorySize.ofArray(4 * x.up.length);
        return b;
    }

    // ---------------------------------------------------------------- insert / delete

    /** Gives x (a fresh node with its member and score set) a random level and links it in: zslInsert. */
    public void insertNew(Node x) {
        x.setLevel(randomLevel());
        nodeBytes += bytesOf(x);
        insert(x);
    }

    /** Links x, whose level arrays exist, at the place of (x.score, x.key). */
    private void insert(Node x) {
        Node[] update = this.update;
        int[] rank = this.rank;
        double score = x.score;
        byte[] ele = x.key;
        // The search, with the inline levels unrolled (no per-step level dispatch).
        Node p = header;
        int r = 0;
        Node f;
        for (int i = level - 1; i >= INLINE_LEVELS; i--) {
            while ((f = p.up[i - INLINE_LEVELS]) != null && before(f, score, ele)) {
                r += p.upSpan[i - INLINE_LEVELS];
                p = f;
            }
            update[i] = p;
            rank[i] = r;
        }
        if (level > 2) {
            while ((f = p.next2) != null && before(f, score, ele)) {
                r += p.span2;
                p = f;
            }
            update[2] = p;
            rank[2] = r;
        }
        if (level > 1) {
            while ((f = p.next1) != null && before(f, score, ele)) {
                r += p.span1;
                p = f;
            }
            update[1] = p;
            rank[1] = r;
        }
        while ((f = p.next0) != null && before(f, score, ele)) {
            r++;
            p = f;
        }
        update[0] = p;
        rank[0] = r;
        link(x);
    }

    /** The linking half of zslInsert: update and rank hold x's predecessors and their ranks. */
    private void link(Node x) {
        Node[] update = this.update;
        int[] rank = this.rank;
        int lvl = x.level();
        if (lvl > level) {
            for (int i = level; i < lvl; i++) {
                rank[i] = 0;
                update[i] = header;
                setSpan(header, i, length);
            }
            level = lvl;
        }
        for (int i = 0; i < lvl; i++) {
            Node u = update[i];
            setFwd(x, i, fwd(u, i));
            setFwd(u, i, x);
            setSpan(x, i, span(u, i) - (rank[0] - rank[i]));
            setSpan(u, i, (rank[0] - rank[i]) + 1);
        }
        for (int i = lvl; i < level; i++) setSpan(update[i], i, span(update[i], i) + 1);
        x.backward = update[0] == header ? null : update[0];
        if (x.next0 != null) x.next0.backward = x;
        else tail = x;
        length++;
    }

    /** zslDeleteNode: unlinks x given the rightmost node before it at every level. */
    private void deleteNode(Node x, Node[] update) {
        for (int i = 0; i < level; i++) {
            Node u = update[i];
            if (fwd(u, i) == x) {
                setSpan(u, i, span(u, i) + span(x, i) - 1);
                setFwd(u, i, fwd(x, i));
            } else {
                setSpan(u, i, span(u, i) - 1);
            }
        }
        if (x.next0 != null) x.next0.backward = x.backward;
        else tail = x.backward;
        while (level > 1 && fwd(header, level - 1) == null) level--;
        length--;
    }

    /** Fills update with the rightmost node before (score, ele) at every level; returns the level-0 one. */
    private Node findUpdate(double score, byte[] ele, Node[] update) {
        Node p = header;
        Node f;
        for (int i = level - 1; i >= INLINE_LEVELS; i--) {
            while ((f = p.up[i - INLINE_LEVELS]) != null && before(f, score, ele)) p = f;
            update[i] = p;
        }
        if (level > 2) {
            while ((f = p.next2) != null && before(f, score, ele)) p = f;
            update[2] = p;
        }
        if (level > 1) {
            while ((f = p.next1) != null && before(f, score, ele)) p = f;
            update[1] = p;
        }
        while ((f = p.next0) != null && before(f, score, ele)) p = f;
        update[0] = p;
        return p;
    }

    /** zslDelete: unlinks node x (found by its score and member). The caller removes it from the dict. */
    public void delete(Node x) {
        Node[] update = this.update;
        if (x.backward == null) {
            // The first node (ZPOPMIN): the header precedes it at every level, no search needed.
            if (header.next0 != x) throw new IllegalStateException("skiplist node not found");
            Arrays.fill(update, 0, level, header);
        } else if (findUpdate(x.score, x.key, update).next0 != x) {
            throw new IllegalStateException("skiplist node not found");
        }
        deleteNode(x, update);
        nodeBytes -= bytesOf(x);
    }

    /**
     * zslUpdateScore: moves x to newscore. The node stays in place when its neighbours' scores
     * allow it; otherwise it is unlinked and relinked (keeping its level, which is as random as a
     * fresh one).
     */
    public void updateScore(Node x, double newscore) {
        if ((x.backward == null || x.backward.score < newscore) && (x.next0 == null || x.next0.score > newscore)) {
            x.score = newscore;
            return;
        }
        move(x, newscore);
    }

    /** Predecessors of the node being moved and their ranks (the move's delete half). */
    private final Node[] delUpdate = new Node[MAXLEVEL];
    private final int[] delRank = new int[MAXLEVEL];

    /**
     * Unlinks x and relinks it at newscore, finding both places in ONE walk from the header: the
     * walk towards x and the walk towards (newscore, x) advance in lockstep, so the CPU overlaps
     * the cache misses of the two independent pointer chases, where a delete search followed by an
     * insert search pays them one after the other (the searches miss on most steps below the top
     * levels of a large set, and dominated ZADD's profile). The insert walk sees x still linked at
     * its old score; afterwards its ranks past x drop by one and a predecessor that is x becomes
     * x's own predecessor, which is exactly what a search after the delete would have found.
     */
    private void move(Node x, double newscore) {
        Node[] du = delUpdate, iu = update;
        int[] dr = delRank, ir = rank;
        double oldscore = x.score;
        byte[] ele = x.key;
        Node d = header, p = header, f;
        int rd = 0, ri = 0;
        boolean md, mi;
        int levels = level;
        for (int i = levels - 1; i >= INLINE_LEVELS; i--) {
            int k = i - INLINE_LEVELS;
            md = mi = true;
            do {
                if (md) {
                    if ((f = d.up[k]) != null && before(f, oldscore, ele)) {
                        rd += d.upSpan[k];
                        d = f;
                    } else md = false;
                }
                if (mi) {
                    if ((f = p.up[k]) != null && before(f, newscore, ele)) {
                        ri += p.upSpan[k];
                        p = f;
                    } else mi = false;
                }
            } while (md | mi);
            du[i] = d;
            dr[i] = rd;
            iu[i] = p;
            ir[i] = ri;
        }
        // The inline levels, unrolled as in insert.
        if (levels > 2) {
            md = mi = true;
            do {
                if (md) {
                    if ((f = d.next2) != null && before(f, oldscore, ele)) {
                        rd += d.span2;
                        d = f;
                    } else md = false;
                }
                if (mi) {
                    if ((f = p.next2) != null && before(f, newscore, ele)) {
                        ri += p.span2;
                        p = f;
                    } else mi = false;
                }
            } while (md | mi);
            du[2] = d;
            dr[2] = rd;
            iu[2] = p;
            ir[2] = ri;
        }
        if (levels > 1) {
            md = mi = true;
            do {
                if (md) {
                    if ((f = d.next1) != null && before(f, oldscore, ele)) {
                        rd += d.span1;
                        d = f;
                    } else md = false;
                }
                if (mi) {
                    if ((f = p.next1) != null && before(f, newscore, ele)) {
                        ri += p.span1;
                        p = f;
                    } else mi = false;
                }
            } while (md | mi);
            du[1] = d;
            dr[1] = rd;
            iu[1] = p;
            ir[1] = ri;
        }
        md = mi = true;
        do {
            if (md) {
                if ((f = d.next0) != null && before(f, oldscore, ele)) {
                    rd++;
                    d = f;
                } else md = false;
            }
            if (mi) {
                if ((f = p.next0) != null && before(f, newscore, ele)) {
                    ri++;
                    p = f;
                } else mi = false;
            }
        } while (md | mi);
        du[0] = d;
        iu[0] = p;
        ir[0] = ri;
        if (d.next0 != x) throw new IllegalStateException("skiplist node not found");
        int rankX = rd + 1;
        deleteNode(x, du);
        for (int i = 0; i < levels; i++) {
            if (iu[i] == x) {
                iu[i] = du[i];
                ir[i] = i == 0 ? rd : dr[i];
            } else if (ir[i] > rankX) {
                ir[i]--;
            }
        }
        x.score = newscore;
        link(x);
    }

    // ---------------------------------------------------------------- rank

    /** zslGetRank: the 1-based rank of (score, ele), or 0 if absent. */
    public long getRank(double score, byte[] ele) {
        long rank = 0;
        Node p = header;
        for (int i = level - 1; i >= 0; i--) {
            Node f;
            while ((f = fwd(p, i)) != null && (f.score < score || (f.score == score && compare(f.key, ele) <= 0))) {
                rank += span(p, i);
                p = f;
            }
            if (p != header && p.score == score && Arrays.equals(p.key, ele)) return rank;
        }
        return 0;
    }

    /** zslGetElementByRank: the node at 1-based rank, or null. */
    public Node getElementByRank(long rank) {
        long traversed = 0;
        Node p = header;
        for (int i = level - 1; i >= 0; i--) {
            Node f;
            while ((f = fwd(p, i)) != null && traversed + span(p, i) <= rank) {
                traversed += span(p, i);
                p = f;
            }
            if (traversed == rank) return p == header ? null : p;
        }
        return null;
    }

    // ---------------------------------------------------------------- ranges (by score or lex)

    /** zslIsInRange / zslIsInLexRange: true if some part of the skiplist can be in range. */
    public boolean isInRange(ZSet.Range range) {
        if (range.isEmpty()) return false;
        if (tail == null || !range.gteMin(tail)) return false;
        Node x = header.next0;
        return x != null && range.lteMax(x);
    }

    /** zslFirstInRange / zslFirstInLexRange: the first node in range, or null. */
    public Node firstInRange(ZSet.Range range) {
        if (!isInRange(range)) return null;
        Node p = lastBeforeMin(range, null);
        Node x = p.next0;
        return range.lteMax(x) ? x : null;
    }

    /** zslLastInRange / zslLastInLexRange: the last node in range, or null. */
    public Node lastInRange(ZSet.Range range) {
        if (!isInRange(range)) return null;
        Node p = header;
        for (int i = level - 1; i >= 0; i--) {
            Node f;
            while ((f = fwd(p, i)) != null && range.lteMax(f)) p = f;
        }
        return range.gteMin(p) ? p : null;
    }

    /** The last node below the range's min at level 0, filling update (if given) per level. */
    private Node lastBeforeMin(ZSet.Range range, Node[] update) {
        Node p = header;
        for (int i = level - 1; i >= 0; i--) {
            Node f;
            while ((f = fwd(p, i)) != null && !range.gteMin(f)) p = f;
            if (update != null) update[i] = p;
        }
        return p;
    }

    /** zslDeleteRangeByScore / zslDeleteRangeByLex: removes every node in range (from dict too); returns how many. */
    public long deleteRange(ZSet.Range range, Dict<Node> dict) {
        Node x = lastBeforeMin(range, update).next0;
        long removed = 0;
        while (x != null && range.lteMax(x)) {
            Node next = x.next0;
            unlinkAndForget(x, dict);
            removed++;
            x = next;
        }
        return removed;
    }

    private void unlinkAndForget(Node x, Dict<Node> dict) {
        deleteNode(x, update);
        dict.remove(x.key);
        nodeBytes -= bytesOf(x);
    }

    /** zslDeleteRangeByRank: removes 1-based ranks start..end inclusive. */
    public long deleteRangeByRank(long start, long end, Dict<Node> dict) {
        Node[] update = this.update;
        long traversed = 0;
        Node p = header;
        for (int i = level - 1; i >= 0; i--) {
            Node f;
            while ((f = fwd(p, i)) != null && traversed + span(p, i) < start) {
                traversed += span(p, i);
                p = f;
            }
            update[i] = p;
        }
        long removed = 0;
        for (Node x = p.next0; x != null && removed < end - start + 1; removed++) {
            Node next = x.next0;
            unlinkAndForget(x, dict);
            x = next;
        }
        return removed;
    }

    // ---------------------------------------------------------------- invariants

    /** Checks the invariants above against dict; returns what is wrong, or null. */
    public String validate(Dict<Node> dict) {
        if (level < 1 || level > MAXLEVEL) return "bad level " + level;
        for (int i = level; i < MAXLEVEL; i++) if (fwd(header, i) != null) return "header level " + i + " above list level";
        // Ranks by walking level 0.
        java.util.IdentityHashMap<Node, Integer> ranks = new java.util.IdentityHashMap<>();
        ranks.put(header, 0);
        Node prev = null;
        int n = 0;
        long bytes = 0;
        int maxLevel = 1;
        for (Node x = header.next0; x != null; x = x.next0) {
            n++;
            ranks.put(x, n);
            if (Double.isNaN(x.score)) return "NaN score";
            if (x.backward != prev) return "bad backward link at rank " + n;
            if (prev != null && !before(prev, x.score, x.key)) return "out of order at rank " + n;
            if (dict.get(x.key) != x) return "node at rank " + n + " is not the dict's entry";
            if (x.level() > level) return "node level above list level";
            maxLevel = Math.max(maxLevel, x.level());
            bytes += bytesOf(x);
            prev = x;
        }
        if (tail != prev) return "bad tail";
        if (n != length) return "length " + length + " but " + n + " nodes";
        if (dict.size() != length) return "dict has " + dict.size() + " entries for " + length + " nodes";
        if (bytes != nodeBytes) return "nodeBytes " + nodeBytes + " but recount gives " + bytes;
        if (level > 1 && maxLevel != level) return "level " + level + " but highest node level " + maxLevel;
        for (int i = 1; i < level; i++) {
            Node p = header;
            while (true) {
                Node f = fwd(p, i);
                int expected = f == null ? length - ranks.get(p) : ranks.get(f) - ranks.get(p);
                if (span(p, i) != expected) return "span at level " + i + " rank " + ranks.get(p) + " is " + span(p, i) + ", expected " + expected;
                if (f == null) break;
                if (f.level() <= i) return "node linked above its level";
                p = f;
            }
        }
        return null;
    }
}
