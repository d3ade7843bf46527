#!/usr/bin/env bash
# CTest entry of the OpenAPI contract test: installs the pinned npm packages (npm ci) when
# missing or stale, then runs contract.mjs. Env: NEXUS_SOURCE_DIR, NEXUS_BUILD_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export NEXUS_SOURCE_DIR="${NEXUS_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}"
export NEXUS_BUILD_DIR="${NEXUS_BUILD_DIR:-$NEXUS_SOURCE_DIR/build}"
for bin in nexus testrail-sim; do
  if [ ! -x "$NEXUS_BUILD_DIR/$bin" ]; then echo "contract: $NEXUS_BUILD_DIR/$bin is not built" >&2; exit 1; fi
done
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec node contract.mjs
