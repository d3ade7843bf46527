// libcurl implementation of HttpTransport: keep-alive connection reuse through a pool of easy
// handles (each keeps its connections open), a curl share for the DNS and TLS session caches,
// TLS verification on by default, proxies from the standard environment variables, connect
// and total timeouts, and the SSRF guard applied to every socket it opens.
#pragma once

#include <curl/curl.h>

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "testrail/http_transport.h"

namespace nexus::testrail {

struct CurlTransportOptions {
  std::string user_agent = "Nexus-TestRail-Client/1.0";
  size_t max_idle_handles = 16;                   // handles (and their connections) kept alive
  size_t max_response_bytes = 256 * 1024 * 1024;  // larger bodies abort as kOther
};

// Thread-safe. Construction initialises libcurl globally once per process (call it before
// starting threads that use curl elsewhere, or call curl_global_init yourself first).
//
// SSRF guard: every socket libcurl wants to open goes through CURLOPT_OPENSOCKETFUNCTION,
// which classifies the resolved address and refuses blocked ones before connecting; every
// request, including one on a reused connection, is re-checked in CURLOPT_PREREQFUNCTION.
// When a proxy environment variable is set, the socket goes to the proxy: the socket-level
// check then refuses only never-allowed classes (link-local, metadata, unspecified,
// multicast), and the target host is resolved locally and checked against the full policy.
class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  TransportOutcome Send(const HttpRequest& request) override;

 private:
  CURL* AcquireHandle();
  void ReleaseHandle(CURL* handle);
  static void LockShare(CURL* handle, curl_lock_data data, curl_lock_access access, void* user);
  static void UnlockShare(CURL* handle, curl_lock_data data, void* user);

  const CurlTransportOptions options_;
  CURLSH* share_ = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_mu_;  // one per shared data kind

  std::mutex pool_mu_;
  std::vector<CURL*> idle_;  // guarded by pool_mu_
};

}  // namespace nexus::testrail
