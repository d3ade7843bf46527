#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz (docs/testing.md; issue 13):
#   scripts/fuzz.sh BUILD_DIR TARGET SECONDS      (SECONDS 0 = until stopped)
# The committed seed corpus tests/fuzz/corpus/TARGET/ is read only; new inputs go to
# BUILD_DIR/fuzz/TARGET/corpus and crash inputs to BUILD_DIR/fuzz/TARGET/ (crash-…, leak-…,
# timeout-…). A crash exits non-zero. To keep a crash input: fix the bug, then copy the
# input into the seed corpus so it is replayed on every run.
set -euo pipefail
build_dir=$1 target=$2 seconds=${3:-0}
src_dir="$(cd "$(dirname "$0")/.." && pwd)"
seeds="$src_dir/tests/fuzz/corpus/$target"
work="$build_dir/fuzz/$target"
bin="$build_dir/$target"
[ -x "$bin" ] || { echo "fuzz: no $bin (make fuzz-build)" >&2; exit 2; }
[ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; exit 2; }
mkdir -p "$work/corpus"
args=(-artifact_prefix="$work/" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
if [ "$seconds" -gt 0 ]; then args+=(-max_total_time="$seconds"); fi
echo "fuzz: $target for ${seconds}s (0 = until stopped); crashes go to $work/" >&2
# One job, one worker: the first directory receives new inputs, the seeds are read from the second.
exec "$bin" "${args[@]}" "$work/corpus" "$seeds"
