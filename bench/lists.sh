#!/usr/bin/env bash
# Lists: Starling vs redis-server 7.0 on this machine, in one run.
#
#   bench/lists.sh          ROUNDS=3 N=100000 bench/lists.sh
#
# Throughput: redis-benchmark -c 50 -t lpush,rpush,lpop,rpop,lrange_100,lrange_300,lrange_600
# (redis-benchmark's LRANGE tests read the first 100..600 elements of a list it fills with LPUSH),
# servers alternating per round, medians of rps and the ratio Starling/Redis, after one unrecorded
# warm-up run on Starling. Memory: fresh servers, then 100,000 lists of 10 elements and, separately,
# 100 lists of 100,000 elements (10-byte elements, loaded with redis-cli --pipe), settled RSS minus
# the empty-server baseline.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
ROUNDS=${ROUNDS:-3}
N=${N:-100000}
TESTS=lpush,rpush,lpop,rpop,lrange_100,lrange_300,lrange_600
WORK=$(mktemp -d /tmp/starling-lists.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
raw="$WORK/raw.csv"

bench() { # server port
  redis-benchmark -p "$2" -c 50 -n "$N" -t "$TESTS" --csv 2>/dev/null | tr -d '"' \
    | awk -F, -v s="$1" 'NR>1 && NF>=2 {split($1,a," "); print s","a[1]","$2}' >>"$raw"
}

RP=$(free_port); start_redis "$RP"
SP=$(free_port); start_starling "$SP"
redis-benchmark -p "$SP" -c 50 -n "$N" -t "$TESTS" -q >/dev/null 2>&1 || true
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="redis starling"; else order="starling redis"; fi
  for s in $order; do
    if [ "$s" = redis ]; then bench redis "$RP"; else bench starling "$SP"; fi
  done
done
cleanup
echo "| test | Redis rps | Starling rps | ratio |"
echo "|---|---:|---:|---:|"
python3 - "$raw" <<'PY'
import sys, statistics, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    s, t, rps = line.strip().split(",")
    d[(t, s)].append(float(rps))
for t in dict.fromkeys(k[0] for k in d):
    r, s = statistics.median(d[(t, "redis")]), statistics.median(d[(t, "starling")])
    print(f"| {t} | {r:.0f} | {s:.0f} | **{s / r:.2f}** |")
PY

gen() { # lists elements
  python3 - "$1" "$2" <<'PY'
import sys
lists, n = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*a):
    b = b"*%d\r\n" % len(a)
    for x in a:
        b += b"$%d\r\n%s\r\n" % (len(x), x)
    return b
for i in range(lists):
    key = b"list:%d" % i
    for j in range(0, n, 100):
        out.write(cmd(b"RPUSH", key, *[b"elem%06d" % k for k in range(j, min(n, j + 100))]))
PY
}

settled() { # pid
  sleep 8
  local prev cur i
  prev=$(rss_kb "$1")
  for i in $(seq 1 20); do sleep 1; cur=$(rss_kb "$1"); [ $(( (cur > prev ? cur - prev : prev - cur) * 100 )) -le "$prev" ] && break; prev=$cur; done
  echo "$cur"
}

echo
echo "| data | Redis RSS MB | Starling RSS MB | ratio | Redis used_memory MB | Starling used_memory MB |"
echo "|---|---:|---:|---:|---:|---:|"
for shape in "100000 10" "100 100000"; do
  set -- $shape
  gen "$1" "$2" >"$WORK/load.resp"
  declare -A rss used
  for s in redis starling; do
    port=$(free_port)
    if [ "$s" = redis ]; then start_redis "$port"; else start_starling "$port"; fi
    pid=$LAST_PID
    base=$(settled "$pid"); ubase=$(used_memory "$port")
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
    full=$(settled "$pid"); ufull=$(used_memory "$port")
    rss[$s]=$(( (full - base) / 1024 )); used[$s]=$(( (ufull - ubase) / 1048576 ))
    cleanup
  done
  python3 -c "print('| $1 lists x $2 | ${rss[redis]} | ${rss[starling]} | **%.2f** | ${used[redis]} | ${used[starling]} |' % (${rss[starling]} / max(1, ${rss[redis]})))"
done
