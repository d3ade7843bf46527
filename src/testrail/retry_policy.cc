// Retry decisions; see retry_policy.h.
#include "testrail/retry_policy.h"

namespace nexus::testrail {

RetryAction DecideRetry(bool is_write, TestRailErrorKind kind, bool request_sent) {
  switch (kind) {
    case TestRailErrorKind::kRateLimited:
    case TestRailErrorKind::kMaintenance:
      return RetryAction::kRetry;  // TestRail refused before doing anything
    case TestRailErrorKind::kConnectionRefused:
      return RetryAction::kRetry;  // never connected
    case TestRailErrorKind::kDns:
      // A write certainly did not reach TestRail; reads fail fast (usually a wrong URL).
      return is_write ? RetryAction::kRetry : RetryAction::kReturn;
    case TestRailErrorKind::kTimeout:
    case TestRailErrorKind::kConnectionReset:
      if (!is_write || !request_sent) return RetryAction::kRetry;
      return RetryAction::kReturnAmbiguous;
    case TestRailErrorKind::kServerError:
      return is_write ? RetryAction::kReturnAmbiguous : RetryAction::kRetry;
    default:
      return RetryAction::kReturn;
  }
}

}  // namespace nexus::testrail
