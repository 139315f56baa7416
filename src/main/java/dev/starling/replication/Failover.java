package dev.starling.replication;

import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.nio.charset.StandardCharsets;

import static dev.starling.protocol.Resp.equalsAscii;

/**
 * A coordinated failover started on a primary (Redis 7.0's FAILOVER command, replication.c's
 * failoverCommand / updateFailoverStatus / abortFailover).
 *
 * <h2>States (Redis's failover_state; INFO master_failover_state)</h2>
 * <pre>
 *   NO_FAILOVER -> WAIT_FOR_SYNC     FAILOVER [TO host port] [TIMEOUT ms] [FORCE]: writes are paused
 *   WAIT_FOR_SYNC -> IN_PROGRESS     the target (or, without TO, the first replica) acked
 *                                    master_repl_offset, or the timeout passed with FORCE: this
 *                                    server becomes the target's replica and sends it
 *                                    PSYNC replid offset FAILOVER
 *   IN_PROGRESS -> NO_FAILOVER       the target answered +CONTINUE or +FULLRESYNC
 *   WAIT_FOR_SYNC -> NO_FAILOVER     timeout without FORCE, or FAILOVER ABORT
 *   IN_PROGRESS -> NO_FAILOVER       the target rejected the PSYNC, or FAILOVER ABORT: back to master
 * </pre>
 * Leaving the failover always lifts its write pause. The target's side (a replica receiving
 * PSYNC ... FAILOVER with its own replid becomes a master) is in {@link Primary#syncCommand}.
 */
public final class Failover {
    enum State {
        NO_FAILOVER("no-failover"), WAIT_FOR_SYNC("waiting-for-sync"), IN_PROGRESS("failover-in-progress");

        final String infoName;

        State(String infoName) {
            this.infoName = infoName;
        }
    }

    /** The write pause a failover holds (Redis's PAUSE_DURING_FAILOVER purpose); the client-pause code implements it. */
    public interface Pause {
        void pauseDuringFailover(boolean on);
    }

    private final Server server;
    private final Primary primary;
    private final MasterLink masterLink;
    State state = State.NO_FAILOVER;
    private long endMillis;
    private boolean force;
    private String targetHost;
    private int targetPort;

    private Failover(Server server, Primary primary, MasterLink masterLink) {
        this.server = server;
        this.primary = primary;
        this.masterLink = masterLink;
    }

    /** Binds FAILOVER and checks the failover on every cron tick (Redis runs replicationCron at 10 Hz during one). */
    public static Failover install(Server server, Primary primary, MasterLink masterLink) {
        Failover f = new Failover(server, primary, masterLink);
        server.replication.failover = f;
        masterLink.failover = f;
        primary.failover = f;
        server.commands.bind("failover", f::failoverCommand);
        server.cronHooks.add(f::updateFailoverStatus);
        freezeExpiryWhilePaused(server);
        return f;
    }

    /**
     * Redis 7.0 keeps the dataset static while clients are paused (CLIENT PAUSE, FAILOVER, a
     * shutdown waiting for replicas): no key is expired or evicted, so the offset the replicas
     * must reach does not move. Wraps the replica side's hook, installed before this.
     */
    private static void freezeExpiryWhilePaused(Server server) {
        dev.starling.keyspace.Keyspace.ExpireHook inner = server.keyspace.expireHook;
        dev.starling.server.Shutdown.Pause pause = server.shutdown.pause;
        if (pause == null) return;
        server.keyspace.expireHook = new dev.starling.keyspace.Keyspace.ExpireHook() {
            @Override
            public boolean mayDelete() {
                return (inner == null || inner.mayDelete()) && !pause.clientsPaused();
            }

            @Override
            public boolean ignoreExpiry() {
                return inner != null && inner.ignoreExpiry();
            }
        };
    }

    String stateName() {
        return state.infoName;
    }

    boolean inProgress() {
        return state == State.IN_PROGRESS;
    }

    boolean active() {
        return state != State.NO_FAILOVER;
    }

    /** Redis suppresses the replicas' PING while a failover with a timeout holds its pause, so offsets can match. */
    boolean suppressesPing() {
        return endMillis != 0 && state != State.NO_FAILOVER;
    }

    // ---------------------------------------------------------------- FAILOVER

