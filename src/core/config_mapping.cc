// TestRail configurations: mapping codec, validation, flags and planning. See config_mapping.h.
#include "core/config_mapping.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <utility>

namespace nexus {

using Json = nlohmann::json;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const ConfigGroup* FindGroup(const std::vector<ConfigGroup>& groups, int64_t id) {
  for (const auto& g : groups)
    if (g.id == id) return &g;
  return nullptr;
}

bool GroupHasConfig(const ConfigGroup& g, int64_t id) {
  return std::any_of(g.configs.begin(), g.configs.end(),
                     [&](const ConfigOption& c) { return c.id == id; });
}

std::string Path(size_t i) { return "attributes[" + std::to_string(i) + "]"; }

}  // namespace

Json ConfigMappingToJson(const ConfigMapping& m) {
  Json attrs = Json::array();
  for (const auto& a : m.attributes) {
    Json values = Json::object();
    for (const auto& [v, id] : a.values) values[v] = id;
    attrs.push_back({{"attribute", a.attribute}, {"group_id", a.group_id}, {"values", values}});
  }
  return Json{{"attributes", std::move(attrs)}};
}

Result<ConfigMapping> ConfigMappingFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object", "", "invalid_value");
  for (const auto& [k, v] : j.items())
    if (k != "attributes") return InvalidArgument("unknown field '" + k + "'", k, "unknown_field");
  if (!j.contains("attributes")) return InvalidArgument("attributes is required", "attributes");
  const Json& arr = j.at("attributes");
  if (!arr.is_array())
    return InvalidArgument("attributes must be an array", "attributes", "invalid_type");
  if (arr.size() > kMaxConfigAttributes)
    return InvalidArgument("at most " + std::to_string(kMaxConfigAttributes) +
                               " attributes can be mapped to configuration groups",
                           "attributes", "too_many");
  ConfigMapping m;
  std::set<std::string> seen_attr;
  std::set<int64_t> seen_group;
  for (size_t i = 0; i < arr.size(); ++i) {
    const Json& a = arr[i];
    const std::string at = Path(i);
    if (!a.is_object()) return InvalidArgument(at + " must be an object", at, "invalid_type");
    for (const auto& [k, v] : a.items())
      if (k != "attribute" && k != "group_id" && k != "values")
        return InvalidArgument("unknown field '" + k + "'", at + "." + k, "unknown_field");
    AttributeConfigMapping out;
    if (!a.contains("attribute") || !a["attribute"].is_string())
      return InvalidArgument(at + ".attribute must be a run attribute name", at + ".attribute",
                             a.contains("attribute") ? "invalid_type" : "missing_field");
    out.attribute = a["attribute"].get<std::string>();
    if (Status s = CheckRunAttributes({{out.attribute, "x"}}, at + ".attribute"); !s.ok())
      return InvalidArgument(s.message(), at + ".attribute", "invalid_value");
    if (!seen_attr.insert(out.attribute).second)
      return InvalidArgument("attribute '" + out.attribute + "' is mapped twice", at + ".attribute",
                             "invalid_value");
    if (!a.contains("group_id") || !a["group_id"].is_number_integer() ||
        a["group_id"].get<int64_t>() < 1)
      return InvalidArgument(at + ".group_id must be a positive integer", at + ".group_id",
                             a.contains("group_id") ? "invalid_type" : "missing_field");
    out.group_id = a["group_id"].get<int64_t>();
    if (!seen_group.insert(out.group_id).second)
      return InvalidArgument("configuration group " + std::to_string(out.group_id) +
                                 " is mapped from two attributes (a TestRail run has one "
                                 "configuration per group)",
                             at + ".group_id", "invalid_value");
    if (!a.contains("values") || !a["values"].is_object())
      return InvalidArgument(at + ".values must be an object (value → config id)", at + ".values",
                             a.contains("values") ? "invalid_type" : "missing_field");
    if (a["values"].size() > kMaxConfigValues)
      return InvalidArgument(
          "at most " + std::to_string(kMaxConfigValues) + " values per attribute", at + ".values",
          "too_many");
    for (const auto& [v, id] : a["values"].items()) {
      const std::string where = at + ".values." + v;
      if (Status s = CheckRunAttributes({{out.attribute, v}}, at); !s.ok())
        return InvalidArgument(s.message(), where, "invalid_value");
      if (!id.is_number_integer() || id.get<int64_t>() < 1)
        return InvalidArgument(where + " must be a config id (positive integer)", where,
                               "invalid_type");
      out.values[v] = id.get<int64_t>();
    }
    m.attributes.push_back(std::move(out));
  }
  return m;
}

Status ValidateConfigMapping(const ConfigMapping& m, const std::vector<ConfigGroup>& groups) {
  for (size_t i = 0; i < m.attributes.size(); ++i) {
    const auto& a = m.attributes[i];
    const ConfigGroup* g = FindGroup(groups, a.group_id);
    if (g == nullptr)
      return InvalidArgument("configuration group " + std::to_string(a.group_id) +
                                 " is not a configuration group of the TestRail project",
                             Path(i) + ".group_id", "unknown_config_group");
    std::vector<std::string> bad;
    std::string first_field;
    for (const auto& [v, id] : a.values)
      if (!GroupHasConfig(*g, id)) {
        if (first_field.empty()) first_field = Path(i) + ".values." + v;
        bad.push_back(std::to_string(id) + " (for '" + v + "')");
      }
    if (!bad.empty()) {
      std::string list;
      for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
      return InvalidArgument("config id(s) " + list + " are not configurations of group '" +
                                 g->name + "' (" + std::to_string(g->id) + ")",
                             first_field, "unknown_config");
    }
  }
  return Status::Ok();
}

