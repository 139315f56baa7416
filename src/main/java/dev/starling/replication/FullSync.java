package dev.starling.replication;

import dev.starling.keyspace.Snapshot;
import dev.starling.keyspace.SnapshotConsumer;
import dev.starling.persistence.RdbFileWriter;
import dev.starling.persistence.RdbSink;
import dev.starling.persistence.SnapshotDriver;
import dev.starling.server.Server;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
 * (a zero-copy file region), then goes online.
 *
 * <h2>Socket target (diskless)</h2>
 * The snapshot is serialized on the executor straight to the replicas' channels:
 * {@code $EOF:<40 hex chars>\r\n}, the RDB, the same 40 chars. The walk pauses while any target's
 * channel is not writable (Netty's high-water mark) and resumes when all are, so a slow replica
 * slows the transfer instead of growing memory; writes meanwhile still hand over the keys they
 * touch, which is the bounded extra. Once the EOF mark is on the wire the replica is ONLINE and its
 * stream starts with its first REPLCONF ACK, as in 7.0.
 *
 * <p>Executor thread only.
 */
final class FullSync implements SnapshotConsumer, RdbSink {
    /** Redis's RDB_EOF_MARK_SIZE. */
    static final int EOF_MARK_SIZE = 40;

    private final Primary primary;
    private final Server server;
    final boolean socket;
    /** master_repl_offset at the cut. */
    final long offset;
    final ArrayList<ReplicaLink> targets = new ArrayList<>();
    private RdbFileWriter rdb;
    private Snapshot snapshot;
    private SnapshotDriver driver;
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
        Channel ch = r.client.channel;
        primary.write(r, ("$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII), false);
        primary.statNetReplOutputBytes += size;
        ChannelFuture f = ch.writeAndFlush(new DefaultFileRegion(fc, 0, size));
        f.addListener(done -> {
            targets.remove(r);
            r.sync = null;
            if (done.isSuccess() && r.state == ReplicaLink.SEND_BULK) {
                if (primary.replicaPutOnline(r)) primary.pump(r);
            }
        });
    }

    // ---------------------------------------------------------------- sockets

    /** Writes the EOF-mark preamble to every target and starts the snapshot walk. */
    void startSocket(String[] aux) {
        mark = Server.randomHex(EOF_MARK_SIZE).getBytes(StandardCharsets.US_ASCII);
        byte[] preamble = ("$EOF:" + new String(mark, StandardCharsets.US_ASCII) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        for (ReplicaLink r : targets) primary.write(r, preamble, true);
        server.keyspace.updateTime();
        rdb = RdbFileWriter.toSink(server.keyspace, this, server.config.rdbcompression, server.config.rdbchecksum,
                server.config.maxmemoryPolicy, server.usedMemory(), aux);
        // Logged first: an empty keyspace is sent whole inside startSnapshot.
        server.log.notice("Background RDB transfer started by pid " + ProcessHandle.current().pid());
        snapshot = server.keyspace.startSnapshot(this);
        if (snapshot.state() == Snapshot.RUNNING) {
            driver = new SnapshotDriver(server, snapshot, this::backedUp);
            driver.start();
        }
    }

    /** True while a target's socket is backed up: the walk pauses. */
    private boolean backedUp() {
        for (int i = 0; i < targets.size(); i++) {
            Channel ch = targets.get(i).client.channel;
            if (ch.isActive() && !ch.isWritable()) return true;
        }
        return false;
    }

    /** A target's channel became writable: resume the walk once none is backed up. */
    void writable() {
        if (driver != null && snapshot.isPaused() && !backedUp()) driver.resume();
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ByteBuf buf = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(len);
        buf.writeBytes(b, off, len);
        for (int i = 0; i < targets.size(); i++) {
            Channel ch = targets.get(i).client.channel;
            if (!ch.isActive()) continue;
            ch.writeAndFlush(buf.retainedDuplicate(), ch.voidPromise());
            primary.statNetReplOutputBytes += len;
        }
        buf.release();
    }

    @Override
    public void begin(Snapshot s) {
        rdb.begin(s);
    }

    @Override
    public void dbStart(int db, long keys, long volatileKeys) {
        rdb.dbStart(db, keys, volatileKeys);
    }

    @Override
    public void key(int db, byte[] key, Object value, long expireAt, int lru) {
        rdb.key(db, key, value, expireAt, lru);
    }

    /** The whole RDB has been handed to the channels: the EOF mark follows. */
    @Override
    public void end() {
        rdb.end();
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

    @Override
    public void cancelled() {
        rdb.cancelled();
        finish();
        server.log.warning("Background transfer terminated by signal 10");
        for (ReplicaLink r : new ArrayList<>(targets)) primary.freeReplica(r);
        targets.clear();
    }

    /** A target disconnected; the last one gone stops a socket transfer (no one to send it to). */
    void targetGone(ReplicaLink r) {
        targets.remove(r);
        if (socket && targets.isEmpty() && snapshot != null && snapshot.state() == Snapshot.RUNNING) {
            server.log.warning("Diskless rdb transfer, last replica dropped, killing fork child.");
            snapshot.cancel();
        }
    }

    /** The "child" is gone: the next full sync may start. */
    private void finish() {
        finished = true;
        if (primary.sync == this) primary.sync = null;
    }

    /** The snapshot walk in progress (tests), or null. */
    Snapshot snapshot() {
        return snapshot;
    }
}
