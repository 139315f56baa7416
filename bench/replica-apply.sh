#!/usr/bin/env bash
# CPU a replica spends applying the stream: a Redis primary, replica RK (redis|starling) stopped with
# SIGSTOP while N pipelined SETs run, then SIGCONT: catch-up time and the replica's CPU seconds per MB.
# Two passes; the second is after the replica's JIT has seen the apply path.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/replbench-exp/w.XXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
RK=${RK:-starling}; N=${N:-1000000}
mkdir -p $WORK/p $WORK/r
start_server redis --dir $WORK/p; pp=$LAST_PORT
redis-cli -p $pp config set client-output-buffer-limit "replica 0 0 0" >/dev/null
redis-cli -p $pp debug populate 200000 key 100 >/dev/null
start_server $RK --dir $WORK/r; rp=$LAST_PORT; rpid=$LAST_PID
redis-cli -p $rp replicaof 127.0.0.1 $pp >/dev/null
wait_caught_up $pp $rp
for pass in 1 2; do
  o0=$(field $pp master_repl_offset)
  kill -STOP $rpid
  redis-benchmark -p $pp -t set -P 16 -c 4 -r 20000 -d 100 -n $N -q >/dev/null 2>&1
  l0=$(( $(field $pp master_repl_offset) - o0 ))  # the replica was caught up at o0 (never ask a stopped replica)
  c0=$(awk '{print $14+$15}' /proc/$rpid/stat); t0=$(now)
  kill -CONT $rpid
  wait_caught_up $pp $rp
  t1=$(now); c1=$(awk '{print $14+$15}' /proc/$rpid/stat)
  python3 -c "mb=$l0/1048576; d=$t1-$t0; cpu=($c1-$c0)/100; print(f'$RK pass $pass: {mb:.1f} MB applied in {d:.2f} s ({mb/d:.1f} MB/s), replica CPU {cpu:.2f} s = {1000*cpu/mb:.1f} ms per MB')"
done
