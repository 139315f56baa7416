package dev.starling.command;

import com.fasterxml.jackson.databind.JsonNode;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Numbers;
import dev.starling.server.Client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.starling.command.ConnectionCommands.equalsAscii;

/**
 * COMMAND and its subcommands, answered from the command table (Redis 7.0's COMMAND INFO/DOCS kept
 * as typed RESP3 nodes, re-emitted in the client's protocol). Only implemented commands are shown,
 * and of a container only its implemented subcommands. GETKEYS works for every Redis 7.0 command
 * from the key specs, with Redis's getkeys procedures where the specs are not enough.
 */
final class CommandCommands {
    private CommandCommands() {}

    static void register(CommandTable t) {
        t.bind("command", CommandCommands::command);
        t.bind("command|count", CommandCommands::count);
        t.bind("command|info", CommandCommands::info);
        t.bind("command|docs", CommandCommands::docs);
        t.bind("command|list", CommandCommands::list);
        t.bind("command|getkeys", c -> getkeys(c, false));
        t.bind("command|getkeysandflags", c -> getkeys(c, true));
        t.bind("command|help", CommandCommands::help);
    }

    // ---------------------------------------------------------------- typed node emission

    /** Writes a typed RESP3 node in c's protocol (maps flatten and sets become arrays in RESP2). */
    static void emit(Client c, JsonNode n) {
        JsonNode v = n.get(1);
        switch (n.get(0).asText()) {
            case "$" -> c.addReplyBulkString(v.asText());
            case ":" -> c.addReplyLongLong(v.asLong());
            case "+" -> c.addReplyStatus(v.asText());
            case "*" -> {
                c.addReplyArrayLen(v.size());
                for (JsonNode x : v) emit(c, x);
            }
            case "~" -> {
                c.addReplySetLen(v.size());
                for (JsonNode x : v) emit(c, x);
            }
            case "%" -> {
                c.addReplyMapLen(v.size() / 2);
                for (JsonNode x : v) emit(c, x);
            }
            default -> c.addReplyNull();
        }
    }

    /** Redis's addReplyCommandInfo: 10 fields, the last being the implemented subcommands. */
    static void addReplyCommandInfo(Client c, Command cmd) {
        JsonNode f = cmd.info.get(1);
        c.addReplyArrayLen(10);
        for (int i = 0; i < 9; i++) emit(c, f.get(i));
        List<Command> subs = implementedSubs(cmd);
        if (subs.isEmpty()) {
            emit(c, f.get(9)); // Redis sends an empty set for a command without subcommands
            return;
        }
        c.addReplyArrayLen(subs.size());
        for (Command s : subs) addReplyCommandInfo(c, s);
    }

    /** Redis's addReplyCommandDocs, with "subcommands" limited to implemented ones. */
    static void addReplyCommandDocs(Client c, Command cmd) {
        JsonNode kv = cmd.docs.get(1);
        c.addReplyMapLen(kv.size() / 2);
        for (int i = 0; i + 1 < kv.size(); i += 2) {
            emit(c, kv.get(i));
            if (kv.get(i).get(1).asText().equals("subcommands")) {
                List<Command> subs = implementedSubs(cmd);
                c.addReplyMapLen(subs.size());
                for (Command s : subs) {
                    c.addReplyBulkString(s.fullName);
                    addReplyCommandDocs(c, s);
                }
            } else {
                emit(c, kv.get(i + 1));
            }
        }
    }

    static List<Command> implementedSubs(Command cmd) {
        List<Command> out = new ArrayList<>();
        for (Command s : cmd.subcommands.values()) if (s.handler != null) out.add(s);
        return out;
    }

    /** An implemented command by "name" or "container|sub", case-insensitively; null if none. */
    static Command lookupImplemented(Client c, byte[] name) {
        Command cmd = c.server.commands.find(new String(name, StandardCharsets.UTF_8));
        if (cmd == null) return null;
        if (cmd.parent != null) return cmd.handler != null && cmd.parent.implemented() ? cmd : null;
        return cmd.implemented() ? cmd : null;
    }

    // ---------------------------------------------------------------- subcommands

