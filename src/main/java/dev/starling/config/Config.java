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
 * lookups per command). Values are applied all-or-nothing by {@link #setAll}, as CONFIG SET does.
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

    // ---------------------------------------------------------------- option table

    /** Option flags, as Redis's *_CONFIG flags. */
    public static final int IMMUTABLE = 1, SENSITIVE = 2, HIDDEN = 4, PROTECTED = 8, MULTI_ARG = 16;

    /** One option: parses and applies a value, and renders the current one. */
    public static final class Option {
        public final String name;
        public final String[] aliases;
        public final int flags;
        public final String defaultValue;
        final Parser parser;
        final Supplier<String> getter;

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

    // ---------------------------------------------------------------- definitions

    private void defineOptions() {
        intOpt("port", IMMUTABLE, 6379, 0, 65535, v -> port = v, () -> port);
        special("bind", new String[0], IMMUTABLE | MULTI_ARG, "* -::*", args -> {
            String[] v = args.length == 1 && args[0].isEmpty() ? new String[0] : args;
            return () -> bind = v;
        }, () -> String.join(" ", bind));
        boolOpt("protected-mode", 0, true, v -> protectedMode = v, () -> protectedMode);
        intOpt("databases", IMMUTABLE, 16, 1, Integer.MAX_VALUE, v -> databases = v, () -> databases);
        intOpt("tcp-backlog", IMMUTABLE, 511, 0, Integer.MAX_VALUE, v -> tcpBacklog = v, () -> tcpBacklog);
        intOpt("maxclients", 0, 10000, 1, Integer.MAX_VALUE, v -> maxclients = v, () -> maxclients);
        intOpt("timeout", 0, 0, 0, Integer.MAX_VALUE, v -> timeout = v, () -> timeout);
        intOpt("tcp-keepalive", 0, 300, 0, Integer.MAX_VALUE, v -> tcpKeepalive = v, () -> tcpKeepalive);
        intOpt("hz", 0, 10, 0, Integer.MAX_VALUE, v -> hz = Math.max(1, Math.min(500, v)), () -> hz);
        boolOpt("dynamic-hz", 0, true, v -> dynamicHz = v, () -> dynamicHz);
        intOpt("active-expire-effort", 0, 1, 1, 10, v -> activeExpireEffort = v, () -> activeExpireEffort);
        memOpt("proto-max-bulk-len", 0, 512L << 20, 1024 * 1024, Long.MAX_VALUE, v -> protoMaxBulkLen = v, () -> protoMaxBulkLen);
        memOpt("client-query-buffer-limit", 0, 1L << 30, 1024 * 1024, Long.MAX_VALUE, v -> clientQueryBufferLimit = v, () -> clientQueryBufferLimit);
        stringOpt("requirepass", new String[0], SENSITIVE, "", v -> requirepass = v, () -> requirepass);
        enumOpt("loglevel", 0, "notice", new String[] {"debug", "verbose", "notice", "warning"}, v -> loglevel = v, () -> loglevel);
        stringOpt("logfile", new String[0], IMMUTABLE, "", v -> logfile = v, () -> logfile);
        stringOpt("pidfile", new String[0], IMMUTABLE, "", v -> pidfile = v, () -> pidfile);
        stringOpt("dir", new String[0], PROTECTED, "", v -> dir = v, () -> dir);
        stringOpt("dbfilename", new String[0], PROTECTED, "dump.rdb", v -> dbfilename = v, () -> dbfilename);
        boolOpt("daemonize", IMMUTABLE, false, v -> daemonize = v, () -> daemonize);
        boolOpt("always-show-logo", IMMUTABLE, false, v -> alwaysShowLogo = v, () -> alwaysShowLogo);
        memOpt("maxmemory", 0, 0, 0, Long.MAX_VALUE, v -> maxmemory = v, () -> maxmemory);
        enumOpt("maxmemory-policy", 0, "noeviction", new String[] {"volatile-lru", "volatile-lfu", "volatile-random",
                "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, v -> maxmemoryPolicy = v, () -> maxmemoryPolicy);
        intOpt("maxmemory-samples", 0, 5, 1, Integer.MAX_VALUE, v -> maxmemorySamples = v, () -> maxmemorySamples);
        intOpt("maxmemory-eviction-tenacity", 0, 10, 0, 100, v -> maxmemoryEvictionTenacity = v, () -> maxmemoryEvictionTenacity);
        intOpt("lfu-log-factor", 0, 10, 0, Integer.MAX_VALUE, v -> lfuLogFactor = v, () -> lfuLogFactor);
        intOpt("lfu-decay-time", 0, 1, 0, Integer.MAX_VALUE, v -> lfuDecayTime = v, () -> lfuDecayTime);
        longOpt("slowlog-log-slower-than", 0, 10000, -1, Long.MAX_VALUE, v -> slowlogLogSlowerThan = v, () -> slowlogLogSlowerThan);
        intOpt("slowlog-max-len", 0, 128, 0, Integer.MAX_VALUE, v -> slowlogMaxLen = v, () -> slowlogMaxLen);
        longOpt("latency-monitor-threshold", 0, 0, 0, Long.MAX_VALUE, v -> latencyMonitorThreshold = v, () -> latencyMonitorThreshold);
        enumOpt("enable-debug-command", IMMUTABLE, "no", new String[] {"no", "yes", "local"}, v -> enableDebugCommand = v, () -> enableDebugCommand);
        special("save", new String[0], MULTI_ARG, "3600 1 300 100 60 10000", this::parseSave, this::renderSave);
    }

    // ---------------------------------------------------------------- option builders

    public void special(String name, String[] aliases, int flags, String def, Parser parser, Supplier<String> getter) {
        Option o = new Option(name, aliases, flags, def, parser, getter);
        options.add(o);
        byName.put(name, o);
        for (String a : aliases) byName.put(a, o);
    }

    public void boolOpt(String name, int flags, boolean def, Consumer<Boolean> set, Supplier<Boolean> get) {
        boolOpt(name, new String[0], flags, def, set, get);
    }

    public void boolOpt(String name, String[] aliases, int flags, boolean def, Consumer<Boolean> set, Supplier<Boolean> get) {
        special(name, aliases, flags, def ? "yes" : "no", args -> {
            boolean v = parseBool(one(args));
            return () -> set.accept(v);
        }, () -> get.get() ? "yes" : "no");
    }

    public void intOpt(String name, int flags, int def, int min, int max, Consumer<Integer> set, Supplier<Integer> get) {
        intOpt(name, new String[0], flags, def, min, max, set, get);
    }

    public void intOpt(String name, String[] aliases, int flags, int def, int min, int max, Consumer<Integer> set, Supplier<Integer> get) {
        special(name, aliases, flags, Integer.toString(def), args -> {
            long v = checkRange(parseInteger(one(args)), min, max);
            return () -> set.accept((int) v);
        }, () -> Integer.toString(get.get()));
    }

    public void longOpt(String name, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        special(name, new String[0], flags, Long.toString(def), args -> {
            long v = checkRange(parseInteger(one(args)), min, max);
            return () -> set.accept(v);
        }, () -> Long.toString(get.get()));
    }

    public void memOpt(String name, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        memOpt(name, new String[0], flags, def, min, max, set, get);
    }

    public void memOpt(String name, String[] aliases, int flags, long def, long min, long max, Consumer<Long> set, Supplier<Long> get) {
        special(name, aliases, flags, Long.toString(def), args -> {
            long v = checkRange(parseMemoryOrError(one(args)), min, max);
            return () -> set.accept(v);
        }, () -> Long.toString(get.get()));
    }

    public void enumOpt(String name, int flags, String def, String[] values, Consumer<String> set, Supplier<String> get) {
        special(name, new String[0], flags, def, args -> {
            String v = one(args).toLowerCase(Locale.ROOT);
            for (String allowed : values) if (allowed.equals(v)) return () -> set.accept(allowed);
            throw new ConfigError("argument(s) must be one of the following: " + String.join(", ", values));
        }, get);
    }

    public void stringOpt(String name, String[] aliases, int flags, String def, Consumer<String> set, Supplier<String> get) {
        special(name, aliases, flags, def, args -> {
            String v = one(args);
            return () -> set.accept(v);
        }, get);
    }

    // ---------------------------------------------------------------- parsing helpers (Redis's texts)

    static String one(String[] args) throws ConfigError {
        if (args.length != 1) throw new ConfigError("wrong number of arguments");
        return args[0];
    }

    public static boolean parseBool(String s) throws ConfigError {
        if (s.equalsIgnoreCase("yes")) return true;
        if (s.equalsIgnoreCase("no")) return false;
        throw new ConfigError("argument must be 'yes' or 'no'");
    }

    public static long parseInteger(String s) throws ConfigError {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ConfigError("argument couldn't be parsed into an integer");
        }
    }

    static long checkRange(long v, long min, long max) throws ConfigError {
        if (v < min || v > max) throw new ConfigError("argument must be between " + min + " and " + max + " inclusive");
        return v;
    }

    static long parseMemoryOrError(String s) throws ConfigError {
        long v = parseMemory(s);
        if (v == -1) throw new ConfigError("argument must be a memory value");
        return v;
    }

    /** Redis's memtoull: "1k"=1000, "1kb"=1024, ... ; -1 if it is not a memory value. */
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
        if (l.isEmpty()) return -1;
        for (int i = 0; i < l.length(); i++) {
            char c = l.charAt(i);
            if (!(c >= '0' && c <= '9') && !(i == 0 && c == '-')) return -1;
        }
        try {
            return Math.multiplyExact(Long.parseLong(l), mul);
        } catch (ArithmeticException | NumberFormatException e) {
            return -1;
        }
    }

    private Runnable parseSave(String[] args) throws ConfigError {
        // CONFIG SET passes one string "900 1 300 10"; the config file passes separate args.
        List<String> parts = new ArrayList<>();
        for (String a : args) for (String p : a.trim().split("\\s+")) if (!p.isEmpty()) parts.add(p);
        if (parts.size() % 2 != 0) throw new ConfigError("Invalid save parameters");
        long[][] points = new long[parts.size() / 2][2];
        for (int i = 0; i < points.length; i++) {
            try {
                points[i][0] = Long.parseLong(parts.get(2 * i));
                points[i][1] = Long.parseLong(parts.get(2 * i + 1));
            } catch (NumberFormatException e) {
                throw new ConfigError("Invalid save parameters");
            }
        }
        return () -> savePoints = points;
    }

    private String renderSave() {
        StringBuilder sb = new StringBuilder();
        for (long[] p : savePoints) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(p[0]).append(' ').append(p[1]);
        }
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
}
