// SqliteStore: the JUnit imports role (import_store.h). CreateJUnitImport writes a whole
// report in one write transaction with cached prepared statements: 100,000 testcases are a
// few hundred thousand single-row statements and one commit (docs/benchmarks.md).
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Exists;
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

// The live test of `key`, or a new one. Returns {test id, version, created}.
struct ResolvedTest {
  int64_t id = 0;
  int64_t version = 1;
  bool created = false;
};

Result<ResolvedTest> ResolveTest(Connection& c, std::string_view op, int64_t project_id,
                                 const ImportedTest& t, const std::string& tags_json, TimeMs now) {
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement q, c.Prepare(op,
                               "SELECT t.id, t.version FROM junit_imported_tests i JOIN tests t "
                               "ON t.id = i.test_id WHERE i.project_id = ?1 AND i.test_key = ?2 "
                               "AND t.deleted_at IS NULL"));
    q.Bind(1, project_id).Bind(2, t.key);
    NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) return ResolvedTest{q.Int64(0), q.Int64(1), false};
  }
  int64_t id = 0;
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement ins,
        c.Prepare(op,
                  "INSERT INTO tests (project_id, name, tags_json, version, created_at, "
                  "updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?4) RETURNING id"));
    ins.Bind(1, project_id).Bind(2, t.name).Bind(3, tags_json).Bind(4, now);
    NEXUS_ASSIGN_OR_RETURN(bool row, ins.Step());
    if (!row) return Internal(std::string(op) + ": no id returned");
    id = ins.Int64(0);
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement key, c.Prepare(op,
                               "INSERT INTO junit_imported_tests (project_id, test_key, test_id) "
                               "VALUES (?1, ?2, ?3) ON CONFLICT (project_id, test_key) "
                               "DO UPDATE SET test_id = excluded.test_id"));
  NEXUS_RETURN_IF_ERROR(key.Bind(1, project_id).Bind(2, t.key).Bind(3, id).Run());
  return ResolvedTest{id, 1, true};
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
  for (int64_t id : test_ids) {
    if (!have.insert(id).second) continue;
    NEXUS_ASSIGN_OR_RETURN(
        Statement ins,
        c.Prepare(op, "INSERT INTO plan_tests (plan_id, position, test_id) VALUES (?1, ?2, ?3)"));
    NEXUS_RETURN_IF_ERROR(ins.Bind(1, plan_id).Bind(2, next++).Bind(3, id).Run());
  }
  return Status::Ok();
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
    std::vector<ResolvedTest> tests;
    tests.reserve(imp.tests.size());
    for (const ImportedTest& t : imp.tests) {
      NEXUS_ASSIGN_OR_RETURN(ResolvedTest r, ResolveTest(c, kOp, in.project_id, t, tags_json, now));
      if (r.created) ++out.tests_created;
      tests.push_back(r);
    }
    std::vector<int64_t> run_tests;
    run_tests.reserve(imp.runs.size());
    for (const ImportedRun& r : imp.runs) {
      if (r.test >= tests.size()) return Internal(std::string(kOp) + ": run of an unknown test");
      run_tests.push_back(tests[r.test].id);
    }

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
    for (size_t i = 0; i < imp.runs.size(); ++i) {
      const ImportedRun& r = imp.runs[i];
      {
        NEXUS_ASSIGN_OR_RETURN(
            Statement et, c.Prepare(kOp,
                                    "INSERT INTO execution_tests (execution_id, position, test_id) "
                                    "VALUES (?1, ?2, ?3)"));
        NEXUS_RETURN_IF_ERROR(et.Bind(1, out.execution_id)
                                  .Bind(2, static_cast<int64_t>(i))
                                  .Bind(3, run_tests[i])
                                  .Run());
      }
      int64_t run_id = 0;
      {
        NEXUS_ASSIGN_OR_RETURN(
            Statement run,
            c.Prepare(kOp,
                      "INSERT INTO runs (project_id, test_id, test_version, result, bug_label, "
                      "started_at, finished_at, build, summary, execution_id, created_at, "
                      "updated_at, attributes_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                      "?10, ?11, ?11, ?12) RETURNING id"));
        run.Bind(1, in.project_id)
            .Bind(2, run_tests[i])
            .Bind(3, tests[r.test].version)
            .Bind(4, RunResultName(r.result))
            .Bind(5, BugLabelName(r.bug_label))
            .Bind(6, r.started_at)
            .Bind(7, r.finished_at)
            .Bind(8, imp.build)
            .Bind(9, r.summary)
            .Bind(10, out.execution_id)
            .Bind(11, now)
            .Bind(12, attributes_json);
        NEXUS_ASSIGN_OR_RETURN(bool row, run.Step());
        if (!row) return Internal(std::string(kOp) + ": no id returned");
        run_id = run.Int64(0);
      }
      // The rows behind the run list's ?attribute= filter (migration 0007).
      for (const auto& [key, value] : imp.attributes) {
        NEXUS_ASSIGN_OR_RETURN(
            Statement attr, c.Prepare(kOp,
                                      "INSERT INTO run_attributes (run_id, project_id, key, value) "
                                      "VALUES (?1, ?2, ?3, ?4)"));
        NEXUS_RETURN_IF_ERROR(
            attr.Bind(1, run_id).Bind(2, in.project_id).Bind(3, key).Bind(4, value).Run());
      }
    }
    for (size_t i = 0; i < imp.tests.size(); ++i)
      for (int64_t case_id : imp.tests[i].case_ids) {
        NEXUS_ASSIGN_OR_RETURN(
            Statement link,
            c.Prepare(kOp,
                      "INSERT INTO testrail_links (project_id, test_id, step_id, case_id, "
                      "linked_at, baseline_updated_on) VALUES (?1, ?2, '', ?3, ?4, "
                      "COALESCE((SELECT updated_on FROM testrail_catalog_cases WHERE "
                      "project_id = ?1 AND case_id = ?3), 0)) "
                      "ON CONFLICT (test_id, step_id, case_id) DO NOTHING"));
        NEXUS_RETURN_IF_ERROR(
            link.Bind(1, in.project_id).Bind(2, tests[i].id).Bind(3, case_id).Bind(4, now).Run());
        out.links_added += link.Changes();
      }
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
