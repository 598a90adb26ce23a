#!/usr/bin/env bash
# Throughput and memory of `sonde serve` against redis-server, in one run on
# this machine:
#
#   redis-benchmark -q -c 50 -n $N -t $TESTS  with -P 1 and -P 16
#
# ($TESTS: the string commands and the list, set, hash and sorted-set ones)
#
# against both servers started with equivalent settings (persistence off,
# same port family, same client limits), alternating server by server and
# repeating $RUNS times; prints the median requests/s of each and the
# sonde/redis ratio. Then the resident memory of each after
# DEBUG POPULATE $KEYS (small keys), and the slowest single command (from
# SLOWLOG) while filling $FILL keys with pipelined SETs. Then the resident
# memory of each holding $COLLECTIONS hashes of 10 fields, as many sets of
# 10 integers, and $COLLECTIONS/10 lists of 100 items (each loaded alone).
#
# Environment: N (default 1000000), RUNS (3), KEYS (1000000),
# FILL (5000000, 0 to skip), COLLECTIONS (1000000, 0 to skip), SHAPES
# ("hash set list"),
# TESTS (comma-separated redis-benchmark tests), SONDE (binary; default:
# build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
RUNS=${RUNS:-3}
KEYS=${KEYS:-1000000}
FILL=${FILL:-5000000}
COLLECTIONS=${COLLECTIONS:-1000000}
TESTS=${TESTS:-set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600}

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "bench-serve: $tool missing; run scripts/setup.sh" >&2; exit 2; }
done
if [ -z "${SONDE:-}" ]; then
  cargo build --release --quiet
  SONDE=target/release/sonde
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

COMMON=(--bind 127.0.0.1 --save "" --appendonly no --enable-debug-command yes
        --maxclients 10000 --hz 10)
# Start (or restart, stopping the previous pair) both servers.
start_servers() {
  if [ -n "${RPID:-}" ]; then
    kill "$RPID" "$SPID" 2>/dev/null || true
    wait "$RPID" "$SPID" 2>/dev/null || true
  fi
  RPORT=$(free_port)
  redis-server --port "$RPORT" "${COMMON[@]}" --dir "$work" --logfile "$work/redis.log" &
  pids+=($!); RPID=$!
  SPORT=$(free_port)
  "$SONDE" serve --port "$SPORT" "${COMMON[@]}" 2>"$work/sonde.log" &
  pids+=($!); SPID=$!
  for port in "$RPORT" "$SPORT"; do
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
}
start_servers

# One redis-benchmark run: prints "test rps" lines (without the LPUSH that
# only fills the list for the LRANGE tests).
bench() {
  redis-benchmark -p "$1" -q -c 50 -n "$N" -t "$TESTS" -P "$2" --csv 2>/dev/null |
    awk -F'","' 'NR>1 && !/needed/ { gsub(/"/,"",$1); gsub(/"/,"",$2); split($1, name, " "); print name[1], $2 }'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A results
for pipeline in 1 16; do
  for run in $(seq "$RUNS"); do
    for who in redis sonde; do
      port=$RPORT; [ "$who" = sonde ] && port=$SPORT
      redis-cli -p "$port" flushall >/dev/null
      while read -r test rps; do
        results["$pipeline|$test|$who"]+="$rps "
      done < <(bench "$port" "$pipeline")
    done
  done
done

echo
printf '%-6s %-12s %14s %14s %8s\n' "-P" "test" "redis rps" "sonde rps" "ratio"
for pipeline in 1 16; do
  for test in $(tr 'a-z,' 'A-Z ' <<<"$TESTS"); do
    r=$(tr ' ' '\n' <<<"${results["$pipeline|$test|redis"]:-0}" | grep . | median)
    s=$(tr ' ' '\n' <<<"${results["$pipeline|$test|sonde"]:-0}" | grep . | median)
    ratio=$(awk -v s="$s" -v r="$r" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }')
    printf '%-6s %-12s %14s %14s %7sx\n' "$pipeline" "$test" "$r" "$s" "$ratio"
  done
done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo
for who in redis sonde; do
  port=$RPORT; pid=$RPID
  [ "$who" = sonde ] && { port=$SPORT; pid=$SPID; }
  redis-cli -p "$port" flushall >/dev/null
  redis-cli -p "$port" debug populate "$KEYS" >/dev/null
  used=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
  printf 'after DEBUG POPULATE %s: %-5s RSS %6.1f MiB  used_memory %6.1f MiB\n' \
    "$KEYS" "$who" "$(awk -v k="$(rss_kb "$pid")" 'BEGIN{print k/1024}')" \
    "$(awk -v b="$used" 'BEGIN{print b/1048576}')"
  redis-cli -p "$port" flushall >/dev/null
done

if [ "$FILL" -gt 0 ]; then
  echo
  for who in redis sonde; do
    port=$RPORT; [ "$who" = sonde ] && port=$SPORT
    redis-cli -p "$port" flushall >/dev/null
    redis-cli -p "$port" config set slowlog-log-slower-than 1000 >/dev/null
    redis-cli -p "$port" config set slowlog-max-len 100000 >/dev/null
    redis-cli -p "$port" slowlog reset >/dev/null
    # Fill with unique keys, pipelined from one client, then read the
    # slowlog: every command that took over 1 ms, with its duration.
    python3 - "$port" "$FILL" "$who" <<'EOF'
import socket, sys
port, total, who = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
batch = 10000
for start in range(0, total, batch):
    n = min(batch, total - start)
    req = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(k), k)
                   for k in (b"fill:%d" % i for i in range(start, start + n)))
    s.sendall(req)
    want, got = 5 * n, 0
    while got < want:
        got += len(s.recv(1 << 20))
