#!/usr/bin/env bash
# BGSAVE: Starling's forkless snapshot vs redis-server 7.0's fork, on the same data and write load.
#
#   bench/bgsave.sh                                  # 5,000,000 keys of 100 bytes (needs a quiet machine)
#   KEYS=200000 WINDOW=3 WARM=1 bench/bgsave.sh      # a quick check of the script
#
# Per server (SERVERS, default "redis starling"), started fresh with its own --dir:
#  1. DEBUG POPULATE $KEYS key $VALUE (keys key:0..key:N-1), then redis-benchmark SET fills its own
#     zero-padded keyspace key:000000xxxxxx of WRITE_KEYS keys (default KEYS/10; 3*WRITE_KEYS
#     requests, ~95% filled, which also warms Starling's JIT). The write load below overwrites those
#     keys, so its writes hit keys of the snapshot (copy-on-write pages for Redis, pre-write hooks
#     for Starling) instead of growing the dataset.
#  2. An idle BGSAVE (the second one: the first, untimed, warms Starling's JIT): wall time from the log lines "Background saving started" to "Background
#     saving terminated with success" (millisecond timestamps, the same lines on both servers).
#  3. Under load: redis-benchmark -t set -r WRITE_KEYS -d VALUE -c CLIENTS runs throughout; after
#     WARM s, a baseline window of WINDOW s without BGSAVE, then a window around one BGSAVE (from the
#     command until rdb_bgsave_in_progress:0, polled every 10 ms). In both windows a probe
#     connection sends GET back to back (bgsave_probe.py latency: p99.9 and the longest round trip,
#     the longest pause a client saw), the load's throughput comes from total_commands_processed, and
#     bgsave_probe.py memory samples the Pss of the server and its children (Redis's fork child) every
#     50 ms. Extra memory = peak Pss during BGSAVE minus the Pss sampled 0.2 s before BGSAVE, as MB and
#     as % of the dataset (used_memory after the fill minus the empty server's). The JVM's heap moves
#     with garbage collection under the write load, so Starling's figure carries that noise; the
#     baseline window's Pss swing (peak - first sample) is shown for scale. rdb_last_cow_size is shown
#     too (Redis: the child's copy-on-write peak; Starling: the peak of bytes queued for its writer).
# Output: Markdown to stdout and bench/results/bgsave.md; raw rows in bench/results/bgsave.csv.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
KEYS=${KEYS:-5000000}
VALUE=${VALUE:-100}
CLIENTS=${CLIENTS:-50}
WRITE_KEYS=${WRITE_KEYS:-$((KEYS / 10))}
WINDOW=${WINDOW:-10}
WARM=${WARM:-5}
SERVERS=${SERVERS:-redis starling}
# Extra options for both servers, e.g. SERVER_OPTS="--rdbcompression no".
SERVER_OPTS=${SERVER_OPTS:-}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-bgsave.XXXXXX)
LOAD_PID=""
trap '[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null; cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

csv="$here/results/bgsave.csv"
echo "server,keys,value,write_keys,dataset_bytes,populate_s,bgsave_idle_s,bgsave_load_s,ops_base,ops_bgsave,p50_base_ms,p999_base_ms,max_base_ms,n_base,p50_bg_ms,p999_bg_ms,max_bg_ms,n_bg,pss_base_first_kb,pss_base_peak_kb,pss_before_kb,pss_bg_peak_kb,cow_bytes,fork_usec,status" >"$csv"

# last_bgsave_seconds LOG: seconds between the last "Background saving started" line and the
# "terminated with success" line after it, from the log's millisecond timestamps.
last_bgsave_seconds() {
  python3 - "$1" <<'EOF'
import re, sys, datetime
start = end = None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\d+:[A-Z] (\d+ \w+ \d+ \d+:\d+:\d+\.\d+) ", line)
    if not m:
        continue
    t = datetime.datetime.strptime(m.group(1), "%d %b %Y %H:%M:%S.%f")
    if "Background saving started" in line:
        start, end = t, None
    elif "Background saving terminated with success" in line and start:
        end = t
print("%.3f" % (end - start).total_seconds() if start and end else "")
EOF
}

