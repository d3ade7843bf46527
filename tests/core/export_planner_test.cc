// The export planner (R-EXP-1..7, R-EXP-PREVIEW, R-SUITE-2, R-MAP-*): status per link kind,
// worst-status aggregation, suites → run or plan, skipped cases, names, comments, elapsed,
// batching and determinism.
#include "core/export_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/time_util.h"

namespace nexus {
namespace {

constexpr int64_t kProject = 3;
constexpr int64_t kSuiteA = 1;
constexpr int64_t kSuiteB = 2;
constexpr int64_t kSuiteOff = 9;  // exists in the catalog, not selected
constexpr TimeMs kStart = 1'700'000'000'000;

nexus::Test MakeTest(int64_t id, std::string name, std::vector<std::string> step_ids = {}) {
  nexus::Test t;
  t.id = id;
  t.project_id = kProject;
  t.name = std::move(name);
  for (size_t i = 0; i < step_ids.size(); ++i) {
    Step s;
    s.id = step_ids[i];
    s.goal = "Goal of " + step_ids[i];
    t.steps.push_back(std::move(s));
  }
  return t;
}

nexus::Run MakeRun(int64_t id, int64_t test_id, RunResult r = RunResult::kSuccess,
                   BugLabel l = BugLabel::kNoBug, TimeMs duration = 105'000) {
  nexus::Run run;
  run.id = id;
  run.project_id = kProject;
  run.test_id = test_id;
  run.result = r;
  run.bug_label = l;
  run.started_at = kStart + id * 1'000'000;
  run.finished_at = run.started_at + duration;
  run.build = "1.0." + std::to_string(id);
  return run;
}

StepOutcome Outcome(std::string step_id, RunResult r, BugLabel l) {
  StepOutcome o;
  o.step_id = std::move(step_id);
  o.result = r;
  o.bug_label = l;
  return o;
}

TestLinks TestLevel(std::vector<int64_t> ids) {
  TestLinks l;
  l.case_ids = std::move(ids);
  return l;
}

class PlannerTest : public ::testing::Test {
 protected:
  PlannerTest() {
    for (int64_t c = 101; c <= 120; ++c) AddCase(c, kSuiteA);
    for (int64_t c = 201; c <= 220; ++c) AddCase(c, kSuiteB);
    for (int64_t c = 901; c <= 905; ++c) AddCase(c, kSuiteOff);
    req_.catalog[150] = {150, kSuiteA, "Deleted case", true};
    req_.selected_suite_ids = {kSuiteA, kSuiteB};
    req_.mapping = StatusMapping::Defaults();
    req_.options.project_id = kProject;
    req_.options.project_name = "Shop";
    req_.options.now = *ParseRfc3339("2026-11-25T10:53:27Z");
    req_.options.public_url = "https://nexus.example.com";
  }

  void AddCase(int64_t id, int64_t suite) {
    req_.catalog[id] = {id, suite, "Case " + std::to_string(id), false};
  }

  ExportRunInput& Add(nexus::Run run, nexus::Test test, TestLinks links) {
    req_.runs.push_back({std::move(run), std::move(test), std::move(links)});
    if (req_.runs.size() > 1 && req_.source.kind == ExportSourceKind::kSingleRun)
      req_.source.kind = ExportSourceKind::kMultipleRuns;
    return req_.runs.back();
  }

