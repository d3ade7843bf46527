// The TestRail rate budget shared through PostgreSQL (issue 15, R-Q-RATE; pg_rate_ledger.h):
// two stores with their own connection pools on one throwaway database stand for two Nexus
// processes, each with its own RateBudget front and several threads. Outcomes are checked on
// the grant times the ledger hands out (the database clock), never on the test's wall time.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "obs/metrics.h"
#include "pg_test_cluster.h"
#include "storage/pg_rate_ledger.h"
#include "storage/store.h"
#include "temp_dir.h"
#include "testrail/rate_budget.h"

namespace nexus {
namespace {

using testrail::RateBudget;
using testrail::RateBudgetOptions;
using testrail::SharedGrant;
using testrail::SharedLimitState;
using testrail::SharedRateLedger;

constexpr char kKey[] = "https://example.testrail.io";

// Forwards to a ledger and records what it granted and the pauses it set (EnvWrapper style).
class RecordingLedger : public SharedRateLedger {
 public:
  explicit RecordingLedger(SharedRateLedger& inner) : inner_(inner) {}
  Result<SharedGrant> TryAcquire(
      const std::string& key, int64_t span_us,
      const std::function<int(const SharedLimitState&)>& allowed) override {
    Result<SharedGrant> g = inner_.TryAcquire(key, span_us, allowed);
    std::lock_guard<std::mutex> lock(mu_);
    if (g.ok() && g->granted) grants_.push_back(g->granted_at_us);
    if (g.ok() && !g->granted) ++refusals_;
    return g;
  }
  Result<int64_t> Pause(const std::string& key, int64_t pause_us) override {
    Result<int64_t> until = inner_.Pause(key, pause_us);
    std::lock_guard<std::mutex> lock(mu_);
    if (until.ok()) pauses_.push_back(*until);
    return until;
  }
  Status LearnLimit(const std::string& key, int limit, int64_t rpm) override {
    return inner_.LearnLimit(key, limit, rpm);
  }
  std::vector<int64_t> grants() const {
    std::lock_guard<std::mutex> lock(mu_);
    return grants_;
  }
  std::vector<int64_t> pauses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pauses_;
  }
  int refusals() const {
    std::lock_guard<std::mutex> lock(mu_);
    return refusals_;
  }

 private:
  SharedRateLedger& inner_;
  mutable std::mutex mu_;
  std::vector<int64_t> grants_;  // mu_
  std::vector<int64_t> pauses_;  // mu_
  int refusals_ = 0;             // mu_
};

// 300/min over a 2-s window at share 1: 10 calls per window, for all processes together.
RateBudgetOptions ShortWindow() {
  RateBudgetOptions o;
  o.requests_per_minute = 300;
  o.share = 1.0;
  o.window_ms = 2'000;
  o.margin_ms = 100;
  o.base_backoff_ms = 200;
  o.max_backoff_ms = 400;
  return o;
}

// "Process" A and B: a store (own pool) on one database, its ledger, a recorder, a budget.
struct Process {
  std::unique_ptr<Store> store;
  std::unique_ptr<SharedRateLedger> ledger;
  std::unique_ptr<RecordingLedger> recorder;
  std::unique_ptr<RateBudget> budget;
};

class SharedRateBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::PgTestCluster& pg = testing::PgTestCluster::Get();
    ASSERT_TRUE(pg.ok()) << pg.error();
    conninfo_ = pg.Fresh();
    ASSERT_FALSE(conninfo_.empty()) << pg.error();
    for (Process* p : {&a_, &b_}) {
      auto store = OpenPostgresStore(conninfo_, 4);
      ASSERT_TRUE(store.ok()) << store.status().message();
      p->store = std::move(*store);
      ASSERT_TRUE(p->store->Migrate().ok());
      p->ledger = MakeSharedRateLedger(*p->store);
      ASSERT_NE(p->ledger, nullptr);
      p->recorder = std::make_unique<RecordingLedger>(*p->ledger);
      p->budget = std::make_unique<RateBudget>(kKey, ShortWindow(), clock_, &metrics_,
                                               p == &a_ ? 1 : 2, p->recorder.get());
    }
  }

  testrail::SteadyMonotonicClock clock_;
  obs::Metrics metrics_;
  std::string conninfo_;
  Process a_, b_;
};

