package dev.starling.command;

/** SAVE, BGSAVE and BGREWRITEAOF; the work is in {@link dev.starling.persistence.RdbPersistence} and {@link dev.starling.persistence.AofPersistence}. */
final class PersistenceCommands {
    private PersistenceCommands() {}

    static void register(CommandTable t) {
        t.bind("save", c -> c.server.rdb.saveCommand(c));
        t.bind("bgsave", c -> c.server.rdb.bgsaveCommand(c));
        t.bind("bgrewriteaof", c -> c.server.aof.bgrewriteaofCommand(c));
    }
}
