package dev.starling.server;

import dev.starling.keyspace.ByteKey;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Errors;
import dev.starling.protocol.LongDouble;
import dev.starling.protocol.Numbers;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.TreeSet;

/**
 * Clients blocked on keys (Redis's blocked.c and timeout.c), for every blocking command family:
 * BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP today, BZPOPMIN BZPOPMAX BZMPOP and XREAD next.
 *
 * <h2>Using it from a command</h2>
 * <pre>
 *   long timeout = Blocking.timeoutOrReply(c, c.argv[timeoutIdx]);   // parse first, as Redis does
 *   if (timeout &lt; 0) return;
 *   ... try to serve at once from the first non-empty key; WRONGTYPE as usual ...
 *   if (Blocking.deniesBlocking(c)) { c.addReplyNullArray(); return; } // MULTI/EXEC, scripts
 *   Blocking.State st = c.server.blocking.blockForKeys(c, c.argv, firstKey, numKeys, timeout, HANDLER);
 *   st.where = ...; st.count = ...; st.target = ...;                   // what serving needs later
 * </pre>
 * HANDLER ({@link Handler}) says which values can serve the client ({@code accepts}: a list for the
 * list commands, a sorted set for BZPOP*) and does the pop, the reply and the notifications when
 * one of its keys becomes ready ({@code serve}), and what to reply on timeout.
 *
 * <h2>How keys become ready</h2>
 * A client only blocks when all its keys are missing or empty, and empty collections are deleted,
 * so a key can only become servable by being added: {@link Db#add} calls {@link #signalKeyAsReady}
 * (Redis's dbAdd does), which covers pushes creating a list, RENAME, MOVE, COPY and RESTORE; SWAPDB
 * calls {@link #scanDatabaseForReadyKeys}. Ready keys are served by {@link #handleClientsBlockedOnKeys},
 * which {@link Server#processCommand} runs after every top-level command: after EXEC as a whole,
 * never between the commands of a transaction. Clients blocked on one key are served in the order
 * they blocked (FIFO) until the key is gone; a served BLMOVE may make its destination ready, which
 * the same loop serves next.
 *
 * <h2>Unblocking</h2>
 * A blocked client has {@link Client#BLOCKED}, so its pipelined input waits in its query buffer. When
 * served, timed out, or unblocked by CLIENT UNBLOCK, it is queued and its buffered commands run from
 * a task on the executor after the current batch (Redis's processUnblockedClients in beforeSleep),
 * so a client that pushes and then reads in one pipeline sees its own reads first, as in Redis.
 *
 * <h2>Timeouts</h2>
 * Deadlines are absolute milliseconds in an ordered set; a timer task fires at the earliest one
 * (Redis checks its radix tree of timeouts in beforeSleep) and the cron checks as a backstop. A
 * client times out once the clock has passed its deadline.
 */
public final class Blocking {
    /** How one kind of blocking command is served. Implementations are stateless singletons. */
    public interface Handler {
        /** True if a key holding value can serve clients blocked with this handler (the type check). */
        boolean accepts(Object value);

        /**
         * Serves receiver from key (its live entry e in st.db, a type this handler accepts): pops,
         * replies, notifies, counts dirty, and alsoPropagates the non-blocking form of what it did. May reply an error instead (BLMOVE to a key of another
         * type). Returns true if the key was deleted, so no later client can be served from it.
         */
        boolean serve(Client receiver, State st, byte[] key, KeyEntry e);

        /** The reply on timeout and on CLIENT UNBLOCK TIMEOUT (Redis: a null array for lists and zsets). */
        default void replyTimedOut(Client c) {
            c.addReplyNullArray();
        }
    }

    /** A handler for clients blocked on no key (WAIT, SHUTDOWN): no key serves them, their owner ends the wait. */
    public interface KeylessHandler extends Handler {
        @Override
        default boolean accepts(Object value) {
            return false;
        }

        @Override
        default boolean serve(Client receiver, State st, byte[] key, KeyEntry e) {
            return false;
        }

        @Override
        void replyTimedOut(Client c);
    }

    /** What a blocked client waits for (Redis's c->bpop). Fields after handler are for the handler. */
    public static final class State {
        public final Handler handler;
        public final Db db;
        /** Distinct keys, in the order given. */
        public final byte[][] keys;
        /** Absolute deadline in unix ms, 0 for none. */
        public final long timeout;
        /** BLMOVE's destination key. */
        public byte[] target;
        /** Where to pop and push (command-defined constants), and BLMPOP/BZMPOP's count (-1 if none). */
        public int where, whereTo;
        public long count = -1;
        /** Anything else a handler needs. */
        public Object extra;

