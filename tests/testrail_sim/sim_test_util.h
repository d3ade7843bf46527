// Helpers for the simulator's tests: start a Simulator in process and talk real HTTP to it.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include "simulator.h"

namespace testrail_sim::testing {

struct Reply {
  int status = 0;  // 0 = transport error
  std::string body;
  Json json;  // parsed body (discarded when not JSON)
  httplib::Headers headers;
  std::string error() const { return json.is_object() ? json.value("error", "") : ""; }
};

// A thin TestRail client: `Get("get_cases/1&suite_id=2")`, `Post("add_run/1", body)`.
class Api {
 public:
  Api(const std::string& host, int port, std::string base_path = "",
      std::string user = kDefaultEmail, std::string secret = kDefaultApiKey)
      : cli_(host, port),
        base_path_(std::move(base_path)),
        user_(std::move(user)),
        secret_(std::move(secret)) {
    cli_.set_read_timeout(10, 0);
    cli_.set_connection_timeout(5, 0);
  }

  Reply Get(const std::string& method_path) { return Wrap(cli_.Get(Target(method_path), Auth())); }
  Reply Post(const std::string& method_path, const Json& body) {
    return Wrap(cli_.Post(Target(method_path), Auth(), body.dump(), "application/json"));
  }
  Reply PostRaw(const std::string& method_path, const std::string& body,
                const std::string& content_type) {
    // An empty content_type makes httplib send no Content-Type header at all.
    return Wrap(cli_.Post(Target(method_path), Auth(), body, content_type));
  }
  Reply GetPath(const std::string& target, bool with_auth = true) {
    return Wrap(cli_.Get(target, with_auth ? Auth() : httplib::Headers{}));
  }
  httplib::Client& client() { return cli_; }
  std::string Target(const std::string& method_path) const {
    return base_path_ + "/index.php?/api/v2/" + method_path;
  }
  httplib::Headers Auth() const {
    return {httplib::make_basic_authentication_header(user_, secret_)};
  }

 private:
  static Reply Wrap(const httplib::Result& r) {
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    out.json = Json::parse(r->body, nullptr, false);
    return out;
  }

  httplib::Client cli_;
  std::string base_path_;
  std::string user_;
  std::string secret_;
};

// Standard instance: project 1 multi-suite (mode 3, suites 1 and 2, 600 cases each),
// project 2 single suite (mode 1), project 3 single suite + baselines (mode 2), project 4
// multi-suite again. Two custom statuses (ids 6, 7).
inline GenerateSpec StandardSpec() {
  GenerateSpec g;
  g.projects = 4;
  g.suites = 2;
  g.sections = 8;
  g.cases = 600;
  g.depth = 3;
  g.custom_statuses = 2;
  return g;
}

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { StartSim(SimulatorOptions{}); }
  void TearDown() override {
    if (sim_) sim_->Stop();
  }
  void StartSim(SimulatorOptions opts) {
    if (sim_) sim_->Stop();
    if (!opts.generate) opts.generate = StandardSpec();
    sim_ = std::make_unique<Simulator>(opts);
    std::string error;
    ASSERT_TRUE(sim_->Start(&error)) << error;
    api_ = std::make_unique<Api>("127.0.0.1", sim_->port(), opts.base_path);
  }
  // Sets knobs through the admin endpoint like an external test would.
  void AdminConfig(const Json& patch) {
    httplib::Client admin("127.0.0.1", sim_->port());
    auto r = admin.Post("/_sim/config", patch.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  int64_t AddRun(int64_t project, const Json& body) {
    Reply r = api_->Post("add_run/" + std::to_string(project), body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json.value("id", int64_t{0});
  }
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<Api> api_;
};

}  // namespace testrail_sim::testing
