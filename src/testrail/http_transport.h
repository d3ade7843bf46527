// The outbound HTTP seam of the TestRail client: a small interface (HttpTransport) so tests
// can inject fakes and faults, with a libcurl implementation in curl_transport.h. Transport
// failures come back as values with a typed kind; HTTP error statuses are NOT failures here
// (the client maps them).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nexus::testrail {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // "GET" or "POST" (others passed through as custom methods)
  std::string url;             // absolute http(s) URL
  HttpHeaders headers;         // sent as given; may contain secrets (never logged)
  std::string body;
  int connect_timeout_ms = 10'000;  // TCP + TLS connection establishment
  int timeout_ms = 60'000;          // whole exchange, connection included
  // Connection policy, evaluated per request (see address_policy.h, R-Q-SEC).
  bool allow_private = false;  // loopback / private ranges permitted
  // Plain http:// to a public address permitted (the API key then crosses the network in
  // clear); refused by default.
  bool allow_insecure_http = false;
  std::string ca_bundle;  // PEM file of trusted CAs; empty = system store
  bool insecure = false;  // skip TLS peer and host verification
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, in arrival order
  std::string body;

  // First header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

enum class TransportErrorKind {
  kDns,                // host name could not be resolved
  kConnectionRefused,  // nothing listening / connection could not be established
  kTls,                // TLS handshake or certificate verification failed
  kTimeout,            // connect or total timeout elapsed
  kConnectionReset,    // connection broke while sending/receiving
  kBlockedAddress,     // SSRF guard refused the resolved address
  kOther,              // anything else (bad URL, out of memory…)
};

struct TransportError {
  TransportErrorKind kind = TransportErrorKind::kOther;
  std::string detail;  // technical detail (libcurl message), no secrets
  // False only when the request certainly never left this process (failure before or
  // during connection establishment); a write is then safe to retry.
  bool request_sent = true;
  // For kBlockedAddress: the refused IP and its class description ("a link-local address").
  std::string blocked_ip;
  std::string blocked_class;
  // The address was public and the URL plain http:// (allow_insecure_http not set).
  bool blocked_plain_http = false;
};

struct TransportOutcome {
  bool ok() const { return response.has_value(); }
  std::optional<HttpResponse> response;  // set on success (any HTTP status)
  TransportError error;                  // meaningful when !ok()
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs one HTTP exchange, blocking until a response, an error or a timeout. Must not
  // follow redirects (a 3xx is returned as a response). Implementations are thread-safe:
  // any number of threads may call Send concurrently.
  virtual TransportOutcome Send(const HttpRequest& request) = 0;
};

}  // namespace nexus::testrail
