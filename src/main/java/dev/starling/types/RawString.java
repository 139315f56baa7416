package dev.starling.types;

/**
 * A string value modified in place (APPEND, SETRANGE, SETBIT): Redis's "raw" encoding, with spare
 * capacity so repeated appends are amortized O(1) like an sds string.
 */
public final class RawString {
    public byte[] buf;
    public int len;
    /**
     * True for a value Redis would hold as "embstr" although its bytes look like an integer (an
     * INCRBYFLOAT result such as "3"); cleared by any in-place change, which makes it "raw".
     */
    public boolean embstr;

    public RawString(byte[] initial, int extra) {
        this.buf = new byte[initial.length + extra];
        System.arraycopy(initial, 0, buf, 0, initial.length);
        this.len = initial.length;
    }

    /** A raw string that takes ownership of buf, holding its first len bytes. */
    public RawString(byte[] buf, int len, boolean embstr) {
        this.buf = buf;
        this.len = len;
        this.embstr = embstr;
    }

    public int capacity() {
        return buf.length;
    }

    /** Makes room for total length n, growing greedily as sds does (double below 1MB, +1MB above). */
    public void ensureLength(int n) {
        if (n <= buf.length) return;
        long want = n < 1024 * 1024 ? 2L * n : (long) n + 1024 * 1024;
        int cap = (int) Math.min(want, Integer.MAX_VALUE - 8);
        byte[] bigger = new byte[cap];
        System.arraycopy(buf, 0, bigger, 0, len);
        buf = bigger;
    }

    /** Sets the length to n (growing as ensureLength), with any new bytes zero (sdsgrowzero). */
    public void growZero(int n) {
        if (n <= len) return;
        ensureLength(n);
        java.util.Arrays.fill(buf, len, n, (byte) 0);
        len = n;
    }

    public byte[] toBytes() {
        return java.util.Arrays.copyOf(buf, len);
    }
}
