package dev.starling.server;

import dev.starling.config.Config;
import dev.starling.config.ConfigLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code starling-server [/path/to/redis.conf] [--option value ...] [-]}: the redis-server command
 * line, start-up log lines and signal handling.
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        if (!args.isEmpty()) {
            String a0 = args.get(0);
            if (a0.equals("-v") || a0.equals("--version")) {
                System.out.println("Redis server v=" + Server.REDIS_VERSION + " sha=00000000:0 malloc=libc bits=64 build=starling");
                return;
            }
            if (a0.equals("-h") || a0.equals("--help")) {
                usage();
                return;
            }
        }
        // Netty's own diagnostics go to java.util.logging, whatever logging jars share the classpath.
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
        // Leak detection wraps every buffer; it is for tests (which keep Netty's default), not serving.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        Config config = new Config();
        String configFile = null;
        StringBuilder text = new StringBuilder();
        int j = 0;
        if (!args.isEmpty() && !args.get(0).startsWith("-")) {
            configFile = args.get(0);
            j = 1;
        }
        List<String> rest = new ArrayList<>(args.subList(j, args.size()));
        boolean readStdin = false;
        if (!rest.isEmpty() && rest.get(rest.size() - 1).equals("-")) {
            readStdin = true;
            rest.remove(rest.size() - 1);
        } else if (!rest.isEmpty() && rest.get(0).equals("-")) {
            readStdin = true;
            rest.remove(0);
        }
        long pid = ProcessHandle.current().pid();
        Log bootLog = new Log(Clock.SYSTEM);
        bootLog.setRole('C');
        try {
            // Redis's loadServerConfig: file text, then stdin, then "\n" and the command-line options.
            if (configFile != null) {
                try {
                    text.append(Files.readString(Path.of(configFile)));
                } catch (IOException e) {
                    bootLog.warning("Fatal error, can't open config file '" + Path.of(configFile).toAbsolutePath() + "': No such file or directory");
                    System.exit(1);
                }
            }
            if (readStdin) {
                bootLog.warning("Reading config from stdin");
                text.append(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
            }
            String options = ConfigLoader.argsToConfigText(rest);
            if (!options.isEmpty()) text.append('\n').append(options);
            ConfigLoader.load(config, text.toString());
        } catch (ConfigLoader.FatalConfigError e) {
            if (e.logLine) bootLog.warning(e.getMessage());
            else System.err.println(e.getMessage());
            System.exit(1);
        }
        if (config.dir != null && !config.dir.isEmpty()) System.setProperty("user.dir", config.dir);
        bootLog.setFile(config.logfile);
        bootLog.warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
        bootLog.warning("Redis version=" + Server.REDIS_VERSION + ", bits=64, commit=00000000, modified=0, pid=" + pid + ", just started");
        if (configFile == null && rest.isEmpty()) {
            bootLog.warning("Warning: no config file specified, using the default config. In order to specify a config file use starling-server /path/to/redis.conf");
        } else {
            bootLog.warning("Configuration loaded");
        }
        Server server = new Server(config, Clock.SYSTEM);
        server.configFile = configFile == null ? null : Path.of(configFile).toAbsolutePath().toString();
        server.executable = System.getProperty("starling.executable",
                ProcessHandle.current().info().command().orElse(""));
        server.log.notice("monotonic clock: POSIX clock_gettime");
        if (config.bind.length == 0 && config.get("unixsocket").isEmpty()) {
            server.log.warning("Configured to not listen anywhere, exiting.");
            System.exit(1);
        }
        // In the loading state before the listeners bind, so no command runs on the empty dataset
        // that precedes the load (a client connecting in between gets -LOADING).
        server.loading.begin(0);
        try {
            server.start();
        } catch (Exception e) {
            System.exit(1);
        }
        server.log.raw(banner(config.port, pid));
        server.log.warning("Server initialized");
        writePidFile(server);
        Signals.install(server);
        HeapPacer.start(server.log, server.loading::inProgress);
        // The listeners are bound: clients get -LOADING while the file loads (Redis 7.0's order).
        // With appendonly yes Redis 7.0 loads the AOF directory and ignores the RDB file.
        int loaded = config.appendonly ? server.aof.loadAtStart() : server.rdb.loadDataFromDiskAtStart();
        if (loaded == dev.starling.persistence.RdbPersistence.LOAD_FATAL) System.exit(1);
        if (loaded == dev.starling.persistence.RdbPersistence.LOAD_OK) {
            server.executeAndWait(server.loading::end); // with no file to load the state ends here
            server.log.notice("Ready to accept connections");
        }
        server.awaitTermination();
    }

    private static void writePidFile(Server server) {
        String pf = server.config.pidfile;
        if (pf == null || pf.isEmpty()) return;
        try {
            Files.writeString(Path.of(pf), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            server.log.warning("Failed to write PID file: " + e.getMessage());
        }
    }

    /** Starling's start-up banner; carries the fields operators look for (mode, port, PID). */
    static String banner(int port, long pid) {
        return String.join("\n",
                "",
                "       .-.          Starling " + Server.REDIS_VERSION + "-compatible (Redis protocol), 64 bit",
                "      (o o)         Running in standalone mode",
                "   ,__/ ) )__,      Port: " + port,
                "    `--'--'--`      PID: " + pid,
                "");
    }

    private static void usage() {
        System.err.println(String.join("\n",
                "Usage: ./starling-server [/path/to/redis.conf] [options] [-]",
                "       ./starling-server - (read config from stdin)",
                "       ./starling-server -v or --version",
                "       ./starling-server -h or --help",
                "",
                "Examples:",
                "       ./starling-server (run the server with default conf)",
                "       ./starling-server /etc/redis/6379.conf",
                "       ./starling-server --port 7777",
                "       ./starling-server /etc/myredis.conf --loglevel verbose -",
                "       ./starling-server /etc/myredis.conf --loglevel verbose"));
    }
}
