// TestService implementation.
#include "domain/test_service.h"

#include <algorithm>
#include <set>

#include "auth/crypto.h"

namespace nexus::domain {
namespace {

std::string NewStepId() { return "st_" + auth::RandomToken(9); }

std::string StepIdField(size_t i) { return "steps[" + std::to_string(i) + "].id"; }

}  // namespace

bool TestHasStep(const Test& test, const std::string& step_id) {
  return std::any_of(test.steps.begin(), test.steps.end(),
                     [&](const Step& s) { return s.id == step_id; });
}

Result<std::vector<Test>> TestService::List(int64_t project_id, const PageRequest& page) {
  return store_.ListTests(project_id, page);
}

Result<Test> TestService::Get(int64_t project_id, int64_t test_id) {
  auto t = store_.GetTest(project_id, test_id);
  if (!t.ok() && t.status().code() == StatusCode::kNotFound)
    return NotFound("test " + std::to_string(test_id) + " not found");
  return t;
}

Result<Test> TestService::Create(Test draft) {
  for (auto& s : draft.steps) s.id = NewStepId();
  draft.created_at = draft.updated_at = clock_.NowMs();
  return store_.CreateTest(draft);
}

Result<Test> TestService::Update(const Test& current, TestUpdate update) {
  Test t = current;
  t.version = update.version;
  t.name = std::move(update.name);
  t.tags = std::move(update.tags);
  t.steps = std::move(update.steps);
  std::set<std::string> seen;
  for (size_t i = 0; i < t.steps.size(); ++i) {
    Step& s = t.steps[i];
    if (s.id.empty()) {
      s.id = NewStepId();
      continue;
    }
    if (!TestHasStep(current, s.id))
      return InvalidArgument("step '" + s.id + "' is not a step of this test", StepIdField(i),
                             "invalid_value");
    if (!seen.insert(s.id).second)
      return InvalidArgument("step '" + s.id + "' appears twice", StepIdField(i), "invalid_value");
  }
  if (t.version != current.version)
    return Status(StatusCode::kConflict,
                  "the test was changed meanwhile (version " + std::to_string(current.version) +
                      ", yours " + std::to_string(t.version) + "); reload and retry",
                  "version", "version_mismatch");
  t.updated_at = clock_.NowMs();
  auto updated = store_.UpdateTest(t);
  if (!updated.ok() && updated.status().code() == StatusCode::kConflict)
    return Status(StatusCode::kConflict, "the test was changed meanwhile; reload and retry",
                  "version", "version_mismatch");
  return updated;
}

Status TestService::Delete(int64_t project_id, int64_t test_id) {
  NEXUS_ASSIGN_OR_RETURN(Test t, Get(project_id, test_id));
  return store_.DeleteTest(project_id, t.id, clock_.NowMs());
}

int64_t TestService::LinkedCaseCount(int64_t project_id, int64_t test_id) {
  return links_.LinkedCaseCount(project_id, test_id);
}

std::map<int64_t, int64_t> TestService::LinkedCaseCounts(int64_t project_id, int64_t first_test_id,
                                                         int64_t last_test_id) {
  return links_.LinkedCaseCounts(project_id, first_test_id, last_test_id);
}

}  // namespace nexus::domain
