package dev.starling.replication;

import dev.starling.support.PropagationDiff;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

/**
 * Keys deleted by the server itself, outside any command: the active expire cycle and eviction
 * under maxmemory. Each deletion propagates as its own DEL (UNLINK with lazyfree-lazy-expire or
 * lazyfree-lazy-eviction), never wrapped in MULTI. Which keys a cycle reaches first is a hash-table
 * order, so several deletions are compared as a set.
 */
class PropagationDeletionsTest extends PropagationTestBase {
    @BeforeEach
    void reset() {
        resetServers("maxmemory-policy", "noeviction", "lazyfree-lazy-expire", "no", "lazyfree-lazy-eviction", "no");
    }

    private static void awaitEmpty(int db) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() ->
                dbsize(p.diff.ours(), db) == 0 && dbsize(p.diff.theirs(), db) == 0);
    }

    private static long dbsize(dev.starling.support.RespClient c, int db) {
        String info = c.callString("INFO", "keyspace");
        int i = info.indexOf("db" + db + ":keys=");
        if (i < 0) return 0;
        int from = i + ("db" + db + ":keys=").length();
        return Long.parseLong(info.substring(from, info.indexOf(',', from)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"no", "yes"})
    void activeExpiry_propagatesOneDelPerKey(String lazy) {
        p.same("CONFIG", "SET", "lazyfree-lazy-expire", lazy);
        p.same("SET", "a", "1", "PX", "30");
        p.same("SELECT", "3");
        p.same("SET", "b", "1", "PX", "30");
        p.same("SET", "c", "1", "PX", "30");
        p.same("SET", "keep", "1", "EX", "1000");
        p.same("SELECT", "0");
        p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        awaitEmpty(0);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                dbsize(p.diff.ours(), 3) == 1 && dbsize(p.diff.theirs(), 3) == 1);
        // The SETs compared in order, then the deletions as a set (SELECTs make order visible).
        java.util.List<String>[] s = p.streams();
        org.assertj.core.api.Assertions.assertThat(s[0].subList(0, 6)).isEqualTo(s[1].subList(0, 6));
        String del = lazy.equals("yes") ? "UNLINK" : "DEL";
        java.util.List<String> ours = withoutSelects(s[0].subList(6, s[0].size()));
        java.util.List<String> theirs = withoutSelects(s[1].subList(6, s[1].size()));
        org.assertj.core.api.Assertions.assertThat(ours).containsExactlyInAnyOrderElementsOf(theirs)
                .containsExactlyInAnyOrder(cmd(del, "a"), cmd(del, "b"), cmd(del, "c"));
    }

    private static java.util.List<String> withoutSelects(java.util.List<String> l) {
        java.util.List<String> out = new java.util.ArrayList<>(l);
        out.removeIf(c -> c.startsWith("*2\r\n$6\r\nSELECT\r\n"));
        return out;
    }

    private static String cmd(String... args) {
        return PropagationDiff.encode(java.util.List.of(args));
    }

    @Test
    void activeExpiry_singleKeyInAnotherDb_propagatesSelectThenDel() {
        p.same("SELECT", "5");
        p.same("SET", "k", "v", "PX", "20");
        p.same("SELECT", "0");
        p.same("SET", "x", "y");
        p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        awaitEmpty(5);
        p.same("SET", "x", "z");
        p.assertSameStream();
    }

    @ParameterizedTest
    @ValueSource(strings = {"no", "yes"})
    void eviction_propagatesOneDelPerEvictedKey(String lazy) {
        p.same("CONFIG", "SET", "lazyfree-lazy-eviction", lazy);
        p.same("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
        for (int i = 0; i < 20; i++) p.same("SET", "k" + i, "v");
        p.same("SELECT", "2");
        for (int i = 0; i < 5; i++) p.same("SET", "j" + i, "v");
        p.assertSameStream();
        // Far below what either server uses: every key goes, then writes fail with -OOM.
        p.same("CONFIG", "SET", "maxmemory", "1");
        p.same("GET", "k1");
        awaitEmpty(0);
        awaitEmpty(2);
        p.same("SET", "x", "y");
        p.assertSameStreamUnordered();
    }

    @Test
    void eviction_thenTheCommand_areSeparateUnits() {
        p.same("CONFIG", "SET", "maxmemory-policy", "volatile-ttl");
        p.same("SET", "v", "1", "EX", "100");
        p.same("SET", "keep", "1");
        p.assertSameStream();
        p.same("CONFIG", "SET", "maxmemory", "1");
        p.same("DEL", "keep");
        awaitEmpty(0);
        p.assertSameStream();
    }
}
