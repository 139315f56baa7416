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

    /** The primary side: connected replicas, full syncs, WAIT (set by {@link Primary#install}). */
    public Primary primary;
    /** The replication backlog, or null (Redis's server.repl_backlog); see {@link Backlog}. */
    public Backlog backlog;
    /** The replica side: the link to this server's master (set by {@link MasterLink#install}). */
    public MasterLink masterLink;
    /** FAILOVER's state (set by {@link Failover#install}). */
    public Failover failover;

    public Replication(Server server) {
        this.server = server;
    }

    /**
     * Redis's rdbPopulateSaveInfo, for the RDB aux fields: {repl-stream-db, repl-id, repl-offset},
     * or null (no replication history worth saving). On a primary with a backlog the stream db is
     * the one the stream last selected (0 if none since a full sync: the next write SELECTs); on
     * a replica, the database its master's stream has selected.
     */
    public String[] rdbPopulateSaveInfo() {
        int db;
        if (!server.roleReplica) {
            if (backlog == null) return null;
            db = server.propagator.stream.selectedDb();
            if (db == -1) db = 0;
        } else {
            db = masterLink == null ? -1 : masterLink.streamDbForRdb();
            if (db == -1) return null;
        }
        return new String[] {Integer.toString(db), replid, Long.toString(offset())};
    }

    /**
     * The tail of Redis 7.0's loadDataFromDisk: restores the replication id and offset an RDB was
     * saved with (its repl-id, repl-offset and repl-stream-db aux fields; any missing: nothing).
     * A replica takes them as its own and synthesizes a cached master from them, so it asks its
     * master for a partial resync after a restart; a primary keeps its new id but continues the
     * saved history as replid2, with the offset rebased onto it and a backlog starting there, so
     * its replicas can partially resync with it after a restart.
     */
    public void restoreFromRdb(String id, long offset, long streamDb) {
        if (id == null || offset == -1 || streamDb == -1) return;
        ReplicationStream stream = server.propagator.stream;
        if (server.roleReplica) {
            replid = id;
            stream.resetOffset(offset);
            masterLink.cacheMasterUsingMyself((int) streamDb);
        } else {
            replid2 = id;
            secondReplOffset = offset + 1;
            if (backlog != null) primary.freeReplicationBacklog();
            stream.resetOffset(offset() + offset);
            primary.createReplicationBacklog();
        }
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
        field(sb, "connected_slaves", Integer.toString(primary == null ? 0 : primary.replicas.size()));
        if (primary != null) primary.appendInfoReplicas(sb);
        field(sb, "master_failover_state", failover == null ? "no-failover" : failover.stateName());
        field(sb, "master_replid", replid);
        field(sb, "master_replid2", replid2);
        field(sb, "master_repl_offset", Long.toString(offset()));
        field(sb, "second_repl_offset", Long.toString(secondReplOffset));
        Backlog b = backlog;
        field(sb, "repl_backlog_active", b != null ? "1" : "0");
        field(sb, "repl_backlog_size", Long.toString(server.config.replBacklogSize));
        field(sb, "repl_backlog_first_byte_offset", Long.toString(b != null ? b.firstByteOffset() : 0));
        field(sb, "repl_backlog_histlen", Long.toString(b != null ? b.histlen() : 0));
    }

    static void field(StringBuilder sb, String name, String value) {
        sb.append(name).append(':').append(value).append("\r\n");
    }
}
