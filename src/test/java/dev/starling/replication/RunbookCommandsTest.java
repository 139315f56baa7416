package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.startRedis;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator runbooks (../shared/runbooks 000, 001, 003) typed verbatim with redis-cli against a
 * Starling primary and replica, and what they read is true: the INFO fields they check, the CONFIG
 * commands they run (answered as redis-server 7.0 answers them), a blip resynchronized partially,
 * and a dead primary shown as a down link.
 */
class RunbookCommandsTest {

    /** redis-cli -p port args..., its standard output (exit status 0 asserted). */
    static String cli(int port, String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "/usr/bin/redis-cli";
        cmd[1] = "-p";
        cmd[2] = Integer.toString(port);
        System.arraycopy(args, 0, cmd, 3, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(String.join(" ", cmd)).isZero();
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The fields of an INFO section as redis-cli prints it. */
    static Map<String, String> infoFields(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\r?\n")) {
            int i = line.indexOf(':');
            if (i > 0 && !line.startsWith("#")) m.put(line.substring(0, i), line.substring(i + 1));
        }
        return m;
    }

    static Map<String, String> info(int port, String section) {
        return infoFields(cli(port, "INFO", section));
    }

    @Test
    void runbookCommands_readTrue_onAStarlingPair() {
        try (ServerFixture primary = startStarling(); ServerFixture replica = startStarling();
             Jedis m = primary.jedis(); Jedis s = replica.jedis()) {
            for (int i = 0; i < 1000; i++) m.set("k" + i, "v" + i);
            assertThat(cli(replica.port(), "REPLICAOF", "127.0.0.1", Integer.toString(primary.port()))).isEqualTo("OK\n");
            awaitCaughtUp(m, s);

            // "redis-cli INFO replication" on the replica: the link is up and caught up.
            Map<String, String> r = info(replica.port(), "replication");
            assertThat(r).containsEntry("role", "slave").containsEntry("master_link_status", "up")
                    .containsEntry("master_sync_in_progress", "0").containsKey("master_last_io_seconds_ago");
            assertThat(Integer.parseInt(r.get("master_last_io_seconds_ago"))).isBetween(0, 10);
            Map<String, String> p = info(primary.port(), "replication");
            assertThat(p).containsEntry("role", "master").containsEntry("connected_slaves", "1");
            assertThat(r.get("slave_repl_offset")).isEqualTo(p.get("master_repl_offset"));
            assertThat(p.get("slave0")).contains("state=online", "port=" + replica.port());

            // "redis-cli INFO stats": one full sync, no partial ones yet. (The replica, a primary
            // before, first asked to continue its own history: sync_partial_err 1, as Redis counts it.)
            Map<String, String> st = info(primary.port(), "stats");
            assertThat(st).containsEntry("sync_full", "1").containsEntry("sync_partial_ok", "0");
            String partialErr = st.get("sync_partial_err");
            assertThat(st).containsKeys("instantaneous_ops_per_sec");
            // No fork, ever: the full sync's snapshot was forkless.
            assertThat(st).containsEntry("latest_fork_usec", "0").containsEntry("total_forks", "0");

            // "redis-cli INFO persistence".
            Map<String, String> ps = info(primary.port(), "persistence");
            assertThat(ps).containsEntry("rdb_bgsave_in_progress", "0")
                    .containsEntry("aof_last_write_status", "ok");

            // CLIENT LIST shows the replica (flags=S) on the primary and the master (flags=M) on the replica.
            assertThat(cli(primary.port(), "CLIENT", "LIST")).contains("flags=S");
            assertThat(cli(replica.port(), "CLIENT", "LIST")).contains("flags=M");
            assertThat(cli(primary.port(), "SLOWLOG", "GET", "5")).doesNotContain("ERR");

            // The runbook's backlog resize takes effect.
            assertThat(cli(primary.port(), "CONFIG", "SET", "repl-backlog-size", "104857600")).isEqualTo("OK\n");
            assertThat(info(primary.port(), "replication")).containsEntry("repl_backlog_size", "104857600");

            // A blip: the link drops, writes go on, and the replica continues from the backlog.
            cli(primary.port(), "CLIENT", "KILL", "TYPE", "replica");
            for (int i = 0; i < 100; i++) m.set("gap" + i, "v");
            await().atMost(Duration.ofSeconds(20)).until(() -> "1".equals(info(primary.port(), "stats").get("sync_partial_ok")));
            awaitCaughtUp(m, s);
            assertThat(info(primary.port(), "stats")).containsEntry("sync_full", "1").containsEntry("sync_partial_err", partialErr);
            assertThat(s.get("gap99")).isEqualTo("v");

            // The primary dies: the replica reports the link down and for how long.
            primary.close();
            await().atMost(Duration.ofSeconds(20)).until(() -> "down".equals(info(replica.port(), "replication").get("master_link_status")));
            assertThat(info(replica.port(), "replication")).containsKey("master_link_down_since_seconds");
        }
    }

    @Test
    void runbookConfigCommands_answerAsRedis() {
        try (ServerFixture star = startStarling(); RedisReference redis = startRedis()) {
            String[][] commands = {
                    {"CONFIG", "GET", "repl-backlog-size"},
                    {"CONFIG", "GET", "repl-timeout"},
                    {"CONFIG", "GET", "repl-ping-replica-period"},
                    {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 replica 512mb 128mb 60 pubsub 32mb 8mb 60"},
                    {"CONFIG", "GET", "client-output-buffer-limit"},
                    {"CONFIG", "SET", "repl-backlog-size", "104857600"},
                    {"CONFIG", "GET", "repl-backlog-size"},
            };
            for (String[] c : commands) {
                assertThat(cli(star.port(), c)).as(String.join(" ", c)).isEqualTo(cli(redis.port(), c));
            }
        }
    }
}
