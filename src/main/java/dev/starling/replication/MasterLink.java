package dev.starling.replication;

import dev.starling.command.Command;
import dev.starling.command.MultiCommands;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.persistence.QuietFiles;
import dev.starling.persistence.RdbFileLoader;
import dev.starling.persistence.RdbPersistence;
import dev.starling.persistence.RdbReportError;
import dev.starling.protocol.Errors;
import dev.starling.protocol.RequestParser;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;
import dev.starling.server.ClientInfo;
import dev.starling.server.Server;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static dev.starling.protocol.Resp.equalsAscii;

/**
 * The replica side of replication (Redis 7.0's replication.c, "SLAVE" half): REPLICAOF, this
 * server's link to its master (the handshake, the full-sync transfer, the master client that
 * applies the stream, partial resynchronization with a cached master, ACKs and timeouts), the
 * replica's ROLE and INFO, READONLY and MASTERDOWN. The primary side (serving replicas) is
 * separate; they share {@link Replication}'s ids and the {@link ReplicationStream}.
 *
 * <h2>States (Redis's REPL_STATE_*)</h2>
 * {@link State} is the link's state machine; {@link #setState} refuses any transition not listed
 * here, so a stray event (a late connect callback, a read on a replaced channel) cannot move it:
 * <pre>
 *   NONE -> CONNECT                          REPLICAOF host port, or replicaof in the config
 *   CONNECT -> CONNECTING                    the cron (or a reconnect) starts a connection
 *   CONNECTING -> RECEIVE_PING_REPLY         connected, PING sent
 *   RECEIVE_PING_REPLY -> SEND_HANDSHAKE -> RECEIVE_AUTH_REPLY -> RECEIVE_PORT_REPLY
 *     -> RECEIVE_IP_REPLY -> RECEIVE_CAPA_REPLY -> SEND_PSYNC -> RECEIVE_PSYNC_REPLY
 *   RECEIVE_PSYNC_REPLY -> TRANSFER          +FULLRESYNC (or SYNC after -ERR)
 *   RECEIVE_PSYNC_REPLY -> CONNECTED         +CONTINUE: partial resync
 *   TRANSFER -> CONNECTED                    the RDB is loaded
 *   any but NONE -> CONNECT                  error, timeout, lost link (reconnect)
 *   any -> NONE                              REPLICAOF NO ONE
 * </pre>
 *
 * <h2>The master client</h2>
 * Once synchronized, the connection belongs to a {@link Client} flagged {@link Client#MASTER}
 * (CLIENT LIST flags=M, CLIENT KILL TYPE master) whose bytes go through the normal
 * {@link RequestParser} and {@link Server#processCommand} with replies suppressed (except REPLCONF
 * GETACK, answered with REPLCONF ACK). {@link #reploff} advances over each command fully applied
 * (a MULTI ... EXEC only at EXEC), and exactly those bytes are relayed to this server's own
 * replicas with {@link ReplicationStream#appendRaw}, so a chained or promoted replica continues the
 * master's history byte for byte. Commands applied here still reach the AOF (the stream strips
 * their replica target while {@link ReplicationStream#proxying}).
 *
 * <h2>Cached master (PSYNC)</h2>
 * When a synchronized link drops, its replid, applied offset and database are kept (Redis's
 * replicationCacheMaster), and the next connection asks {@code PSYNC replid offset+1}; the master
 * answers +CONTINUE and resends only what was missed. A server that becomes a replica synthesizes
 * one from its own replid and offset (replicationCacheMasterUsingMyself).
 *
 * <h2>Loading (repl-diskless-load)</h2>
 * The executor only reads the link: payload bytes go through a {@link TransferQueue} to another
 * thread, and the link pauses while that thread is behind. With {@code disabled} (or
 * {@code on-empty-db} and keys present) a {@link TempFileWriter} writes the temp file, fsyncs and
 * renames it to dbfilename, and the file is loaded by {@link #loadTransferredRdb}. With
 * {@code on-empty-db} (no keys) and {@code swapdb} the loader parses the RDB from the queue
 * ({@link #startDisklessLoad}). Every load fills a fresh keyspace with the server's
 * {@link dev.starling.persistence.Loading} and swaps it in when complete: -LOADING meanwhile, except
 * swapdb from a master of our own history, which serves the old dataset (async_loading). The
 * stream that follows the payload waits until the dataset is in. A load that fails on a short
 * read (a cut link) is retried; a corrupt payload ends the process with 7.0's log lines and exit
 * status 1, from the file or the socket alike ({@link RdbReportError#replicaLoadFailed}).
 */
public final class MasterLink {
    /** Redis's REPL_STATE_*, in its order. */
    public enum State {
        NONE, CONNECT, CONNECTING, RECEIVE_PING_REPLY, SEND_HANDSHAKE, RECEIVE_AUTH_REPLY, RECEIVE_PORT_REPLY,
        RECEIVE_IP_REPLY, RECEIVE_CAPA_REPLY, SEND_PSYNC, RECEIVE_PSYNC_REPLY, TRANSFER, CONNECTED;

        /** Redis's slaveIsInHandshakeState. */
        boolean handshake() {
            return ordinal() >= RECEIVE_PING_REPLY.ordinal() && ordinal() <= RECEIVE_PSYNC_REPLY.ordinal();
        }
    }

    private static final int EOF_MARK_SIZE = 40;
    private static final byte[] REPLCONF = Resp.ascii("REPLCONF"), ACK = Resp.ascii("ACK"), NEWLINE = {'\n'};

    private final Server server;
    private final ReplicationStream stream;

    /** Redis's masterhost / masterport; null when this server is a master. */
    String masterHost;
    int masterPort;
    State state = State.NONE;
    /** The connection being set up (repl_transfer_s), then the master's; null when none. */
    private Channel link;
    /** Bytes of the handshake and the transfer's preamble not consumed yet. */
    private ByteBuf inbuf;

    // The master client (server.master) and its offsets.
    private Client master;
    /** Applied offset (Redis's master->reploff) and offset read (master->read_reploff). */
    long reploff, readReploff;
    /** Set while the master client's command runs: keys are not expired for it. */
    private boolean applyingMaster;
    /** Stream bytes received but not yet applied and relayed; parsing resumes at parseIdx. */
    private ByteBuf pending;
    private int parseIdx;
    /** Master connected through SYNC, not PSYNC (CLIENT_PRE_PSYNC): no offsets, no ACKs. */
    private boolean prePsync;

    /** The cached master (Redis's server.cached_master): what a PSYNC may continue from. */
    private String cachedReplid;
    private long cachedReploff = -1;
    private int cachedDb;
    private boolean hasCached;

    // The full sync in progress.
    private String masterReplid;
    private long masterInitialOffset = -1;
    private long transferSize = -1, transferRead;
    private long transferLastIoMillis;
    private boolean usemark, preambleDone;
    private final byte[] eofMark = new byte[EOF_MARK_SIZE], lastBytes = new byte[EOF_MARK_SIZE];
    /** The received RDB is loading (off the executor); for a disk load the link is not read meanwhile. */
    private boolean loadingRdb;
    /** The whole payload arrived: what follows is the stream, held until the RDB is in. */
    private boolean payloadDone;
    /** Stream bytes received after the payload, applied once the RDB is in. */
    private ByteBuf held;
    private Path tempFile;
    /** The payload on its way to the temp file's writer (disk load) or to the loader (diskless load). */
    private TransferQueue queue;
    private TempFileWriter writer;
    /** This transfer is parsed straight from the link (repl-diskless-load on-empty-db or swapdb), decided as it starts. */
    private boolean disklessLoad;
    /** ... into a keyspace beside the old one (swapdb), which stays if the load fails. */
    private boolean swapdb;
    /** Payload bytes handed to a diskless loader (a $len payload's bound). */
    private long pipedBytes;
    /** Last time a diskless loader's input arrived or it caught up: its repl-timeout (Redis's socket receive timeout). */
    private long pipeLastIoMillis;

