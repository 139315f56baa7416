package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** MONITOR, SLOWLOG, CLIENT KILL/PAUSE, timeout and requirepass, driven by raw and real clients. */
class AdminBehaviourTest {

    @Test
    void monitor_secondConnection_seesCommandsInRedisFormat() {
        try (ServerFixture s = ServerFixture.start(); RespClient mon = s.raw(); RespClient cl = s.raw()) {
            assertThat(mon.callString("MONITOR")).isEqualTo("+OK\r\n");
            cl.call(RespClient.args("SELECT", "2"));
            cl.call(new byte[][]{"SET".getBytes(), "a".getBytes(), "b c\"\n\u0001".getBytes(), new byte[]{(byte) 0xc3, (byte) 0xa9}});
            cl.call(RespClient.args("AUTH", "secret"));
            cl.call(RespClient.args("CLIENT", "LIST")); // admin: not shown
            cl.call(RespClient.args("HELLO", "2", "AUTH", "default", "pw"));
            assertThat(mon.readReplyString()).matches("\\+\\d{10}\\.\\d{6} \\[2 127\\.0\\.0\\.1:\\d+\\] \"SELECT\" \"2\"\r\n");
            assertThat(mon.readReplyString()).matches("\\+\\d{10}\\.\\d{6} \\[2 127\\.0\\.0\\.1:\\d+\\] \"SET\" \"a\" \"b c\\\\\"\\\\n\\\\x01\" \"\\\\xc3\\\\xa9\"\r\n");
            assertThat(mon.readReplyString()).endsWith("] \"AUTH\" \"(redacted)\"\r\n");
            assertThat(mon.readReplyString()).endsWith("] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n");
        }
    }

    @Test
    void monitor_lineFormat_matchesRedisAfterMaskingTimeAndPort() {
        try (Differential d = new Differential();
             RespClient m1 = new RespClient(d.redis.port()); RespClient m2 = new RespClient(d.starling.port())) {
            m1.call(RespClient.args("MONITOR"));
            m2.call(RespClient.args("MONITOR"));
            String[][] cmds = {{"SET", "k", "12345"}, {"GET", "k\\x"}, {"ECHO", "tab\there"}, {"AUTH", "a", "b"}};
            for (String[] c : cmds) {
                d.theirs().call(RespClient.args(c));
                d.ours().call(RespClient.args(c));
                String theirs = m1.readReplyString().replaceAll("^\\+\\d+\\.\\d+ \\[0 127\\.0\\.0\\.1:\\d+\\]", "");
                String ours = m2.readReplyString().replaceAll("^\\+\\d+\\.\\d+ \\[0 127\\.0\\.0\\.1:\\d+\\]", "");
                assertThat(ours).isEqualTo(theirs);
            }
        }
    }

    @Test
    void slowlog_entries_trimmedAsRedis() {
        try (Differential d = new Differential("--slowlog-log-slower-than", "0", "--slowlog-max-len", "4")) {
            String[] many = new String[40];
            many[0] = "DEL";
            for (int i = 1; i < 40; i++) many[i] = "k" + i;
            String big = "x".repeat(200);
            d.same("SLOWLOG", "RESET");
            d.same(many);
            d.same("ECHO", big);
            d.same("CLIENT", "SETNAME", "me");
            d.same("SLOWLOG", "LEN");
            String theirs = mask(d.theirs().callString("SLOWLOG", "GET", "-1"));
            String ours = mask(d.ours().callString("SLOWLOG", "GET", "-1"));
            assertThat(ours).isEqualTo(theirs);
            assertThat(ours).contains("... (9 more arguments)").contains("... (72 more bytes)");
            d.same("SLOWLOG", "GET", "0");
        }
    }

    static String mask(String s) {
        return s.replaceAll("\\*6\r\n:\\d+\r\n:\\d+\r\n:\\d+\r\n", "*6\r\n:ID\r\n:T\r\n:D\r\n")
                .replaceAll("\\$\\d+\r\n127\\.0\\.0\\.1:\\d+\r\n", "\\$N\r\nADDR\r\n");
    }

