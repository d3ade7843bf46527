// SqliteStore: TestRail exports (store.h "TestRail exports", migration 0005_exports.sql).
// The journal and the per-case history are append-only; a batch's "done" step and the cases
// it landed are written in one transaction, so the journal never claims more than the
// history shows (and vice versa).
#include <algorithm>
#include <array>
#include <map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/sqlite_conn.h"
#include "storage/sqlite_export_text.h"
#include "storage/sqlite_helpers.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Statement;
using Json = nlohmann::json;
using namespace sqlite_export_text;  // NOLINT: the text forms of this file's records

constexpr char kExportCols[] =
    "SELECT id, project_id, trigger_kind, source_kind, source_ids, source_key, options, state, "
    "nonce, strategy, testrail_run_id, testrail_plan_id, testrail_name, testrail_url, "
    "runs_processed, total_test_cases, results_sent, skipped_json, warnings_json, error, "
    "error_code, duration_ms, attempts, created_by, created_at, started_at, finished_at, "
    "updated_at, plan_json, attachments_json FROM exports ";
// The same without the (possibly large) plan snapshot.
constexpr char kExportColsNoPlan[] =
    "SELECT id, project_id, trigger_kind, source_kind, source_ids, source_key, options, state, "
    "nonce, strategy, testrail_run_id, testrail_plan_id, testrail_name, testrail_url, "
    "runs_processed, total_test_cases, results_sent, skipped_json, warnings_json, error, "
    "error_code, duration_ms, attempts, created_by, created_at, started_at, finished_at, "
    "updated_at, NULL, attachments_json FROM exports ";

// PostgreSQL types of the planned-result and landed-case inserts' parameters (RunChunked's
// array form: one statement per export plan and per batch instead of one per 500 rows).
constexpr std::array<std::string_view, 10> kPlanRowTypes = {
    "bigint", "bigint", "bigint", "bigint", "bigint", "text", "text", "text", "text", "text"};
constexpr std::array<std::string_view, 5> kLandedRowTypes = {"bigint", "bigint", "bigint", "bigint",
                                                             "bigint"};

std::string TextOr(const Statement& st, int col, std::string def = {}) {
  return st.IsNull(col) ? def : st.Text(col);
}

std::vector<int64_t> IdsFromJson(const std::string& text) {
  std::vector<int64_t> out;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j)
    if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  return out;
}

std::string IdsToJson(const std::vector<int64_t>& ids) { return Json(ids).dump(); }

// "12,15" (export_plan_results.run_ids) → {12, 15}; anything but digits separates.
std::vector<int64_t> RunIdsFromList(std::string_view text) {
  std::vector<int64_t> out;
  int64_t v = 0;
  bool in_number = false;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      v = v * 10 + (ch - '0');
      in_number = true;
    } else if (in_number) {
      out.push_back(v);
      v = 0;
      in_number = false;
    }
  }
  if (in_number) out.push_back(v);
  return out;
}

