package dev.starling.server;

import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * bin/starling-server as an operator runs it: a drop-in redis-server command line, the exec'd PID in
 * the banner, Redis's log lines, clean shutdown on SIGTERM, and failure when the port is taken.
 */
class LauncherTest {
    @TempDir
    Path dir;
    private final List<Process> started = new ArrayList<>();

    private Process launch(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("bin/starling-server");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("STARLING_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("STARLING_JAVA_OPTS", "-Xmx256m -Dstarling.transport=" + System.getProperty("starling.transport", ""));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void start_logsBannerWithExecdPid_servesAndShutsDownCleanlyOnSigterm() throws Exception {
        int port = freePort();
        Path log = dir.resolve("out.log");
        Process p = launch(log, "--port", Integer.toString(port), "--save", "");
        await().atMost(Duration.ofSeconds(60)).until(() -> read(log).contains("Ready to accept connections"));
        String out = read(log);
        assertThat(out).contains("PID: " + p.pid()).contains("Server initialized").contains("Port: " + port);
        try (RespClient c = new RespClient(port)) {
            assertThat(c.callString("PING")).isEqualTo("+PONG\r\n");
        }
        Runtime.getRuntime().exec(new String[] {"kill", "-TERM", Long.toString(p.pid())}).waitFor();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(read(log)).contains("Received SIGTERM scheduling shutdown...").contains("Redis is now ready to exit, bye bye...");
    }

    @Test
    void portInUse_logsFailedListeningAndExitsNonZero() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            Path log = dir.resolve("out.log");
            Process p = launch(log, "--port", Integer.toString(port), "--bind", "0.0.0.0");
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isNotZero();
            assertThat(read(log)).contains("Failed listening on port " + port + " (TCP), aborting.");
        }
    }

    @Test
    void configFileThenOptions_laterOptionWins_andLogfileIsUsed() throws Exception {
        int port = freePort();
        Path conf = dir.resolve("redis.conf");
        Path logfile = dir.resolve("server.log");
        Files.writeString(conf, "# a comment\nport 1\nsave \"\"\nlogfile " + logfile + "\n");
        Process p = launch(dir.resolve("out.log"), conf.toString(), "--port", Integer.toString(port));
        await().atMost(Duration.ofSeconds(60)).until(() -> read(logfile).contains("Ready to accept connections"));
        assertThat(read(logfile)).contains("Configuration loaded").contains("PID: " + p.pid());
        try (RespClient c = new RespClient(port)) {
            assertThat(c.callString("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void badConfigLine_printsRedisFatalErrorAndExits() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "port 6379\nno-such-directive yes\n");
        Path log = dir.resolve("out.log");
        Process p = launch(log, conf.toString());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(read(log)).contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***")
                .contains("Reading the configuration file, at line 2")
                .contains(">>> 'no-such-directive yes'")
                .contains("Bad directive or wrong number of arguments");
    }
}
