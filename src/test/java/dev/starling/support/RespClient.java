package dev.starling.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A raw RESP connection that returns each reply's exact bytes, for byte-for-byte comparison with
 * Redis. Reads exactly one complete reply (RESP2 or RESP3) per call.
 */
public final class RespClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RespClient(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes args as a multibulk request. */
    public static byte[] encode(byte[]... args) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            b.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(a);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    public static byte[][] args(String... args) {
        byte[][] out = new byte[args.length][];
        for (int i = 0; i < args.length; i++) out[i] = args[i].getBytes(StandardCharsets.UTF_8);
        return out;
    }

    /** Sends a command and returns the raw reply bytes. */
    public byte[] call(byte[]... args) {
        send(encode(args));
        return readReply();
    }

    /** Sends a command and returns the raw reply as a String (ISO-8859-1, so bytes map 1:1). */
    public String callString(String... args) {
        return new String(call(args(args)), StandardCharsets.ISO_8859_1);
    }

    public void send(byte[] raw) {
        try {
            out.write(raw);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one complete reply. */
    public byte[] readReply() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        readInto(b);
        return b.toByteArray();
    }

    public String readReplyString() {
        return new String(readReply(), StandardCharsets.ISO_8859_1);
    }

    /** True if the server closed the connection (reads EOF) within the socket timeout. */
    public boolean isClosedByPeer() {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    private void readInto(ByteArrayOutputStream b) {
        String line = readLine(b);
        char type = line.charAt(0);
        switch (type) {
            case '+', '-', ':', '_', ',', '#', '(' -> {
            }
            case '$', '=', '!' -> {
                long n = Long.parseLong(line.substring(1));
                if (n >= 0) {
                    for (long i = 0; i < n + 2; i++) b.write(readByte());
                }
            }
            case '*', '~', '>' -> {
                long n = Long.parseLong(line.substring(1));
                for (long i = 0; i < n; i++) readInto(b);
            }
            case '%', '|' -> {
                long n = Long.parseLong(line.substring(1));
                for (long i = 0; i < 2 * n; i++) readInto(b);
                if (type == '|') readInto(b);
            }
            default -> throw new IllegalStateException("bad reply type " + type);
        }
    }

    private String readLine(ByteArrayOutputStream b) {
        StringBuilder sb = new StringBuilder();
        int prev = -1;
        while (true) {
            int c = readByte();
            b.write(c);
            if (prev == '\r' && c == '\n') return sb.substring(0, sb.length() - 1);
            sb.append((char) c);
            prev = c;
        }
    }

    private int readByte() {
        try {
            int c = in.read();
            if (c < 0) throw new UncheckedIOException(new IOException("connection closed"));
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
