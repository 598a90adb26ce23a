#!/usr/bin/env bash
# Persistence of `sonde serve` against redis-server, in one run on this
# machine, alternating server by server, medians of RUNS:
#
#  1. Snapshots of KEYS keys (DEBUG POPULATE KEYS key 32, plus one key in
#     four with an expiry): SAVE time, BGSAVE time (from the command until
#     INFO shows it finished), the file's size, and the load time at
#     startup (from launching the process until DBSIZE answers KEYS).
#  2. BGSAVE under load: redis-benchmark -t set -c 50 runs against the
#     KEYS-key dataset and BGSAVE starts a second into it; the longest
#     command latency of that run (redis-benchmark's max) against SAVE's
#     total time from (1), the fork's own time (latest_fork_usec), and the
#     slowest command the server itself logged (SLOWLOG: execution time
#     only, so without the client's and the scheduler's delays; on a busy
#     machine the client-side maximum is mostly those).
#  3. The AOF: redis-benchmark -t set -P 16 -c 50 with appendfsync
#     everysec and always; requests/s and the server's CPU time per
#     request (utime + stime of all its threads, from /proc), with the
#     sonde/redis ratios. For sonde, the longest write of the AOF by its
#     loop (everysec) and delayed fsyncs.
#
# Usage: scripts/bench-persist.sh [KEYS (1000000)] [RUNS (3)]
# Environment: LOAD_N (redis-benchmark requests in 2, default 1000000),
# AOF_N (requests in 3, default 1000000; `always` uses AOF_N/5),
# AOF_ONLY=1 (only part 3), SONDE (binary; default: build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

keys=${1:-1000000}
runs=${2:-3}
load_n=${LOAD_N:-1000000}
aof_n=${AOF_N:-1000000}
bench=bench-persist
source scripts/bench-servers.sh
require_tools redis-server redis-cli redis-benchmark python3
sonde_binary

# Timing helper: one connection, precise clocks.
cat >"$work/t.py" <<'EOF'
import socket, sys, time

def connect(port, deadline):
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=600)
            return s, s.makefile("rb")
        except OSError:
            if time.time() > deadline:
                sys.exit(f"no server on {port}")
            time.sleep(0.002)

def call(s, f, *args):
    s.sendall(b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args)))
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return f.read(n + 2)[:-2].decode() if n >= 0 else None
    return line[:-2].decode()

def info(s, f, field):
    for l in call(s, f, "INFO", "persistence").splitlines():
        if l.startswith(field + ":"):
            return l.split(":", 1)[1]

what, port = sys.argv[1], int(sys.argv[2])
if what == "load":  # seconds from START (epoch) until DBSIZE == KEYS
    start, want = float(sys.argv[3]), int(sys.argv[4])
    deadline = start + 600
    while True:
        s, f = connect(port, deadline)
        try:
            while True:
                r = call(s, f, "DBSIZE")
                if r == ":%d" % want:
                    print("%.3f" % (time.time() - start)); sys.exit(0)
                if r.startswith(":"):
                    sys.exit(f"DBSIZE {r}, expected {want}")
                time.sleep(0.002)  # -LOADING
        except (OSError, ConnectionError):
            time.sleep(0.002)
s, f = connect(port, time.time() + 10)
if what == "save":
    t = time.time(); r = call(s, f, "SAVE")
    assert r == "+OK", r
    print("%.3f" % (time.time() - t))
elif what == "slowmax":  # the longest command in SLOWLOG (us)
    s.sendall(b"*3\r\n$7\r\nSLOWLOG\r\n$3\r\nGET\r\n$5\r\n10000\r\n")
    def read():
        line = f.readline(); kind, rest = line[:1], line[1:-2]
        if kind == b"*":
            return [read() for _ in range(int(rest))]
        if kind == b"$":
            return f.read(int(rest) + 2)[:-2]
        return int(rest) if kind == b":" else rest
    print(max([e[2] for e in read()] + [0]))
elif what == "bgsave":  # optional delay before BGSAVE
    time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0)
    t = time.time(); r = call(s, f, "BGSAVE")
    assert r.startswith("+Background saving started"), r
    while info(s, f, "rdb_bgsave_in_progress") != "0":
        time.sleep(0.005)
    assert info(s, f, "rdb_last_bgsave_status") == "ok"
    print("%.3f" % (time.time() - t))
EOF
py() { python3 "$work/t.py" "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
field() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }

COMMON=(--bind 127.0.0.1 --save "" --appendonly no --enable-debug-command yes --hz 10)
server_pid=
start() { # who port dir extra...
  local who=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  if [ "$who" = redis ]; then
    redis-server --port "$port" "${COMMON[@]}" --dir "$dir" --logfile redis.log "$@" >/dev/null 2>&1 &
  else
    "$SONDE" serve --port "$port" "${COMMON[@]}" --dir "$dir" "$@" 2>>"$dir/sonde.log" &
  fi
  server_pid=$!
  pids+=("$server_pid")
}
stop() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
ready() { for _ in $(seq 400); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return; sleep 0.05; done
          echo "$bench: server on $1 did not start" >&2; exit 2; }
populate() { # port
  redis-cli -p "$1" debug populate "$keys" key 32 >/dev/null
  # One key in four gets an expiry a day out (they are saved and loaded).
  python3 - "$1" "$keys" <<'EOF'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
for start in range(0, n, 40000):
    keys = [b"key:%d" % i for i in range(start, min(n, start + 40000), 4)]
    s.sendall(b"".join(b"*3\r\n$6\r\nEXPIRE\r\n$%d\r\n%s\r\n$5\r\n86400\r\n" % (len(k), k) for k in keys))
    want, got = 4 * len(keys), 0
    while got < want:
        got += len(s.recv(1 << 20))
EOF
}

