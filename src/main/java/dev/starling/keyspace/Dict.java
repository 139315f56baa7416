package dev.starling.keyspace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Redis's dict: a power-of-two chained hash table with incremental rehashing.
 *
 * <h2>Design</h2>
 * Two tables exist while rehashing: every operation moves one bucket of {@code t0} to {@code t1}
 * (and the cron moves more for a bounded time), so growth from zero to millions of keys never
 * stops the world to copy. Lookups check both tables while rehashing; inserts go to {@code t1}.
 *
 * <h2>SCAN</h2>
 * {@link #scan} uses Redis's reverse-binary cursor: the cursor's bits are incremented from the most
 * significant end, so every bucket index of a smaller table is visited before its expansions in a
 * larger one. A key present for the whole scan is returned at least once even if the table grows
 * or shrinks between calls; some keys may be returned twice.
 *
 * <h2>Snapshots</h2>
 * The same order serves {@link Snapshot}: a key's {@link #position} (its reversed hash) is fixed
 * while buckets move, so a snapshot walks positions with one cursor ({@link #visitRange}), and
 * {@link #add} and {@link #remove} of a database's main dict call the snapshot's pre-write hook
 * first ({@code walks} is null otherwise, which is all a dict pays when no snapshot runs).
 *
 * <h2>One concurrent reader</h2>
 * The executor owns a dict, but a snapshot's walker thread may read it at the same time (see
 * {@link Snapshot}). Three things make that sound. Structural moves (a rehash step, a new table)
 * run inside a sequence lock, {@link #readBegin}/{@link #readValid}, so a reader that overlapped
 * one reads again. A new entry is fully built before a release store links it into its chain.
 * A removed entry keeps its {@code next}, so a reader standing on it still reaches the rest of
 * the chain. Everything else a reader needs (that no key it reads changes) is the snapshot's
 * business.
 */
public final class Dict<E extends DictEntry> {
    /** Creates entries for a dict; an instance is shared, stateless. */
    public interface EntryFactory<E extends DictEntry> {
        E create(byte[] key, int hash);
    }

    static final int INITIAL_SIZE = 4;
    /** Redis's HASHTABLE_MIN_FILL: shrink when fewer than 10% of buckets are used. */
    static final int MIN_FILL_PERCENT = 10;
    /** Redis's dict_force_resize_ratio: grow even while resize is disallowed past this load. */
    static final int FORCE_RESIZE_RATIO = 5;

    private final EntryFactory<E> factory;
    private DictEntry[] t0 = null;
    private DictEntry[] t1 = null;
    private int used0, used1;
    /** Next bucket of t0 to move, or -1 when not rehashing. */
    private int rehashIdx = -1;
    /** While positive (an unsafe walk is in progress), rehash steps are skipped. */
    private int pauseRehash;
    private boolean resizeAllowed = true;
    /**
     * Snapshots walking this dict (only ever set on a database's main dict), or null: add and
     * remove call their pre-write hook first. Replaced, never mutated, so a hook may cancel a
     * snapshot while the array is being iterated.
     */
    SnapshotWalk[] walks;
    /** Odd while the tables' structure is changing (see {@link #readBegin}). */
    private int moveSeq;
    /**
     * Bytes its owner accounts to the entries beyond the tables (a set's member objects and
     * arrays), kept here for the owner's memory estimate so the owner needs no field of its own.
     */
    public long payloadBytes;

    private static final VarHandle MOVE_SEQ, SLOT;

    static {
        try {
            MOVE_SEQ = MethodHandles.lookup().findVarHandle(Dict.class, "moveSeq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        SLOT = MethodHandles.arrayElementVarHandle(DictEntry[].class);
    }

    public Dict(EntryFactory<E> factory) {
        this.factory = factory;
    }

    // ---------------------------------------------------------------- hashing

    /** Seeded so bucket placement differs per process (Redis seeds siphash the same way). */
    private static final int SEED = ThreadLocalRandom.current().nextInt();

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long M1 = 0x9E3779B97F4A7C15L, M2 = 0xC2B2AE3D27D4EB4FL;

    /**
     * Seeded 64-bit multiply-mix over 8-byte words (4x fewer loads than byte-wise hashing), folded
     * to 32 bits. Keys are attacker-chosen, hence the per-process seed, as Redis seeds siphash.
     */
    public static int hash(byte[] key) {
        int n = key.length;
        long h = SEED ^ ((long) n * M1);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long k = (long) LONGS.get(key, i);
            h = Long.rotateLeft(h ^ (k * M2), 31) * M1;
        }
        if (i < n) {
            long k = 0;
            for (int j = n - 1; j >= i; j--) k = (k << 8) | (key[j] & 0xff);
            h = Long.rotateLeft(h ^ (k * M2), 31) * M1;
        }
        h ^= h >>> 33;
        h *= M2;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    // ---------------------------------------------------------------- size

    public long size() {
        return (long) used0 + used1;
    }

    public boolean isRehashing() {
        return rehashIdx != -1;
    }

    /** Buckets of the main table (and of the target table while rehashing), for INFO and tests. */
    public int buckets() {
        return (t0 == null ? 0 : t0.length) + (t1 == null ? 0 : t1.length);
    }

    public void setResizeAllowed(boolean allowed) {
        this.resizeAllowed = allowed;
    }

    // ---------------------------------------------------------------- rehash

    /** Moves up to n buckets from t0 to t1. Returns true if more remain. */
    public boolean rehash(int n) {
        if (rehashIdx == -1) return false;
        beginMove();
        try {
            return rehashMoving(n);
        } finally {
            endMove();
        }
    }

    private boolean rehashMoving(int n) {
        int emptyVisits = n * 10;
        while (n-- > 0 && used0 != 0) {
            while (t0[rehashIdx] == null) {
                rehashIdx++;
                if (--emptyVisits == 0) return true;
            }
            DictEntry e = t0[rehashIdx];
            int mask1 = t1.length - 1;
            while (e != null) {
                DictEntry next = e.next;
                int idx = e.hash & mask1;
                e.next = t1[idx];
                t1[idx] = e;
                used0--;
                used1++;
                e = next;
            }
            t0[rehashIdx] = null;
            rehashIdx++;
        }
        if (used0 == 0) {
            t0 = t1;
            used0 = used1;
            t1 = null;
            used1 = 0;
            rehashIdx = -1;
            return false;
        }
        return true;
    }

    /** Rehashes in steps of 100 buckets for about ms milliseconds (Redis's dictRehashMilliseconds). */
    public int rehashMilliseconds(long ms, long nowNanos, java.util.function.LongSupplier nanos) {
        if (pauseRehash > 0) return 0;
        long deadline = nowNanos + ms * 1_000_000L;
        int rehashes = 0;
        while (rehash(100)) {
            rehashes += 100;
            if (nanos.getAsLong() > deadline) break;
        }
        return rehashes;
    }

    private void rehashStep() {
        if (pauseRehash == 0) rehash(1);
    }

    private void expandIfNeeded() {
        if (rehashIdx != -1) return;
        if (t0 == null) {
            beginMove();
            t0 = new DictEntry[INITIAL_SIZE];
            endMove();
            return;
        }
        if (used0 >= t0.length && (resizeAllowed || used0 / t0.length > FORCE_RESIZE_RATIO)) {
            expand(used0 + 1);
        }
    }

    /** Starts rehashing into a table of the next power of two >= size. */
    public void expand(long size) {
        if (rehashIdx != -1 || size < used0) return;
        int real = tableSizeFor(size);
        if (t0 == null) {
            beginMove();
            t0 = new DictEntry[real];
            endMove();
            return;
        }
        if (real == t0.length) return;
        beginMove();
        t1 = new DictEntry[real];
        used1 = 0;
        rehashIdx = 0;
        endMove();
    }

    /** Shrinks when fill dropped below 10% (Redis's htNeedsResize + dictResize, called from cron). */
    public void shrinkIfNeeded() {
        if (t0 == null || rehashIdx != -1 || !resizeAllowed) return;
        long size = t0.length;
        if (size > INITIAL_SIZE && (used0 * 100L / size < MIN_FILL_PERCENT)) {
            expand(Math.max(used0, INITIAL_SIZE));
        }
    }

    private static int tableSizeFor(long size) {
        if (size >= (1 << 30)) return 1 << 30;
        int n = INITIAL_SIZE;
        while (n < size) n <<= 1;
        return n;
    }

    // ---------------------------------------------------------------- lookup

    /** Returns the entry for key, or null. */
    public E get(byte[] key) {
        if (size() == 0) return null;
        if (rehashIdx != -1) rehashStep();
        return find(key, hash(key));
    }

    /** The entry for key (whose hash is h), or null; no rehash step, so a snapshot walk may read. */
    @SuppressWarnings("unchecked")
    E find(byte[] key, int h) {
        if (t0 == null) return null;
        DictEntry e = t0[h & (t0.length - 1)];
        while (e != null) {
            if (e.hash == h && Arrays.equals(e.key, key)) return (E) e;
            e = e.next;
        }
        if (rehashIdx != -1) {
            e = t1[h & (t1.length - 1)];
            while (e != null) {
                if (e.hash == h && Arrays.equals(e.key, key)) return (E) e;
                e = e.next;
            }
        }
        return null;
    }

    /** Adds a new entry for key, which must not be present; returns it for the caller to fill. */
    @SuppressWarnings("unchecked")
    public E add(byte[] key) {
        if (rehashIdx != -1) rehashStep();
        expandIfNeeded();
        int h = hash(key);
        if (walks != null) SnapshotWalk.preWrite(walks, h);
        E e = factory.create(key, h);
        // Release: a concurrent reader that sees the entry sees its next (see the class comment).
        if (rehashIdx != -1) {
            int idx = h & (t1.length - 1);
            e.next = t1[idx];
            SLOT.setRelease(t1, idx, e);
            used1++;
        } else {
            int idx = h & (t0.length - 1);
            e.next = t0[idx];
            SLOT.setRelease(t0, idx, e);
            used0++;
        }
        return e;
    }

    /** Returns the existing entry for key or adds a new one (check its value for null). */
    public E getOrAdd(byte[] key) {
        E e = get(key);
        return e != null ? e : add(key);
    }

    /** Removes key; returns the removed entry or null. */
    @SuppressWarnings("unchecked")
    public E remove(byte[] key) {
        if (size() == 0) return null;
        if (rehashIdx != -1) rehashStep();
        int h = hash(key);
        if (walks != null) SnapshotWalk.preWrite(walks, h);
        for (int t = 0; t < 2; t++) {
            DictEntry[] table = t == 0 ? t0 : t1;
            if (table == null) break;
            int idx = h & (table.length - 1);
            DictEntry prev = null, e = table[idx];
            while (e != null) {
                if (e.hash == h && Arrays.equals(e.key, key)) {
                    if (prev == null) table[idx] = e.next;
                    else prev.next = e.next;
                    if (t == 0) used0--;
                    else used1--;
                    return (E) e;
                }
                prev = e;
                e = e.next;
            }
            if (rehashIdx == -1) break;
        }
        return null;
    }

    /** Drops every entry and the tables. A dict being snapshotted is replaced instead (see Db.clear). */
    public void clear() {
        if (walks != null) throw new IllegalStateException("a snapshot is walking this dict");
        beginMove();
        t0 = null;
        t1 = null;
        used0 = used1 = 0;
        rehashIdx = -1;
        endMove();
    }

    // ---------------------------------------------------------------- one concurrent reader

    private void beginMove() {
        MOVE_SEQ.setOpaque(this, moveSeq + 1);
        VarHandle.storeStoreFence(); // the moves below are not seen before the odd value
    }

    private void endMove() {
        MOVE_SEQ.setRelease(this, moveSeq + 1);
    }

    /**
     * For a reader on another thread: call before reading, and after reading pass the value to
     * {@link #readValid}; the read saw a consistent structure only if that returns true.
     */
    public int readBegin() {
        return (int) MOVE_SEQ.getAcquire(this);
    }

    /** Whether no structural move overlapped the read that began with seq (see {@link #readBegin}). */
    public boolean readValid(int seq) {
        VarHandle.loadLoadFence(); // the reads before this are done before the check
        return (seq & 1) == 0 && (int) MOVE_SEQ.getOpaque(this) == seq;
    }

    /**
     * Visits every entry once without writing anything (unlike {@link #forEach}, which pauses
     * rehashing), so another thread may call it between {@link #readBegin} and {@link #readValid}.
     */
    @SuppressWarnings("unchecked")
    public void readEach(Consumer<E> visitor) {
        for (int t = 0; t < 2; t++) {
            DictEntry[] table = t == 0 ? t0 : t1;
            if (table == null) continue;
            for (DictEntry head : table) {
                for (DictEntry e = head; e != null; e = e.next) visitor.accept((E) e);
            }
        }
    }

    // ---------------------------------------------------------------- iteration

    /**
     * Visits every entry once. The callback must not add or remove entries of this dict (collect
     * first, then modify); rehashing is paused meanwhile.
     */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<E> visitor) {
        pauseRehash++;
        try {
            for (int t = 0; t < 2; t++) {
                DictEntry[] table = t == 0 ? t0 : t1;
                if (table == null) continue;
                for (DictEntry head : table) {
                    for (DictEntry e = head; e != null; e = e.next) visitor.accept((E) e);
                }
            }
        } finally {
            pauseRehash--;
        }
    }

    /**
     * Visits the buckets at cursor and returns the next cursor (0 when the scan is complete);
     * Redis's dictScan. The cursor is an unsigned 64-bit value.
     */
    @SuppressWarnings("unchecked")
    public long scan(long cursor, Consumer<E> visitor) {
        if (size() == 0) return 0;
        pauseRehash++;
        try {
            long v = cursor;
            if (rehashIdx == -1) {
                long m0 = t0.length - 1;
                for (DictEntry e = t0[(int) (v & m0)]; e != null; e = e.next) visitor.accept((E) e);
                v |= ~m0;
                v = Long.reverse(v);
                v++;
                v = Long.reverse(v);
            } else {
                DictEntry[] small = t0, large = t1;
                if (small.length > large.length) {
                    small = t1;
                    large = t0;
                }
                long m0 = small.length - 1, m1 = large.length - 1;
                for (DictEntry e = small[(int) (v & m0)]; e != null; e = e.next) visitor.accept((E) e);
                do {
                    for (DictEntry e = large[(int) (v & m1)]; e != null; e = e.next) visitor.accept((E) e);
                    v |= ~m1;
                    v = Long.reverse(v);
                    v++;
                    v = Long.reverse(v);
                } while ((v & (m0 ^ m1)) != 0);
            }
            return v;
        } finally {
            pauseRehash--;
        }
    }

    // ---------------------------------------------------------------- snapshot walks

    /**
     * An entry's position in scan order: its hash with the bits reversed, as an unsigned 32-bit
     * value. Each bucket of a 2^k table holds exactly the positions sharing their top k bits, so a
     * bucket is an aligned interval of positions at every table size, and a key's position never
     * changes while the tables grow, shrink or rehash (what SCAN's reverse-binary cursor relies on).
     */
    static long position(int hash) {
        return Integer.reverse(hash) & 0xffffffffL;
    }

    /** One past the last position: a walk whose cursor is here is complete. */
    static final long POSITIONS = 1L << 32;

    /** log2 of the larger table's size (the finest bucket granularity), or 0 if there is no table. */
    int finestTableBits() {
        int n = t0 == null ? 0 : t0.length;
        if (t1 != null && t1.length > n) n = t1.length;
        return n == 0 ? 0 : Integer.numberOfTrailingZeros(n);
    }

    /**
     * Visits every entry whose {@link #position} is in [lo, hi), in both tables; returns the
     * number of buckets looked at. The visitor must not modify this dict.
     */
    @SuppressWarnings("unchecked")
    int visitRange(long lo, long hi, Consumer<E> visitor) {
        int buckets = 0;
        for (int t = 0; t < 2; t++) {
            DictEntry[] table = t == 0 ? t0 : t1;
            if (table == null) continue;
            int shift = 32 - Integer.numberOfTrailingZeros(table.length);
            // Bucket q of the position space (its top bits) is table index reverse(q).
            for (long q = lo >>> shift, last = (hi - 1) >>> shift; q <= last; q++) {
                buckets++;
                for (DictEntry e = table[Integer.reverse((int) (q << shift))]; e != null; e = e.next) {
                    long p = position(e.hash);
                    if (p >= lo && p < hi) visitor.accept((E) e);
                }
            }
        }
        return buckets;
    }

    // ---------------------------------------------------------------- sampling

    /** A random entry, or null if empty (Redis's dictGetRandomKey: random bucket, then random chain element). */
    @SuppressWarnings("unchecked")
    public E randomEntry() {
        if (size() == 0) return null;
        if (rehashIdx != -1) rehashStep();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        DictEntry head;
        if (rehashIdx != -1) {
            do {
                // Buckets of t0 below rehashIdx are empty.
                int span = t0.length + t1.length - rehashIdx;
                int h = rehashIdx + rnd.nextInt(span);
                head = h >= t0.length ? t1[h - t0.length] : t0[h];
            } while (head == null);
        } else {
            do {
                head = t0[rnd.nextInt(t0.length)];
            } while (head == null);
        }
        int len = 0;
        for (DictEntry e = head; e != null; e = e.next) len++;
        int pick = rnd.nextInt(len);
        DictEntry e = head;
        while (pick-- > 0) e = e.next;
        return (E) e;
    }

    /**
     * Fills out with up to count entries from a random stretch of buckets (Redis's dictGetSomeKeys):
     * cheaper than count random lookups, not uniformly distributed. Returns how many were stored.
     */
    @SuppressWarnings("unchecked")
    public int sample(DictEntry[] out, int count) {
        long size = size();
        if (count > size) count = (int) size;
        if (count == 0) return 0;
        for (int j = 0; j < count && rehashIdx != -1; j++) rehashStep();
        int tables = rehashIdx != -1 ? 2 : 1;
        int maxMask = t0.length - 1;
        if (tables == 2 && t1.length - 1 > maxMask) maxMask = t1.length - 1;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int i = rnd.nextInt() & maxMask;
        int emptyLen = 0, stored = 0;
        long maxSteps = count * 10L;
        while (stored < count && maxSteps-- > 0) {
            for (int t = 0; t < tables; t++) {
                DictEntry[] table = t == 0 ? t0 : t1;
                if (tables == 2 && t == 0 && i < rehashIdx) {
                    if (i >= t1.length) i = rehashIdx;
                    else continue;
                }
                if (i >= table.length) continue;
                DictEntry e = table[i];
                if (e == null) {
                    emptyLen++;
                    if (emptyLen >= 5 && emptyLen > count) {
                        i = rnd.nextInt() & maxMask;
                        emptyLen = 0;
                    }
                } else {
                    emptyLen = 0;
                    while (e != null) {
                        out[stored++] = e;
                        e = e.next;
                        if (stored == count) return stored;
                    }
                }
            }
            i = (i + 1) & maxMask;
        }
        return stored;
    }

    // ---------------------------------------------------------------- invariants

    /** The longest bucket chain in either table; for tests that bound a walk step's work. */
    int longestChain() {
        int max = 0;
        for (int t = 0; t < 2; t++) {
            DictEntry[] table = t == 0 ? t0 : t1;
            if (table == null) continue;
            for (DictEntry head : table) {
                int n = 0;
                for (DictEntry e = head; e != null; e = e.next) n++;
                if (n > max) max = n;
            }
        }
        return max;
    }

    /** Checks structural invariants (counts, bucket placement); for tests. Returns an error or null. */
    public String validate() {
        long n0 = 0, n1 = 0;
        if (t0 != null) {
            for (int i = 0; i < t0.length; i++) {
                for (DictEntry e = t0[i]; e != null; e = e.next) {
                    if ((e.hash & (t0.length - 1)) != i) return "entry in wrong t0 bucket";
                    if (rehashIdx != -1 && i < rehashIdx) return "entry below rehashIdx";
                    n0++;
                }
            }
        }
        if (t1 != null) {
            for (int i = 0; i < t1.length; i++) {
                for (DictEntry e = t1[i]; e != null; e = e.next) {
                    if ((e.hash & (t1.length - 1)) != i) return "entry in wrong t1 bucket";
                    n1++;
                }
            }
        }
        if (n0 != used0 || n1 != used1) return "used counts " + used0 + "/" + used1 + " but found " + n0 + "/" + n1;
        return null;
    }
}
