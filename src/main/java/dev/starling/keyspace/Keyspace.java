package dev.starling.keyspace;

import dev.starling.server.Clock;

/**
 * The databases and the counters Redis keeps about them (INFO keyspace / stats).
 *
 * <p>Time for expiry decisions is the command's time snapshot ({@link #now}), set once per command
 * as Redis's commandTimeSnapshot, so a command sees one consistent "now" across all its keys.
 */
public final class Keyspace {
    /** Told about expirations and deletions that other subsystems must see (propagation, notifications). */
    public interface Listener {
        /** A key was found expired and removed (lazily or by the active cycle). */
        void keyExpired(Db db, byte[] key);

        /** A key was written (WATCH invalidation, client-side caching). */
        default void keyModified(Db db, byte[] key) {}

        /** A key was evicted for maxmemory (after its deletion: propagate DEL, "evicted" event). */
        default void keyEvicted(Db db, byte[] key) {}

        /** A key was created (Redis's dbAdd: the "new" keyspace event). */
        default void keyAdded(Db db, byte[] key) {}

        /** A read lookup found no live key (Redis's lookupKey: the "keymiss" keyspace event). */
        default void keyMiss(Db db, byte[] key) {}

        /** db is about to be emptied (FLUSHDB, FLUSHALL): WATCH invalidation. */
        default void dbFlushing(Db db) {}

        /** a and b are about to swap contents (SWAPDB): WATCH invalidation. */
        default void dbsSwapping(Db a, Db b) {}
    }

    /**
     * A listener that adds to the one installed before it: every event goes on to next; a
     * subclass overrides the events it acts on and calls super. Subsystems chain themselves this
     * way (WATCH, keyspace notifications, propagation).
     */
    public abstract static class ForwardingListener implements Listener {
        protected final Listener next;

        protected ForwardingListener(Listener next) {
            this.next = next;
        }

        @Override
        public void keyExpired(Db db, byte[] key) {
            next.keyExpired(db, key);
        }

        @Override
        public void keyModified(Db db, byte[] key) {
            next.keyModified(db, key);
        }

        @Override
        public void keyEvicted(Db db, byte[] key) {
            next.keyEvicted(db, key);
        }

        @Override
        public void keyAdded(Db db, byte[] key) {
            next.keyAdded(db, key);
        }

        @Override
        public void keyMiss(Db db, byte[] key) {
            next.keyMiss(db, key);
        }

        @Override
        public void dbFlushing(Db db) {
            next.dbFlushing(db);
        }

        @Override
        public void dbsSwapping(Db a, Db b) {
            next.dbsSwapping(a, b);
        }
    }

    /** Told when a key is added (Redis's dbAdd calls signalKeyAsReady): blocked clients wake on it. */
    public interface AddHook {
        void keyAdded(Db db, byte[] key, Object value);
    }

    public AddHook addHook = (db, key, value) -> {};

    public final Db[] dbs;
    public final Clock clock;
    public Listener listener = (db, key) -> {};

    /** On a replica, expired keys are reported missing but only the primary deletes them. */
    public interface ExpireHook {
        boolean mayDelete();

        /** True while a replica applies its master's stream: keys are not expired for it (Redis's expireIfNeeded). */
        default boolean ignoreExpiry() {
            return false;
        }
    }

    public ExpireHook expireHook;

    /** Redis's server.loading: while an AOF is replayed nothing expires (keyIsExpired answers no). */
    public boolean loading;

    /** The current command's time snapshot in unix ms. */
    public long now;

    // INFO stats
    public long expiredKeys, evictedKeys, keyspaceHits, keyspaceMisses, expiredStalePerc, expiredTimeCapReachedCount;

    /** Estimated share (0..1) of keys with a TTL that are logically expired (INFO expired_stale_perc is this * 100, "%.2f"). */
    public double expiredStaleRatio;
    /** Microseconds spent in active expire cycles (INFO expire_cycle_cpu_milliseconds is this / 1000). */
    public long expireCycleTimeUsedUs;

    /** DEBUG SET-ACTIVE-EXPIRE: when false the cron's active expire cycle does nothing. */
    public boolean activeExpireEnabled = true;

    /** Bytes the dataset is estimated to use (see {@link MemorySize}). */
    public long datasetBytes;

    /** True while maxmemory-policy is an LFU one: the key's lru field then holds an LFU counter. */
    public boolean lfuPolicy;
    public int lfuLogFactor = 10, lfuDecayTime = 1;

    /** Snapshots running (walking or paused), oldest first. */
    public final java.util.ArrayList<Snapshot> snapshots = new java.util.ArrayList<>();

    /**
     * Takes a point-in-time cut of every database and returns the snapshot that will hand its keys
     * to consumer (see {@link Snapshot}); the caller drives it with {@link Snapshot#step}. Costs
     * O(databases) plus a small bitmap per non-empty database; consumer.begin runs before this returns.
     */
    public Snapshot startSnapshot(SnapshotConsumer consumer) {
        Snapshot s = new Snapshot(this, consumer);
        snapshots.add(s);
        s.start();
        return s;
    }

