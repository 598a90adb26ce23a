#!/usr/bin/env bash
# Installs what building and testing sonde needs on Debian/Ubuntu, and
# nothing that is already there: a C compiler (the build compiles one small
# C file), Rust (through rustup, when no cargo is found), and the real peers
# sonde is tested and measured against: redis-server, redis-tools
# (redis-cli, redis-benchmark, redis-check-rdb) and tcpdump.
set -euo pipefail

# rustup's default location, for machines where an earlier run installed it.
export PATH="$PATH:$HOME/.cargo/bin"

missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-check-rdb >/dev/null 2>&1 || missing+=(redis-tools)
command -v tcpdump >/dev/null 2>&1 || [ -x /usr/sbin/tcpdump ] || missing+=(tcpdump)
# scripts/bench-connect.sh makes its TLS certificates with the openssl CLI
# (the tests use rcgen).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ! command -v cargo >/dev/null 2>&1; then
  command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
fi

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
fi

if ! command -v cargo >/dev/null 2>&1; then
  # Distribution packages of Rust are often older than the 2024 edition
  # this crate uses; rustup installs the current stable for this user.
  echo "setup: installing Rust (stable, via rustup) into ~/.cargo" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --no-modify-path
fi

# redis-rdb-tools in a virtualenv under target/, for the CSV comparison test
# (needs python3 with venv; the test says so when it is missing).
if command -v python3 >/dev/null 2>&1; then
  bash "$(dirname "${BASH_SOURCE[0]}")/rdbtools-venv.sh" >/dev/null || echo "setup: rdbtools venv not created" >&2
fi
