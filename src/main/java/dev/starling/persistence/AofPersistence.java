package dev.starling.persistence;

import dev.starling.command.Command;
import dev.starling.config.Config;
import dev.starling.keyspace.Snapshot;
import dev.starling.replication.Propagator;
import dev.starling.protocol.Errors;
import dev.starling.replication.StreamConsumer;
import dev.starling.server.Blocking;
import dev.starling.server.Client;
import dev.starling.server.Server;
import io.netty.buffer.ByteBuf;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;

import static dev.starling.persistence.QuietFiles.closeQuietly;
import static dev.starling.persistence.QuietFiles.deleteQuietly;

/**
 * The append-only file, Redis 7.0's multi-part AOF (aof.c): a manifest, one base file (an RDB
 * preamble, or commands) and incr files that receive every write in propagation order.
 *
 * <h2>Writing</h2>
 * The AOF reads the propagated stream ({@link StreamConsumer} wanting {@link Propagator#PROPAGATE_AOF});
 * it writes its own SELECT where the stream skipped a chunk meant for replicas only, and a
 * {@code #TS:} annotation when aof-timestamp-enabled is on and the second changed. Bytes go to an
 * {@link AofWriter} thread that write()s and fsyncs, so the executor never blocks on the disk.
 * With {@code appendfsync always} no reply leaves while bytes appended before it are not yet
 * fsynced: the server asks {@link #hold} before it writes a client's replies, and the writer's
 * fsync releases the held clients (a group commit: every batch that arrived meanwhile shares the
 * next fsync). everysec and no never hold a reply.
 *
 * <h2>Forkless rewrite</h2>
 * BGREWRITEAOF takes a keyspace {@link Snapshot} and, at that same instant on the executor, opens
 * a new incr file: everything before the cut is in the snapshot, everything after it in the new
 * incr, so new base + new incr are exactly the data. The snapshot is serialized in slices (as a
 * BGSAVE) to temp-rewriteaof-bg-&lt;pid&gt;.aof; when it is fsynced the executor renames it to the
 * new base, turns the old base and incr files into history in a new manifest, persists it
 * atomically, and deletes the history files, logging Redis's lines. "by pid" is the server's
 * own pid: there is no child.
 *
 * <h2>States</h2>
 * OFF → (CONFIG SET appendonly yes) WAIT_REWRITE → (first rewrite done) ON; ON or WAIT_REWRITE →
 * (appendonly no) OFF. At start with appendonly yes the state is ON once {@link #loadAtStart} has
 * opened the files. While WAIT_REWRITE, writes go to temp-&lt;name&gt;.incr, which the rewrite renames.
 *
 * <h2>Write errors</h2>
 * A failed write sets aof_last_write_status:err and writes answer Redis's AOF -MISCONF until the
 * writer's retries (every 100 ms, as Redis retries in beforeSleep) succeed; the bytes stay
 * buffered, so nothing acknowledged is lost. With {@code appendfsync always} Redis exits on a
 * write or fsync error, and so does Starling (those writes were never acknowledged).
 *
 * <p>Everything runs on the executor except the writer and rewrite threads.
 */
public final class AofPersistence implements StreamConsumer {
    public static final int AOF_OFF = 0, AOF_ON = 1, AOF_WAIT_REWRITE = 2;
    /** AOF_WRITE_LOG_ERROR_RATE: seconds between two logs of the same write error. */
    static final int WRITE_LOG_ERROR_RATE = 30;

    private final Server server;
    private final long pid = ProcessHandle.current().pid();

    int state = AOF_OFF;
    AofManifest manifest = new AofManifest();
    /** The writer of the current incr file (Redis's aof_fd != -1), or null. */
    AofWriter writer;
    private boolean attached;
    /** Database selected in the file; the stream's database after the last chunk it had. */
    private int aofSelectedDb = -1, streamDb = -1;
    private long lastTimestamp;
    private boolean timestampEnabled;
    private boolean kickQueued;
    private final Runnable kickTask = this::kick;

    // Status (executor).
    boolean lastWriteOk = true;
    volatile boolean fsyncError;
    String lastWriteErrno = "";
    private long lastWriteErrorLog;
    /** aof_current_size = sizeBase + writer.written. */
    private long sizeBase;
    long rewriteBaseSize;

    // Rewrite.
    Rewrite rewrite;
    boolean rewriteScheduled;
    long lastRewriteTimeSec = -1;
    boolean lastBgrewriteOk = true;
    long rewrites, consecutiveFailures, lastCowSize;
    /** aof_delayed_fsync (CONFIG RESETSTAT clears it). */
    long delayedFsync;

    /** One rewrite in flight. */
    final class Rewrite {
        final Snapshot snapshot;
        /** The base writer's peak of queued bytes (aof_last_cow_size), or null if it never started. */
        final java.util.function.LongSupplier peak;
        final Path tmp;
        final String tmpName;
        final long startSec;
        /** Killed (appendonly no, shutdown): its end only cleans up. */
        boolean killed;
        /** writer.appended when the new incr file started. */
        final long incrStart;
        /** The base is an RDB (aof-use-rdb-preamble when the rewrite started), else commands. */
        final boolean rdbBase;

        Rewrite(Snapshot snapshot, java.util.function.LongSupplier peak, Path tmp, String tmpName, long startSec, long incrStart, boolean rdbBase) {
            this.rdbBase = rdbBase;
            this.snapshot = snapshot;
            this.peak = peak;
            this.tmp = tmp;
            this.tmpName = tmpName;
            this.startSec = startSec;
            this.incrStart = incrStart;
        }
    }

    private AofPersistence(Server server) {
        this.server = server;
    }

