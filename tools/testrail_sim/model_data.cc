// Loading, saving and generating the simulator's data: the deterministic catalog generator
// (--generate), the JSON description loader (--data) and the snapshot (--state).
#include <algorithm>
#include <array>

#include "model.h"

namespace testrail_sim {
namespace {

// splitmix64: small, fast and deterministic across platforms.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

constexpr std::array kVerbs = {"Verify", "Check",  "Ensure", "Validate", "Confirm",
                               "Test",   "Reject", "Allow",  "Display",  "Export"};
constexpr std::array kObjects = {
    "login",          "logout",        "password reset", "user profile",
    "search results", "shopping cart", "checkout",       "invoice PDF",
    "order history",  "API token",     "audit log",      "dashboard widget",
    "file upload",    "notification",  "report export",  "session timeout"};
constexpr std::array kConditions = {"with valid input",   "with an empty field",
                                    "for a guest user",   "for an admin",
                                    "on a slow network",  "after a page reload",
                                    "with unicode text",  "in dark mode",
                                    "with 1000 items",    "when the server returns 500",
                                    "on mobile viewport", "with an expired session"};
constexpr std::array kAreas = {"Authentication", "Accounts",      "Billing", "Catalog",
                               "Checkout",       "Reporting",     "Search",  "Settings",
                               "Integrations",   "Notifications", "Admin",   "Mobile"};
constexpr std::array kSubAreas = {"Smoke", "Regression", "Edge cases",  "Permissions",
                                  "UI",    "API",        "Performance", "Localization"};
constexpr std::array kSuiteNames = {"Master",  "Web",     "API",      "Mobile",
                                    "Backend", "Desktop", "Security", "Performance"};
constexpr std::array kProjectNames = {"Nexus Demo",    "Storefront", "Payments",  "Mobile App",
                                      "Data Platform", "Identity",   "Analytics", "Back Office"};

constexpr int64_t kEpoch = 1672531200;  // 2023-01-01T00:00:00Z, fixed for determinism

int64_t I64(const Json& j, const char* key, int64_t def = 0) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
  return def;
}
bool Bool(const Json& j, const char* key, bool def = false) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<int64_t>() != 0;
  return def;
}
std::string Str(const Json& j, const char* key, const std::string& def = "") {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return def;
  return it->get<std::string>();
}

// A field in TestRail's get_*_fields shape (plus "is_result"), as snapshots write it.
bool FieldFromJson(const Json& x, bool is_result, CustomField* f, std::string* error) {
  f->id = I64(x, "id");
  f->is_result = Bool(x, "is_result", is_result);
  f->name = Str(x, "name");
  if (f->name.rfind("custom_", 0) == 0) f->name = f->name.substr(7);
  if (f->name.empty()) {
    *error = "field without a name";
    return false;
  }
  f->label = Str(x, "label", f->name);
  f->description = Str(x, "description");
  f->type_id = static_cast<int>(I64(x, "type_id", 1));
  if (f->type_id < 1 || f->type_id > 12) {
    *error = "field " + f->name + ": type_id must be 1..12";
    return false;
  }
  f->display_order = static_cast<int>(I64(x, "display_order"));
  f->is_active = Bool(x, "is_active", true);
  f->include_all = Bool(x, "include_all", true);
  if (x.contains("template_ids") && x["template_ids"].is_array())
    for (const auto& v : x["template_ids"])
      if (v.is_number_integer()) f->template_ids.push_back(v.get<int64_t>());
  for (const auto& c : x.value("configs", Json::array())) {
    FieldConfig cfg;
    cfg.id = I64(c, "id", f->id);
    Json ctx = c.value("context", Json::object());
    cfg.is_global = Bool(ctx, "is_global", true);
    if (ctx.contains("project_ids") && ctx["project_ids"].is_array())
      for (const auto& v : ctx["project_ids"])
        if (v.is_number_integer()) cfg.project_ids.push_back(v.get<int64_t>());
    Json opt = c.value("options", Json::object());
    cfg.is_required = Bool(opt, "is_required");
    cfg.default_value = Str(opt, "default_value");
    std::string items = Str(opt, "items");
    size_t start = 0;
    while (start < items.size()) {
      size_t nl = items.find('\n', start);
      if (nl == std::string::npos) nl = items.size();
      std::string line = items.substr(start, nl - start);
      start = nl + 1;
      size_t comma = line.find(',');
      if (comma == std::string::npos) continue;
      try {
        int64_t id = std::stoll(line.substr(0, comma));
        size_t b = line.find_first_not_of(' ', comma + 1);
        cfg.items.push_back({id, b == std::string::npos ? "" : line.substr(b)});
      } catch (...) {
        *error = "field " + f->name + ": bad items line '" + line + "'";
        return false;
      }
    }
    f->configs.push_back(cfg);
  }
  if (f->configs.empty()) {
    FieldConfig cfg;
    cfg.id = f->id;
    f->configs.push_back(cfg);
  }
  return true;
}

}  // namespace

