package dev.starling.command;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of the command table: Redis 7.0's metadata for the command (from commands.json) plus
 * the handler that implements it and its statistics.
 */
public final class Command {
    // Command flags, as Redis's CMD_* (names as COMMAND INFO prints them).
    public static final long WRITE = 1L, READONLY = 1L << 1, DENYOOM = 1L << 2, MODULE = 1L << 3, ADMIN = 1L << 4,
            PUBSUB = 1L << 5, NOSCRIPT = 1L << 6, BLOCKING = 1L << 8, LOADING = 1L << 9, STALE = 1L << 10,
            SKIP_MONITOR = 1L << 11, SKIP_SLOWLOG = 1L << 12, ASKING = 1L << 13, FAST = 1L << 14,
            NO_AUTH = 1L << 15, MAY_REPLICATE = 1L << 16, SENTINEL = 1L << 17, ONLY_SENTINEL = 1L << 18,
            NO_MANDATORY_KEYS = 1L << 19, PROTECTED = 1L << 20, NO_ASYNC_LOADING = 1L << 23,
            NO_MULTI = 1L << 24, MOVABLE_KEYS = 1L << 25, ALLOW_BUSY = 1L << 26;

    static long flagOf(String name) {
        return switch (name) {
            case "write" -> WRITE;
            case "readonly" -> READONLY;
            case "denyoom" -> DENYOOM;
            case "module" -> MODULE;
            case "admin" -> ADMIN;
            case "pubsub" -> PUBSUB;
            case "noscript" -> NOSCRIPT;
            case "blocking" -> BLOCKING;
            case "loading" -> LOADING;
            case "stale" -> STALE;
            case "skip_monitor" -> SKIP_MONITOR;
            case "skip_slowlog" -> SKIP_SLOWLOG;
            case "asking" -> ASKING;
            case "fast" -> FAST;
            case "no_auth" -> NO_AUTH;
            case "may_replicate" -> MAY_REPLICATE;
            case "no_mandatory_keys" -> NO_MANDATORY_KEYS;
            case "no_async_loading" -> NO_ASYNC_LOADING;
            case "no_multi" -> NO_MULTI;
            case "movablekeys" -> MOVABLE_KEYS;
            case "allow_busy" -> ALLOW_BUSY;
            default -> 0;
        };
    }

    /** Lower-case name; "parent|sub" for subcommands, as Redis's fullname. */
    public final String fullName;
    /** Upper-case name of the container command, for "Try CONFIG HELP." */
    public final String name;
    public final int arity;
    public final long flags;
    public final int firstKey, lastKey, keyStep;
    /** COMMAND INFO and COMMAND DOCS entries of Redis 7.0, as typed RESP3 nodes. */
    public final JsonNode info, docs;
    public final Command parent;
    public final Map<String, Command> subcommands = new LinkedHashMap<>();

    /** Null until a command family binds it; unbound commands are "unknown" to clients. */
    public CommandHandler handler;
    /** Per-call latency in nanoseconds for INFO latencystats (Redis's latency_histogram, 1ns..1s). */
    public org.HdrHistogram.Histogram latencyHistogram;

    // INFO commandstats
    public long calls, microseconds, rejectedCalls, failedCalls;

    Command(String fullName, int arity, long flags, int firstKey, int lastKey, int keyStep, JsonNode info, JsonNode docs, Command parent) {
        this.fullName = fullName;
        this.name = fullName;
        this.arity = arity;
        this.flags = flags;
        this.firstKey = firstKey;
        this.lastKey = lastKey;
        this.keyStep = keyStep;
        this.info = info;
        this.docs = docs;
        this.parent = parent;
    }

    public boolean has(long flag) {
        return (flags & flag) != 0;
    }

    /** True if this command, or (for a container) any subcommand, has a handler. */
    public boolean implemented() {
        if (handler != null) return true;
        for (Command s : subcommands.values()) if (s.handler != null) return true;
        return false;
    }

    public boolean isContainer() {
        return !subcommands.isEmpty();
    }

    /** Checks argc against arity: exact when positive, a minimum when negative. */
    public boolean arityOk(int argc) {
        return arity > 0 ? argc == arity : argc >= -arity;
    }

    public void resetStats() {
        calls = microseconds = rejectedCalls = failedCalls = 0;
    }
}
