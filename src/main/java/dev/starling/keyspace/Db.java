package dev.starling.keyspace;

/**
 * One numbered database: the main dict and the expires dict (Redis's redisDb).
 *
 * <p>Every read or write goes through {@link #lookupKeyRead} / {@link #lookupKeyWrite}, which
 * expire keys lazily, so a command never sees a key past its TTL. Writes go through
 * {@link #setKey}, {@link #add}, {@link #overwrite} and {@link #delete}, which keep the expires dict
 * and the memory estimate in step with the main dict.
 *
 * <p>Rule for code that writes keys (snapshots depend on it, see {@link Snapshot}): a value may be
 * modified in place only if its entry came from {@link #lookupKeyWrite}, or after calling
 * {@link #prepareWrite}; the write methods here run the snapshot pre-write hook themselves.
 */
public final class Db {
    private static final Dict.EntryFactory<KeyEntry> KEY_ENTRIES = KeyEntry::new;
    private static final Dict.EntryFactory<ExpireEntry> EXPIRE_ENTRIES = ExpireEntry::new;

    public final int id;
    public final Keyspace ks;
    public Dict<KeyEntry> dict = new Dict<>(KEY_ENTRIES);
    public Dict<ExpireEntry> expires = new Dict<>(EXPIRE_ENTRIES);
    /** Average TTL of keys sampled by the active expire cycle (INFO keyspace avg_ttl). */
    public long avgTtl;
    /** Where the active expire cycle resumes its walk of the expires dict. */
    public long expiresCursor;

    public Db(Keyspace ks, int id) {
        this.ks = ks;
        this.id = id;
    }

    public long size() {
        return dict.size();
    }

    // ---------------------------------------------------------------- lookups

    /** The live entry for key, after lazy expiry; updates the LRU/LFU clock and hit/miss stats. */
    public KeyEntry lookupKeyRead(byte[] key) {
        KeyEntry e = lookup(key);
        if (e == null) {
            ks.keyspaceMisses++;
            ks.listener.keyMiss(this, key);
        } else {
            ks.keyspaceHits++;
        }
        return e;
    }

    /**
     * The live entry for key, after lazy expiry; updates the LRU/LFU clock, no hit/miss stats. The
     * caller may modify the value in place (Redis's "about to write" lookup): a running snapshot
     * first takes the key as it is.
     */
    public KeyEntry lookupKeyWrite(byte[] key) {
        KeyEntry e = lookup(key);
        if (e != null && dict.walks != null) SnapshotWalk.preWrite(dict.walks, e.hash);
        return e;
    }

    /**
     * Call before modifying in place a value whose entry did not come from {@link #lookupKeyWrite}
     * (a read lookup that turns out to write, as PFCOUNT's cache update): a running snapshot first
     * takes the key as it is.
     */
    public void prepareWrite(KeyEntry e) {
        if (dict.walks != null) SnapshotWalk.preWrite(dict.walks, e.hash);
    }

    /** The live entry without touching LRU/LFU or stats (TYPE-like introspection uses lookup too). */
    public KeyEntry lookupNoTouch(byte[] key) {
        if (expireIfNeeded(key)) return null;
        return dict.get(key);
    }

    private KeyEntry lookup(byte[] key) {
        KeyEntry e = dict.get(key);
        if (e == null) return null;
        if (expires.size() != 0 && expireIfNeeded(key)) return null;
        ks.touch(e);
        return e;
    }

    /**
     * Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH): the live entry after lazy expiry, counting a
     * keyspace hit or miss but leaving the LRU/LFU clock alone (TYPE, TTL, EXISTS, OBJECT).
     */
    public KeyEntry lookupKeyReadNoTouch(byte[] key) {
        KeyEntry e = lookupKeyReadNoNotify(key);
        if (e == null) ks.listener.keyMiss(this, key);
        return e;
    }

    /** lookupKeyReadNoTouch without the "keymiss" event (Redis's LOOKUP_NONOTIFY, used by OBJECT). */
    public KeyEntry lookupKeyReadNoNotify(byte[] key) {
        KeyEntry e = lookupNoTouch(key);
        if (e == null) {
            ks.keyspaceMisses++;
        } else {
            ks.keyspaceHits++;
        }
        return e;
    }

    /** True if the key has a TTL in the past; deletes nothing (Redis's keyIsExpired, for KEYS). */
    public boolean keyIsExpired(byte[] key) {
        long when = getExpire(key);
        return when >= 0 && ks.now > when;
    }

    /** True if the key exists (after lazy expiry), without touching it. */
    public boolean exists(byte[] key) {
        return lookupNoTouch(key) != null;
    }

    // ---------------------------------------------------------------- writes