    @Test
    void clientKill_filters_killMatchingClientsOnly() {
        try (ServerFixture s = ServerFixture.start(); RespClient admin = s.raw(); RespClient a = s.raw(); RespClient b = s.raw()) {
            long idA = Long.parseLong(a.callString("CLIENT", "ID").substring(1).trim());
            String addrB = b.callString("CLIENT", "INFO").replaceAll("(?s).*? addr=(\\S+) .*", "$1");
            assertThat(admin.callString("CLIENT", "KILL", "ID", Long.toString(idA))).isEqualTo(":1\r\n");
            assertThat(a.isClosedByPeer()).isTrue();
            assertThat(admin.callString("CLIENT", "KILL", addrB)).isEqualTo("+OK\r\n");
            assertThat(b.isClosedByPeer()).isTrue();
            // SKIPME yes (default) spares the caller; TYPE normal would otherwise match it.
            assertThat(admin.callString("CLIENT", "KILL", "TYPE", "normal")).isEqualTo(":0\r\n");
            assertThat(admin.callString("CLIENT", "KILL", "TYPE", "pubsub")).isEqualTo(":0\r\n");
            try (RespClient c = s.raw()) {
                c.callString("PING");
                assertThat(admin.callString("CLIENT", "KILL", "USER", "default")).isEqualTo(":1\r\n");
                assertThat(c.isClosedByPeer()).isTrue();
            }
            assertThat(admin.callString("CLIENT", "KILL", "LADDR", "127.0.0.1:" + s.port(), "SKIPME", "no")).isEqualTo(":1\r\n");
            assertThat(admin.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void clientPauseWrite_blocksWritesNotReads_untilUnpause() throws Exception {
        try (ServerFixture s = ServerFixture.start(); Jedis admin = s.jedis(); Jedis writer = s.jedis(); Jedis reader = s.jedis()) {
            admin.set("k", "v0");
            assertThat(admin.clientPause(60_000, redis.clients.jedis.args.ClientPauseMode.WRITE)).isEqualTo("OK");
            CompletableFuture<String> write = CompletableFuture.supplyAsync(() -> writer.set("k", "v1"));
            assertThat(reader.get("k")).isEqualTo("v0");
            await().atMost(Duration.ofSeconds(5)).until(() -> admin.clientList().contains("flags=b"));
            assertThat(write).isNotDone();
            assertThat(admin.clientUnpause()).isEqualTo("OK");
            assertThat(write.get(5, TimeUnit.SECONDS)).isEqualTo("OK");
            assertThat(reader.get("k")).isEqualTo("v1");
        }
    }

    @Test
    void clientPause_deadline_resumesPostponedClients() throws Exception {
        try (ServerFixture s = ServerFixture.start(); Jedis admin = s.jedis(); Jedis writer = s.jedis()) {
            admin.clientPause(300);
            long start = System.nanoTime();
            assertThat(writer.set("k", "v")).isEqualTo("OK");
            assertThat(System.nanoTime() - start).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(150));
            assertThat(writer.get("k")).isEqualTo("v");
        }
    }

    @Test
    void timeout_idleClient_isClosed() {
        try (ServerFixture s = ServerFixture.start("--timeout", "1"); RespClient idle = s.raw(); RespClient sub = s.raw()) {
            assertThat(idle.callString("PING")).isEqualTo("+PONG\r\n");
            await().atMost(Duration.ofSeconds(6)).until(idle::isClosedByPeer);
        }
    }

    @Test
    void requirepass_noauthThenAuth_repliesAsRedis() {
        // Texts observed from redis-server 7.0.15 --requirepass pw (the reference fixture cannot start with a password).
        String noauth = "-NOAUTH Authentication required.\r\n";
        String wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
        try (ServerFixture s = ServerFixture.start("--requirepass", "pw"); RespClient c = s.raw()) {
            assertThat(c.callString("GET", "a")).isEqualTo(noauth);
            assertThat(c.callString("HELLO", "3")).isEqualTo("-NOAUTH HELLO must be called with the client already authenticated, "
                    + "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
                    + "protocol version at the same time\r\n");
            assertThat(c.callString("AUTH", "wrong")).isEqualTo(wrongpass);
            assertThat(c.callString("AUTH", "default", "wrong")).isEqualTo(wrongpass);
            assertThat(c.callString("AUTH", "pw")).isEqualTo("+OK\r\n");
            assertThat(c.callString("GET", "a")).isEqualTo("$-1\r\n");
            assertThat(c.callString("RESET")).isEqualTo("+RESET\r\n");
            assertThat(c.callString("GET", "a")).isEqualTo(noauth);
            assertThat(c.callString("HELLO", "2", "AUTH", "default", "wrong")).isEqualTo(wrongpass);
            assertThat(c.callString("HELLO", "2", "AUTH", "default", "pw")).matches("\\*14\r\n\\$6\r\nserver\r\n\\$5\r\nredis\r\n"
                    + "\\$7\r\nversion\r\n\\$6\r\n7\\.0\\.15\r\n\\$5\r\nproto\r\n:2\r\n\\$2\r\nid\r\n:\\d+\r\n\\$4\r\nmode\r\n"
                    + "\\$10\r\nstandalone\r\n\\$4\r\nrole\r\n\\$6\r\nmaster\r\n\\$7\r\nmodules\r\n\\*0\r\n");
            assertThat(c.callString("CLIENT", "SETNAME", "x")).isEqualTo("+OK\r\n");
        }
    }

    @Test
    void jedis_withPassword_works() {
        try (ServerFixture s = ServerFixture.start("--requirepass", "secret"); Jedis j = s.jedis()) {
            assertThatThrownBy(() -> j.set("a", "b")).isInstanceOf(JedisDataException.class).hasMessageContaining("NOAUTH");
            assertThat(j.auth("secret")).isEqualTo("OK");
            assertThat(j.set("a", "b")).isEqualTo("OK");
            assertThat(j.clientId()).isPositive();
        }
    }

    @Test
    void lettuce_resp3Default_connectsAndWorks() {
        try (ServerFixture s = ServerFixture.start("--requirepass", "pw")) {
            RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(s.port())
                    .withPassword("pw".toCharArray()).build());
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                assertThat(conn.sync().set("k", "v")).isEqualTo("OK");
                assertThat(conn.sync().get("k")).isEqualTo("v");
                assertThat(conn.sync().clientList()).contains("resp=3");
                assertThat(conn.sync().time()).hasSize(2);
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    void shutdownNosave_closesConnectionAndStopsServer() throws Exception {
        ServerFixture s = ServerFixture.start();
        try (RespClient c = s.raw()) {
            assertThat(c.callString("SHUTDOWN", "ABORT")).isEqualTo("-ERR No shutdown in progress.\r\n");
            c.send("SHUTDOWN NOSAVE\r\n".getBytes());
            assertThat(c.isClosedByPeer()).isTrue();
            CompletableFuture.runAsync(() -> {
                try {
                    s.server.awaitTermination();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }).get(10, TimeUnit.SECONDS);
        } finally {
            s.close();
        }
    }

    @Test
    void maxclients_refusesExtraConnection_likeRedis() {
        try (ServerFixture s = ServerFixture.start("--maxclients", "1"); RespClient first = s.raw(); RespClient second = s.raw()) {
            assertThat(first.callString("PING")).isEqualTo("+PONG\r\n");
            assertThat(second.readReplyString()).isEqualTo("-ERR max number of clients reached\r\n");
        }
        try (RedisReference r = RedisReference.start("--maxclients", "1"); RespClient first = r.raw(); RespClient second = r.raw()) {
            assertThat(first.callString("PING")).isEqualTo("+PONG\r\n");
            assertThat(second.readReplyString()).isEqualTo("-ERR max number of clients reached\r\n");
        }
    }
}
