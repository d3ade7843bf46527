// HTTP transport of the simulator: TestRail's URL scheme, auth, content-type rules, error
// envelope, the realism knobs and the admin endpoint. See simulator.h for the contract.
#include "simulator.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "html_view.h"

namespace testrail_sim {
namespace {

const char kAuthFailed[] =
    "Authentication failed: invalid or missing user/password or session cookie.";
const char kApiDisabled[] =
    "The API is disabled for your installation. It can be enabled in the administration area "
    "in TestRail under Administration > Site Settings > API.";
const char kMaintenance[] =
    "This TestRail instance is currently in maintenance mode, please try the request again in a "
    "few minutes";
const char kContentTypeMissing[] =
    "Content-Type header missing (use Content-Type: application/json)";
const char kBadJson[] = "Invalid or incomplete JSON string in API request.";
const char kJsonType[] = "application/json; charset=utf-8";
// TestRail's per-file limit; the text is inferred (TestRail's own is not documented).
constexpr size_t kMaxAttachmentBytes = size_t{256} << 20;
const char kTooLarge[] = "The uploaded file is too large (256 MB at most).";

// Serialises an answer. Texts echoed from a request (an unknown method or admin path, a
// method name counted in the stats) may hold bytes that are not UTF-8; they are replaced
// (U+FFFD) instead of making dump() throw, which answered 500 — and, once such a method was
// counted, made every later /_sim/stats answer 500 (found by fuzz_sim_request, issue 13).
std::string Dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string ProxyPage(int code, const std::string& reason) {
  std::string title = std::to_string(code) + " " + reason;
  return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
         "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}

void SetError(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(Dump(Json{{"error", text}}), kJsonType);
}

std::string PercentDecode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (ch == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Base64Decode(const std::string& in) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0;
  int bits = -8;
  for (char c : in) {
    if (c == '=') break;
    size_t pos = kChars.find(c);
    if (pos == std::string::npos) continue;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out += static_cast<char>((val >> bits) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

bool StartsWithNoCase(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

const std::map<std::string, FaultKind>& FaultKinds() {
  static const std::map<std::string, FaultKind> kKinds = {
      {"500", FaultKind::kStatus500}, {"502", FaultKind::kStatus502},
      {"503", FaultKind::kStatus503}, {"timeout", FaultKind::kTimeout},
      {"reset", FaultKind::kReset},   {"truncated", FaultKind::kTruncated}};
  return kKinds;
}

// Self-signed certificate for 127.0.0.1/localhost, generated in memory.
bool MakeSelfSigned(EVP_PKEY** key_out, X509** cert_out, std::string* pem, std::string* error) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) {
    *error = "EC key generation failed";
    return false;
  }
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("testrail-sim"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert, key, EVP_sha256())) {
    X509_free(cert);
    EVP_PKEY_free(key);
    *error = "certificate signing failed";
    return false;
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  pem->assign(data, static_cast<size_t>(len));
  BIO_free(bio);
  *key_out = key;
  *cert_out = cert;
  return true;
}

// Finds the socket of a plain-HTTP request by its address pair (httplib does not expose it).
int FindSocket(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* ent = readdir(dir)) {
    int fd = std::atoi(ent->d_name);
    if (fd <= 2) continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof(local), pl = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    auto port_of = [](const sockaddr_storage& a) {
      if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
      if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
      return static_cast<uint16_t>(0);
    };
    if (port_of(local) == req.local_port && port_of(peer) == req.remote_port) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

// Seconds on the wall clock: the fixed model counts calendar minutes.
double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Config, faults, stats.

bool ParseFaultRule(const std::string& text, FaultRule* rule, std::string* error) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ':')) parts.push_back(item);
  if (parts.size() < 3 || parts.size() > 4 || parts[0].empty()) {
    *error = "fault rule '" + text + "' must be method:nth:kind[:times]";
    return false;
  }
  FaultRule r;
  r.method = parts[0];
  try {
    r.nth = std::stoll(parts[1]);
    if (parts.size() == 4) r.times = std::stoll(parts[3]);
  } catch (...) {
    *error = "fault rule '" + text + "': nth and times must be numbers";
    return false;
  }
  if (r.nth < 1 || r.times < 0) {
    *error = "fault rule '" + text + "': nth must be >= 1 and times >= 0";
    return false;
  }
  std::string kind = parts[2];
  if (kind == "timeout-then-apply") {
    r.kind = FaultKind::kTimeout;
    r.then_apply = true;
    *rule = r;
    return true;
  }
  const std::string suffix = "-after-apply";
  if (kind.size() > suffix.size() &&
      kind.compare(kind.size() - suffix.size(), suffix.size(), suffix) == 0) {
    r.after_apply = true;
    kind = kind.substr(0, kind.size() - suffix.size());
  }
  auto it = FaultKinds().find(kind);
  if (it == FaultKinds().end()) {
    *error = "fault rule '" + text + "': unknown kind (500, 502, 503, timeout, reset, truncated" +
             ", optionally -after-apply; or timeout-then-apply)";
    return false;
  }
  r.kind = it->second;
  *rule = r;
  return true;
}

std::string FaultRuleToString(const FaultRule& rule) {
  std::string kind;
  for (const auto& [name, k] : FaultKinds())
    if (k == rule.kind) kind = name;
  return rule.method + ":" + std::to_string(rule.nth) + ":" + kind +
         (rule.after_apply ? "-after-apply" : "") + (rule.then_apply ? "-then-apply" : "") + ":" +
         std::to_string(rule.times);
}

Json SimConfig::ToJson() const {
  Json faults_json = Json::array();
  for (const auto& f : faults) {
    faults_json.push_back(
        Json{{"rule", FaultRuleToString(f)}, {"seen", f.seen}, {"fired", f.fired}});
  }
  return Json{{"rate_limit_per_minute", rate_limit_per_minute},
              {"rate_limit_model", RateLimitModelName(rate_limit_model)},
              {"rate_limit_window_ms", rate_limit_window_ms},
              {"retry_after_header", retry_after_header},
              {"latency_ms", latency_ms},
              {"per_result_ms", per_result_ms},
              {"maintenance", maintenance},
              {"api_disabled", api_disabled},
              {"fault_rate", fault_rate},
              {"fault_seed", fault_seed},
              {"faults", faults_json},
              {"timeout_hold_ms", timeout_hold_ms},
              {"suites_paginated", suites_paginated},
              {"next_link_limit_zero", next_link_limit_zero},
              {"string_attachment_ids", string_attachment_ids},
              {"max_attachment_bytes", max_attachment_bytes}};
}

bool SimConfig::MergeJson(const Json& j, std::string* error) {
  if (!j.is_object()) {
    *error = "config must be a JSON object";
    return false;
  }
  SimConfig c = *this;
  try {
    for (const auto& [k, v] : j.items()) {
      if (k == "rate_limit_per_minute") {
        c.rate_limit_per_minute = v.get<int>();
      } else if (k == "rate_limit_model") {
        auto m = ParseRateLimitModel(v.get<std::string>());
        if (!m) {
          *error = "rate_limit_model must be bucket, sliding or fixed";
          return false;
        }
        c.rate_limit_model = *m;
      } else if (k == "rate_limit_window_ms") {
        c.rate_limit_window_ms = v.get<int>();
      } else if (k == "retry_after_header") {
        c.retry_after_header = v.get<bool>();
      } else if (k == "latency_ms") {
        c.latency_ms = v.get<int>();
      } else if (k == "per_result_ms") {
        c.per_result_ms = v.get<double>();
      } else if (k == "maintenance") {
        c.maintenance = v.get<bool>();
      } else if (k == "api_disabled") {
        c.api_disabled = v.get<bool>();
      } else if (k == "fault_rate") {
        c.fault_rate = v.get<double>();
      } else if (k == "fault_seed") {
        c.fault_seed = v.get<uint64_t>();
      } else if (k == "timeout_hold_ms") {
        c.timeout_hold_ms = v.get<int>();
      } else if (k == "suites_paginated") {
        c.suites_paginated = v.get<bool>();
      } else if (k == "next_link_limit_zero") {
        c.next_link_limit_zero = v.get<bool>();
      } else if (k == "string_attachment_ids") {
        c.string_attachment_ids = v.get<bool>();
      } else if (k == "max_attachment_bytes") {
        c.max_attachment_bytes = v.get<int64_t>();
        if (c.max_attachment_bytes < 1 ||
            c.max_attachment_bytes > static_cast<int64_t>(kMaxAttachmentBytes)) {
          *error = "max_attachment_bytes must be in 1..268435456";
          return false;
        }
      } else if (k == "faults" || k == "add_faults") {
        if (k == "faults") c.faults.clear();
        Json list = v.is_array() ? v : Json::array({v});
        for (const auto& item : list) {
          FaultRule r;
          std::string text =
              item.is_object() ? item.at("rule").get<std::string>() : item.get<std::string>();
          if (!ParseFaultRule(text, &r, error)) return false;
          c.faults.push_back(r);
        }
      } else {
        *error = "unknown config key '" + k + "'";
        return false;
      }
    }
  } catch (const std::exception& e) {
    *error = std::string("bad config value: ") + e.what();
    return false;
  }
  if (c.fault_rate < 0 || c.fault_rate > 1) {
    *error = "fault_rate must be within [0, 1]";
    return false;
  }
  if (c.rate_limit_window_ms < 1) {
    *error = "rate_limit_window_ms must be positive";
    return false;
  }
  if (c.rate_limit_per_minute < 0 || c.latency_ms < 0 || c.per_result_ms < 0 ||
      c.timeout_hold_ms < 0) {
    *error = "numeric knobs must not be negative";
    return false;
  }
  *this = c;
  return true;
}

Json SimStats::ToJson() const {
  return Json{{"calls", calls},
              {"total_calls", total_calls},
              {"rate_limited", rate_limited},
              {"faults_injected", faults_injected},
              {"results_written", results_written}};
}

// ---------------------------------------------------------------------------------------------
// Lifecycle.

Simulator::Simulator(SimulatorOptions options) : options_(std::move(options)) {
  config_ = options_.config;
  rng_.seed(config_.fault_seed);
}

Simulator::~Simulator() { Stop(); }

std::string Simulator::base_url() const {
  return std::string(options_.tls ? "https" : "http") + "://" + options_.host + ":" +
         std::to_string(port_.load()) + options_.base_path;
}

SimConfig Simulator::config() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return config_;
}

void Simulator::SetConfig(const SimConfig& config) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (config.rate_limit_per_minute != config_.rate_limit_per_minute ||
      config.rate_limit_model != config_.rate_limit_model ||
      config.rate_limit_window_ms != config_.rate_limit_window_ms) {
    rate_limiter_.Reset(config.rate_limit_model, config.rate_limit_per_minute, WallSeconds(),
                        config.rate_limit_window_ms / 1000.0);
  }
  if (config.fault_seed != config_.fault_seed) rng_.seed(config.fault_seed);
  config_ = config;
  model_.SetSuitesPaginated(config_.suites_paginated);
  model_.SetNextLinkLimitZero(config_.next_link_limit_zero);
  model_.SetStringAttachmentIds(config_.string_attachment_ids);
}

bool ApplyProfile(const std::string& name, SimConfig* config, std::string* error) {
  if (name == "server") {
    config->rate_limit_per_minute = 0;
    config->suites_paginated = false;
    config->string_attachment_ids = false;
    return true;
  }
  if (name == "cloud") {
    config->rate_limit_per_minute = 180;
    config->rate_limit_model = RateLimitModel::kBucket;
    config->suites_paginated = true;
    config->string_attachment_ids = true;
    return true;
  }
  *error = "unknown profile '" + name + "' (want cloud or server)";
  return false;
}

SimStats Simulator::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Simulator::ResetStats() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_ = SimStats{};
}

