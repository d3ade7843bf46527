// RateBudget with a fake clock (issue 16, R-Q-RATE): at most the share of the limit in any
// sliding window, learning a stricter limit from 429s, instance-wide pauses after 429 (with and
// without Retry-After), maintenance backoff, unlimited, metrics of waits.
#include "testrail/rate_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "fakes/fake_transport.h"

namespace nexus::testrail {
namespace {

using nexus::testing::FakeMonotonicClock;

constexpr int64_t kSpanUs = 61'000'000;  // the 60-s window + 1 s margin

// Every window of `span` holds at most `allowed` of the grant times `t` (ascending).
bool AtMostInAnyWindow(const std::vector<int64_t>& t, size_t allowed, int64_t span) {
  for (size_t i = 0; i + allowed < t.size(); ++i)
    if (t[i + allowed] - t[i] < span) return false;
  return true;
}

TEST(RateBudgetTest, SendsTheWholeShareAtOnceThenSlidesTheWindow) {
  FakeMonotonicClock clock;
  obs::Metrics metrics;
  // 180/min with the default share of 80%: 144 calls in any 61 s.
  RateBudget budget("https://x", {.requests_per_minute = 180}, clock, &metrics, 1);
  EXPECT_EQ(budget.Allowed(), 144);
  const int64_t start = clock.NowUs();
  for (int i = 0; i < 144; ++i) EXPECT_EQ(budget.Acquire(), 0) << i;  // no pacing within it
  EXPECT_EQ(budget.InWindow(), 144);
  // The 145th waits for the first to leave the window.
  EXPECT_EQ(budget.Acquire(), kSpanUs);
  EXPECT_EQ(clock.NowUs() - start, kSpanUs);
  EXPECT_DOUBLE_EQ(metrics.Value("nexus_testrail_rate_limit_wait_seconds_total"), 61.0);
  EXPECT_EQ(metrics.Count("nexus_testrail_rate_limit_wait_seconds"), 1u);
}

TEST(RateBudgetTest, NeverMoreThanTheShareInAnySlidingWindow) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 60, .share = 0.5}, clock, nullptr, 1);
  ASSERT_EQ(budget.Allowed(), 30);
  std::vector<int64_t> t;
  for (int i = 0; i < 500; ++i) {
    budget.Acquire();
    t.push_back(clock.NowUs());
    clock.Advance((i * 7919) % 3'000'000);  // irregular gaps between callers
  }
  EXPECT_TRUE(AtMostInAnyWindow(t, 30, kSpanUs));
  // ... and it is not slower than that: some window of 61 s holds all 30.
  bool full = false;
  for (size_t i = 0; i + 29 < t.size(); ++i) full |= t[i + 29] - t[i] < kSpanUs;
  EXPECT_TRUE(full);
}

TEST(RateBudgetTest, ShareOutOfRangeMeansAllOfTheLimit) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 300, .share = 0}, clock, nullptr, 1);
  EXPECT_EQ(budget.Allowed(), 300);
  budget.SetOptions({.requests_per_minute = 300, .share = 1.0});
  EXPECT_EQ(budget.Allowed(), 300);
  budget.SetOptions({.requests_per_minute = 1, .share = 0.1});
  EXPECT_EQ(budget.Allowed(), 1);  // never below one call per window
}

TEST(RateBudgetTest, LearnsAStricterLimitFromThe429Body) {
  FakeMonotonicClock clock;
  obs::Metrics metrics;
  RateBudget budget("k", {.requests_per_minute = 180}, clock, &metrics, 1);
  for (int i = 0; i < 70; ++i) budget.Acquire();
  // The instance is on a lower plan than configured: 60 per minute.
  auto limit = ParseRateLimitPerMinute(
      R"({"error":"API Rate Limit Exceeded - 60 per minute maximum allowed. Retry after 7 seconds."})");
  ASSERT_EQ(limit, 60);
  EXPECT_EQ(budget.OnRateLimited(7.0, limit), 7000);
  EXPECT_EQ(budget.LearnedLimit(), 60);
  EXPECT_EQ(budget.Allowed(), 48);  // 80% of 60
  // The next call waits for the pause and then for the window to hold fewer than 48 grants.
  const int64_t t0 = clock.NowUs();
  budget.Acquire();
  EXPECT_GE(clock.NowUs() - t0, kSpanUs - 1);
  EXPECT_EQ(metrics.Value("nexus_testrail_429_total"), 1);
  // A higher number than configured does not raise the budget; a new configuration forgets.
  budget.OnRateLimited(1.0, 500);
  EXPECT_EQ(budget.LearnedLimit(), 60);
  budget.SetOptions({.requests_per_minute = 300});
  EXPECT_FALSE(budget.LearnedLimit().has_value());
  EXPECT_EQ(budget.Allowed(), 240);
}