  ExportPlan Plan() {
    Result<ExportPlan> p = PlanExport(req_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : ExportPlan{};
  }

  // The single result for `case_id`, or nullptr.
  static const PlannedResult* Find(const ExportPlan& p, int64_t case_id) {
    for (const PlanEntry& e : p.entries)
      for (const PlannedResult& r : e.results)
        if (r.case_id == case_id) return &r;
    return nullptr;
  }
  static const SkippedCase* Skipped(const ExportPlan& p, int64_t case_id) {
    for (const SkippedCase& s : p.skipped)
      if (s.case_id == case_id) return &s;
    return nullptr;
  }
  static bool HasWarning(const ExportPlan& p, std::string_view type, int64_t run_id) {
    for (const ExportWarning& w : p.warnings)
      if (w.type == type && w.run_id == run_id) return true;
    return false;
  }
  static int CountWarnings(const ExportPlan& p, std::string_view type) {
    int n = 0;
    for (const ExportWarning& w : p.warnings) n += w.type == type;
    return n;
  }

  // Status of a single-run, single-test-level-link export; nullopt when skipped.
  std::optional<int> StatusOf(RunResult r, BugLabel l) {
    req_.runs.clear();
    Add(MakeRun(1, 10, r, l), MakeTest(10, "T"), TestLevel({101}));
    ExportPlan p = Plan();
    if (const PlannedResult* res = Find(p, 101)) return res->status_id;
    EXPECT_NE(Skipped(p, 101), nullptr);
    return std::nullopt;
  }

  ExportRequest req_;
};

// Serialises everything in a plan so two plans can be compared byte for byte.
std::string Dump(const ExportPlan& p) {
  std::string out = std::string(ExportStrategyName(p.strategy)) + "|" + p.name + "|" +
                    p.description + "|" + std::to_string(p.runs_processed) + "|" +
                    std::to_string(p.total_test_cases) + "|" + p.nothing_to_send_reason + "\n";
  for (const PlanEntry& e : p.entries) {
    out += "E" + std::to_string(e.suite_id) + ":";
    for (int64_t c : e.case_ids) out += std::to_string(c) + ",";
    out += ResultsFingerprint(e.results) + "\n";
    for (const PlannedResult& r : e.results) {
      out += std::to_string(r.case_id) + "/" + std::to_string(r.status_id) + "/" + r.elapsed + "/" +
             r.version + "/" + r.comment + "\n";
    }
  }
  for (const SkippedCase& s : p.skipped)
    out += "S" + std::to_string(s.case_id) + std::string(SkipReasonName(s.reason)) + s.message;
  for (const ExportWarning& w : p.warnings) out += "W" + w.type + w.message;
  return out;
}

// ---------------------------------------------------------------- severity and formatting

TEST(StatusSeverityTest, OrderIsFailedBlockedRetestCustomPassed) {
  EXPECT_GT(StatusSeverity(kTrFailed), StatusSeverity(kTrBlocked));
  EXPECT_GT(StatusSeverity(kTrBlocked), StatusSeverity(kTrRetest));
  for (int custom = 6; custom <= 12; ++custom) {
    EXPECT_GT(StatusSeverity(kTrRetest), StatusSeverity(custom)) << custom;
    EXPECT_GT(StatusSeverity(custom), StatusSeverity(kTrPassed)) << custom;
  }
  EXPECT_EQ(StatusSeverity(42), StatusSeverity(6));  // any non-system id is custom
  EXPECT_GT(StatusSeverity(kTrPassed), StatusSeverity(kTrUntested));
}

TEST(StatusSeverityTest, WorstStatusIsSymmetricAndDeterministic) {
  const int ids[] = {1, 2, 3, 4, 5, 6, 7, 12, 42};
  for (int a : ids) {
    for (int b : ids) {
      EXPECT_EQ(WorstStatus(a, b), WorstStatus(b, a)) << a << " " << b;
      const int w = WorstStatus(a, b);
      EXPECT_TRUE(w == a || w == b);
      EXPECT_GE(StatusSeverity(w), std::max(StatusSeverity(a), StatusSeverity(b)));
    }
  }
  EXPECT_EQ(WorstStatus(kTrPassed, kTrFailed), kTrFailed);
  EXPECT_EQ(WorstStatus(kTrRetest, kTrBlocked), kTrBlocked);
  EXPECT_EQ(WorstStatus(7, kTrRetest), kTrRetest);
  EXPECT_EQ(WorstStatus(kTrPassed, 7), 7);
  EXPECT_EQ(WorstStatus(9, 7), 7);  // custom tie: lower id
}

TEST(FormatElapsedTest, TestRailTimespanFormat) {
  EXPECT_EQ(FormatElapsed(0), "");
  EXPECT_EQ(FormatElapsed(-5), "");
  EXPECT_EQ(FormatElapsed(1), "1s");
  EXPECT_EQ(FormatElapsed(499), "1s");
  EXPECT_EQ(FormatElapsed(999), "1s");
  EXPECT_EQ(FormatElapsed(1'499), "1s");
  EXPECT_EQ(FormatElapsed(1'500), "2s");
  EXPECT_EQ(FormatElapsed(30'000), "30s");
  EXPECT_EQ(FormatElapsed(45'000), "45s");
  EXPECT_EQ(FormatElapsed(60'000), "1m");
  EXPECT_EQ(FormatElapsed(105'000), "1m 45s");
  EXPECT_EQ(FormatElapsed(3'600'000), "1h");
  EXPECT_EQ(FormatElapsed(3'605'000), "1h 5s");
  EXPECT_EQ(FormatElapsed(3'723'000), "1h 2m 3s");
  EXPECT_EQ(FormatElapsed(3'723'600), "1h 2m 4s");
  EXPECT_EQ(FormatElapsed(90'000'000), "25h");  // no days: their length is configurable
}

TEST(Utf8Test, LengthTruncateAndValidate) {
  const std::string e = "\xC3\xA9";              // é, 2 bytes
  const std::string euro = "\xE2\x82\xAC";       // €, 3 bytes
  const std::string emoji = "\xF0\x9F\x98\x80";  // 😀, 4 bytes
  const std::string s = "a" + e + euro + emoji + "b";
  EXPECT_EQ(Utf8Length(s), 5u);
  EXPECT_EQ(TruncateUtf8(s, 0), "");
  EXPECT_EQ(TruncateUtf8(s, 2), "a" + e);
  EXPECT_EQ(TruncateUtf8(s, 4), "a" + e + euro + emoji);
  EXPECT_EQ(TruncateUtf8(s, 99), s);
  for (size_t n = 0; n <= 5; ++n) EXPECT_TRUE(IsValidUtf8(TruncateUtf8(s, n))) << n;
  EXPECT_TRUE(IsValidUtf8(s));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(NamesTest, EnumWireNames) {
  EXPECT_EQ(ExportSourceKindName(ExportSourceKind::kSingleRun), "single_run");
  EXPECT_EQ(ExportSourceKindName(ExportSourceKind::kMultipleRuns), "multiple_runs");
  EXPECT_EQ(ExportSourceKindName(ExportSourceKind::kTestPlan), "test_plan");
  EXPECT_EQ(ExportStrategyName(ExportStrategy::kSingleSuite), "single_suite");
  EXPECT_EQ(ExportStrategyName(ExportStrategy::kMultiSuitePlan), "multi_suite_plan");
  EXPECT_EQ(SkipReasonName(SkipReason::kNotReported), "not_reported");
  EXPECT_EQ(SkipReasonName(SkipReason::kCaseDeleted), "case_deleted");
  EXPECT_EQ(SkipReasonName(SkipReason::kSuiteNotSelected), "suite_not_selected");
  EXPECT_EQ(SkipReasonName(SkipReason::kNotInCatalog), "not_in_catalog");
  EXPECT_EQ(SkipReasonName(SkipReason::kRunNotFinished), "run_not_finished");
}

// ---------------------------------------------------------------- mapping paths (R-MAP-*)

TEST_F(PlannerTest, DefaultBasicMappingEveryCell) {
  for (RunResult r : kAllRunResults) {
    for (BugLabel l : kAllBugLabels) {
      SCOPED_TRACE(std::string(RunResultName(r)) + "/" + std::string(BugLabelName(l)));
      std::optional<int> want;
      if (r != RunResult::kError) {
        want = (l == BugLabel::kNoBug || l == BugLabel::kLikelyNoBug) ? kTrPassed
               : l == BugLabel::kUndecided                            ? kTrRetest
                                                                      : kTrFailed;
      }
      EXPECT_EQ(StatusOf(r, l), want);
      EXPECT_EQ(StatusOf(r, l), req_.mapping.Resolve(r, l));
    }
  }
}

TEST_F(PlannerTest, CustomBasicMappingSameForSuccessStoppedMaxSteps) {
  req_.mapping.basic = {{BugLabel::kNoBug, 6},
                        {BugLabel::kLikelyNoBug, std::nullopt},
                        {BugLabel::kUndecided, 7},
                        {BugLabel::kLikelyBug, kTrBlocked},
                        {BugLabel::kDefinitelyBug, 8}};
  for (RunResult r : {RunResult::kSuccess, RunResult::kStopped, RunResult::kMaxSteps}) {
    SCOPED_TRACE(std::string(RunResultName(r)));
    EXPECT_EQ(StatusOf(r, BugLabel::kNoBug), 6);
    EXPECT_EQ(StatusOf(r, BugLabel::kLikelyNoBug), std::nullopt);
    EXPECT_EQ(StatusOf(r, BugLabel::kUndecided), 7);
    EXPECT_EQ(StatusOf(r, BugLabel::kLikelyBug), kTrBlocked);
    EXPECT_EQ(StatusOf(r, BugLabel::kDefinitelyBug), 8);
  }
  // Basic mode never reports Error, whatever the labels map to (R-MAP-4).
  for (BugLabel l : kAllBugLabels) EXPECT_EQ(StatusOf(RunResult::kError, l), std::nullopt);
}

TEST_F(PlannerTest, AdvancedMappingUsesTheCellOfEachResultAndLabel) {
  req_.mapping.mode = StatusMapping::Mode::kAdvanced;
  int r_i = 0;
  for (RunResult r : kAllRunResults) {
    int l_i = 0;
    for (BugLabel l : kAllBugLabels) req_.mapping.advanced[r][l] = 100 + 10 * r_i + l_i++;
    ++r_i;
  }
  r_i = 0;
  for (RunResult r : kAllRunResults) {
    int l_i = 0;
    for (BugLabel l : kAllBugLabels) {
      SCOPED_TRACE(std::string(RunResultName(r)) + "/" + std::string(BugLabelName(l)));
      EXPECT_EQ(StatusOf(r, l), 100 + 10 * r_i + l_i++);  // Error reported when mapped
    }
    ++r_i;
  }
}

TEST_F(PlannerTest, AdvancedNullCellIsNotReported) {
  req_.mapping.mode = StatusMapping::Mode::kAdvanced;
  req_.mapping.advanced[RunResult::kStopped][BugLabel::kUndecided] = std::nullopt;
  EXPECT_EQ(StatusOf(RunResult::kStopped, BugLabel::kUndecided), std::nullopt);
  EXPECT_EQ(StatusOf(RunResult::kMaxSteps, BugLabel::kUndecided), kTrRetest);
  EXPECT_EQ(StatusOf(RunResult::kError, BugLabel::kDefinitelyBug), std::nullopt);
}

TEST_F(PlannerTest, BasicModeIgnoresAdvancedTables) {
  req_.mapping.advanced[RunResult::kError][BugLabel::kNoBug] = kTrBlocked;
  req_.mapping.advanced[RunResult::kSuccess][BugLabel::kNoBug] = kTrFailed;
  EXPECT_EQ(StatusOf(RunResult::kError, BugLabel::kNoBug), std::nullopt);
  EXPECT_EQ(StatusOf(RunResult::kSuccess, BugLabel::kNoBug), kTrPassed);
}

TEST_F(PlannerTest, ErrorRunIsNotReportedAndSaysWhy) {
  Add(MakeRun(12, 10, RunResult::kError, BugLabel::kUndecided), MakeTest(10, "Login"),
      TestLevel({101, 102}));
  ExportPlan p = Plan();
  EXPECT_TRUE(p.nothing_to_send);
  EXPECT_TRUE(p.entries.empty());
  EXPECT_EQ(p.total_test_cases, 0);
  EXPECT_EQ(p.runs_processed, 1);
  ASSERT_EQ(p.skipped.size(), 2u);
  for (const SkippedCase& s : p.skipped) {
    EXPECT_EQ(s.reason, SkipReason::kNotReported);
    EXPECT_EQ(s.run_ids, std::vector<int64_t>{12});
  }
  EXPECT_NE(p.nothing_to_send_reason.find("2 cases not reported"), std::string::npos)
      << p.nothing_to_send_reason;
  EXPECT_TRUE(HasWarning(p, kWarnRunNotReported, 12));
}

// ---------------------------------------------------------------- step-level links (R-EXP-2)

TEST_F(PlannerTest, StepOutcomeOverridesRunStatus) {
  nexus::Run run = MakeRun(1, 10);  // Success / NoBug → Passed
  run.steps.push_back(Outcome("s2", RunResult::kStopped, BugLabel::kDefinitelyBug));
  TestLinks links = TestLevel({101});
  links.step_case_ids["s2"] = {102};
  Add(run, MakeTest(10, "T", {"s1", "s2"}), links);
  ExportPlan p = Plan();
  ASSERT_NE(Find(p, 101), nullptr);
  ASSERT_NE(Find(p, 102), nullptr);
  EXPECT_EQ(Find(p, 101)->status_id, kTrPassed);
  EXPECT_EQ(Find(p, 102)->status_id, kTrFailed);
}

TEST_F(PlannerTest, StepWithoutOutcomeFallsBackToRunStatus) {
  nexus::Run run = MakeRun(1, 10, RunResult::kStopped, BugLabel::kUndecided);
  run.steps.push_back(Outcome("s1", RunResult::kSuccess, BugLabel::kNoBug));
  TestLinks links;
  links.step_case_ids["s1"] = {101};
  links.step_case_ids["s2"] = {102};
  Add(run, MakeTest(10, "T", {"s1", "s2"}), links);
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 101)->status_id, kTrPassed);  // own outcome
  EXPECT_EQ(Find(p, 102)->status_id, kTrRetest);  // run's
  EXPECT_NE(Find(p, 102)->comment.find("no step outcome; the run's result applies"),
            std::string::npos);
}

TEST_F(PlannerTest, StepOutcomeMappedToNotReportedIsNotReportedEvenIfRunIs) {
  nexus::Run run = MakeRun(1, 10);
  run.steps.push_back(Outcome("s1", RunResult::kError, BugLabel::kNoBug));
  TestLinks links;
  links.step_case_ids["s1"] = {101};
  Add(run, MakeTest(10, "T", {"s1"}), links);
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 101), nullptr);
  ASSERT_NE(Skipped(p, 101), nullptr);
  EXPECT_EQ(Skipped(p, 101)->reason, SkipReason::kNotReported);
  EXPECT_FALSE(HasWarning(p, kWarnRunNotReported, 1));  // the run itself is reported
}

TEST_F(PlannerTest, ErrorRunStillReportsStepsWithTheirOwnReportedOutcome) {
  nexus::Run run = MakeRun(1, 10, RunResult::kError, BugLabel::kNoBug);
  run.steps.push_back(Outcome("s1", RunResult::kSuccess, BugLabel::kLikelyBug));
  TestLinks links = TestLevel({101});
  links.step_case_ids["s1"] = {102};
  Add(run, MakeTest(10, "T", {"s1"}), links);
  ExportPlan p = Plan();
  EXPECT_EQ(Skipped(p, 101)->reason, SkipReason::kNotReported);
  EXPECT_EQ(Find(p, 102)->status_id, kTrFailed);
  EXPECT_TRUE(HasWarning(p, kWarnRunNotReported, 1));
}

TEST_F(PlannerTest, StepElapsedComesFromStepTimesElseRun) {
  nexus::Run run = MakeRun(1, 10, RunResult::kSuccess, BugLabel::kNoBug, 3'723'000);
  StepOutcome timed = Outcome("s1", RunResult::kSuccess, BugLabel::kNoBug);
  timed.started_at = 1000;
  timed.finished_at = 31'000;
  StepOutcome untimed = Outcome("s2", RunResult::kSuccess, BugLabel::kNoBug);
  untimed.started_at = 1000;  // no finish: the run's duration applies
  run.steps = {timed, untimed};
  TestLinks links = TestLevel({101});
  links.step_case_ids["s1"] = {102};
  links.step_case_ids["s2"] = {103};
  Add(run, MakeTest(10, "T", {"s1", "s2"}), links);
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 101)->elapsed, "1h 2m 3s");
  EXPECT_EQ(Find(p, 102)->elapsed, "30s");
  EXPECT_EQ(Find(p, 103)->elapsed, "1h 2m 3s");
}

TEST_F(PlannerTest, StaleStepLinksAreIgnoredWithOneWarningPerTest) {
  TestLinks links = TestLevel({101});
  links.step_case_ids["gone"] = {102};
  Add(MakeRun(1, 10), MakeTest(10, "T", {"s1"}), links);
  Add(MakeRun(2, 10), MakeTest(10, "T", {"s1"}), links);
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 102), nullptr);
  EXPECT_EQ(Skipped(p, 102), nullptr);  // not a case of this export at all
  EXPECT_EQ(CountWarnings(p, kWarnStaleStepLink), 1);
  EXPECT_TRUE(HasWarning(p, kWarnStaleStepLink, 1));
  EXPECT_NE(Find(p, 101), nullptr);
}

TEST_F(PlannerTest, DuplicateLinksCountOnce) {
  TestLinks links = TestLevel({101, 101, 102});
  links.step_case_ids["s1"] = {103, 103};
  Add(MakeRun(1, 10), MakeTest(10, "T", {"s1"}), links);
  ExportPlan p = Plan();
  EXPECT_EQ(p.total_test_cases, 3);
  EXPECT_EQ(std::count(Find(p, 101)->comment.begin(), Find(p, 101)->comment.end(), '>'), 1);
}

// ---------------------------------------------------------------- worst wins (R-EXP-3)

TEST_F(PlannerTest, WorstStatusAcrossRunsAndCommentListsEveryRun) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  Add(MakeRun(2, 11, RunResult::kSuccess, BugLabel::kDefinitelyBug), MakeTest(11, "B"),
      TestLevel({101}));
  Add(MakeRun(3, 12, RunResult::kSuccess, BugLabel::kUndecided), MakeTest(12, "C"),
      TestLevel({101}));
  ExportPlan p = Plan();
  ASSERT_EQ(p.total_test_cases, 1);
  const PlannedResult* r = Find(p, 101);
  EXPECT_EQ(r->status_id, kTrFailed);
  EXPECT_EQ(r->run_ids, (std::vector<int64_t>{1, 2, 3}));
  for (const char* s : {"Nexus run #1 of test \"A\"", "Nexus run #2 of test \"B\"",
                        "Nexus run #3 of test \"C\"", "Results of 3 Nexus runs"}) {
    EXPECT_NE(r->comment.find(s), std::string::npos) << s << "\n" << r->comment;
  }
}

TEST_F(PlannerTest, WorstStatusAcrossTestAndStepLinksOfOneRun) {
  nexus::Run run = MakeRun(1, 10);  // Passed at test level
  run.steps.push_back(Outcome("s1", RunResult::kStopped, BugLabel::kUndecided));  // Retest
  TestLinks links = TestLevel({101});
  links.step_case_ids["s1"] = {101};
  Add(run, MakeTest(10, "T", {"s1"}), links);
  ExportPlan p = Plan();
  const PlannedResult* r = Find(p, 101);
  EXPECT_EQ(r->status_id, kTrRetest);
  EXPECT_NE(r->comment.find("- the test -> status 1"), std::string::npos) << r->comment;
  EXPECT_NE(r->comment.find("step 1 \"Goal of s1\" (step outcome: Stopped, bug label "
                            "Undecided) -> status 4"),
            std::string::npos)
      << r->comment;
  EXPECT_EQ(r->comment.find("Results of"), std::string::npos);  // one run, one block
}

TEST_F(PlannerTest, CustomStatusesRankBetweenRetestAndPassed) {
  req_.mapping.mode = StatusMapping::Mode::kAdvanced;
  req_.mapping.advanced[RunResult::kMaxSteps][BugLabel::kNoBug] = 8;  // custom
  Add(MakeRun(1, 10, RunResult::kMaxSteps, BugLabel::kNoBug), MakeTest(10, "A"),
      TestLevel({101, 102}));
  Add(MakeRun(2, 11, RunResult::kSuccess, BugLabel::kNoBug), MakeTest(11, "B"),
      TestLevel({101}));  // Passed
  Add(MakeRun(3, 12, RunResult::kSuccess, BugLabel::kUndecided), MakeTest(12, "C"),
      TestLevel({102}));  // Retest
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 101)->status_id, 8);
  EXPECT_EQ(Find(p, 102)->status_id, kTrRetest);
}

TEST_F(PlannerTest, BlockedBeatsRetest) {
  req_.mapping.basic[BugLabel::kLikelyBug] = kTrBlocked;
  Add(MakeRun(1, 10, RunResult::kSuccess, BugLabel::kUndecided), MakeTest(10, "A"),
      TestLevel({101}));
  Add(MakeRun(2, 11, RunResult::kSuccess, BugLabel::kLikelyBug), MakeTest(11, "B"),
      TestLevel({101}));
  EXPECT_EQ(Find(Plan(), 101)->status_id, kTrBlocked);
}

TEST_F(PlannerTest, NotReportedSourceNeverDecidesButIsListed) {
  Add(MakeRun(1, 10, RunResult::kError, BugLabel::kDefinitelyBug), MakeTest(10, "Broken"),
      TestLevel({101}));
  Add(MakeRun(2, 11), MakeTest(11, "Fine"), TestLevel({101}));
  ExportPlan p = Plan();
  const PlannedResult* r = Find(p, 101);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status_id, kTrPassed);
  EXPECT_EQ(r->run_ids, (std::vector<int64_t>{1, 2}));
  EXPECT_NE(r->comment.find("Nexus run #1 of test \"Broken\""), std::string::npos);
  EXPECT_NE(r->comment.find("-> not reported"), std::string::npos);
  EXPECT_EQ(Skipped(p, 101), nullptr);
}

TEST_F(PlannerTest, VersionAndElapsedComeFromNewestRunWithTheWinningStatus) {
  nexus::Run a = MakeRun(1, 10, RunResult::kSuccess, BugLabel::kDefinitelyBug, 45'000);
  nexus::Run b = MakeRun(2, 11, RunResult::kSuccess, BugLabel::kLikelyBug, 105'000);
  nexus::Run c = MakeRun(3, 12, RunResult::kSuccess, BugLabel::kNoBug, 5'000);  // newest, Passed
  a.build = "build-a";
  b.build = "build-b";
  c.build = "build-c";
  Add(a, MakeTest(10, "A"), TestLevel({101}));
  Add(b, MakeTest(11, "B"), TestLevel({101}));
  Add(c, MakeTest(12, "C"), TestLevel({101}));
  ExportPlan p = Plan();
  const PlannedResult* r = Find(p, 101);
  EXPECT_EQ(r->status_id, kTrFailed);
  EXPECT_EQ(r->version, "build-b");
  EXPECT_EQ(r->elapsed, "1m 45s");
}

TEST_F(PlannerTest, VersionFallsBackToNewestNonEmptyBuildAndMayBeEmpty) {
  nexus::Run a = MakeRun(1, 10, RunResult::kSuccess, BugLabel::kNoBug);
  nexus::Run b = MakeRun(2, 11, RunResult::kSuccess, BugLabel::kDefinitelyBug);
  a.build = "2.3";
  b.build = "";
  Add(a, MakeTest(10, "A"), TestLevel({101}));
  Add(b, MakeTest(11, "B"), TestLevel({101, 102}));
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 101)->version, "2.3");
  EXPECT_EQ(Find(p, 102)->version, "");
}

// Issue 14: TestRail's version field holds at most 250 characters; a longer build is cut at
// a code point boundary (not refused), and the deciding run is recorded for field values.
TEST_F(PlannerTest, VersionIsCutToTestRailsLimitAndDecidingRunIsKnown) {
  nexus::Run a = MakeRun(1, 10, RunResult::kSuccess, BugLabel::kDefinitelyBug);
  a.build = std::string(249, 'b') + "\xc3\xa9" + "tail";  // 249 + "é" + 4 = 254 characters
  Add(a, MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  const PlannedResult* r = Find(p, 101);
  EXPECT_EQ(Utf8Length(r->version), kMaxTestRailVersionChars);
  EXPECT_EQ(r->version, std::string(249, 'b') + "\xc3\xa9");
  EXPECT_EQ(r->deciding_run_id, 1);
}

TEST_F(PlannerTest, ZeroDurationRunOmitsElapsed) {
  Add(MakeRun(1, 10, RunResult::kSuccess, BugLabel::kNoBug, 0), MakeTest(10, "A"),
      TestLevel({101}));
  EXPECT_EQ(Find(Plan(), 101)->elapsed, "");
}

// ---------------------------------------------------------------- suites (R-EXP-4, R-SUITE-2)

TEST_F(PlannerTest, OneSuiteMakesOneRunWithOnlyThoseCases) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({105, 101, 103}));
  ExportPlan p = Plan();
  EXPECT_EQ(p.strategy, ExportStrategy::kSingleSuite);
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].suite_id, kSuiteA);
  EXPECT_EQ(p.entries[0].case_ids, (std::vector<int64_t>{101, 103, 105}));
  EXPECT_FALSE(p.nothing_to_send);
  EXPECT_EQ(p.total_test_cases, 3);
}

TEST_F(PlannerTest, SeveralSuitesMakeAPlanWithOneEntryPerSuite) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({202, 101}));
  Add(MakeRun(2, 11), MakeTest(11, "B"), TestLevel({201, 102}));
  ExportPlan p = Plan();
  EXPECT_EQ(p.strategy, ExportStrategy::kMultiSuitePlan);
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].suite_id, kSuiteA);
  EXPECT_EQ(p.entries[0].case_ids, (std::vector<int64_t>{101, 102}));
  EXPECT_EQ(p.entries[1].suite_id, kSuiteB);
  EXPECT_EQ(p.entries[1].case_ids, (std::vector<int64_t>{201, 202}));
  for (const PlanEntry& e : p.entries) {
    ASSERT_EQ(e.results.size(), e.case_ids.size());
    for (size_t i = 0; i < e.results.size(); ++i) EXPECT_EQ(e.results[i].case_id, e.case_ids[i]);
  }
  EXPECT_EQ(p.total_test_cases, 4);
  EXPECT_EQ(p.ResultCount(), 4u);
}

