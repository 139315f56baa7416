package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.Transaction;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Starling replica of a real redis-server 7.0.15: full sync of every type in several databases
 * (both RDB transfer formats), then a live write load, then the keyspaces compared with DEBUG DIGEST
 * and key by key; a dropped link resynchronizes partially.
 */
class ReplicaSyncTest {
    static final String[] REDIS_OPTS = {"--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"};

    static RedisReference startRedis(String... extra) {
        List<String> o = new ArrayList<>(List.of(REDIS_OPTS));
        o.addAll(List.of(extra));
        return RedisReference.start(o.toArray(new String[0]));
    }

    static ServerFixture startStarling(String... extra) {
        List<String> o = new ArrayList<>(List.of("--enable-debug-command", "yes"));
        o.addAll(List.of(extra));
        String dir = tempDir();
        o.addAll(List.of("--dir", dir, "--loglevel", "notice", "--logfile", dir + "/starling.log"));
        return ServerFixture.start(o.toArray(new String[0]));
    }

    static String tempDir() {
        try {
            return java.nio.file.Files.createTempDirectory("starling-replica").toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> info(Jedis j, String section) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String line : j.info(section).split("\r\n")) {
            int i = line.indexOf(':');
            if (i > 0 && !line.startsWith("#")) m.put(line.substring(0, i), line.substring(i + 1));
        }
        return m;
    }

