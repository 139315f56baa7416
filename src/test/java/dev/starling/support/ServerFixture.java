package dev.starling.support;

import dev.starling.config.Config;
import dev.starling.config.ConfigLoader;
import dev.starling.server.Clock;
import dev.starling.server.Server;
import dev.starling.server.Transport;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * An in-process Starling on an ephemeral loopback port. Options use the command-line syntax:
 * {@code ServerFixture.start("--maxmemory", "1mb")}. Always close it (try-with-resources or @AfterAll).
 */
public final class ServerFixture implements AutoCloseable {
    public final Server server;
    /** The server's dir unless the options name another: a SAVE or BGSAVE never lands in the working directory. */
    private final Path dir;

    private ServerFixture(Server server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    public static ServerFixture start(String... options) {
        return start(Transport.CURRENT, options);
    }

    /** A Starling on the given Netty transport instead of the suite's (-Dstarling.transport). */
    public static ServerFixture start(Transport transport, String... options) {
        try {
            Config config = new Config();
            Path dir = Files.createTempDirectory("starling-fixture");
            List<String> args = new ArrayList<>(List.of("--port", "0", "--bind", "127.0.0.1", "--save", "", "--loglevel", "warning",
                    "--dir", dir.toString()));
            args.addAll(Arrays.asList(options));
            ConfigLoader.load(config, ConfigLoader.argsToConfigText(args));
            Server server = new Server(config, Clock.SYSTEM);
            server.transport = transport;
            server.start();
            return new ServerFixture(server, dir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start Starling", e);
        }
    }

    public int port() {
        return server.port();
    }

    /** A new Jedis connection; the caller closes it. */
    public Jedis jedis() {
        return new Jedis("127.0.0.1", port(), 10_000);
    }

    public RespClient raw() {
        return new RespClient(port());
    }

    /** Runs r on the server's executor and waits, for checking internal state from a test. */
    public void onExecutor(Runnable r) {
        try {
            server.executeAndWait(r);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop();
        // The files go now; the empty directory at exit, as a test may restart from a rewritten config naming it.
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(f -> !f.equals(dir)).sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary file is harmless
        }
        dir.toFile().deleteOnExit();
    }
}
