#!/usr/bin/env bash
# Starling vs redis-server 7.0 on this machine, in one run, reporting medians and ratios.
#
#   bench/compare.sh            # defaults fit a 2-core machine in a few minutes
#   ROUNDS=5 N1=300000 N16=2000000 KEYS=1000000 bench/compare.sh
#
# Throughput: redis-benchmark -c 50 -t set,get at pipeline 1 and 16, the two servers ALTERNATING
# within each round (the order flips every round), ROUNDS rounds, medians of rps / p50 / p99.
# Starling gets one unrecorded warm-up run first so the JIT has compiled the hot path (Redis needs
# none). Memory: fresh servers, DEBUG POPULATE $KEYS, then (used_memory, RSS) minus the empty-server
# baseline (both read once RSS has settled), divided by the key count. The report goes to stdout and bench/results/latest.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
ROUNDS=${ROUNDS:-3}
N1=${N1:-200000}
N16=${N16:-1000000}
KEYS=${KEYS:-1000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-bench.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

raw="$WORK/raw.csv"
echo "server,round,pipeline,test,rps,avg,min,p50,p95,p99,max" >"$raw"

run_bench() { # server port round pipeline n
  redis-benchmark -p "$2" -c "$CLIENTS" -P "$4" -n "$5" -r "$KEYSPACE" -t set,get --csv 2>/dev/null \
    | tr -d '"' | awk -F, -v s="$1" -v r="$3" -v p="$4" 'NR>1 && NF>=8 {print s","r","p","$0}' >>"$raw"
}

# ---------------------------------------------------------------- throughput and latency
RP=$(free_port); start_redis "$RP"; REDIS_PID=$LAST_PID
SP=$(free_port); start_starling "$SP"; STARLING_PID=$LAST_PID
echo "redis pid $REDIS_PID port $RP; starling pid $STARLING_PID port $SP" >&2

echo "warming up Starling's JIT ..." >&2
redis-benchmark -p "$SP" -c "$CLIENTS" -P 16 -n "$N16" -r "$KEYSPACE" -t set,get -q >/dev/null 2>&1 || true
redis-benchmark -p "$SP" -c "$CLIENTS" -n "$N1" -r "$KEYSPACE" -t set,get -q >/dev/null 2>&1 || true

for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="redis starling"; else order="starling redis"; fi
  for P in 1 16; do
    if [ "$P" = 1 ]; then n=$N1; else n=$N16; fi
    for s in $order; do
      if [ "$s" = redis ]; then port=$RP; else port=$SP; fi
      echo "round $r: $s pipeline $P ($n requests)" >&2
      run_bench "$s" "$port" "$r" "$P" "$n"
    done
  done
done
cleanup

# ---------------------------------------------------------------- memory per key
mem="$WORK/mem.csv"
echo "server,keys,used_base,used_full,rss_base_kb,rss_full_kb,populate_s" >"$mem"
# RSS once it has stopped moving (three 1 s samples within 1%), at most 30 s: Redis's allocator and
# the JVM's collector both return memory some time after a burst, so both are read when settled.
settled_rss() { # pid
  local prev cur same=0 i
  sleep 10 # both allocators release memory on a timer (jemalloc decay, G1's periodic collection)
  prev=$(rss_kb "$1")
  for i in $(seq 1 30); do
    sleep 1
    cur=$(rss_kb "$1")
    if [ $(( (cur > prev ? cur - prev : prev - cur) * 100 )) -le "$prev" ]; then same=$((same + 1)); else same=0; fi
    prev=$cur
    [ "$same" -ge 3 ] && break
  done
  echo "$cur"
}

measure_memory() { # server
  local port pid ub uf rb rf t0 t1
  port=$(free_port)
  if [ "$1" = redis ]; then start_redis "$port"; else start_starling "$port"; fi
  pid=$LAST_PID
  rb=$(settled_rss "$pid"); ub=$(used_memory "$port")
  t0=$(date +%s.%N)
  redis-cli -p "$port" debug populate "$KEYS" >/dev/null
  t1=$(date +%s.%N)
  rf=$(settled_rss "$pid"); uf=$(used_memory "$port")
  local got; got=$(redis-cli -p "$port" dbsize)
  echo "$1,$got,${ub:-},${uf:-},$rb,$rf,$(python3 -c "print(round($t1 - $t0, 2))")" >>"$mem"
  stop_pid "$pid"
}
echo "memory: DEBUG POPULATE $KEYS on fresh servers ..." >&2
measure_memory redis
measure_memory starling
cleanup

python3 "$here/report.py" "$raw" "$mem" "$ROUNDS" "$CLIENTS" "$N1" "$N16" "$KEYSPACE" | tee "$here/results/latest.md"
