// Result fields (issue 14): TestRail's option text, the settings codec, fixed values per
// type, stale settings, values taken from the run, and the pre-write check of an export
// (required field missing → testrail_field_missing, nothing changed in the plan).
#include "core/result_fields.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nexus {
namespace {

using Json = nlohmann::json;

ResultFieldDef Dropdown(bool required = true) {
  ResultFieldDef d;
  d.system_name = "custom_env";
  d.label = "Environment";
  d.type_id = 6;
  d.required = required;
  d.options = ParseFieldItems("1, Staging\n2, Prod");
  return d;
}

ResultFieldDef Text(std::string name, bool required) {
  ResultFieldDef d;
  d.system_name = std::move(name);
  d.label = "Label of " + d.system_name;
  d.type_id = 1;
  d.required = required;
  return d;
}

ExportPlan TwoResults() {
  ExportPlan plan;
  PlanEntry e;
  e.suite_id = 1;
  PlannedResult a;
  a.case_id = 10;
  a.status_id = 1;
  a.deciding_run_id = 100;
  PlannedResult b;
  b.case_id = 11;
  b.status_id = 5;
  b.deciding_run_id = 101;
  e.case_ids = {10, 11};
  e.results = {a, b};
  plan.entries.push_back(e);
  return plan;
}

TEST(ResultFieldsTest, ParsesTestRailItemsText) {
  auto opts = ParseFieldItems("1, Staging\r\n 2 ,  Prod \nnot an option\n3,\n");
  ASSERT_EQ(opts.size(), 3u);
  EXPECT_EQ(opts[0], (FieldOption{1, "Staging"}));
  EXPECT_EQ(opts[1], (FieldOption{2, "Prod"}));
  EXPECT_EQ(opts[2], (FieldOption{3, ""}));
}

TEST(ResultFieldsTest, SettingsRoundTripAndStrictErrors) {
  Json j = {
      {"fields",
       {{"custom_env", {{"source", "fixed"}, {"value", 2}, {"type_id", 6}}},
        {"custom_platform", {{"source", "attribute"}, {"attribute", "platform"}, {"type_id", 1}}}}},
      {"failed_assignee_id", 4},
      {"step_results", true}};
  auto s = ExportFieldSettingsFromJson(j);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->failed_assignee_id, 4);
  EXPECT_TRUE(s->step_results);
  EXPECT_EQ(s->fields.at("custom_platform").attribute, "platform");
  EXPECT_EQ(ExportFieldSettingsToJson(*s), j);

  auto bad_source =
      ExportFieldSettingsFromJson(Json{{"fields", {{"custom_env", {{"source", "guess"}}}}}});
  ASSERT_FALSE(bad_source.ok());
  EXPECT_EQ(bad_source.status().field(), "fields.custom_env.source");
  auto no_value =
      ExportFieldSettingsFromJson(Json{{"fields", {{"custom_env", {{"source", "fixed"}}}}}});
  ASSERT_FALSE(no_value.ok());
  EXPECT_EQ(no_value.status().field(), "fields.custom_env.value");
  auto not_custom =
      ExportFieldSettingsFromJson(Json{{"fields", {{"version", {{"source", "build"}}}}}});
  ASSERT_FALSE(not_custom.ok());
  auto unknown = ExportFieldSettingsFromJson(Json{{"nope", 1}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().reason(), "unknown_field");
  EXPECT_FALSE(ExportFieldSettingsFromJson(Json{{"failed_assignee_id", 0}}).ok());
}

TEST(ResultFieldsTest, FixedValuesAreCheckedPerType) {
  EXPECT_TRUE(ValidateFixedValue(Dropdown(), 2).ok());
  Status bad = ValidateFixedValue(Dropdown(), 3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.reason(), "invalid_field_value");
  EXPECT_NE(bad.message().find("1 (Staging), 2 (Prod)"), std::string::npos) << bad.message();
  EXPECT_FALSE(ValidateFixedValue(Dropdown(), "Prod").ok());
  ResultFieldDef multi = Dropdown();
  multi.type_id = 12;
  EXPECT_TRUE(ValidateFixedValue(multi, Json::array({1, 2})).ok());
  EXPECT_FALSE(ValidateFixedValue(multi, Json::array()).ok());
  EXPECT_FALSE(ValidateFixedValue(multi, Json::array({7})).ok());
  EXPECT_TRUE(ValidateFixedValue(Text("custom_s", true), "x").ok());
  EXPECT_FALSE(ValidateFixedValue(Text("custom_s", true), "   ").ok());
  EXPECT_FALSE(ValidateFixedValue(Text("custom_s", true), std::string(251, 'a')).ok());
  ResultFieldDef i = Text("custom_i", true);
  i.type_id = 2;
  EXPECT_TRUE(ValidateFixedValue(i, -3).ok());
  EXPECT_FALSE(ValidateFixedValue(i, "3").ok());
  ResultFieldDef c = Text("custom_c", true);
  c.type_id = 5;
  EXPECT_TRUE(ValidateFixedValue(c, true).ok());
  EXPECT_FALSE(ValidateFixedValue(c, 1).ok());
  ResultFieldDef steps = Text("custom_step_results", false);
  steps.type_id = 11;
  EXPECT_FALSE(ValidateFixedValue(steps, "x").ok());
}

TEST(ResultFieldsTest, StaleSettingsAreFlagged) {
  FieldSetting s;
  s.source = FieldSource::kFixed;
  s.value = 2;
  s.type_id = 6;
  ResultFieldDef d = Dropdown();
  EXPECT_EQ(ProblemOf(s, &d), FieldProblem::kNone);
  EXPECT_EQ(ProblemOf(s, nullptr), FieldProblem::kDisappeared);
  d.type_id = 1;
  EXPECT_EQ(ProblemOf(s, &d), FieldProblem::kTypeChanged);
  d = Dropdown();
  d.options = ParseFieldItems("1, Staging");  // option 2 removed in TestRail
  EXPECT_EQ(ProblemOf(s, &d), FieldProblem::kTypeChanged);
}

TEST(ResultFieldsTest, ValuesFromTheRun) {
  nexus::Run run;
  run.id = 7;
  run.build = "2.4.1";
  nexus::Test test;
  test.name = "Login works";
  FieldRunContext ctx{
      &run, &test, "https://nexus.example/projects/1/runs/7", {{"platform", "ps5"}}};
  FieldSetting build{FieldSource::kBuild, {}, "", 1};
  EXPECT_EQ(ResolveFieldValue(Text("custom_b", true), build, ctx), Json("2.4.1"));
  FieldSetting url{FieldSource::kRunUrl, {}, "", 4};
  ResultFieldDef u = Text("custom_u", true);
  u.type_id = 4;
  EXPECT_EQ(ResolveFieldValue(u, url, ctx), Json("https://nexus.example/projects/1/runs/7"));
  FieldSetting name{FieldSource::kTestName, {}, "", 1};
  EXPECT_EQ(ResolveFieldValue(Text("custom_t", true), name, ctx), Json("Login works"));
  // An attribute names a dropdown option by label, ignoring case.
  ResultFieldDef platform = Dropdown();
  platform.options = ParseFieldItems("1, PC\n2, PS5");
  FieldSetting attr{FieldSource::kAttribute, {}, "platform", 6};
  EXPECT_EQ(ResolveFieldValue(platform, attr, ctx), Json(2));
  ctx.attributes["platform"] = "Switch";
  EXPECT_EQ(ResolveFieldValue(platform, attr, ctx), std::nullopt);
  run.build.clear();
  EXPECT_EQ(ResolveFieldValue(Text("custom_b", true), build, ctx), std::nullopt);
}

TEST(ResultFieldsTest, RequiredFieldWithoutValueRefusesAndLeavesPlanUnchanged) {
  ExportPlan plan = TwoResults();
  const ExportPlan before = plan;
  auto ctx = [](const PlannedResult&) { return FieldRunContext{}; };
  ExportFieldSettings none;
  Status st = ApplyResultFields({Text("custom_opt", false), Dropdown()}, none, ctx, plan);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.reason(), "testrail_field_missing");
  EXPECT_EQ(st.field(), "custom_env");
  EXPECT_NE(st.message().find("\"Environment\""), std::string::npos) << st.message();
  EXPECT_EQ(plan.entries[0].results[0].extra_json, before.entries[0].results[0].extra_json);

