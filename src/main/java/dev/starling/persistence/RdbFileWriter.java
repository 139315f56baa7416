package dev.starling.persistence;

import dev.starling.keyspace.Keyspace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * An RDB file (rdbSaveRio) from a snapshot: an {@link RdbSnapshotSerializer} writing to a file,
 * with the AUX fields Redis 7.0 writes for SAVE/BGSAVE on a primary without a backlog
 * (redis-ver, redis-bits, ctime, used-mem, aof-base; no repl-* fields: rdbPopulateSaveInfo
 * returns NULL there).
 *
 * <p>SAVE, shutdown and FLUSHALL's save use the serializer synchronously (every byte written on
 * the executor); BGSAVE starts it on its thread, which writes and, at the end, fsyncs.
 */
final class RdbFileWriter implements RdbSink {
    final FileChannel file;
    final RdbSnapshotSerializer serializer;

    RdbFileWriter(Keyspace ks, FileChannel file, boolean compress, boolean checksum, String maxmemoryPolicy, long usedMemAtCut) {
        this(ks, file, compress, checksum, maxmemoryPolicy, usedMemAtCut, false);
    }

    /** aofBase: the file is an AOF's RDB base (RDBFLAGS_AOF_PREAMBLE: AUX aof-base 1). */
    RdbFileWriter(Keyspace ks, FileChannel file, boolean compress, boolean checksum, String maxmemoryPolicy, long usedMemAtCut,
                  boolean aofBase) {
        this.file = file;
        this.serializer = new RdbSnapshotSerializer(ks, this, compress, checksum, maxmemoryPolicy, (w, s) -> {
            w.saveAuxField("redis-ver", dev.starling.server.Server.REDIS_VERSION);
            w.saveAuxField("redis-bits", "64");
            w.saveAuxField("ctime", Long.toString(s.cutMillis / 1000));
            w.saveAuxField("used-mem", Long.toString(usedMemAtCut));
            w.saveAuxField("aof-base", aofBase ? "1" : "0");
        });
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writeFully(file, ByteBuffer.wrap(b, off, len));
    }

    static void writeFully(FileChannel ch, ByteBuffer bb) throws IOException {
        while (bb.hasRemaining()) ch.write(bb);
    }
}
