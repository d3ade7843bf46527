// SqliteStore: the SQL implementation of Store (store.h) — on SQLite (the default) and, with
// the same role code and SQL, on PostgreSQL (issue 15; docs/storage.md "PostgreSQL"). The
// role files (sqlite_*.cc) are written against the backend-neutral connection layer
// (sql_conn.h) in the portable SQL subset; a backend is a connection pool (sql_pool.h).
//
// SQLite: one writer connection guarded by a mutex — every write runs in a BEGIN IMMEDIATE
// transaction on it — plus a pool of read-only connections (WAL lets readers proceed while
// the writer commits); every read runs in one read transaction so a test and its steps, or a
// page and its children, come from one snapshot. A ":memory:" database uses the writer
// connection for reads too (one private database per store). Every connection: WAL journal,
// foreign_keys=ON, synchronous=NORMAL, busy_timeout.
//
// PostgreSQL (pg_conn.h): a bounded pool of connections shared by reads and writes; a write
// transaction takes the database-wide writer lock (an advisory lock), which gives every
// process on the database the single-writer semantics the role code relies on; a read runs in
// a REPEATABLE READ READ ONLY transaction (one snapshot).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "storage/read_cache.h"
#include "storage/store.h"

namespace nexus {

namespace sql {
class Connection;
class ConnectionPool;
}  // namespace sql
namespace pg {
class CacheListener;
}  // namespace pg
namespace sqlite {
using Connection = sql::Connection;
}  // namespace sqlite

struct SqliteStoreOptions {
  // Reader connections opened on demand, at most this many (ignored for ":memory:").
  int max_readers = 8;
  // How long a statement waits for a lock held by another process before failing with
  // Unavailable.
  int busy_timeout_ms = 5000;
};

struct PostgresStoreOptions {
  // Connections opened on demand, at most this many (reads and writes share them).
  int pool_size = 8;
  // > 0: keep the identity and project rows each request reads in memory, invalidated through
  // LISTEN/NOTIFY and by this process' writes, each entry for at most this long (read_cache.h;
  // `nexus serve` only). 0: every read goes to the database.
  int read_cache_ttl_ms = 0;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating when missing) the database at `path`; does not migrate. Internal when the
  // file cannot be opened or is not a SQLite database.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const SqliteStoreOptions& options = {});
  // Connects to the PostgreSQL database named by `conninfo` (a postgresql:// URL or a libpq
  // "key=value" string); does not migrate. Unavailable when the server cannot be reached.
  static Result<std::unique_ptr<SqliteStore>> OpenPostgres(
      const std::string& conninfo, const PostgresStoreOptions& options = {});
  // Opens the store named by a --db URL (store.h OpenStore); does not migrate.
  static Result<std::unique_ptr<SqliteStore>> OpenUrl(const std::string& db_url);
  ~SqliteStore() override;

  // One transaction on a raw connection, below the roles: for tools that work on every table
  // at once (db_copy.h) and must not grow a role method per table. Same semantics as the
  // roles' transactions (a write holds the database's writer lock; fn failing rolls back).
  Status RawWrite(std::string_view op, const std::function<Status(sql::Connection&)>& fn) {
    return WriteTx(op, fn);
  }
  Status RawRead(std::string_view op, const std::function<Status(sql::Connection&)>& fn) {
    return ReadTx(op, fn);
  }
  // A row-locking transaction (RowLockingTx below) for code that locks the rows it changes
  // itself and must not queue behind the single writer lock: the shared TestRail rate budget
  // (pg_rate_ledger.h). fn must touch only the database (it may run again on a transient error).
  Status RawRowLocking(std::string_view op, const std::function<Status(sql::Connection&)>& fn) {
    return RowLockingTx(op, fn);
  }
  // One statement that is its own transaction (Connection::BeginSingleStatementRead; on
  // PostgreSQL sent alone, without BEGIN/COMMIT, and committed by the server when it succeeds):
  // a server-side function that takes and releases its own row locks (the shared rate budget's
  // grant, pg_rate_ledger.h). A second statement fails with Internal. Retried like
  // RawRowLocking on a transient error: a failed statement changed nothing, and a connection
  // lost after the server committed repeats what fn does (a grant counted twice: one place
  // fewer, never one more).
  Status RawOneStatement(std::string_view op, const std::function<Status(sql::Connection&)>& fn);
  bool IsPostgres() const;

  Status Migrate() override;
  // Applies the pending migrations numbered <= `version` only (tests and tools use it to
  // build a database at an older schema). InvalidArgument for an unknown version.
  Status MigrateTo(int version);
  Result<int> SchemaVersion() override;

