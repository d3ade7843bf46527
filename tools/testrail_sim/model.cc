// TestRail API v2 method implementations over the in-memory model. Error texts follow
// shared/spec/testrail-api.md verbatim; the ones the spec does not give are marked
// "inferred" in docs/testrail-sim.md.
#include "model.h"

#include "model_internal.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>

namespace testrail_sim {

using namespace internal;  // NOLINT(build/namespaces): the helpers of this file family

namespace {

const std::vector<int64_t> kEmptyIds;

}  // namespace

bool ParseGenerateSpec(const std::string& text, GenerateSpec* spec, std::string* error) {
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    int64_t value = 0;
    if (eq == std::string::npos || !ParseInt(item.substr(eq + 1), &value) || value < 0) {
      *error = "bad --generate item '" + item + "' (want key=non-negative number)";
      return false;
    }
    std::string key = item.substr(0, eq);
    int v = static_cast<int>(value);
    if (key == "projects") {
      spec->projects = v;
    } else if (key == "suites") {
      spec->suites = v;
    } else if (key == "sections") {
      spec->sections = v;
    } else if (key == "cases") {
      spec->cases = v;
    } else if (key == "depth") {
      spec->depth = v;
    } else if (key == "milestones") {
      spec->milestones = v;
    } else if (key == "steps_template") {
      spec->steps_template = v != 0;
    } else if (key == "custom_statuses") {
      spec->custom_statuses = std::min(v, 7);
    } else {
      *error = "unknown --generate key '" + key + "'";
      return false;
    }
  }
  return true;
}

Model::Model() {
  users_.push_back({1, "Administrator", "admin@example.com", "secret",
                    "nexus-sim-demo-api-key-0001", true, true});
  SetCustomStatuses(0);
}

int64_t Model::Now() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Model::SetBaseUrl(const std::string& base_url) {
  std::lock_guard<std::mutex> lock(mutex_);
  base_url_ = base_url;
}

void Model::SetNextLinkLimitZero(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  next_limit_zero_ = on;
}

void Model::SetSuitesPaginated(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  suites_paginated_ = on;
}

void Model::SetStringAttachmentIds(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  string_attachment_ids_ = on;
}

void Model::SetClock(std::function<int64_t()> clock) {
  std::lock_guard<std::mutex> lock(mutex_);
  clock_ = std::move(clock);
}

void Model::SetUsers(std::vector<UserRecord> users) {
  std::lock_guard<std::mutex> lock(mutex_);
  users_ = std::move(users);
}

std::optional<int64_t> Model::Authenticate(const std::string& email,
                                           const std::string& secret) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& u : users_) {
    if (!u.is_active || Lower(u.email) != Lower(email)) continue;
    if ((!u.password.empty() && u.password == secret) ||
        (!u.api_key.empty() && u.api_key == secret)) {
      return u.id;
    }
  }
  return std::nullopt;
}

void Model::SetCustomStatuses(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  static const char* kLabels[] = {"Skipped", "Not Applicable", "In Progress", "Known Bug",
                                  "Flaky",   "Deferred",       "Won't Fix"};
  statuses_ = {
      {1, "passed", "Passed", 6667107, 9820525, 12709313, true, false, true},
      {2, "blocked", "Blocked", 9474192, 13684944, 14737632, true, false, true},
      {3, "untested", "Untested", 11579568, 15395562, 15790320, true, true, false},
      {4, "retest", "Retest", 13026868, 15593088, 16448182, true, false, false},
      {5, "failed", "Failed", 14250867, 15829135, 16631751, true, false, true},
  };
  count = std::clamp(count, 0, 7);
  for (int i = 0; i < count; ++i) {
    statuses_.push_back({6 + i, "custom_status" + std::to_string(i + 1), kLabels[i], 30745, 6010347,
                         12508159, false, false, i != 2});
  }
}

std::string Model::StatusLabel(int status_id) const {
  for (const auto& s : statuses_) {
    if (s.id == status_id) return s.label;
  }
  return status_id == 0 ? "-" : std::to_string(status_id);
}

const std::vector<int64_t>& Model::SuiteSectionOrder(int64_t suite_id) const {
  auto it = suite_sections_.find(suite_id);
  return it == suite_sections_.end() ? kEmptyIds : it->second;
}
const std::vector<int64_t>& Model::SectionCases(int64_t section_id) const {
  auto it = section_cases_.find(section_id);
  return it == section_cases_.end() ? kEmptyIds : it->second;
}
const std::vector<int64_t>& Model::SuiteCases(int64_t suite_id) const {
  auto it = suite_cases_.find(suite_id);
  return it == suite_cases_.end() ? kEmptyIds : it->second;
}

void Model::Visit(const std::function<void(const Model&)>& fn) const {
  std::lock_guard<std::mutex> lock(mutex_);
  fn(*this);
}

// ---------------------------------------------------------------------------------------------
// Method table.

const std::map<std::string, Model::MethodInfo>& Model::Methods() {
  static const std::map<std::string, MethodInfo> kMethods = {
      {"get_projects", {false, &Model::GetProjects}},
      {"get_project", {false, &Model::GetProject}},
      {"get_suites", {false, &Model::GetSuites}},
      {"get_suite", {false, &Model::GetSuite}},
      {"add_suite", {true, &Model::AddSuite}},
      {"get_sections", {false, &Model::GetSections}},
      {"get_section", {false, &Model::GetSection}},
      {"add_section", {true, &Model::AddSection}},
      {"get_cases", {false, &Model::GetCases}},
      {"get_case", {false, &Model::GetCaseApi}},
      {"add_case", {true, &Model::AddCaseApi}},
      {"update_case", {true, &Model::UpdateCase}},
      {"delete_case", {true, &Model::DeleteCaseApi}},
      {"get_statuses", {false, &Model::GetStatuses}},
      {"get_users", {false, &Model::GetUsers}},
      {"get_user", {false, &Model::GetUser}},
      {"get_user_by_email", {false, &Model::GetUserByEmail}},
      {"get_current_user", {false, &Model::GetCurrentUser}},
      {"add_run", {true, &Model::AddRun}},
      {"get_run", {false, &Model::GetRunApi}},
      {"get_runs", {false, &Model::GetRuns}},
      {"update_run", {true, &Model::UpdateRun}},
      {"close_run", {true, &Model::CloseRun}},
      {"delete_run", {true, &Model::DeleteRun}},
      {"add_plan", {true, &Model::AddPlan}},
      {"add_plan_entry", {true, &Model::AddPlanEntry}},
      {"get_plan", {false, &Model::GetPlanApi}},
      {"get_plans", {false, &Model::GetPlans}},
      {"close_plan", {true, &Model::ClosePlan}},
      {"delete_plan", {true, &Model::DeletePlan}},
      {"add_results_for_cases", {true, &Model::AddResultsForCases}},
      {"add_result_for_case", {true, &Model::AddResultForCase}},
      {"add_results", {true, &Model::AddResults}},
      {"add_result", {true, &Model::AddResult}},
      {"get_tests", {false, &Model::GetTests}},
      {"get_test", {false, &Model::GetTest}},
      {"get_results_for_run", {false, &Model::GetResultsForRun}},
      {"get_results_for_case", {false, &Model::GetResultsForCase}},
      {"get_results", {false, &Model::GetResults}},
      {"add_attachment_to_result", {true, &Model::AddAttachmentToResult}},
      {"add_attachment_to_run", {true, &Model::AddAttachmentToRun}},
      {"get_attachments_for_test", {false, &Model::GetAttachmentsForTest}},
      {"get_attachments_for_run", {false, &Model::GetAttachmentsForRun}},
      {"get_attachment", {false, &Model::GetAttachmentApi}},
      {"delete_attachment", {true, &Model::DeleteAttachment}},
      {"get_result_fields", {false, &Model::GetResultFields}},
      {"get_case_fields", {false, &Model::GetCaseFields}},
      {"get_templates", {false, &Model::GetTemplates}},
      {"get_configs", {false, &Model::GetConfigs}},
      {"add_config_group", {true, &Model::AddConfigGroup}},
      {"add_config", {true, &Model::AddConfig}},
      {"get_milestones", {false, &Model::GetMilestones}},
      {"get_milestone", {false, &Model::GetMilestoneApi}},
      {"add_milestone", {true, &Model::AddMilestone}},
      {"update_plan_entry", {true, &Model::UpdatePlanEntry}},
      {"update_run_in_plan_entry", {true, &Model::UpdateRunInPlanEntry}},
      {"delete_section", {true, &Model::DeleteSection}},
      {"delete_suite", {true, &Model::DeleteSuite}},
      {"delete_cases", {true, &Model::DeleteCases}},
      {"get_labels", {false, &Model::GetLabels}},
  };
  return kMethods;
}

