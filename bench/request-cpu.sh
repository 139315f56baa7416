#!/usr/bin/env bash
# CPU time per request, Starling vs redis-server 7.0, in one run: robust to a shared, loaded machine
# where throughput is not (a server waiting for a core costs wall time, not CPU time).
#
#   bench/request-cpu.sh                       # SET and GET at pipeline 1, 3 repetitions
#   REPS=5 N=500000 TESTS=set,get,lpush PIPELINE=1 bench/request-cpu.sh
#
# For each repetition and test, the servers alternate (the order flips every repetition); each
# redis-benchmark run (-c CLIENTS -P PIPELINE -n N -r KEYSPACE -q) is bracketed by reads of the
# server process's utime+stime from /proc/PID/stat (all threads, including the JVM's GC and JIT
# threads, and threads that have exited; clock ticks of 1/CLK_TCK s), so CPU µs per request =
# ticks * 1e6 / CLK_TCK / N. With perf available, one more run per test and server (not part of the
# CPU medians: counting syscall tracepoints costs CPU itself) counts the server's system calls and
# context switches with `perf stat -p PID`. Starling gets WARM requests of every test first
# (unrecorded) so the JIT has compiled the hot path; Redis needs none. Medians over REPS are printed
# as a Markdown table (also to bench/results/request-cpu.md): µs/req for each server and
# Starling/Redis (lower is better for Starling), then usr/sys split, syscalls/req and
# context switches/req. BASE_JAR=path/to/starling.jar adds a third server, Starling from that jar
# ("base"), measured the same way, so a change can be compared with its base in one run;
# BASE_JAVA_OPTS (with or without BASE_JAR) runs that server with other JVM options (the launcher's
# STARLING_JAVA_OPTS), e.g. another collector. A second table shows the client's side: redis-benchmark's
# own CPU per request (bash's `time`) and how much of a core each process kept busy; at pipeline 1 the
# client's one thread is the busier, so its cost per request sets the throughput for either server.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
REPS=${REPS:-3}
N=${N:-500000}
WARM=${WARM:-500000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-1}
KEYSPACE=${KEYSPACE:-100000}
TESTS=${TESTS:-set,get}
HZ=$(getconf CLK_TCK)
PERF=${PERF-$(command -v perf || true)}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-reqcpu.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# ticks PID -> "utime stime" (fields 14 and 15 of /proc/PID/stat; the command name may hold spaces)
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12, $13}'; }
# loop_ticks PID: utime+stime of the threads that run connections (Starling's Netty event loops,
# Redis's main thread and I/O threads), to tell them from the JVM's GC and JIT threads.
loop_ticks() {
  local d t=0
  for d in /proc/$1/task/*; do
    case $(cat "$d/comm" 2>/dev/null) in
      multiThreadIoEv* | redis-server* | io_thd_*) t=$((t + $(sed 's/.*) //' "$d/stat" | awk '{print $12 + $13}'))) ;;
    esac
  done
  echo "$t"
}

raw="$WORK/raw.csv"
echo "server,rep,test,n,utime,stime,loop,syscalls,cswitches,client_us,rps" >"$raw"

# measure SERVER PID PORT REP TEST N: one redis-benchmark run bracketed by CPU readings (REP 0 = warm-up)
measure() {
  local server=$1 pid=$2 port=$3 rep=$4 test=$5 n=$6 before after l0 l1 perfpid="" sc="" cs=""
  if [ "$rep" = perf ]; then
    "$PERF" stat -x, -e raw_syscalls:sys_enter,context-switches -p "$pid" -o "$WORK/perf.txt" &
    perfpid=$!
    sleep 0.3 # perf attaches to every thread before the run starts
  fi
  before=$(ticks "$pid"); l0=$(loop_ticks "$pid")
  local TIMEFORMAT='%3U %3S' ok=0 client rps
  { time redis-benchmark -p "$port" -c "$CLIENTS" -P "$PIPELINE" -n "$n" -r "$KEYSPACE" -t "$test" -q >"$WORK/bench.out" 2>&1 || ok=$?; } 2>"$WORK/time.out"
  [ "$ok" = 0 ] || { echo "redis-benchmark failed against $server: $(tr '\r' '\n' <"$WORK/bench.out" | tail -1)" >&2; return 1; }
  after=$(ticks "$pid"); l1=$(loop_ticks "$pid")
  client=$(awk '{printf "%d", ($1 + $2) * 1000000}' "$WORK/time.out")
  rps=$(tr '\r' '\n' <"$WORK/bench.out" | grep -a 'requests per second' | tail -1 | sed 's/^[^:]*: *\([0-9.]*\) requests.*/\1/')
  if [ -n "$perfpid" ]; then
    kill -INT "$perfpid"
    wait "$perfpid" || true
    sc=$(awk -F, '$3 == "raw_syscalls:sys_enter" {print $1}' "$WORK/perf.txt")
    cs=$(awk -F, '$3 == "context-switches" {print $1}' "$WORK/perf.txt")
  fi
  [ "$rep" = 0 ] && return 0
  [ "$rep" = perf ] && { echo "$server,perf,$test,$n,,,,$sc,$cs,," >>"$raw"; return 0; }
  read -r u0 s0 <<<"$before"
  read -r u1 s1 <<<"$after"
  echo "$server,$rep,$test,$n,$((u1 - u0)),$((s1 - s0)),$((l1 - l0)),$sc,$cs,$client,$rps" >>"$raw"
  echo "rep $rep $test $server: $(tr '\r' '\n' <"$WORK/bench.out" | grep -a 'requests per second' | tail -1 | sed 's/^ *//')" \
    "cpu $(( (u1 - u0 + s1 - s0) * 1000000 / HZ / n )) us/req" >&2
}

