package dev.starling.command;

import dev.starling.keyspace.ByteKey;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Transactions and optimistic locking: MULTI EXEC DISCARD WATCH UNWATCH (Redis's multi.c).
 *
 * <h2>Queueing</h2>
 * While a client has {@link Client#MULTI}, {@link Server#processCommand} hands every command that
 * passed its checks to {@link #queue}: EXEC DISCARD MULTI WATCH QUIT RESET run at once, no_multi
 * commands are rejected, the rest are copied (the parser reuses its argv array) and answered
 * +QUEUED. Any rejection while in MULTI (unknown command, arity, a filter) sets
 * {@link Client#DIRTY_EXEC}, so EXEC answers -EXECABORT.
 *
 * <h2>Watching</h2>
 * Each db has a map key → clients watching it; each client lists its (db, key, expired) entries.
 * A write to a watched key (the keyspace listener) sets {@link Client#DIRTY_CAS} and unwatches the
 * client: EXEC then answers the null array. Invariant: {@link #watchedKeys} is the number of
 * entries over all per-db maps, so a write costs one int compare while nobody watches.
 *
 * <p>As in Redis 7.0, a key already expired when WATCHed is not a change when it is deleted, and a
 * key that was live when WATCHed but is logically expired at EXEC aborts the transaction.
 * FLUSHDB/FLUSHALL touch the watched keys that exist in the emptied db; SWAPDB those that exist in
 * either db.
 */
public final class MultiCommands {
    private final Server server;
    private final Command execCmd, discardCmd, multiCmd, watchCmd, quitCmd, resetCmd;
    /** Per db id: watched key → clients watching it. */
    private final HashMap<ByteKey, ArrayList<Client>>[] byDb;
    /** Entries over all of {@link #byDb} (zero: writes skip the lookup). */
    private int watchedKeys;

    @SuppressWarnings("unchecked")
    private MultiCommands(Server server) {
        this.server = server;
        CommandTable t = server.commands;
        execCmd = t.find("exec");
        discardCmd = t.find("discard");
        multiCmd = t.find("multi");
        watchCmd = t.find("watch");
        quitCmd = t.find("quit");
        resetCmd = t.find("reset");
        byDb = new HashMap[server.keyspace.dbs.length];
        for (int i = 0; i < byDb.length; i++) byDb[i] = new HashMap<>();
    }

    /** Binds the commands and installs the queue hook, the reject and client listeners, and the keyspace listener. */
    static void install(Server server) {
        MultiCommands m = new MultiCommands(server);
        CommandTable t = server.commands;
        t.bind("multi", m::multi);
        t.bind("exec", m::exec);
        t.bind("discard", m::discard);
        t.bind("watch", m::watch);
        t.bind("unwatch", m::unwatch);
        server.queueHook = m::queue;
        server.rejectListener = m::flagTransaction;
        server.clientListeners.add(m::discardTransaction);
        server.resetListeners.add(m::discardTransaction);
        server.keyspace.listener = m.new WatchListener(server.keyspace.listener);
    }

    /** Per-connection state, created by the first MULTI or WATCH. */
    public static final class ClientState {
        final ArrayList<Command> cmds = new ArrayList<>();
        final ArrayList<byte[][]> argvs = new ArrayList<>();
        final ArrayList<WatchedKey> watched = new ArrayList<>();
        /** Union of the queued commands' flags (CLIENT PAUSE WRITE holds an EXEC that writes). */
        long cmdFlags;
    }

    /** True if c's queued transaction has a write or may-replicate command (Redis's mstate.cmd_flags). */
    public static boolean queueMayReplicate(Client c) {
        ClientState s = c.multiState;
        return s != null && (s.cmdFlags & (Command.WRITE | Command.MAY_REPLICATE)) != 0;
    }

    /** True if c has queued commands and one of them lacks flag (Redis's mstate.cmd_inv_flags). */
    public static boolean queuedLacksFlag(Client c, long flag) {
        ClientState s = c.multiState;
        if (s == null) return false;
        for (int i = 0; i < s.cmds.size(); i++) if (!s.cmds.get(i).has(flag)) return true;
        return false;
    }

    /** The union of c's queued commands' flags, 0 if none (Redis's mstate.cmd_flags). */
    public static long queuedFlags(Client c) {
        ClientState s = c.multiState;
        return s == null ? 0 : s.cmdFlags;
    }

    /** One WATCHed key of a client; expired: the key was already logically expired when watched. */
    static final class WatchedKey {
        final Db db;
        final ByteKey key;
        boolean expired;

        WatchedKey(Db db, ByteKey key, boolean expired) {
            this.db = db;
            this.key = key;
            this.expired = expired;
        }
    }

    private static ClientState state(Client c) {
        ClientState s = c.multiState;
        if (s == null) c.multiState = s = new ClientState();
        return s;
    }

    // ---------------------------------------------------------------- MULTI EXEC DISCARD

    /**
     * Redis's flagTransaction: a command rejected inside MULTI makes EXEC abort. A rejected EXEC
     * itself discards the transaction and says why (Redis's execCommandAbort), in MULTI or not.
     */
    String flagTransaction(Client c, Command cmd, String err) {
        if (c.has(Client.MULTI)) c.flags |= Client.DIRTY_EXEC;
        if (cmd != execCmd) return err;
        discardTransaction(c);
        return Errors.execAbortBecause(err);
    }

    /** Returns true if cmd was queued (or rejected as no_multi) instead of run now. */
    boolean queue(Client c, Command cmd) {
        if (!c.has(Client.MULTI)) return false;
        if (cmd == execCmd || cmd == discardCmd || cmd == multiCmd || cmd == watchCmd || cmd == quitCmd
                || cmd == resetCmd) {
            return false;
        }
        if (cmd.has(Command.NO_MULTI)) {
            server.reject(c, cmd, Errors.NOT_ALLOWED_IN_MULTI);
            return true;
        }
        // An aborted transaction keeps no commands (Redis: no memory wasted on a pipeline after an error).
        if ((c.flags & (Client.DIRTY_CAS | Client.DIRTY_EXEC)) == 0) {
            ClientState s = state(c);
            s.cmds.add(cmd);
            s.argvs.add(Arrays.copyOf(c.argv, c.argc));
            s.cmdFlags |= cmd.flags;
            c.multiCount++;
        }
        c.addReply(Resp.QUEUED);
        return true;
    }

    void multi(Client c) {
        if (c.has(Client.MULTI)) {
            c.addReplyError(Errors.MULTI_NESTED);
            return;
        }
        c.flags |= Client.MULTI;
        c.addReplyOk();
    }

    void discard(Client c) {
        if (!c.has(Client.MULTI)) {
            c.addReplyError(Errors.DISCARD_WITHOUT_MULTI);
            return;
        }
        discardTransaction(c);
        c.addReplyOk();
    }

    /** Drops the queue, the MULTI/DIRTY flags and every watched key (also on disconnect and RESET). */
    void discardTransaction(Client c) {
        c.flags &= ~(Client.MULTI | Client.DIRTY_CAS | Client.DIRTY_EXEC);
        c.multiCount = 0;
        ClientState s = c.multiState;
        if (s == null) return;
        s.cmds.clear();
        s.argvs.clear();
        s.cmdFlags = 0;
        unwatchAllKeys(c);
    }

    /**
     * Runs the queued commands through {@link Server#call} (stats, SLOWLOG, MONITOR see each one)
     * and replies with an array of their replies; -EXECABORT if a command was rejected while
     * queueing, the null array if a watched key changed.
     */
    void exec(Client c) {
        if (!c.has(Client.MULTI)) {
            c.addReplyError(Errors.EXEC_WITHOUT_MULTI);
            return;
        }
        if (!c.has(Client.DIRTY_CAS) && isWatchedKeyExpired(c)) c.flags |= Client.DIRTY_CAS;
        if ((c.flags & (Client.DIRTY_CAS | Client.DIRTY_EXEC)) != 0) {
            if (c.has(Client.DIRTY_EXEC)) c.addReplyError(Errors.EXECABORT);
            else c.addReplyNullArray();
            discardTransaction(c);
            return;
        }
        // Unwatch first: the transaction's own writes must not flag it.
        unwatchAllKeys(c);
        ClientState s = c.multiState;
        byte[][] origArgv = c.argv;
        int origArgc = c.argc;
        Command origCmd = c.cmd;
        int n = s == null ? 0 : s.cmds.size();
        c.addReplyArrayLen(n);
        for (int j = 0; j < n; j++) {
            Command cmd = s.cmds.get(j);
            byte[][] argv = s.argvs.get(j);
            c.argv = argv;
            c.argc = argv.length;
            c.cmd = cmd;
            server.call(c, cmd);
        }
        c.argv = origArgv;
        c.argc = origArgc;
        c.cmd = origCmd;
        discardTransaction(c);
    }

    // ---------------------------------------------------------------- WATCH UNWATCH

    void watch(Client c) {
        if (c.has(Client.MULTI)) {
            c.addReplyError(Errors.WATCH_IN_MULTI);
            return;
        }
        // Already dirty: watching more cannot change EXEC's outcome.
        if (!c.has(Client.DIRTY_CAS)) {
            for (int j = 1; j < c.argc; j++) watchForKey(c, c.argv[j]);
        }
        c.addReplyOk();
    }

    void unwatch(Client c) {
        unwatchAllKeys(c);
        c.flags &= ~Client.DIRTY_CAS;
        c.addReplyOk();
    }

    private void watchForKey(Client c, byte[] key) {
        ClientState s = state(c);
        ByteKey k = new ByteKey(key);
        for (int i = 0, n = s.watched.size(); i < n; i++) {
            WatchedKey w = s.watched.get(i);
            if (w.db == c.db && w.key.equals(k)) return;
        }
        ArrayList<Client> clients = byDb[c.db.id].get(k);
        if (clients == null) {
            byDb[c.db.id].put(k, clients = new ArrayList<>(2));
            watchedKeys++;
        }
        clients.add(c);
        s.watched.add(new WatchedKey(c.db, k, c.db.keyIsExpired(key)));
    }

    private void unwatchAllKeys(Client c) {
        ClientState s = c.multiState;
        if (s == null || s.watched.isEmpty()) return;
        for (int i = 0, n = s.watched.size(); i < n; i++) {
            WatchedKey w = s.watched.get(i);
            HashMap<ByteKey, ArrayList<Client>> m = byDb[w.db.id];
            ArrayList<Client> clients = m.get(w.key);
            if (clients == null) continue;
            clients.remove(c);
            if (clients.isEmpty()) {
                m.remove(w.key);
                watchedKeys--;
            }
        }
        s.watched.clear();
    }

    /** True if a key that was live when WATCHed is now logically expired. */
    private static boolean isWatchedKeyExpired(Client c) {
        ClientState s = c.multiState;
        if (s == null) return false;
        for (int i = 0, n = s.watched.size(); i < n; i++) {
            WatchedKey w = s.watched.get(i);
            if (!w.expired && w.db.keyIsExpired(w.key.bytes)) return true;
        }
        return false;
    }

    private static WatchedKey find(Client c, Db db, ByteKey key) {
        ArrayList<WatchedKey> ws = c.multiState.watched;
        for (int i = 0, n = ws.size(); i < n; i++) {
            WatchedKey w = ws.get(i);
            if (w.db == db && w.key.equals(key)) return w;
        }
        return null;
    }

    private void setDirty(Client c) {
        c.flags |= Client.DIRTY_CAS;
        unwatchAllKeys(c);
    }

    /** Redis's touchWatchedKey: key in db was written. */
    private void touchWatchedKey(Db db, byte[] key) {
        HashMap<ByteKey, ArrayList<Client>> m = byDb[db.id];
        if (m.isEmpty()) return;
        ByteKey k = new ByteKey(key);
        ArrayList<Client> clients = m.get(k);
        if (clients == null) return;
        for (Client c : clients.toArray(new Client[0])) {
            WatchedKey w = find(c, db, k);
            if (w != null && w.expired) {
                // Deleting a key that was already expired when watched is no logical change.
                if (db.dict.get(key) == null) {
                    w.expired = false;
                    continue;
                }
            }
            setDirty(c);
        }
    }

    /**
     * Redis's touchAllWatchedKeysInDb: emptied is about to be flushed (replacedWith null) or swapped
     * with replacedWith. Touches the watched keys whose existence or value changes.
     */
    private void touchAllWatchedKeysInDb(Db emptied, Db replacedWith) {
        HashMap<ByteKey, ArrayList<Client>> m = byDb[emptied.id];
        if (m.isEmpty()) return;
        ArrayList<Client> dirty = new ArrayList<>();
        for (Map.Entry<ByteKey, ArrayList<Client>> e : m.entrySet()) {
            byte[] key = e.getKey().bytes;
            boolean existsInEmptied = emptied.dict.get(key) != null;
            boolean existsInReplacement = replacedWith != null && replacedWith.dict.get(key) != null;
            if (!existsInEmptied && !existsInReplacement) continue;
            for (Client c : e.getValue()) {
                WatchedKey w = find(c, emptied, e.getKey());
                if (w == null) continue;
                if (w.expired) {
                    if (!existsInReplacement) {
                        w.expired = false; // an expired key deleted: no logical change
                        continue;
                    } else if (replacedWith.keyIsExpired(key)) {
                        continue; // expired before, expired after
                    }
                } else if (!existsInEmptied && replacedWith.keyIsExpired(key)) {
                    w.expired = true; // a missing key replaced by an expired one
                    continue;
                }
                dirty.add(c);
            }
        }
        for (int i = 0; i < dirty.size(); i++) setDirty(dirty.get(i));
    }

    /** Wraps the previous keyspace listener; adds WATCH invalidation. */
    final class WatchListener extends Keyspace.ForwardingListener {
        WatchListener(Keyspace.Listener next) {
            super(next);
        }

        @Override
        public void keyModified(Db db, byte[] key) {
            if (watchedKeys != 0) touchWatchedKey(db, key);
            super.keyModified(db, key);
        }

        @Override
        public void dbFlushing(Db db) {
            if (watchedKeys != 0) touchAllWatchedKeysInDb(db, null);
            super.dbFlushing(db);
        }

        @Override
        public void dbsSwapping(Db a, Db b) {
            if (watchedKeys != 0) {
                touchAllWatchedKeysInDb(a, b);
                touchAllWatchedKeysInDb(b, a);
            }
            super.dbsSwapping(a, b);
        }
    }
}
