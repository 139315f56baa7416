package dev.starling.command;

import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** PING ECHO SELECT QUIT HELLO AUTH RESET (connection family). */
final class ConnectionCommands {
    private ConnectionCommands() {}

    static void register(CommandTable t) {
        t.bind("ping", ConnectionCommands::ping);
        t.bind("echo", ConnectionCommands::echo);
        t.bind("select", ConnectionCommands::select);
        t.bind("quit", ConnectionCommands::quit);
        t.bind("hello", ConnectionCommands::hello);
        t.bind("auth", ConnectionCommands::auth);
        t.bind("reset", ConnectionCommands::reset);
    }

    static void ping(Client c) {
        if (c.argc > 2) {
            c.addReplyErrorArity();
            return;
        }
        if (c.has(Client.PUBSUB) && c.resp == 2) {
            // Subscribed RESP2 clients only read arrays: ["pong", message or ""].
            c.addReplyArrayLen(2);
            c.addReplyBulk(PONG_BULK);
            c.addReplyBulk(c.argc == 1 ? EMPTY : c.argv[1]);
        } else if (c.argc == 1) {
            c.addReply(Resp.PONG);
        } else {
            c.addReplyBulk(c.argv[1]);
        }
    }

    private static final byte[] PONG_BULK = {'p', 'o', 'n', 'g'}, EMPTY = {};

    static void echo(Client c) {
        c.addReplyBulk(c.argv[1]);
    }

    static void select(Client c) {
        if (!c.getLongLong(c.argv[1], Errors.INVALID_DB_INDEX)) return;
        if (c.llval < Integer.MIN_VALUE || c.llval > Integer.MAX_VALUE || !c.select((int) c.llval)) {
            c.addReplyError(Errors.DB_INDEX_OUT_OF_RANGE);
            return;
        }
        c.addReplyOk();
    }

    static void quit(Client c) {
        c.addReplyOk();
        c.closeAfterReply();
    }

    // ---------------------------------------------------------------- authentication

    static final byte[] REDACTED = "(redacted)".getBytes(StandardCharsets.US_ASCII);

    /** Redis's redactClientCommandArgument: SLOWLOG and MONITOR see "(redacted)" instead. */
    static void redact(Client c, int i) {
        c.argv[i] = REDACTED;
    }

    /**
     * Redis's ACLAuthenticateUser for the one user Starling has ("default", whose password is
     * requirepass, or nopass when requirepass is empty). On success marks c authenticated.
     */
    static boolean authenticate(Client c, byte[] user, byte[] pass) {
        String required = c.server.config.requirepass;
        boolean ok = equalsAscii(user, "default")
                && (required.isEmpty() || MessageDigest.isEqual(pass, required.getBytes(StandardCharsets.UTF_8)));
        if (ok) {
            c.authenticated = true;
            c.user = "default";
        }
        return ok;
    }

    static void auth(Client c) {
        if (c.argc > 3) {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        byte[] user, pass;
        if (c.argc == 2) {
            user = DEFAULT_USER;
            pass = c.argv[1];
        } else {
            user = c.argv[1];
            pass = c.argv[2];
        }
        redact(c, 1);
        if (c.argc == 3) redact(c, 2);
        if (c.argc == 2 && c.server.config.requirepass.isEmpty()) {
            c.addReplyError(Errors.AUTH_NOT_CONFIGURED);
            return;
        }
        if (authenticate(c, user, pass)) c.addReplyOk();
        else c.addReplyError(Errors.WRONGPASS);
    }

    private static final byte[] DEFAULT_USER = "default".getBytes(StandardCharsets.US_ASCII);

    static void hello(Client c) {
        long ver = 0;
        int next = 1;
        if (c.argc >= 2) {
            if (!c.getLongLong(c.argv[next++], "Protocol version is not an integer or out of range")) return;
            ver = c.llval;
            if (ver < 2 || ver > 3) {
                c.addReplyError(Errors.NOPROTO);
                return;
            }
        }
        byte[] user = null, pass = null, name = null;
        for (int j = next; j < c.argc; j++) {
            int more = c.argc - 1 - j;
            byte[] opt = c.argv[j];
            if (equalsAscii(opt, "auth") && more >= 2) {
                user = c.argv[j + 1];
                pass = c.argv[j + 2];
                redact(c, j + 1);
                redact(c, j + 2);
                j += 2;
            } else if (equalsAscii(opt, "setname") && more >= 1) {
                name = c.argv[j + 1];
                j++;
            } else {
                c.addReplyError("Syntax error in HELLO option '" + new String(opt, StandardCharsets.UTF_8) + "'");
                return;
            }
        }
        if (user != null && !authenticate(c, user, pass)) {
            c.addReplyError(Errors.WRONGPASS);
            return;
        }
        if (c.authRequired()) {
            c.addReplyError(Errors.HELLO_NOAUTH);
            return;
        }
        if (name != null && !ClientCommands.setNameOrReply(c, name)) return;
        if (ver != 0) c.resp = (int) ver;
        c.addReplyMapLen(7);
        c.addReplyBulkString("server");
        c.addReplyBulkString("redis");
        c.addReplyBulkString("version");
        c.addReplyBulkString(Server.REDIS_VERSION);
        c.addReplyBulkString("proto");
        c.addReplyLongLong(c.resp);
        c.addReplyBulkString("id");
        c.addReplyLongLong(c.id);
        c.addReplyBulkString("mode");
        c.addReplyBulkString("standalone");
        c.addReplyBulkString("role");
        c.addReplyBulkString(c.server.roleReplica ? "replica" : "master");
        c.addReplyBulkString("modules");
        c.addReplyArrayLen(0);
    }

    /** RESET: back to a fresh connection's state (Redis's clearClientConnectionState). */
    static void reset(Client c) {
        c.server.resetClientState(c);
        c.addReplyStatus("RESET");
    }

    static boolean equalsAscii(byte[] b, String lower) {
        return Resp.equalsAscii(b, lower);
    }
}
