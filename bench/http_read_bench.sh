#!/usr/bin/env bash
# Mixed read workload against `nexus serve` (goal: >= 5,000 requests/s on 2 cores, on SQLite
# and on PostgreSQL — issue 15). Seeds a project with 200 tests and 2,000 runs through the CLI
# and REST API, then runs wrk on loopback.
#   bench/http_read_bench.sh [--postgres] [--instances N] [DURATION_S] [CONNECTIONS]
# --postgres: the database is a throwaway PostgreSQL cluster (bench/pg_cluster.sh, default
# durability, unix socket) instead of SQLite in the data dir. --instances N (PostgreSQL only):
# N `nexus serve` processes on that one database, wrk driving each with CONNECTIONS/N
# connections at once; the figure is their sum.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
PG=0
INSTANCES=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) PG=1; shift ;;
    --instances) INSTANCES=$2; shift 2 ;;
    *) break ;;
  esac
done
DUR=${1:-10}
CONNS=${2:-32}
command -v wrk >/dev/null || { echo "wrk missing: make deps" >&2; exit 1; }
[ "$INSTANCES" = 1 ] || [ "$PG" = 1 ] || { echo "--instances needs --postgres" >&2; exit 2; }
. bench/pg_cluster.sh
DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_cluster_stop
  rm -rf "$DIR"
}
trap cleanup EXIT

STORE=(--data-dir "$DIR")
if [ "$PG" = 1 ]; then
  pg_cluster_start
  STORE+=(--database "$PG_URL")
fi
echo "bench-pass-123" | "$BUILD/nexus" user add --email bench@example.com --name Bench \
  --password-stdin --org-admin "${STORE[@]}" >/dev/null
TOKEN=$("$BUILD/nexus" token create --email bench@example.com --name bench "${STORE[@]}")
PROJECT=$("$BUILD/nexus" project create --name Bench --admin-email bench@example.com \
  "${STORE[@]}")

URLS=()
for n in $(seq "$INSTANCES"); do
  "$BUILD/nexus" --log-level warn serve --listen 127.0.0.1:0 "${STORE[@]}" > "$DIR/out$n" &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "listening on" "$DIR/out$n" 2>/dev/null && break; sleep 0.05; done
  URLS+=("$(head -1 "$DIR/out$n" | sed 's/listening on //')")
done
URL=${URLS[0]}
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
echo "seeded: 200 tests, 2000 runs; test $TEST run $RUN; database: $([ "$PG" = 1 ] && echo PostgreSQL || echo SQLite); instances: $INSTANCES"
export NEXUS_TOKEN=$TOKEN NEXUS_PROJECT=$PROJECT NEXUS_TEST=$TEST NEXUS_RUN=$RUN
if [ "$INSTANCES" = 1 ]; then
  wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s bench/http_mixed_read.lua "$URL"
  exit 0
fi
# Several instances: one wrk per instance at once, then the sum of their rates.
WPIDS=()
for n in $(seq "$INSTANCES"); do
  wrk -t1 -c$((CONNS / INSTANCES)) -d"${DUR}s" --latency -s bench/http_mixed_read.lua \
    "${URLS[$((n - 1))]}" > "$DIR/wrk$n" &
  WPIDS+=($!)
done
wait "${WPIDS[@]}"
for n in $(seq "$INSTANCES"); do echo "--- instance $n"; cat "$DIR/wrk$n"; done
awk '/^Requests\/sec/ {s += $2} END {printf "total Requests/sec: %.2f\n", s}' "$DIR"/wrk*
