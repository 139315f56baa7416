package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keyspace notifications and server.dirty of the set commands: the same commands on Starling and
 * redis-server 7.0 with a subscriber to every channel on each; events and rdb_changes_since_last_save
 * must be identical. Random commands are only used where the result does not depend on the draw.
 */
class SetCommandsEventsTest {
    static Differential diff;
    RespClient subOurs, subTheirs;

    @BeforeAll
    static void start() {
        diff = new Differential("--notify-keyspace-events", "KEA");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void subscribe() {
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
        SetCommandsDifferentialTest.checkInvariants(diff);
    }

    /** The keyspace events a PSUBSCRIBEd client received, up to a PUBLISHed "end" marker (so no waiting). */
    static List<String> events(RespClient sub, RespClient cmd) {
        cmd.callString("PUBLISH", "end", "end");
        List<String> out = new ArrayList<>();
        while (true) {
            String[] lines = sub.readReplyString().split("\r\n");
            // *4 $8 pmessage $len pattern $len channel $len message
            String channel = lines[6], message = lines[8];
            if (channel.equals("end")) return out;
            out.add(channel + " " + message);
        }
    }

    /** INFO rdb_changes_since_last_save: Redis's server.dirty. */
    static long dirty(RespClient c) {
        String info = c.callString("INFO", "persistence");
        int i = info.indexOf("rdb_changes_since_last_save:");
        return Long.parseLong(info.substring(i + 28, info.indexOf("\r\n", i)));
    }

    /** Runs each command on both servers (replies compared unordered), then compares the events and dirty. */
    void script(String... commands) {
        for (String cmd : commands) {
            if (cmd.startsWith("SPOP")) SetCommandsDifferentialTest.random(diff, cmd); // the members drawn differ
            else diff.sameUnordered(1, cmd.split(" "));
        }
        assertThat(events(subOurs, diff.ours())).as("events of %s", String.join("; ", commands))
                .isEqualTo(events(subTheirs, diff.theirs()));
        assertThat(dirty(diff.ours())).as("dirty after %s", String.join("; ", commands)).isEqualTo(dirty(diff.theirs()));
    }

    @Test
    void saddSremSmove_eventsAndDirty_matchRedis() {
        diff.same("CONFIG", "RESETSTAT");
        script("SADD s 1 2 3", "SADD s 1", "SADD s x y", "SREM s 9", "SREM s 1 9 2", "SREM s 3 x y z", "SREM s 1");
        script("SADD a 1 2", "SMOVE a b 1", "SMOVE a b 9", "SMOVE a a 2", "SADD b 2", "SMOVE a b 2", "SMOVE nokey b 1",
                "SMOVE b c 1");
    }

    @Test
    void spop_eventsAndDirty_matchRedis() {
        script("SADD s 1", "SPOP s", "SPOP s", "SADD s 1 2 3", "SPOP s 0", "SPOP s 5", "SPOP nokey 2");
        // The count covers everything but one member, whichever is drawn.
        script("SADD t a b", "SPOP t 1", "SPOP t 1");
        script("SADD u 1 2 3 4 5 6 7 8 9 10", "SPOP u 9", "SCARD u", "SPOP u 2");
    }

    @Test
    void stores_eventsAndDirty_matchRedis() {
        script("SADD a 1 2 3", "SADD b 3 4", "SINTERSTORE d a b", "SINTERSTORE d a b", "SUNIONSTORE d a b",
                "SDIFFSTORE d a b", "SDIFFSTORE d a a", "SDIFFSTORE d a a", "SINTERSTORE d a nokey", "SET d x",
                "SINTERSTORE d a nokey", "SUNIONSTORE d nokey", "SET e x", "SUNIONSTORE e a");
        script("SINTER a b", "SUNION a b", "SDIFF a b", "SINTERCARD 2 a b", "SMEMBERS a", "SISMEMBER a 1", "SSCAN a 0",
                "SRANDMEMBER a 5", "SCARD a");
    }
}
