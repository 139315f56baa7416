package dev.starling.replication;

import dev.starling.command.Command;
import dev.starling.server.Blocking;
import dev.starling.server.Client;
import dev.starling.server.OutputBufferLimits;
import dev.starling.server.Server;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;

import java.nio.charset.StandardCharsets;

import static dev.starling.protocol.Resp.equalsAscii;
import java.util.ArrayList;
import java.util.IdentityHashMap;

/**
 * The primary side of replication (Redis 7.0's replication.c, MASTER part): SYNC, PSYNC,
 * REPLCONF, WAIT, ROLE, full and partial resynchronization, the backlog's life, the per-second
 * replication cron, min-replicas-to-write, INFO's replica lines.
 *
 * <h2>Shape</h2>
 * Every write reaches the {@link ReplicationStream} once. While replicas exist (and for
 * repl-backlog-ttl after the last one left) a {@link Backlog} consumes it; each replica holds a
 * reader into that backlog ({@link ReplicaLink}) and is pumped from it whenever the backlog grows
 * or its socket drains. Nothing is copied per replica, and a replica's output buffer is how far
 * its reader is behind plus what its socket has not taken, which is what
 * client-output-buffer-limit replica is checked against.
 *
 * <h2>Full sync</h2>
 * A {@link FullSync} is the one snapshot in flight (Redis's RDB child): replicas that arrive while
 * it runs either attach to it (disk target, a replica already waiting for it with the same
 * capabilities: Redis's CASE 1) or wait for the next, which the cron starts (after
 * repl-diskless-sync-delay for sockets, or sooner once repl-diskless-sync-max-replicas wait).
 *
 * <p>Everything runs on the executor.
 */
public final class Primary implements dev.starling.server.Shutdown.Replicas {
    /** Redis's NET_HOST_STR_LEN: REPLCONF ip-address must be shorter. */
    static final int NET_HOST_STR_LEN = 256;
    /** Most bytes one socket write takes from the backlog. */
    static final int PUMP_BYTES = 64 * 1024;
    /** A replica socket's Netty water marks: the pump and the diskless walk stop above the high one. */
    static final int LOW_WATER = 1 << 20, HIGH_WATER = 4 << 20;
    private static final byte[][] PING_ARGV = {Resp.ascii("ping")};
    private static final byte[][] GETACK_ARGV = {Resp.ascii("REPLCONF"), Resp.ascii("GETACK"), Resp.ascii("*")};
    private static final byte[] NEWLINE = {'\n'};

    final Server server;
    private final Replication repl;
    /** Redis's server.slaves, in attach order. */
    final ArrayList<ReplicaLink> replicas = new ArrayList<>();
    /** Every client that sent REPLCONF or SYNC (their capabilities), replicas included. */
    private final IdentityHashMap<Client, ReplicaLink> links = new IdentityHashMap<>();
    /** The full sync in progress (Redis's RDB child for replication), or null. */
    FullSync sync;
    /** INFO stats. */
    long statSyncFull, statSyncPartialOk, statSyncPartialErr, statNetReplOutputBytes;
    /** Unix seconds since when no replica is connected (repl-backlog-ttl). */
    private long noReplicasSince;
    /** Redis's repl_good_slaves_count. */
    int goodReplicas;
    /** Clients blocked in WAIT. */
    private final ArrayList<Client> waitingAcks = new ArrayList<>();
    private boolean getAckQueued;
    private long replCronLoops, lastReplCronMillis;

    /**
     * Seams for the replica side: whether the link to our own primary is up (SYNC is refused with
     * -NOMASTERLINK while this server is a replica and it is not), and what REPLCONF GETACK does
     * on a replica (send an ACK to its primary).
     */
    public java.util.function.BooleanSupplier masterLinkUp = () -> false;
    public Runnable replicaSendAck;

    private Primary(Server server) {
        this.server = server;
        this.repl = server.replication;
        this.noReplicasSince = server.clock.millis() / 1000;
        // Redis's first replicationCron runs as the server starts, before any replica: its PING
        // turn (loop 0) passes with nobody to ping, so the next one is a full period later.
        this.lastReplCronMillis = server.clock.millis();
        this.replCronLoops = 1;
    }

