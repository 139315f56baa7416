package dev.starling.keyspace;

import java.util.Arrays;

/** A binary-safe name as a java.util hash key (byte[] compares by identity): WATCH tables, pub/sub channels. */
public final class ByteKey {
    public final byte[] bytes;
    private final int hash;

    public ByteKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
