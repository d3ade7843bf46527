// TestRail configurations (issue 14, R-CONFIGS): the mapping codec, validation against
// get_configs, flags for deleted groups/configs, suggestions by name, and the planning of one
// plan run per configuration combination with unmapped runs skipped (never guessed).
#include "core/config_mapping.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nexus {
namespace {

constexpr int64_t kProject = 3;
constexpr int64_t kSuiteA = 1;
constexpr int64_t kSuiteB = 2;
constexpr TimeMs kStart = 1'700'000'000'000;

std::vector<ConfigGroup> Groups() {
  return {{10, "Platform", {{11, "PC"}, {12, "PS5"}, {13, "Xbox"}}},
          {20, "Device", {{21, "Pad"}, {22, "Keyboard"}}}};
}

ConfigMapping PlatformMapping() {
  ConfigMapping m;
  m.attributes.push_back({"platform", 10, {{"PC", 11}, {"PS5", 12}}});
  return m;
}

TEST(ConfigMappingTest, JsonRoundTripsAndIsStrict) {
  ConfigMapping m = PlatformMapping();
  m.attributes.push_back({"device", 20, {{"pad", 21}}});
  auto back = ConfigMappingFromJson(ConfigMappingToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->attributes.size(), 2u);
  EXPECT_EQ(back->attributes[0].attribute, "platform");
  EXPECT_EQ(back->attributes[0].values.at("PS5"), 12);
  EXPECT_EQ(back->attributes[1].group_id, 20);

  struct Bad {
    const char* json;
    const char* field;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"({"attributes":[],"x":1})", "x"},
           {R"({"attributes":[{"attribute":"platform","group_id":0,"values":{}}]})",
            "attributes[0].group_id"},
           {R"({"attributes":[{"attribute":"bad key","group_id":1,"values":{}}]})",
            "attributes[0].attribute"},
           {R"({"attributes":[{"attribute":"platform","group_id":1,"values":{"PC":"7"}}]})",
            "attributes[0].values.PC"},
           {R"({"attributes":[{"attribute":"a","group_id":1,"values":{}},)"
            R"({"attribute":"a","group_id":2,"values":{}}]})",
            "attributes[1].attribute"},
           {R"({"attributes":[{"attribute":"a","group_id":1,"values":{}},)"
            R"({"attribute":"b","group_id":1,"values":{}}]})",
            "attributes[1].group_id"},
           {R"({"attributes":[{"attribute":"a","group_id":1,"values":{},"extra":1}]})",
            "attributes[0].extra"},
       }) {
    auto r = ConfigMappingFromJson(nlohmann::json::parse(b.json));
    ASSERT_FALSE(r.ok()) << b.json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << b.json;
    EXPECT_EQ(r.status().field(), b.field) << b.json;
  }
}

TEST(ConfigMappingTest, ValidationNamesUnknownGroupAndConfigIds) {
  EXPECT_TRUE(ValidateConfigMapping(PlatformMapping(), Groups()).ok());
  ConfigMapping g = PlatformMapping();
  g.attributes[0].group_id = 99;
  Status s = ValidateConfigMapping(g, Groups());
  EXPECT_EQ(s.reason(), "unknown_config_group");
  EXPECT_EQ(s.field(), "attributes[0].group_id");
  EXPECT_NE(s.message().find("99"), std::string::npos);

  ConfigMapping c = PlatformMapping();
  c.attributes[0].values["Switch"] = 21;  // a config of another group
  c.attributes[0].values["Wii"] = 777;
  s = ValidateConfigMapping(c, Groups());
  EXPECT_EQ(s.reason(), "unknown_config");
  EXPECT_NE(s.message().find("21 (for 'Switch')"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("777 (for 'Wii')"), std::string::npos) << s.message();
}

TEST(ConfigMappingTest, DisappearedGroupsAndConfigsAreFlagged) {
  EXPECT_TRUE(FlagConfigMapping(PlatformMapping(), Groups()).empty());
  auto groups = Groups();
  groups[0].configs.erase(groups[0].configs.begin() + 1);  // PS5 deleted in TestRail
  auto p = FlagConfigMapping(PlatformMapping(), groups);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].problem, "config_disappeared");
  EXPECT_EQ(p[0].field, "attributes[0].values.PS5");
  groups.erase(groups.begin());  // the whole group deleted
  p = FlagConfigMapping(PlatformMapping(), groups);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].problem, "group_disappeared");
}

TEST(ConfigMappingTest, SuggestionsMatchNamesIgnoringCase) {
  EXPECT_EQ(SuggestConfig("ps5", Groups()[0]), 12);
  EXPECT_EQ(SuggestConfig("XBOX", Groups()[0]), 13);
  EXPECT_EQ(SuggestConfig("Switch", Groups()[0]), std::nullopt);
}

