// See step_templates.h.
#include "integration/step_templates.h"

namespace nexus::integration {

Result<StepTemplateCases> CasesWithStepTemplates(const testrail::TestRailClient& client,
                                                 int64_t testrail_project_id,
                                                 const testrail::Field& field,
                                                 const ExportPlan& plan) {
  StepTemplateCases out;
  if (field.template_ids.empty()) {
    out.all = true;
    return out;
  }
  const std::set<int64_t> templates(field.template_ids.begin(), field.template_ids.end());
  std::set<int64_t> planned, suites;
  for (const auto& e : plan.entries) {
    suites.insert(e.suite_id);
    planned.insert(e.case_ids.begin(), e.case_ids.end());
  }
  for (int64_t suite : suites) {
    testrail::GetCasesRequest q;
    q.project_id = testrail_project_id;
    q.suite_id = suite;
    NEXUS_RETURN_IF_ERROR(client.ForEachCasesPage(q, [&](std::vector<testrail::Case>& page) {
      for (const auto& c : page)
        if (planned.count(c.id) && templates.count(c.template_id)) out.with_steps.insert(c.id);
      return Status::Ok();
    }));
  }
  for (int64_t c : planned)
    if (!out.with_steps.count(c)) out.without.push_back(c);
  return out;
}

std::string NoStepTemplateMessage(const std::vector<int64_t>& without) {
  if (without.empty()) return "";
  std::string list;
  for (size_t i = 0; i < without.size() && i < 20; ++i)
    list += (i ? ", C" : "C") + std::to_string(without[i]);
  if (without.size() > 20) list += ", …";
  return std::to_string(without.size()) +
         " case(s) do not use a TestRail template with separated steps and get no step "
         "results: " +
         list;
}

}  // namespace nexus::integration
