#!/usr/bin/env bash
# Runs every fuzz target for a while: `fuzz/run.sh [SECONDS] [RUNS]` (default 20 s, or the
# number of runs when given). Seeds come from `seeds/`, the working corpus goes to
# `corpus/` (not committed). Exits non-zero on the first crash.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
runs=${2:-}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build
for target in $targets; do
    mkdir -p "corpus/$target"
    dict="dict/${target%%_*}.dict"
    limit="-max_total_time=$seconds"
    [ -n "$runs" ] && limit="-runs=$runs"
    echo "== $target"
    log=$(mktemp)
    if ! cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        "$limit" -dict="$dict" -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz target $target failed" >&2
        exit 1
    fi
    grep -E "stat::number_of_executed_units|^Done" "$log" || true
    rm -f "$log"
done
