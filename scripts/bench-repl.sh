#!/usr/bin/env bash
# Replication throughput of `sonde serve` against redis-server, in one run
# on this machine: a master with one replica attached (sonde → sonde, and
# redis-server → redis-server, same settings: persistence off, disk-based
# full sync), then
#
#   redis-benchmark -q -c 50 -n $N -t set -P 16
#
# against each master, alternating, $RUNS times. While it runs, the
# replica's lag in bytes (master_repl_offset minus the replica's
# slave_repl_offset) is sampled every 100 ms. Prints the median requests/s
# of each pair, the sonde/redis ratio, and the median and largest lag
# samples; at the end both replicas must hold the master's offset.
#
# Environment: N (default 1000000), RUNS (3), SONDE (binary; default:
# build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=bench-repl

N=${N:-1000000}
RUNS=${RUNS:-3}
source scripts/bench-servers.sh
require_tools redis-server redis-benchmark redis-cli
sonde_binary

COMMON=(--bind 127.0.0.1 --save "" --appendonly no --repl-diskless-sync no)
start_sonde() { # port dir extra...
  local port=$1 dir=$2; shift 2
  mkdir -p "$dir"
  "$SONDE" serve --port "$port" "${COMMON[@]}" --dir "$dir" "$@" 2>"$dir/sonde.log" &
  pids+=($!)
  wait_ping "$port"
}

RM=$(free_port); RR=$(free_port); SM=$(free_port); SR=$(free_port)
start_server "$RM" "$work/rm" --repl-diskless-sync no
start_server "$RR" "$work/rr" --replicaof 127.0.0.1 "$RM"
start_sonde "$SM" "$work/sm"
start_sonde "$SR" "$work/sr" --replicaof 127.0.0.1 "$SM"

field() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }
wait_synced() { # master replica
  for _ in $(seq 600); do
    if [ "$(field "$2" master_link_status)" = up ] &&
       [ "$(field "$1" master_repl_offset)" = "$(field "$2" slave_repl_offset)" ]; then
      return
    fi
    sleep 0.1
  done
  echo "$bench: replica on $2 did not catch up with $1" >&2; exit 1
}
wait_synced "$RM" "$RR"
wait_synced "$SM" "$SR"

# Lag samples (bytes) while a benchmark runs, one per line, into $3: the
# replica's offset, then at once the master's, over two open connections
# (each sample is an upper bound: the master may advance in between).
sample_lag() { # master replica file
  exec python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
def conn(port):
    s = socket.create_connection(("127.0.0.1", int(port)))
    return s, s.makefile("rb")
def offset(c, name):
    s, f = c
    s.sendall(b"INFO replication\r\n")
    size = int(f.readline()[1:])
    body = f.read(size + 2).decode()
    for line in body.split("\r\n"):
        if line.startswith(name + ":"):
            return int(line.split(":")[1])
m, r = conn(sys.argv[1]), conn(sys.argv[2])
with open(sys.argv[3], "a") as out:
    while True:
        lag = -offset(r, "slave_repl_offset") + offset(m, "master_repl_offset")
        out.write(f"{lag}\n"); out.flush()
        time.sleep(0.1)
PY
}


declare -A rps lag
for run in $(seq "$RUNS"); do
  for who in redis sonde; do
    master=$RM; replica=$RR
    [ "$who" = sonde ] && master=$SM && replica=$SR
    lagfile="$work/lag-$who-$run"
    : >"$lagfile"
    sample_lag "$master" "$replica" "$lagfile" &
    sampler=$!
    r=$(redis-benchmark -p "$master" -q -c 50 -n "$N" -t set -P 16 --csv 2>/dev/null |
      awk -F'","' 'NR>1 { gsub(/"/,"",$2); print $2 }')
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    rps[$who]+="$r "
    lag[$who]+="$(cat "$lagfile") "
    wait_synced "$master" "$replica"
  done
done

echo
printf '%-22s %14s %14s %8s\n' "" "redis" "sonde" "ratio"
r=$(tr ' ' '\n' <<<"${rps[redis]}" | grep . | median)
s=$(tr ' ' '\n' <<<"${rps[sonde]}" | grep . | median)
printf '%-22s %14s %14s %8s\n' "SET -P 16 rps (median)" "$r" "$s" "$(awk -v a="$s" -v b="$r" 'BEGIN { printf "%.2f", a / b }')"
for stat in median max; do
  line=()
  for who in redis sonde; do
    values=$(tr ' ' '\n' <<<"${lag[$who]}" | grep .)
    if [ "$stat" = median ]; then line+=("$(median <<<"$values")")
    else line+=("$(sort -g <<<"$values" | tail -1)"); fi
  done
  printf '%-22s %14s %14s\n' "replica lag bytes, $stat" "${line[0]}" "${line[1]}"
done
printf '%-22s %14s %14s\n' "final offset" "$(field "$RM" master_repl_offset)" "$(field "$SM" master_repl_offset)"
