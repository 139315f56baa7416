package dev.starling.keyspace;

/**
 * Reads a {@link Snapshot}'s keys on a thread of its own while the executor keeps serving
 * ({@link Snapshot#readConcurrently}). Its methods run on that thread only.
 *
 * <p>The walk reads one virtual bucket at a time <em>optimistically</em>: it passes the bucket's
 * keys to {@link #key}, then claims the bucket. If a write claimed it first (the executor hands
 * such a bucket to the {@link SnapshotConsumer} itself) or the dict's structure moved meanwhile,
 * the walk calls {@link #discard} and what {@link #key} captured since the last {@link #keep} or
 * discard must be dropped; otherwise it calls {@link #keep}. So key must capture everything it
 * needs from the value before returning (copy mutable buffers, as the consumer does), may see a
 * value torn by a concurrent write (which then always ends in discard), and may throw a
 * RuntimeException for such a value, which also ends in discard. A collection whose hash table
 * the executor may rehash on a read must be read between {@link Dict#readBegin} and
 * {@link Dict#readValid}; key throws {@link Retry} when that fails.
 */
public interface SnapshotReader {
    /** The walk starts database db (its index at the cut) with these counts at the cut (RESIZEDB). */
    void dbStart(int db, long keys, long volatileKeys);

    /** A key of the current bucket; see the interface comment for what it must capture. */
    void key(int db, byte[] key, Object value, long expireAt, int lru);

    /** The keys since the last keep or discard are the cut's: keep them. */
    void keep();

    /** The keys since the last keep or discard are void. */
    void discard();

    /** Thrown by {@link #key} when a value's structure moved while it was read: read the bucket again. */
    final class Retry extends RuntimeException {
        public static final Retry INSTANCE = new Retry();

        private Retry() {
            super("retry", null, false, false);
        }
    }
}
