#!/usr/bin/env bash
# Starling's RSS and CPU per SET under a long write load, for the launcher's JVM options and for
# other option sets, in one run (Starling only: the question is which collector setting to ship).
#
#   bench/heap-load.sh                                        # default vs generational Shenandoah
#   VARIANTS="default|-XX:ShenandoahGCMode=generational" LOAD_SECONDS=120 bench/heap-load.sh
#
# VARIANTS is a space-separated list of name|extra-JVM-options ("default|" adds nothing; options
# are added to the launcher's defaults). For each variant (in order, ROUNDS times, alternating): a
# fresh server, DEBUG POPULATE KEYS keys of VALUE bytes, RSS once settled; then a redis-benchmark SET
# load (-c CLIENTS, -r WRITE_KEYS, overwriting keys of the dataset) for LOAD_SECONDS, sampling RSS
# every second; SET/s from total_commands_processed, CPU µs per SET from /proc utime+stime (all
# threads, GC included); after the load, RSS SETTLE_AFTER s later. Reports per variant (medians over
# rounds): SET/s, CPU µs/SET, RSS before, peak RSS under the load, RSS at the load's last quarter
# (mean; if the old generation's garbage accumulates, it grows with LOAD_SECONDS), RSS after.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
KEYS=${KEYS:-5000000}
VALUE=${VALUE:-100}
CLIENTS=${CLIENTS:-50}
WRITE_KEYS=${WRITE_KEYS:-$((KEYS / 10))}
LOAD_SECONDS=${LOAD_SECONDS:-60}
SETTLE_AFTER=${SETTLE_AFTER:-25}
ROUNDS=${ROUNDS:-1}
VARIANTS=${VARIANTS:-"default| generational|-XX:ShenandoahGCMode=generational"}
HZ=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/starling-heapload.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
defaults=$(sed -n 's/^default_opts="\(.*\)"$/\1/p' "$here/../bin/starling-server")
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
cmds() { info_field "$1" stats total_commands_processed; }

rows="$WORK/rows"
for round in $(seq 1 "$ROUNDS"); do
  for v in $VARIANTS; do
    name=${v%%|*}
    extra=${v#*|}
    export STARLING_JAVA_OPTS="$defaults $extra"
    start_server starling
    port=$LAST_PORT pid=$LAST_PID
    echo "round $round $name: DEBUG POPULATE $KEYS ..." >&2
    redis-cli -p "$port" debug populate "$KEYS" key "$VALUE" >/dev/null
    before=$(SETTLE=5 settled_rss "$pid")
    c0=$(cmds "$port") t0=$(ticks "$pid")
    redis-benchmark -p "$port" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n 2000000000 -q >/dev/null 2>&1 &
    load=$!
    PIDS+=("$load")
    peak=0
    tail_sum=0 tail_n=0
    for s in $(seq 1 "$LOAD_SECONDS"); do
      sleep 1
      r=$(rss_kb "$pid")
      [ "$r" -gt "$peak" ] && peak=$r
      if [ $((s * 4)) -gt $((LOAD_SECONDS * 3)) ]; then tail_sum=$((tail_sum + r)); tail_n=$((tail_n + 1)); fi
    done
    c1=$(cmds "$port") t1=$(ticks "$pid")
    stop_pid "$load"
    sleep "$SETTLE_AFTER"
    after=$(rss_kb "$pid")
    sets=$((c1 - c0))
    python3 - "$name" "$sets" "$LOAD_SECONDS" "$((t1 - t0))" "$HZ" "$before" "$peak" "$((tail_sum / tail_n))" "$after" >>"$rows" <<'EOF'
import sys
name, sets, secs, ticks, hz, before, peak, tail, after = sys.argv[1], *map(int, sys.argv[2:])
print(name, round(sets / secs), f"{ticks * 1e6 / hz / sets:.2f}", before // 1024, peak // 1024, tail // 1024, after // 1024)
EOF
    tail -1 "$rows" >&2
    stop_pid "$pid"
  done
done
python3 - "$rows" "$KEYS" "$VALUE" "$WRITE_KEYS" "$CLIENTS" "$LOAD_SECONDS" "$SETTLE_AFTER" "$ROUNDS" <<'EOF'
import statistics, sys
rows, keys, value, wk, clients, secs, settle, rounds = sys.argv[1], *sys.argv[2:]
by = {}
for line in open(rows):
    f = line.split()
    by.setdefault(f[0], []).append([float(x) for x in f[1:]])
print(f"Starling under a SET load: DEBUG POPULATE {keys} x {value} B, redis-benchmark -c {clients} -r {wk} for {secs} s; "
      f"RSS after = {settle} s after the load; medians of {rounds} round(s)\n")
print("| variant | SET/s | CPU µs/SET | RSS before MB | peak RSS under load MB | RSS, last quarter of the load MB | RSS after MB |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, vals in by.items():
    med = [statistics.median(c) for c in zip(*vals)]
    print(f"| {name} | {med[0]:.0f} | {med[1]:.2f} | {med[2]:.0f} | {med[3]:.0f} | {med[4]:.0f} | {med[5]:.0f} |")
EOF