# bgsave_wait PORT: BGSAVE, then poll until it has finished; prints the status.
bgsave_wait() {
  redis-cli -p "$1" bgsave >/dev/null
  while [ "$(info_field "$1" persistence rdb_bgsave_in_progress)" = 1 ]; do sleep 0.01; done
  info_field "$1" persistence rdb_last_bgsave_status
}

measure() {
  local server=$1 port pid log dir used0 used1 t0 t1 pop idle load status
  port=$(free_port)
  dir="$WORK/$server-dir"
  mkdir -p "$dir"
  if [ "$server" = redis ]; then start_redis "$port" --dir "$dir" ${SERVER_OPTS:-}; else start_starling "$port" --dir "$dir" ${SERVER_OPTS:-}; fi
  pid=$LAST_PID
  log="$WORK/$server-$port.log"
  used0=$(used_memory "$port")
  echo "$server: DEBUG POPULATE $KEYS, then $((WRITE_KEYS * 3)) SETs over $WRITE_KEYS keys ..." >&2
  t0=$(date +%s.%N)
  redis-cli -p "$port" debug populate "$KEYS" key "$VALUE" >/dev/null
  t1=$(date +%s.%N)
  pop=$(python3 -c "print(round($t1 - $t0, 2))")
  redis-benchmark -p "$port" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n $((WRITE_KEYS * 3)) -q >/dev/null 2>&1
  used1=$(used_memory "$port")
  echo "$server: idle BGSAVE (after an untimed one that warms Starling's JIT) ..." >&2
  bgsave_wait "$port" >/dev/null
  status=$(bgsave_wait "$port")
  idle=$(last_bgsave_seconds "$log")

  echo "$server: write load (redis-benchmark -c $CLIENTS), ${WARM}s warm-up, ${WINDOW}s baseline, then BGSAVE ..." >&2
  redis-benchmark -p "$port" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n 2000000000 -q >/dev/null 2>&1 &
  LOAD_PID=$!
  sleep "$WARM"
  # Baseline window: the same load, no BGSAVE.
  local c0 c1 c2 c3 s0 s1 s2 s3 base bg mbase mbg
  rm -f "$WORK/stop"
  python3 "$here/bgsave_probe.py" memory --pid "$pid" --stop "$WORK/stop" >"$WORK/mem-base" &
  local mp=$!
  c0=$(info_field "$port" stats total_commands_processed); s0=$(date +%s.%N)
  base=$(python3 "$here/bgsave_probe.py" latency --port "$port" --seconds "$WINDOW")
  c1=$(info_field "$port" stats total_commands_processed); s1=$(date +%s.%N)
  touch "$WORK/stop"; wait "$mp"; mbase=$(cat "$WORK/mem-base")
  # BGSAVE window.
  rm -f "$WORK/stop"
  python3 "$here/bgsave_probe.py" memory --pid "$pid" --stop "$WORK/stop" >"$WORK/mem-bg" &
  mp=$!
  python3 "$here/bgsave_probe.py" latency --port "$port" --stop "$WORK/stop" >"$WORK/lat-bg" &
  local lp=$!
  sleep 0.2
  c2=$(info_field "$port" stats total_commands_processed); s2=$(date +%s.%N)
  status="$status/$(bgsave_wait "$port")"
  c3=$(info_field "$port" stats total_commands_processed); s3=$(date +%s.%N)
  touch "$WORK/stop"; wait "$mp" "$lp"; mbg=$(cat "$WORK/mem-bg"); bg=$(cat "$WORK/lat-bg")
  load=$(last_bgsave_seconds "$log")
  kill "$LOAD_PID" 2>/dev/null || true
  wait "$LOAD_PID" 2>/dev/null || true
  LOAD_PID=""
  local cow fork ops_base ops_bg
  cow=$(info_field "$port" persistence rdb_last_cow_size)
  fork=$(info_field "$port" stats latest_fork_usec)
  ops_base=$(python3 -c "print(round(($c1 - $c0) / ($s1 - $s0)))")
  ops_bg=$(python3 -c "print(round(($c3 - $c2) / ($s3 - $s2)))")
  stop_pid "$pid"
  echo "$server,$KEYS,$VALUE,$WRITE_KEYS,$((used1 - used0)),$pop,$idle,$load,$ops_base,$ops_bg,$(kv p50_ms "$base"),$(kv p999_ms "$base"),$(kv max_ms "$base"),$(kv n "$base"),$(kv p50_ms "$bg"),$(kv p999_ms "$bg"),$(kv max_ms "$bg"),$(kv n "$bg"),$(kv first_kb "$mbase"),$(kv peak_kb "$mbase"),$(kv first_kb "$mbg"),$(kv peak_kb "$mbg"),$cow,$fork,$status" >>"$csv"
}

