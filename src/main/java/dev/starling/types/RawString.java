package dev.starling.types;

/**
 * A string value modified in place (APPEND, SETRANGE, SETBIT): Redis's "raw" encoding, with spare
 * capacity so repeated appends are amortized O(1) like an sds string.
 */
public final class RawString {
    public byte[] buf;
    public int len;

    public RawString(byte[] initial, int extra) {
        this.buf = new byte[initial.length + extra];
        System.arraycopy(initial, 0, buf, 0, initial.length);
        this.len = initial.length;
    }

    public int capacity() {
        return buf.length;
    }

    /** Makes room for total length n, growing greedily as sds does (double below 1MB, +1MB above). */
    public void ensureLength(int n) {
        if (n <= buf.length) return;
        int cap = n < 1024 * 1024 ? n * 2 : n + 1024 * 1024;
        byte[] bigger = new byte[cap];
        System.arraycopy(buf, 0, bigger, 0, len);
        buf = bigger;
    }

    public byte[] toBytes() {
        return java.util.Arrays.copyOf(buf, len);
    }
}
