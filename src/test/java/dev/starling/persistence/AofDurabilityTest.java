package dev.starling.persistence;

import dev.starling.persistence.RdbFileTest.Proc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the AOF promises under faults, with Starling as a real process: with appendfsync always no
 * acknowledged write is lost across kill -9 (also in the middle of a rewrite); a full disk turns
 * writes into Redis's -MISCONF until space returns, losing nothing acknowledged; with always, a
 * write error makes the server exit as Redis 7.0 does.
 */
class AofDurabilityTest {
    private final List<Proc> procs = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Proc p : procs) p.stop();
    }

    /** Acknowledged writes of one client: keys SET and the INCR count. */
    static final class Acked {
        final List<String> keys = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong incrs = new AtomicLong();
    }

    /** Asserts every acknowledged write is in the server. */
    static void assertAllPresent(Jedis j, int id, Acked a) {
        List<String> keys;
        synchronized (a.keys) {
            keys = new ArrayList<>(a.keys);
        }
        Pipeline p = j.pipelined();
        List<Response<String>> got = new ArrayList<>();
        for (String k : keys) got.add(p.get(k));
        Response<String> counter = p.get("counter:" + id);
        p.sync();
        for (int i = 0; i < keys.size(); i++) assertThat(got.get(i).get()).as(keys.get(i)).isEqualTo(keys.get(i));
        long c = counter.get() == null ? 0 : Long.parseLong(counter.get());
        // One INCR may have been applied and logged without its reply reaching us before the kill.
        assertThat(c).as("counter:" + id).isBetween(a.incrs.get(), a.incrs.get() + 1);
        a.incrs.set(c);
    }

    @Test
    void killDashNine_appendfsyncAlways_noAcknowledgedWriteLost() throws Exception {
        Path dir = Files.createTempDirectory("aof-kill");
        int clients = 3;
        Acked[] acked = new Acked[clients];
        for (int i = 0; i < clients; i++) acked[i] = new Acked();
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            Proc s = RdbFileTest.startIn(procs, true, dir, dir, "--appendonly", "yes", "--appendfsync", "always");
            try (Jedis j = s.jedis()) {
                for (int i = 0; i < clients; i++) assertAllPresent(j, i, acked[i]);
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            int r = round;
            for (int i = 0; i < clients; i++) {
                int id = i;
                Thread t = new Thread(() -> {
                    try (Jedis c = new Jedis("127.0.0.1", s.port, 5000)) {
                        for (int n = 0; !stop.get(); n++) {
                            String key = "k:" + id + ":" + r + ":" + n;
                            if ("OK".equals(c.set(key, key))) acked[id].keys.add(key);
                            c.incr("counter:" + id);
                            acked[id].incrs.incrementAndGet();
                        }
                    } catch (JedisConnectionException e) {
                        // Killed: whatever was not acknowledged may or may not be there.
                    }
                });
                threads.add(t);
                t.start();
            }
            if (round % 4 == 1) {
                try (Jedis j = s.jedis()) {
                    j.bgrewriteaof(); // killed during or after a rewrite: the manifest must still hold everything
                }
            }
            Thread.sleep(50 + rnd.nextInt(350)); // the moment of the kill is what varies, not a synchronisation
            s.p.destroyForcibly();
            s.p.waitFor(10, TimeUnit.SECONDS);
            stop.set(true);
            for (Thread t : threads) t.join();
        }
        Proc last = RdbFileTest.startIn(procs, true, dir, dir, "--appendonly", "yes");
        long total = 0;
        try (Jedis j = last.jedis()) {
            for (int i = 0; i < clients; i++) {
                assertAllPresent(j, i, acked[i]);
                total += acked[i].keys.size();
            }
        }
        assertThat(total).isGreaterThan(100);
        AofFileTest.checkAof(dir.resolve("appendonlydir/appendonly.aof.manifest"));
    }

    @Test
    void appendfsyncAlways_pipelinedClientsWhilePolicyChanges_everyReplyArrivesAndDataSurvives() throws Exception {
        Path dir = Files.createTempDirectory("aof-bench");
        Proc s = RdbFileTest.startIn(procs, true, dir, dir, "--appendonly", "yes", "--appendfsync", "always");
        Process bench = new ProcessBuilder("redis-benchmark", "-p", Integer.toString(s.port), "-t", "set,incr,lpush,sadd",
                "-n", "40000", "-c", "20", "-P", "16", "-r", "10000", "-q").redirectErrorStream(true).start();
        try (Jedis j = s.jedis()) {
            String[] modes = {"everysec", "always", "no", "always"};
            for (int i = 0; bench.isAlive() && i < 40; i++) {
                assertThat(j.configSet("appendfsync", modes[i % modes.length])).isEqualTo("OK");
                j.bgrewriteaof();
                AofFileTest.awaitRewriteDone(j);
            }
            String out = new String(bench.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(bench.waitFor(120, TimeUnit.SECONDS)).as(out).isTrue();
            assertThat(bench.exitValue()).as(out).isZero();
            assertThat(j.info("persistence")).contains("aof_last_write_status:ok", "aof_last_bgrewrite_status:ok");
            List<String> expected = RdbFileTest.describe(j);
            s.stop();
            Proc again = RdbFileTest.startIn(procs, true, dir, dir, "--appendonly", "yes");
            try (Jedis k = again.jedis()) {
                assertThat(RdbFileTest.describe(k)).isEqualTo(expected);
            }
        } finally {
            bench.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------- full disk

    /** Writes blocks to file until the filesystem is full. */
    static void fillDisk(Path file) {
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (;;) out.write(block);
        } catch (IOException e) {
            // Full.
        }
    }

    @Test
    void diskFull_misconfUntilSpaceReturns_noAcknowledgedWriteLost_alwaysExits() throws Exception {
        Path mnt = Files.createTempDirectory("aof-tmpfs");
        Path logs = Files.createTempDirectory("aof-tmpfs-logs");
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt.toString()).redirectErrorStream(true).start();
        String mountOut = new String(m.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean mounted = m.waitFor(10, TimeUnit.SECONDS) && m.exitValue() == 0;
        assumeTrue(mounted, "mounting a tmpfs needs root: " + mountOut);
        try {
            Path filler = mnt.resolve("filler");
            List<String> acked = new ArrayList<>();
            Proc s = RdbFileTest.startIn(procs, true, mnt, logs, "--appendonly", "yes");
            try (Jedis j = s.jedis()) {
                fillDisk(filler);
                String misconf = null;
                for (int i = 0; misconf == null && i < 1_000_000; i++) {
                    try {
                        j.set("k" + i, "k" + i);
                        acked.add("k" + i);
                    } catch (JedisDataException e) {
                        misconf = e.getMessage();
                    }
                }
                assertThat(misconf).isEqualTo("MISCONF Errors writing to the AOF file: No space left on device");
                assertThat(j.info("persistence")).contains("aof_last_write_status:err");
                assertThat(j.get("k0")).isEqualTo("k0"); // reads still work
                try {
                    j.ping();
                    throw new AssertionError("PING should be refused too");
                } catch (JedisDataException e) {
                    assertThat(e.getMessage()).startsWith("MISCONF Errors writing to the AOF file");
                }
                Files.delete(filler);
                await().atMost(Duration.ofSeconds(20)).until(() -> j.info("persistence").contains("aof_last_write_status:ok"));
                assertThat(j.set("after", "after")).isEqualTo("OK");
                acked.add("after");
            }
            assertThat(s.log()).contains("Error writing to the AOF file: No space left on device",
                    "AOF write error looks solved, Redis can write again.");
            s.stop();

            // appendfsync always: Redis exits on a write error; what it acknowledged is on disk.
            Proc a = RdbFileTest.startIn(procs, true, mnt, logs, "--appendonly", "yes", "--appendfsync", "always");
            try (Jedis j = a.jedis()) {
                for (String k : acked) assertThat(j.get(k)).isEqualTo(k);
                fillDisk(filler);
                for (int i = 0; i < 1_000_000; i++) {
                    j.set("always" + i, "always" + i);
                    acked.add("always" + i);
                }
                throw new AssertionError("the server should have exited");
            } catch (JedisConnectionException e) {
                assertThat(a.p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(a.p.exitValue()).isEqualTo(1);
            }
            assertThat(a.log()).contains("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
            Files.delete(filler);
            Proc again = RdbFileTest.startIn(procs, true, mnt, logs, "--appendonly", "yes");
            try (Jedis j = again.jedis()) {
                for (String k : acked) assertThat(j.get(k)).as(k).isEqualTo(k);
            }
        } finally {
            for (Proc p : procs) p.stop();
            procs.clear();
            new ProcessBuilder("umount", mnt.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
