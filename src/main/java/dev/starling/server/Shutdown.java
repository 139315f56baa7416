package dev.starling.server;

import dev.starling.protocol.Errors;

import java.util.ArrayList;

/**
 * Redis 7.0's shutdown sequence (server.c prepareForShutdown, isReadyToShutdown, finishShutdown,
 * abortShutdown, and serverCron's part): SHUTDOWN and SIGTERM/SIGINT wait for lagging replicas.
 *
 * <h2>States</h2>
 * <pre>
 *   IDLE ──SHUTDOWN / signal, no replica lags (or NOW, or shutdown-timeout 0)──▶ finish ──▶ exit
 *   IDLE ──SHUTDOWN / signal, a replica lags──▶ WAITING: writes paused (as CLIENT PAUSE WRITE),
 *            REPLCONF GETACK sent, "Waiting for replicas before shutting down."
 *   WAITING ──cron: every replica acked master_repl_offset, or shutdown-timeout passed──▶ finish
 *   WAITING ──SHUTDOWN ABORT──▶ IDLE ("Shutdown manually aborted.")
 *   finish ──save or AOF error without FORCE──▶ IDLE (blocked SHUTDOWN clients get the error)
 * </pre>
 * A SHUTDOWN client is blocked from the start and only ever answered by a cancel: when the
 * shutdown succeeds the process exits and its connection closes. A SHUTDOWN that arrives while
 * one waits blocks too and shares its outcome (prepareForShutdown returns at once, as Redis's).
 *
 * <p>Executor thread only, except {@link #signal} (any thread).
 */
public final class Shutdown {
    /** What the wait needs from the primary side of replication (package replication implements it). */
    public interface Replicas {
        /** Redis's isReadyToShutdown: every replica's acked offset is master_repl_offset (true with none). */
        boolean readyToShutdown();

        /** Redis's sendGetackToReplicas: REPLCONF GETACK * into the stream, now. */
        void sendGetack();

        /** finishShutdown's report: each lagging replica, then "N of M replicas are in sync". */
        void logReplicasAtShutdown();

        /** Redis's flushSlavesOutputBuffers: what the replicas have not read goes to their sockets. */
        void flushReplicas();
    }

    /** The write pause held while waiting (Redis's PAUSE_DURING_SHUTDOWN); the client-pause code implements it. */
    public interface Pause {
        void pauseDuringShutdown(boolean on);

        /** Redis's areClientsPaused: any pause (CLIENT PAUSE, failover, shutdown) is in force. */
        boolean clientsPaused();
    }

    private static final Replicas NO_REPLICAS = new Replicas() {
        @Override
        public boolean readyToShutdown() {
            return true;
        }

        @Override
        public void sendGetack() {}

        @Override
        public void logReplicasAtShutdown() {}

        @Override
        public void flushReplicas() {}
    };

    /** How a SHUTDOWN client blocks: on nothing, until the shutdown is cancelled (Redis's BLOCKED_SHUTDOWN). */
    private static final Blocking.Handler SHUTDOWN_HANDLER = (Blocking.KeylessHandler) c -> {
        // Only CLIENT UNBLOCK gets here (Redis 7.0 would crash): the SHUTDOWN error, as a cancel gives.
        c.addReplyError(Errors.SHUTDOWN_ERRORS);
        c.server.shutdown.blocked.remove(c);
    };

    private final Server server;
    public Replicas replicas = NO_REPLICAS;
    public Pause pause;
    /** Redis's shutdown_flags, shutdown_mstime (0: no shutdown waits). */
    private int flags;
    private long shutdownMstime;
    /** Redis's shutdown_asap and last_sig_received (set by the signal handler). */
    private volatile boolean asap;
    private volatile String lastSignal;
    /** Clients blocked in SHUTDOWN (Redis's BLOCKED_SHUTDOWN), in blocking order. */
    private final ArrayList<Client> blocked = new ArrayList<>();

    Shutdown(Server server) {
        this.server = server;
    }

    /** Redis's isShutdownInitiated: a shutdown waits for replicas. */
    public boolean initiated() {
        return shutdownMstime != 0;
    }

    // ---------------------------------------------------------------- SHUTDOWN

    /**
     * SHUTDOWN's part after argument checks (Redis's blockClient(BLOCKED_SHUTDOWN) then
     * prepareForShutdown): c waits for the outcome; the process exits on success.
     */
    public void shutdownCommand(Client c, int shutdownFlags) {
        server.blocking.blockForKeys(c, c.argv, 0, 0, 0, SHUTDOWN_HANDLER);
        blocked.add(c);
        if (prepareForShutdown(shutdownFlags)) server.finishShutdown();
    }