for server in $SERVERS; do measure "$server"; done
cleanup

python3 - "$csv" <<'EOF' | tee "$here/results/bgsave.md"
import csv, sys
rows = {r["server"]: r for r in csv.DictReader(open(sys.argv[1]))}
r0 = next(iter(rows.values()))
print("BGSAVE, %s keys of %s bytes (DEBUG POPULATE) + %s keys overwritten by the write load" % (
    f"{int(r0['keys']):,}", r0["value"], f"{int(r0['write_keys']):,}"))
print()
servers = [s for s in ("redis", "starling") if s in rows]
hdr = "| metric | " + " | ".join({"redis": "Redis 7.0", "starling": "Starling"}[s] for s in servers)
print(hdr + (" | **Starling/Redis** |" if len(servers) == 2 else " |"))
print("|---|" + "---:|" * (len(servers) + (1 if len(servers) == 2 else 0)))

def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None

def line(name, f, fmt="%.2f", ratio_col=True):
    vals = [f(rows[s]) for s in servers]
    cells = [(fmt % v) if v is not None else "n/a" for v in vals]
    ratio = " | " if len(vals) == 2 and not ratio_col else ""
    if len(vals) == 2 and ratio_col:
        ratio = " | **%.2f**" % (vals[1] / vals[0]) if vals[0] and vals[1] is not None else " | n/a"
    print("| %s | %s%s |" % (name, " | ".join(cells), ratio))

mb = lambda b: b / 1048576 if b is not None else None
line("dataset (used_memory) MB", lambda r: mb(num(r["dataset_bytes"])), "%.1f")
line("BGSAVE wall time, idle (s)", lambda r: num(r["bgsave_idle_s"]), "%.3f")
line("BGSAVE wall time, under load (s)", lambda r: num(r["bgsave_load_s"]), "%.3f")
line("write load ops/s, no BGSAVE", lambda r: num(r["ops_base"]), "%.0f")
line("write load ops/s, during BGSAVE", lambda r: num(r["ops_bgsave"]), "%.0f")
line("probe p99.9 ms, no BGSAVE", lambda r: num(r["p999_base_ms"]), "%.3f")
line("probe p99.9 ms, during BGSAVE", lambda r: num(r["p999_bg_ms"]), "%.3f")
line("longest pause ms, no BGSAVE", lambda r: num(r["max_base_ms"]), "%.3f")
line("longest pause ms, during BGSAVE", lambda r: num(r["max_bg_ms"]), "%.3f")
def extra(r):
    a, b = num(r["pss_bg_peak_kb"]), num(r["pss_before_kb"])
    return (a - b) / 1024 if a is not None and b is not None else None
line("extra memory during BGSAVE MB (peak Pss - Pss before)", extra, "%.1f")
line("extra memory, % of dataset", lambda r: (extra(r) * 1048576 / num(r["dataset_bytes"]) * 100) if extra(r) is not None and num(r["dataset_bytes"]) else None, "%.1f")
line("Pss before BGSAVE MB (the JVM's heap is larger than the dataset)", lambda r: mb(num(r["pss_before_kb"]) * 1024) if num(r["pss_before_kb"]) else None, "%.1f", False)
line("Pss swing in the baseline window MB (peak - before)", lambda r: (num(r["pss_base_peak_kb"]) - num(r["pss_base_first_kb"])) / 1024 if num(r["pss_base_first_kb"]) else None, "%.1f", False)
line("rdb_last_cow_size MB", lambda r: mb(num(r["cow_bytes"])), "%.1f")
line("latest_fork_usec", lambda r: num(r["fork_usec"]), "%.0f", False)
print()
print("probe samples (no BGSAVE / during): " + ", ".join("%s %s/%s" % (s, rows[s]["n_base"], rows[s]["n_bg"]) for s in servers)
      + "; BGSAVE status (idle/load): " + ", ".join("%s %s" % (s, rows[s]["status"]) for s in servers))
EOF
