#!/usr/bin/env bash
# Benchmark: the RDB engine's streaming consumers on one snapshot of a real
# redis-server (KEYS strings from DEBUG POPULATE plus lists, sets, hashes
# and sorted sets from redis-benchmark), in the same run, alternating,
# median of ROUNDS:
#
#  1. `replica tail --rdb summary` against `--rdb skip` (the same transfer,
#     payload dropped unparsed), diskless and disk-based: wall time from
#     start until the tail reports the snapshot consumed (its JSON line is
#     flushed as soon as the feed goes idle), CPU time and peak RSS of the
#     tail; ratios summary/skip. A real redis-server replica syncing from
#     the same master is the reference: wall time from its start until its
#     link is up (snapshot received and loaded), its CPU time and RSS from
#     its INFO.
#  2. `ring simulate --rdb DUMP` (keys and sizes loaded, one cheap strategy)
#     against `rdb inspect DUMP` (a full scan of the same file) and
#     `redis-check-rdb DUMP`: wall time and peak RSS; ratios.
#
# Usage: scripts/bench-snapshot.sh [ROUNDS (3)] [KEYS (2000000)]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
keys=${2:-2000000}
for tool in redis-server redis-cli redis-benchmark redis-check-rdb python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-snapshot: $tool is missing (scripts/setup.sh installs the redis tools)" >&2; exit 2; }
done
cargo build --release --quiet
sonde=$PWD/target/release/sonde

bench=bench-snapshot
source scripts/bench-servers.sh

mport=$(free_port)
start_server "$mport" "$work/master" --enable-debug-command yes --repl-diskless-sync-delay 0 \
  --repl-ping-replica-period 3600
redis-cli -p "$mport" debug populate "$keys" key 64 >/dev/null
redis-benchmark -p "$mport" -t lpush,sadd,hset,zadd -r $((keys / 4)) -n "$keys" -P 32 -q >/dev/null
redis-cli -p "$mport" save >/dev/null
dump=$work/master/dump.rdb
echo "master: $(redis-cli -p "$mport" dbsize) keys; dump $(stat -c %s "$dump") bytes"

results=$work/results
: >"$results"
# One tail run: mode, sync kind, round. Records wall, cpu, rss.
tail_run() {
  local mode=$1 kind=$2 round=$3 port
  port=$(free_port)
  local t0; t0=$(now)
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$sonde" --format json replica tail "127.0.0.1:$mport" --rdb "$mode" --announce-port "$port" \
    --lag-interval 0 --command set --count 1 >"$work/out" 2>"$work/err" &
  local pid=$!
  until grep -q '"type":"snapshot"' "$work/out"; do sleep 0.01; done
  local t1; t1=$(now)
  redis-cli -p "$mport" set bench-snapshot-done 1 >/dev/null
  wait "$pid"
  read -r _ user sys rss <"$work/time"
  echo "tail $kind $mode $round $(python3 -c "print($t1 - $t0)") $(python3 -c "print($user + $sys)") $rss" >>"$results"
  if [ "$mode" = summary ]; then grep -q '"status":"ok"' "$work/out" || { echo "bench-snapshot: no verified summary:" >&2; cat "$work/out" "$work/err" >&2; exit 2; }; fi
}

replica_run() { # kind round
  local port; port=$(free_port)
  local t0; t0=$(now)
  start_server "$port" "$work/replica$2$1" --replicaof 127.0.0.1 "$mport"
  until redis-cli -p "$port" info replication | tr -d '\r' | grep -q '^master_link_status:up'; do
    sleep 0.01
  done
  local t1; t1=$(now)
  local info; info=$(redis-cli -p "$port" info | tr -d '\r')
  local rss; rss=$(sed -n 's/^used_memory_rss://p' <<<"$info")
  local cpu; cpu=$(python3 -c "print($(sed -n 's/^used_cpu_user://p' <<<"$info") + $(sed -n 's/^used_cpu_sys://p' <<<"$info"))")
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  echo "tail $1 replica $2 $(python3 -c "print($t1 - $t0)") $cpu $((rss / 1024))" >>"$results"
}

for round in $(seq "$rounds"); do
  for kind in diskless disk; do
    if [ "$kind" = diskless ]; then sync=yes; else sync=no; fi
    redis-cli -p "$mport" config set repl-diskless-sync "$sync" >/dev/null
    tail_run skip "$kind" "$round"
    tail_run summary "$kind" "$round"
    replica_run "$kind" "$round"
  done
  for tool in ring inspect check; do
    case $tool in
      ring) cmd=("$sonde" --format json ring simulate --rdb "$dump" --strategy jump --add 0 --lookups 1000 --threads 1) ;;
      inspect) cmd=("$sonde" --format json rdb inspect "$dump") ;;
      check) cmd=(redis-check-rdb "$dump") ;;
    esac
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "${cmd[@]}" >/dev/null 2>&1
    read -r wall user sys rss <"$work/time"
    echo "file $tool - $round $wall $(python3 -c "print($user + $sys)") $rss" >>"$results"
  done
done

python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def ratio(a, b):
    return a / b if b > 0 else float("nan")
def med(group, kind, mode, col):
    v = [float(r[col]) for r in rows if r[0] == group and r[1] == kind and r[2] == mode]
    return statistics.median(v)
print("replica tail, time to consume the snapshot (median of %d):" % len({r[3] for r in rows}))
print("  %-9s %-8s %9s %9s %10s" % ("sync", "mode", "wall s", "cpu s", "rss MiB"))
for kind in ("diskless", "disk"):
    for mode in ("skip", "summary", "replica"):
        print("  %-9s %-8s %9.2f %9.2f %10.1f" % (kind, mode, med("tail", kind, mode, 4),
                                                med("tail", kind, mode, 5),
                                                med("tail", kind, mode, 6) / 1024))
    s, k, r = (med("tail", kind, m, 4) for m in ("summary", "skip", "replica"))
    print("  %s: summary/skip wall %.2f, cpu %.2f; summary/replica wall %.2f" % (
        kind, ratio(s, k), ratio(med("tail", kind, "summary", 5), med("tail", kind, "skip", 5)),
        ratio(s, r)))
print("dump file, keys loaded vs full scans (median):")
for tool, name in (("ring", "ring simulate --rdb"), ("inspect", "rdb inspect"), ("check", "redis-check-rdb")):
    print("  %-20s wall %6.2f s  cpu %6.2f s  rss %7.1f MiB" % (
        name, med("file", tool, "-", 4), med("file", tool, "-", 5), med("file", tool, "-", 6) / 1024))
ring = med("file", "ring", "-", 4)
print("  ring/inspect wall %.2f; ring/redis-check-rdb wall %.2f" % (
    ratio(ring, med("file", "inspect", "-", 4)), ratio(ring, med("file", "check", "-", 4))))
EOF
