// Configs → TestRail → Configurations (issue 14, R-CONFIGS): the TestRailConfigService use
// cases of the configuration mapping, kept apart from testrail_config_service.cc. See
// testrail_config_service.h and docs/testrail-config.md ("Configurations").
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "integration/testrail_config_service.h"

namespace nexus::integration {

Result<std::vector<ConfigGroup>> ParseConfigGroups(const nlohmann::json& j) {
  auto bad = [](const std::string& why) {
    return Status(StatusCode::kUnavailable,
                  "TestRail answered get_configs with an unexpected response shape: " + why, {},
                  "not_testrail");
  };
  if (!j.is_array()) return bad("not an array");
  std::vector<ConfigGroup> out;
  for (const auto& g : j) {
    if (!g.is_object() || !g.contains("id") || !g["id"].is_number_integer())
      return bad("a group without an integer id");
    ConfigGroup group;
    group.id = g["id"].get<int64_t>();
    if (g.contains("name") && g["name"].is_string()) group.name = g["name"].get<std::string>();
    if (g.contains("configs") && g["configs"].is_array())
      for (const auto& c : g["configs"]) {
        if (!c.is_object() || !c.contains("id") || !c["id"].is_number_integer())
          return bad("a config without an integer id");
        ConfigOption o;
        o.id = c["id"].get<int64_t>();
        if (c.contains("name") && c["name"].is_string()) o.name = c["name"].get<std::string>();
        group.configs.push_back(std::move(o));
      }
    out.push_back(std::move(group));
  }
  return out;
}

Status CheckPlanConfigurations(const testrail::TestRailClient& client, int64_t testrail_project_id,
                               const ExportPlan& plan) {
  std::map<int64_t, std::string> used;  // config id → the label of an entry using it
  for (const auto& e : plan.entries)
    for (int64_t id : e.config_ids) used.emplace(id, e.config_label);
  if (used.empty()) return Status::Ok();
  NEXUS_ASSIGN_OR_RETURN(nlohmann::json j,
                         client.Get("get_configs/" + std::to_string(testrail_project_id)));
  NEXUS_ASSIGN_OR_RETURN(auto groups, ParseConfigGroups(j));
  std::set<int64_t> live;
  for (const auto& g : groups)
    for (const auto& c : g.configs) live.insert(c.id);
  std::string missing;
  for (const auto& [id, label] : used)
    if (!live.count(id))
      missing += (missing.empty() ? "" : ", ") + std::to_string(id) + " (" + label + ")";
  if (missing.empty()) return Status::Ok();
  return InvalidArgument("TestRail configuration(s) " + missing +
                             " no longer exist in the TestRail project; fix the mapping under "
                             "Configs → TestRail → Configurations (nothing was sent)",
                         "configurations", "unknown_config");
}

Result<std::vector<ConfigGroup>> TestRailConfigService::RemoteConfigGroups(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  if (!rec.project)
    return Status(StatusCode::kConflict, "select a TestRail project first", {},
                  "no_project_selected");
  NEXUS_ASSIGN_OR_RETURN(nlohmann::json j,
                         client->Get("get_configs/" + std::to_string(rec.project->id)));
  return ParseConfigGroups(j);
}

Result<ConfigMapping> TestRailConfigService::StoredConfigurations(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  if (!rec.configurations_json) return ConfigMapping{};
  nlohmann::json j = nlohmann::json::parse(*rec.configurations_json, nullptr, false);
  auto m = ConfigMappingFromJson(j);
  if (!m.ok())
    return Status(StatusCode::kInternal,
                  "the stored TestRail configuration mapping cannot be read (" +
                      m.status().message() + "); save it again under Configs → TestRail",
                  {}, "configurations_unreadable");
  return m;
}

Result<ConfigurationsView> TestRailConfigService::Configurations(int64_t project_id) {
  ConfigurationsView v;
  NEXUS_ASSIGN_OR_RETURN(v.groups, RemoteConfigGroups(project_id));
  auto stored = StoredConfigurations(project_id);
  if (stored.ok()) {
    v.mapping = std::move(stored).value();
  } else if (stored.status().reason() == "configurations_unreadable") {
    v.unreadable = true;
  } else {
    return stored.status();
  }
  v.problems = FlagConfigMapping(v.mapping, v.groups);
  if (!v.mapping.empty()) {
    NEXUS_ASSIGN_OR_RETURN(auto runs, store_.ListRuns(project_id, RunFilter{},
                                                      PageRequest{0, kObservedRunsForSuggestions}));
    std::map<std::string, std::set<std::string>> seen;
    for (const auto& a : v.mapping.attributes) seen[a.attribute];
    for (const auto& r : runs)
      for (const auto& [k, val] : r.attributes)
        if (auto it = seen.find(k); it != seen.end()) it->second.insert(val);
    for (auto& [k, vals] : seen) v.observed_values[k].assign(vals.begin(), vals.end());
  }
  return v;
}

Result<ConfigurationsView> TestRailConfigService::SaveConfigurations(int64_t project_id,
                                                                     const ConfigMapping& m) {
  if (m.empty()) {
    NEXUS_RETURN_IF_ERROR(
        store_.SaveTestRailConfigurations(project_id, std::nullopt, clock_.NowMs()));
    spdlog::info("event=testrail_configurations_cleared project_id={}", project_id);
    return Configurations(project_id);
  }
  NEXUS_ASSIGN_OR_RETURN(auto groups, RemoteConfigGroups(project_id));
  NEXUS_RETURN_IF_ERROR(ValidateConfigMapping(m, groups));
  NEXUS_RETURN_IF_ERROR(
      store_.SaveTestRailConfigurations(project_id, ConfigMappingToJson(m).dump(), clock_.NowMs()));
  spdlog::info("event=testrail_configurations_saved project_id={} attributes={}", project_id,
               m.attributes.size());
  return Configurations(project_id);
}

}  // namespace nexus::integration
