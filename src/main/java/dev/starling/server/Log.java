package dev.starling.server;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Redis's log format, so operators' greps work: {@code pid:R dd Mon yyyy HH:MM:SS.mmm L message},
 * where R is the role (M master, S replica, C child, X sentinel) and L the level
 * ('.' debug, '-' verbose, '*' notice, '#' warning).
 */
public final class Log {
    public static final int DEBUG = 0, VERBOSE = 1, NOTICE = 2, WARNING = 3;
    private static final char[] LEVEL_CHARS = {'.', '-', '*', '#'};
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("dd MMM yyyy HH:mm:ss.SSS", Locale.ENGLISH).withZone(ZoneId.systemDefault());

    private final long pid = ProcessHandle.current().pid();
    private volatile int verbosity = NOTICE;
    private volatile String file = "";
    private volatile char role = 'M';
    private final Clock clock;

    public Log(Clock clock) {
        this.clock = clock;
    }

    public static int levelOf(String name) {
        return switch (name) {
            case "debug" -> DEBUG;
            case "verbose" -> VERBOSE;
            case "warning" -> WARNING;
            default -> NOTICE;
        };
    }

    public void setVerbosity(int level) {
        this.verbosity = level;
    }

    public void setFile(String file) {
        this.file = file == null ? "" : file;
    }

    public void setRole(char role) {
        this.role = role;
    }

    public boolean enabled(int level) {
        return level >= verbosity;
    }

    public void debug(String msg) {
        log(DEBUG, msg);
    }

    public void verbose(String msg) {
        log(VERBOSE, msg);
    }

    public void notice(String msg) {
        log(NOTICE, msg);
    }

    public void warning(String msg) {
        log(WARNING, msg);
    }

    public void log(int level, String msg) {
        if (level < verbosity) return;
        String line = pid + ":" + role + " " + TIME.format(Instant.ofEpochMilli(clock.millis())) + " " + LEVEL_CHARS[level] + " " + msg;
        raw(line);
    }

    /** Writes a line without the prefix (the ASCII logo). */
    public synchronized void raw(String text) {
        if (file.isEmpty()) {
            System.out.println(text);
            System.out.flush();
            return;
        }
        try (PrintStream out = new PrintStream(new FileOutputStream(file, true), false, StandardCharsets.UTF_8)) {
            out.println(text);
        } catch (IOException e) {
            System.out.println(text);
        }
    }
}
