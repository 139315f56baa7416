package dev.starling.command;

import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.ClientInfo;
import dev.starling.server.Server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.starling.command.ConnectionCommands.equalsAscii;

/** CLIENT LIST INFO KILL SETNAME GETNAME ID PAUSE UNPAUSE REPLY NO-EVICT HELP (Redis's clientCommand). */
final class ClientCommands {
    private ClientCommands() {}

    static void register(CommandTable t) {
        t.bind("client|id", ClientCommands::id);
        t.bind("client|info", ClientCommands::info);
        t.bind("client|list", ClientCommands::list);
        t.bind("client|kill", ClientCommands::kill);
        t.bind("client|setname", ClientCommands::setname);
        t.bind("client|getname", ClientCommands::getname);
        t.bind("client|pause", ClientCommands::pause);
        t.bind("client|unpause", ClientCommands::unpause);
        t.bind("client|reply", ClientCommands::reply);
        t.bind("client|no-evict", ClientCommands::noEvict);
        t.bind("client|help", ClientCommands::help);
        t.bind("client|unblock", ClientCommands::unblock);
    }

    /** Installs the per-server CLIENT PAUSE state. */
    static void install(Server server) {
        ClientPause p = new ClientPause(server);
        server.postponeHook = p;
        server.shutdown.pause = p;
        server.cronHooks.add(p::cron);
        server.clientListeners.add(p::clientClosed);
    }

    // Client types, as Redis's CLIENT_TYPE_*.
    static final int TYPE_NORMAL = 0, TYPE_REPLICA = 1, TYPE_PUBSUB = 2, TYPE_MASTER = 3;

    /** Redis's getClientTypeByName; -1 if unknown. */
    static int typeByName(byte[] name) {
        if (equalsAscii(name, "normal")) return TYPE_NORMAL;
        if (equalsAscii(name, "slave") || equalsAscii(name, "replica")) return TYPE_REPLICA;
        if (equalsAscii(name, "pubsub")) return TYPE_PUBSUB;
        if (equalsAscii(name, "master")) return TYPE_MASTER;
        return -1;
    }

    /** Redis's getClientType. */
    static int typeOf(Client c) {
        if (c.has(Client.MASTER)) return TYPE_MASTER;
        if (c.has(Client.REPLICA) && !c.has(Client.MONITOR)) return TYPE_REPLICA;
        if (c.has(Client.PUBSUB)) return TYPE_PUBSUB;
        return TYPE_NORMAL;
    }

    static void id(Client c) {
        c.addReplyLongLong(c.id);
    }

    static void info(Client c) {
        c.addReplyVerbatim(ClientInfo.describe(c) + "\n", "txt");
    }