        State(Handler handler, Db db, byte[][] keys, long timeout) {
            this.handler = handler;
            this.db = db;
            this.keys = keys;
            this.timeout = timeout;
        }
    }

    private record ReadyKey(Db db, ByteKey key) {}

    private final Server server;
    /** Per db id: key → clients blocked on it, in blocking order (Redis's db->blocking_keys). */
    private final HashMap<ByteKey, LinkedHashSet<Client>>[] blockingKeys;
    /** Per db id: keys already in {@link #readyKeys} (Redis's db->ready_keys). */
    private final HashSet<ByteKey>[] readySets;
    private ArrayList<ReadyKey> readyKeys = new ArrayList<>();
    /** Clients blocked with a deadline, earliest first (Redis's clients_timeout_table). */
    private final TreeSet<Client> timeouts = new TreeSet<>((a, b) -> {
        int cmp = Long.compare(a.bstate.timeout, b.bstate.timeout);
        return cmp != 0 ? cmp : Long.compare(a.id, b.id);
    });
    private long timerAt = Long.MAX_VALUE;
    private final ArrayList<Client> unblocked = new ArrayList<>();
    private boolean unblockedTaskQueued, handling;
    /** Clients blocked on keys (INFO blocked_clients adds the CLIENT PAUSE postponed ones). */
    private int blockedOnKeys;

    /** The keyspace clients block on (server.keyspace points elsewhere while an AOF is replayed). */
    private final dev.starling.keyspace.Keyspace live;

    @SuppressWarnings("unchecked")
    Blocking(Server server) {
        this.server = server;
        this.live = server.keyspace;
        int n = server.keyspace.dbs.length;
        blockingKeys = new HashMap[n];
        readySets = new HashSet[n];
        for (int i = 0; i < n; i++) {
            blockingKeys[i] = new HashMap<>();
            readySets[i] = new HashSet<>();
        }
        server.keyspace.addHook = this::signalKeyAsReady;
        server.clientListeners.add(this::clientClosed);
        server.cronHooks.add(this::handleBlockedClientsTimeout);
        server.infoFields.put("blocked_clients", this::blockedClientsInfo);
        server.infoFields.put("clients_in_timeout_table", () -> timeouts.size());
    }

    // ---------------------------------------------------------------- for commands

    /** True if c may not block (inside MULTI/EXEC or a script): blocking commands then act as if timed out. */
    public static boolean deniesBlocking(Client c) {
        return (c.flags & (Client.MULTI | Client.DENY_BLOCKING)) != 0;
    }

    /**
     * Redis's getTimeoutFromObjectOrReply in seconds (a long double, so "0.1" and "1e3" work):
     * returns the absolute deadline in ms, 0 for "block forever", or -1 after replying the error.
     */
    public static long timeoutOrReply(Client c, byte[] arg) {
        long ms;
        long v = Numbers.parseLong(arg);
        if (Numbers.isValidLong(v, arg) && v > -9_000_000_000_000_000L / 1000 && v < 9_000_000_000_000_000L / 1000) {
            ms = v * 1000;
        } else {
            BigDecimal d = LongDouble.parse(arg, 0, arg.length);
            if (d == null) {
                c.addReplyError(Errors.TIMEOUT_NOT_FLOAT);
                return -1;
            }
            ms = Long.MIN_VALUE; // C's (long long) of an out-of-range value on x86-64
            if (d != LongDouble.POS_INF && d != LongDouble.NEG_INF) {
                BigDecimal p = LongDouble.round(d.multiply(BigDecimal.valueOf(1000)));
                if (p != null) {
                    BigDecimal t = p.setScale(0, RoundingMode.DOWN);
                    java.math.BigInteger bi = t.toBigInteger();
                    if (bi.bitLength() < 64) ms = bi.longValue();
                }
            }
        }
        if (ms < 0) {
            c.addReplyError(Errors.TIMEOUT_NEGATIVE);
            return -1;
        }
        if (ms > 0) {
            long now = c.server.clock.millis();
            // Redis 7.0 adds without a range check; the wrapped deadline sorts last in its timeout
            // table, so such a client waits forever.
            ms = ms > Long.MAX_VALUE - now ? 0 : ms + now;
        }
        return ms;
    }