bool Simulator::Start(std::string* error) {
  std::string dummy;
  if (!error) error = &dummy;
  if (started_) {
    *error = "already started";
    return false;
  }
  // Data: state file (if it exists) > data file > generator > small default instance.
  bool loaded = false;
  auto load_file = [&](const std::string& path, bool* ok) {
    std::ifstream in(path);
    if (!in) return false;
    Json j = Json::parse(in, nullptr, false);
    if (j.is_discarded()) {
      *error = path + ": invalid JSON";
      *ok = false;
      return true;
    }
    std::string e;
    try {
      *ok = model_.LoadJson(j, &e);
    } catch (const std::exception& ex) {  // nlohmann type errors in hand-written files
      *ok = false;
      e = ex.what();
    }
    if (!*ok) *error = path + ": " + e;
    return true;
  };
  bool ok = true;
  if (!options_.state_file.empty() && load_file(options_.state_file, &ok)) {
    if (!ok) return false;
    loaded = true;
  }
  if (!loaded && !options_.data_file.empty()) {
    if (!load_file(options_.data_file, &ok)) {
      *error = options_.data_file + ": cannot read";
      return false;
    }
    if (!ok) return false;
    loaded = true;
    // --result-field / --configs / --milestones / --steps-template on top of a description.
    if (options_.generate) model_.AddExtras(*options_.generate);
  }
  if (!loaded) model_.Generate(options_.generate.value_or(GenerateSpec{}));
  if (!options_.users.empty()) model_.SetUsers(options_.users);
  SetConfig(config_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rate_limiter_.Reset(config_.rate_limit_model, config_.rate_limit_per_minute, WallSeconds(),
                        config_.rate_limit_window_ms / 1000.0);
  }

  if (options_.tls) {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    if (!MakeSelfSigned(&key, &cert, &cert_pem_, error)) return false;
    server_ = std::make_unique<httplib::SSLServer>(cert, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!server_->is_valid()) {
      *error = "TLS server setup failed";
      return false;
    }
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // A write to a reset TLS socket must not kill the process.
  struct sigaction old_action {};
  if (sigaction(SIGPIPE, nullptr, &old_action) == 0 && old_action.sa_handler == SIG_DFL)
    signal(SIGPIPE, SIG_IGN);

  size_t threads = static_cast<size_t>(std::max(1, options_.threads));
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_keep_alive_timeout(2);
  // Room for the multipart envelope around a file of the 256 MB limit (checked per file).
  server_->set_payload_max_length(kMaxAttachmentBytes + (1u << 20));
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    HandleRequest(req, res);
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  // A body over the payload limit is refused by httplib before any handler runs; give that
  // 413 TestRail's JSON error envelope.
  server_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (res.status != 413 || !res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        SetError(res, 413, kTooLarge);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        SetError(res, 500, "Internal server error: " + what);
      });
  // cpp-httplib (the Debian build, a shared library) listens with a backlog of 5: a client that
  // opens 10 connections at once (an exporter's parallel batches) then loses SYNs and waits a
  // 1 s retransmit, which a real TestRail server would not charge. The socket-options hook
  // sees the listening socket; once bound it gets a wider backlog (Linux takes a new one when
  // listen() is called again).
  listen_fd_ = -1;
  server_->set_socket_options([this](socket_t sock) {
    listen_fd_ = sock;
    httplib::default_socket_options(sock);
  });
  int port = options_.port == 0
                 ? server_->bind_to_any_port(options_.host)
                 : (server_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0) {
    *error = "cannot bind " + options_.host + ":" + std::to_string(options_.port);
    server_.reset();
    return false;
  }
  port_ = port;
  if (listen_fd_ >= 0) ::listen(listen_fd_, 1024);
  model_.SetBaseUrl(base_url());
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Wait until the accept loop runs so an immediate Stop() cannot race listen_after_bind.
  for (int i = 0; i < 2000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  started_ = true;
  return true;
}

void Simulator::Stop() {
  if (!started_) return;
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  started_ = false;
  if (!options_.state_file.empty()) {
    std::string tmp = options_.state_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << Dump(model_.ToJson());
    }
    std::rename(tmp.c_str(), options_.state_file.c_str());
  }
}

