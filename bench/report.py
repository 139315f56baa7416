#!/usr/bin/env python3
"""Turns compare.sh's raw CSVs into the Markdown report: medians across rounds and Starling/Redis ratios."""
import csv
import statistics
import sys
import datetime
import platform
import subprocess

raw, mem, rounds, clients, n1, n16, keyspace = sys.argv[1:8]

rows = list(csv.DictReader(open(raw)))
groups = {}
for r in rows:
    groups.setdefault((r["server"], r["pipeline"], r["test"]), []).append(r)


def median(key, field):
    g = groups.get(key, [])
    return statistics.median(float(x[field]) for x in g) if g else float("nan")


def ratio(a, b):
    return a / b if b else float("nan")


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except Exception:
        return "?"


out = []
out.append("# Starling vs Redis 7.0 (%s)" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
out.append("")
out.append("Machine: %s, %s cores. Redis: `%s`." % (platform.machine(), subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
                                                version(["redis-server", "--version"])))
out.append("redis-benchmark -c %s -r %s -t set,get, %s requests at pipeline 1 and %s at pipeline 16; %s rounds, "
           "servers alternating (order flipped each round); medians shown. Starling had one unrecorded JIT warm-up run."
           % (clients, keyspace, n1, n16, rounds))
out.append("")
out.append("| test | pipeline | Redis rps | Starling rps | ratio | Redis p50 ms | Starling p50 ms | Redis p99 ms | Starling p99 ms | p99 ratio |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in ("1", "16"):
    for t in ("SET", "GET"):
        rr, sr = median(("redis", p, t), "rps"), median(("starling", p, t), "rps")
        r50, s50 = median(("redis", p, t), "p50"), median(("starling", p, t), "p50")
        r99, s99 = median(("redis", p, t), "p99"), median(("starling", p, t), "p99")
        out.append("| %s | %s | %.0f | %.0f | **%.2f** | %.3f | %.3f | %.3f | %.3f | %.2f |"
                   % (t, p, rr, sr, ratio(sr, rr), r50, s50, r99, s99, ratio(s99, r99)))

out.append("")
mrows = {r["server"]: r for r in csv.DictReader(open(mem))}
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
