// SqliteStore: the JUnit imports role (import_store.h), on SQLite and PostgreSQL alike.
// CreateJUnitImport writes a whole report in one write transaction with multi-row statements
// of kChunkRows rows, each prepared once and reused: 100,000 testcases are ~1,000 statement
// executions and one commit, not ~400,000 single-row ones (docs/benchmarks.md "JUnit import").
#include <sqlite3.h>

#include <algorithm>
#include <deque>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Exists;
using sqlite::MultiRow;
using sqlite::RunChunked;
using sqlite::RunToEnd;
using sqlite::Statement;

constexpr char kImportCols[] =
    "SELECT id, project_id, sha256, execution_name, execution_id, plan_id, testcases, passed, "
    "failed, errors, skipped, tests_created, links_added, created_by, created_at "
    "FROM junit_imports";

JUnitImportRecord ReadImport(const Statement& st) {
  JUnitImportRecord r;
  r.id = st.Int64(0);
  r.project_id = st.Int64(1);
  r.sha256 = st.Text(2);
  r.execution_name = st.Text(3);
  r.execution_id = st.Int64(4);
  r.plan_id = st.Int64(5);
  r.testcases = st.Int64(6);
  r.passed = st.Int64(7);
  r.failed = st.Int64(8);
  r.errors = st.Int64(9);
  r.skipped = st.Int64(10);
  r.tests_created = st.Int64(11);
  r.links_added = st.Int64(12);
  r.created_by = st.OptInt64(13);
  r.created_at = st.Int64(14);
  return r;
}

Result<std::optional<JUnitImportRecord>> FindImport(Connection& c, std::string_view op,
                                                    int64_t project_id, const std::string& sha,
                                                    const std::string& name) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op, std::string(kImportCols) +
                        " WHERE project_id = ?1 AND sha256 = ?2 AND execution_name = ?3"));
  st.Bind(1, project_id).Bind(2, sha).Bind(3, name);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<JUnitImportRecord>();
  return std::optional<JUnitImportRecord>(ReadImport(st));
}

// The test of each of the report's keys: {test id, version, created}.
struct ResolvedTest {
  int64_t id = 0;
  int64_t version = 1;
  bool created = false;
};

// Fills `out` (indexed like `tests`) with the live tests that earlier imports created for the
// keys, looked up by key a chunk at a time (no query per test); keys without one keep id 0.
Status FindTests(Connection& c, std::string_view op, int64_t project_id,
                 const std::deque<ImportedTest>& tests, std::vector<ResolvedTest>& out) {
  // A project's first import has nothing to find.
  NEXUS_ASSIGN_OR_RETURN(
      bool any, Exists(c, op, "SELECT 1 FROM junit_imported_tests WHERE project_id = ?1 LIMIT 1",
                       project_id));
  if (!any) return Status::Ok();
  const MultiRow q{
      "SELECT i.test_key, t.id, t.version FROM junit_imported_tests i JOIN tests t ON "
      "t.id = i.test_id WHERE i.project_id = ?1 AND t.deleted_at IS NULL AND i.test_key IN (",
      "#0", ")", 1, 1};
  std::unordered_map<std::string_view, size_t> chunk;  // key → index into `tests`
  return RunChunked(
      c, op, q, tests.size(), [&](Statement& st) { st.Bind(1, project_id); },
      [&](Statement& st, size_t i, int first) {
        st.Bind(first, tests[i].key);
        chunk[tests[i].key] = i;
      },
      [&](Statement& st, size_t, size_t) -> Status {
        while (true) {
          NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
          if (!row) break;
          auto it = chunk.find(st.Text(0));
          if (it != chunk.end()) out[it->second] = ResolvedTest{st.Int64(1), st.Int64(2), false};
        }
        chunk.clear();
        return Status::Ok();
      });
}

