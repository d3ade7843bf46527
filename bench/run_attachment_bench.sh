#!/usr/bin/env bash
# Attachment benchmark (docs/benchmarks.md "Attachments", issue 17): one export of 1,000
# results carrying 2,000 screenshots of 200 KiB (attachment policy "all") by Nexus (budget 180
# requests/min) to testrail-sim run as a separate process (50 ms latency, 1 ms per result,
# 180/min rate limit); verified in the simulator (each screenshot once on its result). Assumes
# `make build` was run; builds only the attachment_bench target (and the simulator). Extra
# arguments go to the program, e.g.
#   bench/run_attachment_bench.sh --results 100 --kib 1024
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake --build "$BUILD" --target attachment_bench
exec "$BUILD/attachment_bench" "$@"