    /**
     * Blocks c on keys argv[from .. from+n) of its db until one is served by handler or the
     * deadline (0: none) passes (Redis's blockForKeys). Returns the state for the caller to fill in.
     */
    public State blockForKeys(Client c, byte[][] argv, int from, int n, long timeout, Handler handler) {
        ArrayList<byte[]> distinct = new ArrayList<>(n);
        HashMap<ByteKey, LinkedHashSet<Client>> byKey = blockingKeys[c.db.id];
        HashSet<ByteKey> seen = new HashSet<>();
        for (int j = from; j < from + n; j++) {
            ByteKey k = new ByteKey(argv[j]);
            if (!seen.add(k)) continue;
            distinct.add(argv[j]);
            byKey.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(c);
        }
        State st = new State(handler, c.db, distinct.toArray(new byte[0][]), timeout);
        c.bstate = st;
        c.flags |= Client.BLOCKED;
        blockedOnKeys++;
        if (timeout != 0) {
            timeouts.add(c);
            scheduleTimer();
        }
        return st;
    }

    /** True if c is blocked on keys (not merely postponed by CLIENT PAUSE). */
    public static boolean isBlockedOnKeys(Client c) {
        return c.bstate != null;
    }

    // ---------------------------------------------------------------- ready keys

    /**
     * Redis's signalKeyAsReady: key was added to db with value; queues it if clients block on it.
     * Costs one compare while nobody blocks.
     */
    public void signalKeyAsReady(Db db, byte[] key, Object value) {
        // A keyspace being loaded (DEBUG LOADAOF replaying SWAPDB) is not the one clients block on.
        if (blockedOnKeys == 0 || db.ks != live) return;
        ByteKey k = new ByteKey(key);
        if (!blockingKeys[db.id].containsKey(k)) return;
        if (!readySets[db.id].add(k)) return;
        readyKeys.add(new ReadyKey(db, k));
    }

    /** After SWAPDB: every key of db with blocked clients that now holds a value is ready (scanDatabaseForReadyKeys). */
    public void scanDatabaseForReadyKeys(Db db) {
        if (blockedOnKeys == 0) return;
        ArrayList<ByteKey> keys = new ArrayList<>(blockingKeys[db.id].keySet());
        for (ByteKey k : keys) {
            KeyEntry e = db.dict.get(k.bytes);
            if (e != null) signalKeyAsReady(db, k.bytes, e.value);
        }
    }

    public boolean hasReadyKeys() {
        return !readyKeys.isEmpty();
    }

    /**
     * Serves the clients blocked on every ready key, first blocked first, until each key is gone;
     * repeats while serving makes more keys ready (Redis's handleClientsBlockedOnKeys).
     */
    public void handleClientsBlockedOnKeys() {
        if (handling) return;
        handling = true;
        try {
            while (!readyKeys.isEmpty()) {
                ArrayList<ReadyKey> l = readyKeys;
                readyKeys = new ArrayList<>();
                for (int i = 0; i < l.size(); i++) {
                    ReadyKey rk = l.get(i);
                    readySets[rk.db.id].remove(rk.key);
                    server.keyspace.updateTime();
                    KeyEntry e = rk.db.lookupKeyWrite(rk.key.bytes);
                    if (e != null) serveClientsBlockedOnKey(rk.db, rk.key, e);
                }
            }
        } finally {
            handling = false;
        }
    }

    private void serveClientsBlockedOnKey(Db db, ByteKey key, KeyEntry e) {
        LinkedHashSet<Client> clients = blockingKeys[db.id].get(key);
        if (clients == null) return;
        Client[] receivers = clients.toArray(new Client[0]);
        for (Client receiver : receivers) {
            State st = receiver.bstate;
            if (st == null || st.db != db || !st.handler.accepts(e.value)) continue;
            // Each served client is an execution unit: what it propagates (LPOP for BLPOP, ...) goes out now.
            server.propagator.enterUnit();
            boolean deleted;
            try {
                deleted = st.handler.serve(receiver, st, key.bytes, e);
            } finally {
                server.propagator.exitUnit();
            }
            unblock(receiver);
            if (deleted) break;
        }
    }

    // ---------------------------------------------------------------- unblocking

    /** Removes c from the blocking tables and queues its buffered input (Redis's unblockClient). */
    public void unblock(Client c) {
        if (!removeBlocked(c)) return;
        c.commandProcessed();
        queueClientForReprocessing(c);
    }

