package dev.starling.keyspace;

import dev.starling.support.SnapshotRecorder;
import dev.starling.types.ObjectEncoding;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Snapshot#readConcurrently} on a real second thread while this thread, the executor,
 * keeps the dicts moving: keys added past table doublings (every command then steps the rehash),
 * deleted until the cron shrinks the table, overwritten, given TTLs (the expires dict moves
 * too), and read (a read steps the rehash: a structural move with no hook). Only string values,
 * so the one thing under test is the walk itself: the reader's keys plus the ones the hooks handed
 * over must be exactly the cut, each once. Rounds vary the dataset's size against its table's.
 */
class SnapshotConcurrentReadTest {

    /** Captures on the reader thread: pending until the bucket is kept, dropped when discarded. */
    static final class StringReader implements SnapshotReader {
        final SnapshotRecorder digests = new SnapshotRecorder();
        final Map<String, SnapshotRecorder.Rec> kept = new TreeMap<>();
        final List<String> errors = new ArrayList<>();
        private final List<Object[]> pending = new ArrayList<>();
        long discards;

        @Override
        public void dbStart(int db, long keys, long volatileKeys) {}

        @Override
        public void key(int db, byte[] key, Object value, long expireAt, int lru) {
            pending.add(new Object[] {SnapshotRecorder.name(db, key),
                    new SnapshotRecorder.Rec(digests.digestOf(value), ObjectEncoding.encodingName(value), expireAt)});
        }

        @Override
        public void keep() {
            for (Object[] p : pending) {
                if (kept.put((String) p[0], (SnapshotRecorder.Rec) p[1]) != null) errors.add("read twice: " + p[0]);
            }
            pending.clear();
        }

        @Override
        public void discard() {
            discards++;
            pending.clear();
        }
    }

    @Test
    void readerThread_whileDictsGrowShrinkAndRehash_deliversExactlyTheCut() throws Exception {
        long totalDiscards = 0;
        for (int round = 0; round < 24; round++) {
            Random rnd = new Random(round * 7919L);
            SnapshotHarness h = new SnapshotHarness("--databases", "2");
            // Just under, at and over a power of two, so growth starts at once or soon.
            int n = (1 << (10 + round % 7)) - 64 + rnd.nextInt(128);
            h.cmd("DEBUG", "POPULATE", String.valueOf(n), "k");
            for (int i = 0; i < n; i += 3) h.cmd("PEXPIRE", "k:" + i, String.valueOf(1_000_000 + i));
            h.cmd("SELECT", "1");
            h.cmd("DEBUG", "POPULATE", String.valueOf(n / 4), "one");
            h.cmd("SELECT", "0");

            Map<String, SnapshotRecorder.Rec> cut = h.state();
            SnapshotRecorder hooks = new SnapshotRecorder();
            Snapshot s = h.ks().startSnapshot(hooks);
            StringReader reader = new StringReader();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    while (s.readConcurrently(1 + rnd.nextInt(4), reader)) Thread.onSpinWait();
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "snapshot-reader");
            t.start();
            Random ops = new Random(round);
            long added = 0;
            while (t.isAlive()) {
                int r = ops.nextInt(100);
                String old = "k:" + ops.nextInt(n);
                if (r < 40) h.cmd("SET", "new:" + added++, "v");
                else if (r < 55) h.cmd("DEL", old);
                else if (r < 65) h.cmd("SET", old, "changed");
                else if (r < 72) h.cmd("PEXPIRE", ops.nextBoolean() ? old : "new:" + ops.nextLong(added + 1), "5000000");
                else if (r < 74) h.cron(); // rehash for a millisecond, shrink when sparse
                else if (r < 76) for (int i = 0; i < 200; i++) h.cmd("DEL", "k:" + ops.nextInt(n));
                else h.cmd("GET", old);
            }
            t.join();
            assertThat(failure.get()).isNull();
            s.finishReading();
            assertThat(s.isDone()).isTrue();

            assertThat(hooks.errors).isEmpty();
            assertThat(reader.errors).isEmpty();
            Map<String, SnapshotRecorder.Rec> delivered = new TreeMap<>(reader.kept);
            for (Map.Entry<String, SnapshotRecorder.Rec> e : hooks.keys.entrySet()) {
                assertThat(delivered.put(e.getKey(), e.getValue())).as("delivered by both: " + e.getKey()).isNull();
            }
            assertThat(SnapshotRecorder.diff(cut, delivered)).as("round " + round).isEmpty();
            assertThat(s.keysProcessed()).isEqualTo(cut.size());
            assertThat(h.ks().snapshots).isEmpty();
            for (Db db : h.ks().dbs) assertThat(db.dict.walks).isNull();
            assertThat(h.ks().validate()).isNull();
            totalDiscards += reader.discards;
        }
        // Not a timing claim: over all rounds the two threads must have met at least once, or
        // the test would not be testing the race.
        assertThat(totalDiscards).as("buckets the reader had to drop or read again").isPositive();
    }
}
