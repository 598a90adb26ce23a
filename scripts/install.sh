#!/usr/bin/env bash
# Install sonde for this user: what building needs (scripts/setup.sh), then
# `cargo install --path . --locked`, which builds the release binary (with
# cargo's progress; a few minutes the first time) and copies it to
# ~/.cargo/bin/sonde (or $CARGO_INSTALL_ROOT/bin). Then the man pages and
# the bash, zsh and fish completions go under ~/.local/share (XDG
# locations those tools search; see docs/install.md for elvish and
# PowerShell). Prints where everything went.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$repo/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
echo "install: cargo install --path $repo --locked" >&2
cargo install --path "$repo" --locked
bin="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"

data="${XDG_DATA_HOME:-$HOME/.local/share}"
config="${XDG_CONFIG_HOME:-$HOME/.config}"
install -d "$data/man/man1" "$data/bash-completion/completions" \
  "$data/zsh/site-functions" "$config/fish/completions"
install -m 644 "$repo"/man/*.1 "$data/man/man1/"
install -m 644 "$repo/completions/sonde.bash" "$data/bash-completion/completions/sonde"
install -m 644 "$repo/completions/_sonde" "$data/zsh/site-functions/_sonde"
install -m 644 "$repo/completions/sonde.fish" "$config/fish/completions/sonde.fish"

echo "install: sonde is $bin/sonde" >&2
echo "install: man pages in $data/man/man1, completions for bash, zsh and fish under $data and $config" >&2
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "install: $bin is not on your PATH; add it: export PATH=\"$bin:\$PATH\"" >&2 ;;
esac
