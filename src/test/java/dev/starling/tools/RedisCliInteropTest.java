package dev.starling.tools;

import dev.starling.support.RedisReference;
import dev.starling.support.ServerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real redis-cli (Debian's 7.0.15) against an in-process Starling. The checks of the modes that
 * need commands from other families (--scan, --bigkeys, --memkeys, --stat) are written once as
 * methods taking a port; they run against the real redis-server too, which proves the checks
 * themselves, and against Starling once its @Disabled is lifted.
 */
class RedisCliInteropTest {
    static ServerFixture server;

    @BeforeAll
    static void start() {
        assumeTrue(Tool.available(Tool.CLI), "redis-cli is not installed");
        server = ServerFixture.start("--enable-debug-command", "yes");
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static int port() {
        return server.port();
    }

    // ---------------------------------------------------------------- plain commands

    @Test
    void plainCommands_replies_printedAsRedisCliDoes() {
        assertThat(Tool.cli(port(), "SET", "cli:plain", "hello").output()).isEqualTo("OK\n");
        assertThat(Tool.cli(port(), "GET", "cli:plain").output()).isEqualTo("hello\n");
        assertThat(Tool.cli(port(), "--no-raw", "GET", "cli:plain").output()).isEqualTo("\"hello\"\n");
        assertThat(Tool.cli(port(), "--no-raw", "GET", "cli:missing").output()).isEqualTo("(nil)\n");
        assertThat(Tool.cli(port(), "--no-raw", "EXISTS", "cli:plain").output()).isEqualTo("(integer) 1\n");
        assertThat(Tool.cli(port(), "--no-raw", "NOSUCHCOMMAND", "x").output())
                .isEqualTo("(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \n");
        assertThat(Tool.cli(port(), "-n", "2", "--no-raw", "DBSIZE").output()).isEqualTo("(integer) 0\n");
    }

    @Test
    void repeat_dashR_runsTheCommandNTimes() {
        Tool.Result r = Tool.cli(port(), "-r", "5", "PING");
        assertThat(r.exitCode()).isZero();
        assertThat(r.lines()).containsExactly("PONG", "PONG", "PONG", "PONG", "PONG");
        Tool.Result s = Tool.cli(port(), "-r", "3", "-i", "0.01", "SET", "cli:repeat", "v");
        assertThat(s.lines()).containsExactly("OK", "OK", "OK");
    }

    @Test
    void interactive_commandsOnStdin_repliesInOrder() {
        String in = "SET cli:inter 42\nGET cli:inter\nEXISTS cli:inter cli:nope\nNOSUCH\nECHO \"two words\"\n";
        Tool.Result r = Tool.run(30, Tool.CLI, in, "-p", Integer.toString(port()));
        assertThat(r.exitCode()).isZero();
        assertThat(r.lines()).containsExactly("OK", "42", "1", "ERR unknown command 'NOSUCH', with args beginning with: ", "", "two words");
    }

    @Test
    void interactiveTerminal_promptAndReplies_asWithRedis() throws Exception {
        // redis-cli's interactive mode needs a real terminal (linenoise queries the cursor position),
        // so it runs inside tmux on a private socket; keys are typed and the screen is read back.
        String sock = "starling-cli-" + ProcessHandle.current().pid();
        tmux(sock, "new-session", "-d", "-x", "120", "-y", "40", Tool.CLI + " -p " + port());
        try {
            String prompt = "127.0.0.1:" + port() + ">"; // capture-pane trims trailing spaces
            awaitScreen(sock, prompt);
            // One line at a time: keys typed while redis-cli waits for a reply can be lost.
            String[][] steps = {{"SET cli:tty hello", "OK"}, {"GET cli:tty", "\"hello\""}, {"INCR cli:ttyn", "(integer) 1"}};
            for (String[] step : steps) {
                tmux(sock, "send-keys", "-t", "0", step[0], "Enter");
                awaitScreen(sock, step[1]);
            }
            String screen = tmux(sock, "capture-pane", "-p", "-t", "0");
            assertThat(screen).contains("127.0.0.1:" + port() + "> SET cli:tty hello")
                    .contains("OK").contains("\"hello\"").contains("(integer) 1");
        } finally {
            tmux(sock, "kill-server");
        }
    }

    /** Polls the tmux screen until it shows text; fails with the screen's contents. */
    private static void awaitScreen(String sock, String text) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = tmux(sock, "capture-pane", "-p", "-t", "0");
            if (screen.contains(text)) return;
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L); // poll interval
        }
        throw new AssertionError("screen never showed '" + text + "':\n" + screen);
    }

    private static String tmux(String socket, String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("tmux", "-L", socket));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        return out;
    }

    @Test
    void debugPopulate_viaCli_createsKeys() {
        assertThat(Tool.cli(port(), "-n", "5", "DEBUG", "POPULATE", "100", "cli").output()).isEqualTo("OK\n");
        assertThat(Tool.cli(port(), "-n", "5", "DBSIZE").output()).isEqualTo("100\n");
        assertThat(Tool.cli(port(), "-n", "5", "GET", "cli:99").output()).isEqualTo("value:99\n");
    }

    // ---------------------------------------------------------------- --latency

    @Test
    void latencyRaw_boundedByInterval_printsOneLine() {
        Tool.Result r = Tool.run(30, Tool.CLI, null, "-p", Integer.toString(port()), "--latency", "--raw", "-i", "0.3");
        assertThat(r.exitCode()).isZero();
        // "min max avg samples"
        assertThat(r.output().trim()).matches("\\d+ \\d+ \\d+\\.\\d+ \\d+");
    }

    @Test
    void latencyHistory_unbounded_linesThenStoppedByPid() throws Exception {
        // Not a tty, so redis-cli prints raw "min max avg samples" lines; stdbuf makes them line-buffered.
        try (Tool t = Tool.startLineBuffered("-p", Integer.toString(port()), "--latency-history", "-i", "0.2")) {
            List<String> got = new ArrayList<>();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (got.size() < 2 && System.nanoTime() < deadline) {
                String l = t.nextLine(1000);
                if (l != null && l.matches("\\d+ \\d+ \\d+\\.\\d+ \\d+")) got.add(l);
            }
            assertThat(got).as("latency lines; output: %s", t.output()).hasSize(2);
            assertThat(t.process.isAlive()).isTrue();
        }
    }

    // ---------------------------------------------------------------- modes needing other families

    @Test
    void scan_withPattern_listsMatchingKeys() {
        scanCheck(port());
    }

    @Test
    void bigkeys_findsBiggestString() {
        bigkeysCheck(port());
    }

    @Test
    void memkeys_findsBiggestStringByMemoryUsage() {
        memkeysCheck(port());
    }

    @Test
    void stat_printsRowsUntilStopped() throws Exception {
        statCheck(port());
    }

    @Test
    void toolChecks_againstRealRedis_pass() throws Exception {
        try (RedisReference redis = RedisReference.start("--enable-debug-command", "yes")) {
            scanCheck(redis.port());
            bigkeysCheck(redis.port());
            memkeysCheck(redis.port());
            statCheck(redis.port());
        }
    }

    static void scanCheck(int port) {
        Tool.cli(port, "-n", "7", "DEBUG", "POPULATE", "300", "scan");
        Tool.Result all = Tool.cli(port, "-n", "7", "--scan");
        assertThat(new TreeSet<>(all.lines())).hasSize(300);
        Tool.Result some = Tool.cli(port, "-n", "7", "--scan", "--pattern", "scan:1?");
        TreeSet<String> expected = new TreeSet<>();
        for (int i = 10; i < 20; i++) expected.add("scan:" + i);
        assertThat(new TreeSet<>(some.lines())).isEqualTo(expected);
    }

    static void bigkeysCheck(int port) {
        Tool.cli(port, "-n", "8", "DEBUG", "POPULATE", "200", "big");
        Tool.cli(port, "-n", "8", "SET", "thebiggest", "x".repeat(1000));
        Tool.Result r = Tool.cli(port, "-n", "8", "--bigkeys");
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("Biggest string found '\"thebiggest\"' has 1000 bytes")
                .contains("201 strings with ");
    }

    static void memkeysCheck(int port) {
        Tool.cli(port, "-n", "9", "DEBUG", "POPULATE", "200", "mem");
        Tool.cli(port, "-n", "9", "SET", "thebiggest", "x".repeat(1000));
        String usage = Tool.cli(port, "-n", "9", "MEMORY", "USAGE", "thebiggest").output().trim();
        Tool.Result r = Tool.cli(port, "-n", "9", "--memkeys");
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("Biggest string found '\"thebiggest\"' has " + usage + " bytes");
    }

    static void statCheck(int port) throws Exception {
        try (Tool t = Tool.startLineBuffered("-p", Integer.toString(port), "--stat", "-i", "0.2")) {
            boolean header = false;
            int rows = 0;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (rows < 2 && System.nanoTime() < deadline) {
                String l = t.nextLine(1000);
                if (l == null) continue;
                if (l.contains("------- data ------")) header = true;
                else if (header && l.matches("\\s*\\d+\\s+.*")) rows++;
            }
            assertThat(rows).as("--stat rows; output: %s", t.output()).isEqualTo(2);
            assertThat(t.process.isAlive()).isTrue();
        }
    }
}
