#!/usr/bin/env bash
# Export benchmark (docs/benchmarks.md "Export", "Issue 16"): one export of N results by Nexus
# (budget 180 requests/min) and the same N results uploaded the way trcli does (batches of
# 50, 20 threads, retries), against testrail-sim run as a separate process with 50 ms
# latency, 1 ms per result and a 180/min rate limit. Assumes `make build` was run (configures
# the tree); builds only the export_bench target (and the simulator it starts). Extra
# arguments go to the program, e.g.
#   bench/run_export_bench.sh --results 1000,10000,50000
#   BUILD_DIR=/tmp/build bench/run_export_bench.sh --only nexus --batch-size 2000
#   bench/run_export_bench.sh --results 100,1000,10000,50000,100000 \
#       --models bucket,sliding,fixed --trials 3          # issue 16 (medians, x floor)
# --postgres (first argument): Nexus on a throwaway PostgreSQL cluster (bench/pg_cluster.sh),
# a fresh database per size, the sizes run one after another (issue 15), e.g.
#   bench/run_export_bench.sh --postgres --results 10000 --only nexus --trials 3
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake --build "$BUILD" --target export_bench
if [ "${1:-}" != "--postgres" ]; then exec "$BUILD/export_bench" "$@"; fi
shift
SIZES=10000
ARGS=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--results" ]; then SIZES=$2; shift 2; else ARGS+=("$1"); shift; fi
done
. bench/pg_cluster.sh
trap pg_cluster_stop EXIT
pg_cluster_start
for n in ${SIZES//,/ }; do
  pg_cluster_as "$PG_BIN/psql" -h "$PG_DIR" -U postgres -d postgres -qc "CREATE DATABASE n$n"
  "$BUILD/export_bench" --results "$n" --db "postgresql://postgres@/n$n?host=$PG_DIR" "${ARGS[@]}"
done
