package dev.starling.persistence;

import dev.starling.keyspace.Keyspace;
import dev.starling.keyspace.Snapshot;
import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import dev.starling.support.SnapshotRecorder;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link RdbSnapshotSerializer} on a running server: the threaded serializer (the executor only
 * captures) writes the same bytes as the synchronous one, for every value representation, and
 * under concurrent in-place writes to every representation its output loads back to exactly the
 * cut.
 */
class RdbSnapshotSerializerTest {
    static final int STRINGS = 20_000, COLLECTIONS = 300;

    /** Every representation: byte[] strings (int, short, compressible), RawStrings, HLLs, each collection encoding, TTLs, three dbs, a stream. */
    static void populate(ServerFixture s) throws Exception {
        byte[] stream;
        try (RedisReference r = RedisReference.start(); RespClient c = r.raw()) {
            for (int i = 1; i <= 50; i++) c.call(b("XADD"), b("s"), b(i + "-1"), b("f"), b("value-" + i), b("n"), b(Integer.toString(i)));
            c.call(b("XGROUP"), b("CREATE"), b("s"), b("g"), b("0"));
            c.call(b("XREADGROUP"), b("GROUP"), b("g"), b("alice"), b("COUNT"), b("3"), b("STREAMS"), b("s"), b(">"));
            stream = DumpRestoreDifferentialTest.bulk(c.call(b("DUMP"), b("s")));
        }
        try (Jedis j = s.jedis()) {
            j.configSet("hash-max-listpack-entries", "16");
            j.configSet("zset-max-listpack-entries", "16");
            j.configSet("set-max-intset-entries", "16");
            j.configSet("list-max-listpack-size", "8");
            j.configSet("list-compress-depth", "1");
            j.sendCommand(RdbFileTest.DEBUG, "populate", Integer.toString(STRINGS), "str", "40");
            Pipeline p = j.pipelined();
            for (int i = 0; i < STRINGS; i += 5) p.set("str:" + i, Integer.toString(i)); // int-encoded
            for (int i = 1; i < STRINGS; i += 5) p.set("str:" + i, "x".repeat(200) + i); // LZF
            for (int i = 2; i < STRINGS; i += 5) p.append("str:" + i, "-raw"); // RawString
            for (int i = 0; i < STRINGS; i += 7) p.pexpire("str:" + i, 1_000_000 + i);
            for (int i = 0; i < COLLECTIONS; i++) {
                int n = 1 + i % 40; // both sides of every threshold
                for (int m = 0; m < n; m++) {
                    p.rpush("list:" + i, "element-" + m + "-" + "y".repeat(m % 30));
                    p.hset("hash:" + i, "field" + m, "value-" + m + "z".repeat(m % 25));
                    p.zadd("zset:" + i, m * 1.5, "member" + m + "w".repeat(m % 25));
                    p.sadd("set:" + i, i % 2 == 0 ? Integer.toString(m) : "m" + m + "v".repeat(m % 25));
                }
                p.pfadd("hll:" + i, "a" + i, "b", "c" + (i % 7));
                if (i % 4 == 0) p.expire("hash:" + i, 100_000);
            }
            p.sync();
            j.restore("stream", 0, stream);
            j.select(3);
            j.set("db3", "three");
            j.rpush("db3-list", "a", "b");
            j.select(15);
            j.set("db15", "fifteen");
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A sink for the serializer thread; read only after the finish callback. */
    static final class Bytes implements RdbSink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            out.write(b, off, len);
        }

        synchronized byte[] get() {
            return out.toByteArray();
        }
    }

    static RdbSnapshotSerializer serializer(Keyspace ks, RdbSink sink, String policy) {
        return new RdbSnapshotSerializer(ks, sink, true, true, policy, (w, s) -> w.saveAuxField("aux", "fixed"));
    }

    /** Runs a threaded serialization to the end; returns the bytes, or throws with the error. */
    static byte[] threaded(ServerFixture s, String policy, AtomicReference<Map<String, String>> cut) {
        return threaded(s, policy, cut, false);
    }

    /** The same; slow: with the server's rdb-key-save-delay per key written. */
    static byte[] threaded(ServerFixture s, String policy, AtomicReference<Map<String, String>> cut, boolean slow) {
        Bytes out = new Bytes();
        AtomicReference<String> result = new AtomicReference<>();
        AtomicBoolean finished = new AtomicBoolean();
        SnapshotRecorder rec = new SnapshotRecorder();
        s.onExecutor(() -> {
            RdbSnapshotSerializer ser = serializer(s.server.keyspace, out, policy);
            ser.batchBytes = 16 << 10; // many batches
            if (slow) ser.delayConfig = s.server.config;
            ser.start(s.server, "test-serializer", (err, cancelled) -> {
                result.set(err);
                finished.set(true);
            });
            // Still inside the task that took the cut: no write has run since.
            if (cut != null) cut.set(describe(rec, s.server.keyspace));
        });
        await().atMost(Duration.ofSeconds(120)).untilTrue(finished);
        assertThat(result.get()).isNull();
        return out.get();
    }

