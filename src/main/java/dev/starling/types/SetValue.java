package dev.starling.types;

import dev.starling.command.Digest;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.DictEntry;
import dev.starling.keyspace.MemorySize;
import dev.starling.protocol.Numbers;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A set value (Redis's OBJ_SET, t_set.c's setType* functions) in one of Redis 7.0's two encodings:
 * <ul>
 * <li>{@code intset}: {@link IntSet}'s exact byte layout in a {@code byte[]} ({@link #intsetBytes}
 *     for RDB), while every member is a canonical integer (string2ll) and there are at most
 *     set-max-intset-entries of them;</li>
 * <li>{@code hashtable}: a {@link Dict} of {@link Member} entries whose key is the member.</li>
 * </ul>
 * Conversion is one way (intset → hashtable), on the first non-integer member or when the intset
 * outgrows the limit, as in 7.0 (which has no listpack sets). A hashtable holding only integers
 * stays a hashtable; only commands that build a new set (the *STORE family, SPOP's rebuild) start
 * again from an intset.
 *
 * <p>Memory: a member of the hashtable costs its entry (key, hash, next: 24 bytes) and its
 * array; nothing else per member. {@link #memoryBytes} depends only on the contents and the
 * encoding, never on a rehash step taken by a read, so the keyspace estimate stays exact.
 *
 * <p>Read API for SORT, ZUNIONSTORE and RDB: {@link SetMembers} ({@link #setSize},
 * {@link #setContains}, {@link #forEachMember}), {@link #isIntset}, {@link #intsetBytes}.
 */
public final class SetValue implements ObjectEncoding.Typed, Digest.Digestible, Duplicable, MemorySize.Sized, SetMembers {
    /** A member of a hashtable-encoded set; {@link DictEntry#key} is the member. */
    public static final class Member extends DictEntry {
        Member(byte[] key, int hash) {
            super(key, hash);
        }
    }

    private static final Dict.EntryFactory<Member> MEMBERS = Member::new;

    /** An empty dict of members (SRANDMEMBER's scratch set). */
    public static Dict<Member> newMemberDict() {
        return new Dict<>(MEMBERS);
    }
    /** Object header plus the encoding pointer. */
    private static final long SET_BYTES = 16;
    /** The Dict object (header, four references, five ints, a flag, payloadBytes). */
    private static final long DICT_BYTES = 56;
    /** Member object (header + key, hash, next). */
    private static final long ENTRY_BYTES = 24;

    /**
     * byte[] intset, or Dict of members (whose payloadBytes sums the members' entry and array
     * bytes): one field, so 100,000 small intsets cost no counter each.
     */
    private Object ptr;

    private SetValue(Object ptr) {
        this.ptr = ptr;
    }

    /** An empty intset-encoded set (createIntsetObject). */
    public static SetValue createIntset() {
        return new SetValue(IntSet.create());
    }

    /** An empty hashtable-encoded set (createSetObject). */
    public static SetValue createHashtable() {
        return new SetValue(new Dict<>(MEMBERS));
    }

    /** An intset-encoded set over is (a validated intset blob), which it takes ownership of (RDB load). */
    public static SetValue fromIntset(byte[] is) {
        return new SetValue(is);
    }

    /** A set that can hold value: an intset if value is an integer (setTypeCreate). */
    public static SetValue create(byte[] value) {
        return Numbers.isLong(value) ? createIntset() : createHashtable();
    }

    public boolean isIntset() {
        return ptr instanceof byte[];
    }

    /** The intset's bytes in Redis's layout (only while {@link #isIntset}); do not modify. */
    public byte[] intsetBytes() {
        return (byte[]) ptr;
    }

    @SuppressWarnings("unchecked")
    private Dict<Member> dict() {
        return (Dict<Member>) ptr;
    }

    /** The member dict (only while not {@link #isIntset}); for SSCAN's cursor walk. Do not modify. */
    public Dict<Member> hashtable() {
        return dict();
    }

    // ---------------------------------------------------------------- setType* operations

    /** Number of members (setTypeSize). */
    public long size() {
        return ptr instanceof byte[] is ? IntSet.len(is) : dict().size();
    }

    /**
     * Adds value (setTypeAdd); returns true if it was not a member. maxIntsetEntries is
     * set-max-intset-entries: the intset converts to a hashtable past it or on a non-integer.
     * The value array is kept by a hashtable, so it must not be modified afterwards.
     */
    public boolean add(byte[] value, long maxIntsetEntries) {
        if (ptr instanceof byte[] is) {
            long v = Numbers.parseLong(value);
            if (Numbers.isValidLong(v, value)) {
                byte[] added = IntSet.add(is, v);
                if (added == is) return false;
                ptr = added;
                // Redis caps the limit at 1G entries (intset internals).
                if (IntSet.len(added) > Math.min(maxIntsetEntries, 1 << 30)) convertToHashtable();
                return true;
            }
            convertToHashtable();
        }
        Dict<Member> d = dict();
        if (d.get(value) != null) return false;
        d.add(value);
        d.payloadBytes += ENTRY_BYTES + MemorySize.ofArray(value.length);
        return true;
    }

    /** Removes value (setTypeRemove); returns true if it was a member. */
    public boolean remove(byte[] value) {
        if (ptr instanceof byte[] is) {
            long v = Numbers.parseLong(value);
            if (!Numbers.isValidLong(v, value)) return false;
            byte[] removed = IntSet.remove(is, v);
            if (removed == is) return false;
            ptr = removed;
            return true;
        }
        Dict<Member> d = dict();
        Member m = d.remove(value);
        if (m == null) return false;
        d.payloadBytes -= ENTRY_BYTES + MemorySize.ofArray(m.key.length);
        // Redis: if (htNeedsResize(dict)) dictResize(dict).
        d.shrinkIfNeeded();
        return true;
    }

    /** Removes an integer member of an intset-encoded set (intsetRemove); true if it was there. */
    public boolean removeInt(long v) {
        byte[] is = (byte[]) ptr;
        byte[] removed = IntSet.remove(is, v);
        ptr = removed;
        return removed != is;
    }

    /** True if value is a member (setTypeIsMember). */
    public boolean contains(byte[] value) {
        if (ptr instanceof byte[] is) {
            long v = Numbers.parseLong(value);
            return Numbers.isValidLong(v, value) && IntSet.find(is, v);
        }
        return dict().get(value) != null;
    }

    /** True if the integer v is a member, without formatting it for a hashtable unless needed. */
    public boolean containsInt(long v) {
        if (ptr instanceof byte[] is) return IntSet.find(is, v);
        return dict().get(IntSet.ll2bytes(v)) != null;
    }

    /** Redis's setTypeConvert(OBJ_ENCODING_HT): a dict presized to the intset's length. */
    public void convertToHashtable() {
        if (!(ptr instanceof byte[] is)) return;
        int n = IntSet.len(is);
        Dict<Member> d = new Dict<>(MEMBERS);
        d.expand(n);
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            byte[] m = IntSet.ll2bytes(IntSet.get(is, i));
            d.add(m);
            bytes += ENTRY_BYTES + MemorySize.ofArray(m.length);
        }
        d.payloadBytes = bytes;
        ptr = d;
    }

    /** A random integer member of a non-empty intset-encoded set (intsetRandom). */
    public long randomInt() {
        return IntSet.random((byte[]) ptr);
    }

    /** Redis's GETFAIR_NUM_ENTRIES: how many entries dictGetFairRandomKey samples. */
    private static final int GETFAIR_NUM_ENTRIES = 15;

    /**
     * A random member of a non-empty hashtable-encoded set (dictGetFairRandomKey: a random pick
     * among up to 15 sampled entries, fairer than one random bucket's chain).
     */
    public byte[] randomMember() {
        return fairRandomKey(dict()).key;
    }

    /** dictGetFairRandomKey over any dict of members. */
    public static Member fairRandomKey(Dict<Member> d) {
        DictEntry[] entries = new DictEntry[GETFAIR_NUM_ENTRIES];
        int count = d.sample(entries, GETFAIR_NUM_ENTRIES);
        if (count == 0) return d.randomEntry();
        return (Member) entries[ThreadLocalRandom.current().nextInt(count)];
    }

    /**
     * The members as arrays, in iteration order (intset: ascending; hashtable: bucket order).
     * Intset members are formatted as decimal text.
     */
    public byte[][] members() {
        if (ptr instanceof byte[] is) {
            int n = IntSet.len(is);
            byte[][] out = new byte[n][];
            for (int i = 0; i < n; i++) out[i] = IntSet.ll2bytes(IntSet.get(is, i));
            return out;
        }
        Collector col = new Collector((int) dict().size());
        dict().forEach(col);
        return col.out;
    }

    /** Collects dict members into an array (a class, not a capturing lambda). */
    private static final class Collector implements Consumer<Member> {
        final byte[][] out;
        int n;

        Collector(int size) {
            out = new byte[size][];
        }

        @Override
        public void accept(Member m) {
            out[n++] = m.key;
        }
    }

    // ---------------------------------------------------------------- SetMembers

    @Override
    public long setSize() {
        return size();
    }

    @Override
    public boolean setContains(byte[] member) {
        return contains(member);
    }

    @Override
    public void forEachMember(Consumer<byte[]> visitor) {
        if (ptr instanceof byte[] is) {
            for (int i = 0, n = IntSet.len(is); i < n; i++) visitor.accept(IntSet.ll2bytes(IntSet.get(is, i)));
        } else {
            for (byte[] m : members()) visitor.accept(m);
        }
    }

    // ---------------------------------------------------------------- value interfaces

    @Override
    public String typeName() {
        return "set";
    }

    @Override
    public String encodingName() {
        return ptr instanceof byte[] ? "intset" : "hashtable";
    }

    @Override
    public int digestType() {
        return Digest.OBJ_SET;
    }

    /** debug.c: xorDigest of every member's text, so the order does not matter. */
    @Override
    public void digestInto(Digest d, byte[] digest) {
        if (ptr instanceof byte[] is) {
            for (int i = 0, n = IntSet.len(is); i < n; i++) d.xorDigest(digest, IntSet.ll2bytes(IntSet.get(is, i)));
        } else {
            for (byte[] m : members()) d.xorDigest(digest, m);
        }
    }

    /** setTypeDup: the same encoding; member arrays are immutable and shared. */
    @Override
    public Object duplicate() {
        if (ptr instanceof byte[] is) return new SetValue(is.clone());
        Dict<Member> src = dict();
        Dict<Member> d = new Dict<>(MEMBERS);
        d.expand(src.size());
        for (byte[] m : members()) d.add(m);
        d.payloadBytes = src.payloadBytes;
        return new SetValue(d);
    }

    @Override
    public long memoryBytes() {
        if (ptr instanceof byte[] is) return SET_BYTES + MemorySize.ofArray(is.length);
        // Buckets estimated from the size: a read's rehash step must not move the estimate.
        long n = dict().size();
        long buckets = 4;
        while (buckets < n) buckets <<= 1;
        return SET_BYTES + DICT_BYTES + MemorySize.ofArray((int) (buckets * 4)) + dict().payloadBytes;
    }

    /** Checks the encoding's invariants and the member-bytes count; for tests. Returns an error or null. */
    public String validate() {
        if (ptr instanceof byte[] is) return IntSet.validate(is) ? null : "bad intset layout";
        long bytes = 0;
        for (byte[] m : members()) bytes += ENTRY_BYTES + MemorySize.ofArray(m.length);
        if (bytes != dict().payloadBytes) return "member bytes " + dict().payloadBytes + " but recount gives " + bytes;
        return dict().validate();
    }
}
