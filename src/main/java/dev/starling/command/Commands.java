package dev.starling.command;

import dev.starling.server.Server;

/** Binds every command family's handlers into the server's table. */
public final class Commands {
    private Commands() {}

    public static void registerAll(Server server) {
        CommandTable t = server.commands;
        ConnectionCommands.register(t);
        StringCommands.register(t);
        BitCommands.register(t);
        HyperLogLogCommands.register(t);
        KeyCommands.register(t);
        DumpCommands.register(t);
        PersistenceCommands.register(t);
        ZSetCommands.register(t);
        ListCommands.register(t);
        HashCommands.register(t);
        SetCommands.register(t);
        SortCommands.register(t);
        ConfigCommands.register(t);
        dev.starling.observability.Info.register(server);
        for (String[] r : server.config.renamedCommands) t.renames.put(r[0].toLowerCase(java.util.Locale.ROOT), r[1]);
        ServerCommands.register(t);
        ServerCommands.install(server);
        DebugCommands.register(t);
        DebugCommands.install(server);
        MemoryCommands.register(t);
        MultiCommands.install(server);
    }
}
