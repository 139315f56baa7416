package dev.starling.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;

/**
 * The replication backlog: the tail of the {@link ReplicationStream}, shared by every replica
 * (Redis 7.0's shared replication buffer, replication.c's createReplicationBacklog,
 * feedReplicationBuffer, incrementalTrimReplicationBuffer).
 *
 * <h2>Readers, not copies</h2>
 * A replica does not get a private copy of the stream: it holds a {@link Reader}, a position in
 * the backlog, and pulls bytes from there as its socket accepts them ({@link #read}). How far a
 * reader is behind the end is that replica's output buffer. repl-backlog-size is the least the
 * backlog keeps for PSYNC; a block a reader still needs is kept until the reader has passed it,
 * however far behind it is (the output-buffer limits decide when a replica is too slow).
 *
 * <h2>Offsets</h2>
 * Positions are stream offsets: the number of bytes before a point, so a reader at p has sent
 * bytes 1..p and the end is master_repl_offset. {@link #firstByteOffset} is Redis's
 * repl_backlog->offset, the 1-based number of the oldest byte kept; a PSYNC at offset o (the next
 * byte the replica wants) can be served if firstByteOffset ≤ o ≤ end + 1.
 *
 * <h2>Blocks, exactly as 7.0 accounts them</h2>
 * Bytes are copied into blocks as Redis 7.0.15 feeds them, piece by piece of each command: a piece
 * fills the tail block and spills into new blocks of at least PROTO_REPLY_CHUNK_BYTES (16 KB) and at
 * most repl-backlog-size / 16, each as big as jemalloc's size class makes Redis's (a 16 KB block
 * holds 20440 bytes). The oldest block is dropped only while the rest still
 * hold more than repl-backlog-size, and never while a reader needs it. So repl_backlog_histlen and
 * repl_backlog_first_byte_offset in INFO equal a Redis primary's for the same stream. (Chunks are
 * copied, not retained: the stream's chunk is one event-loop batch, often a few dozen bytes in a
 * pooled buffer, and keeping those alive would cost far more than the copy.)
 *
 * <h2>Later</h2>
 * The narrow interface (open a reader at an offset, read from it, close it) is what lets the
 * backlog extend onto disk: blocks past repl-backlog-size could be spilled instead of dropped.
 *
 * <p>Executor thread only.
 */
public final class Backlog implements StreamConsumer {
    /** Redis's PROTO_REPLY_CHUNK_BYTES: the least a block holds. */
    static final int PROTO_REPLY_CHUNK_BYTES = 16 * 1024;
    /** sizeof(replBufBlock): the header jemalloc's size class is computed with. */
    static final int BLOCK_HEADER = 40;
    /** Redis's CONFIG_REPL_BACKLOG_MIN_SIZE. */
    static final long MIN_SIZE = 16 * 1024;

    /** Called after the backlog grew (the primary pumps its replicas). */
    interface Listener {
        void backlogGrew();
    }

    /** A reader's position; see {@link #openReader}. */
    public static final class Reader {
        /** Bytes of the stream already read. */
        long pos;
        boolean open = true;

        Reader(long pos) {
            this.pos = pos;
        }

        public long position() {
            return pos;
        }
    }

    private static final class Block {
        final ByteBuf buf;
        /** Stream offset before the block's first byte. */
        final long start;
        final int size;

        Block(ByteBuf buf, long start, int size) {
            this.buf = buf;
            this.start = start;
            this.size = size;
        }

        long end() {
            return start + buf.writerIndex();
        }
    }

    private final ByteBufAllocator alloc;
    private final java.util.function.LongSupplier configuredSize;
    /** master_repl_offset: an empty backlog starts at its next byte, wherever it has moved to. */
    private final java.util.function.LongSupplier streamOffset;
    private final ArrayList<Block> blocks = new ArrayList<>();
    private final ArrayList<Reader> readers = new ArrayList<>();
    /** master_repl_offset as the backlog has seen it. */
    private long end;
    private long histlen;
    private long firstByteOffset;
    Listener listener;

