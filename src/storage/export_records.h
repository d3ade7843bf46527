// Stored TestRail exports (R-SYNC-1, R-Q-IDEMP): the export row, its journal of remote steps
// and the per-case / per-run bookkeeping behind the sync status (R-SYNC-2). Typed values
// (their text and JSON forms live in sqlite_exports.cc and the API);
// integration/export_service.h and export_executor.h give them meaning (docs/export.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/attachment_plan.h"  // PlannedAttachment (issue 17)
#include "core/export_planner.h"   // ExportSourceKind, ExportStrategy, ExportWarning
#include "core/types.h"

namespace nexus {

// The state of an export (text in storage and in the API: ExportStateName).
enum class ExportState { kQueued, kRunning, kSucceeded, kPartiallySucceeded, kFailed };
// What started an export: a user (or the CLI), or a completed execution (R-EXP-AUTO).
enum class ExportTrigger { kManual, kAuto };

// The options an export was requested with (exports.options).
struct ExportRunOptions {
  bool close_run_on_completion = true;
  bool force_new_run = true;
  int64_t testrail_project_id = 0;
  std::optional<std::string> custom_run_name;  // as requested
};

// A case the export did not send a result for: planned skips (SkipReason names) and cases
// TestRail refused at send time ("rejected_by_testrail").
struct ExportSkip {
  int64_t case_id = 0;
  std::string reason;
  std::string message;
};

// The head of an export's plan (exports.plan_json): the plan without its results, which are
// stored as rows (Store::CreateExport with the plan's entries, Store::ForEachPlannedResult).
struct ExportPlanHead {
  ExportPlan plan;                    // entries carry their suite and configurations only
  std::vector<size_t> result_counts;  // results per entry (0: a head written before counts)
  // Issue 17: the run artifacts to attach, each to the result of its case (empty: none).
  std::vector<PlannedAttachment> attachments;
};

// The head of `plan` (its entries' cases and results left out).
inline ExportPlanHead PlanHeadOf(const ExportPlan& plan) {
  ExportPlanHead head;
  head.plan.export_type = plan.export_type;
  head.plan.strategy = plan.strategy;
  head.plan.name = plan.name;
  head.plan.description = plan.description;
  head.plan.milestone_id = plan.milestone_id;
  for (const PlanEntry& e : plan.entries) {
    PlanEntry h;
    h.suite_id = e.suite_id;
    h.config_ids = e.config_ids;  // issue 14: a resumed export keeps its configurations
    h.config_label = e.config_label;
    head.plan.entries.push_back(std::move(h));
    // A plan head made a slice at a time (issue 16) has the cases of its entries, not results.
    head.result_counts.push_back(std::max(e.results.size(), e.case_ids.size()));
  }
  head.plan.skipped = plan.skipped;
  head.plan.warnings = plan.warnings;
  head.plan.runs_processed = plan.runs_processed;
  head.plan.total_test_cases = plan.total_test_cases;
  head.plan.nothing_to_send = plan.nothing_to_send;
  head.plan.nothing_to_send_reason = plan.nothing_to_send_reason;
  return head;
}

// Attachment progress of an export (issue 17; exports.attachments_json).
struct ExportAttachmentProgress {
  int total = 0;    // planned uploads (case, artifact)
  int sent = 0;     // landed in TestRail (sent, or found there by reconciliation)
  int refused = 0;  // refused by TestRail (413, file type): warnings, never failures
  int64_t bytes_total = 0;
  int64_t bytes_sent = 0;
  bool operator==(const ExportAttachmentProgress&) const = default;
};

struct ExportRecord {
  int64_t id = 0;
  int64_t project_id = 0;
  ExportTrigger trigger = ExportTrigger::kManual;
  ExportSourceKind source_kind = ExportSourceKind::kSingleRun;
  std::vector<int64_t> source_ids;  // run ids, or {execution id}
  std::string source_key;           // dedupe key: "runs:1,2" | "execution:5"
  ExportRunOptions options;
  ExportState state = ExportState::kQueued;
  std::string nonce;  // random; part of the TestRail-side marker
  // The plan's head once planned (read only `with_plan`). A stored head that cannot be read
  // back leaves `plan` empty and says why in `plan_error`.
  std::optional<ExportPlanHead> plan;
  std::string plan_error;
  std::optional<ExportStrategy> strategy;  // once planned
  std::optional<int64_t> testrail_run_id;
  std::optional<int64_t> testrail_plan_id;
  std::string testrail_name;
  std::string testrail_url;
  int runs_processed = 0;
  int total_test_cases = 0;
  int results_sent = 0;
  ExportAttachmentProgress attachments;
  std::vector<ExportSkip> skipped;
  std::vector<ExportWarning> warnings;
  std::string error;
  std::string error_code;
  std::optional<int64_t> duration_ms;
  int attempts = 0;
  std::optional<int64_t> created_by;
  TimeMs created_at = 0;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
  TimeMs updated_at = 0;
  std::vector<int64_t> run_ids;  // runs covered (export_runs); set by the executor once planned

