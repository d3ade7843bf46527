// SqliteStore: the tests and runs role (test_run_store.h). Tags, expected results, bugs
// and step outcomes are JSON text columns (docs/storage.md).
#include <nlohmann/json.hpp>
#include <utility>

#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Corrupt;
using sqlite::Exists;
using sqlite::PageLimit;
using sqlite::Statement;
using Json = nlohmann::json;

// ---- JSON value blobs. Decoding never throws: a malformed blob is an Internal error.

std::string EncodeStrings(const std::vector<std::string>& v) { return Json(v).dump(); }

Result<std::vector<std::string>> DecodeStrings(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(op, "string list");
  std::vector<std::string> out;
  out.reserve(j.size());
  for (const Json& e : j) {
    if (!e.is_string()) return Corrupt(op, "string list");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string EncodeAttributes(const RunAttributes& a) { return Json(a).dump(); }

Result<RunAttributes> DecodeAttributes(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corrupt(op, "run attributes");
  RunAttributes out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return Corrupt(op, "run attributes");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

// Replaces the run's rows in run_attributes (the filter index) with `a`.
Status WriteAttributeRows(Connection& c, std::string_view op, int64_t project_id, int64_t run_id,
                          const RunAttributes& a) {
  NEXUS_ASSIGN_OR_RETURN(Statement del,
                         c.Prepare(op, "DELETE FROM run_attributes WHERE run_id = ?1"));
  del.Bind(1, run_id);
  NEXUS_RETURN_IF_ERROR(del.Run());
  for (const auto& [key, value] : a) {
    NEXUS_ASSIGN_OR_RETURN(Statement ins,
                           c.Prepare(op,
                                     "INSERT INTO run_attributes (run_id, project_id, key, value) "
                                     "VALUES (?1, ?2, ?3, ?4)"));
    ins.Bind(1, run_id).Bind(2, project_id).Bind(3, key).Bind(4, value);
    NEXUS_RETURN_IF_ERROR(ins.Run());
  }
  return Status::Ok();
}

std::string EncodeBugs(const std::vector<Bug>& bugs) {
  Json arr = Json::array();
  for (const Bug& b : bugs) {
    arr.push_back({{"title", b.title},
                   {"description", b.description},
                   {"severity", b.severity},
                   {"step_id", b.step_id}});
  }
  return arr.dump();
}

std::string JsonString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> JsonOptInt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

Result<std::vector<Bug>> DecodeBugs(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(op, "bugs");
  std::vector<Bug> out;
  for (const Json& e : j) {
    if (!e.is_object()) return Corrupt(op, "bugs");
    out.push_back(Bug{JsonString(e, "title"), JsonString(e, "description"),
                      JsonString(e, "severity"), JsonString(e, "step_id")});
  }
  return out;
}

std::string EncodeOutcomes(const std::vector<StepOutcome>& steps) {
  Json arr = Json::array();
  for (const StepOutcome& s : steps) {
    Json o = {{"step_id", s.step_id},
              {"result", RunResultName(s.result)},
              {"bug_label", BugLabelName(s.bug_label)},
              {"comment", s.comment}};
    if (s.started_at) o["started_at"] = *s.started_at;
    if (s.finished_at) o["finished_at"] = *s.finished_at;
    arr.push_back(std::move(o));
  }
  return arr.dump();
}

Result<std::vector<StepOutcome>> DecodeOutcomes(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(op, "step outcomes");
  std::vector<StepOutcome> out;
  for (const Json& e : j) {
    if (!e.is_object()) return Corrupt(op, "step outcomes");
    StepOutcome s;
    s.step_id = JsonString(e, "step_id");
    auto result = ParseRunResult(JsonString(e, "result"));
    auto label = ParseBugLabel(JsonString(e, "bug_label"));
    if (!result || !label) return Corrupt(op, "step outcomes");
    s.result = *result;
    s.bug_label = *label;
    s.started_at = JsonOptInt(e, "started_at");
    s.finished_at = JsonOptInt(e, "finished_at");
    s.comment = JsonString(e, "comment");
    out.push_back(std::move(s));
  }
  return out;
}

// ---- Tests.

constexpr char kTestCols[] =
    "SELECT id, project_id, name, tags_json, version, created_at, updated_at FROM tests";

Result<Test> ReadTest(const Statement& st, std::string_view op) {
  Test t;
  t.id = st.Int64(0);
  t.project_id = st.Int64(1);
  t.name = st.Text(2);
  NEXUS_ASSIGN_OR_RETURN(t.tags, DecodeStrings(st.Text(3), op));
  t.version = st.Int64(4);
  t.created_at = st.Int64(5);
  t.updated_at = st.Int64(6);
  return t;
}

// Tests joined with their steps: each row is a test (kTestCols' columns) followed by one step's
// step_id, goal, expected_results_json (NULL for a test without steps). Completed by a row
// source named `t` (the tests table or a page of it) and kJoinSteps. One statement, so one
// snapshot and one server round trip.
constexpr char kTestsWithSteps[] =
    "SELECT t.id, t.project_id, t.name, t.tags_json, t.version, t.created_at, t.updated_at, "
    "s.step_id, s.goal, s.expected_results_json FROM ";
constexpr char kJoinSteps[] = " t LEFT JOIN test_steps s ON s.test_id = t.id ";

// Reads the rows of a kTestsWithSteps statement ordered by test then step position.

Status ReadTestsWithSteps(Statement& st, std::string_view op, std::vector<Test>& out) {
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (out.empty() || out.back().id != st.Int64(0)) {
      NEXUS_ASSIGN_OR_RETURN(Test t, ReadTest(st, op));
      out.push_back(std::move(t));
    }
    if (st.IsNull(7)) continue;
    Step s;
    s.id = st.Text(7);
    s.goal = st.Text(8);
    NEXUS_ASSIGN_OR_RETURN(s.expected_results, DecodeStrings(st.Text(9), op));
    out.back().steps.push_back(std::move(s));
  }
  return Status::Ok();
}

// A live (not deleted) test of the project, with its steps.
Result<Test> LoadTest(Connection& c, int64_t project_id, int64_t test_id) {
  constexpr std::string_view kOp = "get test";
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(kOp, std::string(kTestsWithSteps) + "tests" + kJoinSteps +
                         "WHERE t.id = ?1 AND t.project_id = ?2 AND t.deleted_at IS NULL "
                         "ORDER BY s.position"));
  st.Bind(1, test_id).Bind(2, project_id);
  std::vector<Test> one;
  NEXUS_RETURN_IF_ERROR(ReadTestsWithSteps(st, kOp, one));
  if (one.empty()) return NotFound("test not found");
  return std::move(one.front());
}

Status ValidateSteps(const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].id.empty())
      return InvalidArgument("step id must not be empty", "steps[" + std::to_string(i) + "].id");
  }
  return Status::Ok();
}

