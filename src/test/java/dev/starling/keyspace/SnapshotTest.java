package dev.starling.keyspace;

import dev.starling.support.SnapshotRecorder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Snapshot scenarios one at a time: rehash, shrink, SWAPDB, FLUSHALL, cancel, pause, two snapshots. */
class SnapshotTest {
    private static SnapshotHarness harness() {
        return new SnapshotHarness("--databases", "4", "--maxmemory-eviction-tenacity", "100");
    }

    /** Steps until done; returns the number of steps. */
    private static int drain(Snapshot s, int budget) {
        int steps = 0;
        while (!s.isDone()) {
            s.step(budget);
            assertThat(++steps).isLessThan(50_000_000);
        }
        return steps;
    }

    private static void assertDelivered(SnapshotHarness h, SnapshotRecorder rec, Map<String, SnapshotRecorder.Rec> cut) {
        assertThat(rec.errors).isEmpty();
        assertThat(SnapshotRecorder.diff(cut, rec.keys)).isEmpty();
        assertThat(rec.begins).isEqualTo(1);
        assertThat(rec.ends).isEqualTo(1);
        assertThat(h.ks().snapshots).isEmpty();
        for (Db db : h.ks().dbs) assertThat(db.dict.walks).isNull();
        assertThat(h.ks().validate()).isNull();
    }

    @Test
    void emptyKeyspace_beginsAndEndsAtOnce() {
        SnapshotHarness h = harness();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        assertThat(s.isDone()).isTrue();
        assertThat(s.keysTotal()).isZero();
        assertThat(rec.begins).isEqualTo(1);
        assertThat(rec.ends).isEqualTo(1);
        assertThat(rec.dbStarts).isEmpty();
        assertThat(h.ks().snapshots).isEmpty();
    }

