// TestRail error mapping; see errors.h.
#include "testrail/errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace nexus::testrail {
namespace {

struct KindInfo {
  TestRailErrorKind kind;
  std::string_view reason;
  StatusCode code;
};

constexpr KindInfo kKinds[] = {
    {TestRailErrorKind::kDns, "dns_failure", StatusCode::kUnavailable},
    {TestRailErrorKind::kConnectionRefused, "connection_refused", StatusCode::kUnavailable},
    {TestRailErrorKind::kTls, "tls_failure", StatusCode::kUnavailable},
    {TestRailErrorKind::kTimeout, "timeout", StatusCode::kTimeout},
    {TestRailErrorKind::kConnectionReset, "connection_reset", StatusCode::kUnavailable},
    {TestRailErrorKind::kAuthFailed, "auth_failed", StatusCode::kRemoteRejected},
    {TestRailErrorKind::kApiDisabled, "api_disabled", StatusCode::kRemoteRejected},
    {TestRailErrorKind::kPermissionDenied, "permission_denied", StatusCode::kRemoteRejected},
    {TestRailErrorKind::kNotFound, "not_found", StatusCode::kRemoteRejected},
    {TestRailErrorKind::kRejected, "rejected", StatusCode::kRemoteRejected},
    {TestRailErrorKind::kRateLimited, "rate_limited", StatusCode::kUnavailable},
    {TestRailErrorKind::kMaintenance, "maintenance", StatusCode::kUnavailable},
    {TestRailErrorKind::kServerError, "server_error", StatusCode::kUnavailable},
    {TestRailErrorKind::kNotTestRail, "not_testrail", StatusCode::kUnavailable},
    {TestRailErrorKind::kBlockedAddress, "blocked_address", StatusCode::kInvalidArgument},
    {TestRailErrorKind::kAmbiguousWrite, "ambiguous_write", StatusCode::kUnavailable},
};

const KindInfo& Info(TestRailErrorKind kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return k;
  }
  return kKinds[0];
}

std::string Seconds(int ms) {
  char buf[32];
  if (ms % 1000 == 0) {
    std::snprintf(buf, sizeof(buf), "%d", ms / 1000);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f", ms / 1000.0);
  }
  return buf;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// TestRail's {"error": "..."} text, or nullopt when the body is not that shape.
std::optional<std::string> ErrorText(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    std::string text = j["error"].get<std::string>();
    if (text.size() > 500) text = text.substr(0, 500) + "…";
    return text;
  }
  return std::nullopt;
}

bool LooksLikeHtml(const HttpResponse& r) {
  std::string ct = Lower(r.Header("content-type").value_or(""));
  if (ct.find("html") != std::string::npos) return true;
  auto it = std::find_if(r.body.begin(), r.body.end(),
                         [](char c) { return !std::isspace(static_cast<unsigned char>(c)); });
  return it != r.body.end() && *it == '<';
}

// The HTTP status a message of StatusFromHttpResponse names ("… (HTTP 413…"); 0 when none.
int HttpStatusIn(std::string_view message) {
  static constexpr std::string_view kTag = "(HTTP ";
  const size_t pos = message.find(kTag);
  if (pos == std::string_view::npos) return 0;
  int code = 0;
  for (size_t i = pos + kTag.size(); i < message.size() && i < pos + kTag.size() + 3; ++i) {
    if (message[i] < '0' || message[i] > '9') return 0;
    code = code * 10 + (message[i] - '0');
  }
  return code;
}

// The field name after TestRail's "Field :" ("Field :case_ids contains …" → "case_ids").
std::optional<std::string> FieldNamed(std::string_view text) {
  static constexpr std::string_view kTag = "Field :";
  const size_t pos = text.find(kTag);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string name;
  for (size_t i = pos + kTag.size(); i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!std::isalnum(c) && c != '_' && c != '.') break;
    name.push_back(text[i]);
  }
  if (name.empty()) return std::nullopt;
  return name;
}

