// Which failed TestRail calls are retried (R-Q-RATE, R-Q-IDEMP). Reads retry every transient
// failure; a write is retried only when TestRail certainly did not apply it, otherwise the
// caller gets "ambiguous_write" and reconciles (e.g. looks the run up before re-creating it).
#pragma once

#include <cstdint>

#include "testrail/errors.h"

namespace nexus::testrail {

struct RetryOptions {
  int max_attempts = 6;                // attempts per call for 5xx/timeouts/resets/refused
  int max_rate_limited_attempts = 30;  // attempts per call while answered 429/409
  int64_t max_total_ms = 10 * 60'000;  // no new attempt starts after this much time
  int64_t base_backoff_ms = 500;       // per-caller backoff after 5xx/timeout/reset
  int64_t max_backoff_ms = 30'000;
};

enum class RetryAction {
  kReturn,           // give the error to the caller as is
  kRetry,            // try again (after the budget's pause or a backoff)
  kReturnAmbiguous,  // a write that may have been applied: report "ambiguous_write"
};

// Pure decision for one failed attempt. `is_write`: the call changes TestRail state (POST).
// `request_sent`: false when the request certainly never reached the server (DNS failure,
// refused connection, connect timeout). Reads: retry on 429, 409, 5xx, timeout, reset,
// refused. Writes: retry on 429, 409 and any failure with request_sent == false; timeouts,
// resets and 5xx after sending are ambiguous. Everything else (4xx, TLS, DNS for reads,
// auth, not_testrail, blocked) is returned.
RetryAction DecideRetry(bool is_write, TestRailErrorKind kind, bool request_sent);

}  // namespace nexus::testrail