void Model::ClearLocked() {
  projects_.clear();
  suites_.clear();
  sections_.clear();
  cases_.clear();
  runs_.clear();
  plans_.clear();
  tests_.clear();
  results_.clear();
  attachments_.clear();
  suite_cases_.clear();
  section_cases_.clear();
  suite_sections_.clear();
  milestones_.clear();
  labels_.clear();
  config_groups_.clear();
  configs_.clear();
  SetDefaultFieldsLocked();
  next_milestone_id_ = next_config_group_id_ = next_config_id_ = 1;
  next_project_id_ = next_suite_id_ = next_section_id_ = next_case_id_ = next_run_id_ =
      next_plan_id_ = next_test_id_ = next_result_id_ = next_attachment_id_ = uuid_counter_ = 1;
}

void Model::RebuildIndexesLocked() {
  suite_cases_.clear();
  section_cases_.clear();
  suite_sections_.clear();
  std::vector<int64_t> ids;
  ids.reserve(cases_.size());
  for (const auto& [id, c] : cases_)
    if (!c.is_deleted) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) {
    const Case& c = cases_.at(id);
    suite_cases_[c.suite_id].push_back(id);
    section_cases_[c.section_id].push_back(id);
  }
  for (const auto& [id, s] : suites_) RenumberSectionsLocked(id);
}

void Model::Generate(const GenerateSpec& spec) {
  SetCustomStatuses(spec.custom_statuses);
  std::lock_guard<std::mutex> lock(mutex_);
  ClearLocked();
  Rng rng(20240601);
  for (int p = 0; p < spec.projects; ++p) {
    Project project;
    project.id = next_project_id_++;
    project.name = kProjectNames[p % kProjectNames.size()];
    if (p >= static_cast<int>(kProjectNames.size())) project.name += " " + std::to_string(p + 1);
    // Project 1 carries the big catalog (multi-suite when suites > 1); the others cycle
    // through the three suite modes with smaller catalogs.
    int suite_count = 1;
    if (p == 0) {
      project.suite_mode = spec.suites > 1 ? 3 : 1;
      suite_count = std::max(1, spec.suites);
    } else {
      project.suite_mode = 1 + ((p - 1) % 3);
      suite_count = project.suite_mode == 3 ? std::max(2, spec.suites) : 1;
    }
    int cases_per_suite = p == 0 ? spec.cases : std::max(spec.cases > 0 ? 5 : 0, spec.cases / 10);
    int sections_per_suite = p == 0 ? spec.sections : std::max(1, spec.sections / 2);
    if (sections_per_suite == 0 && cases_per_suite > 0) sections_per_suite = 1;
    projects_[project.id] = project;
    for (int s = 0; s < suite_count; ++s) {
      Suite suite;
      suite.id = next_suite_id_++;
      suite.project_id = project.id;
      suite.name = project.suite_mode == 3
                       ? kSuiteNames[s % kSuiteNames.size()] +
                             std::string(s >= static_cast<int>(kSuiteNames.size())
                                             ? " " + std::to_string(s + 1)
                                             : "")
                       : "Master";
      suite.description = "Test cases of " + project.name + " / " + suite.name;
      suite.is_master = s == 0;
      suites_[suite.id] = suite;
      std::vector<int64_t> suite_sections;
      for (int x = 0; x < sections_per_suite; ++x) {
        Section sec;
        sec.id = next_section_id_++;
        sec.suite_id = suite.id;
        // Parent: a previous section whose depth allows one more level, or top level.
        std::vector<int64_t> candidates;
        for (int64_t sid : suite_sections)
          if (sections_.at(sid).depth + 1 < spec.depth) candidates.push_back(sid);
        if (!candidates.empty() && x > 0 && rng.Below(3) != 0) {
          sec.parent_id = candidates[rng.Below(candidates.size())];
          sec.depth = sections_.at(sec.parent_id).depth + 1;
          sec.name = kSubAreas[rng.Below(kSubAreas.size())];
        } else {
          sec.name = kAreas[x % kAreas.size()];
        }
        sec.name += " " + std::to_string(x + 1);
        sec.description = "Section " + std::to_string(x + 1) + " of " + suite.name;
        sections_[sec.id] = sec;
        suite_sections.push_back(sec.id);
      }
      for (int n = 0; n < cases_per_suite; ++n) {
        Case c;
        c.id = next_case_id_++;
        c.suite_id = suite.id;
        c.section_id = suite_sections[rng.Below(suite_sections.size())];
        c.title = std::string(kVerbs[rng.Below(kVerbs.size())]) + " " +
                  kObjects[rng.Below(kObjects.size())] + " " +
                  kConditions[rng.Below(kConditions.size())] + " #" + std::to_string(c.id);
        c.type_id = 1 + static_cast<int>(rng.Below(12));
        c.priority_id = 1 + static_cast<int>(rng.Below(4));
        if (rng.Below(10) < 3) c.refs = "NEX-" + std::to_string(100 + rng.Below(900));
        if (rng.Below(4) == 0) c.estimate = std::to_string(1 + rng.Below(10)) + "m";
        // Created over one year, updated up to ~180 days later.
        c.created_on = kEpoch + static_cast<int64_t>(n) * 31536000 / std::max(1, cases_per_suite);
        c.updated_on = c.created_on + static_cast<int64_t>(rng.Below(180 * 86400));
        c.custom["custom_automation_type"] = static_cast<int>(rng.Below(3));
        c.display_order = n + 1;
        cases_[c.id] = std::move(c);
      }
    }
  }
  // Two case labels per project (get_labels, TestRail 9.x).
  int64_t next_label = 1;
  for (const auto& [pid, p] : projects_) {
    for (const char* title : {"smoke", "regression"}) {
      Label l{next_label, pid, title, 1, kEpoch};
      labels_[l.id] = l;
      ++next_label;
    }
  }
  RebuildIndexesLocked();
  ApplyExtrasLocked(spec);
}

