package dev.starling.persistence;

import dev.starling.command.Command;
import dev.starling.command.CommandTable;
import dev.starling.keyspace.Keyspace;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.concurrent.Semaphore;

/**
 * Loads the AOF files of a manifest into a keyspace (aof.c's loadAppendOnlyFiles and
 * loadSingleAppendOnlyFile): the base (an RDB file, or commands), then each incr file, replayed
 * command by command through the command handlers with a fake client whose replies go nowhere.
 *
 * <h2>Threads: parse off the executor, apply on it</h2>
 * At start-up the files are read on the {@link Loading} thread into a fresh keyspace, swapped in
 * when complete, while clients get -LOADING. An RDB base goes straight into the fresh keyspace
 * on that thread (as an RDB start-up load does). Commands, though, are only <em>parsed</em> there:
 * the handlers were written for the executor (they count server.dirty, publish keyspace
 * notifications, signal blocked clients, resolve SELECT/MOVE/SWAPDB/FLUSHALL and EXPIRE's base
 * time through {@code server.keyspace}), so running them on another thread would race with
 * everything the executor does meanwhile. Parsed commands go to the executor in batches
 * ({@link #BATCH_COMMANDS}, at most {@link #MAX_IN_FLIGHT} queued, so a slow executor slows the
 * parser and memory stays bounded); each batch runs as one task with {@code server.keyspace}
 * pointing at the fresh keyspace (restored before the task ends, so clients in between see the
 * live one) and propagation off (Redis's shouldPropagate is false while loading). WATCH, blocked
 * clients and the stream's deletion listener hang on the live keyspace's listener and hooks, which
 * the fresh one does not have; keyspace notifications are published, as Redis's replay does. Between batches
 * the executor serves clients, which is Redis's processEventsWhileBlocked every 1024 commands.
 * Executor tasks run in order, so the swap, posted after the last batch, follows it. Before an
 * RDB file is read on the loader thread, the batches in flight are drained, so only one thread
 * ever writes the fresh keyspace at a time. With no {@link Loading} (DEBUG LOADAOF) everything
 * runs on the caller's thread, the executor.
 *
 * <h2>Truncated and corrupt files</h2>
 * A file that ends inside a command (a crash mid-write) is truncated at the end of the last
 * complete command when aof-load-truncated is yes and it is the last file; otherwise, and for a
 * file whose bytes are not commands, loading fails with Redis's log lines. A MULTI without its EXEC
 * at the end is reverted: its commands were only queued, and the file is truncated before it.
 * Lazy expiry is off in the target keyspace meanwhile (Redis's server.loading).
 */
public final class AofLoader {
    /** aof.c's AOF_* load results. */
    public static final int AOF_OK = 0, AOF_NOT_EXIST = 1, AOF_EMPTY = 2, AOF_OPEN_ERR = 3, AOF_FAILED = 4, AOF_TRUNCATED = 5;
    /** AOF_ANNOTATION_LINE_MAX_LEN: fgets's buffer. */
    static final int LINE_MAX = 1024;
    /** Commands per executor task (Redis serves events every 1024 commands while loading an AOF). */
    static final int BATCH_COMMANDS = 1024;
    /** Argument bytes that end a batch early (a few huge commands stay one short task). */
    static final long BATCH_BYTES = 1 << 20;
    /** Batches handed to the executor and not yet applied. */
    static final int MAX_IN_FLIGHT = 4;

    private final Server server;
    private final Path aofDir;
    private final String aofFilename;
    /** Set by a successful load: aof_current_size and aof_rewrite_base_size. */
    long totalSize, baseSize;
    /** The RDB preamble's counts (rdb_last_load_keys_loaded/expired), or null if there was none. */
    RdbFileLoader preamble;

    // One load (set by loadAppendOnlyFiles).
    private Keyspace ks;
    private Loading progress;
    private Client fake;
    /** Sizes of the files before the current one (loading_loaded_bytes runs over all of them). */
    private long doneBytes;
    private Batch batch;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    /** A handler that threw while applying a batch (executor writes, loader reads after a drain). */
    private volatile Throwable applyFailure;

