#!/usr/bin/env bash
# What watching costs: redis-benchmark (-n 100000 -c 20 -t set,get, at -P 1
# and -P 16) against a local redis-server, run alternately with nothing
# watching, with `tcpdump -w /dev/null` (the reference: capture without
# decoding) and with `sonde resp sniff` (capture, reassembly, decoding,
# pairing). Prints medians of ROUNDS runs: benchmark throughput and its
# ratio to the unwatched run, the capturing process's CPU time per packet
# and sonde's ratio to tcpdump, the packet rate sustained, and kernel drops.
# sonde reads a TPACKET_V3 ring behind a kernel filter of the watched port,
# as libpcap does for tcpdump; its hot-key reports are on (the default).
# Needs root (CAP_NET_RAW) and the release build. PORT, ROUNDS, REQUESTS
# and PIPELINES ("1 16") can be set in the environment; KEYSPACE=N spreads
# the commands over N random keys (redis-benchmark -r N) instead of one
# key, so that the hot-key sketches fill up and replace; SONDE names the
# binary to measure (default: build and use target/release/sonde), and
# BASELINE another one measured alternately with it in the same rounds
# (e.g. a build of the previous commit).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
KEYSPACE=${KEYSPACE:-}
REQUESTS=${REQUESTS:-100000}
scripts/setup.sh
if [ -z "${SONDE:-}" ]; then
  cargo build --release --quiet
  SONDE=$PWD/target/release/sonde
fi
BASELINE=${BASELINE:-}
MODES="tcpdump sonde${BASELINE:+ baseline}"
TCPDUMP=$(command -v tcpdump || echo /usr/sbin/tcpdump)
TICK=$(getconf CLK_TCK)

work=$(mktemp -d)
port=${PORT:-$((20000 + RANDOM % 20000))}
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  --logfile "$work/redis.log" --daemonize yes --pidfile "$work/redis.pid"
cleanup() {
  kill "$(cat "$work/redis.pid" 2>/dev/null)" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# CPU seconds a process has used so far: its time on a CPU from
# /proc/PID/schedstat, in nanoseconds (the clock ticks of /proc/PID/stat are
# 10 ms, too coarse for tcpdump's few tens of milliseconds); the ticks
# where schedstat is missing.
cpu_of() {
  if [ -r "/proc/$1/schedstat" ]; then
    awk '{ printf "%.6f", $1 / 1e9 }' "/proc/$1/schedstat"
  else
    awk -v t="$TICK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"
  fi
}

# Requests per second of one redis-benchmark run (SET and GET averaged).
bench() {
  redis-benchmark -p "$port" -n "$REQUESTS" -c 20 -t set,get -P "$1" ${KEYSPACE:+-r "$KEYSPACE"} \
    --csv 2>/dev/null |
    awk -F'"' 'NR > 1 { sum += $4; n++ } END { printf "%.0f", sum / n }'
}

# One run: mode (none|tcpdump|sonde|baseline), pipeline. Prints
# "rps seconds cpu packets drops".
run_once() {
  local mode=$1 pipeline=$2 pid="" start end rps cpu=0 packets=0 drops=0
  case $mode in
    tcpdump)
      "$TCPDUMP" -i lo -B 65536 -n -w /dev/null "tcp port $port" 2>"$work/tcpdump.err" &
      pid=$!
      until grep -q "listening on" "$work/tcpdump.err" 2>/dev/null; do sleep 0.05; done
      ;;
    sonde | baseline)
      local bin=$SONDE
      [ "$mode" = baseline ] && bin=$BASELINE
      "$bin" --format json resp sniff --port "$port" --summary-only \
        >"$work/sonde.json" 2>"$work/sonde.err" &
      pid=$!
      until grep -q "listening on" "$work/sonde.err" 2>/dev/null; do sleep 0.05; done
      ;;
  esac
  start=$(date +%s.%N)
  rps=$(bench "$pipeline")
  end=$(date +%s.%N)
  if [ -n "$pid" ]; then
    sleep 0.5
    cpu=$(cpu_of "$pid")
    kill -INT "$pid"
    wait "$pid" || true
    if [ "$mode" = tcpdump ]; then
      packets=$(awk '/packets captured/ { print $1 }' "$work/tcpdump.err")
      drops=$(awk '/dropped by kernel/ { print $1 }' "$work/tcpdump.err")
    else
      packets=$(grep -o '"matched":[0-9]*' "$work/sonde.json" | cut -d: -f2)
      drops=$(grep -o '"kernel_dropped":[0-9]*' "$work/sonde.json" | cut -d: -f2)
    fi
  fi
  echo "$rps $(calc "$end - $start") $cpu $packets $drops"
}

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for pipeline in ${PIPELINES:-1 16}; do
  declare -A rps=() secs=() cpu=() pkts=() drops=()
  for round in $(seq "$ROUNDS"); do
    for mode in none $MODES; do
      read -r r s c p d < <(run_once "$mode" "$pipeline")
      rps[$mode]+="$r "
      secs[$mode]+="$s "
      cpu[$mode]+="$c "
      pkts[$mode]+="$p "
      drops[$mode]+="$d "
    done
  done
  echo "== redis-benchmark -n $REQUESTS -c 20 -t set,get -P $pipeline${KEYSPACE:+ -r $KEYSPACE} (medians of $ROUNDS)"
  base=$(tr ' ' '\n' <<<"${rps[none]}" | grep . | median)
  printf '%-8s %12s %8s %10s %12s %12s %8s\n' watcher "req/s" ratio packets "packets/s" "cpu us/pkt" drops
  printf '%-8s %12s %8s\n' none "$base" 1.00
  declare -A per=()
  for mode in $MODES; do
    r=$(tr ' ' '\n' <<<"${rps[$mode]}" | grep . | median)
    p=$(tr ' ' '\n' <<<"${pkts[$mode]}" | grep . | median)
    s=$(tr ' ' '\n' <<<"${secs[$mode]}" | grep . | median)
    c=$(tr ' ' '\n' <<<"${cpu[$mode]}" | grep . | median)
    d=$(tr ' ' '\n' <<<"${drops[$mode]}" | grep . | sort -g | tail -1)
    per[$mode]=$(calc "$c * 1000000 / $p")
    printf '%-8s %12s %8.2f %10s %12.0f %12.2f %8s\n' "$mode" "$r" "$(calc "$r / $base")" \
      "$p" "$(calc "$p / $s")" "${per[$mode]}" "$d"
  done
  printf 'sonde cpu per packet / tcpdump cpu per packet: %.2f\n' \
    "$(calc "${per[sonde]} / ${per[tcpdump]}")"
  if [ -n "$BASELINE" ]; then
    printf 'baseline cpu per packet / tcpdump cpu per packet: %.2f\n' \
      "$(calc "${per[baseline]} / ${per[tcpdump]}")"
  fi
  echo
  unset rps secs cpu pkts drops per
done
