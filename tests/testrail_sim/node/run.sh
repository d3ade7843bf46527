#!/usr/bin/env bash
# CTest entry: installs the pinned npm client (npm ci), starts testrail-sim on a free loopback
# port, runs flow.js against it and stops the simulator. Usage: run.sh PATH/TO/testrail-sim
set -euo pipefail
sim_bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ ! -d node_modules/testrail-api ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
out="$(mktemp)"
"$sim_bin" --listen 127.0.0.1:0 --base-path /testrail \
  --generate projects=2,suites=2,sections=6,cases=300 --api-key node-flow-key \
  --result-field 'name=custom_env,type=dropdown,options=Staging|Prod,required=true,projects=2' \
  --configs 'Platform=PC|PS5' --milestones 2 >"$out" 2>&1 &
sim_pid=$!
trap 'kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$out" && break
  sleep 0.05
done
port="$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -1)"
if [ -z "$port" ]; then
  echo "testrail-sim did not start:"; cat "$out"; exit 1
fi
node flow.js "http://127.0.0.1:${port}/testrail" admin@example.com node-flow-key
