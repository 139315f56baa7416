package dev.starling.replication;

import dev.starling.keyspace.Snapshot;
import dev.starling.persistence.RdbFileWriter;
import dev.starling.persistence.RdbSink;
import dev.starling.persistence.RdbSnapshotSerializer;
import dev.starling.server.Server;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;

/**
 * One full sync: one forkless snapshot serving every replica that was waiting when it started
 * (Redis's startBgsaveForReplication with its RDB child). The snapshot's cut is the replicas'
 * start offset: their {@link Backlog.Reader}s are opened there, and the stream from that offset
 * on follows the RDB.
 *
 * <h2>Disk target</h2>
 * A BGSAVE through {@link dev.starling.persistence.RdbPersistence} (dbfilename is written, as
 * Redis's replication BGSAVE does); when it ends each replica gets {@code $<len>\r\n} and the file
 * (zero-copy file regions, one slice per event-loop turn), then goes online.
 *
 * <h2>Socket target (diskless)</h2>
 * An {@link RdbSnapshotSerializer} (its thread walks the snapshot and encodes) streams
 * {@code $EOF:<40 hex chars>\r\n}, the RDB, the same 40 chars to the replicas' channels. Its thread
 * waits while any target's channel is above its high-water mark, and its walk with it: a slow
 * replica slows the transfer instead of growing memory, and writes meanwhile still hand over the
 * keys they touch, which is the bounded extra. Once the EOF mark is on the wire the
 * replica is ONLINE and its stream starts with its first REPLCONF ACK, as in 7.0.
 *
 * <p>Executor thread only.
 */
final class FullSync implements RdbSink {
    /** Redis's RDB_EOF_MARK_SIZE. */
    static final int EOF_MARK_SIZE = 40;

    private final Primary primary;
    private final Server server;
    final boolean socket;
    /** master_repl_offset at the cut. */
    final long offset;
    final ArrayList<ReplicaLink> targets = new ArrayList<>();
    private RdbSnapshotSerializer serializer;
    private Snapshot snapshot;
    /** The targets' channels as the serializer thread sees them. */
    private volatile Channel[] channels = new Channel[0];
    /** Bytes the serializer thread handed to channels, added to INFO's count at the end. */
    private final java.util.concurrent.atomic.AtomicLong sentBytes = new java.util.concurrent.atomic.AtomicLong();
    /** Signalled when a target's socket drains. */
    private final Object drained = new Object();
    private volatile boolean stopped;
    private volatile boolean waitingForDrain;
    private byte[] mark;
    private int pendingMarks;
    private boolean finished;

