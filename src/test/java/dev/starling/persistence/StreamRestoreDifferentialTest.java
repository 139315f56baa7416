package dev.starling.persistence;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams, which Starling keeps as loaded until stream commands exist: redis-server 7.0 builds
 * streams (several listpack nodes, compressed listpacks, deleted entries, consumer groups with
 * pending entries), Starling restores its DUMP and must re-DUMP it byte for byte, agree on TYPE,
 * OBJECT ENCODING, DEBUG DIGEST-VALUE, COPY, RENAME, SCAN TYPE, and answer WRONGTYPE (or what
 * Redis answers) to the other families' commands.
 */
class StreamRestoreDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void reset() {
        diff.protocol(2);
        diff.flushAll();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] bulk(byte[] reply) {
        return DumpRestoreDifferentialTest.bulk(reply);
    }

    static byte[] redisStream(List<String[]> commands) {
        return redisStream(diff, commands);
    }

    /** Builds stream "src" on diff's Redis only and returns its DUMP payload. */
    static byte[] redisStream(Differential diff, List<String[]> commands) {
        for (String[] c : commands) diff.theirs().call(RespClientArgs.of(c));
        byte[] p = bulk(diff.theirs().call(b("DUMP"), b("src")));
        diff.theirs().call(b("DEL"), b("src"));
        return p;
    }

    static List<String[]> streamCommands(int entries, boolean groups, boolean deletes, String value) {
        List<String[]> c = new ArrayList<>();
        for (int i = 1; i <= entries; i++) {
            if (i % 3 == 0) c.add(new String[] {"XADD", "src", i + "-1", "field", value + i, "other", Integer.toString(i)});
            else c.add(new String[] {"XADD", "src", i + "-1", "f" + (i % 4), value, "n", Integer.toString(i * 1000)});
        }
        if (deletes) {
            c.add(new String[] {"XDEL", "src", "2-1", "5-1", entries + "-1"});
        }
        if (groups) {
            c.add(new String[] {"XGROUP", "CREATE", "src", "g1", "0"});
            c.add(new String[] {"XGROUP", "CREATE", "src", "another", "$"});
            c.add(new String[] {"XGROUP", "CREATE", "src", "123", "3-1"});
            c.add(new String[] {"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "src", ">"});
            c.add(new String[] {"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "src", ">"});
            c.add(new String[] {"XREADGROUP", "GROUP", "123", "carol", "COUNT", "1", "STREAMS", "src", ">"});
            c.add(new String[] {"XACK", "src", "g1", "1-1"});
            c.add(new String[] {"XGROUP", "CREATECONSUMER", "src", "g1", "idle"});
        }
        return c;
    }

    void checkStream(byte[] payload) {
        diff.same(b("RESTORE"), b("s"), b("0"), payload);
        byte[] ours = bulk(diff.ours().call(b("DUMP"), b("s")));
        assertThat(ours).isEqualTo(payload);
        diff.same("TYPE", "s");
        diff.same("OBJECT", "ENCODING", "s");
        diff.same("DEBUG", "DIGEST-VALUE", "s");
        diff.same("DEBUG", "DIGEST");
        diff.same("COPY", "s", "c");
        diff.same("DEBUG", "DIGEST-VALUE", "c");
        assertThat(bulk(diff.ours().call(b("DUMP"), b("c")))).isEqualTo(payload);
        diff.same("RENAME", "c", "d");
        diff.same("EXISTS", "d");
        diff.same("DEL", "d");
        diff.same("SCAN", "0", "TYPE", "stream");
    }

    @ParameterizedTest(name = "entries={0}")
    @ValueSource(ints = {1, 3, 10, 250})
    void restore_redisStreams_redumpByteForByte(int entries) {
        checkStream(redisStream(streamCommands(entries, false, false, "v")));
        diff.flushAll();
        checkStream(redisStream(streamCommands(entries, true, entries > 5, "v")));
        diff.flushAll();
        checkStream(redisStream(streamCommands(entries, true, entries > 5, "compressible-".repeat(8))));
    }

    @Test
    void restore_emptyStreamsAndTrimmed() {
        checkStream(redisStream(List.of(new String[] {"XADD", "src", "1-1", "a", "b"}, new String[] {"XDEL", "src", "1-1"})));
        diff.flushAll();
        List<String[]> c = new ArrayList<>(streamCommands(300, true, true, "x"));
        c.add(new String[] {"XTRIM", "src", "MAXLEN", "150"});
        c.add(new String[] {"XSETID", "src", "9999-9"});
        checkStream(redisStream(c));
        diff.flushAll();
        checkStream(redisStream(List.<String[]>of(new String[] {"XGROUP", "CREATE", "src", "g", "$", "MKSTREAM"})));
    }

    @Test
    void stream_otherCommands_answerAsRedis() {
        byte[] p = redisStream(streamCommands(5, true, false, "v"));
        diff.same(b("RESTORE"), b("s"), b("0"), p);
        String[][] commands = {
            {"GET", "s"}, {"SET", "s", "x", "GET"}, {"APPEND", "s", "x"}, {"STRLEN", "s"}, {"INCR", "s"}, {"GETRANGE", "s", "0", "1"},
            {"SETRANGE", "s", "0", "x"}, {"GETBIT", "s", "1"}, {"SETBIT", "s", "1", "1"}, {"BITCOUNT", "s"}, {"GETDEL", "s"},
            {"LPUSH", "s", "x"}, {"LLEN", "s"}, {"LRANGE", "s", "0", "-1"}, {"RPOP", "s"}, {"LINDEX", "s", "0"},
            {"SADD", "s", "x"}, {"SCARD", "s"}, {"SMEMBERS", "s"}, {"SINTER", "s"}, {"SUNIONSTORE", "d", "s"},
            {"HSET", "s", "f", "v"}, {"HGET", "s", "f"}, {"HLEN", "s"}, {"HGETALL", "s"},
            {"ZADD", "s", "1", "x"}, {"ZCARD", "s"}, {"ZRANGE", "s", "0", "-1"}, {"ZUNIONSTORE", "d", "1", "s"}, {"ZINTER", "1", "s"},
            {"PFADD", "s", "x"}, {"PFCOUNT", "s"}, {"SORT", "s"}, {"SORT_RO", "s"}, {"LMOVE", "s", "d", "LEFT", "LEFT"},
            {"OBJECT", "FREQ", "s"}, {"OBJECT", "REFCOUNT", "s"}, {"TYPE", "s"}, {"TTL", "s"}, {"EXPIRE", "s", "100"}, {"PERSIST", "s"},
            {"MOVE", "s", "1"}, {"SELECT", "1"}, {"TYPE", "s"}, {"MOVE", "s", "0"}, {"SELECT", "0"}, {"DBSIZE"},
        };
        for (String[] c : commands) diff.same(c);
        // The value is unchanged by all that.
        assertThat(bulk(diff.ours().call(b("DUMP"), b("s")))).isEqualTo(p);
    }

    /** String arrays as byte arrays. */
    static final class RespClientArgs {
        static byte[][] of(String[] a) {
            byte[][] out = new byte[a.length][];
            for (int i = 0; i < a.length; i++) out[i] = b(a[i]);
            return out;
        }
    }
}