  bool active() const { return state == ExportState::kQueued || state == ExportState::kRunning; }
  bool succeeded() const {
    return state == ExportState::kSucceeded || state == ExportState::kPartiallySucceeded;
  }
};

// The kinds of journal steps (docs/export.md "Journal").
enum class ExportStepKind {
  kCreateIntent,  // add_run / add_plan about to be sent
  kCreateDone,    // the run/plan exists (detail: runs, url, name)
  kCreateAbsent,  // reconciliation found no run/plan of an earlier intent
  kBatchIntent,   // add_results_for_cases about to be sent
  kBatchDone,     // the batch landed
  kReconciled,    // the results of pending batches found in TestRail
  kCaseSkipped,   // cases TestRail no longer takes (detail: message)
  kCloseIntent,
  kCloseDone,
  kNote,  // informational (detail: what)
  // Issue 17: one upload of an artifact to a case's result. case_ids = {case}, remote_id =
  // the TestRail result id, entry_index = the plan entry; detail: artifact, test, name, size.
  kAttachIntent,   // add_attachment_to_result about to be sent
  kAttachDone,     // landed (sent, or found by get_attachments_for_test)
  kAttachRefused,  // TestRail refused it (413, file type): detail.message; never re-sent
};

// The detail of a step; each kind sets its own members (the others stay empty and are not
// stored).
struct ExportStepDetail {
  std::string name;              // kCreateIntent, kCreateDone
  std::string marker;            // kCreateIntent
  std::vector<int64_t> runs;     // kCreateDone: the TestRail run of each plan entry
  std::string url;               // kCreateDone
  std::string message;           // kCaseSkipped
  std::optional<int64_t> found;  // kReconciled: cases found landed
  std::string what;              // kNote
  // kAttach*: the upload (artifact id, the TestRail test of the result, name and size as
  // sent — reconciliation matches TestRail's attachments of the test on name + size).
  int64_t artifact_id = 0;
  int64_t test_id = 0;
  int64_t size = 0;
};

// One journal step.
struct ExportStep {
  int64_t id = 0;
  int64_t export_id = 0;
  ExportStepKind kind = ExportStepKind::kNote;
  std::optional<int> entry_index;  // plan entry (suite) the step concerns
  std::optional<int64_t> remote_id;
  std::vector<int64_t> case_ids;
  std::string fingerprint;
  ExportStepDetail detail;
  TimeMs created_at = 0;
  // The export attempt writing the step (ExportRecord::attempts of its executor); 0 = not
  // fenced. A step of an attempt older than the export's current one is refused.
  int attempt = 0;
  // batch_done / reconciled only: (case id, status id) pairs that landed in TestRail; stored
  // in export_cases in the same transaction as the step.
  std::vector<std::pair<int64_t, int>> landed;
};

// Text of the enums, for storage and the API (nowhere else).
inline std::string_view ExportStateName(ExportState s) {
  switch (s) {
    case ExportState::kQueued:
      return "queued";
    case ExportState::kRunning:
      return "running";
    case ExportState::kSucceeded:
      return "succeeded";
    case ExportState::kPartiallySucceeded:
      return "partially_succeeded";
    case ExportState::kFailed:
      return "failed";
  }
  return "failed";
}
inline std::optional<ExportState> ParseExportState(std::string_view text) {
  for (ExportState s : {ExportState::kQueued, ExportState::kRunning, ExportState::kSucceeded,
                        ExportState::kPartiallySucceeded, ExportState::kFailed})
    if (ExportStateName(s) == text) return s;
  return std::nullopt;
}
inline std::string_view ExportTriggerName(ExportTrigger t) {
  return t == ExportTrigger::kAuto ? "auto" : "manual";
}

// The status last sent for a case (last_export of a link).
struct CaseExportRecord {
  int64_t case_id = 0;
  int status_id = 0;
  TimeMs exported_at = 0;
  int64_t export_id = 0;
};

}  // namespace nexus
