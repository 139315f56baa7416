package dev.starling.replication;

import dev.starling.command.Command;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;
import dev.starling.server.Server;
import io.netty.buffer.ByteBufAllocator;

/**
 * Command propagation: what a write sends to replicas and the AOF, in Redis 7.0's deterministic
 * form (server.c's call, alsoPropagate, propagatePendingCommands; db.c's propagateDeletion).
 *
 * <h2>What is propagated</h2>
 * After a command runs, {@link Server#call} propagates its argv if it changed the dataset
 * (server.dirty moved) or forced propagation ({@link Client#forceCommandPropagation}: FLUSHALL on
 * an empty server, PUBLISH), unless it prevented it ({@link Client#preventCommandPropagation}:
 * SPOP with a count, which sends SREMs instead). A command whose effect depends on time or chance
 * rewrites what is propagated ({@link Client#rewriteCommandVector}): SET EX becomes SET PXAT,
 * EXPIRE becomes PEXPIREAT, BLPOP becomes LPOP, INCRBYFLOAT becomes SET KEEPTTL. Expired and
 * evicted keys propagate as DEL, or UNLINK under lazyfree-lazy-expire / lazyfree-lazy-eviction.
 *
 * <h2>The rewrites (checked against redis-server 7.0.15's replication stream)</h2>
 * <ul>
 *   <li>SET/SETEX/PSETEX with a TTL: SET key value PXAT ms (NX, XX, GET dropped); SET ... GET
 *       without a TTL: the same command without its GET arguments.</li>
 *   <li>GETEX: PEXPIREAT key ms, PERSIST key, or DEL/UNLINK key (lazyfree-lazy-expire) for a time
 *       already past; GETDEL: DEL/UNLINK key (lazyfree-lazy-user-del); GETSET: SET key value.</li>
 *   <li>EXPIRE, PEXPIRE, EXPIREAT: PEXPIREAT key ms [NX|XX|GT|LT]; a time already past: DEL/UNLINK
 *       key (lazyfree-lazy-expire).</li>
 *   <li>INCRBYFLOAT: SET key result KEEPTTL; HINCRBYFLOAT: HSET key field result.</li>
 *   <li>SPOP key: SREM key member; SPOP key count: one SREM per member (MULTI-wrapped), or DEL key
 *       when the whole set goes.</li>
 *   <li>LMPOP, BLMPOP: LPOP/RPOP key n (n = elements popped); BLPOP/BRPOP: LPOP/RPOP key;
 *       BLMOVE: LMOVE; BRPOPLPUSH: RPOPLPUSH; ZMPOP, BZMPOP: ZPOPMIN/ZPOPMAX key n;
 *       BZPOPMIN/BZPOPMAX: ZPOPMIN/ZPOPMAX key. A blocked client served later propagates the same
 *       forms (LMOVE with lower-case left/right) in its own unit.</li>
 *   <li>RESTORE with a relative TTL: the absolute time plus ABSTTL; with a time already past: DEL
 *       key if it replaced one, else nothing.</li>
 *   <li>FLUSHDB, FLUSHALL: always, even on empty databases; PUBLISH, SPUBLISH: to replicas only.</li>
 *   <li>Every other write: as sent (argv[0] in the client's case), only if it changed something.</li>
 * </ul>
 *
 * <h2>Execution units</h2>
 * Everything a unit propagates ({@link #alsoPropagate}) is queued (Redis's server.also_propagate)
 * and appended to the stream when the unit ends ({@link #propagatePendingCommands}); consumers
 * receive it before the server writes its next reply ({@link #flushStream}). A unit is a
 * top-level command (with EXEC, the whole transaction), or the serving of one blocked client.
 * When a unit queued more than one command they are wrapped in MULTI ... EXEC, so replicas apply
 * them atomically: a transaction, a lazy expiry followed by the write that triggered it, SPOP's
 * SREMs. MULTI is preceded by the SELECT of the first command's database; MULTI and EXEC are never
 * propagated as commands. Deletions outside any unit (the active expire cycle, eviction before a
 * command) are appended at once, one DEL each and unwrapped, as Redis's propagate_no_multi does.
 *
 * <h2>No consumer, no cost</h2>
 * Redis does this work only while a backlog or the AOF exists; here only while a
 * {@link StreamConsumer} is attached to {@link #stream}: {@link #alsoPropagate} returns at once,
 * and commands skip their rewrites ({@link #active}).
 */
public final class Propagator {
    /** Redis's PROPAGATE_* targets. */
    public static final int PROPAGATE_NONE = 0, PROPAGATE_AOF = 1, PROPAGATE_REPL = 2;
    public static final int PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

