package dev.starling.command;

import dev.starling.keyspace.Db;
import dev.starling.support.Differential;
import dev.starling.support.ServerFixture;
import dev.starling.types.ZSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sorted set tests' shared lifecycle (one Starling and one redis-server 7.0 per class, DEBUG
 * enabled on both) and checks: after each test every zset's invariants hold, and the protocol and
 * listpack limits are back to their defaults.
 */
abstract class ZSetTestSupport {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @AfterEach
    void checkInvariantsAndReset() {
        assertThat(validate(diff.starling)).isNull();
        diff.protocol(2);
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64");
    }

    /** The keyspace's invariants and every zset's own (encoding, order, spans, memory), or null if all hold. */
    static String validate(ServerFixture starling) {
        String[] err = new String[1];
        starling.onExecutor(() -> {
            err[0] = starling.server.keyspace.validate();
            for (Db db : starling.server.keyspace.dbs) {
                if (err[0] != null) break;
                db.dict.forEach(e -> {
                    if (err[0] == null && e.value instanceof ZSet z) {
                        String v = z.validate();
                        if (v != null) err[0] = "zset " + new String(e.key, StandardCharsets.ISO_8859_1) + ": " + v;
                    }
                });
            }
        });
        return err[0];
    }

    /** The bulk strings of a flat RESP array reply (KEYS). */
    static List<String> bulkStrings(String reply) {
        List<String> out = new ArrayList<>();
        int i = reply.indexOf("\r\n") + 2;
        while (i < reply.length()) {
            int eol = reply.indexOf("\r\n", i);
            int len = Integer.parseInt(reply.substring(i + 1, eol));
            out.add(reply.substring(eol + 2, eol + 2 + len));
            i = eol + 2 + len + 2;
        }
        return out;
    }
}
