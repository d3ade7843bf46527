// SqliteStore::CreateRunInExecution: a run joins an execution (store.h "Runs") — the
// membership and one-run-per-test checks and the insert share one write transaction.
#include <optional>
#include <string>

#include "storage/sqlite_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Statement;

Result<bool> ExecutionExists(Connection& c, std::string_view op, int64_t project_id,
                             int64_t execution_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st, c.Prepare(op, "SELECT 1 FROM executions WHERE id = ?1 AND project_id = ?2"));
  st.Bind(1, execution_id).Bind(2, project_id);
  return st.Step();
}

Result<bool> ExecutionListsTest(Connection& c, std::string_view op, int64_t execution_id,
                                int64_t test_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op, "SELECT 1 FROM execution_tests WHERE execution_id = ?1 AND test_id = ?2"));
  st.Bind(1, execution_id).Bind(2, test_id);
  return st.Step();
}

// The id of the execution's run of the test, if any.
Result<std::optional<int64_t>> ExistingRun(Connection& c, std::string_view op, int64_t execution_id,
                                           int64_t test_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(
          op, "SELECT id FROM runs WHERE execution_id = ?1 AND test_id = ?2 ORDER BY id LIMIT 1"));
  st.Bind(1, execution_id).Bind(2, test_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.Int64(0));
}

}  // namespace

Result<Run> SqliteStore::CreateRunInExecution(const Run& run) {
  constexpr std::string_view kOp = "create run in execution";
  if (!run.execution_id) return InvalidArgument("execution_id is required", "execution_id");
  const int64_t execution_id = *run.execution_id;
  std::optional<Run> created;
  NEXUS_RETURN_IF_ERROR(WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool exists, ExecutionExists(c, kOp, run.project_id, execution_id));
    if (!exists) return NotFound("execution not found", "execution_id");
    NEXUS_ASSIGN_OR_RETURN(bool listed, ExecutionListsTest(c, kOp, execution_id, run.test_id));
    if (!listed)
      return InvalidArgument("test " + std::to_string(run.test_id) + " is not part of execution " +
                                 std::to_string(execution_id),
                             "test_id", "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(auto existing, ExistingRun(c, kOp, execution_id, run.test_id));
    if (existing)
      return Conflict("execution " + std::to_string(execution_id) + " already has run " +
                          std::to_string(*existing) + " for test " + std::to_string(run.test_id),
                      "duplicate");
    NEXUS_ASSIGN_OR_RETURN(Run r, InsertRun(c, run));
    created = std::move(r);
    return Status::Ok();
  }));
  return std::move(*created);
}

}  // namespace nexus