// Creates the tests whose keys have none in `out` (version 1, no steps), in report order, and
// points their keys at them (a key whose test was deleted is re-pointed).
Status CreateTests(Connection& c, std::string_view op, int64_t project_id,
                   const std::deque<ImportedTest>& tests, const std::string& tags_json, TimeMs now,
                   std::vector<ResolvedTest>& out) {
  std::vector<size_t> missing;
  for (size_t i = 0; i < tests.size(); ++i)
    if (out[i].id == 0) missing.push_back(i);
  if (missing.empty()) return Status::Ok();
  const MultiRow ins{
      "INSERT INTO tests (project_id, name, tags_json, version, created_at, updated_at) VALUES ",
      "(?1, #0, ?2, 1, ?3, ?3)", " RETURNING id, name", 3, 1};
  std::vector<std::pair<int64_t, std::string>> ids;
  NEXUS_RETURN_IF_ERROR(RunChunked(
      c, op, ins, missing.size(),
      [&](Statement& st) { st.Bind(1, project_id).Bind(2, tags_json).Bind(3, now); },
      [&](Statement& st, size_t m, int first) { st.Bind(first, tests[missing[m]].name); },
      [&](Statement& st, size_t begin, size_t rows) -> Status {
        ids.clear();
        while (true) {
          NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
          if (!row) break;
          ids.emplace_back(st.Int64(0), st.Text(1));
        }
        // RETURNING promises no order; ids are given in VALUES order (one writer holds the
        // store's write lock), which the names confirm: a mismatch fails the import rather
        // than pointing a key at another test.
        std::sort(ids.begin(), ids.end());
        if (ids.size() != rows) return Internal(std::string(op) + ": test ids not returned");
        for (size_t k = 0; k < rows; ++k) {
          const size_t i = missing[begin + k];
          if (ids[k].second != tests[i].name)
            return Internal(std::string(op) + ": test ids out of insertion order");
          out[i] = ResolvedTest{ids[k].first, 1, true};
        }
        return Status::Ok();
      }));
  const MultiRow keys{"INSERT INTO junit_imported_tests (project_id, test_key, test_id) VALUES ",
                      "(?1, #0, #1)",
                      " ON CONFLICT (project_id, test_key) DO UPDATE SET test_id = "
                      "excluded.test_id",
                      1, 2};
  return RunChunked(
      c, op, keys, missing.size(), [&](Statement& st) { st.Bind(1, project_id); },
      [&](Statement& st, size_t m, int first) {
        st.Bind(first, tests[missing[m]].key).Bind(first + 1, out[missing[m]].id);
      },
      RunToEnd);
}

// The plan of the execution name (the first import's), or a new one named after it.
Result<int64_t> ResolvePlan(Connection& c, std::string_view op, int64_t project_id,
                            const std::string& name, TimeMs now) {
  {
    NEXUS_ASSIGN_OR_RETURN(Statement q,
                           c.Prepare(op,
                                     "SELECT plan_id FROM junit_imports WHERE project_id = ?1 AND "
                                     "execution_name = ?2 ORDER BY id LIMIT 1"));
    q.Bind(1, project_id).Bind(2, name);
    NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) return q.Int64(0);
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement ins,
      c.Prepare(op,
                "INSERT INTO test_plans (project_id, name, created_at) VALUES (?1, ?2, ?3) "
                "RETURNING id"));
  ins.Bind(1, project_id).Bind(2, name).Bind(3, now);
  NEXUS_ASSIGN_OR_RETURN(bool row, ins.Step());
  if (!row) return Internal(std::string(op) + ": no id returned");
  return ins.Int64(0);
}

// Appends to the plan the tests it does not list yet.
Status ExtendPlan(Connection& c, std::string_view op, int64_t plan_id,
                  const std::vector<int64_t>& test_ids) {
  std::unordered_set<int64_t> have;
  int64_t next = 0;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement q, c.Prepare(op,
                                                  "SELECT position, test_id FROM plan_tests WHERE "
                                                  "plan_id = ?1"));
    q.Bind(1, plan_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      next = std::max(next, q.Int64(0) + 1);
      have.insert(q.Int64(1));
    }
  }
  std::vector<int64_t> added;
  for (int64_t id : test_ids)
    if (have.insert(id).second) added.push_back(id);
  const MultiRow ins{"INSERT INTO plan_tests (plan_id, position, test_id) VALUES ", "(?1, #0, #1)",
                     "", 1, 2};
  return RunChunked(
      c, op, ins, added.size(), [&](Statement& st) { st.Bind(1, plan_id); },
      [&](Statement& st, size_t i, int first) {
        st.Bind(first, next + static_cast<int64_t>(i)).Bind(first + 1, added[i]);
      },
      RunToEnd);
}

}  // namespace

