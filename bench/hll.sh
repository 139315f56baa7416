#!/usr/bin/env bash
# HyperLogLog throughput, Starling vs redis-server 7.0, alternating, ROUNDS rounds (redis-benchmark,
# 50 clients, pipeline 16): PFADD into one dense HLL, PFADD of 8 elements into 100k sparse HLLs,
# PFCOUNT and PFMERGE of two dense HLLs. Prints "server round test rps" lines; compare medians.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d /tmp/starling-hll.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
RP=$(free_port); start_redis "$RP"
SP=$(free_port); start_starling "$SP"

prep() { # port: a fresh dense HLL "dense" and a small one converted to dense
  redis-cli -p "$1" flushall >/dev/null
  redis-benchmark -p "$1" -n 50000 -r 1000000 -P 16 -q pfadd dense __rand_int__ >/dev/null
  redis-cli -p "$1" pfadd dense2 a b c >/dev/null
  redis-cli -p "$1" pfdebug todense dense2 >/dev/null
}
one() { # port server round n args...
  local port=$1 s=$2 r=$3 n=$4; shift 4
  redis-benchmark -p "$port" -c 50 -P 16 -n "$n" -r 100000 --csv "$@" 2>/dev/null | tail -1 \
    | tr -d '"' | awk -F, -v s="$s" -v r="$r" '{print s, r, $1, $2}'
}
bench() { # port server round
  prep "$1"
  one "$1" "$2" "$3" 1000000 pfadd dense __rand_int__
  one "$1" "$2" "$3" 300000 pfadd sparse:__rand_int__ a b c d e f g h
  one "$1" "$2" "$3" 100000 pfcount dense dense2
  one "$1" "$2" "$3" 100000 pfmerge dest dense dense2
}
echo "warming up Starling's JIT ..." >&2
bench "$SP" warmup 0 >/dev/null; bench "$SP" warmup 0 >/dev/null
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then bench "$RP" redis "$r"; bench "$SP" starling "$r"
  else bench "$SP" starling "$r"; bench "$RP" redis "$r"; fi
done
