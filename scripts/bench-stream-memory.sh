#!/usr/bin/env bash
# Memory of a large stream in `sonde serve` against redis-server, in one run
# on this machine: medians of RUNS, each run a fresh server of each kind.
#
# For each shape, each server is started empty, ENTRIES entries are added
# with pipelined XADDs (batches of 10,000, every reply read), and the script
# records the growth of the process's RSS (VmRSS from /proc), the growth of
# INFO's used_memory and MEMORY USAGE of the key. Ratios are sonde/redis:
# at or below 1.0 means sonde uses no more memory than redis-server.
#
#   small    XADD s * field value                 (one field, the same value)
#   three    XADD s * user u<9 digits> action a<9 digits> target t<9 digits>
#                                                 (three fields, ~10-byte values)
#   numbers  XADD s * item <i> name x<i>          (an integer and a short string)
#
# used_memory is not quite the same measure on both sides: redis-server
# counts jemalloc's size classes, sonde the bytes it asked for; RSS growth
# is what the machine pays.
#
# Usage: scripts/bench-stream-memory.sh [ENTRIES (1000000)] [RUNS (3)]
# Environment: SHAPES ("small three numbers"), SONDE (binary; default: build
# --release), PORT (the loopback port the servers take in turn; default: a
# free one).
set -euo pipefail
cd "$(dirname "$0")/.."

entries=${1:-1000000}
runs=${2:-3}
shapes=${SHAPES:-small three numbers}
bench=bench-stream-memory
source scripts/bench-servers.sh
require_tools redis-server redis-cli python3
sonde_binary
port=${PORT:-$(free_port)}

# Pipelined loader: `load.py port shape count`.
cat >"$work/load.py" <<'PY'
import socket, sys
port, shape, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
def send(reqs):
    s.sendall(b"".join(reqs))
    # Every XADD answers with its ID as a bulk string: two CRLFs each.
    want, buf = 2 * len(reqs), bytearray()
    while buf.count(b"\r\n") < want:
        chunk = s.recv(1 << 20)
        if not chunk:
            sys.exit("connection closed while loading")
        buf += chunk
    if buf.startswith(b"-"):
        sys.exit("error: " + bytes(buf[:200]).decode(errors="replace"))
batch = []
for i in range(1, count + 1):
    if shape == "small":
        batch.append(cmd("XADD", "s", "*", "field", "value"))
    elif shape == "three":
        batch.append(cmd("XADD", "s", "*", "user", "u%09d" % i, "action",
                         "a%09d" % (i * 7 % 1000003), "target", "t%09d" % (i * 13 % 999983)))
    else:
        batch.append(cmd("XADD", "s", "*", "item", i, "name", "x%d" % i))
    if len(batch) == 10000:
        send(batch); batch = []
if batch:
    send(batch)
PY

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
used_memory() { redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }

# measure WHO SHAPE: start a fresh server, load the stream, write
# "rss-growth used-memory-growth memory-usage" to $work/measured, stop the
# server.
measure() {
  local who=$1 shape=$2 pid rss0 rss1 um0 um1 usage
  if [ "$who" = redis ]; then
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
      --logfile "$work/redis.log" &
  else
    "$SONDE" serve --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
      >"$work/sonde.log" 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  wait_ping "$port"
  rss0=$(rss_kb "$pid"); um0=$(used_memory)
  python3 "$work/load.py" "$port" "$shape" "$entries"
  rss1=$(rss_kb "$pid"); um1=$(used_memory)
  usage=$(redis-cli -p "$port" memory usage s)
  [ "$(redis-cli -p "$port" xlen s)" = "$entries" ] || { echo "$bench: loading $shape failed on $who" >&2; exit 2; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (rss1 - rss0) * 1024 )) $((um1 - um0)) $usage" >"$work/measured"
}

declare -A samples
for run in $(seq "$runs"); do
  for shape in $shapes; do
    for who in redis sonde; do
      measure "$who" "$shape"
      read -r rss um usage <"$work/measured"
      samples["$shape|rss|$who"]+="$rss "
      samples["$shape|used|$who"]+="$um "
      samples["$shape|usage|$who"]+="$usage "
    done
  done
done

printf '%-8s %-13s %14s %14s %7s\n' shape measure redis sonde ratio
for shape in $shapes; do
  for what in rss used usage; do
    label="RSS growth"
    [ "$what" = used ] && label="used_memory"
    [ "$what" = usage ] && label="MEMORY USAGE"
    r=$(tr ' ' '\n' <<<"${samples["$shape|$what|redis"]}" | median)
    s=$(tr ' ' '\n' <<<"${samples["$shape|$what|sonde"]}" | median)
    printf '%-8s %-13s %14s %14s %6sx\n' "$shape" "$label" "$r" "$s" \
      "$(awk -v a="$s" -v b="$r" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
  done
done