TEST_F(PlannerTest, SkippedCasesDoNotCountTowardsSuites) {
  // 150 (deleted) and 901 (unselected suite) must not turn a one-suite export into a plan.
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101, 150, 901}));
  ExportPlan p = Plan();
  EXPECT_EQ(p.strategy, ExportStrategy::kSingleSuite);
  EXPECT_EQ(p.entries.size(), 1u);
}

TEST_F(PlannerTest, DeletedUnselectedAndUnknownCasesAreSkippedWithReasons) {
  Add(MakeRun(7, 10, RunResult::kSuccess, BugLabel::kDefinitelyBug), MakeTest(10, "A"),
      TestLevel({101, 150, 901, 5555}));
  ExportPlan p = Plan();
  EXPECT_EQ(p.total_test_cases, 1);
  EXPECT_EQ(Find(p, 101)->status_id, kTrFailed);
  ASSERT_EQ(p.skipped.size(), 3u);
  EXPECT_EQ(p.skipped[0].case_id, 150);  // ascending
  EXPECT_EQ(p.skipped[0].reason, SkipReason::kCaseDeleted);
  EXPECT_EQ(p.skipped[1].case_id, 901);
  EXPECT_EQ(p.skipped[1].reason, SkipReason::kSuiteNotSelected);
  EXPECT_NE(p.skipped[1].message.find("S9"), std::string::npos) << p.skipped[1].message;
  EXPECT_EQ(p.skipped[2].case_id, 5555);
  EXPECT_EQ(p.skipped[2].reason, SkipReason::kNotInCatalog);
  for (const SkippedCase& s : p.skipped) {
    EXPECT_EQ(s.run_ids, std::vector<int64_t>{7});
    EXPECT_NE(s.message.find("C" + std::to_string(s.case_id)), std::string::npos);
  }
}

