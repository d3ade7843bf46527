// Typed TestRail API v2 objects (responses) and request bodies used by Nexus, with defensive
// JSON conversion: a response of the wrong shape becomes a "not_testrail" Status, never an
// exception. Fields TestRail may send as null are optional or default-valued.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace nexus::testrail {

struct Project {
  int64_t id = 0;
  std::string name;
  int suite_mode = 1;  // 1 single suite, 2 single + baselines, 3 multiple suites
  bool is_completed = false;
  std::string url;
};

struct Suite {
  int64_t id = 0;
  std::string name;
  std::string description;
  int64_t project_id = 0;
  bool is_master = false;
  bool is_baseline = false;
  bool is_completed = false;
  std::string url;
};

struct Section {
  int64_t id = 0;
  int64_t suite_id = 0;
  std::string name;
  std::string description;
  std::optional<int64_t> parent_id;
  int64_t display_order = 0;
  int depth = 0;
};

struct Case {
  int64_t id = 0;
  std::string title;
  int64_t section_id = 0;
  int64_t suite_id = 0;
  int64_t template_id = 0;
  int64_t type_id = 0;
  int64_t priority_id = 0;
  std::optional<int64_t> milestone_id;
  std::string refs;
  std::string estimate;
  int64_t created_on = 0;  // UNIX seconds
  int64_t updated_on = 0;  // UNIX seconds
  int64_t display_order = 0;
  bool is_deleted = false;
  nlohmann::json custom_fields = nlohmann::json::object();  // every custom_* key
};

struct StatusInfo {  // an entry of get_statuses
  int64_t id = 0;
  std::string name;
  std::string label;
  int64_t color_bright = 0;
  int64_t color_medium = 0;
  int64_t color_dark = 0;
  bool is_system = false;
  bool is_untested = false;
  bool is_final = false;
};

struct User {
  int64_t id = 0;
  std::string name;
  std::string email;
  bool is_active = true;
};

struct Run {
  int64_t id = 0;
  std::optional<int64_t> suite_id;
  std::string name;
  std::string description;
  std::optional<int64_t> milestone_id;
  bool include_all = false;
  bool is_completed = false;
  std::optional<int64_t> completed_on;
  int64_t passed_count = 0;
  int64_t blocked_count = 0;
  int64_t untested_count = 0;
  int64_t retest_count = 0;
  int64_t failed_count = 0;
  int64_t project_id = 0;
  std::optional<int64_t> plan_id;
  std::string entry_id;             // set for runs inside a plan
  std::vector<int64_t> config_ids;  // configurations of a plan run (issue 14); may be empty
  int64_t created_on = 0;
  std::string url;
};

struct PlanEntry {
  std::string id;  // a UUID string
  int64_t suite_id = 0;
  std::string name;
  bool include_all = false;
  std::vector<Run> runs;
};

struct Plan {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::optional<int64_t> milestone_id;
  bool is_completed = false;
  std::optional<int64_t> completed_on;
  int64_t project_id = 0;
  int64_t created_on = 0;
  std::string url;
  std::vector<PlanEntry> entries;  // only filled by get_plan / add_plan
};

struct Test {
  int64_t id = 0;
  int64_t case_id = 0;
  int64_t run_id = 0;
  int64_t status_id = 0;
  std::string title;
};

struct TestResult {
  int64_t id = 0;
  int64_t test_id = 0;
  std::optional<int64_t> status_id;
  std::string comment;
  std::string version;
  std::string elapsed;
  std::string defects;
  int64_t created_on = 0;
  int64_t created_by = 0;
};

// One config of a custom field (get_result_fields / get_case_fields): where it applies
// (global, or the listed projects) and its options there.
struct FieldConfig {
  bool is_global = false;
  std::vector<int64_t> project_ids;
  bool is_required = false;
  std::string items;          // dropdown / multi-select options: "1, Staging\n2, Prod"
  std::string default_value;  // as TestRail writes it (text)
};

