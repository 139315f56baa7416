package dev.starling.keyspace;

import dev.starling.config.Config;
import dev.starling.server.Server;

/**
 * The keyspace part of the server cron (Redis's databasesCron): the slow active expire cycle,
 * shrinking dicts that emptied out, and incremental rehashing for about a millisecond per call
 * (activerehashing). Also owns the maxmemory {@link Eviction} filter.
 */
public final class KeyspaceCron implements Runnable {
    static final int CRON_DBS_PER_CALL = 16;

    private final Server server;
    public final ActiveExpire activeExpire;
    public final Eviction eviction;
    private int resizeDb, rehashDb;
    /** activerehashing, looked up by name so this works before and after the option is defined. */
    private Config.Option activeRehashing;

    private KeyspaceCron(Server server) {
        this.server = server;
        this.activeExpire = new ActiveExpire(server.config, server.clock);
        this.eviction = new Eviction(server);
    }

    /** Registers the cron hook and the eviction command filter on server; returns the instance. */
    public static KeyspaceCron install(Server server) {
        KeyspaceCron cron = new KeyspaceCron(server);
        server.cronHooks.add(cron);
        server.oomCheck = cron.eviction;
        // Redis runs the fast cycle in beforeSleep; the closest point here is the end of each input batch.
        server.afterBatchHooks.add(cron::fastExpireCycle);
        return cron;
    }

    /** Redis's fast active expire cycle: rate-limited, and a no-op unless expired keys are piling up. */
    void fastExpireCycle() {
        Keyspace ks = server.keyspace;
        if (ks.activeExpireEnabled) activeExpire.cycle(ks, ActiveExpire.FAST);
    }

    @Override
    public void run() {
        Keyspace ks = server.keyspace;
        eviction.syncConfig();
        if (ks.activeExpireEnabled) activeExpire.cycle(ks, ActiveExpire.SLOW);
        Db[] dbs = ks.dbs;
        int perCall = Math.min(CRON_DBS_PER_CALL, dbs.length);
        for (int j = 0; j < perCall; j++) {
            Db db = dbs[Integer.remainderUnsigned(resizeDb++, dbs.length)];
            db.dict.shrinkIfNeeded();
            db.expires.shrinkIfNeeded();
        }
        if (activeRehashingEnabled()) {
            for (int j = 0; j < perCall; j++) {
                Db db = dbs[Integer.remainderUnsigned(rehashDb, dbs.length)];
                if (incrementallyRehash(db)) break; // did work: more next time
                rehashDb = Integer.remainderUnsigned(rehashDb + 1, dbs.length);
            }
        }
    }

    /** Rehashes db's main dict, else its expires dict, for about 1ms; true if either needed it. */
    private boolean incrementallyRehash(Db db) {
        if (db.dict.isRehashing()) {
            db.dict.rehashMilliseconds(1, server.clock.nanos(), server.clock::nanos);
            return true;
        }
        if (db.expires.isRehashing()) {
            db.expires.rehashMilliseconds(1, server.clock.nanos(), server.clock::nanos);
            return true;
        }
        return false;
    }

    private boolean activeRehashingEnabled() {
        if (activeRehashing == null) activeRehashing = server.config.lookup("activerehashing");
        return activeRehashing == null || !"no".equals(activeRehashing.get());
    }
}
