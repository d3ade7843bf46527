// Adaptive batches (issue 16, R-EXP-5, R-Q-RATE): the batch size and the number in flight
// follow the export's size, the instance's measured costs and its remaining budget.
#include <gtest/gtest.h>

#include "integration/export_executor.h"
#include "integration/export_test_util.h"

namespace nexus::testing {
namespace {

using integration::BatchChoice;
using integration::ChooseBatches;

TEST(ChooseBatchesTest, SmallExportsUseManySmallParallelBatches) {
  // Cloud-like: 50 ms a call, 1 ms a result, 10 in flight, batches up to 1,000.
  BatchChoice c = ChooseBatches(1000, 50, 1, 1000, 10);
  EXPECT_EQ(c.batch, 100u);
  EXPECT_EQ(c.in_flight, 10u);
  EXPECT_EQ(c.calls, 10u);
  EXPECT_DOUBLE_EQ(c.modelled_ms, 150);  // one wave of 50 + 100
  c = ChooseBatches(100, 50, 1, 1000, 10);
  EXPECT_EQ(c.batch, 10u);
  EXPECT_EQ(c.calls, 10u);
  c = ChooseBatches(7, 50, 1, 1000, 10);
  EXPECT_EQ(c.batch, 1u);
  EXPECT_EQ(c.in_flight, 7u);
}

TEST(ChooseBatchesTest, LargeExportsUseTheLargestBatches) {
  for (size_t n : {10'000u, 50'000u, 100'000u}) {
    BatchChoice c = ChooseBatches(n, 50, 1, 1000, 10);
    EXPECT_EQ(c.batch, 1000u) << n;
    EXPECT_EQ(c.in_flight, 10u) << n;
    EXPECT_EQ(c.calls, n / 1000) << n;
  }
  // Bounded by the (halved) maximum batch.
  BatchChoice c = ChooseBatches(10'000, 50, 1, 250, 10);
  EXPECT_EQ(c.batch, 250u);
  EXPECT_EQ(c.calls, 40u);
}

TEST(ChooseBatchesTest, CostlyCallsMeanFewerLargerBatches) {
  // A slow instance (2 s a call, results nearly free): more calls would not pay.
  BatchChoice c = ChooseBatches(1000, 2000, 0.01, 1000, 10);
  EXPECT_EQ(c.calls, 1u);
  // Expensive results, cheap calls: spread over every slot in flight.
  c = ChooseBatches(1000, 5, 5, 1000, 10);
  EXPECT_EQ(c.calls, 10u);
}

TEST(ChooseBatchesTest, StaysWithinTheCallsTheBudgetHasLeft) {
  // Three calls left in this window (144 a window): waiting a window for ten small calls
  // costs far more than three larger ones.
  BatchChoice c = ChooseBatches(1000, 50, 1, 1000, 10, /*calls_available=*/3, 144, 61'000);
  EXPECT_LE(c.calls, 3u);
  EXPECT_GE(c.batch, 334u);
  // Nothing left: as few calls as possible.
  c = ChooseBatches(5000, 50, 1, 1000, 10, 0, 144, 61'000);
  EXPECT_EQ(c.calls, 5u);
  // Unlimited (-1): no penalty.
  c = ChooseBatches(1000, 50, 1, 1000, 10, -1, 0, 61'000);
  EXPECT_EQ(c.calls, 10u);
}

// The executor follows the choice: a small export goes out as parallel small batches (a fixed
// 1,000-result batch sent it in one call), exactly once, and the run is closed.
TEST(ExportBatchingTest, SmallExportIsSplitIntoParallelBatchesExactlyOnce) {
  ExportEnv env(/*cases_per_suite=*/40, 0);
  auto cfg = env.sim->config();
  cfg.latency_ms = 20;
  cfg.per_result_ms = 5;
  env.sim->SetConfig(cfg);
  int64_t run = env.MakeRun(env.MakeTest(env.cases_a));
  env.sim->ResetStats();
  auto r = env.Export({{"run_id", run}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw;
  EXPECT_EQ(r.body["results_sent"], 40);
  auto stats = env.sim->Stats();
  EXPECT_GE(stats.calls["add_results_for_cases"], 4);
  EXPECT_LE(stats.calls["add_results_for_cases"], 10);
  EXPECT_EQ(stats.calls["close_run"], 1);
  EXPECT_EQ(stats.rate_limited, 0);
  ExpectExactlyOnce(ReadRemote(*env.client), 40, /*plan=*/false);
}

}  // namespace
}  // namespace nexus::testing
