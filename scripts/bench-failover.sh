#!/usr/bin/env bash
# Failover time under Redis Sentinel, sonde group against redis-server group
# in one run on this machine. Each group is a master and two replicas
# watched by three redis-sentinel processes (quorum 2,
# down-after-milliseconds 1000, failover-timeout 4000). Two writers SET
# keys on the master and confirm each with `WAIT 1 1000` (a write is
# acknowledged when WAIT reports a replica has it), following the master
# that Sentinel names. After a second of writes the master is SIGKILLed; a
# probe then asks a sentinel for the master every 10 ms and tries a SET on
# it: the time from the kill to the first SET a new master accepts is the
# failover time. Once the writers have run one more second on the new
# master, every acknowledged key is looked up there: the ones missing are
# acknowledged writes lost (the goal is 0).
#
# The groups alternate (sonde first in odd runs), $RUNS times each; prints
# one line per run, then the median failover time of each kind, their
# ratio, and the acknowledged writes and losses summed over the runs.
#
# Environment: RUNS (default 3), SONDE (binary; default: build --release),
# KINDS (default "sonde redis"; "sonde" alone runs only the sonde group).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=bench-failover

RUNS=${RUNS:-3}
KINDS=${KINDS:-sonde redis}
source scripts/bench-servers.sh
require_tools redis-server redis-sentinel redis-cli python3
sonde_binary

# start_node kind port dir extra... ; sets node_pid
start_node() {
  local kind=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  local args=(--port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir"
              --repl-diskless-sync-delay 0 "$@")
  if [ "$kind" = sonde ]; then
    "$SONDE" serve "${args[@]}" >"$dir/node.log" 2>&1 &
  else
    redis-server "${args[@]}" >"$dir/node.log" 2>&1 &
  fi
  node_pid=$!
  pids+=("$node_pid")
  wait_ping "$port"
}

start_sentinel() { # port dir master_port
  local port=$1 dir=$2 master=$3
  mkdir -p "$dir"
  cat >"$dir/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
daemonize no
dir $dir
logfile $dir/sentinel.log
sentinel monitor grp 127.0.0.1 $master 2
sentinel down-after-milliseconds grp 1000
sentinel failover-timeout grp 4000
sentinel parallel-syncs grp 2
EOF
  redis-sentinel "$dir/sentinel.conf" >/dev/null 2>&1 &
  pids+=($!)
  wait_ping "$port"
}

# The writers, the kill and the probe. Arguments: master port, master pid,
# sentinel ports. Prints "failover_ms acked lost".
driver=$(cat <<'PY'
import os, signal, socket, sys, threading, time

master_port, master_pid = int(sys.argv[1]), int(sys.argv[2])
sentinels = [int(p) for p in sys.argv[3:]]

def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

class Conn:
    def __init__(self, port, timeout=2.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.s.makefile("rb")
    def call(self, *args):
        self.s.sendall(encode(*args))
        return self.read()
    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2].decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)
    def close(self):
        self.s.close()

def master_addr():
    for port in sentinels:
        try:
            c = Conn(port, 0.5)
            addr = c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "grp")
            c.close()
            if addr:
                return int(addr[1])
        except Exception:
            pass
    return None

def ready():
    for port in sentinels:
        try:
            c = Conn(port, 0.5)
            fields = c.call("SENTINEL", "MASTER", "grp")
            c.close()
            info = dict(zip(fields[::2], fields[1::2]))
            if info.get("num-slaves") != "2" or info.get("num-other-sentinels") != "2":
                return False
        except Exception:
            return False
    return True

deadline = time.monotonic() + 60
while not ready():
    if time.monotonic() > deadline:
        sys.exit("the sentinels did not see the whole group in 60 s")
    time.sleep(0.1)

stop = threading.Event()
acked = [[] for _ in range(2)]

def writer(w):
    conn, n = None, 0
    while not stop.is_set():
        try:
            if conn is None:
                port = master_addr()
                if port is None:
                    time.sleep(0.05)
                    continue
                conn = Conn(port)
            key = "w%d:%d" % (w, n)
            conn.call("SET", key, n)
            n += 1
            if conn.call("WAIT", 1, 1000) >= 1:
                acked[w].append(key)
        except Exception:
            if conn:
                conn.close()
            conn = None
            time.sleep(0.05)

threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
for t in threads:
    t.start()
time.sleep(1.0)
os.kill(master_pid, signal.SIGKILL)
killed = time.monotonic()
elapsed = None
while time.monotonic() - killed < 60:
    port = master_addr()
    if port is not None and port != master_port:
        try:
            c = Conn(port, 0.5)
            if c.call("SET", "probe", "1") == "OK":
                elapsed = time.monotonic() - killed
                c.close()
                break
            c.close()
        except Exception:
            pass
    time.sleep(0.01)
if elapsed is None:
    stop.set()
    sys.exit("no new master accepted a write within 60 s")
time.sleep(1.0)
stop.set()
for t in threads:
    t.join()
new = Conn(master_addr())
keys = [k for a in acked for k in a]
lost = sum(1 for k in keys if new.call("EXISTS", k) == 0)
print("%.0f %d %d" % (elapsed * 1000, len(keys), lost))
PY
)

stop_group() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# Runs in a subshell (its output is captured): it stops its own processes.
run_group() { # kind run
  trap stop_group EXIT
  local kind=$1 run=$2 root="$work/$1-$2" ports=() mpid
  for i in 0 1 2; do ports+=("$(free_port)"); done
  start_node "$kind" "${ports[0]}" "$root/n0"; mpid=$node_pid
  start_node "$kind" "${ports[1]}" "$root/n1" --replicaof 127.0.0.1 "${ports[0]}"
  start_node "$kind" "${ports[2]}" "$root/n2" --replicaof 127.0.0.1 "${ports[0]}"
  local sports=()
  for i in 0 1 2; do
    local p; p=$(free_port); sports+=("$p")
    start_sentinel "$p" "$root/s$i" "${ports[0]}"
  done
  local out
  if ! out=$(python3 -c "$driver" "${ports[0]}" "$mpid" "${sports[@]}"); then
    echo "$bench: the $kind group failed to fail over; logs in $root" >&2
    tail -n 20 "$root"/s0/sentinel.log >&2
    exit 1
  fi
  echo "$kind $out"
}

results=()
printf '%-6s %4s %12s %7s %5s\n' kind run failover_ms acked lost
for run in $(seq "$RUNS"); do
  order=$KINDS
  if [ $((run % 2)) -eq 0 ]; then order=$(printf '%s\n' $KINDS | tac | xargs); fi
  for kind in $order; do
    line=$(run_group "$kind" "$run") || exit 1
    results+=("$line")
    read -r k ms acked lost <<<"$line"
    printf '%-6s %4s %12s %7s %5s\n' "$k" "$run" "$ms" "$acked" "$lost"
  done
done

printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
med = {}
for kind in ("sonde", "redis"):
    r = [x for x in rows if x[0] == kind]
    if not r:
        continue
    med[kind] = statistics.median(float(x[1]) for x in r)
    print("%s: median failover %.0f ms over %d runs; acknowledged writes %d, lost %d"
          % (kind, med[kind], len(r), sum(int(x[2]) for x in r), sum(int(x[3]) for x in r)))
if len(med) == 2:
    print("sonde/redis failover time ratio: %.2f" % (med["sonde"] / med["redis"]))
'
