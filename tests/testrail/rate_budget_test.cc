// RateBudget with a fake clock: even pacing, bursts, instance-wide pauses after 429 (with and
// without Retry-After), maintenance backoff, metrics of waits (R-Q-RATE).
#include "testrail/rate_budget.h"

#include <gtest/gtest.h>

#include "fakes/fake_transport.h"

namespace nexus::testrail {
namespace {

using nexus::testing::FakeMonotonicClock;

TEST(RateBudgetTest, PacesEvenlyAfterBurst) {
  FakeMonotonicClock clock;
  obs::Metrics metrics;
  RateBudget budget("https://x", {.requests_per_minute = 60, .burst = 2}, clock, &metrics, 1);
  const int64_t start = clock.NowUs();
  EXPECT_EQ(budget.Acquire(), 0);
  EXPECT_EQ(budget.Acquire(), 0);  // burst of 2
  for (int i = 0; i < 5; ++i) EXPECT_EQ(budget.Acquire(), 1'000'000) << i;
  // 7 requests at 60/min with a burst of 2: the 7th goes 5 s after the first.
  EXPECT_EQ(clock.NowUs() - start, 5'000'000);
  EXPECT_DOUBLE_EQ(metrics.Value("nexus_testrail_rate_limit_wait_seconds_total"), 5.0);
  EXPECT_EQ(metrics.Count("nexus_testrail_rate_limit_wait_seconds"), 5u);
}

TEST(RateBudgetTest, IdleTimeDoesNotAccumulateBeyondBurst) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 120, .burst = 1}, clock, nullptr, 1);
  budget.Acquire();
  clock.Advance(60'000'000);  // idle for a minute
  EXPECT_EQ(budget.Acquire(), 0);
  EXPECT_EQ(budget.Acquire(), 500'000);  // no burst credit beyond capacity 1
}

TEST(RateBudgetTest, UnlimitedNeverWaits) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 0}, clock, nullptr, 1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(budget.Acquire(), 0);
}

TEST(RateBudgetTest, RateLimitedPausesWholeInstanceForRetryAfter) {
  FakeMonotonicClock clock;
  obs::Metrics metrics;
  RateBudgets budgets(&clock, &metrics, 7);
  auto a = budgets.ForInstance("https://x.testrail.io", {.requests_per_minute = 600});
  auto b = budgets.ForInstance("https://x.testrail.io", {.requests_per_minute = 600});
  auto other = budgets.ForInstance("https://y.testrail.io", {.requests_per_minute = 600});
  ASSERT_EQ(a.get(), b.get());  // one budget per instance
  a->Acquire();
  EXPECT_EQ(a->OnRateLimited(5.0), 5000);
  // Another user of the same instance waits for the pause; another instance does not.
  EXPECT_EQ(other->Acquire(), 0);
  EXPECT_GE(b->Acquire(), 5'000'000);
  EXPECT_EQ(metrics.Value("nexus_testrail_429_total"), 1);
}

TEST(RateBudgetTest, BackoffWithoutRetryAfterGrowsWithJitterAndCap) {
  FakeMonotonicClock clock;
  RateBudget budget("k",
                    {.requests_per_minute = 0, .base_backoff_ms = 1000, .max_backoff_ms = 8000},
                    clock, nullptr, 42);
  int64_t expected = 1000;
  for (int i = 0; i < 6; ++i) {
    int64_t pause = budget.OnRateLimited(std::nullopt);
    EXPECT_GE(pause, expected / 2) << i;
    EXPECT_LE(pause, expected) << i;
    expected = std::min<int64_t>(expected * 2, 8000);
    clock.Advance(pause * 1000);
  }
  budget.OnSuccess();  // resets the exponent
  EXPECT_LE(budget.OnRateLimited(std::nullopt), 1000);
}

TEST(RateBudgetTest, MaintenancePausesInstance) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 0, .base_backoff_ms = 2000}, clock, nullptr, 3);
  int64_t pause = budget.OnMaintenance(std::nullopt);
  EXPECT_GE(pause, 1000);
  EXPECT_LE(pause, 2000);
  EXPECT_EQ(budget.Acquire(), pause * 1000);
}

TEST(RateBudgetTest, PacingResumesEvenlyAfterPause) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 60, .burst = 3}, clock, nullptr, 3);
  budget.OnRateLimited(10.0);
  const int64_t start = clock.NowUs();
  budget.Acquire();
  budget.Acquire();
  budget.Acquire();
  // After the pause the requests are spaced (not released together): 10 s + 2 x 1 s.
  EXPECT_EQ(clock.NowUs() - start, 12'000'000);
}

TEST(RateBudgetTest, RealClockConcurrentPacing) {
  // Real threads and time: 12 requests at 1200/min (50 ms apart, burst 1) take >= 550 ms.
  RateBudgets budgets;
  auto budget = budgets.ForInstance("k", {.requests_per_minute = 1200, .burst = 1});
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 3; ++j) budget->Acquire();
    });
  }
  for (auto& t : threads) t.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  EXPECT_GE(ms, 540);
  EXPECT_LT(ms, 2000);
}

}  // namespace
}  // namespace nexus::testrail
