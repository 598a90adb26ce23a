#!/usr/bin/env bash
# Client-side caching cost of `sonde serve` against redis-server, in one run
# on this machine, alternating server by server RUNS times:
#
# 1. GET with tracking on: CONNS RESP2 connections, each with CLIENT
#    TRACKING ON REDIRECT to one subscriber of __redis__:invalidate (a
#    redis-cli that reads them), pipeline GETs of random keys out of 10,000
#    in batches of 64, plus one SET of a random key per round (so the
#    tracking table keeps filling and invalidations keep flowing). The load
#    generator is a small Python client that counts reply bytes instead of
#    parsing them (every GET reply has the same size), so it stays ahead of
#    either server. Reports requests/s and server CPU µs per request
#    (utime+stime from /proc/<pid>/stat), medians, and sonde/redis ratios.
# 2. SET with notifications (KEA) and one subscriber: scripts/bench-notify.sh.
#
# Usage: scripts/bench-tracking.sh [RUNS (3)] [REQUESTS (1000000)]
# Environment: SONDE (binary; default: build --release), CONNS (8),
# SKIP_NOTIFY=1 to run part 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
requests=${2:-1000000}
conns=${CONNS:-8}
bench=bench-tracking
source scripts/bench-servers.sh
require_tools redis-server redis-cli redis-benchmark python3
sonde_binary

hz=$(getconf CLK_TCK)

cat >"$work/load.py" <<'EOF'
import random, socket, sys, time

port, total, conns, redirect = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
batch = 64

def command(*words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    return out

def connect():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def read_exactly(s, n):
    got = 0
    while got < n:
        chunk = s.recv(min(1 << 20, n - got))
        if not chunk:
            raise SystemExit("connection closed")
        got += len(chunk)

socks = [connect() for _ in range(conns)]
for s in socks:
    s.sendall(command(b"CLIENT", b"TRACKING", b"ON", b"REDIRECT", redirect.encode()))
    read_exactly(s, 5)
rng = random.Random(1)
# Precomputed batches: GETs of random keys; every value is 8 bytes, so
# each reply is "$8\r\n" + 8 + "\r\n" = 14 bytes.
batches = [b"".join(command(b"GET", b"key:%05d" % rng.randrange(10000)) for _ in range(batch))
           for _ in range(256)]
sets = [command(b"SET", b"key:%05d" % rng.randrange(10000), b"vvvvvvvv") for _ in range(256)]
done = 0
i = 0
start = time.time()
while done < total:
    for s in socks:
        s.sendall(batches[i % 256])
        i += 1
    socks[0].sendall(sets[i % 256])
    for s in socks:
        read_exactly(s, 14 * batch)
    read_exactly(socks[0], 5)
    done += batch * conns + 1
elapsed = time.time() - start
print("%d %.3f" % (done, elapsed))
EOF

declare -A rps cpu
for run in $(seq "$runs"); do
  for server in redis sonde; do
    port=$(free_port)
    if [ "$server" = redis ]; then
      start_server "$port" "$work/redis-$run"
    else
      start_sonde "$port" "$work/sonde-$run"
    fi
    pid=${pids[-1]}
    # The keyspace: key:00000 .. key:09999, 8-byte values.
    python3 - "$port" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
out = b"".join(b"*3\r\n$3\r\nSET\r\n$9\r\nkey:%05d\r\n$8\r\nvvvvvvvv\r\n" % i for i in range(10000))
s.sendall(out)
want, got = 5 * 10000, 0
while got < want:
    got += len(s.recv(1 << 20))
EOF
    # The subscriber: its id is the redirect target.
    python3 - "$port" >"$work/sub-id" <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n")
reply = b""
while not reply.endswith(b"\r\n"):
    reply += s.recv(100)
print(reply[1:-2].decode(), flush=True)
s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$20\r\n__redis__:invalidate\r\n")
while s.recv(1 << 20):
    pass
EOF
    subpid=$!
    pids+=($subpid)
    for _ in $(seq 100); do [ -s "$work/sub-id" ] && break; sleep 0.05; done
    redirect=$(cat "$work/sub-id")
    before=$(cpu_ticks "$pid")
    read -r done secs < <(python3 "$work/load.py" "$port" "$requests" "$conns" "$redirect")
    after=$(cpu_ticks "$pid")
    keys=$(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '/^tracking_total_keys/ {print $2}')
    kill "$subpid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$work/sub-id"
    r=$(awk -v n="$done" -v s="$secs" 'BEGIN {printf "%.0f", n/s}')
    us=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v n="$done" 'BEGIN {printf "%.3f", (a-b)/hz*1e6/n}')
    rps[$server]+="$r "
    cpu[$server]+="$us "
    echo "run $run $server: $r requests/s, server CPU $us µs/request, tracking_total_keys $keys"
  done
done
r_rps=$(tr ' ' '\n' <<<"${rps[redis]}" | grep . | median)
s_rps=$(tr ' ' '\n' <<<"${rps[sonde]}" | grep . | median)
r_cpu=$(tr ' ' '\n' <<<"${cpu[redis]}" | grep . | median)
s_cpu=$(tr ' ' '\n' <<<"${cpu[sonde]}" | grep . | median)
echo "median GET with tracking (REDIRECT, 1 SET per $((64 * conns)) GETs): redis-server $r_rps/s, sonde $s_rps/s, ratio $(awk -v s="$s_rps" -v r="$r_rps" 'BEGIN {printf "%.2f", s/r}')"
echo "median server CPU per request: redis-server ${r_cpu} µs, sonde ${s_cpu} µs, ratio $(awk -v s="$s_cpu" -v r="$r_cpu" 'BEGIN {printf "%.2f", s/r}')"

if [ -z "${SKIP_NOTIFY:-}" ]; then
  echo "SET with notify-keyspace-events KEA and one subscriber:"
  SONDE=$SONDE scripts/bench-notify.sh "$runs" "$requests"
fi
