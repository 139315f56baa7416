package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryCommandsTest {
    @Test
    void usage_stringsOfEveryLength_matchRedis() {
        try (Differential d = new Differential()) {
            int[] keyLens = {1, 5, 10, 20, 31, 32, 40, 60, 300};
            int[] valLens = {1, 5, 10, 20, 30, 35, 40, 44, 45, 50, 60, 100, 200, 1000, 5000};
            for (int kl : keyLens) {
                String key = "k".repeat(kl);
                for (int vl : valLens) {
                    d.same("SET", key, "v".repeat(vl));
                    d.same("MEMORY", "USAGE", key);
                }
            }
            d.same("SET", "n", "12345");
            d.same("MEMORY", "USAGE", "n");
            d.same("SET", "n", "-1");
            d.same("MEMORY", "USAGE", "n");
            d.same("SET", "n", "1234567890123456789");
            d.same("MEMORY", "USAGE", "n");
        }
    }

    @Test
    void usage_argumentsAndMissingKey_matchRedis() {
        try (Differential d = new Differential()) {
            d.same("SET", "a", "b");
            d.same("MEMORY", "USAGE", "nokey");
            d.same("MEMORY", "USAGE", "a", "SAMPLES", "0");
            d.same("MEMORY", "USAGE", "a", "samples", "10");
            d.same("MEMORY", "USAGE", "a", "SAMPLES", "x");
            d.same("MEMORY", "USAGE", "a", "SAMPLES", "-1");
            d.same("MEMORY", "USAGE", "a", "SAMPLES");
            d.same("MEMORY", "USAGE", "a", "FOO", "1");
            d.same("MEMORY", "USAGE", "a", "SAMPLES", "1", "SAMPLES", "2");
            d.same("MEMORY", "USAGE");
            d.same("MEMORY", "FOO");
            d.same("MEMORY");
            d.same("MEMORY", "STATS", "x");
            d.same("MEMORY", "DOCTOR", "x");
        }
    }

    @Test
    void doctorPurgeHelp_freshInstance_matchRedis() {
        try (Differential d = new Differential()) {
            d.same("MEMORY", "DOCTOR");
            d.same("MEMORY", "PURGE");
            d.same("MEMORY", "HELP");
        }
    }

    @Test
    void stats_fields_sameNamesAndOrderAsRedis() {
        try (Differential d = new Differential()) {
            d.same("SET", "a", "b");
            d.same("SELECT", "2");
            d.same("SET", "a", "b");
            assertThat(names(d.ours().callString("MEMORY", "STATS"))).isEqualTo(names(d.theirs().callString("MEMORY", "STATS")));
        }
    }

    /** The field names of a flat RESP2 MEMORY STATS reply (integers and floats masked). */
    private static String names(String reply) {
        return reply.replaceAll(":\\d+\r\n", ":N\r\n").replaceAll("\\$\\d+\r\n[0-9.e+-]+\r\n", "FLOAT\r\n");
    }

    @Test
    void mallocStats_reply_isText() {
        try (ServerFixture s = ServerFixture.start(); RespClient c = s.raw()) {
            assertThat(c.callString("MEMORY", "MALLOC-STATS")).contains("Stats not supported for the current allocator");
        }
    }

    @Test
    void jemallocSize_classes() {
        long[][] cases = {{1, 8}, {8, 8}, {9, 16}, {17, 32}, {33, 48}, {65, 80}, {129, 160}, {257, 320}, {1025, 1280}, {5004, 5120}, {16385, 20480}};
        for (long[] c : cases) assertThat(MemoryCommands.jemallocSize(c[0])).as("size %d", c[0]).isEqualTo(c[1]);
    }
}
