#!/usr/bin/env bash
# JUnit import benchmark (issue 18, docs/benchmarks.md "JUnit import"): a generated Surefire-
# shaped report imported by `nexus import junit` into a data dir and through `nexus serve`,
# each run a fresh process: wall time, CPU time and peak RSS. Assumes `make build` was run
# (configures the tree); builds only junit_import_bench and nexus. Extra arguments go to the
# program, e.g.
#   bench/run_junit_import_bench.sh --testcases 100000   # ~28 MB
#   bench/run_junit_import_bench.sh --testcases 180000   # ~50 MB
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake --build "$BUILD" --target junit_import_bench nexus
exec "$BUILD/junit_import_bench" "$@"
