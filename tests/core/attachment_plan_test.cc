// Attachment planning (issue 17): targets per step / test-level link, the policy's mode,
// media types and size cap, unique names per case, the comment line and reconciliation
// counting.
#include "core/attachment_plan.h"

#include <gtest/gtest.h>

#include <set>

namespace nexus {
namespace {

// A run with 3 steps (3 screenshots, one per step) and a run-level log; step k linked to case
// 100 + k, the test linked to case 200.
RunArtifacts ThreeStepRun(int64_t run_id) {
  RunArtifacts r;
  r.run_id = run_id;
  r.links.case_ids = {200};
  r.links.step_case_ids = {{"s1", {101}}, {"s2", {102}}, {"s3", {103}}};
  r.artifacts = {{run_id * 10 + 1, "step-1.png", "image/png", 1000, "s1"},
                 {run_id * 10 + 2, "step-2.png", "image/png", 2000, "s2"},
                 {run_id * 10 + 3, "step-3.png", "image/png", 3000, "s3"},
                 {run_id * 10 + 4, "agent.log", "text/plain", 400, ""}};
  return r;
}

// Each case's status for the results runs `runs` report to (no configurations: one result
// per case, fed by every run).
ResultStatusByRun ForRuns(const std::map<int64_t, int>& by_case, std::vector<int64_t> runs = {1}) {
  ResultStatusByRun out;
  for (const auto& [c, s] : by_case)
    for (int64_t r : runs) out[{c, r}] = s;
  return out;
}

std::vector<std::pair<int64_t, std::string>> Pairs(const AttachmentPlan& p) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& i : p.items) out.emplace_back(i.case_id, i.name);
  return out;
}

TEST(AttachmentPlanTest, AllSendsStepArtifactsToStepAndTestCasesAndLogsEverywhere) {
  std::map<int64_t, int> status = {{101, 1}, {102, 1}, {103, 5}, {200, 5}};
  AttachmentPlan p =
      PlanAttachments({.mode = AttachMode::kAll}, {ThreeStepRun(1)}, ForRuns(status));
  using V = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(Pairs(p), (V{{101, "step-1.png"},
                         {101, "agent.log"},
                         {102, "step-2.png"},
                         {102, "agent.log"},
                         {103, "step-3.png"},
                         {103, "agent.log"},
                         {200, "step-1.png"},
                         {200, "step-2.png"},
                         {200, "step-3.png"},
                         {200, "agent.log"}}));
  EXPECT_EQ(p.total_bytes, 2 * (1000 + 2000 + 3000) + 4 * 400);
  EXPECT_TRUE(p.skipped.empty());
  EXPECT_EQ(AttachmentCommentLine(p.NamesFor(200, {1})),
            "Attachments: step-1.png, step-2.png, step-3.png, agent.log");
}

TEST(AttachmentPlanTest, NoneSendsNothing) {
  std::map<int64_t, int> status = {{101, 5}, {200, 5}};
  EXPECT_TRUE(PlanAttachments({.mode = AttachMode::kNone}, {ThreeStepRun(1)}, ForRuns(status))
                  .items.empty());
}

TEST(AttachmentPlanTest, FailedOnlyKeepsCasesWorseThanPassed) {
  // 101 passed, 102 blocked, 103 failed; 200 not part of the export.
  std::map<int64_t, int> status = {{101, 1}, {102, 2}, {103, 5}};
  AttachmentPlan p =
      PlanAttachments({.mode = AttachMode::kFailedOnly}, {ThreeStepRun(1)}, ForRuns(status));
  using V = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(Pairs(p),
            (V{{102, "step-2.png"}, {102, "agent.log"}, {103, "step-3.png"}, {103, "agent.log"}}));
}

TEST(AttachmentPlanTest, MediaTypesAndSizeCapSkipWithReasons) {
  std::map<int64_t, int> status = {{101, 5}, {102, 5}, {103, 5}, {200, 5}};
  AttachmentPlan p =
      PlanAttachments({.mode = AttachMode::kAll, .media_types = {"text/*"}, .max_bytes = 1000},
                      {ThreeStepRun(1)}, ForRuns(status));
  ASSERT_EQ(p.skipped.size(), 3u);
  for (const auto& s : p.skipped) EXPECT_EQ(s.reason, "media_type_not_allowed") << s.name;
  ASSERT_EQ(p.items.size(), 4u);  // the log to every case
  for (const auto& i : p.items) EXPECT_EQ(i.name, "agent.log");

  AttachmentPlan capped = PlanAttachments({.mode = AttachMode::kAll, .max_bytes = 1500},
                                          {ThreeStepRun(1)}, ForRuns(status));
  ASSERT_EQ(capped.skipped.size(), 2u);
  EXPECT_EQ(capped.skipped[0].name, "step-2.png");
  EXPECT_EQ(capped.skipped[0].reason, "too_large");
  EXPECT_EQ(capped.skipped[1].name, "step-3.png");
  // TestRail's 256 MB limit applies whatever the policy says.
  RunArtifacts huge = ThreeStepRun(1);
  huge.artifacts = {{9, "video.mp4", "video/mp4", kTestRailMaxAttachmentBytes + 1, ""}};
  AttachmentPlan over =
      PlanAttachments({.mode = AttachMode::kAll, .max_bytes = INT64_MAX}, {huge}, ForRuns(status));
  EXPECT_TRUE(over.items.empty());
  ASSERT_EQ(over.skipped.size(), 1u);
  EXPECT_EQ(over.skipped[0].reason, "too_large");
}