TEST(ConfigMappingTest, RunConfigurationNeedsAMappedValueForEveryAttribute) {
  ConfigMapping m = PlatformMapping();
  m.attributes.push_back({"device", 20, {{"Pad", 21}}});
  auto rc = ResolveRunConfiguration({{"platform", "ps5"}, {"device", "Pad"}}, m);
  EXPECT_TRUE(rc.unmapped.empty());
  EXPECT_EQ(rc.config_ids, (std::vector<int64_t>{12, 21}));
  EXPECT_EQ(rc.label, "platform=PS5, device=Pad");  // the mapping's spelling
  rc = ResolveRunConfiguration({{"platform", "PS5"}}, m);
  EXPECT_EQ(rc.unmapped, "it has no attribute 'device'");
  EXPECT_TRUE(rc.config_ids.empty());
  rc = ResolveRunConfiguration({{"platform", "Xbox"}, {"device", "Pad"}}, m);
  EXPECT_NE(rc.unmapped.find("'Xbox' is mapped to no TestRail configuration"), std::string::npos);
}

class ConfigPlanTest : public ::testing::Test {
 protected:
  ConfigPlanTest() {
    for (int64_t c = 101; c <= 103; ++c) req_.catalog[c] = {c, kSuiteA, "Case A", false};
    req_.catalog[201] = {201, kSuiteB, "Case B", false};
    req_.selected_suite_ids = {kSuiteA, kSuiteB};
    req_.mapping = StatusMapping::Defaults();
    req_.options.project_id = kProject;
    req_.options.project_name = "Game";
    req_.options.now = kStart;
    req_.source.kind = ExportSourceKind::kMultipleRuns;
  }
  void Add(int64_t run_id, int64_t test_id, RunResult result, std::vector<int64_t> cases,
           RunAttributes attrs) {
    ExportRunInput in;
    in.run.id = run_id;
    in.run.project_id = kProject;
    in.run.test_id = test_id;
    in.run.result = result;
    in.run.bug_label = result == RunResult::kSuccess ? BugLabel::kNoBug : BugLabel::kLikelyBug;
    in.run.started_at = kStart + run_id * 1000;
    in.run.finished_at = in.run.started_at + 5000;
    in.run.attributes = std::move(attrs);
    in.test.id = test_id;
    in.test.project_id = kProject;
    in.test.name = "Test " + std::to_string(test_id);
    in.links.case_ids = std::move(cases);
    req_.runs.push_back(std::move(in));
  }
  ExportRequest req_;
};

TEST_F(ConfigPlanTest, WithoutAMappingThePlanIsUnchanged) {
  Add(1, 1, RunResult::kSuccess, {101}, {{"platform", "PC"}});
  auto a = PlanExportWithConfigurations(req_, ConfigMapping{});
  auto b = PlanExport(req_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->strategy, ExportStrategy::kSingleSuite);
  ASSERT_EQ(a->entries.size(), 1u);
  EXPECT_TRUE(a->entries[0].config_ids.empty());
  EXPECT_EQ(a->entries[0].results.size(), b->entries[0].results.size());
}

TEST_F(ConfigPlanTest, OneRunPerCombinationEachResultInItsConfigurationAndUnmappedSkipped) {
  // The same test on PC (passes) and on PS5 (fails): one result per configuration, not the
  // worst of both. Run 3 is on Xbox (unmapped), run 4 has no platform: both skipped, not
  // guessed. Run 5 hits another suite on PC.
  Add(1, 1, RunResult::kSuccess, {101, 102}, {{"platform", "PC"}});
  Add(2, 1, RunResult::kStopped, {101, 102}, {{"platform", "PS5"}});
  Add(3, 2, RunResult::kStopped, {103}, {{"platform", "Xbox"}});
  Add(4, 2, RunResult::kStopped, {103}, {});
  Add(5, 3, RunResult::kSuccess, {201}, {{"platform", "pc"}});
  auto plan = PlanExportWithConfigurations(req_, PlatformMapping());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->strategy, ExportStrategy::kMultiSuitePlan);
  ASSERT_EQ(plan->entries.size(), 3u);
  EXPECT_EQ(plan->entries[0].suite_id, kSuiteA);
  EXPECT_EQ(plan->entries[0].config_ids, (std::vector<int64_t>{11}));
  EXPECT_EQ(plan->entries[0].config_label, "platform=PC");
  EXPECT_EQ(plan->entries[1].suite_id, kSuiteA);
  EXPECT_EQ(plan->entries[1].config_ids, (std::vector<int64_t>{12}));
  EXPECT_EQ(plan->entries[2].suite_id, kSuiteB);
  EXPECT_EQ(plan->entries[2].config_ids, (std::vector<int64_t>{11}));
  for (const auto& r : plan->entries[0].results) {
    EXPECT_EQ(r.status_id, 1) << r.case_id;  // PC passed
    EXPECT_EQ(r.run_ids, (std::vector<int64_t>{1}));
  }
  for (const auto& r : plan->entries[1].results) {
    EXPECT_EQ(r.status_id, 5) << r.case_id;  // PS5 failed
    EXPECT_EQ(r.run_ids, (std::vector<int64_t>{2}));
  }
  EXPECT_EQ(plan->total_test_cases, 5);
  EXPECT_EQ(plan->entries[0].case_ids, (std::vector<int64_t>{101, 102}));
  int unmapped = 0;
  for (const auto& w : plan->warnings)
    if (w.type == kWarnRunConfigUnmapped) {
      ++unmapped;
      EXPECT_TRUE(w.run_id == 3 || w.run_id == 4);
      if (w.run_id == 4) {
        EXPECT_NE(w.message.find("no attribute 'platform'"), std::string::npos) << w.message;
      }
    }
  EXPECT_EQ(unmapped, 2);
  // Case 103 is linked only from the skipped runs: it gets no result anywhere.
  for (const auto& e : plan->entries)
    for (int64_t c : e.case_ids) EXPECT_NE(c, 103);
}

