// PlanService: test plans (a named list of tests) and their executions (one launch of a
// plan, product.md section 2). An execution lists the plan's tests that are still live when
// it is created; its state follows its runs (RunService).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/store.h"

namespace nexus::domain {

struct ExecutionWithRuns {
  Execution execution;
  std::vector<Run> runs;  // at most 1000, ascending id
};

class PlanService {
 public:
  // `store` and `clock` must outlive the service.
  PlanService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  Result<std::vector<TestPlan>> ListPlans(int64_t project_id, const PageRequest& page);
  // Duplicate ids collapse (first position kept); each must be a live test of the project
  // (InvalidArgument, field "test_ids[i]").
  Result<TestPlan> CreatePlan(int64_t project_id, const std::string& name,
                              const std::vector<int64_t>& test_ids);
  // NotFound ("plan N not found").
  Result<TestPlan> GetPlan(int64_t project_id, int64_t plan_id);

  Result<std::vector<Execution>> ListExecutions(int64_t project_id, const PageRequest& page);
  // Launches the plan (InvalidArgument, field "plan_id", when the project has no such plan)
  // with its tests not deleted meanwhile; state queued.
  Result<Execution> CreateExecution(int64_t project_id, int64_t plan_id);
  // NotFound ("execution N not found").
  Result<ExecutionWithRuns> GetExecution(int64_t project_id, int64_t execution_id);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace nexus::domain
