package dev.starling.server;

import dev.starling.command.Command;
import dev.starling.command.CommandTable;
import dev.starling.command.Commands;
import dev.starling.config.Config;
import dev.starling.keyspace.Keyspace;
import dev.starling.protocol.Errors;
import dev.starling.protocol.RequestParser;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The server: configuration, keyspace, command table, connections and the cron.
 *
 * <h2>Execution model</h2>
 * One Netty event loop thread is Redis's main thread: it accepts, reads, parses, executes and
 * writes. Every write therefore has one place in one total order, which later becomes the
 * replication stream and the AOF. Nothing executed on it may block.
 *
 * <h2>Replies</h2>
 * A client's replies accumulate in one buffer per input batch; the buffer is written at
 * channelReadComplete (the common case) or, for replies produced for other clients (pub/sub,
 * unblocking, MONITOR), by a flush task queued once per loop iteration.
 */
public final class Server {
    public static final String REDIS_VERSION = "7.0.15";

    public final Config config;
    public final Clock clock;
    public final Log log;
    public final CommandTable commands;
    public Keyspace keyspace;
    /** Clients blocked on keys (BLPOP and the other blocking commands). */
    public final Blocking blocking;
    public final Stats stats = new Stats();
    /** 40 hex chars, new every start (INFO run_id). */
    public final String runId = randomHex(40);
    /** Netty's transport for listeners, clients and the replica's link; tests may set it before start. */
    public Transport transport = Transport.CURRENT;

    /** Absolute path of the server executable (INFO executable); set by Main. */
    public String executable = "";
    public final long startMillis;
    public final long startNanos;

    /** Connected clients by id, in connection order. */
    public final Map<Long, Client> clients = new LinkedHashMap<>();
    private long nextClientId = 1;

    private EventLoopGroup loop;
    private final List<Channel> listeners = new ArrayList<>();
    private final List<Client> pendingWrites = new ArrayList<>();
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushPendingWrites;

    /** Set while a command's rejection reply is written, so it counts as rejected, not failed. */
    boolean inRejection;
    /** Bumped on each cron tick (Redis's cronloops). */
    public long cronLoops;
    private volatile boolean shuttingDown;
    /** Extension points for the subsystems built on the core (shutdown work, cron work). */
    public final List<Runnable> cronHooks = new ArrayList<>();
    public final List<Runnable> shutdownHooks = new ArrayList<>();
    /** Run once the event loop has terminated: releasing what the loop owned (off-heap buffers). */
    public final List<Runnable> afterLoopHooks = new ArrayList<>();

    public Server(Config config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.log = new Log(clock);
        this.log.setVerbosity(Log.levelOf(config.loglevel));
        this.log.setFile(config.logfile);
        this.startMillis = clock.millis();
        this.startNanos = clock.nanos();
        this.keyspace = new Keyspace(config.databases, clock);
        this.commands = new CommandTable();
        this.blocking = new Blocking(this);
        Commands.registerAll(this);
        commands.rebuildIndex();
        dev.starling.keyspace.KeyspaceCron.install(this);
        rdb = dev.starling.persistence.RdbPersistence.install(this);
        aof = dev.starling.persistence.AofPersistence.install(this);
        dev.starling.replication.Primary primary = dev.starling.replication.Primary.install(this);
        dev.starling.replication.MasterLink masterLink = dev.starling.replication.MasterLink.install(this);
        primary.follow(masterLink);
        dev.starling.replication.Failover.install(this, primary, masterLink);
        pubsub = dev.starling.command.PubSubCommands.install(this);
        loading.install();
        commands.rebuildIndex();
        propagator.install();
    }

    /** The loading state (-LOADING) and loading a dataset while serving (package persistence). */
    public final dev.starling.persistence.Loading loading = new dev.starling.persistence.Loading(this);
    /** RDB files: SAVE, BGSAVE, save points, loading. */
    public final dev.starling.persistence.RdbPersistence rdb;
    /** The append-only file: writing, BGREWRITEAOF, loading (package persistence). */
    public final dev.starling.persistence.AofPersistence aof;
    /** Propagation of writes to the replication stream and the AOF (package replication). */
    public final dev.starling.replication.Propagator propagator = new dev.starling.replication.Propagator(this);
    /** Replication ids, offsets and role; the primary and replica sides (package replication). */
    public final dev.starling.replication.Replication replication = new dev.starling.replication.Replication(this);

