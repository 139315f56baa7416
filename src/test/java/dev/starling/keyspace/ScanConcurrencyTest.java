package dev.starling.keyspace;

import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SCAN's guarantee under a changing dict: every key present for the whole scan is returned, while
 * another connection grows the keyspace past 100k keys (rehashing up) and then deletes them (the
 * cron shrinks the table) between the scan's calls.
 */
class ScanConcurrencyTest {
    @Test
    void scan_whileDictGrowsAndShrinks_returnsEveryStableKey() {
        try (ServerFixture server = ServerFixture.start();
             Jedis scanner = server.jedis();
             Jedis writer = server.jedis()) {
            Set<String> stable = new HashSet<>();
            Pipeline p = writer.pipelined();
            for (int i = 0; i < 500; i++) {
                stable.add("stable:" + i);
                p.set("stable:" + i, "v");
            }
            p.sync();

            Set<String> seen = new HashSet<>();
            ScanParams params = new ScanParams().count(20);
            String cursor = ScanParams.SCAN_POINTER_START;
            int step = 0, added = 0, deleted = 0;
            int maxBuckets = 0;
            boolean waitedForShrink = false;
            do {
                ScanResult<String> r = scanner.scan(cursor, params);
                cursor = r.getCursor();
                seen.addAll(r.getResult());
                step++;
                if (added < 120_000) {
                    Pipeline w = writer.pipelined();
                    for (int i = 0; i < 4000; i++) w.set("tmp:" + added++, "x");
                    w.sync();
                    maxBuckets = Math.max(maxBuckets, buckets(server));
                } else if (deleted < added) {
                    Pipeline w = writer.pipelined();
                    for (int i = 0; i < 10_000 && deleted < added; i++) w.del("tmp:" + deleted++);
                    w.sync();
                } else if (!waitedForShrink) {
                    // Let the cron shrink the emptied table mid-scan.
                    await().atMost(Duration.ofSeconds(20)).until(() -> buckets(server) < 4096);
                    waitedForShrink = true;
                }
            } while (!cursor.equals("0"));

            assertThat(maxBuckets).isGreaterThanOrEqualTo(131072);
            assertThat(waitedForShrink).as("scan outlived the grow/shrink cycle").isTrue();
            assertThat(seen).containsAll(stable);
            AtomicInteger size = new AtomicInteger();
            server.onExecutor(() -> {
                Db db = server.server.keyspace.dbs[0];
                assertThat(db.dict.validate()).isNull();
                size.set((int) db.size());
            });
            assertThat(size.get()).isEqualTo(500);
            assertThat(step).isGreaterThan(40);
        }
    }

    private static int buckets(ServerFixture server) {
        AtomicInteger n = new AtomicInteger();
        server.onExecutor(() -> n.set(server.server.keyspace.dbs[0].dict.buckets()));
        return n.get();
    }
}
