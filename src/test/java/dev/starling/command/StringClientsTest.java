package dev.starling.command;

import dev.starling.support.ServerFixture;
import io.lettuce.core.BitFieldArgs;
import io.lettuce.core.GetExArgs;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LcsArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.args.BitOP;
import redis.clients.jedis.params.BitPosParams;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.LCSParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.LCSMatchResult;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The string family through real clients: Jedis and Lettuce. */
class StringClientsTest {
    static ServerFixture server;

    @BeforeAll
    static void start() {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void jedis_stringFamily_behavesAsRedis() {
        try (Jedis j = server.jedis()) {
            assertThat(j.set("j:a", "1")).isEqualTo("OK");
            assertThat(j.incr("j:a")).isEqualTo(2);
            assertThat(j.incrBy("j:a", 40)).isEqualTo(42);
            assertThat(j.decrBy("j:a", 2)).isEqualTo(40);
            assertThat(j.incrByFloat("j:a", 0.5)).isEqualTo(40.5);
            assertThat(j.get("j:a")).isEqualTo("40.5");
            assertThat(j.set("j:a", "x", SetParams.setParams().nx())).isNull();
            assertThat(j.setGet("j:a", "y")).isEqualTo("40.5");
            assertThat(j.set("j:b", "v", SetParams.setParams().ex(100))).isEqualTo("OK");
            assertThat(j.setnx("j:b", "w")).isZero();
            assertThat(j.setex("j:c", 10, "c")).isEqualTo("OK");
            assertThat(j.psetex("j:d", 10000, "d")).isEqualTo("OK");
            assertThat(j.mget("j:a", "j:b", "j:c", "j:d", "j:none")).containsExactly("y", "v", "c", "d", null);
            assertThat(j.mset("j:e", "1", "j:f", "2")).isEqualTo("OK");
            assertThat(j.msetnx("j:f", "3", "j:g", "4")).isZero();
            assertThat(j.getSet("j:e", "11")).isEqualTo("1");
            assertThat(j.getDel("j:e")).isEqualTo("11");
            assertThat(j.getEx("j:f", GetExParams.getExParams().persist())).isEqualTo("2");
            assertThat(j.append("j:h", "hello")).isEqualTo(5);
            assertThat(j.append("j:h", " world")).isEqualTo(11);
            assertThat(j.strlen("j:h")).isEqualTo(11);
            assertThat(j.getrange("j:h", -5, -1)).isEqualTo("world");
            assertThat(j.setrange("j:h", 6, "WORLD")).isEqualTo(11);
            assertThat(j.get("j:h")).isEqualTo("hello WORLD");
            assertThat(j.setbit("j:bits", 7, true)).isFalse();
            assertThat(j.getbit("j:bits", 7)).isTrue();
            assertThat(j.bitcount("j:h")).isPositive();
            assertThat(j.bitpos("j:bits", true)).isEqualTo(7);
            assertThat(j.bitpos("j:bits", false, new BitPosParams(0))).isEqualTo(0);
            assertThat(j.bitop(BitOP.NOT, "j:not", "j:bits")).isEqualTo(1);
            assertThat(j.get("j:not".getBytes())).containsExactly((byte) 0xfe);
            assertThat(j.bitfield("j:bf", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100", "GET", "u8", "0"))
                    .containsExactly(0L, 44L, 44L);
            assertThat(j.bitfieldReadonly("j:bf", "GET", "i8", "0")).containsExactly(44L);
            j.mset("j:l1", "ohmytext", "j:l2", "mynewtext");
            LCSMatchResult lcs = j.lcs("j:l1", "j:l2", LCSParams.LCSParams());
            assertThat(lcs.getMatchString()).isEqualTo("mytext");
            LCSMatchResult idx = j.lcs("j:l1", "j:l2", LCSParams.LCSParams().idx().withMatchLen());
            assertThat(idx.getLen()).isEqualTo(6);
            assertThat(idx.getMatches()).hasSize(2);
            assertThatThrownBy(() -> j.incr("j:h")).hasMessageContaining("value is not an integer or out of range");
            Pipeline p = j.pipelined();
            for (int i = 0; i < 100; i++) p.set("j:p" + i, Integer.toString(i));
            for (int i = 0; i < 100; i++) p.incr("j:p" + i);
            List<Object> results = p.syncAndReturnAll();
            assertThat(results.get(199)).isEqualTo(100L);
        }
    }

    @Test
    void lettuce_stringFamily_behavesAsRedis() {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + server.port());
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisCommands<String, String> r = conn.sync();
            assertThat(r.set("l:a", "10")).isEqualTo("OK");
            assertThat(r.incr("l:a")).isEqualTo(11);
            assertThat(r.decr("l:a")).isEqualTo(10);
            assertThat(r.incrbyfloat("l:a", 1.25)).isEqualTo(11.25);
            assertThat(r.set("l:a", "v", SetArgs.Builder.xx().keepttl())).isEqualTo("OK");
            assertThat(r.set("l:none", "v", SetArgs.Builder.xx())).isNull();
            assertThat(r.setGet("l:a", "w")).isEqualTo("v");
            assertThat(r.getex("l:a", GetExArgs.Builder.ex(100))).isEqualTo("w");
            assertThat(r.getdel("l:a")).isEqualTo("w");
            assertThat(r.get("l:a")).isNull();
            assertThat(r.msetnx(java.util.Map.of("l:x", "1", "l:y", "2"))).isTrue();
            assertThat(r.mget("l:x", "l:y", "l:z")).containsExactly(
                    KeyValue.just("l:x", "1"), KeyValue.just("l:y", "2"), KeyValue.empty("l:z"));
            assertThat(r.append("l:x", "23")).isEqualTo(3);
            assertThat(r.getrange("l:x", 0, 1)).isEqualTo("12");
            assertThat(r.setrange("l:x", 5, "!")).isEqualTo(6);
            assertThat(r.strlen("l:x")).isEqualTo(6);
            assertThat(r.setbit("l:b", 1, 1)).isZero();
            assertThat(r.getbit("l:b", 1)).isEqualTo(1);
            assertThat(r.bitcount("l:b")).isEqualTo(1);
            assertThat(r.bitpos("l:b", true)).isEqualTo(1);
            assertThat(r.bitopOr("l:or", "l:b", "l:x")).isEqualTo(6);
            assertThat(r.bitfield("l:bf", BitFieldArgs.Builder.set(BitFieldArgs.signed(8), 0, -5)
                    .incrBy(BitFieldArgs.signed(8), 0, 1).get(BitFieldArgs.signed(8), 0))).containsExactly(0L, -4L, -4L);
            r.mset(java.util.Map.of("l:s1", "ohmytext", "l:s2", "mynewtext"));
            assertThat(r.lcs(LcsArgs.Builder.keys("l:s1", "l:s2")).getMatchString()).isEqualTo("mytext");
            assertThat(r.lcs(LcsArgs.Builder.keys("l:s1", "l:s2").justLen()).getLen()).isEqualTo(6);
            assertThat(r.lcs(LcsArgs.Builder.keys("l:s1", "l:s2").withIdx().withMatchLen()).getMatches()).hasSize(2);
        } finally {
            client.shutdown();
        }
    }
}
