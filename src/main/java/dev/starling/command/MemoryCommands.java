package dev.starling.command;

import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.MemorySize;
import dev.starling.server.Client;
import dev.starling.server.Server;
import dev.starling.types.ObjectEncoding;
import dev.starling.types.RawString;

/**
 * MEMORY (Redis's object.c memoryCommand): USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP.
 *
 * <h2>MEMORY USAGE for strings</h2>
 * Reports what redis-server 7.0 (jemalloc) would use for the same key, so tools such as
 * redis-cli --memkeys rank keys the same way on both. Redis's number is
 * {@code sizeof(dictEntry)=24 + alloc(key sds) + objectComputeSize(value)}, where alloc() rounds
 * to a jemalloc size class (8, 16, 32, 48, 64, 80, ... four classes per doubling), and:
 * <ul>
 * <li>key sds: header 1 byte below 32 bytes (sdshdr5), 3 below 256, 5 below 64K, 9 above; + len + NUL;</li>
 * <li>"int" value: the robj only, 16;</li>
 * <li>"embstr" value (up to 44 bytes): one allocation, alloc(16 + 3 + len + 1);</li>
 * <li>"raw" value: 16 + alloc(sds header + capacity + 1) (capacity: spare room after APPEND).</li>
 * </ul>
 * These match redis-server 7.0.15 exactly for keys and values of every length tested (1..5000).
 * The Java heap really uses other amounts (see {@link MemorySize}); other types report
 * 24 + alloc(key) + their {@link MemorySize#ofValue} estimate until they supply Redis's formula.
 */
public final class MemoryCommands {
    private MemoryCommands() {}

    static void register(CommandTable t) {
        t.bind("memory|usage", MemoryCommands::usage);
        t.bind("memory|stats", MemoryCommands::stats);
        t.bind("memory|doctor", MemoryCommands::doctor);
        t.bind("memory|malloc-stats", MemoryCommands::mallocStats);
        t.bind("memory|purge", MemoryCommands::purge);
        t.bind("memory|help", MemoryCommands::help);
    }

