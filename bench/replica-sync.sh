#!/usr/bin/env bash
# A replica of a real redis-server 7.0 primary: redis-server 7.0 vs Starling as the replica.
# Per round and replica kind: the full sync of KEYS keys (REPLICAOF until the link is up and the
# replica's offset equals the primary's), then a pipelined write load on the primary and how long the
# replica needs, after the load ends, to apply the rest. Rounds alternate the two kinds; medians.
#   KEYS=1000000 WRITES=500000 ROUNDS=3 bench/replica-sync.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KEYS=${KEYS:-1000000}
WRITES=${WRITES:-500000}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d /tmp/replica-sync.XXXXXX)
trap cleanup EXIT

now() { date +%s.%N; }
field() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }

# caught_up PRIMARY REPLICA: the link is up and the replica applied everything the primary sent.
caught_up() {
  [ "$(field "$2" master_link_status)" = "up" ] && [ "$(field "$2" slave_repl_offset)" = "$(field "$1" master_repl_offset)" ]
}

wait_caught_up() {
  until caught_up "$1" "$2"; do sleep 0.01; done
}

pport=$(free_port)
start_redis "$pport" --repl-diskless-sync-delay 0 --dir "$WORK"
primary_pid=$LAST_PID
redis-cli -p "$pport" debug populate "$KEYS" key 100 >/dev/null
echo "primary: redis-server 7.0 with $KEYS keys of 100 bytes; write load: $WRITES writes, pipeline 16" >&2

declare -A sync_times catchup_times
for round in $(seq 1 "$ROUNDS"); do
  for kind in redis starling; do
    rport=$(free_port)
    mkdir -p "$WORK/$kind-$round"
    if [ "$kind" = redis ]; then start_redis "$rport" --dir "$WORK/$kind-$round"; else start_starling "$rport" --dir "$WORK/$kind-$round"; fi
    rpid=$LAST_PID
    t0=$(now)
    redis-cli -p "$rport" replicaof 127.0.0.1 "$pport" >/dev/null
    wait_caught_up "$pport" "$rport"
    t1=$(now)
    redis-benchmark -p "$pport" -q -n "$WRITES" -P 16 -r 1000000 -t set,incr,lpush,sadd,hset >/dev/null
    t2=$(now)
    wait_caught_up "$pport" "$rport"
    t3=$(now)
    sync_times[$kind]+="$(python3 -c "print($t1 - $t0)") "
    catchup_times[$kind]+="$(python3 -c "print($t3 - $t2)") "
    echo "round $round $kind: full sync $(python3 -c "print(f'{$t1 - $t0:.3f}')") s, catch-up after the load $(python3 -c "print(f'{$t3 - $t2:.3f}')") s" >&2
    stop_pid "$rpid"
    redis-cli -p "$pport" flushall >/dev/null
    redis-cli -p "$pport" debug populate "$KEYS" key 100 >/dev/null
  done
done

median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" $1; }
echo "| replica | full sync of $KEYS keys (s) | catch-up after $WRITES pipelined writes (s) |"
echo "|---|---:|---:|"
for kind in redis starling; do
  echo "| $kind | $(median "${sync_times[$kind]}") | $(median "${catchup_times[$kind]}") |"
done
