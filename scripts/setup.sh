#!/usr/bin/env bash
# Installs what building and testing sonde needs on Debian/Ubuntu, and
# nothing that is already there: a C compiler (the build compiles one small
# C file), Rust (through rustup, when no cargo is found), and the real peers
# sonde is tested and measured against: redis-server, redis-tools
# (redis-cli, redis-benchmark, redis-check-rdb) and tcpdump.
set -euo pipefail

# rustup's default location, for machines where an earlier run installed it:
# first, so a toolchain it installed wins over an older distribution cargo.
export PATH="$HOME/.cargo/bin:$PATH"

echo "setup: checking for a C compiler, Rust >= 1.93, redis-server 7.0, redis-tools, redis-sentinel, tcpdump" >&2

missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-check-rdb >/dev/null 2>&1 || missing+=(redis-tools)
# The Sentinel tests run three real redis-sentinel processes.
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v tcpdump >/dev/null 2>&1 || [ -x /usr/sbin/tcpdump ] || missing+=(tcpdump)
# scripts/bench-connect.sh makes its TLS certificates with the openssl CLI
# (the tests use rcgen).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; then
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    $(printf '%s\n' "${missing[@]}" | sort -u)
  # The package starts a system redis-server on port 6379; sonde's tests
  # start their own on free ports, and `sonde serve` wants 6379 by default,
  # so stop the one we just installed.
  if [[ " ${missing[*]} " == *" redis-server "* ]]; then
    $sudo service redis-server stop >/dev/null 2>&1 || $sudo systemctl stop redis-server >/dev/null 2>&1 || true
  fi
  # Likewise the system sentinel on 26379.
  if [[ " ${missing[*]} " == *" redis-sentinel "* ]]; then
    $sudo service redis-sentinel stop >/dev/null 2>&1 || $sudo systemctl stop redis-sentinel >/dev/null 2>&1 || true
  fi
fi

# The crate needs Rust 1.93 (`rust-version` in Cargo.toml: a dependency,
# pcap-file, needs it; the 2024 edition alone would need 1.85).
# Distribution packages of Rust are often older: rustup installs (or
# updates) the current stable for this user, in ~/.cargo/bin, which goes
# first on PATH for the rest of this script and for the scripts that
# source it.
need_rust=""
if ! command -v cargo >/dev/null 2>&1; then
  need_rust="no cargo found"
else
  have=$(cargo --version 2>/dev/null | awk '{print $2}')
  if ! printf '1.93.0\n%s\n' "${have%%-*}" | sort -V -C; then
    need_rust="cargo $have is older than 1.93"
  fi
fi
if [ -n "$need_rust" ]; then
  if [ -x "$HOME/.cargo/bin/rustup" ]; then
    echo "setup: $need_rust; updating the stable toolchain with rustup" >&2
    "$HOME/.cargo/bin/rustup" update stable
    "$HOME/.cargo/bin/rustup" default stable
  else
    command -v curl >/dev/null 2>&1 || {
      echo "setup: $need_rust, and curl is missing to install rustup" >&2
      exit 2
    }
    echo "setup: $need_rust; installing Rust (stable, via rustup) into ~/.cargo" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --no-modify-path
  fi
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# The tests compare sonde with Redis 7.0: say so early when another
# release is first on PATH (the tests then fail with the same message).
redis_version=$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
case "$redis_version" in
  7.0.*) ;;
  *) echo "setup: warning: redis-server ${redis_version:-?} found; the tests need 7.0.x" >&2 ;;
esac
echo "setup: $(cargo --version), redis-server ${redis_version:-?}: ready" >&2

# redis-rdb-tools in a virtualenv under target/, for the CSV comparison test
# (needs python3 with venv; the test says so when it is missing).
if command -v python3 >/dev/null 2>&1; then
  bash "$(dirname "${BASH_SOURCE[0]}")/rdbtools-venv.sh" >/dev/null || echo "setup: rdbtools venv not created" >&2
fi
