#!/usr/bin/env bash
# Adversarial benchmark (issue 13, docs/benchmarks.md "Under attack"): 500 slow connections,
# 20 chunked 100 MB bodies, 3,000 bogus methods and 200 wrong logins against a Nexus that
# exports 10,000 results to testrail-sim meanwhile, while a normal client measures /healthz.
# Exits non-zero when a goal is missed. Assumes `make build` was run (configures the tree);
# builds only the adversarial_bench target (and the simulator). Extra arguments go to the
# program, e.g.
#   bench/adversarial.sh --duration-s 60 --slow 1000
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake --build "$BUILD" --target adversarial_bench
exec "$BUILD/adversarial_bench" "$@"
