package dev.starling.pubsub;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * client-output-buffer-limit for the pubsub class: a subscriber that never reads is disconnected
 * with Redis's log line once its unsent messages pass the hard limit, or stay above the soft limit
 * for longer than the soft seconds. The same scenario runs against redis-server 7.0.
 */
class OutputBufferLimitTest {
    static final Pattern LOG_LINE = Pattern.compile(
            "Client id=\\d+ addr=\\S+ laddr=\\S+ fd=\\d+ name= age=\\d+ idle=\\d+ flags=P db=0 sub=1 psub=0 ssub=0 .* cmd=subscribe "
                    + ".* scheduled to be closed ASAP for overcoming of output buffer limits\\.");

    @TempDir
    Path dir;

    @Test
    void hardLimit_disconnectsSlowSubscriber_starling() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--logfile", log.toString())) {
            flood(s.port(), "pubsub 1mb 0 0", () -> read(log));
        }
    }

    @Test
    void hardLimit_disconnectsSlowSubscriber_redis() throws Exception {
        try (RedisReference r = RedisReference.start()) {
            flood(r.port(), "pubsub 1mb 0 0", r::log);
        }
    }

    @Test
    void softLimit_disconnectsAfterSeconds_starling() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--logfile", log.toString())) {
            flood(s.port(), "pubsub 0 256kb 1", () -> read(log));
        }
    }

    @Test
    void normalClass_ignoresSubscribers_untilPubsubLimitApplies() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--logfile", log.toString());
             RespClient admin = s.raw()) {
            // A normal-class limit does not apply to a subscriber (class pubsub, unlimited here).
            admin.callString("CONFIG", "SET", "client-output-buffer-limit", "normal 64kb 0 0 pubsub 0 0 0");
            try (Socket sub = subscriber(s.port())) {
                for (int i = 0; i < 20; i++) publishBatch(admin, 100);
                assertThat(admin.callString("PUBSUB", "NUMSUB", "ch")).contains(":1");
            }
        }
    }

    @Test
    void normalLimit_bigReplyClosesTheClient_likeRedis() throws Exception {
        Path log = dir.resolve("starling.log");
        try (ServerFixture s = ServerFixture.start("--logfile", log.toString()); RedisReference r = RedisReference.start()) {
            bigReply(s.port());
            bigReply(r.port());
            assertThat(read(log)).contains("flags=N").contains("cmd=get").contains("scheduled to be closed ASAP for overcoming of output buffer limits.");
            assertThat(r.log()).contains("cmd=get").contains("scheduled to be closed ASAP for overcoming of output buffer limits.");
        }
    }

    /** With a 32 KB normal limit a 100 KB GET reply closes the connection and is never sent; 10 KB is fine. */
    static void bigReply(int port) {
        try (RespClient admin = new RespClient(port); RespClient c = new RespClient(port)) {
            admin.callString("CONFIG", "SET", "client-output-buffer-limit", "normal 32kb 0 0");
            admin.callString("SET", "small", "y".repeat(10_000));
            admin.callString("SET", "big", "x".repeat(100_000));
            assertThat(c.callString("GET", "small")).hasSize(10_000 + 10);
            c.send(RespClient.encode(RespClient.args("GET", "big")));
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    /** Sets the limit, subscribes a client that never reads, publishes until it is gone, checks the log. */
    static void flood(int port, String limit, Supplier<String> log) throws Exception {
        try (RespClient pub = new RespClient(port)) {
            assertThat(pub.callString("CONFIG", "SET", "client-output-buffer-limit", limit)).isEqualTo("+OK\r\n");
            try (Socket sub = subscriber(port)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                IntSupplier subscribers = () -> pub.callString("PUBSUB", "NUMSUB", "ch").contains(":1") ? 1 : 0;
                while (subscribers.getAsInt() == 1) {
                    assertThat(System.nanoTime()).as("subscriber still connected").isLessThan(deadline);
                    publishBatch(pub, 100);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> LOG_LINE.matcher(log.get()).find());
                assertThat(pub.callString("INFO", "clients")).contains("connected_clients:1");
            }
        }
    }

    static Socket subscriber(int port) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        s.getOutputStream().write(RespClient.encode(RespClient.args("SUBSCRIBE", "ch")));
        InputStream in = s.getInputStream();
        byte[] confirm = "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n".getBytes();
        for (int i = 0; i < confirm.length; i++) assertThat(in.read()).isEqualTo(confirm[i] & 0xff);
        return s; // never read again
    }

    static final String MESSAGE = "x".repeat(4096);

    static void publishBatch(RespClient pub, int n) {
        byte[] one = RespClient.encode(RespClient.args("PUBLISH", "ch", MESSAGE));
        byte[] batch = new byte[one.length * n];
        for (int i = 0; i < n; i++) System.arraycopy(one, 0, batch, i * one.length, one.length);
        pub.send(batch);
        for (int i = 0; i < n; i++) pub.readReply();
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (Exception e) {
            return "";
        }
    }
}
