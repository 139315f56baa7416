package dev.starling.command;

/** SAVE and BGSAVE; the work is in {@link dev.starling.persistence.RdbPersistence}. */
final class PersistenceCommands {
    private PersistenceCommands() {}

    static void register(CommandTable t) {
        t.bind("save", c -> c.server.rdb.saveCommand(c));
        t.bind("bgsave", c -> c.server.rdb.bgsaveCommand(c));
    }
}
