package dev.starling.server;

/** The server's time source; injected so tests and simulations can control it. */
public interface Clock {
    /** Unix time in milliseconds. */
    long millis();

    /** Monotonic nanoseconds, for durations only. */
    long nanos();

    /** Unix time in microseconds (TIME, MONITOR); millisecond precision unless the clock knows better. */
    default long micros() {
        return millis() * 1000;
    }

    Clock SYSTEM = new Clock() {
        @Override
        public long micros() {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        }

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
