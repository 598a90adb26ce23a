#!/usr/bin/env bash
# Stream commands of `sonde serve` against redis-server, in one run on this
# machine, alternating server by server, medians of RUNS.
#
# Each test is one redis-benchmark custom command (-c 50, N requests); for
# each run the script records requests/s and the server's own CPU time
# (user + system from /proc/<pid>/stat) per request. The ratio columns are
# sonde/redis for requests/s and redis/sonde for CPU per request: above 1.0
# means sonde is faster or cheaper.
#
#   XADD-P1 / XADD-P16   XADD xb * field value, pipelines of 1 and 16
#   XRANGE-100           XRANGE of 100 entries from a random start in a
#                        100,000-entry stream
#   XREADGROUP           XREADGROUP ... COUNT 1 STREAMS q > (one new entry
#                        into the PEL per call; the group is recreated each run)
#   XACK                 XACK of a random ID of that PEL
#
# Then memory: scripts/bench-stream-memory.sh with ENTRIES entries (the RSS
# growth, used_memory and MEMORY USAGE of one stream in fresh servers).
#
# Usage: scripts/bench-streams.sh [N (100000)] [RUNS (3)]
# Environment: ENTRIES (1000000; 0 skips the memory part), SONDE (binary; default: build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-100000}
runs=${2:-3}
entries=${ENTRIES:-1000000}
bench=bench-streams
source scripts/bench-servers.sh
require_tools redis-server redis-cli redis-benchmark python3
sonde_binary
COMMON=(--bind 127.0.0.1 --save "" --appendonly no)
start_pair "${COMMON[@]}"

# Pipelined loader: `load.py port what count`.
cat >"$work/load.py" <<'PY'
import socket, sys
port, what, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
def send(reqs):
    s.sendall(b"".join(reqs))
    # Every XADD answers with its ID as a bulk string: two CRLFs each.
    want, buf = 2 * len(reqs), b""
    while buf.count(b"\r\n") < want:
        buf += s.recv(1 << 20)
batch = []
for i in range(1, count + 1):
    batch.append(cmd("XADD", what, "%d-1" % i, "item", i, "name", "x%d" % i))
    if len(batch) == 10000:
        send(batch); batch = []
if batch:
    send(batch)
PY
for port in "$RPORT" "$SPORT"; do
  python3 "$work/load.py" "$port" s100k 100000
  python3 "$work/load.py" "$port" q $((n + 1000))
done

TESTS=(
  "XADD-P1|1|XADD xb * field value"
  "XADD-P16|16|XADD xb * field value"
  "XRANGE-100|1|XRANGE s100k __rand_int__ + COUNT 100"
  "XREADGROUP|1|XREADGROUP GROUP g c COUNT 1 STREAMS q >"
  "XACK|1|XACK q g __rand_int__-1"
)

hz=$(getconf CLK_TCK)
declare -A rps cpu
for run in $(seq "$runs"); do
  for port in "$RPORT" "$SPORT"; do
    redis-cli -p "$port" del xb >/dev/null
    redis-cli -p "$port" xgroup destroy q g >/dev/null
    redis-cli -p "$port" xgroup create q g 0 >/dev/null
  done
  for entry in "${TESTS[@]}"; do
    name=${entry%%|*}; rest=${entry#*|}; pipeline=${rest%%|*}; command=${rest#*|}
    for who in redis sonde; do
      port=$RPORT; pid=$RPID
      [ "$who" = sonde ] && { port=$SPORT; pid=$SPID; }
      before=$(cpu_ticks "$pid")
      # Split the command into words without globbing its `*` IDs.
      read -r -a words <<<"$command"
      r=$(redis-benchmark -p "$port" -c 50 -n "$n" -r 99000 -P "$pipeline" --csv "${words[@]}" 2>/dev/null |
        awk -F'","' 'NR==2 { gsub(/"/,"",$2); print $2 }')
      after=$(cpu_ticks "$pid")
      rps["$name|$who"]+="$r "
      cpu["$name|$who"]+="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }') "
    done
  done
done

ratio_table 12

# Memory of a large stream, each shape in fresh servers (measuring in the
# servers above would count what their allocators kept or gave back from
# the benchmarks).
if [ "$entries" -gt 0 ]; then
  echo
  SONDE=$SONDE scripts/bench-stream-memory.sh "$entries" "$runs"
fi