declare -A r
echo "$bench: $keys keys, $runs runs, sonde $("$SONDE" --version | awk '{print $2}') vs redis-server $(redis-server --version | awk '{sub("v=", "", $3); print $3}')"

# 1 and 2: snapshots, and BGSAVE under load.
for run in $(seq "$runs"); do
  [ -n "${AOF_ONLY:-}" ] && break
  for who in redis sonde; do
    dir=$work/$who-$run; port=$(free_port)
    start "$who" "$port" "$dir"; ready "$port"
    populate "$port"
    r[save|$who]+="$(py save "$port") "
    r[bgsave|$who]+="$(py bgsave "$port") "
    r[size|$who]+="$(stat -c %s "$dir/dump.rdb") "
    stop
    # Load what BGSAVE wrote (SAVE's twin).
    port=$(free_port); t0=$(now)
    start "$who" "$port" "$dir"
    r[load|$who]+="$(py load "$port" "$t0" "$keys") "
    # BGSAVE a second into a write load on the loaded dataset.
    redis-cli -p "$port" config set slowlog-log-slower-than 1000 >/dev/null
    redis-cli -p "$port" config set slowlog-max-len 10000 >/dev/null
    redis-cli -p "$port" slowlog reset >/dev/null
    csv=$work/$who-$run.csv
    redis-benchmark -p "$port" -q -c 50 -n "$load_n" -t set -r "$keys" -d 32 --csv >"$csv" 2>/dev/null &
    bpid=$!
    py bgsave "$port" 1 >/dev/null
    wait "$bpid"
    r[max|$who]+="$(awk -F'","' 'NR == 2 { gsub(/"/, "", $8); print $8 }' "$csv") "
    r[fork|$who]+="$(field "$port" stats latest_fork_usec) "
    r[slow|$who]+="$(py slowmax "$port") "
    stop
    rm -rf "$dir"
  done
done

# 3: the AOF under pipelined writes.
for policy in everysec always; do
  n=$aof_n; [ "$policy" = always ] && n=$((aof_n / 5))
  for run in $(seq "$runs"); do
    for who in redis sonde; do
      dir=$work/aof-$who-$run; port=$(free_port)
      start "$who" "$port" "$dir" --appendonly yes --appendfsync "$policy"; ready "$port"
      t0=$(cpu_ticks "$server_pid")
      rps=$(redis-benchmark -p "$port" -q -c 50 -n "$n" -t set -P 16 -r 1000000 --csv 2>/dev/null |
        awk -F'","' 'NR == 2 { print $2 }')
      t1=$(cpu_ticks "$server_pid")
      r[aof-$policy|$who]+="$rps "
      # Clock ticks of 10 ms to microseconds per request.
      r[aofcpu-$policy|$who]+="$(awk -v t="$((t1 - t0))" -v n="$n" 'BEGIN { printf "%.3f", t * 10000 / n }') "
      r[delayed-$policy|$who]+="$(field "$port" persistence aof_delayed_fsync) "
      if [ "$who" = sonde ]; then
        r[write-$policy|$who]+="$(field "$port" persistence sonde_aof_max_write_usec) "
      fi
      stop
      rm -rf "$dir"
    done
  done
done

# (awk 'NF' rather than grep: a measure not taken, AOF_ONLY, is empty.)
m() { tr ' ' '\n' <<<"${r[$1]:-}" | awk 'NF' | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }
mx() { tr ' ' '\n' <<<"${r[$1]:-}" | awk 'NF' | sort -g | tail -1; }
echo
printf '%-44s %12s %12s %8s\n' "measure (median of $runs)" redis sonde "sonde/redis"
row() { # label key unit
  local a b; a=$(m "$2|redis"); b=$(m "$2|sonde")
  printf '%-44s %12s %12s %7sx\n' "$1" "$a" "$b" "$(ratio "$b" "$a")"
}
row "SAVE $keys keys (s, lower is better)" save
row "BGSAVE $keys keys (s)" bgsave
row "snapshot size (bytes)" size
row "load at startup (s)" load
row "fork time (latest_fork_usec)" fork
row "max latency, BGSAVE under -t set (ms)" max
row "slowest command then, SLOWLOG (us)" slow
row "AOF everysec -t set -P 16 (rps)" aof-everysec
row "AOF everysec -t set -P 16 (CPU us/req)" aofcpu-everysec
row "AOF always -t set -P 16 (rps)" aof-always
row "AOF always -t set -P 16 (CPU us/req)" aofcpu-always
echo
printf 'time ratios: sonde/redis above 1 means sonde is slower; rps ratio above 1 means sonde is faster\n'
printf 'longest command during BGSAVE vs SAVE total: redis %s ms vs %s s, sonde %s ms vs %s s\n' \
  "$(m "max|redis")" "$(m "save|redis")" "$(m "max|sonde")" "$(m "save|sonde")"
printf 'sonde loop write of the AOF (everysec), worst over runs: %s us\n' \
  "$(mx "write-everysec|sonde")"
printf 'delayed fsyncs (max over runs): everysec redis %s sonde %s\n' \
  "$(mx "delayed-everysec|redis")" "$(mx "delayed-everysec|sonde")"
