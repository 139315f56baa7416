package dev.starling.types;

import dev.starling.command.Digest;
import dev.starling.keyspace.MemorySize;
import dev.starling.protocol.Numbers;

import java.nio.charset.StandardCharsets;

/**
 * A stream loaded from an RDB file or a RESTORE payload, kept as Redis serializes it until stream
 * commands exist: the listpacks of its radix tree with their master IDs, the metadata, and the
 * consumer groups. It answers TYPE and OBJECT ENCODING ("stream"), DEBUG DIGEST, COPY, RENAME,
 * DEL, DUMP and re-saving; every other command sees a value of the wrong type.
 *
 * <h2>Invariants</h2> (established by the RDB reader, which validates deeply)
 * <ul>
 * <li>Nodes are in radix-tree order (master IDs as 16-byte big-endian keys, ascending), each
 *     listpack valid in the stream entry layout (t_stream.c's streamValidateListpackIntegrity),
 *     so it can be walked for the digest without further checks.</li>
 * <li>Groups are sorted by name, their PEL entries and consumers by ID and name: the order in which
 *     Redis's rax iterators save them, so saving reproduces Redis's bytes.</li>
 * <li>Nothing here is modified after loading, so copies share the arrays.</li>
 * </ul>
 */
public final class StreamValue implements ObjectEncoding.Typed, Digest.Digestible, Duplicable, MemorySize.Sized {
    /** 16-byte master IDs (ms, seq big-endian) and the listpacks, in the same order. */
    public final byte[][] nodeKeys, listpacks;
    public final long length, lastMs, lastSeq, firstMs, firstSeq, maxDeletedMs, maxDeletedSeq, entriesAdded;
    public final Group[] groups;

    /** A consumer group: name, last delivered ID, logical read counter, global PEL and consumers. */
    public static final class Group {
        public final byte[] name;
        public final long lastMs, lastSeq, entriesRead;
        /** 16-byte IDs with their delivery time and count, sorted by ID. */
        public final byte[][] pelIds;
        public final long[] deliveryTimes, deliveryCounts;
        public final Consumer[] consumers;

        public Group(byte[] name, long lastMs, long lastSeq, long entriesRead, byte[][] pelIds, long[] deliveryTimes,
                     long[] deliveryCounts, Consumer[] consumers) {
            this.name = name;
            this.lastMs = lastMs;
            this.lastSeq = lastSeq;
            this.entriesRead = entriesRead;
            this.pelIds = pelIds;
            this.deliveryTimes = deliveryTimes;
            this.deliveryCounts = deliveryCounts;
            this.consumers = consumers;
        }
    }

    /** A consumer: name, seen time, and the IDs of its pending entries (sorted). */
    public static final class Consumer {
        public final byte[] name;
        public final long seenTime;
        public final byte[][] pelIds;

        public Consumer(byte[] name, long seenTime, byte[][] pelIds) {
            this.name = name;
            this.seenTime = seenTime;
            this.pelIds = pelIds;
        }
    }

    public StreamValue(byte[][] nodeKeys, byte[][] listpacks, long length, long lastMs, long lastSeq, long firstMs,
                       long firstSeq, long maxDeletedMs, long maxDeletedSeq, long entriesAdded, Group[] groups) {
        this.nodeKeys = nodeKeys;
        this.listpacks = listpacks;
        this.length = length;
        this.lastMs = lastMs;
        this.lastSeq = lastSeq;
        this.firstMs = firstMs;
        this.firstSeq = firstSeq;
        this.maxDeletedMs = maxDeletedMs;
        this.maxDeletedSeq = maxDeletedSeq;
        this.entriesAdded = entriesAdded;
        this.groups = groups;
    }

    @Override
    public String typeName() {
        return "stream";
    }

    @Override
    public String encodingName() {
        return "stream";
    }

    /** Immutable, so a copy can share everything. */
    @Override
    public Object duplicate() {
        return this;
    }

    @Override
    public long memoryBytes() {
        long n = 96 + 2 * MemorySize.ofArray(8 * nodeKeys.length);
        for (int i = 0; i < nodeKeys.length; i++) n += MemorySize.ofArray(16) + MemorySize.ofArray(listpacks[i].length);
        for (Group g : groups) {
            n += 64 + MemorySize.ofArray(g.name.length) + g.pelIds.length * (MemorySize.ofArray(16) + 16L);
            for (Consumer c : g.consumers) n += 32 + MemorySize.ofArray(c.name.length) + 4L * c.pelIds.length;
        }
        return n;
    }

