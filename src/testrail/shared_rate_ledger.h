// The part of the TestRail rate budget that several Nexus processes share (issue 15, R-Q-RATE):
// two instances on one database must not each spend the whole limit of one TestRail instance.
// A RateBudget (rate_budget.h) stays the in-process front — threads of one process queue there
// and only then ask the ledger — and the ledger is the authority on how many calls all
// processes together sent in the window, on a pause after a 429/409 and on a limit learned
// from a 429 body. Implemented by the store on PostgreSQL (storage/pg_rate_ledger.h); SQLite
// means one process, so no ledger there.
//
// Header-only on purpose: storage/ implements it without linking the TestRail client.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"

namespace nexus::testrail {

// What the ledger holds about one TestRail instance besides its grants.
struct SharedLimitState {
  // A stricter per-minute limit some process learned from a 429 body, and the configured limit
  // it was learned against (a re-configured limit forgets it, as in RateBudget::SetOptions).
  std::optional<int> learned_limit;
  int64_t learned_under_rpm = 0;
};

// The answer of one TryAcquire.
struct SharedGrant {
  bool granted = false;
  // Not granted: microseconds until a place is free in the window or the pause ends (> 0).
  int64_t wait_us = 0;
  // Not granted because the instance is paused (a 429/409 seen by any process): its rest, us.
  int64_t paused_us = 0;
  // Granted: the time of the grant on the ledger's clock (microseconds since the epoch).
  int64_t granted_at_us = 0;
  SharedLimitState state;
};

// Thread-safe: any thread of any process calls any method concurrently. Keys are the
// normalised TestRail base URLs (never credentials). Errors (Unavailable, Internal) mean the
// ledger could not be consulted; callers fall back to their local budget.
class SharedRateLedger {
 public:
  virtual ~SharedRateLedger() = default;

  // Takes one place for `key` when the instance is not paused and fewer than `allowed(state)`
  // grants (0 = unlimited) of every process lie in the last `span_us`; otherwise takes nothing
  // and says how long to wait. `allowed` runs inside the ledger's critical section: it must be
  // quick and must not call the ledger.
  virtual Result<SharedGrant> TryAcquire(
      const std::string& key, int64_t span_us,
      const std::function<int(const SharedLimitState&)>& allowed) = 0;
  // Pauses `key` for every process for `pause_us` from now (a longer pause already set wins).
  // Returns the end of the pause on the ledger's clock (microseconds since the epoch).
  virtual Result<int64_t> Pause(const std::string& key, int64_t pause_us) = 0;
  // Records that `key` allows `limit_per_minute` (from a 429 body) while `configured_rpm` is
  // configured; a stricter one already recorded for the same configured limit is kept.
  virtual Status LearnLimit(const std::string& key, int limit_per_minute,
                            int64_t configured_rpm) = 0;
};

}  // namespace nexus::testrail
