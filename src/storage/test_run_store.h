// TestRunStore: the tests (with steps) and runs role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/page_request.h"

namespace nexus {

struct RunFilter {
  std::optional<int64_t> test_id;
  std::optional<int64_t> execution_id;
  std::optional<RunResult> result;
  // Only runs whose attribute `first` equals `second`.
  std::optional<std::pair<std::string, std::string>> attribute;
};

class TestRunStore {
 public:
  virtual ~TestRunStore() = default;

  // ---- Tests and steps. Tests are soft-deleted so runs keep their history.
  // Stores the test with version 1; step ids are given by the caller.
  virtual Result<Test> CreateTest(const Test& test) = 0;
  virtual Result<Test> GetTest(int64_t project_id, int64_t test_id) = 0;
  virtual Result<std::vector<Test>> ListTests(int64_t project_id, const PageRequest& page) = 0;
  // Replaces name, tags and steps (in the given order) when the stored version equals
  // test.version; the stored version becomes test.version + 1. Conflict
  // (reason "version_mismatch") otherwise.
  virtual Result<Test> UpdateTest(const Test& test) = 0;
  virtual Status DeleteTest(int64_t project_id, int64_t test_id, TimeMs now) = 0;

  // ---- Runs.
  virtual Result<Run> CreateRun(const Run& run) = 0;
  // Records a run that joins run.execution_id (required), checking in the same write
  // transaction that the execution is one of the project (NotFound, field "execution_id"),
  // that it lists the test (InvalidArgument, field "test_id", reason "invalid_value") and
  // that it has no run of the test yet (Conflict, reason "duplicate"); otherwise as
  // CreateRun. Of concurrent joins of one execution and test exactly one succeeds.
  virtual Result<Run> CreateRunInExecution(const Run& run) = 0;
  virtual Result<Run> GetRun(int64_t project_id, int64_t run_id) = 0;
  virtual Result<std::vector<Run>> ListRuns(int64_t project_id, const RunFilter& filter,
                                            const PageRequest& page) = 0;
  // Replaces the mutable fields (result, bug_label, finished_at, summary, attributes,
  // updated_at).
  virtual Result<Run> UpdateRun(const Run& run) = 0;
};

}  // namespace nexus
