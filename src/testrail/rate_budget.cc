// Per-instance rate budget; see rate_budget.h.
#include "testrail/rate_budget.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace nexus::testrail {
namespace {
constexpr char kWaitTotal[] = "nexus_testrail_rate_limit_wait_seconds_total";
constexpr char kWaitHist[] = "nexus_testrail_rate_limit_wait_seconds";
constexpr char k429Total[] = "nexus_testrail_429_total";
constexpr char kPauseTotal[] = "nexus_testrail_pause_seconds_total";
constexpr char kSharedErrors[] = "nexus_testrail_shared_budget_errors_total";
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
                       obs::Metrics* metrics, uint64_t seed, SharedRateLedger* shared)
    : key_(std::move(key)),
      clock_(clock),
      metrics_(metrics),
      shared_(shared),
      options_(options),
      rng_(seed) {
  if (metrics_ != nullptr) {
    metrics_->Describe(kWaitTotal, "counter",
                       "Seconds callers waited for the TestRail rate budget (pacing + pauses).");
    metrics_->Describe(kWaitHist, "histogram", "Per-request wait for the TestRail rate budget.");
    metrics_->Describe(k429Total, "counter", "HTTP 429 answers received from TestRail.");
    if (shared_ != nullptr)
      metrics_->Describe(kSharedErrors, "counter",
                         "Failures of the rate budget shared in the database (the local budget "
                         "paced the call alone).");
  }
}

std::optional<int> ParseRateLimitPerMinute(std::string_view body) {
  constexpr std::string_view kHead = "API Rate Limit Exceeded - ";
  size_t p = body.find(kHead);
  if (p == std::string_view::npos) return std::nullopt;
  p += kHead.size();
  int64_t v = 0;
  size_t digits = 0;
  while (p < body.size() && body[p] >= '0' && body[p] <= '9' && digits < 9) {
    v = v * 10 + (body[p++] - '0');
    ++digits;
  }
  if (digits == 0 || v <= 0 || body.substr(p, 11) != " per minute") return std::nullopt;
  return static_cast<int>(v);
}

int64_t RateBudget::SpanUsLocked() const {
  return (std::max<int64_t>(1, options_.window_ms) + std::max<int64_t>(0, options_.margin_ms)) *
         1000;
}

void RateBudget::TrimLocked(int64_t now_us) const {
  const int64_t span = SpanUsLocked();
  while (!grants_.empty() && grants_.front() + span <= now_us) grants_.pop_front();
}

int RateBudget::AllowedLocked(int64_t now_us) const {
  double limit = options_.requests_per_minute > 0 ? options_.requests_per_minute : 0;
  if (learned_limit_ && (limit <= 0 || *learned_limit_ < limit)) limit = *learned_limit_;
  if (limit <= 0) return 0;  // unlimited
  double share = options_.share > 0 && options_.share <= 1 ? options_.share : 1.0;
  // The per-minute limit scaled to the window (tests shorten the window).
  double per_window = limit * static_cast<double>(options_.window_ms) / 60'000.0;
  int allowed = std::max(1, static_cast<int>(per_window * share + 1e-9));
  if (learned_cap_ && now_us < learned_cap_until_us_) allowed = std::min(allowed, *learned_cap_);
  return allowed;
}

int RateBudget::Allowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return AllowedLocked(clock_.NowUs());
}

std::optional<int> RateBudget::LearnedLimit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return learned_limit_;
}

int RateBudget::InWindow() const {
  std::lock_guard<std::mutex> lock(mu_);
  TrimLocked(clock_.NowUs());
  return static_cast<int>(grants_.size());
}

void RateBudget::ObserveCall(size_t results, int64_t duration_us) {
  constexpr double kAlpha = 0.3;  // weight of a new sample
  const double ms = static_cast<double>(std::max<int64_t>(0, duration_us)) / 1000.0;
  std::lock_guard<std::mutex> lock(mu_);
  auto blend = [&](double& avg, int& n, double sample) {
    avg = n == 0 ? sample : avg + kAlpha * (sample - avg);
    ++n;
  };
  if (results == 0) {
    blend(costs_.latency_ms, costs_.latency_samples, ms);
  } else if (results >= 10) {
    const double per = std::max(0.0, ms - costs_.latency_ms) / static_cast<double>(results);
    blend(costs_.per_result_ms, costs_.per_result_samples, per);
  }
}

