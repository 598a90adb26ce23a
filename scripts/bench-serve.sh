#!/usr/bin/env bash
# Efficiency of `sonde serve` against redis-server, in one run on this
# machine: what each server spends per request and per key, not only how
# many requests per second the benchmark client manages (at -P 16 both
# servers sit at redis-benchmark's own ceiling, and throughput swings from
# run to run on a shared machine).
#
# 1. Rows: every `redis-benchmark -t` test at -P 1 and -P 16 (-c 50, N
#    requests each, one test per redis-benchmark run), SET/GET of 100 KB
#    values (N_BIG requests), SET with 1000 connections, and a mixed
#    read-heavy run (two concurrent clients: GET -c 45 and SET -c 5 over
#    -r 100000 keys). Per row and server: requests/s, server CPU time per
#    request (the sum over the server's threads of /proc/PID/task/*/schedstat,
#    nanoseconds on a CPU, read before and after the run) and system calls
#    per request (perf stat -e raw_syscalls:sys_enter attached to the
#    server; "-" when perf cannot attach). The servers alternate within each
#    run (the order flips every run); the table holds medians of RUNS runs
#    and the ratios sonde/redis (below 1.0: sonde is cheaper or, for
#    requests/s, slower).
# 2. Big sorted set (ZSET_SIZES, default "100000 1000000"): a sorted set of
#    that many members (member m:<12 digits>, score its number) on both
#    servers, then ZADD (score updates), ZRANK, ZSCORE, ZRANGEBYSCORE ... LIMIT 0 10
#    and ZREM of random members, as rows of the same table.
# 3. RSS per shape, each loaded alone into freshly started servers: 1M small
#    strings (DEBUG POPULATE), 1M hashes of 10 fields, 1M sets of 10
#    integers, 100k lists of 100 items, one sorted set of 1M members, 10k
#    100 KB strings; the growth of VmRSS and the ratio.
#
# Environment: N (requests per row, default 100000), RUNS (3), N_BIG
# (N/20), ROWS (regex of row names to run, default all; e.g. ROWS='^zadd'),
# TESTS (the -t tests), ZSET_SIZES, SHAPES ("strings hash set list zset
# big"; empty to skip), SCALE (divides every shape's count, default 1),
# BASE_PORT (redis-server on it, sonde on the next; default: free ports),
# SONDE (binary; default: build --release).
#   Quick run: N=20000 RUNS=3 SCALE=10 ZSET_SIZES=100000 scripts/bench-serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
RUNS=${RUNS:-3}
N_BIG=${N_BIG:-$((N / 20))}
ROWS=${ROWS:-.}
TESTS=${TESTS:-set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_600,mset}
ZSET_SIZES=${ZSET_SIZES:-100000 1000000}
SHAPES=${SHAPES-strings hash set list zset big}
SCALE=${SCALE:-1}
bench=bench-serve

source scripts/bench-servers.sh
require_tools redis-server redis-benchmark redis-cli python3
sonde_binary

have_perf=no
if command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
  have_perf=yes
fi

COMMON=(--bind 127.0.0.1 --save "" --appendonly no --enable-debug-command yes
        --maxclients 10000 --hz 10)
# Start (or restart, stopping the previous pair) both servers.
start_servers() {
  if [ -n "${RPID:-}" ]; then
    kill "$RPID" "$SPID" 2>/dev/null || true
    wait "$RPID" "$SPID" 2>/dev/null || true
  fi
  if [ -n "${BASE_PORT:-}" ]; then RPORT=$BASE_PORT; else RPORT=$(free_port); fi
  redis-server --port "$RPORT" "${COMMON[@]}" --dir "$work" --logfile "$work/redis.log" &
  pids+=($!); RPID=$!
  if [ -n "${BASE_PORT:-}" ]; then SPORT=$((BASE_PORT + 1)); else SPORT=$(free_port); fi
  "$SONDE" serve --port "$SPORT" "${COMMON[@]}" >/dev/null 2>"$work/sonde.log" &
  pids+=($!); SPID=$!
  wait_ping "$RPORT"
  wait_ping "$SPORT"
}

# Nanoseconds the process's threads have spent on a CPU.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# The requests/s of the last line of redis-benchmark --csv output.
rps_of() { awk -F'","' 'END { gsub(/"/,"",$2); print $2 }'; }

# Unmeasured preparation before a row, on the server at port $1.
prepare() {
  local port=$1 row=$2
  case $row in
    lrange_*) redis-cli -p "$port" del mylist >/dev/null
              redis-benchmark -p "$port" -q -n 1000 -P 100 lpush mylist xxx >/dev/null 2>&1 ;;
    get_100k) redis-cli -p "$port" set key:__rand_int__ "$(head -c 100000 /dev/zero | tr '\0' x)" >/dev/null ;;
    mixed_r)  redis-benchmark -p "$port" -q -n 100000 -r 100000 -P 100 -t set >/dev/null 2>&1 ;;
  esac
}

