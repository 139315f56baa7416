package dev.starling.config;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** CONFIG SET of every option with awkward values: the same reply (OK or error text) as Redis. */
class ConfigSetSweepTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    // Options whose change would disturb the test itself or needs a subsystem (AOF, OOM score).
    static final Set<String> SKIP = Set.of("port", "bind", "dir", "logfile", "requirepass", "appendonly", "oom-score-adj",
            "maxmemory", "maxclients", "loglevel");
    static final String[] VALUES = {"abc", "-1", "0", "1", "99999999999999999999", "", "1.5", "yes", "NO", "5mb", "10%", "01", "1 2", "normal 1 2 3", "a b c d", " 5 ", "-5%", "0x10"};

    @Test
    void configSet_everyOptionAwkwardValues_sameRepliesAsRedis() {
        Map<String, String> defaults = ConfigCommandsTest.map(new String(diff.theirs().call(RespClient.args("CONFIG", "GET", "*")),
                StandardCharsets.ISO_8859_1));
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, String> e : defaults.entrySet()) {
            String name = e.getKey();
            if (SKIP.contains(name)) continue;
            for (String v : VALUES) {
                String theirs = new String(diff.theirs().call(RespClient.args("CONFIG", "SET", name, v)), StandardCharsets.ISO_8859_1);
                String ours = new String(diff.ours().call(RespClient.args("CONFIG", "SET", name, v)), StandardCharsets.ISO_8859_1);
                if (!theirs.equals(ours)) mismatches.add(name + "=" + v + ": redis " + theirs.trim() + " | ours " + ours.trim());
                String gt = new String(diff.theirs().call(RespClient.args("CONFIG", "GET", name)), StandardCharsets.ISO_8859_1);
                String go = new String(diff.ours().call(RespClient.args("CONFIG", "GET", name)), StandardCharsets.ISO_8859_1);
                if (!gt.equals(go)) mismatches.add(name + "=" + v + " GET: redis " + gt.replace("\r\n", " ") + " | ours " + go.replace("\r\n", " "));
                diff.theirs().call(RespClient.args("CONFIG", "SET", name, e.getValue()));
                diff.ours().call(RespClient.args("CONFIG", "SET", name, e.getValue()));
            }
        }
        assertThat(mismatches).isEmpty();
    }
}
