// testrail_sim::Simulator — an in-process TestRail API v2 server for tests, demos and
// benchmarks. It speaks TestRail's transport (`<base>/index.php?/api/v2/<method>...`, HTTP
// Basic auth, `{"error": "..."}` bodies) over an in-memory Model, and adds realism knobs
// (rate limit, latency, maintenance, API disabled, fault injection) that tests can change at
// run time, either through SetConfig() or the admin endpoint `/_sim/config`.
//
// Typical use in a test:
//   testrail_sim::SimulatorOptions opts;
//   opts.generate = testrail_sim::GenerateSpec{.cases = 500};
//   testrail_sim::Simulator sim(opts);
//   std::string error;
//   ASSERT_TRUE(sim.Start(&error)) << error;   // binds 127.0.0.1:0
//   client.Connect(sim.base_url(), "admin@example.com", testrail_sim::kDefaultApiKey);
//   ...
//   sim.Stop();                                // also done by the destructor
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "model.h"
#include "rate_limiter.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace testrail_sim {

inline constexpr char kDefaultEmail[] = "admin@example.com";
inline constexpr char kDefaultPassword[] = "secret";
inline constexpr char kDefaultApiKey[] = "nexus-sim-demo-api-key-0001";

// What an injected fault does to one API call.
enum class FaultKind {
  kStatus500,  // 500 {"error": ...}, the write is NOT applied
  kStatus502,  // 502 with a proxy's HTML body, not applied
  kStatus503,  // 503 with a proxy's HTML body, not applied
  kTimeout,    // holds the connection for timeout_hold_ms, then answers 504; not applied
  kReset,      // TCP reset (RST) without any response; not applied
  kTruncated,  // the call IS applied, then 200 with the JSON body cut in half
};

// "Fail the nth call of `method` (counted from when the rule was installed) with `kind`";
// `times` consecutive calls fail (0 = every call from nth on). `after_apply` makes write
// methods apply the change before failing the response (ambiguous outcome).
struct FaultRule {
  std::string method;  // API method name, or "*" for any
  int64_t nth = 1;
  int64_t times = 1;
  FaultKind kind = FaultKind::kStatus500;
  bool after_apply = false;
  // "timeout-then-apply": the connection is held (the client times out) and the write is
  // applied afterwards, as a slow server finishing a request its client gave up on.
  bool then_apply = false;
  int64_t seen = 0;   // calls of `method` seen since installed (maintained by the simulator)
  int64_t fired = 0;  // faults injected by this rule
};

// Parses "add_results_for_cases:3:500", "get_cases:2:timeout", "*:1:reset-after-apply:0"
// (method:nth:kind[:times]). Kinds: 500 502 503 timeout reset truncated, optionally with
// "-after-apply"; also "timeout-then-apply". Returns false and sets *error on bad input.
bool ParseFaultRule(const std::string& text, FaultRule* rule, std::string* error);
std::string FaultRuleToString(const FaultRule& rule);

// Run-time knobs. All can be changed while serving (SetConfig or POST /_sim/config).
struct SimConfig {
  int rate_limit_per_minute = 0;  // 0 = unlimited (on-premise); Cloud: 180 or 300
  // How the per-minute limit is enforced (rate_limiter.h): token bucket, sliding 60-s
  // window or fixed calendar minute.
  RateLimitModel rate_limit_model = RateLimitModel::kBucket;
  // The length of the limit's "minute" in ms (tests shorten it to compress time).
  int rate_limit_window_ms = 60000;
  bool retry_after_header = true;  // send Retry-After with 429
  int latency_ms = 0;              // added to every API call
  double per_result_ms = 0;        // added per result written (add_result*)
  bool maintenance = false;        // 409 for every API call
  bool api_disabled = false;       // 403 for every API call
  double fault_rate = 0;           // probability of a 500 (not applied) per API call
  uint64_t fault_seed = 1;         // seed of the fault_rate dice
  std::vector<FaultRule> faults;
  int timeout_hold_ms = 65000;         // how long a "timeout" fault holds the connection
  bool suites_paginated = false;       // get_suites answers the 9.3.1+ paginated envelope
  bool next_link_limit_zero = false;   // quirk: `_links.next` carries limit=0
  bool string_attachment_ids = false;  // Cloud 7.1+: add_attachment_* answers a string id
  // Per-file limit of add_attachment_* (413 above it): TestRail's 256 MB; tests lower it to
  // exercise the refusal without moving 256 MB.
  int64_t max_attachment_bytes = int64_t{256} << 20;

  Json ToJson() const;
  // Applies the keys present in `j` (a partial update). False + *error on a bad value;
  // then nothing is changed.
  bool MergeJson(const Json& j, std::string* error);
};