bool Model::KnownMethod(const std::string& method, bool* is_write) const {
  auto it = Methods().find(method);
  if (it == Methods().end()) return false;
  if (is_write) *is_write = it->second.is_write;
  return true;
}

ApiResponse Model::Handle(const ApiCall& call) {
  auto it = Methods().find(call.method);
  if (it == Methods().end()) return Error(404, "Unknown method '" + call.method + "'");
  std::lock_guard<std::mutex> lock(mutex_);
  return (this->*(it->second.handler))(call);
}

// ---------------------------------------------------------------------------------------------
// JSON views.

Json Model::ProjectJson(const Project& p) const {
  return Json{{"id", p.id},
              {"name", p.name},
              {"announcement", NullIfEmpty(p.announcement)},
              {"show_announcement", false},
              {"is_completed", p.is_completed},
              {"completed_on", NullIfZero(p.completed_on)},
              {"suite_mode", p.suite_mode},
              {"default_role_id", 3},
              {"url", base_url_ + "/index.php?/projects/overview/" + std::to_string(p.id)}};
}

Json Model::SuiteJson(const Suite& s) const {
  return Json{{"id", s.id},
              {"name", s.name},
              {"description", NullIfEmpty(s.description)},
              {"project_id", s.project_id},
              {"is_master", s.is_master},
              {"is_baseline", s.is_baseline},
              {"is_completed", s.is_completed},
              {"completed_on", NullIfZero(s.completed_on)},
              {"url", base_url_ + "/index.php?/suites/view/" + std::to_string(s.id)}};
}

Json Model::SectionJson(const Section& s) const {
  return Json{{"id", s.id},
              {"suite_id", s.suite_id},
              {"name", s.name},
              {"description", NullIfEmpty(s.description)},
              {"parent_id", NullIfZero(s.parent_id)},
              {"display_order", s.display_order},
              {"depth", s.depth}};
}

Json Model::CaseJson(const Case& c) const {
  Json j{{"id", c.id},
         {"title", c.title},
         {"section_id", c.section_id},
         {"template_id", c.template_id},
         {"type_id", c.type_id},
         {"priority_id", c.priority_id},
         {"milestone_id", NullIfZero(c.milestone_id)},
         {"refs", NullIfEmpty(c.refs)},
         {"created_by", c.created_by},
         {"created_on", c.created_on},
         {"updated_by", c.updated_by},
         {"updated_on", c.updated_on},
         {"estimate", NullIfEmpty(c.estimate)},
         {"estimate_forecast", nullptr},
         {"suite_id", c.suite_id},
         {"display_order", c.display_order},
         {"is_deleted", c.is_deleted ? 1 : 0}};
  for (const auto& [k, v] : c.custom.items()) j[k] = v;
  return j;
}

Json Model::RunJson(const Run& r) const {
  Json j{{"id", r.id},
         {"suite_id", r.suite_id},
         {"name", r.name},
         {"description", NullIfEmpty(r.description)},
         {"milestone_id", NullIfZero(r.milestone_id)},
         {"assignedto_id", NullIfZero(r.assignedto_id)},
         {"include_all", r.include_all},
         {"is_completed", r.is_completed},
         {"completed_on", NullIfZero(r.completed_on)},
         {"config", NullIfEmpty(ConfigNames(r.config_ids))},
         {"config_ids", r.config_ids},
         {"passed_count", r.counts[1]},
         {"blocked_count", r.counts[2]},
         {"untested_count", r.counts[3]},
         {"retest_count", r.counts[4]},
         {"failed_count", r.counts[5]}};
  for (int i = 1; i <= 7; ++i) j["custom_status" + std::to_string(i) + "_count"] = r.counts[5 + i];
  j["project_id"] = r.project_id;
  j["plan_id"] = NullIfZero(r.plan_id);
  if (r.plan_id != 0) {
    j["entry_index"] = r.entry_index;
    j["entry_id"] = r.entry_id;
  }
  j["created_on"] = r.created_on;
  j["updated_on"] = r.updated_on;
  j["created_by"] = r.created_by;
  j["refs"] = NullIfEmpty(r.refs);
  j["url"] = base_url_ + "/index.php?/runs/view/" + std::to_string(r.id);
  return j;
}

Json Model::EntryJson(const Entry& e) const {
  Json runs = Json::array();
  for (int64_t id : e.run_ids) {
    auto it = runs_.find(id);
    if (it != runs_.end()) runs.push_back(RunJson(it->second));
  }
  return Json{{"id", e.id},
              {"suite_id", e.suite_id},
              {"name", e.name},
              {"description", NullIfEmpty(e.description)},
              {"include_all", e.include_all},
              {"refs", NullIfEmpty(e.refs)},
              {"runs", runs}};
}

Json Model::PlanJson(const Plan& p, bool with_entries) const {
  int64_t counts[13] = {};
  for (const auto& e : p.entries) {
    for (int64_t id : e.run_ids) {
      auto it = runs_.find(id);
      if (it == runs_.end()) continue;
      for (int s = 0; s < 13; ++s) counts[s] += it->second.counts[s];
    }
  }
  Json j{{"id", p.id},
         {"name", p.name},
         {"description", NullIfEmpty(p.description)},
         {"milestone_id", NullIfZero(p.milestone_id)},
         {"assignedto_id", NullIfZero(p.assignedto_id)},
         {"is_completed", p.is_completed},
         {"completed_on", NullIfZero(p.completed_on)},
         {"passed_count", counts[1]},
         {"blocked_count", counts[2]},
         {"untested_count", counts[3]},
         {"retest_count", counts[4]},
         {"failed_count", counts[5]}};
  for (int i = 1; i <= 7; ++i) j["custom_status" + std::to_string(i) + "_count"] = counts[5 + i];
  j["project_id"] = p.project_id;
  j["created_on"] = p.created_on;
  j["created_by"] = p.created_by;
  j["url"] = base_url_ + "/index.php?/plans/view/" + std::to_string(p.id);
  if (with_entries) {
    Json entries = Json::array();
    for (const auto& e : p.entries) entries.push_back(EntryJson(e));
    j["entries"] = entries;
  }
  return j;
}

Json Model::TestJson(const Test& t) const {
  Json j{{"id", t.id},
         {"case_id", t.case_id},
         {"status_id", t.status_id},
         {"assignedto_id", NullIfZero(t.assignedto_id)},
         {"run_id", t.run_id},
         {"title", t.title}};
  auto it = cases_.find(t.case_id);
  if (it != cases_.end()) {
    const Case& c = it->second;
    j["title"] = c.title;
    j["template_id"] = c.template_id;
    j["type_id"] = c.type_id;
    j["priority_id"] = c.priority_id;
    j["estimate"] = NullIfEmpty(c.estimate);
    j["estimate_forecast"] = nullptr;
    j["refs"] = NullIfEmpty(c.refs);
    j["milestone_id"] = NullIfZero(c.milestone_id);
    for (const auto& [k, v] : c.custom.items()) j[k] = v;
  }
  return j;
}

