#!/usr/bin/env bash
# Build the Debian package of sonde: target/debian/sonde_<version>_<arch>.deb
# (the binary, man pages, completions, a systemd unit for `sonde serve`; see
# docs/install.md). Installs cargo-deb with `cargo install` when it is
# missing (a few minutes, once). Arguments go to `cargo deb`; without
# --no-build it builds the release binary first, with cargo's progress.
#   scripts/package.sh                      # build, then package
#   scripts/package.sh --no-build           # package the binary already built
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo deb --version >/dev/null 2>&1; then
  echo "package: installing cargo-deb (cargo install cargo-deb --locked)" >&2
  cargo install cargo-deb --locked
fi
cd "$repo"
cargo deb --locked "$@"
