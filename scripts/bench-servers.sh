# Sourced by the benchmark scripts that run their own servers: a work
# directory and every started process cleaned up on exit, free loopback
# ports, timestamps, the tools and the sonde binary checked, and server
# starts that wait for PING. Set `bench` to the script's name (for
# messages) before sourcing.

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
# median: the median of the numbers on stdin (blank lines skipped; 0 for none).
median() { grep . | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }
# ratio_table WIDTH: one row per entry of TESTS ("name|..."), from the
# space-separated samples in the associative arrays rps and cpu (keys
# "name|redis", "name|sonde"): medians of requests/s and of CPU µs per
# request, each with its ratio (rps sonde/redis; CPU redis/sonde, so above
# 1.0 favours sonde either way).
ratio_table() {
  local w=$1 entry name rr sr rc sc
  printf "%-${w}s %12s %12s %7s %14s %14s %7s\n" test "redis rps" "sonde rps" ratio \
    "redis us/req" "sonde us/req" ratio
  for entry in "${TESTS[@]}"; do
    name=${entry%%|*}
    rr=$(tr ' ' '\n' <<<"${rps["$name|redis"]}" | median)
    sr=$(tr ' ' '\n' <<<"${rps["$name|sonde"]}" | median)
    rc=$(tr ' ' '\n' <<<"${cpu["$name|redis"]}" | median)
    sc=$(tr ' ' '\n' <<<"${cpu["$name|sonde"]}" | median)
    printf "%-${w}s %12s %12s %6sx %14s %14s %6sx\n" "$name" "$rr" "$sr" \
      "$(awk -v a="$sr" -v b="$rr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "$rc" "$sc" \
      "$(awk -v a="$rc" -v b="$sc" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  done
}

# cpu_ticks PID: the clock ticks (user + system) the process has used.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# require_tools TOOL...: each one on PATH, or exit 2 naming the missing one.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$bench: $tool is missing (scripts/setup.sh installs the redis tools)" >&2; exit 2; }
  done
}

# sonde_binary: SONDE is the binary under test, as an absolute path (by
# default a fresh release build).
sonde_binary() {
  if [ -z "${SONDE:-}" ]; then
    cargo build --release --quiet
    SONDE=target/release/sonde
  fi
  SONDE=$(realpath "$SONDE")
}

# wait_ping PORT: until the server there answers PING (exit 2 after 10 s).
wait_ping() {
  for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "$bench: server on $1 did not start" >&2; exit 2
}

# start_sonde PORT DIR EXTRA...: a sonde set up as start_server sets up a
# redis-server.
start_sonde() {
  local port=$1 dir=$2; shift 2
  mkdir -p "$dir"
  "$SONDE" serve --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    "$@" >/dev/null 2>&1 &
  pids+=($!)
  wait_ping "$port"
}

# start_pair SETTINGS...: a redis-server and a sonde with the same settings
# in $work, answering PING; sets RPORT/RPID and SPORT/SPID (ports: free ones,
# or PAIR_REDIS_PORT and PAIR_SONDE_PORT when set).
start_pair() {
  RPORT=${PAIR_REDIS_PORT:-$(free_port)}
  redis-server --port "$RPORT" "$@" --dir "$work" --logfile "$work/redis.log" &
  pids+=($!); RPID=$!
  SPORT=${PAIR_SONDE_PORT:-$(free_port)}
  "$SONDE" serve --port "$SPORT" "$@" --dir "$work" 2>"$work/sonde.log" &
  pids+=($!); SPID=$!
  wait_ping "$RPORT"
  wait_ping "$SPORT"
}

start_server() { # port dir extra...
  local port=$1 dir=$2; shift 2
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --logfile redis.log "$@" >/dev/null 2>&1 &
  pids+=($!)
  wait_ping "$port"
}
