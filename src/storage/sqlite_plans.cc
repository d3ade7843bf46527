// SqliteStore: the plans role (plan_store.h): test plans and executions, each a parent row
// plus an ordered list of test ids in a child table.
#include <set>
#include <unordered_map>
#include <utility>

#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Corrupt;
using sqlite::Exists;
using sqlite::PageLimit;
using sqlite::Statement;

std::optional<ExecutionState> ParseExecutionState(std::string_view s) {
  for (ExecutionState st :
       {ExecutionState::kQueued, ExecutionState::kInProgress, ExecutionState::kCompleted})
    if (ExecutionStateName(st) == s) return st;
  return std::nullopt;
}

// ---- Plans and executions: a parent row plus an ordered list of test ids in a child table.

// Reads (parent_id, test_id) rows ordered by parent then position into `lists[parent_id]`.
Status ReadTestIdLists(Statement& st, std::unordered_map<int64_t, std::vector<int64_t>>& lists) {
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    lists[st.Int64(0)].push_back(st.Int64(1));
  }
  return Status::Ok();
}

Status InsertTestIds(Connection& c, std::string_view op, const std::string& sql, int64_t parent,
                     const std::vector<int64_t>& test_ids) {
  for (size_t i = 0; i < test_ids.size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
    st.Bind(1, parent).Bind(2, static_cast<int64_t>(i)).Bind(3, test_ids[i]);
    NEXUS_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

// NotFound (field "test_ids[i]") unless every id is a test of the project (live only when
// `live_only`).
Status CheckTestIds(Connection& c, std::string_view op, int64_t project_id,
                    const std::vector<int64_t>& test_ids, bool live_only) {
  std::string sql = "SELECT 1 FROM tests WHERE id = ?1 AND project_id = ?2";
  if (live_only) sql += " AND deleted_at IS NULL";
  for (size_t i = 0; i < test_ids.size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(bool found, Exists(c, op, sql, test_ids[i], project_id));
    if (!found) return NotFound("test not found", "test_ids[" + std::to_string(i) + "]");
  }
  return Status::Ok();
}

Result<TestPlan> LoadPlan(Connection& c, int64_t project_id, int64_t plan_id) {
  constexpr std::string_view kOp = "get plan";
  TestPlan p;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp,
                                     "SELECT id, project_id, name, created_at FROM test_plans "
                                     "WHERE id = ?1 AND project_id = ?2"));
    st.Bind(1, plan_id).Bind(2, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("test plan not found");
    p = TestPlan{st.Int64(0), st.Int64(1), st.Text(2), {}, st.Int64(3)};
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(kOp,
                "SELECT plan_id, test_id FROM plan_tests WHERE plan_id = ?1 ORDER BY position"));
  st.Bind(1, plan_id);
  std::unordered_map<int64_t, std::vector<int64_t>> lists;
  NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
  p.test_ids = std::move(lists[plan_id]);
  return p;
}

constexpr char kExecutionCols[] =
    "SELECT id, project_id, plan_id, state, created_at, completed_at FROM executions";

Result<Execution> ReadExecution(const Statement& st, std::string_view op) {
  Execution e;
  e.id = st.Int64(0);
  e.project_id = st.Int64(1);
  e.plan_id = st.Int64(2);
  auto state = ParseExecutionState(st.Text(3));
  if (!state) return Corrupt(op, "execution state");
  e.state = *state;
  e.created_at = st.Int64(4);
  e.completed_at = st.OptInt64(5);
  return e;
}

Result<Execution> LoadExecution(Connection& c, int64_t project_id, int64_t execution_id) {
  constexpr std::string_view kOp = "get execution";
  Execution e;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, std::string(kExecutionCols) +
                                                            " WHERE id = ?1 AND project_id = ?2"));
    st.Bind(1, execution_id).Bind(2, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("execution not found");
    NEXUS_ASSIGN_OR_RETURN(e, ReadExecution(st, kOp));
  }
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                 "SELECT execution_id, test_id FROM "
                                                 "execution_tests WHERE execution_id = ?1 "
                                                 "ORDER BY position"));
  st.Bind(1, execution_id);
  std::unordered_map<int64_t, std::vector<int64_t>> lists;
  NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
  e.test_ids = std::move(lists[execution_id]);
  return e;
}

}  // namespace

// ---- Plans.

Result<TestPlan> SqliteStore::CreatePlan(const TestPlan& plan) {
  constexpr std::string_view kOp = "create plan";
  std::set<int64_t> seen;
  for (size_t i = 0; i < plan.test_ids.size(); ++i) {
    if (!seen.insert(plan.test_ids[i]).second) {
      return InvalidArgument("a test appears twice in the plan",
                             "test_ids[" + std::to_string(i) + "]", "duplicate");
    }
  }
  return Write(kOp, [&](Connection& c) -> Result<TestPlan> {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", plan.project_id));
    if (!exists) return NotFound("project not found", "project_id");
    NEXUS_RETURN_IF_ERROR(CheckTestIds(c, kOp, plan.project_id, plan.test_ids, true));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO test_plans (project_id, name, created_at) VALUES (?1, ?2, ?3) "
                  "RETURNING id"));
    st.Bind(1, plan.project_id).Bind(2, plan.name).Bind(3, plan.created_at);
    NEXUS_ASSIGN_OR_RETURN(int64_t id, sqlite::InsertReturningId(st));
    NEXUS_RETURN_IF_ERROR(InsertTestIds(
        c, kOp, "INSERT INTO plan_tests (plan_id, position, test_id) VALUES (?1, ?2, ?3)", id,
        plan.test_ids));
    return LoadPlan(c, plan.project_id, id);
  });
}

