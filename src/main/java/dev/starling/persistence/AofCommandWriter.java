package dev.starling.persistence;

import dev.starling.keyspace.Snapshot;
import dev.starling.keyspace.SnapshotConsumer;
import dev.starling.protocol.Numbers;
import dev.starling.types.Hash;
import dev.starling.types.IntSet;
import dev.starling.types.Listpack;
import dev.starling.types.Quicklist;
import dev.starling.types.RawString;
import dev.starling.types.SetValue;
import dev.starling.types.StreamValue;
import dev.starling.types.ZSet;
import dev.starling.types.ZSkiplist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An AOF base in command form (aof.c's rewriteAppendOnlyFileRio, used when aof-use-rdb-preamble
 * is no): an optional {@code #TS:} annotation, then per database a SELECT and one command per key
 * (SET, RPUSH, SADD, ZADD, HMSET, at most {@link #ITEMS_PER_CMD} elements each, as
 * AOF_REWRITE_ITEMS_PER_CMD), then PEXPIREAT for a key with a TTL. A stream is written as
 * RESTORE of its DUMP payload (Starling has no stream commands to replay).
 *
 * <p>Like {@link RdbSnapshotSerializer}: used directly as a snapshot consumer it writes to the sink
 * on the calling thread (the base created at start-up); {@link #start} instead encodes each key on
 * the executor into chunks that a thread of its own writes, and the walk pauses while more than
 * {@link RdbSnapshotSerializer#HIGH_WATER} bytes wait.
 */
final class AofCommandWriter implements SnapshotConsumer {
    static final int ITEMS_PER_CMD = 64;
    private static final byte[] SELECT = ascii("SELECT"), SET = ascii("SET"), RPUSH = ascii("RPUSH"), SADD = ascii("SADD"),
            ZADD = ascii("ZADD"), HMSET = ascii("HMSET"), PEXPIREAT = ascii("PEXPIREAT"), RESTORE = ascii("RESTORE"),
            ZERO = ascii("0");

    private static final int CHUNK = 64 * 1024;
    private static final byte[] END = new byte[0], CANCEL = new byte[0];

    private final RdbSink sink;
    /** Where bytes go: the sink (synchronous), or memory taken in chunks (threaded). */
    private RdbWriter w;
    private boolean threaded;
    private final long timestampUnix;
    private final boolean rdbcompression;
    private int currentDb = -1;
    private final byte[] num = new byte[24];

    private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile long peakQueuedBytes;
    private volatile String ioError;
    private SnapshotDriver driver;

    /** timestampUnix: the {@code #TS:} annotation to start with, or -1 for none (aof-timestamp-enabled). */
    AofCommandWriter(RdbSink sink, long timestampUnix, boolean rdbcompression) {
        this.sink = sink;
        this.w = new RdbWriter(sink, CHUNK, false, false);
        this.timestampUnix = timestampUnix;
        this.rdbcompression = rdbcompression;
    }

    /** On the executor: takes the snapshot and starts the writer thread and the walk; finish runs on that thread. */
    Snapshot start(dev.starling.server.Server server, String threadName, RdbSnapshotSerializer.Finish finish) {
        threaded = true;
        w = RdbWriter.toMemory(false, false);
        Snapshot s = server.keyspace.startSnapshot(this);
        driver = new SnapshotDriver(server, s, () -> queuedBytes.get() > RdbSnapshotSerializer.HIGH_WATER);
        driver.afterSlice = this::publish;
        Thread t = new Thread(() -> run(finish), threadName);
        t.setDaemon(true);
        t.start();
        driver.start();
        return s;
    }

    long peakQueuedBytes() {
        return peakQueuedBytes;
    }

    /** Hands what was encoded so far to the thread (after each key past a chunk, each slice, the end). */
    private void publish() {
        if (!threaded || w.processedBytes() == 0) return;
        byte[] b = w.toByteArray();
        w.resetMemory();
        long q = queuedBytes.addAndGet(b.length);
        if (q > peakQueuedBytes) peakQueuedBytes = q;
        queue.add(b);
    }

    private void run(RdbSnapshotSerializer.Finish finish) {
        String err;
        boolean cancelled = false;
        try {
            for (;;) {
                byte[] b = queue.take();
                if (b == END) {
                    err = ioError;
                    break;
                }
                if (b == CANCEL) {
                    err = ioError != null ? ioError : "cancelled";
                    cancelled = ioError == null;
                    break;
                }
                if (ioError == null) {
                    try {
                        sink.write(b, 0, b.length);
                    } catch (IOException e) {
                        ioError = RdbPersistence.ioReason(e);
                    }
                }
                long left = queuedBytes.addAndGet(-b.length);
                if (left < RdbSnapshotSerializer.LOW_WATER && left + b.length >= RdbSnapshotSerializer.LOW_WATER) driver.resume();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err = "interrupted";
        }
        finish.finished(err, cancelled);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The cut's time: a key already expired then is left out, as rewriteAppendOnlyFileRio skips it. */
    private long cutMillis;

    @Override
    public void begin(Snapshot snapshot) {
        cutMillis = snapshot.cutMillis;
        if (timestampUnix >= 0) raw(ascii("#TS:" + timestampUnix + "\r\n"));
    }

    @Override
    public void dbStart(int db, long keys, long volatileKeys) {
        select(db);
    }

    private void select(int db) {
        header(2);
        bulk(SELECT);
        bulkLong(db);
        currentDb = db;
    }

    @Override
    public void key(int db, byte[] key, Object value, long expireAt, int lru) {
        if (ioError != null) throw new UncheckedIOException(new IOException(ioError));
        if (expireAt != -1 && expireAt < cutMillis) return;
        if (db != currentDb) select(db);
        if (value instanceof byte[] b) {
            header(3);
            bulk(SET);
            bulk(key);
            bulk(b);
        } else if (value instanceof RawString r) {
            header(3);
            bulk(SET);
            bulk(key);
            bulk(r.buf, 0, r.len);
        } else if (value instanceof Quicklist ql) {
            rewriteList(key, ql);
        } else if (value instanceof SetValue s) {
            rewriteSet(key, s);
        } else if (value instanceof ZSet z) {
            rewriteZSet(key, z);
        } else if (value instanceof Hash h) {
            rewriteHash(key, h);
        } else if (value instanceof StreamValue) {
            header(4);
            bulk(RESTORE);
            bulk(key);
            bulk(ZERO);
            bulk(RdbWriter.dumpPayload(value, rdbcompression));
        } else {
            throw new IllegalArgumentException("cannot rewrite " + (value == null ? "null" : value.getClass().getName()));
        }
        if (expireAt != -1) {
            header(3);
            bulk(PEXPIREAT);
            bulk(key);
            bulkLong(expireAt);
        }
        if (threaded && w.processedBytes() >= CHUNK) publish();
    }

    /** Starts a command of cmdItems elements (each of width fields) when one is due. */
    private long items, count;

    private void startBatch(byte[] cmd, byte[] key, long total, int width) {
        if (count == 0) {
            long cmdItems = Math.min(total - items, ITEMS_PER_CMD);
            header(2 + cmdItems * width);
            bulk(cmd);
            bulk(key);
        }
    }

    private void endItem() {
        items++;
        if (++count == ITEMS_PER_CMD) count = 0;
    }

    private void resetBatch() {
        items = 0;
        count = 0;
    }

    private void rewriteList(byte[] key, Quicklist ql) {
        resetBatch();
        long total = ql.count();
        Quicklist.Iter it = ql.iterator(true, false);
        while (it.next()) {
            startBatch(RPUSH, key, total, 1);
            if (it.isInt()) bulkLong(it.intValue());
            else bulk(it.buf(), it.off(), it.len());
            endItem();
        }
        it.release();
    }

    private void rewriteSet(byte[] key, SetValue s) {
        resetBatch();
        long total = s.size();
        if (s.isIntset()) {
            byte[] is = s.intsetBytes();
            for (int i = 0, n = IntSet.len(is); i < n; i++) {
                startBatch(SADD, key, total, 1);
                bulkLong(IntSet.get(is, i));
                endItem();
            }
        } else {
            for (byte[] m : s.members()) {
                startBatch(SADD, key, total, 1);
                bulk(m);
                endItem();
            }
        }
    }

    private void rewriteZSet(byte[] key, ZSet z) {
        resetBatch();
        long total = z.length();
        if (z.lp != null) {
            byte[] lp = z.lp;
            for (int eptr = Listpack.first(lp); eptr >= 0; ) {
                int sptr = Listpack.next(lp, eptr);
                startBatch(ZADD, key, total, 2);
                bulkDouble(ZSet.zzlGetScore(lp, sptr));
                bulk(Listpack.get(lp, eptr));
                endItem();
                eptr = Listpack.next(lp, sptr);
            }
        } else {
            for (ZSkiplist.Node x = z.zsl.first(); x != null; x = x.next()) {
                startBatch(ZADD, key, total, 2);
                bulkDouble(x.score);
                bulk(x.key);
                endItem();
            }
        }
    }

    private void rewriteHash(byte[] key, Hash h) {
        resetBatch();
        long total = h.length();
        h.forEach((f, v) -> {
            startBatch(HMSET, key, total, 2);
            bulk(f);
            bulk(v);
            endItem();
        });
    }

    @Override
    public void end() {
        if (!threaded) {
            w.flush();
            return;
        }
        publish();
        queue.add(END);
    }

    @Override
    public void cancelled() {
        if (threaded) queue.add(CANCEL);
    }

    // ---------------------------------------------------------------- RESP

    private void raw(byte[] b) {
        w.writeRaw(b, 0, b.length);
    }

    private void header(long n) {
        int len = format('*', n);
        w.writeRaw(num, 0, len);
    }

    private void bulk(byte[] b) {
        bulk(b, 0, b.length);
    }

    private void bulk(byte[] b, int off, int len) {
        int h = format('$', len);
        w.writeRaw(num, 0, h);
        w.writeRaw(b, off, len);
        w.writeRaw(CRLF, 0, 2);
    }

    private static final byte[] CRLF = {'\r', '\n'};

    private void bulkLong(long v) {
        bulk(ascii(Long.toString(v)));
    }

    /** rioWriteBulkDouble: %.17g. */
    private void bulkDouble(double d) {
        bulk(ascii(Numbers.formatDouble(d)));
    }

    /** Writes prefix, n and CRLF into num; returns the length. */
    private int format(char prefix, long n) {
        String s = Long.toString(n);
        num[0] = (byte) prefix;
        for (int i = 0; i < s.length(); i++) num[1 + i] = (byte) s.charAt(i);
        num[1 + s.length()] = '\r';
        num[2 + s.length()] = '\n';
        return s.length() + 3;
    }
}