  // A required value from the run that one result's run does not have: also refused, and
  // the result that had a value is not half-applied.
  ExportFieldSettings from_build;
  from_build.fields["custom_env"] = {FieldSource::kFixed, 1, "", 6};
  from_build.fields["custom_b"] = {FieldSource::kBuild, {}, "", 1};
  nexus::Run with_build;
  with_build.build = "9";
  nexus::Run without;
  auto per_run = [&](const PlannedResult& r) {
    return FieldRunContext{r.deciding_run_id == 100 ? &with_build : &without, nullptr, "", {}};
  };
  st = ApplyResultFields({Dropdown(), Text("custom_b", true)}, from_build, per_run, plan);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "custom_b");
  EXPECT_NE(st.message().find("run #101"), std::string::npos) << st.message();
  EXPECT_TRUE(plan.entries[0].results[0].extra_json.empty());
}

TEST(ResultFieldsTest, AppliesValuesAndAssigneeOfFailedResults) {
  ExportPlan plan = TwoResults();
  ExportFieldSettings s;
  s.fields["custom_env"] = {FieldSource::kFixed, 2, "", 6};
  s.fields["custom_gone"] = {FieldSource::kFixed, "x", "", 1};  // no longer in TestRail
  s.failed_assignee_id = 4;
  nexus::Run run;
  run.build = "1.2";
  auto ctx = [&](const PlannedResult&) { return FieldRunContext{&run, nullptr, "", {}}; };
  ASSERT_TRUE(ApplyResultFields({Dropdown(), Text("custom_opt", false)}, s, ctx, plan).ok());
  EXPECT_EQ(Json::parse(plan.entries[0].results[0].extra_json), Json({{"custom_env", 2}}));
  EXPECT_EQ(Json::parse(plan.entries[0].results[1].extra_json),
            Json({{"custom_env", 2}, {"assignedto_id", 4}}));
  // The values take part in the batch fingerprint (a resumed export checks it).
  ExportPlan plain = TwoResults();
  EXPECT_NE(ResultsFingerprint(plan.entries[0].results),
            ResultsFingerprint(plain.entries[0].results));
}

TEST(ResultFieldsTest, AStaleRequiredFieldIsMissing) {
  ExportPlan plan = TwoResults();
  ExportFieldSettings s;
  s.fields["custom_env"] = {FieldSource::kFixed, "Prod", "", 1};  // saved when it was text
  auto ctx = [](const PlannedResult&) { return FieldRunContext{}; };
  Status st = ApplyResultFields({Dropdown()}, s, ctx, plan);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.reason(), "testrail_field_missing");
  EXPECT_NE(st.message().find("no longer matches"), std::string::npos);
}

}  // namespace
}  // namespace nexus
