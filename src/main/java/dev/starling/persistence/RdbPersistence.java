package dev.starling.persistence;

import dev.starling.command.Command;
import dev.starling.keyspace.Snapshot;
import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import static dev.starling.persistence.QuietFiles.closeQuietly;
import static dev.starling.persistence.QuietFiles.deleteQuietly;

/**
 * RDB files (Redis's rdb.c save side and the persistence part of server.c): SAVE, BGSAVE, save
 * points in the cron, FLUSHALL's save, the shutdown save, the MISCONF write barrier, INFO
 * persistence fields.
 *
 * <h2>Forkless BGSAVE</h2>
 * Redis forks a child that writes the file from its copy-on-write view. Here an
 * {@link RdbSnapshotSerializer}'s own thread walks a {@link Snapshot} of the keyspace, encodes,
 * compresses, checksums and writes the file ({@link RdbFileWriter}), fsyncs it and renames it into
 * place (as Redis's child does: replacing a large old file frees its blocks, which the executor
 * must not wait for). The executor's part is the snapshot's pre-write hooks, which hand over the
 * keys a write touches before the walk reached them. What a fork would cost in copied pages is
 * here the peak of those handed-over bytes (rdb_last_cow_size); latest_fork_usec stays 0.
 *
 * <h2>Where Redis prints a child's pid</h2>
 * There is no child: "Background saving started by pid N" prints the server's own pid, and the
 * temporary file of a BGSAVE is temp-&lt;pid&gt;-bg.rdb (SAVE's is Redis's temp-&lt;pid&gt;.rdb), so a
 * SAVE run while a cancelled BGSAVE is still being cleaned up never shares its file.
 *
 * <p>Everything runs on the executor except the writer thread's part of a BGSAVE.
 */
public final class RdbPersistence {
    /** CONFIG_BGSAVE_RETRY_DELAY: seconds between save-point BGSAVEs after a failed one. */
    static final int BGSAVE_RETRY_DELAY = 5;

    private final Server server;
    private final long pid = ProcessHandle.current().pid();

    boolean lastBgsaveOk = true;
    long lastBgsaveTry;
    long dirtyBeforeBgsave;
    long lastBgsaveTimeSec = -1;
    long rdbSaves;
    long lastCowSize;
    boolean bgsaveScheduled;
    /** The running BGSAVE, or null. */
    Bgsave bgsave;
    /** Another background job Redis would run as a child (an AOF rewrite): BGSAVE waits for it. */
    public java.util.function.BooleanSupplier otherChildActive = () -> false;
    /** Set by loading at start (INFO rdb_last_load_keys_*). */
    long lastLoadKeysLoaded, lastLoadKeysExpired;

    /** One BGSAVE in flight. */
    final class Bgsave {
        final Snapshot snapshot;
        final RdbFileWriter writer;
        final long startSec;
        /** Told when it ends (a disk-based replica full sync), or null. */
        BgsaveListener listener;

        Bgsave(Snapshot snapshot, RdbFileWriter writer, long startSec) {
            this.snapshot = snapshot;
            this.writer = writer;
            this.startSec = startSec;
        }
    }

    /** Told on the executor when a BGSAVE ends (replication's disk target, updateSlavesWaitingBgsave). */
    public interface BgsaveListener {
        /** ok: dbfilename now holds the snapshot. */
        void bgsaveDone(boolean ok);
    }

    private RdbPersistence(Server server) {
        this.server = server;
    }