TEST_F(PlannerTest, CatalogReasonsWinOverNotReported) {
  Add(MakeRun(1, 10, RunResult::kError, BugLabel::kNoBug), MakeTest(10, "A"),
      TestLevel({150, 901}));
  ExportPlan p = Plan();
  EXPECT_EQ(Skipped(p, 150)->reason, SkipReason::kCaseDeleted);
  EXPECT_EQ(Skipped(p, 901)->reason, SkipReason::kSuiteNotSelected);
}

TEST_F(PlannerTest, NoSelectedSuitesSkipsEverything) {
  req_.selected_suite_ids.clear();
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101, 201}));
  ExportPlan p = Plan();
  EXPECT_TRUE(p.nothing_to_send);
  EXPECT_NE(p.nothing_to_send_reason.find("2 cases in suites that are not selected"),
            std::string::npos)
      << p.nothing_to_send_reason;
}

// ---------------------------------------------------------------- unfinished runs, nothing to send

TEST_F(PlannerTest, UnfinishedSingleRunSendsNothing) {
  nexus::Run run = MakeRun(4, 10);
  run.finished_at.reset();
  Add(run, MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  EXPECT_TRUE(p.nothing_to_send);
  EXPECT_EQ(p.runs_processed, 0);
  EXPECT_TRUE(HasWarning(p, kWarnRunNotFinished, 4));
  ASSERT_NE(Skipped(p, 101), nullptr);
  EXPECT_EQ(Skipped(p, 101)->reason, SkipReason::kRunNotFinished);
  EXPECT_EQ(Skipped(p, 101)->run_ids, std::vector<int64_t>{4});
  EXPECT_EQ(p.nothing_to_send_reason, "The run has not finished; only finished runs are exported.");
}

TEST_F(PlannerTest, ExecutionExportsOnlyItsFinishedRuns) {
  req_.source.kind = ExportSourceKind::kTestPlan;
  req_.source.execution_id = 5;
  nexus::Run unfinished = MakeRun(2, 11, RunResult::kSuccess, BugLabel::kDefinitelyBug);
  unfinished.finished_at.reset();
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101, 102}));
  Add(unfinished, MakeTest(11, "B", {"s1"}), TestLevel({101, 103}));
  req_.source.kind = ExportSourceKind::kTestPlan;
  ExportPlan p = Plan();
  EXPECT_EQ(p.runs_processed, 1);
  EXPECT_EQ(Find(p, 101)->status_id, kTrPassed);  // the unfinished Failed does not count
  EXPECT_EQ(Find(p, 101)->run_ids, std::vector<int64_t>{1});
  EXPECT_EQ(Find(p, 101)->comment.find("#2"), std::string::npos);
  EXPECT_EQ(Skipped(p, 103)->reason, SkipReason::kRunNotFinished);
  EXPECT_TRUE(HasWarning(p, kWarnRunNotFinished, 2));
  EXPECT_EQ(p.export_type, ExportSourceKind::kTestPlan);
}

