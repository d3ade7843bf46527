// TestRailClient + CurlTransport against the in-process TestRail simulator
// (tools/testrail_sim): the full connect → catalog → run/plan → results flow, failure
// mapping on a TestRail-like server, and pacing under the simulator's rate limit (R-Q-RATE).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "simulator.h"
#include "testrail/client.h"
#include "testrail/curl_transport.h"

namespace nexus::testrail {
namespace {

class SimulatorTest : public ::testing::Test {
 protected:
  void StartSim(testrail_sim::SimulatorOptions opts) {
    sim_ = std::make_unique<testrail_sim::Simulator>(std::move(opts));
    std::string error;
    ASSERT_TRUE(sim_->Start(&error)) << error;
  }
  std::unique_ptr<TestRailClient> Client(TestRailClientOptions o,
                                         std::string key = testrail_sim::kDefaultApiKey) {
    o.allow_private = true;
    TestRailConfig config{sim_->base_url(), testrail_sim::kDefaultEmail, std::move(key), o};
    auto c = TestRailClient::Create(config, transport_, budgets_, &metrics_);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return std::move(c).value();
  }
  static TestRailClientOptions Fast() {
    TestRailClientOptions o;
    o.requests_per_minute = 0;
    o.retry.base_backoff_ms = 10;
    return o;
  }

