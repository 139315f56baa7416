package dev.starling.replication;

import dev.starling.protocol.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;

/**
 * The one ordered stream of propagated writes (Redis's replicationFeedSlaves and the AOF buffer's
 * feed, merged): commands are encoded to RESP once, a SELECT goes before a command whose database
 * differs from the stream's, and every consumer is handed the same bytes.
 *
 * <h2>Chunks</h2>
 * Commands accumulate in one buffer, the current chunk, which {@link #flush} hands to every
 * consumer. The server flushes before it writes any reply (so a reply never overtakes the writes
 * it acknowledges, as Redis writes the AOF in beforeSleep before replies) and once more at the end
 * of each event-loop turn; a pipelined batch of writes therefore reaches consumers as one chunk.
 * A command whose targets differ from the chunk's (a PUBLISH, replicas only) starts a new chunk, so
 * each chunk has one target set. A chunk nobody retained is cleared and reused.
 *
 * <h2>Offset</h2>
 * {@link #offset} is master_repl_offset: the bytes of every command meant for replicas, counted as
 * they are appended (so INFO is exact even before a flush). It moves only while a consumer that
 * wants {@link Propagator#PROPAGATE_REPL} is attached, as Redis's moves only while a backlog exists.
 *
 * <h2>SELECT</h2>
 * {@link #selectedDb} is Redis's server.slaveseldb: the database the stream's reader has selected,
 * -1 for "unknown", which a new consumer resets so that the first command it reads is preceded by
 * a SELECT (Redis resets it when a replica starts a full sync).
 *
 * <h2>On a replica (Redis's replicationFeedStreamFromMasterStream)</h2>
 * While {@link #proxying}, commands executed here (those applied from the master included) reach
 * only the AOF: the replicas' part of the stream is the master's stream itself, relayed verbatim by
 * {@link #appendRaw} as it is applied, so a sub-replica, and this server once promoted, continue
 * the master's history with the same bytes and offsets. A raw chunk carries its own SELECTs: it is
 * handed over with selectedDb -1, and a consumer of replicas' chunks must take it as it is.
 */
public final class ReplicationStream {
    /** Redis's PROTO_SHARED_SELECT_CMDS: SELECT commands encoded once. */
    private static final int SHARED_SELECT_CMDS = 10;
    private static final byte[][] SHARED_SELECT = new byte[SHARED_SELECT_CMDS][];
    /** A chunk grown past this (a huge value went through) is released rather than kept for reuse. */
    private static final int REUSE_MAX_CAPACITY = 64 * 1024;

    static {
        for (int i = 0; i < SHARED_SELECT_CMDS; i++) SHARED_SELECT[i] = selectCommand(i);
    }

    private final ArrayList<StreamConsumer> consumers = new ArrayList<>();
    private StreamConsumer[] consumerArray = new StreamConsumer[0];
    /** Union of the consumers' targets; 0 while nobody listens. */
    int wanted;
    /** master_repl_offset. */
    long offset;
    /** Redis's slaveseldb. */
    int selectedDb = -1;
    /** True on a replica: replicas get the master's stream ({@link #appendRaw}), not encoded commands. */
    boolean proxying;

    private final ByteBufAllocator alloc;
    /** The buffer commands are encoded into (kept between chunks when nobody retained it), or null. */
    private ByteBuf chunk;
    private int chunkTargets;