    /** Creates the subsystem and hooks it into the server (filter, cron, INFO, shutdown, config, replies). */
    public static AofPersistence install(Server server) {
        AofPersistence p = new AofPersistence(server);
        server.aofMisconfCheck = p::checkDiskError;
        server.cronHooks.add(p::cron);
        server.shutdownHooks.add(p::beforeShutdown);
        server.replyBarrier = p::hold;
        server.rdb.otherChildActive = () -> p.rewrite != null;
        server.config.changeListeners.add(p::configChanged);
        server.resetStatHooks.add(() -> p.delayedFsync = 0);
        p.timestampEnabled = server.config.getBool("aof-timestamp-enabled");
        server.infoFields.put("aof_enabled", () -> p.state != AOF_OFF ? 1 : 0);
        server.infoFields.put("aof_rewrite_in_progress", () -> p.rewrite != null ? 1 : 0);
        server.infoFields.put("aof_rewrite_scheduled", () -> p.rewriteScheduled ? 1 : 0);
        server.infoFields.put("aof_last_rewrite_time_sec", () -> p.lastRewriteTimeSec);
        server.infoFields.put("aof_current_rewrite_time_sec", () -> p.rewrite != null ? p.nowSec() - p.rewrite.startSec : -1);
        server.infoFields.put("aof_last_bgrewrite_status", () -> p.lastBgrewriteOk ? "ok" : "err");
        server.infoFields.put("aof_rewrites", () -> p.rewrites);
        server.infoFields.put("aof_rewrites_consecutive_failures", () -> p.consecutiveFailures);
        server.infoFields.put("aof_last_write_status", () -> p.lastWriteOk && !p.fsyncError ? "ok" : "err");
        server.infoFields.put("aof_last_cow_size", () -> p.lastCowSize);
        server.infoFields.put("mem_aof_buffer", () -> p.bufferLength());
        return p;
    }

    /** INFO persistence's fields shown while appendonly is yes, after module_fork_last_cow_size. */
    public void infoTail(StringBuilder sb) {
        if (!server.config.appendonly) return;
        AofWriter w = writer;
        sb.append("aof_current_size:").append(currentSize()).append("\r\n");
        sb.append("aof_base_size:").append(rewriteBaseSize).append("\r\n");
        sb.append("aof_pending_rewrite:").append(rewriteScheduled ? 1 : 0).append("\r\n");
        sb.append("aof_buffer_length:").append(bufferLength()).append("\r\n");
        sb.append("aof_pending_bio_fsync:").append(w != null && w.fsyncInProgress ? 1 : 0).append("\r\n");
        sb.append("aof_delayed_fsync:").append(delayedFsync).append("\r\n");
    }

    long currentSize() {
        AofWriter w = writer;
        return sizeBase + (w == null ? 0 : w.written);
    }

    private long bufferLength() {
        AofWriter w = writer;
        return w == null ? 0 : w.appended - w.written;
    }

    long nowSec() {
        return server.clock.millis() / 1000;
    }

    Path dir() {
        return new File(server.config.dir).toPath();
    }

    Path aofDir() {
        return dir().resolve(server.config.appenddirname);
    }

    public int state() {
        return state;
    }

    public boolean rewriteInProgress() {
        return rewrite != null;
    }

    private boolean rdbPreamble() {
        return server.config.getBool("aof-use-rdb-preamble");
    }

    // ---------------------------------------------------------------- the stream

    @Override
    public int targets() {
        return Propagator.PROPAGATE_AOF;
    }

    /** feedAppendOnlyFile, for a chunk of the stream. */
    @Override
    public void append(ByteBuf data, int targets, int selectedDb, long endOffset) {
        int before = streamDb;
        streamDb = selectedDb;
        AofWriter w = writer;
        if ((targets & Propagator.PROPAGATE_AOF) == 0 || w == null) return;
        if (timestampEnabled) {
            long now = nowSec();
            if (lastTimestamp < now) {
                w.append(("#TS:" + now + "\r\n").getBytes(StandardCharsets.US_ASCII));
                lastTimestamp = now;
            }
        }
        // The chunk's first command runs in the stream's database before it: select it if the file has another.
        if (before >= 0 && before != aofSelectedDb && !startsWithSelect(data)) w.append(selectCommand(before));
        w.append(data);
        aofSelectedDb = selectedDb;
        if (!kickQueued) {
            kickQueued = true;
            server.execute(kickTask); // once per event-loop turn, as Redis writes in beforeSleep
        }
    }

    private void kick() {
        kickQueued = false;
        AofWriter w = writer;
        if (w != null) w.kick();
    }

    private static final byte[] SELECT_PREFIX = "*2\r\n$6\r\nSELECT\r\n".getBytes(StandardCharsets.US_ASCII);

    /** True if the chunk selects its database itself (the stream's db changed at its start). */
    private static boolean startsWithSelect(ByteBuf data) {
        if (data.readableBytes() < SELECT_PREFIX.length) return false;
        int r = data.readerIndex();
        for (int i = 0; i < SELECT_PREFIX.length; i++) if (data.getByte(r + i) != SELECT_PREFIX[i]) return false;
        return true;
    }

