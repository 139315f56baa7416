package dev.starling.replication;

import dev.starling.support.Differential;
import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.starling.replication.PrimaryReplicationTest.info;
import static dev.starling.replication.PrimaryReplicationTest.stat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The primary side's surface against redis-server 7.0: error replies of REPLCONF, PSYNC and WAIT
 * byte for byte, INFO replication's fields and order and the backlog's accounting against a Redis
 * primary with a Redis replica, NOREPLICAS, the output-buffer limit on a stopped replica, the
 * backlog's TTL, and redis-cli --rdb.
 */
class PrimaryBehaviourTest {
    @TempDir
    Path dir;

    static final Duration SYNC = Duration.ofSeconds(60);

    @Test
    void replconfPsyncWait_errors_sameAsRedis() {
        try (Differential diff = new Differential()) {
            diff.same("REPLCONF");
            diff.same("REPLCONF", "a");
            diff.same("REPLCONF", "a", "b");
            diff.same("REPLCONF", "listening-port", "x");
            diff.same("REPLCONF", "listening-port", "5", "capa", "foo", "capa", "eof");
            diff.same("REPLCONF", "LISTENING-PORT", "1", "x", "3");
            diff.same("REPLCONF", "rdb-only", "2");
            diff.same("REPLCONF", "rdb-only", "x");
            diff.same("REPLCONF", "rdb-only", "0");
            diff.same("REPLCONF", "ip-address", "a".repeat(255));
            diff.same("REPLCONF", "ip-address", "a".repeat(256));
            diff.same("PSYNC");
            diff.same("PSYNC", "a");
            diff.same("PSYNC", "?", "x");
            diff.same("SYNC", "x");
            diff.same("PSYNC", "abc", "1", "failover");
            diff.same("WAIT");
            diff.same("WAIT", "x", "0");
            diff.same("WAIT", "1", "x");
            diff.same("WAIT", "1", "-1");
            diff.same("WAIT", "0", "0");
            diff.same("WAIT", "1", "10");
            diff.same("MULTI");
            diff.same("WAIT", "5", "0");
            diff.same("EXEC");
            diff.same("ROLE");
            // REPLCONF ACK from a client that is not a replica is ignored without a reply.
            diff.sameRaw("REPLCONF ack 5\r\nPING\r\n");
        }
    }

    @Test
    void minReplicasToWrite_noGoodReplica_noreplicasError() {
        try (Differential diff = new Differential("--min-replicas-to-write", "1")) {
            diff.same("SET", "a", "b");
            diff.same("GET", "a");
            diff.same("CONFIG", "SET", "min-replicas-max-lag", "0");
            diff.same("SET", "a", "b");
        }
        try (ServerFixture s = ServerFixture.start("--min-replicas-to-write", "1", "--repl-diskless-sync-delay", "0");
             Jedis j = s.jedis(); RedisReference r = PrimaryReplicationTest.replicaOf(s)) {
            await().atMost(SYNC).until(() -> "1".equals(info(j, "min_slaves_good_slaves")));
            assertThat(j.set("a", "b")).isEqualTo("OK");
        }
    }