    static void command(Client c) {
        List<Command> all = c.server.commands.implemented();
        c.addReplyArrayLen(all.size());
        for (Command cmd : all) addReplyCommandInfo(c, cmd);
    }

    static void count(Client c) {
        c.addReplyLongLong(c.server.commands.implemented().size());
    }

    static void info(Client c) {
        if (c.argc == 2) {
            command(c);
            return;
        }
        c.addReplyArrayLen(c.argc - 2);
        for (int i = 2; i < c.argc; i++) {
            Command cmd = lookupImplemented(c, c.argv[i]);
            if (cmd == null) c.addReplyNull();
            else addReplyCommandInfo(c, cmd);
        }
    }

    static void docs(Client c) {
        if (c.argc == 2) {
            List<Command> all = c.server.commands.implemented();
            c.addReplyMapLen(all.size());
            for (Command cmd : all) {
                c.addReplyBulkString(cmd.fullName);
                addReplyCommandDocs(c, cmd);
            }
            return;
        }
        List<Command> found = new ArrayList<>();
        for (int i = 2; i < c.argc; i++) {
            Command cmd = lookupImplemented(c, c.argv[i]);
            if (cmd != null) found.add(cmd);
        }
        c.addReplyMapLen(found.size());
        for (Command cmd : found) {
            c.addReplyBulkString(cmd.fullName);
            addReplyCommandDocs(c, cmd);
        }
    }

    static final int FILTER_NONE = 0, FILTER_MODULE = 1, FILTER_ACLCAT = 2, FILTER_PATTERN = 3;

    static void list(Client c) {
        int filter = FILTER_NONE;
        byte[] arg = null;
        for (int i = 2; i < c.argc; i++) {
            int more = c.argc - 1 - i;
            if (equalsAscii(c.argv[i], "filterby") && more == 2) {
                byte[] type = c.argv[i + 1];
                if (equalsAscii(type, "module")) filter = FILTER_MODULE;
                else if (equalsAscii(type, "aclcat")) filter = FILTER_ACLCAT;
                else if (equalsAscii(type, "pattern")) filter = FILTER_PATTERN;
                else {
                    c.addReplyError(Errors.SYNTAX);
                    return;
                }
                arg = c.argv[i + 2];
                i += 2;
            } else {
                c.addReplyError(Errors.SYNTAX);
                return;
            }
        }
        List<String> names = new ArrayList<>();
        for (Command cmd : c.server.commands.implemented()) {
            if (matches(cmd, filter, arg)) names.add(cmd.fullName);
            for (Command s : implementedSubs(cmd)) if (matches(s, filter, arg)) names.add(s.fullName);
        }
        c.addReplyArrayLen(names.size());
        for (String n : names) c.addReplyBulkString(n);
    }

    private static boolean matches(Command cmd, int filter, byte[] arg) {
        switch (filter) {
            case FILTER_NONE:
                return true;
            case FILTER_MODULE:
                return false; // no modules
            case FILTER_ACLCAT: {
                String cat = "@" + new String(arg, StandardCharsets.UTF_8).toLowerCase(java.util.Locale.ROOT);
                for (JsonNode x : cmd.info.get(1).get(6).get(1)) if (x.get(1).asText().equals(cat)) return true;
                return false;
            }
            default:
                byte[] name = cmd.fullName.getBytes(StandardCharsets.US_ASCII);
                return dev.starling.keyspace.Glob.match(arg, 0, arg.length, name, 0, name.length, true);
        }
    }

    // ---------------------------------------------------------------- GETKEYS

    /** A parsed key spec (Redis's keySpec). */
    record KeySpec(List<String> flags, String bsType, int index, String keyword, int startfrom,
                   String fkType, int lastkey, int keystep, int limit, int keynumidx, int firstkey) {}

