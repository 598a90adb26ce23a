#!/usr/bin/env bash
# Installs the real peers sonde is tested and measured against, on
# Debian/Ubuntu: redis-server, redis-tools (redis-cli, redis-benchmark,
# redis-check-rdb) and tcpdump. Does nothing for what is already there.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-check-rdb >/dev/null 2>&1 || missing+=(redis-tools)
command -v tcpdump >/dev/null 2>&1 || [ -x /usr/sbin/tcpdump ] || missing+=(tcpdump)

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
    sudo="sudo"
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
