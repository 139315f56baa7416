package dev.starling.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one table of configuration options: it drives redis.conf parsing, command-line options,
 * CONFIG GET/SET/REWRITE and the server's live values.
 *
 * <h2>Design</h2>
 * Every option has a canonical name, its Redis aliases (slave-* for replica-*, *-ziplist-* for
 * *-listpack-*), a type whose parser gives Redis's exact error texts, and a setter that writes a
 * plain field of this object. The server reads those fields directly on its hot paths (no map
 * lookups per command). Options of subsystems that do not read a field yet keep their value in
 * the option itself ({@link #get(String)}). Values are applied all-or-nothing by {@link #setAll},
 * as CONFIG SET does.
 */
public final class Config {
    // ---------------------------------------------------------------- live values (read by the server)
    public int port = 6379;
    public String[] bind = {"*", "-::*"};
    public boolean protectedMode = true;
    public int databases = 16;
    public int tcpBacklog = 511;
    public int maxclients = 10000;
    public int timeout = 0;
    public int tcpKeepalive = 300;
    public int hz = 10;
    public boolean dynamicHz = true;
    public int activeExpireEffort = 1;
    public long protoMaxBulkLen = 512L * 1024 * 1024;
    public long clientQueryBufferLimit = 1024L * 1024 * 1024;
    public String requirepass = "";
    public String loglevel = "notice";
    public String logfile = "";
    public String pidfile = "";
    public String dir = System.getProperty("user.dir");
    public String dbfilename = "dump.rdb";
    public boolean daemonize = false;
    public boolean alwaysShowLogo = false;
    /** Bytes; Redis's unsigned values above Long.MAX_VALUE are clamped to it. */
    public long maxmemory = 0;
    public String maxmemoryPolicy = "noeviction";
    public int maxmemorySamples = 5;
    public int maxmemoryEvictionTenacity = 10;
    public int lfuLogFactor = 10;
    public int lfuDecayTime = 1;
    public long slowlogLogSlowerThan = 10000;
    public int slowlogMaxLen = 128;
    public long latencyMonitorThreshold = 0;
    public long[][] savePoints = {{3600, 1}, {300, 100}, {60, 10000}};
    /** enable-debug-command: "no" (Redis 7.0's default), "yes", or "local" (loopback clients only). */
    public String enableDebugCommand = "no";

    /** Bytes, or a percentage of maxmemory when negative (-50 is "50%"). */
    public long maxmemoryClients = 0;
    public boolean lazyfreeLazyEviction, lazyfreeLazyExpire, lazyfreeLazyServerDel, lazyfreeLazyUserDel, lazyfreeLazyUserFlush;
    public boolean activerehashing = true;
    public int[] oomScoreAdjValues = {0, 200, 800};
    public long hashMaxListpackEntries = 512, hashMaxListpackValue = 64;
    public long zsetMaxListpackEntries = 128, zsetMaxListpackValue = 64;
    public long setMaxIntsetEntries = 512;
    public int listMaxListpackSize = -2, listCompressDepth = 0;
    public long hllSparseMaxBytes = 3000, streamNodeMaxBytes = 4096, streamNodeMaxEntries = 100;
    /** NOTIFY_* bits below. */
    public int notifyKeyspaceEvents = 0;
    public long busyReplyThreshold = 5000;
    public boolean latencyTracking = true;
    public double[] latencyTrackingInfoPercentiles = {50.0, 99.0, 99.9};
    public String enableProtectedConfigs = "no";
    /** Output buffer limits by class (0 normal, 1 replica, 2 pubsub): {hard, soft, softSeconds}. */
    public long[][] clientOutputBufferLimits = {{0, 0, 0}, {256L << 20, 64L << 20, 60}, {32L << 20, 8L << 20, 60}};
    public int unixsocketperm = 0;
    public boolean rdbcompression = true, rdbchecksum = true, stopWritesOnBgsaveError = true;
    /** Microseconds to sleep per key while loading / saving an RDB (negative: 1 us every -n keys on average); for tests. Read by the loader and writer threads. */
    public volatile int keyLoadDelay, rdbKeySaveDelay;
    /** "no", "yes" or "clients": when RESTORE and loading validate payloads deeply. */
    public String sanitizeDumpPayload = "no";
    public boolean appendonly = false;
    public String appendfilename = "appendonly.aof", appenddirname = "appendonlydir", appendfsync = "everysec";
    /** "host port", or "" when not a replica. */
    public String replicaof = "";
    public String masterauth = "", masteruser = "";
    public boolean replicaServeStaleData = true, replicaReadOnly = true, replicaIgnoreMaxmemory = true;
    public int replPingReplicaPeriod = 10, replTimeout = 60;
    public long replBacklogSize = 1L << 20, replBacklogTtl = 3600;
    public int minReplicasToWrite = 0, minReplicasMaxLag = 10;
    public boolean clusterEnabled = false;
    public String clusterAnnounceHostname = "";
    public int tlsPort = 0;
    private static final String TLS_UPDATE_FAILED = "Unable to update TLS configuration. Check server logs.";

    // Keyspace notification classes (Redis's NOTIFY_*).
    public static final int NOTIFY_KEYSPACE = 1, NOTIFY_KEYEVENT = 1 << 1, NOTIFY_GENERIC = 1 << 2, NOTIFY_STRING = 1 << 3,
            NOTIFY_LIST = 1 << 4, NOTIFY_SET = 1 << 5, NOTIFY_HASH = 1 << 6, NOTIFY_ZSET = 1 << 7, NOTIFY_EXPIRED = 1 << 8,
            NOTIFY_EVICTED = 1 << 9, NOTIFY_STREAM = 1 << 10, NOTIFY_KEY_MISS = 1 << 11, NOTIFY_LOADED = 1 << 12,
            NOTIFY_MODULE = 1 << 13, NOTIFY_NEW = 1 << 14;
    public static final int NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH
            | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

    // ---------------------------------------------------------------- option table

    /** Option flags, as Redis's *_CONFIG flags. */
    public static final int IMMUTABLE = 1, SENSITIVE = 2, HIDDEN = 4, PROTECTED = 8, MULTI_ARG = 16;

    /** Value kinds, for CONFIG REWRITE's formatting. */
    public static final int KIND_SPECIAL = 0, KIND_BOOL = 1, KIND_NUMBER = 2, KIND_MEMORY = 3, KIND_ENUM = 4, KIND_STRING = 5;

    /** One option: parses and applies a value, and renders the current one. */
    public static final class Option {
        public final String name;
        public final String[] aliases;
        public int flags;
        public final String defaultValue;
        final Parser parser;
        final Supplier<String> getter;
        /** KIND_*: how CONFIG REWRITE writes the value. */
        public int kind = KIND_SPECIAL;
        /** True if the value lives in the option (no subsystem field reads it yet). */
        boolean placeholder;

        Option(String name, String[] aliases, int flags, String defaultValue, Parser parser, Supplier<String> getter) {
            this.name = name;
            this.aliases = aliases;
            this.flags = flags;
            this.defaultValue = defaultValue;
            this.parser = parser;
            this.getter = getter;
        }

        /** The value as CONFIG GET shows it. */
        public String get() {
            return getter.get();
        }

        public boolean is(int flag) {
            return (flags & flag) != 0;
        }

        /** Validates args (without applying them) and returns the action that applies them. */
        public Runnable parse(String[] args) throws ConfigError {
            return parser.parse(args);
        }
    }

    /** Validates args and returns the action that applies them, or throws ConfigError with Redis's text. */
    @FunctionalInterface
    public interface Parser {
        Runnable parse(String[] args) throws ConfigError;
    }

    /** A rejected value; the message is Redis's reason text (e.g. "argument must be 'yes' or 'no'"). */
    public static final class ConfigError extends Exception {
        public ConfigError(String message) {
            super(message, null, false, false);
        }
    }

    private final Map<String, Option> byName = new LinkedHashMap<>();
    private final List<Option> options = new ArrayList<>();

    public Config() {
        defineOptions();
    }

    public Option lookup(String name) {
        return byName.get(name.toLowerCase(Locale.ROOT));
    }

    public List<Option> options() {
        return options;
    }

    /** The current value of an option as CONFIG GET shows it, or null if there is no such option. */
    public String get(String name) {
        Option o = lookup(name);
        return o == null ? null : o.get();
    }

    /** Boolean value of a yes/no option without a live field. */
    public boolean getBool(String name) {
        return "yes".equals(get(name));
    }

    /** Numeric value of an integer or memory option without a live field. */
    public long getLong(String name) {
        return Long.parseLong(get(name));
    }

    /** Told after CONFIG SET applied options, with their canonical names (log level, hz, ...). */
    public interface ChangeListener {
        void changed(Option o);
    }

    public final List<ChangeListener> changeListeners = new ArrayList<>();

    // ---------------------------------------------------------------- definitions

    private static final String[] NONE = new String[0];
    private static final long INT_MAX = Integer.MAX_VALUE, INT_MIN = Integer.MIN_VALUE, UINT_MAX = 4294967295L,
            LLONG_MAX = Long.MAX_VALUE;

    private static String[] alias(String a) {
        return new String[] {a};
    }

    private void defineOptions() {
        // Options the server core reads (live fields).
        intOpt("port", 0, 6379, 0, 65535, v -> port = v, () -> port);
        special("bind", NONE, MULTI_ARG, "* -::*", args -> {
            String[] v = splitIfOne(args);
            if (v.length > 16) throw new ConfigError("Too many bind addresses specified.");
            return () -> bind = v;
        }, () -> String.join(" ", bind));
        boolOpt("protected-mode", 0, true, v -> protectedMode = v, () -> protectedMode);
        intOpt("databases", IMMUTABLE, 16, 1, Integer.MAX_VALUE, v -> databases = v, () -> databases);
        intOpt("tcp-backlog", IMMUTABLE, 511, 0, Integer.MAX_VALUE, v -> tcpBacklog = v, () -> tcpBacklog);
        uintOpt("maxclients", 0, 10000, 1, UINT_MAX, v -> maxclients = (int) Math.min(Integer.MAX_VALUE, v), () -> (long) maxclients);
        intOpt("timeout", 0, 0, 0, Integer.MAX_VALUE, v -> timeout = v, () -> timeout);
        intOpt("tcp-keepalive", 0, 300, 0, Integer.MAX_VALUE, v -> tcpKeepalive = v, () -> tcpKeepalive);
        // Redis clamps hz into [1, 500] when applying, and CONFIG GET shows the clamped value.
        intOpt("hz", 0, 10, 0, Integer.MAX_VALUE, v -> hz = Math.max(1, Math.min(500, v)), () -> hz);
        boolOpt("dynamic-hz", 0, true, v -> dynamicHz = v, () -> dynamicHz);
        intOpt("active-expire-effort", 0, 1, 1, 10, v -> activeExpireEffort = v, () -> activeExpireEffort);
        memOpt("proto-max-bulk-len", 0, 512L << 20, 1024 * 1024, Long.MAX_VALUE, v -> protoMaxBulkLen = v, () -> protoMaxBulkLen);
        memOpt("client-query-buffer-limit", 0, 1L << 30, 1024 * 1024, Long.MAX_VALUE, v -> clientQueryBufferLimit = v, () -> clientQueryBufferLimit);
        stringOpt("requirepass", NONE, SENSITIVE, "", v -> requirepass = v, () -> requirepass);
        enumOpt("loglevel", 0, "notice", new String[] {"debug", "verbose", "notice", "warning"}, v -> loglevel = v, () -> loglevel);
        stringOpt("logfile", NONE, IMMUTABLE, "", v -> logfile = v, () -> logfile);
        stringOpt("pidfile", NONE, IMMUTABLE, "", v -> pidfile = v, () -> pidfile);
        special("dir", NONE, PROTECTED, "", args -> {
            String v = one(args);
            // Relative to the current directory, which for the server is dir (the JVM cannot chdir).
            java.io.File f = new java.io.File(v);
            if (!f.isAbsolute()) f = new java.io.File(dir == null ? System.getProperty("user.dir") : dir, v);
            if (!f.exists()) throw new ConfigError("No such file or directory");
            if (!f.isDirectory()) throw new ConfigError("Not a directory");
            String abs = f.toPath().normalize().toString();
            return () -> dir = abs;
        }, () -> dir);
        special("dbfilename", NONE, PROTECTED, "dump.rdb", args -> {
            String v = one(args);
            if (v.indexOf('/') >= 0 || v.equals(".") || v.equals("..")) throw new ConfigError("dbfilename can't be a path, just a filename");
            return () -> dbfilename = v;
        }, () -> dbfilename);
        last().kind = KIND_STRING;
        boolOpt("daemonize", IMMUTABLE, false, v -> daemonize = v, () -> daemonize);
        boolOpt("always-show-logo", IMMUTABLE, false, v -> alwaysShowLogo = v, () -> alwaysShowLogo);
        ullMemOpt("maxmemory", 0, 0, v -> maxmemory = v, () -> maxmemory);
        enumOpt("maxmemory-policy", 0, "noeviction", new String[] {"volatile-lru", "volatile-lfu", "volatile-random",
                "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, v -> maxmemoryPolicy = v, () -> maxmemoryPolicy);
        intOpt("maxmemory-samples", 0, 5, 1, Integer.MAX_VALUE, v -> maxmemorySamples = v, () -> maxmemorySamples);
        intOpt("maxmemory-eviction-tenacity", 0, 10, 0, 100, v -> maxmemoryEvictionTenacity = v, () -> maxmemoryEvictionTenacity);
        intOpt("lfu-log-factor", 0, 10, 0, Integer.MAX_VALUE, v -> lfuLogFactor = v, () -> lfuLogFactor);
        intOpt("lfu-decay-time", 0, 1, 0, Integer.MAX_VALUE, v -> lfuDecayTime = v, () -> lfuDecayTime);
        longOpt("slowlog-log-slower-than", 0, 10000, -1, Long.MAX_VALUE, v -> slowlogLogSlowerThan = v, () -> slowlogLogSlowerThan);
        longOpt("slowlog-max-len", 0, 128, 0, Long.MAX_VALUE, v -> slowlogMaxLen = (int) Math.min(Integer.MAX_VALUE, v), () -> (long) slowlogMaxLen);
        longOpt("latency-monitor-threshold", 0, 0, 0, Long.MAX_VALUE, v -> latencyMonitorThreshold = v, () -> latencyMonitorThreshold);
        special("save", NONE, MULTI_ARG, "3600 1 300 100 60 10000", this::parseSave, this::renderSave);

        // Memory and eviction.
        memPercentOpt("maxmemory-clients", 0, v -> maxmemoryClients = v, () -> maxmemoryClients);
        boolOpt("lazyfree-lazy-eviction", 0, false, v -> lazyfreeLazyEviction = v, () -> lazyfreeLazyEviction);
        boolOpt("lazyfree-lazy-expire", 0, false, v -> lazyfreeLazyExpire = v, () -> lazyfreeLazyExpire);
        boolOpt("lazyfree-lazy-server-del", 0, false, v -> lazyfreeLazyServerDel = v, () -> lazyfreeLazyServerDel);
        boolOpt("lazyfree-lazy-user-del", 0, false, v -> lazyfreeLazyUserDel = v, () -> lazyfreeLazyUserDel);
        boolOpt("lazyfree-lazy-user-flush", 0, false, v -> lazyfreeLazyUserFlush = v, () -> lazyfreeLazyUserFlush);
        boolOpt("activerehashing", 0, true, v -> activerehashing = v, () -> activerehashing);
        special("activedefrag", NONE, 0, "no", args -> {
            if (parseBool(one(args))) {
                throw new ConfigError("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
            }
            return null;
        }, () -> "no");
        last().kind = KIND_BOOL;
        intOpt("active-defrag-cycle-min", 0, 1, 1, 99, null, null);
        intOpt("active-defrag-cycle-max", 0, 25, 1, 99, null, null);
        intOpt("active-defrag-threshold-lower", 0, 10, 0, 1000, null, null);
        intOpt("active-defrag-threshold-upper", 0, 100, 0, 1000, null, null);
        memOpt("active-defrag-ignore-bytes", 0, 100L << 20, 1, Long.MAX_VALUE, null, null);
        longOpt("active-defrag-max-scan-fields", 0, 1000, 1, Long.MAX_VALUE, null, null);
        boolOpt("jemalloc-bg-thread", 0, true, null, null);
        boolOpt("disable-thp", IMMUTABLE, true, null, null);
        enumOpt("oom-score-adj", 0, "no", new String[] {"no", "yes", "relative", "absolute"}, null, null);
        special("oom-score-adj-values", NONE, MULTI_ARG, "0 200 800", args -> {
            String[] a = splitIfOne(args);
            if (a.length != 3) throw new ConfigError("wrong number of arguments");
            int[] v = new int[3];
            for (int i = 0; i < 3; i++) {
                long x;
                try {
                    x = a[i].isEmpty() ? 0 : Long.parseLong(a[i]); // strtol: "" is 0
                } catch (NumberFormatException e) {
                    x = Long.MAX_VALUE;
                }
                if (x < -2000 || x > 2000) throw new ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
                v[i] = (int) x;
            }
            return () -> oomScoreAdjValues = v;
        }, () -> oomScoreAdjValues[0] + " " + oomScoreAdjValues[1] + " " + oomScoreAdjValues[2]);
        intOpt("watchdog-period", HIDDEN, 0, 0, Integer.MAX_VALUE, null, null);

        // Encodings of small collections (types read these).
        sizeOpt("hash-max-listpack-entries", alias("hash-max-ziplist-entries"), 512, false, v -> hashMaxListpackEntries = v, () -> hashMaxListpackEntries);
        sizeOpt("hash-max-listpack-value", alias("hash-max-ziplist-value"), 64, true, v -> hashMaxListpackValue = v, () -> hashMaxListpackValue);
        sizeOpt("zset-max-listpack-entries", alias("zset-max-ziplist-entries"), 128, false, v -> zsetMaxListpackEntries = v, () -> zsetMaxListpackEntries);
        sizeOpt("zset-max-listpack-value", alias("zset-max-ziplist-value"), 64, true, v -> zsetMaxListpackValue = v, () -> zsetMaxListpackValue);
        sizeOpt("set-max-intset-entries", NONE, 512, false, v -> setMaxIntsetEntries = v, () -> setMaxIntsetEntries);
        intOpt("list-max-listpack-size", alias("list-max-ziplist-size"), 0, -2, Integer.MIN_VALUE, Integer.MAX_VALUE, v -> listMaxListpackSize = v, () -> listMaxListpackSize);
        intOpt("list-compress-depth", NONE, 0, 0, 0, Integer.MAX_VALUE, v -> listCompressDepth = v, () -> listCompressDepth);
        sizeOpt("hll-sparse-max-bytes", NONE, 3000, true, v -> hllSparseMaxBytes = v, () -> hllSparseMaxBytes);
        sizeOpt("stream-node-max-bytes", NONE, 4096, true, v -> streamNodeMaxBytes = v, () -> streamNodeMaxBytes);
        longOpt("stream-node-max-entries", 0, 100, 0, Long.MAX_VALUE, v -> streamNodeMaxEntries = v, () -> streamNodeMaxEntries);

        // Keyspace events, tracking, scripting, latency.
        special("notify-keyspace-events", NONE, 0, "", args -> {
            int v = keyspaceEventsFromString(one(args));
            if (v < 0) throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            return () -> notifyKeyspaceEvents = v;
        }, () -> keyspaceEventsToString(notifyKeyspaceEvents));
        sizeOpt("tracking-table-max-keys", NONE, 1000000, false, null, null);
        longOpt("busy-reply-threshold", alias("lua-time-limit"), 0, 5000, 0, Long.MAX_VALUE, v -> busyReplyThreshold = v, () -> busyReplyThreshold);
        boolOpt("latency-tracking", 0, true, v -> latencyTracking = v, () -> latencyTracking);
        special("latency-tracking-info-percentiles", NONE, MULTI_ARG, "50 99 99.9", args -> {
            String[] a = splitIfOne(args);
            double[] v = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                double d;
                try {
                    String x = a[i];
                    d = x.startsWith("0x") || x.startsWith("0X") ? Long.parseLong(x.substring(2), 16) : Double.parseDouble(x);
                    if (a[i].isEmpty() || Character.isWhitespace(a[i].charAt(0)) || Character.isLetter(a[i].charAt(a[i].length() - 1))) throw new NumberFormatException();
                } catch (NumberFormatException e) {
                    throw new ConfigError("Invalid latency-tracking-info-percentiles parameters");
                }
                if (d < 0.0 || d > 100.0) throw new ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
                v[i] = d;
            }
            return () -> latencyTrackingInfoPercentiles = v;
        }, () -> {
            StringBuilder sb = new StringBuilder();
            for (double d : latencyTrackingInfoPercentiles) {
                if (sb.length() > 0) sb.append(' ');
                sb.append(formatG(d));
            }
            return sb.toString();
        });
        sizeOpt("acllog-max-len", NONE, 128, false, null, null);
        stringOpt("aclfile", NONE, IMMUTABLE, "", null, null);
        enumOpt("acl-pubsub-default", 0, "resetchannels", new String[] {"allchannels", "resetchannels"}, null, null);
        enumOpt("sanitize-dump-payload", 0, "no", new String[] {"no", "yes", "clients"}, v -> sanitizeDumpPayload = v, () -> sanitizeDumpPayload);
        enumOpt("enable-protected-configs", IMMUTABLE, "no", new String[] {"no", "yes", "local"}, v -> enableProtectedConfigs = v, () -> enableProtectedConfigs);
        enumOpt("enable-debug-command", IMMUTABLE, "no", new String[] {"no", "yes", "local"}, v -> enableDebugCommand = v, () -> enableDebugCommand);
        enumOpt("enable-module-command", IMMUTABLE, "no", new String[] {"no", "yes", "local"}, null, null);
        special("client-output-buffer-limit", NONE, MULTI_ARG, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
                this::parseClientOutputBufferLimit, this::renderClientOutputBufferLimit);

        // Process, logging, supervision.
        boolOpt("syslog-enabled", IMMUTABLE, false, null, null);
        stringOpt("syslog-ident", NONE, IMMUTABLE, "redis", null, null);
        enumOpt("syslog-facility", IMMUTABLE, "local0", new String[] {"user", "local0", "local1", "local2", "local3",
                "local4", "local5", "local6", "local7"}, null, null);
        enumOpt("supervised", IMMUTABLE, "no", new String[] {"upstart", "systemd", "auto", "no"}, null, null);
        boolOpt("set-proc-title", IMMUTABLE, true, null, null);
        String[] procTitle = {"{title} {listen-addr} {server-mode}"};
        special("proc-title-template", NONE, 0, procTitle[0], args -> {
            String v = one(args);
            if (!validProcTitleTemplate(v)) throw new ConfigError("template format is invalid or contains unknown variables");
            return () -> procTitle[0] = v;
        }, () -> procTitle[0]);
        last().kind = KIND_STRING;
        boolOpt("crash-log-enabled", 0, true, null, null);
        boolOpt("crash-memcheck-enabled", 0, true, null, null);
        boolOpt("use-exit-on-panic", NONE, HIDDEN, false, null, null);
        stringOpt("ignore-warnings", NONE, 0, "", null, null);
        intOpt("shutdown-timeout", 0, 10, 0, Integer.MAX_VALUE, null, null);
        flagsOpt("shutdown-on-sigint", "default");
        flagsOpt("shutdown-on-sigterm", "default");
        stringOpt("unixsocket", NONE, IMMUTABLE, "", null, null);
        special("unixsocketperm", NONE, IMMUTABLE, "0", args -> {
            String v = one(args);
            long p;
            try {
                p = Long.parseLong(v, 8);
            } catch (NumberFormatException e) {
                throw new ConfigError("argument couldn't be parsed into an integer");
            }
            if (p < 0 || p > 0777) throw new ConfigError("argument must be between 0 and 777 inclusive");
            return () -> unixsocketperm = (int) p;
        }, () -> Integer.toOctalString(unixsocketperm));
        intOpt("socket-mark-id", IMMUTABLE, 0, 0, Integer.MAX_VALUE, null, null);
        stringOpt("bind-source-addr", NONE, 0, "", null, null);
        intOpt("io-threads", IMMUTABLE, 1, 1, 128, null, null);
        boolOpt("io-threads-do-reads", IMMUTABLE, false, null, null);
        stringOpt("server_cpulist", NONE, IMMUTABLE, "", null, null);
        stringOpt("bio_cpulist", NONE, IMMUTABLE, "", null, null);
        stringOpt("aof_rewrite_cpulist", NONE, IMMUTABLE, "", null, null);
        stringOpt("bgsave_cpulist", NONE, IMMUTABLE, "", null, null);
        sizeOpt("loading-process-events-interval-bytes", NONE, 2L << 20, false, null, null);
        hideLast();
        intOpt("rdb-key-save-delay", NONE, HIDDEN, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, v -> rdbKeySaveDelay = v, () -> rdbKeySaveDelay);
        intOpt("key-load-delay", NONE, HIDDEN, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, v -> keyLoadDelay = v, () -> keyLoadDelay);

        // Persistence: RDB and AOF.
        boolOpt("rdbcompression", 0, true, v -> rdbcompression = v, () -> rdbcompression);
        boolOpt("rdbchecksum", IMMUTABLE, true, v -> rdbchecksum = v, () -> rdbchecksum);
        boolOpt("rdb-del-sync-files", 0, false, null, null);
        boolOpt("rdb-save-incremental-fsync", 0, true, null, null);
        boolOpt("stop-writes-on-bgsave-error", 0, true, v -> stopWritesOnBgsaveError = v, () -> stopWritesOnBgsaveError);
        boolOpt("appendonly", 0, false, v -> appendonly = v, () -> appendonly);
        special("appendfilename", NONE, IMMUTABLE, "appendonly.aof", args -> {
            String v = one(args);
            if (v.isEmpty() || v.indexOf('/') >= 0 || v.equals(".") || v.equals("..")) throw new ConfigError("appendfilename can't be a path, just a filename");
            return () -> appendfilename = v;
        }, () -> appendfilename);
        last().kind = KIND_STRING;
        special("appenddirname", NONE, IMMUTABLE, "appendonlydir", args -> {
            String v = one(args);
            if (v.isEmpty() || v.indexOf('/') >= 0 || v.equals(".") || v.equals("..")) throw new ConfigError("appenddirname can't be a path, just a dirname");
            return () -> appenddirname = v;
        }, () -> appenddirname);
        last().kind = KIND_STRING;
        enumOpt("appendfsync", 0, "everysec", new String[] {"everysec", "always", "no"}, v -> appendfsync = v, () -> appendfsync);
        boolOpt("no-appendfsync-on-rewrite", 0, false, null, null);
        intOpt("auto-aof-rewrite-percentage", 0, 100, 0, Integer.MAX_VALUE, null, null);
        memOpt("auto-aof-rewrite-min-size", 0, 64L << 20, 0, Long.MAX_VALUE, null, null);
        boolOpt("aof-rewrite-incremental-fsync", 0, true, null, null);
        boolOpt("aof-load-truncated", 0, true, null, null);
        boolOpt("aof-use-rdb-preamble", 0, true, null, null);
        boolOpt("aof-timestamp-enabled", 0, false, null, null);
        boolOpt("aof-disable-auto-gc", 0, false, null, null);

        // Replication.
        special("replicaof", alias("slaveof"), IMMUTABLE | MULTI_ARG, "", args -> {
            if (args.length != 2) throw new ConfigError("wrong number of arguments");
            String host = args[0], portText = args[1];
            if (host.equalsIgnoreCase("no") && portText.equalsIgnoreCase("one")) return () -> replicaof = "";
            long p;
            try {
                p = strictLong(portText);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 0 || p > 65535) throw new ConfigError("Invalid master port");
            String v = host + " " + p;
            return () -> replicaof = v;
        }, () -> replicaof);
        stringOpt("masterauth", NONE, SENSITIVE, "", v -> masterauth = v, () -> masterauth);
        stringOpt("masteruser", NONE, SENSITIVE, "", v -> masteruser = v, () -> masteruser);
        boolOpt("replica-serve-stale-data", alias("slave-serve-stale-data"), 0, true, v -> replicaServeStaleData = v, () -> replicaServeStaleData);
        boolOpt("replica-read-only", alias("slave-read-only"), 0, true, v -> replicaReadOnly = v, () -> replicaReadOnly);
        boolOpt("replica-ignore-maxmemory", alias("slave-ignore-maxmemory"), 0, true, v -> replicaIgnoreMaxmemory = v, () -> replicaIgnoreMaxmemory);
        boolOpt("replica-lazy-flush", alias("slave-lazy-flush"), 0, false, null, null);
        boolOpt("replica-announced", 0, true, null, null);
        boolOpt("replica-ignore-disk-write-errors", 0, false, null, null);
        stringOpt("replica-announce-ip", alias("slave-announce-ip"), 0, "", null, null);
        intOpt("replica-announce-port", alias("slave-announce-port"), 0, 0, 0, 65535, null, null);
        intOpt("replica-priority", alias("slave-priority"), 0, 100, 0, Integer.MAX_VALUE, null, null);
        boolOpt("repl-diskless-sync", 0, true, null, null);
        intOpt("repl-diskless-sync-delay", 0, 5, 0, Integer.MAX_VALUE, null, null);
        intOpt("repl-diskless-sync-max-replicas", 0, 0, 0, Integer.MAX_VALUE, null, null);
        enumOpt("repl-diskless-load", 0, "disabled", new String[] {"disabled", "on-empty-db", "swapdb"}, null, null);
        boolOpt("repl-disable-tcp-nodelay", 0, false, null, null);
        intOpt("repl-ping-replica-period", alias("repl-ping-slave-period"), 0, 10, 1, Integer.MAX_VALUE, v -> replPingReplicaPeriod = v, () -> replPingReplicaPeriod);
        intOpt("repl-timeout", 0, 60, 1, Integer.MAX_VALUE, v -> replTimeout = v, () -> replTimeout);
        memOpt("repl-backlog-size", 0, 1L << 20, 1, Long.MAX_VALUE, v -> replBacklogSize = Math.max(16 * 1024, v), () -> replBacklogSize);
        longOpt("repl-backlog-ttl", 0, 3600, 0, Long.MAX_VALUE, v -> replBacklogTtl = v, () -> replBacklogTtl);
        intOpt("min-replicas-to-write", alias("min-slaves-to-write"), 0, 0, 0, Integer.MAX_VALUE, v -> minReplicasToWrite = v, () -> minReplicasToWrite);
        intOpt("min-replicas-max-lag", alias("min-slaves-max-lag"), 0, 10, 0, Integer.MAX_VALUE, v -> minReplicasMaxLag = v, () -> minReplicasMaxLag);
        enumOpt("propagation-error-behavior", 0, "ignore", new String[] {"ignore", "panic", "panic-on-replicas"}, null, null);

        // Cluster.
        boolOpt("cluster-enabled", IMMUTABLE, false, v -> clusterEnabled = v, () -> clusterEnabled);
        stringOpt("cluster-config-file", NONE, IMMUTABLE, "nodes.conf", null, null);
        longOpt("cluster-node-timeout", 0, 15000, 0, Long.MAX_VALUE, null, null);
        intOpt("cluster-port", IMMUTABLE, 0, 0, 65535, null, null);
        intOpt("cluster-migration-barrier", 0, 1, 0, Integer.MAX_VALUE, null, null);
        intOpt("cluster-replica-validity-factor", alias("cluster-slave-validity-factor"), 0, 10, 0, Integer.MAX_VALUE, null, null);
        boolOpt("cluster-replica-no-failover", alias("cluster-slave-no-failover"), 0, false, null, null);
        boolOpt("cluster-require-full-coverage", 0, true, null, null);
        boolOpt("cluster-allow-reads-when-down", 0, false, null, null);
        boolOpt("cluster-allow-pubsubshard-when-down", 0, true, null, null);
        boolOpt("cluster-allow-replica-migration", 0, true, null, null);
        stringOpt("cluster-announce-ip", NONE, 0, "", null, null);
        special("cluster-announce-hostname", NONE, 0, "", args -> {
            String v = one(args);
            for (int i = 0; i < v.length(); i++) {
                char ch = v.charAt(i);
                if (!(Character.isLetterOrDigit(ch) && ch < 128) && ch != '-' && ch != '.') {
                    throw new ConfigError("Hostnames may only contain alphanumeric characters, hyphens or dots");
                }
            }
            return () -> clusterAnnounceHostname = v;
        }, () -> clusterAnnounceHostname);
        last().kind = KIND_STRING;
        intOpt("cluster-announce-port", 0, 0, 0, 65535, null, null);
        intOpt("cluster-announce-bus-port", 0, 0, 0, 65535, null, null);
        intOpt("cluster-announce-tls-port", 0, 0, 0, 65535, null, null);
        enumOpt("cluster-preferred-endpoint-type", 0, "ip", new String[] {"ip", "hostname", "unknown-endpoint"}, null, null);
        ullMemOpt("cluster-link-sendbuf-limit", 0, 0, null, null);

        // TLS.
        // TLS is not built yet: enabling it at run time fails as Redis does without usable certificates.
        special("tls-port", NONE, 0, "0", args -> {
            long v = checkRange(parseInteger(one(args)), 0, 65535);
            if (v != 0 && !readingConfigFile) throw new ConfigError(TLS_UPDATE_FAILED);
            return () -> tlsPort = (int) v;
        }, () -> Integer.toString(tlsPort));
        last().kind = KIND_NUMBER;
        for (String n : new String[] {"tls-cluster", "tls-replication"}) {
            boolean[] cell = {false};
            special(n, NONE, 0, "no", args -> {
                boolean v = parseBool(one(args));
                if (v && !readingConfigFile) throw new ConfigError(TLS_UPDATE_FAILED);
                return () -> cell[0] = v;
            }, () -> cell[0] ? "yes" : "no");
            last().kind = KIND_BOOL;
        }
        enumOpt("tls-auth-clients", 0, "yes", new String[] {"no", "yes", "optional"}, null, null);
        boolOpt("tls-prefer-server-ciphers", 0, false, null, null);
        boolOpt("tls-session-caching", 0, true, null, null);
        intOpt("tls-session-cache-size", 0, 20 * 1024, 0, Integer.MAX_VALUE, null, null);
        intOpt("tls-session-cache-timeout", 0, 300, 0, Integer.MAX_VALUE, null, null);
        for (String n : new String[] {"tls-cert-file", "tls-key-file", "tls-client-cert-file", "tls-client-key-file",
                "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-protocols", "tls-ciphers", "tls-ciphersuites"}) {
            stringOpt(n, NONE, 0, "", null, null);
        }
        stringOpt("tls-key-file-pass", NONE, SENSITIVE, "", null, null);
        stringOpt("tls-client-key-file-pass", NONE, SENSITIVE, "", null, null);
    }

    // ---------------------------------------------------------------- option builders

    /**
     * Adds an option, or replaces an earlier definition of the same name. A definition that keeps its
     * value inside the option (no live field yet) never replaces one that writes a field, so a
     * subsystem's definition wins over the placeholder here wherever it sits in the list.
     */
    public void special(String name, String[] aliases, int flags, String def, Parser parser, Supplier<String> getter) {
        Option o = new Option(name, aliases, flags, def, parser, getter);
        o.placeholder = definingPlaceholder;
        definingPlaceholder = false;
        lastDefined = o;
        Option old = byName.get(name);
        if (old != null) {
            if (o.placeholder && !old.placeholder) return;
            o.kind = old.kind;
            options.set(options.indexOf(old), o);
        } else {
            options.add(o);
        }
        byName.put(name, o);
        for (String a : aliases) byName.put(a, o);
    }

    private boolean definingPlaceholder;
    private Option lastDefined;

    private Option last() {
        return lastDefined;
    }

    private void hideLast() {
        last().flags |= HIDDEN;
    }

    public void boolOpt(String name, int flags, boolean def, Consumer<Boolean> set, Supplier<Boolean> get) {
        boolOpt(name, new String[0], flags, def, set, get);
    }

    /** The value of an option no subsystem reads yet: it lives in the option itself. */
    private static final class Cell<T> implements Consumer<T>, Supplier<T> {
        private T value;

        Cell(T value) {
            this.value = value;
        }

        @Override
        public void accept(T v) {
            value = v;
        }

        @Override
        public T get() {
            return value;
        }
    }

    /** Storage for a placeholder option, marking the definition as one (a live field may replace it). */
    private <T> Cell<T> placeholder(T def) {
        definingPlaceholder = true;
        return new Cell<>(def);
    }

    public void boolOpt(String name, String[] aliases, int flags, boolean def, Consumer<Boolean> set, Supplier<Boolean> get) {
        if (set == null) {
            Cell<Boolean> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<Boolean> s = set;
        Supplier<Boolean> g = get;
        special(name, aliases, flags, def ? "yes" : "no", args -> {
            boolean v = parseBool(one(args));
            return () -> s.accept(v);
        }, () -> g.get() ? "yes" : "no");
        last().kind = KIND_BOOL;
    }

    public void intOpt(String name, int flags, int def, int min, int max, Consumer<Integer> set, Supplier<Integer> get) {
        intOpt(name, new String[0], flags, def, min, max, set, get);
    }

    public void intOpt(String name, String[] aliases, int flags, int def, int min, int max, Consumer<Integer> set, Supplier<Integer> get) {
        if (set == null) {
            Cell<Integer> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<Integer> s = set;
        Supplier<Integer> g = get;
        special(name, aliases, flags, Integer.toString(def), args -> {
            long v = checkRange(parseInteger(one(args)), min, max);
            return () -> s.accept((int) v);
        }, () -> Integer.toString(g.get()));
        last().kind = KIND_NUMBER;
    }

    /** An unsigned int option (maxclients): Redis prints its range with unsigned bounds. */
    void uintOpt(String name, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        longOpt(name, new String[0], flags, def, min, max, set, get);
    }

    public void longOpt(String name, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        longOpt(name, new String[0], flags, def, min, max, set, get);
    }

    public void longOpt(String name, String[] aliases, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        if (set == null) {
            Cell<Long> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<Long> s = set;
        Supplier<Long> g = get;
        special(name, aliases, flags, Long.toString(def), args -> {
            long v = checkRange(parseInteger(one(args)), min, max);
            return () -> s.accept(v);
        }, () -> Long.toString(g.get()));
        last().kind = KIND_NUMBER;
    }

    /** A size_t option: a plain number or, when memory is true, a memory value; 0..LONG_MAX. */
    void sizeOpt(String name, String[] aliases, long def, boolean memory, Consumer<Long> set, Supplier<Long> get) {
        if (memory) memOpt(name, aliases, 0, def, 0, Long.MAX_VALUE, set, get);
        else longOpt(name, aliases, 0, def, 0, Long.MAX_VALUE, set, get);
    }

    public void memOpt(String name, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        memOpt(name, new String[0], flags, def, min, max, set, get);
    }

    public void memOpt(String name, String[] aliases, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        if (set == null) {
            Cell<Long> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<Long> s = set;
        Supplier<Long> g = get;
        special(name, aliases, flags, Long.toString(def), args -> {
            long v = parseMemoryOrError(one(args));
            if (v == MEMORY_OVERFLOW) throw rangeError(min, max);
            v = checkRange(v, min, max);
            long fv = v;
            return () -> s.accept(fv);
        }, () -> Long.toString(g.get()));
        last().kind = KIND_MEMORY;
    }

    /** An unsigned long long memory option (maxmemory): values past Long.MAX_VALUE saturate. */
    void ullMemOpt(String name, int flags, long def, Consumer<Long> set, Supplier<Long> get) {
        if (set == null) {
            Cell<Long> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<Long> s = set;
        Supplier<Long> g = get;
        // Values past Long.MAX_VALUE live in the field as Long.MAX_VALUE; GET shows what Redis keeps.
        String[] shownAbove = {null};
        special(name, new String[0], flags, Long.toString(def), args -> {
            String a = one(args);
            long v = parseMemoryOrError(a);
            String above = v == MEMORY_OVERFLOW ? unsignedMemory(a) : null;
            long fv = v == MEMORY_OVERFLOW ? Long.MAX_VALUE : v;
            return () -> {
                s.accept(fv);
                shownAbove[0] = above;
            };
        }, () -> {
            long v = g.get();
            return v == Long.MAX_VALUE && shownAbove[0] != null ? shownAbove[0] : Long.toString(v);
        });
        last().kind = KIND_MEMORY;
    }

    /** A memory-or-percent option (maxmemory-clients): "50%" is kept as -50. */
    void memPercentOpt(String name, int flags, Consumer<Long> set, Supplier<Long> get) {
        special(name, new String[0], flags, "0", args -> {
            String a = one(args);
            long v;
            if (a.endsWith("%")) {
                try {
                    v = strictLong(a.substring(0, a.length() - 1));
                } catch (NumberFormatException e) {
                    throw new ConfigError("argument must be a memory or percent value");
                }
                if (v > 100) throw new ConfigError("percentage argument must be less or equal to 100");
                if (v < 0) throw new ConfigError("argument must be a memory or percent value");
                v = -v;
            } else {
                v = parseMemory(a);
                if (v == -1) throw new ConfigError("argument must be a memory or percent value");
                if (v == MEMORY_OVERFLOW) v = -1; // ULLONG_MAX stored in a signed size: Redis shows "1%"
            }
            long fv = v;
            return () -> set.accept(fv);
        }, () -> {
            long v = get.get();
            return v < 0 ? -v + "%" : Long.toString(v);
        });
        last().kind = KIND_MEMORY;
    }

    public void enumOpt(String name, int flags, String def, String[] values, Consumer<String> set, Supplier<String> get) {
        if (set == null) {
            Cell<String> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<String> s = set;
        special(name, new String[0], flags, def, args -> {
            String v = one(args).toLowerCase(Locale.ROOT);
            for (String allowed : values) if (allowed.equals(v)) return () -> s.accept(allowed);
            throw new ConfigError("argument(s) must be one of the following: " + String.join(", ", values));
        }, get);
        last().kind = KIND_ENUM;
    }

    /** A set of flags (shutdown-on-sigint "save now"); "default" is the empty set. */
    void flagsOpt(String name, String def) {
        String[] values = {"default", "save", "nosave", "now", "force"};
        int[] cell = {0};
        special(name, new String[0], MULTI_ARG, def, args -> {
            String[] a = splitIfOne(args);
            if (a.length == 0) throw new ConfigError("argument(s) must be one of the following: " + String.join(", ", values));
            int bits = 0;
            for (String x : a) {
                int found = -1;
                for (int i = 0; i < values.length; i++) if (values[i].equalsIgnoreCase(x)) found = i;
                if (found < 0) throw new ConfigError("argument(s) must be one of the following: " + String.join(", ", values));
                if (found > 0) bits |= 1 << found;
            }
            int fb = bits;
            return () -> cell[0] = fb;
        }, () -> {
            if (cell[0] == 0) return "default";
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < values.length; i++) {
                if ((cell[0] & (1 << i)) == 0) continue;
                if (sb.length() > 0) sb.append(' ');
                sb.append(values[i]);
            }
            return sb.toString();
        });
        last().kind = KIND_ENUM;
    }

    public void stringOpt(String name, String[] aliases, int flags, String def, Consumer<String> set, Supplier<String> get) {
        if (set == null) {
            Cell<String> cell = placeholder(def);
            set = cell;
            get = cell;
        }
        Consumer<String> s = set;
        special(name, aliases, flags, def, args -> {
            String v = one(args);
            return () -> s.accept(v);
        }, get);
        last().kind = KIND_STRING;
    }

    // ---------------------------------------------------------------- parsing helpers (Redis's texts)

    static String one(String[] args) throws ConfigError {
        if (args.length != 1) throw new ConfigError("wrong number of arguments");
        return args[0];
    }

    /** CONFIG SET hands multi-argument options one string; the config file hands separate words. */
    static String[] splitIfOne(String[] args) {
        if (args.length != 1) return args;
        // Redis's sdssplitlen(value, " "): single spaces, empty tokens kept.
        return args[0].isEmpty() ? new String[0] : args[0].split(" ", -1);
    }

    public static boolean parseBool(String s) throws ConfigError {
        if (s.equalsIgnoreCase("yes")) return true;
        if (s.equalsIgnoreCase("no")) return false;
        throw new ConfigError("argument must be 'yes' or 'no'");
    }

    /** Redis's string2ll: optional '-', digits, no leading zeros, no spaces, no '+'. */
    static long strictLong(String s) {
        int n = s.length();
        if (n == 0 || n > 20) throw new NumberFormatException();
        int i = s.charAt(0) == '-' ? 1 : 0;
        if (i == n) throw new NumberFormatException();
        if (s.charAt(i) == '0' && n - i > 1) throw new NumberFormatException();
        for (int k = i; k < n; k++) if (s.charAt(k) < '0' || s.charAt(k) > '9') throw new NumberFormatException();
        return Long.parseLong(s);
    }

    public static long parseInteger(String s) throws ConfigError {
        try {
            return strictLong(s);
        } catch (NumberFormatException e) {
            throw new ConfigError("argument couldn't be parsed into an integer");
        }
    }

    static ConfigError rangeError(long min, long max) {
        return new ConfigError("argument must be between " + min + " and " + max + " inclusive");
    }

    static long checkRange(long v, long min, long max) throws ConfigError {
        if (v < min || v > max) throw rangeError(min, max);
        return v;
    }

    /** Returned by {@link #parseMemory} for a well-formed value past Long.MAX_VALUE. */
    static final long MEMORY_OVERFLOW = Long.MIN_VALUE;

    static long parseMemoryOrError(String s) throws ConfigError {
        long v = parseMemory(s);
        if (v == -1) throw new ConfigError("argument must be a memory value");
        return v;
    }

    /**
     * Redis's memtoull: "1k"=1000, "1kb"=1024, ... ; -1 if it is not a memory value,
     * {@link #MEMORY_OVERFLOW} if it is one past Long.MAX_VALUE.
     */
    public static long parseMemory(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        long mul = 1;
        String[][] units = {{"kb", "1024"}, {"mb", "1048576"}, {"gb", "1073741824"}, {"k", "1000"}, {"m", "1000000"}, {"g", "1000000000"}, {"b", "1"}};
        for (String[] u : units) {
            if (l.endsWith(u[0])) {
                mul = Long.parseLong(u[1]);
                l = l.substring(0, l.length() - u[0].length());
                break;
            }
        }
        if (s.isEmpty()) return 0; // memtoull("") is 0
        if (l.isEmpty()) return -1;
        for (int i = 0; i < l.length(); i++) {
            char c = l.charAt(i);
            if (c < '0' || c > '9') return -1;
        }
        try {
            return Math.multiplyExact(Long.parseLong(l), mul);
        } catch (ArithmeticException | NumberFormatException e) {
            return MEMORY_OVERFLOW;
        }
    }

    /** The unsigned 64-bit value Redis's memtoull keeps for a value past Long.MAX_VALUE (saturating). */
    static String unsignedMemory(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        java.math.BigInteger mul = java.math.BigInteger.ONE;
        String[][] units = {{"kb", "1024"}, {"mb", "1048576"}, {"gb", "1073741824"}, {"k", "1000"}, {"m", "1000000"}, {"g", "1000000000"}, {"b", "1"}};
        for (String[] u : units) {
            if (l.endsWith(u[0])) {
                mul = new java.math.BigInteger(u[1]);
                l = l.substring(0, l.length() - u[0].length());
                break;
            }
        }
        java.math.BigInteger max = java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE);
        java.math.BigInteger n = new java.math.BigInteger(l);
        if (n.compareTo(max) > 0) n = max; // strtoull saturates
        n = n.multiply(mul);
        if (n.compareTo(max) > 0) n = n.mod(max.add(java.math.BigInteger.ONE)); // the multiply wraps
        return n.toString();
    }

    /** Redis's validateProcTitleTemplate: known {variables}, balanced braces, not empty. */
    static boolean validProcTitleTemplate(String t) {
        if (t.isEmpty()) return false;
        java.util.Set<String> known = java.util.Set.of("title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file");
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c == '}') return false;
            if (c == '{') {
                int end = t.indexOf('}', i);
                if (end < 0 || !known.contains(t.substring(i + 1, end))) return false;
                i = end + 1;
            } else {
                i++;
            }
        }
        return true;
    }

    /** %g as Redis prints doubles in config values (99.9, 50). */
    static String formatG(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        String s = String.format(Locale.ROOT, "%.6g", d);
        if (s.contains("e")) return s;
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "");
            if (s.endsWith(".")) s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    /** True while the first "save" line of a config file has not been seen (it resets the defaults). */
    private boolean saveLoaded;

    private Runnable parseSave(String[] args) throws ConfigError {
        String[] a = splitIfOne(args);
        if (args.length == 1 && a.length == 0) return () -> savePoints = new long[0][];
        if (a.length % 2 != 0) throw new ConfigError("Invalid save parameters");
        long[][] points = new long[a.length / 2][2];
        for (int i = 0; i < points.length; i++) {
            try {
                points[i][0] = strictLong(a[2 * i]);
                points[i][1] = strictLong(a[2 * i + 1]);
            } catch (NumberFormatException e) {
                throw new ConfigError("Invalid save parameters");
            }
            if (points[i][0] < 0 || points[i][1] < 0) throw new ConfigError("Invalid save parameters");
        }
        if (!readingConfigFile) return () -> savePoints = points;
        // Config-file save lines accumulate; the first one replaces the defaults.
        return () -> {
            long[][] base = saveLoaded ? savePoints : new long[0][];
            saveLoaded = true;
            long[][] merged = new long[base.length + points.length][];
            System.arraycopy(base, 0, merged, 0, base.length);
            System.arraycopy(points, 0, merged, base.length, points.length);
            savePoints = merged;
        };
    }

    private String renderSave() {
        StringBuilder sb = new StringBuilder();
        for (long[] p : savePoints) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(p[0]).append(' ').append(p[1]);
        }
        return sb.toString();
    }

    private static final String[] CLIENT_CLASSES = {"normal", "slave", "pubsub"};

    private Runnable parseClientOutputBufferLimit(String[] args) throws ConfigError {
        String[] a = splitIfOne(args);
        if (a.length % 4 != 0) throw new ConfigError("Wrong number of arguments in buffer limit configuration.");
        long[][] next = new long[3][];
        for (int i = 0; i < 3; i++) next[i] = clientOutputBufferLimits[i].clone();
        for (int j = 0; j < a.length; j += 4) {
            String cls = a[j].toLowerCase(Locale.ROOT);
            int k = switch (cls) {
                case "normal" -> 0;
                case "slave", "replica" -> 1;
                case "pubsub" -> 2;
                default -> -1;
            };
            if (k < 0) throw new ConfigError("Invalid client class specified in buffer limit configuration.");
            long hard = parseMemory(a[j + 1]), soft = parseMemory(a[j + 2]);
            long secs;
            try {
                secs = strictLong(a[j + 3]);
            } catch (NumberFormatException e) {
                secs = -1;
            }
            if (hard < 0 || soft < 0 || secs < 0) {
                throw new ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
            }
            next[k] = new long[] {hard, soft, secs};
        }
        return () -> clientOutputBufferLimits = next;
    }

    private String renderClientOutputBufferLimit() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            if (i > 0) sb.append(' ');
            long[] l = clientOutputBufferLimits[i];
            sb.append(CLIENT_CLASSES[i]).append(' ').append(l[0]).append(' ').append(l[1]).append(' ').append(l[2]);
        }
        return sb.toString();
    }

    /** Redis's keyspaceEventsStringToFlags; -1 for an unknown character. */
    public static int keyspaceEventsFromString(String s) {
        int flags = 0;
        for (int i = 0; i < s.length(); i++) {
            switch (s.charAt(i)) {
                case 'A' -> flags |= NOTIFY_ALL;
                case 'g' -> flags |= NOTIFY_GENERIC;
                case '$' -> flags |= NOTIFY_STRING;
                case 'l' -> flags |= NOTIFY_LIST;
                case 's' -> flags |= NOTIFY_SET;
                case 'h' -> flags |= NOTIFY_HASH;
                case 'z' -> flags |= NOTIFY_ZSET;
                case 'x' -> flags |= NOTIFY_EXPIRED;
                case 'e' -> flags |= NOTIFY_EVICTED;
                case 'K' -> flags |= NOTIFY_KEYSPACE;
                case 'E' -> flags |= NOTIFY_KEYEVENT;
                case 't' -> flags |= NOTIFY_STREAM;
                case 'm' -> flags |= NOTIFY_KEY_MISS;
                case 'd' -> flags |= NOTIFY_MODULE;
                case 'n' -> flags |= NOTIFY_NEW;
                default -> {
                    return -1;
                }
            }
        }
        return flags;
    }

    /** Redis's keyspaceEventsFlagsToString: the canonical form CONFIG GET shows. */
    public static String keyspaceEventsToString(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & NOTIFY_ALL) == NOTIFY_ALL) {
            sb.append('A');
        } else {
            if ((flags & NOTIFY_GENERIC) != 0) sb.append('g');
            if ((flags & NOTIFY_STRING) != 0) sb.append('$');
            if ((flags & NOTIFY_LIST) != 0) sb.append('l');
            if ((flags & NOTIFY_SET) != 0) sb.append('s');
            if ((flags & NOTIFY_HASH) != 0) sb.append('h');
            if ((flags & NOTIFY_ZSET) != 0) sb.append('z');
            if ((flags & NOTIFY_EXPIRED) != 0) sb.append('x');
            if ((flags & NOTIFY_EVICTED) != 0) sb.append('e');
            if ((flags & NOTIFY_STREAM) != 0) sb.append('t');
            if ((flags & NOTIFY_MODULE) != 0) sb.append('d');
        }
        if ((flags & NOTIFY_KEYSPACE) != 0) sb.append('K');
        if ((flags & NOTIFY_KEYEVENT) != 0) sb.append('E');
        if ((flags & NOTIFY_KEY_MISS) != 0) sb.append('m');
        if ((flags & NOTIFY_NEW) != 0) sb.append('n');
        return sb.toString();
    }

    // ---------------------------------------------------------------- applying

    /**
     * Validates every name/value pair, then applies them all; nothing is applied if any fails.
     * Throws ConfigError naming Redis's reason, with {@link #lastErrorArg} set to the option name.
     */
    public void setAll(String[] names, String[][] values) throws ConfigError {
        Runnable[] actions = new Runnable[names.length];
        for (int i = 0; i < names.length; i++) {
            Option o = lookup(names[i]);
            lastErrorArg = names[i];
            if (o == null) throw new ConfigError("unknown option");
            actions[i] = o.parser.parse(values[i]);
        }
        for (Runnable r : actions) if (r != null) r.run();
    }

    /**
     * Parses args for o as a config-file line; returns the action that applies them. Multi-argument
     * options (save, bind) accumulate across lines as in Redis.
     */
    Runnable parseForFile(Option o, String[] args) throws ConfigError {
        readingConfigFile = true;
        try {
            return o.parser.parse(args);
        } finally {
            readingConfigFile = false;
        }
    }

    /** True while a config file line is parsed (save lines then accumulate). */
    public boolean readingConfigFile;

    /** The option name the last failing {@link #setAll} complained about. */
    public String lastErrorArg;

    /** Commands renamed by rename-command lines ({old, new}; new "" disables), applied by the server. */
    public final List<String[]> renamedCommands = new ArrayList<>();
}