Json Model::ResultJson(const Result& r) const {
  Json j{{"id", r.id},
         {"test_id", r.test_id},
         {"status_id", r.status_id == 0 ? Json(nullptr) : Json(r.status_id)},
         {"created_by", r.created_by},
         {"created_on", r.created_on},
         {"assignedto_id", NullIfZero(r.assignedto_id)},
         {"comment", NullIfEmpty(r.comment)},
         {"version", NullIfEmpty(r.version)},
         {"elapsed", NullIfEmpty(r.elapsed)},
         {"defects", NullIfEmpty(r.defects)},
         {"attachment_ids", r.attachment_ids}};
  for (const auto& [k, v] : r.custom.items()) j[k] = v;
  return j;
}

Json Model::StatusJson(const Status& s) const {
  return Json{{"id", s.id},
              {"name", s.name},
              {"label", s.label},
              {"color_dark", s.color_dark},
              {"color_medium", s.color_medium},
              {"color_bright", s.color_bright},
              {"is_system", s.is_system},
              {"is_untested", s.is_untested},
              {"is_final", s.is_final}};
}

Json Model::UserJson(const UserRecord& u) const {
  return Json{{"id", u.id},   {"name", u.name}, {"email", u.email},      {"is_active", u.is_active},
              {"role_id", 1}, {"role", "Lead"}, {"is_admin", u.is_admin}};
}

// ---------------------------------------------------------------------------------------------
// Pagination.

ApiResponse Model::Paginate(
    const ApiCall& call, const std::string& key,
    const std::function<std::vector<Json>(size_t, size_t, size_t*)>& page) const {
  int64_t limit = kMaxPage;
  int64_t offset = 0;
  if (const std::string* v = Filter(call, "limit")) {
    if (!ParseInt(*v, &limit) || limit < 1) {
      return Error(400, "Field :limit must be a positive integer.");
    }
    limit = std::min<int64_t>(limit, kMaxPage);
  }
  if (const std::string* v = Filter(call, "offset")) {
    if (!ParseInt(*v, &offset) || offset < 0) {
      return Error(400, "Field :offset must be a non-negative integer.");
    }
  }
  size_t total = 0;
  std::vector<Json> items = page(static_cast<size_t>(offset), static_cast<size_t>(limit), &total);
  std::string link = "/api/v2/" + call.method;
  for (const auto& id : call.ids) link += "/" + id;
  for (const auto& [k, v] : call.filters) {
    if (k == "limit" || k == "offset") continue;
    link += "&" + PercentEncode(k) + "=" + PercentEncode(v);
  }
  Json next = nullptr;
  Json prev = nullptr;
  if (static_cast<size_t>(offset + limit) < total) {
    next = link + "&limit=" + std::to_string(next_limit_zero_ ? 0 : limit) +
           "&offset=" + std::to_string(offset + limit);
  }
  if (offset > 0) {
    prev = link + "&limit=" + std::to_string(limit) +
           "&offset=" + std::to_string(std::max<int64_t>(0, offset - limit));
  }
  Json body{{"offset", offset},
            {"limit", limit},
            {"size", items.size()},
            {"_links", Json{{"next", next}, {"prev", prev}}},
            {key, Json(std::move(items))}};
  return Ok(std::move(body));
}

// Slices a vector of matches; shared by most list methods.
template <typename T, typename F>
static std::vector<Json> Slice(const std::vector<T>& all, size_t offset, size_t limit,
                               size_t* total, F&& to_json) {
  *total = all.size();
  std::vector<Json> out;
  for (size_t i = offset; i < all.size() && out.size() < limit; ++i) out.push_back(to_json(all[i]));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Projects, suites, sections.

ApiResponse Model::GetProjects(const ApiCall& c) {
  bool bad = false;
  auto completed = IntFilter(c, "is_completed", &bad);
  std::vector<const Project*> matches;
  for (const auto& [id, p] : projects_) {
    if (completed && (*completed != 0) != p.is_completed) continue;
    matches.push_back(&p);
  }
  return Paginate(c, "projects", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total, [&](const Project* p) { return ProjectJson(*p); });
  });
}

ApiResponse Model::GetProject(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto it = projects_.find(id);
  if (it == projects_.end()) return Error(400, kInvalidProject);
  return Ok(ProjectJson(it->second));
}

ApiResponse Model::GetSuites(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  std::vector<const Suite*> matches;
  for (const auto& [sid, s] : suites_) {
    if (s.project_id == id) matches.push_back(&s);
  }
  if (suites_paginated_) {
    return Paginate(c, "suites", [&](size_t offset, size_t limit, size_t* total) {
      return Slice(matches, offset, limit, total, [&](const Suite* s) { return SuiteJson(*s); });
    });
  }
  Json arr = Json::array();
  for (const Suite* s : matches) arr.push_back(SuiteJson(*s));
  return Ok(arr);
}

ApiResponse Model::GetSuite(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "suite_id", &id, &err)) return err;
  auto it = suites_.find(id);
  if (it == suites_.end()) return Error(400, kInvalidSuite);
  return Ok(SuiteJson(it->second));
}

ApiResponse Model::AddSuite(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto pit = projects_.find(id);
  if (pit == projects_.end()) return Error(400, kInvalidProject);
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  bool has_suite = false;
  for (const auto& [sid, s] : suites_) has_suite |= s.project_id == id;
  if (pit->second.suite_mode == 1 && has_suite) {
    return Error(400, "This project does not support multiple test suites.");
  }
  Suite s;
  s.id = next_suite_id_++;
  s.project_id = id;
  s.name = name;
  s.description = JsonStr(c.body, "description");
  s.is_master = !has_suite;
  s.is_baseline = pit->second.suite_mode == 2 && has_suite;
  suites_[s.id] = s;
  return Ok(SuiteJson(s));
}

bool Model::ResolveSuite(const Project& project, const Json& suite_value, bool present,
                         int64_t* suite_id, ApiResponse* err) const {
  if (!present || suite_value.is_null()) {
    if (project.suite_mode != 1) {
      *err = Error(400, Required("suite_id"));
      return false;
    }
    for (const auto& [id, s] : suites_) {
      if (s.project_id == project.id) {
        *suite_id = id;
        return true;
      }
    }
    *err = Error(400, kInvalidSuite);
    return false;
  }
  int64_t id = 0;
  if (!JsonInt(suite_value, &id)) {
    *err = Error(400, kInvalidSuite);
    return false;
  }
  auto it = suites_.find(id);
  if (it == suites_.end() || it->second.project_id != project.id) {
    *err = Error(400, kInvalidSuite);
    return false;
  }
  *suite_id = id;
  return true;
}

ApiResponse Model::GetSections(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto pit = projects_.find(id);
  if (pit == projects_.end()) return Error(400, kInvalidProject);
  const std::string* sv = Filter(c, "suite_id");
  int64_t suite_id = 0;
  if (!ResolveSuite(pit->second, sv ? Json(*sv) : Json(nullptr), sv != nullptr, &suite_id, &err))
    return err;
  const auto& order = SuiteSectionOrder(suite_id);
  return Paginate(c, "sections", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(order, offset, limit, total,
                 [&](int64_t sid) { return SectionJson(sections_.at(sid)); });
  });
}

ApiResponse Model::GetSection(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "section_id", &id, &err)) return err;
  auto it = sections_.find(id);
  if (it == sections_.end()) return Error(400, kInvalidSection);
  return Ok(SectionJson(it->second));
}

void Model::RenumberSectionsLocked(int64_t suite_id) {
  // Pre-order walk: children sorted by id under each parent.
  std::map<int64_t, std::vector<int64_t>> children;
  for (const auto& [id, s] : sections_) {
    if (s.suite_id == suite_id) children[s.parent_id].push_back(id);
  }
  std::vector<int64_t> order;
  std::vector<std::pair<int64_t, int>> stack;
  auto push_children = [&](int64_t parent, int depth) {
    auto it = children.find(parent);
    if (it == children.end()) return;
    for (auto rit = it->second.rbegin(); rit != it->second.rend(); ++rit)
      stack.push_back({*rit, depth});
  };
  push_children(0, 0);
  while (!stack.empty()) {
    auto [id, depth] = stack.back();
    stack.pop_back();
    Section& s = sections_[id];
    s.depth = depth;
    s.display_order = static_cast<int64_t>(order.size()) + 1;
    order.push_back(id);
    push_children(id, depth + 1);
  }
  suite_sections_[suite_id] = std::move(order);
}

