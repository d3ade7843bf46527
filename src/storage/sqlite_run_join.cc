// SqliteStore::CreateRunInExecution: a run joins an execution (test_run_store.h) — the
// membership and one-run-per-test checks and the insert share one write transaction.
#include <optional>
#include <string>

#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Exists;
using sqlite::Statement;

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
  return Write(kOp, [&](Connection& c) -> Result<Run> {
    NEXUS_ASSIGN_OR_RETURN(
        bool exists, Exists(c, kOp, "SELECT 1 FROM executions WHERE id = ?1 AND project_id = ?2",
                            execution_id, run.project_id));
    if (!exists) return NotFound("execution not found", "execution_id");
    NEXUS_ASSIGN_OR_RETURN(
        bool listed,
        Exists(c, kOp, "SELECT 1 FROM execution_tests WHERE execution_id = ?1 AND test_id = ?2",
               execution_id, run.test_id));
    if (!listed)
      return InvalidArgument("test " + std::to_string(run.test_id) + " is not part of execution " +
                                 std::to_string(execution_id),
                             "test_id", "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(auto existing, ExistingRun(c, kOp, execution_id, run.test_id));
    if (existing)
      return Conflict("execution " + std::to_string(execution_id) + " already has run " +
                          std::to_string(*existing) + " for test " + std::to_string(run.test_id),
                      "duplicate");
    return InsertRun(c, run);
  });
}

}  // namespace nexus