CallCostEstimate RateBudget::Costs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return costs_;
}

int64_t RateBudget::Acquire() {
  int64_t waited = AcquireLocal();
  if (shared_ != nullptr) waited += AcquireShared();
  if (metrics_ != nullptr && waited > 0) {
    metrics_->Inc(kWaitTotal, {}, waited / 1e6);
    metrics_->Observe(kWaitHist, {}, waited / 1e6);
  }
  return waited;
}

int64_t RateBudget::AcquireLocal() {
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
    TrimLocked(now);
    const int allowed = AllowedLocked(now);
    if (allowed == 0) {  // unlimited: still counted, so a 429 can be learned from
      grants_.push_back(now);
      break;
    }
    // Sliding window: the (allowed)-th newest grant must have left the window. The place is
    // reserved now so waiting threads queue in order instead of racing when they wake.
    int64_t slot = now;
    if (grants_.size() >= static_cast<size_t>(allowed))
      slot = std::max(now, grants_[grants_.size() - static_cast<size_t>(allowed)] + SpanUsLocked());
    slot = std::max(slot, grants_.empty() ? slot : grants_.back());
    grants_.push_back(slot);
    if (slot <= now) break;
    int64_t pause_seen = paused_until_us_;
    lock.unlock();
    clock_.SleepUs(slot - now);
    waited += slot - now;
    lock.lock();
    // A 429/409 that arrived while we slept pauses us too: give the place back, go round.
    if (paused_until_us_ == pause_seen || paused_until_us_ <= clock_.NowUs()) break;
    auto it = std::find(grants_.begin(), grants_.end(), slot);
    if (it != grants_.end()) grants_.erase(it);
  }
  return waited;
}

int RateBudget::SharedAllowed(const SharedLimitState& state) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state.learned_limit && *state.learned_limit > 0 &&
      state.learned_under_rpm == std::llround(options_.requests_per_minute) &&
      (options_.requests_per_minute <= 0 || *state.learned_limit < options_.requests_per_minute) &&
      (!learned_limit_ || *state.learned_limit < *learned_limit_)) {
    learned_limit_ = state.learned_limit;
    spdlog::info("TestRail {}: another Nexus instance learned a limit of {} requests per minute",
                 key_, *state.learned_limit);
  }
  return AllowedLocked(clock_.NowUs());
}

bool RateBudget::SharedUsable() {
  std::lock_guard<std::mutex> lock(mu_);
  return !shared_failing_ || clock_.NowUs() >= shared_retry_at_us_;
}

bool RateBudget::SharedDegraded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shared_failing_;
}

void RateBudget::SharedFailed(std::string_view what, const Status& status) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = !shared_failing_;
    shared_failing_ = true;
    shared_retry_at_us_ = clock_.NowUs() + kSharedRetryMs * 1000;
  }
  if (metrics_ != nullptr) metrics_->Inc(kSharedErrors);
  if (first) {
    spdlog::warn(
        "TestRail {}: the rate budget shared in the database failed ({}: {}); this instance "
        "paces its calls alone until it is back (other instances may then push TestRail into "
        "429s)",
        key_, what, status.message());
  }
}

void RateBudget::SharedSucceeded() {
  bool recovered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    recovered = shared_failing_;
    shared_failing_ = false;
  }
  if (recovered) spdlog::info("TestRail {}: the shared rate budget is back", key_);
}

