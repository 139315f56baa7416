package dev.starling.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

import java.io.IOException;

/**
 * The one place that picks Netty's transport: the I/O handler, the channel classes, a channel's
 * descriptor, TCP keepalive options and the direct reply write. Chosen once per JVM by the system
 * property starling.transport = io_uring | epoll | nio (Redis has no config option for this, its
 * ae picks the best multiplexer at build time); an unavailable choice falls back to epoll, then nio.
 *
 * <p>Direct writes: Redis's writeToClient calls write(2) as soon as the executor has replies. On
 * epoll Starling does the same when Netty's outbound buffer is empty: epoll keeps a message there
 * until the kernel has taken all of it, so an empty buffer means no Netty write is queued and a
 * write(2) from the loop thread cannot reorder bytes; a partial write leaves the rest to Netty. On
 * io_uring replies take Netty's path: its accepted sockets are blocking (the ring never blocks on
 * them), so a plain write(2) could stall the loop, and a send(2) with MSG_DONTWAIT (tried through
 * the FFM linker) cost the same CPU per request as the ring's own writes, which need ~0.3 system
 * calls per request instead of ~1.3 (bench/request-cpu.sh, pipeline 1).
 */
public enum Transport {
    IO_URING("io_uring"), EPOLL("epoll"), NIO("nio");

    /** The transport of this JVM. */
    public static final Transport CURRENT = select(System.getProperty("starling.transport", ""));

    public final String name;

    Transport(String name) {
        this.name = name;
    }

    /** The requested transport if available, else epoll, else nio. The default is epoll. */
    static Transport select(String requested) {
        if (requested.equals("io_uring") && IoUring.isAvailable()) return IO_URING;
        if (!requested.equals("nio") && Epoll.isAvailable()) return EPOLL;
        return NIO;
    }

    /** A line for the log at start-up; says so when the requested transport was not available. */
    String describe() {
        String requested = System.getProperty("starling.transport", "");
        String s = "Network transport: " + name;
        if (this == CURRENT && !requested.isEmpty() && !requested.equals(name)) s += " (" + requested + " is not available)";
        return s;
    }

    /** Whether this transport can run here (tests skip the others). */
    public boolean isAvailable() {
        return switch (this) {
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
            case NIO -> true;
        };
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public Class<? extends ServerChannel> serverChannel() {
        return switch (this) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    /** The class of an outgoing connection (the replica's link to its master). */
    public Class<? extends SocketChannel> socketChannel() {
        return switch (this) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    /** The channel's file descriptor number, or -1 where the JVM does not expose it (nio). */
    public static int fd(Channel ch) {
        return ch instanceof UnixChannel u ? u.fd().intValue() : -1;
    }

    /**
     * Redis's anetKeepAlive: probes after interval seconds idle, every third of that, three times,
     * so a dead peer is noticed in about twice the interval. SO_KEEPALIVE is set by the caller;
     * nio has no portable idle/interval/count options and keeps the kernel's.
     */
    public static void setKeepAlive(SocketChannel ch, int interval) {
        var cfg = ch.config();
        if (ch instanceof IoUringSocketChannel) {
            cfg.setOption(IoUringChannelOption.TCP_KEEPIDLE, interval);
            cfg.setOption(IoUringChannelOption.TCP_KEEPINTVL, Math.max(1, interval / 3));
            cfg.setOption(IoUringChannelOption.TCP_KEEPCNT, 3);
        } else if (ch instanceof EpollSocketChannel) {
            cfg.setOption(EpollChannelOption.TCP_KEEPIDLE, interval);
            cfg.setOption(EpollChannelOption.TCP_KEEPINTVL, Math.max(1, interval / 3));
            cfg.setOption(EpollChannelOption.TCP_KEEPCNT, 3);
        }
    }

    /** The keepalive triple as the channel reports it: {SO_KEEPALIVE, idle, interval, count} (tests). */
    public static Object[] keepAlive(SocketChannel ch) {
        var cfg = ch.config();
        if (ch instanceof IoUringSocketChannel) {
            return new Object[]{cfg.getOption(ChannelOption.SO_KEEPALIVE), cfg.getOption(IoUringChannelOption.TCP_KEEPIDLE),
                    cfg.getOption(IoUringChannelOption.TCP_KEEPINTVL), cfg.getOption(IoUringChannelOption.TCP_KEEPCNT)};
        }
        if (ch instanceof EpollSocketChannel) {
            return new Object[]{cfg.getOption(ChannelOption.SO_KEEPALIVE), cfg.getOption(EpollChannelOption.TCP_KEEPIDLE),
                    cfg.getOption(EpollChannelOption.TCP_KEEPINTVL), cfg.getOption(EpollChannelOption.TCP_KEEPCNT)};
        }
        return null;
    }

    /**
     * Writes b's readable bytes with one write(2) if the channel is epoll's and has nothing queued
     * (see the class comment). Returns true if every byte was sent; otherwise b's reader index is past what was
     * sent (possibly nothing) and the caller hands the rest to Netty, which also reports errors.
     */
    static boolean writeDirect(Channel channel, ByteBuf b) {
        if (!b.hasMemoryAddress() || !(channel instanceof UnixChannel u)
                || !(channel instanceof AbstractEpollStreamChannel) || !channel.eventLoop().inEventLoop()) {
            return false;
        }
        ChannelOutboundBuffer queued = channel.unsafe().outboundBuffer();
        if (queued == null || !queued.isEmpty() || queued.totalPendingWriteBytes() != 0) return false;
        int n;
        try {
            n = u.fd().writeAddress(b.memoryAddress(), b.readerIndex(), b.writerIndex());
        } catch (IOException e) {
            return false;
        }
        b.skipBytes(n);
        return !b.isReadable();
    }
}
