package dev.starling.persistence;

import dev.starling.keyspace.Keyspace;
import dev.starling.keyspace.Snapshot;
import dev.starling.keyspace.SnapshotConsumer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serializes a {@link Snapshot} as an RDB file (rdbSaveRio): "REDIS0010", the AUX fields Redis
 * 7.0 writes for SAVE/BGSAVE on a primary without a backlog (redis-ver, redis-bits, ctime,
 * used-mem, aof-base; no repl-* fields: rdbPopulateSaveInfo returns NULL there), then the keys
 * with SELECTDB whenever the database changes (a hook may hand over a key of another database
 * early) and RESIZEDB with the cut's counts, EOF and the CRC-64 (zero with rdbchecksum no).
 *
 * <h2>Two ways out</h2>
 * <ul>
 * <li><b>Synchronous</b> (SAVE, shutdown, FLUSHALL's save): chunks go straight to the file from the
 *     executor.</li>
 * <li><b>Queued</b> (BGSAVE): the executor serializes and copies each chunk into a queue; the
 *     writer thread writes, fsyncs and hands the result back. {@link #queuedBytes} is the
 *     back-pressure signal the {@link SnapshotDriver} polls; its peak is reported as
 *     rdb_last_cow_size (the memory a fork's copy-on-write would have cost).</li>
 * </ul>
 * The consumer methods run on the executor; everything named "writer thread" runs on it alone.
 */
final class RdbFileWriter implements SnapshotConsumer, RdbSink {
    /** How the save ended, reported once to {@link #onDone} on the executor (queued) or the caller (sync). */
    interface Done {
        /** error is null on success; cancelled is true when the snapshot was cancelled (FLUSHALL, shutdown). */
        void done(String error, boolean cancelled);
    }

    private static final int CHUNK = 64 * 1024;
    private static final byte[] END = new byte[0], CANCEL = new byte[0];

    final RdbWriter w;
    /** The aof-base AUX field: true when this file is an AOF's RDB base (RDBFLAGS_AOF_PREAMBLE). */
    boolean aofBase;
    private final Keyspace ks;
    private final FileChannel file;
    private final boolean queued;
    private final long usedMemAtCut;
    /** 1 LRU, 2 LFU, 0 neither: which of IDLE/FREQ rdbSaveKeyValuePair writes. */
    private final int evictionInfo;
    private int currentDb = -1;

    final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    final AtomicLong queuedBytes = new AtomicLong();
    volatile long peakQueuedBytes;
    /** Set by the writer thread on an I/O error; the executor stops producing. */
    volatile String ioError;
    /** The save finished (successfully or not) from the consumer's point of view. */
    boolean ended;
    String endError;
    boolean endCancelled;

    RdbFileWriter(Keyspace ks, FileChannel file, boolean queued, boolean compress, boolean checksum,
                  String maxmemoryPolicy, long usedMemAtCut) {
        this.ks = ks;
        this.file = file;
        this.queued = queued;
        this.usedMemAtCut = usedMemAtCut;
        this.w = new RdbWriter(this, CHUNK, compress, checksum);
        this.evictionInfo = maxmemoryPolicy.endsWith("lru") ? 1 : maxmemoryPolicy.endsWith("lfu") ? 2 : 0;
    }

    // ---------------------------------------------------------------- RdbSink

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (!queued) {
            writeFully(file, ByteBuffer.wrap(b, off, len));
            return;
        }
        if (ioError != null) throw new IOException(ioError);
        byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
        long q = queuedBytes.addAndGet(len);
        if (q > peakQueuedBytes) peakQueuedBytes = q;
        queue.add(copy);
    }

    static void writeFully(FileChannel ch, ByteBuffer bb) throws IOException {
        while (bb.hasRemaining()) ch.write(bb);
    }

    // ---------------------------------------------------------------- SnapshotConsumer

    @Override
    public void begin(Snapshot snapshot) {
        w.writeRaw(("REDIS" + String.format("%04d", Rdb.VERSION)).getBytes(StandardCharsets.US_ASCII), 0, 9);
        w.saveAuxField("redis-ver", dev.starling.server.Server.REDIS_VERSION);
        w.saveAuxField("redis-bits", "64");
        w.saveAuxField("ctime", Long.toString(snapshot.cutMillis / 1000));
        w.saveAuxField("used-mem", Long.toString(usedMemAtCut));
        w.saveAuxField("aof-base", aofBase ? "1" : "0");
    }

    @Override
    public void dbStart(int db, long keys, long volatileKeys) {
        selectDb(db);
        w.saveType(Rdb.OPCODE_RESIZEDB);
        w.saveLen(keys);
        w.saveLen(volatileKeys);
    }

    private void selectDb(int db) {
        w.saveType(Rdb.OPCODE_SELECTDB);
        w.saveLen(db);
        currentDb = db;
    }

    @Override
    public void key(int db, byte[] key, Object value, long expireAt, int lru) {
        if (ioError != null) throw new UncheckedIOException(new IOException(ioError));
        if (db != currentDb) selectDb(db);
        long idle = -1;
        int freq = -1;
        if (evictionInfo == 1) idle = ks.idleMillis(lru) / 1000;
        else if (evictionInfo == 2) freq = ks.lfuDecrAndReturn(lru);
        w.saveKeyValuePair(key, value, expireAt, idle, freq);
    }

    @Override
    public void end() {
        w.saveType(Rdb.OPCODE_EOF);
        long crc = w.crc();
        w.saveMillisecondTime(crc);
        w.flush();
        ended = true;
        if (queued) queue.add(END);
    }

    /** Ends a file that is not RDB (an AOF base in command form): no EOF opcode, no checksum. */
    void endRaw() {
        w.flush();
        ended = true;
        if (queued) queue.add(END);
    }

    @Override
    public void cancelled() {
        ended = true;
        endCancelled = true;
        if (queued) queue.add(CANCEL);
    }

    // ---------------------------------------------------------------- writer thread

    /**
     * Writer thread: writes queued chunks until END (then fsyncs) or CANCEL, closing the file;
     * calls resume when the queue drains below lowWater after the walk was paused; returns null,
     * an error text, or "cancelled".
     */
    String drain(long lowWater, Runnable resume) {
        try {
            for (;;) {
                byte[] chunk = queue.take();
                if (chunk == END) {
                    file.force(true);
                    return null;
                }
                if (chunk == CANCEL) return "cancelled";
                if (ioError == null) {
                    try {
                        writeFully(file, ByteBuffer.wrap(chunk));
                    } catch (IOException e) {
                        ioError = String.valueOf(e.getMessage());
                    }
                }
                long left = queuedBytes.addAndGet(-chunk.length);
                if (left < lowWater && left + chunk.length >= lowWater) resume.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (IOException e) {
            return String.valueOf(e.getMessage());
        } finally {
            try {
                file.close();
            } catch (IOException ignored) {
                // Nothing more to do with a file we are abandoning or have fsynced.
            }
        }
    }
}