    /** Redis's repl_down_since (unix seconds), 0 if the link was never down since it was set up. */
    private long downSinceSec;
    private long lastCronMillis;
    /** INFO stats total_net_repl_input_bytes. */
    long netReplInputBytes;
    private Command execCommand;
    private dev.starling.command.CommandHandler primaryRole;

    /**
     * Told where Redis disconnects this server's own replicas (disconnectSlaves) so that they
     * resync with it: after a full sync, when the stream starts a new history and offset (the
     * backlog must start over too: replicationAttachToNewMaster), on a +CONTINUE that changed the
     * replication ID, and on promotion. The primary side sets it.
     */
    public interface ReplicasListener {
        void disconnectReplicas(boolean newHistory);
    }

    public ReplicasListener replicasListener = newHistory -> {};
    /** The failover this server may be running as the old primary (set by {@link Failover#install}). */
    Failover failover;

    private MasterLink(Server server) {
        this.server = server;
        this.stream = server.propagator.stream;
    }

    /**
     * Binds REPLICAOF, SLAVEOF and ROLE, sets the READONLY and MASTERDOWN checks, wires replica
     * expiry, the cron and INFO, and starts following the master named by replicaof in the config,
     * if any.
     */
    public static MasterLink install(Server server) {
        MasterLink r = new MasterLink(server);
        server.replication.masterLink = r;
        server.commands.bind("replicaof", r::replicaofCommand);
        server.commands.bind("slaveof", r::replicaofCommand);
        // ROLE on a primary stays the primary side's (installed before this), if there is one.
        r.primaryRole = server.commands.find("role").handler;
        server.commands.bind("role", r::roleCommand);
        server.readOnlyCheck = r::checkReadOnly;
        server.masterDownCheck = r::checkStale;
        server.cronHooks.add(r::cron);
        server.infoFields.put("total_net_repl_input_bytes", () -> r.netReplInputBytes);
        server.keyspace.expireHook = new Keyspace.ExpireHook() {
            @Override
            public boolean mayDelete() {
                return r.masterHost == null;
            }

            @Override
            public boolean ignoreExpiry() {
                return r.applyingMaster;
            }
        };
        String conf = server.config.replicaof;
        if (!conf.isEmpty()) {
            int sp = conf.lastIndexOf(' ');
            r.setMasterAddress(conf.substring(0, sp), Integer.parseInt(conf.substring(sp + 1)));
            r.setState(State.CONNECT); // the cron connects, as Redis does at start
        }
        return r;
    }

    /**
     * The database the master's stream has selected, for rdbPopulateSaveInfo's repl-stream-db on a
     * replica: the master client's, else the cached master's, else -1 (no replication info).
     */
    int streamDbForRdb() {
        if (master != null) return master.db.id;
        return hasCached ? cachedDb : -1;
    }

    /** master_link_status:up (the primary side refuses SYNC with -NOMASTERLINK otherwise). */
    public boolean linkUp() {
        return state == State.CONNECTED;
    }

    /** True while this server follows a master (Redis's server.masterhost != NULL). */
    public boolean isReplica() {
        return masterHost != null;
    }

    public State state() {
        return state;
    }

    // ---------------------------------------------------------------- state machine

    private static boolean legal(State from, State to) {
        if (to == State.NONE || to == State.CONNECT) return true;
        return switch (from) {
            case CONNECT -> to == State.CONNECTING;
            case CONNECTING -> to == State.RECEIVE_PING_REPLY;
            case RECEIVE_PING_REPLY -> to == State.SEND_HANDSHAKE;
            case SEND_HANDSHAKE -> to == State.RECEIVE_AUTH_REPLY;
            case RECEIVE_AUTH_REPLY -> to == State.RECEIVE_PORT_REPLY;
            case RECEIVE_PORT_REPLY -> to == State.RECEIVE_IP_REPLY;
            case RECEIVE_IP_REPLY -> to == State.RECEIVE_CAPA_REPLY;
            case RECEIVE_CAPA_REPLY -> to == State.SEND_PSYNC;
            case SEND_PSYNC -> to == State.RECEIVE_PSYNC_REPLY;
            case RECEIVE_PSYNC_REPLY -> to == State.TRANSFER || to == State.CONNECTED;
            case TRANSFER -> to == State.CONNECTED;
            default -> false;
        };
    }

    /** Moves to next, refusing a transition the state machine does not list. */
    private void setState(State next) {
        if (!legal(state, next)) throw new IllegalStateException("replication state " + state + " -> " + next);
        state = next;
    }

    private long nowMillis() {
        return server.clock.millis();
    }

    private long unixtime() {
        return server.clock.millis() / 1000;
    }

    private void setMasterAddress(String host, int port) {
        masterHost = host;
        masterPort = port;
        server.config.replicaof = host + " " + port;
        server.roleReplica = true;
        server.log.setRole('S');
        stream.setProxying(true);
    }

    private void clearMasterAddress() {
        masterHost = null;
        server.config.replicaof = "";
        server.roleReplica = false;
        server.log.setRole('M');
        stream.setProxying(false);
    }

    // ---------------------------------------------------------------- REPLICAOF, ROLE

    /** REPLICAOF host port | NO ONE (Redis's replicaofCommand); SLAVEOF is the same. */
    void replicaofCommand(Client c) {
        if (server.config.clusterEnabled) {
            c.addReplyError(Errors.REPLICAOF_CLUSTER);
            return;
        }
        if (failover != null && failover.active()) {
            c.addReplyError(Errors.REPLICAOF_FAILING_OVER);
            return;
        }
        if (equalsAscii(c.argv[1], "no") && equalsAscii(c.argv[2], "one")) {
            if (masterHost != null) {
                unsetMaster();
                server.log.notice("MASTER MODE enabled (user request from '" + ClientInfo.describe(c) + "')");
            }
        } else {
            if (c.has(Client.REPLICA)) {
                c.addReplyError(Errors.REPLICAOF_FROM_REPLICA);
                return;
            }
            if (!c.getLongLong(c.argv[2], Errors.INVALID_MASTER_PORT)) return;
            long port = c.llval;
            if (port < 0 || port > 65535) {
                c.addReplyError(Errors.INVALID_MASTER_PORT);
                return;
            }
            String host = new String(c.argv[1], StandardCharsets.UTF_8);
            if (masterHost != null && masterHost.equalsIgnoreCase(host) && masterPort == port) {
                server.log.notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
                c.addReplyStatus("OK Already connected to specified master");
                return;
            }
            setMaster(host, (int) port);
            server.log.notice("REPLICAOF " + masterHost + ":" + masterPort + " enabled (user request from '" + ClientInfo.describe(c) + "')");
        }
        c.addReplyOk();
    }

