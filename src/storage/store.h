// The persistence contract of Nexus. Every backend (SQLite now, PostgreSQL later) implements
// Store and passes tests/storage/store_conformance_test.cc.
//
// Contract for every method:
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

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/export_planner.h"  // PlanEntry, PlannedResult (export plans as rows)
#include "core/status.h"
#include "core/types.h"
// Catalog/links/jobs records (issue 5).
#include "storage/catalog_records.h"
#include "storage/export_records.h"  // exports (issue 6)
#include "storage/job_records.h"
#include "storage/testrail_records.h"

namespace nexus {

// Keyset pagination: items with id > after_id, ascending, at most `limit`.
struct PageRequest {
  int64_t after_id = 0;
  int limit = 50;
};

struct RunFilter {
  std::optional<int64_t> test_id;
  std::optional<int64_t> execution_id;
  std::optional<RunResult> result;
};

class Store {
 public:
  virtual ~Store() = default;

  // Brings the schema to the newest version by applying the numbered migrations in
  // storage/migrations/ that are not yet recorded; safe to call on every start.
  virtual Status Migrate() = 0;
  // Highest applied migration number (0 for an empty database).
  virtual Result<int> SchemaVersion() = 0;

  // ---- Users. Emails are unique case-insensitively (stored lower-case).
  virtual Result<User> CreateUser(const User& user) = 0;
  virtual Result<User> GetUser(int64_t id) = 0;
  virtual Result<User> GetUserByEmail(const std::string& email) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<int64_t> CountUsers() = 0;

  // ---- API tokens (hashed).
  virtual Result<ApiToken> CreateToken(const ApiToken& token) = 0;
  virtual Result<ApiToken> GetTokenByHash(const std::string& token_hash) = 0;
  virtual Result<std::vector<ApiToken>> ListTokens(int64_t user_id) = 0;
  // NotFound when the token does not exist or belongs to another user.
  virtual Status DeleteToken(int64_t user_id, int64_t token_id) = 0;

  // ---- Web sessions (hashed ids).
  virtual Status CreateSession(const Session& session) = 0;
  virtual Result<Session> GetSession(const std::string& id_hash) = 0;
  virtual Status DeleteSession(const std::string& id_hash) = 0;
  virtual Status DeleteExpiredSessions(TimeMs now) = 0;

  // ---- Projects, memberships, feature flags.
  // Creates the project and, when creator_user_id is set, makes that user its admin.
  virtual Result<Project> CreateProject(const Project& project,
                                        std::optional<int64_t> creator_user_id) = 0;
  virtual Result<Project> GetProject(int64_t id) = 0;
  virtual Result<std::vector<Project>> ListProjects() = 0;
  // Projects the user is a member of.
  virtual Result<std::vector<Project>> ListProjectsForUser(int64_t user_id) = 0;
  virtual Status SetProjectFeature(int64_t project_id, const std::string& feature,
                                   bool enabled) = 0;

  // Inserts or replaces the user's role in the project.
  virtual Status SetMembership(const Membership& m) = 0;
  virtual Status RemoveMembership(int64_t project_id, int64_t user_id) = 0;
  // nullopt when the user is not a member.
  virtual Result<std::optional<ProjectRole>> GetRole(int64_t project_id, int64_t user_id) = 0;
  virtual Result<std::vector<Membership>> ListMembers(int64_t project_id) = 0;

  // ---- Tests and steps. Tests are soft-deleted so runs keep their history.
  // Stores the test with version 1; step ids are given by the caller.
  virtual Result<Test> CreateTest(const Test& test) = 0;
  virtual Result<Test> GetTest(int64_t project_id, int64_t test_id) = 0;
  virtual Result<std::vector<Test>> ListTests(int64_t project_id, const PageRequest& page) = 0;
  // Replaces name, tags and steps (in the given order) when the stored version equals
  // test.version; the stored version becomes test.version + 1. Conflict
  // (reason "version_mismatch") otherwise.
  virtual Result<Test> UpdateTest(const Test& test) = 0;
  virtual Status DeleteTest(int64_t project_id, int64_t test_id, TimeMs now) = 0;

