#!/usr/bin/env bash
# Starling vs redis-server 7.0 on this machine, in one run, reporting medians and ratios.
#
#   bench/compare.sh            # defaults fit a 2-core machine in a few minutes
#   ROUNDS=5 N1=300000 N16=2000000 KEYS=1000000 bench/compare.sh
#   TESTS=set,get bench/compare.sh                   # the strings-only run of earlier milestones
#   TESTS=lpush,lpop,lrange_100 MEMORY=0 bench/compare.sh
#
# Throughput: redis-benchmark -c 50 at pipeline 1 and 16, one redis-benchmark run per test (the
# lrange_* tests share one run: redis-benchmark fills its list once for them), the two servers
# ALTERNATING test by test within each round (the order flips every round), ROUNDS rounds, medians
# of rps / p50 / p99. Each (round, pipeline) block starts by deleting the collection keys
# redis-benchmark uses (mylist myset myhash myzset), so every block sees the same data; the
# key:__rand_int__ strings of SET/GET/MSET stay, as before. The lrange_* tests run with
# n / LRANGE_DIV requests (at least 1000), because LRANGE_600 is ~10x slower than the others.
# A test whose command a server answers with "unknown command" (a family not implemented yet) is
# not run on that server and shows as n/a; redis-benchmark exits at the first error reply, so a
# test that fails part-way shows as n/a too, with the error under the table.
# Starling gets one unrecorded warm-up pass of every test first so the JIT has compiled the hot
# path (Redis needs none). Memory (MEMORY=1): fresh servers, DEBUG POPULATE $KEYS, then
# (used_memory, RSS) minus the empty-server baseline (both read once RSS has settled), divided by
# the key count. The report goes to stdout and bench/results/latest.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
ROUNDS=${ROUNDS:-3}
N1=${N1:-200000}
N16=${N16:-1000000}
KEYS=${KEYS:-1000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
TESTS=${TESTS:-set,get,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600,mset}
LRANGE_DIV=${LRANGE_DIV:-10}
MEMORY=${MEMORY:-1}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-bench.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

raw="$WORK/raw.csv"
echo "server,round,pipeline,test,rps,avg,min,p50,p95,p99,max" >"$raw"
errors="$WORK/errors.txt"
: >"$errors"

# Units of work: one per test, except that all lrange tests form one unit (one LPUSH fill).
UNITS=()
lrange=""
for t in ${TESTS//,/ }; do
  case $t in
    lrange*)
      if [ -z "$lrange" ]; then UNITS+=("@lrange"); fi
      lrange="${lrange:+$lrange,}$t" ;;
    *) UNITS+=("$t") ;;
  esac
done
unit_tests() { if [ "$1" = "@lrange" ]; then echo "$lrange"; else echo "$1"; fi; }

# probe_test PORT TEST: does the server know every command the test sends? Each test probes its own
# key (no WRONGTYPE between probes); the pops and LRANGE probe empty keys.
probe_test() {
  local port=$1 k="__bench_probe:$2" ok=0
  case $2 in
    ping*) supports "$port" PING || ok=1 ;;
    set) supports "$port" SET "$k" v || ok=1 ;;
    get) supports "$port" GET "$k" || ok=1 ;;
    incr) supports "$port" INCR "$k" || ok=1 ;;
    lpush) supports "$port" LPUSH "$k" v || ok=1 ;;
    rpush) supports "$port" RPUSH "$k" v || ok=1 ;;
    lpop) supports "$port" LPOP "$k" || ok=1 ;;
    rpop) supports "$port" RPOP "$k" || ok=1 ;;
    sadd) supports "$port" SADD "$k" m || ok=1 ;;
    hset) supports "$port" HSET "$k" f v || ok=1 ;;
    spop) supports "$port" SPOP "$k" || ok=1 ;;
    zadd) supports "$port" ZADD "$k" 1 m || ok=1 ;;
    zpopmin) supports "$port" ZPOPMIN "$k" || ok=1 ;;
    lrange*) { supports "$port" LPUSH "$k" v && supports "$port" LRANGE "$k" 0 -1; } || ok=1 ;;
    mset) supports "$port" MSET "$k" v || ok=1 ;;
  esac
  redis-cli -p "$port" del "$k" >/dev/null
  return $ok
}

# supported_units SERVER PORT -> sets UNITS_OK (units to run) and records rejected tests in $errors
supported_units() {
  local u t kept
  UNITS_OK=()
  for u in "${UNITS[@]}"; do
    kept=""
    for t in $(unit_tests "$u" | tr , ' '); do
      if probe_test "$2" "$t"; then kept="${kept:+$kept,}$t"; else echo "rejected $1 $t" >>"$errors"; fi
    done
    if [ -n "$kept" ]; then UNITS_OK+=("$1:$u:$kept"); fi
  done
}