    /** ROLE: ["slave", host, port, state, offset] here; ["master", offset, replicas] on a master. */
    void roleCommand(Client c) {
        if (masterHost == null && primaryRole != null) {
            primaryRole.execute(c);
            return;
        }
        if (masterHost == null) {
            c.addReplyArrayLen(3);
            c.addReplyBulkString("master");
            c.addReplyLongLong(server.replication.offset());
            c.addReplyArrayLen(0); // the replicas are listed by the primary side
            return;
        }
        c.addReplyArrayLen(5);
        c.addReplyBulkString("slave");
        c.addReplyBulkString(masterHost);
        c.addReplyLongLong(masterPort);
        c.addReplyBulkString(roleState());
        c.addReplyLongLong(master != null ? reploff : -1);
    }

    private String roleState() {
        if (state.handshake()) return "handshake";
        return switch (state) {
            case NONE -> "none";
            case CONNECT -> "connect";
            case CONNECTING -> "connecting";
            case TRANSFER -> "sync";
            case CONNECTED -> "connected";
            default -> "unknown";
        };
    }

    /**
     * Redis's replicationSetMaster: drops the current master or handshake, keeps (or, coming from
     * master mode, synthesizes) a cached master for PSYNC, and connects to host:port.
     */
    void setMaster(String host, int port) {
        boolean wasMaster = masterHost == null;
        masterHost = null; // so that freeing the master client does not reconnect
        if (master != null) masterLinkLost(true);
        disconnectAllBlockedClients();
        setMasterAddress(host, port);
        cancelReplicationHandshake(false);
        if (wasMaster) {
            discardCachedMaster();
            cacheMasterUsingMyself(0); // the new master's stream starts with a SELECT
        }
        setState(State.CONNECT);
        server.log.notice("Connecting to MASTER " + masterHost + ":" + masterPort);
        connectWithMaster();
    }

    /**
     * Redis's disconnectAllBlockedClients: a client blocked on keys of a master that becomes a
     * replica gets -UNBLOCKED and is closed (one merely postponed by CLIENT PAUSE stays).
     */
    private void disconnectAllBlockedClients() {
        for (Client c : new java.util.ArrayList<>(server.clients.values())) {
            if (!dev.starling.server.Blocking.isBlockedOnKeys(c)) continue;
            c.addReplyError(Errors.UNBLOCKED_ROLE_CHANGE);
            server.blocking.unblock(c);
            c.flags |= Client.CLOSE_AFTER_REPLY;
        }
    }

    /** Redis's replicationUnsetMaster: this server becomes a master, continuing the history under a new replid. */
    void unsetMaster() {
        if (masterHost == null) return;
        clearMasterAddress();
        if (master != null) masterLinkLost(true);
        discardCachedMaster();
        cancelReplicationHandshake(false);
        server.replication.shiftReplicationId();
        replicasListener.disconnectReplicas(false);
        setState(State.NONE);
        downSinceSec = 0;
    }

    // ---------------------------------------------------------------- connection and handshake

    /** Redis's connectWithMaster: starts a non-blocking connect on the executor's loop. */
    private void connectWithMaster() {
        if (server.isShuttingDown()) return;
        Bootstrap b = new Bootstrap()
                .group(server.eventLoop())
                .channel(server.transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0) // the cron times the connect out, after repl-timeout
                .handler(new LinkHandler());
        ChannelFuture f;
        try {
            f = b.connect(masterHost, masterPort);
        } catch (RuntimeException e) {
            server.log.warning("Unable to connect to MASTER: " + e.getMessage());
            return;
        }
        link = f.channel();
        transferLastIoMillis = nowMillis();
        setState(State.CONNECTING);
        server.log.notice("MASTER <-> REPLICA sync started");
        Channel ch = f.channel();
        f.addListener(fut -> {
            if (ch != link) return;
            if (!fut.isSuccess()) {
                server.log.warning("Error condition on socket for SYNC: " + errnoText(fut.cause()));
                closeLink();
                setState(State.CONNECT);
                return;
            }
            server.log.notice("Non blocking connect for SYNC fired the event.");
            sendCommand("PING");
            setState(State.RECEIVE_PING_REPLY);
        });
    }

    /** The strerror part of a connect failure ("Connection refused"). */
    static String errnoText(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int i = m.lastIndexOf("): "); // epoll: "finishConnect(..) failed with error(-111): Connection refused: /addr"
        if (i >= 0) m = m.substring(i + 3);
        i = m.indexOf(": ");
        return i >= 0 ? m.substring(0, i) : m;
    }
    private void sendCommand(String... args) {
        ByteBuf b = link.alloc().buffer();
        Resp.writeHeader(b, '*', args.length);
        for (String a : args) Resp.writeBulk(b, a.getBytes(StandardCharsets.UTF_8));
        link.writeAndFlush(b, link.voidPromise());
    }

