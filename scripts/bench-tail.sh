#!/usr/bin/env bash
# Benchmark: `sonde replica tail` against a real redis-server replica, both
# attached to the same master in the same run, under
#   redis-benchmark -t set,lpush,hset -P 16 -n N
# with the tail writing JSON Lines to /dev/null.
#
# Per round:
#  1. live: the master's INFO is sampled every 0.1 s; for each replica the
#     byte lag is master_repl_offset minus the offset it last acknowledged
#     (both acknowledge once a second, so the method is the same for both),
#     and the time each needs after the load ends to acknowledge the final
#     offset. The real replica's own processed offset (its INFO
#     slave_repl_offset) is sampled too, for a finer view of it.
#  2. drain: a second tail resumes from the offset before the load (the
#     master keeps it all in a 1 GB backlog) and reads the whole feed as fast
#     as it can: commands/s and MB/s of the tail alone.
# Prints each round and the medians, with tail/replica ratios.
#
# Usage: scripts/bench-tail.sh [ROUNDS (3)] [N (2000000)]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
requests=${2:-2000000}
for tool in redis-server redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "bench-tail: $tool is missing (scripts/setup.sh installs the redis tools)" >&2; exit 2; }
done
cargo build --release --quiet
sonde=target/release/sonde

bench=bench-tail
source scripts/bench-servers.sh

info_field() { redis-cli -p "$1" info replication | tr -d '\r' | sed -n "s/^$2://p"; }

# The acknowledged offset of the replica announcing port $2 (master $1).
ack_offset() {
  redis-cli -p "$1" info replication | tr -d '\r' |
    sed -n "s/^slave[0-9]*:.*port=$2,state=online,offset=\([0-9]*\).*/\1/p"
}

results="$work/results"
: >"$results"
for round in $(seq "$rounds"); do
  mport=$(free_port); rport=$(free_port); tport=$(free_port)
  start_server "$mport" "$work/m$round" --repl-backlog-size 1gb --repl-diskless-sync no
  start_server "$rport" "$work/r$round" --replicaof 127.0.0.1 "$mport"
  "$sonde" replica tail "127.0.0.1:$mport" --format json --announce-port "$tport" \
    --lag-interval 0 >/dev/null 2>"$work/tail$round.err" &
  tail_pid=$!; pids+=($tail_pid)
  for _ in $(seq 200); do
    [ -n "$(ack_offset "$mport" "$rport")" ] && [ -n "$(ack_offset "$mport" "$tport")" ] && break
    sleep 0.05
  done
  start=$(info_field "$mport" master_repl_offset)
  # Make sure the tail has reached the start before the load.
  until [ "$(ack_offset "$mport" "$tport")" = "$start" ]; do sleep 0.05; done

  samples="$work/samples$round"
  (
    while :; do
      m=$(redis-cli -p "$mport" info replication | tr -d '\r')
      r=$(redis-cli -p "$rport" info replication | tr -d '\r' | sed -n 's/^slave_repl_offset://p')
      mo=$(sed -n 's/^master_repl_offset://p' <<<"$m")
      ra=$(sed -n "s/^slave[0-9]*:.*port=$rport,state=online,offset=\([0-9]*\).*/\1/p" <<<"$m")
      ta=$(sed -n "s/^slave[0-9]*:.*port=$tport,state=online,offset=\([0-9]*\).*/\1/p" <<<"$m")
      echo "$(now) $mo ${ra:-0} ${ta:-0} ${r:-0}"
      sleep 0.1
    done
  ) >"$samples" &
  sampler=$!; pids+=($sampler)

  t0=$(now)
  redis-benchmark -p "$mport" -t set,lpush,hset -P 16 -n "$requests" -q >"$work/bench$round" 2>&1
  t1=$(now)
  end=$(info_field "$mport" master_repl_offset)
  until [ "$(ack_offset "$mport" "$rport")" = "$end" ]; do sleep 0.01; done
  t_replica=$(now)
  until [ "$(ack_offset "$mport" "$tport")" = "$end" ]; do sleep 0.01; done
  t_tail=$(now)
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  kill -INT "$tail_pid"; wait "$tail_pid" || true

  # Drain: the whole load again from the backlog, as fast as the tail goes.
  db=0
  replid=$(info_field "$mport" master_replid)
  printf '{"replid":"%s","offset":%s,"db":%s}\n' "$replid" "$start" "$db" >"$work/resume$round"
  commands=$((requests * 3))
  d0=$(now)
  "$sonde" replica tail "127.0.0.1:$mport" --format json --resume "$work/resume$round" \
    --command set --command lpush --command hset --count "$commands" --lag-interval 0 \
    >/dev/null 2>"$work/drain$round.err"
  d1=$(now)

  python3 - "$samples" "$t0" "$t1" "$t_replica" "$t_tail" "$d0" "$d1" "$start" "$end" \
    "$commands" "$round" >>"$results" <<'EOF'
import sys
samples, t0, t1, t_rep, t_tail, d0, d1 = sys.argv[1], *map(float, sys.argv[2:8])
start, end, commands, rnd = map(int, sys.argv[8:12])
rows = [list(map(float, l.split())) for l in open(samples) if len(l.split()) == 5]
rows = [r for r in rows if t0 <= r[0] <= t1 + 30]
rep_ack = max((r[1] - r[2] for r in rows), default=0)
tail_ack = max((r[1] - r[3] for r in rows), default=0)
rep_own = max((r[1] - r[4] for r in rows), default=0)
load = t1 - t0
mb = (end - start) / 1e6
print(f"{rnd} {load:.3f} {commands / load:.0f} {mb / load:.2f} {rep_ack:.0f} {tail_ack:.0f} "
      f"{rep_own:.0f} {t_rep - t1:.3f} {t_tail - t1:.3f} {d1 - d0:.3f} "
      f"{commands / (d1 - d0):.0f} {mb / (d1 - d0):.2f} {mb:.1f}")
EOF
  echo "round $round: $(tail -n 1 "$results")" >&2
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
done

python3 - "$results" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = lambda i: statistics.median(r[i] for r in rows)
print(f"rounds: {len(rows)}, medians; feed {med(12):.1f} MB per round")
print(f"load: {med(1):.2f} s, master wrote {med(2):,.0f} commands/s, {med(3):.1f} MB/s "
      "(the tail kept up with the whole feed: it acknowledged the final offset)")
print(f"max lag by acknowledged offset (master INFO, same method for both):")
print(f"  real replica {med(4):,.0f} bytes, sonde tail {med(5):,.0f} bytes, "
      f"ratio tail/replica {statistics.median(r[5] / max(r[4], 1) for r in rows):.2f}")
print(f"  real replica's own processed offset (its INFO): max lag {med(6):,.0f} bytes")
print(f"caught up after the load ended: replica {med(7):.2f} s, tail {med(8):.2f} s")
print(f"drain from backlog (tail alone, JSON to /dev/null): {med(10):,.0f} commands/s, "
      f"{med(11):.1f} MB/s ({med(9):.2f} s)")
EOF