    static void list(Client c) {
        StringBuilder sb = new StringBuilder();
        if (c.argc == 2) {
            for (Client o : c.server.clients.values()) sb.append(ClientInfo.describe(o)).append('\n');
        } else if (c.argc == 4 && equalsAscii(c.argv[2], "type")) {
            int type = typeByName(c.argv[3]);
            if (type == -1) {
                c.addReplyError("Unknown client type '" + c.argString(3) + "'");
                return;
            }
            for (Client o : c.server.clients.values()) {
                if (typeOf(o) == type) sb.append(ClientInfo.describe(o)).append('\n');
            }
        } else if (c.argc > 3 && equalsAscii(c.argv[2], "id")) {
            long[] ids = new long[c.argc - 3];
            for (int j = 3; j < c.argc; j++) {
                if (!c.getLongLong(c.argv[j], Errors.INVALID_CLIENT_ID)) return;
                ids[j - 3] = c.llval;
            }
            for (long id : ids) {
                Client o = c.server.clients.get(id);
                if (o != null) sb.append(ClientInfo.describe(o)).append('\n');
            }
        } else {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        c.addReplyVerbatim(sb.toString(), "txt");
    }

    static void kill(Client c) {
        String addr = null, laddr = null;
        byte[] user = null;
        int type = -1;
        long id = 0;
        boolean skipme = true;
        if (c.argc == 3) {
            addr = c.argString(2);
            skipme = false; // the old form may kill the caller itself
        } else if (c.argc > 3) {
            for (int i = 2; i < c.argc; i += 2) {
                boolean more = c.argc > i + 1;
                byte[] opt = c.argv[i];
                if (equalsAscii(opt, "id") && more) {
                    if (!c.getLongLong(c.argv[i + 1], Errors.CLIENT_ID_POSITIVE)) return;
                    if (c.llval < 1) {
                        c.addReplyError(Errors.CLIENT_ID_POSITIVE);
                        return;
                    }
                    id = c.llval;
                } else if (equalsAscii(opt, "type") && more) {
                    type = typeByName(c.argv[i + 1]);
                    if (type == -1) {
                        c.addReplyError("Unknown client type '" + c.argString(i + 1) + "'");
                        return;
                    }
                } else if (equalsAscii(opt, "addr") && more) {
                    addr = c.argString(i + 1);
                } else if (equalsAscii(opt, "laddr") && more) {
                    laddr = c.argString(i + 1);
                } else if (equalsAscii(opt, "user") && more) {
                    user = c.argv[i + 1];
                    if (!equalsAscii(user, "default")) {
                        c.addReplyError("No such user '" + c.argString(i + 1) + "'");
                        return;
                    }
                } else if (equalsAscii(opt, "skipme") && more) {
                    if (equalsAscii(c.argv[i + 1], "yes")) skipme = true;
                    else if (equalsAscii(c.argv[i + 1], "no")) skipme = false;
                    else {
                        c.addReplyError(Errors.SYNTAX);
                        return;
                    }
                } else {
                    c.addReplyError(Errors.SYNTAX);
                    return;
                }
            }
        } else {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        int killed = 0;
        for (Client o : new ArrayList<>(c.server.clients.values())) {
            if (addr != null && !o.addr().equals(addr)) continue;
            if (laddr != null && !o.laddr().equals(laddr)) continue;
            if (type != -1 && typeOf(o) != type) continue;
            if (id != 0 && o.id != id) continue;
            if (user != null && !o.user.equals("default")) continue;
            if (o == c && skipme) continue;
            killed++;
            if (o == c) c.closeAfterReply();
            else c.server.killClient(o);
        }
        if (c.argc == 3) {
            if (killed == 0) c.addReplyError(Errors.NO_SUCH_CLIENT);
            else c.addReplyOk();
        } else {
            c.addReplyLongLong(killed);
        }
    }

    /** Redis's clientSetNameOrReply: an empty name clears it; spaces and specials are refused. */
    static boolean setNameOrReply(Client c, byte[] name) {
        if (name.length == 0) {
            c.name = null;
            return true;
        }
        for (byte b : name) {
            if (b < '!' || b > '~') {
                c.addReplyError(Errors.CLIENT_NAME_CHARS);
                return false;
            }
        }
        c.name = new String(name, StandardCharsets.US_ASCII);
        return true;
    }

    static void setname(Client c) {
        if (setNameOrReply(c, c.argv[2])) c.addReplyOk();
    }

    static void getname(Client c) {
        if (c.name == null) c.addReplyNull();
        else c.addReplyBulkString(c.name);
    }

    static void reply(Client c) {
        byte[] mode = c.argv[2];
        if (equalsAscii(mode, "on")) {
            c.replyMode = Client.REPLY_ON;
            c.addReplyOk();
        } else if (equalsAscii(mode, "off")) {
            c.replyMode = Client.REPLY_OFF;
        } else if (equalsAscii(mode, "skip")) {
            if (c.replyMode != Client.REPLY_OFF) c.replyMode = Client.REPLY_SKIP_NEXT;
        } else {
            c.addReplyError(Errors.SYNTAX);
        }
    }

    static void noEvict(Client c) {
        if (equalsAscii(c.argv[2], "on")) {
            c.flags |= Client.NO_EVICT;
            c.addReplyOk();
        } else if (equalsAscii(c.argv[2], "off")) {
            c.flags &= ~Client.NO_EVICT;
            c.addReplyOk();
        } else {
            c.addReplyError(Errors.SYNTAX);
        }
    }

    static void pause(Client c) {
        if (c.argc > 4) {
            c.addReplyError(Errors.subcommandSyntax(c.argv[1], "client"));
            return;
        }
        boolean writeOnly = false;
        if (c.argc == 4) {
            if (equalsAscii(c.argv[3], "write")) writeOnly = true;
            else if (!equalsAscii(c.argv[3], "all")) {
                c.addReplyError(Errors.PAUSE_MODE);
                return;
            }
        }
        long end = timeoutOrReply(c, c.argv[2]);
        if (end < 0) return;
        ((ClientPause) c.server.postponeHook).pause(end, writeOnly);
        c.addReplyOk();
    }

    /**
     * Redis's getTimeoutFromObjectOrReply in milliseconds: returns the absolute deadline (0 for
     * none), or -1 after replying an error.
     */
    static long timeoutOrReply(Client c, byte[] arg) {
        if (!c.getLongLong(arg, Errors.TIMEOUT_NOT_INTEGER)) return -1;
        long t = c.llval;
        if (t < 0) {
            c.addReplyError(Errors.TIMEOUT_NEGATIVE);
            return -1;
        }
        if (t > 0) {
            long now = c.server.clock.millis();
            if (t > Long.MAX_VALUE - now) {
                c.addReplyError(Errors.TIMEOUT_OUT_OF_RANGE);
                return -1;
            }
            t += now;
        }
        return t;
    }

    /** CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was blocked on keys and is now unblocked. */
    static void unblock(Client c) {
        if (c.argc > 4) {
            c.addReplyError(Errors.subcommandSyntax(c.argv[1], "client"));
            return;
        }
        boolean error = false;
        if (c.argc == 4) {
            if (equalsAscii(c.argv[3], "error")) error = true;
            else if (!equalsAscii(c.argv[3], "timeout")) {
                c.addReplyError(Errors.CLIENT_UNBLOCK_REASON);
                return;
            }
        }
        if (!c.getLongLong(c.argv[2], null)) return;
        Client target = c.server.clients.get(c.llval);
        c.addReplyLongLong(target != null && c.server.blocking.clientUnblock(target, error) ? 1 : 0);
    }

    static void unpause(Client c) {
        ((ClientPause) c.server.postponeHook).unpause();
        c.addReplyOk();
    }

    private static final String[] HELP = {
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
    };

    static void help(Client c) {
        Help.reply(c, "CLIENT", HELP);
    }

    // ---------------------------------------------------------------- CLIENT PAUSE

    /**
     * The pause state (Redis's client_pause_type / client_pause_end_time). A paused client's
     * command is kept with the client flagged BLOCKED, so its later input waits in its query
     * buffer; at UNPAUSE or the deadline (checked by cron) each is re-run in arrival order.
     */
    static final class ClientPause implements Server.PostponeHook, dev.starling.replication.Failover.Pause, dev.starling.server.Shutdown.Pause {
        private final Server server;
        private boolean paused, writeOnly;
        /** A FAILOVER's write pause (Redis's PAUSE_DURING_FAILOVER): no deadline, CLIENT UNPAUSE does not lift it. */
        private boolean failoverPause;
        /** A shutdown's write pause while it waits for replicas (Redis's PAUSE_DURING_SHUTDOWN), same rules. */
        private boolean shutdownPause;
        private long endMillis;
        private final List<Client> postponed = new ArrayList<>();
        private final List<byte[][]> postponedArgv = new ArrayList<>();

        ClientPause(Server server) {
            this.server = server;
        }

        /**
         * Redis's pauseClients for CLIENT PAUSE: the new mode replaces the old one, the later
         * deadline wins. Going from ALL to WRITE re-runs the postponed commands (reads proceed).
         */
        void pause(long end, boolean writeOnlyMode) {
            boolean relaxed = paused && !writeOnly && writeOnlyMode;
            if (!paused || end > endMillis) endMillis = end;
            paused = true;
            writeOnly = writeOnlyMode;
            if (endMillis <= server.clock.millis()) {
                unpause();
            } else if (relaxed) {
                resumeAll();
            }
        }

        void unpause() {
            paused = false;
            writeOnly = false;
            endMillis = 0;
            resumeAll();
        }

        /** Re-runs every postponed command in arrival order; each may be postponed again. */
        private void resumeAll() {
            List<Client> cs = new ArrayList<>(postponed);
            List<byte[][]> as = new ArrayList<>(postponedArgv);
            postponed.clear();
            postponedArgv.clear();
            for (int i = 0; i < cs.size(); i++) {
                Client c = cs.get(i);
                c.flags &= ~Client.BLOCKED;
                byte[][] argv = as.get(i);
                server.resumeClient(c, argv, argv.length);
            }
        }

        @Override
        public void pauseDuringFailover(boolean on) {
            failoverPause = on;
            if (!on) resumeAll(); // what CLIENT PAUSE still holds is postponed again
        }

        @Override
        public void pauseDuringShutdown(boolean on) {
            shutdownPause = on;
            if (!on) resumeAll();
        }

        @Override
        public boolean clientsPaused() {
            return paused || failoverPause || shutdownPause;
        }

        void cron() {
            if (paused && server.clock.millis() >= endMillis) unpause();
        }

        void clientClosed(Client c) {
            int i = postponed.indexOf(c);
            if (i >= 0) {
                postponed.remove(i);
                postponedArgv.remove(i);
            }
        }

        @Override
        public boolean postpone(Client c, Command cmd) {
            if (!clientsPaused() || c.has(Client.REPLICA) || c.has(Client.MASTER)) return false;
            // The strictest purpose wins (Redis's client_pause_type): ALL only from CLIENT PAUSE ALL.
            boolean writesOnly = !paused || writeOnly;
            // Redis also holds an EXEC whose queue has writes.
            if (writesOnly && !cmd.has(Command.WRITE | Command.MAY_REPLICATE)
                    && !(c.has(Client.MULTI) && cmd.fullName.equals("exec") && MultiCommands.queueMayReplicate(c))) {
                return false;
            }
            postponed.add(c);
            postponedArgv.add(Arrays.copyOf(c.argv, c.argc));
            c.flags |= Client.BLOCKED;
            return true;
        }
    }
}