Status InsertSteps(Connection& c, int64_t test_id, const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("store test steps",
                                     "INSERT INTO test_steps (test_id, position, step_id, goal, "
                                     "expected_results_json) VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, test_id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, steps[i].id)
        .Bind(4, steps[i].goal)
        .Bind(5, EncodeStrings(steps[i].expected_results));
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) {
      return Conflict("duplicate step id \"" + steps[i].id + "\"", "duplicate");
    }
    NEXUS_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

// ---- Runs.

constexpr char kRunCols[] =
    "SELECT id, project_id, test_id, test_version, result, bug_label, started_at, finished_at, "
    "build, summary, bugs_json, steps_json, execution_id, created_at, updated_at, attributes_json "
    "FROM runs";

Result<Run> ReadRun(const Statement& st, std::string_view op) {
  Run r;
  r.id = st.Int64(0);
  r.project_id = st.Int64(1);
  r.test_id = st.Int64(2);
  r.test_version = st.Int64(3);
  auto result = ParseRunResult(st.Text(4));
  auto label = ParseBugLabel(st.Text(5));
  if (!result || !label) return Corrupt(op, "run result");
  r.result = *result;
  r.bug_label = *label;
  r.started_at = st.Int64(6);
  r.finished_at = st.OptInt64(7);
  r.build = st.Text(8);
  r.summary = st.Text(9);
  NEXUS_ASSIGN_OR_RETURN(r.bugs, DecodeBugs(st.Text(10), op));
  NEXUS_ASSIGN_OR_RETURN(r.steps, DecodeOutcomes(st.Text(11), op));
  r.execution_id = st.OptInt64(12);
  r.created_at = st.Int64(13);
  r.updated_at = st.Int64(14);
  NEXUS_ASSIGN_OR_RETURN(r.attributes, DecodeAttributes(st.Text(15), op));
  return r;
}

Result<Run> LoadRun(Connection& c, int64_t project_id, int64_t run_id) {
  constexpr std::string_view kOp = "get run";
  NEXUS_ASSIGN_OR_RETURN(
      Statement st, c.Prepare(kOp, std::string(kRunCols) + " WHERE id = ?1 AND project_id = ?2"));
  st.Bind(1, run_id).Bind(2, project_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("run not found");
  return ReadRun(st, kOp);
}

}  // namespace

// ---- Tests.

Result<Test> SqliteStore::CreateTest(const Test& test) {
  constexpr std::string_view kOp = "create test";
  NEXUS_RETURN_IF_ERROR(ValidateSteps(test.steps));
  return Write(kOp, [&](Connection& c) -> Result<Test> {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", test.project_id));
    if (!exists) return NotFound("project not found", "project_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO tests (project_id, name, tags_json, version, created_at, "
                  "updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?5) RETURNING id"));
    st.Bind(1, test.project_id)
        .Bind(2, test.name)
        .Bind(3, EncodeStrings(test.tags))
        .Bind(4, test.created_at)
        .Bind(5, test.updated_at);
    NEXUS_ASSIGN_OR_RETURN(int64_t id, sqlite::InsertReturningId(st));
    NEXUS_RETURN_IF_ERROR(InsertSteps(c, id, test.steps));
    return LoadTest(c, test.project_id, id);
  });
}