// The cases of "case C<id> unknown or not part of the test run", in order of appearance;
// numbers anywhere else in the text never count.
std::vector<int64_t> UnknownCasesIn(std::string_view text) {
  static constexpr std::string_view kTag = "case C";
  static constexpr std::string_view kTail = " unknown or not part of the test run";
  std::vector<int64_t> out;
  size_t pos = 0;
  while ((pos = text.find(kTag, pos)) != std::string_view::npos) {
    pos += kTag.size();
    int64_t v = 0;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 18) {
      v = v * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits > 0 && text.substr(pos, kTail.size()) == kTail) out.push_back(v);
  }
  return out;
}

}  // namespace

TestRailError ClassifyRefusal(int http_status, std::string_view text) {
  TestRailError e;
  if (http_status == 413) {
    e.refusal = Refusal::kPayloadTooLarge;
    return e;
  }
  if (text.find("is already completed") != std::string_view::npos) {
    e.refusal = text.find("test plan is already completed") != std::string_view::npos
                    ? Refusal::kPlanCompleted
                    : Refusal::kRunCompleted;
    return e;
  }
  std::optional<std::string> field = FieldNamed(text);
  e.case_ids = UnknownCasesIn(text);
  if (!e.case_ids.empty()) {
    e.refusal = Refusal::kUnknownCaseInRun;
    e.field = field.value_or("results");
    return e;
  }
  if (field) {
    e.refusal = Refusal::kFieldInvalid;
    e.field = std::move(*field);
  }
  return e;
}

std::optional<TestRailError> ErrorOf(const Status& status) {
  std::optional<TestRailErrorKind> kind = ErrorKindOf(status);
  if (!kind) return std::nullopt;
  TestRailError e = ClassifyRefusal(HttpStatusIn(status.message()), status.message());
  e.kind = *kind;
  return e;
}

std::string_view ErrorReason(TestRailErrorKind kind) { return Info(kind).reason; }

std::optional<TestRailErrorKind> ErrorKindOf(const Status& status) {
  if (status.ok()) return std::nullopt;
  for (const KindInfo& k : kKinds) {
    if (k.reason == status.reason()) return k.kind;
  }
  return std::nullopt;
}

Status MakeTestRailError(TestRailErrorKind kind, std::string message) {
  const KindInfo& info = Info(kind);
  std::string field = kind == TestRailErrorKind::kBlockedAddress ? "url" : "";
  return Status(info.code, std::move(message), std::move(field), std::string(info.reason));
}

Status StatusFromTransportError(const TransportError& error, std::string_view host,
                                int timeout_ms) {
  std::string h(host);
  switch (error.kind) {
    case TransportErrorKind::kDns:
      return MakeTestRailError(TestRailErrorKind::kDns, "Could not resolve host '" + h + "'.");
    case TransportErrorKind::kConnectionRefused:
      return MakeTestRailError(TestRailErrorKind::kConnectionRefused,
                               "Could not connect to '" + h +
                                   "': the connection was refused (nothing is listening there).");
    case TransportErrorKind::kTls:
      return MakeTestRailError(TestRailErrorKind::kTls,
                               "TLS handshake with '" + h + "' failed: " + error.detail);
    case TransportErrorKind::kTimeout:
      if (!error.request_sent) {
        return MakeTestRailError(TestRailErrorKind::kTimeout,
                                 "TestRail at '" + h + "' did not accept a connection within " +
                                     Seconds(timeout_ms) + " s.");
      }
      return MakeTestRailError(TestRailErrorKind::kTimeout,
                               "TestRail did not answer within " + Seconds(timeout_ms) + " s.");
    case TransportErrorKind::kConnectionReset:
      return MakeTestRailError(TestRailErrorKind::kConnectionReset,
                               "The connection to '" + h + "' broke: " + error.detail);
    case TransportErrorKind::kBlockedAddress: {
      if (error.blocked_plain_http)
        return MakeTestRailError(
            TestRailErrorKind::kBlockedAddress,
            "'" + h +
                "' is a public address and the URL uses http://: the API key would cross "
                "the network unencrypted; refused. Use https://, or start Nexus with "
                "--testrail-allow-insecure-http to allow it.");
      std::string ip = error.blocked_ip.empty() ? "" : " (" + error.blocked_ip + ")";
      std::string cls = error.blocked_class.empty() ? "a forbidden address" : error.blocked_class;
      std::string hint = (cls == "a loopback address" || cls == "a private network address")
                             ? " Private and loopback TestRail hosts are allowed only when the "
                               "server is configured to allow them."
                             : "";
      return MakeTestRailError(TestRailErrorKind::kBlockedAddress,
                               "'" + h + "' resolves to " + cls + ip + "; refused." + hint);
    }
    case TransportErrorKind::kOther:
      break;
  }
  return MakeTestRailError(TestRailErrorKind::kConnectionReset,
                           "Network error talking to '" + h + "': " + error.detail);
}

