package dev.starling.observability;

import dev.starling.command.Command;
import dev.starling.command.CommandTable;
import dev.starling.command.Help;
import dev.starling.protocol.Errors;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * SLOWLOG (Redis's slowlog.c): commands slower than slowlog-log-slower-than microseconds, newest
 * first, at most slowlog-max-len of them. Entries keep at most 32 arguments and 128 bytes of each,
 * as Redis does, so a huge command cannot make the log huge.
 */
public final class SlowLog implements Server.CallListener {
    static final int ENTRY_MAX_ARGC = 32, ENTRY_MAX_STRING = 128;

    record Entry(long id, long unixTime, long micros, byte[][] argv, String peer, String name) {}

    private final Server server;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long nextId;

    SlowLog(Server server) {
        this.server = server;
    }

    /** Creates the server's slow log and hooks it after every command. */
    public static void install(Server server) {
        server.slowlog = new SlowLog(server);
    }

    public static void register(CommandTable t) {
        t.bind("slowlog|get", SlowLog::get);
        t.bind("slowlog|len", SlowLog::len);
        t.bind("slowlog|reset", SlowLog::reset);
        t.bind("slowlog|help", SlowLog::help);
    }

    @Override
    public void afterCall(Client c, Command cmd, long micros) {
        if (cmd.has(Command.SKIP_SLOWLOG) || c.has(Client.BLOCKED)) return;
        push(c, c.argv, c.argc, micros);
    }

    /** Redis's slowlogPushEntryIfNeeded. */
    public void push(Client c, byte[][] argv, int argc, long micros) {
        long threshold = server.config.slowlogLogSlowerThan;
        if (threshold < 0 || micros < threshold) return;
        int n = Math.min(argc, ENTRY_MAX_ARGC);
        byte[][] kept = new byte[n][];
        for (int j = 0; j < n; j++) {
            if (n != argc && j == n - 1) {
                kept[j] = ("... (" + (argc - n + 1) + " more arguments)").getBytes(StandardCharsets.US_ASCII);
            } else if (argv[j].length > ENTRY_MAX_STRING) {
                byte[] tail = ("... (" + (argv[j].length - ENTRY_MAX_STRING) + " more bytes)").getBytes(StandardCharsets.US_ASCII);
                byte[] s = Arrays.copyOf(argv[j], ENTRY_MAX_STRING + tail.length);
                System.arraycopy(tail, 0, s, ENTRY_MAX_STRING, tail.length);
                kept[j] = s;
            } else {
                kept[j] = argv[j];
            }
        }
        entries.addFirst(new Entry(nextId++, server.clock.millis() / 1000, micros, kept,
                c.channel == null ? "" : c.addr(), c.name == null ? "" : c.name));
        trim();
    }

    private void trim() {
        while (entries.size() > server.config.slowlogMaxLen) entries.removeLast();
    }

    public int length() {
        return entries.size();
    }

    static void get(Client c) {
        SlowLog log = c.server.slowlog;
        if (c.argc > 3) {
            c.addReplyError(Errors.subcommandSyntax(c.argv[1], "slowlog"));
            return;
        }

        long count = 10;
        if (c.argc == 3) {
            if (!c.getLongLong(c.argv[2], Errors.SLOWLOG_COUNT)) return;
            if (c.llval < -1) {
                c.addReplyError(Errors.SLOWLOG_COUNT);
                return;
            }
            count = c.llval == -1 ? log.entries.size() : c.llval;
        }
        int n = (int) Math.min(count, log.entries.size());
        c.addReplyArrayLen(n);
        Iterator<Entry> it = log.entries.iterator();
        for (int i = 0; i < n; i++) {
            Entry e = it.next();
            c.addReplyArrayLen(6);
            c.addReplyLongLong(e.id);
            c.addReplyLongLong(e.unixTime);
            c.addReplyLongLong(e.micros);
            c.addReplyArrayLen(e.argv.length);
            for (byte[] a : e.argv) c.addReplyBulk(a);
            c.addReplyBulkString(e.peer);
            c.addReplyBulkString(e.name);
        }
    }

    static void len(Client c) {

        c.addReplyLongLong(c.server.slowlog.entries.size());
    }

    static void reset(Client c) {
        c.server.slowlog.entries.clear();
        c.addReplyOk();
    }

    private static final String[] HELP = {
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
    };

    static void help(Client c) {
        Help.reply(c, "SLOWLOG", HELP);
    }
}
