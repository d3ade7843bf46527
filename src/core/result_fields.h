// Result fields of real TestRail instances (issue 14): the custom result fields a project's
// results must carry (required ones refuse a result without them), the per-project values
// Nexus sends for them, the assignee of failed results, and the check that runs BEFORE any
// TestRail write of an export. Pure: the definitions come from get_result_fields (read by the
// integration layer), the settings from the store; nothing here does I/O.
// Design notes: docs/testrail-config.md ("Result fields"), docs/export.md.
#pragma once

#include <cstdint>
#include <functional>
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

// TestRail's field type ids (get_result_fields / get_case_fields `type_id`).
enum class FieldType {
  kString = 1,
  kInteger = 2,
  kText = 3,
  kUrl = 4,
  kCheckbox = 5,
  kDropdown = 6,
  kUser = 7,
  kDate = 8,
  kMilestone = 9,
  kSteps = 10,
  kStepResults = 11,
  kMultiSelect = 12,
};
// "string", "integer", "text", "url", "checkbox", "dropdown", "user", "date", "milestone",
// "steps", "step_results", "multi_select"; "unknown" for any other id.
std::string_view FieldTypeName(int type_id);

// One option of a dropdown / multi-select ("1, Staging" in TestRail's `items` text).
struct FieldOption {
  int64_t id = 0;
  std::string label;
  bool operator==(const FieldOption&) const = default;
};

// A result field as it applies to one TestRail project: the config whose context is the
// project (or else the global one) decides required and options.
struct ResultFieldDef {
  std::string system_name;  // "custom_testenv"
  std::string label;        // "Test environment"
  int type_id = 0;
  bool required = false;
  std::vector<FieldOption> options;  // dropdown / multi-select only
};

// Parses TestRail's `items` text ("1, Staging\n2, Prod"); lines that do not read as
// "<id>, <label>" are ignored (TestRail writes nothing else there).
std::vector<FieldOption> ParseFieldItems(std::string_view items);

// Where a field's value comes from.
enum class FieldSource {
  kFixed,      // `value`: a JSON value of the field's type
  kBuild,      // the deciding run's build
  kRunUrl,     // the deciding run's page in Nexus (needs NEXUS_PUBLIC_URL)
  kTestName,   // the Nexus test's name
  kAttribute,  // the deciding run's attribute `attribute` (e.g. "platform")
};
std::string_view FieldSourceName(FieldSource s);  // "fixed", "build", "run_url", …
std::optional<FieldSource> ParseFieldSource(std::string_view s);

// The value the user set for one field. `type_id` is the field's type when it was saved:
// a later change of type in TestRail makes the setting stale (flagged, not sent).
struct FieldSetting {
  FieldSource source = FieldSource::kFixed;
  nlohmann::json value;   // kFixed only
  std::string attribute;  // kAttribute only
  int type_id = 0;
};

// The project's export field settings (stored as one JSON document per project).
struct ExportFieldSettings {
  std::map<std::string, FieldSetting> fields;  // by system name
  // TestRail user id that results with status Failed (5) are assigned to; nullopt: none.
  std::optional<int64_t> failed_assignee_id;
  // Step results (custom_step_results) for cases with separated steps; off by default.
  bool step_results = false;
};

// JSON codec of the settings, the API's and the store's shape:
// {"fields":{"custom_env":{"source":"fixed","value":2,"type_id":6},
//            "custom_platform":{"source":"attribute","attribute":"platform","type_id":1}},
//  "failed_assignee_id":5|null, "step_results":false}
nlohmann::json ExportFieldSettingsToJson(const ExportFieldSettings& s);
// Strict: unknown keys, a bad source, a fixed value missing, an attribute missing →
// InvalidArgument naming the path ("fields.custom_env.source").
Result<ExportFieldSettings> ExportFieldSettingsFromJson(const nlohmann::json& j);

// Ok when `value` is a valid fixed value for `def`: string/text/url/date a non-empty string
// (string and url at most 250 characters), integer/user/milestone an integer (user and
// milestone >= 1), checkbox a boolean, dropdown the id of one of its options, multi-select a
// non-empty array of option ids. Steps / step results cannot be set. InvalidArgument (field
// "fields.<system_name>", reason "invalid_field_value") saying what is expected.
Status ValidateFixedValue(const ResultFieldDef& def, const nlohmann::json& value);

// What a stored setting became after TestRail's definitions changed.
enum class FieldProblem { kNone, kDisappeared, kTypeChanged };
std::string_view FieldProblemName(FieldProblem p);  // "", "disappeared", "type_changed"
FieldProblem ProblemOf(const FieldSetting& s, const ResultFieldDef* def);

// The Nexus side of one result, for values taken from the run.
struct FieldRunContext {
  const Run* run = nullptr;    // the deciding run
  const Test* test = nullptr;  // its test
  std::string run_url;         // "" without NEXUS_PUBLIC_URL
  // The run's attributes (key → value); empty until run attributes exist on the run.
  std::map<std::string, std::string> attributes;
};

// The value of `def` for one result, or nullopt when the setting gives none for this run
// (empty build, unknown attribute, a run value matching no dropdown option, …).
std::optional<nlohmann::json> ResolveFieldValue(const ResultFieldDef& def,
                                                const FieldSetting& setting,
                                                const FieldRunContext& ctx);

// Completes `plan` for the instance's result fields, BEFORE anything is written to TestRail:
// every result gets `extra_json` with the value of each field that has a (non-stale)
// setting, plus assignedto_id when its status is Failed and an assignee is set.
// `context_of(case_id, deciding_run_id)` gives the run context of one result.
//
// Errors (nothing changed in the plan): InvalidArgument reason "testrail_field_missing",
// field = the system name, when a required field has no setting, a stale one, or no value
// for some result ("TestRail requires the result field "Test environment"
// (custom_testenv) …"). Fields of type step results are left to the step-results option.
Status ApplyResultFields(const std::vector<ResultFieldDef>& defs,
                         const ExportFieldSettings& settings,
                         const std::function<FieldRunContext(const PlannedResult&)>& context_of,
                         ExportPlan& plan);

}  // namespace nexus
