// Per-instance request budget (R-Q-RATE): every thread and job talking to one TestRail
// instance draws from the same RateBudget, which paces requests evenly under the configured
// requests/minute, pauses the whole instance after a 429 (Retry-After, or exponential backoff
// with jitter when the header is absent) or a 409 maintenance answer, and records its waits
// in metrics. RateBudgets is the process-wide registry, passed in as a dependency.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "obs/metrics.h"

namespace nexus::testrail {

// Monotonic time and sleeping, injectable so limiter tests are fast and deterministic.
class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  // Microseconds on a monotonic scale. Thread-safe.
  virtual int64_t NowUs() = 0;
  // Blocks the calling thread for `us` microseconds (no-op for us <= 0). Thread-safe.
  virtual void SleepUs(int64_t us) = 0;
};

// std::chrono::steady_clock + std::this_thread::sleep_for.
class SteadyMonotonicClock : public MonotonicClock {
 public:
  int64_t NowUs() override;
  void SleepUs(int64_t us) override;
};

struct RateBudgetOptions {
  double requests_per_minute = 180;  // <= 0: unlimited (on-premise servers have no limit)
  int burst = 2;                     // requests that may go back to back after idling (>= 1)
  int64_t base_backoff_ms = 1'000;   // first pause after a 429 without Retry-After / a 409
  int64_t max_backoff_ms = 60'000;   // cap of the exponential backoff
};

// Thread-safe: any number of threads call Acquire() concurrently.
class RateBudget {
 public:
  RateBudget(std::string key, RateBudgetOptions options, MonotonicClock& clock,
             obs::Metrics* metrics, uint64_t seed);

  // Blocks until the caller may send one request: waits for a pause (429/409) to end and
  // for its evenly spaced slot (GCRA / token bucket of capacity `burst`). Returns the
  // microseconds waited (also added to nexus_testrail_rate_limit_wait_seconds_total and
  // observed in the nexus_testrail_rate_limit_wait_seconds histogram when > 0).
  int64_t Acquire();

  // A 429 arrived: pauses the whole instance for `retry_after_s` seconds, or, when absent,
  // for an exponential backoff with jitter (base * 2^consecutive, capped, in [d/2, d]).
  // Counts nexus_testrail_429_total. Returns the pause length in ms.
  int64_t OnRateLimited(std::optional<double> retry_after_s);
  // A 409 maintenance answer: pauses the whole instance like a 429 without header (or for
  // Retry-After when given). Returns the pause in ms.
  int64_t OnMaintenance(std::optional<double> retry_after_s);
  // A request succeeded: resets the consecutive-429/409 counters.
  void OnSuccess();

  // Jittered exponential delay for the `attempt`-th retry (1-based) of one caller after a
  // 5xx/timeout/reset: min(max_backoff, base * 2^(attempt-1)) scaled by a random factor in
  // [0.5, 1]. Does not pause other callers.
  int64_t BackoffMs(int attempt, int64_t base_ms, int64_t max_ms);

  // Changes the rate (e.g. a connection re-saved with another limit).
  void SetOptions(const RateBudgetOptions& options);
  RateBudgetOptions options() const;
  // Monotonic time (us) until which the instance is paused; <= now when not paused.
  int64_t PausedUntilUs() const;
  const std::string& key() const { return key_; }
  MonotonicClock& clock() { return clock_; }

 private:
  int64_t IntervalUsLocked() const;
  int64_t JitteredLocked(int64_t base_ms, int64_t max_ms, int exponent);
  int64_t PauseLocked(int64_t pause_us);

  const std::string key_;
  MonotonicClock& clock_;
  obs::Metrics* const metrics_;

  mutable std::mutex mu_;
  RateBudgetOptions options_;    // guarded by mu_
  int64_t tat_us_ = 0;           // theoretical arrival time of the next request; mu_
  int64_t paused_until_us_ = 0;  // mu_
  int consecutive_429_ = 0;      // mu_
  int consecutive_409_ = 0;      // mu_
  std::mt19937_64 rng_;          // mu_
};

// Registry of budgets keyed by normalised base URL. Thread-safe. Owns the clock used by the
// budgets and by the client's retry sleeps.
class RateBudgets {
 public:
  // `clock` nullptr: a SteadyMonotonicClock owned by the registry. `metrics` may be null.
  explicit RateBudgets(MonotonicClock* clock = nullptr, obs::Metrics* metrics = nullptr,
                       uint64_t seed = std::random_device{}());
  RateBudgets(const RateBudgets&) = delete;
  RateBudgets& operator=(const RateBudgets&) = delete;

  // The budget of the instance `base_url` (already normalised), created with `options` on
  // first use; later calls with different options update the existing budget (last wins).
  std::shared_ptr<RateBudget> ForInstance(const std::string& base_url,
                                          const RateBudgetOptions& options);
  MonotonicClock& clock() { return *clock_; }

 private:
  std::unique_ptr<MonotonicClock> owned_clock_;
  MonotonicClock* clock_;
  obs::Metrics* metrics_;
  std::mutex mu_;
  uint64_t next_seed_;                                          // mu_
  std::map<std::string, std::shared_ptr<RateBudget>> budgets_;  // mu_
};

}  // namespace nexus::testrail
