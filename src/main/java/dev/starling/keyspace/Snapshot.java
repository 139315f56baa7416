package dev.starling.keyspace;

/**
 * A forkless point-in-time snapshot of the keyspace (for BGSAVE and replica full syncs), created
 * by {@link Keyspace#startSnapshot}. The consumer receives every key that existed at the cut,
 * exactly once, with its value and TTL as they were at the cut, while clients keep writing.
 *
 * <h2>Design: versioned buckets without versions</h2>
 * Dragonfly's technique: the walk visits the dict's buckets in order in small steps on the
 * executor, and any write to a bucket the walk has not reached first hands that bucket (all its
 * keys) to the consumer and marks it done. Two things differ here from a fixed-bucket table:
 * <ul>
 * <li><b>Buckets move.</b> Our dict rehashes incrementally between two tables and grows or shrinks
 *     during the walk. So "bucket" means an interval of <em>positions</em>: a key's position is its
 *     hash with the bits reversed ({@link Dict#position}), the order of Redis's SCAN cursor. Every
 *     bucket of every table size is an aligned interval of positions and a key never changes
 *     position, so a single cursor over positions orders the walk across rehashes: keys below the
 *     cursor are done, keys at or above it are visited in the interval that covers them, once.</li>
 * <li><b>No version per bucket or key.</b> The buckets a hook marked done ahead of the cursor are
 *     kept in a bitmap over fixed "virtual buckets" (2^12 to 2^22 per database, about the table's
 *     size at the cut), allocated for the snapshot and dropped with it. Nothing is added to
 *     entries, so a keyspace with no snapshot running costs not one byte more; the only work
 *     added to writes is a null check of {@code Dict.walks}.</li>
 * </ul>
 * A virtual bucket that is not done holds only keys of the cut with their cut values: any add,
 * change or delete of a key in it would have run the hook first and marked it done.
 *
 * <h2>The pre-write hook: the rule for code that writes keys</h2>
 * The hook runs in {@link Dict#add} and {@link Dict#remove} of a main dict, and in
 * {@link Db#lookupKeyWrite}, {@link Db#overwrite}, {@link Db#setExpire}, {@link Db#removeExpire}
 * and {@link Db#prepareWrite}. Everything else (RENAME, MOVE, COPY, lazy and active expiry,
 * eviction, DEBUG POPULATE, blocking pops) goes through those. A command that modifies a value in
 * place must have obtained it through lookupKeyWrite, or call {@link Db#prepareWrite} before the
 * first change (PFCOUNT does: it rewrites the HLL cache after a read lookup).
 *
 * <h2>FLUSHDB, FLUSHALL, SWAPDB</h2>
 * A walk belongs to a dict object, labelled with the database index it had at the cut. SWAPDB
 * moves the dict objects and their walks, so keys still arrive under the cut's index. FLUSHDB and
 * FLUSHALL (sync or ASYNC) replace a database's dicts ({@link Db#clear}); the old ones are no
 * longer written and the walk finishes them, so the snapshot stays the cut's. Their memory is held
 * until then, as a forked child would. Redis kills a BGSAVE child on FLUSHALL; a BGSAVE driver
 * that wants that calls {@link #cancel}. A replica full sync should not: the FLUSHALL follows in
 * the replication stream after the cut.
 *
 * <h2>Memory and time</h2>
 * The consumer takes each value synchronously (the RDB serializer captures references and copies
 * of mutable buffers, and encodes them on its own thread); the extra memory is its queue. While the
 * output is backed up, {@link #pause} stops the walk but not the hooks, so writes still serialize
 * the buckets they touch first: that output is bounded by the writes made during the pause. A walk
 * step does bounded work ({@link #step}); a hook hands over one virtual bucket, a few keys.
 *
 * <h2>Walking on another thread</h2>
 * The walk may instead run on a reader thread ({@link #readConcurrently}), so that its cache
 * misses (one or more per key: bucket, entry, key, value) are paid on another core, as Redis's
 * forked child pays them, and the executor keeps only its hooks. Each virtual bucket is then read
 * optimistically and claimed afterwards by an atomic or on the bitmap; a hook claims the same
 * way before it hands a bucket over, so exactly one side delivers each bucket, and a reader that
 * lost the race, or overlapped a rehash step (see {@link Dict#readBegin}), drops what it read.
 * The reader never writes to the keyspace. See {@link SnapshotReader} for what it must capture.
 *
 * <p>Everything else runs on the executor: hooks, {@link #step}, control, the consumer.
 */
public final class Snapshot {
    /** Running: walking or paused. */
    public static final int RUNNING = 0, DONE = 1, CANCELLED = 2;

    private final Keyspace ks;
    private final SnapshotConsumer consumer;
    /** One walk per database that had keys at the cut, in database order. */
    private final SnapshotWalk[] walks;
    private int current;
    /** The reader thread's position in {@link #walks} (see {@link #readConcurrently}). */
    private int readCurrent = -1;
    private volatile int state = RUNNING;
    private boolean paused;
    private long keysTotal, keysProcessed;
    /** The consumer's exception, if it threw (the snapshot is then cancelled). */
    private RuntimeException failure;
    /** The cut's time (unix ms), for the consumer's headers. */
    public final long cutMillis;
    /** Statistics for tests and INFO: buckets looked at by hooks and by the walk. */
    long hookBuckets;
    long walkWork;

