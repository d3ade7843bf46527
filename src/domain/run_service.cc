// RunService implementation.
#include "domain/run_service.h"

#include <utility>

#include "domain/test_service.h"

namespace nexus::domain {

Result<std::vector<Run>> RunService::List(int64_t project_id, const RunFilter& filter,
                                          const PageRequest& page) {
  return store_.ListRuns(project_id, filter, page);
}

Result<Run> RunService::Get(int64_t project_id, int64_t run_id) {
  auto r = store_.GetRun(project_id, run_id);
  if (!r.ok() && r.status().code() == StatusCode::kNotFound)
    return NotFound("run " + std::to_string(run_id) + " not found");
  return r;
}

Result<Test> RunService::TestForRun(int64_t project_id, int64_t test_id) {
  auto test = store_.GetTest(project_id, test_id);
  if (!test.ok())
    return InvalidArgument("test " + std::to_string(test_id) + " not found in this project",
                           "test_id", "invalid_value");
  return test;
}

Status RunService::CheckStepOfTest(const Test& test, const std::string& step_id,
                                   const std::string& field) {
  if (!TestHasStep(test, step_id))
    return InvalidArgument(
        "step '" + step_id + "' is not a step of test " + std::to_string(test.id), field,
        "invalid_value");
  return Status::Ok();
}

Status RunService::CheckNotBeforeStart(TimeMs started_at, std::optional<TimeMs> finished_at,
                                       const std::string& field) {
  if (finished_at && *finished_at < started_at)
    return InvalidArgument("finished_at must not be before started_at", field, "invalid_value");
  return Status::Ok();
}

Status RunService::CheckFinish(const Run& run, TimeMs finished_at) {
  if (run.finished() && finished_at != *run.finished_at)
    return InvalidArgument("the run has already finished", "finished_at", "invalid_value");
  return CheckNotBeforeStart(run.started_at, finished_at, "finished_at");
}

Result<Run> RunService::Create(const Test& test, Run draft) {
  draft.test_version = test.version;
  NEXUS_RETURN_IF_ERROR(CheckRunAttributes(draft.attributes, "attributes"));
  NEXUS_RETURN_IF_ERROR(CheckNotBeforeStart(draft.started_at, draft.finished_at, "finished_at"));
  for (const Bug& b : draft.bugs)
    if (!b.step_id.empty()) NEXUS_RETURN_IF_ERROR(CheckStepOfTest(test, b.step_id, "step_id"));
  for (const StepOutcome& s : draft.steps)
    NEXUS_RETURN_IF_ERROR(CheckStepOfTest(test, s.step_id, "step_id"));
  draft.created_at = draft.updated_at = clock_.NowMs();
  if (!draft.execution_id) return store_.CreateRun(draft);
  const int64_t execution_id = *draft.execution_id;
  auto created = store_.CreateRunInExecution(draft);
  if (!created.ok() && created.status().code() == StatusCode::kNotFound &&
      created.status().field() == "execution_id")
    return InvalidArgument(
        "execution " + std::to_string(execution_id) + " not found in this project", "execution_id",
        "invalid_value");
  NEXUS_RETURN_IF_ERROR(created.status());
  NEXUS_ASSIGN_OR_RETURN(Execution e, store_.GetExecution(draft.project_id, execution_id));
  NEXUS_RETURN_IF_ERROR(RefreshExecution(draft.project_id, e));
  return created;
}

Result<Run> RunService::Update(Run current, const RunPatch& patch) {
  const bool was_finished = current.finished();
  if (patch.bug_label) current.bug_label = *patch.bug_label;
  if (patch.result) current.result = *patch.result;
  if (patch.finished_at) {
    NEXUS_RETURN_IF_ERROR(CheckFinish(current, *patch.finished_at));
    current.finished_at = patch.finished_at;
  }
  if (patch.summary) current.summary = *patch.summary;
  if (patch.attributes) {
    for (const auto& [key, value] : *patch.attributes) {
      if (value)
        current.attributes[key] = *value;
      else
        current.attributes.erase(key);
    }
    NEXUS_RETURN_IF_ERROR(CheckRunAttributes(current.attributes, "attributes"));
  }
  current.updated_at = clock_.NowMs();
  NEXUS_ASSIGN_OR_RETURN(Run r, store_.UpdateRun(current));
  if (!was_finished && r.finished() && r.execution_id) {
    auto e = store_.GetExecution(r.project_id, *r.execution_id);
    if (e.ok()) NEXUS_RETURN_IF_ERROR(RefreshExecution(r.project_id, e.value()));
  }
  return r;
}

Status RunService::RefreshExecution(int64_t project_id, const Execution& e) {
  RunFilter f;
  f.execution_id = e.id;
  std::vector<Run> runs;
  PageRequest page{0, 1000};
  while (true) {
    NEXUS_ASSIGN_OR_RETURN(auto batch, store_.ListRuns(project_id, f, page));
    if (batch.empty()) break;
    page.after_id = batch.back().id;
    for (auto& r : batch) runs.push_back(std::move(r));
  }
  ExecutionState state = ComputeExecutionState(e.test_ids, runs);
  std::optional<TimeMs> completed;
  if (state == ExecutionState::kCompleted) completed = clock_.NowMs();
  NEXUS_ASSIGN_OR_RETURN(ExecutionState previous,
                         store_.SetExecutionState(project_id, e.id, state, completed));
  if (previous != ExecutionState::kCompleted && state == ExecutionState::kCompleted)
    completed_.OnExecutionCompleted(project_id, e.id);
  return Status::Ok();
}

}  // namespace nexus::domain
