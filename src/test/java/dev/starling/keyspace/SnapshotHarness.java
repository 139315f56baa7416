package dev.starling.keyspace;

import dev.starling.command.Digest;
import dev.starling.config.Config;
import dev.starling.config.ConfigLoader;
import dev.starling.server.Client;
import dev.starling.server.Clock;
import dev.starling.server.Server;
import dev.starling.types.ObjectEncoding;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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

    /** One key's value as the test compares it: Redis's value digest, the encoding, the TTL. */
    record Rec(String digest, String encoding, long expireAt) {}

    final TestClock clock = new TestClock();
    final Server server;
    final Client client;
    private final Digest digest = new Digest();

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

    String digestOf(Object value) {
        byte[] d = new byte[20];
        if (!digest.objectDigest(d, value, false)) throw new AssertionError("cannot digest " + value);
        return Digest.hex(d);
    }

    static String name(int db, byte[] key) {
        return db + "/" + new String(key, StandardCharsets.ISO_8859_1);
    }

    /** Every key of every database as it is now, by "db/key". */
    Map<String, Rec> state() {
        Map<String, Rec> out = new TreeMap<>();
        for (Db db : ks().dbs) {
            db.dict.forEach(e -> out.put(name(db.id, e.key), new Rec(digestOf(e.value), ObjectEncoding.encodingName(e.value), db.getExpire(e.key))));
        }
        return out;
    }

    /** The differences between a snapshot's keys and the expected ones, one line each (empty if equal). */
    static List<String> diff(Map<String, Rec> expected, Map<String, Rec> actual) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Rec> e : expected.entrySet()) {
            Rec a = actual.get(e.getKey());
            if (a == null) out.add("missing " + e.getKey());
            else if (!a.equals(e.getValue())) out.add("changed " + e.getKey() + ": " + e.getValue() + " -> " + a);
        }
        for (String k : actual.keySet()) if (!expected.containsKey(k)) out.add("extra " + k);
        return out.size() > 20 ? out.subList(0, 20) : out;
    }

    /** Key and TTL counts of each non-empty database now. */
    Map<Integer, long[]> counts() {
        Map<Integer, long[]> out = new TreeMap<>();
        for (Db db : ks().dbs) if (db.size() != 0) out.put(db.id, new long[] {db.size(), db.expires.size()});
        return out;
    }

    /** A consumer that records what it receives and checks the call order. */
    class Recorder implements SnapshotConsumer {
        final Map<String, Rec> keys = new TreeMap<>();
        final Map<Integer, long[]> dbStarts = new HashMap<>();
        final List<String> errors = new ArrayList<>();
        int begins, ends, cancels;

        @Override
        public void begin(Snapshot snapshot) {
            begins++;
        }

        @Override
        public void dbStart(int db, long keys, long volatileKeys) {
            if (dbStarts.put(db, new long[] {keys, volatileKeys}) != null) errors.add("dbStart twice for db" + db);
        }

        @Override
        public void key(int db, byte[] key, Object value, long expireAt, int lru) {
            if (!dbStarts.containsKey(db)) errors.add("key before dbStart in db" + db);
            if (ends + cancels != 0) errors.add("key after end");
            Rec r = new Rec(digestOf(value), ObjectEncoding.encodingName(value), expireAt);
            if (keys.put(name(db, key), r) != null) errors.add("delivered twice: " + name(db, key));
        }

        @Override
        public void end() {
            ends++;
        }

        @Override
        public void cancelled() {
            cancels++;
        }
    }
}