    static void awaitLinkUp(Jedis replica) {
        await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(info(replica, "replication").get("master_link_status")));
    }

    /** Waits until the replica has applied everything the master sent. */
    static void awaitCaughtUp(Jedis master, Jedis replica) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            String mo = info(master, "replication").get("master_repl_offset");
            Map<String, String> r = info(replica, "replication");
            return "up".equals(r.get("master_link_status")) && mo.equals(r.get("slave_repl_offset"));
        });
    }

    /** Every type in small and big encodings, with TTLs, in databases 0, 3 and 9, and a stream. */
    static void populate(Jedis r) {
        populateWithoutStreams(r);
        r.xadd("stream", StreamEntryID.NEW_ENTRY, Map.of("k", "v"));
    }

    /** Every type Starling has commands for (no streams yet), small and big encodings, with TTLs, in databases 0, 3 and 9. */
    static void populateWithoutStreams(Jedis r) {
        for (int db : new int[] {0, 3, 9}) {
            r.select(db);
            String p = "d" + db + ":";
            r.set(p + "str", "hello");
            r.set(p + "int", "12345");
            r.set(p + "big", "x".repeat(20000));
            r.setex(p + "ttl", 1000, "v");
            r.rpush(p + "list", "a", "b", "c");
            for (int i = 0; i < 300; i++) r.rpush(p + "biglist", "element-" + i + "-" + "y".repeat(i % 50));
            r.hset(p + "hash", Map.of("f1", "v1", "f2", "v2"));
            for (int i = 0; i < 600; i++) r.hset(p + "bighash", "field" + i, "value" + i);
            r.sadd(p + "intset", "1", "2", "3");
            r.sadd(p + "set", "a", "b", "c");
            for (int i = 0; i < 700; i++) r.sadd(p + "bigset", "member" + i);
            r.zadd(p + "zset", Map.of("a", 1.0, "b", 2.5));
            for (int i = 0; i < 200; i++) r.zadd(p + "bigzset", i * 1.5, "m" + i);
            r.pfadd(p + "hll", "a", "b", "c");
            r.pexpire(p + "list", 500_000);
            r.expire(p + "bighash", 9000);
        }
        r.select(0);
    }

    /** A write load of every family, transactions, expiring keys and a script. */
    static void writeLoad(Jedis r, int rounds) {
        writeLoad(r, rounds, true);
    }

    /** The write load; scripts only where the primary has Lua (not Starling yet). */
    static void writeLoad(Jedis r, int rounds, boolean scripts) {
        for (int i = 0; i < rounds; i++) {
            r.select(i % 4);
            r.set("k" + i, "v" + i);
            r.incr("counter");
            r.lpush("l", "x" + i);
            r.hincrBy("h", "f" + (i % 7), 1);
            r.sadd("s", "m" + (i % 13));
            r.zincrby("z", 1.5, "m" + (i % 11));
            r.append("str", "ab");
            r.incrByFloat("fl", 0.5);
            if (i % 5 == 0) r.psetex("short" + i, 50, "gone-soon");
            if (i % 7 == 0) r.expire("k" + i, 100);
            if (i % 3 == 0) r.lpop("l");
            if (i % 10 == 0) {
                Transaction t = r.multi();
                t.set("tx" + i, "1");
                t.incrBy("tx" + i, 5);
                t.rpush("txl", "a", "b");
                t.exec();
            }
            if (scripts && i % 25 == 0) {
                r.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('hset', KEYS[2], 'f', ARGV[1])", 2, "ev" + i, "evh", "val" + i);
            }
            if (i % 17 == 0) r.spop("s");
            if (i % 19 == 0) r.del("k" + (i - 1));
        }
        r.select(0);
    }

    /** Asserts the two servers hold the same keyspace: DEBUG DIGEST and every key's DIGEST-VALUE and expire time. */
    static void assertSameKeyspace(int masterPort, int replicaPort) {
        try (RespClient m = new RespClient(masterPort); RespClient r = new RespClient(replicaPort)) {
            for (int db = 0; db < 16; db++) {
                m.callString("SELECT", Integer.toString(db));
                r.callString("SELECT", Integer.toString(db));
                List<String> keys = bulks(m.callString("KEYS", "*"));
                assertThat(bulks(r.callString("KEYS", "*"))).as("keys of db " + db).containsExactlyInAnyOrderElementsOf(keys);
                for (String k : keys) {
                    assertThat(r.callString("DEBUG", "DIGEST-VALUE", k)).as("db " + db + " key " + k)
                            .isEqualTo(m.callString("DEBUG", "DIGEST-VALUE", k));
                    // The absolute time, not TTL: two TTL calls may straddle a second boundary.
                    assertThat(r.callString("PEXPIRETIME", k)).as("expire time of " + k).isEqualTo(m.callString("PEXPIRETIME", k));
                }
            }
            assertThat(r.callString("DEBUG", "DIGEST")).isEqualTo(m.callString("DEBUG", "DIGEST"));
        }
    }

    /** The bulk strings of a raw RESP2 array reply. */
    static List<String> bulks(String raw) {
        List<String> out = new ArrayList<>();
        String[] lines = raw.split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].startsWith("$")) out.add(lines[++i]);
        }
        return out;
    }

    static void assertValid(ServerFixture star) {
        String[] err = new String[1];
        star.onExecutor(() -> err[0] = star.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    static String log(ServerFixture star) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(star.server.config.dir, "starling.log"));
        } catch (java.io.IOException e) {
            return "";
        }
    }

    static String str(Object o) {
        if (o instanceof byte[] b) return new String(b);
        if (o instanceof List<?> l) {
            StringBuilder sb = new StringBuilder();
            for (Object x : l) sb.append(str(x)).append(',');
            return sb.toString();
        }
        return String.valueOf(o);
    }

    @Test
    void fullSyncDiskless_thenLiveStream_keyspacesEqual() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            populate(m);
            assertThat(s.replicaof("127.0.0.1", redis.port())).isEqualTo("OK");
            awaitLinkUp(s);
            awaitCaughtUp(m, s);
            assertSameKeyspace(redis.port(), star.port());
            writeLoad(m, 400);
            awaitCaughtUp(m, s);
            // Keys set to expire in 50 ms go on the master (DEL propagated) before the compare.
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                m.select(0);
                return m.dbSize() == s.dbSize();
            });
            awaitCaughtUp(m, s);
            assertSameKeyspace(redis.port(), star.port());
            assertValid(star);
        }
    }

    @Test
    void fullSyncDiskBased_withLengthPrefix() {
        try (RedisReference redis = startRedis("--repl-diskless-sync", "no"); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            populate(m);
            s.replicaof("127.0.0.1", redis.port());
            awaitLinkUp(s);
            writeLoad(m, 50);
            awaitCaughtUp(m, s);
            assertSameKeyspace(redis.port(), star.port());
        }
    }

    static long stat(Jedis j, String section, String field) {
        return Long.parseLong(info(j, section).get(field));
    }

    @Test
    void linkDroppedByMaster_writesDuringGap_partialResync() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis();
             RespClient raw = redis.raw()) {
            populate(m);
            s.replicaof("127.0.0.1", redis.port());
            awaitCaughtUp(m, s);
            long full = stat(m, "stats", "sync_full"), partial = stat(m, "stats", "sync_partial_ok");
            // The kill and the writes run in one EXEC, so the writes happen while the link is down.
            raw.callString("MULTI");
            raw.callString("CLIENT", "KILL", "TYPE", "replica");
            for (int i = 0; i < 50; i++) raw.callString("SET", "gap" + i, "v" + i);
            raw.callString("HSET", "gaphash", "f", "v");
            assertThat(raw.callString("EXEC")).startsWith("*52\r\n:1\r\n");
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(m, "stats", "sync_partial_ok") == partial + 1);
            writeLoad(m, 100);
            awaitCaughtUp(m, s);
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(full);
            assertSameKeyspace(redis.port(), star.port());
            assertThat(log(star)).contains("Connection with master lost.", "Caching the disconnected master state.",
                    "Successful partial resynchronization with master.",
                    "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        }
    }

    @Test
    void clientKillTypeMaster_onReplica_partialResync() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            m.set("a", "1");
            s.replicaof("127.0.0.1", redis.port());
            awaitCaughtUp(m, s);
            assertThat(s.clientList()).containsPattern("addr=127.0.0.1:" + redis.port() + " .* flags=M ");
            long partial = stat(m, "stats", "sync_partial_ok");
            try (RespClient r = star.raw()) {
                assertThat(r.callString("CLIENT", "KILL", "TYPE", "master")).isEqualTo(":1\r\n");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(m, "stats", "sync_partial_ok") == partial + 1);
            m.set("b", "2");
            awaitCaughtUp(m, s);
            assertThat(s.get("b")).isEqualTo("2");
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(1);
        }
    }

    /** What the replica relays to its own replicas is its master's stream, byte for byte, at the same offsets. */
    @Test
    void appliedStream_isRelayedVerbatim_offsetsEqualMaster() throws Exception {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            populate(m);
            s.replicaof("127.0.0.1", redis.port());
            awaitCaughtUp(m, s);
            try (dev.starling.support.ReplicaStreamReader reader = new dev.starling.support.ReplicaStreamReader(redis.port())) {
                java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
                long[] startS = new long[1];
                StreamConsumer capture = new StreamConsumer() {
                    @Override
                    public int targets() {
                        return Propagator.PROPAGATE_REPL;
                    }

                    @Override
                    public synchronized void append(io.netty.buffer.ByteBuf data, int targets, int selectedDb, long endOffset) {
                        if ((targets & Propagator.PROPAGATE_REPL) == 0) return;
                        byte[] b = new byte[data.readableBytes()];
                        data.getBytes(data.readerIndex(), b);
                        captured.writeBytes(b);
                    }
                };
                star.onExecutor(() -> {
                    star.server.propagator.stream.addConsumer(capture);
                    startS[0] = star.server.propagator.stream.offset();
                });
                writeLoad(m, 200);
                awaitCaughtUp(m, s);
                long end = stat(m, "replication", "master_repl_offset");
                assertThat(stat(s, "replication", "master_repl_offset")).isEqualTo(end);
                byte[] theirs = reader.readUntil(end);
                byte[] ours;
                synchronized (capture) {
                    ours = captured.toByteArray();
                }
                // The master may have expired more keys since end was read: compare up to end only.
                assertThat((long) ours.length).isGreaterThanOrEqualTo(end - startS[0]);
                ours = java.util.Arrays.copyOf(ours, (int) (end - startS[0]));
                long common = end - Math.max(startS[0], reader.startOffset);
                assertThat(common).isGreaterThan(1000);
                assertThat(new String(java.util.Arrays.copyOfRange(ours, (int) (ours.length - common), ours.length), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .isEqualTo(new String(java.util.Arrays.copyOfRange(theirs, (int) (theirs.length - common), theirs.length), java.nio.charset.StandardCharsets.ISO_8859_1));
                star.onExecutor(() -> star.server.propagator.stream.removeConsumer(capture));
            }
        }
    }

    @Test
    void replicaofInConfig_masterauth_waitCountsOurAck() {
        try (RedisReference redis = startRedis();
             Jedis m = new Jedis("127.0.0.1", redis.port())) {
            m.configSet("requirepass", "sekret");
            m.auth("sekret");
            m.set("a", "1");
            try (ServerFixture star = startStarling("--replicaof", "127.0.0.1", Integer.toString(redis.port()), "--masterauth", "sekret");
                 Jedis s = star.jedis()) {
                awaitCaughtUp(m, s);
                assertThat(s.get("a")).isEqualTo("1");
                m.set("b", "2");
                // WAIT sends REPLCONF GETACK; the replica answers with its applied offset.
                assertThat(m.waitReplicas(1, 5000)).isEqualTo(1);
                assertThat(stat(s, "stats", "total_net_repl_input_bytes")).isGreaterThan(0);
                assertThat(log(star)).contains("Connecting to MASTER 127.0.0.1:" + redis.port(),
                        "Partial resynchronization not possible (no cached master)");
            }
        }
    }

    @Test
    void silentMaster_replTimeout_reconnectsAndContinues() {
        try (RedisReference redis = startRedis("--repl-ping-replica-period", "3600"); ServerFixture star = startStarling("--repl-timeout", "1");
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            m.set("a", "1");
            s.replicaof("127.0.0.1", redis.port());
            awaitCaughtUp(m, s);
            await().atMost(Duration.ofSeconds(20)).until(() -> log(star).contains("MASTER timeout: no data nor PING received..."));
            await().atMost(Duration.ofSeconds(20)).until(() -> stat(m, "stats", "sync_partial_ok") >= 1);
            m.set("b", "2");
            awaitCaughtUp(m, s);
            assertThat(s.get("b")).isEqualTo("2");
            assertThat(stat(m, "stats", "sync_full")).isEqualTo(1);
        }
    }

    @Test
    void wrongMasterauth_handshakeFailsAndRetries() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling("--masterauth", "nope");
             Jedis s = star.jedis(); Jedis m = new Jedis("127.0.0.1", redis.port())) {
            m.configSet("requirepass", "sekret");
            s.replicaof("127.0.0.1", redis.port());
            await().atMost(Duration.ofSeconds(20)).until(() -> log(star).contains("Unable to AUTH to MASTER: -WRONGPASS"));
            assertThat(info(s, "replication").get("master_link_status")).isEqualTo("down");
            try (RespClient r = star.raw()) {
                assertThat(r.callString("ROLE")).matches("(?s).*\\$(7\\r\\nconnect|10\\r\\nconnecting|9\\r\\nhandshake)\\r\\n:-1\\r\\n");
            }
        }
    }

    /** A command the replica cannot apply is logged as Redis logs an error sent to the master; the link stays up. */
    @Test
    void commandFailingOnReplica_loggedAsCritical_linkStaysUp() {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            s.replicaof("127.0.0.1", redis.port());
            awaitCaughtUp(m, s);
            m.xadd("st", StreamEntryID.NEW_ENTRY, Map.of("f", "v")); // no stream commands in Starling yet
            m.set("after", "1");
            awaitCaughtUp(m, s);
            assertThat(s.get("after")).isEqualTo("1");
            assertThat(stat(s, "stats", "unexpected_error_replies")).isEqualTo(1);
            assertThat(log(star)).contains("== CRITICAL == This replica is sending an error to its master: 'unknown command 'XADD'");
        }
    }

    /**
     * A bigger dataset and a pipelined redis-benchmark load running through the full sync (the
     * writes queue on the master during the transfer and arrive after the payload), then equal.
     */
    @Test
    void bigDataset_benchmarkLoadDuringSync_keyspacesEqual() throws Exception {
        try (RedisReference redis = startRedis(); ServerFixture star = startStarling();
             Jedis m = new Jedis("127.0.0.1", redis.port()); Jedis s = star.jedis()) {
            try (RespClient raw = redis.raw()) {
                assertThat(raw.callString("DEBUG", "POPULATE", "100000", "pop", "64")).isEqualTo("+OK\r\n");
            }
            populate(m);
            Process bench = new ProcessBuilder("/usr/bin/redis-benchmark", "-p", Integer.toString(redis.port()), "-q",
                    "-n", "30000", "-P", "16", "-r", "5000", "-d", "100",
                    "-t", "set,incr,lpush,rpush,lpop,sadd,hset,spop,zadd,zpopmin,mset")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                s.replicaof("127.0.0.1", redis.port());
                assertThat(bench.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            } finally {
                bench.destroyForcibly();
            }
            awaitCaughtUp(m, s);
            assertThat(s.dbSize()).isEqualTo(m.dbSize());
            try (RespClient a = redis.raw(); RespClient b = star.raw()) {
                assertThat(b.callString("DEBUG", "DIGEST")).isEqualTo(a.callString("DEBUG", "DIGEST"));
            }
            assertValid(star);
        }
    }
}