    private boolean removeBlocked(Client c) {
        State st = c.bstate;
        if (st == null) return false;
        if (st.timeout != 0) timeouts.remove(c);
        HashMap<ByteKey, LinkedHashSet<Client>> byKey = blockingKeys[st.db.id];
        for (byte[] k : st.keys) {
            ByteKey key = new ByteKey(k);
            LinkedHashSet<Client> l = byKey.get(key);
            if (l == null) continue;
            l.remove(c);
            if (l.isEmpty()) byKey.remove(key);
        }
        c.bstate = null;
        c.flags &= ~Client.BLOCKED;
        blockedOnKeys--;
        return true;
    }

    private void queueClientForReprocessing(Client c) {
        if (c.has(Client.UNBLOCKED)) return;
        c.flags |= Client.UNBLOCKED;
        unblocked.add(c);
        if (!unblockedTaskQueued) {
            unblockedTaskQueued = true;
            server.execute(this::processUnblockedClients);
        }
    }

    /** Runs the input that unblocked clients buffered meanwhile (Redis's processUnblockedClients). */
    private void processUnblockedClients() {
        unblockedTaskQueued = false;
        while (!unblocked.isEmpty()) {
            Client c = unblocked.remove(0);
            c.flags &= ~Client.UNBLOCKED;
            if (!c.has(Client.BLOCKED)) server.resumeClient(c, null, 0);
        }
    }

    /**
     * CLIENT UNBLOCK: unblocks target with the timeout reply, or with the -UNBLOCKED error. Returns
     * false if target is not blocked on keys. (Redis 7.0 crashes when asked to unblock a client
     * postponed by CLIENT PAUSE; Starling answers 0.)
     */
    public boolean clientUnblock(Client target, boolean error) {
        State st = target.bstate;
        if (st == null) return false;
        if (error) target.addReplyError(Errors.UNBLOCKED_BY_CLIENT_UNBLOCK);
        else st.handler.replyTimedOut(target);
        unblock(target);
        return true;
    }

    private void clientClosed(Client c) {
        removeBlocked(c);
        if (c.has(Client.UNBLOCKED)) {
            unblocked.remove(c);
            c.flags &= ~Client.UNBLOCKED;
        }
    }

    // ---------------------------------------------------------------- timeouts

    private void scheduleTimer() {
        if (timeouts.isEmpty()) return;
        long at = timeouts.first().bstate.timeout;
        if (at >= timerAt) return;
        timerAt = at;
        // +1: a client times out once now is past its deadline.
        server.schedule(this::timerFired, Math.max(0, at - server.clock.millis() + 1));
    }

    private void timerFired() {
        timerAt = Long.MAX_VALUE;
        handleBlockedClientsTimeout();
        scheduleTimer();
    }

    /** Replies to and unblocks every client whose deadline has passed (Redis's handleBlockedClientsTimeout). */
    void handleBlockedClientsTimeout() {
        if (timeouts.isEmpty()) return;
        long now = server.clock.millis();
        while (!timeouts.isEmpty()) {
            Client c = timeouts.first();
            if (c.bstate.timeout >= now) break;
            c.bstate.handler.replyTimedOut(c);
            unblock(c);
        }
        scheduleTimer();
    }

    // ---------------------------------------------------------------- introspection

    private Object blockedClientsInfo() {
        // Redis 7.0 counts clients postponed by CLIENT PAUSE as blocked too.
        int n = 0;
        for (Client c : server.clients.values()) if (c.has(Client.BLOCKED) && !c.has(Client.RUNNING_OFF_EXECUTOR)) n++;
        return n;
    }

    /** Number of clients blocked on keys. */
    public int blockedOnKeys() {
        return blockedOnKeys;
    }

    /** Checks the tables for tests: every blocked client is listed under each of its keys and no key lists an unblocked client. */
    public String validate() {
        int n = 0;
        for (int db = 0; db < blockingKeys.length; db++) {
            for (var en : blockingKeys[db].entrySet()) {
                if (en.getValue().isEmpty()) return "empty client list for a key";
                for (Client c : en.getValue()) {
                    if (c.bstate == null || c.bstate.db.id != db) return "client " + c.id + " listed but not blocked here";
                }
            }
        }
        for (Client c : server.clients.values()) {
            if (c.bstate == null) continue;
            n++;
            for (byte[] k : c.bstate.keys) {
                LinkedHashSet<Client> l = blockingKeys[c.bstate.db.id].get(new ByteKey(k));
                if (l == null || !l.contains(c)) return "client " + c.id + " missing from a key's list";
            }
            if ((c.bstate.timeout != 0) != timeouts.contains(c)) return "timeout table out of step for client " + c.id;
        }
        if (n != blockedOnKeys) return "blockedOnKeys " + blockedOnKeys + " but " + n + " clients";
        return null;
    }
}
