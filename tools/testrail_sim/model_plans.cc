// Plans with configurations, configuration groups and milestones (issue 14): add_plan /
// add_plan_entry with `config_ids` and `runs` (one run per configuration combination),
// get_configs / add_config_group / add_config, get_milestones / get_milestone /
// add_milestone, and the id validation TestRail applies to them.
#include <algorithm>
#include <cstdio>
#include <set>

#include "model.h"
#include "model_internal.h"

namespace testrail_sim {

using namespace internal;  // NOLINT(build/namespaces): the helpers of this file family

namespace {

constexpr char kInvalidMilestone[] = "Field :milestone_id is not a valid milestone.";
constexpr char kInvalidAssignee[] = "Field :assignedto_id is not a valid user.";
constexpr char kInvalidConfigs[] = "Field :config_ids contains one or more invalid configurations.";
constexpr char kSameGroup[] =
    "Field :config_ids contains more than one configuration of the same group.";
constexpr char kNotInEntry[] =
    "Field :runs.config_ids contains one or more configurations not selected for the entry.";
constexpr char kInvalidGroup[] = "Field :config_group_id is not a valid configuration group.";

std::string MakeUuid(int64_t counter) {
  // Deterministic, well-formed v4-looking UUID string.
  uint64_t x = static_cast<uint64_t>(counter) * 0x9E3779B97F4A7C15ull;
  uint64_t y = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(x >> 32),
                static_cast<unsigned>((x >> 16) & 0xffff), static_cast<unsigned>(x & 0xfff),
                static_cast<unsigned>((y >> 48) & 0xfff),
                static_cast<unsigned long long>(y & 0xffffffffffffull));
  return buf;
}

bool Present(const Json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && !obj[key].is_null();
}

// Reads `config_ids` of `obj` into *out; false when it is not an array of ids.
bool ConfigIds(const Json& obj, std::vector<int64_t>* out) {
  out->clear();
  if (!Present(obj, "config_ids")) return true;
  if (!obj["config_ids"].is_array()) return false;
  for (const auto& v : obj["config_ids"]) {
    int64_t id = 0;
    if (!JsonInt(v, &id)) return false;
    out->push_back(id);
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Validation shared by runs and plans.

bool Model::CheckEntryConfigsLocked(int64_t project_id, const Json& entry, ApiResponse* err) const {
  auto valid_set = [&](const std::vector<int64_t>& ids) {
    for (int64_t id : ids) {
      auto it = configs_.find(id);
      if (it == configs_.end() || config_groups_.at(it->second.group_id).project_id != project_id) {
        *err = Error(400, kInvalidConfigs);
        return false;
      }
    }
    return true;
  };
  std::vector<int64_t> entry_ids;
  if (!ConfigIds(entry, &entry_ids) || !valid_set(entry_ids)) {
    *err = Error(400, kInvalidConfigs);
    return false;
  }
  if (!Present(entry, "runs") || !entry["runs"].is_array()) return true;
  for (const auto& run : entry["runs"]) {
    std::vector<int64_t> ids;
    if (!ConfigIds(run, &ids) || !valid_set(ids)) {
      *err = Error(400, kInvalidConfigs);
      return false;
    }
    std::set<int64_t> groups;
    for (int64_t id : ids) {
      if (!groups.insert(configs_.at(id).group_id).second) {
        *err = Error(400, kSameGroup);
        return false;
      }
      if (Present(entry, "config_ids") &&
          std::find(entry_ids.begin(), entry_ids.end(), id) == entry_ids.end()) {
        *err = Error(400, kNotInEntry);
        return false;
      }
    }
  }
  return true;
}

bool Model::PrepareEntryLocked(const Project& project, const Json& spec, int64_t* suite_id,
                               std::vector<Json>* run_specs, ApiResponse* err) const {
  if (!spec.is_object()) {
    *err = Error(400, "Field :entries is not a valid array.");
    return false;
  }
  if (Present(spec, "runs") && !spec["runs"].is_array()) {
    *err = Error(400, "Field :runs is not a valid array.");
    return false;
  }
  if (JsonStr(spec, "name").size() > kMaxNameLength) {
    *err = Error(400, TooLong("name"));
    return false;
  }
  bool has = spec.contains("suite_id");
  if (!ResolveSuite(project, has ? spec["suite_id"] : Json(nullptr), has, suite_id, err))
    return false;
  if (!CheckEntryConfigsLocked(project.id, spec, err)) return false;
  std::vector<Json> runs;
  if (Present(spec, "runs") && !spec["runs"].empty()) {
    for (const auto& r : spec["runs"]) runs.push_back(r);
  } else {
    runs.push_back(Json::object());
  }
  run_specs->clear();
  for (const auto& rs : runs) {
    if (!rs.is_object()) {
      *err = Error(400, "Field :runs is not a valid array.");
      return false;
    }
    Json merged = spec;
    merged.erase("runs");
    for (const auto& [k, v] : rs.items()) merged[k] = v;
    if (Present(merged, "assignedto_id") && !ValidUserLocked(merged["assignedto_id"])) {
      *err = Error(400, kInvalidAssignee);
      return false;
    }
    bool include_all = JsonBool(merged, "include_all", true);
    std::vector<int64_t> ids;
    if (!BuildCaseListLocked(*suite_id, include_all,
                             merged.contains("case_ids") ? merged["case_ids"] : Json(nullptr), &ids,
                             err))
      return false;
    run_specs->push_back(std::move(merged));
  }
  return true;
}

Model::Entry& Model::CreateEntryLocked(Plan& plan, const Project& project, int64_t suite_id,
                                       const Json& spec, const std::vector<Json>& run_specs,
                                       int64_t user_id) {
  Entry entry;
  entry.id = MakeUuid(uuid_counter_++);
  entry.suite_id = suite_id;
  entry.name = JsonStr(spec, "name");
  if (entry.name.empty()) entry.name = suites_.at(suite_id).name;
  entry.description = JsonStr(spec, "description");
  entry.refs = JsonStr(spec, "refs");
  entry.include_all = JsonBool(spec, "include_all", true);
  ConfigIds(spec, &entry.config_ids);
  int index = static_cast<int>(plan.entries.size()) + 1;
  for (Json merged : run_specs) {
    merged["name"] = entry.name;
    if (plan.milestone_id != 0 && !Present(merged, "milestone_id"))
      merged["milestone_id"] = plan.milestone_id;
    std::vector<int64_t> ids;
    ConfigIds(merged, &ids);
    for (int64_t id : ids)
      if (std::find(entry.config_ids.begin(), entry.config_ids.end(), id) == entry.config_ids.end())
        entry.config_ids.push_back(id);
    int64_t run_id = 0;
    ApiResponse err;
    CreateRunLocked(project, suite_id, merged, plan.id, entry.id, index, user_id, &run_id, &err);
    entry.run_ids.push_back(run_id);
  }
  plan.entries.push_back(std::move(entry));
  return plan.entries.back();
}

// ---------------------------------------------------------------------------------------------
// Plans.

ApiResponse Model::AddPlan(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  auto pit = projects_.find(id);
  if (pit == projects_.end()) return Error(400, kInvalidProject);
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  if (Present(c.body, "milestone_id") && !ValidMilestoneLocked(id, c.body["milestone_id"]))
    return Error(400, kInvalidMilestone);
  if (Present(c.body, "assignedto_id") && !ValidUserLocked(c.body["assignedto_id"]))
    return Error(400, kInvalidAssignee);
  Json entries = c.body.contains("entries") ? c.body["entries"] : Json::array();
  if (!entries.is_array()) return Error(400, "Field :entries is not a valid array.");
  // Validate everything first so a bad entry creates nothing.
  std::vector<int64_t> entry_suites;
  std::vector<std::vector<Json>> entry_runs;
  for (const auto& e : entries) {
    int64_t suite_id = 0;
    std::vector<Json> runs;
    if (!PrepareEntryLocked(pit->second, e, &suite_id, &runs, &err)) return err;
    entry_suites.push_back(suite_id);
    entry_runs.push_back(std::move(runs));
  }
  Plan plan;
  plan.id = next_plan_id_++;
  plan.project_id = id;
  plan.name = name;
  plan.description = JsonStr(c.body, "description");
  int64_t n = 0;
  if (Present(c.body, "milestone_id") && JsonInt(c.body["milestone_id"], &n)) plan.milestone_id = n;
  if (Present(c.body, "assignedto_id") && JsonInt(c.body["assignedto_id"], &n))
    plan.assignedto_id = n;
  plan.created_on = Now();
  plan.created_by = c.user_id;
  plans_[plan.id] = plan;
  Plan& stored = plans_.at(plan.id);
  for (size_t i = 0; i < entries.size(); ++i)
    CreateEntryLocked(stored, pit->second, entry_suites[i], entries[i], entry_runs[i], c.user_id);
  return Ok(PlanJson(stored, true));
}

ApiResponse Model::AddPlanEntry(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "plan_id", &id, &err)) return err;
  auto it = plans_.find(id);
  if (it == plans_.end()) return Error(400, kInvalidPlan);
  Plan& plan = it->second;
  if (plan.is_completed) return Error(403, kPlanCompleted);
  const Project& project = projects_.at(plan.project_id);
  int64_t suite_id = 0;
  std::vector<Json> runs;
  if (!PrepareEntryLocked(project, c.body, &suite_id, &runs, &err)) return err;
  Entry& entry = CreateEntryLocked(plan, project, suite_id, c.body, runs, c.user_id);
  return Ok(EntryJson(entry));
}

// ---------------------------------------------------------------------------------------------
// Configurations.

Json Model::ConfigJson(const Config& c) const {
  return Json{{"id", c.id}, {"name", c.name}, {"group_id", c.group_id}};
}

Json Model::ConfigGroupJson(const ConfigGroup& g) const {
  Json configs = Json::array();
  for (int64_t id : g.config_ids) configs.push_back(ConfigJson(configs_.at(id)));
  return Json{{"id", g.id}, {"name", g.name}, {"project_id", g.project_id}, {"configs", configs}};
}

ApiResponse Model::GetConfigs(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  Json arr = Json::array();
  for (const auto& [gid, g] : config_groups_)
    if (g.project_id == id) arr.push_back(ConfigGroupJson(g));
  return Ok(arr);
}

ApiResponse Model::AddConfigGroup(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  ConfigGroup g;
  g.id = next_config_group_id_++;
  g.project_id = id;
  g.name = name;
  config_groups_[g.id] = g;
  return Ok(ConfigGroupJson(g));
}

ApiResponse Model::AddConfig(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "config_group_id", &id, &err)) return err;
  auto it = config_groups_.find(id);
  if (it == config_groups_.end()) return Error(400, kInvalidGroup);
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  Config cfg{next_config_id_++, id, name};
  configs_[cfg.id] = cfg;
  it->second.config_ids.push_back(cfg.id);
  return Ok(ConfigJson(cfg));
}