# Run one row against port $1; prints "rps requests".
run_row() {
  local port=$1 row=$2 p=$3 zkey=${4:-}
  local rb=(redis-benchmark -p "$port" -q --csv -c 50 -P "$p")
  case $row in
    lrange_*) "${rb[@]}" -n "$N" lrange mylist 0 $((${row#lrange_} - 1)) 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    set_100k) "${rb[@]}" -n "$N_BIG" -d 100000 -t set 2>/dev/null | rps_of | sed "s/\$/ $N_BIG/" ;;
    get_100k) "${rb[@]}" -n "$N_BIG" -t get 2>/dev/null | rps_of | sed "s/\$/ $N_BIG/" ;;
    set_c1000) redis-benchmark -p "$port" -q --csv -c 1000 -P "$p" -n "$N" -t set 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    mixed_r)
      local sets=$((N / 10)) gets=$((N - N / 10))
      redis-benchmark -p "$port" -q --csv -c 5 -P "$p" -n "$sets" -r 100000 -t set >"$work/mixed.set" 2>/dev/null &
      local setter=$!
      redis-benchmark -p "$port" -q --csv -c 45 -P "$p" -n "$gets" -r 100000 -t get 2>/dev/null | rps_of >"$work/mixed.get"
      wait "$setter"
      awk -v g="$(cat "$work/mixed.get")" -v s="$(rps_of <"$work/mixed.set")" -v n="$N" \
        'BEGIN { printf "%.2f %d\n", g + s, n }' ;;
    zadd@*) "${rb[@]}" -n "$N" -r "$zkey" zadd bigz __rand_int__ m:__rand_int__ 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    zrank@*) "${rb[@]}" -n "$N" -r "$zkey" zrank bigz m:__rand_int__ 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    zscore@*) "${rb[@]}" -n "$N" -r "$zkey" zscore bigz m:__rand_int__ 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    zrangebyscore@*) "${rb[@]}" -n "$N" -r "$zkey" zrangebyscore bigz __rand_int__ +inf LIMIT 0 10 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    zrem@*) "${rb[@]}" -n "$N" -r "$zkey" zrem bigz m:__rand_int__ 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
    *) "${rb[@]}" -n "$N" -t "$row" 2>/dev/null | rps_of | sed "s/\$/ $N/" ;;
  esac
}

# Measure one row on one server: prints "rps cpu_us_per_request syscalls_per_request".
measure() {
  local who=$1 row=$2 p=$3 zkey=${4:-}
  local port=$RPORT pid=$RPID
  [ "$who" = sonde ] && { port=$SPORT; pid=$SPID; }
  prepare "$port" "$row"
  local perf_pid="" before after out
  if [ "$have_perf" = yes ]; then
    perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$work/perf.out" &
    perf_pid=$!
    sleep 0.2
  fi
  before=$(cpu_ns "$pid")
  out=$(run_row "$port" "$row" "$p" "$zkey")
  after=$(cpu_ns "$pid")
  local calls=-
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    calls=$(awk -F, '/raw_syscalls/ {print $1}' "$work/perf.out")
  fi
  read -r rps requests <<<"$out"
  awk -v r="$rps" -v b="$before" -v a="$after" -v n="$requests" -v c="${calls:--}" \
    'BEGIN { printf "%s %.3f %s\n", r, (a - b) / 1000 / n, (c == "-" ? "-" : sprintf("%.2f", c / n)) }'
}

declare -A res
rows=()
add_row() { grep -Eq -- "$ROWS" <<<"$1" && rows+=("$1") || true; }

record() { # label who row p zkey
  local label=$1 who=$2
  read -r rps cpu calls < <(measure "$who" "$3" "$4" "${5:-}")
  res["$label|$who|rps"]+="$rps "
  res["$label|$who|cpu"]+="$cpu "
  res["$label|$who|sys"]+="$calls "
}

start_servers
for p in 1 16; do
  for t in $(tr ',' ' ' <<<"$TESTS"); do add_row "$t -P$p"; done
done
for extra in "set_100k -P1" "get_100k -P1" "set_c1000 -P1" "mixed_r -P1" "mixed_r -P16"; do
  add_row "$extra"
done

for run in $(seq "$RUNS"); do
  order=(redis sonde); [ $((run % 2)) = 0 ] && order=(sonde redis)
  for who in "${order[@]}"; do
    port=$RPORT; [ "$who" = sonde ] && port=$SPORT
    redis-cli -p "$port" flushall >/dev/null
    for label in "${rows[@]}"; do
      read -r row p <<<"$label"
      record "$label" "$who" "$row" "${p#-P}"
    done
  done
done

