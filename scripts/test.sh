#!/usr/bin/env bash
# The whole test suite: install the real peers if missing, then run every
# test (unit and integration) against the release build. Extra arguments go
# to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo test --release --locked "$@"