// ---------------------------------------------------------------------------------------------
// Milestones.

Json Model::MilestoneJson(const Milestone& m, bool with_children) const {
  Json j{{"id", m.id},
         {"name", m.name},
         {"description", NullIfEmpty(m.description)},
         {"start_on", NullIfZero(m.start_on)},
         {"started_on", NullIfZero(m.started_on)},
         {"is_started", m.is_started},
         {"due_on", NullIfZero(m.due_on)},
         {"is_completed", m.is_completed},
         {"completed_on", NullIfZero(m.completed_on)},
         {"project_id", m.project_id},
         {"parent_id", NullIfZero(m.parent_id)},
         {"refs", NullIfEmpty(m.refs)},
         {"url", base_url_ + "/index.php?/milestones/view/" + std::to_string(m.id)}};
  if (with_children) {
    Json children = Json::array();
    for (const auto& [id, child] : milestones_)
      if (child.parent_id == m.id) children.push_back(MilestoneJson(child, false));
    j["milestones"] = children;
  }
  return j;
}

ApiResponse Model::GetMilestones(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  bool bad = false;
  auto completed = IntFilter(c, "is_completed", &bad);
  auto started = IntFilter(c, "is_started", &bad);
  if (bad) return Error(400, "Field :is_completed is not a valid boolean.");
  // Top-level milestones, each with its sub-milestones nested under `milestones`.
  std::vector<const Milestone*> matches;
  for (const auto& [mid, m] : milestones_) {
    if (m.project_id != id || m.parent_id != 0) continue;
    if (completed && (*completed != 0) != m.is_completed) continue;
    if (started && (*started != 0) != m.is_started) continue;
    matches.push_back(&m);
  }
  return Paginate(c, "milestones", [&](size_t offset, size_t limit, size_t* total) {
    std::vector<Json> out;
    *total = matches.size();
    for (size_t i = offset; i < matches.size() && out.size() < limit; ++i)
      out.push_back(MilestoneJson(*matches[i], true));
    return out;
  });
}