    /**
     * Redis's prepareForShutdown: true if the server may exit now. False if a shutdown already
     * waits, if this one now waits for lagging replicas (the cron finishes it), or if it failed
     * (logged, and the blocked SHUTDOWN clients got the error).
     */
    public boolean prepareForShutdown(int shutdownFlags) {
        if (initiated()) return false;
        // Never save a dataset that is still loading over the file it comes from (Redis's shutdownCommand).
        if (server.loading.inProgress()) shutdownFlags = (shutdownFlags & ~Server.SHUTDOWN_SAVE) | Server.SHUTDOWN_NOSAVE;
        flags = shutdownFlags;
        server.log.warning("User requested shutdown...");
        if ((shutdownFlags & Server.SHUTDOWN_NOW) == 0 && server.config.getLong("shutdown-timeout") != 0 && !replicas.readyToShutdown()) {
            shutdownMstime = server.clock.millis() + server.config.getLong("shutdown-timeout") * 1000;
            // A GETACK while paused would move the offset a FAILOVER waits to match.
            if (pause == null || !pause.clientsPaused()) replicas.sendGetack();
            if (pause != null) pause.pauseDuringShutdown(true);
            server.log.notice("Waiting for replicas before shutting down.");
            return false;
        }
        return finishShutdown();
    }

    /**
     * Redis's finishShutdown: reports the replicas, runs the shutdown hooks (AOF, loading) and the
     * final save, and flushes the replicas. True if the server may exit; false after logging why
     * not (the shutdown is then cancelled).
     */
    private boolean finishShutdown() {
        replicas.logReplicasAtShutdown();
        for (Runnable r : server.shutdownHooks) r.run();
        if (!server.shutdownSaver.saveBeforeShutdown(flags) && (flags & Server.SHUTDOWN_FORCE) == 0) {
            server.log.warning("Errors trying to shut down the server. Check the logs for more information.");
            cancelShutdown();
            return false;
        }
        String pidfile = server.config.pidfile;
        if (pidfile != null && !pidfile.isEmpty()) {
            try {
                java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(pidfile));
            } catch (java.io.IOException ignored) {
                // Redis ignores unlink failures too.
            }
        }
        replicas.flushReplicas();
        server.log.warning("Redis is now ready to exit, bye bye...");
        return true;
    }

    /** Redis's cancelShutdown: back to serving; blocked SHUTDOWN clients get the error. */
    private void cancelShutdown() {
        asap = false;
        flags = 0;
        shutdownMstime = 0;
        for (Client c : new ArrayList<>(blocked)) {
            c.addReplyError(Errors.SHUTDOWN_ERRORS);
            server.blocking.unblock(c);
        }
        blocked.clear();
        if (pause != null) pause.pauseDuringShutdown(false);
    }

    /** Redis's abortShutdown (SHUTDOWN ABORT): false if no shutdown is in progress or scheduled. */
    public boolean abortShutdown() {
        if (initiated()) {
            cancelShutdown();
        } else if (asap) {
            asap = false;
        } else {
            return false;
        }
        server.log.notice("Shutdown manually aborted.");
        return true;
    }

    // ---------------------------------------------------------------- signals, cron

    /**
     * Redis's sigShutdownHandler (any thread): a second SIGINT exits at once; otherwise the
     * shutdown is scheduled and the executor starts it with shutdown-on-sigint / -sigterm's flags.
     */
    void signal(String name) {
        if (asap && name.equals("SIGINT")) {
            server.log.warning("You insist... exiting now.");
            Runtime.getRuntime().halt(1); // not a clean shutdown
        }
        boolean duringLoading = server.loading.inProgress();
        server.log.warning(duringLoading ? "Received shutdown signal during loading, scheduling shutdown." : "Received " + name + " scheduling shutdown...");
        lastSignal = name;
        asap = true;
        server.execute(this::cron);
    }

    /**
     * serverCron's shutdown part: starts a signalled shutdown, or finishes a waiting one once the
     * replicas caught up or shutdown-timeout passed.
     */
    void cron() {
        if (asap && !initiated()) {
            int f = signalFlags(lastSignal);
            if (prepareForShutdown(f)) {
                server.finishShutdown();
            } else if (!initiated() && server.loading.inProgress()) {
                server.log.warning("SIGTERM received but errors trying to shut down the server, check the logs for more information");
                asap = false;
            }
        } else if (initiated()) {
            if (server.clock.millis() >= shutdownMstime || replicas.readyToShutdown()) {
                if (finishShutdown()) server.finishShutdown();
            }
        }
    }

    /** shutdown-on-sigint / shutdown-on-sigterm as SHUTDOWN flags ("default" is none). */
    private int signalFlags(String sig) {
        String name = "SIGINT".equals(sig) ? "shutdown-on-sigint" : "SIGTERM".equals(sig) ? "shutdown-on-sigterm" : null;
        if (name == null) return Server.SHUTDOWN_NOFLAGS;
        int f = Server.SHUTDOWN_NOFLAGS;
        for (String w : server.config.get(name).split(" ")) {
            switch (w) {
                case "save" -> f |= Server.SHUTDOWN_SAVE;
                case "nosave" -> f |= Server.SHUTDOWN_NOSAVE;
                case "now" -> f |= Server.SHUTDOWN_NOW;
                case "force" -> f |= Server.SHUTDOWN_FORCE;
                default -> { }
            }
        }
        return f;
    }

    /** INFO server's conditional shutdown_in_milliseconds, while a shutdown waits. */
    public void appendInfo(StringBuilder sb) {
        if (initiated()) sb.append("shutdown_in_milliseconds:").append(Math.max(0, shutdownMstime - server.clock.millis())).append("\r\n");
    }
}
