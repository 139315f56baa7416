package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** COMMAND INFO/DOCS for every fully implemented command and GETKEYS across Redis 7.0's table, against Redis. */
class CommandCommandDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    /** Implemented commands whose subcommands (if any) are all implemented: their metadata must be Redis's. */
    static List<String> fullyImplemented() {
        List<String> out = new ArrayList<>();
        for (Command c : diff.starling.server.commands.implemented()) {
            boolean all = true;
            for (Command s : c.subcommands.values()) all &= s.handler != null;
            if (all) out.add(c.fullName);
            for (Command s : c.subcommands.values()) if (s.handler != null) out.add(s.fullName);
        }
        return out;
    }

    @Test
    void commandInfoAndDocs_everyImplementedCommand_resp2AndResp3() {
        List<String> names = fullyImplemented();
        assertThat(names).contains("get", "client|list", "command|info", "hello");
        for (String proto : new String[]{"2", "3"}) {
            diff.ours().call(RespClient.args("HELLO", proto));
            diff.theirs().call(RespClient.args("HELLO", proto));
            for (String n : names) {
                if (diff.starling.server.commands.find(n).isContainer()) {
                    // Redis orders subcommands by a per-process seeded hash: compare the lines, unordered.
                    sameUnordered("COMMAND", "INFO", n);
                    sameUnordered("COMMAND", "DOCS", n);
                } else {
                    diff.same("COMMAND", "INFO", n);
                    diff.same("COMMAND", "DOCS", n);
                }
            }
            diff.same("COMMAND", "INFO", "nosuchcommand", "get");
            diff.same("COMMAND", "DOCS", "nosuchcommand");
        }
        diff.ours().call(RespClient.args("HELLO", "2"));
        diff.theirs().call(RespClient.args("HELLO", "2"));
    }

    static void sameUnordered(String... args) {
        String[] ours = diff.ours().callString(args).split("\r\n");
        String[] theirs = diff.theirs().callString(args).split("\r\n");
        java.util.Arrays.sort(ours);
        java.util.Arrays.sort(theirs);
        assertThat(ours).as("lines of %s", String.join(" ", args)).containsExactly(theirs);
    }

    @Test
    void commandCount_countsImplementedCommands() {
        int n = diff.starling.server.commands.implemented().size();
        assertThat(diff.ours().callString("COMMAND", "COUNT")).isEqualTo(":" + n + "\r\n");
        assertThat(diff.ours().callString("COMMAND")).startsWith("*" + n + "\r\n");
        assertThat(diff.ours().callString("COMMAND", "LIST", "FILTERBY", "PATTERN", "ge?")).isEqualTo("*1\r\n$3\r\nget\r\n");
    }

    @Test
    void commandErrorsAndHelp_matchRedis() {
        for (String[] c : new String[][]{{"COMMAND", "HELP"}, {"COMMAND", "COUNT", "x"}, {"COMMAND", "LIST", "FILTERBY"},
                {"COMMAND", "LIST", "FILTERBY", "foo", "bar"}, {"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"},
                {"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}, {"COMMAND", "LIST", "x"}, {"COMMAND", "nosuch"},
                {"COMMAND", "GETKEYS"}, {"COMMAND", "GETKEYS", "get"}}) {
            diff.same(c);
        }
    }

    @Test
    void getkeys_acrossRedisCommands_matchRedis() {
        String[][] cases = {
                {"get", "a"}, {"set", "a", "b"}, {"set", "a", "b", "GET"}, {"mset", "a", "1", "b", "2"}, {"mset", "a", "1", "b"},
                {"mget", "a", "b", "c"}, {"del", "a", "b"}, {"nosuch", "a"}, {"config", "get"}, {"config", "nosuch"},
                {"eval", "s", "x"}, {"eval", "s", "2", "a", "b", "c"}, {"eval", "s", "3", "a"}, {"evalsha", "s", "0"},
                {"fcall", "f", "1", "k"}, {"zunionstore", "d", "2", "a"}, {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"},
                {"zinterstore", "d", "0"}, {"zdiff", "2", "a", "b"}, {"lmpop", "1"}, {"lmpop", "2", "a", "b", "LEFT"},
                {"blmpop", "0", "2", "a", "b", "LEFT"}, {"zmpop", "1", "a", "MIN"}, {"sintercard", "2", "a", "b"},
                {"sort", "a", "by", "x", "store", "b", "limit", "0", "1", "store", "c"}, {"sort", "a"}, {"sort_ro", "a", "get", "x"},
                {"migrate", "h", "p", "", "0", "5", "keys", "a", "b"}, {"migrate", "h", "p", "k", "0", "5"},
                {"migrate", "h", "p", "k", "0", "5", "keys", "a"}, {"georadius", "k", "1", "2", "3", "m", "store", "d"},
                {"georadius", "k", "1", "2", "3", "m", "storedist", "d"}, {"xread", "streams", "a", "b", "1", "2"},
                {"xread", "count", "1", "streams", "a", "1"}, {"xreadgroup", "group", "g", "c", "streams", "a", "b", "0", "0"},
                {"xread", "streams", "a", "b", "1"}, {"bitfield", "k", "get", "u8", "0"}, {"bitfield", "k", "set", "u8", "0", "1"},
                {"bitfield_ro", "k", "get", "u8", "0"}, {"rename", "a", "b"}, {"smove", "a", "b", "m"}, {"lmove", "a", "b", "LEFT", "RIGHT"},
                {"object", "encoding", "k"}, {"memory", "usage", "k"}, {"xinfo", "stream", "k"}, {"pfcount", "a", "b"},
                {"pfmerge", "d", "a", "b"}, {"bitop", "and", "d", "a", "b"}, {"georadiusbymember", "k", "m", "1", "m", "store", "d"},
                {"geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "m"}, {"blpop", "a", "b", "0"},
                {"brpoplpush", "a", "b", "0"}, {"watch", "a", "b"}, {"spublish", "ch", "m"}, {"ssubscribe", "a", "b"},
                {"ping"}, {"ping", "x"}, {"msetnx", "a", "1"}, {"touch", "a"}, {"copy", "a", "b"}, {"lcs", "a", "b"},
                {"function", "load", "x"}, {"script", "exists", "x"}, {"client", "kill", "x"}, {"debug", "x"},
                {"xautoclaim", "k", "g", "c", "0", "0"}, {"zrangestore", "d", "s", "0", "1"}, {"getex", "k"},
                {"eval_ro", "s", "1", "k"}, {"fcall_ro", "f", "0"}, {"bzmpop", "0", "1", "k", "MAX"}, {"restore", "k", "0", "x"},
        };
        for (String[] c : cases) {
            String[] getkeys = new String[c.length + 2];
            getkeys[0] = "COMMAND";
            getkeys[1] = "GETKEYS";
            System.arraycopy(c, 0, getkeys, 2, c.length);
            diff.same(getkeys);
            getkeys[1] = "GETKEYSANDFLAGS";
            diff.same(getkeys);
        }
    }
}
