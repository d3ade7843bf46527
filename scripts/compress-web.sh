#!/usr/bin/env bash
# Compresses the built web UI once, at build time: a .gz (gzip -9) and a .br (brotli, best)
# next to every text file over 1 KiB in DIR (default web/dist). `nexus serve` sends them to
# browsers that accept them (src/api/static_files.cc); nothing is compressed per request.
set -euo pipefail
dir=${1:-web/dist}
find "$dir" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \
  -o -name '*.json' -o -name '*.map' -o -name '*.txt' \) -size +1k -print0 |
  while IFS= read -r -d '' f; do
    gzip -9 -k -f -n "$f"
    brotli -q 11 -k -f "$f"
  done
