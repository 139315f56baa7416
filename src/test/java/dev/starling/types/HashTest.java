package dev.starling.types;

import dev.starling.keyspace.MemorySize;
import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hash value: its listpack bytes equal redis-server 7.0's after the same writes (DUMP carries a
 * listpack-encoded hash verbatim), both encodings and the conversion agree with a map model, and
 * the memory estimate, copies and the read API stay consistent.
 */
class HashTest {
    static RedisReference redis;
    static RespClient client;

    @BeforeAll
    static void start() {
        redis = RedisReference.start();
        client = redis.raw();
        client.callString("CONFIG", "SET", "rdbcompression", "no", "hash-max-listpack-value", "100000",
                "hash-max-listpack-entries", "100000");
    }

    @AfterAll
    static void stop() {
        client.close();
        redis.close();
    }

    private static final long UNLIMITED = Long.MAX_VALUE;

    @Test
    void listpackWrites_hsetHdelHincrby_sameBytesAsRedis() {
        Random r = new Random(11);
        for (int round = 0; round < 60; round++) {
            client.call(b("DEL"), b("h"));
            Hash h = new Hash();
            for (int op = 0; op < 40; op++) {
                byte[] field = b("f" + r.nextInt(12));
                if (r.nextInt(4) == 0) field = b(Integer.toString(r.nextInt(12)));
                switch (r.nextInt(4)) {
                    case 0, 1 -> {
                        byte[] value = ListpackTest.element(r, op);
                        client.call(b("HSET"), b("h"), field, value);
                        h.set(field, value, UNLIMITED, UNLIMITED);
                    }
                    case 2 -> {
                        client.call(b("HDEL"), b("h"), field);
                        h.delete(field);
                    }
                    default -> {
                        String reply = new String(client.call(b("HINCRBY"), b("h"), field, b("1000")), StandardCharsets.ISO_8859_1);
                        if (reply.startsWith(":")) h.set(field, b(reply.substring(1).trim()), UNLIMITED, UNLIMITED);
                    }
                }
            }
            if (h.length() == 0) continue;
            byte[] redisLp = ListpackTest.listpackFromDump(client.call(b("DUMP"), b("h")));
            assertThat(Listpack.toBytes(h.lp())).as("round %d", round).isEqualTo(redisLp);
            assertThat(h.validate()).isNull();
        }
    }

    @Test
    void randomWrites_bothEncodingsAndConversion_matchMapModel() {
        Random r = new Random(5);
        for (int round = 0; round < 100; round++) {
            long maxEntries = 1 + r.nextInt(20), maxValue = 1 + r.nextInt(12);
            Map<String, String> model = new LinkedHashMap<>();
            Hash h = new Hash();
            boolean wasHashtable = false;
            for (int op = 0; op < 80; op++) {
                String field = "f" + r.nextInt(30);
                if (r.nextInt(3) > 0) {
                    String value = r.nextBoolean() ? Integer.toString(r.nextInt(1000)) : "v".repeat(r.nextInt(14));
                    boolean update = h.set(b(field), b(value), maxEntries, maxValue);
                    assertThat(update).isEqualTo(model.containsKey(field));
                    model.put(field, value);
                    if (h.isListpack()) {
                        assertThat(field.length() <= maxValue && value.length() <= maxValue).isTrue();
                        assertThat((long) model.size()).isLessThanOrEqualTo(maxEntries);
                    }
                } else {
                    assertThat(h.delete(b(field))).isEqualTo(model.remove(field) != null);
                }
                if (wasHashtable) assertThat(h.isListpack()).as("never converts back").isFalse();
                wasHashtable |= !h.isListpack();
                assertThat(h.validate()).isNull();
                assertThat(h.length()).isEqualTo(model.size());
                assertThat(h.encodingName()).isEqualTo(h.isListpack() ? "listpack" : "hashtable");
            }
            Map<String, String> seen = new LinkedHashMap<>();
            h.forEach((f, v) -> seen.put(s(f), s(v)));
            if (h.isListpack()) assertThat(seen).containsExactlyEntriesOf(model); // insertion order
            else assertThat(seen).isEqualTo(model);
            for (var e : model.entrySet()) {
                assertThat(s(h.get(b(e.getKey())))).isEqualTo(e.getValue());
                assertThat(h.exists(b(e.getKey()))).isTrue();
                assertThat(h.valueLength(b(e.getKey()))).isEqualTo(e.getValue().length());
            }
            assertThat(h.get(b("nosuch"))).isNull();
            assertThat(h.valueLength(b("nosuch"))).isZero();

            Hash copy = (Hash) h.duplicate();
            assertThat(copy.encodingName()).isEqualTo(h.encodingName());
            assertThat(copy.memoryBytes()).isLessThanOrEqualTo(h.memoryBytes());
            copy.set(b("only-in-copy"), b("x"), maxEntries, maxValue);
            assertThat(h.exists(b("only-in-copy"))).isFalse();
            assertThat(copy.validate()).isNull();
        }
    }

    @Test
    void tryConversion_argumentLengthsAboveMaxValue_convertsBeforeTheWrite() {
        Hash h = new Hash();
        h.tryConversion(new byte[][] {b("HSET"), b("h"), b("abc"), b("defg")}, 2, 3, 4);
        assertThat(h.isListpack()).isTrue();
        h.tryConversion(new byte[][] {b("HSET"), b("h"), b("abc"), b("defgh")}, 2, 3, 4);
        assertThat(h.isListpack()).isFalse();
        assertThat(h.length()).isZero();
        assertThat(h.validate()).isNull();
    }

    @Test
    void memoryBytes_dependsOnlyOnContents_notOnRehashSteps() {
        Hash h = Hash.createHashtable(0);
        for (int i = 0; i < 5000; i++) h.set(b("field" + i), b("v" + i), 0, 0);
        long size = h.memoryBytes();
        // Reads take rehash steps; the estimate must not move.
        for (int i = 0; i < 5000; i++) h.get(b("field" + i));
        assertThat(h.memoryBytes()).isEqualTo(size);
        assertThat(size).isGreaterThan(5000L * (32 + 2 * MemorySize.ofArray(4)));
        Hash small = new Hash();
        small.set(b("a"), b("1"), 128, 64);
        assertThat(small.memoryBytes()).isLessThan(64);
    }

    @Test
    void fromListpack_readApi_seesPairs() {
        byte[] lp = Listpack.create();
        for (String s : new String[] {"name", "ann", "age", "42"}) lp = Listpack.append(lp, b(s));
        Hash h = Hash.fromListpack(lp);
        assertThat(s(h.get(b("age")))).isEqualTo("42");
        assertThat(h.get(b("ann"))).isNull(); // values are not fields
        List<String> pairs = new ArrayList<>();
        h.forEach((f, v) -> pairs.add(s(f) + "=" + s(v)));
        assertThat(pairs).containsExactly("name=ann", "age=42");
        assertThat(Arrays.equals(Listpack.toBytes(h.lp()), Listpack.toBytes(lp))).isTrue();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.ISO_8859_1);
    }
}
