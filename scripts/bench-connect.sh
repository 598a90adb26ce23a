#!/usr/bin/env bash
# Measurements for the connection layer, in one run on this machine:
#  1. replica tail over TLS against plain TCP: the same redis-server master
#     (port and tls-port), a full resync of a DEBUG POPULATE dataset with
#     --rdb skip, then the command stream of a redis-benchmark SET load;
#     alternating plain/TLS runs, wall time and CPU time (utime+stime) of
#     the tail, medians.
#  2. sonde latency against redis-cli --latency on the same server,
#     alternating runs of the same length.
# Usage: scripts/bench-connect.sh [path/to/sonde] (default target/release/sonde)
set -euo pipefail
SONDE=${1:-target/release/sonde}
RUNS=${RUNS:-3}
KEYS=${KEYS:-1000000}
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK/redis.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000)); TLSPORT=$((PORT + 1))

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.crt" \
    -days 2 -subj "/CN=bench-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$WORK/srv.key" -out "$WORK/srv.csr" \
    -subj "/CN=localhost" 2>/dev/null
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" > "$WORK/ext"
openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
    -CAcreateserial -out "$WORK/srv.crt" -days 2 -extfile "$WORK/ext" 2>/dev/null

redis-server --port "$PORT" --tls-port "$TLSPORT" --bind 127.0.0.1 \
    --tls-cert-file "$WORK/srv.crt" --tls-key-file "$WORK/srv.key" \
    --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no \
    --save "" --appendonly no --dir "$WORK" --enable-debug-command yes \
    --repl-diskless-sync no --repl-ping-replica-period 1 \
    --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PORT" debug populate "$KEYS" key 100 >/dev/null
redis-cli -p "$PORT" save >/dev/null
RDB=$(stat -c %s "$WORK/dump.rdb")
echo "dataset: $KEYS keys, RDB $RDB bytes"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One tail: full resync (--rdb skip) and then N SET commands from a
# redis-benchmark load, ended by --count. Prints "wall cpu".
tail_once() {
    local extra=("$@") n=200000
    /usr/bin/time -f "%e %U %S" -o "$WORK/time" \
        "$SONDE" replica tail -p "${extra[@]}" --rdb skip --format json \
        --command set --count "$n" --lag-interval 0 >/dev/null 2>"$WORK/tail.err" &
    local pid=$!
    # Wait until the master lists the tail as online, then load.
    for _ in $(seq 600); do
        redis-cli -p "$PORT" info replication | grep -q "state=online" && break
        sleep 0.05
    done
    redis-benchmark -p "$PORT" -t set -n "$n" -P 32 -c 4 -r 100000 -q >/dev/null 2>&1 || true
    wait "$pid"
    awk '{print $1, $2 + $3}' "$WORK/time"
}

declare -a PW PC TW TC
for i in $(seq "$RUNS"); do
    read -r w c < <(tail_once "$PORT"); PW+=("$w"); PC+=("$c")
    read -r w c < <(tail_once "$TLSPORT" --tls --cacert "$WORK/ca.crt"); TW+=("$w"); TC+=("$c")
    echo "run $i: plain wall ${PW[-1]} s cpu ${PC[-1]} s | tls wall ${TW[-1]} s cpu ${TC[-1]} s"
done
pw=$(printf "%s\n" "${PW[@]}" | median); pc=$(printf "%s\n" "${PC[@]}" | median)
tw=$(printf "%s\n" "${TW[@]}" | median); tc=$(printf "%s\n" "${TC[@]}" | median)
echo "replica tail (snapshot of $RDB bytes + 200000 SETs), medians of $RUNS:"
echo "  plain: wall $pw s, tail CPU $pc s"
echo "  TLS:   wall $tw s, tail CPU $tc s"
awk -v a="$tw" -v b="$pw" -v c="$tc" -v d="$pc" \
    'BEGIN {printf "  TLS/plain: wall %.2fx, CPU %.2fx\n", a/b, c/d}'

redis-cli -p "$PORT" flushall >/dev/null
SECS=${SECS:-10}
echo "latency, $SECS s each, alternating; redis-cli: min max avg samples (ms, its"
echo "timer has millisecond resolution); sonde: min max mean samples and quantiles (ms):"
for i in $(seq "$RUNS"); do
    # In raw mode redis-cli samples for -i seconds, prints once and exits.
    r=$(redis-cli -p "$PORT" --latency --raw -i "$SECS")
    s=$("$SONDE" latency -p "$PORT" --duration "$SECS" --format json |
        python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["min_ms"], v["max_ms"], v["mean_ms"], v["samples"], "p50", v["p50_ms"], "p99", v["p99_ms"], "p99.9", v["p999_ms"])')
    echo "run $i: redis-cli $r | sonde $s"
done
