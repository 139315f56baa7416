package dev.starling.persistence;

import dev.starling.command.Command;
import dev.starling.command.MultiCommands;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.util.concurrent.locks.LockSupport;

/**
 * The server's "loading" state (Redis's server.loading and startLoading/stopLoading) and the one
 * way a whole dataset is loaded while the server keeps answering: start-up from an RDB file, and
 * (for the replication and AOF work to reuse) a replica's full sync or an AOF.
 *
 * <h2>Load off the executor, swap on it</h2>
 * Redis loads into its live databases on the main thread and serves clients between chunks
 * (processEventsWhileBlocked), answering -LOADING to commands without the "loading" flag. Here a
 * {@link Job} fills a fresh {@link Keyspace} that only its thread touches, so the executor stays
 * free; when the job succeeds the executor swaps the fresh databases' dicts into the live
 * {@link Db} objects in O(databases) ({@link #swapIn}) and only then says "loaded". A job that
 * fails or is cancelled leaves the live dataset as it was: a half dataset is never served.
 *
 * <h2>State, threads</h2>
 * {@link #inProgress} is written on the executor and read there (the command filter, INFO) and
 * by the signal thread; the progress counters are written by the job's thread and read by INFO.
 */
public final class Loading {
    /** Fills fresh (a keyspace nobody else touches) on the loader thread; throws to fail the load. */
    public interface Job {
        void run(Keyspace fresh, Loading progress) throws Exception;
    }

    /** Told on the executor how a load ended: error null after the swap, else why it failed (nothing swapped). */
    public interface Done {
        void done(Throwable error);
    }

    /** The error a cancelled load reports (shutdown during loading). */
    public static final class Cancelled extends Exception {
        Cancelled() {
            super("loading cancelled", null, false, false);
        }
    }

    private final Server server;
    private volatile boolean active;
    /**
     * Redis's server.async_loading (repl-diskless-load swapdb from a master of the same history):
     * the old dataset keeps being served, only commands flagged no_async_loading get -LOADING, and
     * INFO shows loading:0 async_loading:1 (with the loading_* fields).
     */
    private volatile boolean async;
    /** The running load; a finished job whose load is no longer current is ignored. */
    private volatile Load current;

    // INFO persistence loading_* fields (rdb_last_load_keys_loaded while loading).
    long startTimeSec, totalBytes;
    volatile long loadedBytes, keysLoaded, rdbUsedMem;

    private final class Load {
        final Done done;
        volatile boolean cancelled;

        Load(Done done) {
            this.done = done;
        }
    }

    public Loading(Server server) {
        this.server = server;
    }

    /** Installs the -LOADING check. */
    public void install() {
        Command exec = server.commands.find("exec");
        server.loadingCheck = (c, cmd) -> denyLoading(c, cmd, exec);
        server.shutdownHooks.add(this::cancel);
        server.infoFields.put("loading", () -> active && !async ? 1 : 0);
        server.infoFields.put("async_loading", () -> async ? 1 : 0);
    }

    /** True while a dataset is being loaded (INFO loading:1; commands without the loading flag get -LOADING). */
    public boolean inProgress() {
        return active;
    }

    /** True while an async load runs (the live dataset is the old one and is served). */
    public boolean asyncInProgress() {
        return async;
    }

    private String denyLoading(Client c, Command cmd, Command exec) {
        if (!active) return null;
        if (async) {
            // processCommand's is_deny_async_loading_command: the flag, or EXEC with any queued command flagged.
            boolean deny = cmd.has(Command.NO_ASYNC_LOADING)
                    || (cmd == exec && (MultiCommands.queuedFlags(c) & Command.NO_ASYNC_LOADING) != 0);
            return deny ? Errors.LOADING : null;
        }
        // EXEC counts as denied if any queued command lacks the flag (Redis's mstate.cmd_inv_flags).
        if (!cmd.has(Command.LOADING) || (cmd == exec && MultiCommands.queuedLacksFlag(c, Command.LOADING))) return Errors.LOADING;
        return null;
    }

    // ---------------------------------------------------------------- loading a dataset

    /** A keyspace shaped like the server's (databases, clock, LFU policy) for a job to fill. */
    public Keyspace newKeyspace() {
        Keyspace live = server.keyspace;
        Keyspace fresh = new Keyspace(live.dbs.length, live.clock);
        fresh.lfuPolicy = live.lfuPolicy;
        fresh.lfuLogFactor = live.lfuLogFactor;
        fresh.lfuDecayTime = live.lfuDecayTime;
        return fresh;
    }

    /**
     * On the executor: enters the loading state and runs job on its own thread into a fresh
     * keyspace; on success swaps it in, then calls done (on the executor). totalBytes is the
     * input's size if known (INFO loading_total_bytes), else 0. One load at a time.
     */
    public void start(String threadName, long totalBytes, Job job, Done done) {
        start(threadName, totalBytes, false, job, done);
    }

