#!/usr/bin/env bash
# Benchmark: `sonde rdb inspect` (summary) against `redis-check-rdb` on the
# same dump, with `cat file > /dev/null` as the read-once baseline.
#
# Builds two dumps with a real redis-server (DEBUG POPULATE strings plus
# redis-benchmark-made hashes, sets, lists, sorted sets and expiring
# strings): a small one and one with >= 1,000,000 keys. Each tool runs
# alternately, RUNS times (median reported), under GNU time for peak RSS.
# Prints MB/s, keys/s, peak RSS and the ratios. The peak RSS of sonde at the
# two sizes shows its heap does not grow with the key count (the file is
# mapped: RSS includes the mapped pages it touched, reported separately).
#
# Usage: scripts/bench-rdb.sh [KEYS] (default 1000000); RUNS=3; SONDE=binary
# to measure a given build; BASE=binary to measure another build (e.g. the
# previous commit's) in the same run, beside it; DUMPS=dir to keep the
# dumps there and reuse them in later runs (small.rdb, large.rdb); PORT= for
# the redis-server it fills.
# Needs redis-server, redis-cli, redis-benchmark, redis-check-rdb and GNU
# time (/usr/bin/time; Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${1:-1000000}
RUNS=${RUNS:-3}
for tool in redis-server redis-cli redis-benchmark redis-check-rdb /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-rdb: $tool is missing (scripts/setup.sh; apt-get install time)" >&2; exit 2; }
done

# SONDE=path: measure that binary instead of building target/release/sonde.
if [ -z "${SONDE:-}" ]; then
  cargo build --release --quiet
  SONDE=target/release/sonde
