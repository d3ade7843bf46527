// HttpFront: the HTTP/1.1 listener under api::ApiServer, built on Boost.Beast/Asio so that a
// hostile network cannot exhaust it (issue 13):
//   - connections are served by a few I/O threads; a connection waiting for bytes holds a
//     socket and a small buffer, never a worker thread;
//   - the request head must arrive within one deadline (keep-alive idle time included) that
//     a trickle of bytes cannot extend; the body and the response have their own deadlines;
//   - connections are capped in total and per client address (refused connections are closed
//     at once and counted);
//   - the body size limit holds for every transfer encoding (the parser stops at the limit),
//     and bodies buffered across all connections are capped too (503 + Retry-After beyond);
//   - handlers run on a worker pool; a slow handler never stalls reading or writing.
// Only this file's .cc includes Boost (the headers are heavy).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http_message.h"
#include "core/status.h"
#include "obs/metrics.h"

namespace nexus::api {

struct FrontOptions {
  size_t max_body_bytes = 2 * 1024 * 1024;
  // The largest body any upload route accepts (a request's own limit is set by AdmitFn in
  // HttpRequest::max_body_bytes; 0 = none larger than max_body_bytes).
  size_t max_upload_body_bytes = 0;
  size_t max_header_bytes = 16 * 1024;
  // Bodies held in memory at once across all connections (each request reserves its
  // Content-Length, or max_body_bytes when chunked, until its response is written).
  size_t max_buffered_body_bytes = 64 * 1024 * 1024;
  int io_threads = 2;
  int worker_threads = 64;
  int max_connections = 4096;
  int max_connections_per_client = 256;
  // From the moment the server waits for a request (a new or a kept-alive connection) until
  // its whole head is read.
  std::chrono::milliseconds head_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  // After refusing a request whose body was not read: how long unread bytes are drained so
  // the client sees the answer instead of a reset.
  std::chrono::milliseconds linger_timeout{2'000};
};

class HttpFront {
 public:
  // Sees the request head before any body byte is read (and may note on it what it found,
  // e.g. the matched route, for HandleFn). A response returned here answers at once (the body
  // is not read; the connection closes when one was announced).
  using AdmitFn = std::function<std::optional<HttpResponse>(HttpRequest&)>;
  // Runs on a worker thread with the complete request.
  using HandleFn = std::function<void(HttpRequest&, HttpResponse&)>;
  // Shapes the refusals the front decides itself (400, 413, 431, 503) as the owner's error
  // envelope. `code` is the machine-readable reason (e.g. payload_too_large).
  using RefuseFn =
      std::function<HttpResponse(int status, const std::string& code, const std::string& message)>;

  HttpFront(FrontOptions options, obs::Metrics& metrics, AdmitFn admit, HandleFn handle,
            RefuseFn refuse);
  ~HttpFront();  // stops
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds host:port (0 = any free port) and starts serving. Returns the bound port, or
  // Unavailable when binding fails.
  Result<int> Start(const std::string& host, int port);
  // Stops accepting, lets in-flight handlers finish, closes every connection. Idempotent.
  void Stop();
  bool running() const;

  struct Impl;  // public for the session code in the .cc; opaque elsewhere

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace nexus::api