    /** Creates the primary side and hooks it into the server: commands, the NOREPLICAS filter, cron, INFO. */
    public static Primary install(Server server) {
        Primary p = new Primary(server);
        server.replication.primary = p;
        server.commands.bind("sync", p::syncCommand);
        server.commands.bind("psync", p::syncCommand);
        server.commands.bind("replconf", p::replconfCommand);
        server.commands.bind("wait", p::waitCommand);
        server.commands.bind("role", p::roleCommand);
        server.noReplicasCheck = p::checkGoodReplicas;
        server.cronHooks.add(p::cron);
        server.clientListeners.add(p::clientClosed);
        server.afterLoopHooks.add(p::freeReplicationBacklog);
        server.infoFields.put("sync_full", () -> p.statSyncFull);
        server.infoFields.put("sync_partial_ok", () -> p.statSyncPartialOk);
        server.infoFields.put("sync_partial_err", () -> p.statSyncPartialErr);
        server.infoFields.put("total_net_repl_output_bytes", () -> p.statNetReplOutputBytes);
        server.infoFields.put("mem_total_replication_buffers", p::replicationBufferMemory);
        server.infoFields.put("mem_replication_backlog", p::memReplicationBacklog);
        server.infoFields.put("mem_clients_slaves", p::memClientsSlaves);
        server.shutdown.replicas = p;
        server.resetStatHooks.add(() -> {
            p.statSyncFull = p.statSyncPartialOk = p.statSyncPartialErr = p.statNetReplOutputBytes = 0;
        });
        return p;
    }

    /**
     * Wires the replica side: SYNC needs its link up (-NOMASTERLINK), REPLCONF GETACK sends its
     * ACK, and it tells us where Redis disconnects a replica's own replicas (disconnectSlaves).
     */
    public void follow(MasterLink link) {
        this.masterLink = link;
        masterLinkUp = link::linkUp;
        replicaSendAck = link::sendAck;
        link.replicasListener = this::disconnectReplicas;
    }

    private MasterLink masterLink;
    /** FAILOVER's state (set by {@link Failover#install}). */
    Failover failover;

    /**
     * Redis's disconnectSlaves: our replicas resync with us. newHistory (a full sync from our own
     * master: replicationAttachToNewMaster) also starts the backlog over, so none can PSYNC into
     * the old history; the replica's new backlog then follows its master's stream.
     */
    private void disconnectReplicas(boolean newHistory) {
        for (ReplicaLink r : new ArrayList<>(replicas)) freeReplica(r);
        if (newHistory) {
            freeReplicationBacklog();
            createReplicationBacklog();
        }
    }

    // ---------------------------------------------------------------- backlog

    /**
     * Redis's createReplicationBacklog: from here on the stream's offset moves. Public for the
     * replica side, which keeps a backlog too (for its own replicas and for PSYNC after a promotion).
     */
    public void createReplicationBacklog() {
        Backlog b = new Backlog(ByteBufAllocator.DEFAULT, repl::offset, () -> server.config.replBacklogSize);
        b.listener = this::backlogGrew;
        repl.backlog = b;
        server.propagator.stream.addConsumer(b);
    }

    /** Redis's freeReplicationBacklog (no replica holds a reader). */
    public void freeReplicationBacklog() {
        Backlog b = repl.backlog;
        if (b == null) return;
        server.propagator.stream.removeConsumer(b);
        b.free();
        repl.backlog = null;
    }

    /** Pumps the streaming replicas and checks every reader against the output-buffer limits. */
    private void backlogGrew() {
        for (int i = 0; i < replicas.size(); i++) {
            ReplicaLink r = replicas.get(i);
            if (r.reader == null) continue;
            if (r.streaming()) pump(r);
            checkOutputBufferLimits(r);
        }
    }

    /**
     * Writes what r has not read yet while its socket takes it. The socket is flushed once per
     * event-loop turn ({@link #flushQueuedReplicas}), as Redis writes to replicas once per beforeSleep:
     * with many clients each batch would otherwise cost the replica link its own write(2).
     */
    void pump(ReplicaLink r) {
        if (!r.streaming()) return;
        Channel ch = r.client.channel;
        if (!ch.isActive()) return;
        Backlog b = repl.backlog;
        boolean wrote = false;
        while (ch.isWritable()) {
            ByteBuf s = b.read(r.reader, PUMP_BYTES);
            if (s == null) break;
            statNetReplOutputBytes += s.readableBytes();
            ch.write(s, ch.voidPromise());
            wrote = true;
        }
        if (wrote && !r.flushQueued) {
            r.flushQueued = true;
            toFlush.add(r);
            if (toFlush.size() == 1) server.execute(flushReplicasTask);
        }
    }

    private final ArrayList<ReplicaLink> toFlush = new ArrayList<>();
    private final Runnable flushReplicasTask = this::flushQueuedReplicas;

    private void flushQueuedReplicas() {
        for (int i = 0; i < toFlush.size(); i++) {
            ReplicaLink r = toFlush.get(i);
            r.flushQueued = false;
            r.client.channel.flush();
        }
        toFlush.clear();
    }

    /** CLIENT LIST omem of a replica: what its reader has not sent plus what its socket holds. */
    public long replicaOutputBytes(Client c) {
        ReplicaLink r = links.get(c);
        long n = c.outputBytes();
        if (r != null && r.reader != null && repl.backlog != null) n += repl.backlog.behind(r.reader);
        return n;
    }

