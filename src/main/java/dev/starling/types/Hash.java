package dev.starling.types;

import dev.starling.command.Digest;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.DictEntry;
import dev.starling.keyspace.MemorySize;

/**
 * A hash value (Redis's OBJ_HASH, t_hash.c's hashType* functions) in one of Redis 7.0's two
 * encodings:
 * <ul>
 * <li><b>listpack</b>: field, value, field, value ... in insertion order, in Redis's exact listpack
 *     bytes ({@link Listpack}), so HGETALL's order and an RDB/DUMP payload equal Redis's.</li>
 * <li><b>hashtable</b>: a {@link Dict} of {@link Field} entries (the entry's key is the field).</li>
 * </ul>
 * A hash starts as a listpack and converts once, never back, exactly where Redis converts: when an
 * argument about to be written is longer than hash-max-listpack-value ({@link #tryConversion}, and
 * {@link #set} for values computed by HINCRBY*), or when an insert leaves more than
 * hash-max-listpack-entries fields.
 *
 * <h2>Memory</h2>
 * A small hash is this object (16 bytes: header and one reference) plus the listpack array, about
 * what Redis spends on its robj and listpack allocation. {@link #memoryBytes} depends only on what
 * writes change (never on a rehash step a read may take), so the keyspace estimate stays exact.
 *
 * <p>Read API for other code (SORT's {@code key->field}, RDB): {@link #get}, {@link #forEach},
 * {@link #length}, {@link #lp()}.
 */
public final class Hash implements ObjectEncoding.Typed, Digest.Digestible, Duplicable, MemorySize.Sized {
    /** A field of a hashtable-encoded hash; {@link DictEntry#key} is the field name. */
    public static final class Field extends DictEntry {
        public byte[] value;

        Field(byte[] key, int hash) {
            super(key, hash);
        }
    }

    private static final Dict.EntryFactory<Field> FIELDS = Field::new;

    /** The hashtable encoding: the dict and the bytes of its field and value arrays. */
    private static final class Table {
        final Dict<Field> dict = new Dict<>(FIELDS);
        long arrayBytes;
    }

    /** Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1GB (lpSafeToAdd). */
    static final long LISTPACK_MAX_SAFETY_SIZE = 1L << 30;

    /** The listpack ({@code byte[]}) or the {@link Table}: Redis's o->ptr. */
    private Object ptr;

    /** An empty listpack-encoded hash (Redis's createHashObject). */
    public Hash() {
        this.ptr = Listpack.create();
    }

    /**
     * An empty listpack-encoded hash with room for the listpack entries of argv[start..end] (an
     * upper bound of their encoded size), so a multi-pair HSET of a new key appends without
     * regrowing; the command trims the rest.
     */
    public static Hash withRoomFor(byte[][] argv, int start, int end) {
        long room = 0;
        for (int i = start; i <= end; i++) {
            int len = argv[i].length;
            room += len < 64 ? len + 2 : len < 4096 ? len + 4 : len + 10;
        }
        return new Hash(Listpack.create((int) Math.min(room, 1 << 20)));
    }

    private Hash(Object ptr) {
        this.ptr = ptr;
    }

    /** A listpack-encoded hash over lp (field, value pairs), which it takes ownership of (RDB load). */
    public static Hash fromListpack(byte[] lp) {
        return new Hash(lp);
    }

    /** An empty hashtable-encoded hash pre-sized for size fields (RDB load of a large hash). */
    public static Hash createHashtable(long size) {
        Table t = new Table();
        t.dict.expand(size);
        return new Hash(t);
    }

    public boolean isListpack() {
        return ptr instanceof byte[];
    }

    /** The listpack (field, value pairs; may have spare capacity past {@link Listpack#bytes}), or null if hashtable. */
    public byte[] lp() {
        return ptr instanceof byte[] lp ? lp : null;
    }

    /** The dict of a hashtable-encoded hash, or null if listpack. */
    public Dict<Field> dict() {
        return ptr instanceof Table t ? t.dict : null;
    }

    /** Number of fields (hashTypeLength). */
    public long length() {
        if (ptr instanceof byte[] lp) return Listpack.size(lp) / 2;
        return ((Table) ptr).dict.size();
    }

    @Override
    public String typeName() {
        return "hash";
    }

    @Override
    public String encodingName() {
        return ptr instanceof byte[] ? "listpack" : "hashtable";
    }

    // ---------------------------------------------------------------- lookup