    @Test
    void dictGrowsThroughSeveralRehashes_midWalk_deliversTheCut() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "2000");
        Map<String, SnapshotRecorder.Rec> cut = h.state();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        Dict<KeyEntry> d = h.ks().dbs[0].dict;
        int sawRehashing = 0;
        for (int round = 0; round < 100; round++) {
            s.step(20);
            h.cmd("DEBUG", "POPULATE", String.valueOf(1000 * (round + 1)), "grow" + round);
            for (int i = 0; i < 20; i++) h.cmd("SET", "key:" + (round * 20 + i), "changed");
            if (d.isRehashing()) sawRehashing++;
        }
        assertThat(sawRehashing).isPositive();
        assertThat(d.size()).isGreaterThan(100_000);
        drain(s, 50);
        assertDelivered(h, rec, cut);
    }

    @Test
    void massDeleteAndShrink_midWalk_deliversTheCut_withWorkProportionalToTheCut() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "50000");
        while (h.ks().dbs[0].dict.rehash(1000)) { }
        Map<String, SnapshotRecorder.Rec> cut = h.state();
        long bucketsAtCut = h.ks().dbs[0].dict.buckets();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        for (int i = 0; i < 300; i++) s.step(10);
        for (int i = 0; i < 50_000; i++) if (i % 50 != 0) h.cmd("UNLINK", "key:" + i);
        for (int i = 0; i < 20; i++) h.cron(); // shrinks and rehashes into the small table
        Dict<KeyEntry> d = h.ks().dbs[0].dict;
        assertThat(d.buckets()).isLessThan((int) bucketsAtCut / 8);
        drain(s, 10);
        assertDelivered(h, rec, cut);
        assertThat(s.walkWork()).isLessThan(3 * (bucketsAtCut + cut.size()));
    }

    @Test
    void swapdbMidWalk_keysArriveUnderTheirCutDatabase() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "3000", "a");
        h.cmd("SELECT", "1");
        h.cmd("DEBUG", "POPULATE", "2000", "b");
        h.cmd("EXPIRE", "b:7", "1000");
        Map<String, SnapshotRecorder.Rec> cut = h.state();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        for (int i = 0; i < 100; i++) s.step(10);
        h.cmd("SWAPDB", "0", "1");
        h.cmd("SET", "a:5", "written in db 1 after the swap");
        h.cmd("SELECT", "0");
        h.cmd("DEL", "b:7");
        h.cmd("SWAPDB", "1", "2");
        h.cmd("SELECT", "2");
        h.cmd("SET", "a:6", "written in db 2 after the second swap");
        drain(s, 10);
        assertDelivered(h, rec, cut);
        assertThat(rec.dbStarts.get(0)).containsExactly(3000, 0);
        assertThat(rec.dbStarts.get(1)).containsExactly(2000, 1);
    }

    @Test
    void flushallMidWalk_detachedTablesAreWalkedToTheEnd_newKeysAreNotIncluded() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "3000");
        h.cmd("SELECT", "3");
        h.cmd("RPUSH", "list", "a", "b", "c");
        Map<String, SnapshotRecorder.Rec> cut = h.state();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        for (int i = 0; i < 50; i++) s.step(10);
        h.cmd("FLUSHALL", "ASYNC");
        assertThat(h.ks().totalKeys()).isZero();
        h.cmd("RPUSH", "list", "new");
        h.cmd("SELECT", "0");
        h.cmd("SET", "key:1", "after the flush");
        h.cmd("DEBUG", "POPULATE", "100", "new");
        assertThat(h.ks().validate()).isNull();
        drain(s, 10);
        assertDelivered(h, rec, cut);
    }

    @Test
    void cancel_stopsHooksAndCallbacks() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "1000");
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        s.step(100);
        long delivered = rec.keys.size();
        assertThat(delivered).isPositive();
        s.cancel();
        assertThat(s.state()).isEqualTo(Snapshot.CANCELLED);
        assertThat(rec.cancels).isEqualTo(1);
        assertThat(h.ks().dbs[0].dict.walks).isNull();
        assertThat(h.ks().snapshots).isEmpty();
        for (int i = 0; i < 1000; i++) h.cmd("DEL", "key:" + i);
        assertThat(s.step(100)).isZero();
        assertThat(rec.keys).hasSize((int) delivered);
        s.cancel();
        assertThat(rec.cancels).isEqualTo(1);
        assertThat(rec.ends).isZero();
        assertThat(h.ks().validate()).isNull();
    }

    @Test
    void paused_stepsDoNothing_writesStillHandOverWhatTheyTouch() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "10000");
        Map<String, SnapshotRecorder.Rec> cut = h.state();
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        s.pause();
        assertThat(s.step(1000)).isZero();
        assertThat(rec.keys).isEmpty();
        h.cmd("SET", "key:1", "x");
        h.cmd("APPEND", "key:2", "y");
        h.cmd("DEL", "key:3");
        // Only the virtual buckets touched (a table of 16384 buckets: about one key each).
        assertThat(rec.keys).containsKeys("0/key:1", "0/key:2", "0/key:3").hasSizeLessThan(30);
        assertThat(s.keysProcessed()).isEqualTo(rec.keys.size());
        s.resume();
        drain(s, 100);
        assertDelivered(h, rec, cut);
    }

    @Test
    void twoSnapshots_eachGetsItsOwnCut() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "5000");
        Map<String, SnapshotRecorder.Rec> cut1 = h.state();
        SnapshotRecorder rec1 = new SnapshotRecorder();
        Snapshot s1 = h.ks().startSnapshot(rec1);
        for (int i = 0; i < 100; i++) s1.step(10);
        for (int i = 0; i < 2000; i++) h.cmd("SET", "key:" + i, "second");
        h.cmd("DEBUG", "POPULATE", "20000", "more");
        Map<String, SnapshotRecorder.Rec> cut2 = h.state();
        SnapshotRecorder rec2 = new SnapshotRecorder();
        Snapshot s2 = h.ks().startSnapshot(rec2);
        assertThat(h.ks().dbs[0].dict.walks).hasSize(2);
        for (int i = 0; i < 5000; i++) {
            h.cmd(i % 3 == 0 ? "DEL" : "SET", (i % 2 == 0 ? "key:" : "more:") + i, "third");
            s1.step(3);
            s2.step(5);
        }
        drain(s1, 10);
        drain(s2, 10);
        assertDelivered(h, rec1, cut1);
        assertDelivered(h, rec2, cut2);
    }

    @Test
    void consumerThrows_snapshotCancelled_commandsUnaffected() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "1000");
        RuntimeException boom = new IllegalStateException("buffer full");
        SnapshotRecorder rec = new SnapshotRecorder() {
            @Override
            public void key(int db, byte[] key, Object value, long expireAt, int lru) {
                throw boom;
            }
        };
        Snapshot s = h.ks().startSnapshot(rec);
        h.cmd("SET", "key:1", "changed");
        assertThat(s.state()).isEqualTo(Snapshot.CANCELLED);
        assertThat(s.failure()).isSameAs(boom);
        assertThat(rec.cancels).isEqualTo(1);
        assertThat(new String((byte[]) h.ks().dbs[0].dict.get("key:1".getBytes()).value)).isEqualTo("changed");
        assertThat(h.ks().validate()).isNull();
    }

    @Test
    void hookWork_afterTheDictGrewFarBeyondTheCut_staysBounded() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "10"); // 2^12 virtual buckets
        SnapshotRecorder rec = new SnapshotRecorder();
        Snapshot s = h.ks().startSnapshot(rec);
        h.cmd("DEBUG", "POPULATE", "300000", "big"); // a table of 2^19 buckets: 128 per virtual bucket
        long before = s.hookBuckets();
        for (int i = 0; i < 1000; i++) h.cmd("SET", "big:" + i, "x");
        // Every virtual bucket is done by now (300000 adds hit all 4096); later writes cost nothing.
        assertThat(s.hookBuckets() - before).isZero();
        assertThat(s.hookBuckets()).isLessThanOrEqualTo(4096L * 2 * 128);
        drain(s, 100);
        assertThat(rec.keys).hasSize(10);
    }

    @Test
    void clearingAWalkedDictInPlace_isRefused() {
        SnapshotHarness h = harness();
        h.cmd("DEBUG", "POPULATE", "10");
        Snapshot s = h.ks().startSnapshot(new SnapshotRecorder());
        assertThatThrownBy(() -> h.ks().dbs[0].dict.clear()).isInstanceOf(IllegalStateException.class);
        s.cancel();
    }
}