    /**
     * client-output-buffer-limit replica: r's buffer is how far its reader is behind plus what its
     * socket holds (Redis counts the shared blocks a replica references the same way).
     */
    private void checkOutputBufferLimits(ReplicaLink r) {
        long used = repl.backlog.behind(r.reader);
        if (r.streaming()) used += r.client.outputBytes();
        OutputBufferLimits.closeIfReached(r.client, used);
    }

    // ---------------------------------------------------------------- SYNC, PSYNC

    /** SYNC and PSYNC replid offset (Redis's syncCommand). */
    void syncCommand(Client c) {
        if (c.has(Client.REPLICA)) return; // already a replica: ignored, no reply
        boolean psync = c.argv[0].length == 5;
        if (psync && c.argc > 3 && equalsAscii(c.argv[3], "failover")) {
            server.log.warning("Failover request received for replid " + new String(c.argv[1], java.nio.charset.StandardCharsets.UTF_8) + ".");
            if (!server.roleReplica) {
                c.addReplyError(Errors.PSYNC_FAILOVER_MASTER);
                return;
            }
            if (!equalsAscii(c.argv[1], repl.replid)) {
                c.addReplyError(Errors.PSYNC_FAILOVER_REPLID);
                return;
            }
            // Our primary asks us to take over (its FAILOVER): we become a primary, and it our replica.
            masterLink.unsetMaster();
            server.log.notice("MASTER MODE enabled (failover request from '" + dev.starling.server.ClientInfo.describe(c) + "')");
        }
        if (failover != null && failover.active()) {
            c.addReplyError(Errors.NOMASTERLINK_FAILING_OVER);
            return;
        }
        if (server.roleReplica && !masterLinkUp.getAsBoolean()) {
            c.addReplyError(Errors.NOMASTERLINK_SYNC);
            return;
        }
        if (c.outputBytes() > 0) {
            c.addReplyError(Errors.SYNC_PENDING_OUTPUT);
            return;
        }
        ReplicaLink r = link(c);
        server.log.notice("Replica " + r.name() + " asks for synchronization");
        server.propagator.flushStream(); // the backlog holds every byte master_repl_offset counts
        if (psync) {
            if (!c.getLongLong(c.argv[2], null)) {
                server.log.warning("Replica " + r.name() + " asks for synchronization but with a wrong offset");
                return;
            }
            if (masterTryPartialResynchronization(r, c.llval)) {
                statSyncPartialOk++;
                return;
            }
            if (c.argv[1].length == 0 || c.argv[1][0] != '?') statSyncPartialErr++;
        } else {
            r.prePsync = true; // redis-cli --replica / --rdb: no +FULLRESYNC, no ACKs
        }
        statSyncFull++;
        r.state = ReplicaLink.WAIT_BGSAVE_START;
        addReplica(r);
        if (replicas.size() == 1 && repl.backlog == null) {
            // A backlog from scratch means a new history: nobody can continue an older one here.
            repl.changeReplicationId();
            repl.clearReplicationId2();
            createReplicationBacklog();
            server.log.notice("Replication backlog created, my new replication IDs are '" + repl.replid + "' and '" + repl.replid2 + "'");
        }
        if (sync != null && !sync.socket) {
            // CASE 1: a disk BGSAVE for replication runs; attach if a waiting replica's needs cover ours.
            ReplicaLink other = null;
            for (ReplicaLink s : sync.targets) {
                if (s.state == ReplicaLink.WAIT_BGSAVE_END && (!s.rdbOnly || r.rdbOnly)) {
                    other = s;
                    break;
                }
            }
            if (other != null && (r.capa & other.capa) == other.capa) {
                r.sync = sync;
                sync.targets.add(r);
                setupForFullResync(r, sync.offset);
                server.log.notice("Waiting for end of BGSAVE for SYNC");
            } else {
                server.log.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
            }
        } else if (sync == null && server.rdb.bgsaveInProgress()) {
            // CASE 1 with a BGSAVE nobody registers differences for.
            server.log.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
        } else if (sync != null) {
            server.log.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
        } else if (server.config.replDisklessSync && (r.capa & ReplicaLink.CAPA_EOF) != 0 && server.config.replDisklessSyncDelay > 0) {
            // The cron starts it, so more replicas can join the same transfer.
            server.log.notice("Delay next BGSAVE for diskless SYNC");
        } else {
            startBgsaveForReplication(r.capa);
        }
    }