ExportRecord ReadExport(const Statement& st) {
  ExportRecord r;
  r.id = st.Int64(0);
  r.project_id = st.Int64(1);
  r.trigger = st.Text(2) == ExportTriggerName(ExportTrigger::kAuto) ? ExportTrigger::kAuto
                                                                    : ExportTrigger::kManual;
  r.source_kind = SourceKindFromText(st.Text(3));
  r.source_ids = IdsFromJson(st.Text(4));
  r.source_key = st.Text(5);
  r.options = OptionsFromJson(st.Text(6));
  r.state = ParseExportState(st.Text(7)).value_or(ExportState::kFailed);
  r.nonce = st.Text(8);
  r.strategy = StrategyFromText(TextOr(st, 9));
  r.testrail_run_id = st.OptInt64(10);
  r.testrail_plan_id = st.OptInt64(11);
  r.testrail_name = TextOr(st, 12);
  r.testrail_url = TextOr(st, 13);
  r.runs_processed = static_cast<int>(st.Int64(14));
  r.total_test_cases = static_cast<int>(st.Int64(15));
  r.results_sent = static_cast<int>(st.Int64(16));
  r.skipped = SkippedFromJson(st.Text(17));
  r.warnings = WarningsFromJson(st.Text(18));
  r.error = TextOr(st, 19);
  r.error_code = TextOr(st, 20);
  r.duration_ms = st.OptInt64(21);
  r.attempts = static_cast<int>(st.Int64(22));
  r.created_by = st.OptInt64(23);
  r.created_at = st.Int64(24);
  r.started_at = st.OptInt64(25);
  r.finished_at = st.OptInt64(26);
  r.updated_at = st.Int64(27);
  if (!st.IsNull(28)) {
    auto head = PlanHeadFromJson(st.Text(28));
    if (head.ok())
      r.plan = std::move(head).value();
    else
      r.plan_error = head.status().message();
  }
  r.attachments = AttachmentProgressFromJson(TextOr(st, 29, "{}"));
  return r;
}

Status LoadRunIds(Connection& c, std::string_view op, ExportRecord& r) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op, "SELECT run_id FROM export_runs WHERE export_id = ?1 ORDER BY run_id"));
  st.Bind(1, r.id);
  r.run_ids.clear();
  while (true) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    r.run_ids.push_back(st.Int64(0));
  }
  return Status::Ok();
}

Result<ExportRecord> LoadExport(Connection& c, std::string_view op, int64_t project_id, int64_t id,
                                bool with_plan = true) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op, std::string(with_plan ? kExportCols : kExportColsNoPlan) + "WHERE id = ?1"));
  st.Bind(1, id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || (project_id != 0 && st.Int64(1) != project_id))
    return NotFound("export " + std::to_string(id) + " not found", "export_id");
  ExportRecord r = ReadExport(st);
  NEXUS_RETURN_IF_ERROR(LoadRunIds(c, op, r));
  return r;
}

Status Superseded(int64_t export_id) {
  return Conflict("export " + std::to_string(export_id) +
                      " was taken over by a later attempt (another process resumed it)",
                  "superseded");
}

// Why an UPDATE of an export changed nothing: it is gone, or a later attempt owns it.
Status ExportGone(Connection& c, std::string_view op, int64_t id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, "SELECT 1 FROM exports WHERE id = ?1"));
  st.Bind(1, id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("export " + std::to_string(id) + " not found");
  return Superseded(id);
}

void BindPlan(Statement& st, int i, const std::optional<ExportPlanHead>& head) {
  if (head)
    st.Bind(i, PlanHeadToJson(*head));
  else
    st.BindNull(i);
}

}  // namespace