    /** Creates the subsystem and hooks it into the server (cron, filter, INFO, shutdown). */
    public static RdbPersistence install(Server server) {
        RdbPersistence p = new RdbPersistence(server);
        server.cronHooks.add(p::cron);
        server.rdbMisconfCheck = p::checkDiskError;
        server.shutdownSaver = p::saveBeforeShutdown;
        server.infoFields.put("rdb_bgsave_in_progress", () -> p.bgsave != null ? 1 : 0);
        server.infoFields.put("rdb_last_bgsave_status", () -> p.lastBgsaveOk ? "ok" : "err");
        server.infoFields.put("rdb_last_bgsave_time_sec", () -> p.lastBgsaveTimeSec);
        server.infoFields.put("rdb_current_bgsave_time_sec", () -> p.bgsave != null ? p.nowSec() - p.bgsave.startSec : -1);
        server.infoFields.put("rdb_saves", () -> p.rdbSaves);
        server.infoFields.put("rdb_last_cow_size", () -> p.lastCowSize);
        server.infoFields.put("current_save_keys_processed", () -> p.bgsave != null ? p.bgsave.snapshot.keysProcessed() : 0);
        server.infoFields.put("current_save_keys_total", () -> p.bgsave != null ? p.bgsave.snapshot.keysTotal() : 0);
        server.infoFields.put("rdb_last_load_keys_loaded", () -> server.loading.inProgress() ? server.loading.keysLoaded() : p.lastLoadKeysLoaded);
        server.infoFields.put("rdb_last_load_keys_expired", () -> p.lastLoadKeysExpired);
        return p;
    }

    long nowSec() {
        return server.clock.millis() / 1000;
    }

    File dir() {
        return new File(server.config.dir);
    }

    public boolean bgsaveInProgress() {
        return bgsave != null;
    }

    // ---------------------------------------------------------------- SAVE

    /**
     * rdbSave: the whole keyspace, synchronously, to dir/temp-pid.rdb, fsynced and renamed to
     * dbfilename. On success dirty is reset and LASTSAVE moves; returns false after logging
     * Redis's line on failure.
     */
    public boolean rdbSave() {
        String tmpName = "temp-" + pid + ".rdb";
        Path tmp = dir().toPath().resolve(tmpName);
        FileChannel ch = openTemp(tmp, tmpName);
        if (ch == null) return false;
        RdbFileWriter w = newWriter(ch);
        Snapshot s = server.keyspace.startSnapshot(w.serializer);
        while (s.state() == Snapshot.RUNNING) s.step(1 << 20);
        String op = "rdbSaveRio"; // Redis's err_op: the step that failed
        try {
            if (s.state() != Snapshot.DONE) {
                RuntimeException f = s.failure();
                throw f instanceof java.io.UncheckedIOException u ? u.getCause() : new IOException(String.valueOf(f));
            }
            op = "fsync";
            ch.force(true);
            op = "fclose";
            ch.close();
        } catch (IOException e) {
            server.log.warning("Write error saving DB on disk(" + op + "): " + ioReason(e));
            closeQuietly(ch);
            deleteQuietly(tmp);
            return false;
        }
        if (!renameIntoPlace(tmp, tmpName)) return false;
        server.log.notice("DB saved on disk");
        server.dirty = 0;
        server.lastSaveUnix = nowSec();
        lastBgsaveOk = true;
        return true;
    }

    /** Creates or truncates the temp file; null after logging Redis's line if it cannot be opened. */
    private FileChannel openTemp(Path tmp, String tmpName) {
        try {
            return FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            server.log.warning("Failed opening the temp RDB file " + tmpName + " (in server root dir " + server.config.dir
                    + ") for saving: " + ioReason(e));
            return null;
        }
    }

    /** A file writer for the keyspace as it is now, with the current rdbcompression, rdbchecksum and policy. */
    private RdbFileWriter newWriter(FileChannel ch) {
        server.keyspace.updateTime();
        RdbFileWriter w = new RdbFileWriter(server.keyspace, ch, server.config.rdbcompression,
                server.config.rdbchecksum, server.config.maxmemoryPolicy, server.usedMemory(),
                server.replication.rdbPopulateSaveInfo(), false);
        w.serializer.applyKeySaveDelay(server.config);
        return w;
    }

    /** rename(2) of the temp file onto dbfilename, then fsync of the directory (fsyncFileDir). */
    private boolean renameIntoPlace(Path tmp, String tmpName) {
        return renameIntoPlace(tmp, tmpName, dir().toPath(), server.config.dbfilename, server.config.dir);
    }

