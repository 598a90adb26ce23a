#!/usr/bin/env bash
# The cost of the ACL permission check in `sonde serve`, against
# redis-server, in one run on this machine:
#
#   redis-benchmark -q -c 50 -n $N -r 100000 -t get,set -P 16
#
# once as the default user (no check: it may run everything) and once
# authenticated as a user with a key-pattern rule (`~key:* +@all`, every
# GET and SET checked against the pattern), against both servers started
# with the same settings; servers and users alternate, $RUNS rounds. For
# each run: requests/s (redis-benchmark's GET and SET figures) and the
# server's CPU time (utime+stime from /proc) and, when perf can count them,
# instructions per request (less noisy than CPU time). Prints the medians,
# the restricted/default cost on each server and the sonde/redis-server
# ratios (throughput: higher is better for sonde; CPU: lower is better).
#
# Environment: N (default 2000000), RUNS (5), SONDE (binary; default: build
# --release).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000000}
RUNS=${RUNS:-5}
bench=bench-acl
source scripts/bench-servers.sh
require_tools redis-server redis-benchmark redis-cli
sonde_binary

COMMON=(--bind 127.0.0.1 --save "" --appendonly no --hz 10)
start_pair "${COMMON[@]}"
for port in "$RPORT" "$SPORT"; do
  redis-cli -p "$port" ACL SETUSER app on '>apppw' '~key:*' resetchannels +@all >/dev/null
done

# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# One run: prints "get_rps set_rps cpu_us_per_request instructions_per_request".
run() {
  local port=$1 pid=$2; shift 2
  local before after perf_pid=""
  rm -f "$work/perf"
  if [ "$HAVE_PERF" = yes ]; then
    perf stat -e instructions -x, -o "$work/perf" -p "$pid" 2>/dev/null &
    perf_pid=$!
    sleep 0.2
  fi
  before=$(cpu "$pid")
  local out
  out=$(redis-benchmark -p "$port" "$@" -q -c 50 -n "$N" -r 100000 -t get,set -P 16 --csv 2>/dev/null)
  after=$(cpu "$pid")
  local insns=0
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    insns=$(awk -F, '/instructions/ {print $1}' "$work/perf")
  fi
  local get set
  get=$(echo "$out" | awk -F'","' '/"GET"/ {gsub(/"/,"",$2); print $2}')
  set=$(echo "$out" | awk -F'","' '/"SET"/ {gsub(/"/,"",$2); print $2}')
  awk -v g="$get" -v s="$set" -v b="$before" -v a="$after" -v n="$N" -v i="${insns:-0}" \
    'BEGIN {printf "%s %s %.4f %.0f\n", g, s, (a - b) * 1e6 / (2 * n), i / (2 * n)}'
}

HAVE_PERF=no
perf stat -e instructions -x, true 2>&1 | grep -q '^[0-9]' && HAVE_PERF=yes

declare -A GET SET CPU INS
for i in $(seq "$RUNS"); do
  for server in redis sonde; do
    if [ "$server" = redis ]; then port=$RPORT pid=$RPID; else port=$SPORT pid=$SPID; fi
    for user in default app; do
      if [ "$user" = app ]; then auth=(--user app -a apppw); else auth=(); fi
      read -r g s c n < <(run "$port" "$pid" "${auth[@]}")
      GET[$server.$user]+="$g "; SET[$server.$user]+="$s "; CPU[$server.$user]+="$c "; INS[$server.$user]+="$n "
      echo "run $i $server $user: GET $g/s SET $s/s server CPU $c us/request, $n instructions/request"
    done
  done
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "medians of $RUNS runs (N=$N, -P 16, -c 50):"
printf '%-8s %-8s %12s %12s %12s %12s\n' server user GET/s SET/s CPU-us/req insns/req
for server in redis sonde; do
  for user in default app; do
    printf '%-8s %-8s %12s %12s %12s %12s\n' "$server" "$user" "$(med "${GET[$server.$user]}")" \
      "$(med "${SET[$server.$user]}")" "$(med "${CPU[$server.$user]}")" "$(med "${INS[$server.$user]}")"
  done
done
for server in redis sonde; do
  awk -v a="$(med "${CPU[$server.app]}")" -v d="$(med "${CPU[$server.default]}")" \
      -v ia="$(med "${INS[$server.app]}")" -v id="$(med "${INS[$server.default]}")" -v s="$server" \
    'BEGIN {printf "%s: restricted user / default user: CPU/request %.3fx", s, a/d; if (id) printf ", instructions/request %.3fx (+%d)", ia/id, ia-id; print ""}'
done
for user in default app; do
  awk -v sg="$(med "${GET[sonde.$user]}")" -v rg="$(med "${GET[redis.$user]}")" \
      -v ss="$(med "${SET[sonde.$user]}")" -v rs="$(med "${SET[redis.$user]}")" \
      -v sc="$(med "${CPU[sonde.$user]}")" -v rc="$(med "${CPU[redis.$user]}")" -v u="$user" \
      -v si="$(med "${INS[sonde.$user]}")" -v ri="$(med "${INS[redis.$user]}")" \
    'BEGIN {printf "%s user, sonde/redis-server: GET %.2fx SET %.2fx throughput, CPU/request %.2fx", u, sg/rg, ss/rs, sc/rc; if (ri) printf ", instructions/request %.2fx", si/ri; print ""}'
done
