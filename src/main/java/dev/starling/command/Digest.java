package dev.starling.command;

import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.Keyspace;
import dev.starling.types.RawString;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Redis 7.0's DEBUG DIGEST / DIGEST-VALUE, bit for bit (debug.c's xorDigest / mixDigest scheme),
 * so a digest taken on Starling equals the one redis-server prints for the same data.
 *
 * <h2>The scheme (verified against redis-server 7.0.15)</h2>
 * Two primitives over a 20-byte state: {@code xor(d, bytes)}: d ^= SHA1(bytes), which is
 * order-independent; {@code mix(d, bytes)}: d = SHA1(d ^ SHA1(bytes)), which is order-dependent.
 * <ul>
 * <li>The value digest of one key starts at 20 zero bytes: mix(big-endian 4-byte Redis type code),
 *     then the type's own mixing (a string: mix(its bytes), ints as their decimal text), then, if
 *     the key has a TTL, xor("!!expire!!") (the time itself is left out: it moves).</li>
 * <li>The key digest is the same but starting with mix(key bytes).</li>
 * <li>The dataset digest starts at zeros; for each non-empty db in ascending id order:
 *     mix(big-endian 4-byte db id), then xor(key digest) for every key (xor of the SHA1 of each
 *     key digest), so key order within a db does not matter. An empty dataset is 40 zeros.</li>
 * </ul>
 * Collection types implement {@link Digestible} to add their own mixing (Redis mixes list elements
 * in order, and xors set members / hash fields so their order does not matter).
 */
public final class Digest {
    /** Redis's OBJ_* type codes, which enter the digest. */
    public static final int OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_MODULE = 5,
            OBJ_STREAM = 6;

    private static final byte[] EXPIRE_MARK = {'!', '!', 'e', 'x', 'p', 'i', 'r', 'e', '!', '!'};

    /** A value of a collection type that knows how Redis digests it. */
    public interface Digestible {
        /** Redis's OBJ_* type code of this value. */
        int digestType();

        /** Mixes the value's contents into digest (20 bytes), as debug.c's xorObjectDigest does for the type. */
        void digestInto(Digest d, byte[] digest);
    }

    private final MessageDigest sha1;
    private final byte[] hash = new byte[20];
    private final byte[] word = new byte[4];

    public Digest() {
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** digest ^= SHA1(b[off..off+len)). */
    public void xorDigest(byte[] digest, byte[] b, int off, int len) {
        sha1.update(b, off, len);
        digestTo(hash);
        for (int i = 0; i < 20; i++) digest[i] ^= hash[i];
    }

    public void xorDigest(byte[] digest, byte[] b) {
        xorDigest(digest, b, 0, b.length);
    }

    /** digest = SHA1(digest ^ SHA1(b[off..off+len))). */
    public void mixDigest(byte[] digest, byte[] b, int off, int len) {
        xorDigest(digest, b, off, len);
        sha1.update(digest, 0, 20);
        digestTo(digest);
    }

    public void mixDigest(byte[] digest, byte[] b) {
        mixDigest(digest, b, 0, b.length);
    }

    /** Mixes a 32-bit value in network byte order (Redis's htonl then mixDigest). */
    public void mixInt(byte[] digest, int v) {
        word[0] = (byte) (v >>> 24);
        word[1] = (byte) (v >>> 16);
        word[2] = (byte) (v >>> 8);
        word[3] = (byte) v;
        mixDigest(digest, word, 0, 4);
    }

    private void digestTo(byte[] out) {
        try {
            sha1.digest(out, 0, 20);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Mixes value (and the TTL mark if hasExpire) into digest: Redis's xorObjectDigest. Returns false
     * for a value type this build cannot digest yet.
     */
    public boolean objectDigest(byte[] digest, Object value, boolean hasExpire) {
        if (value instanceof byte[] b) {
            mixInt(digest, OBJ_STRING);
            mixDigest(digest, b);
        } else if (value instanceof RawString r) {
            mixInt(digest, OBJ_STRING);
            mixDigest(digest, r.buf, 0, r.len);
        } else if (value instanceof Digestible v) {
            mixInt(digest, v.digestType());
            v.digestInto(this, digest);
        } else {
            return false;
        }
        if (hasExpire) xorDigest(digest, EXPIRE_MARK);
        return true;
    }

    /** The digest of the whole dataset (DEBUG DIGEST); 20 zero bytes if every db is empty. */
    public byte[] datasetDigest(Keyspace ks) {
        byte[] fin = new byte[20];
        byte[] kv = new byte[20];
        for (Db db : ks.dbs) {
            if (db.size() == 0) continue;
            mixInt(fin, db.id);
            // Redis iterates the dict itself: keys past their TTL but not yet deleted are included.
            db.dict.forEach(e -> {
                java.util.Arrays.fill(kv, (byte) 0);
                mixDigest(kv, e.key);
                objectDigest(kv, e.value, db.getExpire(e.key) != -1);
                xorDigest(fin, kv, 0, 20);
            });
        }
        return fin;
    }

    /** The value digest of one key (DEBUG DIGEST-VALUE): zeros if e is null. */
    public byte[] valueDigest(Db db, KeyEntry e) {
        byte[] d = new byte[20];
        if (e != null) objectDigest(d, e.value, db.getExpire(e.key) != -1);
        return d;
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Lower-case hex of a 20-byte digest, as Redis prints it. */
    public static String hex(byte[] d) {
        byte[] out = new byte[d.length * 2];
        for (int i = 0; i < d.length; i++) {
            out[2 * i] = HEX[(d[i] >> 4) & 15];
            out[2 * i + 1] = HEX[d[i] & 15];
        }
        return new String(out, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
