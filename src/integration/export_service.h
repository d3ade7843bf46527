// ExportService: the export use cases (R-EXP-*, R-SYNC-1, R-SYNC-2, R-EXP-AUTO): validate a
// source, plan it (core/export_planner.h), record the export with its plan snapshot, run it
// as a durable job (kind "testrail_export" on the JobRunner; ExportExecutor does the TestRail
// work exactly once), and answer history, detail and run sync status. HTTP-agnostic.
//
// Thread-safety: every method may be called from any thread. Design: docs/export.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/attachment_plan.h"
#include "core/clock.h"
#include "core/export_planner.h"
#include "core/status.h"
#include "domain/listeners.h"
#include "integration/export_executor.h"
#include "integration/interfaces.h"
#include "integration/testrail_config_service.h"
#include "jobs/job_runner.h"
#include "obs/metrics.h"
#include "storage/store.h"

namespace nexus::integration {

inline constexpr char kExportJobKind[] = "testrail_export";

struct ExportServiceOptions {
  std::string public_url;  // NEXUS_PUBLIC_URL, for links back to Nexus in comments
  ExecutorOptions executor;
  // Issue 16 (memory flat in N): an export is planned and recorded this many linked cases at
  // a time (a slice's results are what planning holds at once).
  size_t plan_slice_cases = 5000;
  // How long POST …/exports with wait=true waits before answering with the running export.
  std::chrono::milliseconds wait_timeout{std::chrono::minutes(30)};
  // R-Q-IDEMP / R-Q-RATE: while TestRail stays unreachable, overloaded or in maintenance
  // beyond the client's own retries, the export job keeps the export running and tries again
  // (backoff from retry_backoff_min to retry_backoff_max) for this long before it fails.
  // Each attempt resumes from the journal, so nothing is sent twice.
  std::chrono::milliseconds transient_retry_window{std::chrono::hours(6)};
  std::chrono::milliseconds retry_backoff_min{std::chrono::seconds(1)};
  std::chrono::milliseconds retry_backoff_max{std::chrono::minutes(1)};
};

// Exactly one source (ValidateExportSource).
struct ExportSourceSpec {
  std::optional<int64_t> run_id;
  std::optional<std::vector<int64_t>> run_ids;  // 1–100 runs
  std::optional<int64_t> execution_id;
};

// The rules of an export request. The service owns them (StartExport checks them first);
// the API and the CLI map their errors. Every error is InvalidArgument, reason invalid_value
// unless said otherwise.
//
// Exactly one of run_id, run_ids and execution_id: none → "give one of run_id, run_ids or
// execution_id" (field run_id, reason missing_field); several → "give only one of …" (field
// run_ids when run_id and run_ids are both given, else execution_id); run_ids given with 0 or
// more than kMaxRunsPerExport runs → field run_ids.
Status ValidateExportSource(const ExportSourceSpec& source);
// custom_run_name: 1 to kMaxTestRailNameChars (TestRail's 250) characters of valid UTF-8, not
// blank, without control characters once trimmed. Returns the name trimmed (what is sent).
Result<std::string> ValidateCustomRunName(std::string_view name);

struct StartExportRequest {
  int64_t project_id = 0;
  std::optional<int64_t> user_id;  // nullopt: automatic or CLI
  ExportTrigger trigger = ExportTrigger::kManual;
  ExportSourceSpec source;
  std::optional<std::string> custom_run_name;
  std::optional<bool> close_run_on_completion;  // nullopt: the project's option
  // The run's / plan's milestone for this export (issue 14); nullopt: the project's default.
  // Checked against the instance before any write (field milestone_id, unknown_milestone).
  std::optional<int64_t> milestone_id;
  // Issue 17: the request's `attachments` member as given (an object over the project's
  // attachment policy: mode / media_types / max_bytes); nullopt: the project's policy.
  // Validated by Prepare (400 naming attachments.<member>).
  std::optional<nlohmann::json> attachments;
  bool force_new_run = true;
  bool dry_run = false;
  bool wait = true;
};

struct ExportView {
  ExportRecord record;                // id 0 for a dry run (its state then means nothing)
  std::optional<ExportPlan> preview;  // dry runs only
  // Dry runs only (issue 17): what would be attached to which case, and what the policy
  // leaves out (too large, media type not allowed).
  std::vector<PlannedAttachment> preview_attachments;
  std::vector<SkippedAttachment> preview_attachments_skipped;
  bool already_exported = false;  // force_new_run=false found an earlier export
  bool dry_run = false;
  // The display name of record.created_by ("" for an automatic export, or a user since
  // deleted) — shown as who triggered the export (issue 12); never the e-mail address.
  std::string created_by_name;
};

// R-SYNC-2: where a run stands with TestRail (API text: not_exported, in_progress, exported,
// failed, changed_since_export).
// kNothingToExport: the last export covering the run sent none of its results (every case
// "Not reported", e.g. an Error run) — neither exported nor failed.
enum class RunSyncState {
  kNotExported,
  kInProgress,
  kExported,
  kFailed,
  kChangedSinceExport,
  kNothingToExport
};

struct RunSyncView {
  int64_t run_id = 0;
  RunSyncState sync_state = RunSyncState::kNotExported;
  std::string message;
  std::optional<ExportRecord> last_export;  // plan snapshot not included
  std::vector<CaseExportRecord> cases;      // statuses sent for this run's cases
};

struct ExportPlanning;  // export_service.cc (issue 16)

class ExportService : public domain::ExecutionCompletedListener, public LastExportSource {
 public:
  // All references must outlive the service; `metrics` may be null. Registers the job kind
  // on `jobs` (call before jobs.Start()). `catalog` refreshes a stale catalog before an
  // export is planned (R-SYNC-3): a failure does not stop the export, which is planned on the
  // catalog at hand with a "catalog_stale" warning (cases deleted meanwhile are skipped at
  // send time).
  ExportService(Store& store, TestRailConfigService& config, jobs::JobRunner& jobs,
                const Clock& clock, obs::Metrics* metrics, CatalogFreshness& catalog,
                ExportServiceOptions options);