Result<Test> SqliteStore::GetTest(int64_t project_id, int64_t test_id) {
  return ReadOne("get test", [&](Connection& c) { return LoadTest(c, project_id, test_id); });
}

Result<std::vector<Test>> SqliteStore::ListTests(int64_t project_id, const PageRequest& page) {
  constexpr std::string_view kOp = "list tests";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  return ReadOne(kOp, [&](Connection& c) -> Result<std::vector<Test>> {
    // The page, then exactly its steps, in one statement.
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, std::string("WITH page AS (") + kTestCols +
                           " WHERE project_id = ?1 AND deleted_at IS NULL AND id > ?2 "
                           "ORDER BY id LIMIT ?3) " +
                           kTestsWithSteps + "page" + kJoinSteps + "ORDER BY t.id, s.position"));
    st.Bind(1, project_id).Bind(2, page.after_id).Bind(3, limit);
    std::vector<Test> out;
    NEXUS_RETURN_IF_ERROR(ReadTestsWithSteps(st, kOp, out));
    return out;
  });
}

Result<Test> SqliteStore::UpdateTest(const Test& test) {
  constexpr std::string_view kOp = "update test";
  NEXUS_RETURN_IF_ERROR(ValidateSteps(test.steps));
  return Write(kOp, [&](Connection& c) -> Result<Test> {
    int64_t stored_version = 0;
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                     "SELECT version FROM tests WHERE id = ?1 "
                                                     "AND project_id = ?2 AND deleted_at IS NULL"));
      st.Bind(1, test.id).Bind(2, test.project_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return NotFound("test not found");
      stored_version = st.Int64(0);
    }
    if (stored_version != test.version) {
      return Conflict("the test was changed since version " + std::to_string(test.version) +
                          " (now " + std::to_string(stored_version) + ")",
                      "version_mismatch");
    }
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp,
                    "UPDATE tests SET name = ?1, tags_json = ?2, version = version + 1, "
                    "updated_at = ?3 WHERE id = ?4 AND version = ?5"));
      st.Bind(1, test.name)
          .Bind(2, EncodeStrings(test.tags))
          .Bind(3, test.updated_at)
          .Bind(4, test.id)
          .Bind(5, test.version);
      NEXUS_RETURN_IF_ERROR(st.Run());
    }
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st,
                             c.Prepare(kOp, "DELETE FROM test_steps WHERE test_id = ?1"));
      st.Bind(1, test.id);
      NEXUS_RETURN_IF_ERROR(st.Run());
    }
    NEXUS_RETURN_IF_ERROR(InsertSteps(c, test.id, test.steps));
    return LoadTest(c, test.project_id, test.id);
  });
}

Status SqliteStore::DeleteTest(int64_t project_id, int64_t test_id, TimeMs now) {
  return Write("delete test", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("delete test",
                                     "UPDATE tests SET deleted_at = ?1 WHERE id = ?2 AND "
                                     "project_id = ?3 AND deleted_at IS NULL"));
    st.Bind(1, now).Bind(2, test_id).Bind(3, project_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("test not found");
    return Status::Ok();
  });
}

// ---- Runs.

Result<Run> SqliteStore::CreateRun(const Run& run) {
  return Write("create run", [&](Connection& c) { return InsertRun(c, run); });
}

