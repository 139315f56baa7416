package dev.starling.observability;

import dev.starling.command.Command;
import dev.starling.command.CommandTable;
import dev.starling.command.Help;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * LATENCY (Redis's latency.c): per event, a ring of the last 160 one-second samples (the worst
 * latency seen in that second, in ms) and the all-time maximum. Only latencies at or above
 * latency-monitor-threshold are recorded, so a threshold of 0 disables the monitor.
 */
public final class LatencyMonitor implements Server.CallListener {
    static final int TS_LEN = 160;

    static final class Series {
        final long[] time = new long[TS_LEN];
        final long[] latency = new long[TS_LEN];
        int idx;
        long max;
    }

    private final Server server;
    /** Events by name, in first-seen order. */
    final Map<String, Series> events = new LinkedHashMap<>();

    LatencyMonitor(Server server) {
        this.server = server;
    }

    /** Creates the server's latency monitor and records "command"/"fast-command" after every command. */
    public static void install(Server server) {
        server.latency = new LatencyMonitor(server);
    }

    public static void register(CommandTable t) {
        t.bind("latency|latest", LatencyMonitor::latest);
        t.bind("latency|history", LatencyMonitor::history);
        t.bind("latency|reset", LatencyMonitor::reset);
        t.bind("latency|doctor", LatencyMonitor::doctor);
        t.bind("latency|help", LatencyMonitor::help);
    }

    @Override
    public void afterCall(Client c, Command cmd, long micros) {
        if (c.has(Client.BLOCKED)) return;
        addSampleIfNeeded(cmd.has(Command.FAST) ? "fast-command" : "command", micros / 1000);
    }

    /** Redis's latencyAddSampleIfNeeded: records ms for event when at or above the threshold. */
    public void addSampleIfNeeded(String event, long ms) {
        long threshold = server.config.latencyMonitorThreshold;
        if (threshold != 0 && ms >= threshold) addSample(event, ms);
    }

    /** Redis's latencyAddSample: one sample per second, keeping that second's worst. */
    public void addSample(String event, long ms) {
        Series ts = events.computeIfAbsent(event, e -> new Series());
        long now = server.clock.millis() / 1000;
        if (ms > ts.max) ts.max = ms;
        int prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if (ts.time[prev] == now) {
            if (ms > ts.latency[prev]) ts.latency[prev] = ms;
            return;
        }
        ts.time[ts.idx] = now;
        ts.latency[ts.idx] = ms;
        ts.idx = (ts.idx + 1) % TS_LEN;
    }

    static void latest(Client c) {
        Map<String, Series> ev = c.server.latency.events;
        c.addReplyArrayLen(ev.size());
        for (Map.Entry<String, Series> e : ev.entrySet()) {
            Series ts = e.getValue();
            int last = (ts.idx + TS_LEN - 1) % TS_LEN;
            c.addReplyArrayLen(4);
            c.addReplyBulkString(e.getKey());
            c.addReplyLongLong(ts.time[last]);
            c.addReplyLongLong(ts.latency[last]);
            c.addReplyLongLong(ts.max);
        }
    }

    static void history(Client c) {
        Series ts = c.server.latency.events.get(c.argString(2));
        if (ts == null) {
            c.addReplyArrayLen(0);
            return;
        }
        int n = 0;
        for (int j = 0; j < TS_LEN; j++) if (ts.time[j] != 0) n++;
        c.addReplyArrayLen(n);
        for (int j = 0; j < TS_LEN; j++) {
            int i = (ts.idx + j) % TS_LEN;
            if (ts.time[i] == 0) continue;
            c.addReplyArrayLen(2);
            c.addReplyLongLong(ts.time[i]);
            c.addReplyLongLong(ts.latency[i]);
        }
    }

    static void reset(Client c) {
        Map<String, Series> ev = c.server.latency.events;
        if (c.argc == 2) {
            int n = ev.size();
            ev.clear();
            c.addReplyLongLong(n);
            return;
        }
        int n = 0;
        for (int j = 2; j < c.argc; j++) if (ev.remove(c.argString(j)) != null) n++;
        c.addReplyLongLong(n);
    }

    static final String DISABLED = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    static final String NO_EVENTS = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";

    static void doctor(Client c) {
        c.addReplyVerbatim(c.server.latency.report(), "txt");
    }

    /** Redis's createLatencyReport, for the events Starling records (command, fast-command). */
    String report() {
        if (events.isEmpty()) {
            return server.config.latencyMonitorThreshold == 0 ? DISABLED : NO_EVENTS;
        }
        StringBuilder sb = new StringBuilder("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        boolean slowlogEnabled = false, slowlogTuning = false, slowlogInspect = false, largeObjects = false, scheduler = false;
        int num = 1;
        for (Map.Entry<String, Series> e : events.entrySet()) {
            Series ts = e.getValue();
            // Redis's analyzeLatencyForEvent: average, mean absolute deviation, and the period as
            // seconds since the oldest sample divided by the number of samples.
            int samples = 0;
            long sum = 0, oldest = 0;
            for (int j = 0; j < TS_LEN; j++) {
                if (ts.time[j] == 0) continue;
                samples++;
                sum += ts.latency[j];
                if (oldest == 0 || ts.time[j] < oldest) oldest = ts.time[j];
            }
            long avg = samples == 0 ? 0 : sum / samples;
            long range = 0;
            if (samples > 0) {
                range = server.clock.millis() / 1000 - oldest;
                if (range == 0) range = 1;
            }
            long mad = 0;
            for (int j = 0; j < TS_LEN; j++) {
                if (ts.time[j] != 0) mad += Math.abs(ts.latency[j] - avg);
            }
            if (samples > 0) mad /= samples;
            double period = samples == 0 ? 0 : (double) range / samples;
            sb.append(num++).append(". ").append(e.getKey()).append(": ").append(samples)
                    .append(" latency spikes (average ").append(avg).append("ms, mean deviation ").append(mad)
                    .append("ms, period ").append(String.format(Locale.ROOT, "%.2f", period))
                    .append(" sec). Worst all time event ").append(ts.max).append("ms.\n");
            if (e.getKey().equals("command")) {
                if (server.config.slowlogLogSlowerThan < 0 || server.config.slowlogMaxLen == 0) slowlogEnabled = true;
                else if (server.config.slowlogLogSlowerThan / 1000 > server.config.latencyMonitorThreshold) slowlogTuning = true;
                slowlogInspect = true;
                largeObjects = true;
            }
            if (e.getKey().equals("fast-command")) scheduler = true;
        }
        sb.append("\nI have a few advices for you:\n\n");
        long suggested = server.config.latencyMonitorThreshold * 1000;
        if (slowlogEnabled) sb.append("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ").append(suggested).append("'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n");
        if (slowlogTuning) sb.append("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ").append(suggested).append("'.\n");
        if (slowlogInspect) sb.append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        if (scheduler) sb.append("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                + "  1) Lower the system load.\n"
                + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        if (largeObjects) sb.append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        return sb.toString();
    }

    private static final String[] HELP = {
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
    };

    static void help(Client c) {
        Help.reply(c, "LATENCY", HELP);
    }
}