Result<TestPlan> SqliteStore::GetPlan(int64_t project_id, int64_t plan_id) {
  return Read("get plan", [&](Connection& c) { return LoadPlan(c, project_id, plan_id); });
}

Result<std::vector<TestPlan>> SqliteStore::ListPlans(int64_t project_id, const PageRequest& page) {
  constexpr std::string_view kOp = "list plans";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  return Read(kOp, [&](Connection& c) -> Result<std::vector<TestPlan>> {
    std::vector<TestPlan> out;
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st,
                             c.Prepare(kOp,
                                       "SELECT id, project_id, name, created_at FROM test_plans "
                                       "WHERE project_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"));
      st.Bind(1, project_id).Bind(2, page.after_id).Bind(3, limit);
      for (;;) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back(TestPlan{st.Int64(0), st.Int64(1), st.Text(2), {}, st.Int64(3)});
      }
    }
    if (out.empty()) return out;
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare(kOp,
                                "SELECT plan_id, test_id FROM plan_tests WHERE plan_id >= ?1 AND "
                                "plan_id <= ?2 ORDER BY plan_id, position"));
    st.Bind(1, out.front().id).Bind(2, out.back().id);
    std::unordered_map<int64_t, std::vector<int64_t>> lists;
    NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
    for (TestPlan& p : out) p.test_ids = std::move(lists[p.id]);
    return out;
  });
}

// ---- Executions.

Result<Execution> SqliteStore::CreateExecution(const Execution& execution) {
  constexpr std::string_view kOp = "create execution";
  return Write(kOp, [&](Connection& c) -> Result<Execution> {
    NEXUS_ASSIGN_OR_RETURN(
        bool plan_exists,
        Exists(c, kOp, "SELECT 1 FROM test_plans WHERE id = ?1 AND project_id = ?2",
               execution.plan_id, execution.project_id));
    if (!plan_exists) return NotFound("test plan not found", "plan_id");
    NEXUS_RETURN_IF_ERROR(
        CheckTestIds(c, kOp, execution.project_id, execution.test_ids, /*live_only=*/false));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO executions (project_id, plan_id, state, created_at, completed_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"));
    st.Bind(1, execution.project_id)
        .Bind(2, execution.plan_id)
        .Bind(3, ExecutionStateName(execution.state))
        .Bind(4, execution.created_at)
        .Bind(5, execution.completed_at);
    NEXUS_ASSIGN_OR_RETURN(int64_t id, sqlite::InsertReturningId(st));
    NEXUS_RETURN_IF_ERROR(InsertTestIds(
        c, kOp, "INSERT INTO execution_tests (execution_id, position, test_id) VALUES (?1, ?2, ?3)",
        id, execution.test_ids));
    return LoadExecution(c, execution.project_id, id);
  });
}

Result<Execution> SqliteStore::GetExecution(int64_t project_id, int64_t execution_id) {
  return Read("get execution",
              [&](Connection& c) { return LoadExecution(c, project_id, execution_id); });
}

Result<std::vector<Execution>> SqliteStore::ListExecutions(int64_t project_id,
                                                           const PageRequest& page) {
  constexpr std::string_view kOp = "list executions";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Execution>> {
    std::vector<Execution> out;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, std::string(kExecutionCols) +
                             " WHERE project_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"));
      st.Bind(1, project_id).Bind(2, page.after_id).Bind(3, limit);
      for (;;) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        NEXUS_ASSIGN_OR_RETURN(Execution e, ReadExecution(st, kOp));
        out.push_back(std::move(e));
      }
    }
    if (out.empty()) return out;
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT execution_id, test_id FROM execution_tests WHERE execution_id >= ?1 "
                  "AND execution_id <= ?2 ORDER BY execution_id, position"));
    st.Bind(1, out.front().id).Bind(2, out.back().id);
    std::unordered_map<int64_t, std::vector<int64_t>> lists;
    NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
    for (Execution& e : out) e.test_ids = std::move(lists[e.id]);
    return out;
  });
}

Result<ExecutionState> SqliteStore::SetExecutionState(int64_t project_id, int64_t execution_id,
                                                      ExecutionState state,
                                                      std::optional<TimeMs> completed_at) {
  constexpr std::string_view kOp = "set execution state";
  return Write(kOp, [&](Connection& c) -> Result<ExecutionState> {
    ExecutionState previous;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, "SELECT state FROM executions WHERE id = ?1 AND project_id = ?2"));
      st.Bind(1, execution_id).Bind(2, project_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return NotFound("execution not found");
      auto parsed = ParseExecutionState(st.Text(0));
      if (!parsed) return Corrupt(kOp, "execution state");
      previous = *parsed;
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "UPDATE executions SET state = ?1, completed_at = ?2 WHERE id = ?3"));
    st.Bind(1, ExecutionStateName(state)).Bind(2, completed_at).Bind(3, execution_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    return previous;
  });
}

}  // namespace nexus