    /** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], Redis's checks in Redis's order. */
    void failoverCommand(Client c) {
        if (server.config.clusterEnabled) {
            c.addReplyError(Errors.FAILOVER_CLUSTER);
            return;
        }
        if (c.argc == 2 && equalsAscii(c.argv[1], "abort")) {
            if (state == State.NO_FAILOVER) {
                c.addReplyError(Errors.FAILOVER_NONE);
                return;
            }
            abortFailover("Failover manually aborted");
            c.addReplyOk();
            return;
        }
        long timeoutMs = 0;
        boolean forceFlag = false;
        long port = 0;
        String host = null;
        for (int j = 1; j < c.argc; j++) {
            if (equalsAscii(c.argv[j], "timeout") && j + 1 < c.argc && timeoutMs == 0) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                timeoutMs = c.llval;
                if (timeoutMs <= 0) {
                    c.addReplyError(Errors.FAILOVER_TIMEOUT);
                    return;
                }
                j++;
            } else if (equalsAscii(c.argv[j], "to") && j + 2 < c.argc && host == null) {
                if (!c.getLongLong(c.argv[j + 2], null)) return;
                port = c.llval;
                host = new String(c.argv[j + 1], StandardCharsets.UTF_8);
                j += 2;
            } else if (equalsAscii(c.argv[j], "force") && !forceFlag) {
                forceFlag = true;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        if (state != State.NO_FAILOVER) {
            c.addReplyError(Errors.FAILOVER_ALREADY);
            return;
        }
        if (masterLink.isReplica()) {
            c.addReplyError(Errors.FAILOVER_REPLICA);
            return;
        }
        if (primary.replicas.isEmpty()) {
            c.addReplyError(Errors.FAILOVER_NO_REPLICAS);
            return;
        }
        if (forceFlag && (timeoutMs == 0 || host == null)) {
            c.addReplyError(Errors.FAILOVER_FORCE);
            return;
        }
        if (host != null) {
            ReplicaLink r = findReplica(host, port);
            if (r == null) {
                c.addReplyError(Errors.FAILOVER_NOT_REPLICA);
                return;
            }
            if (r.state != ReplicaLink.ONLINE) {
                c.addReplyError(Errors.FAILOVER_NOT_ONLINE);
                return;
            }
            targetHost = host;
            targetPort = (int) port;
            server.log.notice("FAILOVER requested to " + host + ":" + port + ".");
        } else {
            server.log.notice("FAILOVER requested to any replica.");
        }
        if (timeoutMs != 0) endMillis = server.clock.millis() + timeoutMs;
        force = forceFlag;
        state = State.WAIT_FOR_SYNC;
        ((Pause) server.postponeHook).pauseDuringFailover(true);
        c.addReplyOk();
    }

    /** Redis's findReplica: by announced (else peer) address and listening port. */
    private ReplicaLink findReplica(String host, long port) {
        for (int i = 0; i < primary.replicas.size(); i++) {
            ReplicaLink r = primary.replicas.get(i);
            String ip = r.ip();
            if (ip != null && ip.equalsIgnoreCase(host) && port == r.listeningPort) return r;
        }
        return null;
    }

    /** Redis's updateFailoverStatus: starts the switch once the target has acked everything (or on a forced timeout). */
    void updateFailoverStatus() {
        if (state != State.WAIT_FOR_SYNC) return;
        long offset = server.replication.offset();
        if (endMillis != 0 && endMillis <= server.clock.millis()) {
            if (force) {
                server.log.notice("FAILOVER to " + targetHost + ":" + targetPort + " time out exceeded, failing over.");
                state = State.IN_PROGRESS;
                masterLink.setMaster(targetHost, targetPort);
            } else {
                abortFailover("Replica never caught up before timeout");
            }
            return;
        }
        ReplicaLink replica = null;
        if (targetHost != null) {
            replica = findReplica(targetHost, targetPort);
        } else {
            // As Redis: the first replica whose acked offset is ours, whatever its state.
            for (int i = 0; i < primary.replicas.size(); i++) {
                ReplicaLink r = primary.replicas.get(i);
                if (r.ackOff == offset) {
                    String ip = r.ip();
                    if (ip == null) continue;
                    targetHost = ip;
                    targetPort = r.listeningPort;
                    replica = r;
                    break;
                }
            }
        }
        if (replica != null && replica.ackOff == offset) {
            state = State.IN_PROGRESS;
            server.log.notice("Failover target " + targetHost + ":" + targetPort + " is synced, failing over.");
            masterLink.setMaster(targetHost, targetPort);
        }
    }

    /** Redis's clearFailoverState. */
    void clearFailoverState() {
        endMillis = 0;
        force = false;
        targetHost = null;
        targetPort = 0;
        state = State.NO_FAILOVER;
        ((Pause) server.postponeHook).pauseDuringFailover(false);
    }

    /** Redis's abortFailover: an in-progress switch goes back to master. */
    void abortFailover(String why) {
        if (state == State.NO_FAILOVER) return;
        if (targetHost != null) server.log.notice("FAILOVER to " + targetHost + ":" + targetPort + " aborted: " + why);
        else server.log.notice("FAILOVER to any replica aborted: " + why);
        if (state == State.IN_PROGRESS) masterLink.unsetMaster();
        clearFailoverState();
    }
}
