#!/usr/bin/env bash
# Installs every Debian package Nexus needs to build, test and run. Idempotent and
# non-interactive: when everything is already installed it changes nothing and takes
# a fraction of a second. Run as root, or with sudo available.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build make pkg-config ccache clang-format git
  # sanitizer and fuzz builds (make test-sanitize, make fuzz; docs/testing.md): clang, its
  # sanitizer + libFuzzer runtimes, and llvm-symbolizer (package llvm) for readable reports
  clang libclang-rt-14-dev llvm
  # libraries (see docs/dependencies.md for why each one)
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  nlohmann-json3-dev libsqlite3-dev libsodium-dev libspdlog-dev libfmt-dev
  libcli11-dev libcurl4-openssl-dev libboost-dev libexpat1-dev
  # PostgreSQL backend (issue 15): libpq to build; the server package because the store
  # conformance suite starts a throwaway cluster (initdb) for every make test
  libpq-dev postgresql
  libgtest-dev libgmock-dev libbenchmark-dev
  # tools used by tests, benchmarks and the web UI
  openssl curl wrk brotli
  # headless browser for the web UI's end-to-end tests (tests/e2e, Playwright drives it)
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js runs the third-party TestRail client test and builds web/. Any Node >= 18 will
# do (this image ships one from NodeSource, whose bundled npm conflicts with Debian's npm
# package), so Debian's packages are only installed when there is no node at all.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