    /** "db/key" → value digest and expire, for every key of ks (on the executor, or of a keyspace no one else uses). */
    static Map<String, String> describe(SnapshotRecorder rec, Keyspace ks) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, SnapshotRecorder.Rec> e : rec.state(ks).entrySet()) {
            out.put(e.getKey(), e.getValue().digest() + " " + e.getValue().expireAt());
        }
        return out;
    }

    @Test
    void threaded_everyRepresentation_sameBytesAsSynchronous() throws Exception {
        for (String policy : new String[] {"noeviction", "allkeys-lfu"}) {
            // lfu-decay-time 0: the FREQ bytes must not depend on a minute passing between the two saves.
            try (ServerFixture s = ServerFixture.start("--enable-debug-command", "yes", "--maxmemory-policy", policy,
                    "--lfu-decay-time", "0")) {
                populate(s);
                AtomicReference<byte[]> syncBytes = new AtomicReference<>();
                s.onExecutor(() -> {
                    RdbBuffer buf = new RdbBuffer();
                    Snapshot sn = s.server.keyspace.startSnapshot(serializer(s.server.keyspace, buf, policy));
                    while (sn.state() == Snapshot.RUNNING) sn.step(1 << 20);
                    assertThat(sn.state()).isEqualTo(Snapshot.DONE);
                    syncBytes.set(buf.toByteArray());
                });
                byte[] async = threaded(s, policy, null);
                assertThat(async.length).isGreaterThan(STRINGS * 10);
                assertThat(async).as(policy).isEqualTo(syncBytes.get());
            }
        }
    }

    @Test
    void threaded_whileClientsWriteEveryRepresentation_outputIsTheCut() throws Exception {
        try (ServerFixture s = ServerFixture.start("--enable-debug-command", "yes")) {
            populate(s);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            try (Jedis j = s.jedis()) {
                j.configSet("rdb-key-save-delay", "20"); // microseconds per key: long enough for many writes
            }
            List<Thread> writers = SnapshotDriverTest.startWriters(writes, i -> writer(s, stop, writes));
            AtomicReference<Map<String, String>> cut = new AtomicReference<>();
            long before = writes.get();
            byte[] rdb = threaded(s, "noeviction", cut, true);
            long during = writes.get() - before;
            stop.set(true);
            for (Thread t : writers) t.join(10_000);
            assertThat(during).as("writes during the save").isGreaterThan(500);

            assertLoadsToCut(s, rdb, cut.get());
        }
    }

    /**
     * The walk on the serializer thread while the executor's dicts move under it: the keyspace
     * grows past a doubling (the main and expires dicts rehash during the walk), hashtable sets
     * and hashes grow and are read (a read command steps their rehash: a move with no hook), keys
     * are deleted and re-added. The file still loads to exactly the cut.
     */
    @Test
    void threaded_whileDictsGrowAndRehash_outputIsTheCut() throws Exception {
        try (ServerFixture s = ServerFixture.start("--enable-debug-command", "yes")) {
            populate(s);
            try (Jedis j = s.jedis()) {
                // Microseconds per key: a walk of 20 s and more, cut short (below) once the writers
                // have grown db0 past its doubling. A fixed shorter walk raced the writers' speed.
                j.configSet("rdb-key-save-delay", "1000");
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            List<Thread> writers = SnapshotDriverTest.startWriters(writes, i -> grower(s, i, stop, writes));
            AtomicReference<Map<String, String>> cut = new AtomicReference<>();
            Thread hurry = new Thread(() -> {
                try (Jedis j = s.jedis()) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> cut.get() != null && j.dbSize() > 40_000);
                } catch (RuntimeException timedOut) {
                    // the dbSize assertion below reports it
                } finally {
                    try (Jedis j = s.jedis()) {
                        j.configSet("rdb-key-save-delay", "0"); // the rest of the walk at full speed
                    }
                }
            }, "test-hurry-the-walk");
            hurry.start();
            long before = writes.get();
            byte[] rdb = threaded(s, "noeviction", cut, true);
            long during = writes.get() - before;
            hurry.join();
            long keysAfter;
            try (Jedis j = s.jedis()) {
                keysAfter = j.dbSize();
            }
            stop.set(true);
            for (Thread t : writers) t.join(10_000);
            assertThat(during).as("writes during the save").isGreaterThan(2_000);
            // db0 held about 21,500 keys in a 32,768-bucket table at the cut.
            assertThat(keysAfter).as("db0 grew past its table's doubling during the save").isGreaterThan(40_000);
            assertLoadsToCut(s, rdb, cut.get());
        }
    }

    /** Writer i: new keys with TTLs (growth), growing hashtable sets and hashes read meanwhile, deletes. */
    static Thread grower(ServerFixture s, int i, AtomicBoolean stop, AtomicLong writes) {
        return pipelinedWriter(s, stop, writes, (p, rnd, n) -> {
            int c = 1 + 2 * rnd.nextInt(COLLECTIONS / 2); // odd: hashtable sets
            switch (rnd.nextInt(8)) {
                case 0, 1 -> p.set("new:" + i + ":" + n, "v");
                case 2 -> p.psetex("newx:" + i + ":" + n, 1_000_000, "v");
                case 3 -> p.sadd("set:" + c, "grown-" + n);
                case 4 -> p.sismember("set:" + c, "m" + rnd.nextInt(40));
                case 5 -> p.hset("hash:" + (20 + rnd.nextInt(20)), "grown-" + n, "v");
                case 6 -> p.hget("hash:" + (20 + rnd.nextInt(20)), "field" + rnd.nextInt(40));
                default -> p.del("str:" + rnd.nextInt(STRINGS));
            }
        });
    }

    /** One pipelined command: n counts this writer's commands. */
    interface PipelinedOp {
        void add(Pipeline p, ThreadLocalRandom rnd, long n);
    }

    /** A thread sending op in pipelines of 50 until stop, counting them in writes. */
    static Thread pipelinedWriter(ServerFixture s, AtomicBoolean stop, AtomicLong writes, PipelinedOp op) {
        Thread t = new Thread(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            long n = 0;
            try (Jedis j = s.jedis()) {
                while (!stop.get()) {
                    Pipeline p = j.pipelined();
                    for (int k = 0; k < 50; k++) op.add(p, rnd, n++);
                    p.sync();
                    writes.addAndGet(50);
                }
            } catch (RuntimeException e) {
                if (!stop.get()) throw e;
            }
        });
        t.start();
        return t;
    }

    /** Loads the RDB bytes into a fresh keyspace and compares it key by key with the cut. */
    static void assertLoadsToCut(ServerFixture s, byte[] rdb, Map<String, String> cut) throws Exception {
        Path file = Files.createTempFile("serializer", ".rdb");
        try {
            Files.write(file, rdb);
            Keyspace fresh = s.server.loading.newKeyspace();
            assertThat(new RdbFileLoader(s.server).load(file, fresh, null)).isTrue();
            Map<String, String> loaded = describe(new SnapshotRecorder(), fresh);
            List<String> diff = new ArrayList<>();
            for (Map.Entry<String, String> e : cut.entrySet()) {
                if (!e.getValue().equals(loaded.get(e.getKey()))) diff.add(e.getKey() + ": " + e.getValue() + " -> " + loaded.get(e.getKey()));
            }
            for (String k : loaded.keySet()) if (!cut.containsKey(k)) diff.add("extra " + k);
            assertThat(diff.size() > 20 ? diff.subList(0, 20) : diff).isEmpty();
            assertThat(loaded).hasSameSizeAs(cut);
        } finally {
            Files.delete(file);
        }
    }

    /** Writes that change every representation in place or replace it, delete and rename keys, and change TTLs. */
    static Thread writer(ServerFixture s, AtomicBoolean stop, AtomicLong writes) {
        return pipelinedWriter(s, stop, writes, (p, rnd, n) -> {
            String str = "str:" + rnd.nextInt(STRINGS);
            int c = rnd.nextInt(COLLECTIONS);
            switch (rnd.nextInt(16)) {
                case 0 -> p.set(str, "new");
                case 1 -> p.append(str, "+");
                case 2 -> p.setrange(str, rnd.nextInt(50), "zz");
                case 3 -> p.setbit(str, rnd.nextInt(400), true);
                case 4 -> p.incr("str:" + 5 * rnd.nextInt(STRINGS / 5));
                case 5 -> p.del(str);
                case 6 -> p.pexpire(str, 1_000_000 + rnd.nextInt(100_000)); // not expired when loaded
                case 7 -> p.rename(str, "moved:" + rnd.nextInt(1000));
                case 8 -> p.rpush("list:" + c, "pushed");
                case 9 -> p.lset("list:" + c, 0, "set-" + rnd.nextInt(100));
                case 10 -> p.hset("hash:" + c, "field" + rnd.nextInt(60), "changed");
                case 11 -> p.hincrBy("hash:" + c, "counter", 1);
                case 12 -> p.zincrby("zset:" + c, 1, "member" + rnd.nextInt(60));
                case 13 -> p.sadd("set:" + c, Integer.toString(rnd.nextInt(60)));
                case 14 -> p.srem("set:" + c, Integer.toString(rnd.nextInt(60)));
                default -> p.pfadd("hll:" + c, "e" + rnd.nextInt(100_000));
            }
        });
    }
}
