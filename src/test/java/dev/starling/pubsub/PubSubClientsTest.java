package dev.starling.pubsub;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Pub/Sub through Lettuce in RESP3 (push frames), and the idle timeout's exemption of subscribers. */
class PubSubClientsTest {

    @Test
    void lettuceResp3_pushMessages_andCommandsWhileSubscribed() {
        try (ServerFixture s = ServerFixture.start()) {
            RedisClient client = RedisClient.create("redis://127.0.0.1:" + s.port());
            try (StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub();
                    var pub = client.connect()) {
                List<String> got = new CopyOnWriteArrayList<>();
                sub.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        got.add(channel + "=" + message);
                    }

                    @Override
                    public void message(String pattern, String channel, String message) {
                        got.add(pattern + ":" + channel + "=" + message);
                    }
                });
                sub.sync().subscribe("a");
                sub.sync().psubscribe("a*");
                sub.sync().ssubscribe("s");
                // RESP3: a subscribed connection may still run any command.
                assertThat(sub.sync().ping()).isEqualTo("PONG");
                assertThat(pub.sync().publish("a", "m")).isEqualTo(2);
                assertThat(pub.sync().spublish("s", "x")).isEqualTo(1);
                await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 2);
                assertThat(got).containsExactlyInAnyOrder("a=m", "a*:a=m");
                assertThat(pub.sync().pubsubShardNumsub("s")).containsEntry("s", 1L);
                sub.sync().unsubscribe();
                sub.sync().punsubscribe();
                assertThat(pub.sync().pubsubNumpat()).isZero();
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    void timeout_neverClosesSubscribers() {
        try (ServerFixture s = ServerFixture.start("--timeout", "1"); RespClient sub = s.raw(); RespClient idle = s.raw()) {
            sub.callString("SUBSCRIBE", "ch");
            long until = System.currentTimeMillis() + 2500;
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > until);
            // The idle normal client is gone, the idle subscriber is not.
            assertThat(idle.isClosedByPeer()).isTrue();
            try (Jedis pub = s.jedis()) {
                assertThat(pub.publish("ch", "still here")).isEqualTo(1);
            }
            assertThat(sub.readReplyString()).isEqualTo("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$10\r\nstill here\r\n");
        }
    }
}
