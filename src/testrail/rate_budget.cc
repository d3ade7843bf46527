// Per-instance rate budget; see rate_budget.h.
#include "testrail/rate_budget.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace nexus::testrail {
namespace {
constexpr char kWaitTotal[] = "nexus_testrail_rate_limit_wait_seconds_total";
constexpr char kWaitHist[] = "nexus_testrail_rate_limit_wait_seconds";
constexpr char k429Total[] = "nexus_testrail_429_total";
constexpr char kPauseTotal[] = "nexus_testrail_pause_seconds_total";
}  // namespace

int64_t SteadyMonotonicClock::NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SteadyMonotonicClock::SleepUs(int64_t us) {
  if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
}

RateBudget::RateBudget(std::string key, RateBudgetOptions options, MonotonicClock& clock,
                       obs::Metrics* metrics, uint64_t seed)
    : key_(std::move(key)), clock_(clock), metrics_(metrics), options_(options), rng_(seed) {
  if (metrics_ != nullptr) {
    metrics_->Describe(kWaitTotal, "counter",
                       "Seconds callers waited for the TestRail rate budget (pacing + pauses).");
    metrics_->Describe(kWaitHist, "histogram", "Per-request wait for the TestRail rate budget.");
    metrics_->Describe(k429Total, "counter", "HTTP 429 answers received from TestRail.");
  }
}

int64_t RateBudget::IntervalUsLocked() const {
  if (options_.requests_per_minute <= 0) return 0;
  return static_cast<int64_t>(60'000'000.0 / options_.requests_per_minute);
}

int64_t RateBudget::Acquire() {
  int64_t waited = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    int64_t now = clock_.NowUs();
    if (paused_until_us_ > now) {
      int64_t wait = paused_until_us_ - now;
      lock.unlock();
      clock_.SleepUs(wait);
      waited += wait;
      lock.lock();
      continue;
    }
    int64_t interval = IntervalUsLocked();
    if (interval == 0) break;
    int64_t burst = std::max(1, options_.burst);
    // GCRA: reserve the earliest slot that keeps the long-run rate and at most `burst`
    // requests back to back; the reservation is made now so waiting threads queue up in
    // order instead of racing when they wake.
    int64_t tat = std::max(tat_us_, now);
    int64_t slot = std::max(now, tat - (burst - 1) * interval);
    tat_us_ = tat + interval;
    if (slot <= now) break;
    int64_t pause_seen = paused_until_us_;
    lock.unlock();
    clock_.SleepUs(slot - now);
    waited += slot - now;
    lock.lock();
    // A 429/409 that arrived while we slept pauses us too: go round again.
    if (paused_until_us_ == pause_seen || paused_until_us_ <= clock_.NowUs()) break;
  }
  lock.unlock();
  if (metrics_ != nullptr && waited > 0) {
    metrics_->Inc(kWaitTotal, {}, waited / 1e6);
    metrics_->Observe(kWaitHist, {}, waited / 1e6);
  }
  return waited;
}

int64_t RateBudget::JitteredLocked(int64_t base_ms, int64_t max_ms, int exponent) {
  int64_t d = base_ms;
  for (int i = 0; i < exponent && d < max_ms; ++i) d *= 2;
  d = std::min(d, max_ms);
  std::uniform_real_distribution<double> dist(0.5, 1.0);
  return static_cast<int64_t>(static_cast<double>(d) * dist(rng_));
}

int64_t RateBudget::PauseLocked(int64_t pause_us) {
  int64_t now = clock_.NowUs();
  paused_until_us_ = std::max(paused_until_us_, now + pause_us);
  // Resume evenly paced after the pause, without burst credit, instead of releasing
  // everyone at once.
  tat_us_ =
      std::max(tat_us_, paused_until_us_ + (std::max(1, options_.burst) - 1) * IntervalUsLocked());
  return pause_us / 1000;
}

int64_t RateBudget::OnRateLimited(std::optional<double> retry_after_s) {
  int64_t pause_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++consecutive_429_;
    int64_t pause_us = retry_after_s.has_value()
                           ? static_cast<int64_t>(*retry_after_s * 1e6)
                           : JitteredLocked(options_.base_backoff_ms, options_.max_backoff_ms,
                                            consecutive_429_ - 1) *
                                 1000;
    pause_ms = PauseLocked(pause_us);
  }
  if (metrics_ != nullptr) {
    metrics_->Inc(k429Total);
    metrics_->Inc(kPauseTotal, {{"reason", "rate_limited"}}, static_cast<double>(pause_ms) / 1e3);
  }
  return pause_ms;
}

int64_t RateBudget::OnMaintenance(std::optional<double> retry_after_s) {
  int64_t pause_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++consecutive_409_;
    int64_t pause_us = retry_after_s.has_value()
                           ? static_cast<int64_t>(*retry_after_s * 1e6)
                           : JitteredLocked(options_.base_backoff_ms, options_.max_backoff_ms,
                                            consecutive_409_ - 1) *
                                 1000;
    pause_ms = PauseLocked(pause_us);
  }
  if (metrics_ != nullptr) {
    metrics_->Inc(kPauseTotal, {{"reason", "maintenance"}}, static_cast<double>(pause_ms) / 1e3);
  }
  return pause_ms;
}

void RateBudget::OnSuccess() {
  std::lock_guard<std::mutex> lock(mu_);
  consecutive_429_ = 0;
  consecutive_409_ = 0;
}

int64_t RateBudget::BackoffMs(int attempt, int64_t base_ms, int64_t max_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return JitteredLocked(base_ms, max_ms, std::max(0, attempt - 1));
}

void RateBudget::SetOptions(const RateBudgetOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  options_ = options;
}

RateBudgetOptions RateBudget::options() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_;
}

int64_t RateBudget::PausedUntilUs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_until_us_;
}

RateBudgets::RateBudgets(MonotonicClock* clock, obs::Metrics* metrics, uint64_t seed)
    : metrics_(metrics), next_seed_(seed) {
  if (clock == nullptr) {
    owned_clock_ = std::make_unique<SteadyMonotonicClock>();
    clock = owned_clock_.get();
  }
  clock_ = clock;
}

std::shared_ptr<RateBudget> RateBudgets::ForInstance(const std::string& base_url,
                                                     const RateBudgetOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = budgets_.find(base_url);
  if (it != budgets_.end()) {
    it->second->SetOptions(options);
    return it->second;
  }
  auto budget = std::make_shared<RateBudget>(base_url, options, *clock_, metrics_, next_seed_++);
  budgets_.emplace(base_url, budget);
  return budget;
}

}  // namespace nexus::testrail
