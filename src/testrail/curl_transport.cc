// libcurl transport; see curl_transport.h.
#include "testrail/curl_transport.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "testrail/address_policy.h"
#include "testrail/attachments.h"

namespace nexus::testrail {
namespace {

std::once_flag g_curl_init_once;

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Per-request state shared with the libcurl callbacks.
struct RequestContext {
  bool allow_private = false;
  // http:// (not https://) and plain http to public hosts not allowed: a public address is
  // refused before a byte (the Authorization header with the API key) is sent.
  bool refuse_public_plain_http = false;
  bool blocked_plain_http = false;
  bool relaxed_socket_check = false;  // socket goes to a proxy
  bool request_started = false;       // PREREQFUNCTION ran: bytes may reach the server
  bool blocked = false;
  std::string blocked_ip;
  AddressClass blocked_class = AddressClass::kPublic;
  size_t max_bytes = 0;
  bool too_large = false;
  HttpHeaders headers;
  std::string body;
  BodySource* upload = nullptr;  // streamed request body, if any
  uint64_t upload_offset = 0;
};

// CURLOPT_READFUNCTION: the next piece of a streamed request body.
size_t ReadUpload(char* buf, size_t size, size_t nitems, void* userdata) {
  auto* ctx = static_cast<RequestContext*>(userdata);
  const uint64_t total = ctx->upload->size();
  if (ctx->upload_offset >= total) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * nitems, total - ctx->upload_offset));
  size_t got = ctx->upload->ReadAt(ctx->upload_offset, buf, want);
  if (got < want) return CURL_READFUNC_ABORT;
  ctx->upload_offset += got;
  return got;
}

bool CheckAddress(RequestContext* ctx, AddressClass c, const std::string& ip, bool relaxed) {
  bool allowed = relaxed ? IsAddressAllowed(c, /*allow_private=*/true)
                         : IsAddressAllowed(c, ctx->allow_private);
  if (allowed && !relaxed && ctx->refuse_public_plain_http && c == AddressClass::kPublic) {
    allowed = false;
    if (!ctx->blocked) ctx->blocked_plain_http = true;
  }
  if (!allowed && !ctx->blocked) {
    ctx->blocked = true;
    ctx->blocked_ip = ip;
    ctx->blocked_class = c;
  }
  return allowed;
}

curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* ctx = static_cast<RequestContext*>(clientp);
  if (purpose == CURLSOCKTYPE_IPCXN) {
    const sockaddr* sa = &address->addr;
    std::optional<AddressClass> c = ClassifyAddress(sa);
    if (!c.has_value()) {
      ctx->blocked = true;
      ctx->blocked_class = AddressClass::kUnspecified;
      return CURL_SOCKET_BAD;
    }
    if (!CheckAddress(ctx, *c, SockaddrToString(sa), ctx->relaxed_socket_check)) {
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

int Prereq(void* clientp, char* conn_primary_ip, char* /*conn_local_ip*/, int /*conn_primary_port*/,
           int /*conn_local_port*/) {
  auto* ctx = static_cast<RequestContext*>(clientp);
  std::string ip = conn_primary_ip != nullptr ? conn_primary_ip : "";
  std::optional<AddressClass> c = ClassifyIp(ip);
  if (!c.has_value() || !CheckAddress(ctx, *c, ip, ctx->relaxed_socket_check)) {
    if (!c.has_value() && !ctx->blocked) {
      ctx->blocked = true;
      ctx->blocked_ip = ip;
      ctx->blocked_class = AddressClass::kUnspecified;
    }
    return CURL_PREREQFUNC_ABORT;
  }
  ctx->request_started = true;
  return CURL_PREREQFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userp) {
  auto* ctx = static_cast<RequestContext*>(userp);
  size_t n = size * nmemb;
  if (ctx->body.size() + n > ctx->max_bytes) {
    ctx->too_large = true;
    return 0;  // aborts the transfer
  }
  ctx->body.append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t nmemb, void* userp) {
  auto* ctx = static_cast<RequestContext*>(userp);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    ctx->headers.clear();  // a new response (after 100 Continue, or a proxy CONNECT)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  ctx->headers.emplace_back(LowerAscii(line.substr(0, colon)), std::string(value));
  return n;
}

const char* EnvNonEmpty(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

bool ProxyConfiguredFor(const std::string& url) {
  bool https = url.rfind("https:", 0) == 0;
  if (https && (EnvNonEmpty("https_proxy") || EnvNonEmpty("HTTPS_PROXY"))) return true;
  if (!https && EnvNonEmpty("http_proxy")) return true;
  return EnvNonEmpty("all_proxy") || EnvNonEmpty("ALL_PROXY");
}

// Resolves the URL's host locally and checks every address against the full policy; used
// when the socket itself goes to a proxy. Resolution failures are left to the proxy.
bool PrecheckTargetHost(const std::string& url, RequestContext* ctx) {
  CURLU* u = curl_url();
  char* host = nullptr;
  bool ok = true;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
    std::string h = host;
    if (h.size() > 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(h.c_str(), nullptr, &hints, &res) == 0) {
      for (addrinfo* ai = res; ai != nullptr && ok; ai = ai->ai_next) {
        std::optional<AddressClass> c = ClassifyAddress(ai->ai_addr);
        if (c.has_value()) ok = CheckAddress(ctx, *c, SockaddrToString(ai->ai_addr), false);
      }
      freeaddrinfo(res);
    }
  }
  curl_free(host);
  curl_url_cleanup(u);
  return ok;
}

TransportError MakeError(TransportErrorKind kind, std::string detail, bool sent) {
  TransportError e;
  e.kind = kind;
  e.detail = std::move(detail);
  e.request_sent = sent;
  return e;
}

// The request's header lines, plus an empty "Expect:" (no 100-continue round trip). The
// caller frees the list.
curl_slist* BuildHeaders(const HttpRequest& request) {
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : request.headers) {
    std::string line = k + ": " + v;
    headers = curl_slist_append(headers, line.c_str());
  }
  return curl_slist_append(headers, "Expect:");
}

// The method and body of `request` on handle `h`.
void SetMethod(CURL* h, const HttpRequest& request) {
  // Exactly-once: libcurl silently re-sends a request whose *reused* keep-alive
  // connection dies before any response byte ("Connection died, retrying a fresh connect") —
  // for a write that TestRail already applied, a duplicate run or result. Writes therefore
  // always go over a fresh connection, where libcurl never retries on its own; the failure
  // then reaches the retry policy as the ambiguous write it is.
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, request.method == "GET" ? 0L : 1L);
  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
  }
}

// The error of a failed transfer: curl's code mapped to a TransportErrorKind; `sent` when the
// request may have reached the server.
TransportError ErrorForCurlCode(CURLcode rc, const std::string& detail, bool sent, bool too_large) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return MakeError(TransportErrorKind::kDns, detail, false);
    case CURLE_COULDNT_CONNECT:
      return MakeError(TransportErrorKind::kConnectionRefused, detail, false);
    case CURLE_OPERATION_TIMEDOUT:
      return MakeError(TransportErrorKind::kTimeout, detail, sent);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return MakeError(TransportErrorKind::kTls, detail, false);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return MakeError(TransportErrorKind::kConnectionReset, detail, sent);
    case CURLE_WRITE_ERROR:
      return MakeError(TransportErrorKind::kOther, too_large ? "response body too large" : detail,
                       sent);
    default:
      return MakeError(TransportErrorKind::kOther, detail, sent);
  }
}

// Every option of one transfer of `request` on the (reset) handle `h`; `ctx` receives the
// socket checks, headers and body.
void SetOptions(CURL* h, const HttpRequest& request, CURLSH* share, const std::string& user_agent,
                curl_slist* headers, char* errbuf, RequestContext* ctx) {
  curl_easy_setopt(h, CURLOPT_SHARE, share);
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max(1, request.connect_timeout_ms)));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(1, request.timeout_ms)));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, request.insecure ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, request.insecure ? 0L : 2L);
  if (!request.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_bundle.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, ctx);
  curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, &Prereq);
  curl_easy_setopt(h, CURLOPT_PREREQDATA, ctx);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, ctx);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, ctx);
  SetMethod(h, request);
}

// A blocked-address error naming what the address check refused.
TransportError BlockedError(const RequestContext& ctx, std::string detail) {
  TransportError e = MakeError(TransportErrorKind::kBlockedAddress, std::move(detail), false);
  e.blocked_ip = ctx.blocked_ip;
  e.blocked_class = std::string(DescribeAddressClass(ctx.blocked_class));
  e.blocked_plain_http = ctx.blocked_plain_http;
  return e;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  std::string lower = LowerAscii(name);
  for (const auto& [k, v] : headers) {
    if (k == lower) return v;
  }
  return std::nullopt;
}

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  std::call_once(g_curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_ = curl_share_init();
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlTransport::LockShare);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlTransport::UnlockShare);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

