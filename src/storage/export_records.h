// Stored TestRail exports (R-SYNC-1, R-Q-IDEMP): the export row, its journal of remote steps
// and the per-case / per-run bookkeeping behind the sync status (R-SYNC-2). Plain values;
// integration/export_service.h and export_executor.h give them meaning (docs/export.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace nexus {

inline constexpr char kExportQueued[] = "queued";
inline constexpr char kExportRunning[] = "running";
inline constexpr char kExportSucceeded[] = "succeeded";
inline constexpr char kExportPartiallySucceeded[] = "partially_succeeded";
inline constexpr char kExportFailed[] = "failed";

struct ExportRecord {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string trigger = "manual";          // manual | auto
  std::string source_kind = "single_run";  // single_run | multiple_runs | test_plan
  std::vector<int64_t> source_ids;         // run ids, or {execution id}
  std::string source_key;                  // dedupe key: "runs:1,2" | "execution:5"
  std::string options_json = "{}";         // the request's options (JSON object)
  std::string state = kExportQueued;
  std::string nonce;                     // random; part of the TestRail-side marker
  std::optional<std::string> plan_json;  // the plan snapshot once planned
  std::string strategy;                  // single_suite | multi_suite_plan ("" before)
  std::optional<int64_t> testrail_run_id;
  std::optional<int64_t> testrail_plan_id;
  std::string testrail_name;
  std::string testrail_url;
  int runs_processed = 0;
  int total_test_cases = 0;
  int results_sent = 0;
  std::string skipped_json = "[]";   // [{case_id, reason, message}]
  std::string warnings_json = "[]";  // [{type, message, run_id?}]
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

  bool active() const { return state == kExportQueued || state == kExportRunning; }
};

// One journal step. Kinds: "plan", "create_intent", "create_done", "batch_intent",
// "batch_done", "case_skipped", "close_intent", "close_done", "reconciled".
struct ExportStep {
  int64_t id = 0;
  int64_t export_id = 0;
  std::string kind;
  std::optional<int> entry_index;  // plan entry (suite) the step concerns
  std::optional<int64_t> remote_id;
  std::vector<int64_t> case_ids;
  std::string fingerprint;
  std::string detail_json = "{}";
  TimeMs created_at = 0;
  // The export attempt writing the step (ExportRecord::attempts of its executor); 0 = not
  // fenced. A step of an attempt older than the export's current one is refused.
  int attempt = 0;
  // batch_done / reconciled only: (case id, status id) pairs that landed in TestRail; stored
  // in export_cases in the same transaction as the step.
  std::vector<std::pair<int64_t, int>> landed;
};

// The status last sent for a case (last_export of a link).
struct CaseExportRecord {
  int64_t case_id = 0;
  int status_id = 0;
  TimeMs exported_at = 0;
  int64_t export_id = 0;
};

}  // namespace nexus