  // ---- Runs.
  virtual Result<Run> CreateRun(const Run& run) = 0;
  virtual Result<Run> GetRun(int64_t project_id, int64_t run_id) = 0;
  virtual Result<std::vector<Run>> ListRuns(int64_t project_id, const RunFilter& filter,
                                            const PageRequest& page) = 0;
  // Replaces the mutable fields (result, bug_label, finished_at, summary, updated_at).
  virtual Result<Run> UpdateRun(const Run& run) = 0;

  // ---- Test plans and executions.
  virtual Result<TestPlan> CreatePlan(const TestPlan& plan) = 0;
  virtual Result<TestPlan> GetPlan(int64_t project_id, int64_t plan_id) = 0;
  virtual Result<std::vector<TestPlan>> ListPlans(int64_t project_id, const PageRequest& page) = 0;
  virtual Result<Execution> CreateExecution(const Execution& execution) = 0;
  virtual Result<Execution> GetExecution(int64_t project_id, int64_t execution_id) = 0;
  virtual Result<std::vector<Execution>> ListExecutions(int64_t project_id,
                                                        const PageRequest& page) = 0;
  // Records a new state (and completed_at); returns the previous state so the caller can
  // act on the transition to completed exactly once (compare-and-set under the store's
  // write lock).
  virtual Result<ExecutionState> SetExecutionState(int64_t project_id, int64_t execution_id,
                                                   ExecutionState state,
                                                   std::optional<TimeMs> completed_at) = 0;

  // ---- TestRail configuration (Configs → TestRail; records in storage/testrail_records.h).
  // One configuration per project. Every setter creates the project's configuration row
  // when it is missing (defaults: not connected, nothing selected, default mapping and
  // options) and stamps updated_at = `now`; NotFound when the project does not exist.
  //
  // The whole configuration; NotFound when the project has none yet.
  virtual Result<TestRailConfigRecord> GetTestRailConfig(int64_t project_id) = 0;
  // Replaces the connection and the cached statuses in one transaction (Save & Connect);
  // with update.clear_selection also clears the selected project and suites.
  virtual Status SaveTestRailConnection(int64_t project_id, const TestRailConnectionUpdate& update,
                                        TimeMs now) = 0;
  // Removes the connection (user, sealed key, verified flag) — R-CONN-4. The instance URL
  // (record.instance_url), selected project and suites, cached statuses, mapping and options
  // stay, so reconnecting to the same instance restores the configuration. Ok when there was
  // nothing to remove.
  virtual Status DeleteTestRailConnection(int64_t project_id, TimeMs now) = 0;
  // Selects the TestRail project and replaces the suite selection with `suites` (empty, or
  // the only suite of a single-suite project).
  virtual Status SetTestRailProject(int64_t project_id, const TestRailProjectRecord& project,
                                    const std::vector<TestRailSuiteRecord>& suites, TimeMs now) = 0;
  // Replaces the selected suites (duplicates by id collapse to one).
  virtual Status SetTestRailSuites(int64_t project_id,
                                   const std::vector<TestRailSuiteRecord>& suites, TimeMs now) = 0;
  virtual Status SaveTestRailStatuses(int64_t project_id, const std::string& statuses_json,
                                      TimeMs fetched_at) = 0;
  // nullopt resets to the defaults.
  virtual Status SaveTestRailMapping(int64_t project_id,
                                     const std::optional<std::string>& mapping_json,
                                     TimeMs now) = 0;
  virtual Status SaveTestRailOptions(int64_t project_id, const TestRailOptionsRecord& options,
                                     TimeMs now) = 0;