    /**
     * Redis's masterTryPartialResynchronization: +CONTINUE and the backlog from psyncOffset on if
     * the replica's history is ours (replid, or replid2 up to second_repl_offset) and the backlog
     * still has that offset; false if a full resync is needed.
     */
    private boolean masterTryPartialResynchronization(ReplicaLink r, long psyncOffset) {
        String asked = new String(r.client.argv[1], StandardCharsets.UTF_8);
        if (!asked.equalsIgnoreCase(repl.replid) && (!asked.equalsIgnoreCase(repl.replid2) || psyncOffset > repl.secondReplOffset)) {
            if (!asked.startsWith("?")) {
                if (!asked.equalsIgnoreCase(repl.replid) && !asked.equalsIgnoreCase(repl.replid2)) {
                    server.log.notice("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '" + asked
                            + "', my replication IDs are '" + repl.replid + "' and '" + repl.replid2 + "')");
                } else {
                    server.log.notice("Partial resynchronization not accepted: Requested offset for second ID was " + psyncOffset
                            + ", but I can reply up to " + repl.secondReplOffset);
                }
            } else {
                server.log.notice("Full resync requested by replica " + r.name());
            }
            return false;
        }
        Backlog b = repl.backlog;
        if (b == null || !b.canServe(psyncOffset)) {
            server.log.notice("Unable to partial resync with replica " + r.name() + " for lack of backlog (Replica request was: "
                    + psyncOffset + ").");
            if (psyncOffset > repl.offset()) {
                server.log.warning("Warning: replica " + r.name()
                        + " tried to PSYNC with an offset that is greater than the master replication offset.");
            }
            return false;
        }
        r.state = ReplicaLink.ONLINE;
        r.ackTimeSec = nowSec();
        r.startStreamOnAck = false;
        addReplica(r);
        write(r, ((r.capa & ReplicaLink.CAPA_PSYNC2) != 0 ? "+CONTINUE " + repl.replid + "\r\n" : "+CONTINUE\r\n")
                .getBytes(StandardCharsets.US_ASCII), true);
        r.reader = b.openReader(psyncOffset - 1);
        server.log.notice("Partial resynchronization request from " + r.name() + " accepted. Sending " + b.behind(r.reader)
                + " bytes of backlog starting from offset " + psyncOffset + ".");
        refreshGoodReplicasCount();
        pump(r);
        return true;
    }

