package dev.starling.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Attaches to the real redis-server as a replica and reads what its master propagates: sends
 * {@code REPLCONF capa eof capa psync2} and {@code PSYNC ? -1}, skips the RDB payload (the
 * {@code $<len>} or the diskless {@code $EOF:<mark>} form), then acknowledges so that the master
 * puts the link online and starts the command stream (7.0 starts it on the ACK after the one that
 * puts a diskless replica online); it keeps acknowledging every 100 ms, as a replica does. Everything read afterwards is the replication stream, whose
 * byte count is the master's master_repl_offset from the FULLRESYNC offset on.
 */
public final class ReplicaStreamReader implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    /** master_repl_offset at FULLRESYNC. */
    public final long startOffset;
    private long read;

    public ReplicaStreamReader(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            send("REPLCONF", "capa", "eof", "capa", "psync2");
            expectLine("+OK");
            send("PSYNC", "?", "-1");
            String full = line();
            if (!full.startsWith("+FULLRESYNC ")) throw new IllegalStateException("unexpected PSYNC reply " + full);
            startOffset = Long.parseLong(full.substring(full.lastIndexOf(' ') + 1));
            skipRdb();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Acknowledge as a real replica does (it sends REPLCONF ACK every second): an ACK that
        // arrives before the master has reaped the RDB child is ignored, so one is not enough.
        acker = new Thread(this::ackLoop, "replica-ack-" + port);
        acker.setDaemon(true);
        acker.start();
        awaitOnline(port);
    }

    private final Thread acker;
    private volatile boolean closed;

    private void ackLoop() {
        while (!closed) {
            try {
                send("REPLCONF", "ACK", "0");
                Thread.sleep(100);
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Waits until the master lists this replica online: before that its RDB child may still be
     * running, and a FLUSHALL would kill it and drop the link.
     */
    private static void awaitOnline(int port) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        try (RespClient c = new RespClient(port)) {
            while (!c.callString("INFO", "replication").contains("state=online")) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("replica never came online");
                Thread.onSpinWait();
            }
        }
    }

    private void skipRdb() throws IOException {
        String header;
        do {
            header = line(); // the master sends bare newlines while it prepares the payload
        } while (header.isEmpty());
        if (header.startsWith("$EOF:")) {
            byte[] mark = header.substring(5).getBytes(StandardCharsets.ISO_8859_1);
            byte[] tail = new byte[mark.length];
            int n = 0;
            while (true) {
                int b = readByte();
                System.arraycopy(tail, 1, tail, 0, tail.length - 1);
                tail[tail.length - 1] = (byte) b;
                if (++n >= mark.length && Arrays.equals(tail, mark)) return;
            }
        }
        long len = Long.parseLong(header.substring(1));
        for (long i = 0; i < len; i++) readByte();
    }

    /** Reads the stream until the master's offset reaches endOffset; returns the bytes read. */
    public byte[] readUntil(long endOffset) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (startOffset + read < endOffset) {
            b.write(readByte());
            read++;
        }
        return b.toByteArray();
    }

    private synchronized void send(String... args) throws IOException {
        out.write(RespClient.encode(RespClient.args(args)));
        out.flush();
    }

    private void expectLine(String want) {
        String l = line();
        if (!l.equals(want)) throw new IllegalStateException("expected " + want + " got " + l);
    }

    /** A line without its CRLF; bare newlines before it come back as empty lines. */
    private String line() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = readByte();
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) c);
        }
    }

    private int readByte() {
        try {
            int c = in.read();
            if (c < 0) throw new UncheckedIOException(new IOException("replication link closed"));
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