CurlTransport::~CurlTransport() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    for (CURL* h : idle_) curl_easy_cleanup(h);
    idle_.clear();
  }
  curl_share_cleanup(share_);
}

void CurlTransport::LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  static_cast<CurlTransport*>(user)->share_mu_[static_cast<size_t>(data)].lock();
}

void CurlTransport::UnlockShare(CURL*, curl_lock_data data, void* user) {
  static_cast<CurlTransport*>(user)->share_mu_[static_cast<size_t>(data)].unlock();
}

CURL* CurlTransport::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlTransport::ReleaseHandle(CURL* handle) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (idle_.size() < options_.max_idle_handles) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(handle);
  }
}

TransportOutcome CurlTransport::Send(const HttpRequest& request) {
  TransportOutcome out;
  RequestContext ctx;
  ctx.allow_private = request.allow_private;
  ctx.refuse_public_plain_http =
      !request.allow_insecure_http && LowerAscii(request.url).rfind("http://", 0) == 0;
  ctx.max_bytes = options_.max_response_bytes;
  ctx.relaxed_socket_check = ProxyConfiguredFor(request.url);
  if (ctx.relaxed_socket_check && !PrecheckTargetHost(request.url, &ctx)) {
    out.error = BlockedError(ctx, "blocked before connecting");
    return out;
  }

  CURL* h = AcquireHandle();
  if (h == nullptr) {
    out.error = MakeError(TransportErrorKind::kOther, "curl_easy_init failed", false);
    return out;
  }
  curl_easy_reset(h);  // keeps live connections and caches
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = BuildHeaders(request);
  SetOptions(h, request, share_, options_.user_agent, headers, errbuf, &ctx);

  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  // Never leave pointers to this frame's data (errbuf, ctx, headers) in a pooled handle.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  ReleaseHandle(h);

  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  if (ctx.blocked && rc != CURLE_OK) {
    out.error = BlockedError(ctx, detail);
  } else if (rc == CURLE_OK) {
    out.response =
        HttpResponse{static_cast<int>(status), std::move(ctx.headers), std::move(ctx.body)};
  } else {
    out.error = ErrorForCurlCode(rc, detail, ctx.request_started, ctx.too_large);
  }
  return out;
}

CurlUploadTransport::CurlUploadTransport(std::string user_agent)
    : user_agent_(std::move(user_agent)) {
  std::call_once(g_curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

TransportOutcome CurlUploadTransport::Upload(const HttpRequest& request, BodySource& body) {
  TransportOutcome out;
  RequestContext ctx;
  ctx.allow_private = request.allow_private;
  ctx.refuse_public_plain_http =
      !request.allow_insecure_http && LowerAscii(request.url).rfind("http://", 0) == 0;
  ctx.max_bytes = 1024 * 1024;  // TestRail answers uploads with a small JSON object
  ctx.relaxed_socket_check = ProxyConfiguredFor(request.url);
  ctx.upload = &body;
  if (ctx.relaxed_socket_check && !PrecheckTargetHost(request.url, &ctx)) {
    out.error = BlockedError(ctx, "blocked before connecting");
    return out;
  }
  // A handle of its own (not pooled, no shared caches): an upload is a write, which goes over
  // a fresh connection anyway (SetMethod), and it must not leave a read callback behind.
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    out.error = MakeError(TransportErrorKind::kOther, "curl_easy_init failed", false);
    return out;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = BuildHeaders(request);
  SetOptions(h, request, nullptr, user_agent_, headers, errbuf, &ctx);
  // The body comes from the read callback, with its length known up front.
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(h, CURLOPT_READDATA, &ctx);

  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  curl_slist_free_all(headers);

  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  if (ctx.blocked && rc != CURLE_OK) {
    out.error = BlockedError(ctx, detail);
  } else if (rc == CURLE_OK) {
    out.response =
        HttpResponse{static_cast<int>(status), std::move(ctx.headers), std::move(ctx.body)};
  } else {
    out.error = ErrorForCurlCode(rc, detail, ctx.request_started, ctx.too_large);
  }
  return out;
}

}  // namespace nexus::testrail