    /**
     * Any thread (BGSAVE's writer thread calls it, as Redis's child renames its own file: replacing
     * a large old file frees its blocks, tens of milliseconds the executor must not spend).
     */
    private boolean renameIntoPlace(Path tmp, String tmpName, Path dir, String dbfilename, String dirName) {
        Path target = dir.resolve(dbfilename);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            server.log.warning("Error moving temp DB file " + tmpName + " on the final destination " + dbfilename
                    + " (in server root dir " + dirName + "): " + ioReason(e));
            deleteQuietly(tmp);
            return false;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // Redis logs nothing either when the directory cannot be synced (not every filesystem allows it).
        }
        return true;
    }

    public static String ioReason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "No such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException) return "Permission denied";
        return String.valueOf(e.getMessage());
    }

    // ---------------------------------------------------------------- BGSAVE

    /** rdbSaveBackground: starts a forkless BGSAVE; false if one runs already. */
    public boolean rdbSaveBackground() {
        return rdbSaveBackground(null);
    }

    /**
     * rdbSaveBackground for a replica full sync with disk target: as BGSAVE, and listener is told
     * how it ended (also when the file could not even be opened). False if a BGSAVE runs already.
     */
    public boolean rdbSaveBackground(BgsaveListener listener) {
        if (bgsave != null) return false;
        dirtyBeforeBgsave = server.dirty;
        lastBgsaveTry = nowSec();
        rdbSaves++;
        String tmpName = "temp-" + pid + "-bg.rdb";
        Path tmp = dir().toPath().resolve(tmpName);
        FileChannel ch = openTemp(tmp, tmpName);
        if (ch == null) {
            // A child would have logged the failure and exited with an error: a failed background save.
            server.log.warning("Background saving error");
            lastBgsaveOk = false;
            lastBgsaveTimeSec = 0;
            if (listener != null) server.execute(() -> listener.bgsaveDone(false));
            return true;
        }
        RdbFileWriter w = newWriter(ch);
        RdbSnapshotSerializer ser = w.serializer;
        Bgsave[] started = new Bgsave[1];
        // Where the file goes is fixed now, as a forked child's copy of the config would be.
        Path dirPath = dir().toPath();
        String dbfilename = server.config.dbfilename, dirName = server.config.dir;
        // The finish callback runs on the serializer thread; Bgsave is set before the walk can end.
        Snapshot s = ser.start(server, "starling-bgsave", (err, cancelled) -> {
            if (err == null) {
                try {
                    ch.force(true);
                } catch (IOException e) {
                    err = "(fsync): " + e.getMessage();
                }
            }
            closeQuietly(ch);
            if (err != null) deleteQuietly(tmp);
            else if (!cancelled && !renameIntoPlace(tmp, tmpName, dirPath, dbfilename, dirName)) err = "rename";
            String result = err;
            server.execute(() -> bgsaveDone(started[0], result, cancelled));
        });
        bgsave = started[0] = new Bgsave(s, w, nowSec());
        started[0].listener = listener;
        server.log.notice("Background saving started by pid " + pid);
        return true;
    }

    /** backgroundSaveDoneHandler, on the executor once the writer thread has finished (and renamed the file). */
    private void bgsaveDone(Bgsave b, String err, boolean cancelled) {
        if (err == null && b.snapshot.state() != Snapshot.DONE) err = String.valueOf(b.snapshot.failure());
        bgsave = null;
        lastBgsaveTimeSec = nowSec() - b.startSec;
        lastCowSize = b.writer.serializer.peakQueuedBytes();
        if (cancelled) {
            // Redis's killRDBChild sends SIGUSR1: not an error for stop-writes-on-bgsave-error.
            server.log.warning("Background saving terminated by signal 10");
        } else if (err == null) {
            server.log.notice("DB saved on disk");
            server.log.notice("Background saving terminated with success");
            server.dirty -= dirtyBeforeBgsave;
            server.lastSaveUnix = nowSec();
            lastBgsaveOk = true;
        } else {
            if (!"rename".equals(err)) server.log.warning("Write error saving DB on disk" + (err.startsWith("(") ? "" : ": ") + err);
            server.log.warning("Background saving error");
            lastBgsaveOk = false;
        }
        if (b.listener != null) b.listener.bgsaveDone(err == null && !cancelled);
    }

    /** killRDBChild: cancels a running BGSAVE (FLUSHALL, shutdown); its temp file is removed. */
    public void killRdbChild() {
        if (bgsave != null) bgsave.snapshot.cancel();
    }

    /** FLUSHALL's tail in Redis 7.0 (flushAllDataAndResetRDB): kill a BGSAVE, then SAVE if save points are set. */
    public void afterFlushAll() {
        killRdbChild();
        if (server.config.savePoints.length > 0) rdbSave();
    }

    // ---------------------------------------------------------------- commands

    /** SAVE. */
    public void saveCommand(Client c) {
        if (bgsave != null) {
            c.addReplyError(Errors.BGSAVE_IN_PROGRESS);
            return;
        }
        rdbSaves++;
        if (rdbSave()) c.addReplyOk();
        else c.addReplyError(Errors.ERR_BARE);
    }

    /** BGSAVE [SCHEDULE]. */
    public void bgsaveCommand(Client c) {
        if (c.argc > 1 && !(c.argc == 2 && equalsAscii(c.argv[1], "schedule"))) {
            c.addReplyErrorSyntax();
            return;
        }
        if (bgsave != null) {
            c.addReplyError(Errors.BGSAVE_IN_PROGRESS);
        } else if (otherChildActive.getAsBoolean() && c.argc != 2 && !c.has(Client.MULTI)) {
            c.addReplyError(Errors.BGSAVE_CHILD_ACTIVE);
        } else if (c.has(Client.MULTI) || otherChildActive.getAsBoolean()) {
            // In EXEC: Redis never forks inside a transaction; the cron starts it.
            bgsaveScheduled = true;
            c.addReplyStatus("Background saving scheduled");
        } else if (rdbSaveBackground()) {
            c.addReplyStatus("Background saving started");
        } else {
            c.addReplyError(Errors.ERR_BARE);
        }
    }

    static boolean equalsAscii(byte[] a, String s) {
        if (a.length != s.length()) return false;
        for (int i = 0; i < a.length; i++) if (Character.toLowerCase((char) a[i]) != s.charAt(i)) return false;
        return true;
    }

    // ---------------------------------------------------------------- cron, MISCONF, shutdown

    /** serverCron's persistence part: save points (with the retry delay after a failure), then a scheduled BGSAVE. */
    void cron() {
        long now = nowSec();
        if (otherChildActive.getAsBoolean()) return; // hasActiveChildProcess()
        if (bgsave == null) {
            for (long[] sp : server.config.savePoints) {
                if (server.dirty >= sp[1] && now - server.lastSaveUnix > sp[0]
                        && (now - lastBgsaveTry > BGSAVE_RETRY_DELAY || lastBgsaveOk)) {
                    server.log.notice(sp[1] + " changes in " + sp[0] + " seconds. Saving...");
                    rdbSaveBackground();
                    break;
                }
            }
        }
        if (bgsave == null && bgsaveScheduled && (now - lastBgsaveTry > BGSAVE_RETRY_DELAY || lastBgsaveOk)) {
            if (rdbSaveBackground()) bgsaveScheduled = false;
        }
    }

    /** writeCommandsDeniedByDiskError: MISCONF for writes and PING after a failed background save. */
    String checkDiskError(Client c, Command cmd) {
        if (lastBgsaveOk || !server.config.stopWritesOnBgsaveError || server.config.savePoints.length == 0) return null;
        if (c.has(Client.MASTER)) return null; // a replica obeys its master (Redis's mustObeyClient)
        if (cmd.has(Command.WRITE) || cmd.fullName.equals("ping")) return Errors.MISCONF;
        // EXEC of a transaction that queued a write before the save failed (Redis's mstate.cmd_flags).
        if (cmd.fullName.equals("exec") && (dev.starling.command.MultiCommands.queuedFlags(c) & Command.WRITE) != 0) return Errors.MISCONF;
        return null;
    }

    /** prepareForShutdown's RDB part: kill a BGSAVE, then the final save when asked or when save points are set. */
    boolean saveBeforeShutdown(int flags) {
        if (bgsave != null) {
            server.log.warning("There is a child saving an .rdb. Killing it!");
            killRdbChild();
        }
        boolean nosave = (flags & Server.SHUTDOWN_NOSAVE) != 0, save = (flags & Server.SHUTDOWN_SAVE) != 0;
        if ((server.config.savePoints.length > 0 && !nosave) || save) {
            server.log.notice("Saving the final RDB snapshot before exiting.");
            if (!rdbSave()) {
                if ((flags & Server.SHUTDOWN_FORCE) != 0) {
                    server.log.warning("Error trying to save the DB. Exit anyway.");
                } else {
                    server.log.warning("Error trying to save the DB, can't exit.");
                }
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- loading

    /** How the start-up load ended. */
    public static final int LOAD_OK = 0, LOAD_FATAL = 1, LOAD_CANCELLED = 2;

    /**
     * loadDataFromDisk at start-up, with the listeners already bound: dir/dbfilename is read off
     * the executor while clients get -LOADING (see {@link Loading}), then swapped in. Blocks the
     * calling thread (Main's) until the load ends; returns LOAD_OK (also when there is no file),
     * LOAD_FATAL after logging why the server must exit, or LOAD_CANCELLED (shutdown during loading).
     */
    public int loadDataFromDiskAtStart() throws InterruptedException {
        java.util.concurrent.CompletableFuture<Integer> f = new java.util.concurrent.CompletableFuture<>();
        server.execute(() -> startLoadingFromDisk(f::complete));
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            server.log.warning("Fatal error loading the DB: " + e.getCause() + ". Exiting.");
            return LOAD_FATAL;
        }
    }

    /** On the executor: starts loading dir/dbfilename in the background; done gets a LOAD_* outcome on the executor. */
    public void startLoadingFromDisk(java.util.function.IntConsumer done) {
        Path file = dir().toPath().resolve(server.config.dbfilename);
        long size;
        try {
            size = Files.size(file);
        } catch (java.nio.file.NoSuchFileException e) {
            done.accept(LOAD_OK); // Redis says nothing when there is no file (ENOENT)
            return;
        } catch (IOException e) {
            server.log.warning("Fatal error loading the DB: " + ioReason(e) + ". Exiting.");
            done.accept(LOAD_FATAL);
            return;
        }
        long start = server.clock.nanos();
        RdbFileLoader l = new RdbFileLoader(server);
        server.loading.start("starling-rdb-load", size, (fresh, progress) -> {
            if (!l.load(file, fresh, progress)) throw new RdbFileLoader.LoadError("No such file or directory", -1, false);
        }, err -> {
            if (err == null) {
                lastLoadKeysLoaded = l.keysLoaded;
                lastLoadKeysExpired = l.keysExpired;
                server.log.notice(String.format("DB loaded from disk: %.3f seconds", (server.clock.nanos() - start) / 1e9));
                server.replication.restoreFromRdb(l.replId, l.replOffset, l.replStreamDb);
                done.accept(LOAD_OK);
            } else if (err instanceof Loading.Cancelled) {
                done.accept(LOAD_CANCELLED);
            } else {
                reportLoadError(file, err, true);
                server.loading.begin(0); // nothing is served between the failure and the exit
                done.accept(LOAD_FATAL);
            }
        });
    }

    /** Logs why file could not be loaded as Redis does (rdbReportError); at start-up with the lines that precede exit. */
    private void reportLoadError(Path file, Throwable err, boolean fatal) {
        if (!(err instanceof RdbFileLoader.LoadError e)) {
            server.log.warning("Fatal error loading the DB: " + err + ". Exiting.");
            return;
        }
        if (e.offset < 0) {
            server.log.warning("Fatal error loading the DB: " + e.getMessage() + (fatal ? ". Exiting." : ""));
            return;
        }
        if (e.shortRead) server.log.warning("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        server.log.warning("Internal error in RDB reading offset " + e.offset + " of file " + file + " -> " + e.getMessage());
        if (fatal) server.log.warning("Terminating server after rdb file reading failure.");
    }

    /**
     * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves (unless NOSAVE), then loads the file back
     * synchronously, replacing the dataset (or, with NOFLUSH, adding to it; MERGE lets the file's
     * keys replace existing ones). Unlike Redis, a file that cannot be loaded leaves the dataset as
     * it was and the server running (Redis has flushed by then, and exits or panics).
     */
    public void debugReload(Client c) {
        boolean merge = false, flush = true, save = true;
        for (int j = 2; j < c.argc; j++) {
            if (equalsAscii(c.argv[j], "merge")) merge = true;
            else if (equalsAscii(c.argv[j], "noflush")) flush = false;
            else if (equalsAscii(c.argv[j], "nosave")) save = false;
            else {
                c.addReplyError(Errors.DEBUG_RELOAD_OPTIONS);
                return;
            }
        }
        if (server.loading.inProgress()) {
            // Redis would save the half-loaded dataset over the file being loaded; refuse instead.
            c.addReplyError(Errors.LOADING);
            return;
        }
        if (save && !rdbSave()) {
            c.addReplyError(Errors.ERR_BARE);
            return;
        }
        Path file = dir().toPath().resolve(server.config.dbfilename);
        RdbFileLoader l = new RdbFileLoader(server);
        l.allowDup = merge;
        dev.starling.keyspace.Keyspace fresh = server.loading.newKeyspace();
        try {
            if (!l.load(file, fresh, null)) {
                c.addReplyError(Errors.DEBUG_RELOAD_FAILED);
                return;
            }
        } catch (RdbFileLoader.LoadError e) {
            reportLoadError(file, e, false);
            c.addReplyError(Errors.DEBUG_RELOAD_FAILED);
            return;
        } catch (Loading.Cancelled e) {
            throw new IllegalStateException(e); // no Loading given: cannot happen
        }
        if (flush) {
            server.loading.swapIn(fresh);
        } else if (!mergeInto(fresh, merge)) {
            c.addReplyError(Errors.DEBUG_RELOAD_FAILED);
            return;
        }
        lastLoadKeysLoaded = l.keysLoaded;
        lastLoadKeysExpired = l.keysExpired;
        server.log.warning("DB reloaded by DEBUG RELOAD");
        c.addReplyOk();
    }

    /** NOFLUSH: adds fresh's keys to the live databases; a key in both replaces the live one if replace, else nothing changes and false. */
    private boolean mergeInto(dev.starling.keyspace.Keyspace fresh, boolean replace) {
        dev.starling.keyspace.Db[] live = server.keyspace.dbs;
        if (!replace) {
            for (int i = 0; i < live.length; i++) {
                dev.starling.keyspace.Db from = fresh.dbs[i], to = live[i];
                String[] dup = new String[1];
                from.dict.forEach(e -> {
                    if (dup[0] == null && to.dict.get(e.key) != null) dup[0] = new String(e.key, java.nio.charset.StandardCharsets.UTF_8);
                });
                if (dup[0] != null) {
                    server.log.warning("RDB has duplicated key '" + dup[0] + "' in DB " + i);
                    return false;
                }
            }
        }
        for (int i = 0; i < live.length; i++) {
            dev.starling.keyspace.Db from = fresh.dbs[i], to = live[i];
            from.dict.forEach(e -> {
                to.delete(e.key);
                dev.starling.keyspace.KeyEntry n = to.add(e.key, e.value);
                n.lru = e.lru;
                long when = from.getExpire(e.key);
                if (when != -1) to.setExpire(e.key, when);
            });
        }
        return true;
    }
}
