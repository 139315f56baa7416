package dev.starling.tools;

import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real redis-benchmark against an in-process Starling, limited to the tests whose commands exist. */
class RedisBenchmarkInteropTest {
    /** redis-benchmark's default tests whose commands this build implements. */
    static final String TESTS = "ping_inline,ping_mbulk,set,get,incr,mset";

    @Test
    void defaultTests_quietRun_completeWithoutErrors() {
        assumeTrue(Tool.available(Tool.BENCHMARK), "redis-benchmark is not installed");
        try (ServerFixture s = ServerFixture.start()) {
            Tool.Result r = Tool.run(120, Tool.BENCHMARK, null, "-p", Integer.toString(s.port()), "-n", "1000", "-q", "-t", TESTS);
            assertThat(r.exitCode()).isZero();
            assertThat(r.output()).doesNotContain("Error from server").doesNotContain("ERR ");
            for (String t : new String[] {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET \\(10 keys\\)"}) {
                assertThat(r.output()).containsPattern(t + ": [0-9.]+ requests per second");
            }
        }
    }

    @Test
    void pipelinedRandomKeys_csv_allRequestsServed() {
        assumeTrue(Tool.available(Tool.BENCHMARK), "redis-benchmark is not installed");
        try (ServerFixture s = ServerFixture.start(); var j = s.jedis()) {
            Tool.Result r = Tool.run(120, Tool.BENCHMARK, null, "-p", Integer.toString(s.port()), "-n", "20000", "-P", "16",
                    "-c", "20", "-r", "1000", "-t", "set,get", "--csv");
            assertThat(r.exitCode()).isZero();
            assertThat(r.output()).contains("\"SET\",").contains("\"GET\",");
            assertThat(j.dbSize()).isBetween(900L, 1000L);
        }
    }

    @Test
    void startup_fetchesConfig_noWarning() {
        try (ServerFixture s = ServerFixture.start()) {
            Tool.Result r = Tool.run(60, Tool.BENCHMARK, null, "-p", Integer.toString(s.port()), "-n", "100", "-q", "-t", "ping_inline");
            assertThat(r.output()).doesNotContain("WARNING");
        }
    }
}
