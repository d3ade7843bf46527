// LinkService implementation: validation of new links against the catalog and the selected
// suites, and the sync state of every link.
#include "integration/link_service.h"

#include <algorithm>
#include <set>

namespace nexus::integration {

LinkService::LinkService(Store& store, const Clock& clock, CatalogService& catalog,
                         LastExportSource& last_exports)
    : store_(store), clock_(clock), catalog_(catalog), last_exports_(last_exports) {}

Result<std::vector<LinkView>> LinkService::Views(int64_t project_id,
                                                 const std::vector<TestRailLinkRecord>& links) {
  std::vector<int64_t> ids;
  for (const auto& l : links) ids.push_back(l.case_id);
  NEXUS_ASSIGN_OR_RETURN(auto info, catalog_.LookupCases(project_id, ids));
  // The sent statuses only decorate the links: without them the links are still shown.
  auto sent = last_exports_.LastExportsForCases(project_id, ids);
  const std::map<int64_t, CaseExportRecord> last =
      sent.ok() ? std::move(sent).value() : std::map<int64_t, CaseExportRecord>{};
  std::vector<LinkView> out;
  for (const auto& l : links) {
    LinkView v;
    v.case_id = l.case_id;
    v.step_id = l.step_id;
    v.linked_at = l.linked_at;
    v.acknowledged_at = l.acknowledged_at;
    auto it = info.find(l.case_id);
    if (it == info.end()) {
      v.state = "missing";
      v.reason = "not_in_catalog";
    } else {
      const CaseInfo& c = it->second;
      v.title = c.title;
      v.suite_id = c.suite_id;
      v.suite = c.suite;
      v.section_path = c.section_path;
      v.updated_on = c.updated_on;
      if (c.deleted) {
        v.state = "missing";
        v.reason = "deleted_in_testrail";
      } else if (!c.suite_selected) {
        v.state = "missing";
        v.reason = "suite_not_selected";
      } else if (c.updated_on > l.baseline_updated_on) {
        v.state = "outdated";
        v.reason = "updated_in_testrail";
      } else {
        v.state = "synced";
      }
    }
    auto le = last.find(l.case_id);
    if (le != last.end()) v.last_export = le->second;
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<LinkView>> LinkService::Get(int64_t project_id, int64_t test_id,
                                               const std::string& step_id) {
  NEXUS_ASSIGN_OR_RETURN(Test t, store_.GetTest(project_id, test_id));
  if (!step_id.empty() &&
      std::none_of(t.steps.begin(), t.steps.end(), [&](const Step& s) { return s.id == step_id; }))
    return NotFound("step '" + step_id + "' not found in the test", "step_id");
  NEXUS_ASSIGN_OR_RETURN(auto all, store_.ListTestRailLinks(project_id, {test_id}));
  std::vector<TestRailLinkRecord> mine;
  for (auto& l : all)
    if (l.step_id == step_id) mine.push_back(std::move(l));
  return Views(project_id, mine);
}

Result<std::vector<LinkView>> LinkService::Set(int64_t project_id, int64_t test_id,
                                               const std::string& step_id,
                                               const std::vector<int64_t>& case_ids) {
  NEXUS_ASSIGN_OR_RETURN(Test t, store_.GetTest(project_id, test_id));
  if (!step_id.empty() &&
      std::none_of(t.steps.begin(), t.steps.end(), [&](const Step& s) { return s.id == step_id; }))
    return NotFound("step '" + step_id + "' not found in the test", "step_id");
  NEXUS_ASSIGN_OR_RETURN(auto all, store_.ListTestRailLinks(project_id, {test_id}));
  std::set<int64_t> existing;
  for (const auto& l : all)
    if (l.step_id == step_id) existing.insert(l.case_id);
  NEXUS_ASSIGN_OR_RETURN(auto info, catalog_.LookupCases(project_id, case_ids));
  for (size_t i = 0; i < case_ids.size(); ++i) {
    int64_t id = case_ids[i];
    if (existing.count(id)) continue;
    std::string field = "case_ids[" + std::to_string(i) + "]";
    auto it = info.find(id);
    if (it == info.end())
      return InvalidArgument(
          "case C" + std::to_string(id) + " is not in the TestRail catalog of the selected suites",
          field, "unknown_case");
    if (it->second.deleted)
      return InvalidArgument("case C" + std::to_string(id) + " was deleted in TestRail", field,
                             "case_deleted");
    if (!it->second.suite_selected)
      return InvalidArgument("case C" + std::to_string(id) + " belongs to suite " +
                                 std::to_string(it->second.suite_id) +
                                 ", which is not a selected suite",
                             field, "suite_not_selected");
  }
  NEXUS_RETURN_IF_ERROR(
      store_.ReplaceTestRailLinks(project_id, test_id, step_id, case_ids, clock_.NowMs()));
  return Get(project_id, test_id, step_id);
}

Result<std::vector<LinkView>> LinkService::Acknowledge(int64_t project_id, int64_t test_id,
                                                       const std::vector<int64_t>& case_ids) {
  NEXUS_RETURN_IF_ERROR(
      store_.AcknowledgeTestRailLinks(project_id, test_id, case_ids, clock_.NowMs()).status());
  return Get(project_id, test_id, "");
}

int64_t LinkService::LinkedCaseCount(int64_t project_id, int64_t test_id) {
  auto n = store_.CountTestRailLinkedCases(project_id, test_id);
  return n.ok() ? *n : 0;
}

std::map<int64_t, int64_t> LinkService::LinkedCaseCounts(int64_t project_id, int64_t first_test_id,
                                                         int64_t last_test_id) {
  auto n = store_.CountTestRailLinkedCasesInRange(project_id, first_test_id, last_test_id);
  return n.ok() ? std::move(n).value() : std::map<int64_t, int64_t>{};
}

Result<LinkedCases> LinkService::LinkedCasesForTests(int64_t project_id,
                                                     const std::vector<int64_t>& test_ids) {
  LinkedCases out;
  for (int64_t t : test_ids) out.tests[t];
  NEXUS_ASSIGN_OR_RETURN(auto links, store_.ListTestRailLinks(project_id, test_ids));
  std::vector<int64_t> ids;
  for (const auto& l : links) {
    auto& tl = out.tests[l.test_id];
    if (l.step_id.empty())
      tl.case_ids.push_back(l.case_id);
    else
      tl.step_case_ids[l.step_id].push_back(l.case_id);
    ids.push_back(l.case_id);
  }
  NEXUS_ASSIGN_OR_RETURN(auto info, catalog_.LookupCases(project_id, ids));
  for (const auto& [id, c] : info)
    out.catalog[id] = CatalogCase{id, c.suite_id, c.title, c.deleted};
  return out;
}

}  // namespace nexus::integration
