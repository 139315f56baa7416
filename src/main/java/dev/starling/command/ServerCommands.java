package dev.starling.command;

import dev.starling.observability.LatencyMonitor;
import dev.starling.observability.SlowLog;
import dev.starling.protocol.Errors;
import dev.starling.server.Blocking;
import dev.starling.server.Client;
import dev.starling.server.ClientInfo;
import dev.starling.server.Server;

import java.nio.charset.StandardCharsets;

import static dev.starling.command.ConnectionCommands.equalsAscii;

/** MONITOR TIME LASTSAVE SHUTDOWN, and the per-server admin state (pause, monitors, slowlog, latency). */
final class ServerCommands {
    private ServerCommands() {}

    static void register(CommandTable t) {
        t.bind("monitor", ServerCommands::monitor);
        t.bind("time", ServerCommands::time);
        t.bind("lastsave", ServerCommands::lastsave);
        t.bind("shutdown", ServerCommands::shutdown);
        ClientCommands.register(t);
        CommandCommands.register(t);
        SlowLog.register(t);
        LatencyMonitor.register(t);
    }

    /** Creates the per-server state the admin commands use and hooks it into the server. */
    static void install(Server server) {
        ClientCommands.install(server);
        SlowLog.install(server);
        LatencyMonitor.install(server);
        server.monitorFeed = ServerCommands::feedMonitors;
        server.clientListeners.add(c -> c.server.monitors.remove(c));
        server.resetListeners.add(c -> {
            if (c.has(Client.MONITOR)) {
                c.server.monitors.remove(c);
                c.flags &= ~Client.MONITOR;
            }
        });
        server.cronHooks.add(() -> clientsCronTimeout(server));
    }

    // ---------------------------------------------------------------- MONITOR

    static void monitor(Client c) {
        // Only reachable inside EXEC while MULTI is set: Redis's CLIENT_DENY_BLOCKING case.
        if (c.has(Client.MULTI)) {
            c.addReplyError(Errors.MONITOR_DENY_BLOCKING);
            return;
        }
        if (c.has(Client.REPLICA) || c.has(Client.MONITOR)) return; // already a replica or monitor
        c.flags |= Client.MONITOR;
        c.server.monitors.add(c);
        c.addReplyOk();
    }

    /**
     * Redis's replicationFeedMonitors: "+<unix.micros> [<db> <addr>] "arg" ..." to every monitor,
     * after the command ran; admin commands and those flagged skip_monitor are not shown.
     */
    static void feedMonitors(Client c, Command cmd, long micros) {
        Server server = c.server;
        if (server.monitors.isEmpty() || cmd.has(Command.SKIP_MONITOR | Command.ADMIN)) return;
        long now = server.clock.micros();
        StringBuilder sb = new StringBuilder(64);
        sb.append(now / 1_000_000).append('.');
        String us = Long.toString(now % 1_000_000);
        for (int i = us.length(); i < 6; i++) sb.append('0');
        sb.append(us).append(" [").append(c.db.id).append(' ');
        if (c.channel == null) sb.append("lua");
        else sb.append(c.addr());
        sb.append("] ");
        for (int j = 0; j < c.argc; j++) {
            ClientInfo.repr(sb, c.argv[j]);
            if (j != c.argc - 1) sb.append(' ');
        }
        String line = sb.toString();
        for (int i = 0; i < server.monitors.size(); i++) server.monitors.get(i).addReplyStatus(line);
    }

    // ---------------------------------------------------------------- TIME LASTSAVE

    static void time(Client c) {
        long now = c.server.clock.micros();
        c.addReplyArrayLen(2);
        c.addReplyBulkLongLong(now / 1_000_000);
        c.addReplyBulkLongLong(now % 1_000_000);
    }

    static void lastsave(Client c) {
        c.addReplyLongLong(c.server.lastSaveUnix);
    }

    // ---------------------------------------------------------------- SHUTDOWN

    /**
     * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (Redis's shutdownCommand). The client blocks
     * while the shutdown waits for lagging replicas (see server.Shutdown); ABORT cancels that wait.
     */
    static void shutdown(Client c) {
        int flags = Server.SHUTDOWN_NOFLAGS;
        boolean abort = false;
        for (int i = 1; i < c.argc; i++) {
            byte[] a = c.argv[i];
            if (equalsAscii(a, "nosave")) flags |= Server.SHUTDOWN_NOSAVE;
            else if (equalsAscii(a, "save")) flags |= Server.SHUTDOWN_SAVE;
            else if (equalsAscii(a, "now")) flags |= Server.SHUTDOWN_NOW;
            else if (equalsAscii(a, "force")) flags |= Server.SHUTDOWN_FORCE;
            else if (equalsAscii(a, "abort")) abort = true;
            else {
                c.addReplyError(Errors.SYNTAX);
                return;
            }
        }
        if ((abort && flags != Server.SHUTDOWN_NOFLAGS)
                || ((flags & Server.SHUTDOWN_NOSAVE) != 0 && (flags & Server.SHUTDOWN_SAVE) != 0)) {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        if (abort) {
            if (c.server.shutdown.abortShutdown()) c.addReplyOk();
            else c.addReplyError(Errors.NO_SHUTDOWN);
            return;
        }
        if ((flags & Server.SHUTDOWN_NOW) == 0 && Blocking.deniesBlocking(c)) {
            c.addReplyError(Errors.SHUTDOWN_DENY_BLOCKING);
            return;
        }
        c.server.shutdown.shutdownCommand(c, flags);
    }

    // ---------------------------------------------------------------- timeout

    /**
     * Redis's clientsCronHandleTimeout: closes clients idle longer than timeout seconds, except
     * replicas, masters, pub/sub and blocked clients.
     */
    static void clientsCronTimeout(Server server) {
        int timeout = server.config.timeout;
        if (timeout <= 0) return;
        long now = server.clock.millis();
        Client[] all = server.clients.values().toArray(new Client[0]);
        for (Client c : all) {
            // Monitors are replicas in Redis, so they never time out either.
            if (c.has(Client.REPLICA | Client.MASTER | Client.PUBSUB | Client.BLOCKED | Client.MONITOR)) continue;
            if (now / 1000 - c.lastInteractionMillis / 1000 > timeout) { // whole seconds, as server.unixtime
                server.log.verbose("Closing idle client");
                server.killClient(c);
            }
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