TEST_F(ConfigPlanTest, ASingleSuiteExportWithAMappingBecomesAPlan) {
  Add(1, 1, RunResult::kSuccess, {101}, {{"platform", "PS5"}});
  req_.source.kind = ExportSourceKind::kSingleRun;
  auto plan = PlanExportWithConfigurations(req_, PlatformMapping());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->strategy, ExportStrategy::kMultiSuitePlan);
  ASSERT_EQ(plan->entries.size(), 1u);
  EXPECT_EQ(plan->entries[0].config_ids, (std::vector<int64_t>{12}));
}

TEST_F(ConfigPlanTest, NoMappedRunIsNothingToSendWithAReason) {
  Add(1, 1, RunResult::kSuccess, {101}, {{"platform", "Xbox"}});
  auto plan = PlanExportWithConfigurations(req_, PlatformMapping());
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->nothing_to_send);
  EXPECT_TRUE(plan->entries.empty());
  EXPECT_NE(plan->nothing_to_send_reason.find("none with a TestRail configuration"),
            std::string::npos);
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_EQ(plan->warnings[0].type, kWarnRunConfigUnmapped);
}

TEST_F(ConfigPlanTest, PlansMadeASliceOfCasesAtATimeEqualTheWholePlan) {
  // Issue 16: the configuration plan of each case range, joined, is the whole plan — entries
  // (suite × combination) appear in later slices too and keep their order.
  Add(1, 1, RunResult::kSuccess, {101, 102, 201}, {{"platform", "PC"}});
  Add(2, 1, RunResult::kStopped, {101, 102, 201}, {{"platform", "PS5"}});
  Add(3, 2, RunResult::kStopped, {103}, {{"platform", "Xbox"}});
  Add(5, 3, RunResult::kSuccess, {201, 104}, {{"platform", "pc"}});
  auto whole = PlanExportWithConfigurations(req_, PlatformMapping());
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->entries.size(), 4u);
  ASSERT_EQ(LinkedCaseIds(req_.runs), (std::vector<int64_t>{101, 102, 103, 104, 201}));
  for (size_t per : {1, 2, 3}) {
    SCOPED_TRACE("slices of " + std::to_string(per));
    ExportPlan joined;
    const std::vector<CaseRange> slices = CaseSlices(LinkedCaseIds(req_.runs), per);
    for (size_t k = 0; k < slices.size(); ++k) {
      ExportRequest slice = req_;
      slice.case_range = slices[k];
      auto part = PlanExportWithConfigurations(slice, PlatformMapping());
      ASSERT_TRUE(part.ok());
      AppendPlanSlice(joined, std::move(part).value(), k == 0);
    }
    FinishSlicedPlan(joined);
    EXPECT_EQ(joined.strategy, whole->strategy);
    EXPECT_EQ(joined.total_test_cases, whole->total_test_cases);
    EXPECT_EQ(joined.warnings.size(), whole->warnings.size());
    EXPECT_EQ(joined.skipped.size(), whole->skipped.size());
    ASSERT_EQ(joined.entries.size(), whole->entries.size());
    for (size_t e = 0; e < joined.entries.size(); ++e) {
      EXPECT_EQ(joined.entries[e].suite_id, whole->entries[e].suite_id);
      EXPECT_EQ(joined.entries[e].config_ids, whole->entries[e].config_ids);
      EXPECT_EQ(joined.entries[e].config_label, whole->entries[e].config_label);
      EXPECT_EQ(joined.entries[e].case_ids, whole->entries[e].case_ids);
      ASSERT_EQ(joined.entries[e].results.size(), whole->entries[e].results.size());
      for (size_t k = 0; k < joined.entries[e].results.size(); ++k) {
        EXPECT_EQ(joined.entries[e].results[k].status_id, whole->entries[e].results[k].status_id);
        EXPECT_EQ(joined.entries[e].results[k].comment, whole->entries[e].results[k].comment);
        EXPECT_EQ(joined.entries[e].results[k].run_ids, whole->entries[e].results[k].run_ids);
      }
    }
  }
}

}  // namespace
}  // namespace nexus