ApiResponse Model::AddSection(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto pit = projects_.find(id);
  if (pit == projects_.end()) return Error(400, kInvalidProject);
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  int64_t suite_id = 0;
  int64_t parent_id = 0;
  if (c.body.contains("parent_id") && !c.body["parent_id"].is_null()) {
    auto it =
        JsonInt(c.body["parent_id"], &parent_id) ? sections_.find(parent_id) : sections_.end();
    if (it == sections_.end() || suites_.at(it->second.suite_id).project_id != id) {
      return Error(400, "Field :parent_id is not a valid section.");
    }
  }
  bool has_suite = c.body.contains("suite_id");
  if (!ResolveSuite(pit->second, has_suite ? c.body["suite_id"] : Json(nullptr), has_suite,
                    &suite_id, &err)) {
    if (parent_id == 0 || has_suite) return err;
    suite_id = sections_.at(parent_id).suite_id;
  }
  if (parent_id != 0 && sections_.at(parent_id).suite_id != suite_id) {
    return Error(400, "Field :parent_id is not a valid section.");
  }
  Section s;
  s.id = next_section_id_++;
  s.suite_id = suite_id;
  s.name = name;
  s.description = JsonStr(c.body, "description");
  s.parent_id = parent_id;
  sections_[s.id] = s;
  RenumberSectionsLocked(suite_id);
  return Ok(SectionJson(sections_.at(s.id)));
}

// ---------------------------------------------------------------------------------------------
// Cases.

ApiResponse Model::GetCases(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto pit = projects_.find(id);
  if (pit == projects_.end()) return Error(400, kInvalidProject);
  const std::string* sv = Filter(c, "suite_id");
  int64_t suite_id = 0;
  if (!ResolveSuite(pit->second, sv ? Json(*sv) : Json(nullptr), sv != nullptr, &suite_id, &err))
    return err;
  bool bad = false;
  auto section_id = IntFilter(c, "section_id", &bad);
  if (bad) return Error(400, kInvalidSection);
  if (section_id) {
    auto sit = sections_.find(*section_id);
    if (sit == sections_.end() || sit->second.suite_id != suite_id)
      return Error(400, kInvalidSection);
  }
  auto created_after = IntFilter(c, "created_after", &bad);
  auto created_before = IntFilter(c, "created_before", &bad);
  auto updated_after = IntFilter(c, "updated_after", &bad);
  auto updated_before = IntFilter(c, "updated_before", &bad);
  if (bad) return Error(400, "Field :updated_after is not a valid timestamp.");
  auto priority = IntListFilter(c, "priority_id");
  auto type = IntListFilter(c, "type_id");
  auto milestone = IntListFilter(c, "milestone_id");
  const std::string* title_filter = Filter(c, "filter");
  std::string needle = title_filter ? Lower(*title_filter) : "";
  const std::string* refs_filter = Filter(c, "refs");

  const std::vector<int64_t>& base = section_id ? SectionCases(*section_id) : SuiteCases(suite_id);
  bool filtered = created_after || created_before || updated_after || updated_before || priority ||
                  type || milestone || title_filter || refs_filter;
  auto to_json = [&](int64_t cid) { return CaseJson(cases_.at(cid)); };
  if (!filtered) {
    return Paginate(c, "cases", [&](size_t offset, size_t limit, size_t* total) {
      return Slice(base, offset, limit, total, to_json);
    });
  }
  std::vector<int64_t> matches;
  for (int64_t cid : base) {
    const Case& cs = cases_.at(cid);
    if (created_after && cs.created_on < *created_after) continue;
    if (created_before && cs.created_on > *created_before) continue;
    if (updated_after && cs.updated_on < *updated_after) continue;
    if (updated_before && cs.updated_on > *updated_before) continue;
    if (priority && !priority->count(cs.priority_id)) continue;
    if (type && !type->count(cs.type_id)) continue;
    if (milestone && !milestone->count(cs.milestone_id)) continue;
    if (title_filter && Lower(cs.title).find(needle) == std::string::npos) continue;
    if (refs_filter && cs.refs.find(*refs_filter) == std::string::npos) continue;
    matches.push_back(cid);
  }
  return Paginate(c, "cases", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total, to_json);
  });
}

ApiResponse Model::GetCaseApi(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "case_id", &id, &err)) return err;
  auto it = cases_.find(id);
  if (it == cases_.end() || it->second.is_deleted) return Error(400, kInvalidCase);
  return Ok(CaseJson(it->second));
}

void Model::ApplyCaseFields(Case& cs, const Json& body) {
  int64_t n = 0;
  if (body.contains("title")) cs.title = JsonStr(body, "title");
  if (body.contains("template_id") && JsonInt(body["template_id"], &n))
    cs.template_id = static_cast<int>(n);
  if (body.contains("type_id") && JsonInt(body["type_id"], &n)) cs.type_id = static_cast<int>(n);
  if (body.contains("priority_id") && JsonInt(body["priority_id"], &n))
    cs.priority_id = static_cast<int>(n);
  if (body.contains("milestone_id")) {
    cs.milestone_id = JsonInt(body["milestone_id"], &n) ? n : 0;
  }
  if (body.contains("refs")) cs.refs = JsonStr(body, "refs");
  if (body.contains("estimate")) cs.estimate = JsonStr(body, "estimate");
  for (const auto& [k, v] : body.items()) {
    if (k.rfind("custom_", 0) == 0) cs.custom[k] = v;
  }
}

bool Model::AddCaseLocked(int64_t section_id, const Json& body, int64_t user_id, int64_t* case_id,
                          ApiResponse* err) {
  auto sit = sections_.find(section_id);
  if (sit == sections_.end()) {
    *err = Error(400, kInvalidSection);
    return false;
  }
  std::string title = JsonStr(body, "title");
  if (title.empty()) {
    *err = Error(400, Required("title"));
    return false;
  }
  if (title.size() > kMaxNameLength) {
    *err = Error(400, TooLong("title"));
    return false;
  }
  Case cs;
  cs.id = next_case_id_++;
  cs.section_id = section_id;
  cs.suite_id = sit->second.suite_id;
  ApplyCaseFields(cs, body);
  cs.created_on = cs.updated_on = Now();
  cs.created_by = cs.updated_by = user_id;
  auto& sec = section_cases_[section_id];
  cs.display_order = static_cast<int64_t>(sec.size()) + 1;
  sec.push_back(cs.id);
  suite_cases_[cs.suite_id].push_back(cs.id);
  *case_id = cs.id;
  cases_[cs.id] = std::move(cs);
  return true;
}

ApiResponse Model::AddCaseApi(const ApiCall& c) {
  int64_t section_id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "section_id", &section_id, &err)) return err;
  int64_t id = 0;
  if (!AddCaseLocked(section_id, c.body, c.user_id, &id, &err)) return err;
  return Ok(CaseJson(cases_.at(id)));
}

void Model::RemoveCaseFromIndexesLocked(const Case& cs) {
  auto erase = [&](std::vector<int64_t>& v) {
    auto it = std::lower_bound(v.begin(), v.end(), cs.id);
    if (it != v.end() && *it == cs.id) v.erase(it);
  };
  erase(suite_cases_[cs.suite_id]);
  erase(section_cases_[cs.section_id]);
}