    Snapshot(Keyspace ks, SnapshotConsumer consumer) {
        this.ks = ks;
        this.consumer = consumer;
        this.cutMillis = ks.now;
        int n = 0;
        for (Db db : ks.dbs) if (db.dict.size() != 0) n++;
        walks = new SnapshotWalk[n];
        n = 0;
        for (Db db : ks.dbs) {
            if (db.dict.size() == 0) continue;
            SnapshotWalk w = new SnapshotWalk(this, db.id, db.dict, db.expires);
            walks[n++] = w;
            keysTotal += w.keys;
        }
    }

    /** Registers the hooks: from here on, writes serialize what they touch first. */
    void start() {
        for (SnapshotWalk w : walks) w.register();
        consumer.begin(this);
        if (walks.length == 0) finish();
    }

    // ---------------------------------------------------------------- walking

    /**
     * Walks until about budget units of work are done (a unit is a bucket looked at or a key
     * handed over; the last bucket may overrun the budget by its chain length) or the walk
     * completes, in which case the consumer's end() is called. Does nothing while paused or after
     * completion or cancellation. Returns the work done.
     */
    public int step(int budget) {
        if (state != RUNNING || paused) return 0;
        int work = 0;
        while (work < budget && state == RUNNING) {
            if (current == walks.length) {
                finish();
                break;
            }
            SnapshotWalk w = walks[current];
            if (w.complete()) {
                w.unregister();
                current++;
                continue;
            }
            work += w.walkUnit();
        }
        walkWork += work;
        return work;
    }

    /**
     * On the reader thread: walks up to units virtual buckets, handing their keys to reader (see
     * {@link SnapshotReader}). Returns false when the walk is complete or the snapshot no longer
     * runs; then the executor must call {@link #finishReading} (a no-op unless it is complete).
     * Pausing does not apply: the reader's own pace is the back-pressure.
     */
    public boolean readConcurrently(int units, SnapshotReader reader) {
        for (int u = 0; u < units; u++) {
            if (state != RUNNING) return false;
            if (readCurrent < 0 || walks[readCurrent].complete()) {
                if (++readCurrent == walks.length) return false;
                SnapshotWalk w = walks[readCurrent];
                reader.dbStart(w.db, w.keys, w.volatileKeys);
                continue;
            }
            walks[readCurrent].readUnit(reader);
        }
        return true;
    }

    /** On the executor, after {@link #readConcurrently} returned false: completes the snapshot if its walk is. */
    public void finishReading() {
        if (state != RUNNING) return;
        for (SnapshotWalk w : walks) if (!w.complete()) throw new IllegalStateException("walk of db" + w.db + " is not complete");
        finish();
    }

    /** Called by a walk for each key of the cut, from a hook or from the walk. */
    void deliver(SnapshotWalk w, KeyEntry e, long expireAt) {
        if (state != RUNNING) return;
        try {
            if (!w.started) {
                w.started = true;
                consumer.dbStart(w.db, w.keys, w.volatileKeys);
            }
            keysProcessed++;
            consumer.key(w.db, e.key, e.value, expireAt, e.lru);
        } catch (RuntimeException ex) {
            failure = ex;
            cancel();
        }
    }

    private void finish() {
        state = DONE;
        unregisterAll();
        consumer.end();
    }

    private void unregisterAll() {
        for (SnapshotWalk w : walks) w.unregister();
        ks.snapshots.remove(this);
    }

    // ---------------------------------------------------------------- control

    /** Stops walking until {@link #resume}; writes still hand over what they touch. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
    }

    public boolean isPaused() {
        return paused;
    }

    /** Drops the snapshot (BGSAVE killed, a replica gone): hooks stop, consumer.cancelled() is called. */
    public void cancel() {
        if (state != RUNNING) return;
        state = CANCELLED;
        unregisterAll();
        consumer.cancelled();
    }

    /** {@link #RUNNING}, {@link #DONE} or {@link #CANCELLED}. */
    public int state() {
        return state;
    }

    boolean running() {
        return state == RUNNING;
    }

    public boolean isDone() {
        return state == DONE;
    }

    /** The exception the consumer threw, which cancelled the snapshot, or null. */
    public RuntimeException failure() {
        return failure;
    }

    // ---------------------------------------------------------------- progress

    /** Keys handed to the consumer so far (INFO current_save_keys_processed). */
    public long keysProcessed() {
        long n = keysProcessed;
        for (SnapshotWalk w : walks) n += w.readerKeys();
        return n;
    }

    /** Keys at the cut (INFO current_save_keys_total). */
    public long keysTotal() {
        return keysTotal;
    }

    /** Units of work done by walk steps so far (buckets looked at plus keys handed over). */
    public long walkWork() {
        return walkWork;
    }

    /** Buckets looked at by pre-write hooks so far. */
    public long hookBuckets() {
        return hookBuckets;
    }

    /** The longest bucket chain among the dicts walked (detached ones included); for tests. */
    int longestChain() {
        int max = 0;
        for (SnapshotWalk w : walks) max = Math.max(max, w.dict.longestChain());
        return max;
    }

    /** Checks that every walk still hooked to a dict belongs to this running snapshot; an error or null. */
    String validate() {
        for (SnapshotWalk w : walks) {
            long c = w.cursor();
            if (c < 0 || c > Dict.POSITIONS) return "walk of db" + w.db + " has cursor " + c;
            if (w.delivered > w.keys) return "walk of db" + w.db + " delivered " + w.delivered + " of " + w.keys;
        }
        return null;
    }
}
