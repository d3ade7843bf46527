#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in turn (`make bench`), each with its default sizes.
# Long: the export and adversarial benchmarks pace themselves at TestRail Cloud's rate limit.
# Run one on its own with its script (bench/run_*_bench.sh, bench/adversarial.sh,
# bench/http_read_bench.sh). Assumes `make build` was run.
set -euo pipefail
cd "$(dirname "$0")/.."
run() {
  echo "==> $*"
  "$@"
}
run bench/http_read_bench.sh 10 32
run bench/run_catalog_bench.sh
run bench/run_export_bench.sh
run bench/run_attachment_bench.sh
run bench/adversarial.sh
run bench/run_junit_import_bench.sh --testcases 100000
run bench/run_junit_import_bench.sh --testcases 180000
