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
 * Commands accumulate in one pooled buffer, the current chunk, and {@link #flush} hands the chunk
 * to every consumer at the end of each execution unit (so a MULTI ... EXEC reaches consumers as
 * one chunk). A command whose targets differ from the chunk's (a PUBLISH, replicas only) starts a
 * new chunk, so each chunk has one target set.
 *
 * <h2>Offset</h2>
 * {@link #offset} is master_repl_offset: the bytes of every chunk meant for replicas, counted as
 * the backlog would count them. It moves only while a consumer that wants {@link
 * Propagator#PROPAGATE_REPL} is attached, as Redis's moves only while a backlog exists.
 *
 * <h2>SELECT</h2>
 * {@link #selectedDb} is Redis's server.slaveseldb: the database the stream's reader has selected,
 * -1 for "unknown", which a new consumer resets so that the first command it reads is preceded by
 * a SELECT (Redis resets it when a replica starts a full sync).
 */
public final class ReplicationStream {
    /** Redis's PROTO_SHARED_SELECT_CMDS: SELECT commands encoded once. */
    private static final int SHARED_SELECT_CMDS = 10;
    private static final byte[][] SHARED_SELECT = new byte[SHARED_SELECT_CMDS][];

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

    private final ByteBufAllocator alloc;
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
        consumers.add(c);
        consumerArray = consumers.toArray(new StreamConsumer[0]);
        wanted |= c.targets();
        selectedDb = -1;
    }

    /** Detaches c; with no consumer left the stream costs nothing. Executor thread only. */
    public void removeConsumer(StreamConsumer c) {
        consumers.remove(c);
        consumerArray = consumers.toArray(new StreamConsumer[0]);
        int w = 0;
        for (StreamConsumer x : consumerArray) w |= x.targets();
        wanted = w;
    }

    /**
     * Appends one command to the current chunk, after a SELECT when dbid differs from the
     * stream's (dbid -1: a command that needs no database, such as PING).
     */
    void feed(int dbid, byte[][] argv, int argc, int targets) {
        if (chunk != null && targets != chunkTargets) flush();
        if (chunk == null) {
            chunk = alloc.buffer(256);
            chunkTargets = targets;
        }
        ByteBuf b = chunk;
        if (dbid >= 0 && dbid != selectedDb) {
            b.writeBytes(dbid < SHARED_SELECT_CMDS ? SHARED_SELECT[dbid] : selectCommand(dbid));
            selectedDb = dbid;
        }
        Resp.writeHeader(b, '*', argc);
        for (int j = 0; j < argc; j++) Resp.writeBulk(b, argv[j]);
    }

    /** Hands the current chunk to every consumer and advances the offset. */
    void flush() {
        ByteBuf b = chunk;
        if (b == null) return;
        chunk = null;
        try {
            if ((chunkTargets & wanted & Propagator.PROPAGATE_REPL) != 0) offset += b.readableBytes();
            StreamConsumer[] cs = consumerArray;
            int start = b.readerIndex();
            for (StreamConsumer c : cs) {
                c.append(b, chunkTargets, selectedDb, offset);
                b.readerIndex(start); // a consumer that read it leaves it whole for the next
            }
        } finally {
            b.release();
        }
    }

    private static byte[] selectCommand(int dbid) {
        String n = Integer.toString(dbid);
        return Resp.ascii("*2\r\n$6\r\nSELECT\r\n$" + n.length() + "\r\n" + n + "\r\n");
    }
}
