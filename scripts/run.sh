#!/usr/bin/env bash
# Install what is missing (scripts/setup.sh), build sonde in release mode
# and run it with the given arguments, e.g. `scripts/run.sh serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PATH:$HOME/.cargo/bin"
exec cargo run --release --locked --quiet -- "$@"
