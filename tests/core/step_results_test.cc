// Step results (issue 14): custom_step_results from Nexus step outcomes, statuses through the
// mapping, unreported steps left out, the field's name as given.
#include "core/step_results.h"

#include <gtest/gtest.h>

namespace nexus {
namespace {

using Json = nlohmann::json;

TEST(StepResultsTest, OneEntryPerReportedStepInTestOrder) {
  nexus::Test test;
  test.steps = {{"st_a", "Open", {"Page loads"}},
                {"st_b", "Pay", {"Paid", "Mail sent"}},
                {"st_c", "Logout", {}}};
  nexus::Run run;
  run.id = 4;
  StepOutcome b{"st_b", RunResult::kSuccess, BugLabel::kDefinitelyBug, {}, {}, "two mails"};
  StepOutcome a{"st_a", RunResult::kSuccess, BugLabel::kNoBug, {}, {}, ""};
  StepOutcome c{"st_c", RunResult::kError, BugLabel::kUndecided, {}, {}, "crash"};
  run.steps = {b, a, c};                              // outcomes in any order
  const StatusMapping m = StatusMapping::Defaults();  // Error not reported, bug → Failed
  Json steps = StepResultsOf(run, test, m);
  ASSERT_EQ(steps.size(), 2u) << steps.dump();
  EXPECT_EQ(
      steps[0],
      Json({{"content", "Open"}, {"expected", "Page loads"}, {"actual", ""}, {"status_id", 1}}));
  EXPECT_EQ(steps[1]["expected"], "Paid\nMail sent");
  EXPECT_EQ(steps[1]["status_id"], 5);
  EXPECT_EQ(steps[1]["actual"], "two mails");

  ExportPlan plan;
  PlanEntry entry;
  entry.suite_id = 1;
  entry.case_ids = {10, 11};
  plan.entries.push_back(entry);
  PlannedResult r10;
  r10.case_id = 10;
  r10.deciding_run_id = 4;
  r10.extra_json = R"({"custom_env":2})";
  PlannedResult r11;
  r11.case_id = 11;
  r11.deciding_run_id = 99;  // unknown run: left as is
  plan.entries[0].results = {r10, r11};
  ApplyStepResults(
      "custom_sr", m,
      [&](const PlannedResult& r) -> std::pair<const nexus::Run*, const nexus::Test*> {
        if (r.deciding_run_id == 4) return {&run, &test};
        return {nullptr, nullptr};
      },
      plan);
  Json extra = Json::parse(plan.entries[0].results[0].extra_json);
  EXPECT_EQ(extra["custom_env"], 2);
  EXPECT_EQ(extra["custom_sr"], steps);
  EXPECT_TRUE(plan.entries[0].results[1].extra_json.empty());
}

}  // namespace
}  // namespace nexus
