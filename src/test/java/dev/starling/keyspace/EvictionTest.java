package dev.starling.keyspace;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * maxmemory eviction per policy: with a small limit and a fill well past it, evicted_keys grows,
 * memory stays near the limit, and each policy's keys survive (volatile-* never evicts keys without
 * a TTL; LRU/LFU/TTL keep the better-scored keys in a statistical sense).
 */
class EvictionTest {
    static final String VALUE = "x".repeat(1000);
    static final int MAXMEMORY = 2 * 1024 * 1024;

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

    private static ServerFixture start(String policy) {
        return ServerFixture.start("--maxmemory", Integer.toString(MAXMEMORY), "--maxmemory-policy", policy);
    }

    private static void fill(Jedis j, String prefix, int n, long ttlSeconds) {
        Pipeline p = j.pipelined();
        for (int i = 0; i < n; i++) {
            p.set(prefix + i, VALUE);
            if (ttlSeconds > 0) p.expire(prefix + i, ttlSeconds);
        }
        p.sync();
    }

    private static int surviving(Jedis j, String prefix, int n) {
        int alive = 0;
        for (int i = 0; i < n; i++) if (j.exists(prefix + i)) alive++;
        return alive;
    }

    private static void assertWithinLimit(ServerFixture s) {
        AtomicLong used = new AtomicLong();
        s.onExecutor(() -> used.set(s.server.usedMemory()));
        assertThat(used.get()).isLessThanOrEqualTo(MAXMEMORY + 4096);
    }

    @Test
    void noeviction_overLimit_denyoomGetsOomButReadsWork() {
        try (ServerFixture s = start("noeviction"); RespClient r = s.raw(); Jedis j = s.jedis()) {
            String reply = "";
            for (int i = 0; i < 5000 && !reply.startsWith("-"); i++) reply = r.callString("SET", "k" + i, VALUE);
            assertThat(reply).isEqualTo("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
            assertThat(r.callString("GET", "k0")).startsWith("$1000");
            assertThat(r.callString("DEL", "k0")).isEqualTo(":1\r\n");
            assertThat(read(s, ks -> ks.evictedKeys)).isZero();
            assertThat(j.dbSize()).isGreaterThan(500);
            assertValid(s);
        }
    }

    @Test
    void volatileLru_neverEvictsKeysWithoutTtl_andOomWhenOnlyThoseRemain() {
        try (ServerFixture s = start("volatile-lru"); RespClient r = s.raw(); Jedis j = s.jedis()) {
            fill(j, "keep:", 300, 0);
            fill(j, "vol:", 3000, 10_000);
            assertThat(read(s, ks -> ks.evictedKeys)).isGreaterThan(1000);
            assertThat(surviving(j, "keep:", 300)).isEqualTo(300);
            assertWithinLimit(s);
            // Fill with non-volatile keys until nothing evictable is left.
            String reply = "";
            for (int i = 0; i < 5000 && !reply.startsWith("-"); i++) reply = r.callString("SET", "more:" + i, VALUE);
            assertThat(reply).startsWith("-OOM");
            assertThat(surviving(j, "keep:", 300)).isEqualTo(300);
            assertThat(read(s, ks -> ks.dbs[0].expires.size())).isZero();
            assertValid(s);
        }
    }

    @Test
    void volatileRandomAndLfuAndTtl_neverEvictKeysWithoutTtl() {
        for (String policy : new String[] {"volatile-random", "volatile-lfu", "volatile-ttl"}) {
            try (ServerFixture s = start(policy); Jedis j = s.jedis()) {
                fill(j, "keep:", 300, 0);
                fill(j, "vol:", 3000, 10_000);
                assertThat(read(s, ks -> ks.evictedKeys)).as(policy).isGreaterThan(1000);
                assertThat(surviving(j, "keep:", 300)).as(policy).isEqualTo(300);
                assertWithinLimit(s);
                assertValid(s);
            }
        }
    }

    @Test
    void allkeysRandom_evictsAcrossDatabases() {
        try (ServerFixture s = start("allkeys-random"); Jedis j = s.jedis()) {
            fill(j, "a:", 1000, 0);
            j.select(3);
            fill(j, "b:", 3000, 0);
            assertThat(read(s, ks -> ks.evictedKeys)).isGreaterThan(1500);
            assertThat(read(s, ks -> ks.dbs[0].size())).isLessThan(1000);
            assertWithinLimit(s);
            assertValid(s);
        }
    }

    @Test
    void allkeysLru_keepsRecentlyUsedKeysPreferentially() {
        try (ServerFixture s = start("allkeys-lru"); Jedis j = s.jedis()) {
            fill(j, "cold:", 500, 0);
            fill(j, "hot:", 500, 0);
            // Age every key by ten minutes, then use the hot ones: LRU resolution is one second.
            s.onExecutor(() -> s.server.keyspace.dbs[0].dict.forEach(e -> e.lru = Math.max(0, e.lru - 600)));
            for (int i = 0; i < 500; i++) j.get("hot:" + i);
            fill(j, "new:", 1000, 0);
            int hot = surviving(j, "hot:", 500), cold = surviving(j, "cold:", 500);
            assertThat(read(s, ks -> ks.evictedKeys)).isGreaterThan(500);
            assertThat(hot).isGreaterThan(cold * 2 + 50);
            assertWithinLimit(s);
            assertValid(s);
        }
    }

    @Test
    void allkeysLfu_keepsFrequentlyUsedKeysPreferentially() {
        try (ServerFixture s = start("allkeys-lfu"); Jedis j = s.jedis()) {
            fill(j, "cold:", 500, 0);
            fill(j, "hot:", 500, 0);
            for (int round = 0; round < 20; round++) {
                Pipeline p = j.pipelined();
                for (int i = 0; i < 500; i++) p.get("hot:" + i);
                p.sync();
            }
            fill(j, "new:", 1000, 0);
            int hot = surviving(j, "hot:", 500), cold = surviving(j, "cold:", 500);
            assertThat(read(s, ks -> ks.evictedKeys)).isGreaterThan(500);
            assertThat(hot).isGreaterThan(cold * 2 + 50);
            assertThat(j.objectFreq("hot:1")).isGreaterThan(5L);
            assertValid(s);
        }
    }

    @Test
    void volatileTtl_evictsSoonestExpiringFirst() {
        try (ServerFixture s = start("volatile-ttl"); Jedis j = s.jedis()) {
            fill(j, "late:", 500, 100_000);
            fill(j, "soon:", 500, 100);
            fill(j, "new:", 1000, 50_000);
            int late = surviving(j, "late:", 500), soon = surviving(j, "soon:", 500);
            assertThat(late).isGreaterThan(soon * 2 + 50);
            assertValid(s);
        }
    }

    @Test
    void tenacityZero_stillFreesMemoryEventually() {
        try (ServerFixture s = ServerFixture.start("--maxmemory", Integer.toString(MAXMEMORY), "--maxmemory-policy",
                "allkeys-random", "--maxmemory-eviction-tenacity", "0"); Jedis j = s.jedis()) {
            fill(j, "k:", 4000, 0);
            j.ping();
            org.awaitility.Awaitility.await().untilAsserted(() -> assertWithinLimit(s));
            assertThat(read(s, ks -> ks.evictedKeys)).isGreaterThan(2000);
            assertValid(s);
        }
    }
}
