// ApiServer: httplib glue, the single Status → HTTP mapping, auth/CSRF, metrics, logs.
#include "api/server.h"

#include "api/openapi_routes.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <regex>

namespace nexus::api {
namespace {

// Pending connections the kernel queues for the server (capped by net.core.somaxconn).
constexpr int kListenBacklog = 1024;

bool IsSafeMethod(const std::string& m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

// Metric labels come from a closed set: a client-chosen method must not mint new series.
std::string MethodLabel(const std::string& m) {
  static const char* const kKnown[] = {"GET",    "HEAD",    "POST",    "PUT",  "PATCH",
                                       "DELETE", "OPTIONS", "CONNECT", "TRACE"};
  for (const char* k : kKnown)
    if (m == k) return m;
  return "other";
}

// A body is accepted as JSON when its media type is application/json (parameters such as
// charset allowed); anything else is refused before the body is read.
bool IsJsonMediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t == "application/json";
}

// Headers every response carries: no sniffing, no framing by other sites, no referrer leaks;
// the UI's pages only load scripts and styles from this origin.
void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                 "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                 "frame-ancestors 'none'");
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 &&
        part[name.size()] == '=')
      return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return {};
}

void WriteJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

}  // namespace

int64_t Ctx::Id(size_t i) const { return std::stoll(params.at(i)); }

std::string Ctx::ClientAddress() const { return req.remote_addr; }

std::string Ctx::Query(const std::string& name) const {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

int ApiServer::HttpStatusFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kUnsupportedMediaType:
      return 415;
    case StatusCode::kTooManyRequests:
      return 429;
    case StatusCode::kRemoteRejected:
      return 422;
    case StatusCode::kUnavailable:
      return 502;
    case StatusCode::kTimeout:
      return 504;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Json ApiServer::ErrorBody(const Status& st) {
  Json e = {{"code", st.reason().empty() ? std::string(StatusCodeName(st.code())) : st.reason()},
            {"message", st.message()}};
  if (!st.field().empty()) e["field"] = st.field();
  return Json{{"error", e}};
}

ApiServer::ApiServer(auth::AuthService& auth, obs::Metrics& metrics, const Clock& clock,
                     ServerOptions options)
    : auth_(auth),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()) {
  int threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_keep_alive_max_count(1000);
  // httplib's default also sets SO_REUSEPORT, which lets a second server silently share a
  // port that is already taken; keep only SO_REUSEADDR so "address in use" is reported.
  server_->set_socket_options([this](socket_t sock) {
    listen_fd_ = sock;  // httplib calls this for the listening socket only
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
    // Accepted sockets inherit this: without it small JSON replies wait ~40 ms on Nagle +
    // delayed ACK (measured: 350 req/s instead of thousands, docs/benchmarks.md).
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  server_->set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        Status st;
        if (res.status == 413)
          st = Status(
              StatusCode::kTooLarge,
              "request body is larger than " + std::to_string(options_.max_body_bytes) + " bytes",
              "", "payload_too_large");
        else if (res.status == 404)
          st = Status(StatusCode::kNotFound, "no such endpoint: " + req.method + " " + req.path, "",
                      "no_route");
        else
          st = Status(StatusCode::kInvalidArgument, "bad request", "", "bad_request");
        int code = res.status;
        WriteJson(res, code, ErrorBody(st));
        metrics_.Inc("nexus_http_requests_total", {{"route", "unmatched"},
                                                   {"method", MethodLabel(req.method)},
                                                   {"status", std::to_string(code)}});
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("event=unhandled_exception method={} path={} what=\"{}\"", req.method,
                      req.path, what);
        WriteJson(res, 500, ErrorBody(Internal("internal error")));
      });
  metrics_.Describe("nexus_http_requests_total", "counter", "HTTP requests by route and status");
  metrics_.Describe("nexus_http_request_duration_seconds", "histogram",
                    "HTTP request latency by route");
  server_->set_post_routing_handler(
      [](const httplib::Request&, httplib::Response& res) { SetSecurityHeaders(res); });
  if (!options_.static_dir.empty()) server_->set_mount_point("/", options_.static_dir);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.RenderPrometheus(), "text/plain; version=0.0.4");
  });
  routes_.push_back({"GET", "/metrics", false});
  RegisterOpenApiRoute(*this);
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Route(const std::string& method, const std::string& pattern, Handler handler,
                      bool require_auth) {
  routes_.push_back({method, pattern, require_auth});
  // {name} → numeric capture, {name:str} → token capture.
  static const std::regex kParam(R"(\{([a-z_]+)(:str)?\})");
  std::string rx;
  std::sregex_iterator it(pattern.begin(), pattern.end(), kParam), end;
  size_t last = 0;
  for (; it != end; ++it) {
    rx += pattern.substr(last, it->position() - last);
    rx += (*it)[2].matched ? "([A-Za-z0-9_.-]+)" : "([1-9][0-9]{0,17})";
    last = it->position() + it->length();
  }
  rx += pattern.substr(last);
  auto shared = std::make_shared<Handler>(std::move(handler));
  auto fn = [this, method, pattern, shared, require_auth](const httplib::Request& req,
                                                          httplib::Response& res) {
    Dispatch(method, pattern, *shared, require_auth, req, res);
  };
  // Requests with a body go through a content reader so the size limit holds for every
  // transfer encoding: cpp-httplib checks only Content-Length before buffering, and would read
  // a chunked body of any size into memory.
  auto with_body = [this, fn, method, pattern](const httplib::Request& req, httplib::Response& res,
                                               const httplib::ContentReader& reader) {
    if (!ReadBody(method, pattern, req, res, reader)) return;
    fn(req, res);
  };
  if (method == "GET") {
    server_->Get(rx, fn);
  } else if (method == "POST") {
    server_->Post(rx, fn);
    server_->Post(rx, with_body);
  } else if (method == "PUT") {
    server_->Put(rx, fn);
    server_->Put(rx, with_body);
  } else if (method == "PATCH") {
    server_->Patch(rx, fn);
    server_->Patch(rx, with_body);
  } else if (method == "DELETE") {
    server_->Delete(rx, fn);
    server_->Delete(rx, with_body);
  }
}

