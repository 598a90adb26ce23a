#!/usr/bin/env bash
# Long fuzzing runs with libFuzzer (cargo-fuzz, nightly Rust).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 600); TARGETs default to all of them. Each
# target's corpus (fuzz/corpus/TARGET, not committed) starts from its seeds:
# fuzz/seeds, the RDB files of tests/data/rdb and fuzz/regressions. A crash
# is written to fuzz/artifacts/TARGET/; copy it into fuzz/regressions/TARGET/
# and it runs in every `cargo test` from then on (tests/fuzz.rs).
# Installs, when missing, a nightly toolchain (rustup) and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(resp_request resp_decode rdb_values rdb_summary replication_stream config_file)
fi
# Install what the long runs need, only when missing: the nightly toolchain
# (libFuzzer's instrumentation) and cargo-fuzz.
export PATH="$HOME/.cargo/bin:$PATH"
command -v rustup >/dev/null || { echo "fuzz: rustup is needed for a nightly toolchain (scripts/setup.sh installs Rust through it)" >&2; exit 2; }
rustup toolchain list | grep -q '^nightly' || { echo "fuzz: installing the nightly toolchain" >&2; rustup toolchain install nightly --profile minimal; }
command -v cargo-fuzz >/dev/null || { echo "fuzz: installing cargo-fuzz" >&2; cargo install cargo-fuzz --locked; }
failed=()
for t in "${targets[@]}"; do
    corpus="fuzz/corpus/$t"
    mkdir -p "$corpus"
    case "$t" in
        rdb_values)
            find tests/data/rdb -name '*.rdb' -size -1024k -exec cp {} "$corpus/" \; ;;
        rdb_summary)
            # The first byte chooses the piece size the payload arrives in.
            for f in $(find tests/data/rdb -name '*.rdb' -size -1024k); do
                { printf '\007'; cat "$f"; } > "$corpus/$(basename "$f")"
            done ;;
        config_file)
            cp fuzz/seeds/config/* "$corpus/" ;;
        *)
            cp fuzz/seeds/resp/* "$corpus/" ;;
    esac
    if [ -d "fuzz/regressions/$t" ]; then cp "fuzz/regressions/$t"/* "$corpus/"; fi
    echo "== $t: ${seconds}s" >&2
    mkdir -p fuzz/artifacts
    log="fuzz/artifacts/$t.log"
    if ! (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048) >"$log" 2>&1; then
        failed+=("$t")
        grep -E 'panicked|SUMMARY|Test unit written' "$log" >&2 || true
    fi
    # The last status line (executions, coverage, corpus) and the totals.
    grep -E '^#[0-9]+' "$log" | tail -n 1 >&2 || true
    grep -E 'stat::(number_of_executed_units|peak_rss_mb)' "$log" >&2 || true
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
