// Per-instance request budget (R-Q-RATE): every thread and job talking to one TestRail
// instance draws from the same RateBudget, which lets at most `share` of the instance's
// per-minute limit through in any sliding 60-s window (safe whether TestRail counts with a
// token bucket, a sliding window or calendar minutes — docs/testrail-client.md), learns a
// stricter limit from 429 answers, pauses the whole instance after a 429 (Retry-After, or
// exponential backoff with jitter when the header is absent) or a 409 maintenance answer, and
// records its waits in metrics. RateBudgets is the process-wide registry, passed in as a
// dependency. With a SharedRateLedger (several Nexus processes on one PostgreSQL database) the
// budget is only the process's front: each grant is then also taken from the ledger, which
// counts the calls of every process, and pauses and learned limits are shared through it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "obs/metrics.h"
#include "testrail/shared_rate_ledger.h"

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
  double requests_per_minute = 180;  // the instance's limit; <= 0: unlimited (TestRail Server)
  // Fraction of the limit this process may use; the rest is left to the instance's other
  // users (browsers, other tools). In (0, 1]; out-of-range values mean 1.
  double share = 0.8;
  int64_t base_backoff_ms = 1'000;  // first pause after a 429 without Retry-After / a 409
  int64_t max_backoff_ms = 60'000;  // cap of the exponential backoff
  // The window the limit is counted over (TestRail: a minute) and a safety margin added to it
  // (a request reaches TestRail a little after it was granted). Tests shorten both.
  int64_t window_ms = 60'000;
  int64_t margin_ms = 1'000;
};

// The limit TestRail names in a 429 body ("API Rate Limit Exceeded - 180 per minute maximum
// allowed. Retry after 1 seconds."), or nullopt when the body names none.
std::optional<int> ParseRateLimitPerMinute(std::string_view body);

// What calls cost on one instance, measured on successful calls (issue 16): the latency of a
// call and the time TestRail spends per result written. Until measured, the defaults.
struct CallCostEstimate {
  static constexpr double kDefaultLatencyMs = 100;
  static constexpr double kDefaultPerResultMs = 1;
  double latency_ms = kDefaultLatencyMs;
  double per_result_ms = kDefaultPerResultMs;
  int latency_samples = 0;     // calls that wrote no result
  int per_result_samples = 0;  // calls that wrote results
};

// Thread-safe: any number of threads call Acquire() concurrently.
class RateBudget {
 public:
  // `shared` (not owned, may be null, must outlive the budget): the ledger all processes on
  // the database share; with it, `share` is the fraction all of them together may use.
  RateBudget(std::string key, RateBudgetOptions options, MonotonicClock& clock,
             obs::Metrics* metrics, uint64_t seed, SharedRateLedger* shared = nullptr);

  // Blocks until the caller may send one request: waits for a pause (429/409) to end and
  // for a place in the sliding window (at most Allowed() grants in any window_ms +
  // margin_ms; the place is reserved at once, so waiting threads go in order). Returns the
  // microseconds waited (also added to nexus_testrail_rate_limit_wait_seconds_total and
  // observed in the nexus_testrail_rate_limit_wait_seconds histogram when > 0).
  // With a shared ledger, then waits for a place in the ledger's window (all processes) and
  // for a pause set by any process. When the ledger fails (database unreachable…), the local
  // grant stands: the call goes out paced by this process's budget alone, the failure is
  // logged once and counted in nexus_testrail_shared_budget_errors_total, and the ledger is
  // left alone for kSharedRetryMs before it is tried again.
  int64_t Acquire();
  static constexpr int64_t kSharedRetryMs = 5'000;

  // A 429 arrived: pauses the whole instance for `retry_after_s` seconds, or, when absent,
  // for an exponential backoff with jitter (base * 2^consecutive, capped, in [d/2, d]).
  // Learns a stricter limit: `limit_per_minute` (the number of the 429 body) when it is below
  // the configured one; without it, the calls granted in the current window are taken as
  // what the instance allows us until a window passes without a 429.
  // Counts nexus_testrail_429_total. Returns the pause length in ms.
  int64_t OnRateLimited(std::optional<double> retry_after_s,
                        std::optional<int> limit_per_minute = std::nullopt);
  // A 409 maintenance answer: pauses the whole instance like a 429 without header (or for
  // Retry-After when given). Returns the pause in ms.
  int64_t OnMaintenance(std::optional<double> retry_after_s);
  // A request succeeded: resets the consecutive-429/409 counters.
  void OnSuccess();

