// ApiServer: routing over HttpFront, the single Status → HTTP mapping, auth/CSRF, the web
// UI's files, metrics, logs.
#include "api/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <regex>
#include <thread>

#include "api/openapi_routes.h"

namespace nexus::api {
namespace {

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
std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

bool IsJsonMediaType(const std::string& content_type) {
  return MediaType(content_type) == "application/json";
}

// Headers every response carries: no sniffing, no framing by other sites, no referrer leaks;
// the UI's pages only load scripts and styles from this origin.
void SetSecurityHeaders(HttpResponse& res) {
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("Referrer-Policy", "no-referrer");
  res.SetHeader("X-Frame-Options", "DENY");
  res.SetHeader("Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                "frame-ancestors 'none'");
}

std::string CookieValue(const HttpRequest& req, const std::string& name) {
  std::string header = req.Header("Cookie");
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

void WriteJson(HttpResponse& res, int status, const Json& body) {
  res.status = status;
  res.SetContent(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

// A request announces a body when it is chunked or has a non-zero Content-Length.
bool HasBody(const HttpRequest& req) {
  if (req.Header("Transfer-Encoding").find("chunked") != std::string::npos) return true;
  std::string length = req.Header("Content-Length");
  return !length.empty() && length != "0";
}

bool TakesBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

int64_t Ctx::Id(size_t i) const { return std::stoll(params.at(i)); }

std::string Ctx::ClientAddress() const { return req.remote_addr; }

std::string Ctx::Query(const std::string& name) const { return req.Param(name); }

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

struct ApiServer::RouteEntry {
  std::string method;
  std::string pattern;
  std::regex rx;
  Handler handler;
  bool require_auth = true;
  std::function<void(HttpResponse&)> raw;  // a non-JSON built-in (/metrics)
  std::optional<UploadOptions> upload;     // a raw-body upload route (RouteUpload)
};

ApiServer::ApiServer(auth::AuthService& auth, obs::Metrics& metrics, ServerOptions options)
    : auth_(auth), metrics_(metrics), options_(std::move(options)) {
  if (!options_.static_dir.empty())
    static_files_ = std::make_unique<StaticFiles>(options_.static_dir);
  metrics_.Describe("nexus_http_requests_total", "counter", "HTTP requests by route and status");
  metrics_.Describe("nexus_http_request_duration_seconds", "histogram",
                    "HTTP request latency by route");
  auto entry = std::make_unique<RouteEntry>();
  entry->method = "GET";
  entry->pattern = "/metrics";
  entry->rx = std::regex("/metrics");
  entry->require_auth = false;
  entry->raw = [this](HttpResponse& res) {
    res.SetContent(metrics_.RenderPrometheus(), "text/plain; version=0.0.4");
  };
  table_.push_back(std::move(entry));
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
  auto entry = std::make_unique<RouteEntry>();
  entry->method = method;
  entry->pattern = pattern;
  entry->rx = std::regex(rx);
  entry->handler = std::move(handler);
  entry->require_auth = require_auth;
  table_.push_back(std::move(entry));
}

void ApiServer::RouteUpload(const std::string& method, const std::string& pattern, Handler handler,
                            UploadOptions upload) {
  Route(method, pattern, std::move(handler), true);
  options_.http.max_upload_body_bytes =
      std::max(options_.http.max_upload_body_bytes, upload.max_body_bytes);
  table_.back()->upload = std::move(upload);
}

int ApiServer::Match(const std::string& method, const std::string& path,
                     std::vector<std::string>* params) const {
  const std::string& m = method == "HEAD" ? std::string("GET") : method;
  for (size_t i = 0; i < table_.size(); ++i) {
    if (table_[i]->method != m) continue;
    std::smatch match;
    if (!std::regex_match(path, match, table_[i]->rx)) continue;
    for (size_t k = 1; k < match.size(); ++k) params->push_back(match[k].str());
    return static_cast<int>(i);
  }
  return -1;
}

HttpResponse ApiServer::Refusal(int status, const std::string& code,
                                const std::string& message) const {
  HttpResponse res;
  WriteJson(res, status, Json{{"error", {{"code", code}, {"message", message}}}});
  res.SetHeader("Cache-Control", "no-store");
  SetSecurityHeaders(res);
  return res;
}

HttpResponse ApiServer::NoRoute(const HttpRequest& req) const {
  metrics_.Inc("nexus_http_requests_total",
               {{"route", "unmatched"}, {"method", MethodLabel(req.method)}, {"status", "404"}});
  return Refusal(404, "no_route",
                 "no such endpoint: " + req.method.substr(0, 32) + " " + req.path.substr(0, 200));
}

std::optional<HttpResponse> ApiServer::Admit(HttpRequest& req) const {
  req.route = Match(req.method, req.path, &req.path_params);
  if (req.route < 0) {
    bool may_be_file =
        !options_.static_dir.empty() && (req.method == "GET" || req.method == "HEAD");
    if (may_be_file && !HasBody(req)) return std::nullopt;
    return NoRoute(req);
  }
  const RouteEntry* route = table_[req.route].get();
  if (route->upload) {
    // Large bodies only from callers who may send them: credentials are checked before a byte
    // of the body is read, so anonymous clients cannot fill memory or the spool directory.
    if (HasBody(req)) {
      auto who = auth_.Authenticate(req.Header("Authorization"), CookieValue(req, kSessionCookie));
      if (!who.ok()) {
        HttpResponse res;
        WriteJson(res, HttpStatusFor(who.status()), ErrorBody(who.status()));
        res.SetHeader("Cache-Control", "no-store");
        SetSecurityHeaders(res);
        return res;
      }
    }
    req.max_body_bytes = route->upload->max_body_bytes;
    req.spool_dir = route->upload->spool_dir;
    const auto& types = route->upload->media_types;
    if (!HasBody(req) ||
        std::find(types.begin(), types.end(), MediaType(req.Header("Content-Type"))) != types.end())
      return std::nullopt;
    std::string accepted;
    for (const auto& t : types) accepted += (accepted.empty() ? "" : ", ") + t;
    metrics_.Inc("nexus_http_requests_total",
                 {{"route", route->pattern}, {"method", req.method}, {"status", "415"}});
    return Refusal(
        415, "unsupported_media_type",
        "request body must be one of " + accepted + " (Content-Type: " +
            (req.HasHeader("Content-Type") ? "'" + req.Header("Content-Type").substr(0, 100) + "'"
                                           : std::string("missing")) +
            ")");
  }
  if (!TakesBody(req.method) || !HasBody(req) || IsJsonMediaType(req.Header("Content-Type")))
    return std::nullopt;
  metrics_.Inc("nexus_http_requests_total",
               {{"route", route->pattern}, {"method", req.method}, {"status", "415"}});
  return Refusal(
      415, "unsupported_media_type",
      "request body must be application/json (Content-Type: " +
          (req.HasHeader("Content-Type") ? "'" + req.Header("Content-Type").substr(0, 100) + "'"
                                         : std::string("missing")) +
          ")");
}

void ApiServer::Handle(HttpRequest& req, HttpResponse& res) {
  const RouteEntry* route = req.route >= 0 ? table_[req.route].get() : nullptr;
  if (route && route->raw) {
    route->raw(res);
  } else if (route) {
    Dispatch(*route, req.path_params, req, res);
  } else if (!static_files_ || !static_files_->Serve(req, res)) {
    res = NoRoute(req);
  }
  SetSecurityHeaders(res);
}

void ApiServer::Dispatch(const RouteEntry& route, const std::vector<std::string>& params,
                         const HttpRequest& req, HttpResponse& res) {
  auto start = std::chrono::steady_clock::now();
  const std::string& method = route.method;
  const std::string& route_name = route.pattern;
  const Handler& handler = route.handler;
  bool require_auth = route.require_auth;
  Ctx ctx{req, res, params, std::nullopt};

  Result<Reply> reply = Status(StatusCode::kInternal, "not handled");
  std::string user_label = "-";
  std::string auth_header = req.Header("Authorization");
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
    std::string csrf = req.Header(kCsrfHeader);
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
    if (reply->raw) {
      res.status = status;
    } else if (status == 204) {
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
  if (res.Header("Cache-Control").empty()) res.SetHeader("Cache-Control", "no-store");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Inc("nexus_http_requests_total",
               {{"route", route_name}, {"method", method}, {"status", std::to_string(status)}});
  metrics_.Observe("nexus_http_request_duration_seconds",
                   {{"route", route_name}, {"method", method}}, secs);
  spdlog::debug("event=http method={} route=\"{}\" status={} user={} ms={:.2f}", method, route_name,
                status, user_label, secs * 1000);
}

Result<int> ApiServer::Start(const std::string& host, int port) {
  front_ = std::make_unique<HttpFront>(
      options_.http, metrics_, [this](HttpRequest& req) { return Admit(req); },
      [this](HttpRequest& req, HttpResponse& res) { Handle(req, res); },
      [this](int status, const std::string& code, const std::string& message) {
        return Refusal(status, code, message);
      });
  auto bound = front_->Start(host, port);
  if (!bound.ok()) return bound.status();
  running_ = true;
  return bound;
}

void ApiServer::Stop() {
  if (front_) front_->Stop();
  running_ = false;
}

void ApiServer::Wait() {
  while (running_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace nexus::api
