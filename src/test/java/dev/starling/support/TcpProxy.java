package dev.starling.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy for fault tests: each accepted connection gets its own upstream connection
 * to 127.0.0.1:upstreamPort, and two threads pump bytes both ways. Faults apply to the connections
 * open at the time (a reconnect gets a healthy link), except {@link #delay}, which applies to all:
 * <ul>
 *   <li>{@link #delay} forwards each chunk only after the given time (latency);</li>
 *   <li>{@link #stall} stops pumping (both directions) until {@link #resume}; the sockets stay open;</li>
 *   <li>{@link #drop} closes both sides of every open connection;</li>
 *   <li>{@link #halfOpen} stops reading both sides for good without closing anything, as a peer
 *       that vanished without a FIN: only the endpoints' own timeouts end it.</li>
 * </ul>
 */
public final class TcpProxy implements AutoCloseable {
    private final int upstreamPort;
    private final ServerSocket listener;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile long delayMillis;
    private volatile boolean closed;
    /** Connections accepted so far (a reconnect shows as a new one). */
    public final AtomicLong accepted = new AtomicLong();

    public TcpProxy(int upstreamPort) {
        this.upstreamPort = upstreamPort;
        try {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        acceptor = new Thread(this::acceptLoop, "proxy-accept-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    public void delay(long millis) {
        delayMillis = millis;
    }

    public void stall() {
        for (Link l : links) l.stalled = true;
    }

    public void resume() {
        for (Link l : links) l.stalled = false;
    }

    public void drop() {
        for (Link l : links) l.close();
    }

    public void halfOpen() {
        for (Link l : links) l.dead = true;
    }

    /** Connections currently open (neither side closed yet). */
    public int openLinks() {
        int n = 0;
        for (Link l : links) if (!l.closed) n++;
        return n;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket down = listener.accept();
                Socket up = new Socket();
                try {
                    up.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5000);
                } catch (IOException e) {
                    down.close(); // upstream down: the client sees a closed connection, as a refused one
                    continue;
                }
                accepted.incrementAndGet();
                Link l = new Link(down, up);
                links.add(l);
                l.start();
            } catch (IOException e) {
                if (!closed) continue;
                return;
            }
        }
    }

    /** One proxied connection. */
    private final class Link {
        final Socket down, up;
        volatile boolean stalled, dead, closed;

        Link(Socket down, Socket up) throws IOException {
            this.down = down;
            this.up = up;
            down.setTcpNoDelay(true);
            up.setTcpNoDelay(true);
            // Reads wake up regularly so the pumps notice faults and closes.
            down.setSoTimeout(50);
            up.setSoTimeout(50);
        }

        void start() throws IOException {
            pump(down.getInputStream(), up.getOutputStream(), "up");
            pump(up.getInputStream(), down.getOutputStream(), "down");
        }

        private void pump(InputStream in, OutputStream out, String dir) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[64 * 1024];
                try {
                    while (!closed) {
                        if (stalled || dead) {
                            ServerProcess.sleepQuietly(10);
                            continue;
                        }
                        int n;
                        try {
                            n = in.read(buf);
                        } catch (SocketTimeoutException e) {
                            continue;
                        }
                        if (n < 0) break;
                        long d = delayMillis;
                        if (d > 0) ServerProcess.sleepQuietly(d); // injected latency
                        while ((stalled || dead) && !closed) ServerProcess.sleepQuietly(10);
                        if (closed) break;
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // one side closed or reset: close the other
                }
                if (!dead) close();
            }, "proxy-" + dir + "-" + port());
            t.setDaemon(true);
            t.start();
        }

        void close() {
            closed = true;
            try {
                down.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                up.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Link l : new ArrayList<>(links)) l.close();
    }
}