Result<std::optional<JUnitImportRecord>> SqliteStore::FindJUnitImport(
    int64_t project_id, const std::string& sha256, const std::string& execution_name) {
  constexpr std::string_view kOp = "find junit import";
  return Read(
      kOp, [&](Connection& c) { return FindImport(c, kOp, project_id, sha256, execution_name); });
}

Result<JUnitImportRecord> SqliteStore::GetJUnitImport(int64_t project_id, int64_t import_id) {
  constexpr std::string_view kOp = "get junit import";
  return Read(kOp, [&](Connection& c) -> Result<JUnitImportRecord> {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, std::string(kImportCols) +
                                                            " WHERE project_id = ?1 AND id = ?2"));
    st.Bind(1, project_id).Bind(2, import_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("import " + std::to_string(import_id) + " not found");
    return ReadImport(st);
  });
}

Result<JUnitImportRecord> SqliteStore::CreateJUnitImport(const NewJUnitImport& imp) {
  constexpr std::string_view kOp = "create junit import";
  const JUnitImportRecord& in = imp.record;
  const TimeMs now = in.created_at;
  return Write(kOp, [&](Connection& c) -> Result<JUnitImportRecord> {
    NEXUS_ASSIGN_OR_RETURN(bool project,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", in.project_id));
    if (!project) return NotFound("project not found", "project_id");
    NEXUS_ASSIGN_OR_RETURN(auto dup,
                           FindImport(c, kOp, in.project_id, in.sha256, in.execution_name));
    if (dup) return Conflict("this report was already imported as this execution", "duplicate");

    JUnitImportRecord out = in;
    // What every test / run shares is encoded once, not per row.
    const std::string tags_json = nlohmann::json(imp.tags).dump();
    const std::string attributes_json =
        imp.attributes.empty() ? std::string("{}") : nlohmann::json(imp.attributes).dump();
    for (const ImportedRun& r : imp.runs)
      if (r.test >= imp.tests.size())
        return Internal(std::string(kOp) + ": run of an unknown test");

    std::vector<ResolvedTest> tests(imp.tests.size());
    NEXUS_RETURN_IF_ERROR(FindTests(c, kOp, in.project_id, imp.tests, tests));
    NEXUS_RETURN_IF_ERROR(CreateTests(c, kOp, in.project_id, imp.tests, tags_json, now, tests));
    for (const ResolvedTest& t : tests)
      if (t.created) ++out.tests_created;
    std::vector<int64_t> run_tests;
    run_tests.reserve(imp.runs.size());
    for (const ImportedRun& r : imp.runs) run_tests.push_back(tests[r.test].id);

    NEXUS_ASSIGN_OR_RETURN(out.plan_id, ResolvePlan(c, kOp, in.project_id, in.execution_name, now));
    NEXUS_RETURN_IF_ERROR(ExtendPlan(c, kOp, out.plan_id, run_tests));
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement ex, c.Prepare(kOp,
                                  "INSERT INTO executions (project_id, plan_id, state, created_at, "
                                  "completed_at) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id"));
      ex.Bind(1, in.project_id)
          .Bind(2, out.plan_id)
          .Bind(3, ExecutionStateName(ExecutionState::kCompleted))
          .Bind(4, now);
      NEXUS_ASSIGN_OR_RETURN(bool row, ex.Step());
      if (!row) return Internal(std::string(kOp) + ": no id returned");
      out.execution_id = ex.Int64(0);
    }
    const MultiRow et{"INSERT INTO execution_tests (execution_id, position, test_id) VALUES ",
                      "(?1, #0, #1)", "", 1, 2};
    NEXUS_RETURN_IF_ERROR(RunChunked(
        c, kOp, et, run_tests.size(), [&](Statement& st) { st.Bind(1, out.execution_id); },
        [&](Statement& st, size_t i, int first) {
          st.Bind(first, static_cast<int64_t>(i)).Bind(first + 1, run_tests[i]);
        },
        RunToEnd));
    // Runs in report order (their ids ascending in it, as the run list pages them).
    const MultiRow runs{
        "INSERT INTO runs (project_id, test_id, test_version, result, bug_label, started_at, "
        "finished_at, build, summary, execution_id, created_at, updated_at, attributes_json) "
        "VALUES ",
        "(?1, #0, #1, #2, #3, #4, #5, ?2, #6, ?3, ?4, ?4, ?5)", "", 5, 7};
    NEXUS_RETURN_IF_ERROR(RunChunked(
        c, kOp, runs, imp.runs.size(),
        [&](Statement& st) {
          st.Bind(1, in.project_id)
              .Bind(2, imp.build)
              .Bind(3, out.execution_id)
              .Bind(4, now)
              .Bind(5, attributes_json);
        },
        [&](Statement& st, size_t i, int first) {
          const ImportedRun& r = imp.runs[i];
          st.Bind(first, run_tests[i])
              .Bind(first + 1, tests[r.test].version)
              .Bind(first + 2, RunResultName(r.result))
              .Bind(first + 3, BugLabelName(r.bug_label))
              .Bind(first + 4, r.started_at)
              .Bind(first + 5, r.finished_at)
              .Bind(first + 6, r.summary);
        },
        RunToEnd));
    // The rows behind the run list's ?attribute= filter (migration 0007): one statement per
    // attribute for all the execution's runs.
    for (const auto& [key, value] : imp.attributes) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement attr,
          c.Prepare(kOp,
                    "INSERT INTO run_attributes (run_id, project_id, key, value) SELECT id, "
                    "project_id, CAST(?2 AS TEXT), CAST(?3 AS TEXT) FROM runs WHERE "
                    "project_id = ?1 AND execution_id = ?4"));
      NEXUS_RETURN_IF_ERROR(
          attr.Bind(1, in.project_id).Bind(2, key).Bind(3, value).Bind(4, out.execution_id).Run());
    }
    // Test-level links not there yet, with the case's catalog updated_on as their baseline.
    std::vector<std::pair<int64_t, int64_t>> links;  // {test id, case id}
    for (size_t i = 0; i < imp.tests.size(); ++i)
      for (int64_t case_id : imp.tests[i].case_ids) links.emplace_back(tests[i].id, case_id);
    const MultiRow link{
        "INSERT INTO testrail_links (project_id, test_id, step_id, case_id, linked_at, "
        "baseline_updated_on) SELECT CAST(?1 AS BIGINT), v.column1, '', v.column2, "
        "CAST(?2 AS BIGINT), COALESCE(c.updated_on, 0) FROM (VALUES ",
        "(CAST(#0 AS BIGINT), CAST(#1 AS BIGINT))",
        ") AS v LEFT JOIN testrail_catalog_cases c ON c.project_id = ?1 AND c.case_id = "
        "v.column2 WHERE 1 = 1 ON CONFLICT (test_id, step_id, case_id) DO NOTHING",
        2, 2};
    NEXUS_RETURN_IF_ERROR(RunChunked(
        c, kOp, link, links.size(), [&](Statement& st) { st.Bind(1, in.project_id).Bind(2, now); },
        [&](Statement& st, size_t i, int first) {
          st.Bind(first, links[i].first).Bind(first + 1, links[i].second);
        },
        [&](Statement& st, size_t, size_t) -> Status {
          NEXUS_RETURN_IF_ERROR(st.Run());
          out.links_added += st.Changes();
          return Status::Ok();
        }));
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement rec,
          c.Prepare(kOp,
                    "INSERT INTO junit_imports (project_id, sha256, execution_name, "
                    "execution_id, plan_id, testcases, passed, failed, errors, skipped, "
                    "tests_created, links_added, created_by, created_at) VALUES (?1, ?2, ?3, "
                    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id"));
      rec.Bind(1, in.project_id)
          .Bind(2, in.sha256)
          .Bind(3, in.execution_name)
          .Bind(4, out.execution_id)
          .Bind(5, out.plan_id)
          .Bind(6, static_cast<int64_t>(imp.runs.size()))
          .Bind(7, in.passed)
          .Bind(8, in.failed)
          .Bind(9, in.errors)
          .Bind(10, in.skipped)
          .Bind(11, out.tests_created)
          .Bind(12, out.links_added)
          .Bind(13, in.created_by)
          .Bind(14, now);
      NEXUS_ASSIGN_OR_RETURN(bool row, rec.Step());
      if (!row) return Internal(std::string(kOp) + ": no id returned");
      out.id = rec.Int64(0);
    }
    out.testcases = static_cast<int64_t>(imp.runs.size());
    return out;
  });
}

}  // namespace nexus
