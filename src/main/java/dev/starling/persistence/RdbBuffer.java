package dev.starling.persistence;

import java.util.Arrays;

/** A growable in-memory {@link RdbSink} (Redis's rioInitWithBuffer target): DUMP payloads, snapshot chunks, tests. */
public final class RdbBuffer implements RdbSink {
    private byte[] buf;
    private int size;

    public RdbBuffer() {
        this(256);
    }

    public RdbBuffer(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    private void ensure(int more) {
        long need = (long) size + more;
        if (need <= buf.length) return;
        if (need > Integer.MAX_VALUE - 8) throw new OutOfMemoryError("RDB buffer over 2 GB");
        buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * buf.length)));
    }

    public int size() {
        return size;
    }

    /** The backing array (valid up to {@link #size}). */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** Empties the buffer, keeping its capacity. */
    public void reset() {
        size = 0;
    }
}
