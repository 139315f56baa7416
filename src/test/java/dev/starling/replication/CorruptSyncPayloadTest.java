package dev.starling.replication;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import dev.starling.support.ServerProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replica whose full-sync RDB is corrupt, as 7.0 handles it (rdbReportError): from the
 * transferred file (repl-diskless-load disabled) or straight from the socket (on-empty-db, swapdb)
 * the process exits with status 1 after Redis's log lines, never serving the partly loaded data;
 * a payload cut short is taken for a broken link and the sync is retried. A fake primary in the
 * test answers the handshake and sends a real redis-server RDB with a byte changed inside a value,
 * to an out-of-process Starling and to a redis-server 7.0 replica, and the two logs are compared
 * line by line.
 */
class CorruptSyncPayloadTest {
    static final String VALUE = "hello-world-value-xyz";
    static byte[] rdb;

    @BeforeAll
    static void realRdb() throws Exception {
        try (RedisReference r = RedisReference.start(); RespClient c = r.raw()) {
            c.callString("SET", "str", VALUE);
            c.callString("RPUSH", "list", "a", "b", "c", "1", "2", "3");
            assertThat(c.callString("SAVE")).isEqualTo("+OK\r\n");
            rdb = Files.readAllBytes(r.dir().resolve("dump.rdb"));
        }
    }

    /** The RDB with one byte changed: inside the string value (the checksum catches it) or in the list's listpack header. */
    static byte[] corrupt(String kind) {
        byte[] b = rdb.clone();
        if (kind.equals("crc")) {
            b[indexOf(b, VALUE.getBytes(StandardCharsets.US_ASCII))] ^= 0x20;
        } else {
            // key "list", then the quicklist: node count, container, the listpack's string length, its total-bytes header.
            int lenAt = indexOf(b, "list".getBytes(StandardCharsets.US_ASCII)) + 6;
            assertThat(b[lenAt + 1]).isEqualTo(b[lenAt]);
            b[lenAt + 1]--;
        }
        return b;
    }