start_server redis; RP=$LAST_PORT; REDIS_PID=$LAST_PID
start_server starling; SP=$LAST_PORT; STARLING_PID=$LAST_PID
SERVERS="redis starling"
if [ -n "${BASE_JAR:-}${BASE_JAVA_OPTS:-}" ]; then
  STARLING_CLASSPATH=$(realpath "${BASE_JAR:-$root/target/starling.jar}") STARLING_JAVA_OPTS=${BASE_JAVA_OPTS:-${STARLING_JAVA_OPTS:-}} \
    start_server starling; BP=$LAST_PORT; BASE_PID=$LAST_PID
  SERVERS="redis before starling"
fi
echo "redis pid $REDIS_PID port $RP; starling pid $STARLING_PID port $SP; ${BASE_PID:+before pid $BASE_PID port $BP; }perf: ${PERF:-none}" >&2
# run_on SERVER REP TEST N
run_on() {
  case $1 in
    redis) measure redis "$REDIS_PID" "$RP" "${@:2}" ;;
    starling) measure starling "$STARLING_PID" "$SP" "${@:2}" ;;
    before) measure before "$BASE_PID" "$BP" "${@:2}" ;;
  esac
}

echo "warming up Starling's JIT ($WARM requests per test) ..." >&2
for t in ${TESTS//,/ }; do
  run_on starling 0 "$t" "$WARM"
  [ -z "${BASE_PID:-}" ] || run_on before 0 "$t" "$WARM"
done

for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) -eq 1 ]; then order=$SERVERS; else order=$(tr ' ' '\n' <<<"$SERVERS" | tac | tr '\n' ' '); fi
  for t in ${TESTS//,/ }; do
    for s in $order; do run_on "$s" "$r" "$t" "$N"; done
  done
done
if [ -n "$PERF" ]; then
  for t in ${TESTS//,/ }; do
    for s in $SERVERS; do run_on "$s" perf "$t" "$N"; done
  done
fi
cleanup

python3 - "$raw" "$HZ" "$CLIENTS" "$PIPELINE" "$N" "$REPS" <<'EOF' | tee "$here/results/request-cpu.md"
import csv, statistics, sys
raw, hz, clients, pipeline, n, reps = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
rows = list(csv.DictReader(open(raw)))
tests = list(dict.fromkeys(r["test"] for r in rows))

def med(server, test, f):
    v = [f(r) for r in rows if r["server"] == server and r["test"] == test and (r["rep"] == "perf") == (f in (sc, cs))]
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def us(r, field=None):
    t = int(r["utime"]) + int(r["stime"]) if field is None else int(r[field])
    return t * 1e6 / hz / int(r["n"])

def per_req(field):
    return lambda r: int(r[field]) / int(r["n"]) if r[field] else None

sc, cs = per_req("syscalls"), per_req("cswitches")
fmt = lambda x, d=2: "n/a" if x is None else f"{x:.{d}f}"
starlings = [x for x in ("before", "starling") if any(r["server"] == x for r in rows)]
name = {"redis": "Redis", "before": "Starling base", "starling": "Starling"}
servers = ["redis"] + starlings
print(f"CPU per request (redis-benchmark -c {clients} -P {pipeline} -n {n}, medians of {reps}; "
      f"server process utime+stime, all threads)\n")
head = ["test", "Redis µs/req"]
for x in starlings: head += [f"{name[x]} µs/req", f"**{name[x]}/Redis**"]
head += [f"{name[x]} usr/sys µs" for x in servers]
head += [f"{name[x]} loop thread µs" for x in starlings]
head += [f"{name[x]} syscalls/req" for x in servers] + [f"{name[x]} cs/req" for x in servers]
print("| " + " | ".join(head) + " |")
print("|---" + "|---:" * (len(head) - 1) + "|")
for t in tests:
    r = med("redis", t, us)
    row = [t.upper(), fmt(r)]
    for x in starlings:
        v = med(x, t, us)
        row += [fmt(v), "**" + fmt(v / r if r and v else None) + "**"]
    for x in servers:
        row.append(f"{fmt(med(x, t, lambda q: us(q, 'utime')))} / {fmt(med(x, t, lambda q: us(q, 'stime')))}")
    row += [fmt(med(x, t, lambda q: us(q, 'loop'))) for x in starlings]
    row += [fmt(med(x, t, sc)) for x in servers] + [fmt(med(x, t, cs)) for x in servers]
    print("| " + " | ".join(row) + " |")

# The client: when redis-benchmark's one thread keeps its core busy, throughput is its CPU per
# request, whichever server answers.
per = lambda f: lambda q: float(q[f]) if q[f] else None
print(f"\nThe client: redis-benchmark's CPU per request (user+system) and the share of a core each "
      f"process kept busy (CPU per request x requests per second)\n")
head = ["test"]
for x in servers: head += [f"{name[x]} req/s", f"{name[x]} client µs/req", f"{name[x]} client core", f"{name[x]} server core"]
print("| " + " | ".join(head) + " |")
print("|---" + "|---:" * (len(head) - 1) + "|")
for t in tests:
    row = [t.upper()]
    for x in servers:
        rps = med(x, t, per("rps"))
        cli = med(x, t, lambda q: int(q["client_us"]) / int(q["n"]) if q["client_us"] else None)
        srv = med(x, t, us)
        core = lambda v: None if v is None or rps is None else v * rps / 1e6
        row += [fmt(rps, 0), fmt(cli), fmt(core(cli)), fmt(core(srv))]
    print("| " + " | ".join(row) + " |")
EOF
