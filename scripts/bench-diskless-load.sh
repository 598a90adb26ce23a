#!/usr/bin/env bash
# A replica's diskless load over an empty dataset (repl-diskless-load
# on-empty-db), `sonde serve` against redis-server, in one run on this
# machine: one redis-server master (diskless sync, no delay) holding
# DEBUG POPULATE $KEYS keys of $SIZE bytes; then, alternating, $RUNS times
# each, an empty replica of each kind is started and pointed at it. For
# each sync: the wall time from REPLICAOF to master_link_status:up, and the
# replica's CPU time (utime+stime from /proc) over it; while it loads, a
# PING every 50 ms measures how long a client waits for its (-LOADING)
# reply. Prints the medians and the sonde/redis ratios; both replicas must
# end with the master's key count.
#
# Environment: KEYS (default 1000000), SIZE (100), RUNS (3), SONDE
# (binary; default: build --release), PORT_BASE (ports PORT_BASE..+2
# instead of free ones).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=bench-diskless-load

KEYS=${KEYS:-1000000}
SIZE=${SIZE:-100}
RUNS=${RUNS:-3}
source scripts/bench-servers.sh
require_tools redis-server redis-cli python3
sonde_binary

port() { if [ -n "${PORT_BASE:-}" ]; then echo $((PORT_BASE + $1)); else free_port; fi; }
M=$(port 0)
mkdir -p "$work/m"
redis-server --port "$M" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/m" \
  --repl-diskless-sync yes --repl-diskless-sync-delay 0 --enable-debug-command local \
  >/dev/null 2>&1 &
pids+=($!)
wait_ping "$M"
redis-cli -p "$M" DEBUG POPULATE "$KEYS" key "$SIZE" >/dev/null

# one KIND PORT: start an empty replica of KIND, sync it, print
# "seconds cpu_seconds ping_wait_ms_max ping_wait_ms_median".
one() {
  local kind=$1 p=$2 dir="$work/$1-$2-$RANDOM" pid
  mkdir -p "$dir"
  if [ "$kind" = redis ]; then
    redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
      --repl-diskless-load on-empty-db >/dev/null 2>&1 &
  else
    "$SONDE" serve --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
      --repl-diskless-load on-empty-db >/dev/null 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  wait_ping "$p"
  python3 - "$p" "$M" "$pid" <<'PY'
import os, socket, statistics, sys, time
port, master, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def call(s, *args):
    s.sendall(b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in args]))
    data = b""
    while True:
        data += s.recv(1 << 16)
        if data.startswith((b"+", b"-", b":")) and data.endswith(b"\r\n"):
            return data
        if data.startswith(b"$"):
            head, _, rest = data.partition(b"\r\n")
            if len(rest) >= int(head[1:]) + 2:
                return rest[: int(head[1:])]
s = socket.create_connection(("127.0.0.1", port))
c0, t0 = cpu(), time.monotonic()
call(s, b"REPLICAOF", b"127.0.0.1", str(master).encode())
waits = []
while True:
    a = time.monotonic()
    reply = call(s, b"PING")
    if reply.startswith(b"-LOADING"):
        waits.append((time.monotonic() - a) * 1000)
    info = call(s, b"INFO", b"replication")
    if b"master_link_status:up" in info:
        break
    time.sleep(0.05)
t1, c1 = time.monotonic(), cpu()
print(f"{t1 - t0:.3f} {c1 - c0:.2f} {max(waits, default=0):.0f} "
      f"{statistics.median(waits) if waits else 0:.0f}")
PY
  local n
  n=$(redis-cli -p "$p" DBSIZE)
  [ "$n" = "$KEYS" ] || { echo "$bench: $kind replica holds $n keys, not $KEYS" >&2; exit 1; }
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

declare -A secs cpu waitmax
RP=$(port 1); SP=$(port 2)
for run in $(seq "$RUNS"); do
  for kind in redis sonde; do
    [ "$kind" = redis ] && p=$RP || p=$SP
    read -r s c wm _ < <(one "$kind" "$p")
    echo "run $run $kind: ${s}s to link up, replica CPU ${c}s, longest -LOADING wait ${wm} ms" >&2
    secs[$kind]+="$s "; cpu[$kind]+="$c "; waitmax[$kind]+="$wm "
  done
done
med() { tr ' ' '\n' <<<"$1" | median; }
printf "%-22s %10s %10s %7s\n" "$KEYS keys of $SIZE B" redis sonde ratio
for what in secs cpu waitmax; do
  declare -n arr=$what
  r=$(med "${arr[redis]}"); s=$(med "${arr[sonde]}")
  printf "%-22s %10s %10s %6sx\n" "$what" "$r" "$s" \
    "$(awk -v a="$s" -v b="$r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
