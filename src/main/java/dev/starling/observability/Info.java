package dev.starling.observability;

import dev.starling.command.Command;
import dev.starling.config.Config;
import dev.starling.keyspace.Db;
import dev.starling.keyspace.Keyspace;
import dev.starling.server.Client;
import dev.starling.server.Server;
import dev.starling.server.Stats;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * INFO, as Redis 7.0's genRedisInfoString: the sections in Redis's order with Redis's field names,
 * from live server state. Also owns the per-command latency histograms (INFO latencystats), the
 * sampled instantaneous metrics (Redis's trackInstantaneousMetric in the cron). Commands count
 * server.dirty themselves, where data changes (rdb_changes_since_last_save).
 */
public final class Info {
    private final Server server;
    private long peakMemory;

    // Redis's STATS_METRIC_SAMPLES ring buffers: ops/sec, input and output bytes/sec, and the
    // replication link's input and output bytes/sec (STATS_METRIC_NET_*_REPLICATION).
    private static final int SAMPLES = 16, METRICS = 5;
    private final long[][] samples = new long[METRICS][SAMPLES];
    private final long[] lastReading = new long[METRICS];
    private long lastSampleMillis;
    private int sampleIdx;

    private Info(Server server) {
        this.server = server;
    }

    /** Binds INFO and installs the listeners that feed it. */
    public static Info register(Server server) {
        Info info = new Info(server);
        server.commands.bind("info", info::infoCommand);
        server.latencyHistogram = info::afterCall;
        server.cronHooks.add(info::cron);
        server.resetStatHooks.add(info::resetStats);
        info.lastSampleMillis = server.clock.millis();
        return info;
    }

    private void afterCall(Client c, Command cmd, long micros) {
        if (!server.config.latencyTracking) return;
        // Kept on the Command itself: no map lookup per call.
        Histogram h = cmd.latencyHistogram;
        if (h == null) {
            h = new Histogram(1, 1_000_000_000L, 2);
            cmd.latencyHistogram = h;
        }
        long ns = Math.max(1, Math.min(1_000_000_000L, micros * 1000));
        h.recordValue(ns);
    }

    private void resetStats() {
        for (Command cmd : server.commands.all()) {
            cmd.latencyHistogram = null;
            for (Command sub : cmd.subcommands.values()) sub.latencyHistogram = null;
        }
        for (long[] s : samples) java.util.Arrays.fill(s, 0);
        java.util.Arrays.fill(lastReading, 0); // the counters restart from 0 too (Redis's last_sample_count)
        lastSampleMillis = server.clock.millis();
        peakMemory = server.usedMemory();
    }

    private void cron() {
        long used = server.usedMemory();
        if (used > peakMemory) peakMemory = used;
        long now = server.clock.millis();
        if (now - lastSampleMillis < 100) return;
        long elapsed = now - lastSampleMillis;
        Stats st = server.stats;
        long[] readings = {st.numCommands, st.netInputBytes, st.netOutputBytes,
                counter("total_net_repl_input_bytes"), counter("total_net_repl_output_bytes")};
        for (int i = 0; i < METRICS; i++) {
            samples[i][sampleIdx] = (readings[i] - lastReading[i]) * 1000 / elapsed;
            lastReading[i] = readings[i];
        }
        sampleIdx = (sampleIdx + 1) % SAMPLES;
        lastSampleMillis = now;
    }

    /** A counter a subsystem publishes as an INFO field (0 while none does). */
    private long counter(String name) {
        java.util.function.Supplier<Object> v = server.infoFields.get(name);
        return v == null ? 0 : ((Number) v.get()).longValue();
    }

    private long instantaneous(int metric) {
        long sum = 0;
        for (long v : samples[metric]) sum += v;
        return sum / SAMPLES;
    }

    // ---------------------------------------------------------------- command

    private void infoCommand(Client c) {
        c.addReplyVerbatim(generate(c.argv, c.argc), "txt");
    }

    static final String[] DEFAULT = {"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
            "modules", "errorstats", "cluster", "keyspace"};
    static final String[] ALL = {"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
            "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"};

    /** The INFO text for the arguments argv[1..argc) (sections, "default", "all", "everything"). */
    public String generate(byte[][] argv, int argc) {
        Set<String> wanted = new LinkedHashSet<>();
        if (argc <= 1) {
            wanted.addAll(java.util.List.of(DEFAULT));
        } else {
            for (int i = 1; i < argc; i++) {
                String s = new String(argv[i], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
                switch (s) {
                    case "default" -> wanted.addAll(java.util.List.of(DEFAULT));
                    case "all", "everything" -> wanted.addAll(java.util.List.of(ALL));
                    default -> wanted.add(s);
                }
            }
        }
        StringBuilder sb = new StringBuilder(4096);
        int sections = 0;
        for (String s : ALL) {
            if (!wanted.contains(s)) continue;
            if (sections++ > 0) sb.append("\r\n");
            section(sb, s);
        }
        return sb.toString();
    }

    /** Appends "name:value"; a subsystem's value registered in server.infoFields wins. */
    private void f(StringBuilder sb, String name, Object value) {
        java.util.function.Supplier<Object> override = server.infoFields.get(name);
        sb.append(name).append(':').append(override != null ? override.get() : value).append("\r\n");
    }

    private static final Map<String, String> HEADERS = Map.ofEntries(Map.entry("server", "Server"), Map.entry("clients", "Clients"),
            Map.entry("memory", "Memory"), Map.entry("persistence", "Persistence"), Map.entry("stats", "Stats"),
            Map.entry("replication", "Replication"), Map.entry("cpu", "CPU"), Map.entry("modules", "Modules"),
            Map.entry("commandstats", "Commandstats"), Map.entry("errorstats", "Errorstats"),
            Map.entry("latencystats", "Latencystats"), Map.entry("cluster", "Cluster"), Map.entry("keyspace", "Keyspace"));

    private void section(StringBuilder sb, String name) {
        java.util.function.Consumer<StringBuilder> owner = server.infoSections.get(name);
        if (owner != null) {
            sb.append("# ").append(HEADERS.get(name)).append("\r\n");
            owner.accept(sb);
            return;
        }
        switch (name) {
            case "server" -> server(sb);
            case "clients" -> clients(sb);
            case "memory" -> memory(sb);
            case "persistence" -> persistence(sb);
            case "stats" -> stats(sb);
            case "replication" -> replication(sb);
            case "cpu" -> cpu(sb);
            case "modules" -> sb.append("# Modules\r\n");
            case "commandstats" -> commandStats(sb);
            case "errorstats" -> errorStats(sb);
            case "latencystats" -> latencyStats(sb);
            case "cluster" -> {
                sb.append("# Cluster\r\n");
                f(sb, "cluster_enabled", server.config.clusterEnabled ? 1 : 0);
            }
            case "keyspace" -> keyspace(sb);
            default -> {
            }
        }
    }

    // ---------------------------------------------------------------- sections

    private static String osName() {
        String arch = System.getProperty("os.arch");
        if (arch.equals("amd64")) arch = "x86_64";
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + arch;
    }

    private void server(StringBuilder sb) {
        Config cfg = server.config;
        long nowMicros = server.clock.millis() * 1000 + (server.clock.nanos() / 1000) % 1000;
        long up = server.uptimeSeconds();
        sb.append("# Server\r\n");
        f(sb, "redis_version", Server.REDIS_VERSION);
        f(sb, "redis_git_sha1", "00000000");
        f(sb, "redis_git_dirty", 0);
        f(sb, "redis_build_id", "0000000000000000");
        f(sb, "redis_mode", cfg.clusterEnabled ? "cluster" : "standalone");
        f(sb, "os", osName());
        f(sb, "arch_bits", 64);
        f(sb, "monotonic_clock", "POSIX clock_gettime");
        f(sb, "multiplexing_api", "epoll");
        f(sb, "atomicvar_api", "c11-builtin");
        f(sb, "gcc_version", "0.0.0");
        f(sb, "process_id", ProcessHandle.current().pid());
        f(sb, "process_supervised", "no");
        f(sb, "run_id", server.runId);
        f(sb, "tcp_port", cfg.port);
        f(sb, "server_time_usec", nowMicros);
        f(sb, "uptime_in_seconds", up);
        f(sb, "uptime_in_days", up / 86400);
        f(sb, "hz", cfg.hz);
        f(sb, "configured_hz", cfg.hz);
        f(sb, "lru_clock", server.keyspace.lruClock());
        f(sb, "executable", server.executable);
        f(sb, "config_file", server.configFile == null ? "" : server.configFile);
        f(sb, "io_threads_active", 0);
        server.shutdown.appendInfo(sb);
    }

    private void clients(StringBuilder sb) {
        sb.append("# Clients\r\n");
        f(sb, "connected_clients", server.clients.size());
        f(sb, "cluster_connections", 0);
        f(sb, "maxclients", server.config.maxclients);
        f(sb, "client_recent_max_input_buffer", 0);
        f(sb, "client_recent_max_output_buffer", 0);
        f(sb, "blocked_clients", 0);
        f(sb, "tracking_clients", 0);
        f(sb, "clients_in_timeout_table", 0);
    }

    /** Redis's bytesToHuman. */
    public static String bytesToHuman(long n) {
        double d = n;
        if (n < 1024) return n + "B";
        if (n < (1L << 20)) return String.format(Locale.ROOT, "%.2fK", d / 1024);
        if (n < (1L << 30)) return String.format(Locale.ROOT, "%.2fM", d / (1L << 20));
        if (n < (1L << 40)) return String.format(Locale.ROOT, "%.2fG", d / (1L << 30));
        if (n < (1L << 50)) return String.format(Locale.ROOT, "%.2fT", d / (1L << 40));
        if (n < (1L << 60)) return String.format(Locale.ROOT, "%.2fP", d / (1L << 50));
        return n + "B";
    }

    private static long rssBytes() {
        try {
            String[] p = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
            return Long.parseLong(p[1]) * 4096;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long totalSystemMemory() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 0;
    }

    private static String f2(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }

    private void memory(StringBuilder sb) {
        // As in Redis, used_memory counts normal clients' buffers (eviction's O(1) figure does not).
        long clients = server.clientsMemory();
        long used = server.usedMemory() + clients;
        if (used > peakMemory) peakMemory = used;
        long rss = rssBytes();
        long startup = Server.BASE_MEMORY;
        long overhead = startup + clients;
        long dataset = Math.max(0, used - overhead);
        long net = used - startup;
        long sys = totalSystemMemory();
        Config cfg = server.config;
        sb.append("# Memory\r\n");
        f(sb, "used_memory", used);
        f(sb, "used_memory_human", bytesToHuman(used));
        f(sb, "used_memory_rss", rss);
        f(sb, "used_memory_rss_human", bytesToHuman(rss));
        f(sb, "used_memory_peak", peakMemory);
        f(sb, "used_memory_peak_human", bytesToHuman(peakMemory));
        f(sb, "used_memory_peak_perc", f2(peakMemory == 0 ? 0 : used * 100.0 / peakMemory) + "%");
        f(sb, "used_memory_overhead", overhead);
        f(sb, "used_memory_startup", startup);
        f(sb, "used_memory_dataset", dataset);
        f(sb, "used_memory_dataset_perc", f2(net <= 0 ? 0 : dataset * 100.0 / net) + "%");
        f(sb, "allocator_allocated", used);
        f(sb, "allocator_active", used);
        f(sb, "allocator_resident", rss);
        f(sb, "total_system_memory", sys);
        f(sb, "total_system_memory_human", bytesToHuman(sys));
        f(sb, "used_memory_lua", 32768);
        f(sb, "used_memory_vm_eval", 32768);
        f(sb, "used_memory_lua_human", bytesToHuman(32768));
        f(sb, "used_memory_scripts_eval", 0);
        f(sb, "number_of_cached_scripts", 0);
        f(sb, "number_of_functions", 0);
        f(sb, "number_of_libraries", 0);
        f(sb, "used_memory_vm_functions", 33792);
        f(sb, "used_memory_vm_total", 66560);
        f(sb, "used_memory_vm_total_human", bytesToHuman(66560));
        f(sb, "used_memory_functions", 200);
        f(sb, "used_memory_scripts", 200);
        f(sb, "used_memory_scripts_human", bytesToHuman(200));
        f(sb, "maxmemory", cfg.maxmemory);
        f(sb, "maxmemory_human", bytesToHuman(cfg.maxmemory));
        f(sb, "maxmemory_policy", cfg.maxmemoryPolicy);
        f(sb, "allocator_frag_ratio", "1.00");
        f(sb, "allocator_frag_bytes", 0);
        f(sb, "allocator_rss_ratio", f2(used == 0 ? 0 : (double) rss / used));
        f(sb, "allocator_rss_bytes", rss - used);
        f(sb, "rss_overhead_ratio", "1.00");
        f(sb, "rss_overhead_bytes", 0);
        f(sb, "mem_fragmentation_ratio", f2(used == 0 ? 0 : (double) rss / used));
        f(sb, "mem_fragmentation_bytes", rss - used);
        f(sb, "mem_not_counted_for_evict", 0);
        f(sb, "mem_replication_backlog", 0);
        f(sb, "mem_total_replication_buffers", 0);
        f(sb, "mem_clients_slaves", 0);
        f(sb, "mem_clients_normal", clients);
        f(sb, "mem_cluster_links", 0);
        f(sb, "mem_aof_buffer", 0);
        f(sb, "mem_allocator", "libc");
        f(sb, "active_defrag_running", 0);
        f(sb, "lazyfree_pending_objects", 0);
        f(sb, "lazyfreed_objects", 0);
    }

    private void persistence(StringBuilder sb) {
        sb.append("# Persistence\r\n");
        f(sb, "loading", 0);
        f(sb, "async_loading", 0);
        f(sb, "current_cow_peak", 0);
        f(sb, "current_cow_size", 0);
        f(sb, "current_cow_size_age", 0);
        f(sb, "current_fork_perc", "0.00");
        f(sb, "current_save_keys_processed", 0);
        f(sb, "current_save_keys_total", 0);
        f(sb, "rdb_changes_since_last_save", server.dirty);
        f(sb, "rdb_bgsave_in_progress", 0);
        f(sb, "rdb_last_save_time", server.lastSaveUnix);
        f(sb, "rdb_last_bgsave_status", "ok");
        f(sb, "rdb_last_bgsave_time_sec", -1);
        f(sb, "rdb_current_bgsave_time_sec", -1);
        f(sb, "rdb_saves", 0);
        f(sb, "rdb_last_cow_size", 0);
        f(sb, "rdb_last_load_keys_expired", 0);
        f(sb, "rdb_last_load_keys_loaded", 0);
        f(sb, "aof_enabled", server.config.appendonly ? 1 : 0);
        f(sb, "aof_rewrite_in_progress", 0);
        f(sb, "aof_rewrite_scheduled", 0);
        f(sb, "aof_last_rewrite_time_sec", -1);
        f(sb, "aof_current_rewrite_time_sec", -1);
        f(sb, "aof_last_bgrewrite_status", "ok");
        f(sb, "aof_rewrites", 0);
        f(sb, "aof_rewrites_consecutive_failures", 0);
        f(sb, "aof_last_write_status", "ok");
        f(sb, "aof_last_cow_size", 0);
        f(sb, "module_fork_in_progress", 0);
        f(sb, "module_fork_last_cow_size", 0);
        if (server.aof != null) server.aof.infoTail(sb); // 7.0 prints the aof_* tail before loading_*
        server.loading.appendInfo(sb);
    }

    private void stats(StringBuilder sb) {
        Stats st = server.stats;
        Keyspace ks = server.keyspace;
        sb.append("# Stats\r\n");
        f(sb, "total_connections_received", st.numConnections);
        f(sb, "total_commands_processed", st.numCommands);
        f(sb, "instantaneous_ops_per_sec", instantaneous(0));
        f(sb, "total_net_input_bytes", st.netInputBytes);
        f(sb, "total_net_output_bytes", st.netOutputBytes);
        f(sb, "total_net_repl_input_bytes", 0);
        f(sb, "total_net_repl_output_bytes", 0);
        f(sb, "instantaneous_input_kbps", f2(instantaneous(1) / 1024.0));
        f(sb, "instantaneous_output_kbps", f2(instantaneous(2) / 1024.0));
        f(sb, "instantaneous_input_repl_kbps", f2(instantaneous(3) / 1024.0));
        f(sb, "instantaneous_output_repl_kbps", f2(instantaneous(4) / 1024.0));
        f(sb, "rejected_connections", st.rejectedConnections);
        f(sb, "sync_full", 0);
        f(sb, "sync_partial_ok", 0);
        f(sb, "sync_partial_err", 0);
        f(sb, "expired_keys", ks.expiredKeys);
        f(sb, "expired_stale_perc", f2(ks.expiredStalePerc));
        f(sb, "expired_time_cap_reached_count", ks.expiredTimeCapReachedCount);
        f(sb, "expire_cycle_cpu_milliseconds", 0);
        f(sb, "evicted_keys", ks.evictedKeys);
        f(sb, "evicted_clients", 0);
        f(sb, "total_eviction_exceeded_time", 0);
        f(sb, "current_eviction_exceeded_time", 0);
        f(sb, "keyspace_hits", ks.keyspaceHits);
        f(sb, "keyspace_misses", ks.keyspaceMisses);
        f(sb, "pubsub_channels", 0);
        f(sb, "pubsub_patterns", 0);
        f(sb, "pubsubshard_channels", 0);
        f(sb, "latest_fork_usec", 0);
        f(sb, "total_forks", 0);
        f(sb, "migrate_cached_sockets", 0);
        f(sb, "slave_expires_tracked_keys", 0);
        f(sb, "active_defrag_hits", 0);
        f(sb, "active_defrag_misses", 0);
        f(sb, "active_defrag_key_hits", 0);
        f(sb, "active_defrag_key_misses", 0);
        f(sb, "total_active_defrag_time", 0);
        f(sb, "current_active_defrag_time", 0);
        f(sb, "tracking_total_keys", 0);
        f(sb, "tracking_total_items", 0);
        f(sb, "tracking_total_prefixes", 0);
        f(sb, "unexpected_error_replies", st.unexpectedErrorReplies);
        f(sb, "total_error_replies", st.totalErrorReplies);
        f(sb, "dump_payload_sanitizations", st.dumpPayloadSanitizations);
        f(sb, "total_reads_processed", st.ioReadsProcessed);
        f(sb, "total_writes_processed", st.ioWritesProcessed);
        f(sb, "io_threaded_reads_processed", 0);
        f(sb, "io_threaded_writes_processed", 0);
        f(sb, "reply_buffer_shrinks", 0);
        f(sb, "reply_buffer_expands", 0);
    }

    private void replication(StringBuilder sb) {
        server.replication.appendInfo(sb);
    }

    private static String secs(long nanos) {
        return String.format(Locale.ROOT, "%d.%06d", nanos / 1_000_000_000L, (nanos / 1000) % 1_000_000);
    }

    private void cpu(StringBuilder sb) {
        long user = 0, sys = 0;
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] p = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            user = Long.parseLong(p[11]) * 10_000_000L;
            sys = Long.parseLong(p[12]) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            // leave zeros
        }
        ThreadMXBean t = ManagementFactory.getThreadMXBean();
        long mainCpu = Math.max(0, t.getCurrentThreadCpuTime());
        long mainUser = Math.max(0, t.getCurrentThreadUserTime());
        sb.append("# CPU\r\n");
        f(sb, "used_cpu_sys", secs(sys));
        f(sb, "used_cpu_user", secs(user));
        f(sb, "used_cpu_sys_children", "0.000000");
        f(sb, "used_cpu_user_children", "0.000000");
        f(sb, "used_cpu_sys_main_thread", secs(Math.max(0, mainCpu - mainUser)));
        f(sb, "used_cpu_user_main_thread", secs(mainUser));
    }

    private void commandStats(StringBuilder sb) {
        sb.append("# Commandstats\r\n");
        for (Command cmd : server.commands.all()) {
            commandStat(sb, cmd);
            for (Command sub : cmd.subcommands.values()) commandStat(sb, sub);
        }
    }

    private static void commandStat(StringBuilder sb, Command cmd) {
        if (cmd.calls == 0 && cmd.failedCalls == 0 && cmd.rejectedCalls == 0) return;
        sb.append("cmdstat_").append(cmd.fullName).append(":calls=").append(cmd.calls)
                .append(",usec=").append(cmd.microseconds)
                .append(",usec_per_call=").append(f2(cmd.calls == 0 ? 0 : (double) cmd.microseconds / cmd.calls))
                .append(",rejected_calls=").append(cmd.rejectedCalls)
                .append(",failed_calls=").append(cmd.failedCalls).append("\r\n");
    }

    private void errorStats(StringBuilder sb) {
        sb.append("# Errorstats\r\n");
        for (Map.Entry<String, Long> e : server.stats.errorCounts.entrySet()) {
            sb.append("errorstat_").append(e.getKey()).append(":count=").append(e.getValue()).append("\r\n");
        }
    }

    private void latencyStats(StringBuilder sb) {
        sb.append("# Latencystats\r\n");
        if (!server.config.latencyTracking) return;
        double[] pcts = server.config.latencyTrackingInfoPercentiles;
        for (Command cmd : server.commands.all()) {
            latencyStat(sb, cmd, pcts);
            for (Command sub : cmd.subcommands.values()) latencyStat(sb, sub, pcts);
        }
    }

    private void latencyStat(StringBuilder sb, Command cmd, double[] pcts) {
        Histogram h = cmd.latencyHistogram;
        if (h == null || h.getTotalCount() == 0) return;
        sb.append("latency_percentiles_usec_").append(cmd.fullName).append(':');
        for (int i = 0; i < pcts.length; i++) {
            if (i > 0) sb.append(',');
            sb.append('p').append(formatPercentile(pcts[i])).append('=')
                    .append(String.format(Locale.ROOT, "%.3f", h.getValueAtPercentile(pcts[i]) / 1000.0));
        }
        sb.append("\r\n");
    }

    /** %f with trailing zeros removed, as Redis prints percentile names (50, 99.9). */
    private static String formatPercentile(double p) {
        String s = String.format(Locale.ROOT, "%f", p);
        s = s.replaceAll("0+$", "");
        if (s.endsWith(".")) s = s.substring(0, s.length() - 1);
        return s;
    }

    private void keyspace(StringBuilder sb) {
        sb.append("# Keyspace\r\n");
        for (Db db : server.keyspace.dbs) {
            long keys = db.size(), expires = db.expires.size();
            if (keys == 0 && expires == 0) continue;
            sb.append("db").append(db.id).append(":keys=").append(keys).append(",expires=").append(expires)
                    .append(",avg_ttl=").append(db.avgTtl).append("\r\n");
        }
    }
}
