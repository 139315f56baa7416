package dev.starling.command;

import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;

/** PING ECHO SELECT QUIT (connection family). */
final class ConnectionCommands {
    private ConnectionCommands() {}

    static void register(CommandTable t) {
        t.bind("ping", ConnectionCommands::ping);
        t.bind("echo", ConnectionCommands::echo);
        t.bind("select", ConnectionCommands::select);
        t.bind("quit", ConnectionCommands::quit);
    }

    static void ping(Client c) {
        if (c.argc > 2) {
            c.addReplyErrorArity();
            return;
        }
        if (c.argc == 1) c.addReply(Resp.PONG);
        else c.addReplyBulk(c.argv[1]);
    }

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
}
