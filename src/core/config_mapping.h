// TestRail configurations (issue 14, R-CONFIGS): the per-project mapping of Nexus run
// attributes (e.g. `platform`) to TestRail configuration groups (get_configs), attribute
// value → config id, and the export planning that follows from it: one TestRail plan run per
// configuration combination present in the exported runs, each case's result in the run of
// its configuration. Pure: the groups come from get_configs (read by the integration layer),
// the mapping from the store; nothing here does I/O.
// Design notes: docs/testrail-config.md ("Configurations"), docs/export.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/export_planner.h"
#include "core/status.h"
#include "core/types.h"

namespace nexus {

// A configuration group of a TestRail project as get_configs lists it.
struct ConfigOption {
  int64_t id = 0;
  std::string name;  // "PS5"
};
struct ConfigGroup {
  int64_t id = 0;
  std::string name;  // "Platform"
  std::vector<ConfigOption> configs;
};

// One run attribute mapped to one configuration group.
struct AttributeConfigMapping {
  std::string attribute;                  // run attribute key, e.g. "platform"
  int64_t group_id = 0;                   // TestRail configuration group
  std::map<std::string, int64_t> values;  // attribute value → config id of that group
};

// The project's mapping; empty = exports do not use configurations (the behaviour before
// issue 14). Attributes are distinct; two attributes never map to the same group (a TestRail
// run has at most one config per group).
struct ConfigMapping {
  std::vector<AttributeConfigMapping> attributes;
  bool empty() const { return attributes.empty(); }
};

// At most this many mapped attributes, and values per attribute.
inline constexpr size_t kMaxConfigAttributes = 8;
inline constexpr size_t kMaxConfigValues = 200;

// The stored and API shape: {"attributes":[{"attribute":"platform","group_id":3,
// "values":{"PC":7,"PS5":8}}]}. FromJson is strict: unknown keys, wrong types, an attribute
// key breaking the run attribute rules, an attribute listed twice, two attributes on one
// group, ids < 1 → InvalidArgument naming the path ("attributes[0].values.PS5").
nlohmann::json ConfigMappingToJson(const ConfigMapping& m);
Result<ConfigMapping> ConfigMappingFromJson(const nlohmann::json& j);

// Ok when every group id is a group of `groups` and every config id a config of its group.
// Otherwise InvalidArgument reason "unknown_config_group" (field "attributes[i].group_id") or
// "unknown_config" (field "attributes[i].values.<value>"), the message naming the ids.
Status ValidateConfigMapping(const ConfigMapping& m, const std::vector<ConfigGroup>& groups);

// What no longer fits the instance: a group or config deleted in TestRail since saving.
struct ConfigMappingProblem {
  std::string field;    // "attributes[0].group_id", "attributes[0].values.PS5"
  std::string problem;  // "group_disappeared" | "config_disappeared"
  std::string message;
};
std::vector<ConfigMappingProblem> FlagConfigMapping(const ConfigMapping& m,
                                                    const std::vector<ConfigGroup>& groups);

// The config of `group` whose name equals `value` ignoring ASCII case (the suggestion shown
// for an unmapped value), if any.
std::optional<int64_t> SuggestConfig(std::string_view value, const ConfigGroup& group);

// The configuration of one run: every mapped attribute must have a value the mapping knows
// (exact, else ignoring ASCII case); otherwise `unmapped` says why and the run is not
// exported (never guessed).
struct RunConfiguration {
  std::vector<int64_t> config_ids;  // ascending
  std::string label;     // "platform=PS5, device=Pixel 8": mapping order, the mapping's spelling
  std::string unmapped;  // empty when mapped
};
RunConfiguration ResolveRunConfiguration(const RunAttributes& attributes, const ConfigMapping& m);

// Warning type of a run left out of an export because its configuration is not mapped.
inline constexpr std::string_view kWarnRunConfigUnmapped = "run_configuration_unmapped";

// PlanExport with configurations. Without a mapping: PlanExport(request). With one, every
// run is resolved (ResolveRunConfiguration); unmapped runs get a kWarnRunConfigUnmapped
// warning with the reason and are left out; the mapped runs are grouped by combination and
// each group planned on its own (so worst-wins and comments stay per configuration), giving
// one entry per (suite, combination) with `config_ids` and `config_label` set, sorted by
// suite then combination. Name, description, skipped cases (those no group reports) and the
// other warnings are those of the plan over all mapped runs. The strategy is always
// kMultiSuitePlan: configurations exist only in plans, so a single-suite export becomes a plan
// with one entry. No mapped run → nothing_to_send with a reason naming the unmapped runs.
Result<ExportPlan> PlanExportWithConfigurations(const ExportRequest& request,
                                                const ConfigMapping& mapping);

}  // namespace nexus