    ReplicationStream(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /** master_repl_offset: bytes appended for replicas since start. */
    public long offset() {
        return offset;
    }

    /** The database the stream has selected, or -1 before the first command a consumer reads. */
    public int selectedDb() {
        return selectedDb;
    }

    /** Attaches c; the next command is preceded by a SELECT. Executor thread only. */
    public void addConsumer(StreamConsumer c) {
        flush();
        consumers.add(c);
        consumerArray = consumers.toArray(new StreamConsumer[0]);
        wanted |= c.targets();
        selectedDb = -1;
    }

    /** Detaches c after handing it what is pending; with no consumer left the stream costs nothing. */
    public void removeConsumer(StreamConsumer c) {
        flush();
        consumers.remove(c);
        consumerArray = consumers.toArray(new StreamConsumer[0]);
        int w = 0;
        for (StreamConsumer x : consumerArray) w |= x.targets();
        wanted = w;
        if (w == 0 && chunk != null) {
            chunk.release();
            chunk = null;
        }
    }

    /** True if commands were appended since the last {@link #flush}. */
    boolean pending() {
        return chunk != null && chunk.isReadable();
    }

    /**
     * Appends one command to the current chunk, after a SELECT when dbid differs from the
     * stream's (dbid -1: a command that needs no database, such as PING).
     */
    void feed(int dbid, byte[][] argv, int argc, int targets) {
        if (proxying) {
            targets &= ~Propagator.PROPAGATE_REPL;
            if ((targets & wanted) == 0) return;
        }
        ByteBuf b = chunk;
        if (b != null && b.isReadable() && targets != chunkTargets) {
            flush();
            b = chunk;
        }
        if (b == null) chunk = b = alloc.buffer(512);
        chunkTargets = targets;
        int start = b.writerIndex();
        if (dbid >= 0 && dbid != selectedDb) {
            b.writeBytes(dbid < SHARED_SELECT_CMDS ? SHARED_SELECT[dbid] : selectCommand(dbid));
            selectedDb = dbid;
        }
        Resp.writeHeader(b, '*', argc);
        for (int j = 0; j < argc; j++) Resp.writeBulk(b, argv[j]);
        if ((targets & wanted & Propagator.PROPAGATE_REPL) != 0) offset += b.writerIndex() - start;
    }

    /** Hands the current chunk to every consumer. Cheap when nothing is pending. */
    public void flush() {
        ByteBuf b = chunk;
        if (b == null || !b.isReadable()) return;
        int start = b.readerIndex();
        try {
            for (StreamConsumer c : consumerArray) {
                c.append(b, chunkTargets, selectedDb, offset);
                b.readerIndex(start); // a consumer that read it leaves it whole for the next
            }
        } finally {
            if (b.refCnt() == 1 && b.capacity() <= REUSE_MAX_CAPACITY) {
                b.clear(); // nobody kept it: encode the next chunk into the same memory
            } else {
                b.release();
                chunk = null;
            }
        }
    }

    /** Releases the reusable chunk; once the event loop has stopped (see Server.afterLoopHooks). */
    void release() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }

    /**
     * A replica's relay of its master's stream: data (commands fully applied here) is appended for
     * replicas as it is, after any pending chunk, and master_repl_offset grows by its length whether
     * or not anyone consumes it (a replica always keeps its master's offset, as Redis keeps a
     * backlog on every replica). Executor thread only; data is not retained.
     */
    public void appendRaw(ByteBuf data) {
        flush();
        int n = data.readableBytes();
        offset += n;
        selectedDb = -1; // the master's SELECTs went by: the next encoded command selects again
        if ((wanted & Propagator.PROPAGATE_REPL) == 0 || n == 0) return;
        int start = data.readerIndex();
        for (StreamConsumer c : consumerArray) {
            c.append(data, Propagator.PROPAGATE_REPL, -1, offset);
            data.readerIndex(start);
        }
    }

    /**
     * Adopts a master's offset after a full resync (Redis sets master_repl_offset to the offset of
     * +FULLRESYNC); the next encoded command starts with a SELECT.
     */
    public void resetOffset(long newOffset) {
        flush();
        offset = newOffset;
        selectedDb = -1;
    }

    /** Replica mode on or off (Redis's masterhost != NULL in replicationFeedSlaves). */
    void setProxying(boolean on) {
        flush();
        proxying = on;
        selectedDb = -1;
    }

    private static byte[] selectCommand(int dbid) {
        String n = Integer.toString(dbid);
        return Resp.ascii("*2\r\n$6\r\nSELECT\r\n$" + n.length() + "\r\n" + n + "\r\n");
    }
}
