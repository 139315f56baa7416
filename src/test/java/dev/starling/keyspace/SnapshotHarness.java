package dev.starling.keyspace;

import dev.starling.config.Config;
import dev.starling.config.ConfigLoader;
import dev.starling.server.Client;
import dev.starling.server.Clock;
import dev.starling.server.Server;
import dev.starling.support.SnapshotRecorder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Server that is never started, driven from the test thread through a fake client: every real
 * command runs synchronously, time is the test's, and snapshot steps interleave with commands
 * exactly where the test puts them.
 */
final class SnapshotHarness {
    /** Settable wall clock; nanos are real so the cron's rehash time budget still works. */
    static final class TestClock implements Clock {
        long millis = 1_700_000_000_000L;

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public long nanos() {
            return System.nanoTime();
        }
    }

    final TestClock clock = new TestClock();
    final Server server;
    final Client client;

    SnapshotHarness(String... options) {
        try {
            Config config = new Config();
            List<String> args = new ArrayList<>(List.of("--save", "", "--loglevel", "warning", "--enable-debug-command", "yes"));
            args.addAll(Arrays.asList(options));
            ConfigLoader.load(config, ConfigLoader.argsToConfigText(args));
            server = new Server(config, clock);
        } catch (ConfigLoader.FatalConfigError e) {
            throw new IllegalStateException(e);
        }
        client = server.createFakeClient();
    }

    Keyspace ks() {
        return server.keyspace;
    }

    /** Runs one command as a client would (replies are dropped: the fake client has no connection). */
    void cmd(String... args) {
        byte[][] argv = new byte[args.length][];
        for (int i = 0; i < args.length; i++) argv[i] = args[i].getBytes(StandardCharsets.ISO_8859_1);
        client.argv = argv;
        client.argc = argv.length;
        server.processCommand(client);
        client.commandProcessed();
        client.argv = null;
        client.argc = 0;
    }

    /** One server cron tick: slow active expiry, dict shrinking, incremental rehashing. */
    void cron() {
        ks().updateTime();
        for (Runnable r : server.cronHooks) r.run();
    }

    /** The end of an input batch: the fast active expire cycle. */
    void afterBatch() {
        ks().updateTime();
        for (Runnable r : server.afterBatchHooks) r.run();
    }

    /** Every key of every database as it is now, by "db/key". */
    Map<String, SnapshotRecorder.Rec> state() {
        return new SnapshotRecorder().state(ks());
    }

    /** Key and TTL counts of each non-empty database now. */
    Map<Integer, long[]> counts() {
        Map<Integer, long[]> out = new TreeMap<>();
        for (Db db : ks().dbs) if (db.size() != 0) out.put(db.id, new long[] {db.size(), db.expires.size()});
        return out;
    }
}