    /**
     * A backlog starting at the stream's current offset (Redis's createReplicationBacklog: nothing
     * held, the next byte first). While empty it follows the offset (a replica adopts its master's
     * offset after a full sync), so its first byte is always the next one.
     */
    Backlog(ByteBufAllocator alloc, java.util.function.LongSupplier streamOffset, java.util.function.LongSupplier configuredSize) {
        this.alloc = alloc;
        this.streamOffset = streamOffset;
        this.end = streamOffset.getAsLong();
        this.firstByteOffset = end + 1;
        this.configuredSize = configuredSize;
    }

    /** An empty backlog moves with the stream's offset. */
    private void realign() {
        if (histlen == 0 && readers.isEmpty()) {
            end = streamOffset.getAsLong();
            firstByteOffset = end + 1;
        }
    }

    // ---------------------------------------------------------------- INFO

    /** repl_backlog_first_byte_offset. */
    public long firstByteOffset() {
        realign();
        return firstByteOffset;
    }

    /** repl_backlog_histlen. */
    public long histlen() {
        return histlen;
    }

    /** The offset of the last byte held (master_repl_offset). */
    public long end() {
        realign();
        return end;
    }

    /** Blocks held (Redis indexes one in REPL_BACKLOG_INDEX_PER_BLOCKS of them: INFO mem_replication_backlog). */
    int blockCount() {
        return blocks.size();
    }

    /** Bytes allocated for blocks, headers included (INFO mem_total_replication_buffers). */
    public long memory() {
        long n = 0;
        for (int i = 0; i < blocks.size(); i++) n += blocks.get(i).size + BLOCK_HEADER + 24;
        return n;
    }

    // ---------------------------------------------------------------- StreamConsumer

    @Override
    public int targets() {
        return Propagator.PROPAGATE_REPL;
    }

    @Override
    public void append(ByteBuf data, int targets, int selectedDb, long endOffset) {
        if ((targets & Propagator.PROPAGATE_REPL) == 0) return; // not replica bytes (the offset did not move)
        int len = data.readableBytes();
        if (histlen == 0) end = endOffset - len; // empty: starts where this chunk does
        if (len <= PROTO_REPLY_CHUNK_BYTES) feed(data, data.readerIndex(), len);
        else feedPieces(data, data.readerIndex(), len);
        histlen += len;
        end = endOffset;
        trim();
        if (listener != null) listener.backlogGrew();
    }

    /**
     * Redis's feedReplicationBuffer for one piece: fills the tail block, then starts blocks for the
     * rest, each at least 16 KB and at most repl-backlog-size / 16 (so no block is too big to trim
     * while a little of it is still needed).
     */
    private void feed(ByteBuf data, int idx, int len) {
        Block tail = blocks.isEmpty() ? null : blocks.get(blocks.size() - 1);
        int copied = fillTail(tail, data, idx, len);
        idx += copied;
        len -= copied;
        long limit = Math.max(Math.max(MIN_SIZE, configuredSize.getAsLong()) / 16, PROTO_REPLY_CHUNK_BYTES);
        while (len > 0) {
            int size = usableSize((int) Math.min(Math.max(len, PROTO_REPLY_CHUNK_BYTES), limit) + BLOCK_HEADER) - BLOCK_HEADER;
            int copy = Math.min(size, len);
            Block b = new Block(alloc.directBuffer(size, size), tail == null ? end : tail.end(), size);
            b.buf.writeBytes(data, idx, copy);
            blocks.add(b);
            tail = b;
            idx += copy;
            len -= copy;
        }
    }

