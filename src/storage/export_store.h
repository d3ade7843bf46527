// ExportStore: the TestRail exports role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/export_planner.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/export_records.h"

namespace nexus {

class ExportStore {
 public:
  virtual ~ExportStore() = default;

  // ---- TestRail exports (records in storage/export_records.h; sqlite_exports.cc).
  // Records a new export (id, timestamps from the record) and, in the same transaction, its
  // planned results: entries[i].results become the rows of entry i (the head of the plan is
  // rec.plan). Conflict (reason "already_running") when a queued or running export of
  // the same project has the same source_key (R-EXP-8). NotFound when the project does not
  // exist.
  Result<ExportRecord> CreateExport(const ExportRecord& rec, std::span<const PlanEntry> entries) {
    return CreateExportWithRows(rec, [&](const PlanRowWriter& write) -> Status {
      for (size_t e = 0; e < entries.size(); ++e)
        NEXUS_RETURN_IF_ERROR(write(static_cast<int>(e), 0, entries[e].results));
      return Status::Ok();
    });
  }
  // Writes `results` as rows of entry `entry_index`, positions first_seq, first_seq + 1, …
  using PlanRowWriter = std::function<Status(int entry_index, size_t first_seq,
                                             std::span<const PlannedResult> results)>;
  // CreateExport for a plan made a slice at a time (issue 16: no process holds a whole
  // plan): inserts the export, then calls `fill` in the same transaction with a writer of
  // rows. rec.plan must already list every entry with its result count. Nothing is recorded
  // when `fill` (or a write) fails; `fill` must not write to the store itself.
  virtual Result<ExportRecord> CreateExportWithRows(
      const ExportRecord& rec, const std::function<Status(const PlanRowWriter&)>& fill) = 0;
  // NotFound for an unknown export or one of another project (project_id 0: any project).
  // The plan's head (rec.plan) only `with_plan`.
  virtual Result<ExportRecord> GetExport(int64_t project_id, int64_t export_id, bool with_plan) = 0;
  // The planned results of an export, streamed in (entry_index, position) order; `on_result`
  // may move the result out. Nothing for an export without results (or an unknown one).
  virtual Status ForEachPlannedResult(
      int64_t export_id,
      const std::function<Status(int entry_index, PlannedResult& r)>& on_result) = 0;
  // The planned cases alone (entry_index, case_id), in the same order: what an export's
  // execution needs up front; its results are read a page at a time (ReadPlannedResults).
  virtual Status ForEachPlannedCase(
      int64_t export_id,
      const std::function<Status(int entry_index, int64_t case_id)>& on_case) = 0;
  // Up to `limit` planned results of entry `entry_index` from position `from` on, in
  // position order (issue 16: the executor reads the plan a page at a time). Empty past the end.
  virtual Result<std::vector<PlannedResult>> ReadPlannedResults(int64_t export_id, int entry_index,
                                                                size_t from, size_t limit) = 0;
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
  // AppendExportStep for each step, in order, in one transaction: all are appended or none (a
  // superseded or failing step fails them all). The ids in the same order. An export's batches
  // sent together are journalled together (their intents, then what landed): one commit
  // instead of one per batch.
  virtual Result<std::vector<int64_t>> AppendExportSteps(const std::vector<ExportStep>& steps) = 0;
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

}  // namespace nexus
