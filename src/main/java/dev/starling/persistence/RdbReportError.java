package dev.starling.persistence;

/**
 * Redis 7.0's rdbReportError log text for a load that failed, so a replica's log reads as a 7.0
 * replica's: {@code Internal error in RDB reading offset N, function at rdb.c:L -> reason}.
 *
 * <p>L is the line of the rdbReportCorruptRDB / rdbReportReadError call in Debian's 7.0.15 rdb.c
 * (the reference binary). Only reasons Redis reports through rdbReportCorruptRDB are corruption:
 * every other failure inside a value makes rdbLoadObject return NULL, and the loader reports it as
 * a read error at its eoferr label ("Unexpected EOF reading RDB file"), which a diskless replica
 * survives. Two reasons have two call sites each (a set or hash converted while loading, or built
 * as a hashtable); the hashtable one is named. The header checks (signature, version) never reach
 * rdbReportError: rdbLoadRio returns an error with errno EINVAL.
 */
public final class RdbReportError {
    private RdbReportError() {}

    /** rdbLoadRioWithLoadingCtx's eoferr: rdbReportReadError("Unexpected EOF reading RDB file"). */
    public static final int EOF_LINE = 3249;
    /** rdbLoadRioWithLoadingCtx's checksum check: rdbReportCorruptRDB("RDB CRC error"). */
    public static final int CRC_LINE = 3225;
    public static final String UNEXPECTED_EOF = "Unexpected EOF reading RDB file";

    // {reason (a prefix where Redis formats a value into it), rdb.c line}, 7.0.15.
    private static final Object[][] CORRUPT = {
            {"Unknown length encoding ", 236},
            {"Unknown RDB integer encoding type ", 308},
            {"Invalid LZF compressed string", 413},
            {"Unknown RDB string encoding type ", 529},
            {"Duplicate set members detected", 1829},
            {"Zset with NAN score detected", 1882},
            {"Duplicate zset fields detected", 1894},
            {"Hash with dup elements", 1951},
            {"Duplicate hash fields detected", 2019},
            {"Quicklist integrity check failed.", 2048},
            {"Listpack integrity check failed.", 2071},
            {"Ziplist integrity check failed.", 2081},
            {"Zipmap integrity check failed.", 2130},
            {"Hash zipmap with dup elements, or big length", 2154},
            {"List ziplist integrity check failed.", 2189},
            {"Intset integrity check failed.", 2214},
            {"Zset ziplist integrity check failed.", 2229},
            {"Zset listpack integrity check failed.", 2255},
            {"Hash ziplist integrity check failed.", 2275},
            {"Hash listpack integrity check failed.", 2301},
            {"Stream node key entry is not the size of a stream ID", 2343},
            {"Stream listpack integrity check failed.", 2362},
            {"Empty listpack inside stream", 2374},
            {"Listpack re-added with existing key", 2386},
            {"Stream length inconsistent with rax entries", 2430},
            {"Duplicated consumer group name ", 2480},
            {"Duplicated global PEL entry loading stream consumer group", 2516},
            {"Duplicate stream consumer detected.", 2543},
            {"Consumer entry not found in group global PEL", 2573},
            {"Stream consumer PEL entry already has a consumer assigned", 2583},
            {"Duplicated consumer PEL entry", 2592},
            {"Stream CG PEL entry without consumer", 2611},
            {"The RDB file contains module data I can't load: no matching module type ", 2636},
            {"RDB CRC error", CRC_LINE},
    };

    /** The rdb.c line of the rdbReportCorruptRDB that reports reason, or 0 if Redis does not report it as corruption. */
    public static int corruptionLine(String reason) {
        if (reason == null) return 0;
        for (Object[] e : CORRUPT) {
            if (reason.startsWith((String) e[0])) return (Integer) e[1];
        }
        return 0;
    }

    /** The header checks rdbLoadRio answers with EINVAL, logging only the reason. */
    public static boolean headerError(String reason) {
        return reason != null && (reason.startsWith("Wrong signature trying to load DB from file")
                || reason.startsWith("Can't handle RDB format version"));
    }

    /** rdbLoadRio's SELECTDB check, which exits at once: "FATAL: Data file was created ... databases. Exiting". */
    public static boolean tooManyDatabases(String reason) {
        return reason != null && reason.startsWith("FATAL: Data file was created with a Redis server configured to handle more than");
    }

    /**
     * Logs what 7.0 logs when the RDB of a replica's full sync fails to load with e, read from
     * the socket (repl-diskless-load on-empty-db, swapdb) or from the transferred file
     * (rdbFileBeingLoaded set). Returns true if Redis exits there (the caller exits with status 1),
     * false if it goes on: readSyncBulkPayload then logs "Failed trying to load the MASTER
     * synchronization DB from ..." with {@link #errnoText} and retries the sync.
     *
     * <p>From the file every rdbReportError exits after running redis-check-rdb on it, whose report
     * goes to stdout and is not reproduced here; the checker ends with "Terminating server after
     * rdb file reading failure." when it stops in a value (through rdbReportError), and without it
     * on a checksum mismatch or an unexpected end, which it reports itself. From the socket only
     * corruption exits; a read error is taken for a broken connection.
     */
    public static boolean replicaLoadFailed(dev.starling.server.Log log, RdbFileLoader.LoadError e, boolean socket, long interval) {
        String reason = e.getMessage();
        if (e.offset < 0 || headerError(reason)) {
            if (e.offset >= 0) log.warning(reason);
            return false;
        }
        if (tooManyDatabases(reason)) {
            log.warning(reason + "\n");
            return true;
        }
        int line = e.shortRead ? 0 : corruptionLine(reason);
        if (line != 0) {
            log.warning(message(e.offset, interval, line, reason) + (socket ? ". Failure loading rdb format" : ""));
            if (socket || line != CRC_LINE) log.warning("Terminating server after rdb file reading failure.");
            return true;
        }
        // rdbLoadObject's default case reports the type as a read error before the loader's eoferr.
        if (reason.startsWith("Unknown RDB encoding type ")) {
            log.warning(message(e.offset, interval, 2681, reason) + (socket ? SOCKET_READ_ERROR : ""));
            if (!socket) return true;
        }
        log.warning("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        log.warning(message(e.offset, interval, EOF_LINE, UNEXPECTED_EOF) + (socket ? SOCKET_READ_ERROR : ""));
        return !socket;
    }

    private static final String SOCKET_READ_ERROR = ". Failure loading rdb format from socket, assuming connection error, resuming operation.";

    /** strerror(errno) for readSyncBulkPayload's "Failed trying to load" line after rdbLoadRio gave up on e. */
    public static String errnoText(RdbFileLoader.LoadError e) {
        if (e.offset < 0) return e.getMessage(); // opening or reading the file failed: the I/O reason
        return headerError(e.getMessage()) ? "Invalid argument" : "Resource temporarily unavailable";
    }

    /**
     * rdbReportError's message. offset is Redis's server.loading_loaded_bytes, which only moves when
     * the input crosses a multiple of loading-process-events-interval-bytes (where the loader
     * processes events), so it is the last such multiple reached, not the failing byte.
     */
    public static String message(long failedAt, long interval, int line, String reason) {
        long loaded = interval > 0 && failedAt > 0 ? failedAt / interval * interval : 0;
        return "Internal error in RDB reading offset " + loaded + ", function at rdb.c:" + line + " -> " + reason;
    }
}
