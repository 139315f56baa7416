#!/usr/bin/env bash
# Replication (issue 5): full sync time, client latency on the primary during a full sync, and a
# replica under the primary's maximum write rate; redis-server 7.0 -> redis-server 7.0 against
# Starling -> Starling, disk and diskless sync, in one run.
#
#   ROUNDS=3 bench/replication.sh                                  # 5,000,000 keys: a quiet machine, ~40 min
#   KEYS=200000 WINDOW=3 WARM=2 MAX_SECONDS=5 bench/replication.sh # a check of the script, ~1.5 min
# (Add PAIRS="redis:redis starling:starling redis:starling starling:redis" for the mixed pairings:
# twice the time.) The 5M run needs ~6 GB of RAM and ~2 GB in /tmp.
#
# Per round (ROUNDS), sync mode (MODES: disk = repl-diskless-sync no; diskless = yes, delay 0) and
# pair (PAIRS, primary:replica; add redis:starling starling:redis for the mixed pairings), on a fresh
# primary and fresh replicas (each replica a new process in an empty --dir, so every sync is full):
#  1. DEBUG POPULATE $KEYS key $VALUE on the primary, then redis-benchmark SET fills its own keyspace
#     key:000000xxxxxx of WRITE_KEYS keys (3*WRITE_KEYS requests), which the write loads below
#     overwrite, so they hit keys of the snapshot being sent (and warm Starling's JIT).
#  2. With WARM_SYNC=1 (default), an untimed full sync to a throwaway replica warms the primary's
#     snapshot path (as bgsave.sh's untimed first BGSAVE). Then the idle full sync: REPLICAOF issued
#     until the replica's master_link_status is up and its slave_repl_offset has reached the
#     primary's master_repl_offset (bgsave_probe.py sync, polling every 10 ms). A Starling replica
#     is a fresh JVM each time, as a new replica is.
#  3. redis-benchmark -t set -r WRITE_KEYS -d VALUE -c CLIENTS runs throughout; after WARM s, a
#     baseline window of WINDOW s, then a window around a full sync of a new replica whose REPLICAOF
#     is issued under the load (until it has loaded the snapshot and applied the stream buffered
#     meanwhile). In both windows a probe connection sends GET back to back (bgsave_probe.py
#     latency: p99.9 and the longest round trip, the longest pause a client saw); the load's
#     throughput comes from total_commands_processed. Target: p99.9 during the sync <= 2x without.
#  4. That replica stays attached; once it has caught up, the maximum write load: redis-benchmark
#     SET -P 16 -c MAX_CLIENTS -r WRITE_KEYS -d VALUE for MAX_SECONDS s, while bgsave_probe.py lag
#     samples the replica's lag (primary master_repl_offset - replica slave_repl_offset) every
#     100 ms: max, mean and final lag, its trend (least-squares slope over the second half of the
#     load, so a fresh Starling replica's JIT warm-up at the start does not count; about 0 when
#     bounded) and the catch-up time after the load stops. "Bounded" is reported when that trend is
#     under 2% of the primary's stream rate, the link never dropped and the replica caught up.
# The primaries get client-output-buffer-limit "$REPLICA_OBUF" (default "replica 0 0 0", no limit,
# so a large sync under load measures the sync and not 7.0's output-buffer resync loop; set
# REPLICA_OBUF= to keep the servers' default). Resyncs beyond the planned ones are counted (sync_full).
# Knobs: KEYS, VALUE, CLIENTS, WRITE_KEYS, WINDOW, WARM, MAX_CLIENTS, MAX_SECONDS, ROUNDS (medians),
# MODES, PAIRS, WARM_SYNC, REPLICA_OBUF, SYNC_TIMEOUT (s), SERVER_OPTS (extra options, all servers),
# REPLICA_CPUS (taskset CPU list for the replicas: `REPLICA_CPUS=1 taskset -c 0 bench/replication.sh`
# keeps the primary, the loads and the probes on CPU 0 and the replicas on CPU 1, as if the replica
# had its own machine);
# REPORT_ONLY=1 prints the report again from the last run's CSV.
# Output: Markdown to stdout and bench/results/replication.md; raw rows in bench/results/replication.csv.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
KEYS=${KEYS:-5000000}
VALUE=${VALUE:-100}
CLIENTS=${CLIENTS:-50}
WRITE_KEYS=${WRITE_KEYS:-$((KEYS / 10))}
WINDOW=${WINDOW:-10}
WARM=${WARM:-5}
MAX_CLIENTS=${MAX_CLIENTS:-4}
MAX_SECONDS=${MAX_SECONDS:-20}
ROUNDS=${ROUNDS:-1}
MODES=${MODES:-disk diskless}
PAIRS=${PAIRS:-redis:redis starling:starling}
WARM_SYNC=${WARM_SYNC:-1}
REPLICA_OBUF=${REPLICA_OBUF-replica 0 0 0}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-600}
SERVER_OPTS=${SERVER_OPTS:-}
probe="$here/bgsave_probe.py"
mkdir -p "$here/results"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/starling-replication.XXXXXX)
BG=() # the load and probes running in the background, stopped by PID on exit
# On failure the servers' logs stay in $WORK.
trap 'rc=$?; for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done; cleanup
      if [ "$rc" = 0 ]; then rm -rf "$WORK"; else echo "failed; logs kept in $WORK" >&2; fi' EXIT