  // ---- Jobs (jobs/job_runner.h; records in storage/job_records.h). Durable background
  // work. A job is queued, then running under a lease (worker_id, lease_until), then
  // succeeded or failed. A running job whose lease expired may be claimed again (resume
  // after a crash or a stopped runner).
  //
  // Records a queued job; returns its id. Conflict (reason "already_running") when
  // job.dedupe_key is non-empty and a queued or running job has the same key.
  virtual Result<int64_t> EnqueueJob(const NewJob& job, TimeMs now) = 0;
  // Claims the oldest claimable job (queued, or running with lease_until < now) whose kind
  // is in `kinds` (empty: any kind): state running, worker_id, lease_until = now + lease_ms,
  // attempts + 1, started_at set on the first claim. nullopt when there is none.
  virtual Result<std::optional<Job>> ClaimNextJob(TimeMs now, const std::string& worker_id,
                                                  int64_t lease_ms,
                                                  const std::vector<std::string>& kinds) = 0;
  // Extends the lease. Conflict (reason "lease_lost") when the job is not running under
  // `worker_id` any more (it expired and another worker claimed it, or it finished).
  virtual Status HeartbeatJob(int64_t id, const std::string& worker_id, TimeMs lease_until,
                              TimeMs now) = 0;
  // Replaces the progress JSON of a running job. NotFound for an unknown job.
  virtual Status UpdateJobProgress(int64_t id, const std::string& progress_json, TimeMs now) = 0;
  // Finishes a job (state kSucceeded or kFailed; InvalidArgument otherwise), clearing its
  // lease. Conflict (reason "lease_lost") when `worker_id` is non-empty and does not hold the
  // job; Conflict (reason "already_finished") when it is finished already.
  virtual Status FinishJob(int64_t id, const std::string& worker_id, JobState state,
                           const std::string& result_json, const std::string& error,
                           TimeMs now) = 0;
  virtual Result<Job> GetJob(int64_t id) = 0;
  // Newest first; project_id 0 / empty kind: any. limit capped at 1000.
  virtual Result<std::vector<Job>> ListJobs(int64_t project_id, const std::string& kind,
                                            int limit) = 0;

  // ---- TestRail catalog (records in storage/catalog_records.h). NotFound when the project
  // does not exist. Writes never touch links.
  //
  // Applies one suite's sync result in one transaction: upserts the suite (name; high water
  // raised to the highest updated_on in `update.cases`; last_full_sync_at or
  // last_incremental_at = now), replaces the suite's sections, upserts the cases (a case seen
  // again is no longer deleted; a case listed under another suite moves). With update.full,
  // every stored case of the suite that is not listed is marked deleted (deleted_at = now
  // when it was not deleted before).
  virtual Status ApplyCatalogSuite(int64_t project_id, const CatalogSuiteUpdate& update,
                                   TimeMs now) = 0;
  // Ascending suite id.
  virtual Result<std::vector<CatalogSuiteRecord>> ListCatalogSuites(int64_t project_id) = 0;
  // Sections of one suite (nullopt: all), ordered by suite, then display_order, then id.
  virtual Result<std::vector<CatalogSectionRecord>> ListCatalogSections(
      int64_t project_id, std::optional<int64_t> suite_id) = 0;
  // Every case of the project's catalog (deleted ones too), ascending id.
  virtual Result<std::vector<CatalogCaseRecord>> ListCatalogCases(int64_t project_id) = 0;
  // The cases with these ids that the catalog holds (deleted ones too), ascending id;
  // unknown ids are left out.
  virtual Result<std::vector<CatalogCaseRecord>> GetCatalogCases(
      int64_t project_id, const std::vector<int64_t>& case_ids) = 0;
  // nullopt when the project never synced.
  virtual Result<std::optional<CatalogStateRecord>> GetCatalogState(int64_t project_id) = 0;
  virtual Status SaveCatalogState(int64_t project_id, const CatalogStateRecord& state) = 0;

  // ---- TestRail links (records in storage/catalog_records.h). A step-level link belongs to
  // the step with that stable id: links of steps no longer in the test are not returned and
  // not counted, and are pruned at the next link write for the test. NotFound (field
  // "test_id") for a test that is not a live test of the project.
  //
  // Replaces the links of the test (step_id empty) or of one step with `case_ids`
  // (duplicates collapse). Links that stay keep linked_at and their baseline; new ones get
  // linked_at = now and the catalog's updated_on as baseline (0 when not in the catalog).
  // NotFound (field "step_id") when step_id names no step of the test.
  virtual Status ReplaceTestRailLinks(int64_t project_id, int64_t test_id,
                                      const std::string& step_id,
                                      const std::vector<int64_t>& case_ids, TimeMs now) = 0;
  // Links of these tests (both levels), ordered by test, step_id ('' first), case id.
  // Unknown or deleted tests have none.
  virtual Result<std::vector<TestRailLinkRecord>> ListTestRailLinks(
      int64_t project_id, const std::vector<int64_t>& test_ids) = 0;
  // Acknowledges the test's links (both levels) to these cases: acknowledged_at = now,
  // baseline = the catalog's current updated_on. Returns how many links changed.
  virtual Result<int64_t> AcknowledgeTestRailLinks(int64_t project_id, int64_t test_id,
                                                   const std::vector<int64_t>& case_ids,
                                                   TimeMs now) = 0;
  // Distinct cases linked to the test (both levels).
  virtual Result<int64_t> CountTestRailLinkedCases(int64_t project_id, int64_t test_id) = 0;

