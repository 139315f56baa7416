package dev.starling.command;

import dev.starling.server.Client;

/** The generic keyspace family (Redis's db.c and expire.c). */
final class KeyCommands {
    private KeyCommands() {}

    static void register(CommandTable t) {
        t.bind("del", KeyCommands::del);
        t.bind("exists", KeyCommands::exists);
        t.bind("dbsize", KeyCommands::dbsize);
    }

    static void del(Client c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) {
            c.db.expireIfNeeded(c.argv[i]);
            if (c.db.delete(c.argv[i])) n++;
        }
        c.addReplyLongLong(n);
    }

    static void exists(Client c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) if (c.db.lookupKeyRead(c.argv[i]) != null) n++;
        c.addReplyLongLong(n);
    }

    static void dbsize(Client c) {
        c.addReplyLongLong(c.db.size());
    }
}