    // ---------------------------------------------------------------- entries

    /** Receives each live entry of the stream: its ID, then its field/value pairs. */
    public interface EntryVisitor {
        void entry(long ms, long seq);

        void field(byte[] lp, int fieldPtr, int valuePtr);
    }

    /** lpGetInteger: an integer entry, or a string one holding an integer (validated on load). */
    public static long lpGetInteger(byte[] lp, int p) {
        if (Listpack.isInt(lp, p)) return Listpack.getInt(lp, p);
        int off = Listpack.strOffset(lp, p);
        return Numbers.parseLong(lp, off, Listpack.strLength(lp, p));
    }

    static long bigEndian64(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xff);
        return v;
    }

    /**
     * Walks every entry not flagged deleted, in ID order (streamIterator without bounds): the
     * master entry's fields stand in for an entry flagged SAMEFIELDS.
     */
    public void forEachEntry(EntryVisitor v) {
        for (int n = 0; n < listpacks.length; n++) {
            byte[] lp = listpacks[n];
            long masterMs = bigEndian64(nodeKeys[n], 0), masterSeq = bigEndian64(nodeKeys[n], 8);
            int p = Listpack.first(lp);
            long count = lpGetInteger(lp, p);
            p = Listpack.next(lp, p);
            long deleted = lpGetInteger(lp, p);
            p = Listpack.next(lp, p);
            long masterFields = lpGetInteger(lp, p);
            p = Listpack.next(lp, p);
            int masterFirstField = p;
            for (long i = 0; i < masterFields; i++) p = Listpack.next(lp, p);
            p = Listpack.next(lp, p); // the master entry's terminating 0
            for (long e = 0, total = count + deleted; e < total; e++) {
                long flags = lpGetInteger(lp, p);
                p = Listpack.next(lp, p);
                long ms = masterMs + lpGetInteger(lp, p);
                p = Listpack.next(lp, p);
                long seq = masterSeq + lpGetInteger(lp, p);
                p = Listpack.next(lp, p);
                boolean same = (flags & STREAM_ITEM_FLAG_SAMEFIELDS) != 0;
                long fields = masterFields;
                if (!same) {
                    fields = lpGetInteger(lp, p);
                    p = Listpack.next(lp, p);
                }
                boolean live = (flags & STREAM_ITEM_FLAG_DELETED) == 0;
                if (live) v.entry(ms, seq);
                int mf = masterFirstField;
                for (long i = 0; i < fields; i++) {
                    int fieldPtr;
                    if (same) {
                        fieldPtr = mf;
                        mf = Listpack.next(lp, mf);
                    } else {
                        fieldPtr = p;
                        p = Listpack.next(lp, p);
                    }
                    if (live) v.field(lp, fieldPtr, p);
                    p = Listpack.next(lp, p);
                }
                p = Listpack.next(lp, p); // lp-count
            }
        }
    }

    static final int STREAM_ITEM_FLAG_DELETED = 1, STREAM_ITEM_FLAG_SAMEFIELDS = 2;

    @Override
    public int digestType() {
        return Digest.OBJ_STREAM;
    }

    /** debug.c: mix "ms.seq" of each entry, then each field and value, in stream order. */
    @Override
    public void digestInto(Digest d, byte[] digest) {
        forEachEntry(new EntryVisitor() {
            @Override
            public void entry(long ms, long seq) {
                d.mixDigest(digest, (Long.toUnsignedString(ms) + "." + Long.toUnsignedString(seq)).getBytes(StandardCharsets.US_ASCII));
            }

            @Override
            public void field(byte[] lp, int fieldPtr, int valuePtr) {
                mixEntry(d, digest, lp, fieldPtr);
                mixEntry(d, digest, lp, valuePtr);
            }
        });
    }

    private static void mixEntry(Digest d, byte[] digest, byte[] lp, int p) {
        if (Listpack.isInt(lp, p)) d.mixDigest(digest, Listpack.get(lp, p));
        else d.mixDigest(digest, lp, Listpack.strOffset(lp, p), Listpack.strLength(lp, p));
    }
}