    // Redis's shared.* command names used in rewrites.
    public static final byte[] DEL = Resp.ascii("DEL"), UNLINK = Resp.ascii("UNLINK"), MULTI = Resp.ascii("MULTI"),
            EXEC = Resp.ascii("EXEC"), SET = Resp.ascii("SET"), PXAT = Resp.ascii("PXAT"), KEEPTTL = Resp.ascii("KEEPTTL"),
            PEXPIREAT = Resp.ascii("PEXPIREAT"), PERSIST = Resp.ascii("PERSIST"), HSET = Resp.ascii("HSET"),
            SREM = Resp.ascii("SREM"), LPOP = Resp.ascii("LPOP"), RPOP = Resp.ascii("RPOP"), LMOVE = Resp.ascii("LMOVE"),
            RPOPLPUSH = Resp.ascii("RPOPLPUSH"), ZPOPMIN = Resp.ascii("ZPOPMIN"), ZPOPMAX = Resp.ascii("ZPOPMAX"),
            LEFT = Resp.ascii("left"), RIGHT = Resp.ascii("right"), ABSTTL = Resp.ascii("ABSTTL");
    private static final byte[][] MULTI_ARGV = {MULTI}, EXEC_ARGV = {EXEC};

    public final ReplicationStream stream;
    private final Server server;
    private Command execCommand;

    // server.also_propagate: the pending ops of the current unit.
    private int numops;
    private int[] opDb = new int[16], opArgc = new int[16], opTarget = new int[16];
    private byte[][][] opArgv = new byte[16][][];
    /** Nesting of execution units; 0 outside any (cron, eviction before a command). */
    private int unitDepth;

    public Propagator(Server server) {
        this.server = server;
        this.stream = new ReplicationStream(ByteBufAllocator.DEFAULT);
    }

    /** Wires deletions by expiry and eviction into the stream and master_repl_offset into INFO. */
    public void install() {
        server.keyspace.listener = new DeletionListener(server.keyspace.listener);
        server.infoFields.put("master_repl_offset", stream::offset);
        server.afterLoopHooks.add(stream::release);
    }

    /** True while someone consumes the stream: only then are commands propagated or rewritten. */
    public boolean active() {
        return stream.wanted != 0;
    }

    /** True while an AOF is replayed on the executor (Redis's shouldPropagate is false while loading). */
    public boolean suppressed;

    /** Redis's shouldPropagate: target reaches a consumer. */
    private boolean shouldPropagate(int target) {
        return (target & stream.wanted) != 0 && !suppressed;
    }

    // ---------------------------------------------------------------- call()

    /**
     * The propagation half of Redis's call(), run after the command's handler: propagates argv
     * (or its rewrite) if the command changed the dataset or forced propagation, then, if this was
     * the outermost call, ends the execution unit. Restores the client's propagation flags, which
     * are per call. savedFlags: the flags returned by {@link #beforeCall}.
     */
    public void afterCall(Client c, Command cmd, boolean dirty, int savedFlags) {
        if (stream.wanted != 0 && (c.flags & Client.PREVENT_PROP) != Client.PREVENT_PROP && cmd != execCommand()) {
            int target = dirty ? PROPAGATE_ALL : PROPAGATE_NONE;
            if ((c.flags & Client.FORCE_REPL) != 0) target |= PROPAGATE_REPL;
            if ((c.flags & Client.FORCE_AOF) != 0) target |= PROPAGATE_AOF;
            if ((c.flags & Client.PREVENT_REPL_PROP) != 0) target &= ~PROPAGATE_REPL;
            if ((c.flags & Client.PREVENT_AOF_PROP) != 0) target &= ~PROPAGATE_AOF;
            if (target != PROPAGATE_NONE) {
                byte[][] argv = c.propagateArgv != null ? c.propagateArgv : c.argv;
                int argc = c.propagateArgv != null ? argv.length : c.argc;
                if (unitDepth == 1 && numops == 0) {
                    // The unit's only command (the common case): no MULTI to decide, encode it now.
                    if (shouldPropagate(target)) {
                        stream.feed(c.db.id, argv, argc, target);
                        queueFlush();
                    }
                } else {
                    alsoPropagate(c.db.id, argv, argc, target);
                }
            }
        }
        c.propagateArgv = null;
        c.flags = (c.flags & ~Client.PROPAGATION_FLAGS) | savedFlags;
        if (--unitDepth == 0 && numops != 0) propagatePendingCommands(!touchesArbitraryKeys(cmd));
    }

    /**
     * Redis's CMD_TOUCHES_ARBITRARY_KEYS (hidden from COMMAND INFO): SCAN and RANDOMKEY may expire
     * keys they happen to meet; run directly (not inside EXEC) their DELs are not wrapped, like the
     * active expire cycle's.
     */
    private boolean touchesArbitraryKeys(Command cmd) {
        if (scanCommand == null) {
            scanCommand = server.commands.find("scan");
            randomkeyCommand = server.commands.find("randomkey");
        }
        return cmd == scanCommand || cmd == randomkeyCommand;
    }

