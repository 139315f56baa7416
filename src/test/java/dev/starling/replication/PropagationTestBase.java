package dev.starling.replication;

import dev.starling.support.PropagationDiff;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * One Starling and one redis-server 7.0 per test class, with Redis's replication stream and
 * Starling's propagated stream compared after every test (see {@link PropagationDiff}).
 */
abstract class PropagationTestBase {
    static PropagationDiff p;

    @BeforeAll
    static void start() {
        p = new PropagationDiff("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        p.close();
    }

    /**
     * Both servers empty, the connection in db 0, active expiry off (so expirations happen when a
     * test says), each config name/value pair set, and the streams in step.
     */
    static void resetServers(String... configPairs) {
        p.same("SELECT", "0");
        p.same("CONFIG", "SET", "maxmemory", "0");
        p.same("FLUSHALL");
        p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        for (int i = 0; i < configPairs.length; i += 2) p.same("CONFIG", "SET", configPairs[i], configPairs[i + 1]);
        p.assertSameStream();
    }

    @AfterEach
    void streamsAgree() {
        p.assertSameStream();
        p.validate();
    }
}
