#!/usr/bin/env python3
"""Turns compare.sh's raw CSVs into the Markdown report: medians across rounds and Starling/Redis ratios."""
import argparse
import csv
import math
import statistics
import sys
import datetime
import platform
import subprocess

ap = argparse.ArgumentParser()
for name in ("raw", "mem", "errors", "rounds", "clients", "n1", "n16", "keyspace", "tests", "lrange-div"):
    ap.add_argument("--" + name, required=True)
args = ap.parse_args()

rows = list(csv.DictReader(open(args.raw)))
groups = {}
for r in rows:
    groups.setdefault((r["server"], r["pipeline"], r["test"]), []).append(r)

# Errors: "rejected SERVER TEST" (unknown command, not run) and "failed SERVER ..." (stopped part-way).
rejected = {}
failed = []
for line in open(args.errors):
    f = line.split()
    if f and f[0] == "rejected":
        rejected.setdefault(f[1], []).append(f[2])
    elif f and f[0] == "failed":
        failed.append(line.strip()[len("failed "):])


def median(key, field):
    g = groups.get(key, [])
    return statistics.median(float(x[field]) for x in g) if g else float("nan")


def ratio(a, b):
    return a / b if b else float("nan")


def fmt(fmt, v):
    return "n/a" if math.isnan(v) else fmt % v


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except Exception:
        return "?"


# Rows in the order of TESTS, with redis-benchmark's names (lrange -> its four LRANGE_* tests, ping -> both).
names = []
for t in args.tests.split(","):
    if t == "lrange":
        names += ["LRANGE_100", "LRANGE_300", "LRANGE_500", "LRANGE_600"]
    elif t == "ping":
        names += ["PING_INLINE", "PING_MBULK"]
    else:
        names.append(t.upper())
for r in rows:
    if r["test"] not in names:
        names.append(r["test"])

out = []
out.append("# Starling vs Redis 7.0 (%s)" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
out.append("")
out.append("Machine: %s, %s cores. Redis: `%s`." % (platform.machine(), subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
                                                version(["redis-server", "--version"])))
lrange_n = " (LRANGE_*: 1/%s of that, at least 1000)" % args.lrange_div if "lrange" in args.tests else ""
out.append("redis-benchmark -c %s -r %s -t %s, %s requests at pipeline 1 and %s at pipeline 16%s; %s rounds, "
           "servers alternating test by test (order flipped each round); medians shown. "
           "Starling had one unrecorded JIT warm-up pass."
           % (args.clients, args.keyspace, args.tests, args.n1, args.n16, lrange_n, args.rounds))
out.append("")
out.append("| test | pipeline | Redis rps | Starling rps | ratio | Redis p50 ms | Starling p50 ms | p50 ratio "
           "| Redis p99 ms | Starling p99 ms | p99 ratio |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in ("1", "16"):
    for t in names:
        rr, sr = median(("redis", p, t), "rps"), median(("starling", p, t), "rps")
        r50, s50 = median(("redis", p, t), "p50"), median(("starling", p, t), "p50")
        r99, s99 = median(("redis", p, t), "p99"), median(("starling", p, t), "p99")
        out.append("| %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | %s |"
                   % (t, p, fmt("%.0f", rr), fmt("%.0f", sr), fmt("%.2f", ratio(sr, rr)), fmt("%.3f", r50), fmt("%.3f", s50),
                      fmt("%.2f", ratio(s50, r50)), fmt("%.3f", r99), fmt("%.3f", s99), fmt("%.2f", ratio(s99, r99))))
if rejected or failed:
    out.append("")
for server in sorted(rejected):
    out.append("n/a: %s answers \"unknown command\" to %s (not run)." % (server, ", ".join(t.upper() for t in rejected[server])))
for f in failed:
    out.append("n/a: %s" % f)

out.append("")
mrows = {r["server"]: r for r in csv.DictReader(open(args.mem))}
if mrows:
    out.append("## Memory per key after DEBUG POPULATE")
    out.append("")
    out.append("Fresh server each; per key = (after - empty-server baseline) / keys. RSS is /proc/PID/status VmRSS.")
    out.append("")
    out.append("| server | keys | populate s | used_memory/key | RSS/key | RSS after (MB) |")
    out.append("|---|---:|---:|---:|---:|---:|")
    per = {}
    for s in ("redis", "starling"):
        r = mrows.get(s)
        if not r:
            continue
        keys = int(r["keys"] or 0) or 1
        used = "n/a (no INFO)"
        uval = None
        if r["used_base"] and r["used_full"]:
            uval = (int(r["used_full"]) - int(r["used_base"])) / keys
            used = "%.1f B" % uval
        rss = (int(r["rss_full_kb"]) - int(r["rss_base_kb"])) * 1024 / keys
        per[s] = (uval, rss)
        out.append("| %s | %s | %.2f | %s | %.1f B | %.0f |" % (s, r["keys"], float(r["populate_s"]), used, rss, int(r["rss_full_kb"]) / 1024))
    if "redis" in per and "starling" in per:
        ru, rr = per["redis"]
        su, sr = per["starling"]
        ur = "%.2f" % (su / ru) if (su is not None and ru) else "n/a"
        out.append("")
        out.append("Starling/Redis: used_memory per key **%s**, RSS per key **%.2f**." % (ur, sr / rr if rr else float("nan")))
        out.append("")
        out.append("Starling's used_memory is its own deterministic estimate (keyspace/MemorySize), not the JVM heap; "
                   "its RSS includes the JVM heap as the collector sized it (garbage not yet collected included).")
print("\n".join(out))
