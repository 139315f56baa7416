package dev.starling.pubsub;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Pub/Sub commands and message delivery, byte for byte against redis-server 7.0 (RESP2 and RESP3). */
class PubSubDifferentialTest {
    static Differential diff;
    final List<Pair> pairs = new ArrayList<>();

    /** One connection to each server; commands go to both and their replies are compared. */
    final class Pair implements AutoCloseable {
        final RespClient ours = diff.starling.raw(), theirs = diff.redis.raw();

        Pair() {
            pairs.add(this);
        }

        Pair resp(int v) {
            send(ours, 1, "HELLO", Integer.toString(v));
            send(theirs, 1, "HELLO", Integer.toString(v)); // ids differ
            return this;
        }

        /** Sends args to both and compares the next n replies in order. */
        List<String> same(int n, String... args) {
            List<String> expected = send(theirs, n, args), actual = send(ours, n, args);
            assertThat(actual).as("replies to %s", String.join(" ", args)).isEqualTo(expected);
            return actual;
        }

        /** Like same, for replies whose relative order is a Redis hash-table order (UNSUBSCRIBE from all). */
        List<String> sameUnordered(int n, String... args) {
            List<String> expected = send(theirs, n, args), actual = send(ours, n, args);
            // The counts go down one per reply in both; the names may come in another order.
            assertThat(names(actual)).as("replies to %s", String.join(" ", args)).isEqualTo(names(expected));
            assertThat(counts(actual)).isEqualTo(counts(expected));
            return actual;
        }

        /** Reads the next n pushed messages from both and compares them as multisets (several matching patterns). */
        void receiveUnordered(int n) {
            List<String> expected = new ArrayList<>(), actual = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add(theirs.readReplyString());
                actual.add(ours.readReplyString());
            }
            Collections.sort(expected);
            Collections.sort(actual);
            assertThat(actual).isEqualTo(expected);
        }