trap 'exit 130' INT TERM

csv="$here/results/replication.csv"
[ "${REPORT_ONLY:-0}" = 1 ] || echo "primary,replica,mode,round,keys,value,write_keys,clients,max_clients,sync_idle_s,link_up_idle_s,sync_load_s,ops_base,ops_sync,p50_base_ms,p999_base_ms,max_base_ms,n_base,p50_sync_ms,p999_sync_ms,max_sync_ms,n_sync,max_ops,stream_bps,max_lag,mean_lag,end_lag,slope_bps,catchup_s,link_down,lag_samples,extra_syncs,status" >"$csv"

# bg CMD ...: runs CMD in the background and records its PID in BG (and in $!).
bg_start() { "$@" & BG+=("$!"); }
bg_wait() { # PID: waits for it and forgets it
  local p keep=()
  wait "$1" 2>/dev/null || true
  for p in "${BG[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  BG=("${keep[@]}")
}
bg_stop() { kill "$1" 2>/dev/null || true; bg_wait "$1"; }

rate() { python3 -c "print(round(($2 - $1) / ($4 - $3)))" "$@"; }

# new_replica KIND DIR: a fresh replica in an empty DIR (nothing to load at start); sets RPORT, RPID.
new_replica() {
  mkdir -p "$2"
  start_server "$1" --dir "$2" ${SERVER_OPTS:-}
  RPORT=$LAST_PORT RPID=$LAST_PID
  # Every thread of the replica onto its own CPUs (threads it creates later inherit them).
  [ -z "${REPLICA_CPUS:-}" ] || taskset -a -p -c "$REPLICA_CPUS" "$RPID" >/dev/null
}

