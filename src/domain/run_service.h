// RunService: runs of tests (product.md section 2) and what they do to their execution. A run
// records the version of the test it ran; a run joining an execution must be of a test the
// execution lists, and an execution takes at most one run per test (checked atomically by the
// store). When a run finishes, its execution's state is recomputed and the transition to
// completed is announced exactly once (the store compares and sets).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "domain/listeners.h"
#include "storage/store.h"

namespace nexus::domain {

// The mutable fields of a run (PATCH); nullopt leaves a field as it is.
struct RunPatch {
  std::optional<BugLabel> bug_label;
  std::optional<RunResult> result;
  std::optional<TimeMs> finished_at;
  std::optional<std::string> summary;
  // JSON merge-patch of the attributes (RFC 7396): a value sets the key, nullopt removes it.
  std::optional<std::map<std::string, std::optional<std::string>>> attributes;
};

class RunService {
 public:
  // Every reference must outlive the service.
  RunService(Store& store, const Clock& clock, ExecutionCompletedListener& completed)
      : store_(store), clock_(clock), completed_(completed) {}

  Result<std::vector<Run>> List(int64_t project_id, const RunFilter& filter,
                                const PageRequest& page);
  // NotFound ("run N not found").
  Result<Run> Get(int64_t project_id, int64_t run_id);

  // The live test a new run reports on: InvalidArgument (field "test_id") when the project
  // has none with that id.
  Result<Test> TestForRun(int64_t project_id, int64_t test_id);
  // InvalidArgument (field `field`) unless `step_id` is a step of `test`.
  static Status CheckStepOfTest(const Test& test, const std::string& step_id,
                                const std::string& field);
  // InvalidArgument (field `field`) when finished_at is before started_at.
  static Status CheckNotBeforeStart(TimeMs started_at, std::optional<TimeMs> finished_at,
                                    const std::string& field);
  // A finish time for `run`: a finished run keeps its finish time, and a run does not
  // finish before it started (InvalidArgument, field "finished_at").
  static Status CheckFinish(const Run& run, TimeMs finished_at);

  // Records `draft` (project_id, test_id and the reported fields) as a run of `test` (from
  // TestForRun): test_version and timestamps are set here. With draft.execution_id, joins
  // that execution: InvalidArgument (field "execution_id") when the project has no such
  // execution, (field "test_id") when it does not list the test, Conflict "duplicate" when
  // it has a run of the test already; then the execution's state is recomputed.
  Result<Run> Create(const Test& test, Run draft);
  // Applies `patch` to `current` (as read with Get); when the run becomes finished, its
  // execution's state is recomputed.
  Result<Run> Update(Run current, const RunPatch& patch);

 private:
  Status RefreshExecution(int64_t project_id, const Execution& e);

  Store& store_;
  const Clock& clock_;
  ExecutionCompletedListener& completed_;
};

}  // namespace nexus::domain
