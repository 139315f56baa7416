package dev.starling.keyspace;

/**
 * One key of a database: its value and the 24-bit LRU clock or LFU counter Redis keeps in the
 * object header (OBJECT IDLETIME / FREQ and eviction read it).
 */
public final class KeyEntry extends DictEntry {
    public Object value;
    /** LRU: minutes-resolution clock of last access (Redis LRU_CLOCK); LFU: ldt<<8 | counter. */
    public int lru;
    /**
     * The memory estimate of value when it is a byte[] string (whose size never changes), else -1.
     * An overwrite or delete then adjusts the dataset's size without reading the old value: that
     * read is a cache miss, 8% of a pipelined SET's CPU. The field fills the object's alignment
     * padding (32 bytes with compact object headers either way).
     */
    int valueBytes = -1;

    KeyEntry(byte[] key, int hash) {
        super(key, hash);
    }

    /** Sets the value, keeping {@link #valueBytes} right; returns the old value's memory estimate. */
    public long setValue(Object v) {
        long old = valueBytes >= 0 ? valueBytes : value == null ? 0 : MemorySize.ofValue(value);
        value = v;
        valueBytes = v instanceof byte[] b ? (int) MemorySize.ofValue(b) : -1;
        return old;
    }

    /** The memory estimate of the value (see {@link #valueBytes}). */
    long valueMemory() {
        return valueBytes >= 0 ? valueBytes : MemorySize.ofValue(value);
    }
}