    static List<KeySpec> keySpecs(Command cmd) {
        List<KeySpec> out = new ArrayList<>();
        for (JsonNode spec : cmd.info.get(1).get(8).get(1)) {
            List<String> flags = new ArrayList<>();
            for (JsonNode f : CommandTable.docField(spec, "flags").get(1)) flags.add(f.get(1).asText());
            JsonNode bs = CommandTable.docField(spec, "begin_search");
            JsonNode fk = CommandTable.docField(spec, "find_keys");
            String bsType = CommandTable.docField(bs, "type").get(1).asText();
            JsonNode bsSpec = CommandTable.docField(bs, "spec");
            String fkType = CommandTable.docField(fk, "type").get(1).asText();
            JsonNode fkSpec = CommandTable.docField(fk, "spec");
            out.add(new KeySpec(flags, bsType, intField(bsSpec, "index"), textField(bsSpec, "keyword"),
                    intField(bsSpec, "startfrom"), fkType, intField(fkSpec, "lastkey"), intField(fkSpec, "keystep"),
                    intField(fkSpec, "limit"), intField(fkSpec, "keynumidx"), intField(fkSpec, "firstkey")));
        }
        return out;
    }

    private static int intField(JsonNode map, String k) {
        JsonNode v = CommandTable.docField(map, k);
        return v == null ? 0 : v.get(1).asInt();
    }

    private static String textField(JsonNode map, String k) {
        JsonNode v = CommandTable.docField(map, k);
        return v == null ? null : v.get(1).asText();
    }

    /** One key found: its argument position and flags. */
    record KeyRef(int pos, List<String> flags) {}

    static final List<String> RO_ACCESS = List.of("RO", "access"), OW_UPDATE = List.of("OW", "update"),
            RW_ACCESS_UPDATE = List.of("RW", "access", "update"), RW_ACCESS_DELETE = List.of("RW", "access", "delete");

