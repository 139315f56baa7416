#!/usr/bin/env python3
"""Turns types-memory.sh's CSV into the Markdown report: per variant, deltas over the empty baseline and ratios."""
import csv
import datetime
import sys

path, batch = sys.argv[1:3]
rows = list(csv.DictReader(open(path)))
variants = []
by = {}
for r in rows:
    if r["variant"] not in variants:
        variants.append(r["variant"])
    by[(r["variant"], r["server"])] = r


def measured(r):
    return r is not None and r["status"] == "ok"


def used_delta(r):
    if not measured(r) or not r["used_base"] or not r["used_full"]:
        return None
    return int(r["used_full"]) - int(r["used_base"])


def rss_delta(r):
    return (int(r["rss_full_kb"]) - int(r["rss_base_kb"])) * 1024 if measured(r) else None


def mb(v):
    return "n/a" if v is None else "%.1f" % (v / 1048576)


def per_elem(v, r):
    return "n/a" if v is None else "%.1f" % (v / (int(r["keys"]) * int(r["elems"])))


def ratio(a, b):
    return "n/a" if a is None or not b else "%.2f" % (a / b)


def cell(r, field):
    if r is None:
        return "—"
    return r[field] if measured(r) else "n/a"


out = ["# Collection memory: Starling vs Redis 7.0 (%s)" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
       "",
       "Fresh server per variant and server; deltas over the empty server's baseline, RSS (VmRSS) read once "
       "settled. Loaded with redis-cli --pipe, at most %s elements per command. Per element = delta / "
       "(keys x elements). Starling's used_memory is its own estimate (MemorySize), not the JVM heap." % batch,
       "",
       "| variant | keys x elements | encoding Redis / Starling | load s Redis / Starling | used_memory Δ MB Redis "
       "| Starling | ratio | RSS Δ MB Redis | Starling | **RSS ratio** (≤ 1.5) | RSS B/element Redis / Starling |",
       "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
notes = []
for v in variants:
    rr, sr = by.get((v, "redis")), by.get((v, "starling"))
    any_r = rr or sr
    ru, su, rs, ss = used_delta(rr), used_delta(sr), rss_delta(rr), rss_delta(sr)
    out.append("| %s | %s x %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | **%s** | %s / %s |"
               % (v, any_r["keys"], any_r["elems"], cell(rr, "encoding"), cell(sr, "encoding"), cell(rr, "load_s"),
                  cell(sr, "load_s"), mb(ru), mb(su), ratio(su, ru), mb(rs), mb(ss), ratio(ss, rs),
                  per_elem(rs, rr) if rr else "—", per_elem(ss, sr) if sr else "—"))
    for r in (rr, sr):
        if r is not None and r["status"] != "ok":
            notes.append("n/a: %s %s: %s." % (r["server"], v, r["status"]))
if notes:
    out.append("")
    out.extend(notes)
print("\n".join(out))
