#!/usr/bin/env bash
# Where do a client's longest pauses during BGSAVE come from? One server (KIND=starling|redis), the
# bgsave.sh workload (KEYS keys, a redis-benchmark SET load over WRITE_KEYS of them), a probe that
# prints every round trip above SLOW_MS with its wall-clock time, and one BGSAVE under the load.
# For Starling the JVM logs GC pauses and safepoints with wall-clock times (-Xlog), and each slow
# round trip is printed next to the log lines within 50 ms before it, so a pause that coincides
# with a collector pause or a safepoint says so; one that coincides with nothing is scheduling or I/O.
#   KEYS=5000000 bench/bgsave-pauses.sh        # a quiet machine
#   KEYS=200000 WINDOW=3 bench/bgsave-pauses.sh
#   EXTRA_JAVA_OPTS=-XX:-ShenandoahPacing bench/bgsave-pauses.sh   # added to the launcher's defaults
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
KIND=${KIND:-starling}
KEYS=${KEYS:-5000000}
VALUE=${VALUE:-100}
CLIENTS=${CLIENTS:-50}
WRITE_KEYS=${WRITE_KEYS:-$((KEYS / 10))}
WARM=${WARM:-5}
SLOW_MS=${SLOW_MS:-10}
WORK=$(mktemp -d /tmp/starling-pauses.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT

gclog="$WORK/gc.log"
defaults=$(sed -n 's/^default_opts="\(.*\)"$/\1/p' "$here/../bin/starling-server")
export STARLING_JAVA_OPTS="$defaults ${EXTRA_JAVA_OPTS:-} -Xlog:gc,gc+phases=debug,safepoint:file=$gclog:time"
start_server "$KIND" --dir "$WORK"
port=$LAST_PORT pid=$LAST_PID
echo "$KIND: DEBUG POPULATE $KEYS, then $((3 * WRITE_KEYS)) SETs over $WRITE_KEYS keys ..." >&2
redis-cli -p "$port" debug populate "$KEYS" key "$VALUE" >/dev/null
redis-benchmark -p "$port" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n $((3 * WRITE_KEYS)) -q >/dev/null 2>&1
redis-cli -p "$port" bgsave >/dev/null
until [ "$(info_field "$port" persistence rdb_bgsave_in_progress)" = 0 ]; do sleep 0.1; done

redis-benchmark -p "$port" -t set -r "$WRITE_KEYS" -d "$VALUE" -c "$CLIENTS" -n 1000000000 -q >/dev/null 2>&1 &
load=$!
PIDS+=("$load")
sleep "$WARM"
stop="$WORK/stop"
python3 "$here/bgsave_probe.py" latency --port "$port" --stop "$stop" --slow-ms "$SLOW_MS" \
  >"$WORK/probe.out" 2>"$WORK/slow.txt" &
probe=$!
start=$(date +%s.%N)
redis-cli -p "$port" bgsave >/dev/null
until [ "$(info_field "$port" persistence rdb_bgsave_in_progress)" = 0 ]; do sleep 0.01; done
end=$(date +%s.%N)
touch "$stop"
wait "$probe"
stop_pid "$load"
echo "BGSAVE under load: $(python3 -c "print(f'{$end - $start:.3f}')") s; probe: $(cat "$WORK/probe.out")"
python3 - "$gclog" "$WORK/slow.txt" "$start" "$end" <<'EOF'
import datetime, re, sys
gclog, slow, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
events = []
try:
    for line in open(gclog):
        m = re.match(r"\[(\S+)\]\s*(.*)", line)
        if not m:
            continue
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        events.append((t, m.group(2).strip()))
except FileNotFoundError:
    pass
rows = [tuple(map(float, l.split()[1:3])) for l in open(slow) if l.startswith("slow ")]
during = [e for e in events if start <= e[0] <= end]
pauses = [float(m.group(1)) for _, text in during for m in [re.search(r"Pause.* ([0-9.]+)ms$", text)] if m]
print(f"JVM log during BGSAVE: {len(during)} lines, {len(pauses)} GC pauses (longest {max(pauses, default=0):.3f} ms)")
print(f"{len(rows)} round trips over the threshold, {sum(1 for t, _ in rows if start <= t <= end + 0.5)} during BGSAVE")
for t, ms in sorted(rows, key=lambda r: -r[1])[:15]:
    began = t - ms / 1000
    near = [e for e in events if began - 0.05 <= e[0] <= t]
    when = "during BGSAVE" if start <= t <= end + 0.5 else "outside BGSAVE"
    print(f"{ms:8.1f} ms at +{t - start:7.3f} s ({when})")
    for et, text in near[-6:]:
        print(f"           {et - began:+.3f} s  {text[:150]}")
EOF
