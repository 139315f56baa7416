package dev.starling.persistence;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where an {@link RdbReader} reads from when the input is not one array in memory: a file, a
 * replication socket. An {@link InputStream} adapts with {@code in::read}.
 */
public interface RdbSource {
    /** Reads up to len bytes into b[off..]; returns how many (at least 1), or -1 at the end of input. */
    int read(byte[] b, int off, int len) throws IOException;

    static RdbSource of(InputStream in) {
        return in::read;
    }
}