    /**
     * Redis's getKeysFromCommandWithSpecs: the keys of argv for cmd, or null when the arguments
     * do not hold the keys the specs promise (Redis's -1 then 0).
     */
    static List<KeyRef> getKeys(Command cmd, byte[][] argv, int argc) {
        String name = cmd.fullName;
        switch (name) {
            case "set": return setGetKeys(argv, argc);
            case "bitfield": return bitfieldGetKeys(argv, argc);
            case "sort": return sortGetKeys(argv, argc, false);
            case "sort_ro": return sortGetKeys(argv, argc, true);
            case "migrate": return migrateGetKeys(argv, argc);
            default: break;
        }
        List<KeyRef> keys = new ArrayList<>();
        for (KeySpec spec : keySpecs(cmd)) {
            if (spec.flags.contains("not_key")) continue;
            int first = 0;
            if (spec.bsType.equals("index")) {
                first = spec.index;
            } else if (spec.bsType.equals("keyword")) {
                int start = spec.startfrom > 0 ? spec.startfrom : argc + spec.startfrom;
                int end = spec.startfrom > 0 ? argc - 1 : 0;
                for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
                    if (i >= argc || i < 1) break;
                    if (new String(argv[i], StandardCharsets.UTF_8).equalsIgnoreCase(spec.keyword)) {
                        first = i + 1;
                        break;
                    }
                }
                if (first == 0) continue;
            } else {
                return null;
            }
            int last, step;
            if (spec.fkType.equals("range")) {
                step = spec.keystep;
                if (spec.lastkey >= 0) last = first + spec.lastkey;
                else if (spec.limit == 0) last = argc + spec.lastkey;
                else last = first + ((argc - first) / spec.limit + spec.lastkey);
            } else if (spec.fkType.equals("keynum")) {
                step = spec.keystep;
                if (first + spec.keynumidx >= argc) return null;
                byte[] s = argv[first + spec.keynumidx];
                long numkeys = Numbers.parseLong(s);
                if (!Numbers.isValidLong(numkeys, s) || numkeys < 0) return null;
                first += spec.firstkey;
                last = first + (int) numkeys - 1;
            } else {
                return null;
            }
            if (last >= argc || last < first || first >= argc) return null;
            for (int i = first; i <= last; i += step) {
                if (i >= argc || i < first) continue;
                keys.add(new KeyRef(i, spec.flags));
            }
        }
        return keys;
    }

    private static List<KeyRef> setGetKeys(byte[][] argv, int argc) {
        for (int i = 3; i < argc; i++) {
            if (equalsAscii(argv[i], "get")) return List.of(new KeyRef(1, RW_ACCESS_UPDATE));
        }
        return List.of(new KeyRef(1, OW_UPDATE));
    }

    private static List<KeyRef> bitfieldGetKeys(byte[][] argv, int argc) {
        boolean readonly = true;
        for (int i = 2; i < argc; i++) {
            int rem = argc - i - 1;
            if (equalsAscii(argv[i], "get") && rem >= 2) {
                i += 2;
            } else if ((equalsAscii(argv[i], "set") || equalsAscii(argv[i], "incrby")) && rem >= 3) {
                readonly = false;
                break;
            } else if (equalsAscii(argv[i], "overflow") && rem >= 1) {
                i += 1;
            }
        }
        return List.of(new KeyRef(1, readonly ? RO_ACCESS : RW_ACCESS_UPDATE));
    }

    private static List<KeyRef> sortGetKeys(byte[][] argv, int argc, boolean ro) {
        List<KeyRef> keys = new ArrayList<>();
        keys.add(new KeyRef(1, RO_ACCESS));
        if (ro) return keys;
        int store = -1;
        for (int i = 2; i < argc; i++) {
            if (equalsAscii(argv[i], "limit")) i += 2;
            else if (equalsAscii(argv[i], "get") || equalsAscii(argv[i], "by")) i += 1;
            else if (equalsAscii(argv[i], "store") && i + 1 < argc) store = i + 1;
        }
        if (store > 0) keys.add(new KeyRef(store, OW_UPDATE));
        return keys;
    }

    private static List<KeyRef> migrateGetKeys(byte[][] argv, int argc) {
        int first = 3, num = 1;
        if (argc > 6) {
            for (int i = 6; i < argc; i++) {
                if (equalsAscii(argv[i], "keys")) {
                    if (argv[3].length > 0) return List.of();
                    first = i + 1;
                    num = argc - first;
                    break;
                }
                if (equalsAscii(argv[i], "auth")) i += 1;
                else if (equalsAscii(argv[i], "auth2")) i += 2;
            }
        }
        List<KeyRef> keys = new ArrayList<>();
        for (int i = 0; i < num; i++) keys.add(new KeyRef(first + i, RW_ACCESS_DELETE));
        return keys;
    }

    private static boolean hasKeys(Command cmd) {
        for (KeySpec s : keySpecs(cmd)) if (!s.flags.contains("not_key")) return true;
        return false;
    }

    static void getkeys(Client c, boolean withFlags) {
        Command cmd = c.server.commands.find(c.argString(2));
        if (cmd != null && cmd.isContainer() && c.argc >= 4) {
            cmd = cmd.subcommands.get(c.argString(3).toLowerCase(java.util.Locale.ROOT));
        }
        if (cmd == null) {
            c.addReplyError(Errors.INVALID_COMMAND);
            return;
        }
        if (!hasKeys(cmd)) {
            c.addReplyError(Errors.COMMAND_NO_KEYS);
            return;
        }
        int argc = c.argc - 2;
        if ((cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity) {
            c.addReplyError(Errors.INVALID_COMMAND_ARGC);
            return;
        }
        byte[][] argv = new byte[argc][];
        System.arraycopy(c.argv, 2, argv, 0, argc);
        List<KeyRef> keys = getKeys(cmd, argv, argc);
        if (keys == null || keys.isEmpty()) {
            if (cmd.has(Command.NO_MANDATORY_KEYS)) c.addReplyArrayLen(0);
            else c.addReplyError(Errors.INVALID_COMMAND_ARGS);
            return;
        }
        c.addReplyArrayLen(keys.size());
        for (KeyRef k : keys) {
            if (withFlags) {
                c.addReplyArrayLen(2);
                c.addReplyBulk(argv[k.pos]);
                c.addReplySetLen(k.flags.size());
                for (String f : k.flags) c.addReplyStatus(f);
            } else {
                c.addReplyBulk(argv[k.pos]);
            }
        }
    }

    private static final String[] HELP = {
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
    };

    static void help(Client c) {
        Help.reply(c, "COMMAND", HELP);
    }
}