# The big sorted set rows: one load per size, then the runs.
load_zset() { # port members
  python3 - "$1" "$2" <<'EOF'
import socket, sys
port, total = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
batch = 1000
for start in range(0, total, batch):
    n = min(batch, total - start)
    args = [b"ZADD", b"bigz"]
    for i in range(start, start + n):
        args += [b"%d" % i, b"m:%012d" % i]
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    got = b""
    while not got.endswith(b"\r\n"):
        got += s.recv(100)
EOF
}
for size in $ZSET_SIZES; do
  zrows=()
  for op in zadd zrank zscore zrangebyscore zrem; do
    for p in 1 16; do
      grep -Eq -- "$ROWS" <<<"$op@$size -P$p" && zrows+=("$op@$size -P$p")
    done
  done
  [ ${#zrows[@]} = 0 ] && continue
  for port in "$RPORT" "$SPORT"; do
    redis-cli -p "$port" flushall >/dev/null
    load_zset "$port" "$size"
  done
  for run in $(seq "$RUNS"); do
    order=(redis sonde); [ $((run % 2)) = 0 ] && order=(sonde redis)
    for who in "${order[@]}"; do
      for label in "${zrows[@]}"; do
        read -r row p <<<"$label"
        record "$label" "$who" "$row" "${p#-P}" "$size"
      done
    done
  done
  rows+=("${zrows[@]}")
done

m() { tr ' ' '\n' <<<"${res["$1"]:-}" | grep -v '^-$' | median; }
ratio() { awk -v s="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }'; }
echo
echo "medians of $RUNS runs, N=$N (N_BIG=$N_BIG); cpu = server CPU µs per request, sys = system calls per request"
printf '%-24s %10s %10s %6s | %8s %8s %6s | %6s %6s\n' \
  row "redis rps" "sonde rps" ratio "redis cpu" "sonde cpu" ratio "r sys" "s sys"
for label in "${rows[@]}"; do
  rr=$(m "$label|redis|rps"); sr=$(m "$label|sonde|rps")
  rc=$(m "$label|redis|cpu"); sc=$(m "$label|sonde|cpu")
  rs=$(m "$label|redis|sys"); ss=$(m "$label|sonde|sys")
  [ "$have_perf" = yes ] || { rs=-; ss=-; }
  printf '%-24s %10s %10s %5sx | %9s %9s %5sx | %6s %6s\n' \
    "$label" "$rr" "$sr" "$(ratio "$sr" "$rr")" "$rc" "$sc" "$(ratio "$sc" "$rc")" "$rs" "$ss"
done

# Memory: each shape loaded alone into fresh servers (an allocator does not
# return memory freed by FLUSHALL to the system).
load_shape() { # port shape count
  python3 - "$1" "$2" "$3" <<'EOF'
import socket, sys
port, shape, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def cmd(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
big = b"x" * 100000
def make(i):
    if shape == "hash":
        args = [b"HSET", b"hash:%d" % i]
        for f in range(10):
            args += [b"field%d" % f, b"value%d" % (i + f)]
    elif shape == "set":
        args = [b"SADD", b"set:%d" % i] + [b"%d" % (i + m) for m in range(10)]
    elif shape == "list":
        args = [b"RPUSH", b"list:%d" % i] + [b"item:%d" % m for m in range(100)]
    elif shape == "zset":
        args = [b"ZADD", b"zset", b"%d" % i, b"member:%d" % i]
    else:
        args = [b"SET", b"big:%d" % i, big]
    return cmd(args)
s = socket.create_connection(("127.0.0.1", port))
batch = 10 if shape == "big" else 1000
for start in range(0, total, batch):
    n = min(batch, total - start)
    s.sendall(b"".join(make(i) for i in range(start, start + n)))
    got = 0
    while got < n:
        got += s.recv(1 << 20).count(b"\n")
EOF
}
if [ -n "$SHAPES" ]; then
  echo
  printf '%-22s %12s %12s %6s\n' shape "redis MiB" "sonde MiB" ratio
  for shape in $SHAPES; do
    case $shape in
      strings) count=1000000; what="small strings" ;;
      hash) count=1000000; what="hashes of 10" ;;
      set) count=1000000; what="sets of 10 ints" ;;
      list) count=100000; what="lists of 100" ;;
      zset) count=1000000; what="zset members" ;;
      big) count=10000; what="100 KB strings" ;;
      *) echo "$bench: unknown shape $shape" >&2; exit 2 ;;
    esac
    count=$((count / SCALE))
    start_servers
    declare -A grew=()
    for who in redis sonde; do
      port=$RPORT; pid=$RPID
      [ "$who" = sonde ] && { port=$SPORT; pid=$SPID; }
      before=$(rss_kb "$pid")
      if [ "$shape" = strings ]; then
        redis-cli -p "$port" debug populate "$count" >/dev/null
      else
        load_shape "$port" "$shape" "$count"
      fi
      grew[$who]=$(( $(rss_kb "$pid") - before ))
    done
    printf '%-22s %12.1f %12.1f %5sx\n' "$count $what" \
      "$(awk -v k="${grew[redis]}" 'BEGIN{print k/1024}')" \
      "$(awk -v k="${grew[sonde]}" 'BEGIN{print k/1024}')" \
      "$(ratio "${grew[sonde]}" "${grew[redis]}")"
  done
fi
