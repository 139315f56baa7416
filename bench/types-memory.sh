#!/usr/bin/env bash
# Memory of hashes, lists, sets and sorted sets: Starling vs redis-server 7.0, per type and size.
#
#   bench/types-memory.sh                       # 100,000 x 10 elements and 100 x 100,000 per type
#   SMALL_KEYS=300 LARGE_KEYS=2 LARGE_ELEMS=2000 SETTLE=2 bench/types-memory.sh    # a quick check
#   TYPES="small-zset large-zset" SERVERS=starling bench/types-memory.sh
#
# For each variant (TYPES: small-hash small-list small-set small-intset small-zset large-hash
# large-list large-set large-zset), each server in SERVERS starts fresh; its empty baseline is read
# once RSS has settled, then the variant is loaded with redis-cli --pipe from a file of RESP
# commands written once by bench/types_gen.py (the same bytes for both servers; at most BATCH
# elements per command), and RSS and INFO used_memory are read again once RSS has settled. The
# report shows the deltas over the baseline and Starling/Redis ratios (target: RSS <= 1.5x).
# A server that answers the type's write command with "unknown command" shows n/a. The load is
# checked: --pipe errors, DBSIZE, and the length of the first and last key. Output: Markdown to
# stdout and bench/results/types-memory.md. The default sizes need a few GB of RAM per server
# at the large variants and about 15 minutes (two settles of at least SETTLE s per server and variant).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
SMALL_KEYS=${SMALL_KEYS:-100000}
SMALL_ELEMS=${SMALL_ELEMS:-10}
LARGE_KEYS=${LARGE_KEYS:-100}
LARGE_ELEMS=${LARGE_ELEMS:-100000}
BATCH=${BATCH:-100}
TYPES=${TYPES:-small-hash small-list small-set small-intset small-zset large-hash large-list large-set large-zset}
SERVERS=${SERVERS:-redis starling}
mkdir -p "$here/results"
WORK=$(mktemp -d /tmp/starling-types-memory.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

csv="$WORK/types-memory.csv"
echo "variant,server,keys,elems,status,encoding,load_s,used_base,used_full,rss_base_kb,rss_full_kb" >"$csv"

# measure SERVER VARIANT TYPE KEYS ELEMS FILE: one fresh server, one variant; appends a CSV row.
measure() {
  local server=$1 variant=$2 type=$3 keys=$4 elems=$5 file=$6
  local port pid rb ub rf uf t0 t1 status=ok enc="" load="" errs dbsize first last probe len
  port=$(free_port)
  if [ "$server" = redis ]; then start_redis "$port"; else start_starling "$port"; fi
  pid=$LAST_PID
  case $type in
    hash) probe=(HSET __probe f v); len=HLEN ;;
    list) probe=(RPUSH __probe v); len=LLEN ;;
    set | intset) probe=(SADD __probe 1); len=SCARD ;;
    zset) probe=(ZADD __probe 1 m); len=ZCARD ;;
  esac
  if ! supports "$port" "${probe[@]}"; then
    echo "$server: ${probe[0]} is an unknown command, $variant not measured" >&2
    echo "$variant,$server,$keys,$elems,unknown command,,,,,," >>"$csv"
    stop_pid "$pid"
    return
  fi
  redis-cli -p "$port" del __probe >/dev/null
  echo "$server $variant: settling, then loading $keys x $elems ..." >&2
  rb=$(settled_rss "$pid"); ub=$(used_memory "$port")
  t0=$(date +%s.%N)
  redis-cli -p "$port" --pipe <"$file" >"$WORK/pipe.out" 2>&1 || true
  t1=$(date +%s.%N)
  errs=$(awk -F'[:,] *' '/^errors:/ {print $2}' "$WORK/pipe.out")
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "$variant,$server,$keys,$elems,server exited,,,,,," >>"$csv"
    return
  fi
  dbsize=$(redis-cli -p "$port" dbsize)
  first=$(redis-cli -p "$port" "$len" "$type:0")
  last=$(redis-cli -p "$port" "$len" "$type:$((keys - 1))")
  if [ "${errs:-?}" != 0 ]; then
    status="errors: $(grep -m1 -v '^All data\|^Last reply\|^errors' "$WORK/pipe.out" || tail -1 "$WORK/pipe.out")"
  elif [ "$dbsize" != "$keys" ] || [ "$first" != "$elems" ] || [ "$last" != "$elems" ]; then
    status="incomplete: dbsize $dbsize; $len $first / $last"
  fi
  enc=$(redis-cli -p "$port" object encoding "$type:0" 2>&1 | head -1)
  case $enc in ERR*) enc="?" ;; esac
  load=$(python3 -c "print(round($t1 - $t0, 2))")
  rf=$(settled_rss "$pid"); uf=$(used_memory "$port")
  echo "$variant,$server,$keys,$elems,${status//,/;},$enc,$load,${ub:-},${uf:-},$rb,$rf" >>"$csv"
  stop_pid "$pid"
}

for variant in $TYPES; do
  size=${variant%%-*} type=${variant#*-}
  case $size in
    small) keys=$SMALL_KEYS elems=$SMALL_ELEMS ;;
    large) keys=$LARGE_KEYS elems=$LARGE_ELEMS ;;
    *) echo "unknown variant $variant (small-TYPE or large-TYPE)" >&2; exit 2 ;;
  esac
  case $type in hash | list | set | intset | zset) ;; *) echo "unknown type in $variant" >&2; exit 2 ;; esac
  echo "$variant: writing $keys x $elems elements ..." >&2
  python3 "$here/types_gen.py" "$type" "$keys" "$elems" "$BATCH" >"$WORK/fill.resp"
  for server in $SERVERS; do measure "$server" "$variant" "$type" "$keys" "$elems" "$WORK/fill.resp"; done
  rm -f "$WORK/fill.resp"
done
cleanup

python3 "$here/types_memory_report.py" "$csv" "$BATCH" | tee "$here/results/types-memory.md"