measure() {
  local round=$1 mode=$2 pk=${3%:*} rk=${3#*:}
  local tag="$pk-$rk-$mode-$round" diskless=no pport ppid idle load base sync lag status=""
  [ "$mode" = diskless ] && diskless=yes
  mkdir -p "$WORK/$tag/primary"
  start_server "$pk" --dir "$WORK/$tag/primary" --repl-diskless-sync "$diskless" \
    --repl-diskless-sync-delay 0 ${SERVER_OPTS:-}
  pport=$LAST_PORT ppid=$LAST_PID
  [ -z "$REPLICA_OBUF" ] || redis-cli -p "$pport" config set client-output-buffer-limit "$REPLICA_OBUF" >/dev/null
  echo "[$tag] DEBUG POPULATE $KEYS, then $((WRITE_KEYS * 3)) SETs over $WRITE_KEYS keys ..." >&2
  redis-cli -p "$pport" debug populate "$KEYS" key "$VALUE" >/dev/null
  redis-benchmark -p "$pport" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n $((WRITE_KEYS * 3)) -q >/dev/null 2>&1

  if [ "$WARM_SYNC" = 1 ]; then
    echo "[$tag] untimed warm-up sync ..." >&2
    new_replica "$rk" "$WORK/$tag/replica-warm"
    status="warm:$(kv status "$(python3 "$probe" sync --port "$RPORT" --primary "$pport" --seconds "$SYNC_TIMEOUT")")"
    stop_pid "$RPID"
  fi
  echo "[$tag] idle full sync ..." >&2
  new_replica "$rk" "$WORK/$tag/replica-idle"
  idle=$(python3 "$probe" sync --port "$RPORT" --primary "$pport" --seconds "$SYNC_TIMEOUT")
  stop_pid "$RPID"
  rm -rf "$WORK/$tag/replica-warm" "$WORK/$tag/replica-idle"

  # The replica of the load windows is started before the load, so its start-up is not measured.
  new_replica "$rk" "$WORK/$tag/replica"
  echo "[$tag] write load (-c $CLIENTS), ${WARM}s warm-up, ${WINDOW}s baseline, then a full sync under it ..." >&2
  bg_start redis-benchmark -p "$pport" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n 2000000000 -q >/dev/null 2>&1
  local load_pid=$! c0 c1 c2 c3 s0 s1 s2 s3 lat_pid
  sleep "$WARM"
  c0=$(info_field "$pport" stats total_commands_processed); s0=$(now)
  base=$(python3 "$probe" latency --port "$pport" --seconds "$WINDOW")
  c1=$(info_field "$pport" stats total_commands_processed); s1=$(now)
  rm -f "$WORK/stop"
  bg_start python3 "$probe" latency --port "$pport" --stop "$WORK/stop" >"$WORK/lat-sync"
  lat_pid=$!
  sleep 0.2
  c2=$(info_field "$pport" stats total_commands_processed); s2=$(now)
  load=$(python3 "$probe" sync --port "$RPORT" --primary "$pport" --seconds "$SYNC_TIMEOUT")
  c3=$(info_field "$pport" stats total_commands_processed); s3=$(now)
  touch "$WORK/stop"; bg_wait "$lat_pid"; sync=$(cat "$WORK/lat-sync")
  bg_stop "$load_pid"
  wait_caught_up "$pport" "$RPORT" "$SYNC_TIMEOUT" || status="${status:+$status/}not-caught-up-after-load"

  echo "[$tag] maximum write rate (SET -P 16 -c $MAX_CLIENTS) for ${MAX_SECONDS}s, replica lag sampled every 100 ms ..." >&2
  local c4 c5 s4 s5 lag_pid
  rm -f "$WORK/stop"
  bg_start python3 "$probe" lag --port "$RPORT" --primary "$pport" --stop "$WORK/stop" --seconds "$SYNC_TIMEOUT" >"$WORK/lag"
  lag_pid=$!
  c4=$(info_field "$pport" stats total_commands_processed); s4=$(now)
  bg_start redis-benchmark -p "$pport" -t set -P 16 -r "$WRITE_KEYS" -d "$VALUE" -c "$MAX_CLIENTS" -n 2000000000 -q >/dev/null 2>&1
  load_pid=$!
  sleep "$MAX_SECONDS"
  bg_stop "$load_pid"
  c5=$(info_field "$pport" stats total_commands_processed); s5=$(now)
  touch "$WORK/stop"; bg_wait "$lag_pid"; lag=$(cat "$WORK/lag")

  local extra
  extra=$(( $(info_field "$pport" stats sync_full) - 2 - (WARM_SYNC == 1 ? 1 : 0) ))
  status="${status:+$status/}idle:$(kv status "$idle")/load:$(kv status "$load")"
  stop_pid "$RPID"
  stop_pid "$ppid"
  rm -rf "$WORK/$tag"
  echo "$pk,$rk,$mode,$round,$KEYS,$VALUE,$WRITE_KEYS,$CLIENTS,$MAX_CLIENTS,$(kv synced_s "$idle"),$(kv link_up_s "$idle"),$(kv synced_s "$load"),$(rate "$c0" "$c1" "$s0" "$s1"),$(rate "$c2" "$c3" "$s2" "$s3"),$(kv p50_ms "$base"),$(kv p999_ms "$base"),$(kv max_ms "$base"),$(kv n "$base"),$(kv p50_ms "$sync"),$(kv p999_ms "$sync"),$(kv max_ms "$sync"),$(kv n "$sync"),$(rate "$c4" "$c5" "$s4" "$s5"),$(kv stream_bps "$lag"),$(kv max_lag "$lag"),$(kv mean_lag "$lag"),$(kv end_lag "$lag"),$(kv slope_bps "$lag"),$(kv catchup_s "$lag"),$(kv link_down "$lag"),$(kv samples "$lag"),$extra,$status" >>"$csv"
  echo "[$tag] full sync idle $(kv synced_s "$idle") s, under load $(kv synced_s "$load") s; p99.9 $(kv p999_ms "$base") -> $(kv p999_ms "$sync") ms; max lag $(kv max_lag "$lag") B, catch-up $(kv catchup_s "$lag") s" >&2
}

# Rounds alternate the pairs (order flipped every round) so drift on the machine hits both alike.
for round in $(seq 1 "$ROUNDS"); do
  [ "${REPORT_ONLY:-0}" = 1 ] && break
  order=$PAIRS
  [ $((round % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$PAIRS" | tac | tr '\n' ' ')
  for mode in $MODES; do
    for pair in $order; do measure "$round" "$mode" "$pair"; done
  done
done
cleanup

python3 - "$csv" "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF' | tee "$here/results/replication.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
r0 = rows[0]
names = {"redis:redis": "Redis 7.0", "starling:starling": "Starling",
         "redis:starling": "Redis→Starling replica", "starling:redis": "Starling→Redis replica"}
pairs = [p for p in names if any(r["primary"] + ":" + r["replica"] == p for r in rows)]
modes = [m for m in ("disk", "diskless") if any(r["mode"] == m for r in rows)]
rounds = len({r["round"] for r in rows})
both = "redis:redis" in pairs and "starling:starling" in pairs

def num(x):
    try:
        v = float(x)
        return None if v != v else v
    except (TypeError, ValueError):
        return None

def med(pair, mode, f):
    vals = [f(r) for r in rows if r["primary"] + ":" + r["replica"] == pair and r["mode"] == mode]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

mb = lambda k: (lambda r: num(r[k]) / 1048576 if num(r[k]) is not None else None)
col = lambda k: (lambda r: num(r[k]))
def ratio(a, b):
    return (lambda r: num(r[a]) / num(r[b]) if num(r[a]) is not None and num(r[b]) else None)

print("Replication, %s keys of %s bytes (DEBUG POPULATE) + %s keys overwritten by the write loads; "
      "load -c %s, maximum load SET -P 16 -c %s; %d round(s), medians" % (
      f"{int(r0['keys']):,}", r0["value"], f"{int(r0['write_keys']):,}", r0["clients"], r0["max_clients"], rounds))
verdicts = []
for mode in modes:
    print()
    print("**%s sync** (%s)" % (mode, "repl-diskless-sync no" if mode == "disk" else "repl-diskless-sync yes, delay 0"))
    print()
    order = [p for p in ("redis:redis", "starling:starling") if p in pairs]
    rest = [p for p in pairs if p not in order]
    heads = [names[p] for p in order] + (["**Starling/Redis**"] if both else []) + [names[p] for p in rest]
    print("| metric | " + " | ".join(heads) + " |")
    print("|---|" + "---:|" * len(heads))
    def line(name, f, fmt="%.3f", with_ratio=True):
        vals = {p: med(p, mode, f) for p in pairs}
        cell = lambda v: (fmt % v) if v is not None else "n/a"
        cells = [cell(vals[p]) for p in order]
        if both:
            a, b = vals["redis:redis"], vals["starling:starling"]
            cells.append("**%.2f**" % (b / a) if with_ratio and a and b is not None else "")
        cells += [cell(vals[p]) for p in rest]
        print("| %s | %s |" % (name, " | ".join(cells)))
        return vals
    sync = line("full sync, idle (s)", col("sync_idle_s"))
    line("full sync under the write load (s)", col("sync_load_s"))
    line("write load ops/s, no sync", col("ops_base"), "%.0f")
    line("write load ops/s, during the sync", col("ops_sync"), "%.0f")
    line("probe p99.9 ms, no sync", col("p999_base_ms"))
    line("probe p99.9 ms, during the sync", col("p999_sync_ms"))
    p999 = line("p99.9 during / without sync (target ≤ 2)", ratio("p999_sync_ms", "p999_base_ms"), "%.2f")
    line("longest pause ms, no sync", col("max_base_ms"))
    line("longest pause ms, during the sync", col("max_sync_ms"))
    line("max write rate ops/s, replica attached", col("max_ops"), "%.0f")
    line("replication stream MB/s at that rate", mb("stream_bps"), "%.1f")
    line("replica lag, max MB", mb("max_lag"), "%.2f")
    line("replica lag, mean MB", mb("mean_lag"), "%.2f")
    line("replica lag at the end of the load MB", mb("end_lag"), "%.2f")
    line("lag trend MB/s, second half of the load (≈ 0 when bounded)", mb("slope_bps"), "%.3f", False)
    line("lag trend, % of the stream rate", lambda r: 100 * num(r["slope_bps"]) / num(r["stream_bps"]) if num(r["stream_bps"]) else None, "%.1f", False)
    line("catch-up after the load stops (s)", col("catchup_s"))
    line("samples with the link down, max load", col("link_down"), "%.0f", False)
    line("unplanned full syncs (resync loops)", col("extra_syncs"), "%.0f", False)
    for p in pairs:
        rs = [r for r in rows if r["primary"] + ":" + r["replica"] == p and r["mode"] == mode]
        bounded = all(num(r["stream_bps"]) and num(r["slope_bps"]) < 0.02 * num(r["stream_bps"])
                      and r["link_down"] == "0" and num(r["catchup_s"]) is not None for r in rs)
        verdicts.append("%s, %s: p99.9 ratio %s (≤ 2: %s); lag bounded: %s" % (
            names[p], mode, "%.2f" % p999[p] if p999[p] is not None else "n/a",
            "yes" if p999[p] is not None and p999[p] <= 2 else "no", "yes" if bounded else "no"))
    if both and sync["redis:redis"] and sync["starling:starling"] is not None:
        verdicts.append("Starling's idle %s full sync ≤ Redis's: %s (%.3f s vs %.3f s)" % (
            mode, "yes" if sync["starling:starling"] <= sync["redis:redis"] else "no",
            sync["starling:starling"], sync["redis:redis"]))
print()
print("Machine: %d cores, load average (1, 5, 15 min) %s at the start, %s at the end (above the core count the "
      "numbers are not comparable between runs)." % (__import__("os").cpu_count(), sys.argv[2], sys.argv[3]))
print("Sync statuses: " + "; ".join(sorted({"%s:%s %s %s" % (r["primary"], r["replica"], r["mode"], r["status"]) for r in rows})))
print()
for v in verdicts:
    print("- " + v)
EOF
