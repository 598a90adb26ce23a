#!/usr/bin/env bash
# Scripting cost against redis-server, in one run on this machine:
#  1. server CPU time (utime+stime from /proc, in microseconds) per request
#     for EVALSHA and EVAL of `return redis.call('INCR', KEYS[1])`, with
#     redis-benchmark at pipeline 1 and 16; sonde and redis-server runs
#     alternate, medians of RUNS runs; the ratio is redis-server / sonde
#     (above 1.0: sonde uses less CPU per request);
#  2. memory added by loading 1,000 distinct scripts (SCRIPT LOAD): resident,
#     and the scripts' share in INFO.
# Usage: scripts/bench-scripting.sh [path/to/sonde] (default: SONDE, or a fresh release build)
# RUNS (5), N (200000) requests per run, SCRIPTS (1000); MEMORY_ONLY=1 skips part 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SONDE=${1:-${SONDE:-}}
RUNS=${RUNS:-5}
N=${N:-200000}
bench=bench-scripting
source scripts/bench-servers.sh
require_tools redis-server redis-benchmark redis-cli python3
sonde_binary
WORK=$work
start_pair --bind 127.0.0.1 --save "" --appendonly no

cpu_us() { awk '{print ($14 + $15) * 1000000 / '"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

SCRIPT="return redis.call('INCR', KEYS[1])"
SHA=$(redis-cli -p "$RPORT" script load "$SCRIPT")
[ "$(redis-cli -p "$SPORT" script load "$SCRIPT")" = "$SHA" ] || { echo "SHA differs" >&2; exit 2; }

# One run: CPU microseconds per request of the server on port $2 (pid $1).
run() {
    local pid=$1 port=$2 pipeline=$3; shift 3
    local before after
    before=$(cpu_us "$pid")
    redis-benchmark -p "$port" -n "$N" -c 50 -P "$pipeline" -q "$@" >/dev/null
    after=$(cpu_us "$pid")
    awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN {printf "%.3f\n", (a - b) / n}'
}

if [ -z "${MEMORY_ONLY:-}" ]; then
    printf '%-8s %3s %12s %12s %7s\n' command P redis-us/req sonde-us/req ratio
    for kind in EVALSHA EVAL; do
        if [ "$kind" = EVALSHA ]; then args=(EVALSHA "$SHA" 1 k); else args=(EVAL "$SCRIPT" 1 k); fi
        for pipeline in 1 16; do
            : >"$WORK/r.txt"; : >"$WORK/s.txt"
            for _ in $(seq "$RUNS"); do
                run "$RPID" "$RPORT" "$pipeline" "${args[@]}" >>"$WORK/r.txt"
                run "$SPID" "$SPORT" "$pipeline" "${args[@]}" >>"$WORK/s.txt"
            done
            r=$(median <"$WORK/r.txt"); s=$(median <"$WORK/s.txt")
            printf '%-8s %3d %12s %12s %7.2f\n' "$kind" "$pipeline" "$r" "$s" \
                "$(awk -v r="$r" -v s="$s" 'BEGIN {print r / s}')"
        done
    done
fi

# Memory: SCRIPTS (1,000) distinct scripts. The same pipeline of as many
# SCRIPT EXISTS runs first, so what the first big pipeline costs a server
# (its query and reply buffers, allocator pages) is not counted as the
# scripts'. Two figures: resident memory added, and what the server
# accounts for scripts in INFO (used_memory_lua + used_memory_scripts_eval).
SCRIPTS=${SCRIPTS:-1000}
info_scripts() {
    redis-cli -p "$1" info memory | tr -d '\r' |
        awk -F: '$1 == "used_memory_lua" || $1 == "used_memory_scripts_eval" {n += $2} END {print n}'
}
for side in r s; do
    if [ $side = r ]; then pid=$RPID port=$RPORT; else pid=$SPID port=$SPORT; fi
    redis-cli -p "$port" script flush >/dev/null
    for i in $(seq "$SCRIPTS"); do
        echo "SCRIPT EXISTS 0000000000000000000000000000000000$(printf %06d "$i")"
    done | redis-cli -p "$port" >/dev/null
    before=$(rss_kb "$pid") before_info=$(info_scripts "$port")
    for i in $(seq "$SCRIPTS"); do
        echo "SCRIPT LOAD \"return redis.call('GET', KEYS[1]) .. '$i'\""
    done | redis-cli -p "$port" >/dev/null
    after=$(rss_kb "$pid") after_info=$(info_scripts "$port")
    echo "$side $((after - before)) $(((after_info - before_info) / 1024))" >>"$WORK/mem.txt"
done
echo "RSS added by $SCRIPTS scripts: redis-server $(awk '$1=="r" {print $2}' "$WORK/mem.txt") kB," \
    "sonde $(awk '$1=="s" {print $2}' "$WORK/mem.txt") kB"
echo "script memory in INFO (used_memory_lua + used_memory_scripts_eval) added:" \
    "redis-server $(awk '$1=="r" {print $3}' "$WORK/mem.txt") kB, sonde $(awk '$1=="s" {print $3}' "$WORK/mem.txt") kB"