    /** Offset of field's value in the listpack lp, or -1 (hashTypeGetFromListpack). */
    public static int lpFindValue(byte[] lp, byte[] field) {
        int fptr = Listpack.first(lp);
        if (fptr < 0) return -1;
        fptr = Listpack.find(lp, fptr, field, 1);
        return fptr < 0 ? -1 : Listpack.next(lp, fptr);
    }

    /** The value of field, or null if absent. Listpack integers come back as their decimal text. */
    public byte[] get(byte[] field) {
        if (ptr instanceof byte[] lp) {
            int vptr = lpFindValue(lp, field);
            return vptr < 0 ? null : Listpack.get(lp, vptr);
        }
        Field f = ((Table) ptr).dict.get(field);
        return f == null ? null : f.value;
    }

    /** True if field is present (hashTypeExists). */
    public boolean exists(byte[] field) {
        if (ptr instanceof byte[] lp) return lpFindValue(lp, field) >= 0;
        return ((Table) ptr).dict.get(field) != null;
    }

    /** Length of field's value, 0 if absent (hashTypeGetValueLength). */
    public long valueLength(byte[] field) {
        if (ptr instanceof byte[] lp) {
            int vptr = lpFindValue(lp, field);
            return vptr < 0 ? 0 : Listpack.valueLength(lp, vptr);
        }
        Field f = ((Table) ptr).dict.get(field);
        return f == null ? 0 : f.value.length;
    }

    /** Receives one field/value pair of {@link #forEach}. */
    public interface PairVisitor {
        void accept(byte[] field, byte[] value);
    }

