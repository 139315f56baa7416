package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.KeyEntry;
import dev.starling.keyspace.Keyspace;
import dev.starling.persistence.Crc64;
import dev.starling.persistence.Rdb;
import dev.starling.persistence.RdbException;
import dev.starling.persistence.RdbReader;
import dev.starling.persistence.RdbWriter;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Client;

/**
 * DUMP and RESTORE (Redis 7.0's cluster.c). A payload is the value in RDB format (type byte and
 * body, {@link RdbWriter}), the 2-byte RDB version and the CRC-64 of everything before it, both
 * little-endian.
 *
 * <p>RESTORE checks in Redis's order: options, then the key (BUSYKEY unless REPLACE), then the
 * TTL, then the footer (version at most 10 and the checksum), then the body, which is read from
 * the whole argument as Redis reads it (a body may run into the footer; trailing bytes are
 * ignored). Any load failure is "Bad data format". A TTL already in the past stores nothing (and
 * REPLACE still deletes the old key).
 *
 * <p>For replication (not built yet), Redis propagates a relative TTL as its absolute time with
 * ABSTTL appended, and a RESTORE that only deleted the old key as DEL.
 */
public final class DumpCommands {
    private DumpCommands() {}

    static void register(CommandTable t) {
        t.bind("dump", DumpCommands::dump);
        t.bind("restore", DumpCommands::restore);
    }

    static void dump(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        if (e == null) {
            c.addReplyNull();
            return;
        }
        c.addReplyBulk(RdbWriter.dumpPayload(e.value, c.server.config.rdbcompression));
    }

    /** verifyDumpPayload: at least the footer, a version Redis 7.0 reads, and a matching CRC-64. */
    static boolean verifyDumpPayload(byte[] p) {
        int len = p.length;
        if (len < 10) return false;
        int ver = (p[len - 10] & 0xff) | (p[len - 9] & 0xff) << 8;
        if (ver > Rdb.VERSION) return false;
        long crc = Crc64.of(p, 0, len - 8);
        for (int i = 0; i < 8; i++) {
            if (p[len - 8 + i] != (byte) (crc >>> (8 * i))) return false;
        }
        return true;
    }

    /**
     * Redis's deep_integrity_validation decision for a RESTORE: "yes" always, "clients" unless
     * the command comes from the master link.
     */
    static boolean deepSanitization(Client c) {
        String mode = c.server.config.sanitizeDumpPayload;
        if (mode.equals("yes")) return true;
        return mode.equals("clients") && !c.has(Client.MASTER);
    }

    static void restore(Client c) {
        long lfuFreq = -1, lruIdle = -1;
        int lruClock = -1;
        boolean replace = false, absttl = false;
        Keyspace ks = c.server.keyspace;
        for (int j = 4; j < c.argc; j++) {
            int additional = c.argc - j - 1;
            byte[] o = c.argv[j];
            if (KeyCommands.is(o, "replace")) {
                replace = true;
            } else if (KeyCommands.is(o, "absttl")) {
                absttl = true;
            } else if (KeyCommands.is(o, "idletime") && additional >= 1 && lfuFreq == -1) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                lruIdle = c.llval;
                if (lruIdle < 0) {
                    c.addReplyError(Errors.RESTORE_BAD_IDLETIME);
                    return;
                }
                lruClock = ks.lruClock();
                j++;
            } else if (KeyCommands.is(o, "freq") && additional >= 1 && lruIdle == -1) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                lfuFreq = c.llval;
                if (lfuFreq < 0 || lfuFreq > 255) {
                    c.addReplyError(Errors.RESTORE_BAD_FREQ);
                    return;
                }
                j++;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        byte[] key = c.argv[1];
        if (!replace && c.db.lookupKeyWrite(key) != null) {
            c.addReplyError(Errors.BUSYKEY);
            return;
        }
        if (!c.getLongLong(c.argv[2], null)) return;
        long ttl = c.llval;
        if (ttl < 0) {
            c.addReplyError(Errors.RESTORE_BAD_TTL);
            return;
        }
        byte[] payload = c.argv[3];
        if (!verifyDumpPayload(payload)) {
            c.addReplyError(Errors.DUMP_PAYLOAD_WRONG);
            return;
        }
        RdbReader reader = new RdbReader(payload, c.server.config, deepSanitization(c));
        Object obj;
        try {
            int type = reader.loadType();
            // Only the types Redis 7.0 knows: a later type in a version-10 payload is malformed.
            if (!Rdb.isObjectType70(type)) throw new RdbException(RdbException.Kind.CORRUPT, "unknown type " + type);
            obj = reader.loadObject(type);
        } catch (RdbException e) {
            c.addReplyError(Errors.BAD_DATA_FORMAT);
            return;
        } finally {
            c.server.stats.dumpPayloadSanitizations += reader.sanitizations;
        }
        boolean deleted = replace && c.db.delete(key);
        if (ttl != 0 && !absttl) ttl += ks.clock.millis();
        if (ttl != 0 && KeyCommands.checkAlreadyExpired(c, ttl)) {
            if (deleted) {
                c.rewriteCommandVector(Propagator.DEL, key);
                c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
                c.server.dirty++;
            }
            c.addReply(Resp.OK);
            return;
        }
        KeyEntry e = c.db.add(key, obj);
        if (ttl != 0) {
            c.db.setExpire(key, ttl);
            // A relative TTL propagates as the absolute time it gave here.
            if (!absttl && c.server.propagator.active()) {
                c.rewriteCommandArgument(2, StringCommands.longToBytes(ttl));
                c.rewriteCommandArgument(c.argc, Propagator.ABSTTL);
            }
        }
        objectSetLRUOrLFU(c.server, e, lfuFreq, lruIdle, lruClock);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "restore", key, c.db.id);
        c.addReply(Resp.OK);
        c.server.dirty++;
    }

    /**
     * objectSetLRUOrLFU: under an LFU policy a given FREQ becomes the counter; otherwise a given
     * IDLETIME (seconds) moves the access clock back, wrapping to half a clock period ahead when
     * it would underflow.
     */
    public static void objectSetLRUOrLFU(dev.starling.server.Server server, KeyEntry e, long lfuFreq, long lruIdle, int lruClock) {
        Keyspace ks = server.keyspace;
        if (server.config.maxmemoryPolicy.contains("lfu")) {
            if (lfuFreq >= 0) e.lru = (ks.lfuTimeInMinutes() << 8) | (int) lfuFreq;
        } else if (lruIdle >= 0) {
            lruIdle = lruIdle * 1000 / Keyspace.LRU_CLOCK_RESOLUTION;
            long lruAbs = lruClock - lruIdle;
            if (lruAbs < 0) lruAbs = (lruClock + (Keyspace.LRU_CLOCK_MAX / 2)) % Keyspace.LRU_CLOCK_MAX;
            e.lru = (int) lruAbs;
        }
    }
}