Status StatusFromHttpResponse(const HttpResponse& r, std::string_view host,
                              std::string_view api_method, bool not_json) {
  std::string h(host);
  std::string method(api_method);
  std::optional<std::string> text = ErrorText(r.body);
  std::string code = std::to_string(r.status);
  auto not_testrail = [&]() {
    if (LooksLikeHtml(r)) {
      return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                               "'" + h + "' answered with an HTML page (HTTP " + code +
                                   "), not the TestRail API — check the URL.");
    }
    return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                             "'" + h + "' did not answer like the TestRail API (HTTP " + code +
                                 ", " + (r.body.empty() ? "empty body" : "unexpected body") +
                                 ") — check the URL.");
  };
  if (r.status >= 200 && r.status < 300) {
    if (not_json) return not_testrail();
    return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                             "'" + h + "' answered " + method + " with an unexpected response.");
  }
  if (r.status >= 300 && r.status < 400) {
    std::string location = r.Header("location").value_or("");
    return MakeTestRailError(
        TestRailErrorKind::kNotTestRail,
        "'" + h + "' answered with a redirect (HTTP " + code + ")" +
            (location.empty() ? "" : " to '" + location + "'") +
            ", not the TestRail API — check the URL (use https:// and the address the browser "
            "shows).");
  }
  switch (r.status) {
    case 401:
      return MakeTestRailError(TestRailErrorKind::kAuthFailed,
                               "Authentication failed: TestRail rejected the user or API key.");
    case 403:
      if (!text.has_value()) return not_testrail();
      if (Lower(*text).find("api is disabled") != std::string::npos) {
        return MakeTestRailError(TestRailErrorKind::kApiDisabled,
                                 "The TestRail API is disabled on this instance: enable it "
                                 "under Administration > Site Settings > API.");
      }
      return MakeTestRailError(TestRailErrorKind::kPermissionDenied,
                               "TestRail refused " + method + " (no permission): " + *text);
    case 404:
      if (!text.has_value()) return not_testrail();
      return MakeTestRailError(
          TestRailErrorKind::kNotFound,
          "TestRail does not know the API method '" + method + "' (HTTP 404): " + *text);
    case 400:
      if (!text.has_value()) return not_testrail();
      return MakeTestRailError(TestRailErrorKind::kRejected,
                               "TestRail rejected " + method + ": " + *text);
    case 409:
      return MakeTestRailError(TestRailErrorKind::kMaintenance,
                               "TestRail at '" + h +
                                   "' is in maintenance mode; try again in a few minutes." +
                                   (text.has_value() ? " (" + *text + ")" : ""));
    case 429:
      return MakeTestRailError(TestRailErrorKind::kRateLimited,
                               "TestRail rate limit exceeded (HTTP 429)" +
                                   (text.has_value() ? ": " + *text : std::string(".")));
    default:
      break;
  }
  if (r.status >= 500) {
    return MakeTestRailError(TestRailErrorKind::kServerError,
                             "TestRail at '" + h + "' failed with a server error (HTTP " + code +
                                 ")" + (text.has_value() ? ": " + *text : std::string(".")));
  }
  if (!text.has_value()) return not_testrail();
  return MakeTestRailError(TestRailErrorKind::kRejected,
                           "TestRail rejected " + method + " (HTTP " + code + "): " + *text);
}

std::optional<double> ParseRetryAfterSeconds(std::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty() || value.size() > 12) return std::nullopt;
  double v = 0;
  bool seen_digit = false, seen_dot = false;
  double scale = 1;
  for (char c : value) {
    if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
      if (seen_dot) {
        scale /= 10;
        v += (c - '0') * scale;
      } else {
        v = v * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  if (!seen_digit) return std::nullopt;
  return std::clamp(v, 0.0, 3600.0);
}

}  // namespace nexus::testrail
