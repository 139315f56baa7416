package dev.starling.command;

import dev.starling.server.Client;

/** Executes one command; arguments are in {@code c.argv[0..c.argc)}, arity is already checked. */
@FunctionalInterface
public interface CommandHandler {
    void execute(Client c);
}
