package dev.starling.command;

import dev.starling.server.Server;

/** Binds every command family's handlers into the server's table. */
public final class Commands {
    private Commands() {}

    public static void registerAll(Server server) {
        CommandTable t = server.commands;
        ConnectionCommands.register(t);
        StringCommands.register(t);
        KeyCommands.register(t);
        DebugCommands.register(t);
        DebugCommands.install(server);
        MemoryCommands.register(t);
    }
}
