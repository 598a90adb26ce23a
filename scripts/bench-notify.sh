#!/usr/bin/env bash
# SET throughput of `sonde serve` against redis-server with keyspace
# notifications on (notify-keyspace-events KEA) and one subscriber
# psubscribed to every keyspace and keyevent channel, in one run on this
# machine: redis-benchmark -t set -P 16 -c 50, alternating server by
# server, RUNS times. Prints the median requests/s of each, the median
# server CPU seconds per run (utime+stime from /proc/<pid>/stat), and the
# sonde/redis ratios. The subscriber's output goes to /dev/null (its
# reading keeps up; a slow subscriber would be cut off by
# client-output-buffer-limit pubsub in both servers alike).
#
# Usage: scripts/bench-notify.sh [RUNS (3)] [REQUESTS (1000000)]
# Environment: SONDE (binary; default: build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
requests=${2:-1000000}
bench=bench-notify
source scripts/bench-servers.sh
require_tools redis-server redis-cli redis-benchmark python3
sonde_binary

hz=$(getconf CLK_TCK)

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
    redis-cli -p "$port" config set notify-keyspace-events KEA >/dev/null
    redis-cli -p "$port" psubscribe '__keyspace@*__:*' '__keyevent@*__:*' >/dev/null &
    sub=$!
    sleep 0.3
    before=$(cpu_ticks "$pid")
    out=$(redis-benchmark -p "$port" -t set -P 16 -c 50 -n "$requests" -q 2>/dev/null | tr '\r' '\n' | grep -a 'requests per second' | tail -1)
    after=$(cpu_ticks "$pid")
    kill "$sub" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    r=$(awk '{for (i=1;i<=NF;i++) if ($(i+1) ~ /requests/) {print $i; exit}}' <<<"$out")
    rps[$server]+="$r "
    cpu[$server]+="$(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN {printf "%.2f", (a-b)/hz}') "
    echo "run $run $server: $r requests/s, server CPU $(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN {printf "%.2f", (a-b)/hz}') s"
  done
done
r_rps=$(tr ' ' '\n' <<<"${rps[redis]}" | grep . | median)
s_rps=$(tr ' ' '\n' <<<"${rps[sonde]}" | grep . | median)
r_cpu=$(tr ' ' '\n' <<<"${cpu[redis]}" | grep . | median)
s_cpu=$(tr ' ' '\n' <<<"${cpu[sonde]}" | grep . | median)
echo "median SET -P 16, KEA + 1 psubscriber: redis-server $r_rps/s, sonde $s_rps/s, ratio $(awk -v s="$s_rps" -v r="$r_rps" 'BEGIN {printf "%.2f", s/r}')"
echo "median server CPU per $requests SETs: redis-server ${r_cpu}s, sonde ${s_cpu}s, ratio $(awk -v s="$s_cpu" -v r="$r_cpu" 'BEGIN {printf "%.2f", s/r}')"
