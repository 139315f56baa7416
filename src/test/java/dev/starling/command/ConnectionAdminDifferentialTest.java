package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** HELLO AUTH RESET CLIENT SLOWLOG LATENCY SHUTDOWN replies and errors, byte for byte against Redis 7.0. */
class ConnectionAdminDifferentialTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    /** Sends args to both servers on fresh connections and compares, with the client id masked. */
    static void sameFresh(String... args) {
        try (RespClient a = new RespClient(diff.redis.port()); RespClient b = new RespClient(diff.starling.port())) {
            String expected = maskId(new String(a.call(RespClient.args(args)), StandardCharsets.ISO_8859_1));
            String actual = maskId(new String(b.call(RespClient.args(args)), StandardCharsets.ISO_8859_1));
            assertThat(actual).as("reply to %s", String.join(" ", args)).isEqualTo(expected);
        }
    }

    static String maskId(String s) {
        return s.replaceAll("\\$2\r\nid\r\n:\\d+", "\\$2\r\nid\r\n:ID");
    }

    @Test
    void hello_variants_matchRedis() {
        sameFresh("HELLO");
        sameFresh("HELLO", "2");
        sameFresh("HELLO", "3");
        sameFresh("HELLO", "3", "SETNAME", "myname");
        sameFresh("HELLO", "2", "AUTH", "default", "anything");
    }

    @Test
    void hello_badArguments_sameErrors() {
        for (String[] a : new String[][]{{"HELLO", "x"}, {"HELLO", "4"}, {"HELLO", "1"}, {"HELLO", "3", "foo"},
                {"HELLO", "3", "AUTH", "a"}, {"HELLO", "3", "SETNAME"}, {"HELLO", "3", "SETNAME", "a b"},
                {"HELLO", "2", "AUTH", "bob", "x"}, {"HELLO", "-1"}}) {
            sameFresh(a);
        }
    }

    @Test
    void auth_withoutPassword_sameErrors() {
        diff.same("AUTH", "x");
        diff.same("AUTH", "default", "x");
        diff.same("AUTH", "bob", "x");
        diff.same("AUTH", "a", "b", "c");
    }

    @Test
    void reset_restoresConnectionState() {
        try (RespClient a = new RespClient(diff.redis.port()); RespClient b = new RespClient(diff.starling.port())) {
            for (RespClient r : new RespClient[]{a, b}) {
                r.call(RespClient.args("HELLO", "3"));
                r.call(RespClient.args("SELECT", "3"));
                r.call(RespClient.args("CLIENT", "SETNAME", "x"));
            }
            for (String[] cmd : new String[][]{{"RESET"}, {"CLIENT", "GETNAME"}, {"PING"}}) {
                assertThat(new String(b.call(RespClient.args(cmd)))).isEqualTo(new String(a.call(RespClient.args(cmd))));
            }
        }
    }

    @Test
    void client_errors_matchRedis() {
        String[][] cases = {
                {"CLIENT", "PAUSE", "10", "x", "y"}, {"CLIENT", "KILL", "a", "b", "c"}, {"CLIENT", "KILL", "1.2.3.4:5"},
                {"CLIENT", "KILL", "ID", "0"}, {"CLIENT", "KILL", "ID", "x"}, {"CLIENT", "KILL", "MAXAGE", "10"},
                {"CLIENT", "KILL", "TYPE", "foo"}, {"CLIENT", "KILL", "USER", "nobody"}, {"CLIENT", "KILL", "SKIPME", "maybe"},
                {"CLIENT", "KILL", "ID", "999999"}, {"CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "yes"},
                {"CLIENT", "KILL", "ID"}, {"CLIENT", "LIST", "TYPE", "foo"}, {"CLIENT", "LIST", "ID", "0"},
                {"CLIENT", "LIST", "ID", "x"}, {"CLIENT", "LIST", "ID", "-1"}, {"CLIENT", "LIST", "ID", "1", "x"}, {"CLIENT", "LIST", "foo", "bar"}, {"CLIENT", "LIST", "ID", "99999"},
                {"CLIENT", "LIST", "TYPE", "pubsub"}, {"CLIENT", "LIST", "TYPE", "master"}, {"CLIENT", "PAUSE", "x"},
                {"CLIENT", "PAUSE", "-1"}, {"CLIENT", "PAUSE", "10", "foo"}, {"CLIENT", "REPLY", "foo"},
                {"CLIENT", "NO-EVICT", "maybe"}, {"CLIENT", "NO-EVICT", "on"}, {"CLIENT", "NO-EVICT", "off"},
                {"CLIENT", "GETNAME"}, {"CLIENT", "SETNAME", "a b"}, {"CLIENT", "SETNAME", "a\nb"},
                {"CLIENT", "SETNAME", "ok"}, {"CLIENT", "GETNAME"}, {"CLIENT", "SETNAME", ""}, {"CLIENT", "GETNAME"},
                {"CLIENT", "SETNAME"}, {"CLIENT", "HELP"}, {"CLIENT", "nosuch"}, {"CLIENT"}, {"CLIENT", "ID", "x"},
                {"CLIENT", "PAUSE", "0"}, {"CLIENT", "UNPAUSE"},
        };
        for (String[] c : cases) diff.same(c);
    }

    @Test
    void clientReply_skipAndOff_matchRedis() {
        diff.sameRaw("CLIENT REPLY SKIP\r\nPING\r\nECHO after-skip\r\n");
        diff.sameRaw("CLIENT REPLY OFF\r\nPING\r\nECHO x\r\nCLIENT REPLY ON\r\n");
        diff.same("PING");
    }

    @Test
    void clientInfo_freshConnection_sameLineExceptIdentity() {
        try (RespClient a = new RespClient(diff.redis.port()); RespClient b = new RespClient(diff.starling.port())) {
            for (String[] cmd : new String[][]{{"CLIENT", "INFO"}, {"CLIENT", "SETNAME", "abc"}, {"SELECT", "3"}, {"CLIENT", "INFO"}}) {
                String theirs = maskIdentity(a.callString(cmd));
                String ours = maskIdentity(b.callString(cmd));
                assertThat(ours).isEqualTo(theirs);
            }
            String ours = diff.ours().callString("CLIENT", "INFO");
            assertThat(fieldNames(ours)).isEqualTo(fieldNames(diff.theirs().callString("CLIENT", "INFO")));
            assertThat(ours).endsWith("\n\r\n");
        }
    }

    static String maskIdentity(String s) {
        return s.replaceAll("^\\$\\d+", "\\$N").replaceAll("id=\\d+ addr=\\S+ laddr=127\\.0\\.0\\.1:\\d+ fd=\\d+", "id addr laddr fd");
    }

    static String fieldNames(String line) {
        return line.substring(line.indexOf("\r\n") + 2).replaceAll("=[^ \r\n]*", "=");
    }

    @Test
    void slowlog_errorsAndHelp_matchRedis() {
        for (String[] c : new String[][]{{"SLOWLOG", "GET", "x"}, {"SLOWLOG", "GET", "-2"}, {"SLOWLOG", "GET", "1", "2"},
                {"SLOWLOG", "LEN", "x"}, {"SLOWLOG", "HELP"}, {"SLOWLOG", "RESET"}, {"SLOWLOG", "nosuch"}}) {
            diff.same(c);
        }
    }

    @Test
    void latency_whenDisabled_matchRedis() {
        for (String[] c : new String[][]{{"LATENCY", "HISTORY"}, {"LATENCY", "HISTORY", "nosuch"}, {"LATENCY", "RESET", "nosuch"},
                {"LATENCY", "RESET"}, {"LATENCY", "LATEST"}, {"LATENCY", "DOCTOR"}, {"LATENCY", "HELP"}}) {
            diff.same(c);
        }
    }

    @Test
    void misc_admin_matchRedis() {
        for (String[] c : new String[][]{{"SHUTDOWN", "foo"}, {"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "SAVE", "NOSAVE"},
                {"SHUTDOWN", "ABORT", "NOW"}, {"LASTSAVE", "x"}, {"MONITOR", "x"}, {"TIME", "x"}}) {
            diff.same(c);
        }
        assertThat(diff.ours().callString("TIME")).matches("\\*2\r\n\\$10\r\n\\d{10}\r\n\\$\\d\r\n\\d+\r\n");
        assertThat(diff.ours().callString("LASTSAVE")).matches(":\\d{10}\r\n");
    }
}
