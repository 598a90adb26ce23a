#!/usr/bin/env bash
# SORT, GEO, HyperLogLog and BITFIELD of `sonde serve` against redis-server,
# in one run on this machine, alternating server by server, medians of RUNS.
#
# Each test is one redis-benchmark custom command (-c 50, N requests); for
# each run the script records requests/s and the server's own CPU time
# (user + system from /proc/<pid>/stat) per request. The ratio columns are
# sonde/redis for requests/s and redis/sonde for CPU per request: above 1.0
# means sonde is faster or cheaper.
#
# Datasets (built once on both servers before the runs):
#   geo1m   GEOADD of GEO_MEMBERS (1,000,000) random points in a 10°×10° box
#   list1k  a 1,000-element list and one weight key w_<n> per element
#   hll     PFADD of 100,000 elements (dense), hll2 a second one
#
# Usage: scripts/bench-datacmds.sh [N (100000)] [RUNS (3)]
# Environment: GEO_MEMBERS, SONDE (binary; default: build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-100000}
runs=${2:-3}
geo_members=${GEO_MEMBERS:-1000000}
bench=bench-datacmds
source scripts/bench-servers.sh
require_tools redis-server redis-cli redis-benchmark python3
sonde_binary
COMMON=(--bind 127.0.0.1 --save "" --appendonly no)
start_pair "${COMMON[@]}"

# The datasets, pipelined over one connection per server.
for port in "$RPORT" "$SPORT"; do
  python3 - "$port" "$geo_members" <<'PY'
import random, socket, sys
port, members = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
def send(reqs):
    s.sendall(b"".join(reqs))
    want = len(reqs)
    buf = b""
    while buf.count(b"\r\n") < want:
        buf += s.recv(1 << 20)
rng = random.Random(7)
batch = []
for i in range(members):
    batch.append(cmd("GEOADD", "geo1m", "%.6f" % rng.uniform(10, 20), "%.6f" % rng.uniform(35, 45), "m%d" % i))
    if len(batch) == 10000:
        send(batch); batch = []
for i in range(1000):
    batch.append(cmd("RPUSH", "list1k", i))
    batch.append(cmd("SET", "w_%d" % i, rng.randint(0, 1 << 30)))
for chunk in range(0, 100000, 1000):
    batch.append(cmd("PFADD", "hll", *("e%d" % j for j in range(chunk, chunk + 1000))))
    batch.append(cmd("PFADD", "hll2", *("f%d" % j for j in range(chunk, chunk + 1000))))
send(batch)
PY
done
for port in "$RPORT" "$SPORT"; do
  [ "$(redis-cli -p "$port" zcard geo1m)" = "$geo_members" ] || { echo "$bench: loading geo1m failed on port $port" >&2; exit 2; }
done

TESTS=(
  "PFADD|PFADD hllbench __rand_int__"
  "PFCOUNT|PFCOUNT hll"
  "PFCOUNT-2keys|PFCOUNT hll hll2"
  "GEOADD|GEOADD geobench 13.__rand_int__ 38.__rand_int__ m__rand_int__"
  "GEOSEARCH-5km|GEOSEARCH geo1m FROMLONLAT 15.1 40.2 BYRADIUS 5 km ASC COUNT 10"
  "SORT-BY-1k|SORT list1k BY w_* LIMIT 0 10"
  "BITFIELD-INCRBY|BITFIELD bf INCRBY u32 #100 1 INCRBY i16 #7 -3"
)

hz=$(getconf CLK_TCK)
declare -A rps cpu
for run in $(seq "$runs"); do
  for entry in "${TESTS[@]}"; do
    name=${entry%%|*}; command=${entry#*|}
    for who in redis sonde; do
      port=$RPORT; pid=$RPID
      [ "$who" = sonde ] && { port=$SPORT; pid=$SPID; }
      before=$(cpu_ticks "$pid")
      # shellcheck disable=SC2086
      r=$(redis-benchmark -p "$port" -c 50 -n "$n" -r 100000 --csv $command 2>/dev/null |
        awk -F'","' 'NR==2 { gsub(/"/,"",$2); print $2 }')
      after=$(cpu_ticks "$pid")
      rps["$name|$who"]+="$r "
      cpu["$name|$who"]+="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }') "
    done
  done
done

ratio_table 16