ApiResponse Model::UpdateCase(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "case_id", &id, &err)) return err;
  auto it = cases_.find(id);
  if (it == cases_.end() || it->second.is_deleted) return Error(400, kInvalidCase);
  Case& cs = it->second;
  if (c.body.contains("title")) {
    std::string title = JsonStr(c.body, "title");
    if (title.empty()) return Error(400, Required("title"));
    if (title.size() > kMaxNameLength) return Error(400, TooLong("title"));
  }
  if (c.body.contains("section_id")) {
    int64_t sid = 0;
    auto sit = JsonInt(c.body["section_id"], &sid) ? sections_.find(sid) : sections_.end();
    if (sit == sections_.end() || sit->second.suite_id != cs.suite_id)
      return Error(400, kInvalidSection);
    if (sid != cs.section_id) {
      RemoveCaseFromIndexesLocked(cs);
      cs.section_id = sid;
      auto& sec = section_cases_[sid];
      sec.insert(std::lower_bound(sec.begin(), sec.end(), cs.id), cs.id);
      auto& sui = suite_cases_[cs.suite_id];
      sui.insert(std::lower_bound(sui.begin(), sui.end(), cs.id), cs.id);
    }
  }
  ApplyCaseFields(cs, c.body);
  cs.updated_on = Now();
  cs.updated_by = c.user_id;
  return Ok(CaseJson(cs));
}

ApiResponse Model::DeleteCaseApi(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "case_id", &id, &err)) return err;
  auto it = cases_.find(id);
  if (it == cases_.end() || it->second.is_deleted) return Error(400, kInvalidCase);
  it->second.is_deleted = true;
  it->second.updated_on = Now();
  RemoveCaseFromIndexesLocked(it->second);
  return EmptyOk();
}

void Model::MarkCaseDeletedLocked(Case& cs) {
  if (cs.is_deleted) return;
  cs.is_deleted = true;
  cs.updated_on = Now();
  RemoveCaseFromIndexesLocked(cs);
}

ApiResponse Model::DeleteSection(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "section_id", &id, &err)) return err;
  auto it = sections_.find(id);
  if (it == sections_.end()) return Error(400, kInvalidSection);
  int64_t suite_id = it->second.suite_id;
  if (const std::string* soft = Filter(c, "soft"); soft && *soft == "1") return EmptyOk();
  // The section, its sub-sections (transitively) and their cases.
  std::set<int64_t> doomed{id};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [sid, s] : sections_)
      if (doomed.count(s.parent_id) && doomed.insert(sid).second) grew = true;
  }
  for (int64_t sid : doomed) {
    std::vector<int64_t> members = SectionCases(sid);
    for (int64_t cid : members) MarkCaseDeletedLocked(cases_.at(cid));
    section_cases_.erase(sid);
    sections_.erase(sid);
  }
  RenumberSectionsLocked(suite_id);
  return EmptyOk();
}

ApiResponse Model::DeleteSuite(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "suite_id", &id, &err)) return err;
  if (!suites_.count(id)) return Error(400, kInvalidSuite);
  if (const std::string* soft = Filter(c, "soft"); soft && *soft == "1") return EmptyOk();
  std::vector<int64_t> members = SuiteCases(id);
  for (int64_t cid : members) MarkCaseDeletedLocked(cases_.at(cid));
  for (auto it = sections_.begin(); it != sections_.end();) {
    if (it->second.suite_id == id) {
      section_cases_.erase(it->first);
      it = sections_.erase(it);
    } else {
      ++it;
    }
  }
  suite_sections_.erase(id);
  suite_cases_.erase(id);
  suites_.erase(id);
  return EmptyOk();
}

ApiResponse Model::DeleteCases(const ApiCall& c) {
  // delete_cases/{suite_id}, or delete_cases/{project_id}&suite_id=… (newer versions).
  int64_t id = 0;
  ApiResponse err;
  bool by_project = Filter(c, "suite_id") != nullptr;
  if (!IdArg(c, 0, by_project ? "project_id" : "suite_id", &id, &err)) return err;
  int64_t suite_id = id;
  if (by_project) {
    auto pit = projects_.find(id);
    if (pit == projects_.end()) return Error(400, kInvalidProject);
    if (!ResolveSuite(pit->second, Json(*Filter(c, "suite_id")), true, &suite_id, &err)) return err;
  } else if (!suites_.count(suite_id)) {
    return Error(400, kInvalidSuite);
  }
  if (!c.body.contains("case_ids") || c.body["case_ids"].is_null())
    return Error(400, Required("case_ids"));
  const Json& ids = c.body["case_ids"];
  if (!ids.is_array()) return Error(400, "Field :case_ids is not a valid array.");
  if (ids.empty()) return Error(400, Required("case_ids"));
  std::vector<int64_t> doomed;
  for (const auto& v : ids) {  // all or nothing
    int64_t cid = 0;
    auto it = JsonInt(v, &cid) ? cases_.find(cid) : cases_.end();
    if (it == cases_.end() || it->second.is_deleted || it->second.suite_id != suite_id)
      return Error(400, "Field :case_ids contains one or more invalid test cases.");
    doomed.push_back(cid);
  }
  if (const std::string* soft = Filter(c, "soft"); soft && *soft == "1") return EmptyOk();
  for (int64_t cid : doomed) MarkCaseDeletedLocked(cases_.at(cid));
  return EmptyOk();
}

ApiResponse Model::GetLabels(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  std::vector<const Label*> matches;
  for (const auto& [lid, l] : labels_)
    if (l.project_id == id) matches.push_back(&l);
  return Paginate(c, "labels", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total, [&](const Label* l) {
      return Json{{"id", l->id},
                  {"title", l->title},
                  {"created_by", l->created_by},
                  {"created_on", l->created_on}};
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Statuses and users.

ApiResponse Model::GetStatuses(const ApiCall&) {
  Json arr = Json::array();
  for (const auto& s : statuses_) arr.push_back(StatusJson(s));
  return Ok(arr);
}

ApiResponse Model::GetUsers(const ApiCall& c) {
  if (!c.ids.empty()) {
    int64_t pid = 0;
    ApiResponse err;
    if (!IdArg(c, 0, "project_id", &pid, &err)) return err;
    if (!projects_.count(pid)) return Error(400, kInvalidProject);
  }
  return Paginate(c, "users", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(users_, offset, limit, total, [&](const UserRecord& u) { return UserJson(u); });
  });
}

ApiResponse Model::GetUser(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "user_id", &id, &err)) return err;
  for (const auto& u : users_) {
    if (u.id == id) return Ok(UserJson(u));
  }
  return Error(400, "Field :user_id is not a valid user.");
}

ApiResponse Model::GetUserByEmail(const ApiCall& c) {
  const std::string* email = Filter(c, "email");
  if (!email || email->empty()) return Error(400, Required("email"));
  for (const auto& u : users_) {
    if (Lower(u.email) == Lower(*email)) return Ok(UserJson(u));
  }
  return Error(400, "Field :email is not a valid user.");
}

ApiResponse Model::GetCurrentUser(const ApiCall& c) {
  for (const auto& u : users_) {
    if (u.id == c.user_id) return Ok(UserJson(u));
  }
  return Error(400, "Field :user_id is not a valid user.");
}

// ---------------------------------------------------------------------------------------------
// Runs.

bool Model::BuildCaseListLocked(int64_t suite_id, bool include_all, const Json& case_ids,
                                std::vector<int64_t>* out, ApiResponse* err) const {
  if (include_all) {
    *out = SuiteCases(suite_id);
    return true;
  }
  if (!case_ids.is_null() && !case_ids.is_array()) {
    *err = Error(400, "Field :case_ids is not a valid array.");
    return false;
  }
  std::set<int64_t> seen;
  if (case_ids.is_array()) {
    for (const auto& v : case_ids) {
      int64_t id = 0;
      auto it = JsonInt(v, &id) ? cases_.find(id) : cases_.end();
      if (it == cases_.end() || it->second.is_deleted || it->second.suite_id != suite_id) {
        *err = Error(400, "Field :case_ids contains one or more invalid test cases.");
        return false;
      }
      if (seen.insert(id).second) out->push_back(id);
    }
  }
  if (out->empty()) {
    *err = Error(400, kNoTests);
    return false;
  }
  std::sort(out->begin(), out->end());
  return true;
}

