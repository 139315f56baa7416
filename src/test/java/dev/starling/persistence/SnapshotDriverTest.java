package dev.starling.persistence;

import dev.starling.command.Digest;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.keyspace.Snapshot;
import dev.starling.keyspace.SnapshotConsumer;
import dev.starling.support.ServerFixture;
import dev.starling.types.ObjectEncoding;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    /** One key as compared: value digest, encoding, TTL. */
    record Rec(String digest, String encoding, long expireAt) {}

    /** Records keys on the executor (digesting each value at once, as a serializer would) and the cut. */
    static final class Recorder implements SnapshotConsumer {
        final Digest digest = new Digest();
        final Keyspace ks;
        final Map<String, Rec> cut = new HashMap<>();
        final Map<String, Rec> keys = new HashMap<>();
        final List<String> errors = new ArrayList<>();
        volatile boolean ended;
        final AtomicLong delivered = new AtomicLong();

        Recorder(Keyspace ks) {
            this.ks = ks;
        }

        String digestOf(Object value) {
            byte[] d = new byte[20];
            digest.objectDigest(d, value, false);
            return Digest.hex(d);
        }

        static String name(int db, byte[] key) {
            return db + "/" + new String(key, StandardCharsets.ISO_8859_1);
        }

        /** The test's own record of the cut, taken inside startSnapshot before any write can run. */
        @Override
        public void begin(Snapshot s) {
            for (Db db : ks.dbs) {
                db.dict.forEach(e -> cut.put(name(db.id, e.key), new Rec(digestOf(e.value), ObjectEncoding.encodingName(e.value), db.getExpire(e.key))));
            }
        }

        @Override
        public void key(int db, byte[] key, Object value, long expireAt, int lru) {
            if (keys.put(name(db, key), new Rec(digestOf(value), ObjectEncoding.encodingName(value), expireAt)) != null) {
                errors.add("twice: " + name(db, key));
            }
            delivered.incrementAndGet();
        }

        @Override
        public void end() {
            ended = true;
        }
    }

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
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < 3; i++) writers.add(writer(s, stop, writes, i));
            await().atMost(Duration.ofSeconds(20)).until(() -> writes.get() > 2_000);

            Recorder rec = new Recorder(s.server.keyspace);
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
            await().atMost(Duration.ofSeconds(120)).until(() -> rec.ended);
            long writesDuring = writes.get() - writesAtCut;
            stop.set(true);
            for (Thread t : writers) t.join(10_000);

            assertThat(rec.errors).isEmpty();
            assertThat(diff(rec.cut, rec.keys)).isEmpty();
            assertThat(writesDuring).as("writes interleaved with the walk").isGreaterThan(1_000);
            SnapshotDriver d = drv.get();
            assertThat(d.slices).isGreaterThan(10);
            // Deterministic bound: a step's budget plus one unit (two buckets and their chains).
            assertThat(d.maxStepWork).isLessThanOrEqualTo(32 - 1 + 2 + 2 * 16);
            // A generous wall-clock bound on the loaded test machine (GC pauses count too).
            assertThat(d.maxSliceNanos).isLessThan(200_000_000L);
            assertThat(snap.get().keysProcessed()).isEqualTo(rec.cut.size());
            assertThat(validate(s)).isNull();
        }
    }

    @Test
    void backedUpConsumer_pausesTheWalk_writesStillHandOverWhatTheyTouch_resumeCompletes() throws Exception {
        try (ServerFixture s = ServerFixture.start("--enable-debug-command", "yes"); Jedis j = s.jedis()) {
            populate(s);
            Recorder rec = new Recorder(s.server.keyspace);
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
            long before = rec.delivered.get();
            assertThat(before).isZero();
            for (int i = 0; i < 100; i++) j.set("key:" + i, "overwritten");
            j.del("list:1", "hash:2");
            long afterWrites = rec.delivered.get();
            // Each write handed over its virtual bucket (the key and the few sharing it), nothing more.
            assertThat(afterWrites).isBetween(102L, 102L * 40);
            assertThat(snap.get().isPaused()).isTrue();

            backedUp.set(false);
            drv.get().resume();
            await().atMost(Duration.ofSeconds(60)).until(() -> rec.ended);
            assertThat(rec.errors).isEmpty();
            assertThat(diff(rec.cut, rec.keys)).isEmpty();
            assertThat(rec.keys.get("0/key:5").digest()).isNotEqualTo(rec.digestOf("overwritten".getBytes(StandardCharsets.US_ASCII)));
            assertThat(validate(s)).isNull();
        }
    }

    static List<String> diff(Map<String, Rec> expected, Map<String, Rec> actual) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Rec> e : expected.entrySet()) {
            Rec a = actual.get(e.getKey());
            if (a == null) out.add("missing " + e.getKey());
            else if (!a.equals(e.getValue())) out.add("changed " + e.getKey() + ": " + e.getValue() + " -> " + a);
        }
        for (String k : actual.keySet()) if (!expected.containsKey(k)) out.add("extra " + k);
        return out.size() > 20 ? out.subList(0, 20) : out;
    }
}
