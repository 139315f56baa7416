package dev.starling.server;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs Main in a subprocess with bad configurations and compares what it prints with
 * redis-server given the same file, stdin and options (log-line prefixes stripped).
 */
class MainConfigErrorsTest {
    static String run(List<String> cmd, String stdin) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not exit: " + cmd);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // "1234:C 21 Nov 2026 15:33:38.763 # text" -> "# text"
        return out.replaceAll("(?m)^\\d+:[A-Z] \\d+ \\w+ \\d+ [\\d:.]+ ", "").trim();
    }

    static List<String> starling(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static List<String> redis(String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/redis-server"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static void same(String stdin, String... args) throws Exception {
        assertThat(run(starling(args), stdin)).isEqualTo(run(redis(args), stdin));
    }

    @Test
    void main_badFileLine_sameFatalBlock() throws Exception {
        Path f = Files.createTempFile("bad", ".conf");
        Files.writeString(f, "# comment\nport 7000\nmaxmemory 1x\n");
        same(null, f.toString());
        Files.writeString(f, "port 0\nbogus-directive 1\n");
        same(null, f.toString());
        Files.delete(f);
    }

    @Test
    void main_badCommandLineOption_countsLinesAsRedis() throws Exception {
        same(null, "--port", "abc");
        same(null, "--port", "0", "--daemonize", "maybe");
        same(null, "--save", "--maxmemory", "1x");
    }

    @Test
    void main_stdinConfig_appendedAfterFile() throws Exception {
        Path f = Files.createTempFile("ok", ".conf");
        Files.writeString(f, "port 0\n");
        same("maxmemory 1x\n", f.toString(), "--hz", "5", "-");
        same("slave-read-only maybe\n", "-");
        Files.delete(f);
    }

    @Test
    void main_missingConfigFile_sameLogLine() throws Exception {
        same(null, "/nonexistent-dir/redis.conf");
    }
}