TEST_F(PlannerTest, NotReportedWinsOverRunNotFinishedForAFinishedSource) {
  nexus::Run unfinished = MakeRun(2, 11);
  unfinished.finished_at.reset();
  Add(MakeRun(1, 10, RunResult::kError, BugLabel::kNoBug), MakeTest(10, "A"), TestLevel({101}));
  Add(unfinished, MakeTest(11, "B"), TestLevel({101}));
  ExportPlan p = Plan();
  EXPECT_EQ(Skipped(p, 101)->reason, SkipReason::kNotReported);
  EXPECT_EQ(Skipped(p, 101)->run_ids, std::vector<int64_t>{1});
}

TEST_F(PlannerTest, NothingToSendWhenTestsHaveNoLinks) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLinks{});
  ExportPlan p = Plan();
  EXPECT_TRUE(p.nothing_to_send);
  EXPECT_EQ(p.nothing_to_send_reason, "The exported runs' tests have no TestRail case links.");
  EXPECT_TRUE(HasWarning(p, kWarnRunWithoutLinks, 1));
}

TEST_F(PlannerTest, NothingToSendWithoutRuns) {
  ExportPlan p = Plan();
  EXPECT_TRUE(p.nothing_to_send);
  EXPECT_EQ(p.nothing_to_send_reason, "There are no runs to export.");
  EXPECT_FALSE(p.name.empty());
}

TEST_F(PlannerTest, NothingToSendReasonCountsEveryReason) {
  nexus::Run unfinished = MakeRun(2, 11);
  unfinished.finished_at.reset();
  Add(MakeRun(1, 10, RunResult::kError, BugLabel::kNoBug), MakeTest(10, "A"),
      TestLevel({101, 102, 150, 901, 5555}));
  Add(unfinished, MakeTest(11, "B"), TestLevel({103}));
  ExportPlan p = Plan();
  EXPECT_TRUE(p.nothing_to_send);
  EXPECT_EQ(p.nothing_to_send_reason,
            "No linked case can be reported: 2 cases not reported under the status mapping (e.g. "
            "Error runs); 1 case deleted in TestRail; 1 case in suites that are not selected; 1 "
            "case not in the TestRail catalog; 1 case linked only from unfinished runs.");
}

