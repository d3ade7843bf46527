// PlanStore: the test plans and executions role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/page_request.h"

namespace nexus {

class PlanStore {
 public:
  virtual ~PlanStore() = default;

  // ---- Test plans and executions.
  virtual Result<TestPlan> CreatePlan(const TestPlan& plan) = 0;
  virtual Result<TestPlan> GetPlan(int64_t project_id, int64_t plan_id) = 0;
  virtual Result<std::vector<TestPlan>> ListPlans(int64_t project_id, const PageRequest& page) = 0;
  virtual Result<Execution> CreateExecution(const Execution& execution) = 0;
  virtual Result<Execution> GetExecution(int64_t project_id, int64_t execution_id) = 0;
  virtual Result<std::vector<Execution>> ListExecutions(int64_t project_id,
                                                        const PageRequest& page) = 0;
  // Records a new state (and completed_at); returns the previous state so the caller can
  // act on the transition to completed exactly once (compare-and-set under the store's
  // write lock).
  virtual Result<ExecutionState> SetExecutionState(int64_t project_id, int64_t execution_id,
                                                   ExecutionState state,
                                                   std::optional<TimeMs> completed_at) = 0;
};

}  // namespace nexus
