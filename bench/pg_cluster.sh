# A throwaway PostgreSQL cluster for benchmarks (issue 15), to be sourced by a bench script:
#   . bench/pg_cluster.sh && pg_cluster_start && echo "$PG_URL"   (pg_cluster_stop on exit)
# initdb into a temp dir, the postmaster listening only on a unix socket in that dir, with
# PostgreSQL's default durability (fsync, synchronous_commit on) so the figures are those of a
# real deployment; as root it runs as the `postgres` system user (PostgreSQL refuses root).
# Same approach as the tests' tests/storage/pg_test_cluster.h; Debian's postgresql package
# (scripts/install-deps.sh). PG_EXTRA_OPTS adds server options (e.g.
# "-c log_min_duration_statement=0" to see where a run's database time goes).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_cluster_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_cluster_start() {
  [ -x "$PG_BIN/postgres" ] || { echo "$PG_BIN/postgres missing: make deps" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/nexus_bench_pg_XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
  pg_cluster_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C \
    > "$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_cluster_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w start \
    -o "-k $PG_DIR -c listen_addresses= -c max_connections=200 ${PG_EXTRA_OPTS:-}" > /dev/null ||
    { cat "$PG_DIR/postgres.log" >&2; return 1; }
  pg_cluster_as "$PG_BIN/psql" -h "$PG_DIR" -U postgres -d postgres -qc \
    "CREATE DATABASE nexus" > /dev/null
  PG_URL="postgresql://postgres@/nexus?host=$PG_DIR"
  export PG_DIR PG_URL
}

pg_cluster_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_cluster_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