TEST_F(PlannerTest, SomethingToSendHasNoReason) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  EXPECT_FALSE(p.nothing_to_send);
  EXPECT_EQ(p.nothing_to_send_reason, "");
}

// ---------------------------------------------------------------- names (R-EXP-6)

TEST_F(PlannerTest, DefaultNameFromProjectSourceAndTime) {
  Add(MakeRun(12, 10), MakeTest(10, "Login works"), TestLevel({101}));
  EXPECT_EQ(Plan().name, "Nexus: Shop - Run #12 (Login works) - 2026-11-25 10:53 UTC");
}

TEST_F(PlannerTest, SourceLabelsForEachKind) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  Add(MakeRun(2, 11), MakeTest(11, "B"), TestLevel({101}));
  Add(MakeRun(3, 12), MakeTest(12, "C"), TestLevel({101}));
  req_.options.name_template = "{source}";
  EXPECT_EQ(Plan().name, "3 runs");
  req_.source.kind = ExportSourceKind::kTestPlan;
  req_.source.execution_id = 5;
  req_.source.plan_name = "Smoke";
  EXPECT_EQ(Plan().name, "Smoke (execution #5)");
  req_.source.plan_name = "";
  EXPECT_EQ(Plan().name, "Execution #5");
}

TEST_F(PlannerTest, TemplatePlaceholdersAndEscapes) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  Add(MakeRun(2, 11), MakeTest(11, "B"), TestLevel({101}));
  req_.options.name_template =
      "[{project}] {type}: {count} of {source} on {date} at {time} {{literal}} {unknown}";
  EXPECT_EQ(Plan().name,
            "[Shop] multiple_runs: 2 of 2 runs on 2026-11-25 at 10:53 {literal} {unknown}");
}

TEST_F(PlannerTest, BlankTemplateFallsBackToDefault) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  req_.options.name_template = "   ";
  EXPECT_EQ(Plan().name, "Nexus: Shop - Run #1 (A) - 2026-11-25 10:53 UTC");
}

TEST_F(PlannerTest, GeneratedNamesAreTruncatedAtCharacterBoundaries) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  std::string project;
  for (int i = 0; i < 300; ++i) project += "\xC3\xA9";  // é
  req_.options.project_name = project;
  req_.options.name_template = "x{project}";  // 'x' shifts the cut off any byte alignment
  ExportPlan p = Plan();
  EXPECT_EQ(Utf8Length(p.name), kMaxTestRailNameChars);
  EXPECT_TRUE(IsValidUtf8(p.name));
  EXPECT_EQ(p.name.size(), 1u + 249u * 2u);
}

TEST_F(PlannerTest, GeneratedNamesHaveNoControlCharacters) {
  Add(MakeRun(1, 10), MakeTest(10, "Multi\nline\ttest"), TestLevel({101}));
  req_.options.project_name = "  Shop\r\n";
  EXPECT_EQ(Plan().name, "Nexus: Shop - Run #1 (Multi line test) - 2026-11-25 10:53 UTC");
}

// The name's rules (trimmed, 1–250 characters, UTF-8) are ExportService's
// (tests/integration/export_rules_test.cc); the planner uses the checked name as given.
TEST_F(PlannerTest, CustomNameIsUsed) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  req_.options.custom_name = "Release 4.2 regression";
  req_.options.name_template = "{project}";
  EXPECT_EQ(Plan().name, "Release 4.2 regression");
}

TEST_F(PlannerTest, CustomNameOfTheLimitIsUsedWhole) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  const std::string ok250(250, 'n');
  req_.options.custom_name = ok250;
  EXPECT_EQ(Plan().name, ok250);
  std::string e250;
  for (int i = 0; i < 250; ++i) e250 += "\xC3\xA9";  // 250 characters, 500 bytes
  req_.options.custom_name = e250;
  EXPECT_EQ(Plan().name, e250);
}

TEST(NameTemplateTest, Validate) {
  EXPECT_TRUE(ValidateNameTemplate("").ok());
  EXPECT_TRUE(ValidateNameTemplate(kDefaultNameTemplate).ok());
  EXPECT_TRUE(ValidateNameTemplate("{{x}} {count} {type}").ok());
  for (std::string_view bad : {"{nope}", "{project", "oops}", "{}", "\xC3"}) {
    Status s = ValidateNameTemplate(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.field(), "run_name_template");
  }
  EXPECT_NE(ValidateNameTemplate("{nope}").message().find("{nope}"), std::string::npos);
  EXPECT_FALSE(ValidateNameTemplate(std::string(1001, 'a')).ok());
}

TEST(NameTemplateTest, ExpandIsPure) {
  NameContext ctx;
  ctx.project = "P";
  ctx.source = "S";
  ctx.now = *ParseRfc3339("2027-01-02T03:04:05Z");
  ctx.count = 7;
  EXPECT_EQ(ExpandNameTemplate("{project}/{source}/{date}/{time}/{count}", ctx),
            "P/S/2027-01-02/03:04/7");
}

// ---------------------------------------------------------------- comments (R-EXP-5)

TEST_F(PlannerTest, CommentCarriesResultLabelBugsSummaryBuildAndLink) {
  nexus::Run run = MakeRun(12, 10, RunResult::kStopped, BugLabel::kLikelyBug);
  run.summary = "Checkout failed at payment.";
  run.build = "4.2.0";
  run.bugs = {{"Card declined", "The valid test card\nwas declined.", "high", "s2"},
              {"Footer typo", "", "", ""},
              {"Ghost", "", "low", "removed-step"}};
  req_.options.public_url = "https://nexus.example.com/";
  Add(run, MakeTest(10, "Checkout", {"s1", "s2"}), TestLevel({101}));
  const std::string c = Find(Plan(), 101)->comment;
  for (const char* want : {
           "Nexus run #12 of test \"Checkout\"\n",
           "Run result: Stopped, bug label LikelyBug\n",
           "- Card declined [high] at step 2 \"Goal of s2\": The valid test card was declined.\n",
           "- Footer typo\n",
           "- Ghost [low] at step removed-step (no longer in the test)\n",
           "Summary: Checkout failed at payment.\n",
           "Build: 4.2.0\n",
           "Run in Nexus: https://nexus.example.com/projects/3/runs/12",
       }) {
    EXPECT_NE(c.find(want), std::string::npos) << want << "\n--- in ---\n" << c;
  }
  EXPECT_NE(c.back(), '\n');
}

TEST_F(PlannerTest, MultiRunCommentExactLayout) {
  req_.options.status_labels = {{kTrPassed, "Passed"}, {kTrFailed, "Failed"}};
  nexus::Run a = MakeRun(1, 10, RunResult::kSuccess, BugLabel::kNoBug);
  nexus::Run b = MakeRun(2, 11, RunResult::kError, BugLabel::kLikelyBug);
  a.build = "";
  b.build = "";
  Add(a, MakeTest(10, "A"), TestLevel({101}));
  Add(b, MakeTest(11, "B"), TestLevel({101}));
  EXPECT_EQ(Find(Plan(), 101)->comment,
            "Results of 2 Nexus runs; the worst status wins: Passed.\n"
            "\n"
            "Nexus run #1 of test \"A\"\n"
            "Run result: Success, bug label NoBug\n"
            "Linked via:\n"
            "- the test -> Passed\n"
            "Bugs found: none\n"
            "Run in Nexus: https://nexus.example.com/projects/3/runs/1\n"
            "\n"
            "Nexus run #2 of test \"B\"\n"
            "Run result: Error, bug label LikelyBug\n"
            "Linked via:\n"
            "- the test -> not reported\n"
            "Bugs found: none\n"
            "Run in Nexus: https://nexus.example.com/projects/3/runs/2");
}

