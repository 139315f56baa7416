package dev.starling.server;

/** The server's time source; injected so tests and simulations can control it. */
public interface Clock {
    /** Unix time in milliseconds. */
    long millis();

    /** Monotonic nanoseconds, for durations only. */
    long nanos();

    Clock SYSTEM = new Clock() {
        @Override
        public long millis() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanos() {
            return System.nanoTime();
        }
    };
}