void Model::SetRunCasesLocked(Run& run, const std::vector<int64_t>& case_ids) {
  std::set<int64_t> wanted(case_ids.begin(), case_ids.end());
  // Drop tests (and their results) for cases no longer in the run.
  std::vector<int64_t> kept;
  for (int64_t tid : run.test_ids) {
    Test& t = tests_.at(tid);
    if (wanted.count(t.case_id)) {
      kept.push_back(tid);
      continue;
    }
    run.counts[t.status_id]--;
    run.test_by_case.erase(t.case_id);
    tests_.erase(tid);
  }
  if (kept.size() != run.test_ids.size()) {
    std::vector<int64_t> results;
    for (int64_t rid : run.result_ids) {
      if (tests_.count(results_.at(rid).test_id)) {
        results.push_back(rid);
      } else {
        results_.erase(rid);
      }
    }
    run.result_ids = std::move(results);
  }
  run.test_ids = std::move(kept);
  for (int64_t cid : case_ids) {
    if (run.test_by_case.count(cid)) continue;
    Test t;
    t.id = next_test_id_++;
    t.case_id = cid;
    t.run_id = run.id;
    t.title = cases_.at(cid).title;
    run.test_by_case[cid] = t.id;
    run.test_ids.push_back(t.id);
    run.counts[3]++;
    tests_[t.id] = std::move(t);
  }
}

bool Model::CreateRunLocked(const Project& project, int64_t suite_id, const Json& spec,
                            int64_t plan_id, const std::string& entry_id, int entry_index,
                            int64_t user_id, int64_t* run_id, ApiResponse* err) {
  bool include_all = JsonBool(spec, "include_all", true);
  std::vector<int64_t> case_ids;
  if (!BuildCaseListLocked(suite_id, include_all,
                           spec.contains("case_ids") ? spec["case_ids"] : Json(nullptr), &case_ids,
                           err)) {
    return false;
  }
  Run run;
  run.id = next_run_id_++;
  run.project_id = project.id;
  run.suite_id = suite_id;
  run.name = JsonStr(spec, "name");
  run.description = JsonStr(spec, "description");
  int64_t n = 0;
  if (spec.contains("milestone_id") && JsonInt(spec["milestone_id"], &n)) run.milestone_id = n;
  if (spec.contains("assignedto_id") && JsonInt(spec["assignedto_id"], &n)) run.assignedto_id = n;
  if (spec.contains("config_ids") && spec["config_ids"].is_array()) {
    for (const auto& v : spec["config_ids"])
      if (JsonInt(v, &n)) run.config_ids.push_back(n);
  }
  run.refs = JsonStr(spec, "refs");
  run.include_all = include_all;
  run.plan_id = plan_id;
  run.entry_id = entry_id;
  run.entry_index = entry_index;
  run.created_on = run.updated_on = Now();
  run.created_by = user_id;
  SetRunCasesLocked(run, case_ids);
  *run_id = run.id;
  runs_[run.id] = std::move(run);
  return true;
}

ApiResponse Model::AddRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto pit = projects_.find(id);
  if (pit == projects_.end()) return Error(400, kInvalidProject);
  int64_t suite_id = 0;
  bool has_suite = c.body.contains("suite_id");
  if (!ResolveSuite(pit->second, has_suite ? c.body["suite_id"] : Json(nullptr), has_suite,
                    &suite_id, &err))
    return err;
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  if (c.body.contains("milestone_id") && !c.body["milestone_id"].is_null() &&
      !ValidMilestoneLocked(id, c.body["milestone_id"]))
    return Error(400, "Field :milestone_id is not a valid milestone.");
  if (c.body.contains("assignedto_id") && !c.body["assignedto_id"].is_null() &&
      !ValidUserLocked(c.body["assignedto_id"]))
    return Error(400, "Field :assignedto_id is not a valid user.");
  int64_t run_id = 0;
  if (!CreateRunLocked(pit->second, suite_id, c.body, 0, "", 0, c.user_id, &run_id, &err))
    return err;
  return Ok(RunJson(runs_.at(run_id)));
}

ApiResponse Model::GetRunApi(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  return Ok(RunJson(it->second));
}

ApiResponse Model::GetRuns(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  bool bad = false;
  auto completed = IntFilter(c, "is_completed", &bad);
  auto created_after = IntFilter(c, "created_after", &bad);
  auto created_before = IntFilter(c, "created_before", &bad);
  auto suites = IntListFilter(c, "suite_id");
  auto creators = IntListFilter(c, "created_by");
  auto milestones = IntListFilter(c, "milestone_id");
  std::vector<const Run*> matches;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {  // newest first
    const Run& r = it->second;
    if (r.project_id != id || r.plan_id != 0) continue;
    if (completed && (*completed != 0) != r.is_completed) continue;
    if (created_after && r.created_on < *created_after) continue;
    if (created_before && r.created_on > *created_before) continue;
    if (suites && !suites->count(r.suite_id)) continue;
    if (creators && !creators->count(r.created_by)) continue;
    if (milestones && !milestones->count(r.milestone_id)) continue;
    matches.push_back(&r);
  }
  return Paginate(c, "runs", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total, [&](const Run* r) { return RunJson(*r); });
  });
}

ApiResponse Model::UpdateRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  Run& run = it->second;
  if (run.is_completed) return Error(403, kRunCompleted);
  if (run.plan_id != 0) return Error(403, kRunInPlanEdit);
  std::vector<int64_t> case_ids;
  bool cases_change = false;
  if (!CheckRunUpdateLocked(run, c.body, &case_ids, &cases_change, &err)) return err;
  ApplyRunUpdateLocked(run, c.body, case_ids, cases_change);
  return Ok(RunJson(run));
}

bool Model::CheckRunUpdateLocked(const Run& run, const Json& body, std::vector<int64_t>* case_ids,
                                 bool* cases_change, ApiResponse* err) const {
  if (body.contains("name")) {
    std::string name = JsonStr(body, "name");
    if (name.empty()) {
      *err = Error(400, Required("name"));
      return false;
    }
    if (name.size() > kMaxNameLength) {
      *err = Error(400, TooLong("name"));
      return false;
    }
  }
  if (body.contains("milestone_id") && !body["milestone_id"].is_null() &&
      !ValidMilestoneLocked(run.project_id, body["milestone_id"])) {
    *err = Error(400, "Field :milestone_id is not a valid milestone.");
    return false;
  }
  if (body.contains("assignedto_id") && !body["assignedto_id"].is_null() &&
      !ValidUserLocked(body["assignedto_id"])) {
    *err = Error(400, "Field :assignedto_id is not a valid user.");
    return false;
  }
  bool include_all = JsonBool(body, "include_all", run.include_all);
  *cases_change = include_all != run.include_all || body.contains("case_ids");
  if (*cases_change) {
    Json ids = body.contains("case_ids") ? body["case_ids"] : Json(nullptr);
    if (!include_all && ids.is_null()) {
      ids = Json::array();
      for (int64_t tid : run.test_ids) ids.push_back(tests_.at(tid).case_id);
    }
    if (!BuildCaseListLocked(run.suite_id, include_all, ids, case_ids, err)) return false;
  }
  return true;
}

void Model::ApplyRunUpdateLocked(Run& run, const Json& body, const std::vector<int64_t>& case_ids,
                                 bool cases_change) {
  if (body.contains("name")) run.name = JsonStr(body, "name");
  if (body.contains("description")) run.description = JsonStr(body, "description");
  if (body.contains("refs")) run.refs = JsonStr(body, "refs");
  int64_t n = 0;
  if (body.contains("milestone_id")) run.milestone_id = JsonInt(body["milestone_id"], &n) ? n : 0;
  if (body.contains("assignedto_id"))
    run.assignedto_id = JsonInt(body["assignedto_id"], &n) ? n : 0;
  if (cases_change) {
    run.include_all = JsonBool(body, "include_all", run.include_all);
    SetRunCasesLocked(run, case_ids);
  }
  run.updated_on = Now();
}

