package dev.starling.observability;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InfoTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    static String body(RespClient c, String... args) {
        String r = new String(c.call(RespClient.args(args)), StandardCharsets.UTF_8);
        int nl = r.indexOf("\r\n");
        return r.substring(nl + 2, Math.max(nl + 2, r.length() - 2));
    }

    /** Section header and field names in order, with values. */
    static Map<String, String> fields(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\r\n")) {
            if (line.isEmpty()) continue;
            int colon = line.indexOf(':');
            if (line.startsWith("#")) m.put(line, "");
            else m.put(line.substring(0, colon), line.substring(colon + 1));
        }
        return m;
    }

    static final String[] DETERMINISTIC = {"redis_version", "redis_git_sha1", "redis_git_dirty", "redis_mode", "arch_bits",
        "monotonic_clock", "multiplexing_api", "atomicvar_api", "process_supervised", "hz", "configured_hz", "config_file",
        "io_threads_active", "connected_clients", "cluster_connections", "maxclients", "blocked_clients", "maxmemory",
        "maxmemory_human", "maxmemory_policy", "loading", "rdb_changes_since_last_save", "rdb_last_bgsave_status",
        "aof_enabled", "role", "connected_slaves", "master_failover_state", "master_replid2", "master_repl_offset",
        "second_repl_offset", "repl_backlog_active", "repl_backlog_size", "cluster_enabled", "keyspace_hits",
        "keyspace_misses", "expired_keys", "evicted_keys", "rejected_connections"};

    @Test
    void info_everySection_sameFieldNamesInOrder() {
        for (String section : new String[] {"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "errorstats", "cluster", "keyspace"}) {
            List<String> theirs = new ArrayList<>(fields(body(diff.theirs(), "INFO", section)).keySet());
            List<String> ours = new ArrayList<>(fields(body(diff.ours(), "INFO", section)).keySet());
            assertThat(ours).as(section).isEqualTo(theirs);
        }
        for (String variant : new String[] {"default", "all", "everything"}) {
            List<String> theirs = new ArrayList<>(fields(body(diff.theirs(), "INFO", variant)).keySet());
            List<String> ours = new ArrayList<>(fields(body(diff.ours(), "INFO", variant)).keySet());
            theirs.removeIf(k -> k.startsWith("cmdstat_") || k.startsWith("latency_percentiles") || k.startsWith("errorstat_"));
            ours.removeIf(k -> k.startsWith("cmdstat_") || k.startsWith("latency_percentiles") || k.startsWith("errorstat_"));
            assertThat(ours).as(variant).isEqualTo(theirs);
        }
    }

    @Test
    void info_deterministicValues_sameAsRedis() {
        diff.same("CONFIG", "RESETSTAT");
        diff.same("SET", "k", "v");
        diff.same("GET", "nokey");
        diff.same("GET", "k");
        Map<String, String> theirs = fields(body(diff.theirs(), "INFO", "everything"));
        Map<String, String> ours = fields(body(diff.ours(), "INFO", "everything"));
        for (String f : DETERMINISTIC) assertThat(ours.get(f)).as(f).isEqualTo(theirs.get(f));
        assertThat(ours.get("db0")).isEqualTo(theirs.get("db0"));
        assertThat(ours.get("cmdstat_set")).startsWith("calls=1,usec=").endsWith(",rejected_calls=0,failed_calls=0");
        assertThat(ours.get("latency_percentiles_usec_set")).matches("p50=[0-9.]+,p99=[0-9.]+,p99\\.9=[0-9.]+");
        assertThat(ours.get("master_replid")).matches("[0-9a-f]{40}");
        diff.same("DEL", "k");
    }

    @Test
    void info_multipleAndUnknownSections_sameShape() {
        diff.same("INFO", "nosuchsection");
        List<String> theirs = new ArrayList<>(fields(body(diff.theirs(), "INFO", "cluster", "KEYSPACE", "modules")).keySet());
        List<String> ours = new ArrayList<>(fields(body(diff.ours(), "INFO", "cluster", "KEYSPACE", "modules")).keySet());
        assertThat(ours).isEqualTo(theirs);
        diff.same("INFO", "cluster", "modules");
    }

    @Test
    void info_errorstats_countsByCode() {
        diff.same("CONFIG", "RESETSTAT");
        diff.same("NOSUCHCOMMAND");
        diff.same("CONFIG", "SET", "maxmemory", "bad");
        diff.same("INFO", "errorstats");
    }

    @Test
    void info_commandstatsRejectedAndFailed_sameCountsAsRedis() {
        diff.same("CONFIG", "RESETSTAT");
        diff.same("GET");
        diff.same("SET", "s", "notanumber");
        diff.same("CONFIG", "SET", "maxmemory", "bad");
        String theirs = body(diff.theirs(), "INFO", "commandstats").replaceAll("usec=\\d+,usec_per_call=[0-9.]+", "usec=U");
        String ours = body(diff.ours(), "INFO", "commandstats").replaceAll("usec=\\d+,usec_per_call=[0-9.]+", "usec=U");
        for (String cmd : new String[] {"cmdstat_get", "cmdstat_set", "cmdstat_config|set", "cmdstat_config|resetstat"}) {
            assertThat(fields(ours).get(cmd)).as(cmd).isEqualTo(fields(theirs).get(cmd));
        }
        diff.same("DEL", "s");
    }

    @Test
    void info_latencyTrackingOff_sameSectionAsRedis() {
        diff.same("CONFIG", "RESETSTAT");
        diff.same("CONFIG", "SET", "latency-tracking", "no");
        diff.same("PING");
        diff.same("INFO", "latencystats");
        diff.same("CONFIG", "SET", "latency-tracking", "yes");
    }

    @Test
    void info_subsystemOverrides_fieldAndSection() {
        try (dev.starling.support.ServerFixture s = dev.starling.support.ServerFixture.start();
                redis.clients.jedis.Jedis j = s.jedis()) {
            s.onExecutor(() -> {
                s.server.infoFields.put("blocked_clients", () -> 3);
                s.server.infoSections.put("replication", sb -> sb.append("role:slave\r\n"));
            });
            assertThat(j.info("clients")).contains("blocked_clients:3\r\n");
            assertThat(j.info("replication")).isEqualTo("# Replication\r\nrole:slave\r\n");
        }
    }

    @Test
    void bytesToHuman_formatsAsRedis() {
        assertThat(Info.bytesToHuman(941000)).isEqualTo("918.95K");
        assertThat(Info.bytesToHuman(200)).isEqualTo("200B");
        assertThat(Info.bytesToHuman(12132352)).isEqualTo("11.57M");
    }
}