    /** {@link #start(String, long, Job, Done)}, as an async load (Redis's startLoading(..., async)) if async. */
    public void start(String threadName, long totalBytes, boolean async, Job job, Done done) {
        if (current != null) throw new IllegalStateException("a dataset is already loading");
        Load load = new Load(done);
        begin(totalBytes);
        this.async = async;
        current = load;
        Keyspace fresh = newKeyspace();
        Thread t = new Thread(() -> {
            Throwable err = null;
            try {
                job.run(fresh, this);
            } catch (Throwable e) {
                err = e;
            }
            Throwable result = err;
            server.execute(() -> finish(load, fresh, result));
        }, threadName);
        t.setDaemon(true);
        t.start();
    }

    private void finish(Load load, Keyspace fresh, Throwable err) {
        if (current != load) return; // cancelled meanwhile: done was already told
        current = null;
        if (err == null && load.cancelled) err = new Cancelled();
        if (err == null) swapIn(fresh);
        end();
        load.done.done(err);
    }

    /** On the executor: stops the running load (its thread stops at the next key); done is told Cancelled now. */
    public void cancel() {
        Load load = current;
        if (load == null) return;
        load.cancelled = true;
        current = null;
        end();
        load.done.done(new Cancelled());
    }

    /**
     * On the executor: replaces every live database's contents with fresh's (the dicts change
     * hands; the Db objects clients point at stay). WATCHed keys of the old contents are touched
     * as a flush does; a snapshot walking the old dicts finishes them, as after FLUSHALL.
     */
    public void swapIn(Keyspace fresh) {
        Keyspace ks = server.keyspace;
        for (int i = 0; i < ks.dbs.length; i++) {
            Db db = ks.dbs[i];
            if (db.size() != 0) ks.listener.dbFlushing(db);
            db.swapWith(fresh.dbs[i]);
        }
        ks.datasetBytes = fresh.datasetBytes;
    }

    /** startLoading: enters the loading state (for loaders that run on the executor, as DEBUG RELOAD). */
    public void begin(long totalBytes) {
        this.startTimeSec = server.clock.millis() / 1000;
        this.totalBytes = totalBytes;
        loadedBytes = keysLoaded = rdbUsedMem = 0;
        active = true;
    }

    /** stopLoading. */
    public void end() {
        active = false;
        async = false;
    }

    // ---------------------------------------------------------------- progress (loader thread)

    /** Called by a job after each key: bytes of input consumed so far and keys loaded; throws if cancelled. */
    public void progress(long bytes, long keys) throws Cancelled {
        loadedBytes = bytes;
        keysLoaded = keys;
        Load load = current;
        if (load != null && load.cancelled) throw new Cancelled();
        int delay = server.config.keyLoadDelay;
        if (delay != 0) debugDelay(delay);
    }

    /** On the loader thread or the executor: true if there is no running load or it was cancelled. */
    public boolean isCancelled() {
        Load load = current;
        return load == null || load.cancelled;
    }

    /** The used-mem of the RDB being loaded (INFO loading_rdb_used_mem). */
    public void rdbUsedMem(long bytes) {
        rdbUsedMem = bytes;
    }

    /**
     * Redis's debugDelay: sleeps usec microseconds; a negative value sleeps 1 us on average once
     * every -usec calls (the shortest sleep costs a context switch, so short delays are statistical).
     */
    public static void debugDelay(int usec) {
        if (usec < 0) usec = java.util.concurrent.ThreadLocalRandom.current().nextInt(-usec) == 0 ? 1 : 0;
        if (usec > 0) LockSupport.parkNanos(usec * 1000L);
    }

    // ---------------------------------------------------------------- INFO

    /** Keys loaded so far by the running load. */
    public long keysLoaded() {
        return keysLoaded;
    }

    /** The loading_* fields 7.0 prints at the end of INFO persistence while loading. */
    public void appendInfo(StringBuilder sb) {
        if (!active) return;
        long loaded = loadedBytes, total = totalBytes;
        double perc = ((double) loaded / (total + 1)) * 100;
        long elapsed = server.clock.millis() / 1000 - startTimeSec;
        long eta = elapsed == 0 ? 1 : (elapsed * (total - loaded)) / (loaded + 1);
        sb.append("loading_start_time:").append(startTimeSec).append("\r\n");
        sb.append("loading_total_bytes:").append(total).append("\r\n");
        sb.append("loading_rdb_used_mem:").append(rdbUsedMem).append("\r\n");
        sb.append("loading_loaded_bytes:").append(loaded).append("\r\n");
        sb.append("loading_loaded_perc:").append(String.format(java.util.Locale.ROOT, "%.2f", perc)).append("\r\n");
        sb.append("loading_eta_seconds:").append(eta).append("\r\n");
    }
}
