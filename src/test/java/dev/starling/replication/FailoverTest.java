package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.starling.replication.ReplicaSyncTest.assertSameKeyspace;
import static dev.starling.replication.ReplicaSyncTest.awaitCaughtUp;
import static dev.starling.replication.ReplicaSyncTest.info;
import static dev.starling.replication.ReplicaSyncTest.log;
import static dev.starling.replication.ReplicaSyncTest.startRedis;
import static dev.starling.replication.ReplicaSyncTest.startStarling;
import static dev.starling.replication.ReplicaSyncTest.stat;
import static dev.starling.replication.StarlingReplicationTest.populate;
import static dev.starling.replication.StarlingReplicationTest.writeLoad;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] and master_failover_state: the error
 * replies and the states compared with redis-server 7.0 step by step, and real switches between
 * Redis and Starling in both directions (PSYNC ... FAILOVER answered by the target).
 */
class FailoverTest {
    static final Duration SYNC = Duration.ofSeconds(30);
    static final redis.clients.jedis.commands.ProtocolCommand FAILOVER = () -> "FAILOVER".getBytes();

    static String failoverState(RespClient c) {
        for (String line : c.callString("INFO", "replication").split("\r\n")) {
            if (line.startsWith("master_failover_state:")) return line.substring(22);
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** What one server answers to a scripted sequence of FAILOVER steps; the same script runs against Redis and Starling. */
    private static List<String> script(int port, String serverLog) throws Exception {
        List<String> out = new ArrayList<>();
        try (RespClient c = new RespClient(port)) {
            String[][] noReplica = {
                {"FAILOVER"}, {"FAILOVER", "ABORT"}, {"FAILOVER", "TIMEOUT", "0"}, {"FAILOVER", "TIMEOUT", "-1"},
                {"FAILOVER", "TIMEOUT", "x"}, {"FAILOVER", "TO", "h"}, {"FAILOVER", "TO", "h", "x"}, {"FAILOVER", "FORCE"},
                {"FAILOVER", "FOO"}, {"FAILOVER", "TIMEOUT", "10", "TIMEOUT", "10"}, {"FAILOVER", "ABORT", "x"},
                {"FAILOVER", "TO", "h", "1", "TO", "h", "2"}, {"FAILOVER", "FORCE", "FORCE"}, {"failover", "abort"},
                {"PSYNC", "x", "1", "FAILOVER"},
            };
            for (String[] cmd : noReplica) out.add(String.join(" ", cmd) + " -> " + c.callString(cmd));
            out.add("state " + failoverState(c));
            // A replica that never acks: its listening port is one nobody listens on.
            int nobody = freePort();
            try (RespClient fake = new RespClient(port); RespClient writer = new RespClient(port); RespClient other = new RespClient(port)) {
                fake.callString("REPLCONF", "listening-port", Integer.toString(nobody));
                fake.send(RespClient.encode(RespClient.args("PSYNC", "?", "-1")));
                await().atMost(SYNC).until(() -> c.callString("INFO", "replication").contains("connected_slaves:1"));
                c.callString("SET", "a", "1"); // our offset moves past the fake replica's ack (0)
                String[][] withReplica = {
                    {"FAILOVER", "FORCE"}, {"FAILOVER", "FORCE", "TIMEOUT", "100"}, {"FAILOVER", "TO", "127.0.0.1", "1"},
                    {"FAILOVER", "TO", "127.0.0.1", Integer.toString(nobody), "FORCE"},
                    {"FAILOVER", "TO", "localhost", Integer.toString(nobody)},
                };
                for (String[] cmd : withReplica) out.add(String.join(" ", cmd).replace(Integer.toString(nobody), "N") + " -> " + c.callString(cmd));
                out.add("FAILOVER -> " + c.callString("FAILOVER"));
                out.add("state " + failoverState(c));
                out.add("again -> " + c.callString("FAILOVER", "TIMEOUT", "5"));
                out.add("replicaof -> " + c.callString("REPLICAOF", "NO", "ONE"));
                out.add("replicaof2 -> " + c.callString("REPLICAOF", "127.0.0.1", "1"));
                out.add("psync -> " + other.callString("PSYNC", "?", "-1"));
                out.add("get -> " + c.callString("GET", "a"));
                out.add("client unpause -> " + c.callString("CLIENT", "UNPAUSE"));
                // A write waits while the failover holds its pause; ABORT lets it through.
                writer.send(RespClient.encode(RespClient.args("SET", "b", "2")));
                CompletableFuture<String> reply = CompletableFuture.supplyAsync(writer::readReplyString);
                out.add("get2 -> " + c.callString("GET", "a"));
                out.add("write done before abort: " + reply.isDone());
                out.add("abort -> " + c.callString("FAILOVER", "ABORT"));
                out.add("write -> " + reply.get());
                out.add("state " + failoverState(c));
                // A timeout without FORCE aborts.
                out.add("timeout -> " + c.callString("FAILOVER", "TIMEOUT", "300"));
                await().atMost(SYNC).until(() -> "no-failover".equals(failoverState(c)));
                // The replica catches up: the switch starts (to a port nobody listens on, so it stays in progress).
                out.add("to -> " + c.callString("FAILOVER", "TO", "127.0.0.1", Integer.toString(nobody)).replace(Integer.toString(nobody), "N"));
                String off = replField(c, "master_repl_offset");
                fake.send(RespClient.encode(RespClient.args("REPLCONF", "ACK", off)));
                await().atMost(SYNC).until(() -> "failover-in-progress".equals(failoverState(c)));
                out.add("role -> " + c.callString("ROLE").split("\r\n")[2]);
                out.add("failover on replica -> " + c.callString("FAILOVER"));
                out.add("abort2 -> " + c.callString("FAILOVER", "ABORT"));
                out.add("state " + failoverState(c));
                out.add("role -> " + c.callString("ROLE").split("\r\n")[2]);
            }
        }
        return out;
    }

    static String replField(RespClient c, String field) {
        for (String line : c.callString("INFO", "replication").split("\r\n")) {
            if (line.startsWith(field + ":")) return line.substring(field.length() + 1);
        }
        return null;
    }

    @Test
    void failoverCommand_errorsStatesAndPause_sameAsRedis() throws Exception {
        List<String> theirs, ours;
        String theirLog, ourLog;
        try (RedisReference redis = startRedis()) {
            theirs = script(redis.port(), null);
            theirLog = redis.log();
        }
        try (ServerFixture star = startStarling("--repl-diskless-sync-delay", "0")) {
            ours = script(star.port(), null);
            ourLog = log(star);
        }
        assertThat(ours).containsExactlyElementsOf(theirs);
        for (String line : new String[] {"FAILOVER requested to any replica.", "FAILOVER to any replica aborted: Failover manually aborted",
                "FAILOVER to any replica aborted: Replica never caught up before timeout", "is synced, failing over.",
                "aborted: Failover manually aborted", "Failover request received for replid x."}) {
            assertThat(theirLog).contains(line);
            assertThat(ourLog).contains(line);
        }
    }

    /** Redis primary, Starling replica: FAILOVER on Redis makes Starling the primary, which Redis then follows (partial). */
    @Test
    void failoverOnRedis_toStarlingReplica_rolesSwapped_partialResync() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling("--repl-diskless-sync-delay", "0");
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            populate(m);
            s.replicaof("127.0.0.1", redis.port());
            writeLoad(m, 100);
            awaitCaughtUp(m, s);
            assertThat(m.sendCommand(FAILOVER, "TO", "127.0.0.1", Integer.toString(star.port()), "TIMEOUT", "10000"))
                    .isEqualTo("OK".getBytes());
            await().atMost(SYNC).until(() -> "master".equals(info(s, "replication").get("role"))
                    && "no-failover".equals(info(m, "replication").get("master_failover_state"))
                    && "up".equals(info(m, "replication").get("master_link_status")));
            assertThat(stat(s, "stats", "sync_partial_ok")).isEqualTo(1);
            assertThat(stat(s, "stats", "sync_full")).isZero();
            assertThat(log(star)).contains("Failover request received for replid", "MASTER MODE enabled (failover request from '");
            writeLoad(s, 100);
            StarlingReplicationTest.settle(s, m);
            assertSameKeyspace(star.port(), redis.port());
        }
    }