TEST_F(PlannerTest, CommentNamesTheLinkedStepAndUsesStatusLabels) {
  req_.options.status_labels = {{kTrPassed, "Passed"}, {kTrFailed, "Failed"}};
  nexus::Run run = MakeRun(1, 10);
  run.steps.push_back(Outcome("s1", RunResult::kSuccess, BugLabel::kDefinitelyBug));
  TestLinks links;
  links.step_case_ids["s1"] = {101};
  nexus::Test test = MakeTest(10, "T", {"s1"});
  test.steps[0].goal = "Open the login page";
  Add(run, test, links);
  const std::string c = Find(Plan(), 101)->comment;
  EXPECT_NE(c.find("- step 1 \"Open the login page\" (step outcome: Success, bug label "
                   "DefinitelyBug) -> Failed"),
            std::string::npos)
      << c;
  EXPECT_NE(c.find("Bugs found: none"), std::string::npos);
}

TEST_F(PlannerTest, LongStepGoalsAreShortenedInComments) {
  nexus::Test test = MakeTest(10, "T", {"s1"});
  test.steps[0].goal = std::string(500, 'g');
  TestLinks links;
  links.step_case_ids["s1"] = {101};
  Add(MakeRun(1, 10), test, links);
  const std::string c = Find(Plan(), 101)->comment;
  EXPECT_NE(c.find(std::string(79, 'g') + "\xE2\x80\xA6\""), std::string::npos) << c;
  EXPECT_EQ(c.find(std::string(80, 'g')), std::string::npos);
}

TEST_F(PlannerTest, NoPublicUrlMeansNoLinkAndAWarning) {
  req_.options.public_url = "";
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  EXPECT_EQ(Find(p, 101)->comment.find("Run in Nexus"), std::string::npos);
  EXPECT_EQ(CountWarnings(p, kWarnNoPublicUrl), 1);
  EXPECT_EQ(p.warnings.back().type, kWarnNoPublicUrl);
  EXPECT_FALSE(p.warnings.back().run_id.has_value());
}

TEST_F(PlannerTest, DescriptionListsRunsAndMilestonePassesThrough) {
  req_.options.milestone_id = 77;
  Add(MakeRun(2, 11), MakeTest(11, "B"), TestLevel({101}));
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  EXPECT_EQ(p.milestone_id, 77);
  EXPECT_EQ(p.description,
            "Results exported from Nexus project \"Shop\" (2 runs).\n"
            "- Run #1 of test \"A\": https://nexus.example.com/projects/3/runs/1\n"
            "- Run #2 of test \"B\": https://nexus.example.com/projects/3/runs/2");
}

// ---------------------------------------------------------------- input validation

TEST_F(PlannerTest, RejectsRunWithAnotherTest) {
  Add(MakeRun(1, 10), MakeTest(11, "A"), TestLevel({101}));
  Result<ExportPlan> p = PlanExport(req_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().field(), "runs[0].test");
}

TEST_F(PlannerTest, RejectsRunOfAnotherProject) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  nexus::Run other = MakeRun(2, 10);
  other.project_id = kProject + 1;
  Add(other, MakeTest(10, "A"), TestLevel({101}));
  Result<ExportPlan> p = PlanExport(req_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().field(), "runs[1].project_id");
}

// The 1–100 runs rule is ExportService's (tests/integration/export_rules_test.cc); the planner
// plans what it is given.
TEST_F(PlannerTest, PlansTheRunsItIsGiven) {
  for (int64_t i = 1; i <= 101; ++i) Add(MakeRun(i, 10), MakeTest(10, "A"), TestLevel({101}));
  Result<ExportPlan> p = PlanExport(req_);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->runs_processed, 101);
}

TEST_F(PlannerTest, DuplicateRunsAreCountedOnceWithAWarning) {
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  Add(MakeRun(1, 10), MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  EXPECT_EQ(p.runs_processed, 1);
  EXPECT_TRUE(HasWarning(p, kWarnDuplicateRun, 1));
  EXPECT_EQ(Find(p, 101)->run_ids, std::vector<int64_t>{1});
}

// ---------------------------------------------------------------- determinism and batching

TEST_F(PlannerTest, PlanDoesNotDependOnInputOrder) {
  for (int64_t i = 1; i <= 12; ++i) {
    nexus::Run run =
        MakeRun(i, 10 + i, i % 3 ? RunResult::kSuccess : RunResult::kStopped, kAllBugLabels[i % 5]);
    run.steps.push_back(Outcome("s1", RunResult::kSuccess, kAllBugLabels[(i + 2) % 5]));
    TestLinks links = TestLevel({101 + i % 4, 201 + i % 3, 150, 5555});
    links.step_case_ids["s1"] = {110 + i % 2, 210};
    links.step_case_ids["gone"] = {111};
    if (i == 6) run.finished_at.reset();
    Add(run, MakeTest(10 + i, "T" + std::to_string(i), {"s1"}), links);
  }
  const std::string want = Dump(Plan());
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(req_.runs.begin(), req_.runs.end(), rng);
    for (ExportRunInput& r : req_.runs)
      std::shuffle(r.links.case_ids.begin(), r.links.case_ids.end(), rng);
    EXPECT_EQ(Dump(Plan()), want);
  }
  EXPECT_NE(want.find("multi_suite_plan"), std::string::npos);
}

TEST_F(PlannerTest, WarningsAreInRunIdOrder) {
  TestLinks stale = TestLevel({101});
  stale.step_case_ids["gone"] = {102};
  nexus::Run unfinished = MakeRun(1, 10);
  unfinished.finished_at.reset();
  Add(MakeRun(3, 12), MakeTest(12, "C"), stale);
  Add(MakeRun(2, 11, RunResult::kError, BugLabel::kNoBug), MakeTest(11, "B"), stale);
  Add(unfinished, MakeTest(10, "A"), TestLevel({101}));
  ExportPlan p = Plan();
  std::vector<int64_t> order;
  for (const ExportWarning& w : p.warnings) order.push_back(w.run_id.value_or(-1));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << Dump(p);
  EXPECT_EQ(p.warnings.size(), 4u);  // not finished, not reported, stale (2, test 11), stale (3)
}

TEST(BatchTest, SplitsInOrder) {
  std::vector<PlannedResult> rs(7);
  for (size_t i = 0; i < rs.size(); ++i) rs[i].case_id = static_cast<int64_t>(i);
  auto b = BatchResults(rs, 3);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].size(), 3u);
  EXPECT_EQ(b[1].size(), 3u);
  EXPECT_EQ(b[2].size(), 1u);
  EXPECT_EQ(b[1][0].case_id, 3);
  EXPECT_EQ(b[2][0].case_id, 6);
  EXPECT_EQ(BatchResults(rs, 0).size(), 7u);
  EXPECT_EQ(BatchResults(rs, 100).size(), 1u);
  EXPECT_TRUE(BatchResults({}, 5).empty());
}