int64_t RateBudget::AcquireShared() {
  int64_t waited = 0;
  if (!SharedUsable()) return waited;
  int64_t span_us;
  {
    std::lock_guard<std::mutex> lock(mu_);
    span_us = SpanUsLocked();
  }
  const auto allowed = [this](const SharedLimitState& state) { return SharedAllowed(state); };
  while (true) {
    Result<SharedGrant> grant = shared_->TryAcquire(key_, span_us, allowed);
    if (!grant.ok()) {
      SharedFailed("acquire", grant.status());
      return waited;
    }
    SharedSucceeded();
    if (grant->granted) return waited;
    // Sleep until the place frees (bounded, so a changed limit or a lifted pause is seen).
    const int64_t wait = std::clamp<int64_t>(grant->wait_us, 1'000, span_us);
    if (grant->paused_us > 0) {
      // Another process's pause: let this process's other threads wait locally too.
      std::lock_guard<std::mutex> lock(mu_);
      PauseLocked(grant->paused_us);
    }
    clock_.SleepUs(wait);
    waited += wait;
  }
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
  return pause_us / 1000;
}

int64_t RateBudget::OnRateLimited(std::optional<double> retry_after_s,
                                  std::optional<int> limit_per_minute) {
  int64_t pause_ms;
  std::optional<int> learned;  // a limit newly learned here, for the shared ledger
  int64_t configured_rpm = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++consecutive_429_;
    const int64_t now = clock_.NowUs();
    TrimLocked(now);
    if (limit_per_minute && *limit_per_minute > 0 &&
        (options_.requests_per_minute <= 0 || *limit_per_minute < options_.requests_per_minute) &&
        (!learned_limit_ || *limit_per_minute < *learned_limit_)) {
      learned_limit_ = *limit_per_minute;
      learned = *limit_per_minute;
      configured_rpm = std::llround(options_.requests_per_minute);
      spdlog::warn(
          "TestRail {}: the instance allows {} requests per minute (configured {}); "
          "the budget follows it",
          key_, *limit_per_minute, options_.requests_per_minute);
    } else if (!limit_per_minute) {
      // Stricter than we know and it does not say how much: what went through in this window
      // before the refused call (the last one sent) is what we may use, until two windows pass
      // without another 429. With nothing of ours in the window (other users spent it) there
      // is nothing to learn; the pause covers it.
      int sent = 0;
      for (int64_t g : grants_) sent += g <= now ? 1 : 0;
      const int allowed = AllowedLocked(now);
      if (sent >= 2 && (allowed == 0 || sent <= allowed)) {
        learned_cap_ = learned_cap_ && now < learned_cap_until_us_
                           ? std::min(*learned_cap_, sent - 1)
                           : sent - 1;
        learned_cap_until_us_ = now + 2 * SpanUsLocked();
      }
    }
    int64_t pause_us = retry_after_s.has_value()
                           ? static_cast<int64_t>(*retry_after_s * 1e6)
                           : JitteredLocked(options_.base_backoff_ms, options_.max_backoff_ms,
                                            consecutive_429_ - 1) *
                                 1000;
    pause_ms = PauseLocked(pause_us);
  }
  if (shared_ != nullptr && SharedUsable()) {
    if (learned) {
      Status st = shared_->LearnLimit(key_, *learned, configured_rpm);
      if (!st.ok()) SharedFailed("learn limit", st);
    }
    SharePause(pause_ms);
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
  if (shared_ != nullptr && SharedUsable()) SharePause(pause_ms);
  if (metrics_ != nullptr) {
    metrics_->Inc(kPauseTotal, {{"reason", "maintenance"}}, static_cast<double>(pause_ms) / 1e3);
  }
  return pause_ms;
}

void RateBudget::SharePause(int64_t pause_ms) {
  if (pause_ms <= 0) return;
  Result<int64_t> until = shared_->Pause(key_, pause_ms * 1000);
  if (!until.ok()) SharedFailed("pause", until.status());
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
  if (options.requests_per_minute != options_.requests_per_minute) {
    learned_limit_.reset();
    learned_cap_.reset();
  }
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

RateBudgets::RateBudgets(MonotonicClock* clock, obs::Metrics* metrics, uint64_t seed,
                         SharedRateLedger* shared)
    : metrics_(metrics), shared_(shared), next_seed_(seed) {
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
  auto budget =
      std::make_shared<RateBudget>(base_url, options, *clock_, metrics_, next_seed_++, shared_);
  budgets_.emplace(base_url, budget);
  return budget;
}

}  // namespace nexus::testrail
