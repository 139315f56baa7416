package dev.starling.keyspace;

import dev.starling.support.SnapshotRecorder;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot delivers exactly the cut: random datasets of every type, some keys with TTLs (some
 * already past them), then random writes of every kind interleaved with walk steps, pauses,
 * time passing, cron ticks (active expiry, shrinking, rehashing), eviction, SWAPDB, FLUSHDB and
 * FLUSHALL. The consumer's keys must equal, key for key, the digests, encodings and TTLs taken at
 * the cut, each delivered once, and the keyspace invariants hold throughout.
 */
class SnapshotPropertiesTest {
    static final int DBS = 4;

    @Property(tries = 150)
    void snapshot_randomWritesInterleavedWithSteps_deliversExactlyTheCut(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 400) int initialOps,
            @ForAll @IntRange(min = 0, max = 5000) int populate,
            @ForAll @IntRange(min = 0, max = 800) int ops,
            @ForAll @IntRange(min = 1, max = 64) int maxBudget) {
        Random rnd = new Random(seed);
        SnapshotHarness h = new SnapshotHarness("--databases", String.valueOf(DBS),
                "--hash-max-listpack-entries", "6", "--hash-max-listpack-value", "12",
                "--zset-max-listpack-entries", "6", "--zset-max-listpack-value", "12",
                "--set-max-intset-entries", "6", "--list-max-listpack-size", "4", "--list-compress-depth", "1",
                "--maxmemory-eviction-tenacity", "100"); // evictions finish inline: the harness has no event loop
        RandomOps gen = new RandomOps(h, rnd, DBS);
        for (int i = 0; i < initialOps; i++) gen.write();
        if (populate > 0) {
            h.cmd("SELECT", String.valueOf(rnd.nextInt(DBS)));
            h.cmd("DEBUG", "POPULATE", String.valueOf(populate), "pop");
            // A shrinkable dict: delete most of a second populated batch.
            if (rnd.nextBoolean()) gen.populateAndThin(populate);
        }
        h.clock.millis += rnd.nextInt(30); // some TTLs are now past but their keys not yet deleted
        for (int i = 0; i < rnd.nextInt(3); i++) h.ks().dbs[rnd.nextInt(DBS)].dict.rehash(rnd.nextInt(50));

        Map<String, SnapshotRecorder.Rec> cut = h.state();
        Map<Integer, long[]> counts = h.counts();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        assertThat(s.keysTotal()).isEqualTo(cut.size());

        // Half the time a second snapshot starts mid-way, with its own cut, and walks alongside.
        int secondAt = rnd.nextBoolean() ? rnd.nextInt(ops + 1) : -1;
        Map<String, SnapshotRecorder.Rec> cut2 = null;
        SnapshotRecorder rec2 = null;
        Snapshot s2 = null;
        for (int i = 0; i < ops; i++) {
            if (i == secondAt) {
                cut2 = h.state();
                rec2 = new SnapshotRecorder();
                s2 = h.ks().startSnapshot(rec2);
            }
            int r = rnd.nextInt(100);
            if (r < 25) {
                step(h, s2 != null && rnd.nextBoolean() ? s2 : s, 1 + rnd.nextInt(maxBudget));
            } else if (r < 27) {
                if (s.isPaused()) s.resume();
                else s.pause();
            } else {
                gen.any();
            }
            if (i % 50 == 0) assertThat(h.ks().validate()).isNull();
        }
        s.resume();
        for (int guard = 0; !s.isDone() || s2 != null && !s2.isDone(); guard++) {
            assertThat(guard).isLessThan(10_000_000);
            step(h, s, maxBudget);
            if (s2 != null) step(h, s2, maxBudget);
            if (rnd.nextInt(8) == 0) gen.any();
        }
        assertDelivered(s, rec, cut, counts);
        if (s2 != null) assertDelivered(s2, rec2, cut2, null);
        assertThat(h.ks().snapshots).isEmpty();
        for (Db db : h.ks().dbs) assertThat(db.dict.walks).isNull();
        assertThat(h.ks().validate()).isNull();
    }

    static void assertDelivered(Snapshot s, SnapshotRecorder rec, Map<String, SnapshotRecorder.Rec> cut, Map<Integer, long[]> counts) {
        assertThat(rec.errors).isEmpty();
        assertThat(rec.begins).isEqualTo(1);
        assertThat(rec.ends).isEqualTo(1);
        assertThat(rec.cancels).isZero();
        assertThat(SnapshotRecorder.diff(cut, rec.keys)).isEmpty();
        if (counts != null) {
            assertThat(rec.dbStarts.keySet()).isEqualTo(counts.keySet());
            for (Map.Entry<Integer, long[]> e : counts.entrySet()) assertThat(rec.dbStarts.get(e.getKey())).containsExactly(e.getValue());
        }
        assertThat(s.keysProcessed()).isEqualTo(s.keysTotal());
    }

    /** One walk step, checked against its deterministic bound (budget plus one unit: two buckets and their chains). */
    static void step(SnapshotHarness h, Snapshot s, int budget) {
        int chains = s.longestChain();
        int work = s.step(budget);
        assertThat(work).isLessThanOrEqualTo(budget - 1 + 2 + 2 * Math.max(chains, 1));
    }
}