ApiResponse Model::CloseRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  Run& run = it->second;
  if (run.plan_id != 0) return Error(403, kRunInPlanClose);
  if (run.is_completed) return Error(403, kRunCompleted);
  run.is_completed = true;
  run.completed_on = Now();
  return Ok(RunJson(run));
}

void Model::DeleteRunLocked(int64_t run_id) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  for (int64_t rid : it->second.result_ids) {
    results_.erase(rid);
  }
  for (int64_t tid : it->second.test_ids) tests_.erase(tid);
  runs_.erase(it);
}

ApiResponse Model::DeleteRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  if (it->second.plan_id != 0) return Error(403, kRunInPlanDelete);
  DeleteRunLocked(id);
  return EmptyOk();
}

// ---------------------------------------------------------------------------------------------
// Plans.

ApiResponse Model::GetPlanApi(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "plan_id", &id, &err)) return err;
  auto it = plans_.find(id);
  if (it == plans_.end()) return Error(400, kInvalidPlan);
  return Ok(PlanJson(it->second, true));
}

ApiResponse Model::GetPlans(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  bool bad = false;
  auto completed = IntFilter(c, "is_completed", &bad);
  auto created_after = IntFilter(c, "created_after", &bad);
  auto created_before = IntFilter(c, "created_before", &bad);
  std::vector<const Plan*> matches;
  for (auto it = plans_.rbegin(); it != plans_.rend(); ++it) {
    const Plan& p = it->second;
    if (p.project_id != id) continue;
    if (completed && (*completed != 0) != p.is_completed) continue;
    if (created_after && p.created_on < *created_after) continue;
    if (created_before && p.created_on > *created_before) continue;
    matches.push_back(&p);
  }
  return Paginate(c, "plans", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total, [&](const Plan* p) { return PlanJson(*p, false); });
  });
}

ApiResponse Model::ClosePlan(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "plan_id", &id, &err)) return err;
  auto it = plans_.find(id);
  if (it == plans_.end()) return Error(400, kInvalidPlan);
  Plan& plan = it->second;
  if (plan.is_completed) return Error(403, kPlanCompleted);
  int64_t now = Now();
  plan.is_completed = true;
  plan.completed_on = now;
  for (const auto& e : plan.entries) {
    for (int64_t rid : e.run_ids) {
      Run& r = runs_.at(rid);
      if (!r.is_completed) {
        r.is_completed = true;
        r.completed_on = now;
      }
    }
  }
  return Ok(PlanJson(plan, true));
}

ApiResponse Model::DeletePlan(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "plan_id", &id, &err)) return err;
  auto it = plans_.find(id);
  if (it == plans_.end()) return Error(400, kInvalidPlan);
  for (const auto& e : it->second.entries)
    for (int64_t rid : e.run_ids) DeleteRunLocked(rid);
  plans_.erase(it);
  return EmptyOk();
}

// ---------------------------------------------------------------------------------------------
// Results and tests.

// add_result / add_result_for_case report the offending field directly.
static std::string SingleResultError(const std::string& why) {
  if (why.rfind("status_id,", 0) == 0) return "Field :status_id is a required field.";
  if (why.rfind("status_id", 0) == 0) return "Field :status_id is not a valid status.";
  return "Field :results contains one or more invalid results (" + why + ")";
}

std::string Model::ValidateResultEntry(const Run& run, const Json& entry, bool by_case, bool bulk,
                                       int64_t* test_id) const {
  auto invalid = [&](const std::string& why) {
    return bulk ? "Field :results contains one or more invalid results (" + why + ")"
                : SingleResultError(why);
  };
  if (!entry.is_object()) return invalid("result is not an object");
  int64_t id = 0;
  if (by_case) {
    if (!entry.contains("case_id")) return Required("results.case_id");
    if (!JsonInt(entry["case_id"], &id)) return invalid("case_id is not a valid ID");
    auto it = run.test_by_case.find(id);
    if (it == run.test_by_case.end())
      return invalid("case C" + std::to_string(id) + " unknown or not part of the test run");
    *test_id = it->second;
  } else {
    if (!entry.contains("test_id")) return Required("results.test_id");
    if (!JsonInt(entry["test_id"], &id)) return invalid("test_id is not a valid ID");
    auto it = tests_.find(id);
    if (it == tests_.end() || it->second.run_id != run.id)
      return invalid("test T" + std::to_string(id) + " unknown or not part of the test run");
    *test_id = id;
  }
  bool has_status = entry.contains("status_id") && !entry["status_id"].is_null();
  bool has_comment = entry.contains("comment") && !entry["comment"].is_null() &&
                     !(entry["comment"].is_string() && entry["comment"].get<std::string>().empty());
  bool has_assignee = entry.contains("assignedto_id") && !entry["assignedto_id"].is_null();
  if (!has_status && !has_comment && !has_assignee)
    return invalid("status_id, comment or assignedto_id is required");
  if (has_status) {
    int64_t sid = 0;
    bool valid = JsonInt(entry["status_id"], &sid) && sid != 3;
    if (valid) {
      valid = false;
      for (const auto& s : statuses_) valid |= s.id == sid;
    }
    if (!valid) return invalid("status_id " + entry["status_id"].dump() + " is not a valid status");
  }
  if (has_assignee && !ValidUserLocked(entry["assignedto_id"]))
    return bulk ? "Field :results.assignedto_id is not a valid user."
                : "Field :assignedto_id is not a valid user.";
  if (entry.contains("elapsed") && !entry["elapsed"].is_null()) {
    const Json& e = entry["elapsed"];
    bool valid = e.is_number_integer() ? e.get<int64_t>() > 0
                                       : e.is_string() && ValidElapsed(e.get<std::string>());
    if (!valid)
      return "Field :" + std::string(bulk ? "results." : "") +
             "elapsed is not in a valid time span format.";
  }
  return CheckResultFieldsLocked(run.project_id, *test_id, entry, bulk);
}

int64_t Model::StoreResultLocked(Run& run, int64_t test_id, const Json& entry, int64_t user_id) {
  Result r;
  r.id = next_result_id_++;
  r.test_id = test_id;
  r.run_id = run.id;
  int64_t n = 0;
  if (entry.contains("status_id") && JsonInt(entry["status_id"], &n))
    r.status_id = static_cast<int>(n);
  if (entry.contains("assignedto_id") && JsonInt(entry["assignedto_id"], &n)) r.assignedto_id = n;
  r.comment = JsonStr(entry, "comment");
  r.version = JsonStr(entry, "version");
  if (entry.contains("elapsed") && entry["elapsed"].is_number_integer()) {
    r.elapsed = std::to_string(entry["elapsed"].get<int64_t>()) + "s";
  } else {
    r.elapsed = JsonStr(entry, "elapsed");
  }
  r.defects = JsonStr(entry, "defects");
  for (const auto& [k, v] : entry.items()) {
    if (k.rfind("custom_", 0) == 0) r.custom[k] = v;
  }
  r.created_on = Now();
  r.created_by = user_id;
  Test& t = tests_.at(test_id);
  if (r.status_id != 0) {
    run.counts[t.status_id]--;
    t.status_id = r.status_id;
    run.counts[t.status_id]++;
  }
  if (r.assignedto_id != 0) t.assignedto_id = r.assignedto_id;
  run.result_ids.push_back(r.id);
  results_[r.id] = std::move(r);
  return run.result_ids.back();
}