    /** Field names of INFO replication, slaveN lines reduced to their keys. */
    static List<String> fieldNames(Jedis j) {
        List<String> out = new ArrayList<>();
        for (String line : j.info("replication").split("\r\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String name = line.substring(0, line.indexOf(':'));
            if (name.startsWith("slave")) {
                StringBuilder sb = new StringBuilder(name);
                for (String kv : line.substring(line.indexOf(':') + 1).split(",")) sb.append(' ').append(kv, 0, kv.indexOf('='));
                name = sb.toString();
            }
            out.add(name);
        }
        return out;
    }

    /**
     * The same writes through a Redis primary and through Starling, each with a Redis replica:
     * INFO replication has the same fields in the same order, and the backlog the same offsets,
     * through trimming (1 KB values and values over 16 KB, with blocks capped at a sixteenth of the
     * backlog: 16 KB for the minimum size, 64 KB for the default).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "repl-backlog-size {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"16384", "1mb"})
    void infoReplicationAndBacklog_sameAsRedisPrimary(String backlogSize) {
        String[] opts = {"--repl-diskless-sync-delay", "0", "--repl-backlog-size", backlogSize, "--repl-ping-replica-period", "3600",
                "--min-replicas-to-write", "1"};
        try (RedisReference rp = RedisReference.start(opts); ServerFixture s = ServerFixture.start(opts);
             RedisReference rr = RedisReference.start("--replicaof", "127.0.0.1", Integer.toString(rp.port()));
             RedisReference sr = PrimaryReplicationTest.replicaOf(s);
             Jedis redis = new Jedis("127.0.0.1", rp.port(), 20_000); Jedis ours = s.jedis()) {
            for (Jedis j : List.of(redis, ours)) {
                await().atMost(SYNC).until(() -> String.valueOf(info(j, "slave0")).contains("state=online"));
            }
            assertThat(fieldNames(ours)).isEqualTo(fieldNames(redis));
            for (int round = 0; round < 6; round++) {
                // 1 KB values, then arguments over 16 KB, which get blocks of their own size.
                String value = "x".repeat(round < 3 ? 1000 : 17_000 * (round - 2));
                for (Jedis j : List.of(redis, ours)) {
                    Pipeline p = j.pipelined();
                    for (int i = 0; i < 10 * (round + 1); i++) p.set("key:" + round + ":" + i, value);
                    p.sync();
                }
                await().atMost(SYNC).untilAsserted(() -> {
                    for (String f : new String[] {"master_repl_offset", "repl_backlog_first_byte_offset", "repl_backlog_histlen"}) {
                        assertThat(info(ours, f)).as(f).isEqualTo(info(redis, f));
                    }
                });
            }
            assertThat(Long.parseLong(info(ours, "repl_backlog_first_byte_offset"))).isGreaterThan(1);
            assertThat(fieldNames(ours)).isEqualTo(fieldNames(redis));
            assertThat(ours.clientList()).contains("flags=S");
        }
    }

    /**
     * A replica that stops reading (SIGSTOP) falls behind past client-output-buffer-limit replica
     * and is disconnected with Redis's log line; once continued it resynchronizes.
     */
    @Test
    void stoppedReplica_overOutputBufferLimit_disconnectedThenResyncs() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--repl-diskless-sync-delay", "0", "--logfile", log.toString(), "--loglevel", "notice",
                "--client-output-buffer-limit", "replica 2mb 0 0", "--enable-debug-command", "yes");
             Jedis j = s.jedis(); RedisReference r = PrimaryReplicationTest.replicaOf(s, "--enable-debug-command", "yes")) {
            await().atMost(SYNC).until(() -> String.valueOf(info(j, "slave0")).contains("state=online"));
            signal("STOP", r.pid());
            long syncs;
            try {
                String value = "v".repeat(100_000);
                for (int batch = 0; batch < 100 && !Files.readString(log).contains("overcoming of output buffer limits"); batch++) {
                    Pipeline p = j.pipelined();
                    for (int i = 0; i < 20; i++) p.set("big:" + batch + ":" + i, value);
                    p.sync();
                }
                await().atMost(SYNC).until(() -> Files.readString(log).contains(
                        "scheduled to be closed ASAP for overcoming of output buffer limits."));
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("Client id=\\d+ addr=127\\.0\\.0\\.1:\\d+ .*flags=S .* omem=(\\d+) .* scheduled to be closed ASAP")
                        .matcher(Files.readString(log));
                assertThat(m.find()).isTrue();
                assertThat(Long.parseLong(m.group(1))).isGreaterThanOrEqualTo(2L << 20); // omem: how far it is behind
                await().atMost(SYNC).until(() -> "0".equals(info(j, "connected_slaves")));
                syncs = stat(j, "sync_full") + stat(j, "sync_partial_ok"); // before it can reconnect
            } finally {
                signal("CONT", r.pid());
            }
            await().atMost(SYNC).until(() -> stat(j, "sync_full") + stat(j, "sync_partial_ok") > syncs);
            PrimaryReplicationTest.awaitInSync(s, r);
        }
    }

    static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void backlog_noReplicasForTtl_freedWithNewReplid() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--repl-diskless-sync-delay", "0", "--repl-backlog-ttl", "1",
                "--logfile", log.toString(), "--loglevel", "notice"); Jedis j = s.jedis()) {
            try (RedisReference r = PrimaryReplicationTest.replicaOf(s)) {
                await().atMost(SYNC).until(() -> String.valueOf(info(j, "slave0")).contains("state=online"));
                assertThat(info(j, "repl_backlog_active")).isEqualTo("1");
            }
            String replid = info(j, "master_replid");
            await().atMost(SYNC).until(() -> "0".equals(info(j, "repl_backlog_active")));
            assertThat(info(j, "master_replid")).isNotEqualTo(replid);
            assertThat(info(j, "repl_backlog_first_byte_offset")).isEqualTo("0");
            assertThat(Files.readString(log)).contains("Replication backlog freed after 1 seconds without connected replicas.");
            // With no backlog the offset stands still.
            String offset = info(j, "master_repl_offset");
            j.set("x", "y");
            assertThat(info(j, "master_repl_offset")).isEqualTo(offset);
        }
    }

    /** redis-cli --rdb asks for the RDB only (REPLCONF rdb-only 1, SYNC) and gets a file redis-check-rdb accepts. */
    @Test
    void redisCliRdb_rdbOnly_validFileAndClosed() throws Exception {
        try (ServerFixture s = ServerFixture.start("--repl-diskless-sync-delay", "0"); Jedis j = s.jedis()) {
            j.set("a", "1");
            j.rpush("l", "x", "y");
            Path out = dir.resolve("out.rdb");
            Process p = new ProcessBuilder("redis-cli", "-p", Integer.toString(s.port()), "--rdb", out.toString())
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(text).isZero();
            Process check = new ProcessBuilder("redis-check-rdb", out.toString()).redirectErrorStream(true).start();
            String report = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(report).as(text + report).contains("AUX FIELD repl-id", "Checksum OK");
            await().atMost(SYNC).until(() -> "0".equals(info(j, "connected_slaves")));
        }
    }

    /** SYNC and PSYNC with replies still pending on the connection are refused (pipelined after PING). */
    @Test
    void psync_withPendingOutput_refused() {
        try (ServerFixture s = ServerFixture.start(); RespClient c = s.raw()) {
            c.send((new String(RespClient.encode(RespClient.args("PING")), StandardCharsets.ISO_8859_1)
                    + new String(RespClient.encode(RespClient.args("PSYNC", "?", "-1")), StandardCharsets.ISO_8859_1))
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(c.readReplyString()).isEqualTo("+PONG\r\n");
            assertThat(c.readReplyString()).isEqualTo("-ERR SYNC and PSYNC are invalid with pending output\r\n");
        }
    }

    /** PSYNC with another history's id: a full resync (+FULLRESYNC), counted in sync_partial_err, with Redis's log line. */
    @Test
    void psync_unknownReplid_fullResyncCountedAsPartialError() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--repl-diskless-sync-delay", "0", "--logfile", log.toString(), "--loglevel", "notice");
             Jedis j = s.jedis(); RespClient c = s.raw()) {
            assertThat(c.callString("REPLCONF", "listening-port", "4242")).isEqualTo("+OK\r\n");
            assertThat(c.callString("REPLCONF", "capa", "eof", "capa", "psync2")).isEqualTo("+OK\r\n");
            String reply = c.callString("PSYNC", "0123456789012345678901234567890123456789", "100");
            assertThat(reply).matches("\\+FULLRESYNC [0-9a-f]{40} 0\r\n");
            assertThat(stat(j, "sync_partial_err")).isEqualTo(1);
            assertThat(stat(j, "sync_full")).isEqualTo(1);
            assertThat(Files.readString(log)).contains("Replica 127.0.0.1:4242 asks for synchronization")
                    .containsPattern("Partial resynchronization not accepted: Replication ID mismatch \\(Replica asked for "
                            + "'0123456789012345678901234567890123456789', my replication IDs are '[0-9a-f]{40}' and "
                            + "'0000000000000000000000000000000000000000'\\)");
        }
    }
}
