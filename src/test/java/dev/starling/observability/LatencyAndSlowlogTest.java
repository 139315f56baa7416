package dev.starling.observability;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** LATENCY with events and SLOWLOG thresholds, against Redis 7.0's texts. */
class LatencyAndSlowlogTest {

    static String maskDigits(String s) {
        return s.replaceAll("\\d+", "N");
    }

    @Test
    void latency_enabledWithoutEvents_sameTexts() {
        try (Differential d = new Differential("--latency-monitor-threshold", "1000")) {
            d.same("LATENCY", "DOCTOR");
            d.same("LATENCY", "LATEST");
            d.same("LATENCY", "HISTORY", "command");
            d.ours().call(RespClient.args("HELLO", "3"));
            d.theirs().call(RespClient.args("HELLO", "3"));
            d.same("LATENCY", "DOCTOR");
        }
    }

    @Test
    void latency_commandEvent_reportsAsRedis() {
        try (Differential d = new Differential("--latency-monitor-threshold", "1")) {
            // Redis: a slow script; Starling: the same event recorded directly.
            d.theirs().call(RespClient.args("EVAL", "local i=0 while i<3000000 do i=i+1 end", "0"));
            d.starling.onExecutor(() -> d.starling.server.latency.addSample("command", 48));
            String theirs = d.theirs().callString("LATENCY", "LATEST");
            assertThat(theirs).startsWith("*1\r\n*4\r\n$7\r\ncommand\r\n");
            assertThat(maskDigits(d.ours().callString("LATENCY", "LATEST"))).isEqualTo(maskDigits(theirs));
            assertThat(maskDigits(d.ours().callString("LATENCY", "HISTORY", "command")))
                    .isEqualTo(maskDigits(d.theirs().callString("LATENCY", "HISTORY", "command")));
            assertThat(maskDigits(d.ours().callString("LATENCY", "DOCTOR")))
                    .isEqualTo(maskDigits(d.theirs().callString("LATENCY", "DOCTOR")));
            d.same("LATENCY", "RESET", "command", "nosuch");
            d.same("LATENCY", "LATEST");
        }
    }

    @Test
    void slowlog_disabledByNegativeThreshold_logsNothing() {
        try (Differential d = new Differential("--slowlog-log-slower-than", "-1")) {
            d.same("SET", "a", "b");
            d.same("SLOWLOG", "LEN");
            d.same("SLOWLOG", "GET");
        }
    }
}
