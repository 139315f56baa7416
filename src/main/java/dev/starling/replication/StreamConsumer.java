package dev.starling.replication;

import io.netty.buffer.ByteBuf;

/**
 * A reader of the propagated stream: the replication backlog and replicas, the AOF, or a test.
 * Called on the executor, in stream order, once per appended chunk; it must not block.
 */
public interface StreamConsumer {
    /** Which chunks this consumer wants: {@link Propagator#PROPAGATE_REPL}, {@link Propagator#PROPAGATE_AOF}, or both. */
    int targets();

    /**
     * The stream grew by data (RESP commands, SELECT included where the database changed).
     *
     * <p>data is the one shared encoding: it is valid only during the call and must not be
     * modified; a consumer that keeps it calls {@code retain()} (or {@code retainedSlice()}) and
     * releases it later. targets is what the commands in the chunk are meant for (a PUBLISH goes to
     * replicas only), so a consumer may skip a chunk whose targets it does not want; selectedDb is
     * the database the stream has selected after the chunk, which such a consumer needs to emit its
     * own SELECT before the next chunk it takes. endOffset is master_repl_offset after the chunk.
     */
    void append(ByteBuf data, int targets, int selectedDb, long endOffset);
}