    /** Starling primary, Redis replica: FAILOVER on Starling; Starling sends PSYNC ... FAILOVER and follows Redis. */
    @Test
    void failoverOnStarling_toRedisReplica_rolesSwapped_partialResync() {
        try (ServerFixture star = startStarling("--repl-diskless-sync-delay", "0"); RedisReference redis = startRedis();
             Jedis m = star.jedis(); Jedis r = new Jedis("127.0.0.1", redis.port())) {
            populate(m);
            r.replicaof("127.0.0.1", star.port());
            writeLoad(m, 100);
            awaitCaughtUp(m, r);
            assertThat(m.sendCommand(FAILOVER)).isEqualTo("OK".getBytes());
            await().atMost(SYNC).until(() -> "master".equals(info(r, "replication").get("role"))
                    && "no-failover".equals(info(m, "replication").get("master_failover_state"))
                    && "up".equals(info(m, "replication").get("master_link_status")));
            assertThat(stat(r, "stats", "sync_partial_ok")).isEqualTo(1);
            assertThat(stat(r, "stats", "sync_full")).isZero();
            assertThat(log(star)).contains("FAILOVER requested to any replica.", "is synced, failing over.",
                    "Trying a partial resynchronization", "Successful partial resynchronization with master.");
            assertThat(redis.log()).contains("MASTER MODE enabled (failover request from '");
            writeLoad(r, 100);
            StarlingReplicationTest.settle(r, m);
            assertSameKeyspace(redis.port(), star.port());
        }
    }

    /** Starling to Starling with TO, TIMEOUT and FORCE: the target acks, the roles swap, the old primary follows partially. */
    @Test
    void failoverToStarling_toTimeoutForce_rolesSwapped() {
        try (ServerFixture a = startStarling("--repl-diskless-sync-delay", "0"); ServerFixture b = startStarling("--repl-diskless-sync-delay", "0");
             Jedis ja = a.jedis(); Jedis jb = b.jedis()) {
            populate(ja);
            jb.replicaof("127.0.0.1", a.port());
            awaitCaughtUp(ja, jb);
            ja.set("x", "1");
            awaitCaughtUp(ja, jb);
            assertThat(ja.sendCommand(FAILOVER, "TO", "127.0.0.1", Integer.toString(b.port()), "TIMEOUT", "1500", "FORCE"))
                    .isEqualTo("OK".getBytes());
            await().atMost(SYNC).until(() -> "master".equals(info(jb, "replication").get("role"))
                    && "no-failover".equals(info(ja, "replication").get("master_failover_state"))
                    && "up".equals(info(ja, "replication").get("master_link_status")));
            assertThat(stat(jb, "stats", "sync_full")).isZero();
            jb.set("y", "2");
            awaitCaughtUp(jb, ja);
            assertThat(ja.get("y")).isEqualTo("2");
            assertSameKeyspace(b.port(), a.port());
        }
    }
}