  obs::Metrics metrics_;
  RateBudgets budgets_{nullptr, &metrics_};
  CurlTransport transport_;
  std::unique_ptr<testrail_sim::Simulator> sim_;
};

TEST_F(SimulatorTest, FullFlow) {
  testrail_sim::SimulatorOptions opts;
  opts.generate =
      testrail_sim::GenerateSpec{.projects = 1, .suites = 2, .sections = 5, .cases = 600};
  opts.config.suites_paginated = true;
  opts.config.next_link_limit_zero = true;
  StartSim(opts);
  auto client = Client(Fast());

  Result<VerifyInfo> info = client->Verify();
  ASSERT_TRUE(info.ok()) << info.status().message();
  ASSERT_TRUE(info->user.has_value());
  EXPECT_EQ(info->user->email, testrail_sim::kDefaultEmail);

  auto projects = client->GetProjects();
  ASSERT_TRUE(projects.ok()) << projects.status().message();
  ASSERT_FALSE(projects->empty());
  const int64_t pid = (*projects)[0].id;
  EXPECT_EQ((*projects)[0].suite_mode, 3);

  auto suites = client->GetSuites(pid);
  ASSERT_TRUE(suites.ok()) << suites.status().message();
  ASSERT_GE(suites->size(), 2u);
  const int64_t s1 = (*suites)[0].id, s2 = (*suites)[1].id;

  auto sections = client->GetSections(pid, s1);
  ASSERT_TRUE(sections.ok()) << sections.status().message();
  EXPECT_FALSE(sections->empty());

  int pages = 0;
  size_t total = 0;
  std::vector<int64_t> case_ids;
  Status st =
      client->ForEachCasesPage({.project_id = pid, .suite_id = s1}, [&](std::vector<Case>& page) {
        ++pages;
        total += page.size();
        for (const Case& c : page) case_ids.push_back(c.id);
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(total, 600u);
  EXPECT_GE(pages, 3);  // followed next links, including the limit=0 quirk

  auto statuses = client->GetStatuses();
  ASSERT_TRUE(statuses.ok()) << statuses.status().message();
  EXPECT_GE(statuses->size(), 5u);

  AddRunRequest run_req{.suite_id = s1, .name = "Nexus export"};
  run_req.case_ids = {case_ids[0], case_ids[1], case_ids[2]};
  auto run = client->AddRun(pid, run_req);
  ASSERT_TRUE(run.ok()) << run.status().message();
  std::vector<ResultForCase> results = {
      {.case_id = case_ids[2], .status_id = 5, .comment = "failed", .elapsed = "1m 5s"},
      {.case_id = case_ids[0], .status_id = 1, .comment = "ok"},
      {.case_id = case_ids[1], .status_id = 4}};
  auto added = client->AddResultsForCases(run->id, results);
  ASSERT_TRUE(added.ok()) << added.status().message();
  ASSERT_EQ(added->size(), 3u);
  EXPECT_EQ((*added)[0].status_id, 5);
  EXPECT_EQ((*added)[1].status_id, 1);
  auto tests = client->GetTests(run->id);
  ASSERT_TRUE(tests.ok()) << tests.status().message();
  EXPECT_EQ(tests->size(), 3u);
  auto run_results = client->GetResultsForRun(run->id);
  ASSERT_TRUE(run_results.ok()) << run_results.status().message();
  EXPECT_EQ(run_results->size(), 3u);

  // TestRail's own message comes through for a rejected write.
  auto bad = client->AddResultsForCases(run->id, {{.case_id = case_ids[0], .status_id = 3}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "rejected");
  EXPECT_NE(bad.status().message().find("TestRail rejected add_results_for_cases: "),
            std::string::npos);

  auto closed = client->CloseRun(run->id);
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_TRUE(closed->is_completed);
  auto runs = client->GetRuns(pid);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_FALSE(runs->empty());

  AddPlanRequest plan_req{.name = "Nexus multi-suite export"};
  plan_req.entries = {{.suite_id = s1, .case_ids = {case_ids[0]}},
                      {.suite_id = s2, .include_all = true}};
  auto plan = client->AddPlan(pid, plan_req);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->entries.size(), 2u);
  ASSERT_FALSE(plan->entries[0].runs.empty());
  EXPECT_EQ(plan->entries[0].runs[0].plan_id, plan->id);
  auto got_plan = client->GetPlan(plan->id);
  ASSERT_TRUE(got_plan.ok()) << got_plan.status().message();
  EXPECT_EQ(got_plan->entries.size(), 2u);
  auto closed_plan = client->ClosePlan(plan->id);
  ASSERT_TRUE(closed_plan.ok()) << closed_plan.status().message();
  EXPECT_TRUE(closed_plan->is_completed);
  auto plans = client->GetPlans(pid);
  ASSERT_TRUE(plans.ok()) << plans.status().message();
  EXPECT_FALSE(plans->empty());
  EXPECT_GT(
      metrics_.Value("nexus_testrail_requests_total", {{"method", "get_cases"}, {"status", "200"}}),
      2);
}

TEST_F(SimulatorTest, FailuresOnTheSimulator) {
  StartSim({});
  EXPECT_EQ(Client(Fast(), "wrong")->Verify().status().reason(), "auth_failed");

  testrail_sim::SimConfig cfg = sim_->config();
  cfg.api_disabled = true;
  sim_->SetConfig(cfg);
  EXPECT_EQ(Client(Fast())->Verify().status().reason(), "api_disabled");
  cfg.api_disabled = false;

  // A read hit by a transient 503 is retried; a write hit by a 500 is ambiguous.
  testrail_sim::FaultRule read_fault{.method = "get_statuses",
                                     .kind = testrail_sim::FaultKind::kStatus503};
  testrail_sim::FaultRule write_fault{.method = "add_run",
                                      .kind = testrail_sim::FaultKind::kStatus500};
  cfg.faults = {read_fault, write_fault};
  sim_->SetConfig(cfg);
  auto client = Client(Fast());
  EXPECT_TRUE(client->GetStatuses().ok());
  auto run = client->AddRun(1, AddRunRequest{.name = "x", .include_all = true});
  EXPECT_EQ(run.status().reason(), "ambiguous_write") << run.status().message();

  // Maintenance (409) pauses the instance and is retried until it ends.
  cfg.faults.clear();
  cfg.maintenance = true;
  sim_->SetConfig(cfg);
  TestRailClientOptions o = Fast();
  o.retry.max_rate_limited_attempts = 2;
  Status st = Client(o)->GetStatuses().status();
  EXPECT_EQ(st.reason(), "maintenance");
  EXPECT_NE(st.message().find("maintenance mode"), std::string::npos);
}

TEST_F(SimulatorTest, TlsSimulator) {
  testrail_sim::SimulatorOptions opts;
  opts.tls = true;
  StartSim(opts);
  EXPECT_EQ(Client(Fast())->Verify().status().reason(), "tls_failure");
  TestRailClientOptions o = Fast();
  o.insecure = true;
  Result<VerifyInfo> v = Client(o)->Verify();
  EXPECT_TRUE(v.ok()) << v.status().message();
}

// 200 concurrent reads through one client under the simulator's strictest rate limit (a
// sliding window, issue 16): none may be refused, and the budget's waits must be visible in
// the metrics. The issue asks for 60/min; a sliding minute makes that > 4 minutes, so by
// default the same code path runs with the window shortened to 2 s on both sides (40 per
// window at the simulator, 80% of it for the client: 7 windows, ~13 s). Set
// NEXUS_LONG_TESTS=1 to run the literal 60/min configuration (~4 min).
TEST_F(SimulatorTest, ConcurrentReadsStayUnderRateLimit) {
  const bool long_run = std::getenv("NEXUS_LONG_TESTS") != nullptr;
  const int sim_rate = long_run ? 60 : 40;
  const int window_ms = long_run ? 60'000 : 2'000;
  testrail_sim::SimulatorOptions opts;
  opts.config.rate_limit_per_minute = sim_rate;
  opts.config.rate_limit_model = testrail_sim::RateLimitModel::kSliding;
  opts.config.rate_limit_window_ms = window_ms;
  StartSim(opts);

  TestRailClientOptions o;
  o.requests_per_minute = sim_rate * 60'000.0 / window_ms;  // the same limit per window
  auto client = Client(o);
  // The test's short window (the client's option is not a flag: the real window is a minute).
  auto budget =
      budgets_.ForInstance(client->base_url(), {.requests_per_minute = o.requests_per_minute,
                                                .share = 0.8,
                                                .window_ms = window_ms,
                                                // A quarter of the window: on a loaded
                                                // machine (the sanitizer run) a request can
                                                // reach the simulator hundreds of ms after
                                                // the budget granted it, which compresses the
                                                // grants' spacing; the real minute has 1 s.
                                                .margin_ms = window_ms / 4});
  const int allowed = budget->Allowed();
  ASSERT_EQ(allowed, sim_rate * 4 / 5);
  std::atomic<int> ok{0}, failed{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        (client->GetStatuses().ok() ? ok : failed)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(sim_->Stats().rate_limited, 0);  // kept under the window, not rescued by retries
  EXPECT_EQ(metrics_.Value("nexus_testrail_429_total"), 0);
  EXPECT_EQ(metrics_.Value("nexus_testrail_requests_total",
                           {{"method", "get_statuses"}, {"status", "200"}}),
            200);
  // ceil(200 / allowed) windows: the budget is what took the time, and metrics show it.
  const int windows = (200 + allowed - 1) / allowed;
  EXPECT_GE(seconds, (windows - 1) * window_ms / 1000.0);
  EXPECT_GT(metrics_.Value("nexus_testrail_rate_limit_wait_seconds_total"), seconds);
  // Every call beyond the first window waits (a thread that wakes late on a loaded machine
  // may find its place already free, so not all of them are counted).
  EXPECT_GE(metrics_.Count("nexus_testrail_rate_limit_wait_seconds"), 100u);
}

// The instance is stricter than configured (a lower plan): the client learns the limit from
// the 429 body and finishes without exhausting its retries.
TEST_F(SimulatorTest, StricterInstanceIsLearnedFromThe429) {
  testrail_sim::SimulatorOptions opts;
  opts.config.rate_limit_per_minute = 20;
  opts.config.rate_limit_model = testrail_sim::RateLimitModel::kSliding;
  opts.config.rate_limit_window_ms = 1'000;
  StartSim(opts);
  TestRailClientOptions o;
  o.requests_per_minute = 3'000;  // configured: 50 per 1-s window
  auto client = Client(o);
  auto budget = budgets_.ForInstance(
      client->base_url(),
      {.requests_per_minute = 3'000, .share = 0.8, .window_ms = 1'000, .margin_ms = 50});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 6; ++i) ok += client->GetStatuses().ok() ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 60);
  // 20 per 1-s window = "1200 per minute maximum allowed" in the simulator's body.
  EXPECT_EQ(budget->LearnedLimit(), 1200);
  EXPECT_EQ(budget->Allowed(), 16);
  // Once learned, no more refusals: at most the first wave overshot.
  const int64_t refused = sim_->Stats().rate_limited;
  sim_->ResetStats();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(client->GetStatuses().ok());
  EXPECT_EQ(sim_->Stats().rate_limited, 0);
  EXPECT_LE(refused, 40);
}

}  // namespace
}  // namespace nexus::testrail