bool ApiServer::ReadBody(const std::string& method, const std::string& route_name,
                         const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) {
  auto refuse = [&](const Status& st) {
    int status = HttpStatusFor(st);
    WriteJson(res, status, ErrorBody(st));
    // The rest of the body is not read: the connection cannot carry another request.
    res.set_header("Connection", "close");
    res.set_header("Cache-Control", "no-store");
    metrics_.Inc("nexus_http_requests_total",
                 {{"route", route_name}, {"method", method}, {"status", std::to_string(status)}});
    return false;
  };
  // No body (no Content-Length, or 0, and not chunked: a bodiless POST or DELETE) needs no type.
  bool chunked = req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
  std::string length = req.get_header_value("Content-Length");
  bool empty = !chunked && (length.empty() || length == "0");
  if (!empty && !IsJsonMediaType(req.get_header_value("Content-Type")))
    return refuse(Status(StatusCode::kUnsupportedMediaType,
                         "request body must be application/json (Content-Type: " +
                             (req.has_header("Content-Type")
                                  ? "'" + req.get_header_value("Content-Type").substr(0, 100) + "'"
                                  : std::string("missing")) +
                             ")",
                         "", "unsupported_media_type"));
  std::string body;
  bool too_large = false;
  size_t limit = options_.max_body_bytes;
  bool complete = reader([&](const char* data, size_t len) {
    if (len > limit - body.size()) {
      too_large = true;
      return false;
    }
    body.append(data, len);
    return true;
  });
  if (too_large || res.status == 413)
    return refuse(Status(StatusCode::kTooLarge,
                         "request body is larger than " + std::to_string(limit) + " bytes", "",
                         "payload_too_large"));
  if (!complete)
    return refuse(
        Status(StatusCode::kInvalidArgument, "request body could not be read", "", "bad_request"));
  // httplib hands route handlers a const Request it owns; the body is placed where every
  // handler reads it (Ctx::req.body).
  const_cast<httplib::Request&>(req).body = std::move(body);
  return true;
}

