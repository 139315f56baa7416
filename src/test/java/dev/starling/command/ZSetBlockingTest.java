package dev.starling.command;

import dev.starling.command.BlockingCommandsTest.Run;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BZPOPMIN, BZPOPMAX and BZMPOP on the shared blocking machinery, with several real connections:
 * each scenario runs on redis-server 7.0 and on Starling and the transcripts of replies must be
 * equal (see {@link BlockingCommandsTest}).
 */
class ZSetBlockingTest extends ZSetTestSupport {
    @BeforeEach
    void clean() {
        diff.flushAll();
    }

    @AfterEach
    void checkBlockingTables() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.blocking.validate());
        assertThat(err[0]).isNull();
    }

    static List<String> same(Consumer<Run> scenario) {
        return BlockingCommandsTest.same(diff, scenario);
    }

    @Test
    void clientsBlockedOnOneKey_servedInBlockingOrderWithTheirReplyShapes() {
        List<String> t = same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), c3 = r.client(), c4 = r.client(), p = r.client();
            r.send(c1, "BZPOPMIN", "z", "0");
            r.awaitBlocked(1);
            r.send(c2, "BZPOPMAX", "other", "z", "0");
            r.awaitBlocked(2);
            r.send(c3, "BZMPOP", "0", "2", "other", "z", "MIN", "COUNT", "2");
            r.awaitBlocked(3);
            r.send(c4, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "10");
            r.awaitBlocked(4);
            r.call(p, "ZADD", "z", "1", "a", "2", "b", "3.5", "c", "4", "d", "5", "e");
            r.read(c1);
            r.read(c2);
            r.read(c3);
            r.read(c4);
            r.call(p, "EXISTS", "z");
        });
        assertThat(t.get(1)).contains("a");
        assertThat(t.get(2)).contains("e");
    }

    @Test
    void resp3_servedAndTimedOutReplies() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), p = r.client();
            r.call(c1, "HELLO", "3");
            r.call(c2, "HELLO", "3");
            r.transcript.clear();
            r.send(c1, "BZPOPMAX", "z", "0");
            r.send(c2, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "2");
            r.awaitBlocked(2);
            r.call(p, "ZADD", "z", "1.5", "a", "2", "b", "3", "c", "inf", "d");
            r.read(c1);
            r.read(c2);
            r.call(c1, "BZPOPMIN", "nokey", "0.01");
            r.call(c1, "BZMPOP", "0.01", "1", "nokey", "MAX");
            r.call(c1, "BZPOPMIN", "z", "0");
        });
    }

    @Test
    void timeouts_replyNullInBothProtocols() {
        same(r -> {
            RespClient c2 = r.client(), c3 = r.client();
            r.call(c3, "HELLO", "3");
            r.transcript.clear();
            long start = System.nanoTime();
            r.call(c2, "BZPOPMIN", "z", "0.2");
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).isBetween(190L, 3000L);
            r.call(c2, "BZPOPMAX", "z", "x", "0.01");
            r.call(c2, "BZMPOP", "0.01", "2", "z", "x", "MAX", "COUNT", "3");
            r.call(c3, "BZPOPMIN", "z", "0.01");
            r.call(c3, "BZMPOP", "0.01", "1", "z", "MIN");
        });
    }

    @Test
    void zaddInsideMulti_wakesClientsAfterExec_andMultiNeverBlocks() {
        same(r -> {
            RespClient c1 = r.client(), p = r.client();
            r.send(c1, "BZPOPMIN", "z", "0");
            r.awaitBlocked(1);
            r.call(p, "MULTI");
            r.call(p, "ZADD", "z", "2", "b", "1", "a");
            r.call(p, "ZCARD", "z");
            r.call(p, "BZPOPMAX", "nokey", "0");
            r.call(p, "BZMPOP", "0", "1", "nokey", "MIN");
            r.call(p, "BZPOPMAX", "z", "0");
            r.call(p, "EXEC");
            r.read(c1);
            r.call(p, "ZRANGE", "z", "0", "-1", "WITHSCORES");
        });
    }

    @Test
    void keysArrivingByStoreCommandsRenameAndCopy_wakeBlockedClients() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), c3 = r.client(), c4 = r.client(), p = r.client();
            r.send(c1, "BZPOPMIN", "u", "0");
            r.send(c2, "BZPOPMAX", "rs", "0");
            r.send(c3, "BZMPOP", "0", "1", "renamed", "MIN", "COUNT", "5");
            r.send(c4, "BZPOPMIN", "copied", "0");
            r.awaitBlocked(4);
            r.call(p, "ZADD", "src", "1", "x", "2", "y", "3", "z");
            r.call(p, "ZUNIONSTORE", "u", "1", "src");
            r.read(c1);
            r.call(p, "ZRANGESTORE", "rs", "src", "0", "1");
            r.read(c2);
            r.call(p, "COPY", "src", "copied");
            r.read(c4);
            r.call(p, "RENAME", "src", "renamed");
            r.read(c3);
            r.call(p, "EXISTS", "u", "rs", "copied", "renamed");
        });
    }

    @Test
    void listAndZsetClientsOnOneKey_eachServedByItsOwnType() {
        same(r -> {
            RespClient l = r.client(), z = r.client(), p = r.client();
            r.send(l, "BLPOP", "k", "0");
            r.awaitBlocked(1);
            r.send(z, "BZPOPMIN", "k", "0");
            r.awaitBlocked(2);
            r.call(p, "ZADD", "k", "1", "m");
            r.read(z);
            r.awaitBlocked(1);
            r.call(p, "RPUSH", "k", "v");
            r.read(l);
        });
    }

    @Test
    void clientUnblock_timeoutAndErrorForms() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), p = r.client();
            long id1 = r.id(c1), id2 = r.id(c2);
            r.send(c1, "BZPOPMIN", "z", "0");
            r.send(c2, "BZMPOP", "0", "1", "z", "MAX");
            r.awaitBlocked(2);
            r.call(p, "CLIENT", "UNBLOCK", Long.toString(id1));
            r.read(c1);
            r.call(p, "CLIENT", "UNBLOCK", Long.toString(id2), "ERROR");
            r.read(c2);
            r.call(c1, "PING");
        });
    }

    @Test
    void errorsAndNonBlockingPaths() {
        same(r -> {
            RespClient c = r.client();
            r.call(c, "SET", "s", "1");
            r.call(c, "ZADD", "z", "1", "a", "2", "b", "3", "c");
            r.call(c, "BZPOPMIN", "nokey", "s", "0");
            r.call(c, "BZPOPMIN", "nokey", "z", "s", "0");
            r.call(c, "BZPOPMAX", "z", "0");
            r.call(c, "BZMPOP", "0", "3", "nokey", "s", "z", "MIN");
            r.call(c, "BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "10");
            r.call(c, "EXISTS", "z");
            r.call(c, "BZPOPMIN", "z", "-1");
            r.call(c, "BZPOPMIN", "z", "x");
            r.call(c, "BZPOPMIN", "z", "nan");
            r.call(c, "BZMPOP", "x", "1", "z", "MIN");
            r.call(c, "BZMPOP", "-1", "1", "z", "MIN");
            r.call(c, "BZMPOP", "0", "0", "z", "MIN");
            r.call(c, "BZMPOP", "0", "1", "z", "MID");
            r.call(c, "BZMPOP", "0", "2", "z", "MIN");
            r.call(c, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "0");
            r.call(c, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "1", "COUNT", "2");
            r.call(c, "BZMPOP", "x", "0", "z", "MIN");
            r.call(c, "BZMPOP", "0", "9223372036854775807", "z", "MIN");
        });
    }

    @Test
    void servedPops_dirtyAndEventsAsRedis() {
        same(r -> {
            RespClient c1 = r.client(), sub = r.client(), p = r.client();
            r.call(p, "CONFIG", "SET", "notify-keyspace-events", "KEA");
            r.call(sub, "PSUBSCRIBE", "__keyevent@0__:*");
            r.send(c1, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5");
            r.awaitBlocked(1);
            long before = dirty(r.admin);
            r.call(p, "ZADD", "z", "1", "a", "2", "b");
            r.read(c1);
            r.transcript.add("dirty " + (dirty(r.admin) - before));
            r.call(p, "SET", "end", "1");
            while (!r.read(sub).contains("__keyevent@0__:set")) {
                // zadd, zpopmax, del: the events of the served pop, in order
            }
            r.call(p, "CONFIG", "SET", "notify-keyspace-events", "");
        });
    }

    static long dirty(RespClient c) {
        return ZSetCommandsDifferentialTest.infoField(c, "persistence", "rdb_changes_since_last_save");
    }
}
