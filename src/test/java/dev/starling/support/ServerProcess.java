package dev.starling.support;

import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Starling (bin/starling-server on the test classpath) or redis-server process with a fixed port
 * and directory, so it can be shut down or killed and started again on the same data (restart
 * tests), and signalled by PID (SIGSTOP, SIGCONT, SIGKILL for fault tests). Close stops it.
 */
public final class ServerProcess implements AutoCloseable {
    public final boolean starling;
    public final int port;
    public final Path dir;
    private final List<String> options;
    private static final String TEST_JAVA_OPTS = "-Xmx256m -XX:TieredStopAtLevel=1";
    /** STARLING_JAVA_OPTS for a Starling: a small heap for tests, or null for the launcher's defaults. */
    private String javaOpts;
    private Process process;

    private ServerProcess(boolean starling, int port, Path dir, List<String> options) {
        this.starling = starling;
        this.port = port;
        this.dir = dir;
        this.options = options;
    }

    public static ServerProcess starling(String... options) {
        return create(true, TEST_JAVA_OPTS, options);
    }

    /** A Starling on the JVM options bin/starling-server picks by itself (collector, heap pacing). */
    public static ServerProcess starlingWithLauncherJvm(String... options) {
        return create(true, null, options);
    }

    public static ServerProcess redis(String... options) {
        return create(false, null, options);
    }

    private static ServerProcess create(boolean starling, String javaOpts, String... options) {
        try {
            ServerProcess p = new ServerProcess(starling, freePort(), Files.createTempDirectory(starling ? "starling-proc" : "redis-proc"),
                    new ArrayList<>(Arrays.asList(options)));
            p.javaOpts = javaOpts;
            p.start();
            return p;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts (or starts again, on the same port and directory) and waits until it answers PING. */
    public ServerProcess start(String... extra) {
        if (process != null && process.isAlive()) throw new IllegalStateException("already running");
        List<String> cmd = new ArrayList<>();
        if (starling) {
            cmd.add("bin/starling-server");
        } else {
            cmd.add(RedisReference.BINARY);
        }
        cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--save", "", "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0",
                "--loglevel", "notice", "--logfile", logFile().toString()));
        if (!starling) cmd.addAll(List.of("--daemonize", "no", "--appendonly", "no"));
        cmd.addAll(options);
        cmd.addAll(Arrays.asList(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout").toFile()));
        pb.environment().put("STARLING_CLASSPATH", System.getProperty("java.class.path"));
        if (javaOpts != null) pb.environment().put("STARLING_JAVA_OPTS", javaOpts);
        else pb.environment().remove("STARLING_JAVA_OPTS");
        // The suite's transport (mvn test -Dstarling.transport=...) reaches launched servers too,
        // through the java launcher's own variable so the launcher's default options stay.
        String transport = System.getProperty("starling.transport", "");
        if (!transport.isEmpty()) pb.environment().put("JDK_JAVA_OPTIONS", "-Dstarling.transport=" + transport);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return awaitPing(true);
    }

    /**
     * Waits until PING answers +PONG: start returns at -LOADING too, and Starling answers -LOADING
     * from binding its listeners until the start-up load (even of no file) is over.
     */
    public ServerProcess awaitReady() {
        return awaitPing(false);
    }

    /** Polls PING until +PONG (or -LOADING, when loadingCounts) for up to 60 s. */
    private ServerProcess awaitPing(boolean loadingCounts) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            try (RespClient c = new RespClient(port)) {
                String pong = c.callString("PING");
                if (pong.equals("+PONG\r\n") || loadingCounts && pong.startsWith("-LOADING")) return this;
            } catch (RuntimeException e) {
                if (!alive()) throw new IllegalStateException("server exited: " + log());
            }
            sleepQuietly(20);
        }
        throw new IllegalStateException("server did not answer PING: " + log());
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    public Jedis jedis() {
        return new Jedis("127.0.0.1", port, 10_000);
    }

    public RespClient raw() {
        return new RespClient(port);
    }

    public Path logFile() {
        return dir.resolve(starling ? "starling.log" : "redis.log");
    }

    public String log() {
        try {
            return Files.exists(logFile()) ? Files.readString(logFile()) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Sends a signal (STOP, CONT, KILL, TERM) to this process by PID. */
    public void signal(String name) {
        try {
            new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start().waitFor();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHUTDOWN [args] and waits for the process to exit. */
    public void shutdown(String... args) {
        try (RespClient c = raw()) {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "SHUTDOWN";
            System.arraycopy(args, 0, cmd, 1, args.length);
            try {
                c.callString(cmd);
            } catch (RuntimeException closed) {
                // the server closes the connection instead of replying
            }
        }
        awaitExit();
    }

    /** kill -9 and waits for the process to be gone. */
    public void kill9() {
        signal("KILL");
        awaitExit();
    }

    /** Waits (up to 60 s) for the process to end by itself and returns its exit status. */
    public int awaitExitValue() {
        awaitExit();
        return process.exitValue();
    }

    private void awaitExit() {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException("did not exit");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process == null) return;
        if (process.isAlive()) signal("CONT"); // a stopped process cannot handle SIGTERM
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
