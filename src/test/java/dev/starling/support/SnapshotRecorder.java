package dev.starling.support;

import dev.starling.command.Digest;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.keyspace.Snapshot;
import dev.starling.keyspace.SnapshotConsumer;
import dev.starling.types.ObjectEncoding;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot consumer for tests: records each key as Redis's value digest, encoding and TTL
 * (computed at once, as a serializer would), checks the call order, and can record the keyspace
 * of the cut itself (in begin, which runs inside startSnapshot before any write). Its fields are
 * written on the executor; read them from another thread only after {@link #ends} or
 * {@link #cancels} became non-zero.
 */
public class SnapshotRecorder implements SnapshotConsumer {
    /** One key as the tests compare it. */
    public record Rec(String digest, String encoding, long expireAt) {}

    private final Digest digest = new Digest();
    private final Keyspace cutOf;
    /** The cut as the test saw it (when constructed with a keyspace), and what the snapshot delivered, by "db/key". */
    public final Map<String, Rec> cut = new TreeMap<>();
    public final Map<String, Rec> keys = new TreeMap<>();
    public final Map<Integer, long[]> dbStarts = new HashMap<>();
    public final List<String> errors = new ArrayList<>();
    public int begins;
    public volatile int ends, cancels;
    public volatile long delivered;

    /** Records deliveries only. */
    public SnapshotRecorder() {
        this(null);
    }

    /** Also records ks's content at the cut into {@link #cut}. */
    public SnapshotRecorder(Keyspace cutOf) {
        this.cutOf = cutOf;
    }

    public static String name(int db, byte[] key) {
        return db + "/" + new String(key, StandardCharsets.ISO_8859_1);
    }

    public String digestOf(Object value) {
        byte[] d = new byte[20];
        if (!digest.objectDigest(d, value, false)) throw new AssertionError("cannot digest " + value);
        return Digest.hex(d);
    }

    /** Every key of every database of ks as it is now, by "db/key". Call on the executor. */
    public Map<String, Rec> state(Keyspace ks) {
        Map<String, Rec> out = new TreeMap<>();
        for (Db db : ks.dbs) {
            db.dict.forEach(e -> out.put(name(db.id, e.key), new Rec(digestOf(e.value), ObjectEncoding.encodingName(e.value), db.getExpire(e.key))));
        }
        return out;
    }

    /** The differences between delivered keys and expected ones, one line each (empty if equal; at most 20). */
    public static List<String> diff(Map<String, Rec> expected, Map<String, Rec> actual) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Rec> e : expected.entrySet()) {
            Rec a = actual.get(e.getKey());
            if (a == null) out.add("missing " + e.getKey());
            else if (!a.equals(e.getValue())) out.add("changed " + e.getKey() + ": " + e.getValue() + " -> " + a);
        }
        for (String k : actual.keySet()) if (!expected.containsKey(k)) out.add("extra " + k);
        return out.size() > 20 ? out.subList(0, 20) : out;
    }

    @Override
    public void begin(Snapshot snapshot) {
        begins++;
        if (cutOf != null) cut.putAll(state(cutOf));
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
        delivered++;
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
