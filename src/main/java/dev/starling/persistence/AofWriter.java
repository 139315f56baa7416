package dev.starling.persistence;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static dev.starling.persistence.QuietFiles.closeQuietly;

/**
 * The AOF's writer thread: Redis's flushAppendOnlyFile and the bio fsync job, off the executor.
 *
 * <h2>Hand-off</h2>
 * The executor appends bytes ({@link #append}) into the current buffer under a short lock (Redis's
 * aof_buf) and {@link #kick}s the thread once per event-loop turn (Redis writes in beforeSleep).
 * The thread swaps that buffer for its spare one, write()s it to the incr file, and fsyncs per
 * the policy: after every write with {@code always}, at most once a second with {@code everysec}
 * (also when idle, so nothing stays unsynced for long), never with {@code no}. {@link #switchFile}
 * queues a change of file in stream order: bytes appended before it go to the old file, which is
 * fsynced and closed (aof_background_fsync_and_close), bytes after it to the new one.
 *
 * <h2>Offsets</h2>
 * {@link #appended} counts bytes handed over (executor only); {@link #written} and {@link #synced}
 * count bytes write()n and fsynced, in the same units, so "is everything up to here on disk" is
 * one comparison. {@code appendfsync always} holds replies until synced reaches the appended
 * offset of their batch.
 *
 * <h2>Errors</h2>
 * A failed write(2) (disk full, read-only filesystem) is undone with ftruncate to the last good
 * size, as Redis does, and the same bytes are retried every {@link #RETRY_MILLIS} until they go
 * in, so no acknowledged byte is dropped; the buffer keeps growing meanwhile. The owner is told of
 * failures and the recovery through {@link Events}, on this thread.
 */
final class AofWriter {
    /** What the owner is told, on the writer thread. */
    interface Events {
        /** A write failed; nwritten bytes of expected went in before the error (0: none), reason is strerror's text. */
        void writeFailed(String reason, long nwritten, long expected, String truncateError);

        /** A write succeeded after failures. */
        void writeRecovered();

        /** fsync failed. */
        void fsyncFailed(String reason);

        /** Everything up to offset is on disk. */
        void synced(long offset);

        /** With everysec, bytes waited more than {@link #DELAYED_FSYNC_NANOS} behind a running fsync (Redis's aof_delayed_fsync). */
        void writesDelayedByFsync();
    }

    static final int FSYNC_NO = 0, FSYNC_EVERYSEC = 1, FSYNC_ALWAYS = 2;
    static final long RETRY_MILLIS = 100;
    /** How long the thread lets bytes gather after a write with everysec/no (bounds the unwritten tail). */
    static final long GATHER_NANOS = 200_000;
    /** Redis postpones an everysec write behind a running fsync for up to 2 seconds, then counts it as delayed. */
    static final long DELAYED_FSYNC_NANOS = 2_000_000_000L;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition progress = lock.newCondition();
    // Guarded by lock.
    private byte[] cur = new byte[16 * 1024];
    private int curLen;
    private final ArrayDeque<Object> ops = new ArrayDeque<>();
    private boolean idle, stopping, syncRequested;

    /** Bytes appended (executor thread only). */
    long appended;
    /** Bytes write()n and fsynced so far (writer thread writes, anyone reads). */
    volatile long written, synced;
    volatile int policy;
    volatile boolean fsyncInProgress;
    /** Size of the file being written (written bytes that are in it, after any truncation). */
    volatile long fileSize;

    private final Events events;
    private final Thread thread;
    private FileChannel file;
    private byte[] spare = new byte[16 * 1024];
    private boolean inError;
    private long lastFsyncNanos = System.nanoTime();

    /** A change of file, in stream order. */
    private record Switch(FileChannel next, long size) {}

