package dev.starling.keyspace;

/**
 * Receives a {@link Snapshot}'s keys. Every method runs on the executor thread, inside a walk
 * step or inside a write command's pre-write hook, so it must be quick, must not throw, and must
 * not read or write the keyspace.
 *
 * <p>Call order: {@link #begin}; then for each database that had keys at the cut, {@link #dbStart}
 * once, before its first {@link #key}; then {@link #end} once every key has been handed over, or
 * {@link #cancelled} instead if the snapshot is cancelled. Keys of different databases may
 * interleave (a write to a database the walk has not reached hands its keys over early), so a
 * writer of RDB emits SELECTDB whenever the database differs from the previous key's.
 */
public interface SnapshotConsumer {
    /** The cut was taken; {@link Snapshot#keysTotal} is known. Called inside startSnapshot. */
    default void begin(Snapshot snapshot) {}

    /**
     * The first key of database db is about to be handed over; keys and volatileKeys are its key
     * and TTL counts at the cut (RDB's RESIZEDB). db is the database's index at the cut.
     */
    default void dbStart(int db, long keys, long volatileKeys) {}

    /**
     * One key as it was at the cut, exactly once per key of the cut. value is the live object and
     * may change as soon as this returns: serialize or copy it now, and keep a reference only to
     * what is never modified in place (keys, {@code byte[]} string values; see
     * persistence.RdbSnapshotSerializer for the full list). expireAt is unix ms,
     * or -1. lru is the key's LRU clock or LFU counter now (reads do not run the hook, so unlike
     * the value it is not the cut's; Redis's RDB IDLE/FREQ opcodes are approximate anyway).
     */
    void key(int db, byte[] key, Object value, long expireAt, int lru);

    /** Every key of the cut has been handed over. */
    default void end() {}

    /** The snapshot was cancelled (or the consumer threw): no more calls follow. */
    default void cancelled() {}
}
