package dev.starling.persistence;

import java.io.IOException;

/**
 * Where an {@link RdbWriter} sends its bytes (Redis's rio target): a file, a replica socket, an
 * in-memory buffer ({@link RdbBuffer}). The writer hands over chunks of its own reused buffer, so
 * an implementation must consume or copy the bytes before returning.
 */
public interface RdbSink {
    /** Takes b[off, off+len); the array is reused by the caller after this returns. */
    void write(byte[] b, int off, int len) throws IOException;
}
