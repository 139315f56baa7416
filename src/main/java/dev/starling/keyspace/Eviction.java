package dev.starling.keyspace;

import dev.starling.command.Command;
import dev.starling.config.Config;
import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.Server;

/**
 * maxmemory eviction (Redis's evict.c performEvictions).
 *
 * <h2>Design</h2>
 * Before each command, if used memory is over maxmemory, keys are deleted until the excess is
 * freed. Which keys: the LRU, LFU and TTL policies are approximated as Redis does, by sampling
 * maxmemory-samples keys from every database (all keys, or only those with a TTL for volatile-*)
 * into a 16-entry pool kept sorted by score (idle time, 255 - LFU counter, or how soon the TTL
 * ends) and evicting the best-scored entry; the pool survives between calls so good candidates
 * accumulate. Entries whose key has meanwhile gone are ghosts and are skipped. The random policies
 * take a random key, rotating over databases. If nothing can be evicted (noeviction, or no
 * candidate keys), commands flagged denyoom get Redis's -OOM error.
 *
 * <p>Eviction is bounded in time by maxmemory-eviction-tenacity; when the bound is hit the rest
 * continues in a task queued on the executor and commands are let through meanwhile, as Redis's
 * evictionTimeProc does.
 */
public final class Eviction implements Server.CommandFilter {
    public static final int EVICT_OK = 0, EVICT_RUNNING = 1, EVICT_FAIL = 2;
    /** Redis's EVPOOL_SIZE. */
    static final int POOL_SIZE = 16;

    static final int NOEVICTION = 0, VOLATILE_LRU = 1, VOLATILE_LFU = 2, VOLATILE_RANDOM = 3, VOLATILE_TTL = 4,
            ALLKEYS_LRU = 5, ALLKEYS_LFU = 6, ALLKEYS_RANDOM = 7;

    private final Server server;
    private final Config config;

    /** The policy string last seen in the config (identity check: a CONFIG SET replaces it). */
    private String policyName;
    private int policy;

    // The pool, best candidate last: keys, their databases and scores compared unsigned.
    private final byte[][] poolKey = new byte[POOL_SIZE][];
    private final int[] poolDb = new int[POOL_SIZE];
    private final long[] poolIdle = new long[POOL_SIZE];
    private DictEntry[] samples = new DictEntry[5];
    private int nextDb;
    private boolean procRunning;
    private final Runnable proc = this::evictionProc;

    public Eviction(Server server) {
        this.server = server;
        this.config = server.config;
        syncConfig();
    }

    // ---------------------------------------------------------------- config

    /** Keeps the keyspace's LFU mode and parameters in step with the config; cheap when unchanged. */
    public void syncConfig() {
        Keyspace ks = server.keyspace;
        String name = config.maxmemoryPolicy;
        if (name != policyName) {
            policyName = name;
            policy = switch (name) {
                case "volatile-lru" -> VOLATILE_LRU;
                case "volatile-lfu" -> VOLATILE_LFU;
                case "volatile-random" -> VOLATILE_RANDOM;
                case "volatile-ttl" -> VOLATILE_TTL;
                case "allkeys-lru" -> ALLKEYS_LRU;
                case "allkeys-lfu" -> ALLKEYS_LFU;
                case "allkeys-random" -> ALLKEYS_RANDOM;
                default -> NOEVICTION;
            };
        }
        ks.lfuPolicy = policy == VOLATILE_LFU || policy == ALLKEYS_LFU;
        ks.lfuLogFactor = config.lfuLogFactor;
        ks.lfuDecayTime = config.lfuDecayTime;
    }

    private boolean allKeys() {
        return policy >= ALLKEYS_LRU;
    }

    // ---------------------------------------------------------------- the command filter

    /** Evicts as needed before a command; returns Redis's -OOM text if a denyoom command must be refused. */
    @Override
    public String check(Client c, Command cmd) {
        syncConfig();
        if (config.maxmemory == 0) return null;
        server.keyspace.updateTime();
        if (performEvictions() != EVICT_FAIL) return null;
        if (cmd.has(Command.DENYOOM)) return Errors.OOM;
        // Queuing in MULTI takes memory too; EXEC, DISCARD, QUIT and RESET are always let through.
        if (c.has(Client.MULTI)) {
            String n = cmd.fullName;
            if (!n.equals("exec") && !n.equals("discard") && !n.equals("quit") && !n.equals("reset")) return Errors.OOM;
        }
        return null;
    }

    /** Memory over maxmemory that must be freed, or 0 when within the limit. */
    private long toFree() {
        long used = server.usedMemory();
        return used <= config.maxmemory ? 0 : used - config.maxmemory;
    }

    /** Redis's evictionTimeLimitUs: 0..500us linearly up to tenacity 10, then +15% per step, unbounded at 100. */
    private long timeLimitUs() {
        int t = config.maxmemoryEvictionTenacity;
        if (t <= 10) return 50L * t;
        if (t < 100) return (long) (500.0 * Math.pow(1.15, t - 10.0));
        return Long.MAX_VALUE;
    }

