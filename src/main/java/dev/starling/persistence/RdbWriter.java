package dev.starling.persistence;

import dev.starling.keyspace.Dict;
import dev.starling.protocol.Numbers;
import dev.starling.types.Hash;
import dev.starling.types.Quicklist;
import dev.starling.types.RawString;
import dev.starling.types.SetValue;
import dev.starling.types.StreamValue;
import dev.starling.types.ZSet;
import dev.starling.types.ZSkiplist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Serializes values in Redis 7.0's RDB format (rdb.c's rdbSave* functions, RDB version 10), byte
 * for byte as redis-server writes them for the same value in the same encoding.
 *
 * <h2>Buffering, checksum, errors</h2>
 * Bytes collect in the writer's own buffer. With a {@link RdbSink} the buffer is handed over in
 * chunks as it fills (and on {@link #flush}); without one ({@link #toMemory}) it grows and
 * {@link #toByteArray} returns everything. The running CRC-64 of everything written (Redis's
 * rio update_cksum) is kept when asked for. A sink's IOException surfaces as an
 * {@link UncheckedIOException} from whichever call flushed, so the value walkers stay free of
 * checked exceptions.
 *
 * <h2>What is written per type</h2>
 * <ul>
 * <li>string: an integer encoding (INT8/16/32) if it is an integer of at most 11 characters that
 *     fits 32 bits, else LZF when compression is on, it is over 20 bytes and shrinks by at least
 *     4 bytes, else length and bytes (rdbSaveRawString);</li>
 * <li>list: QUICKLIST_2, node count, then per node its container and either its LZF block (a
 *     compressed node) or its bytes as a string;</li>
 * <li>set: the intset blob as a string (SET_INTSET), or the member count and members (SET);</li>
 * <li>zset: the listpack as a string (ZSET_LISTPACK), or the count then member and binary
 *     little-endian double from the highest score down (ZSET_2);</li>
 * <li>hash: the listpack as a string (HASH_LISTPACK), or the count then field/value pairs (HASH);</li>
 * <li>stream: STREAM_LISTPACKS_2, see {@link StreamValue}.</li>
 * </ul>
 * Hashtable encodings are written in Starling's dict order, which differs from Redis's (another
 * hash function); the set of elements is the same.
 */
public final class RdbWriter {
    private final RdbSink sink;
    private byte[] buf;
    private int pos;
    /** Bytes handed to the sink so far. */
    private long flushed;
    private final boolean checksum;
    private long crc;
    /** buf[0, crcPos) is already in crc. */
    private int crcPos;
    /** rdbcompression: LZF-compress strings over 20 bytes. */
    private final boolean compress;
    /** Scratch output for LZF attempts. */
    private byte[] lzfOut = new byte[0];

    /**
     * A writer that sends its bytes to sink in chunks of up to bufferSize. compress is
     * rdbcompression; checksum keeps the running CRC-64 (rdbchecksum).
     */
    public RdbWriter(RdbSink sink, int bufferSize, boolean compress, boolean checksum) {
        this.sink = sink;
        this.buf = new byte[Math.max(64, bufferSize)];
        this.compress = compress;
        this.checksum = checksum;
    }

    /** A writer that keeps everything in memory (a DUMP payload, a snapshot chunk). */
    public static RdbWriter toMemory(boolean compress, boolean checksum) {
        return new RdbWriter(null, 256, compress, checksum);
    }

    // ---------------------------------------------------------------- buffer

    private void ensure(int n) {
        if (buf.length - pos >= n) return;
        if (sink != null) {
            flushBuffer();
            if (buf.length >= n) return;
        }
        long want = Math.max((long) pos + n, 2L * buf.length);
        if (want > Integer.MAX_VALUE - 8) {
            if ((long) pos + n > Integer.MAX_VALUE - 8) throw new OutOfMemoryError("RDB payload over 2 GB");
            want = Integer.MAX_VALUE - 8;
        }
        buf = Arrays.copyOf(buf, (int) want);
    }

    private void flushBuffer() {
        if (pos == 0) return;
        updateCrc();
        try {
            sink.write(buf, 0, pos);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        flushed += pos;
        pos = 0;
        crcPos = 0;
    }

    private void updateCrc() {
        if (checksum && crcPos < pos) {
            crc = Crc64.update(crc, buf, crcPos, pos - crcPos);
            crcPos = pos;
        }
    }

    /** Hands everything buffered to the sink (no-op in memory mode). */
    public void flush() {
        if (sink != null) flushBuffer();
    }

    /** Bytes written so far (Redis's rio processed_bytes). */
    public long processedBytes() {
        return flushed + pos;
    }

    /** The CRC-64 of everything written so far (0 unless checksum was asked for). */
    public long crc() {
        updateCrc();
        return crc;
    }

    /** Everything written, in memory mode. */
    public byte[] toByteArray() {
        if (sink != null) throw new IllegalStateException("writer has a sink");
        return Arrays.copyOf(buf, pos);
    }

    /** Drops what is buffered in memory mode, to reuse the writer for the next chunk (CRC continues). */
    public void resetMemory() {
        if (sink != null) throw new IllegalStateException("writer has a sink");
        updateCrc();
        flushed += pos;
        pos = 0;
        crcPos = 0;
    }

    public void writeRaw(byte[] b, int off, int len) {
        if (sink != null && len > buf.length - pos && len >= buf.length / 2) {
            // Large blobs go straight through rather than being copied chunk by chunk.
            flushBuffer();
            if (checksum) crc = Crc64.update(crc, b, off, len);
            try {
                sink.write(b, off, len);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            flushed += len;
            return;
        }
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    public void writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    // ---------------------------------------------------------------- primitives (rdb.c)

    /** rdbSaveType: one byte. */
    public void saveType(int type) {
        writeByte(type);
    }

    /** rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian length; len is unsigned. */
    public void saveLen(long len) {
        ensure(9);
        if (Long.compareUnsigned(len, 1 << 6) < 0) {
            buf[pos++] = (byte) len;
        } else if (Long.compareUnsigned(len, 1 << 14) < 0) {
            buf[pos++] = (byte) (((len >>> 8) & 0x3F) | (Rdb.LEN_14BIT << 6));
            buf[pos++] = (byte) len;
        } else if (Long.compareUnsigned(len, 0xFFFFFFFFL) <= 0) {
            buf[pos++] = (byte) Rdb.LEN_32BIT;
            for (int s = 24; s >= 0; s -= 8) buf[pos++] = (byte) (len >>> s);
        } else {
            buf[pos++] = (byte) Rdb.LEN_64BIT;
            for (int s = 56; s >= 0; s -= 8) buf[pos++] = (byte) (len >>> s);
        }
    }

    /** rdbSaveMillisecondTime: 8 bytes little-endian. */
    public void saveMillisecondTime(long t) {
        ensure(8);
        for (int s = 0; s < 64; s += 8) buf[pos++] = (byte) (t >>> s);
    }

    /** rdbSaveBinaryDoubleValue: the IEEE 754 bits, little-endian. */
    public void saveBinaryDoubleValue(double d) {
        saveMillisecondTime(Double.doubleToRawLongBits(d));
    }

    /**
     * rdbSaveDoubleValue (the pre-RDB-8 text form, still used by modules): 253 NaN, 254 +inf,
     * 255 -inf, else a length byte and the text (integers below 2^52 in decimal, else %.17g).
     */
    public void saveDoubleValue(double d) {
        if (Double.isNaN(d)) {
            writeByte(253);
        } else if (Double.isInfinite(d)) {
            writeByte(d < 0 ? 255 : 254);
        } else {
            String s = d > -4503599627370495.0 && d < 4503599627370496.0 && d == (double) (long) d
                    ? Long.toString((long) d) : Numbers.formatG(d, 17);
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            writeByte(b.length);
            writeRaw(b, 0, b.length);
        }
    }

    /** rdbEncodeInteger: the INT8/16/32 encoding of v into buf at pos, or 0 if v needs more than 32 bits. */
    private int encodeInteger(long v) {
        if (v >= -(1 << 7) && v <= (1 << 7) - 1) {
            buf[pos] = (byte) ((Rdb.ENCVAL << 6) | Rdb.ENC_INT8);
            buf[pos + 1] = (byte) v;
            return 2;
        } else if (v >= -(1 << 15) && v <= (1 << 15) - 1) {
            buf[pos] = (byte) ((Rdb.ENCVAL << 6) | Rdb.ENC_INT16);
            buf[pos + 1] = (byte) v;
            buf[pos + 2] = (byte) (v >>> 8);
            return 3;
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            buf[pos] = (byte) ((Rdb.ENCVAL << 6) | Rdb.ENC_INT32);
            for (int i = 0; i < 4; i++) buf[pos + 1 + i] = (byte) (v >>> (8 * i));
            return 5;
        }
        return 0;
    }

    /** rdbSaveLongLongAsStringObject: an integer encoding, or the decimal text as a plain string. */
    public void saveLongLongAsStringObject(long v) {
        ensure(5);
        int n = encodeInteger(v);
        if (n > 0) {
            pos += n;
            return;
        }
        byte[] text = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
        saveLen(text.length);
        writeRaw(text, 0, text.length);
    }

    /** rdbSaveLzfBlob: the LZF marker, compressed and original lengths, then the block. */
    public void saveLzfBlob(byte[] block, int off, int clen, long originalLen) {
        writeByte((Rdb.ENCVAL << 6) | Rdb.ENC_LZF);
        saveLen(clen);
        saveLen(originalLen);
        writeRaw(block, off, clen);
    }

    /** rdbSaveRawString: integer encoding, LZF, or verbatim (see the class comment). */
    public void saveRawString(byte[] s, int off, int len) {
        if (len <= 11) {
            // parseLong's INVALID mark is a 20-character number, so at this length it means "not a number".
            long v = Numbers.parseLong(s, off, len);
            if (v != Numbers.INVALID) {
                ensure(5);
                int n = encodeInteger(v);
                if (n > 0) {
                    pos += n;
                    return;
                }
            }
        }
        if (compress && len > 20 && saveLzfString(s, off, len)) return;
        saveLen(len);
        if (len > 0) writeRaw(s, off, len);
    }

    public void saveRawString(byte[] s) {
        saveRawString(s, 0, s.length);
    }

    /** rdbSaveLzfStringObject: true if the string was written compressed (it shrank by at least 4 bytes). */
    private boolean saveLzfString(byte[] s, int off, int len) {
        int outLen = len - 4;
        if (lzfOut.length < outLen) lzfOut = new byte[outLen];
        int clen = Lzf.compress(s, off, len, lzfOut, outLen);
        if (clen == 0) return false;
        saveLzfBlob(lzfOut, 0, clen, len);
        if (lzfOut.length > 1 << 20) lzfOut = new byte[0]; // do not keep a huge scratch array
        return true;
    }

    /** rdbSaveAuxField: the AUX opcode and two strings. */
    public void saveAuxField(byte[] key, byte[] value) {
        saveType(Rdb.OPCODE_AUX);
        saveRawString(key);
        saveRawString(value);
    }

    public void saveAuxField(String key, String value) {
        saveAuxField(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- values

    /** The RDB type Redis 7.0 writes for v (rdbSaveObjectType's choice), or -1 if v cannot be saved. */
    public static int objectType(Object v) {
        if (v instanceof byte[] || v instanceof RawString) return Rdb.TYPE_STRING;
        if (v instanceof Quicklist) return Rdb.TYPE_LIST_QUICKLIST_2;
        if (v instanceof SetValue s) return s.isIntset() ? Rdb.TYPE_SET_INTSET : Rdb.TYPE_SET;
        if (v instanceof ZSet z) return z.isListpack() ? Rdb.TYPE_ZSET_LISTPACK : Rdb.TYPE_ZSET_2;
        if (v instanceof Hash h) return h.isListpack() ? Rdb.TYPE_HASH_LISTPACK : Rdb.TYPE_HASH;
        if (v instanceof StreamValue) return Rdb.TYPE_STREAM_LISTPACKS_2;
        return -1;
    }

    /** rdbSaveObjectType. */
    public void saveObjectType(Object v) {
        int t = objectType(v);
        if (t < 0) throw new IllegalArgumentException("no RDB type for " + (v == null ? "null" : v.getClass().getName()));
        saveType(t);
    }

    /** rdbSaveObject: the value's body, after its type byte. */
    public void saveObject(Object v) {
        if (v instanceof byte[] b) {
            saveRawString(b, 0, b.length);
        } else if (v instanceof RawString r) {
            saveRawString(r.buf, 0, r.len);
        } else if (v instanceof Quicklist ql) {
            saveQuicklist(ql);
        } else if (v instanceof SetValue s) {
            if (s.isIntset()) {
                byte[] is = s.intsetBytes();
                saveRawString(is, 0, is.length);
            } else {
                Dict<SetValue.Member> d = s.hashtable();
                saveLen(d.size());
                d.forEach(setMemberWriter);
            }
        } else if (v instanceof ZSet z) {
            if (z.isListpack()) {
                saveRawString(z.lp, 0, dev.starling.types.Listpack.bytes(z.lp));
            } else {
                saveLen(z.zsl.length());
                // From the tail: loading then inserts each member at the head, in O(1).
                for (ZSkiplist.Node x = z.zsl.last(); x != null; x = x.prev()) {
                    saveRawString(x.key, 0, x.key.length);
                    saveBinaryDoubleValue(x.score);
                }
            }
        } else if (v instanceof Hash h) {
            byte[] lp = h.lp();
            if (lp != null) {
                saveRawString(lp, 0, dev.starling.types.Listpack.bytes(lp));
            } else {
                Dict<Hash.Field> d = h.dict();
                saveLen(d.size());
                d.forEach(hashFieldWriter);
            }
        } else if (v instanceof StreamValue s) {
            saveStream(s);
        } else {
            throw new IllegalArgumentException("cannot save " + (v == null ? "null" : v.getClass().getName()));
        }
    }

    /** Visitors for dict encodings, made once per writer (no allocation per value). */
    private final Consumer<SetValue.Member> setMemberWriter = m -> saveRawString(m.key, 0, m.key.length);
    private final Consumer<Hash.Field> hashFieldWriter = f -> {
        saveRawString(f.key, 0, f.key.length);
        saveRawString(f.value, 0, f.value.length);
    };

    private void saveQuicklist(Quicklist ql) {
        saveLen(ql.nodes());
        for (Quicklist.Node n = ql.head(); n != null; n = n.next()) {
            saveLen(n.isPlain() ? Rdb.CONTAINER_PLAIN : Rdb.CONTAINER_PACKED);
            byte[] stored = n.stored();
            if (n.isCompressed()) saveLzfBlob(stored, 0, stored.length, n.size());
            else saveRawString(stored, 0, n.size());
        }
    }

    /**
     * The STREAM_LISTPACKS_2 body (rdbSaveObject for OBJ_STREAM): nodes (master ID and listpack as
     * strings), length, last, first and max-deleted IDs, entries added, then each group with its
     * last ID, read counter, global PEL (raw IDs, delivery time and count) and consumers (name,
     * seen time, raw IDs of their PEL).
     */
    private void saveStream(StreamValue s) {
        saveLen(s.nodeKeys.length);
        for (int i = 0; i < s.nodeKeys.length; i++) {
            saveRawString(s.nodeKeys[i]);
            saveRawString(s.listpacks[i]);
        }
        saveLen(s.length);
        saveLen(s.lastMs);
        saveLen(s.lastSeq);
        saveLen(s.firstMs);
        saveLen(s.firstSeq);
        saveLen(s.maxDeletedMs);
        saveLen(s.maxDeletedSeq);
        saveLen(s.entriesAdded);
        saveLen(s.groups.length);
        for (StreamValue.Group g : s.groups) {
            saveRawString(g.name);
            saveLen(g.lastMs);
            saveLen(g.lastSeq);
            saveLen(g.entriesRead);
            saveLen(g.pelIds.length);
            for (int i = 0; i < g.pelIds.length; i++) {
                writeRaw(g.pelIds[i], 0, 16);
                saveMillisecondTime(g.deliveryTimes[i]);
                saveLen(g.deliveryCounts[i]);
            }
            saveLen(g.consumers.length);
            for (StreamValue.Consumer c : g.consumers) {
                saveRawString(c.name);
                saveMillisecondTime(c.seenTime);
                saveLen(c.pelIds.length);
                for (byte[] id : c.pelIds) writeRaw(id, 0, 16);
            }
        }
    }

    /**
     * rdbSaveKeyValuePair: the expire (ms, or -1 for none), the LRU idle seconds or LFU counter
     * when the caller's eviction policy keeps one (-1 for none), then type, key and value.
     */
    public void saveKeyValuePair(byte[] key, Object value, long expireMs, long idleSeconds, int lfuFreq) {
        saveKeyPrefix(expireMs, idleSeconds, lfuFreq);
        saveObjectType(value);
        saveRawString(key, 0, key.length);
        saveObject(value);
    }

    /** The opcodes rdbSaveKeyValuePair writes before the type: EXPIRETIME_MS, IDLE, FREQ (each when not -1). */
    public void saveKeyPrefix(long expireMs, long idleSeconds, int lfuFreq) {
        if (expireMs != -1) {
            saveType(Rdb.OPCODE_EXPIRETIME_MS);
            saveMillisecondTime(expireMs);
        }
        if (idleSeconds >= 0) {
            saveType(Rdb.OPCODE_IDLE);
            saveLen(idleSeconds);
        }
        if (lfuFreq >= 0) {
            saveType(Rdb.OPCODE_FREQ);
            writeByte(lfuFreq);
        }
    }

    // ---------------------------------------------------------------- DUMP

    /**
     * createDumpPayload: type, value, then the 2-byte RDB version and the CRC-64 of everything
     * before it, both little-endian.
     */
    public static byte[] dumpPayload(Object value, boolean compress) {
        RdbWriter w = toMemory(compress, false);
        w.saveObjectType(value);
        w.saveObject(value);
        w.writeByte(Rdb.VERSION & 0xff);
        w.writeByte((Rdb.VERSION >>> 8) & 0xff);
        long crc = Crc64.of(w.buf, 0, w.pos);
        w.saveMillisecondTime(crc);
        return w.toByteArray();
    }
}
