# Shared helpers for the bench scripts (sourced). Servers are started here and stopped by PID.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
PIDS=()

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_ping PORT: up to 60 s for the server to answer PING.
wait_ping() {
  for _ in $(seq 1 600); do
    if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

# start_redis PORT [OPTION ...] -> sets LAST_PID; the log is $WORK/redis-PORT.log
start_redis() {
  "$REDIS_SERVER" --port "$1" --bind 127.0.0.1 --save "" --appendonly no --enable-debug-command yes \
    --logfile "" "${@:2}" >"$WORK/redis-$1.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_ping "$1"
}

# start_starling PORT [OPTION ...] -> sets LAST_PID; the log is $WORK/starling-PORT.log (bin/starling-server execs the JVM, so $! is the JVM).
# The jar is rebuilt when a source is newer than it, so freshly merged commands are benchmarked.
start_starling() {
  if [ ! -f "$root/target/starling.jar" ] \
    || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$root/target/starling.jar" -print -quit)" ]; then
    echo "building target/starling.jar ..." >&2
    (cd "$root" && JAVA_HOME=$("$root/bin/find-java") mvn -q -o -B package -DskipTests >&2)
  fi
  "$root/bin/starling-server" --port "$1" --bind 127.0.0.1 --save "" --enable-debug-command yes \
    "${@:2}" >"$WORK/starling-$1.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_ping "$1"
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

cleanup() {
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  PIDS=()
}

# rss_kb PID: VmRSS of the process in kB.
rss_kb() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# used_memory PORT: INFO memory's used_memory, or empty if the server has no INFO yet.
used_memory() {
  redis-cli -p "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: '/^used_memory:/ {print $2}'
}

# settled_rss PID: RSS once it has stopped moving (three 1 s samples within 1%), at most 30 s, after
# SETTLE seconds (default 10): Redis's allocator (jemalloc decay) and the JVM's collector (periodic
# cycle, uncommit delay) both return memory some time after a burst, so both are read when settled.
settled_rss() {
  local prev cur same=0 i
  sleep "${SETTLE:-10}"
  prev=$(rss_kb "$1")
  cur=$prev
  for i in $(seq 1 30); do
    sleep 1
    cur=$(rss_kb "$1")
    if [ $(( (cur > prev ? cur - prev : prev - cur) * 100 )) -le "$prev" ]; then same=$((same + 1)); else same=0; fi
    prev=$cur
    [ "$same" -ge 3 ] && break
  done
  echo "$cur"
}

# supports PORT CMD [ARG ...]: false when the server answers the command with "unknown command"
# (a family not implemented yet). Probe with keys the benchmark does not use, and delete them after.
supports() {
  local port=$1; shift
  ! redis-cli -p "$port" "$@" 2>&1 | head -1 | grep -q "^ERR unknown command"
}
