// Pure domain: enum names, the role → permission table (product.md section 2), execution
// completion, RFC 3339 conversions, the metrics registry's exposition format.
#include <gtest/gtest.h>

#include "core/status.h"
#include "core/time_util.h"
#include "core/types.h"
#include "obs/metrics.h"

namespace nexus {
namespace {

TEST(TypesTest, EnumWireNamesAreExactlyTheProducts) {
  EXPECT_EQ(RunResultName(RunResult::kMaxSteps), "MaxSteps");
  EXPECT_EQ(BugLabelName(BugLabel::kLikelyNoBug), "LikelyNoBug");
  for (RunResult r : kAllRunResults) EXPECT_EQ(ParseRunResult(RunResultName(r)), r);
  for (BugLabel l : kAllBugLabels) EXPECT_EQ(ParseBugLabel(BugLabelName(l)), l);
  for (ProjectRole r : kAllProjectRoles) EXPECT_EQ(ParseProjectRole(ProjectRoleName(r)), r);
  EXPECT_FALSE(ParseRunResult("success"));
  EXPECT_FALSE(ParseBugLabel("Bug"));
  EXPECT_FALSE(ParseProjectRole("owner"));
}

TEST(TypesTest, RolePermissionTableMatchesSpec) {
  using P = Permission;
  struct Row {
    ProjectRole role;
    bool admin, configs, tests, read, operate;
  };
  const Row rows[] = {
      {ProjectRole::kAdmin, true, true, true, true, true},
      {ProjectRole::kConfigManager, false, true, true, true, false},
      {ProjectRole::kEditor, false, false, true, true, false},
      {ProjectRole::kOperator, false, false, false, true, true},
      {ProjectRole::kViewer, false, false, false, true, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(ProjectRoleName(r.role)));
    EXPECT_EQ(RoleGrants(r.role, P::kProjectAdmin), r.admin);
    EXPECT_EQ(RoleGrants(r.role, P::kEditConfigs), r.configs);
    EXPECT_EQ(RoleGrants(r.role, P::kEditTests), r.tests);
    EXPECT_EQ(RoleGrants(r.role, P::kReadRuns), r.read);
    EXPECT_EQ(RoleGrants(r.role, P::kOperateRuns), r.operate);
  }
}

Run MakeRun(int64_t test_id, bool finished) {
  Run r;
  r.test_id = test_id;
  if (finished) r.finished_at = 1000;
  return r;
}

TEST(TypesTest, ExecutionCompletesWhenEveryTestHasAFinishedRun) {
  std::vector<int64_t> tests = {1, 2};
  EXPECT_EQ(ComputeExecutionState(tests, {}), ExecutionState::kQueued);
  EXPECT_EQ(ComputeExecutionState(tests, {MakeRun(1, true)}), ExecutionState::kInProgress);
  EXPECT_EQ(ComputeExecutionState(tests, {MakeRun(1, true), MakeRun(2, false)}),
            ExecutionState::kInProgress);
  EXPECT_EQ(ComputeExecutionState(tests, {MakeRun(1, true), MakeRun(2, true)}),
            ExecutionState::kCompleted);
}

TEST(TimeTest, FormatsAndParsesRfc3339) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1795603980000), "2026-11-25T10:53:00Z");
  EXPECT_EQ(FormatRfc3339(1795603980123), "2026-11-25T10:53:00.123Z");
  EXPECT_EQ(ParseRfc3339("2026-11-25T10:53:00Z"), 1795603980000);
  EXPECT_EQ(ParseRfc3339("2026-11-25T10:53:00.5Z"), 1795603980500);
  EXPECT_EQ(ParseRfc3339("2026-11-25T11:53:00+01:00"), 1795603980000);
  EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z"), 1709164800000);
  for (const char* bad :
       {"", "2026-11-25", "2026-11-25 10:53:00Z", "2026-13-01T00:00:00Z", "2026-02-31T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-25T10:53:00", "2026-11-25T25:00:00Z",
        "2026-11-25T10:53:00Zjunk", "2026-11-25T10:53:00.Z"})
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  for (int64_t t : {int64_t{0}, int64_t{951782400000}, int64_t{4102444799999}})
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), t);
}

TEST(StatusTest, ResultCarriesValueOrStatus) {
  Result<int> ok = 5;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
  Result<int> bad = InvalidArgument("name must not be empty", "name", "invalid_value");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "name");
  EXPECT_EQ(bad.status().ToString(), "invalid_argument: name must not be empty (field name)");
}

TEST(MetricsTest, RendersPrometheusText) {
  obs::Metrics m;
  m.Describe("x_total", "counter", "Things");
  m.Inc("x_total", {{"route", "/a\"b"}}, 2);
  m.Observe("lat_seconds", {{"route", "r"}}, 0.003);
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# HELP x_total Things\n# TYPE x_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("x_total{route=\"/a\\\"b\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"r\",le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"r\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{route=\"r\"} 1\n"), std::string::npos);
  EXPECT_EQ(m.Value("x_total", {{"route", "/a\"b"}}), 2);
  EXPECT_EQ(m.Count("lat_seconds", {{"route", "r"}}), 1u);
}

}  // namespace
}  // namespace nexus
