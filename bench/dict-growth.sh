#!/usr/bin/env bash
# Latency while the main dict grows from 0 to a few million keys, Starling and Redis side by side.
#
#   bench/dict-growth.sh                 # TOTAL=3000000 SET requests over a key space of 50M
#
# A loader (redis-benchmark SET, random keys, pipeline 16, 20 clients) fills the server while a
# probe (bench/latency_probe.py: one connection, GET back to back) records p50 / p99 / max per
# 0.5 s interval together with DBSIZE. Every dict doubling falls inside the run (2^21 -> 2^22 ...);
# with incremental rehash the probe's max stays flat instead of spiking at each resize. Redis and
# Starling run one after the other on fresh servers (the machine has 2 cores: the loader, the
# server and the probe already share them). Output: Markdown to stdout and
# bench/results/dict-growth.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
TOTAL=${TOTAL:-3000000}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-growth.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

run_one() { # server
  local port pid
  port=$(free_port)
  if [ "$1" = redis ]; then start_redis "$port"; else start_starling "$port"; fi
  pid=$LAST_PID
  if [ "$1" = starling ]; then # JIT warm-up on a throwaway key space, then drop it
    redis-benchmark -p "$port" -c 20 -P 16 -n 300000 -r 1000 -t set,get -q >/dev/null 2>&1 || true
    redis-cli -p "$port" del key:__rand_int__ >/dev/null
    # without FLUSHALL the warm-up keys (at most 1000) stay: negligible next to millions
  fi
  redis-cli -p "$port" set probe v >/dev/null
  if [ "$1" = starling ]; then # log GC pauses from now on, to tell GC pauses from dict work
    "$("$root/bin/find-java")/bin/jcmd" "$pid" VM.log output="file=$WORK/gc.log" what=gc=info >/dev/null 2>&1 || true
  fi
  rm -f "$WORK/stop"
  python3 "$here/latency_probe.py" --port "$port" --interval 0.5 --seconds 300 --stop "$WORK/stop" >"$WORK/$1.csv" &
  local probe=$!
  PIDS+=("$probe")
  sleep 1
  redis-benchmark -p "$port" -c 20 -P 16 -n "$TOTAL" -r 50000000 -t set -q >"$WORK/$1-load.txt" 2>&1 || true
  sleep 1
  touch "$WORK/stop"
  wait "$probe" || true
  stop_pid "$pid"
}

echo "redis: loading $TOTAL SETs ..." >&2
run_one redis
echo "starling: loading $TOTAL SETs ..." >&2
run_one starling
cleanup
[ -f "$WORK/gc.log" ] && cp "$WORK/gc.log" "$here/results/dict-growth-gc.log"

python3 - "$WORK/redis.csv" "$WORK/starling.csv" "$WORK/redis-load.txt" "$WORK/starling-load.txt" "$WORK/gc.log" <<'PY' | tee "$here/results/dict-growth.md"
import csv, os, re, sys
def load(p): return list(csv.DictReader(open(p)))
r, s = load(sys.argv[1]), load(sys.argv[2])
def final(p):
    m = re.findall(r"[A-Z_]+: [0-9.]+ requests per second[^\r\n]*", open(p).read())
    return m[-1] if m else "?"
rl, sl = final(sys.argv[3]), final(sys.argv[4])
print("# Probe latency while the dict grows (GET on one connection, per 0.5 s interval)")
print()
print("Loader: redis-benchmark SET -P 16 -c 20, random keys. Redis: `%s`; Starling: `%s`." % (rl, sl))
print()
print("| interval | Redis keys | Redis p50 ms | Redis p99 ms | Redis max ms | Starling keys | Starling p50 ms | Starling p99 ms | Starling max ms |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for i in range(max(len(r), len(s))):
    a = r[i] if i < len(r) else None
    b = s[i] if i < len(s) else None
    fa = "| %s | %s | %s | %s" % (a["keys"], a["p50_ms"], a["p99_ms"], a["max_ms"]) if a else "| | | |"
    fb = "| %s | %s | %s | %s" % (b["keys"], b["p50_ms"], b["p99_ms"], b["max_ms"]) if b else "| | | |"
    print("| %d %s %s |" % (i, fa, fb))
def summary(rows, name):
    loading = [x for x in rows if int(x["keys"]) > 1000]
    if not loading: return
    mx = max(float(x["max_ms"]) for x in loading)
    p99s = sorted(float(x["p99_ms"]) for x in loading)
    print("- %s: %d intervals while loading; worst interval max %.2f ms; median interval p99 %.2f ms; worst interval p99 %.2f ms"
          % (name, len(loading), mx, p99s[len(p99s)//2], p99s[-1]))
print()
summary(r, "Redis")
summary(s, "Starling")
if os.path.exists(sys.argv[5]):
    pauses = [float(x) for x in re.findall(r"Pause[^\n]*?([0-9.]+)ms", open(sys.argv[5]).read())]
    if pauses:
        print("- Starling GC during the run: %d pauses, longest %.2f ms, total %.1f ms (so spikes up to that size are GC, not the dict)"
              % (len(pauses), max(pauses), sum(pauses)))
PY
