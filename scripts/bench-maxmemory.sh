#!/usr/bin/env bash
# `sonde serve` as a cache against redis-server, in one run on this machine,
# alternating server by server, RUNS times, medians printed with ratios:
#
# 1. maxmemory 100mb, allkeys-lru: redis-benchmark -t set -r 10000000 -d 100
#    -P 16 -c 50 -n REQUESTS (far more distinct keys than fit: every SET past
#    the limit evicts). Server CPU time per request (utime+stime from
#    /proc/<pid>/stat around the run), requests/s, and the highest
#    used_memory sampled every 0.2 s during the run (must stay at or under
#    100mb plus a little: eviction runs before each command).
# 2. A read-heavy Zipf workload (scripts/zipf-cache.py: GET, SET on a miss,
#    100,000 keys, alpha 1.0, 100-byte values) with maxmemory = the server's
#    used memory at start + 4mb, under allkeys-lru and allkeys-lfu: the hit
#    ratio after warm-up, and the keys held at the end. sonde holds more
#    keys in the same room, so it runs once more with its budget scaled to
#    hold redis-server's key count: that compares the eviction
#    approximations alone.
#
# Usage: scripts/bench-maxmemory.sh [RUNS (3)] [REQUESTS (2000000)]
# Environment: SONDE (binary; default: build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
requests=${2:-2000000}
bench=bench-maxmemory
source scripts/bench-servers.sh
require_tools redis-server redis-cli redis-benchmark python3
sonde_binary

ratio() { awk -v s="$1" -v r="$2" 'BEGIN {printf "%.2f", s/r}'; }
used_memory() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory" {print $2}'; }
hz=$(getconf CLK_TCK)

start() { # server port dir extra...
  local server=$1 port=$2 dir=$3; shift 3
  if [ "$server" = redis ]; then
    start_server "$port" "$dir" "$@"
  else
    mkdir -p "$dir"
    "$SONDE" serve --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" "$@" \
      >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
    echo "$bench: sonde on $port did not start" >&2; exit 2
  fi
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

rss_peak() { awk '$1=="VmHWM:" {print $2}' "/proc/$1/status"; }

declare -A us rps peak hit held rss zrss zus held_now
limit=$((100 * 1024 * 1024))
for run in $(seq "$runs"); do
  for server in redis sonde; do
    port=$(free_port)
    start "$server" "$port" "$work/$server-set-$run" --maxmemory 100mb --maxmemory-policy allkeys-lru
    pid=${pids[-1]}
    (
      top=0
      while kill -0 "$pid" 2>/dev/null; do
        m=$(used_memory "$port" 2>/dev/null || echo 0)
        [ -n "$m" ] && [ "$m" -gt "$top" ] && top=$m && echo "$top" >"$work/peak-$server-$run"
        sleep 0.2
      done
    ) &
    sampler=$!
    before=$(cpu_ticks "$pid")
    out=$(redis-benchmark -p "$port" -t set -r 10000000 -d 100 -P 16 -c 50 -n "$requests" -q 2>/dev/null \
      | tr '\r' '\n' | grep -a 'requests per second' | tail -1)
    after=$(cpu_ticks "$pid")
    rk=$(rss_peak "$pid")
    sleep 0.3
    evicted=$(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '$1=="evicted_keys" {print $2}')
    stop "$pid"
    stop "$sampler"
    r=$(awk '{for (i=1;i<=NF;i++) if ($(i+1) ~ /requests/) {print $i; exit}}' <<<"$out")
    u=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v n="$requests" 'BEGIN {printf "%.3f", (a-b)/hz*1e6/n}')
    p=$(cat "$work/peak-$server-$run" 2>/dev/null || echo 0)
    rps[$server]+="$r "; us[$server]+="$u "; peak[$server]+="$p "; rss[$server]+="$rk "
    echo "run $run $server SET past 100mb: $r requests/s, $u CPU us/request, peak used_memory $p, peak RSS ${rk} kB, evicted $evicted"
  done
  for policy in allkeys-lru allkeys-lfu; do
    for server in redis sonde; do
      port=$(free_port)
      start "$server" "$port" "$work/$server-zipf-$policy-$run"
      pid=${pids[-1]}
      base=$(used_memory "$port")
      redis-cli -p "$port" config set maxmemory-policy "$policy" >/dev/null
      redis-cli -p "$port" config set maxmemory $((base + 4 * 1024 * 1024)) >/dev/null
      before=$(cpu_ticks "$pid")
      zout=$(python3 scripts/zipf-cache.py --port "$port" --seed "$run")
      after=$(cpu_ticks "$pid")
      h=$(awk '{print $2}' <<<"$zout")
      n=$(awk '{print $4}' <<<"$zout")
      k=$(redis-cli -p "$port" dbsize)
      rk=$(rss_peak "$pid")
      zu=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v n="$n" 'BEGIN {printf "%.2f", (a-b)/hz*1e6/n}')
      zrss[$server-$policy]+="$rk "; zus[$server-$policy]+="$zu "
      stop "$pid"
      hit[$server-$policy]+="$h "; held[$server-$policy]+="$k "
      echo "run $run $server zipf $policy: hit ratio $h%, $k keys held, peak RSS ${rk} kB, $zu CPU us/request"
      held_now[$server]=$k
    done
    # sonde holds more keys in the same 4 MB; to compare the eviction
    # approximations alone, sonde runs again with its budget scaled to
    # hold as many keys as redis-server held.
    budget=$(awk -v r="${held_now[redis]}" -v s="${held_now[sonde]}" 'BEGIN {printf "%d", 4*1024*1024*r/s}')
    port=$(free_port)
    start sonde "$port" "$work/sonde-zipf-equal-$policy-$run"
    pid=${pids[-1]}
    base=$(used_memory "$port")
    redis-cli -p "$port" config set maxmemory-policy "$policy" >/dev/null
    redis-cli -p "$port" config set maxmemory $((base + budget)) >/dev/null
    zout=$(python3 scripts/zipf-cache.py --port "$port" --seed "$run")
    h=$(awk '{print $2}' <<<"$zout")
    k=$(redis-cli -p "$port" dbsize)
    stop "$pid"
    hit[equal-$policy]+="$h "; held[equal-$policy]+="$k "
    echo "run $run sonde zipf $policy, budget $budget bytes for redis-server's key count: hit ratio $h%, $k keys held"
  done
