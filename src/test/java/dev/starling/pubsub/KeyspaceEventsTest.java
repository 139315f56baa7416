package dev.starling.pubsub;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keyspace notifications and server.dirty: the same commands on Starling and redis-server 7.0
 * with a subscriber to every keyspace channel on each; the message sequences must be identical,
 * and so must INFO rdb_changes_since_last_save.
 */
public class KeyspaceEventsTest {
    static Differential diff;
    RespClient subOurs, subTheirs;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes", "--notify-keyspace-events", "KEAnm");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void subscribe() {
        diff.same("CONFIG", "SET", "notify-keyspace-events", "KEAnm");
        diff.flushAll();
        subOurs = diff.starling.raw();
        subTheirs = diff.redis.raw();
        assertThat(subOurs.callString("PSUBSCRIBE", "__key*__:*", "end")).isEqualTo(subTheirs.callString("PSUBSCRIBE", "__key*__:*", "end"));
        subOurs.readReply();
        subTheirs.readReply();
    }

    @AfterEach
    void close() {
        subOurs.close();
        subTheirs.close();
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = diff.starling.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }

    /** Runs each command (split on spaces) on both servers, then compares the events both published. */
    void script(String... commands) {
        for (String cmd : commands) {
            String[] args = cmd.split(" ");
            for (int i = 0; i < args.length; i++) if (args[i].equals("\"\"")) args[i] = "";
            diff.same(args);
        }
        assertThat(events(subOurs, diff.ours())).as("events of %s", String.join("; ", commands))
                .isEqualTo(events(subTheirs, diff.theirs()));
    }

    /** The messages a subscriber received up to an end marker, as "channel message" lines. */
    public static List<String> events(RespClient sub, RespClient cmd) {
        cmd.callString("PUBLISH", "end", "end");
        List<String> out = new ArrayList<>();
        while (true) {
            String r = sub.readReplyString();
            String[] lines = r.split("\r\n");
            // *4 $8 pmessage $len pattern $len channel $len message
            String channel = lines[6], message = lines[8];
            if (channel.equals("end")) return out;
            out.add(channel + " " + message);
        }
    }

    /** INFO rdb_changes_since_last_save: Redis's server.dirty. */
    public static long dirty(RespClient c) {
        String info = c.callString("INFO", "persistence");
        int i = info.indexOf("rdb_changes_since_last_save:");
        return Long.parseLong(info.substring(i + 28, info.indexOf("\r\n", i)));
    }

    void sameDirty() {
        assertThat(dirty(diff.ours())).as("rdb_changes_since_last_save").isEqualTo(dirty(diff.theirs()));
    }

    @Test
    void strings_eventsAndDirty_matchRedis() {
        long base = dirty(diff.theirs()) - dirty(diff.ours());
        script("SET k v", "SET k v EX 100", "SET k v NX", "SET k2 v XX", "SET k w GET", "SETNX k v", "SETNX n v",
                "SETEX e 100 v", "PSETEX p 100000 v", "SET k v KEEPTTL", "SET k v PXAT 100000000000000");
        script("GETSET k x", "GETSET nokey x", "GETDEL k", "GETDEL k", "GETEX e EX 200", "GETEX e PERSIST", "GETEX e PERSIST",
                "GETEX e", "GETEX p PXAT 1", "GETEX nokey EX 1");
        script("MSET a 1 b 2", "MSETNX a 1 c 3", "MSETNX c 3 d 4", "APPEND ap x", "APPEND ap y",
                "SETRANGE sr 5 x", "SETRANGE sr 0 y", "SETRANGE sr 0 \"\"", "SETRANGE nosr 0 \"\"");
        script("INCR i", "DECR i", "INCRBY i 5", "DECRBY i 2", "INCRBYFLOAT f 1.5", "INCR k", "INCRBYFLOAT k x");
        script("GET nokey", "MGET a nokey b", "STRLEN nokey", "GETRANGE nokey 0 1", "EXISTS nokey a", "TYPE nokey",
                "TTL nokey", "PTTL a", "OBJECT ENCODING nokey", "LCS a nokey");
        script("SETBIT bits 7 1", "SETBIT bits 7 1", "BITFIELD bf SET u8 0 255 GET u8 0 INCRBY u8 0 10",
                "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 1000", "BITFIELD bf GET u8 0", "BITOP AND dest bits bf",
                "BITOP OR dest nokey1 nokey2", "BITOP OR dest nokey1 nokey2", "BITCOUNT nokey", "GETBIT nokey 1");
        assertThat(dirty(diff.theirs()) - dirty(diff.ours())).isEqualTo(base);
    }

    @Test
    void keys_eventsAndDirty_matchRedis() {
        diff.same("FLUSHALL");
        script("SET a 1", "SET b 2", "SET c 3", "DEL a b nokey", "UNLINK c", "SET k v",
                "EXPIRE k 100", "PEXPIRE k 100000", "EXPIRE k 100 NX", "EXPIREAT k 1", "EXPIRE nokey 1", "SET k v",
                "PERSIST k", "EXPIRE k 100", "PERSIST k", "PERSIST k");
        script("RENAME k k2", "RENAME k2 k2", "SET k3 v", "RENAME k3 k2", "RENAMENX k2 k3", "SET k4 v", "RENAMENX k4 k3",
                "MOVE k3 1", "SELECT 1", "MOVE k3 0", "MOVE k3 0", "SELECT 0", "COPY k2 k5", "COPY k2 k5",
                "COPY k2 k5 REPLACE", "COPY k2 k6 DB 2", "SWAPDB 0 2", "SWAPDB 0 2", "TOUCH k2 nokey");
        script("FLUSHDB", "SET x 1", "SELECT 1", "SET y 2", "SELECT 0", "FLUSHALL");
        sameDirty();
    }

    @Test
    void lazyExpiry_firesExpiredThenKeymiss() throws Exception {
        script("DEBUG SET-ACTIVE-EXPIRE 0", "SET t v PX 1", "SET t2 v PX 1", "SET t3 v PX 1");
        Thread.sleep(20); // let the TTLs pass (time, not synchronisation)
        script("GET t", "SET t2 x", "DEL t3", "DEBUG SET-ACTIVE-EXPIRE 1");
    }

    @Test
    void activeExpiry_firesExpired() {
        script("SET t v PX 1");
        // The active cycle deletes the key on its own; both subscribers see one "expired" pair.
        List<String> ours = new ArrayList<>(), theirs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ours.add(subOurs.readReplyString());
            theirs.add(subTheirs.readReplyString());
        }
        assertThat(ours).isEqualTo(theirs);
        assertThat(ours.get(1)).contains("__keyevent@0__:expired");
    }

    @Test
    void classesAndFlags_selectWhatIsPublished() {
        script("CONFIG SET notify-keyspace-events K$", "SET a 1", "DEL a", "GET nokey");
        script("CONFIG SET notify-keyspace-events Eg", "SET a 1", "EXPIRE a 10", "DEL a");
        script("CONFIG SET notify-keyspace-events A", "SET a 1");
        script("CONFIG SET notify-keyspace-events Kn", "SET a 2", "SET new 1");
    }

    @Test
    void eviction_firesEvicted() {
        script("SET a 1", "SET b 2", "SET c 3", "CONFIG SET maxmemory-policy allkeys-random");
        diff.same("CONFIG", "SET", "maxmemory", "1");
        diff.same("SET", "d", "4");
        diff.same("CONFIG", "SET", "maxmemory", "0");
        List<String> ours = events(subOurs, diff.ours()), theirs = events(subTheirs, diff.theirs());
        // Random eviction: the same events in some order.
        Collections.sort(ours);
        Collections.sort(theirs);
        assertThat(ours).isEqualTo(theirs).contains("__keyevent@0__:evicted a");
    }
}