ApiResponse Model::GetMilestoneApi(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "milestone_id", &id, &err)) return err;
  auto it = milestones_.find(id);
  if (it == milestones_.end()) return Error(400, kInvalidMilestone);
  return Ok(MilestoneJson(it->second, true));
}

ApiResponse Model::AddMilestone(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  std::string name = JsonStr(c.body, "name");
  if (name.empty()) return Error(400, Required("name"));
  if (name.size() > kMaxNameLength) return Error(400, TooLong("name"));
  Milestone m;
  int64_t n = 0;
  if (Present(c.body, "parent_id")) {
    // TestRail nests one level: the parent must be a top-level milestone of the project.
    auto pit = JsonInt(c.body["parent_id"], &n) ? milestones_.find(n) : milestones_.end();
    if (pit == milestones_.end() || pit->second.project_id != id || pit->second.parent_id != 0)
      return Error(400, "Field :parent_id is not a valid milestone.");
    m.parent_id = n;
  }
  for (const char* key : {"due_on", "start_on"}) {
    if (Present(c.body, key) && !JsonInt(c.body[key], &n))
      return Error(400, "Field :" + std::string(key) + " is not a valid timestamp.");
  }
  m.id = next_milestone_id_++;
  m.project_id = id;
  m.name = name;
  m.description = JsonStr(c.body, "description");
  m.refs = JsonStr(c.body, "refs");
  if (Present(c.body, "due_on") && JsonInt(c.body["due_on"], &n)) m.due_on = n;
  if (Present(c.body, "start_on") && JsonInt(c.body["start_on"], &n)) m.start_on = n;
  // Without a start date a milestone is started at once (TestRail's behaviour).
  m.is_started = m.start_on == 0 || m.start_on <= Now();
  if (m.is_started) m.started_on = Now();
  milestones_[m.id] = m;
  return Ok(MilestoneJson(m, true));
}

}  // namespace testrail_sim
