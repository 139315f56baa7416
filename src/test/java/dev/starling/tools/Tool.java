package dev.starling.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real Redis tool (redis-cli, redis-benchmark) as a child process. A bounded run waits for
 * exit with a deadline; a streaming run hands out output lines as they come and is stopped by its
 * own Process handle (that PID only). Every process started here is destroyed on close.
 */
final class Tool implements AutoCloseable {
    static final String CLI = "/usr/bin/redis-cli";
    static final String BENCHMARK = "/usr/bin/redis-benchmark";

    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();
    private final Thread reader;

    private Tool(Process p) {
        this.process = p;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (all) {
                        all.append(l).append('\n');
                    }
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process was stopped
            }
        }, "tool-output");
        reader.setDaemon(true);
        reader.start();
    }

    static boolean available(String binary) {
        return Files.isExecutable(Path.of(binary));
    }

    /** Starts binary with args; stdin gets the given text (then EOF), or nothing if null. */
    static Tool start(String binary, String stdin, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary);
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            return new Tool(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + cmd, e);
        }
    }

    /** Starts redis-cli with line-buffered stdout (it is fully buffered on a pipe), for streaming modes. */
    static Tool startLineBuffered(String... cliArgs) {
        String[] a = new String[cliArgs.length + 2];
        a[0] = "-oL";
        a[1] = CLI;
        System.arraycopy(cliArgs, 0, a, 2, cliArgs.length);
        return start("/usr/bin/stdbuf", null, a);
    }

    /** Runs to completion (at most timeoutSeconds) and returns exit code and output. */
    static Result run(int timeoutSeconds, String binary, String stdin, String... args) {
        try (Tool t = start(binary, stdin, args)) {
            if (!t.process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new AssertionError(binary + " " + String.join(" ", args) + " did not finish in " + timeoutSeconds
                        + " s; output so far:\n" + t.output());
            }
            t.reader.join(5000);
            return new Result(t.process.exitValue(), t.output());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Result cli(int port, String... args) {
        String[] a = new String[args.length + 2];
        a[0] = "-p";
        a[1] = Integer.toString(port);
        System.arraycopy(args, 0, a, 2, args.length);
        return run(30, CLI, null, a);
    }

    /** The next output line, or null if none comes within timeoutMillis. */
    String nextLine(long timeoutMillis) throws InterruptedException {
        return lines.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    String output() {
        synchronized (all) {
            return all.toString();
        }
    }

    /** Stops this process (by its own handle: SIGTERM, then SIGKILL after 5 s). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    record Result(int exitCode, String output) {
        List<String> lines() {
            return output.isEmpty() ? List.of() : List.of(output.split("\n"));
        }
    }
}
