// Test doubles for the TestRail client's seams: a scripted HttpTransport that records every
// request, and a MonotonicClock whose SleepUs advances fake time instantly (so rate-limiter
// and retry tests are fast and deterministic).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "testrail/http_transport.h"
#include "testrail/rate_budget.h"

namespace nexus::testing {

class FakeMonotonicClock : public testrail::MonotonicClock {
 public:
  int64_t NowUs() override { return now_us_.load(); }
  void SleepUs(int64_t us) override {
    if (us <= 0) return;
    now_us_ += us;
    slept_us_ += us;
  }
  void Advance(int64_t us) { now_us_ += us; }
  int64_t slept_us() const { return slept_us_.load(); }

 private:
  std::atomic<int64_t> now_us_{1'000'000'000};
  std::atomic<int64_t> slept_us_{0};
};

// Answers each request with `handler(request)`; records requests (thread-safe).
class FakeTransport : public testrail::HttpTransport {
 public:
  using Handler = std::function<testrail::TransportOutcome(const testrail::HttpRequest&)>;
  explicit FakeTransport(Handler handler = {}) : handler_(std::move(handler)) {}

  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }

  testrail::TransportOutcome Send(const testrail::HttpRequest& request) override {
    Handler h;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      h = handler_;
    }
    return h(request);
  }

  std::vector<testrail::HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }

  // Helpers to build outcomes.
  static testrail::TransportOutcome Json(int status, std::string body,
                                         testrail::HttpHeaders headers = {}) {
    testrail::TransportOutcome out;
    headers.emplace_back("content-type", "application/json");
    out.response = testrail::HttpResponse{status, std::move(headers), std::move(body)};
    return out;
  }
  static testrail::TransportOutcome Raw(int status, std::string content_type, std::string body) {
    testrail::TransportOutcome out;
    out.response = testrail::HttpResponse{status, {{"content-type", content_type}}, body};
    return out;
  }
  static testrail::TransportOutcome Fail(testrail::TransportErrorKind kind, bool sent,
                                         std::string detail = "fake") {
    testrail::TransportOutcome out;
    out.error.kind = kind;
    out.error.request_sent = sent;
    out.error.detail = std::move(detail);
    return out;
  }

 private:
  mutable std::mutex mu_;
  Handler handler_;                              // mu_
  std::vector<testrail::HttpRequest> requests_;  // mu_
};

}  // namespace nexus::testing