Result<Run> SqliteStore::InsertRun(Connection& c, const Run& run) {
  constexpr std::string_view kOp = "create run";
  // Deleted tests still accept runs: an execution launched before the deletion reports in.
  NEXUS_ASSIGN_OR_RETURN(bool test_exists,
                         Exists(c, kOp, "SELECT 1 FROM tests WHERE id = ?1 AND project_id = ?2",
                                run.test_id, run.project_id));
  if (!test_exists) return NotFound("test not found", "test_id");
  if (run.execution_id) {
    NEXUS_ASSIGN_OR_RETURN(
        bool exec_exists,
        Exists(c, kOp, "SELECT 1 FROM executions WHERE id = ?1 AND project_id = ?2",
               *run.execution_id, run.project_id));
    if (!exec_exists) return NotFound("execution not found", "execution_id");
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(kOp,
                "INSERT INTO runs (project_id, test_id, test_version, result, bug_label, "
                "started_at, finished_at, build, summary, bugs_json, steps_json, "
                "execution_id, created_at, updated_at, attributes_json) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
                "RETURNING id"));
  st.Bind(1, run.project_id)
      .Bind(2, run.test_id)
      .Bind(3, run.test_version)
      .Bind(4, RunResultName(run.result))
      .Bind(5, BugLabelName(run.bug_label))
      .Bind(6, run.started_at)
      .Bind(7, run.finished_at)
      .Bind(8, run.build)
      .Bind(9, run.summary)
      .Bind(10, EncodeBugs(run.bugs))
      .Bind(11, EncodeOutcomes(run.steps))
      .Bind(12, run.execution_id)
      .Bind(13, run.created_at)
      .Bind(14, run.updated_at)
      .Bind(15, EncodeAttributes(run.attributes));
  NEXUS_ASSIGN_OR_RETURN(const int64_t id, sqlite::InsertReturningId(st));
  NEXUS_RETURN_IF_ERROR(WriteAttributeRows(c, kOp, run.project_id, id, run.attributes));
  return LoadRun(c, run.project_id, id);
}

Result<Run> SqliteStore::GetRun(int64_t project_id, int64_t run_id) {
  return ReadOne("get run", [&](Connection& c) { return LoadRun(c, project_id, run_id); });
}

Result<std::vector<Run>> SqliteStore::ListRuns(int64_t project_id, const RunFilter& filter,
                                               const PageRequest& page) {
  constexpr std::string_view kOp = "list runs";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  // One statement text per filter combination (at most 8, each cached).
  std::string sql = std::string(kRunCols) + " WHERE project_id = ?1 AND id > ?2";
  if (filter.test_id) sql += " AND test_id = ?3";
  if (filter.execution_id) sql += " AND execution_id = ?4";
  if (filter.result) sql += " AND result = ?5";
  if (filter.attribute)
    sql +=
        " AND id IN (SELECT run_id FROM run_attributes WHERE project_id = ?1 AND key = ?7 "
        "AND value = ?8)";
  sql += " ORDER BY id LIMIT ?6";
  return ReadOne(kOp, [&](Connection& c) -> Result<std::vector<Run>> {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, sql));
    st.Bind(1, project_id).Bind(2, page.after_id).Bind(6, limit);
    if (filter.test_id) st.Bind(3, *filter.test_id);
    if (filter.execution_id) st.Bind(4, *filter.execution_id);
    if (filter.result) st.Bind(5, RunResultName(*filter.result));
    if (filter.attribute) st.Bind(7, filter.attribute->first).Bind(8, filter.attribute->second);
    std::vector<Run> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      NEXUS_ASSIGN_OR_RETURN(Run r, ReadRun(st, kOp));
      out.push_back(std::move(r));
    }
    return out;
  });
}

Result<Run> SqliteStore::UpdateRun(const Run& run) {
  constexpr std::string_view kOp = "update run";
  return Write(kOp, [&](Connection& c) -> Result<Run> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "UPDATE runs SET result = ?1, bug_label = ?2, finished_at = ?3, summary = ?4, "
                  "updated_at = ?5, attributes_json = ?8 WHERE id = ?6 AND project_id = ?7"));
    st.Bind(1, RunResultName(run.result))
        .Bind(2, BugLabelName(run.bug_label))
        .Bind(3, run.finished_at)
        .Bind(4, run.summary)
        .Bind(5, run.updated_at)
        .Bind(6, run.id)
        .Bind(7, run.project_id)
        .Bind(8, EncodeAttributes(run.attributes));
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("run not found");
    NEXUS_RETURN_IF_ERROR(WriteAttributeRows(c, kOp, run.project_id, run.id, run.attributes));
    return LoadRun(c, run.project_id, run.id);
  });
}

}  // namespace nexus
