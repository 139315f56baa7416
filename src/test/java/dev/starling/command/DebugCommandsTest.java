package dev.starling.command;

import dev.starling.keyspace.Db;
import dev.starling.support.Differential;
import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DebugCommandsTest {
    private static final String[] ENABLED = {"--enable-debug-command", "yes"};

    /** Gives key a TTL on both servers (EXPIRE may not be bound in this build: set it directly on ours). */
    private static void expire(Differential d, int dbId, String key) {
        d.theirs().callString("SELECT", Integer.toString(dbId));
        d.theirs().callString("EXPIRE", key, "1000");
        d.theirs().callString("SELECT", "0");
        d.starling.onExecutor(() -> {
            Db db = d.starling.server.keyspace.dbs[dbId];
            db.setExpire(key.getBytes(StandardCharsets.UTF_8), System.currentTimeMillis() + 1_000_000);
        });
    }

    @Test
    void debug_defaultConfig_notAllowed() {
        try (Differential d = new Differential()) {
            d.same("DEBUG", "DIGEST");
            d.same("DEBUG", "SLEEP", "0");
            d.same("DEBUG");
            d.starling.onExecutor(() -> assertThat(d.starling.server.config.enableDebugCommand).isEqualTo("no"));
        }
    }

    @Test
    void debug_localSetting_allowedFromLoopback() {
        try (ServerFixture s = ServerFixture.start("--enable-debug-command", "local"); RespClient c = s.raw()) {
            assertThat(c.callString("DEBUG", "DIGEST")).isEqualTo("+0000000000000000000000000000000000000000\r\n");
        }
    }

    @Test
    void digest_emptyAndStrings_matchRedis() {
        try (Differential d = new Differential(ENABLED)) {
            d.same("DEBUG", "DIGEST");
            d.same("SET", "a", "b");
            d.same("DEBUG", "DIGEST");
            d.same("SET", "c", "d");
            d.same("SET", "n", "12345");
            d.same("SET", "big", "x".repeat(100));
            d.same("DEBUG", "DIGEST");
            d.same("DEBUG", "DIGEST-VALUE", "a", "n", "big", "missing");
            d.same("DEBUG", "DIGEST-VALUE");
        }
    }

    @Test
    void digest_ttlsAndSeveralDbs_matchRedis() {
        try (Differential d = new Differential(ENABLED)) {
            d.same("SET", "a", "b");
            d.same("SET", "t", "v");
            expire(d, 0, "t");
            d.same("DEBUG", "DIGEST");
            d.same("DEBUG", "DIGEST-VALUE", "t", "a");
            d.same("SELECT", "3");
            d.same("SET", "a", "b");
            d.same("SET", "x", "y");
            d.same("DEBUG", "DIGEST");
            d.same("SELECT", "1");
            d.same("SET", "z", "1");
            d.same("DEBUG", "DIGEST");
        }
    }

    @Test
    void populate_namingPaddingAndSkipping_matchRedis() {
        try (Differential d = new Differential(ENABLED)) {
            d.same("SET", "key:1", "mine");
            d.same("DEBUG", "POPULATE", "5");
            d.same("GET", "key:1");
            d.same("GET", "key:4");
            d.same("DBSIZE");
            d.same("DEBUG", "POPULATE", "3", "p", "12");
            d.same("GET", "p:2");
            d.same("DEBUG", "POPULATE", "3", "q", "2");
            d.same("GET", "q:0");
            d.same("DEBUG", "POPULATE", "2", "r", "0");
            d.same("GET", "r:1");
            d.same("DEBUG", "POPULATE", "0");
            d.same("DEBUG", "POPULATE", "-1");
            d.same("DEBUG", "POPULATE", "x");
            d.same("DEBUG", "POPULATE", "1", "a", "-5");
            d.same("DEBUG", "POPULATE", "1", "a", "1", "extra");
            d.same("DEBUG", "DIGEST");
        }
    }

    @Test
    void populate_manyKeys_digestMatchesRedis() {
        try (Differential d = new Differential(ENABLED)) {
            d.same("DEBUG", "POPULATE", "20000");
            d.same("DEBUG", "POPULATE", "1000", "other", "50");
            d.same("DBSIZE");
            d.same("DEBUG", "DIGEST");
        }
    }

    @Test
    void smallSubcommands_replies_matchRedis() {
        try (Differential d = new Differential(ENABLED)) {
            d.same("DEBUG", "SLEEP", "0");
            d.same("DEBUG", "SLEEP", "x");
            d.same("DEBUG", "SLEEP", "0.01");
            d.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            d.same("DEBUG", "SLEEP");
            d.same("DEBUG", "DIGEST", "x");
            d.same("DEBUG", "OBJECT");
            d.same("DEBUG", "OBJECT", "missing");
            d.same("DEBUG", "foo");
            d.same("DEBUG", "SET-ACTIVE-EXPIRE");
        }
    }

    @Test
    void setActiveExpire_zero_disablesActiveCycle() {
        try (ServerFixture s = ServerFixture.start(ENABLED); RespClient c = s.raw()) {
            assertThat(c.callString("DEBUG", "SET-ACTIVE-EXPIRE", "0")).isEqualTo("+OK\r\n");
            s.onExecutor(() -> assertThat(s.server.keyspace.activeExpireEnabled).isFalse());
            c.callString("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            s.onExecutor(() -> assertThat(s.server.keyspace.activeExpireEnabled).isTrue());
        }
    }

    @Test
    void sleep_blocksExecutor_forTheGivenTime() {
        try (ServerFixture s = ServerFixture.start(ENABLED); RespClient c = s.raw()) {
            long t0 = System.nanoTime();
            assertThat(c.callString("DEBUG", "SLEEP", "0.2")).isEqualTo("+OK\r\n");
            assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(195);
        }
    }

    @Test
    void object_line_hasRedisShape() {
        try (Differential d = new Differential(ENABLED)) {
            d.same("SET", "s", "hello");
            d.same("SET", "n", "123");
            d.same("SET", "m", "1234567");
            d.same("SET", "r", "y".repeat(20));
            d.same("SET", "big", "1234567890123");
            // Longer strings: Redis LZF-compresses them in the RDB, so serializedlength is approximate here.
            for (String k : new String[] {"s", "n", "m", "r", "big"}) {
                String ours = d.ours().callString("DEBUG", "OBJECT", k);
                String theirs = d.theirs().callString("DEBUG", "OBJECT", k);
                assertThat(mask(ours)).isEqualTo(mask(theirs));
            }
        }
    }

    /** Masks what legitimately differs: the address and the LRU clock. */
    private static String mask(String line) {
        return line.replaceAll("at:0x[0-9a-f]+", "at:ADDR").replaceAll(" lru:\\d+", " lru:N").replaceAll("idle:\\d+", "idle:N");
    }

    @Test
    void help_listsSubcommands() {
        try (ServerFixture s = ServerFixture.start(ENABLED); RespClient c = s.raw()) {
            String help = c.callString("DEBUG", "HELP");
            assertThat(help).startsWith("*").contains("+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
                    .contains("+POPULATE <count> [<prefix>] [<size>]\r\n").endsWith("+HELP\r\n+    Prints this help.\r\n");
        }
    }

    @Test
    void referenceRedis_isDebian7015() {
        try (RedisReference r = RedisReference.start(); RespClient c = r.raw()) {
            assertThat(c.callString("INFO", "server")).contains("redis_version:7.0.15");
        }
    }
}