    public Keyspace(int databases, Clock clock) {
        this.clock = clock;
        this.dbs = new Db[databases];
        for (int i = 0; i < databases; i++) dbs[i] = new Db(this, i);
        this.now = clock.millis();
    }

    /** Takes the time snapshot for the next command. */
    public void updateTime() {
        now = clock.millis();
    }

    public long totalKeys() {
        long n = 0;
        for (Db db : dbs) n += db.size();
        return n;
    }

    /**
     * Checks the keyspace invariants for tests: each dict is structurally sound, every key with a
     * TTL exists in its main dict, and {@link #datasetBytes} equals a recount. Returns an error or null.
     */
    public String validate() {
        long bytes = 0;
        for (Db db : dbs) {
            String err = db.dict.validate();
            if (err == null) err = db.expires.validate();
            if (err != null) return "db" + db.id + ": " + err;
            if (db.expires.walks != null) return "db" + db.id + ": expires dict has snapshot hooks";
            if (db.dict.walks != null) {
                for (SnapshotWalk w : db.dict.walks) {
                    if (!w.snapshot.running() || w.dict != db.dict || w.expires != db.expires) {
                        return "db" + db.id + ": stale or mismatched snapshot hook";
                    }
                }
            }
            long[] sum = new long[1];
            db.dict.forEach(e -> sum[0] += MemorySize.ofKey(e.key) + MemorySize.ofValue(e.value));
            String[] missing = new String[1];
            db.expires.forEach(x -> {
                if (db.dict.get(x.key) == null && missing[0] == null) missing[0] = new String(x.key, java.nio.charset.StandardCharsets.ISO_8859_1);
            });
            if (missing[0] != null) return "db" + db.id + ": TTL for missing key " + missing[0];
            bytes += sum[0] + 32 * db.expires.size();
        }
        for (Snapshot s : snapshots) {
            String err = s.validate();
            if (err != null) return "snapshot: " + err;
        }
        return bytes == datasetBytes ? null : "datasetBytes " + datasetBytes + " but recount gives " + bytes;
    }

    // ---------------------------------------------------------------- LRU / LFU (Redis evict.c)

    public static final int LRU_CLOCK_MAX = (1 << 24) - 1;
    public static final int LRU_CLOCK_RESOLUTION = 1000;
    public static final int LFU_INIT_VAL = 5;

    public int lruClock() {
        return (int) ((now / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX);
    }

    /** Idle milliseconds since the entry's lru clock (Redis's estimateObjectIdleTime). */
    public long idleMillis(KeyEntry e) {
        return idleMillis(e.lru);
    }

    /** Idle milliseconds since an lru clock value (a snapshot's copy of an entry's lru). */
    public long idleMillis(int lru) {
        int clock = lruClock();
        if (clock >= lru) return (long) (clock - lru) * LRU_CLOCK_RESOLUTION;
        return (long) (clock + (LRU_CLOCK_MAX - lru)) * LRU_CLOCK_RESOLUTION;
    }

    /** Initial lru field of a new key. */
    public int initialLru() {
        return lfuPolicy ? (lfuTimeInMinutes() << 8) | LFU_INIT_VAL : lruClock();
    }

    /** Records an access to e, as Redis's updateLFU / LRU_CLOCK update in lookupKey. */
    public void touch(KeyEntry e) {
        if (lfuPolicy) {
            int counter = lfuDecrAndReturn(e);
            counter = lfuLogIncr(counter);
            e.lru = (lfuTimeInMinutes() << 8) | counter;
        } else {
            e.lru = lruClock();
        }
    }

    public int lfuTimeInMinutes() {
        return (int) ((now / 1000 / 60) & 65535);
    }

    private int lfuElapsedMinutes(int ldt) {
        int nowMin = lfuTimeInMinutes();
        if (nowMin >= ldt) return nowMin - ldt;
        return 65535 - ldt + nowMin;
    }

    /** The LFU counter after decay for elapsed time, without storing it (Redis's LFUDecrAndReturn). */
    public int lfuDecrAndReturn(KeyEntry e) {
        return lfuDecrAndReturn(e.lru);
    }

    /** {@link #lfuDecrAndReturn(KeyEntry)} for an lru field value. */
    public int lfuDecrAndReturn(int lru) {
        int ldt = lru >>> 8;
        int counter = lru & 255;
        int periods = lfuDecayTime != 0 ? lfuElapsedMinutes(ldt) / lfuDecayTime : 0;
        if (periods != 0) counter = periods > counter ? 0 : counter - periods;
        return counter;
    }

    private int lfuLogIncr(int counter) {
        if (counter == 255) return 255;
        double r = java.util.concurrent.ThreadLocalRandom.current().nextDouble();
        double baseval = counter - LFU_INIT_VAL;
        if (baseval < 0) baseval = 0;
        double p = 1.0 / (baseval * lfuLogFactor + 1);
        if (r < p) counter++;
        return counter;
    }
}