  // Re-enqueues exports left queued/running without a job (e.g. killed between recording
  // the export and enqueuing its job). Jobs of exports interrupted mid-way are resumed by
  // the JobRunner itself once their lease expires. Call after jobs.Start().
  Status ResumeOrphans();

  // Validates (ValidateExportSource, ValidateCustomRunName), plans and records an export
  // and (unless dry_run or nothing to send) runs it. With wait, answers when it finished (or
  // wait_timeout passed). Errors: InvalidArgument (field run_id / run_ids / run_ids[i] /
  // execution_id / custom_run_name; reasons missing_field, unknown_run, run_not_finished,
  // unknown_execution, invalid_value), and before any TestRail write (dry runs too, issue
  // 14): InvalidArgument reason testrail_field_missing (field = the result field's system
  // name) when a required custom result field has no valid value, reason unknown_milestone
  // (field milestone_id, or options.milestone_id for the project's default) for a milestone
  // TestRail does not have in the project. Conflict "already_running" while
  // the same source is being exported, Conflict "not_connected" / "no_project_selected" /
  // "no_suites_selected" when TestRail is not configured.
  Result<ExportView> StartExport(const StartExportRequest& req);

  Result<ExportView> Get(int64_t project_id, int64_t export_id);
  // A page of the project's exports, newest first, with who triggered each.
  Result<std::vector<ExportView>> List(int64_t project_id, int64_t before_id, int limit);
  Result<RunSyncView> RunSyncStatus(int64_t project_id, int64_t run_id);
  // last_export of links: the status last sent per case (cases never sent are absent).
  Result<std::map<int64_t, CaseExportRecord>> LastExportsForCases(
      int64_t project_id, const std::vector<int64_t>& case_ids) override;

  // R-EXP-AUTO: automatic export (trigger auto) of a completed execution when the project
  // has the TestRail feature and options.auto_export. Failures are logged, never thrown.
  void OnExecutionCompleted(int64_t project_id, int64_t execution_id) override;

  // Progress of running exports (CLI progress bar). Set before exports start.
  void SetProgressListener(std::function<void(int64_t export_id, int64_t done, int64_t total)> fn);
  // Issue 17: attachment uploads of running exports, after each upload (CLI progress bar).
  void SetAttachmentProgressListener(
      std::function<void(int64_t export_id, const ExportAttachmentProgress&)> fn);

  // Issue 17: how exports send artifacts — a sink per project (its TestRail connection and
  // its artifacts). Unset: planned attachments are not sent (the export says so in a
  // warning). Set before exports start.
  using AttachmentSinkFactory =
      std::function<Result<std::unique_ptr<AttachmentSink>>(int64_t project_id)>;
  void SetAttachmentSinks(AttachmentSinkFactory factory) { sinks_ = std::move(factory); }

  // The job body: runs (or resumes) one export. With `final_attempt` false, a transient
  // TestRail failure (unreachable, timeout, 5xx, 429/maintenance, ambiguous write) leaves
  // the export running with the failure in `error` and returns Unavailable with reason
  // "deferred" (the caller tries again later); otherwise it fails the export. Public for
  // tests.
  Status Execute(int64_t export_id, bool final_attempt = true,
                 const std::function<bool()>& should_stop = {});

 private:
  // The user's display name, "" when the user no longer exists.
  std::string UserName(int64_t user_id);
  // Issue 16 (memory flat in N): what planning needs of an export, whole but compact (runs,
  // tests, links, the catalog of the linked cases without titles), and what completing a
  // slice needs (result fields, step templates, attachments). The plan itself is made a
  // slice of options_.plan_slice_cases cases at a time: once for its head, once more while its rows
  // are written (or joined, for a dry run). ExportPlanning is defined in export_service.cc.
  struct Prepared {
    ExportRecord record;
    ExportPlan plan;  // the head: entries carry their cases and configurations, no results
    std::vector<int64_t> run_ids;
    AttachmentPlan attachments;  // issue 17
    std::shared_ptr<ExportPlanning> planning;
  };
  Result<Prepared> Prepare(const StartExportRequest& req);
  Status ListRunArtifacts(ExportPlanning& p);
  // The checks and completions that need the instance, before any write (issue 14): the
  // configurations and milestone, the result field definitions and step templates that
  // every slice's results are completed with (CompleteSlice in export_service.cc).
  Status CheckForInstance(const StartExportRequest& req, const TestRailConfigView& cfg,
                          ExportPlanning& p, ExportPlan& head);
  Result<int64_t> EnqueueJob(const ExportRecord& rec);
  Status Finish(ExportRecord& rec, const Status& outcome);

  Store& store_;
  TestRailConfigService& config_;
  jobs::JobRunner& jobs_;
  const Clock& clock_;
  obs::Metrics* metrics_;
  const ExportServiceOptions options_;
  ExportExecutor executor_;
  std::function<void(int64_t, int64_t, int64_t)> progress_;
  std::function<void(int64_t, const ExportAttachmentProgress&)> attachment_progress_;
  AttachmentSinkFactory sinks_;
  CatalogFreshness& catalog_;
};

}  // namespace nexus::integration
