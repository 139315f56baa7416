package dev.starling.server;

import java.util.TreeMap;

/** Server-wide counters for INFO stats and INFO errorstats. */
public final class Stats {
    public long numConnections, rejectedConnections, numCommands;
    public long netInputBytes, netOutputBytes;
    public long totalErrorReplies;
    public long unexpectedErrorReplies;
    public long ioReadsProcessed, ioWritesProcessed;
    /** Deep validations of RESTORE/RDB blobs (INFO dump_payload_sanitizations). */
    public long dumpPayloadSanitizations;
    /** Error replies by error code ("ERR", "WRONGTYPE", ...). */
    public final TreeMap<String, Long> errorCounts = new TreeMap<>();

    /** Counts one error reply under its code, as Redis's afterErrorReply. */
    public void recordError(String msg) {
        totalErrorReplies++;
        String code;
        if (!msg.isEmpty() && msg.charAt(0) == '-') {
            int sp = msg.indexOf(' ');
            code = sp < 0 ? msg.substring(1) : msg.substring(1, sp);
        } else {
            code = "ERR";
        }
        // Redis stops tracking new codes past 128 distinct ones.
        if (errorCounts.size() >= 128 && !errorCounts.containsKey(code)) return;
        errorCounts.merge(code, 1L, Long::sum);
    }

    public void reset() {
        numConnections = rejectedConnections = numCommands = 0;
        netInputBytes = netOutputBytes = 0;
        totalErrorReplies = unexpectedErrorReplies = 0;
        dumpPayloadSanitizations = 0;
        errorCounts.clear();
    }
}