void Simulator::InterruptibleSleep(double ms) {
  if (ms <= 0) return;
  std::unique_lock<std::mutex> lock(stop_mutex_);
  stop_cv_.wait_for(lock, std::chrono::microseconds(static_cast<int64_t>(ms * 1000)),
                    [this] { return stopping_; });
}

int64_t Simulator::RateLimitCheck() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (config_.rate_limit_per_minute <= 0) return 0;
  int64_t retry = rate_limiter_.Admit(WallSeconds());
  if (retry > 0) stats_.rate_limited++;
  return retry;
}

std::optional<FaultRule> Simulator::NextFault(const std::string& method) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<FaultRule> hit;
  for (auto& rule : config_.faults) {
    if (rule.method != "*" && rule.method != method) continue;
    rule.seen++;
    bool in_range = rule.seen >= rule.nth && (rule.times == 0 || rule.seen < rule.nth + rule.times);
    if (in_range && !hit) {
      rule.fired++;
      hit = rule;
    }
  }
  if (!hit && config_.fault_rate > 0) {
    std::uniform_real_distribution<double> dice(0.0, 1.0);
    if (dice(rng_) < config_.fault_rate) hit = FaultRule{method, 1, 1, FaultKind::kStatus500};
  }
  if (hit) stats_.faults_injected++;
  return hit;
}