void Model::ApplyExtrasLocked(const GenerateSpec& spec) {
  for (CustomField f : spec.result_fields) {
    f.id = next_field_id_++;
    f.is_result = true;
    int order = 1;
    for (const auto& [id, other] : fields_) order += other.is_result ? 1 : 0;
    f.display_order = order;
    for (auto& cfg : f.configs) cfg.id = f.id;
    fields_[f.id] = f;
  }
  if (spec.version_required) version_required_ = true;
  for (const auto& [pid, project] : projects_) {
    for (const auto& g : spec.configs) {
      ConfigGroup group;
      group.id = next_config_group_id_++;
      group.project_id = pid;
      group.name = g.name;
      for (const auto& name : g.configs) {
        Config cfg{next_config_id_++, group.id, name};
        group.config_ids.push_back(cfg.id);
        configs_[cfg.id] = cfg;
      }
      config_groups_[group.id] = group;
    }
    // Milestones: odd ones top level ("Release 1.k"), each even one a sub-milestone of the
    // one before ("Sprint k.1"); the first release is completed when there are 3 or more, the
    // last one not started yet. Due dates a month apart from the fixed epoch.
    int64_t parent = 0;
    int release = 0;
    for (int i = 1; i <= spec.milestones; ++i) {
      Milestone m;
      m.id = next_milestone_id_++;
      m.project_id = pid;
      if (i % 2 == 1) {
        ++release;
        m.name = "Release 1." + std::to_string(release);
        parent = m.id;
      } else {
        m.parent_id = parent;
        m.name = "Sprint " + std::to_string(release) + ".1";
      }
      m.description = m.name + " of " + project.name;
      m.start_on = kEpoch + static_cast<int64_t>(i - 1) * 30 * 86400;
      m.due_on = m.start_on + 30 * 86400;
      m.is_started = i < spec.milestones;
      if (m.is_started) m.started_on = m.start_on;
      if (spec.milestones >= 3 && release == 1) {
        m.is_completed = true;
        m.completed_on = m.due_on;
      }
      milestones_[m.id] = m;
    }
  }
  if (spec.steps_template) {
    static const char* kSteps[][2] = {{"Open the page", "The page loads"},
                                      {"Fill in the form", "No validation error is shown"},
                                      {"Submit", "A confirmation appears"}};
    for (auto& [id, c] : cases_) {
      c.template_id = 2;
      Json steps = Json::array();
      size_t count = 2 + static_cast<size_t>(id % 2);
      for (size_t k = 0; k < count; ++k)
        steps.push_back({{"content", kSteps[k][0]}, {"expected", kSteps[k][1]}});
      c.custom["custom_steps_separated"] = steps;
    }
  }
}

