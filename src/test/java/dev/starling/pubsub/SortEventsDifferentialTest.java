package dev.starling.pubsub;

import dev.starling.support.Differential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SORT ... STORE: the "sortstore" event on the destination, "del" when an empty result removes it,
 * and server.dirty (one per stored element), step by step against redis-server 7.0.
 */
class SortEventsDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @AfterEach
    void clean() {
        diff.flushAll();
    }

    @ParameterizedTest
    @CsvSource({"KEA,2", "Eg,3", "Kl,2", "E$,3"})
    void sortStore_eventsAndDirty(String flags, int resp) {
        try (NotificationDiff n = new NotificationDiff(diff, flags, resp)) {
            n.step("RPUSH", "src", "3", "1", "2");
            n.step("SORT", "src");
            n.step("SORT", "src", "STORE", "dst");
            n.step("SORT", "src", "DESC", "LIMIT", "0", "2", "STORE", "dst");
            n.step("SORT", "src", "LIMIT", "5", "1", "STORE", "dst");
            n.step("SORT", "src", "LIMIT", "5", "1", "STORE", "dst");
            n.step("SADD", "set", "b", "a");
            n.step("SORT", "set", "ALPHA", "STORE", "set");
            n.step("SORT", "missing", "STORE", "set");
            n.step("ZADD", "z", "1", "x", "2", "y");
            n.step("SORT", "z", "BY", "nosort", "GET", "#", "GET", "none_*", "STORE", "dst");
            n.step("SORT_RO", "z", "ALPHA");
            n.configSet("notify-keyspace-events", "");
        }
    }
}
