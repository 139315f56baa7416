package dev.starling.keyspace;

import dev.starling.types.RawString;

/**
 * Estimates of the bytes a key or value occupies, kept incrementally in
 * {@link Keyspace#datasetBytes} so maxmemory, INFO used_memory and MEMORY USAGE are deterministic
 * rather than following the garbage collector.
 */
public final class MemorySize {
    private MemorySize() {}

    /** A dict entry plus its key array (object headers and alignment of a 64-bit JVM with compressed oops). */
    public static long ofKey(byte[] key) {
        return 32 + ofArray(key.length);
    }

    public static long ofArray(int len) {
        return (16 + len + 7) & ~7L;
    }

    /** Bytes of a value object; collection types report their own. */
    public static long ofValue(Object value) {
        if (value instanceof byte[] b) return ofArray(b.length);
        if (value instanceof RawString s) return 24 + ofArray(s.capacity());
        if (value instanceof Sized s) return s.memoryBytes();
        return 16;
    }

    /** Values whose size is tracked by their own implementation. */
    public interface Sized {
        long memoryBytes();
    }
}
