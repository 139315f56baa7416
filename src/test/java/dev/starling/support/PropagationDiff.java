package dev.starling.support;

import dev.starling.replication.Propagator;
import dev.starling.replication.StreamConsumer;
import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the same commands on Starling and on the real redis-server 7.0 and compares, besides the
 * replies, what each propagates: Redis's stream as a replica attached over PSYNC receives it
 * ({@link ReplicaStreamReader}), Starling's as a {@link StreamConsumer} attached to its stream
 * captures it.
 *
 * <h2>How the streams are compared</h2>
 * Byte for byte, command by command, with two allowances. Redis's master PINGs its replicas every
 * repl-ping-replica-period; those PINGs are dropped. Absolute unix-ms timestamps (SET PXAT,
 * PEXPIREAT from a relative TTL) come from each server's own clock at the moment it ran the
 * command, so an argument that is such a timestamp in both streams (between 10^12 and 10^14)
 * may differ by up to {@link #TIMESTAMP_WINDOW_MS} and must be equal otherwise.
 */
public final class PropagationDiff implements AutoCloseable {
    /** How far apart the two servers' clocks may put the same absolute timestamp. */
    public static final long TIMESTAMP_WINDOW_MS = 5_000;
    private static final String PING = "*1\r\n$4\r\nPING\r\n";

    public final Differential diff;
    private final ReplicaStreamReader replica;
    private final Capture capture = new Capture();
    private final List<RespClient> extra = new ArrayList<>();

    public PropagationDiff(String... options) {
        diff = new Differential(options);
        diff.theirs().callString("CONFIG", "SET", "repl-diskless-sync-delay", "0");
        diff.theirs().callString("CONFIG", "SET", "repl-ping-replica-period", "3600");
        replica = new ReplicaStreamReader(diff.redis.port());
        diff.starling.onExecutor(() -> diff.starling.server.propagator.stream.addConsumer(capture));
    }

    /** Sends args to both servers and asserts the same reply. */
    public String same(String... args) {
        return diff.same(args);
    }

    /** A new connection pair (one to each server) for commands from a second client. */
    public Pair connection() {
        RespClient ours = diff.starling.raw(), theirs = diff.redis.raw();
        extra.add(ours);
        extra.add(theirs);
        return new Pair(ours, theirs);
    }

    /** Asserts both servers propagated the same commands since the last check, in the same order. */
    public void assertSameStream() {
        List<String>[] s = streams();
        assertThat(visible(s[0])).as("propagated stream (Redis's second)").isEqualTo(visible(s[1]));
    }

    /** As {@link #assertSameStream} for commands whose order is a hash-table order (several expirations, evictions). */
    public void assertSameStreamUnordered() {
        List<String>[] s = streams();
        java.util.Collections.sort(s[0]);
        java.util.Collections.sort(s[1]);
        assertThat(visible(s[0])).as("propagated commands, in any order").isEqualTo(visible(s[1]));
    }

    /** The commands propagated since the last check: {ours, theirs}, timestamps aligned, PINGs dropped. */
    @SuppressWarnings("unchecked")
    public List<String>[] streams() {
        long offset = redisOffset();
        List<String> theirs;
        try {
            theirs = commands(replica.readUntil(offset));
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalStateException("reading redis-server's replication stream: " + e + "\n" + diff.redis.log(), e);
        }
        theirs.removeIf(PING::equalsIgnoreCase); // 7.0 sends it as "ping"
        List<String> ours = align(commands(capture.take()), theirs);
        return new List[] {ours, theirs};
    }

    /** Waits until n clients are blocked on keys on both servers (a blocking command sent by a {@link Pair}). */
    public void awaitBlocked(int n) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(5))
                .until(() -> blocked(diff.theirs()) == n && blocked(diff.ours()) == n);
    }

    private static int blocked(RespClient c) {
        String info = c.callString("INFO", "clients");
        int i = info.indexOf("blocked_clients:");
        return Integer.parseInt(info.substring(i + 16, info.indexOf('\r', i)));
    }

    private long redisOffset() {
        String info = diff.theirs().callString("INFO", "replication");
        int i = info.indexOf("master_repl_offset:");
        return Long.parseLong(info.substring(i + 19, info.indexOf('\r', i)));
    }

    /** The commands with CR and LF shown as \\r \\n, so a failed comparison reads as the wire bytes. */
    private static List<String> visible(List<String> commands) {
        List<String> out = new ArrayList<>(commands.size());
        for (String c : commands) out.add(c.replace("\r", "\\r").replace("\n", "\\n"));
        return out;
    }

    /** Splits a stream into its commands, each as its exact RESP bytes. */
    public static List<String> commands(byte[] stream) {
        String s = new String(stream, StandardCharsets.ISO_8859_1);
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (pos < s.length()) {
            int start = pos;
            if (s.charAt(pos) != '*') throw new IllegalStateException("not a command at " + pos + ": " + s.substring(pos));
            int eol = s.indexOf("\r\n", pos);
            int n = Integer.parseInt(s.substring(pos + 1, eol));
            pos = eol + 2;
            for (int j = 0; j < n; j++) {
                eol = s.indexOf("\r\n", pos);
                int len = Integer.parseInt(s.substring(pos + 1, eol));
                pos = eol + 2 + len + 2;
            }
            out.add(s.substring(start, pos));
        }
        return out;
    }

    /** The arguments of one command (its exact RESP bytes). */
    public static List<String> args(String command) {
        List<String> out = new ArrayList<>();
        int eol = command.indexOf("\r\n");
        int n = Integer.parseInt(command.substring(1, eol));
        int pos = eol + 2;
        for (int j = 0; j < n; j++) {
            eol = command.indexOf("\r\n", pos);
            int len = Integer.parseInt(command.substring(pos + 1, eol));
            out.add(command.substring(eol + 2, eol + 2 + len));
            pos = eol + 2 + len + 2;
        }
        return out;
    }

    /** ours with each timestamp argument within the window of theirs replaced by theirs. */
    private static List<String> align(List<String> ours, List<String> theirs) {
        List<String> out = new ArrayList<>(ours.size());
        for (int i = 0; i < ours.size(); i++) {
            String o = ours.get(i);
            if (i < theirs.size()) {
                List<String> a = args(o), b = args(theirs.get(i));
                if (a.size() == b.size()) {
                    boolean changed = false;
                    for (int j = 0; j < a.size(); j++) {
                        if (isTimestamp(a.get(j)) && isTimestamp(b.get(j))
                                && Math.abs(Long.parseLong(a.get(j)) - Long.parseLong(b.get(j))) <= TIMESTAMP_WINDOW_MS) {
                            a.set(j, b.get(j));
                            changed = true;
                        }
                    }
                    if (changed) o = encode(a);
                }
            }
            out.add(o);
        }
        return out;
    }

    private static boolean isTimestamp(String s) {
        if (s.length() < 13 || s.length() > 14) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    public static String encode(List<String> args) {
        StringBuilder sb = new StringBuilder("*").append(args.size()).append("\r\n");
        for (String a : args) sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        return sb.toString();
    }

    /** Both servers' keyspace is intact (Starling's invariants hold). */
    public void validate() {
        diff.starling.onExecutor(() -> assertThat(diff.starling.server.keyspace.validate()).isNull());
    }

    @Override
    public void close() {
        for (RespClient c : extra) c.close();
        replica.close();
        diff.close();
    }

    /** Collects Starling's stream; runs on the executor, read from the test thread. */
    static final class Capture implements StreamConsumer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public int targets() {
            return Propagator.PROPAGATE_REPL;
        }

        @Override
        public synchronized void append(ByteBuf data, int targets, int selectedDb, long endOffset) {
            if ((targets & Propagator.PROPAGATE_REPL) == 0) return;
            byte[] b = new byte[data.readableBytes()];
            data.getBytes(data.readerIndex(), b);
            bytes.writeBytes(b);
        }

        synchronized byte[] take() {
            byte[] b = bytes.toByteArray();
            bytes.reset();
            return b;
        }
    }

    /** One more client on each server, for blocking commands. */
    public static final class Pair {
        public final RespClient ours, theirs;

        Pair(RespClient ours, RespClient theirs) {
            this.ours = ours;
            this.theirs = theirs;
        }

        /** Sends args to both without reading the replies (a command that blocks). */
        public void send(String... args) {
            byte[] b = RespClient.encode(RespClient.args(args));
            theirs.send(b);
            ours.send(b);
        }

        /** Reads the next reply on both and asserts it is the same. */
        public String sameReply() {
            String expected = theirs.readReplyString();
            String actual = ours.readReplyString();
            assertThat(actual).isEqualTo(expected);
            return actual;
        }

        public String same(String... args) {
            send(args);
            return sameReply();
        }
    }
}
