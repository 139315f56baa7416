package dev.starling.replication;

import dev.starling.support.PropagationDiff;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the collection types, HyperLogLog, SORT, transactions and PUBLISH propagate, compared with
 * the stream a real redis-server 7.0 sends its replica. Small and large encodings are both covered
 * where the command's code path differs.
 */
class PropagationTypesTest extends PropagationTestBase {
    @BeforeEach
    void reset() {
        resetServers("lazyfree-lazy-server-del", "no");
    }

    // ---------------------------------------------------------------- lists

    @Test
    void lists_pushPopAndEdits_propagateAsSentWhenTheyChangeSomething() {
        p.same("rpush", "l", "a", "b", "c", "d", "e");
        p.same("LPUSH", "l", "z");
        p.same("lpushx", "nope", "a");
        p.same("RPUSHX", "l", "y");
        p.same("lpop", "l");
        p.same("LPOP", "nope");
        p.same("RPOP", "l", "2");
        p.same("LPOP", "l", "0");
        p.same("linsert", "l", "BEFORE", "c", "x");
        p.same("LINSERT", "l", "after", "zz", "x");
        p.same("LSET", "l", "0", "X");
        p.same("lrem", "l", "0", "nope");
        p.same("LREM", "l", "1", "x");
        p.same("ltrim", "l", "0", "100");
        p.same("LTRIM", "l", "1", "-1");
        p.same("LTRIM", "nope", "0", "0");
        p.same("rpoplpush", "l", "m");
        p.same("LMOVE", "m", "l", "LEFT", "right");
        p.same("LMOVE", "nope", "l", "LEFT", "right");
        p.assertSameStream();
    }

    @Test
    void lmpop_propagatesAsPopWithTheNumberPopped() {
        p.same("RPUSH", "l", "a", "b", "c", "d", "e");
        p.same("lmpop", "1", "l", "left", "count", "2");
        p.same("LMPOP", "2", "x", "l", "RIGHT", "COUNT", "10");
        p.same("LMPOP", "1", "l", "LEFT");
        p.same("RPUSH", "l", "a");
        p.same("LMPOP", "1", "l", "RIGHT");
        p.assertSameStream();
    }

    @Test
    void blockingListCommands_servedAtOnce_propagateTheirNonBlockingForm() {
        p.same("RPUSH", "l", "a", "b", "c", "d", "e", "f");
        p.same("blpop", "l", "0");
        p.same("BRPOP", "x", "l", "0");
        p.same("blmove", "l", "d", "left", "RIGHT", "0");
        p.same("BRPOPLPUSH", "d", "l", "0");
        p.same("BLMPOP", "0", "1", "l", "left", "COUNT", "2");
        p.same("blmpop", "0", "2", "x", "l", "RIGHT", "count", "10");
        p.same("RPUSH", "l", "a");
        p.same("BLPOP", "l", "0");
        p.assertSameStream();
    }

    @Test
    void blockingListCommands_servedLater_propagateTheirNonBlockingForm() {
        PropagationDiff.Pair b = p.connection();
        b.send("BLPOP", "q", "0");
        p.awaitBlocked(1);
        p.same("RPUSH", "q", "x", "y");
        b.sameReply();
        b.send("BLMPOP", "0", "2", "z", "q1", "RIGHT", "COUNT", "5");
        p.awaitBlocked(1);
        p.same("RPUSH", "q1", "1", "2");
        b.sameReply();
        b.send("BRPOPLPUSH", "q2", "q3", "0");
        p.awaitBlocked(1);
        p.same("LPUSH", "q2", "a", "b");
        b.sameReply();
        b.send("BLMOVE", "q4", "q5", "RIGHT", "left", "0");
        p.awaitBlocked(1);
        p.same("LPUSH", "q4", "a");
        b.sameReply();
        b.send("BRPOP", "w", "0");
        PropagationDiff.Pair b2 = p.connection();
        b2.send("BLPOP", "w", "0");
        p.awaitBlocked(2);
        p.same("RPUSH", "w", "a", "b", "c");
        b.sameReply();
        b2.sameReply();
        b.send("BLPOP", "w2", "0");
        p.awaitBlocked(1);
        p.same("MULTI");
        p.same("RPUSH", "w2", "a");
        p.same("RPUSH", "w2", "b");
        p.same("EXEC");
        b.sameReply();
        // Chained: the first client's LMOVE wakes the second.
        b.send("BLMOVE", "c1", "c2", "LEFT", "LEFT", "0");
        b2.send("BLPOP", "c2", "0");
        p.awaitBlocked(2);
        p.same("RPUSH", "c1", "v");
        b.sameReply();
        b2.sameReply();
        p.assertSameStream();
    }