TEST(AttachmentPlanTest, NamesAreUniquePerCaseAcrossRuns) {
  // Two runs of the same test in one export, both reporting to case 200.
  std::map<int64_t, int> status = {{101, 5}, {102, 5}, {103, 5}, {200, 5}};
  AttachmentPlan p = PlanAttachments({.mode = AttachMode::kAll}, {ThreeStepRun(2), ThreeStepRun(1)},
                                     ForRuns(status, {1, 2}));
  const auto names = p.NamesFor(200, {1, 2});
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(names[0], "step-1.png");  // run 1 first
  EXPECT_EQ(names[4], "step-1 (run 2).png");
  EXPECT_EQ(names[7], "agent (run 2).log");
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
}

TEST(AttachmentPlanTest, ConfigurationsAttachARunsArtifactsToItsOwnResultOnly) {
  // Case 101 has a result per configuration: run 1 (passed) feeds one, run 2 (failed) the
  // other. "failed" attaches run 2's artifacts only, and each result's comment names its own.
  ResultStatusByRun status = {{{101, 1}, 1}, {{101, 2}, 5}};
  RunArtifacts a = ThreeStepRun(1), b = ThreeStepRun(2);
  AttachmentPlan failed = PlanAttachments({.mode = AttachMode::kFailedOnly}, {a, b}, status);
  ASSERT_EQ(failed.items.size(), 2u);  // run 2's step-1.png and agent.log, to case 101
  for (const auto& i : failed.items) {
    EXPECT_EQ(i.case_id, 101);
    EXPECT_EQ(i.run_id, 2);
  }
  EXPECT_TRUE(failed.NamesFor(101, {1}).empty());
  EXPECT_EQ(failed.NamesFor(101, {2}), (std::vector<std::string>{"step-1.png", "agent.log"}));

  AttachmentPlan all = PlanAttachments({.mode = AttachMode::kAll}, {a, b}, status);
  ASSERT_EQ(all.items.size(), 4u);
  // Names stay unique per case across its results.
  EXPECT_EQ(all.NamesFor(101, {1}), (std::vector<std::string>{"step-1.png", "agent.log"}));
  EXPECT_EQ(all.NamesFor(101, {2}),
            (std::vector<std::string>{"step-1 (run 2).png", "agent (run 2).log"}));
}

TEST(AttachmentPlanTest, MediaTypeMatching) {
  EXPECT_TRUE(MediaTypeAllowed({}, "video/mp4"));
  EXPECT_TRUE(MediaTypeAllowed({"image/*"}, "IMAGE/PNG"));
  EXPECT_TRUE(MediaTypeAllowed({"text/plain"}, "text/plain; charset=utf-8"));
  EXPECT_FALSE(MediaTypeAllowed({"image/*"}, "imagex/png"));
  EXPECT_FALSE(MediaTypeAllowed({"text/plain"}, "text/html"));
  EXPECT_EQ(ParseAttachMode("failed"), AttachMode::kFailedOnly);
  EXPECT_FALSE(ParseAttachMode("some").has_value());
  EXPECT_EQ(AttachModeName(AttachMode::kAll), "all");
  EXPECT_EQ(AttachmentCommentLine({}), "");
}

TEST(AttachmentPlanTest, CountLandedMatchesNameAndSize) {
  std::vector<std::pair<std::string, int64_t>> remote = {
      {"step-1.png", 1000}, {"step-1.png", 999}, {"agent.log", 400}, {"step-1.png", 1000}};
  EXPECT_EQ(CountLanded(remote, "step-1.png", 1000), 2);
  EXPECT_EQ(CountLanded(remote, "agent.log", 401), 0);
  EXPECT_EQ(CountLanded(remote, "missing.png", 1), 0);
}

}  // namespace
}  // namespace nexus