void Model::AddExtras(const GenerateSpec& spec) {
  std::lock_guard<std::mutex> lock(mutex_);
  ApplyExtrasLocked(spec);
}

std::string Model::ConfigNames(const std::vector<int64_t>& config_ids) const {
  std::string out;
  for (int64_t id : config_ids) {
    auto it = configs_.find(id);
    if (it == configs_.end()) continue;
    if (!out.empty()) out += ", ";
    out += it->second.name;
  }
  return out;
}

Json Model::ToJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Json j;
  j["format"] = "testrail-sim-state/1";
  j["custom_statuses"] = static_cast<int>(statuses_.size()) - 5;
  Json users = Json::array();
  for (const auto& u : users_)
    users.push_back({{"id", u.id},
                     {"name", u.name},
                     {"email", u.email},
                     {"password", u.password},
                     {"api_key", u.api_key},
                     {"is_active", u.is_active},
                     {"is_admin", u.is_admin}});
  j["users"] = users;
  Json projects = Json::array();
  for (const auto& [id, p] : projects_)
    projects.push_back({{"id", p.id},
                        {"name", p.name},
                        {"announcement", p.announcement},
                        {"suite_mode", p.suite_mode},
                        {"is_completed", p.is_completed},
                        {"completed_on", p.completed_on}});
  j["projects"] = projects;
  Json suites = Json::array();
  for (const auto& [id, s] : suites_)
    suites.push_back({{"id", s.id},
                      {"project_id", s.project_id},
                      {"name", s.name},
                      {"description", s.description},
                      {"is_master", s.is_master},
                      {"is_baseline", s.is_baseline},
                      {"is_completed", s.is_completed},
                      {"completed_on", s.completed_on}});
  j["suites"] = suites;
  Json sections = Json::array();
  for (const auto& [id, s] : sections_)
    sections.push_back({{"id", s.id},
                        {"suite_id", s.suite_id},
                        {"name", s.name},
                        {"description", s.description},
                        {"parent_id", s.parent_id}});
  j["sections"] = sections;
  std::vector<int64_t> case_ids;
  for (const auto& [id, c] : cases_) case_ids.push_back(id);
  std::sort(case_ids.begin(), case_ids.end());
  Json cases = Json::array();
  for (int64_t id : case_ids) {
    const Case& c = cases_.at(id);
    cases.push_back({{"id", c.id},
                     {"section_id", c.section_id},
                     {"title", c.title},
                     {"template_id", c.template_id},
                     {"type_id", c.type_id},
                     {"priority_id", c.priority_id},
                     {"milestone_id", c.milestone_id},
                     {"refs", c.refs},
                     {"estimate", c.estimate},
                     {"created_on", c.created_on},
                     {"updated_on", c.updated_on},
                     {"created_by", c.created_by},
                     {"updated_by", c.updated_by},
                     {"display_order", c.display_order},
                     {"is_deleted", c.is_deleted},
                     {"custom", c.custom}});
  }
  j["cases"] = cases;
  Json runs = Json::array();
  for (const auto& [id, r] : runs_) {
    Json tests = Json::array();
    for (int64_t tid : r.test_ids) {
      const Test& t = tests_.at(tid);
      tests.push_back({{"id", t.id},
                       {"case_id", t.case_id},
                       {"status_id", t.status_id},
                       {"assignedto_id", t.assignedto_id},
                       {"title", t.title}});
    }
    Json results = Json::array();
    for (int64_t rid : r.result_ids) {
      const Result& x = results_.at(rid);
      results.push_back({{"id", x.id},
                         {"test_id", x.test_id},
                         {"status_id", x.status_id},
                         {"comment", x.comment},
                         {"version", x.version},
                         {"elapsed", x.elapsed},
                         {"defects", x.defects},
                         {"assignedto_id", x.assignedto_id},
                         {"created_on", x.created_on},
                         {"created_by", x.created_by},
                         {"attachment_ids", x.attachment_ids},
                         {"custom", x.custom}});
    }
    runs.push_back({{"id", r.id},
                    {"project_id", r.project_id},
                    {"suite_id", r.suite_id},
                    {"name", r.name},
                    {"description", r.description},
                    {"milestone_id", r.milestone_id},
                    {"assignedto_id", r.assignedto_id},
                    {"include_all", r.include_all},
                    {"is_completed", r.is_completed},
                    {"completed_on", r.completed_on},
                    {"plan_id", r.plan_id},
                    {"entry_id", r.entry_id},
                    {"entry_index", r.entry_index},
                    {"config_ids", r.config_ids},
                    {"refs", r.refs},
                    {"created_on", r.created_on},
                    {"updated_on", r.updated_on},
                    {"created_by", r.created_by},
                    {"tests", tests},
                    {"results", results}});
  }
  j["runs"] = runs;
  Json plans = Json::array();
  for (const auto& [id, p] : plans_) {
    Json entries = Json::array();
    for (const auto& e : p.entries)
      entries.push_back({{"id", e.id},
                         {"suite_id", e.suite_id},
                         {"name", e.name},
                         {"description", e.description},
                         {"include_all", e.include_all},
                         {"refs", e.refs},
                         {"config_ids", e.config_ids},
                         {"run_ids", e.run_ids}});
    plans.push_back({{"id", p.id},
                     {"project_id", p.project_id},
                     {"name", p.name},
                     {"description", p.description},
                     {"milestone_id", p.milestone_id},
                     {"is_completed", p.is_completed},
                     {"completed_on", p.completed_on},
                     {"created_on", p.created_on},
                     {"created_by", p.created_by},
                     {"entries", entries}});
  }
  j["plans"] = plans;
  Json attachments = Json::array();
  for (const auto& [id, a] : attachments_)
    attachments.push_back({{"id", a.id},
                           {"result_id", a.result_id},
                           {"run_id", a.run_id},
                           {"test_id", a.test_id},
                           {"project_id", a.project_id},
                           {"user_id", a.user_id},
                           {"name", a.name},
                           {"media_type", a.media_type},
                           {"created_on", a.created_on},
                           {"size", a.size}});
  j["attachments"] = attachments;
  Json fields = Json::array();
  for (const auto& [id, f] : fields_) {
    Json x = FieldJson(f);
    x["is_result"] = f.is_result;
    fields.push_back(x);
  }
  j["fields"] = fields;
  j["version_required"] = version_required_;
  Json milestones = Json::array();
  for (const auto& [id, m] : milestones_)
    milestones.push_back({{"id", m.id},
                          {"project_id", m.project_id},
                          {"parent_id", m.parent_id},
                          {"name", m.name},
                          {"description", m.description},
                          {"refs", m.refs},
                          {"start_on", m.start_on},
                          {"started_on", m.started_on},
                          {"due_on", m.due_on},
                          {"is_started", m.is_started},
                          {"is_completed", m.is_completed},
                          {"completed_on", m.completed_on}});
  j["milestones"] = milestones;
  Json groups = Json::array();
  for (const auto& [id, g] : config_groups_) {
    Json configs = Json::array();
    for (int64_t cid : g.config_ids)
      configs.push_back({{"id", cid}, {"name", configs_.at(cid).name}});
    groups.push_back(
        {{"id", g.id}, {"project_id", g.project_id}, {"name", g.name}, {"configs", configs}});
  }
  j["config_groups"] = groups;
  Json labels = Json::array();
  for (const auto& [id, l] : labels_)
    labels.push_back({{"id", l.id},
                      {"project_id", l.project_id},
                      {"title", l.title},
                      {"created_by", l.created_by},
                      {"created_on", l.created_on}});
  j["labels"] = labels;
  j["next_ids"] = {{"uuid", uuid_counter_}};
  return j;
}

