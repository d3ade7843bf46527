#!/usr/bin/env bash
# clang-format over every C++ source we own. `format.sh check` fails (and lists the files)
# when one is not formatted; `format.sh fix` rewrites them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cc' '*.h' | grep -v '^web/' || true)
[ ${#files[@]} -eq 0 ] && exit 0
if [ "$mode" = fix ]; then
  clang-format -i "${files[@]}"
else
  bad=()
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if [ ${#bad[@]} -ne 0 ]; then
    echo "format-check: not clang-formatted (run 'make format'):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
fi
