// The HTTP front door: routing, authentication, CSRF, strict JSON, the error envelope, body
// limits, request metrics and access logs. Feature route sets (host model, TestRail…)
// register themselves through Route(); none of them see the HTTP library underneath
// (api/http_front.h, Boost.Beast).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/http_front.h"
#include "api/http_message.h"
#include "api/json_util.h"
#include "api/static_files.h"
#include "auth/auth_service.h"
#include "core/clock.h"
#include "core/status.h"
#include "obs/metrics.h"

namespace nexus::api {

struct Ctx {
  const HttpRequest& req;
  HttpResponse& res;
  std::vector<std::string> params;     // path captures, in pattern order
  std::optional<auth::Principal> who;  // set on authenticated routes

  // Path capture i as a positive id (the router guarantees digits).
  int64_t Id(size_t i) const;
  // Query parameter (empty when absent).
  std::string Query(const std::string& name) const;
  // The peer's IP address (the connection's, not a forwarded header: a proxy in front must be
  // trusted explicitly before its X-Forwarded-For could be believed).
  std::string ClientAddress() const;
  const auth::Principal& Who() const { return *who; }
};

struct Reply {
  int status = 200;
  Json body;
};

using Handler = std::function<Result<Reply>(Ctx&)>;

// One entry of the route table: what Route() registered (plus the built-in /metrics).
struct RouteInfo {
  std::string method;   // GET, POST, PUT, PATCH or DELETE
  std::string pattern;  // as given to Route(), e.g. /api/v1/projects/{p}/tests/{t}
  bool require_auth = true;
};

// A route that takes a non-JSON body (a report upload, R-IMPORT): its own body limit (larger
// than the server's JSON limit) and the media types it accepts (others: 415 before the body
// is read). Content-Encoding is the handler's business.
struct UploadOptions {
  size_t max_body_bytes = 32 * 1024 * 1024;
  std::vector<std::string> media_types;  // lower-case, e.g. "application/xml"
};

struct ServerOptions {
  FrontOptions http;            // body limit, deadlines, connection caps, threads
  bool secure_cookies = false;  // Secure attribute on the session cookie (https deployments)
  std::string static_dir;       // built web UI to serve at /, when set
};

class ApiServer {
 public:
  ApiServer(auth::AuthService& auth, obs::Metrics& metrics, ServerOptions options);
  ~ApiServer();  // stops the server
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Registers a route. `pattern` is a path under the server root with {name} for a numeric
  // id capture or {name:str} for a token capture ([A-Za-z0-9_.-]+); `name` labels metrics
  // (defaults to the pattern). Call before Start().
  void Route(const std::string& method, const std::string& pattern, Handler handler,
             bool require_auth = true);

  // Registers an upload route: as Route() (authenticated), but the body is raw bytes of one of
  // upload.media_types, up to upload.max_body_bytes (chunked bodies too). Call before Start().
  void RouteUpload(const std::string& method, const std::string& pattern, Handler handler,
                   UploadOptions upload);

  // Binds host:port (port 0 = any free port) and serves on a background thread. Returns the
  // bound port, or Unavailable when binding fails.
  Result<int> Start(const std::string& host, int port);
  // Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();
  // Blocks until Stop() is called from another thread (or a signal handler thread).
  void Wait();

  const ServerOptions& options() const { return options_; }
  // Every route the server answers, in registration order (the OpenAPI contract test compares
  // it with src/api/openapi.json).
  const std::vector<RouteInfo>& Routes() const { return routes_; }
  // Keeps a route set's state alive as long as the server (route closures point into it).
  void Own(std::shared_ptr<void> keep_alive) { owned_.push_back(std::move(keep_alive)); }

  // Error envelope for a Status (also used by tests).
  static int HttpStatusFor(const Status& st);
  static Json ErrorBody(const Status& st);

 private:
  struct RouteEntry;
  // Before the body is read: unknown endpoints (404) and bodies that are not JSON (415) are
  // answered at once.
  // Routes the request (req.route, req.path_params) for Handle.
  std::optional<HttpResponse> Admit(HttpRequest& req) const;
  // On a worker thread, with the whole request: auth, CSRF, the handler, metrics.
  void Handle(HttpRequest& req, HttpResponse& res);
  void Dispatch(const RouteEntry& route, const std::vector<std::string>& params,
                const HttpRequest& req, HttpResponse& res);
  // Index in table_ of the route for method + path (-1: none); fills its path captures.
  int Match(const std::string& method, const std::string& path,
            std::vector<std::string>* params) const;
  // 404 no_route, counted under the closed "unmatched" label.
  HttpResponse NoRoute(const HttpRequest& req) const;
  HttpResponse Refusal(int status, const std::string& code, const std::string& message) const;

  auth::AuthService& auth_;
  obs::Metrics& metrics_;
  ServerOptions options_;
  std::vector<std::shared_ptr<void>> owned_;
  std::vector<RouteInfo> routes_;
  std::vector<std::unique_ptr<RouteEntry>> table_;
  std::unique_ptr<StaticFiles> static_files_;  // the built web UI, when static_dir is set
  std::unique_ptr<HttpFront> front_;
  std::atomic<bool> running_{false};
};

// Cookie name of the web session.
inline constexpr const char* kSessionCookie = "nexus_session";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

}  // namespace nexus::api
