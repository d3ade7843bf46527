#!/usr/bin/env bash
# Shared TestRail rate budget at the real scale (docs/benchmarks.md "Rate budget shared by two
# instances", issue 15): two `nexus serve` processes on one throwaway PostgreSQL database (the
# test cluster of tests/storage/pg_test_cluster.h) export one project each, at once, to one
# simulated TestRail limited to 180 calls per sliding 60-s window; Nexus is told 180/min with
# the default 80% share. Run with the shared budget and then without it (the control). Each
# export writes BENCH_CASES results (default 100) one per call. Prints one BENCH line per run:
# calls, 429s, wall time. Takes ~3-5 minutes. Assumes a configured build tree (see README);
# builds only nexus and multi_instance_test.
#   bench/shared_budget_bench.sh
#   BENCH_CASES=200 BUILD_DIR=/tmp/build bench/shared_budget_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake --build "$BUILD" --target nexus multi_instance_test
export NEXUS_BUILD_DIR="$PWD/$BUILD"
"$BUILD/multi_instance_test" --gtest_also_run_disabled_tests \
  --gtest_filter='MultiInstanceTest.DISABLED_SharedBudgetBenchRealScale' | grep -E '^BENCH|OK|FAILED'