TEST_F(SharedRateBudgetTest, TwoProcessesNeverGrantMoreThanTheLimitInAnyWindow) {
  constexpr int kThreads = 3, kCalls = 6;  // per process: 36 grants in all, 3.6 windows' worth
  std::vector<std::thread> threads;
  for (Process* p : {&a_, &b_})
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([p] {
        for (int i = 0; i < kCalls; ++i) p->budget->Acquire();
      });
  for (auto& t : threads) t.join();

  std::vector<int64_t> all = a_.recorder->grants();
  std::vector<int64_t> from_b = b_.recorder->grants();
  ASSERT_EQ(all.size(), size_t{kThreads * kCalls});
  ASSERT_EQ(from_b.size(), size_t{kThreads * kCalls});
  all.insert(all.end(), from_b.begin(), from_b.end());
  std::sort(all.begin(), all.end());
  const int allowed = a_.budget->Allowed();
  ASSERT_EQ(allowed, 10);
  // Every 2-s window starting at a grant holds at most 10 grants of both processes together
  // (the window with the most grants starts at one of them).
  const int64_t window_us = ShortWindow().window_ms * 1000;
  int most = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    auto end = std::lower_bound(all.begin(), all.end(), all[i] + window_us);
    most = std::max(most, static_cast<int>(end - (all.begin() + static_cast<ptrdiff_t>(i))));
  }
  EXPECT_LE(most, allowed);
  // Each process alone would have let 10 through in the first window: the ledger refused some.
  EXPECT_GT(a_.recorder->refusals() + b_.recorder->refusals(), 0);
  EXPECT_FALSE(a_.budget->SharedDegraded());
  EXPECT_EQ(metrics_.Value("nexus_testrail_shared_budget_errors_total"), 0);
}

TEST_F(SharedRateBudgetTest, PauseSetByOneProcessIsHonouredByTheOther) {
  a_.budget->Acquire();
  // A gets a 429 with Retry-After: 1 — B, which saw no 429, must not call before it ends.
  a_.budget->OnRateLimited(1.0);
  ASSERT_EQ(a_.recorder->pauses().size(), 1u);
  const int64_t paused_until = a_.recorder->pauses()[0];
  const int64_t waited = b_.budget->Acquire();
  ASSERT_EQ(b_.recorder->grants().size(), 1u);
  EXPECT_GE(b_.recorder->grants()[0], paused_until);
  EXPECT_GT(waited, 0);
  EXPECT_GE(b_.recorder->refusals(), 1);
  // A longer pause already set wins over a shorter one.
  auto shorter = b_.ledger->Pause(kKey, 1);
  ASSERT_TRUE(shorter.ok());
  auto longer = b_.ledger->Pause(kKey, 60'000'000);
  ASSERT_TRUE(longer.ok());
  auto again = a_.ledger->Pause(kKey, 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *longer);
}

TEST_F(SharedRateBudgetTest, LimitLearnedByOneProcessIsFollowedByTheOther) {
  ASSERT_EQ(b_.budget->Allowed(), 10);
  // TestRail says 120 per minute (configured 300): 4 per 2-s window from now on, for both.
  a_.budget->OnRateLimited(0.001, 120);
  EXPECT_EQ(a_.budget->LearnedLimit(), 120);
  b_.budget->Acquire();
  EXPECT_EQ(b_.budget->LearnedLimit(), 120);
  EXPECT_EQ(b_.budget->Allowed(), 4);
  // A stricter limit stays when a laxer one comes later under the same configuration.
  ASSERT_TRUE(b_.ledger->LearnLimit(kKey, 150, 300).ok());
  RateBudget c(kKey, ShortWindow(), clock_, nullptr, 3, b_.ledger.get());
  c.Acquire();
  EXPECT_EQ(c.LearnedLimit(), 120);
  // A limit learned under another configured limit is not followed.
  RateBudgetOptions other = ShortWindow();
  other.requests_per_minute = 600;
  RateBudget d(kKey, other, clock_, nullptr, 4, b_.ledger.get());
  d.Acquire();
  EXPECT_EQ(d.LearnedLimit(), std::nullopt);
}

// A database error in the ledger (here: a schema without migration 0012) never fails the call:
// the budget falls back to its local window and says so.
TEST(SharedRateBudgetErrorTest, LedgerErrorFallsBackToTheLocalBudget) {
  testing::PgTestCluster& pg = testing::PgTestCluster::Get();
  ASSERT_TRUE(pg.ok()) << pg.error();
  const std::string conninfo = pg.Fresh();
  ASSERT_FALSE(conninfo.empty()) << pg.error();
  auto store = OpenPostgresStore(conninfo, 2);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto ledger = MakeSharedRateLedger(**store);
  ASSERT_NE(ledger, nullptr);
  testrail::SteadyMonotonicClock clock;
  obs::Metrics metrics;
  RateBudget budget(kKey, ShortWindow(), clock, &metrics, 1, ledger.get());
  EXPECT_EQ(budget.Acquire(), 0);
  EXPECT_TRUE(budget.SharedDegraded());
  EXPECT_EQ(metrics.Value("nexus_testrail_shared_budget_errors_total"), 1);
  EXPECT_EQ(budget.InWindow(), 1);
  EXPECT_FALSE(ledger->Pause(kKey, 1000).ok());
}

TEST(SharedRateBudgetSqliteTest, NoLedgerOnSqlite) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.File("one.db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  EXPECT_EQ(MakeSharedRateLedger(**store), nullptr);
}

}  // namespace
}  // namespace nexus