    /**
     * A run of pieces of at most 16 KB each, fed as one: each such piece fills the tail block and
     * spills into a new block of exactly PROTO_REPLY_CHUNK_BYTES' size class, so feeding them one by
     * one or all at once leaves the same blocks (and one copy per block instead of one per piece).
     */
    private void feedRun(ByteBuf data, int idx, int len) {
        if (len <= PROTO_REPLY_CHUNK_BYTES) {
            feed(data, idx, len);
            return;
        }
        int copied = fillTail(blocks.isEmpty() ? null : blocks.get(blocks.size() - 1), data, idx, len);
        idx += copied;
        len -= copied;
        while (len > 0) {
            int n = Math.min(len, PROTO_REPLY_CHUNK_BYTES); // a piece this small spills into a 16 KB-class block
            feed(data, idx, n);
            int copy = n + fillTail(blocks.get(blocks.size() - 1), data, idx + n, len - n);
            idx += copy;
            len -= copy;
        }
    }

    /** Copies what fits of data[idx, idx+len) into the tail block's free space; returns the bytes copied. */
    private static int fillTail(Block tail, ByteBuf data, int idx, int len) {
        if (tail == null || tail.buf.writerIndex() >= tail.size) return 0;
        int copy = Math.min(len, tail.size - tail.buf.writerIndex());
        tail.buf.writeBytes(data, idx, copy);
        return copy;
    }

    /**
     * A chunk over 16 KB is fed as Redis feeds a command: the multibulk header, then per argument
     * its $len line, its bytes and CRLF, so that an argument over 16 KB gets a block of its own
     * size exactly where Redis allocates one. Unparsable bytes (never expected) go in one piece.
     * The pieces between two such arguments are fed as one run ({@link #feedRun}).
     */
    private void feedPieces(ByteBuf data, int idx, int len) {
        // The chunk's bytes are scanned in its array when it has one (a replica's relayed input),
        // not through ByteBuf.getByte on a derived buffer.
        byte[] a = data.hasArray() ? data.array() : null;
        int off = a != null ? data.arrayOffset() : 0;
        int limit = idx + len, run = idx;
        while (idx < limit) {
            int line = indexOfLf(data, a, off, idx, limit);
            if (byteAt(data, a, off, idx) != '*' || line < 0) break;
            long n = parseLong(data, a, off, idx + 1, line - 1);
            idx = line + 1;
            for (long j = 0; j < n && idx < limit; j++) {
                line = indexOfLf(data, a, off, idx, limit);
                if (byteAt(data, a, off, idx) != '$' || line < 0) {
                    feedRun(data, run, idx - run);
                    feed(data, idx, limit - idx);
                    return;
                }
                long blen = parseLong(data, a, off, idx + 1, line - 1);
                idx = line + 1;
                if (blen > PROTO_REPLY_CHUNK_BYTES) {
                    feedRun(data, run, idx - run);
                    feed(data, idx, (int) blen);
                    run = idx + (int) blen;
                }
                idx += (int) blen + 2;
            }
        }
        if (idx > limit) idx = limit;
        feedRun(data, run, idx - run);
        if (idx < limit) feed(data, idx, limit - idx);
    }

    private static byte byteAt(ByteBuf b, byte[] a, int off, int i) {
        return a != null ? a[off + i] : b.getByte(i);
    }

    private static int indexOfLf(ByteBuf b, byte[] a, int off, int from, int to) {
        if (a == null) return b.indexOf(from, to, (byte) '\n');
        for (int i = from; i < to; i++) if (a[off + i] == '\n') return i;
        return -1;
    }

