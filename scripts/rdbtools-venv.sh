#!/usr/bin/env bash
# Creates (once) a Python virtualenv under target/ with redis-rdb-tools, the
# reference the memory CSV of `sonde rdb export --to csv` is compared with,
# and prints the path of its `rdb` command. Used by the tests; safe to run
# again (it only installs when the venv is missing or incomplete).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/rdbtools-venv"
rdb="$venv/bin/rdb"

if [ ! -x "$rdb" ]; then
  python="$(command -v python3 || true)"
  if [ -z "$python" ]; then
    echo "rdbtools-venv: python3 is not installed (apt-get install -y python3 python3-venv)" >&2
    exit 2
  fi
  mkdir -p "$root/target"
  "$python" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check rdbtools==0.1.15 >&2
fi
echo "$rdb"