// --profile: "server" (on-premise: no rate limit, plain get_suites, numeric attachment ids —
// the defaults) or "cloud" (TestRail Cloud: paginated get_suites, 180 requests per minute,
// string attachment ids). Sets those keys of *config only. False + *error on another name.
bool ApplyProfile(const std::string& name, SimConfig* config, std::string* error);

struct SimStats {
  std::map<std::string, int64_t> calls;  // per API method, every call that reached routing
  int64_t total_calls = 0;
  int64_t rate_limited = 0;  // 429 answers
  int64_t faults_injected = 0;
  int64_t results_written = 0;
  Json ToJson() const;
};

struct SimulatorOptions {
  std::string host = "127.0.0.1";
  int port = 0;                   // 0 = any free port
  std::string base_path;          // e.g. "/testrail"; "" = served at the root
  bool tls = false;               // HTTPS with a self-signed certificate generated at start
  int threads = 32;               // worker threads (latency sleeps must not serialise clients)
  std::vector<UserRecord> users;  // empty = one admin (kDefaultEmail/Password/ApiKey)
  std::optional<GenerateSpec> generate;  // deterministic catalog
  std::string data_file;                 // JSON description (see docs/testrail-sim.md)
  std::string state_file;                // loaded at Start if present, saved at Stop
  SimConfig config;
};

// Thread-safety: all public methods may be called from any thread, concurrently with
// requests being served. Start/Stop are not re-entrant (call them from one owner thread).
class Simulator {
 public:
  explicit Simulator(SimulatorOptions options);
  ~Simulator();  // Stop()s
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Loads data (state_file > data_file > generate > a small default instance), binds
  // host:port and serves on a background thread. Returns false with *error when the data
  // cannot be loaded, the port cannot be bound or TLS setup fails.
  bool Start(std::string* error = nullptr);
  // Stops serving, interrupts latency/timeout sleeps, joins the thread and saves state_file
  // (if set). Idempotent.
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + base_path (https when tls). Pass this to TestRail clients.
  std::string base_url() const;
  // base_url() + "/index.php?/api/v2/".
  std::string api_url() const { return base_url() + "/index.php?/api/v2/"; }
  // PEM of the self-signed certificate (tls only), for clients that pin it.
  std::string certificate_pem() const { return cert_pem_; }

  SimConfig config() const;
  void SetConfig(const SimConfig& config);
  SimStats Stats() const;
  void ResetStats();

  // One request through the same handling as HTTP, without sockets (fuzzing, unit tests):
  // admin endpoints, the API with its knobs (auth, rate limit, faults…) and the HTML pages.
  // `target` is the request target as sent ("/index.php?/api/v2/get_case/1"); the path part
  // is percent-decoded as the HTTP server does. Needs no Start(): the model is whatever was
  // loaded (model().Generate(…)). A "reset" fault has no connection to reset here. An
  // exception escapes (over HTTP the server's exception handler answers 500 instead).
  struct Exchange {
    int status = 200;
    std::string content_type;
    std::string body;
    std::multimap<std::string, std::string> headers;
  };
  Exchange HandleInProcess(const std::string& method, const std::string& target,
                           const std::multimap<std::string, std::string>& headers,
                           const std::string& body);

  // Direct model access (no HTTP, no knobs) for test setup and assertions.
  Model& model() { return model_; }
  bool UpdateCaseTitle(int64_t case_id, const std::string& title) {
    return model_.UpdateCaseTitle(case_id, title);
  }
  bool DeleteCase(int64_t case_id) { return model_.DeleteCase(case_id); }

 private:
  void HandleRequest(const httplib::Request& req, httplib::Response& res);
  void HandleApi(const httplib::Request& req, httplib::Response& res, const std::string& query);
  void HandleAdmin(const httplib::Request& req, httplib::Response& res);
  // Sleeps up to `ms`, returning early when Stop() is called.
  void InterruptibleSleep(double ms);
  // Finds the rule that fires for this call (counting it); nullopt when none.
  std::optional<FaultRule> NextFault(const std::string& method);
  // Applies the rate limit; returns seconds to wait (>0) when the call must be refused.
  int64_t RateLimitCheck();
  void ResetConnection(const httplib::Request& req);

  SimulatorOptions options_;
  Model model_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<int> port_{0};
  int listen_fd_ = -1;  // the listening socket, seen by the socket-options hook
  std::string cert_pem_;

  mutable std::mutex mutex_;  // guards config_, stats_, rate_window_, rng_
  SimConfig config_;
  SimStats stats_;
  RateLimiter rate_limiter_;  // mutex_
  std::mt19937_64 rng_;

  std::mutex stop_mutex_;  // guards stopping_ for stop_cv_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace testrail_sim
