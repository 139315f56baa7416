package dev.starling.keyspace;

import java.util.Random;

/**
 * Random commands of every kind that can change a key's value or TTL, over a small key universe
 * per type so writes keep hitting existing keys, plus reads that may expire keys lazily, time
 * passing, cron ticks and explicit rehash steps.
 */
final class RandomOps {
    private final SnapshotHarness h;
    private final Random rnd;
    private final int dbs;
    private int populateBatch;

    RandomOps(SnapshotHarness h, Random rnd, int dbs) {
        this.h = h;
        this.rnd = rnd;
        this.dbs = dbs;
    }

    private String k(String type) {
        return type + rnd.nextInt(8);
    }

    private String val() {
        int r = rnd.nextInt(10);
        if (r < 3) return String.valueOf(rnd.nextInt(100) - 20);
        if (r < 9) return "v" + rnd.nextInt(50);
        return "long-value-" + "x".repeat(rnd.nextInt(40));
    }

    private String score() {
        return rnd.nextInt(10) == 0 ? "inf" : String.valueOf(rnd.nextInt(100) / 4.0);
    }

    private String db() {
        return String.valueOf(rnd.nextInt(dbs));
    }

    /** A TTL in ms: half short enough to pass during the test, half long enough to outlive it. */
    private String ms() {
        return String.valueOf(rnd.nextBoolean() ? 1 + rnd.nextInt(40) : 1000 + rnd.nextInt(100_000));
    }

    /** Any step: mostly writes, some reads, time, cron, rehash, rare database-wide commands. */
    void any() {
        int r = rnd.nextInt(100);
        if (r < 70) write();
        else if (r < 80) read();
        else if (r < 86) h.clock.millis += rnd.nextInt(15);
        else if (r < 89) h.cron();
        else if (r < 91) h.afterBatch();
        else if (r < 94) h.ks().dbs[rnd.nextInt(dbs)].dict.rehash(1 + rnd.nextInt(20));
        else if (r < 96) bulk();
        else if (r < 97) evict();
        else if (r < 98) h.cmd("SWAPDB", db(), db());
        else if (r < 99) h.cmd("FLUSHDB", rnd.nextBoolean() ? "ASYNC" : "SYNC");
        else if (rnd.nextInt(3) == 0) h.cmd("FLUSHALL", rnd.nextBoolean() ? "ASYNC" : "SYNC");
        else h.cmd("SELECT", db());
    }

    /** Many adds (the dict grows and rehashes) or many deletes (it shrinks on the next cron). */
    void bulk() {
        if (rnd.nextBoolean()) {
            h.cmd("DEBUG", "POPULATE", String.valueOf(rnd.nextInt(3000)), "bulk" + rnd.nextInt(3));
        } else {
            populateAndThin(rnd.nextInt(3000));
        }
    }

    /** Adds n keys, then deletes nine in ten of them: the dict becomes shrinkable. */
    void populateAndThin(int n) {
        String prefix = "thin" + populateBatch++;
        h.cmd("DEBUG", "POPULATE", String.valueOf(n), prefix);
        for (int i = 0; i < n; i++) if (i % 10 != 0) h.cmd("UNLINK", prefix + ":" + i);
        if (rnd.nextBoolean()) h.cron();
    }

    /** A tight maxmemory for a few writes, so eviction deletes keys, then no limit again. */
    private void evict() {
        String policy = switch (rnd.nextInt(3)) {
            case 0 -> "allkeys-random";
            case 1 -> "volatile-ttl";
            default -> "allkeys-lru";
        };
        h.cmd("CONFIG", "SET", "maxmemory-policy", policy);
        h.cmd("CONFIG", "SET", "maxmemory", String.valueOf(Math.max(1, h.ks().datasetBytes * 9 / 10)));
        for (int i = 0; i < 3; i++) write();
        h.cmd("CONFIG", "SET", "maxmemory", "0");
    }

    void read() {
        switch (rnd.nextInt(9)) {
            case 0 -> h.cmd("GET", k("s"));
            case 1 -> h.cmd("PFCOUNT", k("p"));
            case 2 -> h.cmd("HGETALL", k("h"));
            case 3 -> h.cmd("LRANGE", k("l"), "0", "-1");
            case 4 -> h.cmd("SRANDMEMBER", k("t"), "3");
            case 5 -> h.cmd("ZRANGE", k("z"), "0", "-1", "WITHSCORES");
            case 6 -> h.cmd("EXISTS", k("s"), k("l"), k("h"));
            case 7 -> h.cmd("TTL", k("s"));
            default -> h.cmd("SCAN", "0", "COUNT", "50");
        }
    }

    void write() {
        switch (rnd.nextInt(9)) {
            case 0, 1 -> string();
            case 2 -> list();
            case 3 -> hash();
            case 4 -> set();
            case 5 -> zset();
            case 6 -> hll();
            default -> keys();
        }
    }

