#!/usr/bin/env bash
# Sorted sets: Starling vs redis-server 7.0 on this machine, in one run.
#
#   bench/zset.sh                 # throughput (ZADD, ZPOPMIN) and memory (two shapes)
#   ROUNDS=5 N1=300000 N16=2000000 bench/zset.sh
#   SKIP_MEMORY=1 bench/zset.sh   # throughput only
#
# Throughput: redis-benchmark -t zadd,zpopmin -r $KEYSPACE (ZADD myzset <rand> element:<rand>, then
# ZPOPMIN myzset) at pipeline 1 and 16, servers alternating, ROUNDS rounds, medians; myzset is
# deleted before every run. Starling gets one unrecorded JIT warm-up run.
# Memory: on fresh servers, 100,000 zsets of 10 members (listpack) and, separately, 100 zsets of
# 100,000 members (skiplist), loaded with redis-cli --pipe; RSS (settled) and used_memory minus the
# empty-server baseline.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
ROUNDS=${ROUNDS:-3}
N1=${N1:-200000}
N16=${N16:-1000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-zbench.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

raw="$WORK/raw.csv"
echo "server,round,pipeline,test,rps,avg,min,p50,p95,p99,max" >"$raw"

run_bench() { # server port round pipeline n
  redis-cli -p "$2" del myzset >/dev/null
  redis-benchmark -p "$2" -c "$CLIENTS" -P "$4" -n "$5" -r "$KEYSPACE" -t zadd,zpopmin --csv 2>/dev/null \
    | tr -d '"' | awk -F, -v s="$1" -v r="$3" -v p="$4" 'NR>1 && NF>=8 {print s","r","p","$0}' >>"$raw"
}

RP=$(free_port); start_redis "$RP"; REDIS_PID=$LAST_PID
SP=$(free_port); start_starling "$SP"; STARLING_PID=$LAST_PID
echo "redis pid $REDIS_PID port $RP; starling pid $STARLING_PID port $SP" >&2
echo "warming up Starling's JIT ..." >&2
redis-benchmark -p "$SP" -c "$CLIENTS" -P 16 -n "$N16" -r "$KEYSPACE" -t zadd,zpopmin -q >/dev/null 2>&1 || true
redis-benchmark -p "$SP" -c "$CLIENTS" -n "$N1" -r "$KEYSPACE" -t zadd,zpopmin -q >/dev/null 2>&1 || true
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

python3 - "$raw" "$ROUNDS" "$CLIENTS" "$N1" "$N16" "$KEYSPACE" <<'EOF' | tee "$here/results/zset-throughput.md"
import csv, statistics, sys
raw, rounds, clients, n1, n16, keyspace = sys.argv[1:7]
rows = list(csv.DictReader(open(raw)))
g = {}
for r in rows:
    g.setdefault((r["server"], r["pipeline"], r["test"]), []).append(r)
def med(k, f):
    v = g.get(k, [])
    return statistics.median(float(x[f]) for x in v) if v else float("nan")
print("redis-benchmark -c %s -r %s -t zadd,zpopmin, %s requests at pipeline 1, %s at 16; %s rounds alternating; medians."
      % (clients, keyspace, n1, n16, rounds))
print()
print("| test | pipeline | Redis rps | Starling rps | ratio | Redis p50 ms | Starling p50 ms | Redis p99 ms | Starling p99 ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
tests = sorted({k[2] for k in g})
for p in ("1", "16"):
    for t in tests:
        rr, sr = med(("redis", p, t), "rps"), med(("starling", p, t), "rps")
        print("| %s | %s | %.0f | %.0f | **%.2f** | %.3f | %.3f | %.3f | %.3f |" % (t, p, rr, sr, sr / rr if rr else float("nan"),
              med(("redis", p, t), "p50"), med(("starling", p, t), "p50"), med(("redis", p, t), "p99"), med(("starling", p, t), "p99")))
EOF

[ -n "${SKIP_MEMORY:-}" ] && exit 0

# ---------------------------------------------------------------- memory
# RESP for ZADD commands on stdout: shape "small" (100,000 keys x 10) or "large" (100 keys x 100,000).
gen() {
  python3 - "$1" <<'EOF'
import sys
out = sys.stdout.buffer
def cmd(args):
    b = [b"*%d\r\n" % len(args)]
    for a in args:
        b.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(b)
if sys.argv[1] == "small":
    for k in range(100000):
        args = [b"ZADD", b"zs:%d" % k]
        for i in range(10):
            args += [b"%g" % (i * 1.5), b"member:%d" % i]
        out.write(cmd(args))
else:
    for k in range(100):
        for chunk in range(100):
            args = [b"ZADD", b"zl:%d" % k]
            for i in range(chunk * 1000, chunk * 1000 + 1000):
                args += [b"%g" % (i * 1.5), b"member:%d" % i]
            out.write(cmd(args))
EOF
}

settled_rss() { # pid
  local prev cur same=0 i
  sleep 10
  prev=$(rss_kb "$1")
  for i in $(seq 1 40); do
    sleep 1
    cur=$(rss_kb "$1")
    if [ $(( (cur > prev ? cur - prev : prev - cur) * 100 )) -le "$prev" ]; then same=$((same + 1)); else same=0; fi
    prev=$cur
    [ "$same" -ge 3 ] && break
  done
  echo "$cur"
}

mem="$WORK/mem.csv"
echo "shape,server,rss_base_kb,rss_full_kb,used_base,used_full,load_s" >"$mem"
for shape in small large; do
  gen "$shape" >"$WORK/$shape.resp"
  for s in redis starling; do
    port=$(free_port)
    if [ "$s" = redis ]; then start_redis "$port"; else start_starling "$port"; fi
    pid=$LAST_PID
    rb=$(settled_rss "$pid"); ub=$(used_memory "$port")
    t0=$(date +%s.%N)
    redis-cli -p "$port" --pipe <"$WORK/$shape.resp" >/dev/null
    t1=$(date +%s.%N)
    rf=$(settled_rss "$pid"); uf=$(used_memory "$port")
    echo "$shape,$s,$rb,$rf,$ub,$uf,$(python3 -c "print(round($t1 - $t0, 2))")" >>"$mem"
    echo "$shape $s: dbsize $(redis-cli -p "$port" dbsize) encoding $(redis-cli -p "$port" object encoding "$( [ "$shape" = small ] && echo zs:0 || echo zl:0)")" >&2
    stop_pid "$pid"
  done
  rm -f "$WORK/$shape.resp"
done
cleanup
python3 - "$mem" <<'EOF' | tee "$here/results/zset-memory.md"
import csv, sys
rows = {(r["shape"], r["server"]): r for r in csv.DictReader(open(sys.argv[1]))}
print("| shape | Redis RSS MB | Starling RSS MB | **RSS ratio** | Redis used_memory MB | Starling used_memory MB | Redis load s | Starling load s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
names = {"small": "100,000 zsets x 10 members", "large": "100 zsets x 100,000 members"}
for shape in ("small", "large"):
    r, s = rows[(shape, "redis")], rows[(shape, "starling")]
    rr = (int(r["rss_full_kb"]) - int(r["rss_base_kb"])) / 1024
    sr = (int(s["rss_full_kb"]) - int(s["rss_base_kb"])) / 1024
    ru = (int(r["used_full"]) - int(r["used_base"])) / 1048576
    su = (int(s["used_full"]) - int(s["used_base"])) / 1048576
    print("| %s | %.0f | %.0f | **%.2f** | %.0f | %.0f | %s | %s |" % (names[shape], rr, sr, sr / rr, ru, su, r["load_s"], s["load_s"]))
EOF
