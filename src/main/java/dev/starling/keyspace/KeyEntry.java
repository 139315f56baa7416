package dev.starling.keyspace;

/**
 * One key of a database: its value and the 24-bit LRU clock or LFU counter Redis keeps in the
 * object header (OBJECT IDLETIME / FREQ and eviction read it).
 */
public final class KeyEntry extends DictEntry {
    public Object value;
    /** LRU: minutes-resolution clock of last access (Redis LRU_CLOCK); LFU: ldt<<8 | counter. */
    public int lru;

    KeyEntry(byte[] key, int hash) {
        super(key, hash);
    }
}
