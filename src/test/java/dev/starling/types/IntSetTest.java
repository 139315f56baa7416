package dev.starling.types;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** intset.c's layout and operations, checked against a sorted-set model and against Redis's DUMP. */
class IntSetTest {
    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    @Test
    void create_isEmptyInt16() {
        byte[] is = IntSet.create();
        assertThat(hex(is)).isEqualTo("0200000000000000");
        assertThat(IntSet.len(is)).isZero();
        assertThat(IntSet.validate(is)).isTrue();
    }

    @Test
    void add_keepsSortedLittleEndianLayout() {
        byte[] is = IntSet.create();
        is = IntSet.add(is, 5);
        is = IntSet.add(is, -1);
        is = IntSet.add(is, 3);
        assertThat(hex(is)).isEqualTo("0200000003000000" + "ffff" + "0300" + "0500");
        assertThat(IntSet.add(is, 3)).isSameAs(is);
    }

    @Test
    void add_upgradesToInt32AndInt64_appendOrPrepend() {
        byte[] is = IntSet.add(IntSet.add(IntSet.create(), 1), 2);
        is = IntSet.add(is, 70000);
        assertThat(IntSet.encoding(is)).isEqualTo(IntSet.ENC_INT32);
        assertThat(hex(is)).isEqualTo("0400000003000000" + "01000000" + "02000000" + "70110100");
        is = IntSet.add(is, Long.MIN_VALUE);
        assertThat(IntSet.encoding(is)).isEqualTo(IntSet.ENC_INT64);
        assertThat(IntSet.get(is, 0)).isEqualTo(Long.MIN_VALUE);
        assertThat(IntSet.get(is, 3)).isEqualTo(70000);
        assertThat(IntSet.blobLen(is)).isEqualTo(is.length).isEqualTo(8 + 4 * 8);
        // Removing the wide value never downgrades.
        is = IntSet.remove(is, Long.MIN_VALUE);
        assertThat(IntSet.encoding(is)).isEqualTo(IntSet.ENC_INT64);
        assertThat(IntSet.find(is, 70000)).isTrue();
        assertThat(IntSet.find(is, Long.MAX_VALUE)).isFalse();
    }

    @Test
    void randomOperations_matchTreeSetModel() {
        Random rnd = new Random(42);
        long[] ranges = {100, 40000, 3_000_000_000L, Long.MAX_VALUE};
        for (long range : ranges) {
            byte[] is = IntSet.create();
            TreeSet<Long> model = new TreeSet<>();
            for (int i = 0; i < 3000; i++) {
                long v = range == Long.MAX_VALUE ? rnd.nextLong() : (long) (rnd.nextDouble() * 2 * range) - range;
                if (rnd.nextInt(3) == 0) {
                    byte[] after = IntSet.remove(is, v);
                    assertThat(after != is).isEqualTo(model.remove(v));
                    is = after;
                } else {
                    byte[] after = IntSet.add(is, v);
                    assertThat(after != is).isEqualTo(model.add(v));
                    is = after;
                }
                assertThat(IntSet.find(is, v)).isEqualTo(model.contains(v));
            }
            assertThat(IntSet.validate(is)).isTrue();
            assertThat(IntSet.len(is)).isEqualTo(model.size());
            int i = 0;
            for (long v : model) assertThat(IntSet.get(is, i++)).isEqualTo(v);
            if (!model.isEmpty()) assertThat(model).contains(IntSet.random(is));
        }
    }

    @Test
    void ll2bytes_matchesLongToString() {
        long[] vs = {0, 1, -1, 9, 10, -10, 123456789, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        for (long v : vs) assertThat(new String(IntSet.ll2bytes(v), StandardCharsets.US_ASCII)).isEqualTo(Long.toString(v));
    }

    /** The bytes are Redis's own: DUMP of an intset set carries them after the type byte and length. */
    @Test
    void layout_equalsRedisDumpPayload() {
        try (RedisReference redis = RedisReference.start("--rdbcompression", "no"); RespClient c = redis.raw()) {
            String[][] cases = {{"1", "2", "3"}, {"-5", "70000", "3"}, {"9223372036854775807", "-1", "0"}, {"-32768", "32767"}};
            for (String[] members : cases) {
                c.callString("DEL", "s");
                byte[] is = IntSet.create();
                String[] args = new String[members.length + 2];
                args[0] = "SADD";
                args[1] = "s";
                for (int i = 0; i < members.length; i++) {
                    args[i + 2] = members[i];
                    is = IntSet.add(is, Long.parseLong(members[i]));
                }
                c.callString(args);
                String dump = c.callString("DUMP", "s");
                // $len\r\n <type 11> <rdb string length byte> <intset bytes> <rdb version 2 bytes> <crc 8 bytes>
                byte[] payload = dump.substring(dump.indexOf("\r\n") + 2, dump.length() - 2).getBytes(StandardCharsets.ISO_8859_1);
                assertThat(payload[0]).isEqualTo((byte) 11);
                assertThat(payload[1] & 0xff).isEqualTo(is.length);
                byte[] body = java.util.Arrays.copyOfRange(payload, 2, 2 + is.length);
                assertThat(hex(body)).as("intset of %s", String.join(",", members)).isEqualTo(hex(is));
            }
        }
    }
}
