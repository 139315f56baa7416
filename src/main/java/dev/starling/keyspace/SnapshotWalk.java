package dev.starling.keyspace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * One snapshot's walk of one database's main dict (and the expires dict paired with it at the
 * cut). See {@link Snapshot} for the design.
 *
 * <p>A key is <em>done</em> (already handed to the consumer, or born after the cut) when its
 * {@link Dict#position position} is below {@link #cursor}, or when its virtual bucket's bit is set
 * in {@link #done}. Virtual buckets are the 2^bits aligned intervals of the position space; they
 * stand in for the dict's buckets, which move between tables and change size while the walk runs.
 *
 * <p>Threads: the hooks always run on the executor; the walk runs either there ({@link #walkUnit})
 * or on a reader thread ({@link #readUnit}). Bits are set by atomic or-ing, so a bucket is claimed
 * by exactly one of the two, and the cursor is written with release and read with acquire, so a
 * hook that sees the cursor past a key also sees everything the walk read before moving it.
 */
final class SnapshotWalk implements Consumer<KeyEntry> {
    /** Fewest and most virtual buckets (as bits): at least 512 bytes of bitmap, at most 512 KB. */
    static final int MIN_BITS = 12, MAX_BITS = 22;

    final Snapshot snapshot;
    /** The database's index at the cut: SWAPDB later moves the dicts, not the label. */
    final int db;
    final Dict<KeyEntry> dict;
    final Dict<ExpireEntry> expires;
    /** Key and TTL counts at the cut (RDB's RESIZEDB). */
    final long keys, volatileKeys;
    /** Positions below the cursor are done; {@link Dict#POSITIONS} when the walk is complete. */
    private long cursor;
    private final int shift;
    private final long[] done;
    /** Keys of this walk handed to the consumer; when it reaches {@link #keys} nothing is left. */
    long delivered;
    /** Whether the consumer has had dbStart for this db. */
    boolean started;
    /** While walking (not in a hook), entries of virtual buckets already done are skipped. */
    private boolean skipDone;

    SnapshotWalk(Snapshot snapshot, int db, Dict<KeyEntry> dict, Dict<ExpireEntry> expires) {
        this.snapshot = snapshot;
        this.db = db;
        this.dict = dict;
        this.expires = expires;
        this.keys = dict.size();
        this.volatileKeys = expires.size();
        int bits = Math.clamp(dict.finestTableBits(), MIN_BITS, MAX_BITS);
        this.shift = 32 - bits;
        this.done = new long[1 << (bits - 6)];
    }

    /** Keys kept by a reader thread's walk (read by the executor for INFO). */
    private volatile long readerKeys;

    private static final VarHandle CURSOR, READER_KEYS, BITS = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CURSOR = l.findVarHandle(SnapshotWalk.class, "cursor", long.class);
            READER_KEYS = l.findVarHandle(SnapshotWalk.class, "readerKeys", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long cursor() {
        return (long) CURSOR.getAcquire(this);
    }

    private void setCursor(long c) {
        CURSOR.setRelease(this, c);
    }

    private boolean isDone(int vb) {
        return ((long) BITS.getAcquire(done, vb >>> 6) & (1L << vb)) != 0;
    }

    /** Marks the bucket done; false if it already was (the other thread claimed it). */
    private boolean claim(int vb) {
        long bit = 1L << vb;
        return ((long) BITS.getAndBitwiseOr(done, vb >>> 6, bit) & bit) == 0;
    }

    // ---------------------------------------------------------------- registration

    void register() {
        SnapshotWalk[] old = dict.walks;
        SnapshotWalk[] n;
        if (old == null) {
            n = new SnapshotWalk[] {this};
        } else {
            n = java.util.Arrays.copyOf(old, old.length + 1);
            n[old.length] = this;
        }
        dict.walks = n;
    }

    /** Stops the hooks: after this, writes to the dict cost nothing for this snapshot. */
    void unregister() {
        SnapshotWalk[] old = dict.walks;
        if (old == null) return;
        int i = 0;
        while (i < old.length && old[i] != this) i++;
        if (i == old.length) return;
        if (old.length == 1) {
            dict.walks = null;
            return;
        }
        SnapshotWalk[] n = new SnapshotWalk[old.length - 1];
        System.arraycopy(old, 0, n, 0, i);
        System.arraycopy(old, i + 1, n, i, old.length - i - 1);
        dict.walks = n;
    }

    // ---------------------------------------------------------------- the pre-write hook

    /** Runs every walk's hook for the key with this hash, before the key is added, changed or removed. */
    static void preWrite(SnapshotWalk[] walks, int hash) {
        for (SnapshotWalk w : walks) w.preWrite(hash);
    }

    /**
     * If the key with this hash is not done, hands its whole virtual bucket (the part the cursor
     * has not passed) to the consumer as it is now, which is as it was at the cut since nothing in
     * a bucket that is not done has been written, and marks the bucket done.
     */
    private void preWrite(int hash) {
        long p = Dict.position(hash);
        long c = cursor();
        if (p < c) return;
        int vb = (int) (p >>> shift);
        if (isDone(vb) || !snapshot.running() || !claim(vb)) return;
        // A reader thread only moves the cursor past buckets it claimed, so c is inside vb only
        // when the walk runs here, part way through vb.
        long lo = Math.max(c, (long) vb << shift);
        skipDone = false;
        snapshot.hookBuckets += dict.visitRange(lo, ((long) vb + 1) << shift, this);
    }

    // ---------------------------------------------------------------- walking

    /**
     * Advances the cursor over one bucket of the finer table (or over one done virtual bucket);
     * returns the work done: buckets looked at plus keys handed over.
     */
    int walkUnit() {
        if (delivered == keys || dict.size() == 0) { // every key of the cut is accounted for
            setCursor(Dict.POSITIONS);
            return 1;
        }
        long lo = cursor;
        int vb = (int) (lo >>> shift);
        if (isDone(vb)) {
            setCursor(((long) vb + 1) << shift);
            return 1;
        }
        // One table bucket, or one virtual bucket if that is smaller: the keys then come in the
        // same order as a reader thread's walk gives them (bucket by virtual bucket).
        int bucketShift = 32 - dict.finestTableBits();
        long hi = Math.min(((lo >>> bucketShift) + 1) << bucketShift, ((long) vb + 1) << shift);
        long before = delivered;
        skipDone = true;
        int buckets = dict.visitRange(lo, hi, this);
        setCursor(hi);
        return buckets + (int) (delivered - before);
    }

    boolean complete() {
        return cursor() >= Dict.POSITIONS;
    }

    // ---------------------------------------------------------------- walking on a reader thread

    /** The reader of the current {@link #readUnit}, and the count it kept. */
    private SnapshotReader reader;
    private int readCount;
    private final Consumer<KeyEntry> readVisitor = this::read;

    /** Most attempts at one bucket before a failure that keeps recurring is taken for a bug. */
    private static final int MAX_ATTEMPTS = 10_000;

    /**
     * On the reader thread: reads the virtual bucket at the cursor into r, claims it, keeps or
     * discards what was read, and moves the cursor past it. Returns the keys kept. Read, then
     * claim: the executor writes a key only after its hook claimed the key's bucket, so if our
     * claim succeeds nothing in the bucket was written before or while we read it; if it fails,
     * the executor has handed the bucket over itself. A structural move of the dict (a rehash
     * step, a resize) while reading makes us read again.
     */
    int readUnit(SnapshotReader r) {
        int vb = (int) (cursor >>> shift);
        long lo = (long) vb << shift, hi = ((long) vb + 1) << shift;
        int kept = 0;
        for (int attempt = 1; !isDone(vb); attempt++) {
            if (!snapshot.running()) return 0;
            int seq = dict.readBegin(), xseq = expires.readBegin();
            readCount = 0;
            reader = r;
            RuntimeException failure = null;
            try {
                dict.visitRange(lo, hi, readVisitor);
            } catch (RuntimeException ex) { // a torn read: only a concurrent write or move causes one
                failure = ex;
            }
            if (failure == null && dict.readValid(seq) && expires.readValid(xseq) && claim(vb)) {
                r.keep();
                kept = readCount;
                break;
            }
            r.discard();
            if (failure != null && !(failure instanceof SnapshotReader.Retry) && !isDone(vb)
                    && dict.readValid(seq) && expires.readValid(xseq) && attempt >= MAX_ATTEMPTS) {
                throw failure; // the same failure with nothing moving: a bug, not a race
            }
            Thread.onSpinWait();
        }
        reader = null;
        if (kept != 0) READER_KEYS.getAndAdd(this, (long) kept);
        setCursor(hi);
        return kept;
    }

    /** Keys kept by the reader thread so far. */
    long readerKeys() {
        return readerKeys;
    }

    private void read(KeyEntry e) {
        long when = -1;
        ExpireEntry x = expires.find(e.key, e.hash);
        if (x != null) when = x.when;
        readCount++;
        reader.key(db, e.key, e.value, when, e.lru);
    }

    /** Hands one entry to the consumer (the visitor of {@link Dict#visitRange}). */
    @Override
    public void accept(KeyEntry e) {
        if (skipDone && isDone((int) (Dict.position(e.hash) >>> shift))) return;
        long when = -1;
        if (expires.size() != 0) {
            ExpireEntry x = expires.find(e.key, e.hash);
            if (x != null) when = x.when;
        }
        delivered++;
        snapshot.deliver(this, e, when);
    }
}
