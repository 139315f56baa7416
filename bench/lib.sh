# Shared helpers for the bench scripts (sourced). Servers are started here and stopped by PID.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
PIDS=()

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_ping PORT [PID]: up to 60 s for the server to answer PING. With PID, the server answering must
# be that process (INFO process_id): on a shared machine another process can take a port between
# free_port and the bind, and our commands must never reach someone else's server.
wait_ping() {
  local owner
  for _ in $(seq 1 600); do
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
      echo "server for port $1 (pid $2) exited before answering" >&2
      return 1
    fi
    if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]; then
      [ -z "${2:-}" ] && return 0
      owner=$(redis-cli -p "$1" info server | tr -d '\r' | awk -F: '$1 == "process_id" {print $2}')
      [ "$owner" = "$2" ] && return 0
      echo "port $1 is answered by pid $owner, not by our server (pid $2)" >&2
      return 1
    fi
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
  wait_ping "$1" "$LAST_PID"
}

# start_starling PORT [OPTION ...] -> sets LAST_PID; the log is $WORK/starling-PORT.log (bin/starling-server execs the JVM, so $! is the JVM).
# The jar is rebuilt when a source is newer than it, so freshly merged commands are benchmarked, and
# copied into $WORK once: every server of the run uses that copy, so a rebuild of target/ during
# the run (an edit, a test run) neither mixes builds nor breaks a running JVM's lazy class loading.
start_starling() {
  if [ ! -f "$WORK/starling.jar" ]; then
    if [ ! -f "$root/target/starling.jar" ] \
      || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$root/target/starling.jar" -print -quit)" ]; then
      echo "building target/starling.jar ..." >&2
      (cd "$root" && JAVA_HOME=$("$root/bin/find-java") mvn -q -o -B package -DskipTests >&2)
    fi
    cp "$root/target/starling.jar" "$WORK/starling.jar"
  fi
  STARLING_CLASSPATH=${STARLING_CLASSPATH:-$WORK/starling.jar} \
    "$root/bin/starling-server" --port "$1" --bind 127.0.0.1 --save "" --enable-debug-command yes \
    "${@:2}" >"$WORK/starling-$1.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_ping "$1" "$LAST_PID"
}

# stop_pid PID: SIGTERM, SIGKILL after 5 s; a server stopped here is dropped from PIDS, so cleanup
# never signals a PID the system may have reused since.
# start_server KIND [OPTION ...]: redis-server (KIND redis) or Starling on a free port, trying another
# port when the chosen one was taken meanwhile; sets LAST_PORT and LAST_PID.
start_server() {
  local try
  for try in 1 2 3 4 5; do
    LAST_PORT=$(free_port)
    if [ "$1" = redis ]; then start_redis "$LAST_PORT" "${@:2}"; else start_starling "$LAST_PORT" "${@:2}"; fi && return 0
    stop_pid "$LAST_PID"
  done
  return 1
}

stop_pid() {
  local p keep=()
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && kill -9 "$1" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
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

# info_field PORT SECTION FIELD: one INFO field.
info_field() {
  redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'
}

# kv KEY LINE: the value of KEY=... in a probe's output line (bgsave_probe.py).
kv() {
  tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k {print $2}'
}

# Replication benchmarks: timing and INFO replication fields.
now() { date +%s.%N; }
field() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }

# caught_up PRIMARY REPLICA: the link is up and the replica applied everything the primary sent.
caught_up() {
  [ "$(field "$2" master_link_status)" = "up" ] && [ "$(field "$2" slave_repl_offset)" = "$(field "$1" master_repl_offset)" ]
}

# wait_caught_up PRIMARY REPLICA [SECONDS]: polls every 10 ms; with SECONDS, gives up (status 1) after them.
wait_caught_up() {
  local end=$((SECONDS + ${3:-1000000000}))
  until caught_up "$1" "$2"; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.01
  done
}

# median "x y z": the median, 3 decimals.
median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" $1; }
