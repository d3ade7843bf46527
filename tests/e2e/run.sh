#!/usr/bin/env bash
# Runs the web UI end-to-end tests. Env: NEXUS_SOURCE_DIR (repo root), NEXUS_BUILD_DIR
# (where nexus and testrail-sim are built). Screenshots go to test-artifacts/screenshots/.
set -euo pipefail
SRC="${NEXUS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILD="${NEXUS_BUILD_DIR:-$SRC/build}"
export NEXUS_SOURCE_DIR="$SRC" NEXUS_BUILD_DIR="$BUILD"

for bin in nexus testrail-sim; do
  if [ ! -x "$BUILD/$bin" ]; then echo "e2e: $BUILD/$bin is not built" >&2; exit 1; fi
done
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "e2e: ${CHROMIUM:-/usr/bin/chromium} not found (apt-get install chromium; see scripts/install-deps.sh)" >&2
  exit 1
fi
cd "$SRC/web"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
# Build the UI when dist is missing or older than any source or the OpenAPI document it is
# typed from (make web does the same).
if [ ! -f dist/index.html ] || [ -n "$(find src index.html package-lock.json vite.config.ts ../src/api/openapi.json -newer dist/index.html -print -quit)" ]; then
  npm run build >&2
fi
exec node "$SRC/tests/e2e/e2e.mjs"