  // Identity (sqlite_identity.cc).
  Result<User> CreateUser(const User& user) override;
  Result<User> GetUser(int64_t id) override;
  Result<User> GetUserByEmail(const std::string& email) override;
  Result<std::vector<User>> ListUsers() override;
  Result<int64_t> CountUsers() override;

  Result<ApiToken> CreateToken(const ApiToken& token) override;
  Result<ApiToken> GetTokenByHash(const std::string& token_hash) override;
  Result<User> GetUserByTokenHash(const std::string& token_hash) override;
  Result<std::vector<ApiToken>> ListTokens(int64_t user_id) override;
  Status DeleteToken(int64_t user_id, int64_t token_id) override;

  Status CreateSession(const Session& session) override;
  Result<Session> GetSession(const std::string& id_hash) override;
  Status DeleteSession(const std::string& id_hash) override;
  Status DeleteExpiredSessions(TimeMs now) override;

  // Projects, feature flags, memberships (sqlite_projects.cc).
  Result<Project> CreateProject(const Project& project,
                                std::optional<int64_t> creator_user_id) override;
  Result<Project> GetProject(int64_t id) override;
  Result<std::vector<Project>> ListProjects() override;
  Result<std::vector<Project>> ListProjectsForUser(int64_t user_id) override;
  Status SetProjectFeature(int64_t project_id, const std::string& feature, bool enabled) override;

  Status SetMembership(const Membership& m) override;
  Status RemoveMembership(int64_t project_id, int64_t user_id) override;
  Result<std::optional<ProjectRole>> GetRole(int64_t project_id, int64_t user_id) override;
  Result<std::vector<Membership>> ListMembers(int64_t project_id) override;

  // Tests and runs (sqlite_tests_runs.cc).
  Result<Test> CreateTest(const Test& test) override;
  Result<Test> GetTest(int64_t project_id, int64_t test_id) override;
  Result<std::vector<Test>> ListTests(int64_t project_id, const PageRequest& page) override;
  Result<Test> UpdateTest(const Test& test) override;
  Status DeleteTest(int64_t project_id, int64_t test_id, TimeMs now) override;

  Result<Run> CreateRun(const Run& run) override;
  Result<Run> CreateRunInExecution(const Run& run) override;  // sqlite_run_join.cc
  Result<Run> GetRun(int64_t project_id, int64_t run_id) override;
  Result<std::vector<Run>> ListRuns(int64_t project_id, const RunFilter& filter,
                                    const PageRequest& page) override;
  Result<Run> UpdateRun(const Run& run) override;

  // Plans and executions (sqlite_plans.cc).
  Result<TestPlan> CreatePlan(const TestPlan& plan) override;
  Result<TestPlan> GetPlan(int64_t project_id, int64_t plan_id) override;
  Result<std::vector<TestPlan>> ListPlans(int64_t project_id, const PageRequest& page) override;
  Result<Execution> CreateExecution(const Execution& execution) override;
  Result<Execution> GetExecution(int64_t project_id, int64_t execution_id) override;
  Result<std::vector<Execution>> ListExecutions(int64_t project_id,
                                                const PageRequest& page) override;
  Result<ExecutionState> SetExecutionState(int64_t project_id, int64_t execution_id,
                                           ExecutionState state,
                                           std::optional<TimeMs> completed_at) override;

  // TestRail configuration (sqlite_testrail_config.cc).
  Result<TestRailConfigRecord> GetTestRailConfig(int64_t project_id) override;
  Status SaveTestRailConnection(int64_t project_id, const TestRailConnectionUpdate& update,
                                TimeMs now) override;
  Status DeleteTestRailConnection(int64_t project_id, TimeMs now) override;
  Status SetTestRailProject(int64_t project_id, const TestRailProjectRecord& project,
                            const std::vector<TestRailSuiteRecord>& suites, TimeMs now) override;
  Status SetTestRailSuites(int64_t project_id, const std::vector<TestRailSuiteRecord>& suites,
                           TimeMs now) override;
  Status SaveTestRailStatuses(int64_t project_id, const std::vector<TestRailStatusRecord>& statuses,
                              TimeMs fetched_at) override;
  Status SaveTestRailMapping(int64_t project_id, const std::optional<StatusMapping>& mapping,
                             TimeMs now) override;
  Status SaveTestRailOptions(int64_t project_id, const TestRailOptionsRecord& options,
                             TimeMs now) override;
  Status SaveTestRailExportFields(int64_t project_id, const std::optional<std::string>& json,
                                  TimeMs now) override;
  Status SaveTestRailConfigurations(int64_t project_id, const std::optional<std::string>& json,
                                    TimeMs now) override;

