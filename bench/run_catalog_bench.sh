#!/usr/bin/env bash
# Catalog benchmark (docs/benchmarks.md "Catalog"): full sync of a 100,000-case
# simulated TestRail project (4 suites x 25,000), an unchanged incremental re-sync, and
# 2,000 case searches through the REST API. Assumes `make build` was run (configures the
# tree); builds only the catalog_bench target. Extra arguments go to the program, e.g.
#   bench/run_catalog_bench.sh --paced-rpm 180     # also a full sync at TestRail Cloud's limit
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake --build "$BUILD" --target catalog_bench
exec "$BUILD/catalog_bench" "$@"
