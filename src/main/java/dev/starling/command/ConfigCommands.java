package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.config.ConfigRewrite;
import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.Log;
import dev.starling.server.Server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** CONFIG GET / SET / RESETSTAT / REWRITE / HELP (Redis's config.c command side). */
public final class ConfigCommands {
    private ConfigCommands() {}

    static void register(CommandTable t) {
        t.bind("config|get", ConfigCommands::get);
        t.bind("config|set", ConfigCommands::set);
        t.bind("config|resetstat", ConfigCommands::resetStat);
        t.bind("config|rewrite", ConfigCommands::rewrite);
        t.bind("config|help", ConfigCommands::help);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** CONFIG GET pattern [pattern ...]: exact names (aliases too) or globs; hidden options need exact names. */
    static void get(Client c) {
        Config cfg = c.server.config;
        Map<String, Config.Option> matches = new LinkedHashMap<>();
        java.util.Set<Config.Option> seen = new java.util.HashSet<>();
        for (int i = 2; i < c.argc; i++) {
            String pat = str(c.argv[i]);
            if (pat.indexOf('[') < 0 && pat.indexOf('*') < 0 && pat.indexOf('?') < 0) {
                Config.Option o = cfg.lookup(pat);
                if (o != null && !matches.containsKey(pat)) matches.put(pat, o);
                continue;
            }
            for (Config.Option o : cfg.options()) {
                if (o.is(Config.HIDDEN)) continue;
                if (!matches.containsKey(o.name) && globMatch(pat, o.name)) matches.put(o.name, o);
                for (String a : o.aliases) {
                    if (!matches.containsKey(a) && globMatch(pat, a)) matches.put(a, o);
                }
            }
        }
        c.addReplyMapLen(matches.size());
        for (Map.Entry<String, Config.Option> e : matches.entrySet()) {
            c.addReplyBulkString(e.getKey());
            c.addReplyBulkString(e.getValue().get());
        }
    }

    /** Redis's allowProtectedAction: "yes", or "local" from a loopback connection. */
    static boolean allowProtected(String setting, Client c) {
        if (setting.equals("yes")) return true;
        if (!setting.equals("local")) return false;
        if (c.channel == null) return true;
        if (c.channel.remoteAddress() instanceof InetSocketAddress a) return a.getAddress() != null && a.getAddress().isLoopbackAddress();
        return true;
    }

    /** CONFIG SET name value [name value ...]: all-or-nothing, with Redis's error precedence. */
    static void set(Client c) {
        if ((c.argc & 1) == 1) {
            c.addReplyError(Errors.SYNTAX);
            return;
        }
        Config cfg = c.server.config;
        int n = (c.argc - 2) / 2;
        Config.Option[] opts = new Config.Option[n];
        String invalidName = null, errArg = null, errStr = null;
        for (int i = 0; i < n; i++) {
            String name = str(c.argv[2 + i * 2]);
            Config.Option o = cfg.lookup(name);
            opts[i] = o;
            if (o == null) {
                if (invalidName == null) invalidName = name;
                continue;
            }
            if (o.is(Config.IMMUTABLE) || (o.is(Config.PROTECTED) && !allowProtected(cfg.enableProtectedConfigs, c))) {
                errStr = o.is(Config.IMMUTABLE) ? "can't set immutable config" : "can't set protected config";
                errArg = name;
                continue;
            }
            for (int j = 0; j < i; j++) {
                // Redis 7.0 keeps aliases as separate entries: only the same name twice is a duplicate.
                if (opts[j] == o && name.equalsIgnoreCase(str(c.argv[2 + j * 2]))) {
                    errStr = "duplicate parameter";
                    errArg = name;
                    break;
                }
            }
        }
        if (invalidName != null) {
            c.addReplyError("Unknown option or number of arguments for CONFIG SET - '" + invalidName + "'");
            return;
        }
        if (errStr != null) {
            c.addReplyError("CONFIG SET failed (possibly related to argument '" + errArg + "') - " + errStr);
            return;
        }
        Runnable[] actions = new Runnable[n];
        for (int i = 0; i < n; i++) {
            String value = str(c.argv[3 + i * 2]);
            try {
                actions[i] = opts[i].parse(new String[] {value});
            } catch (Config.ConfigError e) {
                c.addReplyError("CONFIG SET failed (possibly related to argument '" + str(c.argv[2 + i * 2]) + "') - " + e.getMessage());
                return;
            }
        }
        String[] before = new String[n];
        for (int i = 0; i < n; i++) before[i] = opts[i].get();
        for (Runnable r : actions) if (r != null) r.run();
        // Port and bind take effect by re-binding; if that fails everything is restored (Redis's restore path).
        for (int i = 0; i < n; i++) {
            String name = opts[i].name;
            if (!name.equals("port") && !name.equals("bind")) continue;
            if (c.server.rebindListeners() == null) continue;
            restore(opts, before);
            c.addReplyError("CONFIG SET failed (possibly related to argument '" + str(c.argv[2 + i * 2]) + "') - "
                    + (name.equals("port") ? "Unable to listen on this port. Check server logs." : "Failed to bind to specified addresses."));
            return;
        }
        for (Config.Option o : opts) applyRuntime(c.server, o);
        c.addReplyOk();
    }

    private static void restore(Config.Option[] opts, String[] before) {
        for (int i = opts.length - 1; i >= 0; i--) {
            try {
                Runnable r = opts[i].parse(new String[] {before[i]});
                if (r != null) r.run();
            } catch (Config.ConfigError e) {
                // The previous value was valid when it was set.
            }
        }
    }

    /** Makes an applied option take effect beyond its field (log level, keyspace LFU tuning, ...). */
    static void applyRuntime(Server server, Config.Option o) {
        Config cfg = server.config;
        switch (o.name) {
            case "loglevel" -> server.log.setVerbosity(Log.levelOf(cfg.loglevel));
            case "maxmemory" -> {
                long used = server.usedMemory();
                if (cfg.maxmemory != 0 && cfg.maxmemory < used) {
                    server.log.warning("WARNING: the new maxmemory value set via CONFIG SET (" + cfg.maxmemory
                            + ") is smaller than the current memory usage (" + used + "). This will result in key eviction"
                            + " and/or the inability to accept new write commands depending on the maxmemory-policy.");
                }
            }
            case "lfu-log-factor" -> server.keyspace.lfuLogFactor = cfg.lfuLogFactor;
            case "lfu-decay-time" -> server.keyspace.lfuDecayTime = cfg.lfuDecayTime;
            case "maxmemory-policy" -> server.keyspace.lfuPolicy = cfg.maxmemoryPolicy.contains("lfu");
            default -> {
            }
        }
        for (Config.ChangeListener l : cfg.changeListeners) l.changed(o);
    }

    /** CONFIG RESETSTAT: Redis's resetServerStats plus command and error statistics. */
    static void resetStat(Client c) {
        resetStats(c.server);
        c.addReplyOk();
    }

    /** Clears every INFO counter CONFIG RESETSTAT clears. */
    public static void resetStats(Server s) {
        s.stats.reset();
        s.stats.ioReadsProcessed = 0;
        s.stats.ioWritesProcessed = 0;
        for (Command cmd : s.commands.all()) {
            cmd.resetStats();
            for (Command sub : cmd.subcommands.values()) sub.resetStats();
        }
        s.keyspace.expiredKeys = 0;
        s.keyspace.evictedKeys = 0;
        s.keyspace.keyspaceHits = 0;
        s.keyspace.keyspaceMisses = 0;
        s.keyspace.expiredStalePerc = 0;
        s.keyspace.expiredTimeCapReachedCount = 0;
        for (Runnable r : s.resetStatHooks) r.run();
    }

    /** CONFIG REWRITE: rewrites the config file in place (see {@link ConfigRewrite}). */
    static void rewrite(Client c) {
        Server s = c.server;
        if (s.configFile == null) {
            c.addReplyError("The server is running without a config file");
            return;
        }
        try {
            ConfigRewrite.rewrite(s.config, s.configFile);
            s.log.notice("CONFIG REWRITE executed with success.");
            c.addReplyOk();
        } catch (IOException e) {
            String reason = e instanceof java.nio.file.AccessDeniedException ? "Permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "No such file or directory" : e.getMessage();
            s.log.warning("CONFIG REWRITE failed: " + reason);
            c.addReplyError("Rewriting config file: " + reason);
        }
    }

    private static final String[] HELP = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };

    static void help(Client c) {
        c.addReplyArrayLen(HELP.length);
        for (String line : HELP) c.addReplyStatus(line);
    }

    /** CONFIG GET patterns match names case-insensitively with Redis's glob rules. */
    private static boolean globMatch(String pattern, String name) {
        return dev.starling.keyspace.Glob.match(pattern.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                name.getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
    }
}