  // Jobs (sqlite_jobs.cc).
  Result<int64_t> EnqueueJob(const NewJob& job, TimeMs now) override;
  Result<std::optional<Job>> ClaimNextJob(TimeMs now, const std::string& worker_id,
                                          int64_t lease_ms,
                                          const std::vector<std::string>& kinds) override;
  Status HeartbeatJob(int64_t id, const std::string& worker_id, TimeMs lease_until,
                      TimeMs now) override;
  Status UpdateJobProgress(int64_t id, const std::string& progress_json, TimeMs now) override;
  Status FinishJob(int64_t id, const std::string& worker_id, JobState state,
                   const std::string& result_json, const std::string& error, TimeMs now) override;
  Result<Job> GetJob(int64_t id) override;
  Result<std::vector<Job>> ListJobs(int64_t project_id, const std::string& kind,
                                    int limit) override;

  // TestRail catalog and links (sqlite_catalog.cc).
  Status ApplyCatalogSuite(int64_t project_id, const CatalogSuiteUpdate& update,
                           TimeMs now) override;
  Result<std::vector<CatalogSuiteRecord>> ListCatalogSuites(int64_t project_id) override;
  Result<std::vector<CatalogSectionRecord>> ListCatalogSections(
      int64_t project_id, std::optional<int64_t> suite_id) override;
  Result<std::vector<CatalogCaseRecord>> ListCatalogCases(int64_t project_id) override;
  Result<std::vector<CatalogCaseRecord>> GetCatalogCases(
      int64_t project_id, const std::vector<int64_t>& case_ids) override;
  Result<int64_t> MarkCatalogCasesDeleted(int64_t project_id, const std::vector<int64_t>& case_ids,
                                          TimeMs now) override;
  Result<std::vector<int64_t>> ListLinkedCaseIds(int64_t project_id) override;
  Result<std::optional<CatalogStateRecord>> GetCatalogState(int64_t project_id) override;
  Status SaveCatalogState(int64_t project_id, const CatalogStateRecord& state) override;
  Status ReplaceTestRailLinks(int64_t project_id, int64_t test_id, const std::string& step_id,
                              const std::vector<int64_t>& case_ids, TimeMs now) override;
  Result<std::vector<TestRailLinkRecord>> ListTestRailLinks(
      int64_t project_id, const std::vector<int64_t>& test_ids) override;
  Result<int64_t> AcknowledgeTestRailLinks(int64_t project_id, int64_t test_id,
                                           const std::vector<int64_t>& case_ids,
                                           TimeMs now) override;
  Result<int64_t> CountTestRailLinkedCases(int64_t project_id, int64_t test_id) override;
  Result<std::map<int64_t, int64_t>> CountTestRailLinkedCasesInRange(int64_t project_id,
                                                                     int64_t first_test_id,
                                                                     int64_t last_test_id) override;

  // TestRail exports (sqlite_exports.cc).
  using ExportStore::CreateExport;
  Result<ExportRecord> CreateExportWithRows(
      const ExportRecord& rec, const std::function<Status(const PlanRowWriter&)>& fill) override;
  Result<ExportRecord> GetExport(int64_t project_id, int64_t export_id, bool with_plan) override;
  Status ForEachPlannedResult(
      int64_t export_id,
      const std::function<Status(int entry_index, PlannedResult& r)>& on_result) override;
  Status ForEachPlannedCase(
      int64_t export_id,
      const std::function<Status(int entry_index, int64_t case_id)>& on_case) override;
  Result<std::vector<PlannedResult>> ReadPlannedResults(int64_t export_id, int entry_index,
                                                        size_t from, size_t limit) override;
  Result<std::vector<int64_t>> PlannedCasesForRun(int64_t export_id, int64_t run_id) override;
  Result<std::vector<ExportRecord>> ListExports(int64_t project_id, int64_t before_id,
                                                int limit) override;
  Status UpdateExport(const ExportRecord& rec) override;
  Result<std::vector<int64_t>> ListActiveExports() override;
  Result<int64_t> AppendExportStep(const ExportStep& step) override;
  Result<std::vector<int64_t>> AppendExportSteps(const std::vector<ExportStep>& steps) override;
  Result<std::vector<ExportStep>> ListExportSteps(int64_t export_id) override;
  Result<std::optional<ExportRecord>> LastExportForRun(int64_t project_id, int64_t run_id) override;
  Result<std::vector<CaseExportRecord>> LastCaseExports(
      int64_t project_id, const std::vector<int64_t>& case_ids) override;
  Result<std::vector<CaseExportRecord>> ExportCases(int64_t export_id) override;

