package dev.starling.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Config-file errors compared with what redis-server prints for the same file. */
class ConfigLoaderTest {
    static String redisFatal(String text) throws Exception {
        Path f = Files.createTempFile("bad", ".conf");
        Files.writeString(f, text);
        Process p = new ProcessBuilder("/usr/bin/redis-server", f.toString(), "--port", "0").redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Files.delete(f);
        return out.trim();
    }

    static String ours(String text) {
        try {
            ConfigLoader.load(new Config(), text + "\n" + ConfigLoader.argsToConfigText(List.of("--port", "0")));
            return "";
        } catch (ConfigLoader.FatalConfigError e) {
            return e.getMessage().trim();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"port abc", "foo bar", "# c\n\nport", "daemonize maybe", "maxmemory 1x", "requirepass \"abc",
            "save 1", "save 1 2 3", "hz 1000000000000", "dir /nonexistent", "loglevel foo",
            "client-output-buffer-limit foo 1 2 3", "notify-keyspace-events Z", "port 1 2", "  Port   70000  ",
            "maxmemory-clients 200%", "oom-score-adj-values 1 2", "maxclients 0", "slave-read-only maybe",
            "hash-max-ziplist-entries -1", "appendfsync sometimes", "rename-command nosuchcmd foo",
            "include"})
    void load_badLine_sameFatalTextAsRedis(String text) throws Exception {
        assertThat(ours(text)).isEqualTo(redisFatal(text));
    }

    @Test
    void load_saveLines_accumulateAndEmptyClears() throws Exception {
        Config c = new Config();
        ConfigLoader.load(c, "save 100 1\nsave 200 2\n");
        assertThat(c.get("save")).isEqualTo("100 1 200 2");
        ConfigLoader.load(c, ConfigLoader.argsToConfigText(List.of("--save")));
        assertThat(c.get("save")).isEmpty();
    }

    @Test
    void load_repeatedOptionsAndAliases_laterWins() throws Exception {
        Config c = new Config();
        ConfigLoader.load(c, "maxmemory 1mb\nmaxmemory 2mb\nslave-read-only no\nhash-max-ziplist-entries 7\n"
                + ConfigLoader.argsToConfigText(List.of("--replica-serve-stale-data", "no", "--slaveof", "127.0.0.1", "6380")));
        assertThat(c.maxmemory).isEqualTo(2L << 20);
        assertThat(c.replicaReadOnly).isFalse();
        assertThat(c.replicaServeStaleData).isFalse();
        assertThat(c.hashMaxListpackEntries).isEqualTo(7);
        assertThat(c.get("replicaof")).isEqualTo("127.0.0.1 6380");
    }

    @Test
    void load_multiArgOptionsWithoutArguments_accepted() throws Exception {
        Config c = new Config();
        ConfigLoader.load(c, "save\nbind\n");
        assertThat(c.get("save")).isEmpty();
        assertThat(c.bind).isEmpty();
    }

    @Test
    void renameCommand_renamesAndDisables() {
        try (dev.starling.support.ServerFixture s = dev.starling.support.ServerFixture.start("--rename-command", "get", "fetch",
                "--rename-command", "set", "")) {
            dev.starling.support.RespClient c = s.raw();
            assertThat(c.callString("FETCH", "k")).isEqualTo("$-1\r\n");
            assertThat(c.callString("GET", "k")).startsWith("-ERR unknown command 'GET'");
            assertThat(c.callString("SET", "k", "v")).startsWith("-ERR unknown command 'SET'");
            c.close();
        }
    }

    @Test
    void defineOption_liveFieldDefinition_winsOverPlaceholderInEitherOrder() throws Exception {
        Config c = new Config();
        String[] field = {"no"};
        String[] values = {"no", "yes", "local"};
        c.enumOpt("enable-debug-command", Config.IMMUTABLE, "no", values, v -> field[0] = v, () -> field[0]);
        c.enumOpt("enable-debug-command", Config.IMMUTABLE, "no", values, null, null);
        ConfigLoader.load(c, "enable-debug-command local\n");
        assertThat(field[0]).isEqualTo("local");
        assertThat(c.options().stream().filter(o -> o.name.equals("enable-debug-command"))).hasSize(1);
        assertThat(c.get("enable-debug-command")).isEqualTo("local");
    }

    @Test
    void load_include_readsOtherFile() throws Exception {
        Path inc = Files.createTempFile("inc", ".conf");
        Files.writeString(inc, "maxmemory-samples 8\n");
        Config c = new Config();
        ConfigLoader.load(c, "include " + inc + "\n");
        assertThat(c.maxmemorySamples).isEqualTo(8);
        Files.delete(inc);
    }
}