ApiResponse Model::AddResultsForCases(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  bool by_case = c.method == "add_results_for_cases";
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  Run& run = it->second;
  if (run.is_completed) return Error(403, kRunCompleted);
  if (!c.body.contains("results") || c.body["results"].is_null())
    return Error(400, Required("results"));
  const Json& results = c.body["results"];
  if (!results.is_array()) return Error(400, "Field :results is not a valid array.");
  if (results.empty()) return Error(400, "Field :results cannot be empty.");
  std::vector<int64_t> test_ids;
  test_ids.reserve(results.size());
  for (const auto& entry : results) {
    int64_t tid = 0;
    std::string why = ValidateResultEntry(run, entry, by_case, /*bulk=*/true, &tid);
    if (!why.empty()) return Error(400, why);
    test_ids.push_back(tid);
  }
  Json out = Json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    int64_t rid = StoreResultLocked(run, test_ids[i], results[i], c.user_id);
    out.push_back(ResultJson(results_.at(rid)));
  }
  run.updated_on = Now();
  ApiResponse r = Ok(std::move(out));
  r.results_written = results.size();
  return r;
}

ApiResponse Model::AddResults(const ApiCall& c) { return AddResultsForCases(c); }

ApiResponse Model::AddResultForCase(const ApiCall& c) {
  int64_t run_id = 0;
  int64_t case_id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &run_id, &err)) return err;
  if (!IdArg(c, 1, "case_id", &case_id, &err)) return err;
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  Run& run = it->second;
  if (run.is_completed) return Error(403, kRunCompleted);
  auto cit = cases_.find(case_id);
  if (cit == cases_.end() || cit->second.is_deleted) return Error(400, kInvalidCase);
  if (!run.test_by_case.count(case_id))
    return Error(400, "No (active) test found for the run/case combination.");
  Json entry = c.body;
  entry["case_id"] = case_id;
  int64_t tid = 0;
  std::string why = ValidateResultEntry(run, entry, true, /*bulk=*/false, &tid);
  if (!why.empty()) return Error(400, why);
  int64_t rid = StoreResultLocked(run, tid, entry, c.user_id);
  ApiResponse r = Ok(ResultJson(results_.at(rid)));
  r.results_written = 1;
  return r;
}

ApiResponse Model::AddResult(const ApiCall& c) {
  int64_t test_id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "test_id", &test_id, &err)) return err;
  auto tit = tests_.find(test_id);
  if (tit == tests_.end()) return Error(400, kInvalidTest);
  Run& run = runs_.at(tit->second.run_id);
  if (run.is_completed) return Error(403, kRunCompleted);
  Json entry = c.body;
  entry["test_id"] = test_id;
  int64_t tid = 0;
  std::string why = ValidateResultEntry(run, entry, false, /*bulk=*/false, &tid);
  if (!why.empty()) return Error(400, why);
  int64_t rid = StoreResultLocked(run, tid, entry, c.user_id);
  ApiResponse r = Ok(ResultJson(results_.at(rid)));
  r.results_written = 1;
  return r;
}

ApiResponse Model::GetTests(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  auto statuses = IntListFilter(c, "status_id");
  auto to_json = [&](int64_t tid) { return TestJson(tests_.at(tid)); };
  if (!statuses) {
    return Paginate(c, "tests", [&](size_t offset, size_t limit, size_t* total) {
      return Slice(it->second.test_ids, offset, limit, total, to_json);
    });
  }
  std::vector<int64_t> matches;
  for (int64_t tid : it->second.test_ids)
    if (statuses->count(tests_.at(tid).status_id)) matches.push_back(tid);
  return Paginate(c, "tests", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total, to_json);
  });
}

ApiResponse Model::GetTest(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "test_id", &id, &err)) return err;
  auto it = tests_.find(id);
  if (it == tests_.end()) return Error(400, kInvalidTest);
  return Ok(TestJson(it->second));
}

namespace {
// Newest first, with created_after/created_before/status_id filters.
template <typename Pred>
std::vector<int64_t> FilterResults(const std::vector<int64_t>& ids,
                                   const std::unordered_map<int64_t, Model::Result>& results,
                                   const ApiCall& c, Pred&& keep) {
  bool bad = false;
  auto created_after = IntFilter(c, "created_after", &bad);
  auto created_before = IntFilter(c, "created_before", &bad);
  auto statuses = IntListFilter(c, "status_id");
  std::vector<int64_t> out;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    const Model::Result& r = results.at(*it);
    if (!keep(r)) continue;
    if (created_after && r.created_on < *created_after) continue;
    if (created_before && r.created_on > *created_before) continue;
    if (statuses && !statuses->count(r.status_id)) continue;
    out.push_back(*it);
  }
  return out;
}
}  // namespace

ApiResponse Model::GetResultsForRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  auto matches =
      FilterResults(it->second.result_ids, results_, c, [](const Result&) { return true; });
  return Paginate(c, "results", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total,
                 [&](int64_t rid) { return ResultJson(results_.at(rid)); });
  });
}

ApiResponse Model::GetResultsForCase(const ApiCall& c) {
  int64_t run_id = 0;
  int64_t case_id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &run_id, &err)) return err;
  if (!IdArg(c, 1, "case_id", &case_id, &err)) return err;
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  auto tit = it->second.test_by_case.find(case_id);
  if (tit == it->second.test_by_case.end())
    return Error(400, "No (active) test found for the run/case combination.");
  int64_t test_id = tit->second;
  auto matches = FilterResults(it->second.result_ids, results_, c,
                               [&](const Result& r) { return r.test_id == test_id; });
  return Paginate(c, "results", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total,
                 [&](int64_t rid) { return ResultJson(results_.at(rid)); });
  });
}

ApiResponse Model::GetResults(const ApiCall& c) {
  int64_t test_id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "test_id", &test_id, &err)) return err;
  auto tit = tests_.find(test_id);
  if (tit == tests_.end()) return Error(400, kInvalidTest);
  const Run& run = runs_.at(tit->second.run_id);
  auto matches = FilterResults(run.result_ids, results_, c,
                               [&](const Result& r) { return r.test_id == test_id; });
  return Paginate(c, "results", [&](size_t offset, size_t limit, size_t* total) {
    return Slice(matches, offset, limit, total,
                 [&](int64_t rid) { return ResultJson(results_.at(rid)); });
  });
}

// ---------------------------------------------------------------------------------------------
// Direct accessors.

bool Model::UpdateCaseTitle(int64_t case_id, const std::string& title) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cases_.find(case_id);
  if (it == cases_.end() || it->second.is_deleted) return false;
  it->second.title = title;
  it->second.updated_on = Now();
  return true;
}

bool Model::DeleteCase(int64_t case_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cases_.find(case_id);
  if (it == cases_.end() || it->second.is_deleted) return false;
  it->second.is_deleted = true;
  it->second.updated_on = Now();
  RemoveCaseFromIndexesLocked(it->second);
  return true;
}

std::optional<int64_t> Model::AddCase(int64_t section_id, const std::string& title) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t id = 0;
  ApiResponse err;
  if (!AddCaseLocked(section_id, Json{{"title", title}}, 1, &id, &err)) return std::nullopt;
  return id;
}

std::optional<Json> Model::GetCase(int64_t case_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return std::nullopt;
  return CaseJson(it->second);
}

std::optional<Json> Model::GetRun(int64_t run_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return std::nullopt;
  return RunJson(it->second);
}

std::optional<Json> Model::GetPlan(int64_t plan_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = plans_.find(plan_id);
  if (it == plans_.end()) return std::nullopt;
  return PlanJson(it->second, true);
}

std::vector<Json> Model::ResultsForRun(int64_t run_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Json> out;
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return out;
  for (int64_t rid : it->second.result_ids) {
    Json j = ResultJson(results_.at(rid));
    j["case_id"] = tests_.at(results_.at(rid).test_id).case_id;  // convenience for tests
    out.push_back(std::move(j));
  }
  return out;
}

size_t Model::CaseCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& [id, v] : suite_cases_) n += v.size();
  return n;
}

size_t Model::RunCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return runs_.size();
}

size_t Model::ResultCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return results_.size();
}

}  // namespace testrail_sim
