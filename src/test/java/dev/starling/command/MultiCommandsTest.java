package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** MULTI EXEC DISCARD WATCH UNWATCH, byte for byte against redis-server 7.0. */
class MultiCommandsTest {
    static Differential diff;
    /** Second connections to each server, to write watched keys from elsewhere. */
    static RespClient ours2, theirs2;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes");
        ours2 = diff.starling.raw();
        theirs2 = diff.redis.raw();
    }

    @AfterAll
    static void stop() {
        ours2.close();
        theirs2.close();
        diff.close();
    }

    @BeforeEach
    void clean() {
        diff.same("RESET");
        diff.flushAll();
    }

    @AfterEach
    void checkInvariants() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    /** Runs args on both second connections and compares the replies. */
    private static String other(String... args) {
        String expected = theirs2.callString(args);
        String actual = ours2.callString(args);
        assertThat(actual).as("second connection: %s", String.join(" ", args)).isEqualTo(expected);
        return actual;
    }

    @Test
    void multiExec_queuedCommands_arrayOfReplies() {
        diff.same("MULTI");
        diff.same("SET", "a", "1");
        diff.same("INCR", "a");
        diff.same("GET", "a");
        diff.same("GETRANGE", "a", "x", "y");
        diff.same("EXEC");
        diff.same("GET", "a");
        diff.same("MULTI");
        diff.same("EXEC");
    }

    @Test
    void exec_errorInsideExec_perCommandError() {
        diff.same("SET", "s", "abc");
        diff.same("MULTI");
        diff.same("INCR", "s");
        diff.same("SET", "t", "1");
        diff.same("SETEX", "t", "-1", "v");
        diff.same("EXEC");
        diff.same("MGET", "s", "t");
    }

    @Test
    void errors_withoutMultiAndNested_redisTexts() {
        diff.same("EXEC");
        diff.same("DISCARD");
        diff.same("MULTI");
        diff.same("MULTI");
        diff.same("WATCH", "a");
        diff.same("EXEC");
        diff.same("EXEC");
        diff.same("DISCARD");
    }

    @Test
    void queueTimeError_unknownCommand_execAbort() {
        diff.same("MULTI");
        diff.same("SET", "a", "1");
        diff.same("NOSUCHCOMMAND", "x");
        diff.same("SET", "b", "1");
        diff.same("EXEC");
        diff.same("EXISTS", "a", "b");
    }

    @Test
    void queueTimeError_wrongArity_execAbort() {
        diff.same("MULTI");
        diff.same("GET");
        diff.same("CONFIG", "NOSUCHSUB");
        diff.same("EXEC");
        diff.same("MULTI");
        diff.same("EXEC", "extra");
        diff.same("EXEC");
    }

    @Test
    void queueTimeError_filterRejection_execAbort() {
        try (Differential d = new Differential("--maxmemory", "1")) {
            d.same("MULTI");
            d.same("PING");
            d.same("SET", "a", "1");
            d.same("EXEC");
            d.same("MULTI");
            d.same("DISCARD");
            d.same("EXISTS", "a");
        }
    }

    @Test
    void watch_keyEvicted_breaks() {
        try (Differential d = new Differential("--maxmemory-policy", "allkeys-random")) {
            d.same("SET", "a", "1");
            d.same("WATCH", "a");
            d.same("CONFIG", "SET", "maxmemory", "1");
            assertThat(d.same("DBSIZE")).isEqualTo(":0\r\n");
            d.same("CONFIG", "SET", "maxmemory", "0");
            d.same("MULTI");
            d.same("PING");
            assertThat(d.same("EXEC")).isEqualTo("*-1\r\n");
        }
    }

    @Test
    void clientPauseWrite_readOnlyExecRuns_writingExecWaits() {
        diff.same("MULTI");
        diff.same("SET", "a", "1");
        other("CLIENT", "PAUSE", "100000", "WRITE");
        try {
            byte[] exec = RespClient.encode(RespClient.args("EXEC"));
            diff.ours().send(exec);
            diff.theirs().send(exec);
            assertThat(other("EXISTS", "a")).isEqualTo(":0\r\n");
            other("CLIENT", "UNPAUSE");
            assertThat(diff.ours().readReplyString()).isEqualTo(diff.theirs().readReplyString());
            assertThat(other("EXISTS", "a")).isEqualTo(":1\r\n");
            other("CLIENT", "PAUSE", "100000", "WRITE");
            diff.same("MULTI");
            diff.same("GET", "a");
            diff.same("EXEC");
        } finally {
            other("CLIENT", "UNPAUSE");
        }
    }

    @Test
    void noMultiCommand_insideMulti_rejectedAndExecAborts() {
        try (Differential d = new Differential()) {
            d.same("MULTI");
            d.same("SET", "a", "1");
            d.same("SHUTDOWN", "NOSAVE");
            d.same("EXEC");
            d.same("EXISTS", "a");
            d.same("SHUTDOWN", "ABORT");
        }
    }

    @Test
    void discard_dropsQueue_ok() {
        diff.same("MULTI");
        diff.same("SET", "a", "1");
        diff.same("DISCARD");
        diff.same("EXISTS", "a");
        diff.same("EXEC");
    }

    @Test
    void watch_keyChangedByOtherConnection_nullArray() {
        diff.same("SET", "a", "1");
        diff.same("WATCH", "a");
        other("SET", "a", "2");
        diff.same("MULTI");
        diff.same("SET", "a", "3");
        diff.same("EXEC");
        diff.same("GET", "a");
    }

    @Test
    void watch_keyUnchanged_execRuns() {
        diff.same("SET", "a", "1");
        diff.same("WATCH", "a", "b");
        other("SET", "c", "2");
        other("GET", "a");
        diff.same("MULTI");
        diff.same("INCR", "a");
        diff.same("EXEC");
        // EXEC unwatched everything: a later write does not affect the next transaction.
        other("SET", "a", "9");
        diff.same("MULTI");
        diff.same("INCR", "a");
        diff.same("EXEC");
    }

    @Test
    void watch_ownWriteBeforeMulti_breaksTransaction() {
        diff.same("WATCH", "a");
        diff.same("SET", "a", "1");
        diff.same("MULTI");
        diff.same("GET", "a");
        diff.same("EXEC");
    }

    @Test
    void watch_deletedAddedExpiredPersisted_eachBreaks() {
        String[][] writes = {
            {"DEL", "a"}, {"APPEND", "a", "x"}, {"EXPIRE", "a", "100"}, {"SETRANGE", "a", "0", "z"},
            {"INCR", "n"}, {"RENAME", "a", "b"}, {"GETEX", "a", "EX", "100"}, {"SETBIT", "a", "1", "1"},
        };
        for (String[] w : writes) {
            diff.same("SET", "a", "1");
            diff.same("SET", "n", "1");
            diff.same("WATCH", "a", "n");
            other(w);
            diff.same("MULTI");
            diff.same("PING");
            diff.same("EXEC");
        }
        diff.same("SET", "a", "1", "EX", "100");
        diff.same("WATCH", "a");
        other("PERSIST", "a");
        diff.same("MULTI");
        diff.same("EXEC");
        diff.same("WATCH", "missing");
        other("DEL", "missing");
        other("EXPIRE", "missing", "10");
        diff.same("MULTI");
        diff.same("EXEC");
    }

    @Test
    void unwatch_afterChange_execRuns() {
        diff.same("WATCH", "a");
        other("SET", "a", "2");
        diff.same("UNWATCH");
        diff.same("MULTI");
        diff.same("GET", "a");
        diff.same("EXEC");
    }

    @Test
    void watch_perDb_otherDbWriteDoesNotBreak() {
        diff.same("WATCH", "a");
        other("SELECT", "1");
        other("SET", "a", "1");
        diff.same("MULTI");
        diff.same("EXEC");
        diff.same("SELECT", "1");
        diff.same("WATCH", "a");
        other("SET", "a", "2");
        diff.same("MULTI");
        diff.same("EXEC");
        other("SELECT", "0");
    }

    @Test
    void flushdbFlushall_watchedKeys_breakOnlyIfKeyExisted() {
        for (String flush : new String[] {"FLUSHDB", "FLUSHALL"}) {
            diff.same("SET", "a", "1");
            diff.same("WATCH", "a");
            other(flush);
            diff.same("MULTI");
            diff.same("EXEC");
            diff.same("WATCH", "gone");
            other(flush);
            diff.same("MULTI");
            diff.same("EXEC");
        }
        other("SELECT", "1");
        other("SET", "x", "1");
        diff.same("SET", "a", "1");
        diff.same("WATCH", "a");
        other("FLUSHDB");
        diff.same("MULTI");
        diff.same("EXEC");
        other("SELECT", "0");
    }

    @Test
    void swapdb_watchedDb_breaksWhenKeyInEither() {
        diff.same("SET", "a", "1");
        diff.same("WATCH", "a");
        other("SWAPDB", "0", "1");
        diff.same("MULTI");
        diff.same("EXEC");
        diff.flushAll();
        other("SELECT", "1");
        other("SET", "b", "1");
        other("SELECT", "0");
        diff.same("WATCH", "b", "c");
        other("SWAPDB", "1", "0");
        diff.same("MULTI");
        diff.same("EXEC");
        diff.flushAll();
        diff.same("WATCH", "none");
        other("SWAPDB", "0", "1");
        other("SWAPDB", "0", "0");
        diff.same("MULTI");
        diff.same("EXEC");
    }

    @Test
    void watch_keyExpiresWhileWatched_breaks() {
        diff.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        try {
            diff.same("SET", "a", "1", "PX", "30");
            diff.same("SET", "clock", "1", "PX", "30");
            diff.same("WATCH", "a");
            awaitGone(ours2);
            awaitGone(theirs2);
            diff.same("MULTI");
            diff.same("PING");
            diff.same("EXEC");
            // Already expired when WATCHed: its deletion is no change.
            diff.same("SET", "b", "1", "PX", "30");
            diff.same("SET", "clock", "1", "PX", "30");
            awaitGone(ours2);
            awaitGone(theirs2);
            diff.same("WATCH", "b");
            other("GET", "b");
            diff.same("MULTI");
            diff.same("PING");
            diff.same("EXEC");
        } finally {
            diff.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        }
    }

    /** Waits until "clock" (set with the same TTL as the watched key) is gone, touching nothing else. */
    private static void awaitGone(RespClient c) {
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ofMillis(5))
                .until(() -> c.callString("EXISTS", "clock").equals(":0\r\n"));
    }

    @Test
    void execAborted_resp3_nullReply() {
        diff.ours().callString("HELLO", "3");
        diff.theirs().callString("HELLO", "3");
        try {
            diff.same("SET", "a", "1");
            diff.same("WATCH", "a");
            other("SET", "a", "2");
            diff.same("MULTI");
            diff.same("GET", "a");
            assertThat(diff.same("EXEC")).isEqualTo("_\r\n");
            diff.same("MULTI");
            diff.same("GET", "a");
            diff.same("EXEC");
        } finally {
            diff.ours().callString("HELLO", "2");
            diff.theirs().callString("HELLO", "2");
        }
    }

    @Test
    void reset_insideMulti_discardsAndUnwatches() {
        diff.same("WATCH", "a");
        diff.same("MULTI");
        diff.same("SET", "a", "1");
        diff.same("RESET");
        diff.same("EXEC");
        diff.same("EXISTS", "a");
        other("SET", "a", "2");
        diff.same("MULTI");
        diff.same("EXEC");
    }

    @Test
    void quit_insideMulti_closesWithOk() {
        RespClient o = diff.starling.raw(), t = diff.redis.raw();
        try {
            for (String[] cmd : new String[][] {{"MULTI"}, {"SET", "q", "1"}, {"QUIT"}}) {
                assertThat(o.callString(cmd)).isEqualTo(t.callString(cmd));
            }
        } finally {
            o.close();
            t.close();
        }
        diff.same("EXISTS", "q");
    }

    @Test
    void clientList_multiField_andFlags() {
        diff.same("SET", "a", "1");
        diff.same("WATCH", "a");
        other("SET", "a", "2");
        diff.same("MULTI");
        diff.same("PING");
        String ours = diff.ours().callString("CLIENT", "INFO");
        String theirs = diff.theirs().callString("CLIENT", "INFO");
        assertThat(ours).isEqualTo("+QUEUED\r\n").isEqualTo(theirs);
        diff.same("DISCARD");
        diff.same("MULTI");
        diff.same("PING");
        diff.same("PING");
        diff.same("CLIENT", "INFO");
        String reply = new String(diff.ours().call(RespClient.args("EXEC")), StandardCharsets.ISO_8859_1);
        String expected = new String(diff.theirs().call(RespClient.args("EXEC")), StandardCharsets.ISO_8859_1);
        assertThat(field(reply, "flags")).isEqualTo(field(expected, "flags")).isEqualTo("x");
        assertThat(field(reply, "multi")).isEqualTo(field(expected, "multi")).isEqualTo("3");
        assertThat(field(diff.ours().callString("CLIENT", "INFO"), "multi")).isEqualTo("-1");
        diff.same("WATCH", "a");
        other("SET", "a", "3");
        String dirty = diff.ours().callString("CLIENT", "INFO");
        assertThat(field(dirty, "flags")).isEqualTo(field(diff.theirs().callString("CLIENT", "INFO"), "flags"))
                .isEqualTo("d");
        diff.same("UNWATCH");
    }

    private static String field(String info, String name) {
        int i = info.indexOf(" " + name + "=");
        int start = i + name.length() + 2;
        int end = info.indexOf(' ', start);
        return info.substring(start, end);
    }

    @Test
    void exec_commandStats_countQueuedCommands() {
        diff.same("CONFIG", "RESETSTAT");
        diff.same("MULTI");
        diff.same("SET", "a", "1");
        diff.same("SET", "a", "2");
        diff.same("EXEC");
        String ours = diff.ours().callString("INFO", "commandstats");
        assertThat(ours).contains("cmdstat_set:calls=2,").contains("cmdstat_exec:calls=1,")
                .contains("cmdstat_multi:calls=1,");
    }

    @Test
    void exec_monitorSeesQueuedCommandsThenExec_asRedis() {
        RespClient om = diff.starling.raw(), tm = diff.redis.raw();
        try {
            assertThat(om.callString("MONITOR")).isEqualTo(tm.callString("MONITOR"));
            String[][] cmds = {{"MULTI"}, {"SET", "a", "1"}, {"GET", "a"}, {"EXEC"}};
            for (String[] cmd : cmds) diff.same(cmd);
            for (int i = 0; i < cmds.length; i++) {
                assertThat(monitored(om.readReplyString())).isEqualTo(monitored(tm.readReplyString()));
            }
        } finally {
            om.close();
            tm.close();
        }
    }

    /** A MONITOR line without its timestamp and client address. */
    private static String monitored(String line) {
        return line.substring(line.indexOf("] ") + 2);
    }

    @Test
    void jedis_transactionAndWatch() {
        try (Jedis j = diff.starling.jedis(); Jedis other = diff.starling.jedis()) {
            Transaction t = j.multi();
            Response<String> set = t.set("k", "1");
            Response<Long> incr = t.incr("k");
            List<Object> res = t.exec();
            assertThat(res).hasSize(2);
            assertThat(set.get()).isEqualTo("OK");
            assertThat(incr.get()).isEqualTo(2L);

            j.watch("k");
            other.set("k", "5");
            Transaction t2 = j.multi();
            t2.incr("k");
            assertThat(t2.exec()).isNull();
            assertThat(j.get("k")).isEqualTo("5");

            j.watch("k");
            Transaction t3 = j.multi();
            t3.incr("k");
            assertThat(t3.exec()).containsExactly(6L);
        }
    }

    @Test
    void disconnect_withWatchesAndQueue_freesState() {
        RespClient c = diff.starling.raw();
        c.callString("WATCH", "a", "b");
        c.callString("MULTI");
        c.callString("SET", "a", "1");
        c.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            boolean[] clean = new boolean[1];
            diff.starling.onExecutor(() -> clean[0] = diff.starling.server.clients.size() == 2);
            return clean[0];
        });
        // Writing formerly watched keys touches no freed client.
        other("SET", "a", "2");
        other("SET", "b", "2");
    }
}
