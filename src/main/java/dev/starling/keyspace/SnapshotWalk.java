package dev.starling.keyspace;

import java.util.function.Consumer;

/**
 * One snapshot's walk of one database's main dict (and the expires dict paired with it at the
 * cut). See {@link Snapshot} for the design.
 *
 * <p>A key is <em>done</em> (already handed to the consumer, or born after the cut) when its
 * {@link Dict#position position} is below {@link #cursor}, or when its virtual bucket's bit is set
 * in {@link #done}. Virtual buckets are the 2^bits aligned intervals of the position space; they
 * stand in for the dict's buckets, which move between tables and change size while the walk runs.
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
    long cursor;
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

    private boolean isDone(int vb) {
        return (done[vb >>> 6] & (1L << vb)) != 0;
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
        if (p < cursor) return;
        int vb = (int) (p >>> shift);
        if (isDone(vb) || !snapshot.running()) return;
        long lo = Math.max(cursor, (long) vb << shift);
        skipDone = false;
        snapshot.hookBuckets += dict.visitRange(lo, ((long) vb + 1) << shift, this);
        done[vb >>> 6] |= 1L << vb;
    }

    // ---------------------------------------------------------------- walking

    /**
     * Advances the cursor over one bucket of the finer table (or over one done virtual bucket);
     * returns the work done: buckets looked at plus keys handed over.
     */
    int walkUnit() {
        if (delivered == keys || dict.size() == 0) { // every key of the cut is accounted for
            cursor = Dict.POSITIONS;
            return 1;
        }
        long lo = cursor;
        int vb = (int) (lo >>> shift);
        if (isDone(vb)) {
            cursor = ((long) vb + 1) << shift;
            return 1;
        }
        int bucketShift = 32 - dict.finestTableBits();
        long hi = ((lo >>> bucketShift) + 1) << bucketShift;
        long before = delivered;
        skipDone = true;
        int buckets = dict.visitRange(lo, hi, this);
        cursor = hi;
        return buckets + (int) (delivered - before);
    }

    boolean complete() {
        return cursor >= Dict.POSITIONS;
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
