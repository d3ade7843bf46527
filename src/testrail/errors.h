// Typed TestRail errors: what went wrong talking to TestRail, turned into a nexus::Status
// with a user-facing message (R-CONN-2) and a machine-readable snake_case reason. Secrets
// (API key, Authorization header) never enter these messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "testrail/http_transport.h"

namespace nexus::testrail {

enum class TestRailErrorKind {
  kDns,                // reason "dns_failure"          -> kUnavailable
  kConnectionRefused,  // "connection_refused"            -> kUnavailable
  kTls,                // "tls_failure"                   -> kUnavailable
  kTimeout,            // "timeout"                       -> kTimeout
  kConnectionReset,    // "connection_reset"              -> kUnavailable
  kAuthFailed,         // 401 "auth_failed"               -> kRemoteRejected
  kApiDisabled,        // 403 + API-disabled text "api_disabled" -> kRemoteRejected
  kPermissionDenied,   // other 403 "permission_denied"   -> kRemoteRejected
  kNotFound,           // 404 unknown method "not_found"  -> kRemoteRejected
  kRejected,           // 400 "rejected" (TestRail's own message included) -> kRemoteRejected
  kRateLimited,        // 429 "rate_limited"              -> kUnavailable
  kMaintenance,        // 409 "maintenance"               -> kUnavailable
  kServerError,        // 5xx "server_error"              -> kUnavailable
  kNotTestRail,        // HTML / non-JSON / wrong shape "not_testrail" -> kUnavailable
  kBlockedAddress,     // SSRF guard "blocked_address"    -> kInvalidArgument (field "url")
  kAmbiguousWrite,     // "ambiguous_write": a write failed in a way that may have applied it
};

// The snake_case reason string of a kind ("auth_failed"…).
std::string_view ErrorReason(TestRailErrorKind kind);
// The kind a Status produced by this library carries (by its reason); nullopt for other
// statuses (ok, or not from the TestRail client).
std::optional<TestRailErrorKind> ErrorKindOf(const Status& status);

// What TestRail refused, finer than the kind: the refusals a caller (the exporter) reacts to,
// recognised from TestRail's own error texts (docs/testrail-client.md "Refusals").
enum class Refusal {
  kNone,             // none of the below (or not a TestRail answer at all)
  kPayloadTooLarge,  // HTTP 413: the body was too large (a web server in front of TestRail)
  // add_results_for_cases: "Field :results contains one or more invalid results (case C11507
  // unknown or not part of the test run)" (case_ids, field "results").
  kUnknownCaseInRun,
  kRunCompleted,   // "This operation is not allowed. The test run is already completed."
  kPlanCompleted,  // "This operation is not allowed. The test plan is already completed."
  // Any other "Field :<name> …" text: a missing, invalid or too long field (field), e.g.
  // "Field :case_ids contains one or more invalid test cases."
  kFieldInvalid,
};

// A failure of this library, classified: the kind (what went wrong talking to TestRail) and,
// when TestRail refused the request, what it refused.
struct TestRailError {
  TestRailErrorKind kind = TestRailErrorKind::kRejected;
  Refusal refusal = Refusal::kNone;
  std::string field;              // kFieldInvalid, kUnknownCaseInRun: TestRail's field name
  std::vector<int64_t> case_ids;  // kUnknownCaseInRun: the cases TestRail named, in order
};

// The refusal in one of TestRail's error texts (the "error" of its JSON body) answered with
// `http_status`; `kind` is left at its default.
TestRailError ClassifyRefusal(int http_status, std::string_view text);

// The classified error a Status produced by this library carries; nullopt for other statuses
// (ok, or not from the TestRail client). An ambiguous write keeps the refusal of its cause.
std::optional<TestRailError> ErrorOf(const Status& status);

// A Status for `kind` with the given message (code per the table above).
Status MakeTestRailError(TestRailErrorKind kind, std::string message);

// Maps a transport failure. `host` names the instance in messages; `timeout_ms` is the
// total timeout that applied (for "did not answer within N s").
Status StatusFromTransportError(const TransportError& error, std::string_view host, int timeout_ms);

// Maps an HTTP response that is not a successful TestRail answer: any non-2xx status, or
// `not_json` set for a 2xx whose body is not the expected JSON. `api_method` ("get_cases")
// names the call in messages. Never returns Ok.
Status StatusFromHttpResponse(const HttpResponse& response, std::string_view host,
                              std::string_view api_method, bool not_json = false);

// Parses a Retry-After header value given in seconds (HTTP-dates are not supported and
// yield nullopt). Values are clamped to [0, 3600].
std::optional<double> ParseRetryAfterSeconds(std::string_view value);

}  // namespace nexus::testrail