    private Command scanCommand, randomkeyCommand;

    /** Starts a call: clears and returns the client's per-call propagation flags, opens a unit. */
    public int beforeCall(Client c) {
        int saved = c.flags & Client.PROPAGATION_FLAGS;
        c.flags &= ~Client.PROPAGATION_FLAGS;
        unitDepth++;
        return saved;
    }

    private Command execCommand() {
        Command e = execCommand;
        if (e == null) execCommand = e = server.commands.find("exec");
        return e;
    }

    /** Opens an execution unit that is not a call() (serving a blocked client). */
    public void enterUnit() {
        unitDepth++;
    }

    /** Closes a unit; the outermost one appends what it queued (Redis's afterCommand). */
    public void exitUnit() {
        if (--unitDepth == 0 && numops != 0) propagatePendingCommands(true);
    }

    // ---------------------------------------------------------------- alsoPropagate

    /**
     * Redis's alsoPropagate: queues argv[0..argc) to be propagated in dbid when the current unit
     * ends; outside any unit, appends it at once. The argument bytes are kept by reference (they are
     * never modified once received) and so is an exactly sized argv array: a command's argv outlives
     * the unit (the parser reuses its array only after the outermost call returns).
     */
    public void alsoPropagate(int dbid, byte[][] argv, int argc, int target) {
        if (!shouldPropagate(target)) return;
        if (unitDepth == 0) {
            stream.feed(dbid, argv, argc, target);
            stream.flush();
            return;
        }
        if (numops == opDb.length) grow();
        opDb[numops] = dbid;
        opArgv[numops] = argc == argv.length ? argv : java.util.Arrays.copyOf(argv, argc);
        opArgc[numops] = argc;
        opTarget[numops] = target;
        numops++;
    }

    /** alsoPropagate of a new argument vector to every target. */
    public void alsoPropagate(int dbid, byte[]... argv) {
        alsoPropagate(dbid, argv, argv.length, PROPAGATE_ALL);
    }

    private void grow() {
        int n = opDb.length * 2;
        opDb = java.util.Arrays.copyOf(opDb, n);
        opArgc = java.util.Arrays.copyOf(opArgc, n);
        opTarget = java.util.Arrays.copyOf(opTarget, n);
        opArgv = java.util.Arrays.copyOf(opArgv, n);
    }

    /**
     * Redis's propagatePendingCommands: appends the unit's queued commands to the stream, wrapped
     * in MULTI/EXEC when there are several and wrap allows it (MULTI in the first command's
     * database, so its SELECT comes first; EXEC in the last's, so no SELECT comes between).
     */
    private void propagatePendingCommands(boolean wrap) {
        int n = numops;
        numops = 0;
        boolean multi = wrap && n > 1;
        if (multi) stream.feed(opDb[0], MULTI_ARGV, 1, PROPAGATE_ALL);
        for (int j = 0; j < n; j++) {
            stream.feed(opDb[j], opArgv[j], opArgc[j], opTarget[j]);
            opArgv[j] = null;
        }
        if (multi) stream.feed(opDb[n - 1], EXEC_ARGV, 1, PROPAGATE_ALL);
        queueFlush();
    }

    /**
     * Consumers get what was appended before the next reply is written ({@link #flushStream}) or,
     * at the latest, at the end of this event-loop turn.
     */
    private void queueFlush() {
        if (!flushQueued) {
            flushQueued = true;
            server.execute(flushTask);
        }
    }

    private boolean flushQueued;
    private final Runnable flushTask = this::flushQueuedStream;

    private void flushQueuedStream() {
        flushQueued = false;
        stream.flush();
    }

    /**
     * Hands what the stream has pending to its consumers. The server calls it before it writes
     * replies, so that no reply overtakes the writes it acknowledges; one null check otherwise.
     */
    public void flushStream() {
        stream.flush();
    }

    // ---------------------------------------------------------------- deletions

    /** Redis's propagateDeletion: a key deleted by expiry or eviction, as DEL or (lazy) UNLINK. */
    public void propagateDeletion(Db db, byte[] key, boolean lazy) {
        if (stream.wanted == 0) return;
        alsoPropagate(db.id, lazy ? UNLINK : DEL, key);
    }

    /** Propagates expirations and evictions; wraps the keyspace listener installed before it. */
    private final class DeletionListener extends Keyspace.ForwardingListener {
        DeletionListener(Keyspace.Listener next) {
            super(next);
        }

        @Override
        public void keyExpired(Db db, byte[] key) {
            super.keyExpired(db, key);
            propagateDeletion(db, key, server.config.lazyfreeLazyExpire);
        }

        @Override
        public void keyEvicted(Db db, byte[] key) {
            super.keyEvicted(db, key);
            propagateDeletion(db, key, server.config.lazyfreeLazyEviction);
        }
    }
}
