package dev.starling.persistence;

import dev.starling.config.Config;
import dev.starling.keyspace.Dict;
import dev.starling.protocol.Numbers;
import dev.starling.types.Hash;
import dev.starling.types.IntSet;
import dev.starling.types.Listpack;
import dev.starling.types.Quicklist;
import dev.starling.types.SetValue;
import dev.starling.types.StreamValue;
import dev.starling.types.ZSet;
import dev.starling.types.ZSkiplist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loads values in every RDB format Redis has written (versions 1 to 12: rdb.c's rdbLoad* and
 * rdbLoadObject) into Starling's types, with the encodings Redis 7.0 gives them after loading.
 *
 * <h2>Input</h2>
 * Either one array (a RESTORE payload: Redis reads it through to its end, footer included, so a
 * value may run into the footer and trailing bytes are ignored, exactly as here) or an
 * {@link RdbSource} read through a buffer. Lengths are never trusted for allocation: a string is
 * only allocated once the bytes are known to exist (or grown as they arrive), an LZF block is
 * checked to decode to its claimed size before that size is allocated, and dicts are presized to
 * at most what the remaining input could hold.
 *
 * <h2>Validation</h2>
 * Redis's sanitize-dump-payload decides how deeply Redis checks encoded blobs; in "no" mode it
 * accepts payloads that can crash it later. Starling always validates deeply (every listpack,
 * ziplist, zipmap, intset and stream listpack entirely, duplicates included), because a value
 * that passes must never break a later command; the {@code deep} flag only decides what Redis
 * also does in deep mode alone: counting sanitizations (INFO dump_payload_sanitizations) and the
 * check that every stream PEL entry has a consumer. So Starling rejects everything Redis rejects
 * in deep mode, and in shallow mode also some corrupt payloads Redis would accept.
 *
 * <h2>Conversions (rdbLoadObject's rules)</h2>
 * Ziplists and zipmaps become listpacks; old linked lists, ziplist lists and quicklists of
 * ziplists become quicklists with the configured fill and compression; hashes, sets and sorted
 * sets convert to hashtable/skiplist when their length exceeds the configured limits (only the
 * length for listpack blobs: Redis does not scan element sizes there); 7.2 listpack sets become
 * intsets or hashtables as SADD would build them in 7.0; 7.2 streams and the 7.4 hash types with
 * field TTLs are read (a hash whose fields actually carry TTLs is refused: Starling has no field
 * expiry); module values are refused.
 */
public final class RdbReader {
    private final RdbSource source;
    private byte[] buf;
    private int pos, limit;
    /** Absolute input offset of buf[0]. */
    private long base;
    private final boolean checksum;
    private long crc;
    /** buf[0, crcPos) is already in crc. */
    private int crcPos;
    private boolean eof;

    private final Config config;
    private final boolean deep;
    /** Validations Redis would count in INFO's dump_payload_sanitizations. */
    public long sanitizations;

    /** The largest array Java allows, and so the largest string Starling can hold. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** A reader over one array: a RESTORE payload, footer included. */
    public RdbReader(byte[] data, Config config, boolean deep) {
        this.source = null;
        this.buf = data;
        this.limit = data.length;
        this.checksum = false;
        this.config = config;
        this.deep = deep;
    }

    /** A reader over source (a file, a socket), keeping a running CRC-64 if checksum. */
    public RdbReader(RdbSource source, int bufferSize, boolean checksum, Config config, boolean deep) {
        this.source = source;
        this.buf = new byte[Math.max(64, bufferSize)];
        this.checksum = checksum;
        this.config = config;
        this.deep = deep;
    }

    // ---------------------------------------------------------------- input

    /** Bytes consumed so far (Redis's rio processed_bytes). */
    public long processedBytes() {
        return base + pos;
    }

    /** The bytes read from the source but not consumed (what followed the RDB in a stream); they count as consumed now. */
    public byte[] takeBuffered() {
        updateCrc();
        byte[] out = Arrays.copyOfRange(buf, pos, limit);
        pos = limit;
        return out;
    }

    /** The CRC-64 of every byte consumed so far (0 unless checksum was asked for). */
    public long crc() {
        updateCrc();
        return crc;
    }

    private void updateCrc() {
        if (checksum && crcPos < pos) {
            crc = Crc64.update(crc, buf, crcPos, pos - crcPos);
            crcPos = pos;
        }
    }

    /** Makes n bytes available at pos; false if the input ends first. */
    private boolean fill(int n) throws RdbException {
        if (limit - pos >= n) return true;
        if (source == null || eof) return false;
        updateCrc();
        int keep = limit - pos;
        if (n > buf.length) buf = Arrays.copyOf(buf, Math.max(n, 2 * buf.length));
        System.arraycopy(buf, pos, buf, 0, keep);
        base += pos;
        pos = 0;
        crcPos = 0;
        limit = keep;
        while (limit < n) {
            int r;
            try {
                r = source.read(buf, limit, buf.length - limit);
            } catch (IOException e) {
                throw RdbException.shortRead("I/O error: " + e.getMessage());
            }
            if (r < 0) {
                eof = true;
                return false;
            }
            limit += r;
        }
        return true;
    }

    /** An upper bound of the bytes left, for presizing (the input's size when known). */
    private long remainingHint() {
        return source == null ? limit - pos : Math.max(limit - pos, 1 << 16);
    }

    /** One unsigned byte (the FREQ opcode's counter). */
    int readByteValue() throws RdbException {
        return readByte("Short read loading a byte");
    }

    private int readByte(String what) throws RdbException {
        if (!fill(1)) throw RdbException.shortRead(what);
        return buf[pos++] & 0xff;
    }

    private void readFully(byte[] dst, int off, int len, String what) throws RdbException {
        while (len > 0) {
            if (!fill(1)) throw RdbException.shortRead(what);
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, dst, off, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    /** len bytes as a new array; short read if the input has fewer. */
    byte[] readBytes(long len, String what) throws RdbException {
        if (len < 0 || len > MAX_ARRAY) throw RdbException.shortRead(what + ": failed allocating " + Long.toUnsignedString(len) + " bytes");
        int n = (int) len;
        if (source == null) {
            if (n > limit - pos) throw RdbException.shortRead(what);
            byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return out;
        }
        // Grow with the data that actually arrives, not with the claimed length.
        byte[] out = new byte[Math.min(n, 1 << 20)];
        int got = 0;
        while (got < n) {
            if (got == out.length) out = Arrays.copyOf(out, (int) Math.min(n, 2L * out.length));
            if (!fill(1)) throw RdbException.shortRead(what);
            int k = Math.min(out.length - got, limit - pos);
            System.arraycopy(buf, pos, out, got, k);
            pos += k;
            got += k;
        }
        return out;
    }

    // ---------------------------------------------------------------- primitives (rdb.c)

    /** rdbLoadType: one byte (an object type or an opcode). */
    public int loadType() throws RdbException {
        return readByte("Short read loading type");
    }

    /** Set by {@link #loadLenRaw}: the length byte was RDB_ENCVAL (a special string encoding follows). */
    private boolean lenEncoded;

    /**
     * rdbLoadLenByRef: a 6/14/32/64-bit length, unsigned (so -1 is 2^64-1). An RDB_ENCVAL byte
     * yields its 6-bit encoding type with {@link #lenEncoded} set.
     */
    private long loadLenRaw() throws RdbException {
        int b = readByte("Short read loading length");
        int type = (b & 0xC0) >> 6;
        lenEncoded = false;
        if (type == Rdb.ENCVAL) {
            lenEncoded = true;
            return b & 0x3F;
        }
        if (type == Rdb.LEN_6BIT) return b & 0x3F;
        if (type == Rdb.LEN_14BIT) return ((b & 0x3F) << 8) | readByte("Short read loading length");
        if (b == Rdb.LEN_32BIT) {
            long v = 0;
            for (int i = 0; i < 4; i++) v = (v << 8) | readByte("Short read loading length");
            return v;
        }
        if (b == Rdb.LEN_64BIT) {
            long v = 0;
            for (int i = 0; i < 8; i++) v = (v << 8) | readByte("Short read loading length");
            return v;
        }
        throw RdbException.corrupt("Unknown length encoding " + type + " in rdbLoadLen()");
    }

    /** rdbLoadLen(rdb, NULL): a length; an RDB_ENCVAL byte reads as its low 6 bits. */
    public long loadLen() throws RdbException {
        return loadLenRaw();
    }

    /**
     * rdbLoadLen where Redis checks only rioGetReadError afterwards: an unknown length encoding is
     * not a read error there, so it reads as 2^64-1 (RDB_LENERR) and loading goes on.
     */
    private long loadLenLenient() throws RdbException {
        int b = peekByte();
        if ((b & 0xC0) == 0x80 && b != Rdb.LEN_32BIT && b != Rdb.LEN_64BIT) {
            pos++;
            return -1;
        }
        return loadLenRaw();
    }

    private int peekByte() throws RdbException {
        if (!fill(1)) throw RdbException.shortRead("Short read loading length");
        return buf[pos] & 0xff;
    }

    /** rdbLoadLen where Redis compares with RDB_LENERR: 2^64-1 is an error too. */
    private long loadLenChecked(String what) throws RdbException {
        long len = loadLenRaw();
        if (len == -1) throw RdbException.shortRead(what);
        return len;
    }

    /** rdbLoadMillisecondTime: 8 bytes little-endian. */
    public long loadMillisecondTime() throws RdbException {
        if (!fill(8)) throw RdbException.shortRead("Short read loading time");
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (buf[pos + i] & 0xff);
        pos += 8;
        return v;
    }

    /** rdbLoadTime: 4 bytes little-endian seconds (RDB_OPCODE_EXPIRETIME). */
    public long loadTime() throws RdbException {
        if (!fill(4)) throw RdbException.shortRead("Short read loading time");
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    /** rdbLoadBinaryDoubleValue. */
    public double loadBinaryDoubleValue() throws RdbException {
        return Double.longBitsToDouble(loadMillisecondTime());
    }

    /** rdbLoadDoubleValue: the text form of RDB versions before 8 (253 NaN, 254 +inf, 255 -inf). */
    public double loadDoubleValue() throws RdbException {
        int len = readByte("Short read loading double");
        switch (len) {
            case 255:
                return Double.NEGATIVE_INFINITY;
            case 254:
                return Double.POSITIVE_INFINITY;
            case 253:
                return Double.NaN;
            default:
                byte[] text = new byte[len];
                readFully(text, 0, len, "Short read loading double");
                // sscanf("%lg"): leading space skipped, trailing text ignored, nothing parsed fails.
                int[] end = new int[1];
                double d = ZSet.strtod(text, 0, len, end);
                if (end[0] == 0) throw RdbException.shortRead("Invalid double value");
                return d;
        }
    }

    /**
     * rdbGenericLoadStringObject as a plain byte array: integer encodings become their decimal
     * text, LZF blocks are decompressed.
     */
    public byte[] loadStringBytes() throws RdbException {
        long len = loadLenRaw();
        if (lenEncoded) {
            switch ((int) len) {
                case Rdb.ENC_INT8:
                    return IntSet.ll2bytes((byte) readByte("Short read loading integer"));
                case Rdb.ENC_INT16: {
                    int lo = readByte("Short read loading integer"), hi = readByte("Short read loading integer");
                    return IntSet.ll2bytes((short) (lo | hi << 8));
                }
                case Rdb.ENC_INT32: {
                    int v = 0;
                    for (int i = 0; i < 4; i++) v |= readByte("Short read loading integer") << (8 * i);
                    return IntSet.ll2bytes(v);
                }
                case Rdb.ENC_LZF:
                    return loadLzfString();
                default:
                    throw RdbException.corrupt("Unknown RDB string encoding type " + len);
            }
        }
        if (len == -1) throw RdbException.shortRead("Short read loading string length");
        return readBytes(len, "Short read loading string");
    }

    /** rdbLoadLzfStringObject: compressed and original lengths, the block, decompressed to exactly the original length. */
    private byte[] loadLzfString() throws RdbException {
        long clen = loadLenChecked("Short read loading LZF length");
        long len = loadLenChecked("Short read loading LZF length");
        if (len < 0 || len > MAX_ARRAY) throw RdbException.shortRead("rdbLoadLzfStringObject failed allocating " + Long.toUnsignedString(len) + " bytes");
        byte[] c = readBytes(clen, "Short read loading LZF string");
        if (len > (1 << 20) && Lzf.decompressedLength(c, 0, c.length, len) != len) {
            throw RdbException.corrupt("Invalid LZF compressed string");
        }
        byte[] out = new byte[(int) len];
        if (Lzf.decompress(c, 0, c.length, out, (int) len) != len) throw RdbException.corrupt("Invalid LZF compressed string");
        return out;
    }

    /** rdbLoadObjectType: a type byte that is an object type (of any version up to 7.4), else -1. */
    public int loadObjectType() throws RdbException {
        int t = loadType();
        return Rdb.isObjectType(t) ? t : -1;
    }

    // ---------------------------------------------------------------- values

    /**
     * rdbLoadObject: the value of type rdbtype. Strings are byte arrays; collections are
     * Starling's types; streams are {@link StreamValue}s.
     */
    public Object loadObject(int rdbtype) throws RdbException {
        switch (rdbtype) {
            case Rdb.TYPE_STRING:
                return loadStringBytes();
            case Rdb.TYPE_LIST:
                return loadLinkedList();
            case Rdb.TYPE_SET:
                return loadSet();
            case Rdb.TYPE_ZSET:
            case Rdb.TYPE_ZSET_2:
                return loadZset(rdbtype);
            case Rdb.TYPE_HASH:
                return loadHash(false, false);
            case Rdb.TYPE_HASH_METADATA:
                return loadHash(true, true);
            case Rdb.TYPE_HASH_METADATA_PRE_GA:
                return loadHash(true, false);
            case Rdb.TYPE_LIST_QUICKLIST:
            case Rdb.TYPE_LIST_QUICKLIST_2:
                return loadQuicklist(rdbtype);
            case Rdb.TYPE_HASH_ZIPMAP:
            case Rdb.TYPE_LIST_ZIPLIST:
            case Rdb.TYPE_SET_INTSET:
            case Rdb.TYPE_SET_LISTPACK:
            case Rdb.TYPE_ZSET_ZIPLIST:
            case Rdb.TYPE_ZSET_LISTPACK:
            case Rdb.TYPE_HASH_ZIPLIST:
            case Rdb.TYPE_HASH_LISTPACK:
            case Rdb.TYPE_HASH_LISTPACK_EX_PRE_GA:
            case Rdb.TYPE_HASH_LISTPACK_EX:
                return loadEncoded(rdbtype);
            case Rdb.TYPE_STREAM_LISTPACKS:
            case Rdb.TYPE_STREAM_LISTPACKS_2:
            case Rdb.TYPE_STREAM_LISTPACKS_3:
                return loadStream(rdbtype);
            case Rdb.TYPE_MODULE:
            case Rdb.TYPE_MODULE_2: {
                long moduleId = loadLen();
                throw new RdbException(RdbException.Kind.UNSUPPORTED,
                        "The RDB file contains module data I can't load: no matching module type '" + moduleTypeName(moduleId) + "'");
            }
            default:
                throw RdbException.shortRead("Unknown RDB encoding type " + rdbtype);
        }
    }

    private static final String MODULE_NAME_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /** moduleTypeNameByID: the 9-character name in the top 54 bits of a module type id. */
    static String moduleTypeName(long moduleId) {
        char[] name = new char[9];
        long id = moduleId >>> 10;
        for (int j = 8; j >= 0; j--) {
            name[j] = MODULE_NAME_CHARSET.charAt((int) (id & 63));
            id >>>= 6;
        }
        return new String(name);
    }

    /** A dict presize no larger than the remaining input could fill (Redis's dictTryExpand of len). */
    private long presize(long len) {
        long hint = remainingHint();
        return len < 0 ? hint : Math.min(len, hint);
    }

    private Quicklist newQuicklist() {
        return new Quicklist(config.listMaxListpackSize, config.listCompressDepth);
    }

    /** RDB_TYPE_LIST: a count, then each element, pushed at the tail. */
    private Object loadLinkedList() throws RdbException {
        long len = loadLenChecked("Short read loading list length");
        if (len == 0) throw RdbException.emptyKey();
        Quicklist ql = newQuicklist();
        while (len-- != 0) ql.pushTail(loadStringBytes());
        return ql;
    }

    /** RDB_TYPE_SET: an intset while members are integers and the count fits, else a hashtable. */
    private Object loadSet() throws RdbException {
        long len = loadLenChecked("Short read loading set length");
        if (len == 0) throw RdbException.emptyKey();
        long maxEntries = Math.min(config.setMaxIntsetEntries, 1 << 30);
        SetValue s;
        if (Long.compareUnsigned(len, maxEntries) > 0) {
            s = SetValue.createHashtable();
            s.hashtable().expand(presize(len));
        } else {
            s = SetValue.createIntset();
        }
        for (long i = 0; Long.compareUnsigned(i, len) < 0; i++) {
            byte[] ele = loadStringBytes();
            if (!s.add(ele, maxEntries)) throw RdbException.corrupt("Duplicate set members detected");
        }
        return s;
    }

    /** RDB_TYPE_ZSET / ZSET_2: members with text or binary scores into a skiplist, then maybe a listpack. */
    private Object loadZset(int rdbtype) throws RdbException {
        long len = loadLenChecked("Short read loading zset length");
        if (len == 0) throw RdbException.emptyKey();
        ZSet z = ZSet.createSkiplist();
        z.dict.expand(presize(len));
        long maxelelen = 0, totelelen = 0;
        while (len-- != 0) {
            byte[] ele = loadStringBytes();
            double score = rdbtype == Rdb.TYPE_ZSET_2 ? loadBinaryDoubleValue() : loadDoubleValue();
            if (Double.isNaN(score)) throw RdbException.corrupt("Zset with NAN score detected");
            maxelelen = Math.max(maxelelen, ele.length);
            totelelen += ele.length;
            if (z.dict.get(ele) != null) throw RdbException.corrupt("Duplicate zset fields detected");
            ZSkiplist.Node x = z.dict.add(ele);
            x.score = score;
            z.zsl.insertNew(x);
        }
        // Converted after loading, since members are not stored ordered.
        if (z.length() <= config.zsetMaxListpackEntries && maxelelen <= config.zsetMaxListpackValue && totelelen <= (1L << 30)) {
            z.convertToListpack();
        }
        return z;
    }

    /**
     * RDB_TYPE_HASH (and the 7.4 HASH_METADATA types, whose pairs each carry a TTL first): pairs
     * into a listpack until the count or a length exceeds the limits, then a hashtable.
     */
    private Object loadHash(boolean withTtl, boolean ga) throws RdbException {
        if (withTtl && ga) loadMillisecondTime(); // minExpire
        long len = loadLenChecked("Short read loading hash length");
        if (len == 0) throw RdbException.emptyKey();
        long maxEntries = config.hashMaxListpackEntries, maxValue = config.hashMaxListpackValue;
        Hash h = null;
        byte[] lp = null;
        Dict<SetValue.Member> seen = null;
        if (Long.compareUnsigned(len, maxEntries) > 0) {
            h = Hash.createHashtable(presize(len));
        } else {
            lp = Listpack.create();
            seen = SetValue.newMemberDict();
        }
        while (len != 0 && h == null) {
            len--;
            if (withTtl) checkNoTtl(loadLen());
            byte[] field = loadStringBytes(), value = loadStringBytes();
            if (seen.get(field) != null) throw RdbException.corrupt("Hash with dup elements");
            seen.add(field);
            if (field.length > maxValue || value.length > maxValue || !lpSafeToAdd(lp, (long) field.length + value.length)) {
                h = Hash.fromListpack(Listpack.trim(lp));
                h.convertToHashtable();
                h.dict().expand(presize(len));
                h.set(field, value, Long.MAX_VALUE, Long.MAX_VALUE);
                break;
            }
            lp = Listpack.append(lp, field);
            lp = Listpack.append(lp, value);
        }
        if (h == null) return Hash.fromListpack(Listpack.trim(lp));
        while (len != 0) {
            len--;
            if (withTtl) checkNoTtl(loadLen());
            byte[] field = loadStringBytes(), value = loadStringBytes();
            if (h.set(field, value, Long.MAX_VALUE, Long.MAX_VALUE)) throw RdbException.corrupt("Duplicate hash fields detected");
        }
        return h;
    }

    private static void checkNoTtl(long ttl) throws RdbException {
        if (ttl != 0) throw new RdbException(RdbException.Kind.UNSUPPORTED, "hash field TTLs are not supported");
    }

    /** lpSafeToAdd: the listpack stays within 1 GB. */
    private static boolean lpSafeToAdd(byte[] lp, long add) {
        long len = lp == null ? 0 : Listpack.bytes(lp);
        return len + add <= (1L << 30);
    }

    /**
     * RDB_TYPE_LIST_QUICKLIST (ziplist nodes, converted) and QUICKLIST_2 (PLAIN nodes and listpack
     * nodes, an LZF block when the node was compressed): each node appended as it is, empty ones
     * skipped, then compressed by the configured depth.
     */
    private Object loadQuicklist(int rdbtype) throws RdbException {
        long len = loadLenChecked("Short read loading quicklist length");
        if (len == 0) throw RdbException.emptyKey();
        Quicklist ql = newQuicklist();
        long container = Rdb.CONTAINER_PACKED;
        while (len-- != 0) {
            if (rdbtype == Rdb.TYPE_LIST_QUICKLIST_2) {
                container = loadLenChecked("Short read loading quicklist container");
                if (container != Rdb.CONTAINER_PACKED && container != Rdb.CONTAINER_PLAIN) {
                    throw RdbException.corrupt("Quicklist integrity check failed.");
                }
            }
            byte[] data = loadStringBytes();
            if (data.length == 0) throw RdbException.shortRead("Empty quicklist node");
            if (container == Rdb.CONTAINER_PLAIN) {
                ql.appendNode(data, true);
                continue;
            }
            byte[] lp;
            if (rdbtype == Rdb.TYPE_LIST_QUICKLIST_2) {
                if (deep) sanitizations++;
                if (!Integrity.listpack(data, true, null)) throw RdbException.corrupt("Listpack integrity check failed.");
                lp = data;
            } else {
                lp = ziplistToListpack(data, "Ziplist integrity check failed.");
            }
            if (Listpack.size(lp) == 0) continue;
            ql.appendNode(lp, false);
        }
        if (ql.count() == 0) throw RdbException.emptyKey();
        return ql;
    }

    /** A ziplist's entries appended to a new listpack (strings by lpAppend, integers by lpAppendInteger). */
    private static byte[] ziplistToListpack(byte[] zl, String error) throws RdbException {
        byte[][] lp = {Listpack.create(zl.length)};
        boolean ok = Integrity.ziplist(zl, (b, off, len, value, isString, headerCount) -> {
            lp[0] = isString ? Listpack.append(lp[0], Arrays.copyOfRange(b, off, off + len)) : Listpack.appendLong(lp[0], value);
            return true;
        });
        if (!ok) throw RdbException.corrupt(error);
        return Listpack.trim(lp[0]);
    }

    /**
     * ziplistPairsConvertAndValidateIntegrity: a ziplist of field/value (member/score) pairs into
     * a listpack, refusing a repeated field (compared as text, integers in decimal) or an odd count.
     */
    private static byte[] ziplistPairsToListpack(byte[] zl, String error) throws RdbException {
        byte[][] lp = {Listpack.create(zl.length)};
        long[] count = {0};
        Dict<SetValue.Member> seen = SetValue.newMemberDict();
        boolean ok = Integrity.ziplist(zl, (b, off, len, value, isString, headerCount) -> {
            byte[] s = isString ? Arrays.copyOfRange(b, off, off + len) : null;
            if ((count[0] & 1) == 0) {
                byte[] field = s != null ? s : IntSet.ll2bytes(value);
                if (seen.get(field) != null) return false;
                seen.add(field);
            }
            lp[0] = s != null ? Listpack.append(lp[0], s) : Listpack.appendLong(lp[0], value);
            count[0]++;
            return true;
        });
        if (!ok || (count[0] & 1) != 0) throw RdbException.corrupt(error);
        return Listpack.trim(lp[0]);
    }

    /** The blob types: one string holding a zipmap, ziplist, intset or listpack. */
    private Object loadEncoded(int rdbtype) throws RdbException {
        if (rdbtype == Rdb.TYPE_HASH_LISTPACK_EX) {
            loadMillisecondTime(); // minExpire
        }
        byte[] encoded = loadStringBytes();
        switch (rdbtype) {
            case Rdb.TYPE_HASH_ZIPMAP:
                return hashFromZipmap(encoded);
            case Rdb.TYPE_LIST_ZIPLIST: {
                Quicklist ql = newQuicklist();
                boolean ok = Integrity.ziplist(encoded, (b, off, len, value, isString, headerCount) -> {
                    ql.pushTail(isString ? Arrays.copyOfRange(b, off, off + len) : IntSet.ll2bytes(value));
                    return true;
                });
                if (!ok) throw RdbException.corrupt("List ziplist integrity check failed.");
                if (ql.nodes() == 0) throw RdbException.emptyKey();
                return ql;
            }
            case Rdb.TYPE_SET_INTSET: {
                if (deep) sanitizations++;
                if (!Integrity.intset(encoded, true)) throw RdbException.corrupt("Intset integrity check failed.");
                SetValue s = SetValue.fromIntset(encoded);
                if (s.size() > config.setMaxIntsetEntries) s.convertToHashtable();
                return s;
            }
            case Rdb.TYPE_SET_LISTPACK:
                if (deep) sanitizations++;
                if (!Integrity.listpackTuples(encoded, true, 1)) throw RdbException.corrupt("Set listpack integrity check failed.");
                return setFromListpack(encoded);
            case Rdb.TYPE_ZSET_ZIPLIST: {
                ZSet z = ZSet.createListpack();
                z.lp = ziplistPairsToListpack(encoded, "Zset ziplist integrity check failed.");
                return zsetLoaded(z);
            }
            case Rdb.TYPE_ZSET_LISTPACK: {
                if (deep) sanitizations++;
                if (!Integrity.listpackTuples(encoded, true, 2)) throw RdbException.corrupt("Zset listpack integrity check failed.");
                ZSet z = ZSet.createListpack();
                z.lp = encoded;
                return zsetLoaded(z);
            }
            case Rdb.TYPE_HASH_ZIPLIST:
                return hashLoaded(Hash.fromListpack(ziplistPairsToListpack(encoded, "Hash ziplist integrity check failed.")));
            case Rdb.TYPE_HASH_LISTPACK:
                if (deep) sanitizations++;
                if (!Integrity.listpackTuples(encoded, true, 2)) throw RdbException.corrupt("Hash listpack integrity check failed.");
                return hashLoaded(Hash.fromListpack(encoded));
            default: // HASH_LISTPACK_EX(_PRE_GA): field, value, TTL triplets
                if (deep) sanitizations++;
                if (!Integrity.listpackTuples(encoded, true, 3)) throw RdbException.corrupt("Hash listpack integrity check failed.");
                return hashLoaded(Hash.fromListpack(dropTtls(encoded)));
        }
    }

    /** A listpack of field, value, TTL triplets as field/value pairs; refused if a TTL is set. */
    private static byte[] dropTtls(byte[] lpex) throws RdbException {
        byte[] lp = Listpack.create(lpex.length);
        int i = 0;
        for (int p = Listpack.first(lpex); p >= 0; p = Listpack.next(lpex, p), i++) {
            if (i % 3 == 2) {
                if (!Listpack.isInt(lpex, p) || Listpack.getInt(lpex, p) != 0) checkNoTtl(1);
                continue;
            }
            lp = Listpack.isInt(lpex, p) ? Listpack.appendLong(lp, Listpack.getInt(lpex, p)) : Listpack.append(lp, Listpack.get(lpex, p));
        }
        return Listpack.trim(lp);
    }

    private Object zsetLoaded(ZSet z) throws RdbException {
        if (z.length() == 0) throw RdbException.emptyKey();
        if (z.length() > config.zsetMaxListpackEntries) z.convertToSkiplist();
        return z;
    }

    private Object hashLoaded(Hash h) throws RdbException {
        if (h.length() == 0) throw RdbException.emptyKey();
        if (h.length() > config.hashMaxListpackEntries) h.convertToHashtable();
        return h;
    }

    /** A 7.2 listpack set as 7.0 holds sets: an intset if every member is an integer and they fit, else a hashtable. */
    private Object setFromListpack(byte[] lp) throws RdbException {
        int n = Listpack.size(lp);
        if (n == 0) throw RdbException.emptyKey();
        boolean ints = n <= config.setMaxIntsetEntries;
        for (int p = Listpack.first(lp); ints && p >= 0; p = Listpack.next(lp, p)) {
            ints = Listpack.isInt(lp, p) || Numbers.isLong(Listpack.get(lp, p));
        }
        SetValue s = ints ? SetValue.createIntset() : SetValue.createHashtable();
        if (!ints) s.hashtable().expand(n);
        for (int p = Listpack.first(lp); p >= 0; p = Listpack.next(lp, p)) s.add(Listpack.get(lp, p), Long.MAX_VALUE);
        return s;
    }

    /** RDB_TYPE_HASH_ZIPMAP: the pairs of a (Redis < 2.6) zipmap into a listpack, dups refused. */
    private Object hashFromZipmap(byte[] zm) throws RdbException {
        if (!Integrity.zipmap(zm)) throw RdbException.corrupt("Zipmap integrity check failed.");
        byte[][] lp = {Listpack.create()};
        long[] maxlen = {0};
        Dict<SetValue.Member> seen = SetValue.newMemberDict();
        boolean ok = Integrity.zipmapPairs(zm, (b, foff, flen, voff, vlen) -> {
            maxlen[0] = Math.max(maxlen[0], Math.max(flen, vlen));
            byte[] field = Arrays.copyOfRange(b, foff, foff + flen);
            if (seen.get(field) != null || !lpSafeToAdd(lp[0], (long) flen + vlen)) return false;
            seen.add(field);
            lp[0] = Listpack.append(lp[0], field);
            lp[0] = Listpack.append(lp[0], Arrays.copyOfRange(b, voff, voff + vlen));
            return true;
        });
        if (!ok) throw RdbException.corrupt("Hash zipmap with dup elements, or big length");
        Hash h = Hash.fromListpack(Listpack.trim(lp[0]));
        if (h.length() > config.hashMaxListpackEntries || maxlen[0] > config.hashMaxListpackValue) h.convertToHashtable();
        return h;
    }

    // ---------------------------------------------------------------- streams

    /**
     * The three stream formats: listpack nodes with their master IDs, the metadata (first, max
     * deleted ID and entries added since RDB_TYPE_STREAM_LISTPACKS_2), the consumer groups (their
     * read counters since _2, consumer active times since _3), kept as a {@link StreamValue} in
     * the form Redis 7.0 saves (_2).
     */
    private Object loadStream(int rdbtype) throws RdbException {
        long listpacks = loadLenChecked("Stream listpacks len loading failed.");
        List<byte[]> keys = new ArrayList<>(), lps = new ArrayList<>();
        while (listpacks-- != 0) {
            byte[] nodekey = loadStringBytes();
            if (nodekey.length != 16) throw RdbException.corrupt("Stream node key entry is not the size of a stream ID");
            byte[] lp = loadStringBytes();
            if (deep) sanitizations++;
            // The deep check also refuses an empty listpack (Redis's "Empty listpack inside stream").
            if (!Integrity.streamListpack(lp, true)) throw RdbException.corrupt("Stream listpack integrity check failed.");
            keys.add(nodekey);
            lps.add(lp);
        }
        int n = keys.size();
        Integer[] order = sortedOrder(keys);
        byte[][] nodeKeys = new byte[n][], nodeLps = new byte[n][];
        for (int i = 0; i < n; i++) {
            nodeKeys[i] = keys.get(order[i]);
            nodeLps[i] = lps.get(order[i]);
            if (i > 0 && Arrays.equals(nodeKeys[i - 1], nodeKeys[i])) throw RdbException.corrupt("Listpack re-added with existing key");
        }
        // Redis checks only for a read error after these, so they are read leniently.
        long length = loadLenLenient(), lastMs = loadLenLenient(), lastSeq = loadLenLenient();
        long firstMs, firstSeq, maxDelMs, maxDelSeq, entriesAdded;
        if (rdbtype >= Rdb.TYPE_STREAM_LISTPACKS_2) {
            firstMs = loadLenLenient();
            firstSeq = loadLenLenient();
            maxDelMs = loadLenLenient();
            maxDelSeq = loadLenLenient();
            entriesAdded = loadLenLenient();
        } else {
            maxDelMs = maxDelSeq = 0;
            entriesAdded = length;
            long[] first = firstLiveId(nodeKeys, nodeLps);
            firstMs = first[0];
            firstSeq = first[1];
        }
        if (length != 0 && n == 0) throw RdbException.corrupt("Stream length inconsistent with rax entries");
        StreamValue meta = new StreamValue(nodeKeys, nodeLps, length, lastMs, lastSeq, firstMs, firstSeq, maxDelMs, maxDelSeq, entriesAdded,
                new StreamValue.Group[0]);
        long groupCount = loadLenChecked("Stream cgroup count loading failed.");
        List<StreamValue.Group> groups = new ArrayList<>();
        while (groupCount-- != 0) groups.add(loadStreamGroup(rdbtype, meta));
        groups.sort((a, b) -> Arrays.compareUnsigned(a.name, b.name));
        for (int i = 1; i < groups.size(); i++) {
            if (Arrays.equals(groups.get(i - 1).name, groups.get(i).name)) {
                throw RdbException.corrupt("Duplicated consumer group name " + new String(groups.get(i).name, StandardCharsets.ISO_8859_1));
            }
        }
        return new StreamValue(nodeKeys, nodeLps, length, lastMs, lastSeq, firstMs, firstSeq, maxDelMs, maxDelSeq, entriesAdded,
                groups.toArray(new StreamValue.Group[0]));
    }

    /** Indexes of items in unsigned lexicographic order (a rax iteration's order). */
    private static Integer[] sortedOrder(List<byte[]> items) {
        Integer[] order = new Integer[items.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(items.get(a), items.get(b)));
        return order;
    }

    private StreamValue.Group loadStreamGroup(int rdbtype, StreamValue s) throws RdbException {
        byte[] name = loadStringBytes();
        long ms = loadLenLenient(), seq = loadLenLenient();
        long entriesRead = rdbtype >= Rdb.TYPE_STREAM_LISTPACKS_2 ? loadLenLenient() : estimateDistanceFromFirstEverEntry(s, ms, seq);
        long pelSize = loadLenChecked("Stream PEL size loading failed.");
        List<byte[]> pelIds = new ArrayList<>();
        List<long[]> pelData = new ArrayList<>();
        while (pelSize-- != 0) {
            byte[] rawid = new byte[16];
            readFully(rawid, 0, 16, "Stream PEL ID loading failed.");
            long time = loadMillisecondTime(), count = loadLenLenient();
            pelIds.add(rawid);
            pelData.add(new long[] {time, count});
        }
        Integer[] order = sortedOrder(pelIds);
        int np = order.length;
        byte[][] ids = new byte[np][];
        long[] times = new long[np], counts = new long[np];
        for (int i = 0; i < np; i++) {
            ids[i] = pelIds.get(order[i]);
            times[i] = pelData.get(order[i])[0];
            counts[i] = pelData.get(order[i])[1];
            if (i > 0 && Arrays.equals(ids[i - 1], ids[i])) throw RdbException.corrupt("Duplicated global PEL entry loading stream consumer group");
        }
        boolean[] owned = new boolean[np];
        long consumersNum = loadLenChecked("Stream consumers num loading failed.");
        List<StreamValue.Consumer> consumers = new ArrayList<>();
        Dict<SetValue.Member> names = SetValue.newMemberDict();
        while (consumersNum-- != 0) {
            byte[] cname = loadStringBytes();
            if (names.get(cname) != null) throw RdbException.corrupt("Duplicate stream consumer detected.");
            names.add(cname);
            long seen = loadMillisecondTime();
            if (rdbtype >= Rdb.TYPE_STREAM_LISTPACKS_3) loadMillisecondTime(); // active time: 7.0 has none
            long cpel = loadLenChecked("Stream consumer PEL num loading failed.");
            List<byte[]> mine = new ArrayList<>();
            while (cpel-- != 0) {
                byte[] rawid = new byte[16];
                readFully(rawid, 0, 16, "Stream short read reading PEL streamID.");
                int at = Arrays.binarySearch(ids, rawid, Arrays::compareUnsigned);
                if (at < 0) throw RdbException.corrupt("Consumer entry not found in group global PEL");
                owned[at] = true;
                mine.add(rawid);
            }
            Integer[] corder = sortedOrder(mine);
            byte[][] cids = new byte[corder.length][];
            for (int i = 0; i < cids.length; i++) {
                cids[i] = mine.get(corder[i]);
                if (i > 0 && Arrays.equals(cids[i - 1], cids[i])) {
                    throw RdbException.corrupt("Duplicated consumer PEL entry  loading a stream consumer group");
                }
            }
            consumers.add(new StreamValue.Consumer(cname, seen, cids));
        }
        if (deep) {
            for (boolean o : owned) if (!o) throw RdbException.corrupt("Stream CG PEL entry without consumer");
        }
        consumers.sort((a, b) -> Arrays.compareUnsigned(a.name, b.name));
        return new StreamValue.Group(name, ms, seq, entriesRead, ids, times, counts, consumers.toArray(new StreamValue.Consumer[0]));
    }

    /** streamGetEdgeID(first, skip tombstones): the first live entry's ID, or the maximal ID if there is none. */
    private static long[] firstLiveId(byte[][] keys, byte[][] lps) {
        long[] first = {-1, -1};
        boolean[] found = {false};
        new StreamValue(keys, lps, 0, 0, 0, 0, 0, 0, 0, 0, new StreamValue.Group[0]).forEachEntry(new StreamValue.EntryVisitor() {
            @Override
            public void entry(long ms, long seq) {
                if (found[0]) return;
                found[0] = true;
                first[0] = ms;
                first[1] = seq;
            }

            @Override
            public void field(byte[] lp, int fieldPtr, int valuePtr) {}
        });
        return first;
    }

    private static int compareId(long ams, long aseq, long bms, long bseq) {
        int c = Long.compareUnsigned(ams, bms);
        return c != 0 ? c : Long.compareUnsigned(aseq, bseq);
    }

    /** streamEstimateDistanceFromFirstEverEntry: a group's read counter for streams saved before it existed. */
    static long estimateDistanceFromFirstEverEntry(StreamValue s, long ms, long seq) {
        if (s.entriesAdded == 0) return 0;
        if (s.length == 0 && compareId(ms, seq, s.lastMs, s.lastSeq) < 1) return s.entriesAdded;
        int cmpLast = compareId(ms, seq, s.lastMs, s.lastSeq);
        if (cmpLast == 0) return s.entriesAdded;
        if (cmpLast > 0) return -1; // SCG_INVALID_ENTRIES_READ
        int cmpFirst = compareId(ms, seq, s.firstMs, s.firstSeq);
        int cmpXdelFirst = compareId(s.maxDeletedMs, s.maxDeletedSeq, s.firstMs, s.firstSeq);
        if ((s.maxDeletedMs == 0 && s.maxDeletedSeq == 0) || cmpXdelFirst < 0) {
            if (cmpFirst < 0) return s.entriesAdded - s.length;
            if (cmpFirst == 0) return s.entriesAdded - s.length + 1;
        }
        return -1;
    }
}