    /** Adds a key that must not exist. */
    public KeyEntry add(byte[] key, Object value) {
        KeyEntry e = dict.add(key);
        e.setValue(value);
        e.lru = ks.initialLru();
        ks.datasetBytes += MemorySize.ofKey(key) + e.valueMemory();
        ks.listener.keyModified(this, key);
        ks.addHook.keyAdded(this, key, value);
        ks.listener.keyAdded(this, e.key);
        return e;
    }

    /** Replaces the value of an existing entry; the TTL stays. */
    public void overwrite(KeyEntry e, Object value) {
        if (dict.walks != null) SnapshotWalk.preWrite(dict.walks, e.hash);
        long old = e.setValue(value);
        ks.datasetBytes += e.valueMemory() - old;
        ks.listener.keyModified(this, e.key);
    }

    /** Redis's setKey: add or overwrite, dropping any TTL unless keepTtl. */
    public void setKey(byte[] key, Object value, boolean keepTtl) {
        KeyEntry e = dict.get(key);
        if (e == null) {
            add(key, value);
        } else {
            overwrite(e, value);
            if (!keepTtl) removeExpire(key);
        }
    }

    /** Tells the size estimate that a value grew or shrank in place by delta bytes. */
    public void adjustMemory(long delta) {
        ks.datasetBytes += delta;
    }

    /** Deletes the key; returns true if it existed. */
    public boolean delete(byte[] key) {
        KeyEntry e = dict.remove(key);
        if (e == null) return false;
        if (expires.size() != 0 && expires.remove(key) != null) ks.datasetBytes -= 32;
        ks.datasetBytes -= MemorySize.ofKey(e.key) + e.valueMemory();
        ks.listener.keyModified(this, key);
        return true;
    }

    /**
     * Removes every key; returns how many there were. The dicts are replaced, not emptied: a
     * snapshot walking the old ones finishes them (they are no longer written).
     */
    public long clear() {
        long n = dict.size();
        dict.forEach(e -> ks.datasetBytes -= MemorySize.ofKey(e.key) + MemorySize.ofValue(e.value));
        ks.datasetBytes -= 32 * expires.size();
        dict = new Dict<>(KEY_ENTRIES);
        expires = new Dict<>(EXPIRE_ENTRIES);
        avgTtl = 0;
        expiresCursor = 0;
        return n;
    }

    /** Swaps contents with other (SWAPDB); ids stay. */
    public void swapWith(Db other) {
        Dict<KeyEntry> d = dict;
        dict = other.dict;
        other.dict = d;
        Dict<ExpireEntry> x = expires;
        expires = other.expires;
        other.expires = x;
        long t = avgTtl;
        avgTtl = other.avgTtl;
        other.avgTtl = t;
        expiresCursor = other.expiresCursor = 0;
    }

    // ---------------------------------------------------------------- expiry

    /** Absolute expire time in unix ms, or -1 if the key has none. */
    public long getExpire(byte[] key) {
        if (expires.size() == 0) return -1;
        ExpireEntry x = expires.get(key);
        return x == null ? -1 : x.when;
    }

    /** Sets the key's absolute expire time; the key must exist. Shares the main dict's key bytes. */
    public void setExpire(byte[] key, long when) {
        KeyEntry e = dict.get(key);
        if (dict.walks != null) SnapshotWalk.preWrite(dict.walks, e != null ? e.hash : Dict.hash(key));
        byte[] shared = e != null ? e.key : key;
        ExpireEntry x = expires.get(shared);
        if (x == null) {
            x = expires.add(shared);
            ks.datasetBytes += 32;
        }
        x.when = when;
    }

    /** Removes the key's TTL; returns true if it had one. */
    public boolean removeExpire(byte[] key) {
        if (expires.size() == 0) return false;
        if (dict.walks != null) SnapshotWalk.preWrite(dict.walks, Dict.hash(key));
        if (expires.remove(key) == null) return false;
        ks.datasetBytes -= 32;
        return true;
    }

    /** If the key is past its TTL, deletes it and reports the expiry; returns true if it was expired. */
    public boolean expireIfNeeded(byte[] key) {
        if (ks.loading) return false;
        long when = getExpire(key);
        if (when < 0 || when >= ks.now) return false; // Redis: expired only when now > when
        if (ks.expireHook != null && !ks.expireHook.mayDelete()) return !ks.expireHook.ignoreExpiry();
        deleteExpired(key);
        return true;
    }

    /** Deletes a key found expired: stats and the listener (propagation of DEL, "expired" event). */
    public void deleteExpired(byte[] key) {
        delete(key);
        ks.expiredKeys++;
        ks.listener.keyExpired(this, key);
    }
}