bool Model::LoadJson(const Json& data, std::string* error) {
  if (!data.is_object()) {
    *error = "data must be a JSON object";
    return false;
  }
  if (data.contains("custom_statuses"))
    SetCustomStatuses(static_cast<int>(I64(data, "custom_statuses")));
  std::lock_guard<std::mutex> lock(mutex_);
  ClearLocked();
  auto list = [&](const char* key) {
    return data.contains(key) && data[key].is_array() ? data[key] : Json::array();
  };
  auto bump = [](int64_t& next, int64_t id) { next = std::max(next, id + 1); };
  if (data.contains("users") && data["users"].is_array() && !data["users"].empty()) {
    users_.clear();
    int64_t next_user = 1;
    for (const auto& u : data["users"]) {
      UserRecord r;
      r.id = I64(u, "id", next_user);
      next_user = std::max(next_user, r.id + 1);
      r.name = Str(u, "name", "User " + std::to_string(r.id));
      r.email = Str(u, "email");
      r.password = Str(u, "password");
      r.api_key = Str(u, "api_key");
      r.is_active = Bool(u, "is_active", true);
      r.is_admin = Bool(u, "is_admin", true);
      users_.push_back(r);
    }
  }
  for (const auto& x : list("projects")) {
    Project p;
    p.id = I64(x, "id", next_project_id_);
    p.name = Str(x, "name", "Project " + std::to_string(p.id));
    p.announcement = Str(x, "announcement");
    p.suite_mode = static_cast<int>(I64(x, "suite_mode", 1));
    if (p.suite_mode < 1 || p.suite_mode > 3) {
      *error = "project " + std::to_string(p.id) + ": suite_mode must be 1, 2 or 3";
      return false;
    }
    p.is_completed = Bool(x, "is_completed");
    p.completed_on = I64(x, "completed_on");
    bump(next_project_id_, p.id);
    projects_[p.id] = p;
  }
  for (const auto& x : list("suites")) {
    Suite s;
    s.id = I64(x, "id", next_suite_id_);
    s.project_id = I64(x, "project_id", 1);
    if (!projects_.count(s.project_id)) {
      *error = "suite " + std::to_string(s.id) + ": unknown project_id";
      return false;
    }
    s.name = Str(x, "name", "Suite " + std::to_string(s.id));
    s.description = Str(x, "description");
    s.is_master = Bool(x, "is_master");
    s.is_baseline = Bool(x, "is_baseline");
    s.is_completed = Bool(x, "is_completed");
    s.completed_on = I64(x, "completed_on");
    bump(next_suite_id_, s.id);
    suites_[s.id] = s;
  }
  // Single-suite projects without a suite get their master suite.
  for (const auto& [pid, p] : projects_) {
    bool has = false;
    for (const auto& [sid, s] : suites_) has |= s.project_id == pid;
    if (!has) {
      Suite s;
      s.id = next_suite_id_++;
      s.project_id = pid;
      s.name = "Master";
      s.is_master = true;
      suites_[s.id] = s;
    }
  }
  for (const auto& x : list("sections")) {
    Section s;
    s.id = I64(x, "id", next_section_id_);
    s.suite_id = I64(x, "suite_id", 0);
    s.parent_id = I64(x, "parent_id", 0);
    s.name = Str(x, "name", "Section " + std::to_string(s.id));
    s.description = Str(x, "description");
    if (s.suite_id == 0 && s.parent_id != 0 && sections_.count(s.parent_id))
      s.suite_id = sections_.at(s.parent_id).suite_id;
    if (!suites_.count(s.suite_id)) {
      *error = "section " + std::to_string(s.id) + ": unknown suite_id";
      return false;
    }
    bump(next_section_id_, s.id);
    sections_[s.id] = s;
  }
  for (const auto& [id, s] : sections_) {
    if (s.parent_id != 0 &&
        (!sections_.count(s.parent_id) || sections_.at(s.parent_id).suite_id != s.suite_id)) {
      *error = "section " + std::to_string(id) + ": unknown parent_id";
      return false;
    }
  }
  for (const auto& x : list("cases")) {
    Case c;
    c.id = I64(x, "id", next_case_id_);
    c.section_id = I64(x, "section_id", 0);
    if (!sections_.count(c.section_id)) {
      *error = "case " + std::to_string(c.id) + ": unknown section_id";
      return false;
    }
    c.suite_id = sections_.at(c.section_id).suite_id;
    c.title = Str(x, "title", "Case " + std::to_string(c.id));
    c.template_id = static_cast<int>(I64(x, "template_id", 1));
    c.type_id = static_cast<int>(I64(x, "type_id", 7));
    c.priority_id = static_cast<int>(I64(x, "priority_id", 2));
    c.milestone_id = I64(x, "milestone_id");
    c.refs = Str(x, "refs");
    c.estimate = Str(x, "estimate");
    c.created_on = I64(x, "created_on", kEpoch);
    c.updated_on = I64(x, "updated_on", c.created_on);
    c.created_by = I64(x, "created_by", 1);
    c.updated_by = I64(x, "updated_by", 1);
    c.display_order = I64(x, "display_order", c.id);
    c.is_deleted = Bool(x, "is_deleted");
    if (x.contains("custom") && x["custom"].is_object()) c.custom = x["custom"];
    for (const auto& [k, v] : x.items())
      if (k.rfind("custom_", 0) == 0) c.custom[k] = v;
    bump(next_case_id_, c.id);
    cases_[c.id] = std::move(c);
  }
  for (const auto& x : list("runs")) {
    Run r;
    r.id = I64(x, "id", next_run_id_);
    r.project_id = I64(x, "project_id", 1);
    r.suite_id = I64(x, "suite_id", 0);
    r.name = Str(x, "name");
    r.description = Str(x, "description");
    r.milestone_id = I64(x, "milestone_id");
    r.assignedto_id = I64(x, "assignedto_id");
    r.include_all = Bool(x, "include_all", true);
    r.is_completed = Bool(x, "is_completed");
    r.completed_on = I64(x, "completed_on");
    r.plan_id = I64(x, "plan_id");
    r.entry_id = Str(x, "entry_id");
    r.entry_index = static_cast<int>(I64(x, "entry_index"));
    if (x.contains("config_ids") && x["config_ids"].is_array())
      for (const auto& v : x["config_ids"]) r.config_ids.push_back(v.get<int64_t>());
    r.refs = Str(x, "refs");
    r.created_on = I64(x, "created_on", kEpoch);
    r.updated_on = I64(x, "updated_on", r.created_on);
    r.created_by = I64(x, "created_by", 1);
    for (const auto& t : x.value("tests", Json::array())) {
      Test test;
      test.id = I64(t, "id", next_test_id_);
      test.case_id = I64(t, "case_id");
      test.run_id = r.id;
      test.status_id = static_cast<int>(std::clamp<int64_t>(I64(t, "status_id", 3), 1, 12));
      test.assignedto_id = I64(t, "assignedto_id");
      test.title = Str(t, "title");
      bump(next_test_id_, test.id);
      r.test_ids.push_back(test.id);
      r.test_by_case[test.case_id] = test.id;
      r.counts[test.status_id]++;
      tests_[test.id] = test;
    }
    for (const auto& y : x.value("results", Json::array())) {
      Result res;
      res.id = I64(y, "id", next_result_id_);
      res.test_id = I64(y, "test_id");
      res.run_id = r.id;
      res.status_id = static_cast<int>(I64(y, "status_id"));
      res.comment = Str(y, "comment");
      res.version = Str(y, "version");
      res.elapsed = Str(y, "elapsed");
      res.defects = Str(y, "defects");
      res.assignedto_id = I64(y, "assignedto_id");
      res.created_on = I64(y, "created_on", kEpoch);
      res.created_by = I64(y, "created_by", 1);
      if (y.contains("attachment_ids") && y["attachment_ids"].is_array())
        for (const auto& v : y["attachment_ids"]) res.attachment_ids.push_back(v.get<int64_t>());
      if (y.contains("custom") && y["custom"].is_object()) res.custom = y["custom"];
      bump(next_result_id_, res.id);
      r.result_ids.push_back(res.id);
      results_[res.id] = std::move(res);
    }
    bump(next_run_id_, r.id);
    runs_[r.id] = std::move(r);
  }
  for (const auto& x : list("plans")) {
    Plan p;
    p.id = I64(x, "id", next_plan_id_);
    p.project_id = I64(x, "project_id", 1);
    p.name = Str(x, "name");
    p.description = Str(x, "description");
    p.milestone_id = I64(x, "milestone_id");
    p.is_completed = Bool(x, "is_completed");
    p.completed_on = I64(x, "completed_on");
    p.created_on = I64(x, "created_on", kEpoch);
    p.created_by = I64(x, "created_by", 1);
    for (const auto& e : x.value("entries", Json::array())) {
      Entry entry;
      entry.id = Str(e, "id");
      entry.suite_id = I64(e, "suite_id");
      entry.name = Str(e, "name");
      entry.description = Str(e, "description");
      entry.include_all = Bool(e, "include_all", true);
      entry.refs = Str(e, "refs");
      for (const auto& v : e.value("config_ids", Json::array()))
        entry.config_ids.push_back(v.get<int64_t>());
      for (const auto& v : e.value("run_ids", Json::array()))
        entry.run_ids.push_back(v.get<int64_t>());
      p.entries.push_back(entry);
    }
    bump(next_plan_id_, p.id);
    plans_[p.id] = std::move(p);
  }
  for (const auto& x : list("attachments")) {
    Attachment a;
    a.id = I64(x, "id", next_attachment_id_);
    a.result_id = I64(x, "result_id");
    a.run_id = I64(x, "run_id");
    a.test_id = I64(x, "test_id");
    a.project_id = I64(x, "project_id");
    a.user_id = I64(x, "user_id", 1);
    a.name = Str(x, "name");
    a.media_type = Str(x, "media_type");
    a.created_on = I64(x, "created_on");
    if (auto r = results_.find(a.result_id); r != results_.end()) {
      a.test_id = r->second.test_id;
      a.run_id = r->second.run_id;
    }
    a.size = static_cast<size_t>(I64(x, "size"));
    bump(next_attachment_id_, a.id);
    attachments_[a.id] = a;
  }
  if (data.contains("next_ids"))
    uuid_counter_ = std::max<int64_t>(1, I64(data["next_ids"], "uuid", 1));
  // Fields: a snapshot's "fields" replace the defaults; hand-written "result_fields" /
  // "case_fields" (flag syntax strings or TestRail-shaped objects) are added to them.
  if (data.contains("fields") && data["fields"].is_array()) {
    fields_.clear();
    for (const auto& x : data["fields"]) {
      CustomField f;
      if (!FieldFromJson(x, true, &f, error)) return false;
      if (f.id == 0) f.id = next_field_id_;
      bump(next_field_id_, f.id);
      fields_[f.id] = f;
    }
  }
  version_required_ = Bool(data, "version_required", false);
  GenerateSpec extras;
  for (const char* key : {"result_fields", "case_fields"}) {
    bool is_result = std::string(key) == "result_fields";
    for (const auto& x : list(key)) {
      CustomField f;
      bool version = false;
      if (x.is_string()) {
        if (!ParseFieldSpec(x.get<std::string>(), &f, &version, error)) return false;
        if (version) {
          version_required_ = true;
          continue;
        }
      } else if (!FieldFromJson(x, is_result, &f, error)) {
        return false;
      }
      f.is_result = is_result;
      if (is_result) {
        extras.result_fields.push_back(f);
        continue;
      }
      f.id = next_field_id_++;
      for (auto& cfg : f.configs) cfg.id = f.id;
      fields_[f.id] = f;
    }
  }
  for (const auto& x : list("milestones")) {
    Milestone m;
    m.id = I64(x, "id", next_milestone_id_);
    m.project_id = I64(x, "project_id", 1);
    if (!projects_.count(m.project_id)) {
      *error = "milestone " + std::to_string(m.id) + ": unknown project_id";
      return false;
    }
    m.parent_id = I64(x, "parent_id");
    m.name = Str(x, "name", "Milestone " + std::to_string(m.id));
    m.description = Str(x, "description");
    m.refs = Str(x, "refs");
    m.start_on = I64(x, "start_on");
    m.started_on = I64(x, "started_on");
    m.due_on = I64(x, "due_on");
    m.is_started = Bool(x, "is_started");
    m.is_completed = Bool(x, "is_completed");
    m.completed_on = I64(x, "completed_on");
    bump(next_milestone_id_, m.id);
    milestones_[m.id] = m;
  }
  for (const auto& x : list("config_groups")) {
    ConfigGroup g;
    g.id = I64(x, "id", next_config_group_id_);
    g.project_id = I64(x, "project_id", 1);
    if (!projects_.count(g.project_id)) {
      *error = "config group " + std::to_string(g.id) + ": unknown project_id";
      return false;
    }
    g.name = Str(x, "name", "Group " + std::to_string(g.id));
    bump(next_config_group_id_, g.id);
    for (const auto& c : x.value("configs", Json::array())) {
      Config cfg;
      cfg.id = c.is_string() ? next_config_id_ : I64(c, "id", next_config_id_);
      cfg.group_id = g.id;
      cfg.name = c.is_string() ? c.get<std::string>() : Str(c, "name");
      bump(next_config_id_, cfg.id);
      configs_[cfg.id] = cfg;
      g.config_ids.push_back(cfg.id);
    }
    config_groups_[g.id] = g;
  }
  int64_t next_label = 1;
  for (const auto& x : list("labels")) {
    Label l;
    l.id = I64(x, "id", next_label);
    bump(next_label, l.id);
    l.project_id = I64(x, "project_id", 1);
    l.title = Str(x, "title", "label" + std::to_string(l.id));
    l.created_by = I64(x, "created_by", 1);
    l.created_on = I64(x, "created_on", kEpoch);
    labels_[l.id] = l;
  }
  RebuildIndexesLocked();
  ApplyExtrasLocked(extras);
  return true;
}

}  // namespace testrail_sim
