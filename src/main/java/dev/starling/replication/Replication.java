package dev.starling.replication;

import dev.starling.server.Server;

/**
 * The replication subsystem's shared state: PSYNC2 ids and offsets and this server's role. The
 * primary side (serving SYNC/PSYNC to replicas, the backlog) and the replica side (the link to a
 * primary) both hang off it, so INFO, ROLE and the RDB's replication aux fields read one place.
 *
 * <h2>Ids and offsets (Redis 7.0's replication.c)</h2>
 * {@link #replid} names the history this server's stream belongs to; {@link #replid2} the history
 * it continued from, valid up to {@link #secondReplOffset}, so a replica of the former primary can
 * still partially resync after a promotion. master_repl_offset is the stream's
 * {@link ReplicationStream#offset()}.
 */
public final class Replication {
    private static final String NO_ID = "0000000000000000000000000000000000000000";

    private final Server server;
    /** master_replid. */
    public String replid = Server.randomHex(40);
    /** master_replid2: the previous history's id, or forty zeros. */
    public String replid2 = NO_ID;
    /** second_repl_offset: up to where replid2 is valid (+1), or -1. */
    public long secondReplOffset = -1;

    /** The replica side: the link to this server's master (set by {@link MasterLink#install}). */
    public MasterLink masterLink;

    public Replication(Server server) {
        this.server = server;
    }

    /** master_repl_offset. */
    public long offset() {
        return server.propagator.stream.offset();
    }

    /** Redis's changeReplicationId: a new history (a full resync or a fresh start). */
    public void changeReplicationId() {
        replid = Server.randomHex(40);
    }

    /** Redis's clearReplicationId2: forget the previous history. */
    public void clearReplicationId2() {
        replid2 = NO_ID;
        secondReplOffset = -1;
    }

    /**
     * Redis's shiftReplicationId (a replica becoming a primary): the current id becomes replid2,
     * valid up to the current offset, and a new id starts.
     */
    public void shiftReplicationId() {
        replid2 = replid;
        secondReplOffset = offset() + 1;
        changeReplicationId();
        server.log.warning("Setting secondary replication ID to " + replid2 + ", valid up to offset: " + secondReplOffset
                + ". New replication ID is " + replid);
    }

    /** The "# Replication" INFO section, Redis 7.0's fields in its order. */
    public void appendInfo(StringBuilder sb) {
        sb.append("# Replication\r\n");
        if (masterLink != null && masterLink.isReplica()) masterLink.appendInfo(sb);
        else field(sb, "role", "master");
        field(sb, "connected_slaves", "0");
        field(sb, "master_failover_state", "no-failover");
        field(sb, "master_replid", replid);
        field(sb, "master_replid2", replid2);
        field(sb, "master_repl_offset", Long.toString(offset()));
        field(sb, "second_repl_offset", Long.toString(secondReplOffset));
        field(sb, "repl_backlog_active", "0");
        field(sb, "repl_backlog_size", Long.toString(server.config.replBacklogSize));
        field(sb, "repl_backlog_first_byte_offset", "0");
        field(sb, "repl_backlog_histlen", "0");
    }

    static void field(StringBuilder sb, String name, String value) {
        sb.append(name).append(':').append(value).append("\r\n");
    }
}
