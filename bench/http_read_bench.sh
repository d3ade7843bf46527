#!/usr/bin/env bash
# Mixed read workload against `nexus serve` on SQLite (goal: >= 5,000 requests/s on
# 2 cores). Seeds a project with 200 tests and 2,000 runs through the CLI and REST API, then
# runs wrk on loopback. Usage: bench/http_read_bench.sh [DURATION_S] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
DUR=${1:-10}
CONNS=${2:-32}
command -v wrk >/dev/null || { echo "wrk missing: make deps" >&2; exit 1; }
DIR=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT

echo "bench-pass-123" | "$BUILD/nexus" user add --email bench@example.com --name Bench \
  --password-stdin --org-admin --data-dir "$DIR" >/dev/null
TOKEN=$("$BUILD/nexus" token create --email bench@example.com --name bench --data-dir "$DIR")
PROJECT=$("$BUILD/nexus" project create --name Bench --admin-email bench@example.com \
  --data-dir "$DIR")

"$BUILD/nexus" --log-level warn serve --listen 127.0.0.1:0 --data-dir "$DIR" > "$DIR/out" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$DIR/out" 2>/dev/null && break; sleep 0.05; done
URL=$(head -1 "$DIR/out" | sed 's/listening on //')
H=(-s -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
for i in $(seq 200); do
  TEST=$(curl "${H[@]}" -X POST "$URL/api/v1/projects/$PROJECT/tests" \
    -d "{\"name\":\"Test $i\",\"tags\":[\"bench\"],\"steps\":[{\"goal\":\"a\"},{\"goal\":\"b\"},{\"goal\":\"c\"}]}" \
    | sed -E 's/.*"id":([0-9]+),"name".*/\1/; s/^\{"created_at".*"id":([0-9]+).*/\1/')
  for j in $(seq 10); do
    RUN=$(curl "${H[@]}" -X POST "$URL/api/v1/projects/$PROJECT/runs" \
      -d "{\"test_id\":$TEST,\"result\":\"Success\",\"bug_label\":\"NoBug\",\"started_at\":\"2026-11-25T10:00:00Z\",\"finished_at\":\"2026-11-25T10:01:00Z\",\"build\":\"b$j\"}" \
      | grep -oE '"id":[0-9]+' | head -1 | cut -d: -f2)
  done
done
TEST=$(curl "${H[@]}" "$URL/api/v1/projects/$PROJECT/tests?limit=1" | grep -oE '"id":[0-9]+' | head -1 | cut -d: -f2)
echo "seeded: 200 tests, 2000 runs; test $TEST run $RUN"
NEXUS_TOKEN=$TOKEN NEXUS_PROJECT=$PROJECT NEXUS_TEST=$TEST NEXUS_RUN=$RUN \
  wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s bench/http_mixed_read.lua "$URL"