  // Jittered exponential delay for the `attempt`-th retry (1-based) of one caller after a
  // 5xx/timeout/reset: min(max_backoff, base * 2^(attempt-1)) scaled by a random factor in
  // [0.5, 1]. Does not pause other callers.
  int64_t BackoffMs(int attempt, int64_t base_ms, int64_t max_ms);

  // Changes the rate (e.g. a connection re-saved with another limit). A changed
  // requests_per_minute forgets what was learned from 429s.
  void SetOptions(const RateBudgetOptions& options);
  RateBudgetOptions options() const;
  // Requests this process may send in one window now: share of the effective limit (the
  // configured one or the stricter one learned), at least 1; 0 = unlimited.
  int Allowed() const;
  // The limit learned from 429 answers (requests per minute), if any.
  std::optional<int> LearnedLimit() const;
  // Grants (sent or reserved) in the current window.
  int InWindow() const;

  // A successful call took `duration_us` and wrote `results` results (0: any other call).
  // Moving averages: latency from calls without results; per-result cost from calls with at
  // least 10, as (duration − latency) / results.
  void ObserveCall(size_t results, int64_t duration_us);
  CallCostEstimate Costs() const;
  // Monotonic time (us) until which the instance is paused; <= now when not paused.
  int64_t PausedUntilUs() const;
  // True while the shared ledger is failing and skipped (the local budget alone paces).
  bool SharedDegraded() const;
  const std::string& key() const { return key_; }
  MonotonicClock& clock() { return clock_; }

 private:
  int AllowedLocked(int64_t now_us) const;
  int64_t SpanUsLocked() const;
  void TrimLocked(int64_t now_us) const;
  int64_t JitteredLocked(int64_t base_ms, int64_t max_ms, int exponent);
  int64_t PauseLocked(int64_t pause_us);
  // The local sliding window and local pause (the whole budget without a ledger).
  int64_t AcquireLocal();
  // The shared ledger's window and pause; returns the microseconds waited.
  int64_t AcquireShared();
  // The grants allowed per window given what the ledger knows (adopts its learned limit).
  int SharedAllowed(const SharedLimitState& state);
  // Whether the ledger may be consulted now (not within kSharedRetryMs of a failure).
  bool SharedUsable();
  void SharedFailed(std::string_view what, const Status& status);
  void SharedSucceeded();
  // Tells the ledger about a pause of `pause_ms` set here (failures: SharedFailed).
  void SharePause(int64_t pause_ms);

  const std::string key_;
  MonotonicClock& clock_;
  obs::Metrics* const metrics_;
  SharedRateLedger* const shared_;

  mutable std::mutex mu_;
  RateBudgetOptions options_;  // guarded by mu_
  // Grant times (past sends and future reservations) of the current window, ascending. mu_
  mutable std::deque<int64_t> grants_;
  std::optional<int> learned_limit_;  // from a 429 body's number; mu_
  std::optional<int> learned_cap_;    // from a 429 without a number (grants); mu_
  int64_t learned_cap_until_us_ = 0;  // the cap lapses after a window without 429; mu_
  int64_t paused_until_us_ = 0;       // mu_
  CallCostEstimate costs_;            // mu_
  int consecutive_429_ = 0;           // mu_
  int consecutive_409_ = 0;           // mu_
  std::mt19937_64 rng_;               // mu_
  bool shared_failing_ = false;       // mu_
  int64_t shared_retry_at_us_ = 0;    // mu_: the ledger is skipped until then after a failure
};

// Registry of budgets keyed by normalised base URL. Thread-safe. Owns the clock used by the
// budgets and by the client's retry sleeps.
class RateBudgets {
 public:
  // `clock` nullptr: a SteadyMonotonicClock owned by the registry. `metrics` may be null.
  // `shared` (not owned, may be null): the ledger every budget also draws from (PostgreSQL).
  explicit RateBudgets(MonotonicClock* clock = nullptr, obs::Metrics* metrics = nullptr,
                       uint64_t seed = std::random_device{}(), SharedRateLedger* shared = nullptr);
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
  SharedRateLedger* shared_;
  std::mutex mu_;
  uint64_t next_seed_;                                          // mu_
  std::map<std::string, std::shared_ptr<RateBudget>> budgets_;  // mu_
};

}  // namespace nexus::testrail
