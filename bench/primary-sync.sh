#!/usr/bin/env bash
# A real redis-server 7.0 replica of redis-server 7.0 vs of Starling as the primary.
# Per round and primary kind: the primary holds KEYS keys; the replica's full sync (REPLICAOF until
# the link is up and its offset equals the primary's), then a pipelined write load on the primary
# (its throughput with the replica attached) and how long the replica needs, after the load ends,
# to have everything. Rounds alternate the two kinds; medians. Diskless sync (7.0's default), no delay.
#   KEYS=1000000 WRITES=500000 ROUNDS=3 bench/primary-sync.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KEYS=${KEYS:-1000000}
WRITES=${WRITES:-500000}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d /tmp/primary-sync.XXXXXX)
trap cleanup EXIT

echo "primary: $KEYS keys of 100 bytes; replica: redis-server 7.0; write load: $WRITES writes, pipeline 16" >&2
declare -A sync_times catchup_times rps
for round in $(seq 1 "$ROUNDS"); do
  for kind in redis starling; do
    pport=$(free_port)
    mkdir -p "$WORK/$kind-$round"
    if [ "$kind" = redis ]; then
      start_redis "$pport" --repl-diskless-sync-delay 0 --dir "$WORK/$kind-$round"
    else
      start_starling "$pport" --repl-diskless-sync-delay 0 --dir "$WORK/$kind-$round"
    fi
    ppid=$LAST_PID
    redis-cli -p "$pport" debug populate "$KEYS" key 100 >/dev/null
    rport=$(free_port)
    start_redis "$rport" --dir "$WORK/$kind-$round" --dbfilename replica.rdb
    rpid=$LAST_PID
    t0=$(now)
    redis-cli -p "$rport" replicaof 127.0.0.1 "$pport" >/dev/null
    wait_caught_up "$pport" "$rport"
    t1=$(now)
    out=$(redis-benchmark -p "$pport" -q -n "$WRITES" -P 16 -r 1000000 -t set 2>/dev/null | tr '\r' '\n' | grep -a 'requests per second' | tail -1)
    t2=$(now)
    wait_caught_up "$pport" "$rport"
    t3=$(now)
    r=$(echo "$out" | awk '{print $2}')
    sync_times[$kind]+="$(python3 -c "print($t1 - $t0)") "
    catchup_times[$kind]+="$(python3 -c "print($t3 - $t2)") "
    rps[$kind]+="$r "
    echo "round $round $kind: full sync $(python3 -c "print(f'{$t1 - $t0:.3f}')") s, SET P16 $r rps, catch-up $(python3 -c "print(f'{$t3 - $t2:.3f}')") s" >&2
    stop_pid "$rpid"
    stop_pid "$ppid"
  done
done

echo "| primary | full sync of $KEYS keys to a redis-server replica (s) | SET -P 16 with the replica attached (rps) | replica catch-up after the load (s) |"
echo "|---|---:|---:|---:|"
for kind in redis starling; do
  echo "| $kind | $(median "${sync_times[$kind]}") | $(median "${rps[$kind]}") | $(median "${catchup_times[$kind]}") |"
done
