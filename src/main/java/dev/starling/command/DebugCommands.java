package dev.starling.command;

import dev.starling.keyspace.Db;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Numbers;
import dev.starling.server.Client;
import dev.starling.server.Server;
import dev.starling.types.ObjectEncoding;
import dev.starling.types.Quicklist;
import dev.starling.types.RawString;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * DEBUG (Redis's debug.c): the subcommands tests and tools rely on — SLEEP, POPULATE, DIGEST,
 * DIGEST-VALUE, RELOAD, LOADAOF, SET-ACTIVE-EXPIRE, OBJECT, HELP.
 *
 * <p>DEBUG is a "protected" command: with enable-debug-command "no" (Redis 7.0's default) it is
 * refused, with "local" only loopback clients may run it. Redis checks this right after arity and
 * before authentication; here it is a command filter, so it runs after the NOAUTH check (the only
 * difference: an unauthenticated client gets NOAUTH rather than "not allowed").
 */
public final class DebugCommands {
    private DebugCommands() {}

    static final String NOT_ALLOWED = "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
            + "you can run it from a local connection, otherwise you need to set this option in the configuration file, "
            + "and then restart the server.";
    static final String POSITIVE = "value is out of range, must be positive";

    static void register(CommandTable t) {
        t.bind("debug", DebugCommands::debug);
    }

    /** Installs the enable-debug-command check (Redis's allowProtectedAction). */
    static void install(Server server) {
        Command debug = server.commands.find("debug");
        server.protectedCheck = (c, cmd) -> {
            if (cmd != debug) return null; // one reference compare per command on the hot path
            return allowProtectedAction(server.config.enableDebugCommand, c) ? null : NOT_ALLOWED;
        };
    }

    static boolean allowProtectedAction(String setting, Client c) {
        return switch (setting) {
            case "yes" -> true;
            case "local" -> isLocalClient(c);
            default -> false;
        };
    }

    /** Redis's islocalClient: unix socket, 127.0.0.1 or ::1 exactly (not the whole 127/8). */
    static boolean isLocalClient(Client c) {
        if (c.channel == null) return true;
        if (!(c.channel.remoteAddress() instanceof InetSocketAddress a)) return true;
        InetAddress ip = a.getAddress();
        if (ip == null) return false;
        byte[] b = ip.getAddress();
        if (b.length == 4) return b[0] == 127 && b[1] == 0 && b[2] == 0 && b[3] == 1;
        return ip.isLoopbackAddress();
    }

    static boolean is(byte[] arg, String name) {
        if (arg.length != name.length()) return false;
        for (int i = 0; i < arg.length; i++) {
            int a = arg[i] | 0x20, b = name.charAt(i) | 0x20;
            if (a != b) return false;
        }
        return true;
    }

    private static final String[] HELP = {
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
    };

    /** Redis's addReplyHelp: the usage line, the subcommand lines, then HELP, as status replies. */
    static void addReplyHelp(Client c, String container, String[] lines) {
        c.addReplyArrayLen(lines.length + 3);
        c.addReplyStatus(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        for (String l : lines) c.addReplyStatus(l);
        c.addReplyStatus("HELP");
        c.addReplyStatus("    Prints this help.");
    }

    /** Redis's addReplySubcommandSyntaxError. */
    static void addReplySubcommandSyntaxError(Client c, String container) {
        String sub = new String(c.argv[1], StandardCharsets.UTF_8);
        if (sub.length() > 128) sub = sub.substring(0, 128);
        c.addReplyError("unknown subcommand or wrong number of arguments for '" + sub + "'. Try " + container + " HELP.");
    }

    static void debug(Client c) {
        byte[] sub = c.argv[1];
        int argc = c.argc;
        if (is(sub, "help") && argc == 2) {
            addReplyHelp(c, "DEBUG", HELP);
        } else if (is(sub, "sleep") && argc == 3) {
            sleep(c);
        } else if (is(sub, "populate") && argc >= 3 && argc <= 5) {
            populate(c);
        } else if (is(sub, "digest") && argc == 2) {
            c.addReplyStatus(Digest.hex(new Digest().datasetDigest(c.server.keyspace)));
        } else if (is(sub, "digest-value") && argc >= 2) {
            Digest d = new Digest();
            c.addReplyArrayLen(argc - 2);
            for (int j = 2; j < argc; j++) {
                c.db.expireIfNeeded(c.argv[j]);
                c.addReplyStatus(Digest.hex(d.valueDigest(c.db, c.db.dict.get(c.argv[j]))));
            }
        } else if (is(sub, "reload")) {
            c.server.rdb.debugReload(c);
        } else if (is(sub, "loadaof")) {
            c.server.aof.debugLoadAof(c);
        } else if (is(sub, "set-active-expire") && argc == 3) {
            c.server.keyspace.activeExpireEnabled = atoi(c.argv[2]) != 0;
            c.addReplyOk();
        } else if (is(sub, "object") && argc == 3) {
            object(c);
        } else if (is(sub, "quicklist-packed-threshold") && argc == 3) {
            long sz = dev.starling.config.Config.parseMemory(c.argString(2));
            // quicklistisSetPackedThreshold refuses values within 1 MB of 4 GB.
            if (sz < 0 || sz > (1L << 32) - (1 << 20)) {
                c.addReplyError("argument must be a memory value bigger than 1 and smaller than 4gb");
            } else {
                dev.starling.types.Quicklist.packedThreshold = sz;
                c.addReplyOk();
            }
        } else {
            addReplySubcommandSyntaxError(c, "DEBUG");
        }
    }

    /** DEBUG SLEEP seconds: blocks the executor on purpose (tests use it to simulate a stall). */
    static void sleep(Client c) {
        double seconds = strtod(c.argv[2]);
        long micros = (long) (seconds * 1_000_000);
        if (micros > 0) {
            try {
                Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        c.addReplyOk();
    }

    /**
     * DEBUG POPULATE count [prefix] [size]: adds keys prefix:0..count-1 (default "key") with values
     * "value:N", padded with zero bytes or truncated to size when size is given; existing keys are
     * skipped. Like Redis, the keys are not propagated.
     */
    static void populate(Client c) {
        long keys = positiveLong(c, c.argv[2]);
        if (keys < 0) return;
        long valsize = 0;
        if (c.argc == 5) {
            valsize = positiveLong(c, c.argv[4]);
            if (valsize < 0) return;
        }
        byte[] prefix = c.argc >= 4 ? c.argv[3] : KEY;
        Db db = c.db;
        db.dict.expand(db.size() + keys);
        for (long j = 0; j < keys; j++) {
            byte[] key = concat(prefix, j);
            if (db.lookupKeyWrite(key) != null) continue;
            byte[] val = concat(VALUE_PREFIX, j);
            if (valsize != 0) val = java.util.Arrays.copyOf(val, (int) Math.min(valsize, Integer.MAX_VALUE - 16));
            db.add(key, val);
        }
        c.addReplyOk();
    }

    private static final byte[] KEY = {'k', 'e', 'y'};
    private static final byte[] VALUE_PREFIX = {'v', 'a', 'l', 'u', 'e'};

    /** prefix + ":" + n, cut at 127 bytes as Redis's snprintf into a 128-byte buffer. */
    private static byte[] concat(byte[] prefix, long n) {
        byte[] num = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
        int len = Math.min(127, prefix.length + 1 + num.length);
        byte[] out = new byte[len];
        int p = Math.min(prefix.length, len);
        System.arraycopy(prefix, 0, out, 0, p);
        if (p < len) out[p++] = ':';
        if (p < len) System.arraycopy(num, 0, out, p, len - p);
        return out;
    }

    /** Redis's getPositiveLongFromObjectOrReply: the value, or -1 after replying the error. */
    private static long positiveLong(Client c, byte[] arg) {
        long v = Numbers.parseLong(arg);
        if (!Numbers.isValidLong(v, arg) || v < 0) {
            c.addReplyError(POSITIVE);
            return -1;
        }
        return v;
    }

    /**
     * DEBUG OBJECT key: Redis's low-level line. Like Redis it reads the dict directly (no lazy
     * expiry). The address is a stable fake; shared small integers (0..9999) report Redis's
     * OBJ_SHARED_REFCOUNT.
     */
    static void object(Client c) {
        KeyEntry e = c.db.dict.get(c.argv[2]);
        if (e == null) {
            c.addReplyError("no such key");
            return;
        }
        Object v = e.value;
        String enc = ObjectEncoding.encodingName(v);
        int refcount = 1;
        if (v instanceof byte[] b && "int".equals(enc)) {
            long n = Numbers.parseLong(b);
            if (n >= 0 && n < 10000) refcount = Integer.MAX_VALUE;
        }
        long addr = 0x7f0000000000L | ((long) System.identityHashCode(v) << 4);
        c.addReplyStatus("Value at:0x" + Long.toHexString(addr) + " refcount:" + refcount + " encoding:" + enc
                + " serializedlength:" + serializedLength(v) + " lru:" + e.lru
                + " lru_seconds_idle:" + c.server.keyspace.idleMillis(e) / 1000 + quicklistInfo(v));
    }

    /** DEBUG OBJECT's extra fields for a quicklist (Redis's ql_* fields), else "". */
    static String quicklistInfo(Object v) {
        if (!(v instanceof Quicklist ql)) return "";
        double avg = (double) ql.count() / ql.nodes();
        return " ql_nodes:" + ql.nodes() + " ql_avg_node:" + new java.math.BigDecimal(avg).setScale(2, java.math.RoundingMode.HALF_EVEN).toPlainString()
                + " ql_listpack_max:" + ql.fill() + " ql_compressed:" + (ql.compressDepth() != 0 ? 1 : 0)
                + " ql_uncompressed_size:" + ql.uncompressedSize();
    }

    /**
     * RDB_TYPE_LIST_QUICKLIST_2's size: the node count, then per node its container and either the
     * LZF block of a compressed node or the raw bytes as an RDB string (LZF-compressed by
     * rdbSaveRawString when over 20 bytes and it shrinks).
     */
    static long quicklistSerializedLength(Quicklist ql) {
        long n = rdbLenBytes(ql.nodes());
        for (Quicklist.Node x = ql.head(); x != null; x = x.next()) {
            n += 1;
            if (x.isCompressed()) {
                int clen = x.stored().length;
                n += 1 + rdbLenBytes(clen) + rdbLenBytes(x.size()) + clen;
                continue;
            }
            int len = x.size();
            byte[] comp = len > 20 ? dev.starling.persistence.Lzf.compress(x.raw(), 0, len, len - 4) : null;
            if (comp != null) n += 1 + rdbLenBytes(comp.length) + rdbLenBytes(len) + comp.length;
            else n += rdbLenBytes(len) + len;
        }
        return n;
    }

    /**
     * The RDB-serialized size of a value (Redis's rdbSavedObjectLen). Exact for integers (int8/16/32
     * encodings) and for strings up to 20 bytes; APPROXIMATE above that, because Redis LZF-compresses
     * longer strings and this build has no RDB writer yet: replace with the RDB module's own length
     * computation once it exists.
     */
    static long serializedLength(Object v) {
        if (v instanceof Quicklist ql) return quicklistSerializedLength(ql);
        byte[] b = v instanceof byte[] a ? a : v instanceof RawString r ? r.toBytes() : null;
        if (b == null) return 0;
        if (b.length <= 11 && Numbers.isLong(b)) {
            long n = Numbers.parseLong(b);
            if (n >= Byte.MIN_VALUE && n <= Byte.MAX_VALUE) return 2;
            if (n >= Short.MIN_VALUE && n <= Short.MAX_VALUE) return 3;
            if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) return 5;
        }
        return rdbLenBytes(b.length) + b.length;
    }

    /** Bytes of an RDB length prefix: 1 (6-bit), 2 (14-bit), 5 (32-bit) or 9 (64-bit). */
    static int rdbLenBytes(long len) {
        if (len < (1 << 6)) return 1;
        if (len < (1 << 14)) return 2;
        if (len <= 0xffffffffL) return 5;
        return 9;
    }

    /** C's atoi: optional sign and leading digits, 0 if none. */
    static long atoi(byte[] b) {
        int i = 0;
        while (i < b.length && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r'))) i++;
        boolean neg = false;
        if (i < b.length && (b[i] == '-' || b[i] == '+')) neg = b[i++] == '-';
        long v = 0;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') v = v * 10 + (b[i++] - '0');
        return neg ? -v : v;
    }

    private static final java.util.regex.Pattern FLOAT_PREFIX =
            java.util.regex.Pattern.compile("^\\s*[+-]?(\\d+\\.?\\d*([eE][+-]?\\d+)?|\\.\\d+([eE][+-]?\\d+)?|inf(inity)?)",
                    java.util.regex.Pattern.CASE_INSENSITIVE);

    /** C's strtod on the longest valid prefix, 0 if none (DEBUG SLEEP "x" sleeps 0 seconds). */
    static double strtod(byte[] b) {
        java.util.regex.Matcher m = FLOAT_PREFIX.matcher(new String(b, StandardCharsets.ISO_8859_1));
        if (!m.find()) return 0;
        String s = m.group().trim();
        if (s.toLowerCase(java.util.Locale.ROOT).contains("inf")) return s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