    FullSync(Primary primary, boolean socket, long offset) {
        this.primary = primary;
        this.server = primary.server;
        this.socket = socket;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- disk

    /** Starts the BGSAVE; false if RdbPersistence refused (one is running). */
    boolean startDisk() {
        return server.rdb.rdbSaveBackground(this::bgsaveDone);
    }

    /** Redis's updateSlavesWaitingBgsave for a disk target. */
    private void bgsaveDone(boolean ok) {
        finish();
        for (ReplicaLink r : new ArrayList<>(targets)) {
            if (r.state != ReplicaLink.WAIT_BGSAVE_END) continue;
            if (!ok) {
                server.log.warning("SYNC failed. BGSAVE child returned an error");
                primary.freeReplica(r);
                continue;
            }
            sendFile(r);
        }
    }

    private void sendFile(ReplicaLink r) {
        Path file = Path.of(server.config.dir).resolve(server.config.dbfilename);
        FileChannel fc;
        long size;
        try {
            fc = FileChannel.open(file, StandardOpenOption.READ);
            size = fc.size();
        } catch (IOException e) {
            server.log.warning("SYNC failed. Can't open/stat DB after BGSAVE: " + e.getMessage());
            primary.freeReplica(r);
            return;
        }
        r.state = ReplicaLink.SEND_BULK;
        primary.write(r, ("$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII), false);
        primary.statNetReplOutputBytes += size;
        sendFileFrom(r, fc, 0, size);
    }

    /**
     * The file goes out one slice per event-loop turn (Redis writes 16 KB per writable event):
     * one region for the whole file would let a single flush copy megabytes into the socket
     * while the clients' events wait behind it.
     */
    static final long FILE_SLICE = 256 << 10;

    private void sendFileFrom(ReplicaLink r, FileChannel fc, long pos, long size) {
        long n = Math.min(FILE_SLICE, size - pos);
        Channel ch = r.client.channel;
        ch.writeAndFlush(new FileSlice(fc, pos, n)).addListener(done -> {
            boolean sending = done.isSuccess() && r.state == ReplicaLink.SEND_BULK;
            if (sending && pos + n < size) {
                ch.eventLoop().execute(() -> sendFileFrom(r, fc, pos + n, size));
                return;
            }
            closeQuietly(fc);
            targets.remove(r);
            r.sync = null;
            if (sending && primary.replicaPutOnline(r)) primary.pump(r);
        });
    }

    /** A slice of the RDB file; the file stays open for the next one (DefaultFileRegion would close it). */
    private static final class FileSlice extends DefaultFileRegion {
        FileSlice(FileChannel file, long position, long count) {
            super(file, position, count);
        }

        @Override
        protected void deallocate() {}
    }

    private static void closeQuietly(FileChannel fc) {
        try {
            fc.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }

    // ---------------------------------------------------------------- sockets

    /**
     * Writes the EOF-mark preamble to every target, takes the snapshot (the cut is now) and starts
     * the serializer thread that streams the RDB to the targets' channels.
     */
    void startSocket(String[] aux) {
        mark = Server.randomHex(EOF_MARK_SIZE).getBytes(StandardCharsets.US_ASCII);
        byte[] preamble = ("$EOF:" + new String(mark, StandardCharsets.US_ASCII) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        for (ReplicaLink r : targets) primary.write(r, preamble, true);
        updateChannels();
        server.keyspace.updateTime();
        long usedMem = server.usedMemory();
        serializer = new RdbSnapshotSerializer(server.keyspace, this, server.config.rdbcompression, server.config.rdbchecksum,
                server.config.maxmemoryPolicy, (w, snap) -> RdbFileWriter.saveInfoAuxFields(w, snap, usedMem, aux, false));
        serializer.applyKeySaveDelay(server.config);
        server.log.notice("Background RDB transfer started by pid " + ProcessHandle.current().pid());
        snapshot = serializer.start(server, "starling-fullsync",
                (err, cancelled) -> server.execute(() -> transferEnded(err, cancelled)));
    }

    /** The targets' channels, for the serializer thread (republished when a target goes). */
    private void updateChannels() {
        Channel[] chs = new Channel[targets.size()];
        for (int i = 0; i < chs.length; i++) chs[i] = targets.get(i).client.channel;
        channels = chs;
    }

    /**
     * Serializer thread: one chunk of RDB to every target (Netty queues the writes for the event
     * loop), then waits while a target's socket is backed up, so the snapshot walk (on the same
     * thread) waits too instead of memory growing.
     */
    @Override
    public void write(byte[] b, int off, int len) {
        Channel[] chs = channels;
        ByteBuf buf = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(len);
        buf.writeBytes(b, off, len);
        for (Channel ch : chs) {
            if (!ch.isActive()) continue;
            ch.writeAndFlush(buf.retainedDuplicate(), ch.voidPromise());
            sentBytes.addAndGet(len);
        }
        buf.release();
        synchronized (drained) {
            while (!stopped && backedUp()) {
                waitingForDrain = true;
                try {
                    drained.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } finally {
                    waitingForDrain = false;
                }
            }
        }
    }

    /** Whether the transfer is waiting for a backed-up target's socket to drain (for tests). */
    boolean waitingForDrain() {
        return waitingForDrain;
    }

    /** True while an active target's channel is above its high-water mark. */
    private boolean backedUp() {
        for (Channel ch : channels) if (ch.isActive() && !ch.isWritable()) return true;
        return false;
    }

    /** A target's channel became writable (executor): wake the serializer thread. */
    void writable() {
        synchronized (drained) {
            drained.notifyAll();
        }
    }

    /** The serializer is done (executor): the EOF mark follows the RDB, or the targets are dropped. */
    private void transferEnded(String err, boolean cancelled) {
        primary.statNetReplOutputBytes += sentBytes.getAndSet(0);
        if (cancelled || err != null) {
            finish();
            server.log.warning(cancelled ? "Background transfer terminated by signal 10" : "Background transfer error");
            for (ReplicaLink r : new ArrayList<>(targets)) {
                if (!cancelled) server.log.warning("SYNC failed. BGSAVE child returned an error");
                primary.freeReplica(r);
            }
            targets.clear();
            return;
        }
        ArrayList<Channel> up = new ArrayList<>();
        for (ReplicaLink r : targets) if (r.client.channel.isActive()) up.add(r.client.channel);
        // One count per mark plus one for this loop: a write that completes at once must not end the transfer early.
        pendingMarks = up.size() + 1;
        for (Channel ch : up) {
            primary.statNetReplOutputBytes += mark.length;
            ch.writeAndFlush(ch.alloc().buffer(mark.length).writeBytes(mark)).addListener(f -> markSent());
        }
        markSent();
    }

    /**
     * Once every target's EOF mark is on the wire: Redis's backgroundSaveDoneHandlerSocket and
     * updateSlavesWaitingBgsave for sockets.
     */
    private void markSent() {
        if (--pendingMarks > 0 || finished) return; // the last mark to go out ends the transfer
        finish();
        int up = 0;
        for (ReplicaLink r : targets) if (r.client.channel.isActive()) up++;
        server.log.warning("Diskless rdb transfer, done reading from pipe, " + up + " replicas still up.");
        server.log.notice("Background RDB transfer terminated with success");
        for (ReplicaLink r : new ArrayList<>(targets)) {
            r.sync = null;
            if (r.state != ReplicaLink.WAIT_BGSAVE_END || !r.client.channel.isActive()) continue;
            server.log.notice("Streamed RDB transfer with replica " + r.name()
                    + " succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming");
            if (!primary.replicaPutOnline(r)) {
                primary.freeReplica(r);
                continue;
            }
            r.startStreamOnAck = true;
        }
        targets.clear();
    }

    /** A target disconnected; the last one gone stops a socket transfer (no one to send it to). */
    void targetGone(ReplicaLink r) {
        targets.remove(r);
        if (socket) updateChannels();
        if (socket && targets.isEmpty() && snapshot != null && snapshot.state() == Snapshot.RUNNING) {
            server.log.warning("Diskless rdb transfer, last replica dropped, killing fork child.");
            snapshot.cancel();
        }
    }

    /** The "child" is gone: the next full sync may start. */
    private void finish() {
        finished = true;
        stopped = true;
        writable();
        if (primary.sync == this) primary.sync = null;
    }

    /** The snapshot walk in progress (tests), or null. */
    Snapshot snapshot() {
        return snapshot;
    }
}