    /** Netty's side of a link: every event is ignored once the link was replaced or dropped. */
    private final class LinkHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (ctx.channel() != link) {
                in.release();
                return;
            }
            try {
                onRead(in);
            } finally {
                in.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() != link) return;
            if (state == State.CONNECTED) {
                masterLinkLost(true);
            } else if (state == State.TRANSFER && loadingRdb && disklessLoad) {
                // The loader reads what arrived, then fails on the short read (or finishes), as Redis's rio does.
                queue.end();
            } else if (state == State.TRANSFER) {
                server.log.warning("I/O error trying to sync with MASTER: connection lost");
                cancelReplicationHandshake(true);
            } else {
                server.log.warning("Error condition on socket for SYNC: connection closed by master");
                closeLink();
                setState(State.CONNECT);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private void onRead(ByteBuf in) {
        long now = nowMillis();
        if (state == State.TRANSFER && preambleDone) {
            netReplInputBytes += in.readableBytes();
            if (disklessLoad) pipeLastIoMillis = now;
            else transferLastIoMillis = now;
            if (payloadDone) held.writeBytes(in); // a read already under way when reading was paused
            else if (disklessLoad) disklessData(in);
            else transferData(in);
            return;
        }
        transferLastIoMillis = now;
        if (state == State.CONNECTED) {
            netReplInputBytes += in.readableBytes();
            feedStream(in);
            return;
        }
        if (inbuf == null) inbuf = Unpooled.buffer(256);
        inbuf.writeBytes(in);
        driveHandshake();
    }

    /** A reply line (Redis's connSyncReadLine: up to '\n', '\r' stripped), or null until one is complete. */
    private String readLine() {
        int nl = inbuf.indexOf(inbuf.readerIndex(), inbuf.writerIndex(), (byte) '\n');
        if (nl < 0) return null;
        int len = nl - inbuf.readerIndex();
        if (len > 0 && inbuf.getByte(nl - 1) == '\r') len--;
        String s = inbuf.toString(inbuf.readerIndex(), len, StandardCharsets.ISO_8859_1);
        inbuf.readerIndex(nl + 1);
        return s;
    }

    /** Redis's syncWithMaster from the PING reply on: one step per reply line. */
    private void driveHandshake() {
        for (;;) {
            switch (state) {
                case RECEIVE_PING_REPLY -> {
                    String r = readLine();
                    if (r == null) return;
                    if (!r.startsWith("+") && !r.startsWith("-NOAUTH") && !r.startsWith("-NOPERM")
                            && !r.startsWith("-ERR operation not permitted")) {
                        server.log.warning("Error reply to PING from master: '" + r + "'");
                        handshakeError();
                        return;
                    }
                    server.log.notice("Master replied to PING, replication can continue...");
                    setState(State.SEND_HANDSHAKE);
                    sendHandshake();
                    setState(State.RECEIVE_AUTH_REPLY);
                }
                case RECEIVE_AUTH_REPLY -> {
                    if (!server.config.masterauth.isEmpty()) {
                        String r = readLine();
                        if (r == null) return;
                        if (r.startsWith("-")) {
                            server.log.warning("Unable to AUTH to MASTER: " + r);
                            handshakeError();
                            return;
                        }
                    }
                    setState(State.RECEIVE_PORT_REPLY);
                }
                case RECEIVE_PORT_REPLY -> {
                    if (!replconfReply("listening-port")) return;
                    setState(State.RECEIVE_IP_REPLY);
                }
                case RECEIVE_IP_REPLY -> {
                    if (!announceIp().isEmpty() && !replconfReply("ip-address")) return;
                    setState(State.RECEIVE_CAPA_REPLY);
                }
                case RECEIVE_CAPA_REPLY -> {
                    if (!replconfReply("capa")) return;
                    setState(State.SEND_PSYNC);
                    sendPsync();
                    setState(State.RECEIVE_PSYNC_REPLY);
                }
                case RECEIVE_PSYNC_REPLY -> {
                    String r = readLine();
                    if (r == null) return;
                    if (r.isEmpty()) continue; // newlines keep the link alive until the master replies
                    if (!psyncReply(r)) return;
                }
                case TRANSFER -> {
                    if (!preambleDone) {
                        if (!transferPreamble()) return;
                        continue;
                    }
                    handOffInbuf();
                    return;
                }
                case CONNECTED -> {
                    handOffInbuf();
                    return;
                }
                default -> {
                    return;
                }
            }
        }
    }

    /** A REPLCONF reply, an error only logged (Redis's "(Non critical)" lines). Returns false until the line is complete. */
    private boolean replconfReply(String option) {
        String r = readLine();
        if (r == null) return false;
        if (r.startsWith("-")) server.log.notice("(Non critical) Master does not understand REPLCONF " + option + ": " + r);
        return true;
    }

    /** What followed the last reply line goes to the payload (TRANSFER) or the stream (CONNECTED), as later reads do. */
    private void handOffInbuf() {
        ByteBuf rest = inbuf;
        inbuf = null;
        try {
            if (rest.isReadable()) onRead(rest);
        } finally {
            rest.release();
        }
    }

    private String announceIp() {
        String ip = server.config.get("replica-announce-ip");
        return ip == null ? "" : ip;
    }

    /** AUTH, REPLCONF listening-port, REPLCONF ip-address, REPLCONF capa: sent together, answered in order. */
    private void sendHandshake() {
        String auth = server.config.masterauth, user = server.config.masteruser;
        if (!auth.isEmpty()) {
            if (user.isEmpty()) sendCommand("AUTH", auth);
            else sendCommand("AUTH", user, auth);
        }
        String announcePort = server.config.get("replica-announce-port");
        int port = announcePort == null || announcePort.equals("0") ? server.port() : Integer.parseInt(announcePort);
        sendCommand("REPLCONF", "listening-port", Integer.toString(port));
        String ip = announceIp();
        if (!ip.isEmpty()) sendCommand("REPLCONF", "ip-address", ip);
        sendCommand("REPLCONF", "capa", "eof", "capa", "psync2");
    }

    /** Redis's slaveTryPartialResynchronization, first half: PSYNC with the cached master, or PSYNC ? -1. */
    private void sendPsync() {
        masterInitialOffset = -1;
        if (hasCached) {
            String off = Long.toString(cachedReploff + 1);
            server.log.notice("Trying a partial resynchronization (request " + cachedReplid + ":" + off + ").");
            // The old primary of a FAILOVER asks its target to take over (Redis's syncWithMaster).
            if (failover != null && failover.inProgress()) sendCommand("PSYNC", cachedReplid, off, "FAILOVER");
            else sendCommand("PSYNC", cachedReplid, off);
        } else {
            server.log.notice("Partial resynchronization not possible (no cached master)");
            sendCommand("PSYNC", "?", "-1");
        }
    }

    /**
     * Redis's slaveTryPartialResynchronization, second half, and what syncWithMaster does with the
     * result. Returns false if the handshake ended here (error, or waiting for nothing more).
     */
    private boolean psyncReply(String r) {
        if (r.startsWith("+FULLRESYNC")) {
            String[] parts = r.split(" ");
            if (parts.length < 3 || parts[1].length() != 40) {
                server.log.warning("Master replied with wrong +FULLRESYNC syntax.");
                masterReplid = "0000000000000000000000000000000000000000";
            } else {
                masterReplid = parts[1];
                masterInitialOffset = strtoll(parts[2]);
                server.log.notice("Full resync from master: " + masterReplid + ":" + masterInitialOffset);
            }
            // A full resync is no reason to fail a FAILOVER either (Redis: "edge cases").
            if (failover != null && failover.inProgress()) failover.clearFailoverState();
            return startTransfer();
        }
        if (r.startsWith("+CONTINUE")) {
            server.log.notice("Successful partial resynchronization with master.");
            String id = r.length() >= 10 ? r.substring(10).trim() : "";
            if (id.length() == 40 && !id.equals(cachedReplid)) {
                server.log.warning("Master replication ID changed to " + id);
                Replication repl = server.replication;
                repl.replid2 = cachedReplid;
                repl.secondReplOffset = repl.offset() + 1;
                repl.replid = id;
                cachedReplid = id;
                replicasListener.disconnectReplicas(false);
            }
            resurrectCachedMaster();
            if (failover != null && failover.inProgress()) failover.clearFailoverState();
            server.log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            return true;
        }
        if (r.startsWith("-NOMASTERLINK") || r.startsWith("-LOADING")) {
            server.log.notice("Master is currently unable to PSYNC but should be in the future: " + r);
            if (failover != null && failover.inProgress()) {
                failover.abortFailover("Failover target rejected psync request");
                return false;
            }
            handshakeError();
            return false;
        }
        if (!r.startsWith("-ERR")) server.log.warning("Unexpected reply to PSYNC from master: " + r);
        else server.log.notice("Master does not support PSYNC or is in error state (reply: " + r + ")");
        discardCachedMaster();
        if (failover != null && failover.inProgress()) {
            failover.abortFailover("Failover target rejected psync request");
            return false;
        }
        server.log.notice("Retrying with SYNC...");
        link.writeAndFlush(Unpooled.wrappedBuffer(Resp.ascii("SYNC\r\n")), link.voidPromise());
        return startTransfer();
    }

    /** Redis's syncWithMaster "error:" path: close, remove the temp file, wait for the cron to retry. */
    private void handshakeError() {
        closeLink();
        abortTransferFile();
        setState(State.CONNECT);
    }

    private void closeLink() {
        Channel ch = link;
        link = null;
        if (ch != null) ch.close();
        if (inbuf != null) {
            inbuf.release();
            inbuf = null;
        }
    }

    /**
     * Redis's cancelReplicationHandshake: aborts a connection attempt or transfer in progress.
     * Returns false if there was none. With reconnect, connects again at once.
     */
    private boolean cancelReplicationHandshake(boolean reconnect) {
        if (state == State.TRANSFER) {
            closeLink();
            abortTransferFile();
            setState(State.CONNECT);
            if (loadingRdb) server.loading.cancel(); // its done callback finds the link gone
        } else if (state == State.CONNECTING || state.handshake()) {
            closeLink();
            setState(State.CONNECT);
        } else {
            return false;
        }
        if (!reconnect || masterHost == null) return true;
        server.log.notice("Reconnecting to MASTER " + masterHost + ":" + masterPort + " after failure");
        connectWithMaster();
        return true;
    }

    // ---------------------------------------------------------------- full sync transfer

    /** Redis's useDisklessLoad: swapdb, or on-empty-db while no database holds a key. */
    private boolean useDisklessLoad() {
        String mode = server.config.get("repl-diskless-load");
        return "swapdb".equals(mode) || ("on-empty-db".equals(mode) && server.keyspace.totalKeys() == 0);
    }

    /**
     * Decides how the payload is loaded (once, as Redis's syncWithMaster does), opens the temp file
     * and its writer for a disk load, and waits for the payload.
     */
    private boolean startTransfer() {
        disklessLoad = useDisklessLoad();
        swapdb = disklessLoad && "swapdb".equals(server.config.get("repl-diskless-load"));
        if (!disklessLoad && !openTransferFile()) return false;
        transferSize = -1;
        transferRead = pipedBytes = 0;
        usemark = false;
        preambleDone = payloadDone = false;
        Arrays.fill(lastBytes, (byte) 0);
        transferLastIoMillis = nowMillis();
        setState(State.TRANSFER);
        return true;
    }

    /** The temp file (Redis's temp-<unixtime>.<pid>.rdb in dir, created here) and the thread that writes it. */
    private boolean openTransferFile() {
        Path dir = Path.of(server.config.dir);
        FileChannel fd;
        for (int attempt = 0; ; attempt++) {
            tempFile = dir.resolve("temp-" + unixtime() + "." + ProcessHandle.current().pid() + ".rdb");
            try {
                fd = FileChannel.open(tempFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                break;
            } catch (IOException e) {
                if (attempt < 4 && e instanceof java.nio.file.FileAlreadyExistsException) continue;
                server.log.warning("Opening the temp file needed for MASTER <-> REPLICA synchronization: " + e.getMessage());
                tempFile = null;
                handshakeError();
                return false;
            }
        }
        queue = newTransferQueue();
        writer = new TempFileWriter(queue, fd, tempFile);
        Thread t = new Thread(writer, "replica-transfer-writer");
        t.setDaemon(true);
        t.start();
        return true;
    }

    private TransferQueue newTransferQueue() {
        Channel ch = link;
        return new TransferQueue(() -> server.execute(() -> transferDrained(ch)));
    }

    /** The consumer caught up: read the link again (its silence meanwhile was ours, not the master's). */
    private void transferDrained(Channel ch) {
        if (ch != link || state != State.TRANSFER || payloadDone) return;
        transferLastIoMillis = pipeLastIoMillis = nowMillis();
        ch.config().setAutoRead(true);
    }

    /** The "$len" or "$EOF:mark" line, after any keepalive newlines. Returns false to wait for more. */
    private boolean transferPreamble() {
        String line = readLine();
        if (line == null) return false;
        if (line.startsWith("-")) {
            server.log.warning("MASTER aborted replication with an error: " + line.substring(1));
            cancelReplicationHandshake(true);
            return false;
        }
        if (line.isEmpty()) return true; // keepalive newline while the master prepares the RDB
        if (line.charAt(0) != '$') {
            server.log.warning("Bad protocol from MASTER, the first byte is not '$' (we received '" + line
                    + "'), are you sure the host and port are right?");
            cancelReplicationHandshake(true);
            return false;
        }
        String to = disklessLoad ? "to parser" : "to disk";
        if (line.startsWith("$EOF:") && line.length() >= 5 + EOF_MARK_SIZE) {
            usemark = true;
            System.arraycopy(line.getBytes(StandardCharsets.ISO_8859_1), 5, eofMark, 0, EOF_MARK_SIZE);
            transferSize = 0;
            server.log.notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF " + to);
        } else {
            transferSize = strtoll(line.substring(1));
            server.log.notice("MASTER <-> REPLICA sync: receiving " + transferSize + " bytes from master " + to);
        }
        preambleDone = true;
        if (disklessLoad) startDisklessLoad();
        return true;
    }

    /** Payload bytes (disk load) to the temp file's writer; at the end of the payload, the file is finished off the executor. */
    private void transferData(ByteBuf in) {
        int n = in.readableBytes();
        if (!usemark) n = (int) Math.min(n, transferSize - transferRead);
        if (n > 0) {
            if (usemark) trackLastBytes(in, n);
            transferRead += n;
            if (queue.offer(in, n)) link.config().setAutoRead(false);
        }
        boolean eof = usemark ? transferRead >= EOF_MARK_SIZE && Arrays.equals(lastBytes, eofMark) : transferRead == transferSize;
        if (!eof) return;
        holdRest(in);
        writer.finish(usemark ? transferRead - EOF_MARK_SIZE : transferRead, Path.of(server.config.dir).resolve(server.config.dbfilename));
    }

    /** The payload is complete: the link is not read until the RDB is in; what already followed it waits in held. */
    private void holdRest(ByteBuf rest) {
        payloadDone = true;
        held = Unpooled.buffer(Math.max(256, rest.readableBytes()));
        held.writeBytes(rest);
        link.config().setAutoRead(false);
    }

    private void trackLastBytes(ByteBuf in, int n) {
        int r = in.readerIndex();
        if (n >= EOF_MARK_SIZE) {
            in.getBytes(r + n - EOF_MARK_SIZE, lastBytes);
        } else {
            System.arraycopy(lastBytes, n, lastBytes, 0, EOF_MARK_SIZE - n);
            in.getBytes(r, lastBytes, EOF_MARK_SIZE - n, n);
        }
    }

    /**
     * Drops the transfer in progress: its writer or loader stops at its next read; the temp file is
     * unlinked here, at once (as Redis's bg_unlink), so a reconnect in the same second can reuse its name.
     */
    private void abortTransferFile() {
        if (queue != null) {
            queue.abort();
            queue = null;
        }
        writer = null;
        if (tempFile != null) {
            QuietFiles.deleteQuietly(tempFile);
            tempFile = null;
        }
        if (held != null) {
            held.release();
            held = null;
        }
    }

    /**
     * Writes a disk load's payload to its temp file off the executor (Redis's write() per read and
     * rdb_fsync_range every 8 MB), then truncates it to the payload, fsyncs it, renames it over
     * dbfilename and fsyncs the directory; tells {@link #tempFileDone} on the executor. The executor
     * deletes the file of a failed or aborted transfer; an aborted one's writer tells nobody.
     */
    private final class TempFileWriter implements Runnable {
        static final long FSYNC_EVERY = 8L << 20; // REPL_MAX_WRITTEN_BEFORE_FSYNC
        final TransferQueue q;
        final FileChannel fd;
        final Path tmp;
        private volatile long payloadLen;
        volatile Path target;

        TempFileWriter(TransferQueue q, FileChannel fd, Path tmp) {
            this.q = q;
            this.fd = fd;
            this.tmp = tmp;
        }

        /** Executor: the payload is complete at len bytes; the file goes to target once written. */
        void finish(long len, Path target) {
            this.payloadLen = len;
            this.target = target;
            q.end();
        }

        @Override
        public void run() {
            String err = null;
            boolean aborted = false;
            long pos = 0, synced = 0;
            try {
                for (;;) {
                    byte[] b = q.take();
                    if (b == null) break;
                    try {
                        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
                        while (bb.hasRemaining()) pos += fd.write(bb, pos);
                        if (pos - synced >= FSYNC_EVERY) {
                            fd.force(false);
                            synced = pos;
                        }
                    } catch (IOException e) {
                        err = "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: "
                                + RdbPersistence.ioReason(e);
                        break;
                    }
                }
                if (err == null) err = complete();
            } catch (IOException abortedByLink) {
                aborted = true;
            } finally {
                QuietFiles.closeQuietly(fd);
            }
            if (aborted || q.aborted()) return;
            String e = err;
            server.execute(() -> tempFileDone(this, e));
        }

        /** readSyncBulkPayload's end of a disk transfer; returns Redis's log line if a step fails. */
        private String complete() {
            String name = server.config.dbfilename;
            try {
                fd.truncate(payloadLen);
            } catch (IOException e) {
                return "Error truncating the RDB file received from the master for SYNC: " + RdbPersistence.ioReason(e);
            }
            try {
                fd.force(true);
            } catch (IOException e) {
                return "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: " + RdbPersistence.ioReason(e);
            }
            try {
                fd.close();
                // Under the queue's lock: an abort (after which the executor unlinks tmp and a new
                // transfer may reuse its name) either happens before the rename, or finds it done.
                synchronized (q) {
                    if (q.aborted()) return "aborted";
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                return "Failed trying to rename the temp DB into " + name + " in MASTER <-> REPLICA synchronization: " + RdbPersistence.ioReason(e);
            }
            Path dir = target.toAbsolutePath().getParent();
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                return "Failed trying to sync DB directory " + name + " in MASTER <-> REPLICA synchronization: " + RdbPersistence.ioReason(e);
            }
            return null;
        }
    }

    /** On the executor: the temp file is written and renamed (err null), or Redis's error line for why not. */
    private void tempFileDone(TempFileWriter w, String err) {
        if (w != writer || state != State.TRANSFER) return;
        if (err != null) {
            server.log.warning(err);
            cancelReplicationHandshake(true); // deletes the temp file
            return;
        }
        writer = null;
        queue = null;
        tempFile = null; // renamed
        if (server.rdb.bgsaveInProgress()) {
            server.log.notice("Replica is about to load the RDB file received from the master, but there is a pending RDB child running. "
                    + "Killing process " + ProcessHandle.current().pid() + " and removing its temp file to avoid any race");
            server.rdb.killRdbChild();
        }
        attachToNewMaster();
        server.log.notice("MASTER <-> REPLICA sync: Flushing old data");
        emptyData();
        server.log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
        loadTransferredRdb(w.target);
    }

    /** Redis's replicationAttachToNewMaster: the cached master goes and our own replicas must resync with us. */
    private void attachToNewMaster() {
        if (hasCached) discardCachedMaster();
        replicasListener.disconnectReplicas(true);
    }

    /**
     * Loads the RDB a full sync received (rdbLoad with RDBFLAGS_REPLICATION) off the executor into
     * a fresh keyspace swapped in at the end ({@link dev.starling.persistence.Loading}: clients get
     * -LOADING meanwhile, INFO shows loading:1 with master_sync_in_progress:1), then
     * {@link #fullSyncLoaded}.
     */
    private void loadTransferredRdb(Path file) {
        RdbFileLoader l = new RdbFileLoader(server);
        Channel ch = link;
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            size = 0;
        }
        loadingRdb = true;
        server.loading.start("replica-rdb-load", size, (fresh, progress) -> {
            if (!l.load(file, fresh, progress)) throw new java.nio.file.NoSuchFileException(file.toString());
        }, err -> fullSyncLoaded(ch, l, err));
    }

    /**
     * The end of readSyncBulkPayload for a disk load, once the RDB is loaded (err null) or failed.
     * Ignored if the link went meanwhile. As 7.0's rdbLoad of the file, a corrupt or short file ends
     * the process; a header it cannot read (signature, version) or an I/O error retries the sync.
     */
    private void fullSyncLoaded(Channel ch, RdbFileLoader l, Throwable err) {
        loadingRdb = false;
        ByteBuf after = held;
        held = null;
        if (ch != link || state != State.TRANSFER) {
            if (after != null) after.release();
            return;
        }
        if (err != null) {
            if (after != null) after.release();
            if (err instanceof dev.starling.persistence.Loading.Cancelled) { // shutting down
                cancelReplicationHandshake(false);
                return;
            }
            String why = err.toString();
            if (err instanceof RdbFileLoader.LoadError e) {
                if (RdbReportError.replicaLoadFailed(server.log, e, false, loadingInterval())) terminate();
                why = RdbReportError.errnoText(e);
            }
            server.log.warning("Failed trying to load the MASTER synchronization DB from disk: " + why);
            cancelReplicationHandshake(true);
            return;
        }
        syncFinished(ch, l.replStreamDb(), after);
    }

    // ---------------------------------------------------------------- diskless load (on-empty-db, swapdb)

    /**
     * readSyncBulkPayload's diskless half: the RDB is parsed straight from the transfer, off the
     * executor, by the loader reading a {@link TransferQueue} the link fills, into a fresh keyspace.
     * on-empty-db flushes first (the dataset is empty anyway) and serves -LOADING. swapdb keeps the
     * old dataset until the new one is complete and swaps then, so a failed transfer leaves it as it
     * was; when the master continues our own history (its replid is ours) the load is async: the
     * old dataset is served meanwhile (INFO async_loading:1), as Redis 7.0 does.
     */
    private void startDisklessLoad() {
        if (server.rdb.bgsaveInProgress()) server.rdb.killRdbChild();
        if (!swapdb) {
            attachToNewMaster();
            server.log.notice("MASTER <-> REPLICA sync: Flushing old data");
            emptyData();
        }
        server.log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
        boolean async = swapdb && server.replication.replid.equals(masterReplid);
        Channel ch = link;
        TransferQueue q = newTransferQueue();
        queue = q;
        RdbFileLoader l = new RdbFileLoader(server);
        byte[] mark = usemark ? eofMark.clone() : null;
        pipeLastIoMillis = nowMillis();
        loadingRdb = true;
        server.loading.start("replica-rdb-load", transferSize, async,
                (fresh, progress) -> l.load(q, fresh, progress, mark), err -> disklessLoaded(ch, q, l, err));
    }

    /**
     * Payload bytes of a diskless load to the loader. A $len payload ends at its length (the rest is
     * the stream, held); a $EOF: one ends where the loader finds the mark after the RDB. As in
     * Redis, master_sync_read_bytes stays 0 and the transfer's last-I/O time is not refreshed.
     */
    private void disklessData(ByteBuf in) {
        int n = in.readableBytes();
        if (!usemark) n = (int) Math.min(n, transferSize - pipedBytes);
        if (n > 0) {
            pipedBytes += n;
            if (queue.offer(in, n)) link.config().setAutoRead(false);
        }
        if (!usemark && pipedBytes == transferSize) {
            queue.end();
            holdRest(in);
        }
    }

    /**
     * On the executor: the diskless load finished (err null: the new dataset is in) or failed: a
     * short read retries the sync, a corrupt payload ends the process ({@link #logSocketLoadFailure}).
     */
    private void disklessLoaded(Channel ch, TransferQueue q, RdbFileLoader l, Throwable err) {
        loadingRdb = false;
        if (q != queue || ch != link || state != State.TRANSFER) return; // cancelled: abortTransferFile cleaned up
        queue = null;
        ByteBuf after = held;
        held = null;
        if (err != null) {
            if (after != null) after.release();
            if (err instanceof dev.starling.persistence.Loading.Cancelled) { // shutting down
                cancelReplicationHandshake(false);
                return;
            }
            logSocketLoadFailure(l, err);
            cancelReplicationHandshake(true);
            if (swapdb) server.log.notice("MASTER <-> REPLICA sync: Discarding temporary DB in background");
            return;
        }
        if (swapdb) { // Loading swapped the databases in as it finished
            attachToNewMaster();
            server.log.notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
            server.log.notice("MASTER <-> REPLICA sync: Discarding old DB in background");
        }
        server.dirty++; // no save happened, unlike a disk load
        // After a $EOF: payload the stream starts right after the mark (what the loader read ahead,
        // then what it never read); inside a $len payload, bytes after the RDB are dropped as Redis does.
        ByteBuf rest = q.drain();
        if (usemark) {
            ByteBuf all = Unpooled.buffer(l.leftover.length + rest.readableBytes() + (after != null ? after.readableBytes() : 0));
            all.writeBytes(l.leftover);
            all.writeBytes(rest);
            if (after != null) {
                all.writeBytes(after);
                after.release();
            }
            after = all;
        }
        rest.release();
        syncFinished(ch, l.replStreamDb(), after);
    }

    /**
     * Redis's log lines for an RDB that could not be loaded from the socket (rdbReportError,
     * readSyncBulkPayload). A corrupt payload ends the process, as 7.0's exit(1); the new dataset
     * was never swapped in, so nothing of it was served.
     */
    private void logSocketLoadFailure(RdbFileLoader l, Throwable err) {
        if (l.eofMarkBroken) {
            server.log.warning("Replication stream EOF marker is broken");
            return;
        }
        String why = err.toString();
        if (err instanceof RdbFileLoader.LoadError e) {
            if (RdbReportError.replicaLoadFailed(server.log, e, true, loadingInterval())) terminate();
            why = RdbReportError.errnoText(e);
        }
        server.log.warning("Failed trying to load the MASTER synchronization DB from socket: " + why);
    }

    private long loadingInterval() {
        return server.config.getLong("loading-process-events-interval-bytes");
    }

    /**
     * rdbReportError's exit(1) (the way DEBUG LOADAOF's failure ends the process): no shutdown, no
     * save; the log lines are already written (the log writes synchronously).
     */
    private static void terminate() {
        Runtime.getRuntime().halt(1);
    }

    /**
     * The end of readSyncBulkPayload once the dataset is in: the link becomes the master client at
     * the master's offset and id, and what followed the payload is applied.
     */
    private void syncFinished(Channel ch, long replStreamDb, ByteBuf after) {
        prePsync = masterInitialOffset == -1;
        createMasterClient((int) replStreamDb, masterInitialOffset);
        setState(State.CONNECTED);
        downSinceSec = 0;
        Replication repl = server.replication;
        repl.replid = masterReplid != null ? masterReplid : repl.replid;
        stream.resetOffset(masterInitialOffset);
        repl.clearReplicationId2();
        server.log.notice("MASTER <-> REPLICA sync: Finished with success");
        if (usemark) sendAck(); // a diskless master streams only once it has our first ACK
        if (after != null) {
            try {
                feedStream(after);
            } finally {
                after.release();
            }
        }
        if (ch != link) return;
        ch.config().setAutoRead(true);
        // The link went while a diskless load finished reading: the master client notices, as in Redis.
        if (!ch.isActive() && master != null) masterLinkLost(true);
    }

    /** Redis's emptyData for a full sync: every database, WATCH invalidated. */
    private void emptyData() {
        for (Db db : server.keyspace.dbs) {
            db.ks.listener.dbFlushing(db);
            db.clear();
        }
    }

    // ---------------------------------------------------------------- the master client

    /** Redis's replicationCreateMasterClient: the link becomes the master client at offset off. */
    private void createMasterClient(int dbid, long off) {
        master = server.createLinkClient(link, Client.MASTER);
        if (dbid >= 0) master.select(dbid);
        reploff = readReploff = off;
        pending = Unpooled.buffer(1024);
        parseIdx = 0;
    }

    /**
     * Applies the master's stream (Redis's processInputBuffer for the master client and
     * replicationFeedStreamFromMasterStream): every complete command runs through the normal
     * dispatcher; the bytes of commands fully applied advance reploff and are relayed as they are.
     */
    private void feedStream(ByteBuf in) {
        Client c = master;
        c.lastInteractionMillis = nowMillis();
        readReploff += in.readableBytes();
        ByteBuf view = pending;
        view.writeBytes(in);
        // Parsed in place (readerIndex at the parse position, put back below): a duplicate() would
        // route every byte the parser reads through a derived buffer, the apply path's largest cost.
        view.readerIndex(parseIdx);
        RequestParser p = c.parser;
        int applied = 0;
        while (view.isReadable()) {
            if (c.has(Client.CLOSE_ASAP) || master != c) break;
            int r = p.parse(view, false, server.config.protoMaxBulkLen);
            if (r == RequestParser.NEED_MORE) break;
            if (r == RequestParser.PROTOCOL_ERROR) {
                server.log.warning("Protocol error (" + p.errorReason + ") from client: " + ClientInfo.describe(c));
                p.reset();
                masterLinkLost(false);
                return;
            }
            if (r == RequestParser.COMMAND_READY) {
                c.argv = p.argv;
                c.argc = p.argc;
                if (isGetack(c)) {
                    sendAck();
                } else {
                    applyingMaster = true;
                    try {
                        server.processCommand(c);
                    } finally {
                        applyingMaster = false;
                    }
                    c.commandProcessed();
                }
                c.argv = null;
                c.argc = 0;
            }
            p.reset();
            if (!c.has(Client.MULTI)) applied = view.readerIndex();
        }
        if (master != c || pending != view) return; // the link went away while applying (pending released)
        parseIdx = view.readerIndex();
        view.readerIndex(0);
        if (applied > 0) {
            stream.appendRaw(view.slice(0, applied));
            reploff += applied;
            view.readerIndex(applied);
            view.discardReadBytes();
            parseIdx -= applied;
        }
    }

    private static boolean isGetack(Client c) {
        return c.argc >= 2 && equalsAscii(c.argv[0], "replconf") && equalsAscii(c.argv[1], "getack");
    }

    /** Redis's replicationSendAck: REPLCONF ACK with the applied offset (also REPLCONF GETACK's effect). */
    public void sendAck() {
        if (master == null || link == null) return;
        ByteBuf b = link.alloc().buffer(64);
        Resp.writeHeader(b, '*', 3);
        Resp.writeBulk(b, REPLCONF);
        Resp.writeBulk(b, ACK);
        Resp.writeBulk(b, Long.toString(reploff).getBytes(StandardCharsets.US_ASCII));
        link.writeAndFlush(b, link.voidPromise());
    }

    /**
     * The synchronized link is gone (freeClient of the master): with cache, its state is kept for
     * PSYNC (Redis's replicationCacheMaster) and, while still a replica, the link reconnects at once
     * (replicationHandleMasterDisconnection).
     */
    private void masterLinkLost(boolean cache) {
        Client c = master;
        server.log.warning("Connection with master lost.");
        if (cache && !prePsync) {
            server.log.notice("Caching the disconnected master state.");
            cachedReplid = server.replication.replid;
            cachedReploff = reploff;
            cachedDb = c.db.id;
            hasCached = true;
        }
        master = null;
        c.parser.reset();
        server.freeClient(c); // discards a transaction the master left open
        closeLink();
        if (pending != null) {
            pending.release();
            pending = null;
        }
        setState(State.CONNECT);
        downSinceSec = unixtime();
        if (masterHost != null) {
            server.log.notice("Reconnecting to MASTER " + masterHost + ":" + masterPort);
            connectWithMaster();
        }
    }

    /** Redis's replicationResurrectCachedMaster: +CONTINUE; the link becomes the master client again. */
    private void resurrectCachedMaster() {
        prePsync = false;
        createMasterClient(cachedDb, cachedReploff);
        hasCached = false;
        setState(State.CONNECTED);
        downSinceSec = 0;
    }

    private void discardCachedMaster() {
        if (!hasCached) return;
        server.log.notice("Discarding previously cached master state.");
        hasCached = false;
        cachedReplid = null;
        cachedReploff = -1;
    }

    /** Redis's replicationCacheMasterUsingMyself: PSYNC the new master with our own history. */
    void cacheMasterUsingMyself(int db) {
        server.log.notice("Before turning into a replica, using my own master parameters to synthesize a cached master: "
                + "I may be able to synchronize with the new master with just a partial transfer.");
        cachedReplid = server.replication.replid;
        cachedReploff = server.replication.offset();
        cachedDb = db;
        hasCached = true;
    }

    // ---------------------------------------------------------------- cron

    /** Redis's replicationCron, replica half: timeouts, (re)connection, ACKs; once per second. */
    void cron() {
        long now = nowMillis();
        if (now - lastCronMillis < 1000) return;
        lastCronMillis = now;
        // Not while the start-up load runs (Redis's cron does not run during it either).
        if (masterHost == null || (server.loading.inProgress() && !loadingRdb)) return;
        long timeoutMs = server.config.replTimeout * 1000L;
        // Redis's replicationSendNewlineToMaster while loading: a long load must not look like a dead replica.
        if (state == State.TRANSFER && loadingRdb && link != null) link.writeAndFlush(Unpooled.wrappedBuffer(NEWLINE), link.voidPromise());
        if ((state == State.CONNECTING || state.handshake()) && now - transferLastIoMillis > timeoutMs) {
            server.log.warning("Timeout connecting to the MASTER...");
            cancelReplicationHandshake(true);
        }
        if (state == State.TRANSFER && loadingRdb && disklessLoad && queue.starving() && now - pipeLastIoMillis > timeoutMs) {
            queue.end(); // the loader's read times out (Redis's connRecvTimeout of repl-timeout)
        }
        // A paused link waits for our disk, not for the master.
        if (state == State.TRANSFER && !loadingRdb && (queue == null || !queue.paused()) && now - transferLastIoMillis > timeoutMs) {
            server.log.warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the "
                    + "'repl-timeout' parameter in redis.conf to a larger value.");
            cancelReplicationHandshake(true);
        }
        if (state == State.CONNECTED && master != null && now - master.lastInteractionMillis > timeoutMs) {
            server.log.warning("MASTER timeout: no data nor PING received...");
            masterLinkLost(true);
        }
        if (state == State.CONNECT) {
            server.log.notice("Connecting to MASTER " + masterHost + ":" + masterPort);
            connectWithMaster();
        }
        if (master != null && !prePsync) sendAck();
    }