TEST(FingerprintTest, StableAndSensitiveToEveryField) {
  EXPECT_EQ(ResultsFingerprint(std::span<const PlannedResult>()),
            "cbf29ce484222325");  // FNV-1a 64 offset basis
  PlannedResult r;
  r.case_id = 101;
  r.status_id = 5;
  r.comment = "c";
  r.elapsed = "1s";
  r.version = "v";
  std::vector<PlannedResult> one{r};
  const std::string base = ResultsFingerprint(one);
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(ResultsFingerprint(one), base);
  auto changed = [&](auto mutate) {
    std::vector<PlannedResult> v{r};
    mutate(v[0]);
    return ResultsFingerprint(v);
  };
  EXPECT_NE(changed([](PlannedResult& x) { x.case_id = 102; }), base);
  EXPECT_NE(changed([](PlannedResult& x) { x.status_id = 1; }), base);
  EXPECT_NE(changed([](PlannedResult& x) { x.comment = "d"; }), base);
  EXPECT_NE(changed([](PlannedResult& x) { x.elapsed = "2s"; }), base);
  EXPECT_NE(changed([](PlannedResult& x) { x.version = "w"; }), base);
  // Field boundaries matter: moving a byte from comment to elapsed changes the fingerprint.
  EXPECT_NE(changed([](PlannedResult& x) {
              x.comment = "c1";
              x.elapsed = "s";
            }),
            base);
  std::vector<PlannedResult> two{r, r};
  two[1].case_id = 7;
  std::vector<PlannedResult> swapped{two[1], two[0]};
  EXPECT_NE(ResultsFingerprint(two), ResultsFingerprint(swapped));  // order matters
  // Over pointers (the executor's batches): the same fingerprint as over the results.
  const std::vector<const PlannedResult*> pointers = {&two[0], &two[1]};
  EXPECT_EQ(ResultsFingerprint(std::span<const PlannedResult* const>(pointers)),
            ResultsFingerprint(two));
}

// ---- Slices (issue 16: plans are made a range of cases at a time).

// The plan of `req` made `per_slice` linked cases at a time and joined.
ExportPlan PlanInSlices(ExportRequest req, size_t per_slice) {
  const std::vector<CaseRange> slices = CaseSlices(LinkedCaseIds(req.runs), per_slice);
  const size_t cases = LinkedCaseIds(req.runs).size();
  EXPECT_EQ(slices.size(), std::max<size_t>(1, (cases + per_slice - 1) / per_slice));
  ExportPlan whole;
  for (size_t k = 0; k < slices.size(); ++k) {
    req.case_range = slices[k];
    Result<ExportPlan> slice = PlanExport(req);
    EXPECT_TRUE(slice.ok()) << slice.status().ToString();
    AppendPlanSlice(whole, std::move(slice).value(), k == 0);
  }
  FinishSlicedPlan(whole);
  return whole;
}

void ExpectSamePlan(const ExportPlan& a, const ExportPlan& b, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.runs_processed, b.runs_processed);
  EXPECT_EQ(a.total_test_cases, b.total_test_cases);
  EXPECT_EQ(a.nothing_to_send, b.nothing_to_send);
  EXPECT_EQ(a.nothing_to_send_reason, b.nothing_to_send_reason);
  ASSERT_EQ(a.warnings.size(), b.warnings.size());
  for (size_t i = 0; i < a.warnings.size(); ++i) {
    EXPECT_EQ(a.warnings[i].type, b.warnings[i].type);
    EXPECT_EQ(a.warnings[i].message, b.warnings[i].message);
    EXPECT_EQ(a.warnings[i].run_id, b.warnings[i].run_id);
  }
  ASSERT_EQ(a.skipped.size(), b.skipped.size());
  for (size_t i = 0; i < a.skipped.size(); ++i) {
    EXPECT_EQ(a.skipped[i].case_id, b.skipped[i].case_id);
    EXPECT_EQ(a.skipped[i].reason, b.skipped[i].reason);
    EXPECT_EQ(a.skipped[i].message, b.skipped[i].message);
    EXPECT_EQ(a.skipped[i].run_ids, b.skipped[i].run_ids);
  }
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t e = 0; e < a.entries.size(); ++e) {
    EXPECT_EQ(a.entries[e].suite_id, b.entries[e].suite_id);
    EXPECT_EQ(a.entries[e].config_ids, b.entries[e].config_ids);
    EXPECT_EQ(a.entries[e].case_ids, b.entries[e].case_ids);
    ASSERT_EQ(a.entries[e].results.size(), b.entries[e].results.size());
    for (size_t k = 0; k < a.entries[e].results.size(); ++k) {
      const PlannedResult& x = a.entries[e].results[k];
      const PlannedResult& y = b.entries[e].results[k];
      EXPECT_EQ(x.case_id, y.case_id);
      EXPECT_EQ(x.status_id, y.status_id);
      EXPECT_EQ(x.comment, y.comment);
      EXPECT_EQ(x.elapsed, y.elapsed);
      EXPECT_EQ(x.version, y.version);
      EXPECT_EQ(x.run_ids, y.run_ids);
      EXPECT_EQ(x.deciding_run_id, y.deciding_run_id);
    }
  }
}

TEST_F(PlannerTest, PlansMadeASliceOfCasesAtATimeEqualTheWholePlan) {
  // Two suites, worst-wins across runs, step links (one stale), an unfinished run, a run
  // mapped to "not reported", a deleted, an unknown and an unselected case, a duplicate run.
  nexus::Run r1 = MakeRun(1, 10, RunResult::kSuccess, BugLabel::kNoBug);
  r1.steps.push_back(Outcome("s1", RunResult::kStopped, BugLabel::kDefinitelyBug));
  TestLinks l1 = TestLevel({101, 102, 103, 201, 150, 999, 901});
  l1.step_case_ids["s1"] = {104, 202};
  l1.step_case_ids["gone"] = {105};
  Add(r1, MakeTest(10, "Checkout", {"s1"}), l1);
  Add(MakeRun(2, 11, RunResult::kStopped, BugLabel::kDefinitelyBug), MakeTest(11, "Login"),
      TestLevel({102, 203, 204, 110}));
  nexus::Run open = MakeRun(3, 12);
  open.finished_at.reset();
  Add(open, MakeTest(12, "Search"), TestLevel({204, 205, 120}));
  Add(MakeRun(4, 13, RunResult::kError, BugLabel::kNoBug), MakeTest(13, "Cart"),
      TestLevel({111, 206}));
  Add(MakeRun(2, 11, RunResult::kStopped, BugLabel::kDefinitelyBug), MakeTest(11, "Login"),
      TestLevel({102, 203, 204, 110}));
  const ExportPlan whole = Plan();
  ASSERT_EQ(whole.entries.size(), 2u);
  ASSERT_FALSE(whole.skipped.empty());
  for (size_t per : {1, 2, 3, 5, 100})
    ExpectSamePlan(whole, PlanInSlices(req_, per), "slices of " + std::to_string(per));

  // Nothing to send: every case skipped, the reason counts over all slices.
  req_.selected_suite_ids = {77};  // a suite none of the cases is in
  const ExportPlan none = Plan();
  ASSERT_TRUE(none.nothing_to_send);
  for (size_t per : {1, 4})
    ExpectSamePlan(none, PlanInSlices(req_, per),
                   "nothing to send, slices of " + std::to_string(per));

  // No links at all / no finished run: the whole request's reasons.
  req_.runs.clear();
  Add(MakeRun(5, 14), MakeTest(14, "Unlinked"), TestLinks{});
  ExpectSamePlan(Plan(), PlanInSlices(req_, 2), "no links");
  req_.runs.clear();
  Add(open, MakeTest(12, "Search"), TestLevel({204, 205}));
  ExpectSamePlan(Plan(), PlanInSlices(req_, 1), "no finished run");
}

}  // namespace
}  // namespace nexus
