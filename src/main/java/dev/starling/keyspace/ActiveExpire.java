package dev.starling.keyspace;

import dev.starling.config.Config;
import dev.starling.server.Clock;

import java.util.function.Consumer;

/**
 * Redis's activeExpireCycle (expire.c): reclaims keys whose TTL passed without anyone touching them.
 *
 * <h2>Design</h2>
 * Each call walks a few databases; in each it visits buckets of the expires dict from where the
 * last call stopped ({@link Db#expiresCursor}, a SCAN cursor, so rehashing neither skips nor
 * repeats much), sampling about 20 keys per round and deleting those past their time. A database
 * gets another round while more than ~10% of the sampled keys were expired, so a database full of
 * stale keys is drained quickly while a clean one costs one round. The whole call is capped at a
 * share of CPU derived from hz (25% for the slow cycle); if the cap is hit the next call visits
 * every database. active-expire-effort (1..10) scales keys per round, the CPU share and the stale
 * threshold as Redis does. The estimated stale share feeds INFO expired_stale_perc and decides
 * whether a fast cycle is worth running.
 */
public final class ActiveExpire {
    public static final int SLOW = 0, FAST = 1;

    static final int KEYS_PER_LOOP = 20;
    static final int FAST_DURATION_US = 1000;
    static final int SLOW_TIME_PERC = 25;
    static final int ACCEPTABLE_STALE = 10;
    static final int CRON_DBS_PER_CALL = 16;

    private final Config config;
    private final Clock clock;
    private int currentDb;
    private boolean timelimitExit;
    private long lastFastCycleUs;
    private final Collector collector = new Collector();

    public ActiveExpire(Config config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /** Gathers the entries of the buckets one scan step visits (deleting happens after the step). */
    private static final class Collector implements Consumer<ExpireEntry> {
        ExpireEntry[] entries = new ExpireEntry[16];
        int n;

        @Override
        public void accept(ExpireEntry e) {
            if (n == entries.length) entries = java.util.Arrays.copyOf(entries, n * 2);
            entries[n++] = e;
        }
    }

    /** Runs one SLOW (cron) or FAST cycle over ks; a no-op where keys may not be deleted (replicas). */
    public void cycle(Keyspace ks, int type) {
        int effort = config.activeExpireEffort - 1;
        long acceptableStale = ACCEPTABLE_STALE - effort;
        // A FAST cycle is only worth it if the last cycle ran out of time or many keys are stale
        // (checked first: this runs after every input batch).
        if (type == FAST && !timelimitExit && ks.expiredStaleRatio * 100 < acceptableStale) return;
        if (ks.expireHook != null && !ks.expireHook.mayDelete()) return;
        long keysPerLoop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
        long fastDuration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
        long slowTimePerc = SLOW_TIME_PERC + 2L * effort;
        long start = clock.nanos() / 1000;
        if (type == FAST) {
            // ... and not more often than twice its own duration.
            if (start < lastFastCycleUs + fastDuration * 2) return;
            lastFastCycleUs = start;
        }
        Db[] dbs = ks.dbs;
        int dbsPerCall = CRON_DBS_PER_CALL;
        if (dbsPerCall > dbs.length || timelimitExit) dbsPerCall = dbs.length;
        int hz = Math.max(1, config.hz);
        long timelimit = slowTimePerc * 1_000_000 / hz / 100;
        if (timelimit <= 0) timelimit = 1;
        if (type == FAST) timelimit = fastDuration;
        timelimitExit = false;

        long totalSampled = 0, totalExpired = 0;
        int iteration = 0;
        Collector col = collector;
        for (int j = 0; j < dbsPerCall && !timelimitExit; j++) {
            Db db = dbs[Integer.remainderUnsigned(currentDb, dbs.length)];
            currentDb++;
            long expired, sampled;
            do {
                iteration++;
                long num = db.expires.size();
                if (num == 0) {
                    db.avgTtl = 0;
                    break;
                }
                long slots = db.expires.buckets();
                long now = clock.millis();
                // Under 1% fill sampling is too costly; the databases cron shrinks the table soon.
                if (slots > Dict.INITIAL_SIZE && num * 100 / slots < 1) break;
                expired = sampled = 0;
                long ttlSum = 0;
                int ttlSamples = 0;
                if (num > keysPerLoop) num = keysPerLoop;
                long maxBuckets = num * 20, checkedBuckets = 0;
                while (sampled < num && checkedBuckets < maxBuckets) {
                    col.n = 0;
                    db.expiresCursor = db.expires.scan(db.expiresCursor, col);
                    checkedBuckets++;
                    for (int i = 0; i < col.n; i++) {
                        ExpireEntry e = col.entries[i];
                        col.entries[i] = null;
                        long ttl = e.when - now;
                        if (now > e.when) {
                            db.deleteExpired(e.key);
                            expired++;
                        }
                        if (ttl > 0) {
                            ttlSum += ttl;
                            ttlSamples++;
                        }
                        sampled++;
                    }
                    if (db.expires.size() == 0) break;
                }
                totalExpired += expired;
                totalSampled += sampled;
                if (ttlSamples != 0) {
                    long avg = ttlSum / ttlSamples;
                    // Running average: the new sample weighs 2%.
                    if (db.avgTtl == 0) db.avgTtl = avg;
                    db.avgTtl = (db.avgTtl / 50) * 49 + (avg / 50);
                }
                if ((iteration & 0xf) == 0) {
                    long elapsed = clock.nanos() / 1000 - start;
                    if (elapsed > timelimit) {
                        timelimitExit = true;
                        ks.expiredTimeCapReachedCount++;
                        break;
                    }
                }
            } while (sampled == 0 || expired * 100 / sampled > acceptableStale);
        }
        ks.expireCycleTimeUsedUs += clock.nanos() / 1000 - start;
        double current = totalSampled != 0 ? (double) totalExpired / totalSampled : 0;
        ks.expiredStaleRatio = current * 0.05 + ks.expiredStaleRatio * 0.95;
        ks.expiredStalePerc = Math.round(ks.expiredStaleRatio * 100);
    }
}