    /**
     * Redis's performEvictions: frees memory down to maxmemory. Returns EVICT_OK when within the
     * limit, EVICT_RUNNING when the time bound stopped it (work continues in a queued task), or
     * EVICT_FAIL when memory is over the limit and nothing can be evicted.
     */
    public int performEvictions() {
        Keyspace ks = server.keyspace;
        // A replica leaves eviction to its master (replica-ignore-maxmemory), as it does expiry.
        if (ks.expireHook != null && !ks.expireHook.mayDelete()) return EVICT_OK;
        long toFree = toFree();
        if (toFree == 0) return EVICT_OK;
        if (policy == NOEVICTION) return EVICT_FAIL;
        long limitUs = timeLimitUs();
        long startNanos = server.clock.nanos();
        long freed = 0;
        int keysFreed = 0;
        while (freed < toFree) {
            Db db = policy == VOLATILE_RANDOM || policy == ALLKEYS_RANDOM ? pickRandom(ks) : pickFromPool(ks);
            if (db == null) return EVICT_FAIL;
            byte[] key = picked;
            picked = null;
            long before = server.usedMemory();
            db.delete(key);
            freed += before - server.usedMemory();
            ks.evictedKeys++;
            ks.listener.keyEvicted(db, key);
            keysFreed++;
            if (keysFreed % 16 == 0 && (server.clock.nanos() - startNanos) / 1000 > limitUs) {
                if (!procRunning) {
                    procRunning = true;
                    server.execute(proc);
                }
                return EVICT_RUNNING;
            }
        }
        return procRunning ? EVICT_RUNNING : EVICT_OK;
    }

    /** Continues an eviction that hit its time bound, one bounded slice per executor turn. */
    private void evictionProc() {
        syncConfig();
        procRunning = false;
        if (config.maxmemory == 0) return;
        server.keyspace.updateTime();
        performEvictions();
    }

    /** The key chosen by the last pick, handed from pick* to the caller. */
    private byte[] picked;

    /** The random policies: a random key of the next non-empty database; returns its db or null. */
    private Db pickRandom(Keyspace ks) {
        Db[] dbs = ks.dbs;
        for (int i = 0; i < dbs.length; i++) {
            Db db = dbs[Integer.remainderUnsigned(++nextDb, dbs.length)];
            if (policy == ALLKEYS_RANDOM) {
                KeyEntry e = db.dict.randomEntry();
                if (e != null) {
                    picked = e.key;
                    return db;
                }
            } else {
                ExpireEntry e = db.expires.randomEntry();
                if (e != null) {
                    picked = e.key;
                    return db;
                }
            }
        }
        return null;
    }

    /** The pool policies: refills the pool from every database and takes its best live entry. */
    private Db pickFromPool(Keyspace ks) {
        Db[] dbs = ks.dbs;
        boolean all = allKeys();
        // Sampling a sparse table can come back empty; give up after many rounds rather than spin.
        for (int round = 0; round < 1000; round++) {
            long totalKeys = 0;
            for (int i = 0; i < dbs.length; i++) {
                Db db = dbs[i];
                long keys = all ? db.dict.size() : db.expires.size();
                if (keys != 0) {
                    populate(db, all);
                    totalKeys += keys;
                }
            }
            if (totalKeys == 0) return null;
            for (int k = POOL_SIZE - 1; k >= 0; k--) {
                byte[] key = poolKey[k];
                if (key == null) continue;
                Db db = dbs[poolDb[k]];
                poolKey[k] = null;
                poolIdle[k] = 0;
                boolean live = all ? db.dict.get(key) != null : db.expires.get(key) != null;
                if (live) {
                    picked = key;
                    return db;
                }
                // A ghost: the key went away since it was sampled.
            }
        }
        return null;
    }

    /** Redis's evictionPoolPopulate: samples keys of db and inserts the better-scored ones into the pool. */
    private void populate(Db db, boolean all) {
        Keyspace ks = db.ks;
        int want = Math.max(1, config.maxmemorySamples);
        if (samples.length < want) samples = new DictEntry[want];
        int count = all ? db.dict.sample(samples, want) : db.expires.sample(samples, want);
        for (int j = 0; j < count; j++) {
            DictEntry de = samples[j];
            samples[j] = null;
            byte[] key = de.key;
            long idle;
            if (policy == VOLATILE_TTL) {
                // Sooner expiry scores higher: ULLONG_MAX - when, compared unsigned.
                idle = -1L - ((ExpireEntry) de).when;
            } else {
                KeyEntry e = all ? (KeyEntry) de : db.dict.get(key);
                if (e == null) continue;
                if (policy == VOLATILE_LRU || policy == ALLKEYS_LRU) idle = ks.idleMillis(e);
                else idle = 255 - ks.lfuDecrAndReturn(e);
            }
            insert(db.id, key, idle);
        }
    }

    /** Inserts into the pool kept in ascending score order, dropping the worst when full. */
    private void insert(int dbid, byte[] key, long idle) {
        int k = 0;
        while (k < POOL_SIZE && poolKey[k] != null && Long.compareUnsigned(poolIdle[k], idle) < 0) k++;
        if (k == 0 && poolKey[POOL_SIZE - 1] != null) {
            return; // worse than everything in a full pool
        } else if (k < POOL_SIZE && poolKey[k] == null) {
            // an empty slot: nothing to shift
        } else if (poolKey[POOL_SIZE - 1] == null) {
            // room on the right: shift k.. right by one
            System.arraycopy(poolKey, k, poolKey, k + 1, POOL_SIZE - k - 1);
            System.arraycopy(poolDb, k, poolDb, k + 1, POOL_SIZE - k - 1);
            System.arraycopy(poolIdle, k, poolIdle, k + 1, POOL_SIZE - k - 1);
        } else {
            // full: drop the worst (leftmost) and insert just before k
            k--;
            System.arraycopy(poolKey, 1, poolKey, 0, k);
            System.arraycopy(poolDb, 1, poolDb, 0, k);
            System.arraycopy(poolIdle, 1, poolIdle, 0, k);
        }
        poolKey[k] = key;
        poolDb[k] = dbid;
        poolIdle[k] = idle;
    }
}