    static byte[] selectCommand(int db) {
        String n = Integer.toString(db);
        return ("*2\r\n$6\r\nSELECT\r\n$" + n.length() + "\r\n" + n + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private void attach() {
        if (attached) return;
        attached = true;
        streamDb = -1;
        aofSelectedDb = -1;
        server.propagator.stream.addConsumer(this);
    }

    private void detach() {
        if (!attached) return;
        attached = false;
        server.propagator.stream.removeConsumer(this);
    }

    // ---------------------------------------------------------------- appendfsync always: held replies

    private final ArrayDeque<Client> heldClients = new ArrayDeque<>();
    private final ArrayDeque<long[]> heldTargets = new ArrayDeque<>();
    private final IdentityHashMap<Client, long[]> latestTarget = new IdentityHashMap<>();
    private volatile boolean waiting;
    private boolean releaseQueued;
    private final Runnable releaseTask = this::releaseHeld;

    /**
     * The server is about to write c's replies: with appendfsync always, returns true (and keeps c
     * until the writer has fsynced) if bytes appended so far are not on disk yet.
     */
    boolean hold(Client c) {
        AofWriter w = writer;
        if (w == null || w.policy != AofWriter.FSYNC_ALWAYS) return false;
        long target = w.appended;
        if (w.synced >= target && !latestTarget.containsKey(c)) return false;
        long[] t = {target};
        heldClients.add(c);
        heldTargets.add(t);
        latestTarget.put(c, t);
        waiting = true;
        if (w.synced >= target) queueRelease(); // the fsync finished while we looked
        return true;
    }

    private void queueRelease() {
        if (!releaseQueued) {
            releaseQueued = true;
            server.execute(releaseTask);
        }
    }

    /** Writes the replies of every held client whose bytes are now on disk. */
    private void releaseHeld() {
        releaseQueued = false;
        AofWriter w = writer;
        long durable = w == null ? Long.MAX_VALUE : w.synced;
        while (!heldClients.isEmpty() && heldTargets.peek()[0] <= durable) {
            Client c = heldClients.poll();
            long[] t = heldTargets.poll();
            // A client held again later waits for its latest batch, so replies never go out early.
            if (latestTarget.get(c) != t) continue;
            latestTarget.remove(c);
            server.writeReplies(c);
        }
        if (!heldClients.isEmpty()) {
            waiting = true;
            if (w == null || w.synced >= heldTargets.peek()[0]) queueRelease();
        }
    }

    private void onSynced() {
        fsyncError = false;
        if (waiting) {
            waiting = false;
            post(releaseTask);
        }
    }

    private void post(Runnable r) {
        try {
            server.execute(r);
        } catch (RuntimeException e) {
            // The executor is shutting down: nothing waits for this any more.
        }
    }

    // ---------------------------------------------------------------- writer events

    private AofWriter newWriter(FileChannel ch, long size) {
        AofWriter[] self = new AofWriter[1];
        AofWriter w = new AofWriter(ch, size, AofWriter.policyOf(server.config.appendfsync), new AofWriter.Events() {
            @Override
            public void writeFailed(String reason, long nwritten, long expected, String truncateError) {
                if (self[0].policy == AofWriter.FSYNC_ALWAYS) {
                    logWriteError(reason, nwritten, expected, truncateError, true);
                    server.log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                    Runtime.getRuntime().halt(1);
                }
                post(() -> {
                    logWriteError(reason, nwritten, expected, truncateError, false);
                    lastWriteOk = false;
                });
            }

            @Override
            public void writeRecovered() {
                post(() -> {
                    if (!lastWriteOk) {
                        server.log.warning("AOF write error looks solved, Redis can write again.");
                        lastWriteOk = true;
                    }
                });
            }

            @Override
            public void fsyncFailed(String reason) {
                if (self[0].policy == AofWriter.FSYNC_ALWAYS) {
                    server.log.warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': " + reason + ". Exiting...");
                    Runtime.getRuntime().halt(1);
                }
                boolean was = fsyncError;
                fsyncError = true;
                post(() -> {
                    lastWriteErrno = reason;
                    if (!was) server.log.warning("Fail to fsync the AOF file: " + reason);
                });
            }

            @Override
            public void synced(long offset) {
                onSynced();
            }

            @Override
            public void writesDelayedByFsync() {
                post(() -> {
                    delayedFsync++;
                    server.log.notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
                });
            }
        });
        self[0] = w;
        w.start();
        return w;
    }

    /** flushAppendOnlyFile's error log, at most once every {@link #WRITE_LOG_ERROR_RATE} seconds. */
    private void logWriteError(String reason, long nwritten, long expected, String truncateError, boolean force) {
        long now = nowSec();
        lastWriteErrno = nwritten > 0 || truncateError != null ? "No space left on device" : reason;
        if (!force && now - lastWriteErrorLog <= WRITE_LOG_ERROR_RATE) return;
        lastWriteErrorLog = now;
        if (nwritten == 0 && truncateError == null) {
            server.log.warning("Error writing to the AOF file: " + reason);
        } else {
            server.log.warning("Short write while writing to the AOF file: (nwritten=" + nwritten + ", expected=" + expected + ")");
            if (truncateError != null) {
                server.log.warning("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: "
                        + truncateError);
            }
        }
    }

    /** writeCommandsDeniedByDiskError's AOF part: -MISCONF for writes and PING while writes or fsyncs fail. */
    String checkDiskError(Client c, Command cmd) {
        if (state == AOF_OFF || (lastWriteOk && !fsyncError)) return null;
        if (cmd.has(Command.WRITE) || cmd.fullName.equals("ping")) return "-MISCONF Errors writing to the AOF file: " + lastWriteErrno;
        return null;
    }

    private void configChanged(Config.Option o) {
        switch (o.name) {
            case "appendonly" -> {
                if (server.config.appendonly && state == AOF_OFF) startAppendOnly();
                else if (!server.config.appendonly && state != AOF_OFF) stopAppendOnly();
            }
            case "appendfsync" -> {
                AofWriter w = writer;
                if (w != null) w.setPolicy(AofWriter.policyOf(server.config.appendfsync));
                if (!heldClients.isEmpty()) queueRelease();
            }
            case "aof-timestamp-enabled" -> timestampEnabled = server.config.getBool("aof-timestamp-enabled");
            default -> {
            }
        }
    }

    // ---------------------------------------------------------------- start-up

    /**
     * Start-up with appendonly yes (aofLoadManifestFromDisk, loadDataFromDisk's AOF part,
     * aofOpenIfNeededOnServerStart, aofDelHistoryFiles), on the executor with the listeners bound:
     * the AOF directory is loaded through {@link Loading} (clients get -LOADING; see
     * {@link AofLoader} for what runs where), then the last incr file is opened for appending
     * (creating a base from the loaded data and an incr file when there were none). done gets a
     * {@link RdbPersistence} LOAD_* outcome on the executor, after Redis's log lines.
     */
    public void startLoadingAtStart(java.util.function.IntConsumer done) {
        if (!server.config.appendonly) {
            done.accept(RdbPersistence.LOAD_OK);
            return;
        }
        state = AOF_ON;
        if (!loadManifestFromDisk() || !upgradeIfNeeded()) {
            done.accept(fatalAtStart());
            return;
        }
        long start = System.nanoTime();
        AofLoader loader = new AofLoader(server, aofDir());
        int ret = loader.prepare(manifest);
        if (ret == AofLoader.AOF_FAILED) {
            done.accept(fatalAtStart());
            return;
        }
        if (ret != AofLoader.AOF_OK) { // nothing to load: no loading state, as Redis skips startLoading
            done.accept(openAfterLoad(loader, ret, start));
            return;
        }
        AofManifest am = manifest;
        Client fake = server.createFakeClient();
        server.loading.start("starling-aof-load", loader.totalSize,
                (fresh, progress) -> loader.loadFiles(am, fresh, progress, fake),
                err -> {
                    if (err == null) {
                        done.accept(openAfterLoad(loader, AofLoader.AOF_OK, start));
                    } else if (err instanceof Loading.Cancelled) {
                        done.accept(RdbPersistence.LOAD_CANCELLED);
                    } else {
                        if (!(err instanceof AofLoader.Failed)) server.log.warning("Fatal error loading the AOF: " + err + ". Exiting.");
                        done.accept(fatalAtStart());
                    }
                });
    }

    /** The tail of start-up once the files are loaded (or there were none): opens the incr file; a LOAD_* outcome. */
    private int openAfterLoad(AofLoader loader, int ret, long start) {
        if (ret != AofLoader.AOF_NOT_EXIST) {
            server.log.notice(String.format("DB loaded from append only file: %.3f seconds", (System.nanoTime() - start) / 1e9));
        }
        sizeBase = loader.totalSize;
        rewriteBaseSize = loader.baseSize;
        loader.notePreamble(server.rdb);
        if (!openOnServerStart()) return fatalAtStart();
        delHistoryFiles();
        return RdbPersistence.LOAD_OK;
    }

    /** Start-up cannot go on (already logged): nothing is served until the process exits. */
    private int fatalAtStart() {
        server.loading.begin(0);
        return RdbPersistence.LOAD_FATAL;
    }

    /**
     * Main's start-up entry point with appendonly yes: runs {@link #startLoadingAtStart} and waits
     * for its outcome, {@link RdbPersistence#LOAD_OK}, LOAD_FATAL (after logging why) or LOAD_CANCELLED.
     */
    public int loadAtStart() throws InterruptedException {
        java.util.concurrent.CompletableFuture<Integer> f = new java.util.concurrent.CompletableFuture<>();
        server.execute(() -> {
            try {
                startLoadingAtStart(f::complete);
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            server.log.warning("Fatal error loading the AOF: " + e.getCause() + ". Exiting.");
            return RdbPersistence.LOAD_FATAL;
        }
    }

    /**
     * DEBUG LOADAOF: writes out the AOF buffer, empties the dataset and replaces it with what the
     * AOF directory holds, as 7.0 does (it re-reads the manifest and removes history files first).
     * The files load through {@link Loading}, as at start-up: other clients get -LOADING meanwhile
     * (Redis serves events while it loads) and the caller is blocked, with its pipelined commands
     * waiting, until the +OK. Inside MULTI/EXEC or a script, which cannot block, the load runs on
     * the executor. As in 7.0, a directory that cannot be loaded, or none at all (appendonly no and
     * no AOF), or a truncated one, makes the server exit with status 1.
     */
    public void debugLoadAof(Client c) {
        if (server.loading.inProgress()) {
            c.addReplyError(Errors.LOADING); // one load at a time (Redis cannot get here: it loads on its main thread)
            return;
        }
        if (state != AOF_OFF) {
            server.propagator.flushStream();
            AofWriter w = writer;
            if (w != null && !w.flushAndSync(30_000)) server.log.warning("Fail to fsync the AOF file: timed out");
        }
        server.loading.swapIn(server.loading.newKeyspace()); // emptyData
        if (!loadManifestFromDisk()) Runtime.getRuntime().halt(1);
        delHistoryFiles();
        AofLoader loader = new AofLoader(server, aofDir());
        int ret = loader.prepare(manifest);
        if (ret != AofLoader.AOF_OK) {
            debugLoadAofDone(c, loader, ret);
        } else if (Blocking.deniesBlocking(c)) {
            dev.starling.keyspace.Keyspace fresh = server.loading.newKeyspace();
            dev.starling.keyspace.Keyspace live = server.keyspace;
            server.keyspace = fresh; // handlers resolve databases through it (SELECT, MOVE, SWAPDB, FLUSHALL)
            server.propagator.suppressed = true;
            try {
                ret = loader.loadFiles(manifest, fresh, null, server.createFakeClient());
            } catch (AofLoader.Failed | Loading.Cancelled e) {
                ret = AofLoader.AOF_FAILED;
            } finally {
                server.keyspace = live;
                server.propagator.suppressed = false;
            }
            if (ret == AofLoader.AOF_OK) server.loading.swapIn(fresh);
            debugLoadAofDone(c, loader, ret);
        } else {
            // Blocked on nothing, outside the blocking tables: CLIENT UNBLOCK cannot end the wait,
            // as it cannot end Redis's (the caller is the command running).
            c.flags |= Client.BLOCKED | Client.RUNNING_OFF_EXECUTOR;
            AofManifest am = manifest;
            Client fake = server.createFakeClient();
            int[] result = {AofLoader.AOF_FAILED};
            server.loading.start("starling-aof-load", loader.totalSize,
                    (fresh, progress) -> result[0] = loader.loadFiles(am, fresh, progress, fake),
                    err -> {
                        c.flags &= ~(Client.BLOCKED | Client.RUNNING_OFF_EXECUTOR);
                        if (err instanceof Loading.Cancelled) return; // shutting down: no reply, as Redis exits mid-load
                        if (err != null && !(err instanceof AofLoader.Failed)) server.log.warning("Fatal error loading the AOF: " + err + ". Exiting.");
                        debugLoadAofDone(c, loader, err == null ? result[0] : AofLoader.AOF_FAILED);
                        // What processCommand does after a command: serve clients blocked on loaded keys.
                        if (server.blocking.hasReadyKeys()) server.blocking.handleClientsBlockedOnKeys();
                        c.commandProcessed();
                        server.resumeClient(c, null, 0); // the +OK, then what the caller pipelined meanwhile
                    });
        }
    }

    /** The end of DEBUG LOADAOF once the files are in (Loading swapped them in) or failed with ret. */
    private void debugLoadAofDone(Client c, AofLoader loader, int ret) {
        if (ret != AofLoader.AOF_OK && ret != AofLoader.AOF_EMPTY) Runtime.getRuntime().halt(1);
        // Redis's replay adds keys with dbAdd, which wakes clients blocked on them.
        for (dev.starling.keyspace.Db db : server.keyspace.dbs) server.blocking.scanDatabaseForReadyKeys(db);
        loader.notePreamble(server.rdb);
        if (ret == AofLoader.AOF_OK) { // loadAppendOnlyFiles sets aof_current_size and aof_rewrite_base_size
            AofWriter w = writer;
            sizeBase = loader.totalSize - (w == null ? 0 : w.written);
            rewriteBaseSize = loader.baseSize;
        }
        server.dirty = 0; // prevent AOF and replication
        server.log.warning("Append Only File loaded by DEBUG LOADAOF");
        c.addReplyOk();
    }

    /** aofLoadManifestFromDisk: false (after Redis's FATAL block) if the manifest cannot be read. */
    boolean loadManifestFromDisk() {
        manifest = new AofManifest();
        Path d = aofDir();
        if (!Files.isDirectory(d)) {
            server.log.debug("The AOF directory " + server.config.appenddirname + " doesn't exist");
            return true;
        }
        String name = AofManifest.manifestName(server.config.appendfilename);
        Path file = d.resolve(name);
        if (!Files.exists(file)) {
            server.log.debug("The AOF manifest file " + name + " doesn't exist");
            return true;
        }
        try {
            manifest = AofManifest.parse(Files.readAllBytes(file));
            return true;
        } catch (IOException e) {
            server.log.warning("Fatal error: can't open the AOF manifest file " + file + " for reading: " + RdbPersistence.ioReason(e));
            return false;
        } catch (AofManifest.FormatError e) {
            server.log.warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
            if (e.line != null) {
                server.log.warning("Reading the manifest file, at line " + e.lineNum + "\n");
                server.log.warning(">>> '" + e.line + "'\n");
            }
            server.log.warning(e.getMessage() + "\n");
            return false;
        }
    }

    /** aofUpgradePrepare: an old-style appendonly.aof in dir becomes the base of a new AOF directory. */
    private boolean upgradeIfNeeded() {
        String name = server.config.appendfilename;
        Path old = dir().resolve(name);
        if (!Files.isRegularFile(old)) return true;
        boolean upgrade = !Files.isDirectory(aofDir()) || manifest.isEmpty()
                || (manifest.base != null && manifest.incr.isEmpty() && manifest.base.fileName.equals(name)
                && !Files.exists(aofDir().resolve(name)));
        if (!upgrade) return true;
        if (!mkdirAofDir()) return false;
        AofManifest am = new AofManifest();
        am.base = new AofManifest.Info(name, 1, AofManifest.TYPE_BASE);
        am.currBaseSeq = 1;
        if (!persist(am)) return false;
        try {
            Files.move(old, aofDir().resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            server.log.warning("Error trying to move the old AOF file " + name + " into dir " + server.config.appenddirname + ": "
                    + RdbPersistence.ioReason(e));
            return false;
        }
        manifest = am;
        server.log.notice("Successfully migrated an old-style AOF file (" + name + ") into the AOF directory (" + server.config.appenddirname + ").");
        return true;
    }

    private boolean mkdirAofDir() {
        try {
            Files.createDirectories(aofDir());
            return true;
        } catch (IOException e) {
            server.log.warning("Can't open or create append-only dir " + server.config.appenddirname + ": " + RdbPersistence.ioReason(e));
            return false;
        }
    }

    /** persistAofManifest: writes am if it changed; false after logging if it could not. */
    private boolean persist(AofManifest am) {
        if (!am.dirty) return true;
        String err = AofManifest.write(aofDir(), server.config.appendfilename, am.format());
        if (err != null) {
            server.log.warning(err);
            return false;
        }
        am.dirty = false;
        return true;
    }

    /** aofOpenIfNeededOnServerStart. */
    private boolean openOnServerStart() {
        if (!mkdirAofDir()) return false;
        int incrs = manifest.incr.size();
        if (manifest.base == null && incrs == 0) {
            String base = manifest.newBaseAndMarkPreviousAsHistory(server.config.appendfilename, rdbPreamble());
            if (!rewriteAppendOnlyFile(aofDir().resolve(base))) return false;
            server.log.notice("Creating AOF base file " + base + " on server start");
        }
        String name = manifest.lastIncrOrNew(server.config.appendfilename);
        FileChannel ch;
        long size;
        try {
            ch = FileChannel.open(aofDir().resolve(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            size = ch.size();
        } catch (IOException e) {
            server.log.warning("Can't open the append-only file " + name + ": " + RdbPersistence.ioReason(e));
            return false;
        }
        if (!persist(manifest)) return false;
        writer = newWriter(ch, size);
        attach();
        server.log.notice((incrs > 0 ? "Opening" : "Creating") + " AOF incr file " + name + " on server start");
        return true;
    }

    /** aofDelHistoryFiles: removes history files (unless aof-disable-auto-gc) and persists the manifest. */
    private void delHistoryFiles() {
        if (server.config.getBool("aof-disable-auto-gc") || manifest.history.isEmpty()) return;
        for (AofManifest.Info ai : manifest.history) {
            server.log.notice("Removing the history file " + ai.fileName + " in the background");
            deleteQuietly(aofDir().resolve(ai.fileName));
        }
        manifest.history.clear();
        manifest.dirty = true;
        persist(manifest);
    }

    // ---------------------------------------------------------------- rewrite

    /** An RDB base (aof-base 1) written to ch. */
    private RdbFileWriter rdbBase(FileChannel ch) {
        server.keyspace.updateTime();
        return new RdbFileWriter(server.keyspace, ch, server.config.rdbcompression, server.config.rdbchecksum,
                server.config.maxmemoryPolicy, server.usedMemory(), null, true);
    }

    /** A base in command form written to ch. */
    private AofCommandWriter commandBase(FileChannel ch) {
        return new AofCommandWriter((b, off, len) -> RdbFileWriter.writeFully(ch, java.nio.ByteBuffer.wrap(b, off, len)),
                timestampEnabled ? nowSec() : -1, server.config.rdbcompression);
    }

    /**
     * rewriteAppendOnlyFile: the whole keyspace, synchronously, to temp-rewriteaof-&lt;pid&gt;.aof,
     * fsynced and renamed to target. False after logging Redis's line.
     */
    boolean rewriteAppendOnlyFile(Path target) {
        Path tmp = dir().resolve("temp-rewriteaof-" + pid + ".aof");
        FileChannel ch = openRewriteTemp(tmp);
        if (ch == null) return false;
        Snapshot s = server.keyspace.startSnapshot(rdbPreamble() ? rdbBase(ch).serializer : commandBase(ch));
        while (s.state() == Snapshot.RUNNING) s.step(1 << 20);
        try {
            if (s.state() != Snapshot.DONE) throw new IOException(String.valueOf(s.failure()));
            ch.force(true);
            ch.close();
        } catch (IOException e) {
            server.log.warning("Write error writing append only file on disk: " + RdbPersistence.ioReason(e));
            closeQuietly(ch);
            deleteQuietly(tmp);
            return false;
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            server.log.warning("Error moving temp append only file on the final destination: " + RdbPersistence.ioReason(e));
            deleteQuietly(tmp);
            return false;
        }
        return true;
    }

    /** Creates or truncates a rewrite's temp file; null after logging Redis's line. */
    private FileChannel openRewriteTemp(Path tmp) {
        try {
            return FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            server.log.warning("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): " + RdbPersistence.ioReason(e));
            return null;
        }
    }

    /** rewriteAppendOnlyFileBackground: false (and nothing started) if it could not start. */
    public boolean rewriteAppendOnlyFileBackground() {
        if (rewrite != null || server.rdb.bgsaveInProgress()) return false;
        if (!mkdirAofDir()) {
            lastBgrewriteOk = false;
            return false;
        }
        aofSelectedDb = -1;
        server.propagator.flushStream(); // flushAppendOnlyFile(1): what came before the cut goes to the old file
        long incrStart = writer == null ? 0 : writer.appended;
        if (!openNewIncrAofForAppend()) {
            lastBgrewriteOk = false;
            return false;
        }
        rewrites++;
        String tmpName = "temp-rewriteaof-bg-" + pid + ".aof";
        Path tmp = dir().resolve(tmpName);
        FileChannel ch = openRewriteTemp(tmp);
        if (ch == null) {
            // A child would have failed here: the rewrite ends with an error.
            server.log.notice("Background append only file rewriting started by pid " + pid);
            rewriteScheduled = false;
            Rewrite failed = new Rewrite(null, null, tmp, tmpName, nowSec(), incrStart, true);
            rewrite = failed;
            server.execute(() -> rewriteDone(failed, "open", false));
            return true;
        }
        boolean rdb = rdbPreamble();
        Rewrite[] started = new Rewrite[1];
        // Runs on the base writer's thread once the last byte went to the file (or it failed).
        RdbSnapshotSerializer.Finish finish = (err, cancelled) -> {
            if (err == null) {
                try {
                    ch.force(true);
                } catch (IOException e) {
                    err = "(fsync): " + e.getMessage();
                }
            }
            closeQuietly(ch);
            if (err == null) server.log.notice("Successfully created the temporary AOF base file " + tmpName);
            String result = err;
            post(() -> rewriteDone(started[0], result, cancelled));
        };
        Snapshot s;
        java.util.function.LongSupplier peak;
        if (rdb) {
            RdbSnapshotSerializer ser = rdbBase(ch).serializer;
            s = ser.start(server, "starling-aof-rewrite", finish);
            peak = ser::peakQueuedBytes;
        } else {
            AofCommandWriter cw = commandBase(ch);
            s = cw.start(server, "starling-aof-rewrite", finish);
            peak = cw::peakQueuedBytes;
        }
        rewrite = started[0] = new Rewrite(s, peak, tmp, tmpName, nowSec(), incrStart, rdb);
        server.log.notice("Background append only file rewriting started by pid " + pid);
        rewriteScheduled = false;
        return true;
    }

    /**
     * openNewIncrAofForAppend: with the AOF on, a new incr file in a new persisted manifest; while
     * waiting for the first rewrite, temp-&lt;name&gt;.incr. Writes from now on go there.
     */
    private boolean openNewIncrAofForAppend() {
        if (state == AOF_OFF) return true;
        AofManifest temp = null;
        String name;
        if (state == AOF_WAIT_REWRITE) {
            name = AofManifest.tempIncrName(server.config.appendfilename);
        } else {
            temp = manifest.dup();
            name = temp.newIncr(server.config.appendfilename);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(aofDir().resolve(name), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            server.log.warning("Can't open the append-only file " + name + ": " + RdbPersistence.ioReason(e));
            return false;
        }
        if (temp != null && !persist(temp)) {
            closeQuietly(ch);
            return false;
        }
        server.log.notice("Creating AOF incr file " + name + " on background rewrite");
        if (writer == null) {
            writer = newWriter(ch, 0);
            sizeBase = 0;
        } else {
            writer.switchFile(ch, 0);
        }
        if (temp != null) manifest = temp;
        return true;
    }

    /** backgroundRewriteDoneHandler, on the executor once the base file is fsynced (or failed). */
    private void rewriteDone(Rewrite rw, String err, boolean cancelled) {
        if (rw.killed || rewrite != rw) {
            deleteQuietly(rw.tmp);
            return;
        }
        rewrite = null;
        lastRewriteTimeSec = nowSec() - rw.startSec;
        if (rw.peak != null) lastCowSize = rw.peak.getAsLong();
        if (err == null && rw.snapshot != null && rw.snapshot.state() != Snapshot.DONE) err = String.valueOf(rw.snapshot.failure());
        if (cancelled) {
            server.log.warning("Background AOF rewrite terminated by signal 10");
        } else if (err != null) {
            if (!err.equals("open")) server.log.warning("Write error writing append only file on disk: " + err);
            server.log.warning("Background AOF rewrite terminated with error");
            failRewrite();
        } else {
            server.log.notice("Background AOF rewrite terminated with success");
            finishRewrite(rw);
        }
        deleteQuietly(rw.tmp);
        if (state == AOF_WAIT_REWRITE) {
            // A failed first rewrite: its temp incr file is useless, the next rewrite starts over.
            String temp = AofManifest.tempIncrName(server.config.appendfilename);
            server.log.notice("Removing the temp incr aof file " + temp + " in the background");
            deleteQuietly(aofDir().resolve(temp));
            rewriteScheduled = true;
        }
    }

    private void failRewrite() {
        lastBgrewriteOk = false;
        consecutiveFailures++;
    }

    private void finishRewrite(Rewrite rw) {
        String aofName = server.config.appendfilename;
        AofManifest temp = manifest.dup();
        String base = temp.newBaseAndMarkPreviousAsHistory(aofName, rw.rdbBase);
        Path basePath = aofDir().resolve(base);
        try {
            Files.move(rw.tmp, basePath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            server.log.warning("Error trying to rename the temporary AOF base file " + rw.tmpName + " into " + basePath + ": "
                    + RdbPersistence.ioReason(e));
            failRewrite();
            return;
        }
        server.log.notice("Successfully renamed the temporary AOF base file " + rw.tmpName + " into " + base);
        Path newIncrPath = null;
        if (state == AOF_WAIT_REWRITE) {
            String tempIncr = AofManifest.tempIncrName(aofName);
            String incr = temp.newIncr(aofName);
            newIncrPath = aofDir().resolve(incr);
            try {
                Files.move(aofDir().resolve(tempIncr), newIncrPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                server.log.warning("Error trying to rename the temporary AOF incr file " + aofDir().resolve(tempIncr) + " into "
                        + newIncrPath + ": " + RdbPersistence.ioReason(e));
                deleteQuietly(basePath);
                failRewrite();
                return;
            }
            server.log.notice("Successfully renamed the temporary AOF incr file " + tempIncr + " into " + incr);
        }
        temp.markRewrittenIncrAsHistory(writer != null);
        if (!persist(temp)) {
            deleteQuietly(basePath);
            if (newIncrPath != null) deleteQuietly(newIncrPath);
            failRewrite();
            return;
        }
        manifest = temp;
        if (writer != null) {
            aofSelectedDb = -1; // SELECT is issued again
            long baseSize = 0;
            try {
                baseSize = Files.size(basePath);
            } catch (IOException e) {
                server.log.warning("Unable to obtain the AOF file " + base + " length. stat: " + RdbPersistence.ioReason(e));
            }
            sizeBase = baseSize - rw.incrStart;
            rewriteBaseSize = currentSize();
        }
        delHistoryFiles();
        lastBgrewriteOk = true;
        consecutiveFailures = 0;
        server.log.notice("Background AOF rewrite finished successfully");
        if (state == AOF_WAIT_REWRITE) state = AOF_ON;
    }

    /** killAppendOnlyChild. */
    void killAppendOnlyChild() {
        Rewrite rw = rewrite;
        if (rw == null) return;
        server.log.notice("Killing running AOF rewrite child: " + pid);
        rw.killed = true;
        rewrite = null;
        if (rw.snapshot != null) rw.snapshot.cancel();
        deleteQuietly(rw.tmp);
    }

    // ---------------------------------------------------------------- on and off

    /**
     * startAppendOnly (CONFIG SET appendonly yes): WAIT_REWRITE, and a rewrite when possible. The
     * rewrite starts right after the current command (never inside it: a transaction's queued
     * effects would be both in the cut and in the new incr file), as Redis defers it out of EXEC.
     */
    void startAppendOnly() {
        state = AOF_WAIT_REWRITE;
        attach();
        rewriteScheduled = true;
        if (server.rdb.bgsaveInProgress()) {
            server.log.warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else {
            server.execute(this::startRewriteNow);
        }
    }

    private void startRewriteNow() {
        if (state != AOF_WAIT_REWRITE || !rewriteScheduled || server.rdb.bgsaveInProgress()) return;
        {
            if (rewrite != null) {
                server.log.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                killAppendOnlyChild();
            }
            if (!rewriteAppendOnlyFileBackground()) {
                state = AOF_OFF;
                detach();
                server.log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            }
        }
    }

    /** stopAppendOnly (CONFIG SET appendonly no). */
    void stopAppendOnly() {
        server.propagator.flushStream();
        detach();
        AofWriter w = writer;
        if (w != null) {
            if (!w.flushAndSync(10_000)) server.log.warning("Fail to fsync the AOF file: timed out");
            w.stop();
        }
        writer = null;
        aofSelectedDb = -1;
        state = AOF_OFF;
        rewriteScheduled = false;
        killAppendOnlyChild();
        releaseHeld();
    }

    // ---------------------------------------------------------------- cron, shutdown, command

    /** serverCron's AOF part: a scheduled rewrite, then the automatic rewrite on growth, both subject to {@link #aofRewriteLimited}. */
    void cron() {
        if (rewrite == null && !server.rdb.bgsaveInProgress() && rewriteScheduled && !aofRewriteLimited()) {
            rewriteAppendOnlyFileBackground();
        }
        long perc = server.config.getLong("auto-aof-rewrite-percentage");
        long cur = currentSize();
        if (state == AOF_ON && rewrite == null && !server.rdb.bgsaveInProgress() && perc > 0
                && cur > server.config.getLong("auto-aof-rewrite-min-size")) {
            long base = rewriteBaseSize > 0 ? rewriteBaseSize : 1;
            long growth = cur * 100 / base - 100;
            if (growth >= perc && !aofRewriteLimited()) {
                server.log.notice("Starting automatic rewriting of AOF on " + growth + "% growth");
                rewriteAppendOnlyFileBackground();
            }
        }
    }

    /** AOF_REWRITE_LIMITE_THRESHOLD: consecutive failures from which automatic rewrites back off. */
    static final int REWRITE_LIMIT_THRESHOLD = 3;
    /** AOF_REWRITE_LIMITE_MAX_MINUTES: the longest back-off. */
    static final int REWRITE_LIMIT_MAX_MINUTES = 60;
    /** aofRewriteLimited's static state: the current back-off, and when it ends (0: not waiting). */
    private int nextDelayMinutes;
    private long nextRewriteTime;

    /**
     * aofRewriteLimited: true if an automatic rewrite must wait. After {@link #REWRITE_LIMIT_THRESHOLD}
     * consecutive failures (each of which leaves a new small incr file behind) automatic rewrites
     * wait 1 minute, then 2, 4, ... up to an hour; one attempt is allowed each time a wait ends.
     * BGREWRITEAOF by hand is never limited, and when scheduled it resets the failure count.
     */
    boolean aofRewriteLimited() {
        if (consecutiveFailures < REWRITE_LIMIT_THRESHOLD) {
            nextDelayMinutes = 0; // recovering from the limited state, if we were in it
            nextRewriteTime = 0;
            return false;
        }
        long now = nowSec();
        if (nextRewriteTime != 0) {
            if (now < nextRewriteTime) return true;
            nextRewriteTime = 0;
            return false;
        }
        nextDelayMinutes = nextDelayMinutes == 0 ? 1 : Math.min(nextDelayMinutes * 2, REWRITE_LIMIT_MAX_MINUTES);
        nextRewriteTime = now + nextDelayMinutes * 60L;
        server.log.warning("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in " + nextDelayMinutes + " minutes");
        return true;
    }

    /** prepareForShutdown's AOF part: kill a rewrite, then write and fsync everything. */
    private void beforeShutdown() {
        if (rewrite != null) {
            server.log.warning("There is a child rewriting the AOF. Killing it!");
            killAppendOnlyChild();
        }
        // Nothing is open while the AOF still loads, and 7.0 logs nothing then either.
        if (state == AOF_OFF || writer == null) return;
        server.log.notice("Calling fsync() on the AOF file.");
        server.propagator.flushStream();
        AofWriter w = writer;
        if (w != null && !w.flushAndSync(30_000)) server.log.warning("Fail to fsync the AOF file: timed out.");
    }

    /** BGREWRITEAOF. */
    public void bgrewriteaofCommand(Client c) {
        if (rewrite != null) {
            c.addReplyError("Background append only file rewriting already in progress");
        } else if (server.rdb.bgsaveInProgress() || c.has(Client.MULTI)) {
            rewriteScheduled = true;
            consecutiveFailures = 0;
            c.addReplyStatus("Background append only file rewriting scheduled");
        } else if (rewriteAppendOnlyFileBackground()) {
            c.addReplyStatus("Background append only file rewriting started");
        } else {
            c.addReplyError("Can't execute an AOF background rewriting. Please check the server logs for more information.");
        }
    }
}