std::vector<ConfigMappingProblem> FlagConfigMapping(const ConfigMapping& m,
                                                    const std::vector<ConfigGroup>& groups) {
  std::vector<ConfigMappingProblem> out;
  for (size_t i = 0; i < m.attributes.size(); ++i) {
    const auto& a = m.attributes[i];
    const ConfigGroup* g = FindGroup(groups, a.group_id);
    if (g == nullptr) {
      out.push_back({Path(i) + ".group_id", "group_disappeared",
                     "configuration group " + std::to_string(a.group_id) + " (attribute '" +
                         a.attribute + "') no longer exists in TestRail"});
      continue;
    }
    for (const auto& [v, id] : a.values)
      if (!GroupHasConfig(*g, id))
        out.push_back({Path(i) + ".values." + v, "config_disappeared",
                       "configuration " + std::to_string(id) + " ('" + a.attribute + "' = '" + v +
                           "') no longer exists in group '" + g->name + "'"});
  }
  return out;
}

std::optional<int64_t> SuggestConfig(std::string_view value, const ConfigGroup& group) {
  for (const auto& c : group.configs)
    if (EqualsIgnoreCase(c.name, value)) return c.id;
  return std::nullopt;
}

RunConfiguration ResolveRunConfiguration(const RunAttributes& attributes, const ConfigMapping& m) {
  RunConfiguration rc;
  for (const auto& a : m.attributes) {
    auto it = attributes.find(a.attribute);
    if (it == attributes.end()) {
      rc.unmapped = "it has no attribute '" + a.attribute + "'";
      break;
    }
    auto v = a.values.find(it->second);
    if (v == a.values.end())
      v = std::find_if(a.values.begin(), a.values.end(),
                       [&](const auto& kv) { return EqualsIgnoreCase(kv.first, it->second); });
    if (v == a.values.end()) {
      rc.unmapped =
          "its " + a.attribute + " '" + it->second + "' is mapped to no TestRail configuration";
      break;
    }
    rc.config_ids.push_back(v->second);
    rc.label += (rc.label.empty() ? "" : ", ") + a.attribute + "=" + v->first;
  }
  if (!rc.unmapped.empty()) {
    rc.config_ids.clear();
    rc.label.clear();
  }
  std::sort(rc.config_ids.begin(), rc.config_ids.end());
  return rc;
}

Result<ExportPlan> PlanExportWithConfigurations(const ExportRequest& request,
                                                const ConfigMapping& mapping) {
  if (mapping.empty()) return PlanExport(request);
  // Runs by combination (unmapped ones left out, with a warning saying why).
  std::map<std::vector<int64_t>, std::pair<std::string, std::vector<ExportRunInput>>> groups;
  std::vector<ExportWarning> unmapped;
  ExportRequest all = request;
  all.runs.clear();
  for (const auto& in : request.runs) {
    RunConfiguration rc = ResolveRunConfiguration(in.run.attributes, mapping);
    if (!rc.unmapped.empty()) {
      unmapped.push_back({std::string(kWarnRunConfigUnmapped),
                          "Run #" + std::to_string(in.run.id) + " is skipped: " + rc.unmapped +
                              " (map it under Configs → TestRail → Configurations)",
                          in.run.id});
      continue;
    }
    auto& g = groups[rc.config_ids];
    g.first = rc.label;
    g.second.push_back(in);
    all.runs.push_back(in);
  }
  std::sort(unmapped.begin(), unmapped.end(),
            [](const ExportWarning& a, const ExportWarning& b) { return a.run_id < b.run_id; });
  if (all.runs.empty()) {
    ExportPlan p;
    p.export_type = request.source.kind;
    p.strategy = ExportStrategy::kMultiSuitePlan;
    p.warnings = unmapped;
    p.nothing_to_send = true;
    p.nothing_to_send_reason =
        std::to_string(unmapped.size()) +
        " run(s), none with a TestRail configuration: a configuration mapping exists and no "
        "run has mapped values for every mapped attribute";
    return p;
  }
  // The whole plan gives name, description, skipped cases and warnings; each combination's
  // own plan gives its entries.
  NEXUS_ASSIGN_OR_RETURN(ExportPlan plan, PlanExport(all));
  plan.warnings.insert(plan.warnings.begin(), unmapped.begin(), unmapped.end());
  plan.entries.clear();
  plan.total_test_cases = 0;
  for (auto& [ids, g] : groups) {
    ExportRequest sub = request;
    sub.runs = std::move(g.second);
    NEXUS_ASSIGN_OR_RETURN(ExportPlan part, PlanExport(sub));
    for (auto& e : part.entries) {
      e.config_ids = ids;
      e.config_label = g.first;
      plan.total_test_cases += static_cast<int>(e.results.size());
      plan.entries.push_back(std::move(e));
    }
  }
  std::stable_sort(plan.entries.begin(), plan.entries.end(),
                   [](const PlanEntry& a, const PlanEntry& b) {
                     return std::tie(a.suite_id, a.config_ids) < std::tie(b.suite_id, b.config_ids);
                   });
  if (!plan.entries.empty()) plan.strategy = ExportStrategy::kMultiSuitePlan;
  return plan;
}

}  // namespace nexus