    private static long parseLong(ByteBuf b, byte[] a, int off, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) v = v * 10 + (byteAt(b, a, off, i) - '0');
        return v;
    }

    /**
     * jemalloc's usable size for an allocation of n bytes (its size classes: four per doubling),
     * which Redis's zmalloc_usable hands to the block as capacity.
     */
    static int usableSize(int n) {
        if (n <= 16) return 16;
        int lg = 63 - Long.numberOfLeadingZeros(n - 1); // 2^lg < n <= 2^(lg+1)
        long spacing = lg < 3 ? 8 : 1L << (lg - 2);
        return (int) ((n + spacing - 1) / spacing * spacing);
    }

    // ---------------------------------------------------------------- trimming

    /**
     * Redis's incrementalTrimReplicationBuffer: drops the oldest blocks while what remains still
     * exceeds repl-backlog-size and no reader needs them; always keeps one block.
     */
    void trim() {
        long limit = Math.max(MIN_SIZE, configuredSize.getAsLong());
        while (histlen > limit && blocks.size() > 1) {
            Block first = blocks.get(0);
            if (needed(first.end())) break;
            if (histlen - first.size <= limit) break;
            histlen -= first.size;
            first.buf.release();
            blocks.remove(0);
        }
        firstByteOffset = end - histlen + 1;
    }

    /** True if some reader has not read everything before end. */
    private boolean needed(long blockEnd) {
        for (int i = 0; i < readers.size(); i++) if (readers.get(i).pos < blockEnd) return true;
        return false;
    }

    // ---------------------------------------------------------------- readers

    /**
     * True if a replica asking for psyncOffset (the next byte it wants) can continue from here
     * (masterTryPartialResynchronization's backlog check).
     */
    public boolean canServe(long psyncOffset) {
        realign();
        return psyncOffset >= firstByteOffset && psyncOffset <= firstByteOffset + histlen;
    }

    /**
     * A reader that has read pos bytes of the stream: the next read returns byte pos+1 on. pos must
     * be servable (see {@link #canServe}) or the end. The blocks from there on are kept until the
     * reader passes them or is closed.
     */
    public Reader openReader(long pos) {
        realign();
        if (pos < firstByteOffset - 1 || pos > end) throw new IllegalArgumentException("offset " + pos + " not in backlog");
        Reader r = new Reader(pos);
        readers.add(r);
        return r;
    }

    /** Releases r: the blocks it held may be trimmed. */
    public void close(Reader r) {
        if (!r.open) return;
        r.open = false;
        readers.remove(r);
        trim();
    }

    /** Bytes r has not read yet. */
    public long behind(Reader r) {
        return end - r.pos;
    }

    /**
     * The next bytes for r (at most max, within one block) as a retained slice the caller writes and
     * so releases, advancing r; null if r is at the end.
     */
    public ByteBuf read(Reader r, int max) {
        if (r.pos >= end) return null;
        int i = blockIndex(r.pos);
        Block b = blocks.get(i);
        int from = (int) (r.pos - b.start);
        int n = (int) Math.min(max, b.buf.writerIndex() - from);
        ByteBuf s = b.buf.retainedSlice(from, n);
        r.pos += n;
        if (i == 0 && r.pos >= b.end()) trim(); // it may have held the oldest block
        return s;
    }

    /** The index of the block holding byte pos+1. */
    private int blockIndex(long pos) {
        int lo = 0, hi = blocks.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (blocks.get(mid).start <= pos) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** Drops everything (freeReplicationBacklog); readers must have been closed. */
    void free() {
        for (Block b : blocks) b.buf.release();
        blocks.clear();
        readers.clear();
        histlen = 0;
    }

    /** Checks the invariants for tests; an error or null. */
    String validate() {
        long sum = 0;
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            if (i < blocks.size() - 1 && b.buf.writerIndex() != b.size) return "block " + i + " not full";
            if (i > 0 && blocks.get(i - 1).end() != b.start) return "gap before block " + i;
            sum += b.buf.writerIndex();
        }
        if (sum != histlen) return "histlen " + histlen + " but blocks hold " + sum;
        if (!blocks.isEmpty() && blocks.get(blocks.size() - 1).end() != end) return "last block ends before " + end;
        for (Reader r : readers) if (r.pos < firstByteOffset - 1) return "reader at " + r.pos + " before the backlog";
        return null;
    }
}