    static int indexOf(byte[] b, byte[] what) {
        for (int i = 0; i + what.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + what.length, what, 0, what.length)) return i;
        }
        throw new AssertionError("not found");
    }

    @ParameterizedTest(name = "repl-diskless-load {0}, ${1}, {2}")
    @CsvSource({"disabled,len,crc", "disabled,eof,listpack", "on-empty-db,len,listpack", "on-empty-db,eof,crc",
            "swapdb,len,crc", "swapdb,eof,listpack"})
    void corruptPayload_replicaExitsWithRedisLogLines(String mode, String framing, String kind) throws Exception {
        byte[] payload = corrupt(kind);
        Outcome redis = replicate(false, mode, framing, payload, false);
        Outcome ours = replicate(true, mode, framing, payload, false);
        assertThat(redis.exit).isEqualTo(1);
        assertThat(ours.exit).as(ours.log.toString()).isEqualTo(1);
        assertThat(ours.log).isEqualTo(redis.log);
        assertThat(ours.log).anyMatch(l -> l.startsWith("# Internal error in RDB reading offset 0, function at rdb.c:"));
        assertNothingServed(ours, kind);
        assertNothingServed(redis, "");
    }

    /** A payload cut short and the link closed: a read error, not corruption; both keep running and sync again. */
    @ParameterizedTest(name = "repl-diskless-load {0}")
    @CsvSource({"on-empty-db", "swapdb"})
    void shortPayload_replicaRetries(String mode) throws Exception {
        byte[] payload = rdb;
        Outcome redis = replicate(false, mode, "len", payload, true);
        Outcome ours = replicate(true, mode, "len", payload, true);
        assertThat(redis.exit).isEqualTo(-1);
        assertThat(ours.exit).isEqualTo(-1);
        assertThat(ours.log).isEqualTo(redis.log);
        assertThat(ours.log).contains("# Short read or OOM loading DB. Unrecoverable error, aborting now.");
        assertNothingServed(ours, "short");
    }

    /**
     * Every GET str during the sync saw the empty dataset or -LOADING. A slow load (two keys, then
     * the checksum) must have shown -LOADING; Redis, which serves events only every
     * loading-process-events-interval-bytes, cannot answer during so small a load.
     */
    static void assertNothingServed(Outcome o, String kind) {
        assertThat(o.replies).as(o.replies.toString())
                .allMatch(r -> r.equals("$-1\r\n") || r.equals("-LOADING Redis is loading the dataset in memory\r\n"));
        if (kind.equals("crc")) assertThat(o.replies).contains("-LOADING Redis is loading the dataset in memory\r\n");
    }

    record Outcome(int exit, List<String> log, List<String> replies) {}

    /**
     * Makes a replica (Starling or redis-server) sync from a fake primary that sends payload, with
     * GET str polled meanwhile. Returns its exit status (-1 if it kept running through a second
     * sync attempt, when cut), its log from "Full resync" on (the first attempt's, without the
     * time-dependent RDB age) and the replies to GET.
     */
    static Outcome replicate(boolean starling, String mode, String framing, byte[] payload, boolean cut) throws Exception {
        String[] opts = {"--repl-diskless-load", mode, "--key-load-delay", "300000"};
        try (FakePrimary primary = new FakePrimary(payload, framing.equals("eof"), cut);
             ServerProcess replica = starling ? ServerProcess.starling(opts) : ServerProcess.redis(opts)) {
            List<String> replies = Collections.synchronizedList(new ArrayList<>());
            replica.awaitReady();
            try (RespClient c = replica.raw()) {
                assertThat(c.callString("REPLICAOF", "127.0.0.1", Integer.toString(primary.port()))).isEqualTo("+OK\r\n");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (replica.alive() && System.nanoTime() < deadline && (!cut || primary.psyncs.get() < 2)) {
                    try {
                        replies.add(c.callString("GET", "str"));
                    } catch (RuntimeException exited) {
                        break;
                    }
                    Thread.sleep(5); // pacing the poll only
                }
            }
            int exit = -1;
            if (!cut) {
                exit = replica.awaitExitValue();
            } else {
                await().atMost(Duration.ofSeconds(60)).until(() -> primary.psyncs.get() >= 2);
                assertThat(replica.alive()).isTrue();
            }
            return new Outcome(exit, syncLog(replica.log()), replies);
        }
    }

    /**
     * The log from the first "Full resync from master" to the reconnection (or the end), without
     * prefixes and RDB age. The errno of "Failed trying to load ... from socket" is left out: Redis
     * prints a stale errno there (EINPROGRESS from its connect when the primary closed the link).
     */
    static List<String> syncLog(String log) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : log.split("\n")) {
            String m = line.replaceFirst("^\\d+:[A-Z] \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} ", "");
            if (m.contains("Full resync from master")) in = true;
            if (m.startsWith("* Reconnecting to MASTER")) break;
            if (m.startsWith("# Failed trying to load the MASTER synchronization DB from socket: ")) m = m.substring(0, m.indexOf(": ") + 1);
            if (in && !m.startsWith("* RDB age ") && !m.isBlank()) out.add(m);
        }
        return out;
    }

    /**
     * A primary that speaks just enough of the protocol: +PONG, +OK to REPLCONF, and to PSYNC a
     * +FULLRESYNC followed by the payload as $len or $EOF:mark; then it holds the link open (or
     * closes it half-way through the payload when cut).
     */
    static final class FakePrimary implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger psyncs = new AtomicInteger();
        final List<Socket> links = Collections.synchronizedList(new ArrayList<>());
        final byte[] payload;
        final boolean eof, cut;

        FakePrimary(byte[] payload, boolean eof, boolean cut) throws IOException {
            this.payload = payload;
            this.eof = eof;
            this.cut = cut;
            server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "fake-primary");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    links.add(s);
                    Thread t = new Thread(() -> serve(s), "fake-primary-link");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s; InputStream in = new BufferedInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
                for (;;) {
                    List<String> cmd = readCommand(in);
                    if (cmd == null) return;
                    String name = cmd.get(0).toUpperCase();
                    switch (name) {
                        case "PING" -> out.write("+PONG\r\n".getBytes(StandardCharsets.US_ASCII));
                        case "REPLCONF" -> out.write("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
                        case "PSYNC", "SYNC" -> {
                            psyncs.incrementAndGet();
                            fullSync(out);
                            if (cut) return;
                        }
                        default -> out.write("-ERR unknown\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                }
            } catch (IOException gone) {
                // the replica went (it exited)
            }
        }

        private void fullSync(OutputStream out) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(("+FULLRESYNC " + "c".repeat(40) + " 0\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] mark = "e".repeat(40).getBytes(StandardCharsets.US_ASCII);
            if (eof) {
                b.writeBytes(("$EOF:" + new String(mark, StandardCharsets.US_ASCII) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            } else {
                b.writeBytes(("$" + payload.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            b.write(payload, 0, cut ? payload.length / 2 : payload.length);
            if (eof && !cut) b.writeBytes(mark);
            out.write(b.toByteArray());
            out.flush();
        }

        /** One RESP array command, or null at the end of the stream. */
        private static List<String> readCommand(InputStream in) throws IOException {
            String head = readLine(in);
            if (head == null) return null;
            if (!head.startsWith("*")) return List.of(head.split(" "));
            int n = Integer.parseInt(head.substring(1));
            List<String> args = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int len = Integer.parseInt(readLine(in).substring(1));
                byte[] a = in.readNBytes(len + 2);
                args.add(new String(a, 0, len, StandardCharsets.ISO_8859_1));
            }
            return args;
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c; (c = in.read()) != -1; ) {
                if (c == '\n') return sb.toString();
                if (c != '\r') sb.append((char) c);
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (links) {
                for (Socket s : links) s.close();
            }
        }
    }
}