Result<ExportRecord> SqliteStore::CreateExportWithRows(
    const ExportRecord& rec, const std::function<Status(const PlanRowWriter&)>& fill) {
  constexpr std::string_view kOp = "create export";
  int64_t id = 0;
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO exports (project_id, trigger_kind, source_kind, source_ids, "
                  "source_key, options, state, nonce, created_by, created_at, updated_at, "
                  "plan_json, strategy, skipped_json, warnings_json, attachments_json) VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14, ?15) "
                  "RETURNING id"));
    st.Bind(1, rec.project_id)
        .Bind(2, ExportTriggerName(rec.trigger))
        .Bind(3, ExportSourceKindName(rec.source_kind))
        .Bind(4, IdsToJson(rec.source_ids))
        .Bind(5, rec.source_key)
        .Bind(6, OptionsToJson(rec.options))
        .Bind(7, ExportStateName(rec.state))
        .Bind(8, rec.nonce)
        .Bind(9, rec.created_by)
        .Bind(10, rec.created_at);
    BindPlan(st, 11, rec.plan);
    st.Bind(12, StrategyText(rec.strategy))
        .Bind(13, SkippedToJson(rec.skipped))
        .Bind(14, WarningsToJson(rec.warnings))
        .Bind(15, AttachmentProgressToJson(rec.attachments));
    Result<int64_t> r = sqlite::InsertReturningId(st);
    if (r.status().code() == StatusCode::kConflict)
      return Conflict("an export of this source is already in progress", "already_running");
    if (r.status().code() == StatusCode::kNotFound)
      return NotFound("project " + std::to_string(rec.project_id) + " not found");
    NEXUS_RETURN_IF_ERROR(r.status());
    id = *r;
    // Multi-row statements (sqlite_helpers.h): one round trip per kChunkRows results on
    // PostgreSQL instead of one per result.
    const sqlite::MultiRow ins{
        "INSERT INTO export_plan_results (export_id, entry_index, seq, case_id, status_id, "
        "comment, elapsed, version, run_ids, extra_json) VALUES ",
        "(?1, #0, #1, #2, #3, #4, #5, #6, #7, #8)", "", 1, 9};
    std::string runs;
    const PlanRowWriter write = [&](int entry, size_t first_seq,
                                    std::span<const PlannedResult> results) -> Status {
      return sqlite::RunChunked(
          c, kOp, ins, results.size(), [&](Statement& st) { st.Bind(1, id); },
          [&](Statement& st, size_t i, int p) {
            const PlannedResult& pr = results[i];
            runs.clear();
            for (int64_t run : pr.run_ids) {
              if (!runs.empty()) runs += ',';
              runs += std::to_string(run);
            }
            st.Bind(p, static_cast<int64_t>(entry))
                .Bind(p + 1, static_cast<int64_t>(first_seq + i))
                .Bind(p + 2, pr.case_id)
                .Bind(p + 3, pr.status_id)
                .Bind(p + 4, pr.comment)
                .Bind(p + 5, pr.elapsed)
                .Bind(p + 6, pr.version)
                .Bind(p + 7, runs)
                .Bind(p + 8, pr.extra_json);
          },
          sqlite::RunToEnd, kPlanRowTypes);
    };
    return fill(write);
  });
  if (!s.ok()) return s;
  return GetExport(rec.project_id, id, false);
}

namespace {

// A planned result from columns case_id, status_id, comment, elapsed, version, run_ids,
// extra_json starting at `col`.
PlannedResult PlannedResultAt(Statement& st, int col) {
  PlannedResult r;
  r.case_id = st.Int64(col);
  r.status_id = static_cast<int>(st.Int64(col + 1));
  r.comment = st.Text(col + 2);
  r.elapsed = st.Text(col + 3);
  r.version = st.Text(col + 4);
  r.run_ids = RunIdsFromList(st.Text(col + 5));
  r.extra_json = st.Text(col + 6);
  return r;
}

}  // namespace

Status SqliteStore::ForEachPlannedResult(
    int64_t export_id, const std::function<Status(int entry_index, PlannedResult& r)>& on_result) {
  constexpr std::string_view kOp = "read planned results";
  return ReadOneTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(
            kOp,
            "SELECT entry_index, case_id, status_id, comment, elapsed, version, run_ids, "
            "extra_json FROM export_plan_results WHERE export_id = ?1 ORDER BY entry_index, seq"));
    st.Bind(1, export_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return Status::Ok();
      PlannedResult r = PlannedResultAt(st, 1);
      NEXUS_RETURN_IF_ERROR(on_result(static_cast<int>(st.Int64(0)), r));
    }
  });
}

Status SqliteStore::ForEachPlannedCase(
    int64_t export_id, const std::function<Status(int entry_index, int64_t case_id)>& on_case) {
  constexpr std::string_view kOp = "read planned cases";
  return ReadOneTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp,
                                     "SELECT entry_index, case_id FROM export_plan_results WHERE "
                                     "export_id = ?1 ORDER BY entry_index, seq"));
    st.Bind(1, export_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return Status::Ok();
      NEXUS_RETURN_IF_ERROR(on_case(static_cast<int>(st.Int64(0)), st.Int64(1)));
    }
  });
}

