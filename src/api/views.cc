// JSON views shared by the route sets.
#include "api/views.h"

#include "core/time_util.h"

namespace nexus::api {

Json OptTimeJson(const std::optional<TimeMs>& t) {
  return t ? Json(FormatRfc3339(*t)) : Json(nullptr);
}

Json UserJson(const User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"org_admin", u.org_admin},
          {"created_at", FormatRfc3339(u.created_at)}};
}

Json ProjectJson(const Project& p) {
  Json features = Json::object();
  for (const auto& f : domain::KnownFeatures()) features[f] = p.HasFeature(f);
  return {{"id", p.id},
          {"name", p.name},
          {"features", features},
          {"created_at", FormatRfc3339(p.created_at)}};
}

Json TestJson(const Test& t) {
  Json steps = Json::array();
  for (const auto& s : t.steps)
    steps.push_back({{"id", s.id}, {"goal", s.goal}, {"expected_results", s.expected_results}});
  return {{"id", t.id},
          {"name", t.name},
          {"tags", t.tags},
          {"version", t.version},
          {"steps", steps},
          {"created_at", FormatRfc3339(t.created_at)},
          {"updated_at", FormatRfc3339(t.updated_at)}};
}

Json RunJson(const Run& r) {
  Json bugs = Json::array();
  for (const auto& b : r.bugs) {
    Json j = {{"title", b.title}, {"description", b.description}, {"severity", b.severity}};
    j["step_id"] = b.step_id.empty() ? Json(nullptr) : Json(b.step_id);
    bugs.push_back(j);
  }
  Json steps = Json::array();
  for (const auto& s : r.steps)
    steps.push_back({{"step_id", s.step_id},
                     {"result", RunResultName(s.result)},
                     {"bug_label", BugLabelName(s.bug_label)},
                     {"started_at", OptTimeJson(s.started_at)},
                     {"finished_at", OptTimeJson(s.finished_at)},
                     {"comment", s.comment}});
  return {{"id", r.id},
          {"test_id", r.test_id},
          {"test_version", r.test_version},
          {"result", RunResultName(r.result)},
          {"bug_label", BugLabelName(r.bug_label)},
          {"started_at", FormatRfc3339(r.started_at)},
          {"finished_at", OptTimeJson(r.finished_at)},
          {"finished", r.finished()},
          {"build", r.build},
          {"summary", r.summary},
          {"bugs", bugs},
          {"steps", steps},
          {"execution_id", r.execution_id ? Json(*r.execution_id) : Json(nullptr)},
          {"attributes", Json(r.attributes)},
          {"created_at", FormatRfc3339(r.created_at)},
          {"updated_at", FormatRfc3339(r.updated_at)}};
}

Json PlanJson(const TestPlan& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"test_ids", p.test_ids},
          {"created_at", FormatRfc3339(p.created_at)}};
}

Json ExecutionJson(const Execution& e) {
  return {{"id", e.id},
          {"plan_id", e.plan_id},
          {"test_ids", e.test_ids},
          {"state", ExecutionStateName(e.state)},
          {"created_at", FormatRfc3339(e.created_at)},
          {"completed_at", OptTimeJson(e.completed_at)}};
}

Json TokenJson(const ApiToken& t) {
  return {{"id", t.id}, {"name", t.name}, {"created_at", FormatRfc3339(t.created_at)}};
}

Json MemberJson(const domain::MemberView& m) {
  Json j = {{"user_id", m.membership.user_id}, {"role", ProjectRoleName(m.membership.role)}};
  if (m.user) {
    j["email"] = m.user->email;
    j["name"] = m.user->name;
  }
  return j;
}

Json LinkJson(const integration::LinkView& v) {
  Json last = nullptr;
  if (v.last_export)
    last = {{"status_id", v.last_export->status_id},
            {"exported_at", FormatRfc3339(v.last_export->exported_at)},
            {"export_id", v.last_export->export_id}};
  return {{"case_id", v.case_id},
          {"title", v.title.empty() ? Json(nullptr) : Json(v.title)},
          {"suite_id", v.suite_id ? Json(*v.suite_id) : Json(nullptr)},
          {"suite", v.suite.empty() ? Json(nullptr) : Json(v.suite)},
          {"section_path", v.section_path.empty() ? Json(nullptr) : Json(v.section_path)},
          {"state", v.state},
          {"reason", v.reason.empty() ? Json(nullptr) : Json(v.reason)},
          {"updated_on", v.updated_on ? Json(FormatRfc3339(*v.updated_on * 1000)) : Json(nullptr)},
          {"linked_at", FormatRfc3339(v.linked_at)},
          {"acknowledged_at", OptTimeJson(v.acknowledged_at)},
          {"last_export", last}};
}

}  // namespace nexus::api