// A custom result or case field.
struct Field {
  int64_t id = 0;
  std::string name;         // "testenv"
  std::string system_name;  // "custom_testenv"
  std::string label;        // "Test environment"
  int type_id = 0;          // 1 String … 11 Step Results, 12 Multi-select
  bool is_active = true;
  std::vector<int64_t> template_ids;
  std::vector<FieldConfig> configs;
};

// A milestone; `milestones` holds its sub-milestones (get_milestone / get_milestones).
struct Milestone {
  int64_t id = 0;
  std::string name;
  int64_t project_id = 0;
  std::optional<int64_t> parent_id;
  bool is_completed = false;
  bool is_started = false;
  std::optional<int64_t> due_on;
  std::string url;
  std::vector<Milestone> milestones;
};

// ---- Request bodies ----

struct AddRunRequest {
  std::optional<int64_t> suite_id;  // required unless the project is single-suite
  std::string name;
  std::string description;
  std::optional<int64_t> milestone_id;
  std::optional<int64_t> assignedto_id;
  // Unlike TestRail (default true) false by default: Nexus always names its cases, and an
  // accidental include_all on a 100k-case suite is expensive. Always sent explicitly.
  bool include_all = false;
  std::vector<int64_t> case_ids;
  std::string refs;
};

// One run of a plan entry with configurations (issue 14): its config ids (one per group) and
// its own cases.
struct AddPlanRunRequest {
  std::vector<int64_t> config_ids;
  bool include_all = false;
  std::vector<int64_t> case_ids;
};

struct AddPlanEntryRequest {
  int64_t suite_id = 0;
  std::string name;
  std::string description;
  bool include_all = false;
  std::vector<int64_t> case_ids;
  // With configurations: every config id of the entry's runs, and one run per combination
  // (`runs`); then include_all/case_ids of the entry are not sent.
  std::vector<int64_t> config_ids;
  std::vector<AddPlanRunRequest> runs;
};

struct AddPlanRequest {
  std::string name;
  std::string description;
  std::optional<int64_t> milestone_id;
  std::vector<AddPlanEntryRequest> entries;
};

struct ResultForCase {
  int64_t case_id = 0;
  std::optional<int64_t> status_id;
  std::string comment;
  std::string version;
  std::string elapsed;  // "30s", "1m 45s"; empty = not sent
  std::string defects;
  std::optional<int64_t> assignedto_id;
  nlohmann::json custom_fields = nlohmann::json::object();  // merged into the entry
};

// ---- JSON conversion (never throws) ----
// Each Parse* returns kNotTestRail ("… answered with an unexpected response shape: …")
// when `j` is not an object with an integer "id" (and, for plans/entries, the expected
// nesting). `what` names the call for the message.
Result<Project> ParseProject(const nlohmann::json& j);
Result<Suite> ParseSuite(const nlohmann::json& j);
Result<Section> ParseSection(const nlohmann::json& j);
Result<Case> ParseCase(const nlohmann::json& j);
Result<StatusInfo> ParseStatusInfo(const nlohmann::json& j);
Result<User> ParseUser(const nlohmann::json& j);
Result<Run> ParseRun(const nlohmann::json& j);
Result<Plan> ParsePlan(const nlohmann::json& j);
Result<Test> ParseTest(const nlohmann::json& j);
Result<TestResult> ParseTestResult(const nlohmann::json& j);
Result<Field> ParseField(const nlohmann::json& j);
Result<Milestone> ParseMilestone(const nlohmann::json& j);  // sub-milestones included

nlohmann::json ToJson(const AddRunRequest& r);
nlohmann::json ToJson(const AddPlanRequest& r);
nlohmann::json ToJson(const ResultForCase& result);                // one entry
nlohmann::json ToJson(const std::vector<ResultForCase>& results);  // {"results":[...]}
// The add_results_for_cases body, byte for byte ToJson(results) dumped (invalid UTF-8
// replaced), written one entry at a time: a 1,000-result batch never exists as a JSON tree.
std::string ResultsForCasesBody(const std::vector<ResultForCase>& results);

}  // namespace nexus::testrail