    /** Channels, patterns and keyspace notifications. */
    public final dev.starling.pubsub.PubSub pubsub;

    // ---------------------------------------------------------------- lifecycle

    /**
     * Binds the listeners and starts the executor loop. Throws if a port cannot be bound, after
     * logging Redis's "Failed listening on port" line.
     */
    public void start() throws Exception {
        log.verbose(transport.describe());
        IoHandlerFactory io = transport.ioHandlerFactory();
        loop = new MultiThreadIoEventLoopGroup(1, io);
        // Listeners accept on their own thread so CONFIG SET port can bind and wait from the executor.
        acceptLoop = new MultiThreadIoEventLoopGroup(1, io);
        ServerBootstrap b = bootstrap = new ServerBootstrap()
                .group(acceptLoop, loop)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, config.tcpBacklog)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, config.tcpKeepalive > 0)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        applyKeepAlive(ch);
                        ch.pipeline().addLast(new ClientHandler(Server.this));
                    }
                });
        for (String addr : bindAddresses()) {
            boolean optional = addr.startsWith("-");
            String host = optional ? addr.substring(1) : addr;
            try {
                InetSocketAddress sa = host.equals("*") ? new InetSocketAddress(config.port)
                        : host.equals("::*") ? new InetSocketAddress("::", config.port)
                        : new InetSocketAddress(host, config.port);
                if (host.equals("::*") && !listeners.isEmpty()) continue; // "*" already covers IPv6 on Linux
                listeners.add(b.bind(sa).sync().channel());
            } catch (Exception e) {
                if (optional) continue;
                log.warning("Warning: Could not create server TCP listening socket " + host + ":" + config.port + ": bind: " + errnoText(e));
                log.warning("Failed listening on port " + config.port + " (TCP), aborting.");
                shutdownLoop();
                throw e;
            }
        }
        if (config.port == 0 && !listeners.isEmpty()) {
            config.port = ((InetSocketAddress) listeners.get(0).localAddress()).getPort();
        }
        scheduleCron();
    }

    /** The strerror part of a bind failure ("Address already in use"), as Redis logs it. */
    private static String errnoText(Exception e) {
        String m = String.valueOf(e.getMessage());
        int i = m.lastIndexOf("): ");
        return i >= 0 ? m.substring(i + 3) : m;
    }

    /** Redis's anetKeepAlive with tcp-keepalive seconds (see Transport.setKeepAlive). */
    private void applyKeepAlive(SocketChannel ch) {
        if (config.tcpKeepalive > 0) Transport.setKeepAlive(ch, config.tcpKeepalive);
    }

    private ServerBootstrap bootstrap;

    /**
     * Re-binds the listeners to config.port and config.bind after CONFIG SET port/bind (Redis's
     * changeListener). Returns null on success; on failure the old listeners are kept and the
     * error reason is returned.
     */
    public String rebindListeners() {
        // Probe each address with a plain socket first so a failure leaves the old listeners in place.
        List<InetSocketAddress> old = new ArrayList<>();
        for (Channel ch : listeners) {
            if (ch.localAddress() instanceof InetSocketAddress a) old.add(a);
            ch.close().syncUninterruptibly();
        }
        listeners.clear();
        List<InetSocketAddress> targets = new ArrayList<>();
        int port = config.port;
        for (String addr : bindAddresses()) {
            boolean optional = addr.startsWith("-");
            String host = optional ? addr.substring(1) : addr;
            if (host.equals("::*") && !targets.isEmpty()) continue;
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true);
                InetSocketAddress sa = host.equals("*") ? new InetSocketAddress(port)
                        : host.equals("::*") ? new InetSocketAddress("::", port)
                        : new InetSocketAddress(host, port);
                probe.bind(sa);
                if (port == 0) port = probe.getLocalPort();
                targets.add(new InetSocketAddress(sa.getAddress(), port));
            } catch (Exception e) {
                if (optional) continue;
                log.warning("Warning: Could not create server TCP listening socket " + host + ":" + port + ": " + e.getMessage());
                for (InetSocketAddress a : old) listeners.add(bootstrap.bind(a).syncUninterruptibly().channel());
                return e.getMessage();
            }
        }
        config.port = port;
        for (InetSocketAddress sa : targets) {
            io.netty.channel.ChannelFuture f = bootstrap.bind(sa).awaitUninterruptibly();
            if (f.isSuccess()) listeners.add(f.channel());
            else log.warning("Failed listening on port " + sa.getPort() + " (TCP): " + f.cause());
        }
        return null;
    }

    private List<String> bindAddresses() {
        List<String> out = new ArrayList<>(List.of(config.bind));
        if (out.isEmpty()) out.add("*");
        return out;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return config.port;
    }

    /** Runs r on the executor and waits for it; for tests and the shutdown path. */
    public void executeAndWait(Runnable r) throws Exception {
        loop.submit(r).get(30, TimeUnit.SECONDS);
    }

    /**
     * Runs r on the executor. Background threads (serializers, loaders, writers) report here when
     * they finish; after shutdown the executor is gone and such a report has no one left to tell.
     */
    public void execute(Runnable r) {
        try {
            loop.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
            if (!loop.isShuttingDown()) throw shutDown;
        }
    }

    /** Runs r on the executor after delayMillis (timers: blocked clients' deadlines). */
    public void schedule(Runnable r, long delayMillis) {
        if (loop != null) loop.schedule(r, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Closes listeners and connections and stops the loop. Idempotent. */
    public void stop() {
        if (shuttingDown) return;
        shuttingDown = true;
        for (Channel ch : listeners) ch.close();
        shutdownLoop();
        terminated.countDown();
    }

    private EventLoopGroup acceptLoop;

    private void shutdownLoop() {
        if (acceptLoop != null) acceptLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (loop != null) loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        // A connection the stopping loop closed without delivering channelInactive still holds buffers.
        for (Client c : clients.values()) releaseBuffers(c);
        for (Runnable r : afterLoopHooks) r.run();
    }

    /** The absolute path of the config file the server started with, or null (CONFIG REWRITE). */
    public String configFile;

    private final java.util.concurrent.CountDownLatch terminated = new java.util.concurrent.CountDownLatch(1);

    /** Blocks until the server has shut down (the process's main thread waits here). */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** Redis's sigShutdownHandler (see {@link Shutdown#signal}). */
    void requestShutdownFromSignal(String signal) {
        shutdown.signal(signal);
    }

    public static final int SHUTDOWN_NOFLAGS = 0, SHUTDOWN_SAVE = 1, SHUTDOWN_NOSAVE = 2, SHUTDOWN_NOW = 4, SHUTDOWN_FORCE = 8;

    /** Saves (when the persistence layer says so) before exit; returns false if shutdown must abort. */
    public interface ShutdownSaver {
        boolean saveBeforeShutdown(int flags);
    }

    public ShutdownSaver shutdownSaver = flags -> true;

    /** SHUTDOWN, the signals and the wait for lagging replicas (Redis's prepareForShutdown and finishShutdown). */
    public final Shutdown shutdown = new Shutdown(this);

    /** Closes everything and releases {@link #awaitTermination}: Redis's exit(0) after a successful shutdown. */
    public void finishShutdown() {
        for (Client c : new ArrayList<>(clients.values())) {
            c.flush();
            if (c.channel != null) c.channel.close();
        }
        shuttingDown = true;
        for (Channel ch : listeners) ch.close();
        new Thread(() -> {
            shutdownLoop();
            terminated.countDown();
        }, "starling-shutdown").start();
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }

    // ---------------------------------------------------------------- clients

    /** Registers a new connection, or refuses it as Redis does (maxclients). */
    Client acceptClient(Channel ch) {
        if (clients.size() >= config.maxclients) {
            stats.rejectedConnections++;
            ch.writeAndFlush(ch.alloc().buffer().writeBytes(("-ERR " + Errors.MAX_CLIENTS + "\r\n").getBytes()))
                    .addListener(f -> ch.close());
            return null;
        }
        if (config.protectedMode && config.requirepass.isEmpty() && !isLocal(ch)) {
            stats.rejectedConnections++;
            ch.writeAndFlush(ch.alloc().buffer().writeBytes((Errors.DENIED_PROTECTED + "\r\n").getBytes()))
                    .addListener(f -> ch.close());
            return null;
        }
        Client c = new Client(this, ch, nextClientId++);
        clients.put(c.id, c);
        stats.numConnections++;
        return c;
    }

    /** Redis's connIsLocal: a loopback peer (protected mode lets only these in). */
    private static boolean isLocal(Channel ch) {
        return isLocalAddress(ch.remoteAddress());
    }

    static boolean isLocalAddress(java.net.SocketAddress sa) {
        return !(sa instanceof InetSocketAddress a) || a.getAddress() == null || a.getAddress().isLoopbackAddress();
    }

    /**
     * Registers a client for a connection this server opened itself (a replica's link to its
     * master, Redis's replicationCreateMasterClient): listed by CLIENT LIST, authenticated, flagged
     * with flags. Its owner feeds it commands and calls {@link #freeClient} when the link ends.
     */
    public Client createLinkClient(Channel ch, int flags) {
        Client c = new Client(this, ch, nextClientId++);
        c.flags |= flags;
        c.authenticated = true;
        clients.put(c.id, c);
        return c;
    }

    /** The executor's event loop (connections the server opens itself are registered on it). */
    public EventLoopGroup eventLoop() {
        return loop;
    }

    public void freeClient(Client c) {
        if (reading == c) reading = null;
        clients.remove(c.id);
        releaseBuffers(c);
        c.flags |= Client.CLOSE_ASAP;
        for (ClientListener l : clientListeners) l.clientClosed(c);
    }

    /** Drops c's unsent replies and unread input. */
    private static void releaseBuffers(Client c) {
        c.discardOutput();
        if (c.query != null) {
            c.query.release();
            c.query = null;
        }
    }

    /** Told when a client goes away (MONITOR lists, pub/sub, blocking). */
    public interface ClientListener {
        void clientClosed(Client c);
    }

    public final List<ClientListener> clientListeners = new ArrayList<>();

    /** Creates a client with no connection (Redis's fake clients: AOF loading, scripts). */
    public Client createFakeClient() {
        return new Client(this, null, nextClientId++);
    }

    // ---------------------------------------------------------------- input

    /** Appends bytes to the client's query buffer and executes every complete command in it. */
    void readFromClient(Client c, ByteBuf in) {
        reading = c;
        int n = in.readableBytes();
        stats.netInputBytes += n;
        stats.ioReadsProcessed++;
        c.lastInteractionMillis = clock.millis();
        if (c.query == null) {
            c.query = in;
        } else {
            c.query = cumulate(c.query, in, c.parser.pendingBulkBytes);
        }
        processInputBuffer(c);
        ByteBuf q = c.query;
        if (q != null) {
            if (!q.isReadable()) {
                q.release();
                c.query = null;
            } else {
                q.discardSomeReadBytes();
                if (q.readableBytes() + c.parser.pendingBulkBytes > config.clientQueryBufferLimit) {
                    log.warning("Closing client that reached max query buffer length: " + ClientInfo.describe(c)
                            + " (qbuf initial bytes: " + ClientInfo.initialBytes(q) + ")");
                    closeClient(c);
                }
            }
        }
    }

    /** Merges in into the cumulation, sizing exactly for a big bulk in progress (PROTO_MBULK_BIG_ARG). */
    private static ByteBuf cumulate(ByteBuf cum, ByteBuf in, long pendingBulk) {
        int need = in.readableBytes();
        if (cum.writableBytes() < need || cum.refCnt() > 1 || cum.isReadOnly()) {
            long want = (long) cum.readableBytes() + need;
            if (pendingBulk >= RequestParser.PROTO_MBULK_BIG_ARG && pendingBulk > need) {
                want = (long) cum.readableBytes() + pendingBulk;
            }
            ByteBuf bigger = cum.alloc().heapBuffer((int) Math.min(Integer.MAX_VALUE - 8, Math.max(want, cum.readableBytes() * 2L)));
            bigger.writeBytes(cum);
            cum.release();
            cum = bigger;
        }
        cum.writeBytes(in);
        in.release();
        return cum;
    }

    /** Parses and runs commands until the buffer holds no complete one (Redis's processInputBuffer). */
    void processInputBuffer(Client c) {
        ByteBuf q = c.query;
        RequestParser p = c.parser;
        while (q != null && q.isReadable()) {
            if ((c.flags & (Client.CLOSE_AFTER_REPLY | Client.CLOSE_ASAP | Client.BLOCKED)) != 0) break;
            int r = p.parse(q, c.authRequired(), config.protoMaxBulkLen);
            if (r == RequestParser.NEED_MORE) break;
            if (r == RequestParser.EMPTY) {
                p.reset();
                continue;
            }
            if (r == RequestParser.PROTOCOL_ERROR) {
                c.cmd = null;
                c.addReplyError(p.error);
                if (log.enabled(Log.VERBOSE)) {
                    log.verbose("Protocol error (" + p.errorReason + ") from client: " + ClientInfo.describe(c));
                }
                c.flags |= Client.CLOSE_AFTER_REPLY | Client.PROTOCOL_ERROR;
                q.skipBytes(q.readableBytes());
                p.reset();
                break;
            }
            c.argv = p.argv;
            c.argc = p.argc;
            processCommand(c);
            if (!c.has(Client.BLOCKED)) c.commandProcessed();
            p.reset();
            c.argv = null;
            c.argc = 0;
            q = c.query;
        }
    }

    /** CLIENT PAUSE: returns true if cmd was postponed (the client is blocked until unpause). */
    public interface PostponeHook {
        boolean postpone(Client c, Command cmd);
    }

    public PostponeHook postponeHook;

    /**
     * Resumes a client that was postponed or blocked: runs argv (if not null) as a command, then
     * the rest of its query buffer, and writes the replies.
     */
    public void resumeClient(Client c, byte[][] argv, int argc) {
        if (c.has(Client.CLOSE_ASAP) || !clients.containsKey(c.id)) return;
        if (argv != null) {
            c.argv = argv;
            c.argc = argc;
            processCommand(c);
            if (!c.has(Client.BLOCKED)) c.commandProcessed();
            c.argv = null;
            c.argc = 0;
        }
        if (!c.has(Client.BLOCKED) && c.query != null) {
            processInputBuffer(c);
            ByteBuf q = c.query;
            if (q != null && !q.isReadable()) {
                q.release();
                c.query = null;
            }
        }
        flushClient(c);
    }

    /** Told by RESET to drop per-connection state (MULTI, subscriptions, MONITOR, tracking). */
    public final List<ClientListener> resetListeners = new ArrayList<>();

    /** Redis's clearClientConnectionState, run by RESET. */
    public void resetClientState(Client c) {
        for (int i = 0; i < resetListeners.size(); i++) resetListeners.get(i).clientClosed(c);
        c.select(0);
        c.resp = 2;
        c.name = null;
        c.replyMode = Client.REPLY_ON;
        c.flags &= ~(Client.NO_EVICT | Client.MONITOR | Client.READONLY | Client.NO_TOUCH);
        c.user = "default";
        c.authenticated = config.requirepass.isEmpty();
    }

    /** True while this server replicates from a master (HELLO role, ROLE); set by replication. */
    public boolean roleReplica;

    /**
     * End of c's input batch: its replies are written now, not after every ready connection has
     * been read as Redis does in beforeSleep. On 2 cores the client then works on early replies
     * while the loop reads the rest; deferring them (tried 2026-11-22) gained nothing at pipeline 1
     * (medians of 15 alternating runs: 2-5% less, within this machine's noise).
     */
    void afterRead(Client c) {
        reading = null;
        for (int i = 0, n = afterBatchHooks.size(); i < n; i++) afterBatchHooks.get(i).run();
        flushClient(c);
    }

    /** Work Redis does in beforeSleep, run after each client's input batch (the fast expire cycle). */
    public final List<Runnable> afterBatchHooks = new ArrayList<>();

    /**
     * The client whose input batch is being processed (between channelRead and channelReadComplete).
     * Its replies are flushed by {@link #afterRead}, so they need no flush task.
     */
    Client reading;

    private void flushClient(Client c) {
        propagator.flushStream(); // replicas and the AOF get the writes before the client its reply
        if (replyBarrier != null && replyBarrier.hold(c)) return;
        writeReplies(c);
    }

    /** Writes c's pending replies now (and closes it if it asked to be); see {@link ReplyBarrier}. */
    public void writeReplies(Client c) {
        c.flush();
        if (c.has(Client.CLOSE_AFTER_REPLY) && c.channel != null) {
            c.channel.close();
        }
    }

    /**
     * Asked before a client's replies are written: true keeps them back, and the barrier's owner
     * calls {@link #writeReplies} later (appendfsync always: until the AOF bytes they follow are
     * fsynced).
     */
    public interface ReplyBarrier {
        boolean hold(Client c);
    }

    public ReplyBarrier replyBarrier;

    /** Queues c for the flush task (replies produced outside c's own read batch). */
    void markPendingWrite(Client c) {
        c.pendingWrite = true;
        pendingWrites.add(c);
        if (!flushScheduled && loop != null) {
            flushScheduled = true;
            loop.execute(flushTask);
        }
    }

    private void flushPendingWrites() {
        flushScheduled = false;
        for (int i = 0; i < pendingWrites.size(); i++) {
            Client c = pendingWrites.get(i);
            if (c.pendingWrite) flushClient(c);
        }
        pendingWrites.clear();
    }

    /** Closes c at once, dropping unsent replies (Redis's freeClient from CLIENT KILL, timeout). */
    public void killClient(Client c) {
        c.flags |= Client.CLOSE_ASAP;
        c.discardOutput();
        if (c.channel != null) c.channel.close();
        else freeClient(c);
    }

    /** Clients in MONITOR mode, fed by the MONITOR call listener. */
    public final List<Client> monitors = new ArrayList<>();
    /** SLOWLOG and LATENCY state (package observability), installed at start. */
    public dev.starling.observability.SlowLog slowlog;
    public dev.starling.observability.LatencyMonitor latency;

    /** Closes c after flushing what it has been sent (CLIENT KILL, QUIT-like paths). */
    public void closeClient(Client c) {
        c.flags |= Client.CLOSE_AFTER_REPLY;
        if (c.channel != null) {
            c.flush();
            c.channel.close();
        }
    }

    // ---------------------------------------------------------------- command execution

    /** A check run before a command executes (see {@link #rejection}); it may reject it. */
    public interface CommandFilter {
        /** Returns an error text to reject the command with, or null to let it run. */
        String check(Client c, Command cmd);
    }

    private static final CommandFilter PASS = (c, cmd) -> null;

    /*
     * The checks of Redis's processCommand after authentication, one slot per subsystem, each set
     * when that subsystem installs and run in Redis's order by rejection(). Named slots rather than
     * a list: each call site then sees one class and the JIT inlines it; a loop over the nine cost
     * about 13% of the CPU of a pipelined SET.
     */
    /** DEBUG refused by enable-debug-command (Redis's allowProtectedAction). */
    public CommandFilter protectedCheck = PASS;
    /** -OOM after performing evictions (maxmemory). */
    public CommandFilter oomCheck = PASS;
    /** -MISCONF: the last BGSAVE failed, then the AOF cannot be written. */
    public CommandFilter rdbMisconfCheck = PASS, aofMisconfCheck = PASS;
    /** -NOREPLICAS (min-replicas-to-write). */
    public CommandFilter noReplicasCheck = PASS;
    /** -READONLY on a replica. */
    public CommandFilter readOnlyCheck = PASS;
    /** Commands refused in RESP2's subscribed context. */
    public CommandFilter pubsubContextCheck = PASS;
    /** -MASTERDOWN (replica-serve-stale-data no and the link down). */
    public CommandFilter masterDownCheck = PASS;
    /** -LOADING. */
    public CommandFilter loadingCheck = PASS;

    /** Runs after each executed command (see {@link #call}). */
    public interface CallListener {
        void afterCall(Client c, Command cmd, long durationMicros);
    }

    private static final CallListener NOTHING = (c, cmd, micros) -> {};
    /** The command's latency histogram (INFO latencystats); a named slot for the reason the checks have them. */
    public CallListener latencyHistogram = NOTHING;
    /** Feeds MONITOR clients. */
    public CallListener monitorFeed = NOTHING;

    /**
     * Looks up, checks and executes the command in c.argv (Redis's processCommand): unknown
     * command, arity, authentication, then the checks of {@link #rejection}, then {@link #call}.
     */
    public void processCommand(Client c) {
        byte[] name = c.argv[0];
        Command cmd;
        if (name == c.lookedUpName) {
            cmd = c.lookedUp;
        } else {
            cmd = commands.lookup(name);
            c.lookedUpName = name;
            c.lookedUp = cmd;
        }
        if (cmd != null && cmd.isContainer() && c.argc >= 2) {
            Command sub = CommandTable.lookupSub(cmd, c.argv[1]);
            if (sub == null) {
                c.cmd = null;
                reject(c, null, Errors.unknownSubcommand(c.argv[1], cmd.fullName));
                return;
            }
            cmd = sub;
        }
        c.cmd = cmd;
        if (cmd == null) {
            reject(c, null, Errors.unknownCommand(c.argv, c.argc));
            return;
        }
        c.lastCmd = cmd;
        if (!cmd.arityOk(c.argc) || cmd.handler == null) {
            reject(c, cmd, Errors.arity(cmd.fullName));
            return;
        }
        if (c.authRequired() && !cmd.has(Command.NO_AUTH)) {
            reject(c, cmd, Errors.NOAUTH);
            return;
        }
        String err = rejection(c, cmd);
        if (err != null) {
            reject(c, cmd, err);
            return;
        }
        if (postponeHook != null && postponeHook.postpone(c, cmd)) return;
        if (queueHook != null && queueHook.queue(c, cmd)) return;
        call(c, cmd);
        // After each top-level command (so after EXEC as a whole), as Redis's processCommand does.
        if (blocking.hasReadyKeys()) blocking.handleClientsBlockedOnKeys();
    }

    /** Redis's processCommand checks after authentication, in its order; the first error, or null. */
    private String rejection(Client c, Command cmd) {
        String err;
        if ((err = protectedCheck.check(c, cmd)) != null) return err;
        if ((err = oomCheck.check(c, cmd)) != null) return err;
        if ((err = rdbMisconfCheck.check(c, cmd)) != null) return err;
        if ((err = aofMisconfCheck.check(c, cmd)) != null) return err;
        if ((err = noReplicasCheck.check(c, cmd)) != null) return err;
        if ((err = readOnlyCheck.check(c, cmd)) != null) return err;
        if ((err = pubsubContextCheck.check(c, cmd)) != null) return err;
        if ((err = masterDownCheck.check(c, cmd)) != null) return err;
        return loadingCheck.check(c, cmd);
    }

    /** MULTI queueing: returns true if the command was queued instead of executed. */
    public interface QueueHook {
        boolean queue(Client c, Command cmd);
    }

    public QueueHook queueHook;

    /** Rejects cmd with err (Redis's rejectCommand): counted as rejected, and flags a MULTI transaction. */
    public void reject(Client c, Command cmd, String err) {
        if (cmd != null) cmd.rejectedCalls++;
        if (rejectListener != null) err = rejectListener.rejected(c, cmd, err);
        inRejection = true;
        try {
            c.addReplyError(err);
        } finally {
            inRejection = false;
        }
    }

    /** Told when a command is rejected (MULTI flags the transaction as failed). */
    public interface RejectListener {
        /** Returns the error to reply with: err, or a replacement (EXEC rejected inside MULTI). */
        String rejected(Client c, Command cmd, String err);
    }

    public RejectListener rejectListener;

    /**
     * Executes cmd for c, records its statistics and propagates its effect (Redis's call): the
     * command is propagated if it moved {@link #dirty}; see {@link dev.starling.replication.Propagator}.
     */
    public void call(Client c, Command cmd) {
        keyspace.updateTime();
        int propFlags = propagator.beforeCall(c);
        long dirtyBefore = dirty, offsetBefore = propagator.stream.offset();
        long start = clock.nanos();
        try {
            cmd.handler.execute(c);
        } catch (RuntimeException | Error e) {
            // Keep the execution unit balanced; what the command did so far still propagates.
            propagator.afterCall(c, cmd, dirty > dirtyBefore, propFlags);
            throw e;
        }
        long micros = (clock.nanos() - start) / 1000;
        cmd.calls++;
        cmd.microseconds += micros;
        stats.numCommands++;
        latencyHistogram.afterCall(c, cmd, micros);
        slowlog.afterCall(c, cmd, micros);
        latency.afterCall(c, cmd, micros);
        monitorFeed.afterCall(c, cmd, micros);
        propagator.afterCall(c, cmd, dirty > dirtyBefore, propFlags);
        if (propagator.stream.offset() != offsetBefore) c.woff = propagator.stream.offset(); // WAIT waits for this
    }

    // ---------------------------------------------------------------- cron

    private void scheduleCron() {
        long period = Math.max(1, 1000 / Math.max(1, config.hz));
        loop.schedule(this::cron, period, TimeUnit.MILLISECONDS);
    }

    /** Redis's serverCron: runs hz times per second on the executor. */
    private void cron() {
        if (shuttingDown) return;
        try {
            cronLoops++;
            keyspace.updateTime();
            for (int i = 0; i < cronHooks.size(); i++) cronHooks.get(i).run();
            shutdown.cron();
        } catch (Throwable t) {
            log.warning("Error in cron: " + t);
        } finally {
            scheduleCron();
        }
    }

    // ---------------------------------------------------------------- util

    public static String randomHex(int len) {
        StringBuilder sb = new StringBuilder(len);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < len; i++) sb.append("0123456789abcdef".charAt(r.nextInt(16)));
        return sb.toString();
    }

    /** Unix seconds of the last successful save (LASTSAVE); the start time until persistence saves. */
    public long lastSaveUnix = System.currentTimeMillis() / 1000;

    /** Memory of an empty server, as Redis 7.0 reports used_memory at start (about 0.85 MB). */
    public static final long BASE_MEMORY = 870_000;

    /**
     * Redis's used_memory: the base plus the dataset estimate kept by the keyspace. Deterministic
     * (not the JVM heap), so maxmemory behaves the same run to run. O(1): eviction reads it before
     * every write, so client buffers (see {@link #clientsMemory}) are not included.
     */
    public long usedMemory() {
        return BASE_MEMORY + keyspace.datasetBytes;
    }

    /**
     * Bytes in connected clients' query and reply buffers (INFO mem_clients_normal); walks the
     * clients. Replicas are not normal clients (Redis's CLIENT_TYPE_SLAVE, monitors excepted): their
     * buffers are mem_clients_slaves.
     */
    public long clientsMemory() {
        long n = 0;
        for (Client c : clients.values()) {
            if ((c.flags & (Client.REPLICA | Client.MONITOR)) == Client.REPLICA) continue;
            n += c.queryBufferCapacity() + c.outputBytes();
        }
        return n;
    }

    /** Run by CONFIG RESETSTAT, for counters kept outside Stats and the command table (latency, ...). */
    public final List<Runnable> resetStatHooks = new ArrayList<>();

    /**
     * INFO extension points for subsystems: a field's value by name (blocked_clients, pubsub_channels,
     * rdb_saves, ...) overriding INFO's default, and a whole section's text by lower-case name
     * (e.g. "replication" once replicas exist), written after the "# Section" header.
     */
    public final Map<String, java.util.function.Supplier<Object>> infoFields = new java.util.HashMap<>();
    public final Map<String, java.util.function.Consumer<StringBuilder>> infoSections = new java.util.HashMap<>();

    /** Publishes keyspace notifications; installed by the pub/sub subsystem. */
    public interface KeyspaceEvents {
        void publish(int type, String event, byte[] key, int dbid);
    }

    public KeyspaceEvents keyspaceEvents = (type, event, key, dbid) -> {};

    /**
     * Redis's notifyKeyspaceEvent: commands call it after each change with the event class
     * ({@code Config.NOTIFY_*}) and Redis's event name. Costs one test while notify-keyspace-events
     * does not select the class (the default).
     */
    public void notifyKeyspaceEvent(int type, String event, byte[] key, int dbid) {
        if ((config.notifyKeyspaceEvents & type) == 0) return;
        keyspaceEvents.publish(type, event, key, dbid);
    }

    /** Writes since the last save (Redis's server.dirty; INFO rdb_changes_since_last_save). */
    public long dirty;

    /** Seconds since start (INFO uptime_in_seconds). */
    public long uptimeSeconds() {
        return (clock.nanos() - startNanos) / 1_000_000_000L;
    }
}