    /** Makes r a replica (Redis's CLIENT_SLAVE and listAddNodeTail(server.slaves)). */
    private void addReplica(ReplicaLink r) {
        Client c = r.client;
        c.flags |= Client.REPLICA;
        replicas.add(r);
        Channel ch = c.channel;
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(LOW_WATER, HIGH_WATER));
        ch.pipeline().addLast(new WritabilityHandler(r));
    }

    /** The socket drained below its low-water mark: continue the RDB or the stream. */
    private final class WritabilityHandler extends ChannelInboundHandlerAdapter {
        private final ReplicaLink r;

        WritabilityHandler(ReplicaLink r) {
            this.r = r;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                if (r.sync != null && r.sync.socket) r.sync.writable();
                pump(r);
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    /**
     * Redis's replicationSetupSlaveForFullResync: r will get the RDB cut at offset, then the stream
     * from there (its reader holds the backlog from offset on); +FULLRESYNC unless it used SYNC.
     */
    private void setupForFullResync(ReplicaLink r, long offset) {
        r.psyncInitialOffset = offset;
        r.state = ReplicaLink.WAIT_BGSAVE_END;
        server.propagator.stream.selectedDb = -1; // the stream after the cut starts with a SELECT
        if (!r.rdbOnly) r.reader = repl.backlog.openReader(offset);
        if (!r.prePsync) write(r, ("+FULLRESYNC " + repl.replid + " " + offset + "\r\n").getBytes(StandardCharsets.US_ASCII), true);
    }

    /**
     * Redis's startBgsaveForReplication: one snapshot for every replica waiting to start, to their
     * sockets if diskless sync is on and all of them take EOF-marked payloads, else to disk.
     */
    private void startBgsaveForReplication(int mincapa) {
        boolean socket = server.config.replDisklessSync && (mincapa & ReplicaLink.CAPA_EOF) != 0;
        server.log.notice("Starting BGSAVE for SYNC with target: " + (socket ? "replicas sockets" : "disk"));
        server.propagator.flushStream();
        String[] aux = repl.rdbPopulateSaveInfo();
        long offset = repl.offset();
        FullSync s = new FullSync(this, socket, offset);
        ArrayList<ReplicaLink> waiting = new ArrayList<>();
        for (ReplicaLink r : replicas) if (r.state == ReplicaLink.WAIT_BGSAVE_START) waiting.add(r);
        boolean ok = aux != null;
        if (aux == null) {
            server.log.warning("BGSAVE for replication: replication information not available, can't generate the RDB file right now. Try later.");
        } else if (!socket) {
            ok = s.startDisk(); // the cut happens here, before the SELECT reset below, as Redis populates rsi first
        }
        if (!ok) {
            server.log.warning("BGSAVE for replication failed");
            for (ReplicaLink r : waiting) {
                r.state = ReplicaLink.NONE;
                r.client.flags &= ~Client.REPLICA;
                replicas.remove(r);
                write(r, ("-ERR " + Errors.BGSAVE_FAILED_REPLICATION + "\r\n").getBytes(StandardCharsets.US_ASCII), true);
                server.closeClient(r.client);
            }
            return;
        }
        sync = s;
        for (ReplicaLink r : waiting) {
            r.sync = s;
            s.targets.add(r);
            setupForFullResync(r, offset);
        }
        if (socket) s.startSocket(aux);
    }

    /**
     * Redis's replicationStartPendingFork: starts a full sync for the replicas waiting to start,
     * once none runs, right away for disk, after repl-diskless-sync-delay (or once
     * repl-diskless-sync-max-replicas wait) for sockets.
     */
    private void replicationStartPendingFork() {
        if (sync != null || server.rdb.bgsaveInProgress()) return;
        long maxIdle = 0;
        int waiting = 0, mincapa = -1;
        long now = server.clock.millis();
        for (ReplicaLink r : replicas) {
            if (r.state != ReplicaLink.WAIT_BGSAVE_START) continue;
            long idle = now / 1000 - r.client.lastInteractionMillis / 1000;
            if (idle > maxIdle) maxIdle = idle;
            waiting++;
            mincapa = mincapa == -1 ? r.capa : mincapa & r.capa;
        }
        if (waiting == 0) return;
        int max = server.config.replDisklessSyncMaxReplicas;
        if (!server.config.replDisklessSync || (max > 0 && waiting >= max) || maxIdle >= server.config.replDisklessSyncDelay) {
            startBgsaveForReplication(mincapa);
        }
    }

    /**
     * Redis's replicaPutOnline: the RDB is delivered. rdb-only replicas are done and closed;
     * false then.
     */
    boolean replicaPutOnline(ReplicaLink r) {
        if (r.rdbOnly) {
            r.state = ReplicaLink.RDB_TRANSMITTED;
            server.log.notice("RDB transfer completed, rdb only replica (" + r.name() + ") should be disconnected asap");
            server.closeClient(r.client);
            return false;
        }
        r.state = ReplicaLink.ONLINE;
        r.ackTimeSec = nowSec();
        refreshGoodReplicasCount();
        server.log.notice("Synchronization with replica " + r.name() + " succeeded");
        return true;
    }

    /** Closes a replica's connection at once (freeClient); the close listener does the rest. */
    void freeReplica(ReplicaLink r) {
        server.killClient(r.client);
    }

    /** Writes bytes straight to r's socket (replies before the stream, keepalive newlines). */
    void write(ReplicaLink r, byte[] bytes, boolean count) {
        Channel ch = r.client.channel;
        if (ch == null || !ch.isActive()) return;
        if (count) statNetReplOutputBytes += bytes.length;
        ch.writeAndFlush(ch.alloc().buffer(bytes.length).writeBytes(bytes), ch.voidPromise());
    }

    /** A client went away: if it was a replica, forget it (Redis's freeClient for a CLIENT_SLAVE). */
    private void clientClosed(Client c) {
        ReplicaLink r = links.remove(c);
        if (r == null || !replicas.remove(r)) return;
        server.log.notice("Connection with replica " + r.name() + " lost.");
        if (r.reader != null && repl.backlog != null) repl.backlog.close(r.reader);
        r.reader = null;
        if (r.sync != null) r.sync.targetGone(r);
        if (replicas.isEmpty()) noReplicasSince = nowSec();
        refreshGoodReplicasCount();
    }

    private ReplicaLink link(Client c) {
        ReplicaLink r = links.get(c);
        if (r == null) links.put(c, r = new ReplicaLink(c));
        return r;
    }

    // ---------------------------------------------------------------- REPLCONF

    /** REPLCONF option value ... (Redis's replconfCommand). */
    void replconfCommand(Client c) {
        if ((c.argc % 2) == 0) {
            c.addReplyErrorSyntax();
            return;
        }
        for (int j = 1; j < c.argc; j += 2) {
            byte[] opt = c.argv[j], val = c.argv[j + 1];
            if (equalsAscii(opt, "listening-port")) {
                if (!c.getLongLong(val, null)) return;
                link(c).listeningPort = (int) c.llval;
            } else if (equalsAscii(opt, "ip-address")) {
                if (val.length >= NET_HOST_STR_LEN) {
                    c.addReplyError(Errors.replconfIpTooLong(val.length));
                    return;
                }
                link(c).announcedIp = new String(val, StandardCharsets.UTF_8);
            } else if (equalsAscii(opt, "capa")) {
                // Capabilities this primary does not know are ignored.
                if (equalsAscii(val, "eof")) link(c).capa |= ReplicaLink.CAPA_EOF;
                else if (equalsAscii(val, "psync2")) link(c).capa |= ReplicaLink.CAPA_PSYNC2;
            } else if (equalsAscii(opt, "ack")) {
                replconfAck(c, j);
                return; // never a reply
            } else if (equalsAscii(opt, "getack")) {
                if (server.roleReplica && replicaSendAck != null) replicaSendAck.run();
                return;
            } else if (equalsAscii(opt, "rdb-only")) {
                if (!c.getLongLong(val, Errors.NOT_INTEGER)) return;
                if (c.llval < 0 || c.llval > 1) {
                    c.addReplyError(Errors.rangeLong(0, 1));
                    return;
                }
                link(c).rdbOnly = c.llval == 1;
            } else {
                c.addReplyError(Errors.replconfUnrecognized(opt));
                return;
            }
        }
        c.addReplyOk();
    }

    /** REPLCONF ACK offset [FACK aofoffset]: only from replicas, silently. */
    private void replconfAck(Client c, int j) {
        ReplicaLink r = links.get(c);
        if (r == null || !c.has(Client.REPLICA)) return;
        long off = dev.starling.protocol.Numbers.parseLong(c.argv[j + 1]);
        if (!dev.starling.protocol.Numbers.isValidLong(off, c.argv[j + 1])) return;
        if (off > r.ackOff) r.ackOff = off;
        if (c.argc > j + 3 && equalsAscii(c.argv[j + 2], "fack")) {
            long fack = dev.starling.protocol.Numbers.parseLong(c.argv[j + 3]);
            if (!dev.starling.protocol.Numbers.isValidLong(fack, c.argv[j + 3])) return;
            if (fack > r.aofOff) r.aofOff = fack;
        }
        r.ackTimeSec = nowSec();
        if (r.startStreamOnAck && r.state == ReplicaLink.ONLINE) {
            // Diskless: the replica has loaded the RDB; what accumulated since the cut goes now.
            r.startStreamOnAck = false;
            pump(r);
        }
        if (!waitingAcks.isEmpty()) processClientsWaitingReplicas();
    }

    // ---------------------------------------------------------------- WAIT

    /** How WAIT blocks: on no key, until enough ACKs or the timeout (Redis's BLOCKED_WAIT). */
    private static final Blocking.Handler WAIT_HANDLER = (Blocking.KeylessHandler) c ->
            c.addReplyLongLong(c.server.replication.primary.replicationCountAcksByOffset(((long[]) c.bstate.extra)[0]));

    /** WAIT numreplicas timeout. */
    void waitCommand(Client c) {
        if (server.roleReplica) {
            c.addReplyError(Errors.WAIT_ON_REPLICA);
            return;
        }
        if (!c.getLongLong(c.argv[1], null)) return;
        long numreplicas = c.llval;
        if (!c.getLongLong(c.argv[2], Errors.TIMEOUT_NOT_INTEGER)) return;
        long timeout = c.llval;
        if (timeout < 0) {
            c.addReplyError(Errors.TIMEOUT_NEGATIVE);
            return;
        }
        if (timeout > 0) {
            long now = server.clock.millis();
            if (timeout > Long.MAX_VALUE - now) {
                c.addReplyError(Errors.TIMEOUT_OUT_OF_RANGE);
                return;
            }
            timeout += now;
        }
        long acks = replicationCountAcksByOffset(c.woff);
        if (acks >= numreplicas || Blocking.deniesBlocking(c)) {
            c.addReplyLongLong(acks);
            return;
        }
        Blocking.State st = server.blocking.blockForKeys(c, c.argv, 0, 0, timeout, WAIT_HANDLER);
        st.count = numreplicas;
        st.extra = new long[] {c.woff};
        // Drop clients that timed out, were unblocked or left since (they are only pruned here and on ACKs).
        for (int i = waitingAcks.size() - 1; i >= 0; i--) {
            Blocking.State w = waitingAcks.get(i).bstate;
            if (w == null || w.handler != WAIT_HANDLER) waitingAcks.remove(i);
        }
        if (!waitingAcks.contains(c)) waitingAcks.add(c);
        replicationRequestAckFromSlaves();
    }

    /** Replicas online whose last ACK covers offset. */
    long replicationCountAcksByOffset(long offset) {
        int n = 0;
        for (ReplicaLink r : replicas) if (r.state == ReplicaLink.ONLINE && r.ackOff >= offset) n++;
        return n;
    }

    /** REPLCONF GETACK * into the stream, once per event-loop turn (Redis does it in beforeSleep). */
    private void replicationRequestAckFromSlaves() {
        if (getAckQueued) return;
        getAckQueued = true;
        server.execute(() -> {
            getAckQueued = false;
            sendGetack();
        });
    }

    /** Redis's sendGetackToReplicas: REPLCONF GETACK * into the stream now (outside any MULTI). */
    @Override
    public void sendGetack() {
        if (repl.backlog == null) return;
        server.propagator.stream.feed(-1, GETACK_ARGV, 3, Propagator.PROPAGATE_REPL);
        server.propagator.flushStream();
    }

    /** Unblocks every WAIT whose replicas have acknowledged its offset (processClientsWaitingReplicas). */
    private void processClientsWaitingReplicas() {
        for (int i = 0; i < waitingAcks.size(); i++) {
            Client c = waitingAcks.get(i);
            Blocking.State st = c.bstate;
            if (st == null || st.handler != WAIT_HANDLER) {
                waitingAcks.remove(i--);
                continue;
            }
            long acks = replicationCountAcksByOffset(((long[]) st.extra)[0]);
            if (acks >= st.count) {
                c.addReplyLongLong(acks);
                server.blocking.unblock(c);
                waitingAcks.remove(i--);
            }
        }
    }

    // ---------------------------------------------------------------- ROLE, INFO, NOREPLICAS

    /** ROLE on a primary: master, offset, [ip, port, ack offset] of each online replica. */
    void roleCommand(Client c) {
        int n = 0;
        for (ReplicaLink r : replicas) if (r.state == ReplicaLink.ONLINE && r.ip() != null) n++;
        c.addReplyArrayLen(3);
        c.addReplyBulk(Resp.ascii("master"));
        c.addReplyLongLong(repl.offset());
        c.addReplyArrayLen(n);
        for (ReplicaLink r : replicas) {
            if (r.state != ReplicaLink.ONLINE || r.ip() == null) continue;
            c.addReplyArrayLen(3);
            c.addReplyBulkString(r.ip());
            c.addReplyBulkLongLong(r.listeningPort);
            c.addReplyBulkLongLong(r.ackOff);
        }
    }

    /** INFO replication after connected_slaves: min_slaves_good_slaves and one slaveN line per replica. */
    void appendInfoReplicas(StringBuilder sb) {
        if (server.config.minReplicasToWrite > 0 && server.config.minReplicasMaxLag > 0) {
            sb.append("min_slaves_good_slaves:").append(goodReplicas).append("\r\n");
        }
        int id = 0;
        long now = nowSec();
        for (ReplicaLink r : replicas) {
            String ip = r.ip(), state = r.stateName();
            if (ip == null || state.isEmpty()) continue;
            long lag = r.state == ReplicaLink.ONLINE ? now - r.ackTimeSec : 0;
            sb.append("slave").append(id++).append(":ip=").append(ip).append(",port=").append(r.listeningPort)
                    .append(",state=").append(state).append(",offset=").append(r.ackOff).append(",lag=").append(lag).append("\r\n");
        }
    }

    /** Redis's refreshGoodSlavesCount: online replicas that acknowledged within min-replicas-max-lag. */
    private void refreshGoodReplicasCount() {
        if (server.config.minReplicasToWrite == 0 || server.config.minReplicasMaxLag == 0) return;
        int good = 0;
        long now = nowSec();
        for (ReplicaLink r : replicas) {
            if (r.state == ReplicaLink.ONLINE && now - r.ackTimeSec <= server.config.minReplicasMaxLag) good++;
        }
        goodReplicas = good;
    }

    /** processCommand's min-replicas-to-write check: -NOREPLICAS for writes without enough good replicas. */
    private String checkGoodReplicas(Client c, Command cmd) {
        if (server.roleReplica || server.config.minReplicasToWrite == 0 || server.config.minReplicasMaxLag == 0) return null;
        if (!cmd.has(Command.WRITE) || goodReplicas >= server.config.minReplicasToWrite) return null;
        return Errors.NOREPLICAS;
    }

    // ---------------------------------------------------------------- shutdown, memory

    /** Redis's isReadyToShutdown: every replica, whatever its state, acknowledged master_repl_offset. */
    @Override
    public boolean readyToShutdown() {
        long offset = repl.offset();
        for (int i = 0; i < replicas.size(); i++) if (replicas.get(i).ackOff != offset) return false;
        return true;
    }

    /** finishShutdown's replica report, in Redis's words. */
    @Override
    public void logReplicasAtShutdown() {
        long offset = repl.offset(), now = nowSec();
        int lagging = 0;
        for (ReplicaLink r : replicas) {
            if (r.ackOff == offset) continue;
            lagging++;
            long lag = r.state == ReplicaLink.ONLINE ? now - r.ackTimeSec : 0;
            server.log.warning("Lagging replica " + r.name() + " reported offset " + (offset - r.ackOff) + " behind master, lag=" + lag
                    + ", state=" + r.stateName() + ".");
        }
        if (!replicas.isEmpty()) {
            server.log.notice((replicas.size() - lagging) + " of " + replicas.size() + " replicas are in sync when shutting down.");
        }
    }

    /** Redis's flushSlavesOutputBuffers: the stream so far to every streaming replica's socket, before exit. */
    @Override
    public void flushReplicas() {
        server.propagator.flushStream();
        for (int i = 0; i < replicas.size(); i++) pump(replicas.get(i));
        flushQueuedReplicas();
    }

    /**
     * Redis's repl_buffer_mem: the backlog's blocks, plus what replica sockets still hold of blocks
     * the backlog has already dropped (their retained slices keep that memory alive, as a lagging
     * Redis replica keeps its referenced blocks).
     */
    long replicationBufferMemory() {
        Backlog b = repl.backlog;
        if (b == null) return 0;
        long n = b.memory(), first = b.firstByteOffset() - 1;
        for (int i = 0; i < replicas.size(); i++) {
            ReplicaLink r = replicas.get(i);
            if (r.reader == null) continue;
            long pendingFrom = r.reader.position() - r.client.outputBytes();
            if (pendingFrom < first) n += first - pendingFrom;
        }
        return n;
    }

    /**
     * INFO mem_clients_slaves as Redis 7.0's getMemoryOverheadData: with replicas attached, the
     * replication buffer beyond repl-backlog-size is theirs (kept only because some lag).
     */
    long memClientsSlaves() {
        long total = replicationBufferMemory(), size = server.config.replBacklogSize;
        return replicas.isEmpty() || total <= size ? 0 : total - size;
    }

    /**
     * INFO mem_replication_backlog: the replication buffer up to repl-backlog-size, plus Redis's
     * estimate of its block index (a rax with one key per 64 blocks: 4 bytes a node, 8 a key).
     */
    long memReplicationBacklog() {
        Backlog b = repl.backlog;
        if (b == null) return 0;
        long keys = (b.blockCount() + 63) / 64;
        return replicationBufferMemory() - memClientsSlaves() + (1 + keys) * 4 + keys * 8;
    }

    // ---------------------------------------------------------------- cron

    /** Every cron tick: pending full syncs; once a second, Redis's replicationCron (master part). */
    private void cron() {
        // A replica keeps a backlog whether or not it has replicas, to serve PSYNC once promoted.
        if (server.roleReplica && repl.backlog == null && masterLinkUp.getAsBoolean()) createReplicationBacklog();
        replicationStartPendingFork();
        long now = server.clock.millis();
        if (now - lastReplCronMillis < 1000) return;
        lastReplCronMillis = now;
        long nowSec = now / 1000;
        Backlog b = repl.backlog;
        if (b != null) b.trim(); // repl-backlog-size may have shrunk
        // No PING while a FAILOVER with a timeout holds the pause: the target must match our offset.
        if (!replicas.isEmpty() && replCronLoops % Math.max(1, server.config.replPingReplicaPeriod) == 0 && b != null
                && (failover == null || !failover.suppressesPing())) {
            server.propagator.stream.feed(server.propagator.stream.selectedDb(), PING_ARGV, 1, Propagator.PROPAGATE_REPL);
            server.propagator.flushStream();
        }
        for (int i = 0; i < replicas.size(); i++) {
            ReplicaLink r = replicas.get(i);
            // Replicas waiting for their RDB get a newline a second so their timeout does not fire.
            boolean presync = r.state == ReplicaLink.WAIT_BGSAVE_START
                    || (r.state == ReplicaLink.WAIT_BGSAVE_END && r.sync != null && !r.sync.socket);
            if (presync) write(r, NEWLINE, true);
            if (r.state == ReplicaLink.ONLINE && !r.prePsync && nowSec - r.ackTimeSec > server.config.replTimeout) {
                server.log.warning("Disconnecting timedout replica (streaming sync): " + r.name());
                freeReplica(r);
                continue;
            }
            if (r.reader != null && b != null) checkOutputBufferLimits(r);
        }
        if (replicas.isEmpty() && server.config.replBacklogTtl > 0 && b != null && !server.roleReplica
                && nowSec - noReplicasSince > server.config.replBacklogTtl) {
            // Without a backlog the offset stops, so the old id could be reused for a different history.
            repl.changeReplicationId();
            repl.clearReplicationId2();
            freeReplicationBacklog();
            server.log.notice("Replication backlog freed after " + server.config.replBacklogTtl + " seconds without connected replicas.");
        }
        refreshGoodReplicasCount();
        replCronLoops++;
    }

    // ---------------------------------------------------------------- util

    private long nowSec() {
        return server.clock.millis() / 1000;
    }


    /** Checks the backlog's invariants and that every replica reader is inside it; an error or null (tests). */
    public String validate() {
        Backlog b = repl.backlog;
        if (b == null) return replicas.isEmpty() ? null : "replicas without a backlog";
        return b.validate();
    }
}
