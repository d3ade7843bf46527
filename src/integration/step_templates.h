// Which planned cases may receive step results (issue 14, R-STEPRES): only cases whose
// TestRail template uses separated steps. TestRail tells which templates those are through the
// step-results field itself: its `template_ids` (get_result_fields) are the templates it
// applies to (none listed = every template). The cases' template ids come from get_cases, one
// listing per suite of the plan (the local catalog does not keep template_id).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/export_planner.h"
#include "core/status.h"
#include "testrail/client.h"

namespace nexus::integration {

struct StepTemplateCases {
  bool all = false;              // the field applies to every template: no filter
  std::set<int64_t> with_steps;  // planned cases whose template has separated steps
  std::vector<int64_t> without;  // planned cases that get no step results, ascending
};

// `field` is the instance's step-results field. Reads get_cases for each suite of `plan`
// unless the field applies to every template. Errors: the client's.
Result<StepTemplateCases> CasesWithStepTemplates(const testrail::TestRailClient& client,
                                                 int64_t testrail_project_id,
                                                 const testrail::Field& field,
                                                 const ExportPlan& plan);

// The preview/record warning naming the cases left without step results ("" when none).
inline constexpr std::string_view kWarnNoStepTemplate = "step_results_not_applicable";
std::string NoStepTemplateMessage(const std::vector<int64_t>& without);

}  // namespace nexus::integration