Result<std::vector<PlannedResult>> SqliteStore::ReadPlannedResults(int64_t export_id,
                                                                   int entry_index, size_t from,
                                                                   size_t limit) {
  constexpr std::string_view kOp = "read a page of planned results";
  std::vector<PlannedResult> out;
  Status s = ReadOneTx(kOp, [&](Connection& c) -> Status {
    out.clear();
    out.reserve(std::min<size_t>(limit, 10'000));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT case_id, status_id, comment, elapsed, version, run_ids, extra_json "
                  "FROM export_plan_results WHERE export_id = ?1 AND entry_index = ?2 AND "
                  "seq >= ?3 ORDER BY seq LIMIT ?4"));
    st.Bind(1, export_id)
        .Bind(2, static_cast<int64_t>(entry_index))
        .Bind(3, static_cast<int64_t>(from))
        .Bind(4, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return Status::Ok();
      out.push_back(PlannedResultAt(st, 0));
    }
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<int64_t>> SqliteStore::PlannedCasesForRun(int64_t export_id, int64_t run_id) {
  constexpr std::string_view kOp = "planned cases for run";
  std::vector<int64_t> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT DISTINCT case_id FROM export_plan_results WHERE export_id = ?1 AND "
                  "(',' || run_ids || ',') LIKE ('%,' || ?2 || ',%') ORDER BY case_id"));
    st.Bind(1, export_id).Bind(2, run_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return Status::Ok();
      out.push_back(st.Int64(0));
    }
  });
  if (!s.ok()) return s;
  return out;
}

Result<ExportRecord> SqliteStore::GetExport(int64_t project_id, int64_t export_id, bool with_plan) {
  constexpr std::string_view kOp = "get export";
  ExportRecord out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(out, LoadExport(c, kOp, project_id, export_id, with_plan));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<ExportRecord>> SqliteStore::ListExports(int64_t project_id, int64_t before_id,
                                                           int limit) {
  constexpr std::string_view kOp = "list exports";
  limit = std::clamp(limit, 1, 200);
  std::vector<ExportRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp, std::string(kExportColsNoPlan) +
                                              "WHERE project_id = ?1 AND (?2 = 0 OR id < ?2) "
                                              "ORDER BY id DESC LIMIT ?3"));
    st.Bind(1, project_id).Bind(2, before_id).Bind(3, limit);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadExport(st));
    }
    for (auto& r : out) NEXUS_RETURN_IF_ERROR(LoadRunIds(c, kOp, r));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status SqliteStore::UpdateExport(const ExportRecord& rec) {
  constexpr std::string_view kOp = "update export";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(
              kOp,
              "UPDATE exports SET state = ?2, plan_json = COALESCE(?3, plan_json), strategy = ?4, "
              "testrail_run_id = ?5, testrail_plan_id = ?6, testrail_name = ?7, "
              "testrail_url = ?8, runs_processed = ?9, total_test_cases = ?10, "
              "results_sent = ?11, skipped_json = ?12, warnings_json = ?13, error = ?14, "
              "error_code = ?15, duration_ms = ?16, attempts = ?17, started_at = ?18, "
              "finished_at = ?19, updated_at = ?20, attachments_json = ?21 "
              "WHERE id = ?1 AND attempts <= ?17"));
      st.Bind(1, rec.id).Bind(2, ExportStateName(rec.state));
      BindPlan(st, 3, rec.plan);
      st.Bind(4, StrategyText(rec.strategy))
          .Bind(5, rec.testrail_run_id)
          .Bind(6, rec.testrail_plan_id)
          .Bind(7, rec.testrail_name)
          .Bind(8, rec.testrail_url)
          .Bind(9, rec.runs_processed)
          .Bind(10, rec.total_test_cases)
          .Bind(11, rec.results_sent)
          .Bind(12, SkippedToJson(rec.skipped))
          .Bind(13, WarningsToJson(rec.warnings))
          .Bind(14, rec.error)
          .Bind(15, rec.error_code)
          .Bind(16, rec.duration_ms)
          .Bind(17, rec.attempts)
          .Bind(18, rec.started_at)
          .Bind(19, rec.finished_at)
          .Bind(20, rec.updated_at)
          .Bind(21, AttachmentProgressToJson(rec.attachments));
      NEXUS_RETURN_IF_ERROR(st.Run());
      if (st.Changes() == 0) return ExportGone(c, kOp, rec.id);
    }
    if (rec.run_ids.empty()) return Status::Ok();
    {
      NEXUS_ASSIGN_OR_RETURN(Statement del,
                             c.Prepare(kOp, "DELETE FROM export_runs WHERE export_id = ?1"));
      NEXUS_RETURN_IF_ERROR(del.Bind(1, rec.id).Run());
    }
    for (int64_t run : rec.run_ids) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement ins,
          c.Prepare(kOp,
                    "INSERT INTO export_runs (export_id, project_id, run_id) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT DO NOTHING"));
      NEXUS_RETURN_IF_ERROR(ins.Bind(1, rec.id).Bind(2, rec.project_id).Bind(3, run).Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> SqliteStore::ListActiveExports() {
  constexpr std::string_view kOp = "list active exports";
  std::vector<int64_t> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "SELECT id FROM exports WHERE state IN ('queued', 'running') ORDER BY id"));
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(st.Int64(0));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