        /** Reads the next n pushed messages from both and compares them. */
        void receive(int n) {
            List<String> expected = new ArrayList<>(), actual = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add(theirs.readReplyString());
                actual.add(ours.readReplyString());
            }
            assertThat(actual).isEqualTo(expected);
        }

        @Override
        public void close() {
            ours.close();
            theirs.close();
        }
    }

    static List<String> send(RespClient c, int n, String... args) {
        c.send(RespClient.encode(RespClient.args(args)));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(c.readReplyString());
        return out;
    }

    static List<String> names(List<String> replies) {
        List<String> out = new ArrayList<>();
        for (String r : replies) out.add(r.substring(0, r.lastIndexOf(':')));
        Collections.sort(out);
        return out;
    }

    static List<String> counts(List<String> replies) {
        List<String> out = new ArrayList<>();
        for (String r : replies) out.add(r.substring(r.lastIndexOf(':')));
        return out;
    }

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void clean() {
        diff.same("RESET");
        diff.flushAll();
    }

    @AfterEach
    void checkInvariants() {
        for (Pair p : pairs) p.close();
        String[] err = new String[1];
        await().untilAsserted(() -> {
            diff.starling.onExecutor(() -> err[0] = diff.starling.server.pubsub.validate());
            assertThat(err[0]).isNull();
            diff.starling.onExecutor(() -> err[0] = String.valueOf(diff.starling.server.pubsub.channels.size()
                    + diff.starling.server.pubsub.patterns.size() + diff.starling.server.pubsub.shardChannels.size()));
            assertThat(err[0]).isEqualTo("0");
        });
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void subscribeUnsubscribe_repliesAndCounts_matchRedis(int resp) {
        Pair a = new Pair().resp(resp);
        a.same(2, "SUBSCRIBE", "x", "y");
        a.same(1, "SUBSCRIBE", "x");
        a.same(1, "PSUBSCRIBE", "p*");
        a.same(1, "PSUBSCRIBE", "p*");
        a.same(2, "SSUBSCRIBE", "s1", "s2");
        a.same(1, "PING");
        a.same(1, "PING", "hi");
        a.same(1, "PING", "a", "b");
        a.same(1, "GET", "k");
        if (resp == 2) a.same(1, "CLIENT", "LIST"); // rejected; RESP3 runs it (ids and addresses differ)
        a.same(1, "UNSUBSCRIBE", "nosuch");
        a.sameUnordered(2, "SUNSUBSCRIBE");
        a.sameUnordered(2, "UNSUBSCRIBE");
        a.same(1, "PUNSUBSCRIBE");
        a.same(1, "PUNSUBSCRIBE");
        a.same(1, "UNSUBSCRIBE");
        a.same(1, "SUNSUBSCRIBE");
        // Out of subscribed mode every command runs again.
        a.same(1, "PING");
        a.same(1, "GET", "k");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void publish_deliversMessagesAndPatternMessages(int resp) {
        Pair sub = new Pair().resp(resp), sub2 = new Pair().resp(resp), pub = new Pair();
        sub.same(1, "SUBSCRIBE", "news.tech");
        sub.same(1, "PSUBSCRIBE", "news.*");
        sub2.same(2, "PSUBSCRIBE", "n?ws.[st]ech", "other");
        sub2.same(1, "SSUBSCRIBE", "news.tech");
        pub.same(1, "PUBLISH", "news.tech", "hello");
        sub.receive(2);
        sub2.receive(1);
        pub.same(1, "SPUBLISH", "news.tech", "shard");
        sub2.receive(1);
        pub.same(1, "PUBLISH", "news.sport", "goal");
        sub.receive(1);
        pub.same(1, "PUBLISH", "nothing", "x");
        pub.same(1, "PUBSUB", "NUMSUB", "news.tech", "news.sport");
        pub.same(1, "PUBSUB", "NUMSUB");
        pub.same(1, "PUBSUB", "SHARDNUMSUB", "news.tech", "x");
        pub.same(1, "PUBSUB", "NUMPAT");
        pub.same(1, "PUBSUB", "CHANNELS");
        pub.same(1, "PUBSUB", "CHANNELS", "news*");
        pub.same(1, "PUBSUB", "CHANNELS", "zzz*");
        pub.same(1, "PUBSUB", "SHARDCHANNELS");
        pub.same(1, "PUBSUB", "SHARDCHANNELS", "n*");
        pub.same(1, "PUBSUB", "CHANNELS", "a", "b");
        pub.same(1, "PUBSUB", "SHARDCHANNELS", "a", "b");
        pub.same(1, "PUBSUB", "NUMPAT", "x");
        pub.same(1, "PUBSUB", "HELP");
        pub.same(1, "PUBSUB", "HELP", "x");
        pub.same(1, "PUBSUB", "NOSUCH");
        pub.same(1, "PUBSUB");
        pub.same(1, "PUBLISH", "a");
        pub.same(1, "SUBSCRIBE");
        // A RESP3 subscriber keeps running ordinary commands; messages arrive as push data.
        if (resp == 3) {
            sub.same(1, "SET", "k", "v");
            sub.same(1, "GET", "k");
        }
    }

    @Test
    void infoAndClientList_countSubscriptions() {
        Pair a = new Pair(), b = new Pair();
        a.same(2, "SUBSCRIBE", "c1", "c2");
        a.same(2, "PSUBSCRIBE", "p1", "p2");
        b.same(1, "PSUBSCRIBE", "p1");
        b.same(1, "SSUBSCRIBE", "s");
        for (String f : new String[] {"pubsub_channels", "pubsub_patterns", "pubsubshard_channels"}) {
            assertThat(field(diff.ours().callString("INFO", "stats"), f)).isEqualTo(field(diff.theirs().callString("INFO", "stats"), f));
        }
        String ours = diff.ours().callString("CLIENT", "LIST"), theirs = diff.theirs().callString("CLIENT", "LIST");
        assertThat(subFields(ours)).isEqualTo(subFields(theirs)).contains("flags=P sub=2 psub=2 ssub=0", "flags=P sub=0 psub=1 ssub=1");
        a.same(1, "RESET");
        b.ours.close();
        b.theirs.close();
        await().untilAsserted(() -> assertThat(field(diff.ours().callString("INFO", "stats"), "pubsub_patterns")).isEqualTo("0"));
        assertThat(subFields(diff.ours().callString("CLIENT", "LIST"))).containsOnly("flags=N sub=0 psub=0 ssub=0");
        diff.same("PUBSUB", "NUMPAT");
        diff.same("PUBSUB", "CHANNELS");
        diff.same("PUBLISH", "c1", "x");
    }

    static String field(String info, String name) {
        Matcher m = Pattern.compile(name + ":(\\S+)").matcher(info);
        return m.find() ? m.group(1) : null;
    }

    static List<String> subFields(String clientList) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(flags=\\S+) db=\\d+ (sub=\\d+ psub=\\d+ ssub=\\d+)").matcher(clientList);
        while (m.find()) out.add(m.group(1) + " " + m.group(2));
        Collections.sort(out);
        return out;
    }

    @Test
    void multi_subscribeAllowedInExec_ssubscribeDenied() {
        Pair a = new Pair();
        a.same(1, "MULTI");
        a.same(1, "SSUBSCRIBE", "q");
        a.same(1, "SUBSCRIBE", "z");
        a.same(1, "EXEC");
        // In subscribed RESP2 mode MULTI itself is rejected.
        a.same(1, "MULTI");
        a.same(1, "RESET");
    }

    @Test
    void clientReplyOff_stillReceivesPushes() {
        Pair a = new Pair(), pub = new Pair();
        a.ours.send(RespClient.encode(RespClient.args("CLIENT", "REPLY", "OFF")));
        a.theirs.send(RespClient.encode(RespClient.args("CLIENT", "REPLY", "OFF")));
        a.same(1, "SUBSCRIBE", "z");
        pub.same(1, "PUBLISH", "z", "hello");
        a.receive(1);
    }

    @Test
    void binaryChannelsAndPatternEscapes() {
        Pair a = new Pair(), pub = new Pair();
        a.same(1, "PSUBSCRIBE", "a\\*b");
        a.same(1, "SUBSCRIBE", "bin\u0000\u00ff");
        pub.same(1, "PUBLISH", "a*b", "1");
        pub.same(1, "PUBLISH", "axb", "2");
        pub.same(1, "PUBLISH", "bin\u0000\u00ff", "3");
        a.receive(2);
    }

    @Test
    void clientKill_dropsSubscriptions() {
        Pair a = new Pair();
        a.same(1, "SUBSCRIBE", "k1");
        a.same(1, "PSUBSCRIBE", "k*");
        String id = diff.ours().callString("CLIENT", "LIST").replaceAll("(?s).*id=(\\d+) [^\n]*cmd=psubscribe.*", "$1");
        assertThat(diff.ours().callString("CLIENT", "KILL", "ID", id)).isEqualTo(":1\r\n");
        await().untilAsserted(() -> assertThat(diff.ours().callString("PUBSUB", "NUMPAT")).isEqualTo(":0\r\n"));
        assertThat(diff.ours().callString("PUBLISH", "k1", "x")).isEqualTo(":0\r\n");
    }

    @Test
    void jedisSubscriber_receivesMessagesAndPatternMessages() throws Exception {
        java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        redis.clients.jedis.JedisPubSub listener = new redis.clients.jedis.JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                got.add(channel + "=" + message);
            }

            @Override
            public void onPMessage(String pattern, String channel, String message) {
                got.add(pattern + ":" + channel + "=" + message);
                if (message.equals("stop")) punsubscribe();
            }

            @Override
            public void onPSubscribe(String pattern, int count) {
                got.add("psubscribed " + count);
            }
        };
        try (redis.clients.jedis.Jedis sub = diff.starling.jedis(); redis.clients.jedis.Jedis pub = diff.starling.jedis()) {
            Thread t = new Thread(() -> sub.psubscribe(listener, "j.*"));
            t.start();
            assertThat(got.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("psubscribed 1");
            assertThat(pub.publish("j.one", "hello")).isEqualTo(1);
            assertThat(pub.publish("j.two", "stop")).isEqualTo(1);
            assertThat(got.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("j.*:j.one=hello");
            assertThat(got.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("j.*:j.two=stop");
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
            assertThat(sub.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void subscribedResp2_everyOtherCommandRejected_withRedisErrorsAndStats() {
        diff.same("CONFIG", "RESETSTAT");
        Pair p = new Pair();
        p.same(1, "SUBSCRIBE", "ch");
        for (String[] cmd : new String[][] {{"GET", "x"}, {"SET", "x", "1"}, {"MULTI"}, {"EXEC"}, {"EXEC", "extra"},
                {"MONITOR"}, {"CLIENT", "INFO"}, {"PUBLISH", "ch", "m"}, {"PUBSUB", "NUMPAT"}, {"HELLO"}, {"SELECT", "1"},
                {"INFO"}, {"NOSUCHCMD"}, {"GET"}, {"CLIENT", "NOSUCHSUB"}, {"ECHO", "x"}}) {
            p.same(1, cmd);
        }
        // The rejections count as rejected calls, as in Redis.
        assertThat(commandStats(diff.ours())).isEqualTo(commandStats(diff.theirs())).contains("cmdstat_get:calls=0,rejected_calls=2");
        p.same(1, "RESET");
        // A rejected EXEC answers EXECABORT even outside MULTI (Redis's rejectCommand).
        p.same(1, "EXEC", "extra");
        p.same(1, "EXEC");
        p.same(1, "SUBSCRIBE", "ch");
        p.same(1, "QUIT");
        assertThat(p.ours.isClosedByPeer()).isTrue();
    }

    /** The commandstats lines without timings, sorted (Redis lists them in hash order). */
    static String commandStats(RespClient c) {
        String stats = c.callString("INFO", "commandstats").replaceAll(",usec=\\d+,usec_per_call=[\\d.]+", "")
                .replaceAll("(?m)^cmdstat_(info|config\\|resetstat|ping|hello|subscribe|quit|reset).*\r\n", "");
        List<String> lines = new ArrayList<>(List.of(stats.substring(stats.indexOf("# Commandstats")).split("\r\n")));
        Collections.sort(lines);
        return String.join("\n", lines);
    }

    @Test
    void publish_severalMatchingPatterns_oneMessageEach() {
        Pair sub = new Pair(), pub = new Pair();
        sub.same(3, "PSUBSCRIBE", "*", "a*", "a[bc]");
        sub.same(1, "PSUBSCRIBE", "*");
        pub.same(1, "PUBLISH", "ab", "m");
        sub.receiveUnordered(3);
        pub.same(1, "PUBLISH", "b", "m");
        sub.receive(1);
        sub.sameUnordered(3, "PUNSUBSCRIBE");
    }

    @Test
    void monitor_seesSubscribeAndPublishAfterTheMessages_andMaySubscribe() {
        Pair mon = new Pair(), sub = new Pair(), pub = new Pair();
        mon.same(1, "MONITOR");
        sub.same(1, "SUBSCRIBE", "ch");
        pub.same(1, "PUBLISH", "ch", "hi");
        sub.receive(1);
        for (RespClient m : new RespClient[] {mon.ours, mon.theirs}) {
            assertThat(m.readReplyString()).matches("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] \"SUBSCRIBE\" \"ch\"\r\n");
            assertThat(m.readReplyString()).matches("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] \"PUBLISH\" \"ch\" \"hi\"\r\n");
        }
        // A monitor may subscribe; it then gets its messages as well as the feed.
        mon.same(1, "SUBSCRIBE", "ch");
        for (RespClient m : new RespClient[] {mon.ours, mon.theirs}) {
            assertThat(m.readReplyString()).matches("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] \"SUBSCRIBE\" \"ch\"\r\n");
        }
        pub.same(1, "PUBLISH", "ch", "again");
        sub.receive(1);
        mon.receive(1);
        for (RespClient m : new RespClient[] {mon.ours, mon.theirs}) {
            assertThat(m.readReplyString()).matches("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] \"PUBLISH\" \"ch\" \"again\"\r\n");
        }
        // A subscribed RESP2 client cannot become a monitor.
        sub.same(1, "MONITOR");
    }

    @Test
    void keyspaceEvents_toChannelSubscribers_areMessages() {
        Pair sub = new Pair();
        sub.same(2, "SUBSCRIBE", "__keyevent@0__:set", "__keyspace@0__:k");
        diff.same("CONFIG", "SET", "notify-keyspace-events", "KE$");
        try {
            diff.same("SET", "k", "v");
            sub.receive(2);
        } finally {
            diff.same("CONFIG", "SET", "notify-keyspace-events", "");
        }
    }

    @Test
    void clientListAndKill_typePubsub_selectSubscribers() {
        Pair a = new Pair(), b = new Pair();
        a.same(1, "PSUBSCRIBE", "x");
        b.same(1, "SSUBSCRIBE", "s");
        assertThat(diff.ours().callString("CLIENT", "LIST", "TYPE", "pubsub").split("flags=P ", -1)).hasSize(3);
        assertThat(diff.theirs().callString("CLIENT", "LIST", "TYPE", "pubsub").split("flags=P ", -1)).hasSize(3);
        diff.same("CLIENT", "KILL", "TYPE", "pubsub");
        assertThat(a.ours.isClosedByPeer()).isTrue();
        assertThat(b.theirs.isClosedByPeer()).isTrue();
        await().untilAsserted(() -> assertThat(diff.ours().callString("PUBSUB", "SHARDNUMSUB", "s")).isEqualTo("*2\r\n$1\r\ns\r\n:0\r\n"));
        diff.same("PUBSUB", "NUMPAT");
        diff.same("CLIENT", "KILL", "TYPE", "pubsub");
    }
}