unit_n() { # unit n -> requests for that unit
  if [ "$1" = "@lrange" ]; then
    local m=$(($2 / LRANGE_DIV))
    echo $((m < 1000 ? 1000 : m))
  else echo "$2"; fi
}

run_bench() { # server port round pipeline n tests  (round 0 = warm-up, not recorded)
  local out rc=0
  [ "$3" != 0 ] && echo "round $3: $1 pipeline $4 -t $6 ($5 requests)" >&2
  out=$(redis-benchmark -p "$2" -c "$CLIENTS" -P "$4" -n "$5" -r "$KEYSPACE" -t "$6" --csv 2>"$WORK/stderr") || rc=$?
  if [ "$rc" != 0 ]; then # an error reply: redis-benchmark stopped at that test
    echo "failed $1 round $3 -t $6 pipeline $4: $(head -1 "$WORK/stderr" | tr -d '\r')" | tee -a "$errors" >&2
  elif [ -s "$WORK/stderr" ]; then cat "$WORK/stderr" >&2; fi
  [ "$3" = 0 ] && return 0 # round 0: the warm-up
  # "LPUSH (needed to benchmark LRANGE)" is the lrange fill; "LRANGE_100 (first 100 elements)" -> LRANGE_100
  echo "$out" | tr -d '"' | awk -F, -v OFS=, -v s="$1" -v r="$3" -v p="$4" \
    'NR>1 && NF>=8 && $1 !~ /needed/ {sub(/ .*/, "", $1); print s","r","p","$0}' >>"$raw"
}

reset_collections() { # port: the keys redis-benchmark's collection tests use
  redis-cli -p "$1" del mylist myset myhash myzset >/dev/null
}

# ---------------------------------------------------------------- throughput and latency
RP=$(free_port); start_redis "$RP"; REDIS_PID=$LAST_PID
SP=$(free_port); start_starling "$SP"; STARLING_PID=$LAST_PID
echo "redis pid $REDIS_PID port $RP; starling pid $STARLING_PID port $SP" >&2

supported_units redis "$RP"; REDIS_UNITS=("${UNITS_OK[@]}")
supported_units starling "$SP"; STARLING_UNITS=("${UNITS_OK[@]}")
if [ -s "$errors" ]; then sed 's/^rejected \(.*\)/not run (unknown command): \1/' "$errors" >&2; fi

# run_unit SERVER PORT ROUND PIPELINE UNIT N: the unit's supported tests on that server, if any
run_unit() {
  local e list
  if [ "$1" = redis ]; then list=("${REDIS_UNITS[@]}"); else list=("${STARLING_UNITS[@]}"); fi
  for e in "${list[@]}"; do
    if [ "${e%:*}" = "$1:$5" ]; then
      run_bench "$1" "$2" "$3" "$4" "$(unit_n "$5" "$6")" "${e##*:}"
    fi
  done
}

echo "warming up Starling's JIT ..." >&2
for P in 16 1; do
  if [ "$P" = 1 ]; then n=$N1; else n=$N16; fi
  for u in "${UNITS[@]}"; do run_unit starling "$SP" 0 "$P" "$u" "$n"; done
done

for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="redis starling"; else order="starling redis"; fi
  for P in 1 16; do
    if [ "$P" = 1 ]; then n=$N1; else n=$N16; fi
    reset_collections "$RP"; reset_collections "$SP"
    for u in "${UNITS[@]}"; do
      for s in $order; do
        if [ "$s" = redis ]; then port=$RP; else port=$SP; fi
        run_unit "$s" "$port" "$r" "$P" "$u" "$n"
      done
    done
  done
done
cleanup

# ---------------------------------------------------------------- memory per key
mem="$WORK/mem.csv"
echo "server,keys,used_base,used_full,rss_base_kb,rss_full_kb,populate_s" >"$mem"
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
if [ "$MEMORY" = 1 ]; then
  echo "memory: DEBUG POPULATE $KEYS on fresh servers ..." >&2
  measure_memory redis
  measure_memory starling
  cleanup
fi

python3 "$here/report.py" --raw "$raw" --mem "$mem" --errors "$errors" --rounds "$ROUNDS" --clients "$CLIENTS" \
  --n1 "$N1" --n16 "$N16" --keyspace "$KEYSPACE" --tests "$TESTS" --lrange-div "$LRANGE_DIV" | tee "$here/results/latest.md"