fi
WORK=$(mktemp -d)
PORT=${PORT:-$((20000 + RANDOM % 20000))}
cleanup() {
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${DUMPS:-}" ] && [ -f "$DUMPS/small.rdb" ] && [ -f "$DUMPS/large.rdb" ]; then
  echo "reusing the dumps in $DUMPS" >&2
  cp "$DUMPS/small.rdb" "$DUMPS/large.rdb" "$WORK/"
else
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$WORK" --enable-debug-command yes --daemonize yes --logfile "$WORK/redis.log"
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# A quarter of the keys per step; the small dump is the first step.
fill() { # fill STEP COUNT
  local step=$1 n=$2
  local r=$((n * 40))
  redis-cli -p "$PORT" debug populate "$((n * 6 / 10))" "str$step" 32 >/dev/null
  local each=$((n / 10))
  redis-benchmark -p "$PORT" -q -P 64 -n "$each" -r "$r" hset "h$step:__rand_int__" f1 __rand_int__ >/dev/null
  redis-benchmark -p "$PORT" -q -P 64 -n "$each" -r "$r" sadd "s$step:__rand_int__" __rand_int__ >/dev/null
  redis-benchmark -p "$PORT" -q -P 64 -n "$each" -r "$r" rpush "l$step:__rand_int__" __rand_int__ >/dev/null
  redis-benchmark -p "$PORT" -q -P 64 -n "$((each / 2))" -r "$r" zadd "z$step:__rand_int__" __rand_int__ m >/dev/null
  redis-benchmark -p "$PORT" -q -P 64 -n "$((each / 2))" -r "$r" set "e$step:__rand_int__" __rand_int__ EX 86400 >/dev/null
}

snapshot() { # snapshot NAME
  redis-cli -p "$PORT" save >/dev/null
  cp "$WORK/dump.rdb" "$WORK/$1.rdb"
}

QUARTER=$(( (KEYS + 3) / 4 ))
echo "building dumps (${KEYS}+ keys)..." >&2
fill 0 "$QUARTER"; snapshot small
# Top up past KEYS (random keys collide a little).
step=1
while [ "$(redis-cli -p "$PORT" dbsize)" -lt "$KEYS" ]; do fill "$step" "$QUARTER"; step=$((step + 1)); done
snapshot large
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
if [ -n "${DUMPS:-}" ]; then mkdir -p "$DUMPS" && cp "$WORK/small.rdb" "$WORK/large.rdb" "$DUMPS/"; fi
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run NAME FILE -- command...: prints "seconds maxrss_kb"
measure() {
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>&1 || true
  tail -1 "$WORK/time"
}

report() { # report NAME FILE
  local name=$1 file=$2
  local bytes keys
  bytes=$(stat -c %s "$file")
  keys=$("$SONDE" rdb inspect --format json "$file" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"])')
  cat "$file" > /dev/null  # warm the page cache for everyone
  local t_cat=() t_sonde=() t_check=() m_sonde=() m_check=()
  for _ in $(seq "$RUNS"); do
    read -r s _ < <(measure cat "$file"); t_cat+=("$s")
    read -r s m < <(measure "$SONDE" rdb inspect "$file"); t_sonde+=("$s"); m_sonde+=("$m")
    read -r s m < <(measure redis-check-rdb "$file"); t_check+=("$s"); m_check+=("$m")
  done
  local cat_s sonde_s check_s sonde_m check_m
  cat_s=$(printf '%s\n' "${t_cat[@]}" | median)
  sonde_s=$(printf '%s\n' "${t_sonde[@]}" | median)
  check_s=$(printf '%s\n' "${t_check[@]}" | median)
  sonde_m=$(printf '%s\n' "${m_sonde[@]}" | median)
  check_m=$(printf '%s\n' "${m_check[@]}" | median)
  python3 - "$name" "$bytes" "$keys" "$cat_s" "$sonde_s" "$check_s" "$sonde_m" "$check_m" <<'PY'
import sys
name, size, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cat_s, sonde_s, check_s = (max(float(x), 0.005) for x in sys.argv[4:7])
sonde_m, check_m = int(sys.argv[7]), int(sys.argv[8])
mb = size / 1e6
print(f"== {name}: {keys} keys, {mb:.1f} MB (median of runs; time resolution 10 ms)")
print(f"  cat > /dev/null   {cat_s:7.2f} s  {mb/cat_s:8.0f} MB/s")
print(f"  sonde rdb inspect {sonde_s:7.2f} s  {mb/sonde_s:8.0f} MB/s  {keys/sonde_s/1e6:6.2f} M keys/s  peak RSS {sonde_m/1024:7.1f} MiB")
print(f"  redis-check-rdb   {check_s:7.2f} s  {mb/check_s:8.0f} MB/s  {keys/check_s/1e6:6.2f} M keys/s  peak RSS {check_m/1024:7.1f} MiB")
print(f"  ratio: sonde is {check_s/sonde_s:.1f}x faster than redis-check-rdb (target >= 10x)")
print(f"  ratio: sonde runs at {cat_s/sonde_s:.2f}x the speed of reading the bytes once (target >= 0.5x)")
print(f"  sonde peak RSS minus the file size: {(sonde_m*1024 - size)/2**20:.1f} MiB")
PY
}

report small "$WORK/small.rdb"
report large "$WORK/large.rdb"

# The rdb commands on the large dump against redis-check-rdb, each run
# alternately RUNS times: wall time and CPU time (user + sys of the process
# and its threads, from wait4, millisecond resolution), medians. inspect and
# redis-check-rdb run free and pinned to one core (taskset -c 0); export to
# resp (output bytes per second of wall and of CPU), export to csv, and diff
# of the dump against a copy of itself (every key looked up and compared).
large="$WORK/large.rdb"
cp "$large" "$WORK/large2.rdb"
export SONDE WORK RUNS BASE=${BASE:-}
python3 - "$large" <<'PY'
import os, shlex, statistics, subprocess, sys, time
large = sys.argv[1]
sonde, work, runs = os.environ["SONDE"], os.environ["WORK"], int(os.environ["RUNS"])
base = os.environ.get("BASE")
cmds = {}
if base:
    cmds["base"] = f"{base} rdb inspect {large}"
    cmds["base1"] = f"taskset -c 0 {base} rdb inspect {large}"
    cmds["base-export"] = f"{base} rdb export {large} -o {work}/out-base.resp"
    cmds["base-diff"] = f"{base} rdb diff {large} {work}/large2.rdb"
cmds |= {
    "inspect": f"{sonde} rdb inspect {large}",
    "check": f"redis-check-rdb {large}",
    "inspect1": f"taskset -c 0 {sonde} rdb inspect {large}",
    "check1": f"taskset -c 0 redis-check-rdb {large}",
    "export": f"{sonde} rdb export {large} -o {work}/out.resp",
    "csv": f"{sonde} rdb export --to csv {large} -o {work}/out.csv",
    "diff": f"{sonde} rdb diff {large} {work}/large2.rdb",
}
wall = {n: [] for n in cmds}
cpu = {n: [] for n in cmds}
for _ in range(runs):
    for n, c in cmds.items():
        t = time.perf_counter()
        p = subprocess.Popen(shlex.split(c), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        wall[n].append(time.perf_counter() - t)
        cpu[n].append(ru.ru_utime + ru.ru_stime)
w = {n: max(statistics.median(v), 0.0005) for n, v in wall.items()}
c = {n: max(statistics.median(v), 0.0005) for n, v in cpu.items()}
out = os.path.getsize(f"{work}/out.resp")
ms = lambda x: f"{x * 1000:7.1f} ms"
print(f"== large dump, medians of {runs}: wall, CPU (user+sys)")
for n in cmds:
    print(f"  {n:9s} wall {ms(w[n])}  cpu {ms(c[n])}")
print(f"  inspect vs redis-check-rdb, wall: {w['check'] / w['inspect']:.1f}x (target >= 10x); CPU: {c['check'] / c['inspect']:.1f}x")
print(f"  pinned to one core, wall: {w['check1'] / w['inspect1']:.1f}x (target >= 5x); CPU: {c['check1'] / c['inspect1']:.1f}x")
print(f"  export --to resp: {out / 1e6:.0f} MB out, {out / 1e9 / w['export']:.2f} GB/s wall, {out / 1e9 / c['export']:.2f} GB/s per CPU second (target >= 1)")
print(f"  diff = {w['diff'] / w['inspect']:.1f}x one inspect, wall (target < 2x); {c['diff'] / c['inspect']:.1f}x CPU")
if base:
    print(f"  BASE inspect vs redis-check-rdb, wall: {w['check'] / w['base']:.1f}x; CPU: {c['check'] / c['base']:.1f}x")
    print(f"  BASE pinned to one core, wall: {w['check1'] / w['base1']:.1f}x; CPU: {c['check1'] / c['base1']:.1f}x")
    print(f"  BASE export --to resp: {out / 1e9 / c['base-export']:.2f} GB/s per CPU second")
    print(f"  BASE diff = {w['base-diff'] / w['base']:.1f}x BASE's inspect, wall; {c['base-diff'] / c['base']:.1f}x CPU")
PY

# Instructions per key (callgrind counts every thread's user-space
# instructions; the machine's hardware counters may be unavailable): the
# small dump, when valgrind is installed. Deterministic, unlike times.
if command -v valgrind >/dev/null; then
  small="$WORK/small.rdb"
  keys=$("$SONDE" rdb inspect --format json "$small" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"])')
  instr() { # instr [taskset -c 0] command...
    local pin=()
    if [ "$1" = taskset ]; then pin=("$1" "$2" "$3"); shift 3; fi
    "${pin[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      awk '/Collected/ {print $NF}'
  }
  i_sonde=$(instr "$SONDE" rdb inspect "$small")
  i_sonde1=$(instr taskset -c 0 "$SONDE" rdb inspect "$small")
  i_check=$(instr redis-check-rdb "$small")
  python3 - "$keys" "$i_sonde" "$i_sonde1" "$i_check" <<'PY'
import sys
keys, s, s1, c = (int(x) for x in sys.argv[1:5])
print(f"== instructions per key (callgrind, small dump, {keys} keys)")
print(f"  rdb inspect {s / keys:6.0f} (two threads)  {s1 / keys:6.0f} (one core)  redis-check-rdb {c / keys:6.0f}  ratio {c / s1:.1f}x")
PY
fi
