// Step results from Nexus step outcomes; see step_results.h.
#include "core/step_results.h"

namespace nexus {

using Json = nlohmann::json;

Json StepResultsOf(const Run& run, const Test& test, const StatusMapping& mapping) {
  Json out = Json::array();
  for (const Step& step : test.steps) {
    const StepOutcome* outcome = nullptr;
    for (const StepOutcome& o : run.steps)
      if (o.step_id == step.id) outcome = &o;
    if (outcome == nullptr) continue;
    const StatusCell status = mapping.Resolve(outcome->result, outcome->bug_label);
    if (!status) continue;
    std::string expected;
    for (const std::string& e : step.expected_results) {
      if (!expected.empty()) expected += '\n';
      expected += e;
    }
    out.push_back({{"content", step.goal},
                   {"expected", expected},
                   {"actual", outcome->comment},
                   {"status_id", *status}});
  }
  return out;
}

void ApplyStepResults(
    const std::string& field, const StatusMapping& mapping,
    const std::function<std::pair<const Run*, const Test*>(const PlannedResult&)>& run_of,
    ExportPlan& plan) {
  for (PlanEntry& e : plan.entries)
    for (PlannedResult& r : e.results) {
      auto [run, test] = run_of(r);
      if (run == nullptr || test == nullptr) continue;
      Json steps = StepResultsOf(*run, *test, mapping);
      if (steps.empty()) continue;
      Json extra = Json::object();
      if (!r.extra_json.empty()) {
        Json prior = Json::parse(r.extra_json, nullptr, false);
        if (prior.is_object()) extra = std::move(prior);
      }
      extra[field] = std::move(steps);
      r.extra_json = extra.dump();
    }
}

}  // namespace nexus