    AofWriter(FileChannel file, long size, int policy, Events events) {
        this.file = file;
        this.fileSize = size;
        this.policy = policy;
        this.events = events;
        this.thread = new Thread(this::run, "starling-aof-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    static int policyOf(String appendfsync) {
        return switch (appendfsync) {
            case "always" -> FSYNC_ALWAYS;
            case "no" -> FSYNC_NO;
            default -> FSYNC_EVERYSEC;
        };
    }

    // ---------------------------------------------------------------- executor side

    /** Appends the readable bytes of data (not consumed). */
    void append(ByteBuf data) {
        int n = data.readableBytes();
        lock.lock();
        try {
            ensure(n);
            data.getBytes(data.readerIndex(), cur, curLen, n);
            curLen += n;
        } finally {
            lock.unlock();
        }
        appended += n;
    }

    void append(byte[] b) {
        lock.lock();
        try {
            ensure(b.length);
            System.arraycopy(b, 0, cur, curLen, b.length);
            curLen += b.length;
        } finally {
            lock.unlock();
        }
        appended += b.length;
    }

    private void ensure(int n) {
        if (curLen + n > cur.length) cur = java.util.Arrays.copyOf(cur, Math.max(cur.length * 2, curLen + n));
    }

    /** The policy changed (CONFIG SET appendfsync): an fsync may be due at once. */
    void setPolicy(int p) {
        lock.lock();
        try {
            policy = p;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the thread if it waits for work (once per event-loop turn). */
    void kick() {
        lock.lock();
        try {
            if (idle) work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** From now on appended bytes go to next (of the given size); what is pending goes to the current file first. */
    void switchFile(FileChannel next, long size) {
        lock.lock();
        try {
            if (curLen > 0) {
                ops.add(java.util.Arrays.copyOf(cur, curLen));
                curLen = 0;
            }
            ops.add(new Switch(next, size));
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes and fsyncs everything appended so far, waiting up to timeoutMillis (stopAppendOnly,
     * shutdown). Returns true if it is all on disk.
     */
    boolean flushAndSync(long timeoutMillis) {
        long target = appended;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            syncRequested = true;
            work.signal();
            while (synced < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                progress.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the thread after it wrote what it holds (or gave up on an error) and closes the file. */
    void stop() {
        lock.lock();
        try {
            stopping = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- writer thread

    private void run() {
        ArrayDeque<Object> batch = new ArrayDeque<>();
        try {
            for (;;) {
                boolean stop, sync;
                lock.lock();
                try {
                    while (ops.isEmpty() && curLen == 0 && !stopping && !syncRequested && !fsyncDue()
                            && !(policy == FSYNC_ALWAYS && written > synced)) {
                        idle = true;
                        try {
                            if (policy == FSYNC_EVERYSEC && synced < written) work.await(1000, TimeUnit.MILLISECONDS);
                            else work.await();
                        } finally {
                            idle = false;
                        }
                    }
                    batch.addAll(ops);
                    ops.clear();
                    int len = curLen;
                    if (len > 0) {
                        byte[] b = cur;
                        cur = spare;
                        spare = b;
                        curLen = 0;
                        batch.add(new Chunk(b, len));
                    }
                    stop = stopping;
                    sync = syncRequested;
                    syncRequested = false;
                } finally {
                    lock.unlock();
                }
                for (Object o; (o = batch.poll()) != null; ) {
                    if (o instanceof Chunk c) writeFully(c.b, c.len, stop);
                    else if (o instanceof byte[] b) writeFully(b, b.length, stop);
                    else if (o instanceof Switch s) switchTo(s);
                }
                int p = policy;
                if (written > synced && (sync || stop || p == FSYNC_ALWAYS || (p == FSYNC_EVERYSEC && fsyncDue()))) fsync();
                else if (sync || stop) markSynced(written);
                if (stop) break;
                // everysec/no: let a busy executor's bytes gather for a moment, so it wakes this
                // thread (a syscall on its side) once per burst rather than once per event-loop turn.
                if (p != FSYNC_ALWAYS && !sync) java.util.concurrent.locks.LockSupport.parkNanos(GATHER_NANOS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(file);
        }
    }

    private record Chunk(byte[] b, int len) {}

    private boolean fsyncDue() {
        return policy == FSYNC_EVERYSEC && written > synced && System.nanoTime() - lastFsyncNanos >= 1_000_000_000L;
    }

    /** Writes b[0..len) to the file, retrying after errors until it goes in (or, when stopping, giving up). */
    private void writeFully(byte[] b, int len, boolean stopping) throws InterruptedException {
        int off = 0;
        while (off < len) {
            long before = fileSize;
            ByteBuffer bb = ByteBuffer.wrap(b, off, len - off);
            long n = 0;
            try {
                file.position(before);
                while (bb.hasRemaining()) n += file.write(bb);
                fileSize = before + n;
                written += n;
                off = len;
                if (inError) {
                    inError = false;
                    events.writeRecovered();
                }
            } catch (IOException e) {
                String truncateError = null;
                if (n > 0) {
                    // Redis's ftruncate of a short write: leave no partial command behind.
                    try {
                        file.truncate(before);
                        file.position(before);
                    } catch (IOException t) {
                        truncateError = RdbPersistence.ioReason(t);
                        fileSize = before + n;
                        written += n;
                                off += (int) n;
                    }
                }
                inError = true;
                events.writeFailed(RdbPersistence.ioReason(e), truncateError == null ? n : 0, len - off + (truncateError == null ? 0 : n), truncateError);
                if (stopping) return;
                Thread.sleep(RETRY_MILLIS);
            }
        }
    }

    private void fsync() {
        long target = written;
        long start = System.nanoTime();
        fsyncInProgress = true;
        try {
            file.force(false);
            lastFsyncNanos = System.nanoTime();
            markSynced(target);
        } catch (IOException e) {
            lastFsyncNanos = System.nanoTime(); // retried a second later, not in a loop
            events.fsyncFailed(RdbPersistence.ioReason(e));
        } finally {
            fsyncInProgress = false;
        }
        // Writes wait for this thread's fsync, as Redis's main thread postpones them behind its bio
        // fsync; where Redis gives up waiting after 2 s (and counts), count the same event here.
        if (policy == FSYNC_EVERYSEC && lastFsyncNanos - start >= DELAYED_FSYNC_NANOS && hasPendingBytes()) events.writesDelayedByFsync();
    }

    private boolean hasPendingBytes() {
        lock.lock();
        try {
            return curLen > 0 || !ops.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    private void markSynced(long target) {
        lock.lock();
        try {
            synced = target;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        events.synced(target);
    }

    /** aof_background_fsync_and_close of the old file, then writes go to the new one. */
    private void switchTo(Switch s) {
        if (written > synced) fsync();
        closeQuietly(file);
        file = s.next;
        fileSize = s.size;
    }
}