    private static final String[] HELP = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    };

    static void help(Client c) {
        DebugCommands.addReplyHelp(c, "MEMORY", HELP);
    }

    // ---------------------------------------------------------------- USAGE

    /** Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES. */
    static final long DEFAULT_SAMPLES = 5;

    static void usage(Client c) {
        long samples = DEFAULT_SAMPLES;
        for (int j = 3; j < c.argc; j++) {
            if (DebugCommands.is(c.argv[j], "samples") && j + 1 < c.argc) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                samples = c.llval;
                if (samples < 0) {
                    c.addReplyErrorSyntax();
                    return;
                }
                if (samples == 0) samples = Long.MAX_VALUE;
                j++;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        // Redis looks in the dict directly (dbFind): no lazy expiry, no LRU touch.
        KeyEntry e = c.db.dict.get(c.argv[2]);
        if (e == null) {
            c.addReplyNull();
            return;
        }
        c.addReplyLongLong(keyUsage(e.key, e.value));
    }

    /** The bytes Redis 7.0 would report for this key and value (see the class comment). */
    public static long keyUsage(byte[] key, Object value) {
        return 24 + jemallocSize(sdsAllocSize(key.length, true)) + valueUsage(value);
    }

    /** objectComputeSize for strings; other types' estimates. */
    static long valueUsage(Object v) {
        if (v instanceof byte[] b) {
            String enc = ObjectEncoding.encodingName(v);
            if (enc.equals("int")) return 16;
            if (enc.equals("embstr")) return jemallocSize(16 + 3 + b.length + 1);
            return 16 + jemallocSize(sdsAllocSize(b.length, false));
        }
        if (v instanceof RawString r) return 16 + jemallocSize(sdsAllocSize(r.capacity(), false));
        return MemorySize.ofValue(v);
    }

    /** Header + len + NUL of an sds; keys may use sdshdr5 (len < 32), values start at sdshdr8. */
    static long sdsAllocSize(long len, boolean allowHdr5) {
        int hdr;
        if (len < 32 && allowHdr5) hdr = 1;
        else if (len < 256) hdr = 3;
        else if (len < 65536) hdr = 5;
        else if (len < 0x100000000L) hdr = 9;
        else hdr = 17;
        return hdr + len + 1;
    }

    /** The jemalloc size class for an n-byte request: 8, 16, then four classes per power of two. */
    public static long jemallocSize(long n) {
        if (n <= 8) return 8;
        if (n <= 16) return 16;
        int lg = 63 - Long.numberOfLeadingZeros(n - 1); // 2^lg < n <= 2^(lg+1)
        long spacing = Math.max(16, 1L << (lg - 2));
        return (n + spacing - 1) & -spacing;
    }

    // ---------------------------------------------------------------- STATS

    /** Highest total.allocated seen by MEMORY STATS / DOCTOR (Redis tracks it on every allocation). */
    private static long peak;

    static long peakAllocated(Server s) {
        long used = s.usedMemory();
        if (used > peak) peak = used;
        return peak;
    }

    /**
     * MEMORY STATS: Redis 7.0's fields in its order. total.allocated is the server's deterministic
     * usedMemory(); the db overheads use Redis's formulas over our dict sizes (entries x 24 + 16 for
     * the robj, buckets x 8); the allocator.* and rss numbers come from the process's RSS.
     */
    /** A numeric INFO field a subsystem publishes (0 if none does). */
    private static long infoLong(Server s, String name) {
        java.util.function.Supplier<Object> v = s.infoFields.get(name);
        return v == null ? 0 : ((Number) v.get()).longValue();
    }

    static void stats(Client c) {
        Server s = c.server;
        long total = s.usedMemory();
        long peakMem = peakAllocated(s);
        long startup = Server.BASE_MEMORY;
        long clientsNormal = s.clientsMemory();
        long functionsCaches = 200;
        long overhead = startup + clientsNormal + functionsCaches;
        int nonEmpty = 0;
        for (Db db : s.keyspace.dbs) {
            if (db.size() == 0) continue;
            nonEmpty++;
            overhead += dbMainOverhead(db) + dbExpiresOverhead(db);
        }
        long keys = s.keyspace.totalKeys();
        long dataset = Math.max(0, total - overhead);
        long netUsage = total > startup ? total - startup : 1;
        long rss = Rss.bytes();

        c.addReplyMapLen(23 + nonEmpty + 4);
        field(c, "peak.allocated", peakMem);
        field(c, "total.allocated", total);
        field(c, "startup.allocated", startup);
        field(c, "replication.backlog", infoLong(s, "mem_replication_backlog"));
        field(c, "clients.slaves", infoLong(s, "mem_clients_slaves"));
        field(c, "clients.normal", clientsNormal);
        field(c, "cluster.links", 0);
        field(c, "aof.buffer", 0);
        field(c, "lua.caches", 0);
        field(c, "functions.caches", functionsCaches);
        for (Db db : s.keyspace.dbs) {
            if (db.size() == 0) continue;
            c.addReplyBulkString("db." + db.id);
            c.addReplyMapLen(3);
            field(c, "overhead.hashtable.main", dbMainOverhead(db));
            field(c, "overhead.hashtable.expires", dbExpiresOverhead(db));
            field(c, "overhead.hashtable.slot-to-keys", 0);
        }
        field(c, "overhead.total", overhead);
        field(c, "keys.count", keys);
        field(c, "keys.bytes-per-key", keys == 0 ? 0 : (total - startup) / keys);
        field(c, "dataset.bytes", dataset);
        floatField(c, "dataset.percentage", (float) dataset * 100 / netUsage);
        floatField(c, "peak.percentage", (float) total * 100 / peakMem);
        field(c, "allocator.allocated", total);
        field(c, "allocator.active", total);
        field(c, "allocator.resident", rss);
        floatField(c, "allocator-fragmentation.ratio", 1f);
        field(c, "allocator-fragmentation.bytes", 0);
        floatField(c, "allocator-rss.ratio", total == 0 ? 0f : (float) rss / total);
        field(c, "allocator-rss.bytes", rss - total);
        floatField(c, "rss-overhead.ratio", 1f);
        field(c, "rss-overhead.bytes", 0);
        floatField(c, "fragmentation", total == 0 ? 0f : (float) rss / total);
        field(c, "fragmentation.bytes", rss - total);
    }

    static long dbMainOverhead(Db db) {
        return db.dict.size() * (24 + 16) + (long) db.dict.buckets() * 8;
    }

    static long dbExpiresOverhead(Db db) {
        return db.expires.size() * 24 + (long) db.expires.buckets() * 8;
    }

    private static void field(Client c, String name, long v) {
        c.addReplyBulkString(name);
        c.addReplyLongLong(v);
    }

    /** Redis adds these floats with addReplyDouble of a float, so %.17g of the float's double value. */
    private static void floatField(Client c, String name, float v) {
        c.addReplyBulkString(name);
        c.addReplyDouble(v);
    }

    // ---------------------------------------------------------------- DOCTOR, MALLOC-STATS, PURGE

    static final String DOCTOR_EMPTY = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
            + "be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and "
            + "I will be back to our programming as soon as I finished rebooting.\n";
    static final String DOCTOR_OK = "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
            + "occurs on this base.\n";

    /**
     * MEMORY DOCTOR. Redis's detector needs 5MB of allocations before it says anything; above that,
     * the checks Redis makes are about jemalloc fragmentation and RSS overhead, which do not
     * translate to a JVM heap, so a populated instance gets Redis's "no issue" report.
     */
    static void doctor(Client c) {
        long used = c.server.usedMemory();
        c.addReplyVerbatim(used < 5L * 1024 * 1024 ? DOCTOR_EMPTY : DOCTOR_OK, "txt");
    }

    /** What redis-server built with libc malloc answers: there is no jemalloc report to give. */
    static void mallocStats(Client c) {
        c.addReplyVerbatim("Stats not supported for the current allocator", "txt");
    }

    /** Redis asks jemalloc to purge dirty pages; the JVM manages its own heap, so this is OK and nothing else. */
    static void purge(Client c) {
        c.addReplyOk();
    }

    /** The process's resident set size from /proc/self/status (0 where that does not exist). */
    static final class Rss {
        private Rss() {}

        static long bytes() {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        String[] p = line.substring(6).trim().split("\\s+");
                        return Long.parseLong(p[0]) * 1024;
                    }
                }
            } catch (Exception e) {
                return 0;
            }
            return 0;
        }
    }
}