    /** The load ended with a result the server cannot start with (AOF_FAILED, AOF_OPEN_ERR), already logged. */
    static final class Failed extends Exception {
        Failed() {
            super("AOF loading failed", null, false, false);
        }
    }

    AofLoader(Server server, Path aofDir) {
        this.server = server;
        this.aofDir = aofDir;
        this.aofFilename = server.config.appendfilename;
    }

    /**
     * The first half of loadAppendOnlyFiles (before startLoading): AOF_NOT_EXIST, AOF_EMPTY,
     * AOF_FAILED (a file of the manifest missing on disk, logged) or AOF_OK with
     * {@link #totalSize} set to the size of every file (loading_total_bytes).
     */
    int prepare(AofManifest am) {
        if (am.isEmpty()) return AOF_NOT_EXIST;
        long total = 0;
        for (AofManifest.Info ai : files(am)) {
            long size = fileSize(ai.fileName);
            if (size < 0) return AOF_FAILED;
            total += size;
        }
        totalSize = total;
        return total == 0 ? AOF_EMPTY : AOF_OK;
    }

    private static ArrayList<AofManifest.Info> files(AofManifest am) {
        ArrayList<AofManifest.Info> all = new ArrayList<>();
        if (am.base != null) all.add(am.base);
        all.addAll(am.incr);
        return all;
    }

    /**
     * The rest of loadAppendOnlyFiles, after {@link #prepare} returned AOF_OK: loads every file into
     * target, logging as Redis does. With progress (on its loader thread) commands are applied on
     * the executor, fake being a client made there for this load; without, on this thread, which
     * must be the executor. Returns AOF_OK or AOF_TRUNCATED; throws Failed (logged) otherwise.
     */
    int loadFiles(AofManifest am, Keyspace target, Loading progress, Client fake) throws Failed, Loading.Cancelled {
        this.ks = target;
        this.progress = progress;
        this.fake = fake;
        fake.db = target.dbs[0];
        target.loading = true;
        ArrayList<AofManifest.Info> all = files(am);
        int num = 0, ret = AOF_OK;
        try {
            for (AofManifest.Info ai : all) {
                boolean isBase = ai == am.base;
                boolean last = ++num == all.size();
                long start = System.nanoTime();
                long size = Math.max(0, fileSize(ai.fileName));
                if (isBase) baseSize = size;
                ret = loadSingleAppendOnlyFile(ai.fileName);
                drain(); // the file's commands are applied before its time is logged
                if (ret == AOF_OK || (ret == AOF_TRUNCATED && last)) {
                    server.log.notice(String.format("DB loaded from %s file %s: %.3f seconds", isBase ? "base" : "incr",
                            ai.fileName, (System.nanoTime() - start) / 1e9));
                }
                if (!isBase && ret == AOF_EMPTY) ret = AOF_OK;
                if (ret == AOF_TRUNCATED && !last) {
                    ret = AOF_FAILED;
                    server.log.warning("Fatal error: the truncated file is not the last file");
                }
                if (ret == AOF_OPEN_ERR || ret == AOF_FAILED) throw new Failed();
                doneBytes += size;
            }
        } finally {
            // fake is made and used on the executor only; fresh is thrown away unless the load succeeded.
            this.fake = null;
        }
        return ret;
    }

    /** An RDB preamble's load sets INFO's rdb_last_load_keys_loaded/expired, as in Redis. */
    void notePreamble(RdbPersistence rdb) {
        if (preamble == null) return;
        rdb.lastLoadKeysLoaded = preamble.keysLoaded;
        rdb.lastLoadKeysExpired = preamble.keysExpired;
    }

    /** getAppendOnlyFileSize: the size, or -1 after logging Redis's line. */
    long fileSize(String name) {
        try {
            return Files.size(aofDir.resolve(name));
        } catch (IOException e) {
            server.log.warning("Unable to obtain the AOF file " + name + " length. stat: " + RdbPersistence.ioReason(e));
            return -1;
        }
    }