  // ---- TestRail exports (records in storage/export_records.h; sqlite_exports.cc).
  // Records a new export (id, timestamps from the record) and, in the same transaction, its
  // planned results: entries[i].results become the rows of entry i (the head of the plan is
  // rec.plan). Conflict (reason "already_running") when a queued or running export of
  // the same project has the same source_key (R-EXP-8). NotFound when the project does not
  // exist.
  virtual Result<ExportRecord> CreateExport(const ExportRecord& rec,
                                            std::span<const PlanEntry> entries) = 0;
  // NotFound for an unknown export or one of another project (project_id 0: any project).
  // The plan's head (rec.plan) only `with_plan`.
  virtual Result<ExportRecord> GetExport(int64_t project_id, int64_t export_id, bool with_plan) = 0;
  // The planned results of an export, streamed in (entry_index, position) order; `on_result`
  // may move the result out. Nothing for an export without results (or an unknown one).
  virtual Status ForEachPlannedResult(
      int64_t export_id,
      const std::function<Status(int entry_index, PlannedResult& r)>& on_result) = 0;
  // The cases an export planned a result for because of this run, ascending.
  virtual Result<std::vector<int64_t>> PlannedCasesForRun(int64_t export_id, int64_t run_id) = 0;
  // Newest first: exports with id < before_id (0: from the newest), at most `limit`
  // (capped at 200). Plan snapshots are not loaded (plan nullopt).
  virtual Result<std::vector<ExportRecord>> ListExports(int64_t project_id, int64_t before_id,
                                                        int limit) = 0;
  // Replaces every mutable column (state … updated_at, strategy; the plan unless nullopt,
  // which keeps the stored snapshot) and, when rec.run_ids is non-empty, the covered runs.
  // Fenced by `attempts`: refused with Conflict (reason "superseded") when the stored export
  // is at a later attempt than rec.attempts (another process took the export over).
  virtual Status UpdateExport(const ExportRecord& rec) = 0;
  // Ids of queued/running exports, ascending (resumed at start-up).
  virtual Result<std::vector<int64_t>> ListActiveExports() = 0;
  // Appends a journal step (id assigned); a step with `landed` also records those cases
  // in the per-case export history, atomically with the step. A step with attempt > 0 is
  // refused (Conflict, "superseded") when the export is at a later attempt.
  virtual Result<int64_t> AppendExportStep(const ExportStep& step) = 0;
  virtual Result<std::vector<ExportStep>> ListExportSteps(int64_t export_id) = 0;
  // The newest export covering the run (any state); nullopt when never exported.
  virtual Result<std::optional<ExportRecord>> LastExportForRun(int64_t project_id,
                                                               int64_t run_id) = 0;
  // The status last sent for each of these cases (cases never sent are left out).
  virtual Result<std::vector<CaseExportRecord>> LastCaseExports(
      int64_t project_id, const std::vector<int64_t>& case_ids) = 0;
  // Statuses sent by one export, ascending case id.
  virtual Result<std::vector<CaseExportRecord>> ExportCases(int64_t export_id) = 0;
};

// Opens (creating when missing) the SQLite database at `path` (":memory:" for a private
// in-memory database) with WAL and foreign keys on. Does not migrate.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Opens the store named by a --db URL: "sqlite:///abs/path.db", "sqlite:relative.db", a plain
// path, or (later) "postgres://…". InvalidArgument for an unknown scheme.
Result<std::unique_ptr<Store>> OpenStore(const std::string& db_url);

}  // namespace nexus
