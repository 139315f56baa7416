package dev.starling.server;

import dev.starling.support.RespClient;
import dev.starling.support.ServerProcess;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On the JVM options bin/starling-server picks (Shenandoah, heap pacing), RSS follows the dataset
 * down after a burst: with no periodic GC cycle, only the pacer's quiet cycles free the heap of a
 * flushed dataset.
 */
class HeapPacerTest {
    static long rss(Jedis j) {
        for (String line : j.info("memory").split("\r\n")) {
            if (line.startsWith("used_memory_rss:")) return Long.parseLong(line.substring(16));
        }
        throw new AssertionError("no used_memory_rss");
    }

    @Test
    void rssFollowsTheDatasetDownAfterABurst() {
        try (ServerProcess p = ServerProcess.starlingWithLauncherJvm("--loglevel", "verbose"); Jedis j = p.jedis()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> p.log().contains("Heap pacing on"));
            long base = rss(j);
            try (RespClient c = p.raw()) {
                assertThat(c.callString("DEBUG", "POPULATE", "1000000", "key", "100")).isEqualTo("+OK\r\n");
            }
            assertThat(rss(j)).isGreaterThan(base + (100L << 20));
            j.flushAll();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> rss(j) < base + (32L << 20));
        }
    }
}
