#!/usr/bin/env bash
# Install what is missing (scripts/setup.sh), build sonde in release mode
# and run it with the given arguments, e.g. `scripts/run.sh serve`. Runs in
# the directory it is called from, so relative paths in the arguments mean
# what they say; the build shows cargo's progress (the first one takes a few
# minutes: fat LTO).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$repo/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
echo "run: building sonde (release) in $repo" >&2
cargo build --release --locked --manifest-path "$repo/Cargo.toml"
target="$(cd "$repo" && cargo metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
exec "${target:-$repo/target}/release/sonde" "$@"