done

m() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "SET -r 10000000 -d 100 -P 16 under maxmemory 100mb allkeys-lru (medians of $runs):"
echo "  server CPU us/request: redis-server $(m "${us[redis]}"), sonde $(m "${us[sonde]}"), ratio $(ratio "$(m "${us[sonde]}")" "$(m "${us[redis]}")")"
echo "  requests/s: redis-server $(m "${rps[redis]}"), sonde $(m "${rps[sonde]}"), ratio $(ratio "$(m "${rps[sonde]}")" "$(m "${rps[redis]}")")"
echo "  peak used_memory (limit $limit): redis-server $(m "${peak[redis]}"), sonde $(m "${peak[sonde]}")"
echo "  peak RSS kB: redis-server $(m "${rss[redis]}"), sonde $(m "${rss[sonde]}"), ratio $(ratio "$(m "${rss[sonde]}")" "$(m "${rss[redis]}")")"
for policy in allkeys-lru allkeys-lfu; do
  rh=$(m "${hit[redis-$policy]}"); sh=$(m "${hit[sonde-$policy]}")
  echo "Zipf hit ratio $policy: redis-server $rh%, sonde $sh%, difference $(awk -v s="$sh" -v r="$rh" 'BEGIN {printf "%+.2f", s-r}') points; keys held: redis-server $(m "${held[redis-$policy]}"), sonde $(m "${held[sonde-$policy]}")"
  eh=$(m "${hit[equal-$policy]}")
  echo "  sonde with a budget for redis-server's key count: $eh%, difference $(awk -v s="$eh" -v r="$rh" 'BEGIN {printf "%+.2f", s-r}') points; keys held $(m "${held[equal-$policy]}")"
  echo "  peak RSS kB: redis-server $(m "${zrss[redis-$policy]}"), sonde $(m "${zrss[sonde-$policy]}"); server CPU us/request: redis-server $(m "${zus[redis-$policy]}"), sonde $(m "${zus[sonde-$policy]}"), ratio $(ratio "$(m "${zus[sonde-$policy]}")" "$(m "${zus[redis-$policy]}")")"
done