    // ---------------------------------------------------------------- command checks

    private boolean isExec(Command cmd) {
        Command e = execCommand;
        if (e == null) execCommand = e = server.commands.find("exec");
        return cmd == e;
    }

    /** processCommand's read-only replica check: writes only from the master. */
    String checkReadOnly(Client c, Command cmd) {
        if (masterHost == null || !server.config.replicaReadOnly || c.has(Client.MASTER)) return null;
        if (cmd.has(Command.WRITE) || (isExec(cmd) && (MultiCommands.queuedFlags(c) & Command.WRITE) != 0)) return Errors.READONLY;
        return null;
    }

    /** processCommand's stale check: with replica-serve-stale-data no and the link down, only "stale" commands. */
    String checkStale(Client c, Command cmd) {
        if (masterHost == null || state == State.CONNECTED || server.config.replicaServeStaleData) return null;
        if (!cmd.has(Command.STALE) || (isExec(cmd) && MultiCommands.queuedLacksFlag(c, Command.STALE))) return Errors.MASTERDOWN;
        return null;
    }

    // ---------------------------------------------------------------- INFO

    /** The replica part of INFO replication, Redis 7.0's fields in its order (up to replica_announced). */
    void appendInfo(StringBuilder sb) {
        long now = unixtime();
        long slaveReplOffset = 1, slaveReadReplOffset = 1;
        if (master != null) {
            slaveReplOffset = reploff;
            slaveReadReplOffset = readReploff;
        } else if (hasCached) {
            slaveReplOffset = slaveReadReplOffset = cachedReploff;
        }
        Replication.field(sb, "role", "slave");
        Replication.field(sb, "master_host", masterHost);
        Replication.field(sb, "master_port", Integer.toString(masterPort));
        Replication.field(sb, "master_link_status", state == State.CONNECTED ? "up" : "down");
        Replication.field(sb, "master_last_io_seconds_ago", Long.toString(master != null ? now - master.lastInteractionMillis / 1000 : -1));
        Replication.field(sb, "master_sync_in_progress", state == State.TRANSFER ? "1" : "0");
        Replication.field(sb, "slave_read_repl_offset", Long.toString(slaveReadReplOffset));
        Replication.field(sb, "slave_repl_offset", Long.toString(slaveReplOffset));
        if (state == State.TRANSFER) {
            // As Redis: -1 before the size is known (perc "-0.00"), 0 for an EOF-marked payload.
            double perc = transferSize != 0 ? (double) transferRead / transferSize * 100 : 0;
            Replication.field(sb, "master_sync_total_bytes", Long.toString(transferSize));
            Replication.field(sb, "master_sync_read_bytes", Long.toString(transferRead));
            Replication.field(sb, "master_sync_left_bytes", Long.toString(transferSize - transferRead));
            Replication.field(sb, "master_sync_perc", String.format(java.util.Locale.ROOT, "%.2f", perc));
            Replication.field(sb, "master_sync_last_io_seconds_ago", Long.toString(now - transferLastIoMillis / 1000));
        }
        if (state != State.CONNECTED) {
            Replication.field(sb, "master_link_down_since_seconds", Long.toString(downSinceSec != 0 ? now - downSinceSec : -1));
        }
        Replication.field(sb, "slave_priority", String.valueOf(server.config.get("replica-priority")));
        Replication.field(sb, "slave_read_only", server.config.replicaReadOnly ? "1" : "0");
        Replication.field(sb, "replica_announced", "yes".equals(server.config.get("replica-announced")) ? "1" : "0");
    }

    // ---------------------------------------------------------------- util

    /** strtoll: the leading integer, 0 if none. */
    private static long strtoll(String s) {
        int i = 0, n = s.length();
        while (i < n && s.charAt(i) == ' ') i++;
        boolean neg = i < n && s.charAt(i) == '-';
        if (neg || (i < n && s.charAt(i) == '+')) i++;
        long v = 0;
        for (; i < n && Character.isDigit(s.charAt(i)); i++) v = v * 10 + (s.charAt(i) - '0');
        return neg ? -v : v;
    }
}
