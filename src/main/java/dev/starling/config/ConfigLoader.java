package dev.starling.config;

import dev.starling.protocol.RequestParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads redis.conf text and redis-server style command lines into a {@link Config}
 * (Redis's loadServerConfigFromString and the argv handling of main()).
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** A configuration that stops start-up; {@link #getMessage()} is Redis's whole FATAL text. */
    public static final class FatalConfigError extends Exception {
        /** True if the message is one log line (Redis's serverLog) rather than the FATAL block. */
        public final boolean logLine;

        public FatalConfigError(String message) {
            this(message, false);
        }

        public FatalConfigError(String message, boolean logLine) {
            super(message, null, false, false);
            this.logLine = logLine;
        }
    }

    /**
     * Converts the options after the config file name into config text, as Redis does:
     * "--port 6380 --save" becomes "port \"6380\"\nsave \"\"". Each value is quoted so spaces
     * and empty strings survive.
     */
    public static String argsToConfigText(List<String> args) {
        StringBuilder options = new StringBuilder();
        boolean handledLastConfigArg = true;
        for (int j = 0; j < args.size(); j++) {
            String a = args.get(j);
            if (handledLastConfigArg && a.startsWith("--")) {
                if (options.length() > 0) options.append('\n');
                options.append(a, 2, a.length()).append(' ');
                byte[][] parts = RequestParser.splitArgs(a.getBytes(StandardCharsets.UTF_8));
                if (parts != null && parts.length == 1) {
                    handledLastConfigArg = false;
                    boolean isSave = a.equalsIgnoreCase("--save");
                    if (j != args.size() - 1 && args.get(j + 1).startsWith("--") && isSave) {
                        options.append("\"\"");
                        handledLastConfigArg = true;
                    } else if (j == args.size() - 1 && isSave) {
                        options.append("\"\"");
                    }
                } else {
                    handledLastConfigArg = true;
                }
            } else {
                options.append(repr(a)).append(' ');
                handledLastConfigArg = true;
            }
        }
        return options.toString();
    }

    /** Quotes s as Redis's sdscatrepr. */
    public static String repr(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int b = x & 0xff;
            switch (b) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                default -> {
                    if (b >= 32 && b < 127) sb.append((char) b);
                    else sb.append(String.format("\\x%02x", b));
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Redis 7.0's command names, loaded only when a rename-command line is checked. */
    private static dev.starling.command.CommandTable commandNames;

    /** Loads config text (file contents followed by command-line options) into cfg. */
    public static void load(Config cfg, String text) throws FatalConfigError {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty() || line.startsWith("#")) continue;
            byte[][] parts = RequestParser.splitArgs(line.getBytes(StandardCharsets.UTF_8));
            if (parts == null) throw fatal(i + 1, line, "Unbalanced quotes in configuration line");
            if (parts.length == 0) continue;
            String name = new String(parts[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            String[] args = new String[parts.length - 1];
            for (int k = 1; k < parts.length; k++) args[k - 1] = new String(parts[k], StandardCharsets.UTF_8);
            if (name.equals("include") && args.length == 1) {
                String included;
                try {
                    included = Files.readString(Path.of(args[0]));
                } catch (IOException e) {
                    throw new FatalConfigError("Fatal error, can't open config file '" + args[0] + "': No such file or directory", true);
                }
                load(cfg, included);
                continue;
            }
            if (name.equals("rename-command") && args.length == 2) {
                if (commandNames == null) commandNames = new dev.starling.command.CommandTable();
                if (commandNames.find(args[0]) == null || args[0].indexOf('|') >= 0) {
                    throw fatal(i + 1, line, "No such command in rename-command");
                }
                cfg.renamedCommands.add(new String[] {args[0], args[1]});
                continue;
            }
            if ((name.equals("user") || name.equals("loadmodule")) && args.length >= 1) continue;
            Config.Option o = cfg.lookup(name);
            if (o == null) throw fatal(i + 1, line, "Bad directive or wrong number of arguments");
            if (!o.is(Config.MULTI_ARG) && args.length != 1) throw fatal(i + 1, line, "wrong number of arguments");
            try {
                Runnable apply = cfg.parseForFile(o, args);
                if (apply != null) apply.run();
            } catch (Config.ConfigError e) {
                throw fatal(i + 1, line, e.getMessage());
            }
        }
    }

    private static FatalConfigError fatal(int lineNo, String line, String err) {
        return new FatalConfigError("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
                + "Reading the configuration file, at line " + lineNo + "\n"
                + ">>> '" + line + "'\n" + err);
    }
}
