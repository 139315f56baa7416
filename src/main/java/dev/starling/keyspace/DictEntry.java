package dev.starling.keyspace;

/** A chained hash entry keyed by binary-safe bytes; subclasses carry the value. */
public abstract class DictEntry {
    public final byte[] key;
    final int hash;
    DictEntry next;

    protected DictEntry(byte[] key, int hash) {
        this.key = key;
        this.hash = hash;
    }
}
