package dev.starling.keyspace;

import java.util.Arrays;

/** A key's bytes as a hash map key (byte[] compares by identity): WATCH and blocking tables use it. */
public final class BytesKey {
    public final byte[] bytes;
    private final int hash;

    public BytesKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BytesKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
