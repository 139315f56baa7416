package dev.starling.keyspace;

/** One key's absolute expire time in unix milliseconds; the key bytes are shared with the main dict. */
public final class ExpireEntry extends DictEntry {
    public long when;

    ExpireEntry(byte[] key, int hash) {
        super(key, hash);
    }
}