void ApiServer::Dispatch(const std::string& method, const std::string& route_name,
                         const Handler& handler, bool require_auth, const httplib::Request& req,
                         httplib::Response& res) {
  auto start = std::chrono::steady_clock::now();
  Ctx ctx{req, res, {}, std::nullopt};
  for (size_t i = 1; i < req.matches.size(); ++i) ctx.params.push_back(req.matches[i].str());

  Result<Reply> reply = Status(StatusCode::kInternal, "not handled");
  std::string user_label = "-";
  std::string auth_header = req.get_header_value("Authorization");
  std::string cookie = CookieValue(req, kSessionCookie);
  if (require_auth || !auth_header.empty() || !cookie.empty()) {
    auto who = auth_.Authenticate(auth_header, cookie);
    if (who.ok()) {
      ctx.who = std::move(who).value();
      user_label = std::to_string(ctx.who->user.id);
    } else if (require_auth) {
      reply = who.status();
    }
  }
  bool authed = !require_auth || ctx.who.has_value();
  if (authed && ctx.who && ctx.who->via_session && !IsSafeMethod(method)) {
    std::string csrf = req.get_header_value(kCsrfHeader);
    if (csrf.empty() || !auth::ConstantTimeEquals(csrf, ctx.who->csrf_token)) {
      reply = Status(StatusCode::kPermissionDenied,
                     "missing or wrong " + std::string(kCsrfHeader) +
                         " header (required for cookie-authenticated changes)",
                     "", "csrf_failed");
      authed = false;
    }
  }
  if (authed) {
    try {
      reply = handler(ctx);
    } catch (const std::exception& e) {
      spdlog::error("event=handler_exception route=\"{}\" what=\"{}\"", route_name, e.what());
      reply = Internal("internal error");
    }
  }

  int status;
  if (reply.ok()) {
    status = reply->status;
    if (status == 204) {
      res.status = 204;
    } else {
      WriteJson(res, status, reply->body);
    }
  } else {
    status = HttpStatusFor(reply.status());
    WriteJson(res, status, ErrorBody(reply.status()));
    if (status >= 500)
      spdlog::error("event=request_failed method={} route=\"{}\" status={} error=\"{}\"", method,
                    route_name, status, reply.status().message());
  }
  res.set_header("Cache-Control", "no-store");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Inc("nexus_http_requests_total",
               {{"route", route_name}, {"method", method}, {"status", std::to_string(status)}});
  metrics_.Observe("nexus_http_request_duration_seconds",
                   {{"route", route_name}, {"method", method}}, secs);
  spdlog::debug("event=http method={} route=\"{}\" status={} user={} ms={:.2f}", method, route_name,
                status, user_label, secs * 1000);
}

Result<int> ApiServer::Start(const std::string& host, int port) {
  int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    return Status(StatusCode::kUnavailable, "cannot listen on " + host + ":" +
                                                std::to_string(port) +
                                                " (address in use or not available)");
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of new connections (a browser, a CI
  // fan-out) then loses SYNs and waits a 1 s retransmit. Linux takes a new backlog when
  // listen() is called again on the bound socket.
  if (listen_fd_ >= 0) ::listen(listen_fd_, kListenBacklog);
  running_ = true;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing before the accept loop runs: wait for it, so a Stop() right
  // after Start() cannot hang.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return bound;
}

void ApiServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void ApiServer::Wait() {
  while (running_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace nexus::api