  // Artifacts (sqlite_artifacts.cc).
  Result<Artifact> CreateArtifact(const Artifact& artifact) override;
  Result<Artifact> GetArtifact(int64_t project_id, int64_t artifact_id) override;
  Result<std::vector<Artifact>> ListArtifacts(int64_t project_id, int64_t run_id) override;
  Result<Artifact> DeleteArtifact(int64_t project_id, int64_t artifact_id) override;
  // The read cache (PostgresStoreOptions::read_cache_ttl_ms), null when there is none.
  const ReadCache* read_cache() const { return cache_.get(); }

  Result<int64_t> CountArtifactsWithBlob(const std::string& sha256) override;
  Result<int64_t> ProjectArtifactBytes(int64_t project_id) override;

  // JUnit imports (sqlite_imports.cc).
  Result<std::optional<JUnitImportRecord>> FindJUnitImport(
      int64_t project_id, const std::string& sha256, const std::string& execution_name) override;
  Result<JUnitImportRecord> GetJUnitImport(int64_t project_id, int64_t import_id) override;
  Result<JUnitImportRecord> CreateJUnitImport(const NewJUnitImport& import) override;

 private:
  explicit SqliteStore(std::unique_ptr<sql::ConnectionPool> pool);

  // Runs `fn(Connection&)` in a write transaction (the database's single writer lock held
  // until COMMIT); rolls back when fn fails. fn returns Status or Result<T>. Defined in
  // sqlite_helpers.h, which the per-role backend files include.
  template <typename Fn>
  auto Write(std::string_view op, Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>()));
  // Runs `fn(Connection&)` in a row-locking transaction (Connection::BeginRowLocking: on
  // PostgreSQL without the single writer lock; on SQLite a write transaction). fn must have no
  // effect outside the database and be safe to run again: a transient failure (serialization
  // failure, deadlock, lost connection; Unavailable reason "transient") re-runs the whole
  // transaction, up to kTransientRetries times.
  Status RowLockingTx(std::string_view op, const std::function<Status(sqlite::Connection&)>& fn);
  // Runs `fn(Connection&)` in a read transaction (one snapshot) on a pooled connection.
  template <typename Fn>
  auto Read(std::string_view op, Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>()));
  // Read() for a body that runs exactly one statement (Connection::BeginSingleStatementRead:
  // on PostgreSQL no BEGIN/COMMIT; a second statement fails with Internal). The hot REST reads
  // (a test, a page of tests or runs, a run, link counts) are written as one statement for it.
  template <typename Fn>
  auto ReadOne(std::string_view op, Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>()));

  // `load()` (a Result<V> read) answered from the read cache's `table` when it holds `key`;
  // what the database returns is stored there. Just `load()` without a cache. Defined in
  // sqlite_helpers.h.
  template <typename K, typename V, typename Load>
  Result<V> Cached(ReadCache::Table<K, V> ReadCache::*table, const std::type_identity_t<K>& key,
                   Load&& load);

  // The database reads behind the cached methods of the same name without "Read".
  Result<Session> ReadSession(const std::string& id_hash);
  Result<User> ReadTokenUser(const std::string& token_hash);
  Result<std::vector<Project>> ReadProjectsOfUser(int64_t user_id);
  Result<std::optional<ProjectRole>> ReadRole(int64_t project_id, int64_t user_id);

  Status MigrateUpTo(int version);
  // Inserts the run inside the caller's write transaction and reads it back.
  static Result<Run> InsertRun(sqlite::Connection& c, const Run& run);

  // Type-erased Write()/Read(). Same transaction semantics.
  Status WriteTx(std::string_view op, const std::function<Status(sqlite::Connection&)>& fn);
  Status ReadTx(std::string_view op, const std::function<Status(sqlite::Connection&)>& fn);
  Status ReadOneTx(std::string_view op, const std::function<Status(sqlite::Connection&)>& fn);

  // Read() and ReadOne(): `single` selects BeginSingleStatementRead.
  template <typename Fn>
  auto ReadIn(std::string_view op, bool single, Fn&& fn)
      -> decltype(fn(std::declval<sqlite::Connection&>()));

  std::unique_ptr<sql::ConnectionPool> pool_;
  // The migration that adds the triggers the read cache's listener relies on.
  static constexpr int kCacheNotifyMigration = 14;
  std::string conninfo_;                         // for the listener's own connection
  std::atomic<bool> schema_table_seen_{false};   // schema_migrations exists (SchemaVersion)
  std::unique_ptr<ReadCache> cache_;             // PostgreSQL with read_cache_ttl_ms only
  std::unique_ptr<pg::CacheListener> listener_;  // keeps cache_ honest; stopped before it goes
};

}  // namespace nexus