namespace {

// Appends one journal step inside the caller's write transaction (AppendExportStep(s)).
Result<int64_t> AppendStepIn(Connection& c, std::string_view op, const ExportStep& step) {
  if (step.attempt > 0) {
    NEXUS_ASSIGN_OR_RETURN(Statement f,
                           c.Prepare(op, "SELECT attempts FROM exports WHERE id = ?1"));
    f.Bind(1, step.export_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, f.Step());
    if (!row) return NotFound("export " + std::to_string(step.export_id) + " not found");
    if (f.Int64(0) > step.attempt) return Superseded(step.export_id);
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op,
                "INSERT INTO export_steps (export_id, kind, entry_index, remote_id, case_ids, "
                "fingerprint, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                "RETURNING id"));
  st.Bind(1, step.export_id).Bind(2, StepKindName(step.kind));
  if (step.entry_index)
    st.Bind(3, *step.entry_index);
  else
    st.BindNull(3);
  st.Bind(4, step.remote_id)
      .Bind(5, IdsToJson(step.case_ids))
      .Bind(6, step.fingerprint)
      .Bind(7, StepDetailToJson(step.kind, step.detail))
      .Bind(8, step.created_at);
  NEXUS_ASSIGN_OR_RETURN(int64_t id, sqlite::InsertReturningId(st));
  if (step.landed.empty()) return id;
  int64_t project_id = 0;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement p,
                           c.Prepare(op, "SELECT project_id FROM exports WHERE id = ?1"));
    p.Bind(1, step.export_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, p.Step());
    if (!row) return NotFound("export " + std::to_string(step.export_id) + " not found");
    project_id = p.Int64(0);
  }
  // One row per case (a statement may not update a row twice), the last status winning as
  // it would row by row; multi-row statements, one round trip per kChunkRows cases.
  std::map<int64_t, int64_t> landed;
  for (const auto& [case_id, status_id] : step.landed) landed[case_id] = status_id;
  std::vector<std::pair<int64_t, int64_t>> rows(landed.begin(), landed.end());
  const sqlite::MultiRow ins{
      "INSERT INTO export_cases (export_id, project_id, case_id, status_id, exported_at) "
      "VALUES ",
      "(?1, ?2, #0, #1, ?3)",
      " ON CONFLICT (export_id, case_id) DO UPDATE SET status_id = excluded.status_id", 3, 2};
  NEXUS_RETURN_IF_ERROR(sqlite::RunChunked(
      c, op, ins, rows.size(),
      [&](Statement& st) {
        st.Bind(1, step.export_id).Bind(2, project_id).Bind(3, step.created_at);
      },
      [&](Statement& st, size_t i, int p) {
        st.Bind(p, rows[i].first).Bind(p + 1, rows[i].second);
      },
      sqlite::RunToEnd, kLandedRowTypes));
  return id;
}

}  // namespace

