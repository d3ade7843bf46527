// PlanService implementation.
#include "domain/plan_service.h"

#include <algorithm>

namespace nexus::domain {

Result<std::vector<TestPlan>> PlanService::ListPlans(int64_t project_id, const PageRequest& page) {
  return store_.ListPlans(project_id, page);
}

Result<TestPlan> PlanService::CreatePlan(int64_t project_id, const std::string& name,
                                         const std::vector<int64_t>& test_ids) {
  TestPlan plan;
  plan.project_id = project_id;
  plan.name = name;
  for (size_t i = 0; i < test_ids.size(); ++i) {
    if (std::find(plan.test_ids.begin(), plan.test_ids.end(), test_ids[i]) != plan.test_ids.end())
      continue;
    if (!store_.GetTest(project_id, test_ids[i]).ok())
      return InvalidArgument("test " + std::to_string(test_ids[i]) + " not found in this project",
                             "test_ids[" + std::to_string(i) + "]", "invalid_value");
    plan.test_ids.push_back(test_ids[i]);
  }
  plan.created_at = clock_.NowMs();
  return store_.CreatePlan(plan);
}

Result<TestPlan> PlanService::GetPlan(int64_t project_id, int64_t plan_id) {
  auto plan = store_.GetPlan(project_id, plan_id);
  if (!plan.ok()) return NotFound("plan " + std::to_string(plan_id) + " not found");
  return plan;
}

Result<std::vector<Execution>> PlanService::ListExecutions(int64_t project_id,
                                                           const PageRequest& page) {
  return store_.ListExecutions(project_id, page);
}

Result<Execution> PlanService::CreateExecution(int64_t project_id, int64_t plan_id) {
  auto plan = store_.GetPlan(project_id, plan_id);
  if (!plan.ok())
    return InvalidArgument("plan " + std::to_string(plan_id) + " not found in this project",
                           "plan_id", "invalid_value");
  Execution e;
  e.project_id = project_id;
  e.plan_id = plan_id;
  for (int64_t t : plan->test_ids)
    if (store_.GetTest(project_id, t).ok()) e.test_ids.push_back(t);  // skip deleted tests
  e.state = ExecutionState::kQueued;
  e.created_at = clock_.NowMs();
  return store_.CreateExecution(e);
}

Result<ExecutionWithRuns> PlanService::GetExecution(int64_t project_id, int64_t execution_id) {
  auto e = store_.GetExecution(project_id, execution_id);
  if (!e.ok()) return NotFound("execution " + std::to_string(execution_id) + " not found");
  RunFilter f;
  f.execution_id = e->id;
  NEXUS_ASSIGN_OR_RETURN(auto runs, store_.ListRuns(project_id, f, {0, 1000}));
  return ExecutionWithRuns{std::move(e).value(), std::move(runs)};
}

}  // namespace nexus::domain