TEST(RateBudgetTest, A429WithoutANumberCapsTheWindowAtWhatWentThrough) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 180}, clock, nullptr, 1);
  for (int i = 0; i < 20; ++i) budget.Acquire();
  // The 20th call was refused: 19 went through in this window.
  budget.OnRateLimited(2.0, std::nullopt);
  EXPECT_EQ(budget.Allowed(), 19);
  std::vector<int64_t> t;
  for (int i = 0; i < 38; ++i) {
    budget.Acquire();
    t.push_back(clock.NowUs());
  }
  EXPECT_TRUE(AtMostInAnyWindow(t, 19, kSpanUs));
  // Two quiet windows later the cap lapses.
  clock.Advance(3 * kSpanUs);
  EXPECT_EQ(budget.Allowed(), 144);
  // A 429 with none of our calls in the window (others spent it) teaches nothing.
  budget.OnRateLimited(1.0, std::nullopt);
  EXPECT_EQ(budget.Allowed(), 144);
}

TEST(RateBudgetTest, UnlimitedLearnsFromA429Too) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 0}, clock, nullptr, 1);
  EXPECT_EQ(budget.Allowed(), 0);
  budget.OnRateLimited(1.0, 100);  // a TestRail Server behind a limiting proxy
  EXPECT_EQ(budget.Allowed(), 80);
}

TEST(RateBudgetTest, ParsesTheLimitOnlyFromTestRailsText) {
  EXPECT_EQ(ParseRateLimitPerMinute(
                "API Rate Limit Exceeded - 500 per minute maximum allowed. Retry after 1 seconds."),
            500);
  EXPECT_FALSE(ParseRateLimitPerMinute("Too many requests").has_value());
  EXPECT_FALSE(ParseRateLimitPerMinute("API Rate Limit Exceeded - x per minute").has_value());
  EXPECT_FALSE(ParseRateLimitPerMinute("API Rate Limit Exceeded - 5 per hour").has_value());
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

TEST(RateBudgetTest, APauseHoldsEveryCallerAndTheWindowStillCounts) {
  FakeMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 60, .share = 0.05}, clock, nullptr, 3);
  ASSERT_EQ(budget.Allowed(), 3);
  budget.OnRateLimited(10.0);
  const int64_t start = clock.NowUs();
  for (int i = 0; i < 4; ++i) budget.Acquire();
  // Three right after the pause, the fourth when the first leaves the window.
  EXPECT_EQ(clock.NowUs() - start, 10'000'000 + kSpanUs);
}

TEST(RateBudgetTest, RealClockConcurrentThreadsKeepTheWindow) {
  // Real threads and time, a 200-ms window (+50 ms margin) of 5: 12 requests take >= 2 spans.
  RateBudgets budgets;
  auto budget = budgets.ForInstance(
      "k", {.requests_per_minute = 1500, .share = 1.0, .window_ms = 200, .margin_ms = 50});
  ASSERT_EQ(budget->Allowed(), 5);
  auto start = std::chrono::steady_clock::now();
  std::mutex mu;
  std::vector<int64_t> t;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 3; ++j) {
        budget->Acquire();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
        std::lock_guard<std::mutex> lock(mu);
        t.push_back(us);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::sort(t.begin(), t.end());
  EXPECT_GE(t.back(), 490'000);
  EXPECT_LT(t.back(), 2'000'000);
  EXPECT_TRUE(AtMostInAnyWindow(t, 5, 245'000));
}

// A shared ledger (several processes on PostgreSQL) whose database is gone.
class FailingLedger : public SharedRateLedger {
 public:
  Result<SharedGrant> TryAcquire(const std::string&, int64_t,
                                 const std::function<int(const SharedLimitState&)>&) override {
    ++calls;
    return Gone();
  }
  Result<int64_t> Pause(const std::string&, int64_t) override {
    ++calls;
    return Gone();
  }
  Status LearnLimit(const std::string&, int, int64_t) override {
    ++calls;
    return Gone();
  }
  static Status Gone() {
    return Status(StatusCode::kUnavailable, "connect to PostgreSQL: connection refused");
  }
  int calls = 0;
};

TEST(RateBudgetTest, FailingSharedLedgerFallsBackToTheLocalBudget) {
  FakeMonotonicClock clock;
  obs::Metrics metrics;
  FailingLedger ledger;
  RateBudgetOptions o;
  o.requests_per_minute = 60;
  o.share = 0.5;  // 30 per window
  RateBudget budget("https://x.testrail.io", o, clock, &metrics, 1, &ledger);
  // The call goes out on the local grant; the failure is counted and the ledger is left alone
  // for kSharedRetryMs instead of failing on every call.
  EXPECT_EQ(budget.Acquire(), 0);
  EXPECT_TRUE(budget.SharedDegraded());
  EXPECT_EQ(metrics.Value("nexus_testrail_shared_budget_errors_total"), 1);
  for (int i = 0; i < 29; ++i) budget.Acquire();
  EXPECT_EQ(ledger.calls, 1);
  EXPECT_EQ(budget.InWindow(), 30);
  // Still paced by the local budget alone: the 31st waits for the window to slide.
  EXPECT_GT(budget.Acquire(), 0);
  // After the retry delay (the wait above passed it) the ledger is asked again.
  EXPECT_EQ(ledger.calls, 2);
  EXPECT_EQ(metrics.Value("nexus_testrail_shared_budget_errors_total"), 2);
}

}  // namespace
}  // namespace nexus::testrail
