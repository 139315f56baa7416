package dev.starling.persistence;

import dev.starling.keyspace.Keyspace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * An RDB file (rdbSaveRio) from a snapshot: an {@link RdbSnapshotSerializer} writing to a file,
 * with the AUX fields Redis 7.0 writes for SAVE/BGSAVE ({@link #saveInfoAuxFields}).
 *
 * <p>SAVE, shutdown and FLUSHALL's save use the serializer synchronously (every byte written on
 * the executor); BGSAVE starts it on its thread, which writes and, at the end, fsyncs.
 */
public final class RdbFileWriter implements RdbSink {
    final FileChannel file;
    final RdbSnapshotSerializer serializer;

    /**
     * replAux: {repl-stream-db, repl-id, repl-offset} from rdbPopulateSaveInfo, or null; aofBase:
     * the file is an AOF's RDB base (RDBFLAGS_AOF_PREAMBLE: AUX aof-base 1).
     */
    RdbFileWriter(Keyspace ks, FileChannel file, boolean compress, boolean checksum, String maxmemoryPolicy, long usedMemAtCut,
                  String[] replAux, boolean aofBase) {
        this.file = file;
        this.serializer = new RdbSnapshotSerializer(ks, this, compress, checksum, maxmemoryPolicy,
                (w, s) -> saveInfoAuxFields(w, s, usedMemAtCut, replAux, aofBase));
    }

    /**
     * Redis's rdbSaveInfoAuxFields: redis-ver, redis-bits, ctime, used-mem, then repl-stream-db,
     * repl-id and repl-offset when rdbPopulateSaveInfo has them (a primary with a backlog, a
     * replica with a master), then aof-base.
     */
    public static void saveInfoAuxFields(RdbWriter w, dev.starling.keyspace.Snapshot s, long usedMemAtCut, String[] replAux,
                                         boolean aofBase) {
        w.saveAuxField("redis-ver", dev.starling.server.Server.REDIS_VERSION);
        w.saveAuxField("redis-bits", "64");
        w.saveAuxField("ctime", Long.toString(s.cutMillis / 1000));
        w.saveAuxField("used-mem", Long.toString(usedMemAtCut));
        if (replAux != null) {
            w.saveAuxField("repl-stream-db", replAux[0]);
            w.saveAuxField("repl-id", replAux[1]);
            w.saveAuxField("repl-offset", replAux[2]);
        }
        w.saveAuxField("aof-base", aofBase ? "1" : "0");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writeFully(file, ByteBuffer.wrap(b, off, len));
    }

    static void writeFully(FileChannel ch, ByteBuffer bb) throws IOException {
        while (bb.hasRemaining()) ch.write(bb);
    }
}