    /**
     * Visits every field/value pair: listpack in order, hashtable in dict order. The visitor must
     * not modify this hash.
     */
    public void forEach(PairVisitor v) {
        if (ptr instanceof byte[] lp) {
            for (int p = Listpack.first(lp); p >= 0; ) {
                int vp = Listpack.next(lp, p);
                v.accept(Listpack.get(lp, p), Listpack.get(lp, vp));
                p = Listpack.next(lp, vp);
            }
        } else {
            ((Table) ptr).dict.forEach(f -> v.accept(f.key, f.value));
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * Redis's hashTypeTryConversion: before a write of argv[start..end], converts a listpack to a
     * hashtable if any argument is longer than maxValue or the listpack would pass 1GB.
     */
    public void tryConversion(byte[][] argv, int start, int end, long maxValue) {
        if (!(ptr instanceof byte[] lp)) return;
        long sum = 0;
        for (int i = start; i <= end; i++) {
            int len = argv[i].length;
            if (len > maxValue) {
                convertToHashtable();
                return;
            }
            sum += len;
        }
        if (Listpack.bytes(lp) + sum > LISTPACK_MAX_SAFETY_SIZE) convertToHashtable();
    }

    /**
     * Redis's hashTypeSet: sets field to value (both arrays are kept, not copied, by a hashtable;
     * callers pass arrays nobody mutates). Converts to a hashtable first if either is longer than
     * maxValue (the HINCRBY* case; other writers called {@link #tryConversion}), and after the write
     * if the listpack holds more than maxEntries fields. Returns true if the field existed.
     */
    public boolean set(byte[] field, byte[] value, long maxEntries, long maxValue) {
        if (ptr instanceof byte[] && (field.length > maxValue || value.length > maxValue)) convertToHashtable();
        if (ptr instanceof byte[] lp) {
            boolean update = false;
            int fptr = Listpack.first(lp);
            if (fptr >= 0) fptr = Listpack.find(lp, fptr, field, 1);
            if (fptr >= 0) {
                lp = Listpack.replace(lp, Listpack.next(lp, fptr), value);
                update = true;
            } else {
                lp = Listpack.append(lp, field);
                lp = Listpack.append(lp, value);
            }
            ptr = lp;
            if (Listpack.size(lp) / 2 > maxEntries) convertToHashtable();
            return update;
        }
        Table t = (Table) ptr;
        Field f = t.dict.get(field);
        if (f != null) {
            t.arrayBytes += MemorySize.ofArray(value.length) - MemorySize.ofArray(f.value.length);
            f.value = value;
            return true;
        }
        f = t.dict.add(field);
        f.value = value;
        t.arrayBytes += MemorySize.ofArray(field.length) + MemorySize.ofArray(value.length);
        return false;
    }

    /** Redis's hashTypeDelete: removes field; returns true if it was present. */
    public boolean delete(byte[] field) {
        if (ptr instanceof byte[] lp) {
            int fptr = Listpack.first(lp);
            if (fptr < 0) return false;
            fptr = Listpack.find(lp, fptr, field, 1);
            if (fptr < 0) return false;
            ptr = Listpack.deleteRange(lp, fptr, 2);
            return true;
        }
        Table t = (Table) ptr;
        Field f = t.dict.remove(field);
        if (f == null) return false;
        t.arrayBytes -= MemorySize.ofArray(f.key.length) + MemorySize.ofArray(f.value.length);
        t.dict.shrinkIfNeeded(); // Redis: if (htNeedsResize(o->ptr)) dictResize(o->ptr)
        return true;
    }

    /**
     * Drops the listpack's spare capacity, as Redis's realloc to the exact size after each insert or
     * delete does; callers trim once per command, so a command's many appends still grow amortized.
     */
    public void trim() {
        if (ptr instanceof byte[] lp && lp.length - Listpack.bytes(lp) >= 8) ptr = Listpack.trim(lp);
    }

    /** Redis's hashTypeConvertListpack to OBJ_ENCODING_HT: every pair into a dict pre-sized to the length. */
    public void convertToHashtable() {
        if (!(ptr instanceof byte[] lp)) return;
        Table t = new Table();
        t.dict.expand(Listpack.size(lp) / 2);
        for (int p = Listpack.first(lp); p >= 0; ) {
            int vp = Listpack.next(lp, p);
            byte[] field = Listpack.get(lp, p), value = Listpack.get(lp, vp);
            Field f = t.dict.add(field);
            f.value = value;
            t.arrayBytes += MemorySize.ofArray(field.length) + MemorySize.ofArray(value.length);
            p = Listpack.next(lp, vp);
        }
        ptr = t;
    }

    // ---------------------------------------------------------------- value protocol

    /** A copy in the same encoding (Redis's hashTypeDup); field and value arrays are immutable and shared. */
    @Override
    public Object duplicate() {
        if (ptr instanceof byte[] lp) return new Hash(Listpack.toBytes(lp));
        Table src = (Table) ptr;
        Table t = new Table();
        t.dict.expand(src.dict.size());
        src.dict.forEach(f -> t.dict.add(f.key).value = f.value);
        t.arrayBytes = src.arrayBytes;
        return new Hash(t);
    }

    /** Bytes of this object, the Table and the Dict object (object headers, compressed references). */
    private static final long HASH_BYTES = 16, TABLE_BYTES = 24, DICT_BYTES = 56, FIELD_BYTES = 32;

    @Override
    public long memoryBytes() {
        if (ptr instanceof byte[] lp) return HASH_BYTES + Listpack.memoryBytes(lp);
        Table t = (Table) ptr;
        long n = t.dict.size();
        // The bucket arrays are estimated from the size (a read's rehash step must not move the estimate).
        long buckets = Math.max(4, Long.highestOneBit(Math.max(1, n - 1)) << 1);
        return HASH_BYTES + TABLE_BYTES + DICT_BYTES + MemorySize.ofArray(0) + 4 * buckets + FIELD_BYTES * n + t.arrayBytes;
    }

    @Override
    public int digestType() {
        return Digest.OBJ_HASH;
    }

    /** debug.c: for each pair, mix field then value into a fresh digest, and xor that in (order-independent). */
    @Override
    public void digestInto(Digest d, byte[] digest) {
        byte[] ele = new byte[20];
        forEach((field, value) -> {
            java.util.Arrays.fill(ele, (byte) 0);
            d.mixDigest(ele, field);
            d.mixDigest(ele, value);
            d.xorDigest(digest, ele, 0, 20);
        });
    }

    /** Checks the encoding's invariants (for tests); returns what is wrong or null. */
    public String validate() {
        if (ptr instanceof byte[] lp) {
            String err = Listpack.validate(lp);
            if (err != null) return err;
            return Listpack.size(lp) % 2 == 0 ? null : "odd listpack length " + Listpack.size(lp);
        }
        Table t = (Table) ptr;
        String err = t.dict.validate();
        if (err != null) return err;
        long[] bytes = {0};
        t.dict.forEach(f -> bytes[0] += MemorySize.ofArray(f.key.length) + MemorySize.ofArray(f.value.length));
        return bytes[0] == t.arrayBytes ? null : "arrayBytes " + t.arrayBytes + " but recount gives " + bytes[0];
    }
}
