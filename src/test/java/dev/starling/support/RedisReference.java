package dev.starling.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The real redis-server 7.0 (Debian's, installed by bin/test and .ci/run), started on an ephemeral
 * port in a temporary directory and stopped by PID on close. It is the specification the
 * differential tests compare against.
 */
public final class RedisReference implements AutoCloseable {
    public static final String BINARY = "/usr/bin/redis-server";

    private final Process process;
    private final int port;
    private final Path dir;

    private RedisReference(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static RedisReference start(String... options) {
        if (!new File(BINARY).canExecute()) {
            throw new IllegalStateException(BINARY + " is missing: run bin/test, which installs Debian's redis-server");
        }
        try {
            int port = freePort();
            Path dir = Files.createTempDirectory("redis-ref");
            List<String> cmd = new ArrayList<>(List.of(BINARY, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no",
                    "--logfile", dir.resolve("redis.log").toString()));
            cmd.addAll(Arrays.asList(options));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout").toFile()).start();
            RedisReference ref = new RedisReference(p, port, dir);
            ref.awaitReady();
            return ref;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            try (RespClient c = new RespClient(port)) {
                if (c.callString("PING").equals("+PONG\r\n")) return;
            } catch (RuntimeException e) {
                if (!process.isAlive()) throw new IllegalStateException("redis-server exited: " + log());
                Thread.onSpinWait();
            }
        }
        close();
        throw new IllegalStateException("redis-server did not become ready: " + log());
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public int port() {
        return port;
    }

    /** The process id (fault tests stop and continue it with SIGSTOP/SIGCONT). */
    public long pid() {
        return process.pid();
    }

    public Path dir() {
        return dir;
    }

    public RespClient raw() {
        return new RespClient(port);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
