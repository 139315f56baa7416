package dev.starling.persistence;

import dev.starling.command.DumpCommands;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.Keyspace;
import dev.starling.server.Server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Loads an RDB file into the keyspace (rdbLoadRioWithLoadingCtx): versions 1 to 12, AUX fields
 * recorded or skipped, module AUX data and function libraries skipped (Starling has neither),
 * the checksum verified (versions 5 and later, unless the file's is 0 or rdbchecksum is no), keys
 * already expired skipped as a primary does.
 *
 * <h2>All or nothing</h2>
 * Keys go into a fresh keyspace that replaces the server's databases ({@link Loading#swapIn})
 * only after the whole file, checksum included, has been read, so a corrupt or truncated file
 * never leaves a half-loaded dataset. (Redis exits in that case; the caller at start-up does too.)
 */
public final class RdbFileLoader {
    /** Why a file could not be loaded: Redis's reason text and the byte offset where reading stopped. */
    public static final class LoadError extends Exception {
        public final long offset;
        public final boolean shortRead;

        LoadError(String message, long offset, boolean shortRead) {
            super(message, null, false, false);
            this.offset = offset;
            this.shortRead = shortRead;
        }
    }

    private final Server server;
    long keysLoaded, keysExpired, emptyKeysSkipped;
    /** Keys of the file replace keys already loaded (DEBUG RELOAD MERGE) instead of failing the load. */
    boolean allowDup;
    private Loading loading;
    /** AUX fields of interest (rdbLoadRio records the replication ones). */
    String redisVer, replId;
    long replOffset = -1, replStreamDb = -1, aofBase = -1;
    /** RDBFLAGS_AOF_PREAMBLE: keys already expired are loaded too (an AOF's base), as Redis does. */
    boolean aofPreamble;
    /** Bytes of the file the RDB took, checksum included (where an old-style AOF's tail starts). */
    long consumed;

    public RdbFileLoader(Server server) {
        this.server = server;
    }

    /** The repl-stream-db AUX field of the last file loaded, or -1 (a replica selects it for its master's stream). */
    public long replStreamDb() {
        return replStreamDb;
    }

    /**
     * Loads file into fresh (a keyspace nobody else touches: this may run on a loader thread),
     * reporting progress to loading (null: none). Returns false if the file does not exist;
     * throws LoadError if it cannot be read completely, Loading.Cancelled if the load was cancelled.
     */
    public boolean load(Path file, Keyspace fresh, Loading loading) throws LoadError, Loading.Cancelled {
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new LoadError(RdbPersistence.ioReason(e), -1, false);
        }
        this.loading = loading;
        try (InputStream is = in) {
            RdbReader r = new RdbReader(RdbSource.of(is), 1 << 16, true, server.config, true);
            try {
                loadRio(r, fresh);
                consumed = r.processedBytes();
            } catch (RdbException e) {
                throw new LoadError(e.getMessage(), r.processedBytes(), e.kind == RdbException.Kind.SHORT_READ);
            }
            return true;
        } catch (IOException e) {
            throw new LoadError(RdbPersistence.ioReason(e), -1, false);
        }
    }

    /** Bytes of a stream that followed the RDB (and its EOF mark), read by {@link #load(RdbSource, Keyspace, Loading, byte[])}. */
    public byte[] leftover = new byte[0];
    /** The stream's EOF mark was missing or wrong after a complete RDB (Redis: "Replication stream EOF marker is broken"). */
    public boolean eofMarkBroken;

    /**
     * Loads the RDB of a replication transfer read straight from the link (rdbLoadRio over a
     * connection, RDBFLAGS_REPLICATION) into fresh. With eofMark (a $EOF: transfer) the 40 bytes
     * after the RDB must be the mark (else LoadError with {@link #eofMarkBroken}); whatever the
     * reader took from src after that is left in {@link #leftover}.
     */
    public void load(RdbSource src, Keyspace fresh, Loading loading, byte[] eofMark) throws LoadError, Loading.Cancelled {
        this.loading = loading;
        RdbReader r = new RdbReader(src, 1 << 16, true, server.config, true);
        try {
            loadRio(r, fresh);
            consumed = r.processedBytes();
        } catch (RdbException e) {
            throw new LoadError(e.getMessage(), r.processedBytes(), e.kind == RdbException.Kind.SHORT_READ);
        }
        if (eofMark != null) {
            byte[] mark;
            try {
                mark = r.readBytes(eofMark.length, "Short read loading the EOF mark");
            } catch (RdbException e) {
                mark = null;
            }
            if (mark == null || !java.util.Arrays.equals(mark, eofMark)) {
                eofMarkBroken = true;
                throw new LoadError("Replication stream EOF marker is broken", r.processedBytes(), false);
            }
        }
        leftover = r.takeBuffered();
    }

    private void loadRio(RdbReader r, Keyspace ks) throws RdbException, Loading.Cancelled {
        Db[] dbs = ks.dbs;
        byte[] magic = r.readBytes(9, "Short read loading RDB signature");
        if (!new String(magic, 0, 5, StandardCharsets.ISO_8859_1).equals("REDIS")) {
            throw RdbException.corrupt("Wrong signature trying to load DB from file");
        }
        int version = 0;
        for (int i = 5; i < 9; i++) {
            int d = magic[i] - '0';
            if (d < 0 || d > 9) throw RdbException.corrupt("Can't handle RDB format version " + new String(magic, 5, 4, StandardCharsets.ISO_8859_1));
            version = version * 10 + d;
        }
        if (version < 1 || version > Rdb.MAX_READ_VERSION) throw RdbException.corrupt("Can't handle RDB format version " + version);
        long now = server.clock.millis();
        ks.now = now;
        int lruClock = ks.lruClock();
        Db db = dbs[0];
        long expireAt = -1, lfuFreq = -1, lruIdle = -1;
        for (;;) {
            int type = r.loadType();
            switch (type) {
                case Rdb.OPCODE_EXPIRETIME -> {
                    expireAt = r.loadTime() * 1000;
                    continue;
                }
                case Rdb.OPCODE_EXPIRETIME_MS -> {
                    expireAt = r.loadMillisecondTime();
                    continue;
                }
                case Rdb.OPCODE_FREQ -> {
                    lfuFreq = r.readByteValue();
                    continue;
                }
                case Rdb.OPCODE_IDLE -> {
                    lruIdle = r.loadLen();
                    continue;
                }
                case Rdb.OPCODE_EOF -> {}
                case Rdb.OPCODE_SELECTDB -> {
                    long id = r.loadLen();
                    if (id < 0 || id >= dbs.length) {
                        throw RdbException.corrupt("FATAL: Data file was created with a Redis server configured to handle more than "
                                + dbs.length + " databases. Exiting");
                    }
                    db = dbs[(int) id];
                    continue;
                }
                case Rdb.OPCODE_RESIZEDB -> {
                    long size = r.loadLen();
                    r.loadLen();
                    // Presize within reason: the file may lie, and keys will grow the dict anyway.
                    db.dict.expand(Math.min(size, 1L << 24));
                    continue;
                }
                case Rdb.OPCODE_SLOT_INFO -> {
                    r.loadLen();
                    r.loadLen();
                    r.loadLen();
                    continue;
                }
                case Rdb.OPCODE_AUX -> {
                    aux(r.loadStringBytes(), r.loadStringBytes(), now);
                    continue;
                }
                case Rdb.OPCODE_MODULE_AUX -> {
                    skipModuleAux(r);
                    continue;
                }
                case Rdb.OPCODE_FUNCTION_PRE_GA -> throw RdbException.corrupt("Pre-release function format not supported.");
                case Rdb.OPCODE_FUNCTION2 -> {
                    r.loadStringBytes();
                    server.log.warning("Skipping a function library in the RDB file: Starling has no functions");
                    continue;
                }
                default -> {
                    if (!Rdb.isObjectType(type)) throw RdbException.corrupt("Unknown RDB encoding type " + type);
                    byte[] key = r.loadStringBytes();
                    Object val;
                    try {
                        val = r.loadObject(type);
                    } catch (RdbException e) {
                        if (e.kind != RdbException.Kind.EMPTY_KEY) throw e;
                        if (emptyKeysSkipped++ < 10) {
                            server.log.notice("rdbLoadObject skipping empty key: " + new String(key, StandardCharsets.UTF_8));
                        }
                        expireAt = lfuFreq = lruIdle = -1;
                        continue;
                    }
                    if (expireAt != -1 && expireAt < now && !server.roleReplica && !aofPreamble) {
                        // A primary drops keys that expired while the file sat on disk; a replica keeps
                        // them for its master's DEL (Redis's iAmMaster check).
                        keysExpired++;
                    } else {
                        if (db.dict.get(key) != null) {
                            // DEBUG RELOAD MERGE (RDBFLAGS_ALLOW_DUP): a later copy replaces the earlier.
                            if (allowDup) db.delete(key);
                            else throw RdbException.corrupt("RDB has duplicated key '" + new String(key, StandardCharsets.UTF_8) + "' in DB " + db.id);
                        }
                        KeyEntry e = db.add(key, val);
                        if (expireAt != -1) db.setExpire(key, expireAt);
                        DumpCommands.objectSetLRUOrLFU(server, e, lfuFreq, lruIdle, lruClock);
                        keysLoaded++;
                    }
                    if (loading != null) loading.progress(r.processedBytes(), keysLoaded);
                    expireAt = lfuFreq = lruIdle = -1;
                    continue;
                }
            }
            break; // EOF
        }
        if (version >= 5) {
            long expected = r.crc();
            long got = r.loadMillisecondTime();
            if (server.config.rdbchecksum && got != 0 && got != expected) {
                server.log.warning("Wrong RDB checksum expected: (" + Long.toHexString(expected) + ") but got (" + Long.toHexString(got) + "). Aborting now.");
                throw RdbException.corrupt("RDB CRC error");
            }
        }
        server.log.notice("Done loading RDB, keys loaded: " + keysLoaded + ", keys expired: " + keysExpired + ".");
    }

    private void aux(byte[] k, byte[] v, long now) {
        String key = new String(k, StandardCharsets.ISO_8859_1), val = new String(v, StandardCharsets.ISO_8859_1);
        switch (key) {
            case "redis-ver" -> {
                redisVer = val;
                server.log.notice("Loading RDB produced by version " + val);
            }
            case "ctime" -> {
                long age = now / 1000 - parseLong(val);
                server.log.notice("RDB age " + Math.max(0, age) + " seconds");
            }
            case "used-mem" -> {
                long used = parseLong(val);
                if (loading != null) loading.rdbUsedMem(used);
                server.log.notice(String.format("RDB memory usage when created %.2f Mb", used / (1024.0 * 1024)));
            }
            case "repl-stream-db" -> replStreamDb = parseLong(val);
            case "repl-id" -> replId = val;
            case "repl-offset" -> replOffset = parseLong(val);
            case "aof-base", "aof-preamble" -> aofBase = parseLong(val);
            case "lua", "redis-bits" -> {}
            default -> server.log.debug("Unrecognized RDB AUX field: '" + key + "'");
        }
    }

    /** strtoll-like: the leading integer, 0 if none. */
    private static long parseLong(String s) {
        int i = 0, n = s.length();
        boolean neg = i < n && s.charAt(i) == '-';
        if (neg || (i < n && s.charAt(i) == '+')) i++;
        long v = 0;
        for (; i < n && Character.isDigit(s.charAt(i)); i++) v = v * 10 + (s.charAt(i) - '0');
        return neg ? -v : v;
    }

    /** A module's AUX blob (rdbLoadCheckModuleValue): module id, when, then typed opcodes to MODULE_OPCODE_EOF. */
    private void skipModuleAux(RdbReader r) throws RdbException {
        long moduleId = r.loadLen();
        r.loadLen(); // when_opcode
        r.loadLen(); // when
        server.log.warning("Skipping AUX data of module '" + RdbReader.moduleTypeName(moduleId) + "': Starling has no modules");
        for (;;) {
            long op = r.loadLen();
            switch ((int) op) {
                case Rdb.MODULE_OPCODE_EOF -> {
                    return;
                }
                case 1, 2 -> r.loadLen(); // SINT, UINT
                case 3 -> r.loadStringBytes(); // STRING
                case 4 -> r.readBytes(4, "Short read loading module float"); // FLOAT
                case 5 -> r.readBytes(8, "Short read loading module double"); // DOUBLE
                default -> throw RdbException.corrupt("Unknown module opcode " + op);
            }
        }
    }
}