f = s.makefile("rb")
s.sendall(b"SLOWLOG GET -1\r\n")
def read():
    line = f.readline(); kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        return [read() for _ in range(int(rest))]
    if kind == b"$":
        data = f.read(int(rest) + 2)
        return data[:-2]
    if kind == b":":
        return int(rest)
    return rest
durations = sorted(entry[2] for entry in read())
worst = durations[-1] if durations else 0
print(f"filling {total} keys: {who:5} slowest command {worst} us, commands over 1 ms: {len(durations)}")
EOF
    redis-cli -p "$port" flushall >/dev/null
  done
fi

if [ "$COLLECTIONS" -gt 0 ]; then
  echo
  # Load one shape of data with pipelined commands from one client.
  load() {
    python3 - "$1" "$2" "$3" <<'EOF'
import socket, sys
port, shape, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def cmd(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
def make(i):
    if shape == "hash":
        args = [b"HSET", b"hash:%d" % i]
        for f in range(10):
            args += [b"field%d" % f, b"value%d" % (i + f)]
    elif shape == "set":
        args = [b"SADD", b"set:%d" % i] + [b"%d" % (i + m) for m in range(10)]
    else:
        args = [b"RPUSH", b"list:%d" % i] + [b"item:%d" % m for m in range(100)]
    return cmd(args)
s = socket.create_connection(("127.0.0.1", port))
batch = 1000
for start in range(0, total, batch):
    n = min(batch, total - start)
    s.sendall(b"".join(make(i) for i in range(start, start + n)))
    got = 0
    while got < n:
        got += s.recv(1 << 20).count(b"\n")
EOF
  }
  for shape in ${SHAPES:-hash set list}; do
    count=$COLLECTIONS; [ "$shape" = list ] && count=$((COLLECTIONS / 10))
    # Fresh servers: RSS freed by an earlier FLUSHALL is not returned to
    # the system by either allocator.
    start_servers
    for who in redis sonde; do
      port=$RPORT; pid=$RPID
      [ "$who" = sonde ] && { port=$SPORT; pid=$SPID; }
      before=$(rss_kb "$pid")
      load "$port" "$shape" "$count"
      used=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
      printf '%8s %-4s: %-5s RSS %7.1f MiB (grew %7.1f MiB)  used_memory %7.1f MiB  encoding %s\n' \
        "$count" "$shape" "$who" \
        "$(awk -v k="$(rss_kb "$pid")" 'BEGIN{print k/1024}')" \
        "$(awk -v a="$(rss_kb "$pid")" -v b="$before" 'BEGIN{print (a-b)/1024}')" \
        "$(awk -v b="$used" 'BEGIN{print b/1048576}')" \
        "$(redis-cli -p "$port" object encoding "$shape:1")"
    done
  done
fi
