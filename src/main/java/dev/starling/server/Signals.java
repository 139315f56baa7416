package dev.starling.server;

import sun.misc.Signal;

/** SIGTERM and SIGINT schedule a clean shutdown on the executor, as Redis's sigShutdownHandler. */
final class Signals {
    private Signals() {}

    static void install(Server server) {
        Signal.handle(new Signal("TERM"), s -> server.requestShutdownFromSignal("SIGTERM"));
        Signal.handle(new Signal("INT"), s -> server.requestShutdownFromSignal("SIGINT"));
    }
}
