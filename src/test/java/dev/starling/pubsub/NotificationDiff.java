package dev.starling.pubsub;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs commands on Starling and on redis-server 7.0 and compares, per command: the reply bytes, the
 * change of INFO rdb_changes_since_last_save (server.dirty), and the keyspace notifications a
 * subscriber to every channel received (in order, byte for byte). The subscribers are synced with
 * PING: a subscribed client gets its notifications before the PING reply.
 */
final class NotificationDiff implements AutoCloseable {
    final Differential diff;
    private final RespClient subOurs, subTheirs, ctlOurs, ctlTheirs;
    private final String pong;

    /** Subscribes (RESP protocol resp) to every channel on both servers and sets notify-keyspace-events. */
    NotificationDiff(Differential diff, String flags, int resp) {
        this.diff = diff;
        ctlOurs = diff.starling.raw();
        ctlTheirs = diff.redis.raw();
        subOurs = diff.starling.raw();
        subTheirs = diff.redis.raw();
        configSet("notify-keyspace-events", flags);
        for (RespClient s : new RespClient[] {subOurs, subTheirs}) {
            if (resp == 3) s.callString("HELLO", "3");
            assertThat(s.callString("PSUBSCRIBE", "*")).contains("psubscribe");
        }
        pong = resp == 3 ? "+PONG\r\n" : "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    }

    void configSet(String name, String value) {
        assertThat(ctlOurs.callString("CONFIG", "SET", name, value)).isEqualTo("+OK\r\n");
        assertThat(ctlTheirs.callString("CONFIG", "SET", name, value)).isEqualTo("+OK\r\n");
    }

    /** Sends a command to both servers on their control connections (not compared). */
    void both(String... cmd) {
        ctlOurs.callString(cmd);
        ctlTheirs.callString(cmd);
    }

    /**
     * Runs cmd on both servers' main connections; asserts equal replies, equal dirty deltas (sampled
     * on separate connections, so this works inside MULTI too) and equal notifications. Returns the reply.
     */
    String step(String... cmd) {
        long before0 = dirty(ctlOurs), before1 = dirty(ctlTheirs);
        String reply = diff.same(cmd);
        String what = String.join(" ", cmd);
        assertThat(dirty(ctlOurs) - before0).as("dirty delta of %s", what).isEqualTo(dirty(ctlTheirs) - before1);
        assertThat(drain(subOurs)).as("notifications of %s", what).isEqualTo(drain(subTheirs));
        return reply;
    }

    /** {@link #step} for binary arguments (RESTORE payloads). */
    String step(byte[]... cmd) {
        long before0 = dirty(ctlOurs), before1 = dirty(ctlTheirs);
        String reply = diff.same(cmd);
        String what = new String(cmd[0], java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(dirty(ctlOurs) - before0).as("dirty delta of %s", what).isEqualTo(dirty(ctlTheirs) - before1);
        assertThat(drain(subOurs)).as("notifications of %s", what).isEqualTo(drain(subTheirs));
        return reply;
    }

    /** Like {@link #step} for commands whose reply is a hash-ordered aggregate. */
    String stepUnordered(String... cmd) {
        long before0 = dirty(ctlOurs), before1 = dirty(ctlTheirs);
        String reply = diff.sameUnordered(1, cmd);
        String what = String.join(" ", cmd);
        assertThat(dirty(ctlOurs) - before0).as("dirty delta of %s", what).isEqualTo(dirty(ctlTheirs) - before1);
        assertThat(drain(subOurs)).as("notifications of %s", what).isEqualTo(drain(subTheirs));
        return reply;
    }

    /** The notifications each side received since the last drain, in order. */
    List<String> drainOurs() {
        return drain(subOurs);
    }

    List<String> drainTheirs() {
        return drain(subTheirs);
    }

    private List<String> drain(RespClient sub) {
        sub.send(RespClient.encode(RespClient.args("PING")));
        List<String> out = new ArrayList<>();
        for (;;) {
            String r = sub.readReplyString();
            if (r.equals(pong)) return out;
            out.add(r);
        }
    }

    /** Reads one more message on each side (for events that arrive on their own, like active expiry). */
    String nextOurs() {
        return subOurs.readReplyString();
    }

    String nextTheirs() {
        return subTheirs.readReplyString();
    }

    long dirty(RespClient ctl) {
        String info = ctl.callString("INFO", "persistence");
        int i = info.indexOf("rdb_changes_since_last_save:");
        int end = info.indexOf("\r\n", i);
        return Long.parseLong(info.substring(i + "rdb_changes_since_last_save:".length(), end));
    }

    @Override
    public void close() {
        subOurs.close();
        subTheirs.close();
        ctlOurs.close();
        ctlTheirs.close();
    }
}
