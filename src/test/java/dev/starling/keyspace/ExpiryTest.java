package dev.starling.keyspace;

import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Lazy and active expiry: keys past their TTL disappear, touched or not. */
class ExpiryTest {
    /** The keyspace invariants (dicts, TTL keys, memory accounting) hold. */
    static void assertValid(ServerFixture s) {
        String[] err = new String[1];
        s.onExecutor(() -> err[0] = s.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    private static long read(ServerFixture s, ToLongFunction<Keyspace> f) {
        AtomicLong v = new AtomicLong();
        s.onExecutor(() -> v.set(f.applyAsLong(s.server.keyspace)));
        return v.get();
    }

    @Test
    void activeExpire_untouchedKeys_disappear() {
        try (ServerFixture s = ServerFixture.start("--hz", "50"); Jedis j = s.jedis()) {
            Pipeline p = j.pipelined();
            for (int i = 0; i < 2000; i++) p.psetex("short:" + i, 200, "v");
            for (int i = 0; i < 100; i++) p.set("forever:" + i, "v");
            for (int i = 0; i < 100; i++) p.setex("long:" + i, 10_000, "v");
            p.sync();
            // PSETEX/SETEX may belong to another family; fall back to PEXPIRE if they are missing.
            if (j.dbSize() < 2200) {
                Pipeline q = j.pipelined();
                for (int i = 0; i < 2000; i++) {
                    q.set("short:" + i, "v");
                    q.pexpire("short:" + i, 200);
                }
                for (int i = 0; i < 100; i++) {
                    q.set("long:" + i, "v");
                    q.expire("long:" + i, 10_000);
                }
                q.sync();
            }
            assertThat(j.dbSize()).isEqualTo(2200);
            // DBSIZE does not touch keys: only the active cycle can shrink it.
            await().atMost(Duration.ofSeconds(20)).until(() -> j.dbSize() == 200);
            assertThat(read(s, ks -> ks.expiredKeys)).isEqualTo(2000);
            assertThat(read(s, ks -> ks.dbs[0].expires.size())).isEqualTo(100);
            assertThat(read(s, ks -> ks.dbs[0].avgTtl)).isGreaterThan(0);
            assertThat(j.ttl("long:1")).isBetween(9_000L, 10_000L);
            assertThat(j.ttl("forever:1")).isEqualTo(-1);
            assertValid(s);
        }
    }

    @Test
    void activeExpireDisabled_keysStayUntilTouched_thenLazilyExpire() {
        try (ServerFixture s = ServerFixture.start("--hz", "50"); Jedis j = s.jedis()) {
            s.onExecutor(() -> s.server.keyspace.activeExpireEnabled = false);
            for (int i = 0; i < 50; i++) {
                j.set("k" + i, "v");
                j.pexpire("k" + i, 50); // not 1: see scanAndKeys_expiredKeys_filtered
            }
            long loops = s.server.cronLoops;
            // Wait for a few cron runs and for the keys to be logically expired.
            await().atMost(Duration.ofSeconds(10)).until(() -> s.server.cronLoops > loops + 5 && j.pttl("k0") == -2);
            assertThat(j.dbSize()).isEqualTo(49);
            assertThat(j.get("k1")).isNull();
            assertThat(j.exists("k2")).isFalse();
            assertThat(j.dbSize()).isEqualTo(47);
            assertThat(read(s, ks -> ks.expiredKeys)).isEqualTo(3);
            s.onExecutor(() -> s.server.keyspace.activeExpireEnabled = true);
            await().atMost(Duration.ofSeconds(10)).until(() -> j.dbSize() == 0);
            assertThat(read(s, ks -> ks.expiredKeys)).isEqualTo(50);
            assertValid(s);
        }
    }

    @Test
    void scanAndKeys_expiredKeys_filtered() {
        try (ServerFixture s = ServerFixture.start(); Jedis j = s.jedis()) {
            s.onExecutor(() -> s.server.keyspace.activeExpireEnabled = false);
            j.set("live", "v");
            j.set("dead", "v");
            // 50 ms, not 1: a TTL that has passed by the time PEXPIRE checks it deletes the key at once
            // (Redis 7.0's checkAlreadyExpired reads the live clock too), and this test needs it kept.
            j.pexpire("dead", 50);
            await().atMost(Duration.ofSeconds(5)).until(() -> j.keys("*").size() == 1);
            assertThat(j.dbSize()).isEqualTo(2);
            assertThat(j.scan("0").getResult()).containsExactly("live");
            assertThat(j.dbSize()).isEqualTo(1);
            assertThat(j.randomKey()).isEqualTo("live");
            assertValid(s);
        }
    }

    @Test
    void expiredStalePerc_manyStaleKeys_estimateRises() {
        try (ServerFixture s = ServerFixture.start("--hz", "10"); Jedis j = s.jedis()) {
            s.onExecutor(() -> s.server.keyspace.activeExpireEnabled = false);
            Pipeline p = j.pipelined();
            for (int i = 0; i < 20_000; i++) {
                p.set("k" + i, "v");
                p.pexpire("k" + i, 1);
            }
            p.sync();
            await().atMost(Duration.ofSeconds(5)).until(() -> j.pttl("k0") == -2);
            s.onExecutor(() -> s.server.keyspace.activeExpireEnabled = true);
            await().atMost(Duration.ofSeconds(20)).until(() -> j.dbSize() == 0);
            s.onExecutor(() -> assertThat(s.server.keyspace.expiredStaleRatio).isGreaterThan(0));
            assertValid(s);
        }
    }
}
