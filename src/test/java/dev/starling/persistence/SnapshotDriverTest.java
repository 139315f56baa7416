package dev.starling.persistence;

import dev.starling.keyspace.Snapshot;
import dev.starling.support.ServerFixture;
import dev.starling.support.SnapshotRecorder;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A snapshot driven on a running server's executor while real clients write through Jedis: the
 * consumer gets exactly the keyspace of the cut, each step stays within its work bound, and a
 * backed-up consumer pauses the walk while writes keep handing over what they touch.
 */
class SnapshotDriverTest {
    /** Writers hitting existing keys of every type with in-place and whole-value changes. */
    static Thread writer(ServerFixture s, AtomicBoolean stop, AtomicLong writes, int id) {
        Thread t = new Thread(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            try (Jedis j = s.jedis()) {
                while (!stop.get()) {
                    Pipeline p = j.pipelined();
                    for (int i = 0; i < 50; i++) {
                        String k = "key:" + rnd.nextInt(100_000);
                        switch (rnd.nextInt(12)) {
                            case 0 -> p.set(k, "new" + id);
                            case 1 -> p.append(k, "+");
                            case 2 -> p.del(k);
                            case 3 -> p.pexpire(k, 1 + rnd.nextInt(100_000));
                            case 4 -> p.persist(k);
                            case 5 -> p.lpush("list:" + rnd.nextInt(200), "x" + i);
                            case 6 -> p.hincrBy("hash:" + rnd.nextInt(200), "f" + rnd.nextInt(20), 1);
                            case 7 -> p.zadd("zset:" + rnd.nextInt(200), rnd.nextInt(1000), "m" + rnd.nextInt(300));
                            case 8 -> p.sadd("set:" + rnd.nextInt(200), "m" + rnd.nextInt(50));
                            case 9 -> p.rename("key:" + rnd.nextInt(100_000), "moved:" + rnd.nextInt(1000));
                            case 10 -> p.set("fresh:" + rnd.nextInt(1_000_000), "v");
                            default -> p.setrange(k, rnd.nextInt(10), "zz");
                        }
                    }
                    p.sync();
                    writes.addAndGet(50);
                }
            }
        });
        t.start();
        return t;
    }

    /** Starts three writers and waits until they are well under way. */
    static List<Thread> startWriters(AtomicLong writes, java.util.function.IntFunction<Thread> writer) {
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < 3; i++) writers.add(writer.apply(i));
        await().atMost(Duration.ofSeconds(20)).until(() -> writes.get() > 2_000);
        return writers;
    }

    static void populate(ServerFixture s) {
        try (Jedis j = s.jedis()) {
            j.configSet("hash-max-listpack-entries", "8");
            j.configSet("zset-max-listpack-entries", "8");
            j.sendCommand(() -> "DEBUG".getBytes(StandardCharsets.US_ASCII), "POPULATE", "100000", "key");
            Pipeline p = j.pipelined();
            for (int i = 0; i < 200; i++) {
                for (int m = 0; m < 1 + i % 20; m++) {
                    p.rpush("list:" + i, "e" + m);
                    p.hset("hash:" + i, "f" + m, "v" + m);
                    p.zadd("zset:" + i, m, "m" + m);
                    p.sadd("set:" + i, String.valueOf(m));
                }
                if (i % 3 == 0) p.expire("hash:" + i, 10_000);
            }
            for (int i = 0; i < 100_000; i += 7) p.pexpire("key:" + i, 1_000_000);
            p.sync();
        }
    }

    static String validate(ServerFixture s) {
        AtomicReference<String> err = new AtomicReference<>();
        s.onExecutor(() -> err.set(s.server.keyspace.validate()));
        return err.get();
    }

    @Test
    void snapshot_whileClientsWrite_deliversThePointInTimeContent_inBoundedSteps() throws Exception {
        try (ServerFixture s = ServerFixture.start("--enable-debug-command", "yes")) {
            populate(s);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            List<Thread> writers = startWriters(writes, i -> writer(s, stop, writes, i));

            SnapshotRecorder rec = new SnapshotRecorder(s.server.keyspace);
            AtomicReference<Snapshot> snap = new AtomicReference<>();
            AtomicReference<SnapshotDriver> drv = new AtomicReference<>();
            long writesAtCut = writes.get();
            s.onExecutor(() -> {
                Snapshot sn = s.server.keyspace.startSnapshot(rec);
                SnapshotDriver d = new SnapshotDriver(s.server, sn, () -> false);
                d.unitsPerStep = 32; // small steps: many slices interleave with the writers
                d.sliceNanos = 100_000;
                snap.set(sn);
                drv.set(d);
                d.start();
            });
            await().atMost(Duration.ofSeconds(120)).until(() -> rec.ends == 1);
            long writesDuring = writes.get() - writesAtCut;
            stop.set(true);
            for (Thread t : writers) t.join(10_000);

            assertThat(rec.errors).isEmpty();
            assertThat(SnapshotRecorder.diff(rec.cut, rec.keys)).isEmpty();
            assertThat(writesDuring).as("writes interleaved with the walk").isGreaterThan(1_000);
            SnapshotDriver d = drv.get();
            assertThat(d.slices).isGreaterThan(10);
            // Deterministic bound: a step's budget plus one unit (two buckets and their chains).
            assertThat(d.maxStepWork).isLessThanOrEqualTo(32 - 1 + 2 + 2 * 16);
            // Wall-clock time is only a sanity bound here: on the shared test machine a slice also
            // absorbs GC pauses and preemption (tens of ms seen), so the step bound above is the test.
            assertThat(d.maxSliceNanos).isLessThan(2_000_000_000L);
            assertThat(snap.get().keysProcessed()).isEqualTo(rec.cut.size());
            assertThat(validate(s)).isNull();
        }
    }

    @Test
    void backedUpConsumer_pausesTheWalk_writesStillHandOverWhatTheyTouch_resumeCompletes() throws Exception {
        try (ServerFixture s = ServerFixture.start("--enable-debug-command", "yes"); Jedis j = s.jedis()) {
            populate(s);
            SnapshotRecorder rec = new SnapshotRecorder(s.server.keyspace);
            AtomicBoolean backedUp = new AtomicBoolean(true);
            AtomicReference<Snapshot> snap = new AtomicReference<>();
            AtomicReference<SnapshotDriver> drv = new AtomicReference<>();
            s.onExecutor(() -> {
                Snapshot sn = s.server.keyspace.startSnapshot(rec);
                SnapshotDriver d = new SnapshotDriver(s.server, sn, backedUp::get);
                snap.set(sn);
                drv.set(d);
                d.start();
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> snap.get().isPaused());
            long before = rec.delivered;
            assertThat(before).isZero();
            for (int i = 0; i < 100; i++) j.set("key:" + i, "overwritten");
            j.del("list:1", "hash:2");
            long afterWrites = rec.delivered;
            // Each write handed over its virtual bucket (the key and the few sharing it), nothing more.
            assertThat(afterWrites).isBetween(102L, 102L * 40);
            assertThat(snap.get().isPaused()).isTrue();

            backedUp.set(false);
            drv.get().resume();
            await().atMost(Duration.ofSeconds(60)).until(() -> rec.ends == 1);
            assertThat(rec.errors).isEmpty();
            assertThat(SnapshotRecorder.diff(rec.cut, rec.keys)).isEmpty();
            assertThat(rec.keys.get("0/key:5").digest()).isNotEqualTo(rec.digestOf("overwritten".getBytes(StandardCharsets.US_ASCII)));
            assertThat(validate(s)).isNull();
        }
    }
}