    private void string() {
        String key = k("s");
        switch (rnd.nextInt(18)) {
            case 0 -> h.cmd("SET", key, val());
            case 1 -> h.cmd("SET", key, val(), "PX", ms());
            case 2 -> h.cmd("SET", key, val(), "KEEPTTL");
            case 3 -> h.cmd("SET", key, val(), "GET");
            case 4 -> h.cmd("APPEND", key, val());
            case 5 -> h.cmd("SETRANGE", key, String.valueOf(rnd.nextInt(20)), val());
            case 6 -> h.cmd("INCR", "n" + rnd.nextInt(4));
            case 7 -> h.cmd("INCRBYFLOAT", "n" + rnd.nextInt(4), "1.5");
            case 8 -> h.cmd("SETBIT", key, String.valueOf(rnd.nextInt(200)), String.valueOf(rnd.nextInt(2)));
            case 9 -> h.cmd("GETDEL", key);
            case 10 -> h.cmd("GETEX", key, "PX", ms());
            case 11 -> h.cmd("GETEX", key, "PERSIST");
            case 12 -> h.cmd("MSET", key, val(), k("s"), val());
            case 13 -> h.cmd("SETNX", key, val());
            case 14 -> h.cmd("GETSET", key, val());
            case 15 -> h.cmd("BITOP", "OR", key, k("s"), k("s"));
            case 16 -> h.cmd("BITFIELD", key, "INCRBY", "u8", String.valueOf(rnd.nextInt(64)), "7");
            default -> h.cmd("DECRBY", "n" + rnd.nextInt(4), "3");
        }
    }

    private void list() {
        String key = k("l");
        switch (rnd.nextInt(11)) {
            case 0, 1 -> h.cmd("LPUSH", key, val(), val(), val());
            case 2 -> h.cmd("RPUSH", key, val(), val());
            case 3 -> h.cmd("LPOP", key);
            case 4 -> h.cmd("RPOP", key, "2");
            case 5 -> h.cmd("LSET", key, "0", val());
            case 6 -> h.cmd("LINSERT", key, "BEFORE", val(), val());
            case 7 -> h.cmd("LREM", key, "0", val());
            case 8 -> h.cmd("LTRIM", key, "1", "-1");
            case 9 -> h.cmd("LMOVE", key, k("l"), "LEFT", "RIGHT");
            default -> h.cmd("RPOPLPUSH", key, k("l"));
        }
    }

    private void hash() {
        String key = k("h");
        switch (rnd.nextInt(6)) {
            case 0, 1 -> h.cmd("HSET", key, "f" + rnd.nextInt(12), val(), "f" + rnd.nextInt(12), val());
            case 2 -> h.cmd("HDEL", key, "f" + rnd.nextInt(12));
            case 3 -> h.cmd("HINCRBY", key, "c" + rnd.nextInt(3), "2");
            case 4 -> h.cmd("HINCRBYFLOAT", key, "c" + rnd.nextInt(3), "0.5");
            default -> h.cmd("HSETNX", key, "f" + rnd.nextInt(12), val());
        }
    }

    private void set() {
        String key = k("t");
        switch (rnd.nextInt(7)) {
            case 0, 1 -> h.cmd("SADD", key, val(), val(), val());
            case 2 -> h.cmd("SREM", key, val());
            case 3 -> h.cmd("SPOP", key);
            case 4 -> h.cmd("SMOVE", key, k("t"), val());
            case 5 -> h.cmd("SINTERSTORE", key, k("t"), k("t"));
            default -> h.cmd(rnd.nextBoolean() ? "SUNIONSTORE" : "SDIFFSTORE", key, k("t"), k("t"));
        }
    }

    private void zset() {
        String key = k("z");
        switch (rnd.nextInt(8)) {
            case 0, 1 -> h.cmd("ZADD", key, score(), val(), score(), val());
            case 2 -> h.cmd("ZINCRBY", key, "1", val());
            case 3 -> h.cmd("ZREM", key, val());
            case 4 -> h.cmd("ZPOPMIN", key);
            case 5 -> h.cmd("ZREMRANGEBYRANK", key, "0", "1");
            case 6 -> h.cmd("ZUNIONSTORE", key, "2", k("z"), k("z"));
            default -> h.cmd("ZRANGESTORE", key, k("z"), "0", "-1");
        }
    }

    private void hll() {
        String key = k("p");
        switch (rnd.nextInt(3)) {
            case 0 -> h.cmd("PFADD", key, val(), val(), val());
            case 1 -> h.cmd("PFMERGE", key, k("p"), k("p"));
            default -> {
                // Enough elements to go dense sometimes.
                String[] args = new String[2 + rnd.nextInt(200)];
                args[0] = "PFADD";
                args[1] = key;
                for (int i = 2; i < args.length; i++) args[i] = "e" + rnd.nextInt(100_000);
                h.cmd(args);
            }
        }
    }

    private String anyKey() {
        String[] types = {"s", "l", "h", "t", "z", "p", "n"};
        if (rnd.nextInt(6) == 0) return "pop:" + rnd.nextInt(5000);
        return k(types[rnd.nextInt(types.length)]);
    }

    private void keys() {
        String key = anyKey();
        switch (rnd.nextInt(14)) {
            case 0 -> h.cmd("DEL", key);
            case 1 -> h.cmd("UNLINK", key, anyKey());
            case 2 -> h.cmd("RENAME", key, anyKey());
            case 3 -> h.cmd("RENAMENX", key, anyKey());
            case 4 -> h.cmd("MOVE", key, db());
            case 5 -> h.cmd("COPY", key, anyKey(), "DB", db(), "REPLACE");
            case 6 -> h.cmd("EXPIRE", key, String.valueOf(1 + rnd.nextInt(100)));
            case 7, 8 -> h.cmd("PEXPIRE", key, ms());
            case 9 -> h.cmd("PERSIST", key);
            case 10 -> h.cmd("PEXPIREAT", key, "1");
            case 11 -> h.cmd("SORT", k("l"), "ALPHA", "STORE", anyKey());
            case 12 -> h.cmd("SELECT", db());
            default -> h.cmd("PEXPIRE", key, ms(), rnd.nextBoolean() ? "GT" : "LT");
        }
    }
}