    @Test
    void blockedClient_inAnotherDb_isServedWithSelect() {
        PropagationDiff.Pair b = p.connection();
        b.same("SELECT", "4");
        b.send("BLPOP", "q", "0");
        p.awaitBlocked(1);
        p.same("SELECT", "4");
        p.same("RPUSH", "q", "x");
        b.sameReply();
        p.same("SELECT", "0");
        p.same("SET", "k", "v");
        p.assertSameStream();
    }

    @Test
    void swapdb_servesClientsBlockedInTheSwappedDb() {
        PropagationDiff.Pair b = p.connection();
        b.same("SELECT", "1");
        b.send("BLPOP", "q", "0");
        p.awaitBlocked(1);
        p.same("RPUSH", "q", "x", "y");
        p.same("SWAPDB", "0", "1");
        b.sameReply();
        p.same("SET", "k", "v");
        p.assertSameStream();
    }

    // ---------------------------------------------------------------- sorted sets

    @ParameterizedTest
    @ValueSource(ints = {128, 0})
    void zsets_writesAndPops_propagate(int listpackEntries) {
        p.same("CONFIG", "SET", "zset-max-listpack-entries", Integer.toString(listpackEntries));
        p.same("zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        p.same("ZADD", "z", "NX", "1", "b");
        p.same("ZADD", "z", "INCR", "2.5", "b");
        p.same("zincrby", "z", "1.5", "b");
        p.same("ZREM", "z", "nope");
        p.same("zpopmin", "z");
        p.same("ZPOPMAX", "z", "5");
        p.same("ZPOPMAX", "nope", "5");
        p.same("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        p.same("zmpop", "1", "z", "min", "count", "2");
        p.same("ZMPOP", "2", "x", "z", "MAX", "COUNT", "10");
        p.same("ZMPOP", "1", "z", "MIN");
        p.same("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        p.same("bzpopmax", "z", "0");
        p.same("BZPOPMIN", "x", "z", "0");
        p.same("BZMPOP", "0", "1", "z", "min", "COUNT", "7");
        p.same("ZADD", "z", "1", "a", "2", "b");
        p.same("ZREMRANGEBYSCORE", "z", "100", "200");
        p.same("zremrangebyrank", "z", "0", "0");
        p.same("ZADD", "s1", "1", "a", "2", "b");
        p.same("ZUNIONSTORE", "dst", "2", "z", "s1");
        p.same("zinterstore", "dst", "2", "z", "nope");
        p.same("ZRANGESTORE", "dst2", "s1", "0", "-1");
        p.same("ZDIFFSTORE", "dst2", "1", "nope");
        p.same("CONFIG", "SET", "zset-max-listpack-entries", "128");
        p.assertSameStream();
    }

    @Test
    void blockingZsetCommands_servedLater_propagateZpop() {
        PropagationDiff.Pair b = p.connection();
        b.send("BZPOPMIN", "zz", "0");
        p.awaitBlocked(1);
        p.same("ZADD", "zz", "1", "a", "2", "b");
        b.sameReply();
        b.send("bzmpop", "0", "1", "z2", "MAX", "COUNT", "5");
        p.awaitBlocked(1);
        p.same("ZADD", "z2", "3", "c", "4", "d");
        b.sameReply();
        b.send("BZPOPMAX", "z3", "0");
        p.awaitBlocked(1);
        p.same("ZADD", "z3", "3", "c", "4", "d");
        b.sameReply();
        p.assertSameStream();
    }

    // ---------------------------------------------------------------- hashes

    @ParameterizedTest
    @ValueSource(ints = {128, 0})
    void hashes_hincrbyfloatPropagatesHsetOfTheResult(int listpackEntries) {
        p.same("CONFIG", "SET", "hash-max-listpack-entries", Integer.toString(listpackEntries));
        p.same("hset", "h", "a", "1", "b", "2");
        p.same("HMSET", "h", "a", "1");
        p.same("hincrbyfloat", "h", "a", "1.5");
        p.same("HINCRBYFLOAT", "h", "c", "2");
        p.same("HINCRBYFLOAT", "h", "c", "1e2");
        p.same("HINCRBY", "h", "b", "3");
        p.same("hsetnx", "h", "a", "1");
        p.same("HSETNX", "h", "n", "1");
        p.same("HDEL", "h", "nope");
        p.same("hdel", "h", "a", "b", "c", "n");
        p.same("CONFIG", "SET", "hash-max-listpack-entries", "128");
        p.assertSameStream();
    }

    // ---------------------------------------------------------------- sets

    @Test
    void sets_writesPropagateAsSent_spopOnePropagatesSrem() {
        p.same("sadd", "s", "a");
        p.same("SADD", "s", "a");
        p.same("spop", "s");
        p.same("SPOP", "s");
        p.same("SADD", "i", "7");
        p.same("SPOP", "i");
        p.same("SADD", "s", "a", "b", "c", "d", "e");
        p.same("SPOP", "s", "0");
        p.same("SREM", "s", "nope");
        p.same("SMOVE", "s", "s2", "nope");
        p.same("SADD", "t", "x");
        p.same("SINTERSTORE", "dst", "s", "t");
        p.same("sunionstore", "dst", "s", "t");
        p.same("SDIFFSTORE", "dst", "nope");
        p.diff.sameUnordered(1, "SPOP", "s", "100");
        p.same("CONFIG", "SET", "lazyfree-lazy-server-del", "yes");
        p.same("SADD", "s", "a", "b");
        p.diff.sameUnordered(1, "SPOP", "s", "2");
        p.assertSameStream();
    }

    /**
     * SPOP with a count: which members go is random, so the comparison is of the shape (MULTI,
     * one SREM per popped member in reply order, EXEC) with Starling's own members.
     */
    @ParameterizedTest
    @ValueSource(strings = {"100:30", "100:90", "3000:100", "3000:2500", "ints:600:500", "ints:600:10"})
    void spopWithCount_propagatesOneSremPerMember(String shape) {
        String[] f = shape.split(":");
        boolean ints = f[0].equals("ints");
        int size = Integer.parseInt(f[ints ? 1 : 0]), count = Integer.parseInt(f[ints ? 2 : 1]);
        List<String> sadd = new ArrayList<>(List.of("SADD", "big"));
        for (int i = 0; i < size; i++) sadd.add(ints ? Integer.toString(i) : "m" + i);
        p.same(sadd.toArray(new String[0]));
        p.assertSameStream();
        String ours = new String(p.diff.ours().call(dev.starling.support.RespClient.args("SPOP", "big", Integer.toString(count))),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        p.diff.theirs().callString("SPOP", "big", Integer.toString(count));
        List<String>[] s = p.streams();
        List<String> mine = s[0], redis = s[1];
        assertThat(mine).hasSize(redis.size()).hasSize(count + 2);
        assertThat(mine.get(0)).isEqualTo(redis.get(0)).isEqualTo("*1\r\n$5\r\nMULTI\r\n");
        assertThat(mine.get(count + 1)).isEqualTo(redis.get(count + 1)).isEqualTo("*1\r\n$4\r\nEXEC\r\n");
        List<String> replied = PropagationDiff.args(ours);
        for (int i = 1; i <= count; i++) {
            List<String> a = PropagationDiff.args(mine.get(i));
            assertThat(a.subList(0, 2)).containsExactly("SREM", "big");
            assertThat(a.get(2)).isEqualTo(replied.get(i - 1));
            assertThat(PropagationDiff.args(redis.get(i)).subList(0, 2)).containsExactly("SREM", "big");
        }
        p.same("SCARD", "big");
    }

    // ---------------------------------------------------------------- HyperLogLog, SORT, bits

    @Test
    void hyperloglog_pfcountPropagatesWhenItWritesTheCache() {
        p.same("pfadd", "hll", "a", "b", "c");
        p.same("PFADD", "hll", "a");
        p.same("pfcount", "hll");
        p.same("PFCOUNT", "hll");
        p.same("PFADD", "hll2", "x");
        p.same("PFCOUNT", "hll", "hll2");
        p.same("pfmerge", "hll3", "hll", "hll2");
        p.same("PFMERGE", "hll3");
        p.same("PFDEBUG", "TODENSE", "hll3");
        p.same("PFDEBUG", "GETREG", "hll2");
        p.assertSameStream();
    }

    @Test
    void sortStore_andBitCommands_propagateAsSent() {
        p.same("RPUSH", "sl", "3", "1", "2");
        p.same("sort", "sl", "store", "dst");
        p.same("SORT", "sl");
        p.same("SORT", "nokey", "STORE", "dst");
        p.same("SORT", "nokey", "STORE", "dst");
        p.same("SORT_RO", "sl");
        p.same("setbit", "b", "7", "1");
        p.same("SETBIT", "b", "7", "1");
        p.same("bitfield", "bf", "SET", "u8", "0", "1", "GET", "u8", "0");
        p.same("BITFIELD", "bf", "GET", "u8", "0");
        p.same("BITFIELD", "bf", "INCRBY", "u8", "0", "0");
        p.same("BITOP", "OR", "dest", "b", "bf");
        p.same("BITOP", "AND", "dest2", "nope");
        p.assertSameStream();
    }

    @Test
    void resp3Clients_propagateTheSameCommands() {
        p.diff.protocol(3);
        try {
            p.same("ZADD", "z", "1", "a", "2", "b", "3", "c");
            p.same("ZPOPMIN", "z", "2");
            p.same("ZMPOP", "1", "z", "MAX", "COUNT", "1");
            p.same("SADD", "s", "x");
            p.same("SPOP", "s");
            p.same("HSET", "h", "f", "1");
            p.same("HINCRBYFLOAT", "h", "f", "0.25");
            p.same("SET", "k", "v", "EX", "100", "GET");
        } finally {
            p.diff.protocol(2);
        }
        p.assertSameStream();
    }

    // ---------------------------------------------------------------- transactions, PUBLISH

    @Test
    void transactions_areWrappedWhenTheyPropagateMoreThanOneCommand() {
        p.same("MULTI");
        p.same("SET", "m", "1");
        p.same("GET", "m");
        p.same("EXEC");
        p.same("MULTI");
        p.same("set", "m", "1");
        p.same("SELECT", "4");
        p.same("SET", "m", "2");
        p.same("INCR", "n");
        p.same("EXEC");
        p.same("MULTI");
        p.same("GET", "m");
        p.same("EXEC");
        p.same("MULTI");
        p.same("EXEC");
        p.same("SELECT", "0");
        p.same("MULTI");
        p.same("SELECT", "6");
        p.same("SET", "a", "1");
        p.same("SELECT", "0");
        p.same("SET", "a", "1");
        p.same("EXEC");
        p.same("MULTI");
        p.same("SET", "a", "1");
        p.same("DISCARD");
        p.same("WATCH", "a");
        p.same("SET", "a", "2");
        p.same("MULTI");
        p.same("SET", "a", "3");
        p.same("EXEC");
        p.same("MULTI");
        p.same("INCR", "a");
        p.same("LPUSH", "a", "x");
        p.same("INCR", "a");
        p.same("EXEC");
        p.same("MULTI");
        p.same("SET", "e", "1", "EX", "100");
        p.same("EXPIRE", "e", "200");
        p.same("SPOP", "nope");
        p.same("EXEC");
        p.assertSameStream();
    }

    @Test
    void publish_isPropagatedToReplicas() {
        p.same("publish", "ch", "hi");
        p.same("SELECT", "2");
        p.same("PUBLISH", "ch", "hi");
        p.same("SPUBLISH", "ch", "hi");
        p.same("MULTI");
        p.same("SET", "a", "1");
        p.same("PUBLISH", "ch", "x");
        p.same("EXEC");
        p.assertSameStream();
    }
}