    /** loadSingleAppendOnlyFile. */
    int loadSingleAppendOnlyFile(String filename) throws Loading.Cancelled, Failed {
        Path path = aofDir.resolve(filename);
        InputStream in;
        long size;
        try {
            in = Files.newInputStream(path);
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            server.log.warning("The append log file " + filename + " doesn't exist: No such file or directory");
            return AOF_NOT_EXIST;
        } catch (IOException e) {
            server.log.warning("Fatal error: can't open the append log file " + filename + " for reading: " + RdbPersistence.ioReason(e));
            return AOF_OPEN_ERR;
        }
        if (size == 0) {
            close(in);
            return AOF_EMPTY;
        }
        long start = 0;
        try {
            byte[] sig = in.readNBytes(5);
            close(in);
            if (sig.length == 5 && new String(sig, StandardCharsets.ISO_8859_1).equals("REDIS")) {
                boolean oldStyle = filename.equals(aofFilename);
                server.log.notice(oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...");
                RdbFileLoader l = new RdbFileLoader(server);
                l.aofPreamble = true;
                drain(); // the RDB loader writes ks on this thread: no batch may be applying meanwhile
                try {
                    l.load(path, ks, progress);
                } catch (RdbFileLoader.LoadError e) {
                    if (e.offset >= 0) {
                        server.log.warning("Internal error in RDB reading offset " + e.offset + " of file " + filename + " -> " + e.getMessage());
                    } else {
                        server.log.warning(e.getMessage());
                    }
                    server.log.warning(oldStyle ? "Error reading the RDB preamble of the AOF file " + filename + ", AOF loading aborted"
                            : "Error reading the RDB base file " + filename + ", AOF loading aborted");
                    return AOF_FAILED;
                }
                start = l.consumed;
                preamble = l;
                if (oldStyle) server.log.notice("Reading the remaining AOF tail...");
            }
            in = Files.newInputStream(path);
            in.skipNBytes(start);
        } catch (IOException e) {
            server.log.warning("Unrecoverable error reading the append only file " + filename + ": " + RdbPersistence.ioReason(e));
            return AOF_FAILED;
        }
        try (Reader r = new Reader(new BufferedInputStream(in, 1 << 16), start)) {
            return replay(r, path, filename, start);
        } catch (IOException e) {
            server.log.warning("Unrecoverable error reading the append only file " + filename + ": " + RdbPersistence.ioReason(e));
            return AOF_FAILED;
        }
    }

    private static final int OK = 0, READERR = 1, FMTERR = 2;

    /** The command loop of loadSingleAppendOnlyFile, from the reader's position to the end. */
    private int replay(Reader r, Path path, String filename, long start) throws IOException, Loading.Cancelled, Failed {
        boolean truncatedOk = server.config.getBool("aof-load-truncated");
        long validUpTo = start, validBeforeMulti = start;
        boolean inMulti = false;
        ArrayList<byte[][]> queued = new ArrayList<>();
        byte[] line = new byte[LINE_MAX];
        int err = OK;
        loop:
        for (;;) {
            int n = r.fgets(line);
            if (n < 0) break; // clean end of file
            if (line[0] == '#') continue; // annotations (#TS:)
            if (line[0] != '*') {
                err = FMTERR;
                break;
            }
            if (n == 1) {
                err = READERR;
                break;
            }
            long argc = atol(line, 1, n);
            if (argc < 1) {
                err = FMTERR;
                break;
            }
            byte[][] argv = new byte[(int) Math.min(argc, 1 << 20)][];
            if (argc > argv.length) argv = new byte[(int) argc][];
            for (int j = 0; j < argc; j++) {
                int m = r.fgets(line);
                if (m < 0 || line[0] != '$') {
                    err = m < 0 ? READERR : FMTERR;
                    break loop;
                }
                long len = atol(line, 1, m);
                if (len < 0 || len > Integer.MAX_VALUE - 8) {
                    err = FMTERR;
                    break loop;
                }
                byte[] arg = r.read((int) len);
                if (arg == null || r.read(2) == null) { // the CRLF after the bulk, unchecked as in Redis
                    err = READERR;
                    break loop;
                }
                argv[j] = arg;
            }
            Command cmd = lookup(argv);
            if (cmd == null) {
                server.log.warning("Unknown command '" + new String(argv[0], StandardCharsets.UTF_8) + "' reading the append only file " + filename);
                return AOF_FAILED;
            }
            String name = cmd.fullName;
            if (name.equals("multi")) {
                validBeforeMulti = validUpTo;
                inMulti = true;
            } else if (inMulti && !name.equals("exec")) {
                queued.add(argv);
            } else if (name.equals("exec")) {
                if (inMulti) {
                    for (byte[][] q : queued) emit(lookup(q), q, true);
                    queued.clear();
                    inMulti = false;
                }
            } else {
                emit(cmd, argv, false);
            }
            if (truncatedOk) validUpTo = r.pos;
            // Redis's debugDelay(key_load_delay) after each command, and the loading_* progress.
            if (progress != null) progress.progress(doneBytes + r.pos, preamble == null ? 0 : preamble.keysLoaded);
        }
        flushBatch();
        if (err == FMTERR) {
            server.log.warning("Bad file format reading the append only file " + filename
                    + ": make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
            return AOF_FAILED;
        }
        if (err == OK && inMulti) {
            // A transaction cut off by the end of the file: as a short read, drop the unfinished tail.
            server.log.warning("Revert incomplete MULTI/EXEC transaction in AOF file " + filename);
            validUpTo = validBeforeMulti;
            err = READERR;
        }
        if (err == OK) return AOF_OK;
        if (truncatedOk) {
            server.log.warning("!!! Warning: short read while loading the AOF file " + filename + "!!!");
            server.log.warning("!!! Truncating the AOF " + filename + " at offset " + validUpTo + " !!!");
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.truncate(validUpTo);
                server.log.warning("AOF " + filename + " loaded anyway because aof-load-truncated is enabled");
                return AOF_TRUNCATED;
            } catch (IOException e) {
                server.log.warning("Error truncating the AOF file " + filename + ": " + RdbPersistence.ioReason(e));
            }
        }
        server.log.warning("Unexpected end of file reading the append only file " + filename + ". You can: "
                + "1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "
                + "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
        return AOF_FAILED;
    }

    /**
     * lookupCommand(argv, argc): the command, or its subcommand for a container; null if unknown
     * or not implemented here (a stream command in Redis's AOF stops loading rather than being
     * skipped, which would silently lose data).
     */
    private Command lookup(byte[][] argv) {
        Command cmd = server.commands.lookup(argv[0]);
        if (cmd != null && cmd.isContainer()) cmd = argv.length >= 2 ? CommandTable.lookupSub(cmd, argv[1]) : null;
        return cmd == null || cmd.handler == null ? null : cmd;
    }

    // ---------------------------------------------------------------- applying commands

    /** Commands parsed on the loader thread, applied together in one executor task. */
    private static final class Batch {
        final Command[] cmds = new Command[BATCH_COMMANDS];
        final byte[][][] argvs = new byte[BATCH_COMMANDS][][];
        final boolean[] inExec = new boolean[BATCH_COMMANDS];
        int n;
        long bytes;
    }

    /** Runs cmd now (no Loading: we are on the executor), or adds it to the batch for the executor. */
    private void emit(Command cmd, byte[][] argv, boolean inExec) throws Loading.Cancelled, Failed {
        if (progress == null) {
            execute(cmd, argv, inExec);
            return;
        }
        Batch b = batch;
        if (b == null) b = batch = new Batch();
        b.inExec[b.n] = inExec;
        b.cmds[b.n] = cmd;
        b.argvs[b.n++] = argv;
        for (byte[] a : argv) b.bytes += a.length;
        if (b.n == BATCH_COMMANDS || b.bytes >= BATCH_BYTES) flushBatch();
    }

    /** Hands the pending batch to the executor, waiting while {@link #MAX_IN_FLIGHT} are queued. */
    private void flushBatch() throws Loading.Cancelled, Failed {
        Batch b = batch;
        if (b == null || b.n == 0) return;
        batch = null;
        acquire(1);
        try {
            server.execute(() -> apply(b));
        } catch (RuntimeException e) { // the executor is shutting down
            inFlight.release();
            throw new Loading.Cancelled();
        }
    }

    /** On the executor: the batch's commands, into ks, unless the load was cancelled or already failed. */
    private void apply(Batch b) {
        try {
            if (applyFailure != null || progress.isCancelled()) return;
            Keyspace live = server.keyspace;
            server.keyspace = ks;
            server.propagator.suppressed = true;
            try {
                for (int i = 0; i < b.n; i++) execute(b.cmds[i], b.argvs[i], b.inExec[i]);
            } finally {
                server.keyspace = live;
                server.propagator.suppressed = false;
            }
        } catch (Throwable t) {
            applyFailure = t;
        } finally {
            inFlight.release();
        }
    }

    /** Waits until every batch handed over was applied; throws Failed if one failed (logged here). */
    private void drain() throws Loading.Cancelled, Failed {
        if (progress == null) return;
        acquire(MAX_IN_FLIGHT);
        inFlight.release(MAX_IN_FLIGHT);
        Throwable t = applyFailure;
        if (t != null) {
            server.log.warning("Fatal error executing a command of the append only file: " + t);
            throw new Failed();
        }
    }

    private void acquire(int permits) throws Loading.Cancelled {
        try {
            while (!inFlight.tryAcquire(permits, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (progress.isCancelled()) throw new Loading.Cancelled();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Loading.Cancelled();
        }
    }

    /** cmd->proc(fakeClient), on the executor with server.keyspace being ks: the handler alone, no checks, statistics or propagation. */
    private void execute(Command cmd, byte[][] argv, boolean inExec) {
        // EXEC runs its commands through call(), which counts them in total_commands_processed
        // (not in commandstats while an AOF loads); other commands run through cmd->proc alone.
        if (inExec) server.stats.numCommands++;
        Client c = fake;
        c.argv = argv;
        c.argc = argv.length;
        c.cmd = c.lastCmd = cmd;
        ks.updateTime();
        cmd.handler.execute(c);
        c.argv = null;
        c.argc = 0;
    }

    /** atoi/strtol: the leading decimal integer of b[from..to) (0 if none). */
    static long atol(byte[] b, int from, int to) {
        int i = from;
        while (i < to && (b[i] == ' ' || b[i] == '\t')) i++;
        boolean neg = i < to && b[i] == '-';
        if (neg || (i < to && b[i] == '+')) i++;
        long v = 0;
        for (; i < to && b[i] >= '0' && b[i] <= '9'; i++) {
            v = v * 10 + (b[i] - '0');
            if (v > Integer.MAX_VALUE * 4L) break;
        }
        return neg ? -v : v;
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // Read-only stream.
        }
    }

    /** fgets and fread over a stream, counting the offset (ftello). */
    static final class Reader implements AutoCloseable {
        private final InputStream in;
        long pos;

        Reader(InputStream in, long pos) {
            this.in = in;
            this.pos = pos;
        }

        /** fgets(buf, LINE_MAX): up to LINE_MAX-1 bytes or through '\n'; -1 at end of file with nothing read. */
        int fgets(byte[] buf) throws IOException {
            int n = 0;
            while (n < buf.length - 1) {
                int c = in.read();
                if (c < 0) break;
                buf[n++] = (byte) c;
                if (c == '\n') break;
            }
            pos += n;
            if (n < buf.length) buf[n] = 0;
            return n == 0 ? -1 : n;
        }

        /** fread of exactly n bytes, or null at end of file. */
        byte[] read(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            pos += b.length;
            return b.length == n ? b : null;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
