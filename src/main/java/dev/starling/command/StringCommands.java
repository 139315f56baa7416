package dev.starling.command;

import dev.starling.keyspace.KeyEntry;
import dev.starling.server.Client;
import dev.starling.types.RawString;

/** The string family (Redis's t_string.c). */
final class StringCommands {
    private StringCommands() {}

    static void register(CommandTable t) {
        t.bind("get", StringCommands::get);
        t.bind("set", StringCommands::set);
    }

    /** The bytes of a string value (immutable or raw), or null if v is not a string. */
    static byte[] stringBytes(Object v) {
        if (v instanceof byte[] b) return b;
        if (v instanceof RawString r) return r.toBytes();
        return null;
    }

    static void get(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReplyNull();
        } else if (e.value instanceof byte[] b) {
            c.addReplyBulk(b);
        } else if (e.value instanceof RawString r) {
            c.addReplyBulk(r.buf, 0, r.len);
        } else {
            c.addReplyErrorWrongType();
        }
    }

    static void set(Client c) {
        if (c.argc != 3) {
            c.addReplyErrorSyntax();
            return;
        }
        c.db.setKey(c.argv[1], c.argv[2], false);
        c.addReplyOk();
    }
}
