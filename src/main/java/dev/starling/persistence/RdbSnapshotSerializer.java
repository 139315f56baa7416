package dev.starling.persistence;

import dev.starling.config.Config;
import dev.starling.keyspace.Dict;
import dev.starling.keyspace.Keyspace;
import dev.starling.keyspace.Snapshot;
import dev.starling.keyspace.SnapshotConsumer;
import dev.starling.keyspace.SnapshotReader;
import dev.starling.server.Server;
import dev.starling.types.Hash;
import dev.starling.types.Listpack;
import dev.starling.types.Quicklist;
import dev.starling.types.RawString;
import dev.starling.types.SetValue;
import dev.starling.types.ZSet;
import dev.starling.types.ZSkiplist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Turns a {@link Snapshot} into the ordered bytes of an RDB stream ("REDIS0010", the caller's AUX
 * fields, SELECTDB/RESIZEDB and the keys, EOF, CRC-64) written to an {@link RdbSink} by a thread of
 * its own: a BGSAVE file, a replica's full sync over a socket, an AOF rewrite's RDB preamble.
 *
 * <h2>Who does what</h2>
 * The serializer thread walks the snapshot itself ({@link Snapshot#readConcurrently}): it reads
 * each bucket's keys, captures them, and encodes, LZF-compresses, checksums and writes what it
 * keeps. The executor's share is the pre-write hooks: a write to a key whose bucket the walk has
 * not claimed yet hands that bucket over first, and the executor only <em>captures</em> those
 * keys (a few array stores each) into batches for the thread. Both capture the same way
 * ({@link Capture}). A capture must stay valid after the live value changes, so it holds only
 * what is never modified in place:
 * <ul>
 * <li>a {@code byte[]} string value, and every key: immutable (APPEND, SETRANGE, SETBIT, PFADD
 *     and PFCOUNT's cache first turn a string into a {@link RawString}) — by reference;</li>
 * <li>a {@link RawString}, an intset or a listpack (hash, zset), a quicklist's nodes: mutable
 *     buffers — copied (a memcpy, no encoding);</li>
 * <li>a hashtable set or hash, a skiplist zset: the element arrays by reference (members and
 *     fields are dict keys; HSET and HINCRBY* replace a field's value array, never write into it)
 *     collected into a new array, scores copied;</li>
 * <li>anything else (streams): serialized while capturing, the bytes handed over.</li>
 * </ul>
 * The hooks' captures go to the thread in batches (at most {@link #batchBytes} of referenced
 * bytes or {@link #BATCH_KEYS} records) through a blocking queue, whose hand-off publishes them;
 * the thread writes them between bursts of its walk.
 *
 * <h2>Back-pressure</h2>
 * The thread's walk goes at the pace of its output: a sink that blocks (a full socket) stops it.
 * What the hooks hand over meanwhile is bounded by the writes made meanwhile.
 * {@link #queuedBytes} counts the bytes of published batches not yet written (string values and
 * copied buffers, element arrays referenced, serialized bytes, plus a fixed overhead per record or
 * element that stands for the record and the key); its peak is the save's "copy-on-write" figure
 * (rdb_last_cow_size). A referenced value costs memory only if a write replaces it before the
 * thread is done with it, so the figure is an upper bound of the extra memory.
 * rdb-key-save-delay ({@link #delayConfig}) is slept per key on the thread.
 *
 * <h2>Use (BGSAVE, replica full sync, AOF rewrite preamble)</h2>
 * <pre>{@code
 * RdbSnapshotSerializer ser = new RdbSnapshotSerializer(server.keyspace, sink, config.rdbcompression,
 *         config.rdbchecksum, config.maxmemoryPolicy, (w, snap) -> w.saveAuxField("aof-base", "1"));
 * Snapshot s = ser.start(server, "starling-fullsync", (err, cancelled) -> server.execute(() -> done(err)));
 * ...
 * s.cancel(); // the replica went away: finish reports cancelled
 * }</pre>
 * The sink's write runs on the serializer thread and may block (a socket whose buffer is full),
 * which pauses the walk. Framing around the RDB (a diskless sync's
 * {@code $EOF:<mark>} prefix and suffix) is the sink's business: write the prefix before the first
 * chunk and the suffix in finish. The header runs on the executor at the cut, so it may read
 * replication state (repl-id, repl-offset) consistent with the cut.
 *
 * <h2>Synchronous use</h2>
 * Without {@link #start} (SAVE, shutdown, DEBUG RELOAD) the same consumer writes every key
 * straight to the sink on the calling thread: {@code ks.startSnapshot(serializer)}, then step the
 * snapshot to the end and check {@link Snapshot#state}.
 */
public final class RdbSnapshotSerializer implements SnapshotConsumer {
    /** Writes the AUX fields after "REDIS0010" (on the executor, inside the cut). */
    public interface Header {
        void write(RdbWriter w, Snapshot snapshot);
    }

    /** How a threaded run ended; called once on the serializer thread after its last write to the sink. */
    public interface Finish {
        /** error is null when every byte (EOF and CRC included) reached the sink; cancelled when the snapshot was cancelled. */
        void finished(String error, boolean cancelled);
    }

    /** Back-pressure marks (bytes queued) for walks on the executor (AofCommandWriter's). */
    public static final long HIGH_WATER = 8L << 20, LOW_WATER = 2L << 20;
    static final int BATCH_KEYS = 1024;
    private static final int CHUNK = 64 * 1024;
    /** Record kinds below 0; a key record's kind is its RDB type. */
    private static final byte RAW = -1, RESIZEDB = -2, SERIALIZED = -3;
    /** Overhead counted in the queue's weight per record (its slots in the batch, and the key). */
    private static final int OVERHEAD = 32;
    /** The same for an element of a captured collection (its reference in the capture's array). */
    private static final int ELEMENT_OVERHEAD = 8;

    private final Keyspace ks;
    private final RdbSink sink;
    private final boolean compress, checksum;
    /** 1 LRU, 2 LFU, 0 neither: which of IDLE/FREQ rdbSaveKeyValuePair writes. */
    private final int evictionInfo;
    private final Header header;
    /** The writer whose bytes reach the sink (and carry the CRC): the thread's, or the caller's when synchronous. */
    private final RdbWriter out;
    /** Serializer thread (or synchronous caller) state: the db of the last SELECTDB, the dbs given a RESIZEDB. */
    private int currentDb = -1;
    private final java.util.BitSet resized = new java.util.BitSet();

    /** Referenced bytes after which a batch is published. */
    public long batchBytes = 256 << 10;
    /** rdb-key-save-delay's source, or null for no delay. */
    public Config delayConfig;
    /** With rdb-key-save-delay set, the hooks' captures reach the (slowed) thread in small batches. */
    static final long SLOW_BATCH_BYTES = 16L << 10;

    /**
     * Honours rdb-key-save-delay (Redis's rdbSaveRio sleeps per key for files and sockets alike):
     * when set, the thread sleeps per key, reading the config live, and batches are small.
     */
    public void applyKeySaveDelay(Config config) {
        if (config.rdbKeySaveDelay == 0) return;
        delayConfig = config;
        batchBytes = SLOW_BATCH_BYTES;
    }

    // executor state
    private boolean threaded;
    /** The hooks' captures (and the walk's, when it runs on the executor). */
    private Capture hooks;
    private Snapshot snapshot;
    private Server server;

    /** Virtual buckets the serializer thread reads between looks at the hooks' queue. */
    private static final int READ_UNITS = 256;

    // shared
    private final LinkedBlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
    private static final Batch END = new Batch(0), CANCEL = new Batch(0);
    /** Bytes of published batches not yet written. */
    public final AtomicLong queuedBytes = new AtomicLong();
    private volatile long peakQueuedBytes;
    /** Set by the thread on a sink error; the executor then stops the snapshot. */
    private volatile String ioError;

    /**
     * compress is rdbcompression, checksum rdbchecksum; maxmemoryPolicy decides IDLE/FREQ; header
     * writes the AUX fields.
     */
    public RdbSnapshotSerializer(Keyspace ks, RdbSink sink, boolean compress, boolean checksum, String maxmemoryPolicy,
                                 Header header) {
        this.ks = ks;
        this.sink = sink;
        this.compress = compress;
        this.checksum = checksum;
        this.header = header;
        this.evictionInfo = maxmemoryPolicy.endsWith("lru") ? 1 : maxmemoryPolicy.endsWith("lfu") ? 2 : 0;
        this.out = new RdbWriter(sink, CHUNK, compress, checksum);
    }

    /**
     * On the executor: takes the snapshot (the cut is now), starts the serializer thread and the
     * walk. finish is called once on the serializer thread when the stream is complete, failed
     * or was cancelled ({@link Snapshot#cancel}).
     */
    public Snapshot start(Server server, String threadName, Finish finish) {
        threaded = true;
        this.server = server;
        hooks = new Capture(true);
        Snapshot s = ks.startSnapshot(this);
        snapshot = s;
        Thread t = new Thread(() -> run(finish), threadName);
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** The snapshot being serialized (after {@link #start}). */
    public Snapshot snapshot() {
        return snapshot;
    }

    /** The most bytes queued at once so far (rdb_last_cow_size). */
    public long peakQueuedBytes() {
        return peakQueuedBytes;
    }

    /** The sink error that stopped the stream, or null. */
    public String ioError() {
        return ioError;
    }

    // ---------------------------------------------------------------- SnapshotConsumer (executor)

    @Override
    public void begin(Snapshot s) {
        RdbWriter w = threaded ? hooks.mem : out;
        w.writeRaw(("REDIS" + String.format("%04d", Rdb.VERSION)).getBytes(StandardCharsets.US_ASCII), 0, 9);
        header.write(w, s);
        if (threaded) {
            hooks.add(RAW, -1, null, hooks.takeMem(), 0, 0, 0);
            hooks.publish(); // queued before the thread starts, so it precedes every key
        }
    }

    @Override
    public void dbStart(int db, long keys, long volatileKeys) {
        if (threaded) hooks.add(RESIZEDB, db, null, null, keys, volatileKeys, 0);
        else writeResizeDb(db, keys, volatileKeys);
    }

    @Override
    public void key(int db, byte[] key, Object value, long expireAt, int lru) {
        if (ioError != null) throw new UncheckedIOException(new IOException(ioError));
        long evict = evictionInfo == 1 ? ks.idleMillis(lru) / 1000 : evictionInfo == 2 ? ks.lfuDecrAndReturn(lru) : -1;
        if (!threaded) {
            if (db != currentDb) selectDb(db);
            out.saveKeyValuePair(key, value, expireAt, evictionInfo == 1 ? evict : -1, evictionInfo == 2 ? (int) evict : -1);
            if (delayConfig != null && delayConfig.rdbKeySaveDelay != 0) Loading.debugDelay(delayConfig.rdbKeySaveDelay);
            return;
        }
        hooks.capture(db, key, value, expireAt, evict);
    }

    @Override
    public void end() {
        if (!threaded) {
            writeEof();
            return;
        }
        hooks.publish();
        queue.add(END);
    }

    @Override
    public void cancelled() {
        if (!threaded) return;
        hooks.batch = new Batch(BATCH_KEYS); // dropped: never written
        queue.add(CANCEL);
    }

    // ---------------------------------------------------------------- capture (executor or serializer thread)

    /**
     * Captures keys into batches: the executor's (hooks) publishes full batches to the queue; the
     * serializer thread's (its walk) keeps them for the thread to write or drop.
     */
    private final class Capture {
        private final boolean publishes;
        Batch batch = new Batch(BATCH_KEYS);
        /** For values serialized while capturing (streams), CRC-less: the thread's writer checksums the bytes. */
        final RdbWriter mem = RdbWriter.toMemory(compress, false);
        private byte[][] collected;
        private int collectedN;
        private long collectedBytes;
        private final Consumer<SetValue.Member> memberCollector = m -> collect(m.key);
        private final Consumer<Hash.Field> fieldCollector = f -> {
            collect(f.key);
            collect(f.value);
        };

        Capture(boolean publishes) {
            this.publishes = publishes;
        }

        /** One key as an immutable capture (see the class comment), appended to the batch. */
        void capture(int db, byte[] key, Object v, long expireAt, long evict) {
            // Keys count as the fixed overhead: they are referenced, never copied, and the dict holds
            // them anyway (not reading key.length here saves a cache miss per key).
            long w = OVERHEAD;
            if (v instanceof byte[] b) {
                add(Rdb.TYPE_STRING, db, key, b, expireAt, evict, w + b.length);
            } else if (v instanceof RawString r) {
                add(Rdb.TYPE_STRING, db, key, Arrays.copyOf(r.buf, r.len), expireAt, evict, w + r.len);
            } else if (v instanceof Quicklist ql) {
                QuicklistCapture c = new QuicklistCapture(ql);
                add(Rdb.TYPE_LIST_QUICKLIST_2, db, key, c, expireAt, evict, w + c.bytes);
            } else if (v instanceof SetValue s && s.isIntset()) {
                byte[] is = s.intsetBytes().clone();
                add(Rdb.TYPE_SET_INTSET, db, key, is, expireAt, evict, w + is.length);
            } else if (v instanceof SetValue s) {
                Dict<SetValue.Member> d = s.hashtable();
                collectAll(d, (int) d.size(), memberCollector);
                add(Rdb.TYPE_SET, db, key, endCollect(), expireAt, evict, w + collectedBytes);
            } else if (v instanceof ZSet z && z.isListpack()) {
                byte[] lp = Arrays.copyOf(z.lp, Listpack.bytes(z.lp));
                add(Rdb.TYPE_ZSET_LISTPACK, db, key, lp, expireAt, evict, w + lp.length);
            } else if (v instanceof ZSet z) {
                ZSetCapture c = new ZSetCapture(z.zsl);
                add(Rdb.TYPE_ZSET_2, db, key, c, expireAt, evict, w + c.bytes);
            } else if (v instanceof Hash h && h.lp() != null) {
                byte[] lp = Arrays.copyOf(h.lp(), Listpack.bytes(h.lp()));
                add(Rdb.TYPE_HASH_LISTPACK, db, key, lp, expireAt, evict, w + lp.length);
            } else if (v instanceof Hash h) {
                Dict<Hash.Field> d = h.dict();
                collectAll(d, (int) (2 * d.size()), fieldCollector);
                add(Rdb.TYPE_HASH, db, key, endCollect(), expireAt, evict, w + collectedBytes);
            } else {
                // Rare types (streams): serialized here, CRC-less; the thread checksums the bytes in order.
                mem.saveKeyValuePair(key, v, expireAt, evictionInfo == 1 ? evict : -1, evictionInfo == 2 ? (int) evict : -1);
                byte[] bytes = takeMem();
                add(SERIALIZED, db, null, bytes, 0, 0, bytes.length + OVERHEAD);
            }
        }

        /**
         * A hashtable's elements, read without writing (a read command on the executor may
         * rehash it meanwhile when this runs on the serializer thread: then the walk reads again).
         */
        private <E extends dev.starling.keyspace.DictEntry> void collectAll(Dict<E> d, int n, Consumer<E> collector) {
            int seq = d.readBegin();
            collected = new byte[n][];
            collectedN = 0;
            collectedBytes = 0;
            d.readEach(collector);
            if (!d.readValid(seq)) throw SnapshotReader.Retry.INSTANCE;
        }

        private void collect(byte[] b) {
            collected[collectedN++] = b;
            collectedBytes += b.length + ELEMENT_OVERHEAD;
        }

        private byte[][] endCollect() {
            byte[][] c = collected;
            collected = null;
            if (collectedN != c.length) throw SnapshotReader.Retry.INSTANCE; // its size moved while read
            return c;
        }

        byte[] takeMem() {
            byte[] b = mem.toByteArray();
            mem.resetMemory();
            return b;
        }

        void add(int kind, int db, byte[] key, Object value, long expire, long extra, long weight) {
            Batch b = batch;
            if (b.n == b.kind.length) b.grow();
            int i = b.n++;
            b.kind[i] = (byte) kind;
            b.db[i] = db;
            b.key[i] = key;
            b.value[i] = value;
            b.expire[i] = expire;
            b.extra[i] = extra;
            b.weight += weight;
            if (publishes && (b.n == b.kind.length || b.weight >= batchBytes)) publish();
        }

        /** Hands the batch being filled to the thread (executor). */
        void publish() {
            Batch b = batch;
            if (b == null || b.n == 0) return;
            batch = new Batch(BATCH_KEYS);
            long q = queuedBytes.addAndGet(b.weight);
            if (q > peakQueuedBytes) peakQueuedBytes = q;
            queue.add(b);
        }
    }

    /** A batch of records in arrays (no object per key). */
    static final class Batch {
        byte[] kind;
        int[] db;
        byte[][] key;
        Object[] value;
        /** A key's expire (ms or -1); RESIZEDB's key count. */
        long[] expire;
        /** A key's idle seconds or LFU counter (-1: none); RESIZEDB's volatile count. */
        long[] extra;
        int n;
        long weight;

        Batch(int capacity) {
            kind = new byte[capacity];
            db = new int[capacity];
            key = new byte[capacity][];
            value = new Object[capacity];
            expire = new long[capacity];
            extra = new long[capacity];
        }

        /** Doubles the capacity (a reader's batch, which is written or dropped whole buckets at a time). */
        void grow() {
            int c = kind.length * 2;
            kind = Arrays.copyOf(kind, c);
            db = Arrays.copyOf(db, c);
            key = Arrays.copyOf(key, c);
            value = Arrays.copyOf(value, c);
            expire = Arrays.copyOf(expire, c);
            extra = Arrays.copyOf(extra, c);
        }

        /** Drops the records from n on (a reader lost its bucket). */
        void truncate(int n) {
            for (int i = n; i < this.n; i++) {
                key[i] = null;
                value[i] = null;
            }
            this.n = n;
        }
    }

    /** A quicklist's nodes, copied (listpack, plain element or LZF block, and the node's size). */
    static final class QuicklistCapture {
        final byte[][] nodes;
        final int[] sizes;
        final boolean[] plain, compressed;
        long bytes;

        QuicklistCapture(Quicklist ql) {
            int n = ql.nodes();
            nodes = new byte[n][];
            sizes = new int[n];
            plain = new boolean[n];
            compressed = new boolean[n];
            int i = 0;
            for (Quicklist.Node x = ql.head(); x != null; x = x.next(), i++) {
                byte[] stored = x.stored();
                compressed[i] = x.isCompressed();
                plain[i] = x.isPlain();
                sizes[i] = x.size();
                nodes[i] = compressed[i] ? stored.clone() : Arrays.copyOf(stored, x.size());
                bytes += nodes[i].length + ELEMENT_OVERHEAD;
            }
        }
    }

    /** A skiplist zset from the tail (the order rdbSaveObject writes): members by reference, scores copied. */
    static final class ZSetCapture {
        final byte[][] members;
        final double[] scores;
        long bytes;

        ZSetCapture(ZSkiplist zsl) {
            int n = zsl.length();
            members = new byte[n][];
            scores = new double[n];
            int i = 0;
            for (ZSkiplist.Node x = zsl.last(); x != null; x = x.prev(), i++) {
                members[i] = x.key;
                scores[i] = x.score;
                bytes += x.key.length + 8 + ELEMENT_OVERHEAD;
            }
        }
    }

    // ---------------------------------------------------------------- serializer thread

    private void run(Finish finish) {
        String err = null;
        boolean cancelled = false;
        try {
            readSnapshot();
            for (;;) {
                Batch b = queue.take();
                if (b == END) {
                    if (ioError == null) {
                        try {
                            writeEof();
                        } catch (UncheckedIOException e) {
                            ioError = "(rdbSaveRio): " + e.getCause().getMessage();
                        }
                    }
                    err = ioError;
                    break;
                }
                if (b == CANCEL) {
                    // A write error stops the walk through a cancel: report the error, not a kill.
                    err = ioError != null ? ioError : "cancelled";
                    cancelled = ioError == null;
                    break;
                }
                writeQueued(b);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err = "interrupted";
        } catch (RuntimeException | Error e) {
            err = String.valueOf(e);
            ioError = err;
        }
        finish.finished(err, cancelled);
    }

    /** Writes a batch the hooks published (unless an error stopped the output) and releases its weight. */
    private void writeQueued(Batch b) {
        if (ioError == null) {
            try {
                write(b);
            } catch (UncheckedIOException e) {
                ioError = "(rdbSaveRio): " + e.getCause().getMessage();
            }
        }
        queuedBytes.addAndGet(-b.weight);
    }

    /**
     * The walk on this thread (see {@link Snapshot#readConcurrently}): reads the snapshot's
     * buckets, writing what it keeps, and between bursts writes what the hooks published. When
     * the walk is complete the executor finishes the snapshot, which queues END after the hooks'
     * last batch; on a write error it cancels it. Either way the queue then ends the run.
     */
    private void readSnapshot() {
        Reader reader = new Reader();
        boolean more = true;
        while (more && ioError == null) {
            // END is queued only once the snapshot is done (at once for an empty keyspace), CANCEL
            // when it was cancelled: the run's loop takes either.
            for (Batch b; (b = queue.peek()) != null; queue.poll()) {
                if (b == END || b == CANCEL) return;
                writeQueued(b);
            }
            more = snapshot.readConcurrently(READ_UNITS, reader);
            try {
                reader.flush();
            } catch (UncheckedIOException e) {
                ioError = "(rdbSaveRio): " + e.getCause().getMessage();
            }
        }
        Snapshot s = snapshot;
        if (ioError != null) server.execute(s::cancel);
        else server.execute(s::finishReading);
    }

    /** The serializer thread's side of the walk: captures keys, writes the buckets it keeps. */
    private final class Reader implements SnapshotReader {
        private final Capture capture = new Capture(false);
        /** Records of capture.batch that belong to kept buckets. */
        private int kept;

        @Override
        public void dbStart(int db, long keys, long volatileKeys) {
            flush();
            writeResizeDb(db, keys, volatileKeys);
        }

        @Override
        public void key(int db, byte[] key, Object value, long expireAt, int lru) {
            long evict = evictionInfo == 1 ? ks.idleMillis(lru) / 1000 : evictionInfo == 2 ? ks.lfuDecrAndReturn(lru) : -1;
            capture.capture(db, key, value, expireAt, evict);
        }

        @Override
        public void keep() {
            kept = capture.batch.n;
        }

        @Override
        public void discard() {
            capture.batch.truncate(kept);
        }

        /** Writes the kept records (every bucket read so far is kept or discarded). */
        void flush() {
            Batch b = capture.batch;
            if (b.n == 0) return;
            try {
                write(b);
            } finally {
                b.truncate(0);
                b.weight = 0;
                kept = 0;
            }
        }
    }

    /** Serializes one batch in order. */
    private void write(Batch b) {
        RdbWriter w = out;
        for (int i = 0; i < b.n; i++) {
            byte kind = b.kind[i];
            Object v = b.value[i];
            b.value[i] = null; // the queue's memory is released as it drains
            switch (kind) {
                case RAW -> {
                    byte[] bytes = (byte[]) v;
                    w.writeRaw(bytes, 0, bytes.length);
                }
                case RESIZEDB -> writeResizeDb(b.db[i], b.expire[i], b.extra[i]);
                case SERIALIZED -> {
                    if (b.db[i] != currentDb) selectDb(b.db[i]);
                    byte[] bytes = (byte[]) v;
                    w.writeRaw(bytes, 0, bytes.length);
                    keyDelay();
                }
                default -> {
                    if (b.db[i] != currentDb) selectDb(b.db[i]);
                    long x = b.extra[i];
                    w.saveKeyPrefix(b.expire[i], evictionInfo == 1 ? x : -1, evictionInfo == 2 ? (int) x : -1);
                    w.saveType(kind);
                    byte[] key = b.key[i];
                    w.saveRawString(key, 0, key.length);
                    saveCaptured(w, kind, v);
                    keyDelay();
                }
            }
        }
    }

    /** rdbSaveObject over a capture: the same bytes {@link RdbWriter#saveObject} writes for the live value. */
    private static void saveCaptured(RdbWriter w, byte kind, Object v) {
        switch (kind) {
            case Rdb.TYPE_STRING, Rdb.TYPE_SET_INTSET, Rdb.TYPE_ZSET_LISTPACK, Rdb.TYPE_HASH_LISTPACK -> {
                byte[] s = (byte[]) v;
                w.saveRawString(s, 0, s.length);
            }
            case Rdb.TYPE_SET, Rdb.TYPE_HASH -> {
                byte[][] e = (byte[][]) v;
                w.saveLen(kind == Rdb.TYPE_HASH ? e.length / 2 : e.length);
                for (byte[] s : e) w.saveRawString(s, 0, s.length);
            }
            case Rdb.TYPE_ZSET_2 -> {
                ZSetCapture z = (ZSetCapture) v;
                w.saveLen(z.members.length);
                for (int i = 0; i < z.members.length; i++) {
                    w.saveRawString(z.members[i], 0, z.members[i].length);
                    w.saveBinaryDoubleValue(z.scores[i]);
                }
            }
            case Rdb.TYPE_LIST_QUICKLIST_2 -> {
                QuicklistCapture q = (QuicklistCapture) v;
                w.saveLen(q.nodes.length);
                for (int i = 0; i < q.nodes.length; i++) {
                    w.saveLen(q.plain[i] ? Rdb.CONTAINER_PLAIN : Rdb.CONTAINER_PACKED);
                    byte[] n = q.nodes[i];
                    if (q.compressed[i]) w.saveLzfBlob(n, 0, n.length, q.sizes[i]);
                    else w.saveRawString(n, 0, n.length);
                }
            }
            default -> throw new IllegalStateException("no capture of RDB type " + kind);
        }
    }

    private void keyDelay() {
        Config c = delayConfig;
        if (c != null && c.rdbKeySaveDelay != 0) Loading.debugDelay(c.rdbKeySaveDelay);
    }

    // ---------------------------------------------------------------- output (thread, or caller when synchronous)

    private void selectDb(int db) {
        out.saveType(Rdb.OPCODE_SELECTDB);
        out.saveLen(db);
        currentDb = db;
    }

    private void writeResizeDb(int db, long keys, long volatileKeys) {
        // Once per db: the hooks' first key of a db and the walk's start of it both ask for it.
        if (resized.get(db)) return;
        resized.set(db);
        selectDb(db);
        out.saveType(Rdb.OPCODE_RESIZEDB);
        out.saveLen(keys);
        out.saveLen(volatileKeys);
    }

    private void writeEof() {
        out.saveType(Rdb.OPCODE_EOF);
        out.saveMillisecondTime(out.crc());
        out.flush();
    }
}
