// The persistence contract of Nexus: `Store`, the aggregate of the role interfaces below.
// Every backend (SQLite, PostgreSQL) implements Store and passes
// tests/storage/store_conformance_test.cc. A service that needs one role only may depend on
// that role's interface.
//
// Roles (one header each, each method's contract next to it):
//   IdentityStore        identity_store.h         users, API tokens, web sessions
//   ProjectStore         project_store.h          projects, memberships, feature flags
//   TestRunStore         test_run_store.h         tests (with steps), runs
//   PlanStore            plan_store.h             test plans, executions
//   JobStore             job_store.h              durable background jobs
//   TestRailConfigStore  testrail_config_store.h  per-project TestRail configuration
//   CatalogStore         catalog_store.h          TestRail catalog and links
//   ExportStore          export_store.h           TestRail exports
//   ArtifactStore        artifact_store.h         run artifacts (bytes in a BlobStore)
//   ImportStore          import_store.h           JUnit XML imports
//
// Contract for every method of every role:
//  - Thread-safe: any thread may call any method concurrently.
//  - Atomic: a method that writes either applies all of its changes or none.
//  - Project scoping: methods taking a project_id never see objects of another project;
//    such an object is NotFound, exactly like a missing one.
//  - Errors: NotFound for a missing object, Conflict for a uniqueness or version violation
//    (reason "duplicate" or "version_mismatch"), Internal for database failures (the
//    message names the operation, never secret values).
//  - Ids are assigned by the store (positive, increasing); timestamps are supplied by the
//    caller (services own the Clock).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "storage/artifact_store.h"
#include "storage/catalog_store.h"
#include "storage/export_store.h"
#include "storage/identity_store.h"
#include "storage/import_store.h"
#include "storage/job_store.h"
#include "storage/page_request.h"
#include "storage/plan_store.h"
#include "storage/project_store.h"
#include "storage/test_run_store.h"
#include "storage/testrail_config_store.h"

namespace nexus {

class Store : public IdentityStore,
              public ProjectStore,
              public TestRunStore,
              public PlanStore,
              public JobStore,
              public TestRailConfigStore,
              public CatalogStore,
              public ExportStore,
              public ArtifactStore,
              public ImportStore {
 public:
  ~Store() override = default;

  // Brings the schema to the newest version by applying the numbered migrations in
  // storage/migrations/ that are not yet recorded; safe to call on every start.
  virtual Status Migrate() = 0;
  // Highest applied migration number (0 for an empty database).
  virtual Result<int> SchemaVersion() = 0;
};

// Opens (creating when missing) the SQLite database at `path` (":memory:" for a private
// in-memory database) with WAL and foreign keys on. Does not migrate.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Connects to PostgreSQL (`conninfo`: a postgresql:// URL or a libpq "key=value" string) with
// a pool of at most `pool_size` connections. Does not migrate. Unavailable when unreachable.
// `read_cache_ttl_ms` > 0 (`nexus serve`): identity and project reads are cached in memory
// once the store is migrated (PostgresStoreOptions, read_cache.h).
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo, int pool_size = 8,
                                                 int read_cache_ttl_ms = 0);

// Opens the store named by a --db URL: "sqlite:///abs/path.db", "sqlite:relative.db", a plain
// path, or "postgresql://…" / "postgres://…" (a pool of 8 connections). InvalidArgument for an
// unknown scheme.
Result<std::unique_ptr<Store>> OpenStore(const std::string& db_url);

}  // namespace nexus
