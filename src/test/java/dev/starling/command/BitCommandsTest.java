package dev.starling.command;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD(_RO), byte-exact against redis-server 7.0. */
class BitCommandsTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void reset() {
        StringScripts.reset(diff);
    }

    @TestFactory
    Stream<DynamicTest> bitsScript_eachLine_sameRepliesAsRedis() {
        return Stream.concat(Stream.of(DynamicTest.dynamicTest("reset", () -> StringScripts.reset(diff))),
                StringScripts.load("bits.txt").stream()
                        .map(line -> DynamicTest.dynamicTest(line.toString(), () -> StringScripts.run(diff, line))));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomValue(Random rnd) {
        byte[] v = new byte[rnd.nextInt(12)];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (rnd.nextInt(4)) {
                case 0 -> 0;
                case 1 -> (byte) 0xff;
                default -> (byte) rnd.nextInt(256);
            };
        }
        return v;
    }

    static String randomIndex(Random rnd, int bound) {
        return Integer.toString(rnd.nextInt(2 * bound + 1) - bound);
    }

    @Test
    void bitcountAndBitpos_randomRanges_sameAsRedis() {
        Random rnd = new Random(7);
        for (int round = 0; round < 60; round++) {
            byte[] v = randomValue(rnd);
            diff.same(b("SET"), b("k"), v);
            for (int i = 0; i < 25; i++) {
                int bound = rnd.nextBoolean() ? v.length + 2 : v.length * 8 + 10;
                List<byte[]> args = new ArrayList<>();
                boolean pos = rnd.nextBoolean();
                args.add(b(pos ? "BITPOS" : "BITCOUNT"));
                args.add(b("k"));
                if (pos) args.add(b(Integer.toString(rnd.nextInt(2))));
                int extra = rnd.nextInt(4);
                if (!pos && extra == 1) extra = 2;
                if (extra >= 1) args.add(b(randomIndex(rnd, bound)));
                if (extra >= 2) args.add(b(randomIndex(rnd, bound)));
                if (extra >= 3) args.add(b(rnd.nextBoolean() ? "BIT" : "byte"));
                diff.same(args.toArray(new byte[0][]));
            }
        }
    }

    @Test
    void bitfield_randomOperations_sameAsRedis() {
        Random rnd = new Random(11);
        String[] overflow = {"WRAP", "SAT", "FAIL"};
        long[] interesting = {0, 1, -1, 127, -128, 255, 256, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62, -(1L << 62), 65535, -32769};
        for (int round = 0; round < 300; round++) {
            List<String> args = new ArrayList<>(List.of("BITFIELD", "f" + rnd.nextInt(3)));
            int ops = 1 + rnd.nextInt(4);
            for (int i = 0; i < ops; i++) {
                boolean signed = rnd.nextBoolean();
                int bits = signed ? 1 + rnd.nextInt(64) : 1 + rnd.nextInt(63);
                String type = (signed ? "i" : "u") + bits;
                String offset = rnd.nextInt(4) == 0 ? "#" + rnd.nextInt(6) : Integer.toString(rnd.nextInt(80));
                long value = rnd.nextBoolean() ? interesting[rnd.nextInt(interesting.length)] : rnd.nextLong() >> rnd.nextInt(64);
                switch (rnd.nextInt(4)) {
                    case 0 -> args.addAll(List.of("GET", type, offset));
                    case 1 -> args.addAll(List.of("SET", type, offset, Long.toString(value)));
                    case 2 -> args.addAll(List.of("INCRBY", type, offset, Long.toString(value)));
                    default -> args.addAll(List.of("OVERFLOW", overflow[rnd.nextInt(3)]));
                }
            }
            diff.same(args.toArray(new String[0]));
        }
        for (int i = 0; i < 3; i++) diff.same("GET", "f" + i);
    }

    @Test
    void bitop_randomValues_sameAsRedis() {
        Random rnd = new Random(5);
        String[] ops = {"AND", "OR", "XOR", "NOT"};
        for (int round = 0; round < 100; round++) {
            for (int i = 0; i < 3; i++) {
                if (rnd.nextInt(5) == 0) diff.same("DEL", "s" + i);
                else diff.same(b("SET"), b("s" + i), randomValue(rnd));
            }
            String op = ops[rnd.nextInt(4)];
            if (op.equals("NOT")) diff.same("BITOP", op, "dest", "s" + rnd.nextInt(3));
            else diff.same("BITOP", op, "dest", "s0", "s1", "s2");
            diff.same("GET", "dest");
        }
    }

    @Test
    void setbitAndGetbit_randomOffsets_sameAsRedis() {
        Random rnd = new Random(3);
        diff.same("SET", "n", "1234");
        for (int i = 0; i < 300; i++) {
            String key = rnd.nextBoolean() ? "n" : "m";
            String off = Integer.toString(rnd.nextInt(100));
            if (rnd.nextBoolean()) diff.same("SETBIT", key, off, Integer.toString(rnd.nextInt(2)));
            else diff.same("GETBIT", key, off);
        }
        diff.same("GET", "n");
        diff.same("GET", "m");
    }
}
