// Small interfaces through which the host-model services reach features built on top of
// them (the TestRail integration), given to their constructors by the composition root.
#pragma once

#include <cstdint>
#include <map>

namespace nexus::domain {

// Told once when an execution becomes completed (its last run finished). Called on the
// thread that finished the run (a request thread); must not block long nor fail.
class ExecutionCompletedListener {
 public:
  virtual ~ExecutionCompletedListener() = default;
  virtual void OnExecutionCompleted(int64_t project_id, int64_t execution_id) = 0;
};

// Counts the TestRail cases linked to a test (test and step level), for the test views.
class LinkedCaseCounter {
 public:
  virtual ~LinkedCaseCounter() = default;
  // 0 when none (or on errors).
  virtual int64_t LinkedCaseCount(int64_t project_id, int64_t test_id) = 0;
  // The same for every test with an id in [first_test_id, last_test_id] (a page of tests, one
  // database read): test id → count, tests without links absent. Empty on errors.
  virtual std::map<int64_t, int64_t> LinkedCaseCounts(int64_t project_id, int64_t first_test_id,
                                                      int64_t last_test_id) = 0;
};

}  // namespace nexus::domain