Result<int64_t> SqliteStore::AppendExportStep(const ExportStep& step) {
  constexpr std::string_view kOp = "append export step";
  int64_t id = 0;
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(id, AppendStepIn(c, kOp, step));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<int64_t>> SqliteStore::AppendExportSteps(const std::vector<ExportStep>& steps) {
  constexpr std::string_view kOp = "append export steps";
  std::vector<int64_t> ids;
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    ids.clear();
    for (const ExportStep& step : steps) {
      NEXUS_ASSIGN_OR_RETURN(int64_t id, AppendStepIn(c, kOp, step));
      ids.push_back(id);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return ids;
}

Result<std::vector<ExportStep>> SqliteStore::ListExportSteps(int64_t export_id) {
  constexpr std::string_view kOp = "list export steps";
  std::vector<ExportStep> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT id, export_id, kind, entry_index, remote_id, case_ids, fingerprint, "
                  "detail, created_at FROM export_steps WHERE export_id = ?1 ORDER BY id"));
    st.Bind(1, export_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ExportStep e;
      e.id = st.Int64(0);
      e.export_id = st.Int64(1);
      e.kind = StepKindFromText(st.Text(2));
      if (!st.IsNull(3)) e.entry_index = static_cast<int>(st.Int64(3));
      e.remote_id = st.OptInt64(4);
      e.case_ids = IdsFromJson(st.Text(5));
      e.fingerprint = TextOr(st, 6);
      e.detail = StepDetailFromJson(st.Text(7));
      e.created_at = st.Int64(8);
      out.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<ExportRecord>> SqliteStore::LastExportForRun(int64_t project_id,
                                                                  int64_t run_id) {
  constexpr std::string_view kOp = "last export for run";
  std::optional<ExportRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    int64_t id = 0;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st, c.Prepare(kOp,
                                  "SELECT MAX(export_id) FROM export_runs WHERE project_id = ?1 "
                                  "AND run_id = ?2"));
      st.Bind(1, project_id).Bind(2, run_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row || st.IsNull(0)) return Status::Ok();
      id = st.Int64(0);
    }
    NEXUS_ASSIGN_OR_RETURN(ExportRecord r, LoadExport(c, kOp, project_id, id));
    out = std::move(r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<CaseExportRecord>> SqliteStore::LastCaseExports(
    int64_t project_id, const std::vector<int64_t>& case_ids) {
  constexpr std::string_view kOp = "last case exports";
  std::vector<CaseExportRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    for (int64_t case_id : case_ids) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp,
                    "SELECT case_id, status_id, exported_at, export_id FROM export_cases WHERE "
                    "project_id = ?1 AND case_id = ?2 ORDER BY exported_at DESC, export_id DESC "
                    "LIMIT 1"));
      st.Bind(1, project_id).Bind(2, case_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) continue;
      out.push_back(
          CaseExportRecord{st.Int64(0), static_cast<int>(st.Int64(1)), st.Int64(2), st.Int64(3)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<CaseExportRecord>> SqliteStore::ExportCases(int64_t export_id) {
  constexpr std::string_view kOp = "export cases";
  std::vector<CaseExportRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp,
                                     "SELECT case_id, status_id, exported_at, export_id FROM "
                                     "export_cases WHERE export_id = ?1 ORDER BY case_id"));
    st.Bind(1, export_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(
          CaseExportRecord{st.Int64(0), static_cast<int>(st.Int64(1)), st.Int64(2), st.Int64(3)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace nexus
