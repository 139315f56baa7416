package dev.starling.replication;

import dev.starling.persistence.RdbSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The bytes of a full-sync payload on their way from the master link (read on the executor) to
 * the thread that consumes them: the temp-file writer (repl-diskless-load disabled) or the RDB
 * loader reading straight from the transfer (on-empty-db, swapdb).
 *
 * <h2>Never blocking the executor</h2>
 * {@link #offer} copies and returns; it answers true once more than {@link #HIGH_WATER} bytes wait,
 * and the link then stops reading (autoRead off) until the consumer has drained the queue below
 * {@link #LOW_WATER}, when {@link #onDrained} runs once (on the consumer's thread: it must only
 * hand work to the executor). So a slow disk or a slow loader bounds the memory held here and
 * pushes back on the master's socket, as Redis's blocking write() or blocking socket read would.
 *
 * <h2>End of input</h2>
 * {@link #end} (the payload is complete, or the link is gone) lets the consumer read what was queued
 * and then see the end; {@link #abort} (the transfer is cancelled) drops what is queued and makes
 * the consumer's next read fail at once.
 */
final class TransferQueue implements RdbSource {
    static final int HIGH_WATER = 8 << 20, LOW_WATER = 2 << 20;

    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final Runnable onDrained;
    private byte[] cur;
    private int curPos;
    private long queued;
    private boolean ended, aborted, paused;

    /** onDrained: told (on the consumer's thread) when a paused producer may read again. */
    TransferQueue(Runnable onDrained) {
        this.onDrained = onDrained;
    }

    /** Executor: queues n bytes of in (consumed from it). Returns true if the producer should pause reading. */
    synchronized boolean offer(ByteBuf in, int n) {
        if (n <= 0) return paused;
        byte[] b = new byte[n];
        in.readBytes(b);
        if (aborted || ended) return false;
        chunks.add(b);
        queued += n;
        notifyAll();
        if (queued > HIGH_WATER) paused = true;
        return paused;
    }

    /** No more input: the consumer reads what is queued, then sees the end. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    /** The transfer is cancelled: queued bytes are dropped and the consumer fails at its next read. */
    synchronized void abort() {
        aborted = true;
        chunks.clear();
        cur = null;
        queued = 0;
        notifyAll();
    }

    synchronized boolean aborted() {
        return aborted;
    }

    /** True while the producer is told to pause (the consumer is behind, not the master). */
    synchronized boolean paused() {
        return paused;
    }

    /** True if the consumer has nothing to read and more input is expected. */
    synchronized boolean starving() {
        return !ended && !aborted && queued == 0;
    }

    /** Consumer: the next chunk, null at the end of input. Throws if the transfer was aborted. */
    synchronized byte[] take() throws IOException {
        for (;;) {
            if (aborted) throw new IOException("connection lost");
            if (cur != null && curPos < cur.length) {
                byte[] b = curPos == 0 ? cur : java.util.Arrays.copyOfRange(cur, curPos, cur.length);
                consumed(cur.length - curPos);
                cur = null;
                return b;
            }
            byte[] next = chunks.poll();
            if (next != null) {
                cur = next;
                curPos = 0;
                continue;
            }
            if (ended) return null;
            waitForInput();
        }
    }

    /** Consumer (the RDB loader): reads as a socket would, blocking until bytes, the end (-1) or an abort. */
    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        for (;;) {
            if (aborted) throw new IOException("connection lost");
            if (cur != null && curPos < cur.length) {
                int n = Math.min(len, cur.length - curPos);
                System.arraycopy(cur, curPos, b, off, n);
                curPos += n;
                consumed(n);
                return n;
            }
            cur = chunks.poll();
            curPos = 0;
            if (cur != null) continue;
            if (ended) return -1;
            waitForInput();
        }
    }

    private void waitForInput() throws IOException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private void consumed(int n) {
        queued -= n;
        if (paused && queued <= LOW_WATER) {
            paused = false;
            onDrained.run();
        }
    }

    /** Executor, once the consumer is done: the bytes it did not read, in order (an empty buffer if none). */
    synchronized ByteBuf drain() {
        ByteBuf out = Unpooled.buffer((int) Math.min(Integer.MAX_VALUE - 8, Math.max(16, queued)));
        if (cur != null && curPos < cur.length) out.writeBytes(cur, curPos, cur.length - curPos);
        for (byte[] b : chunks) out.writeBytes(b);
        chunks.clear();
        cur = null;
        queued = 0;
        return out;
    }
}