void Simulator::ResetConnection(const httplib::Request& req) {
  int fd = req.ssl ? SSL_get_fd(req.ssl) : FindSocket(req);
  if (fd < 0) return;
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  // Connecting a TCP socket to AF_UNSPEC disconnects it with a RST while the descriptor stays
  // owned (and later closed) by httplib.
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  connect(fd, &sa, sizeof(sa));
}

// ---------------------------------------------------------------------------------------------
// Request handling.

Simulator::Exchange Simulator::HandleInProcess(
    const std::string& method, const std::string& target,
    const std::multimap<std::string, std::string>& headers, const std::string& body) {
  httplib::Request req;
  req.method = method;
  req.target = target;
  req.path = httplib::detail::decode_url(target.substr(0, target.find('?')), false);
  for (const auto& [name, value] : headers) req.headers.emplace(name, value);
  req.body = body;
  httplib::Response res;
  HandleRequest(req, res);
  Exchange out;
  out.status = res.status < 0 ? 200 : res.status;
  out.content_type = res.get_header_value("Content-Type");
  out.body = res.body;
  for (const auto& [name, value] : res.headers) out.headers.emplace(name, value);
  return out;
}

void Simulator::HandleRequest(const httplib::Request& req, httplib::Response& res) {
  const std::string& bp = options_.base_path;
  const std::string& path = req.path;
  if (path.rfind("/_sim/", 0) == 0 || (!bp.empty() && path.rfind(bp + "/_sim/", 0) == 0)) {
    HandleAdmin(req, res);
    return;
  }
  size_t q = req.target.find('?');
  std::string query = q == std::string::npos ? "" : req.target.substr(q + 1);
  if (path == bp + "/index.php" && query.rfind("/api/v2/", 0) == 0) {
    HandleApi(req, res, query);
    return;
  }
  if (req.method != "GET") {
    res.status = 404;
    res.set_content(ProxyPage(404, "Not Found"), "text/html");
    return;
  }
  std::string route;
  int64_t page = 1;
  if (path == bp + "/index.php") {
    size_t amp = query.find('&');
    route = PercentDecode(query.substr(0, amp), false);
    if (route.rfind("/attachments/get/", 0) == 0) {  // the bytes behind the HTML view's <img>
      std::string file, type;
      int64_t id = std::atoll(route.c_str() + std::string("/attachments/get/").size());
      if (!model_.AttachmentFile(id, &file, &type)) {
        res.status = 404;
        res.set_content(ProxyPage(404, "Not Found"), "text/html");
        return;
      }
      std::ifstream in(file, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      res.set_content(std::move(bytes), type);
      return;
    }
    if (amp != std::string::npos) {
      std::string rest = query.substr(amp + 1);
      size_t pos = rest.find("page=");
      if (pos != std::string::npos) page = std::atoll(rest.c_str() + pos + 5);
    }
  } else if (!(path == bp + "/" || path == bp || (path == "/" && !bp.empty()))) {
    res.status = 404;
    res.set_content(ProxyPage(404, "Not Found"), "text/html");
    return;
  }
  int status = 200;
  std::string html;
  model_.Visit([&](const Model& m) { html = RenderHtml(m, bp, route, page, &status); });
  res.status = status;
  res.set_content(html, "text/html; charset=utf-8");
}

void Simulator::HandleApi(const httplib::Request& req, httplib::Response& res,
                          const std::string& query) {
  ApiCall call;
  // "/api/v2/<method>/<id>/<id2>&key=value&..."
  std::vector<std::string> parts;
  {
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      if (amp == std::string::npos) amp = query.size();
      parts.push_back(query.substr(start, amp - start));
      start = amp + 1;
    }
  }
  std::string method_path = PercentDecode(parts[0].substr(std::string("/api/v2/").size()), false);
  {
    std::stringstream ss(method_path);
    std::string seg;
    bool first = true;
    while (std::getline(ss, seg, '/')) {
      if (first) {
        call.method = seg;
        first = false;
      } else {
        call.ids.push_back(seg);
      }
    }
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    size_t eq = parts[i].find('=');
    std::string key = PercentDecode(parts[i].substr(0, eq), true);
    std::string value = eq == std::string::npos ? "" : PercentDecode(parts[i].substr(eq + 1), true);
    call.filters.emplace_back(key, value);
  }

  SimConfig cfg;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.calls[call.method]++;
    stats_.total_calls++;
    cfg = config_;
  }
  InterruptibleSleep(cfg.latency_ms);

  if (cfg.maintenance) return SetError(res, 409, kMaintenance);
  if (int64_t retry = RateLimitCheck(); retry > 0) {
    if (cfg.retry_after_header) res.set_header("Retry-After", std::to_string(retry));
    return SetError(res, 429,
                    "API Rate Limit Exceeded - " +
                        std::to_string(static_cast<int64_t>(cfg.rate_limit_per_minute) * 60000 /
                                       std::max(1, cfg.rate_limit_window_ms)) +
                        " per minute maximum allowed. Retry after " + std::to_string(retry) +
                        " seconds.");
  }
  if (cfg.api_disabled) return SetError(res, 403, kApiDisabled);

  std::string auth = req.get_header_value("Authorization");
  if (!StartsWithNoCase(auth, "Basic ")) return SetError(res, 401, kAuthFailed);
  std::string decoded = Base64Decode(auth.substr(6));
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return SetError(res, 401, kAuthFailed);
  auto user = model_.Authenticate(decoded.substr(0, colon), decoded.substr(colon + 1));
  if (!user) return SetError(res, 401, kAuthFailed);
  call.user_id = *user;

  bool is_write = false;
  if (!model_.KnownMethod(call.method, &is_write))
    return SetError(res, 404, "Unknown method '" + call.method + "'");
  if (is_write && req.method != "POST")
    return SetError(res, 400, "This API method requires a POST request.");
  if (!is_write && req.method != "GET")
    return SetError(res, 400, "This API method requires a GET request.");

  if (req.method == "POST") {
    std::string ct = req.get_header_value("Content-Type");
    if (call.method == "add_attachment_to_result" || call.method == "add_attachment_to_run") {
      if (!StartsWithNoCase(ct, "multipart/form-data"))
        return SetError(res, 400, kContentTypeMissing);
      if (req.has_file("attachment")) {
        const auto& file = req.files.find("attachment")->second;
        if (file.content.size() > static_cast<size_t>(cfg.max_attachment_bytes))
          return SetError(res, 413, kTooLarge);
        call.has_attachment = true;
        call.attachment_name = file.filename;
        call.attachment_size = file.content.size();
        call.attachment_type = file.content_type;
        call.attachment_data = &file.content;
      }
    } else {
      if (!StartsWithNoCase(ct, "application/json")) return SetError(res, 400, kContentTypeMissing);
      bool blank = std::all_of(req.body.begin(), req.body.end(), [](char ch) {
        return std::isspace(static_cast<unsigned char>(ch));
      });
      if (!blank) {
        call.body = Json::parse(req.body, nullptr, false);
        if (call.body.is_discarded() || !call.body.is_object()) return SetError(res, 400, kBadJson);
      }
    }
  }

  std::optional<FaultRule> fault = NextFault(call.method);
  bool fail_after = fault && (fault->after_apply || fault->kind == FaultKind::kTruncated);
  auto inject = [&](const FaultRule& f) {
    switch (f.kind) {
      case FaultKind::kStatus500:
        SetError(res, 500, "Internal server error.");
        break;
      case FaultKind::kStatus502:
        res.status = 502;
        res.set_content(ProxyPage(502, "Bad Gateway"), "text/html");
        break;
      case FaultKind::kStatus503:
        res.status = 503;
        res.set_content(ProxyPage(503, "Service Temporarily Unavailable"), "text/html");
        break;
      case FaultKind::kTimeout:
        InterruptibleSleep(cfg.timeout_hold_ms);
        res.status = 504;
        res.set_content(ProxyPage(504, "Gateway Time-out"), "text/html");
        break;
      case FaultKind::kReset:
        ResetConnection(req);
        res.status = 500;
        res.set_header("Connection", "close");
        break;
      case FaultKind::kTruncated:
        break;
    }
  };
  if (fault && !fail_after && !fault->then_apply) return inject(*fault);
  if (fault && fault->then_apply)
    inject(*fault);  // held first (the client gives up), applied below

  ApiResponse out = model_.Handle(call);
  if (out.results_written > 0) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.results_written += static_cast<int64_t>(out.results_written);
    }
    InterruptibleSleep(cfg.per_result_ms * static_cast<double>(out.results_written));
  }
  if (fault && fault->then_apply) return;  // the 504 of the hold stands
  if (fault && fault->kind != FaultKind::kTruncated) return inject(*fault);

  if (!out.file_path.empty()) {  // get_attachment: the stored bytes
    std::ifstream in(out.file_path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    res.status = 200;
    res.set_content(std::move(bytes), out.file_type);
    return;
  }
  res.status = out.status;
  std::string body = out.body_is_empty ? "" : Dump(out.body);
  if (fault && fault->kind == FaultKind::kTruncated) body = body.substr(0, body.size() / 2);
  res.set_content(body, kJsonType);
}

void Simulator::HandleAdmin(const httplib::Request& req, httplib::Response& res) {
  std::string path = req.path.substr(req.path.find("/_sim/"));
  if (path == "/_sim/config") {
    if (req.method == "POST") {
      Json j = Json::parse(req.body, nullptr, false);
      SimConfig c = config();
      std::string error;
      if (j.is_discarded() || !c.MergeJson(j, &error))
        return SetError(res, 400, error.empty() ? "invalid JSON" : error);
      SetConfig(c);
    }
    res.set_content(Dump(config().ToJson(), 2), kJsonType);
    return;
  }
  if (path == "/_sim/stats") {
    res.set_content(Dump(Stats().ToJson(), 2), kJsonType);
    return;
  }
  if (path == "/_sim/reset-stats") {
    ResetStats();
    res.set_content("{}", kJsonType);
    return;
  }
  if (path == "/_sim/state") {
    res.set_content(Dump(model_.ToJson()), kJsonType);
    return;
  }
  if (path == "/_sim/health") {
    res.set_content(Dump(Json{{"ok", true}, {"cases", model_.CaseCount()}}), kJsonType);
    return;
  }
  SetError(res, 404, "unknown admin endpoint " + path);
}

}  // namespace testrail_sim
