// `nexus export` (R-EXP-1, R-EXP-PREVIEW): the CLI runs an export in its own process
// on the data dir of a Nexus whose TestRail connection points at the in-process simulator,
// and prints a JSON summary when stdout is not a terminal.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "integration/export_test_util.h"

namespace nexus {
namespace {

using testing::ExportEnv;
using testing::ReadRemote;
using testing::TempDir;
using Json = nlohmann::json;

struct CliResult {
  int exit_code = -1;
  std::string out;
};

// Runs `nexus <args>` with stdout captured (a pipe, so the JSON summary) and stderr dropped.
CliResult RunNexus(const std::string& args) {
  const std::string bin = testing::NexusBinary();
  CliResult r;
  FILE* p = popen((bin + " --log-level error " + args + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class ExportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<ExportEnv>(6, 0, [&](app::Config& c) { c.data_dir = data_.path(); });
    test_ = env_->MakeTest({env_->cases_a[0], env_->cases_a[1]}, {env_->cases_b[0]});
    run_ = env_->MakeRun(test_, "Success", "LikelyBug");
    project_ = env_->project;
    env_->h.reset();  // the CLI opens the same data dir on its own
  }
  std::string Common() const {
    return " --project " + std::to_string(project_) + " --data-dir " + data_.path() +
           " --testrail-allow-private";
  }

  TempDir data_;
  std::unique_ptr<ExportEnv> env_;
  int64_t test_ = 0, run_ = 0, project_ = 0;
};

TEST_F(ExportCliTest, ExportsARunAndPrintsTheJsonSummary) {
  CliResult r = RunNexus("export --run " + std::to_string(run_) + Common());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["state"], "succeeded");
  EXPECT_EQ(j["export_strategy"], "multi_suite_plan");  // cases of suites A and B
  EXPECT_EQ(j["total_test_cases"], 3);
  EXPECT_EQ(j["results_sent"], 3);
  ASSERT_TRUE(j["testrail_url"].is_string());
  EXPECT_NE(j["testrail_url"].get<std::string>().find("index.php?/plans/view/"), std::string::npos);
  auto remote = ReadRemote(*env_->client);
  testing::ExpectExactlyOnce(remote, 3, true);
  for (const auto& [run, by_case] : remote.last_status)
    for (const auto& [c, status] : by_case) EXPECT_EQ(status, 5) << "C" << c;  // LikelyBug
}

TEST_F(ExportCliTest, DryRunPrintsThePreviewAndCreatesNothing) {
  CliResult r = RunNexus("export --dry-run --run " + std::to_string(run_) + Common());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["dry_run"], true);
  ASSERT_EQ(j["preview"]["entries"].size(), 2u);
  auto remote = ReadRemote(*env_->client);
  EXPECT_TRUE(remote.runs.empty());
  EXPECT_TRUE(remote.plans.empty());
}

TEST_F(ExportCliTest, BadArgumentsFailClearlyAndSendNothing) {
  // Two sources at once.
  CliResult two = RunNexus("export --run " + std::to_string(run_) + " --runs " +
                           std::to_string(run_) + Common());
  EXPECT_EQ(two.exit_code, 2);
  // An unknown run.
  CliResult unknown = RunNexus("export --run 999999" + Common());
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  // An unknown project.
  CliResult project =
      RunNexus("export --run " + std::to_string(run_) + " --project 4242 --data-dir " +
               data_.path() + " --testrail-allow-private");
  EXPECT_EQ(project.exit_code, 4);
  auto remote = ReadRemote(*env_->client);
  EXPECT_TRUE(remote.runs.empty());
  EXPECT_TRUE(remote.plans.empty());
}

}  // namespace
}  // namespace nexus
