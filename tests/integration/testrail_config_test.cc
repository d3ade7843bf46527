// Configs → TestRail end to end: the real Nexus server (App on 127.0.0.1:0) against the
// in-process TestRail simulator on loopback. Covers every failure a user can meet while
// connecting (and the exact message they see), the secret handling of the API key, project
// and suite selection, statuses, the status mapping, options, permissions and the feature
// flag.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "api/api_harness.h"
#include "simulator.h"

namespace nexus {
namespace {

using testing::ApiHarness;
using testing::HttpResult;
using Json = nlohmann::json;

constexpr int kRequestTimeoutMs = 2000;
const std::string kKey = testrail_sim::kDefaultApiKey;
const std::string kUser = testrail_sim::kDefaultEmail;

// Captures everything logged through spdlog's default logger while alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    old_level_ = spdlog::default_logger()->level();
    spdlog::default_logger()->sinks().push_back(sink_);
    spdlog::default_logger()->set_level(spdlog::level::trace);
    sink_->set_level(spdlog::level::trace);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    spdlog::default_logger()->set_level(old_level_);
  }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  spdlog::level::level_enum old_level_;
};

class TestRailConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testrail_sim::SimulatorOptions so;
    testrail_sim::GenerateSpec spec;
    spec.projects = 4;  // 1: mode 3 (3 suites); 2: mode 1; 3: mode 2; 4: mode 3
    spec.suites = 3;
    spec.sections = 2;
    spec.cases = 5;
    spec.custom_statuses = 2;
    so.generate = spec;
    sim_ = std::make_unique<testrail_sim::Simulator>(so);
    std::string error;
    ASSERT_TRUE(sim_->Start(&error)) << error;

    h_ = std::make_unique<ApiHarness>([](app::Config& c) {
      c.testrail_allow_private = true;
      c.testrail_request_timeout_ms = kRequestTimeoutMs;
      c.testrail_connect_timeout_ms = kRequestTimeoutMs;
    });
    admin_ = h_->CreateUserToken("admin@nexus.test", true);
    int64_t cm_id = 0, viewer_id = 0, editor_id = 0;
    cm_ = h_->CreateUserToken("cm@nexus.test", false, &cm_id);
    viewer_ = h_->CreateUserToken("viewer@nexus.test", false, &viewer_id);
    editor_ = h_->CreateUserToken("editor@nexus.test", false, &editor_id);
    outsider_ = h_->CreateUserToken("outsider@nexus.test");
    auto p = h_->Post("/api/v1/projects", admin_, {{"name", "Shop"}});
    ASSERT_EQ(p.status, 201) << p.raw;
    project_ = p.body["id"].get<int64_t>();
    base_ = "/api/v1/projects/" + std::to_string(project_) + "/testrail";
    std::string members = "/api/v1/projects/" + std::to_string(project_) + "/members/";
    ASSERT_EQ(h_->Put(members + std::to_string(cm_id), admin_, {{"role", "config-manager"}}).status,
              200);
    ASSERT_EQ(h_->Put(members + std::to_string(viewer_id), admin_, {{"role", "viewer"}}).status,
              200);
    ASSERT_EQ(h_->Put(members + std::to_string(editor_id), admin_, {{"role", "editor"}}).status,
              200);
    EnableFeature(true);
  }

  void EnableFeature(bool on) {
    auto r = h_->Put("/api/v1/projects/" + std::to_string(project_) + "/features", admin_,
                     {{"testrail", on}});
    ASSERT_EQ(r.status, 200) << r.raw;
  }

  HttpResult Connect(const std::string& url, const std::string& user = kUser,
                     const std::optional<std::string>& key = kKey, const std::string& token = "") {
    Json body = {{"url", url}, {"user", user}};
    if (key) body["api_key"] = *key;
    auto r = h_->Put(base_ + "/connection", token.empty() ? cm_ : token, body);
    seen_.push_back(r.raw);
    return r;
  }

  HttpResult ConnectSim() {
    auto r = Connect(sim_->base_url());
    EXPECT_EQ(r.status, 200) << r.raw;
    return r;
  }

  HttpResult Get(const std::string& path, const std::string& token = "") {
    auto r = h_->Get(base_ + path, token.empty() ? cm_ : token);
    seen_.push_back(r.raw);
    return r;
  }
  HttpResult Put(const std::string& path, const Json& body, const std::string& token = "") {
    auto r = h_->Put(base_ + path, token.empty() ? cm_ : token, body);
    seen_.push_back(r.raw);
    return r;
  }

  static Json DefaultMappingJson() {
    Json labels = {
        {"NoBug", 1}, {"LikelyNoBug", 1}, {"Undecided", 4}, {"LikelyBug", 5}, {"DefinitelyBug", 5}};
    Json none = {{"NoBug", nullptr},
                 {"LikelyNoBug", nullptr},
                 {"Undecided", nullptr},
                 {"LikelyBug", nullptr},
                 {"DefinitelyBug", nullptr}};
    return {{"mode", "basic"},
            {"basic", labels},
            {"advanced",
             {{"Success", labels}, {"Stopped", labels}, {"MaxSteps", labels}, {"Error", none}}}};
  }

  std::unique_ptr<testrail_sim::Simulator> sim_;
  std::unique_ptr<ApiHarness> h_;
  std::string admin_, cm_, viewer_, editor_, outsider_;
  int64_t project_ = 0;
  std::string base_;
  std::vector<std::string> seen_;  // every response body, for the secret checks
};

// ---- Feature flag and permissions.

TEST_F(TestRailConfigTest, EverythingIs404WhileTheFeatureIsOff) {
  EnableFeature(false);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", ""},
                                                        {"PUT", "/connection"},
                                                        {"DELETE", "/connection"},
                                                        {"GET", "/remote/projects"},
                                                        {"PUT", "/project"},
                                                        {"GET", "/remote/suites"},
                                                        {"PUT", "/suites"},
                                                        {"GET", "/statuses"},
                                                        {"GET", "/mapping"},
                                                        {"PUT", "/mapping"},
                                                        {"POST", "/mapping/reset"},
                                                        {"PUT", "/options"}}) {
    for (const std::string& token : {admin_, cm_, viewer_}) {
      auto r = h_->Call(method, base_ + path, token, "{}");
      EXPECT_EQ(r.status, 404) << method << " " << path;
      EXPECT_EQ(r.code(), "feature_disabled") << method << " " << path;
    }
  }
  // Nothing reached TestRail.
  EXPECT_EQ(sim_->Stats().total_calls, 0);
  EnableFeature(true);
  EXPECT_EQ(Get("").status, 200);
}

TEST_F(TestRailConfigTest, UnknownOrInvisibleProjectIs404) {
  EXPECT_EQ(h_->Get("/api/v1/projects/999/testrail", admin_).status, 404);
  auto r = h_->Get(base_, outsider_);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.code(), "feature_disabled");
  EXPECT_EQ(h_->Put(base_ + "/connection", outsider_,
                    {{"url", sim_->base_url()}, {"user", kUser}, {"api_key", kKey}})
                .status,
            404);
}

TEST_F(TestRailConfigTest, ViewersReadConfigManagersChange) {
  // Viewer and editor cannot change anything or call TestRail through Nexus.
  for (const std::string& token : {viewer_, editor_}) {
    EXPECT_EQ(Connect(sim_->base_url(), kUser, kKey, token).status, 403);
    EXPECT_EQ(Get("/remote/projects", token).status, 403);
    EXPECT_EQ(Get("/remote/suites", token).status, 403);
    EXPECT_EQ(Put("/project", {{"testrail_project_id", 1}}, token).status, 403);
    EXPECT_EQ(Put("/suites", {{"suite_ids", {1}}}, token).status, 403);
    EXPECT_EQ(Put("/mapping", DefaultMappingJson(), token).status, 403);
    EXPECT_EQ(h_->Post(base_ + "/mapping/reset", token, Json::object()).status, 403);
    EXPECT_EQ(Put("/options", {{"auto_export", true}}, token).status, 403);
    EXPECT_EQ(h_->Delete(base_ + "/connection", token).status, 403);
    EXPECT_EQ(Get("/statuses?refresh=1", token).status, 403);
  }
  EXPECT_EQ(sim_->Stats().total_calls, 0);
  // Config manager (and admin) can.
  ConnectSim();
  EXPECT_EQ(Get("/remote/projects", admin_).status, 200);
  // Issue 12 item 8: readers do not see the connection (URL, user, key's last 4) nor the
  // mapping; they read the summary (connected, project, suites, export defaults) and the
  // statuses (badge colours).
  for (const std::string& token : {viewer_, editor_}) {
    auto v = Get("", token);
    EXPECT_EQ(v.status, 403) << v.raw;
    EXPECT_NE(v.message().find("project:edit-configs"), std::string::npos) << v.raw;
    EXPECT_EQ(v.raw.find(sim_->base_url()), std::string::npos);
    EXPECT_EQ(Get("/mapping", token).status, 403);
    auto sum = Get("/summary", token);
    ASSERT_EQ(sum.status, 200) << sum.raw;
    EXPECT_EQ(sum.body["connected"], true);
    EXPECT_EQ(sum.body["close_run_on_completion"], true);
    EXPECT_EQ(sum.raw.find(sim_->base_url()), std::string::npos) << sum.raw;
    EXPECT_EQ(sum.raw.find(kUser), std::string::npos) << sum.raw;
    EXPECT_FALSE(sum.body.contains("connection"));
    EXPECT_EQ(Get("/statuses", token).status, 200);
  }
  EXPECT_EQ(Get("/summary", outsider_).status, 404);
  EXPECT_TRUE(Get("", cm_).body["connection"]["api_key_set"].get<bool>());
  auto forbidden = Connect(sim_->base_url(), kUser, kKey, viewer_);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_NE(forbidden.message().find("project:edit-configs"), std::string::npos)
      << forbidden.message();
}

// ---- Connecting.

TEST_F(TestRailConfigTest, SaveAndConnectShowsOnlyTheLastFourCharacters) {
  auto before = Get("");
  ASSERT_EQ(before.status, 200);
  EXPECT_TRUE(before.body["connection"].is_null());
  EXPECT_TRUE(before.body["project"].is_null());
  EXPECT_TRUE(before.body["statuses_cached_at"].is_null());

  // The URL is normalised: trailing slash and a pasted dashboard path go away.
  auto r = Connect(sim_->base_url() + "/index.php?/dashboard");
  ASSERT_EQ(r.status, 200) << r.raw;
  const Json& c = r.body["connection"];
  EXPECT_EQ(c["url"], sim_->base_url());
  EXPECT_EQ(c["user"], kUser);
  EXPECT_EQ(c["api_key_set"], true);
  EXPECT_EQ(c["api_key_last4"], "0001");
  EXPECT_EQ(c["verified"], true);
  EXPECT_TRUE(c["connected_at"].is_string());
  EXPECT_TRUE(c["connected_by"].is_number_integer());
  EXPECT_FALSE(c.contains("api_key"));
  EXPECT_TRUE(r.body["statuses_cached_at"].is_string());
  EXPECT_EQ(r.body["mapping"], DefaultMappingJson());
  EXPECT_EQ(r.body["invalid_mapping_cells"], Json::array());
  EXPECT_EQ(r.body["options"],
            Json({{"close_run_on_completion", true},
                  {"auto_export", false},
                  {"run_name_template", nullptr},
                  {"milestone_id", nullptr},
                  {"attachments",
                   {{"mode", "none"}, {"media_types", Json::array()}, {"max_bytes", 268435456}}}}));
  EXPECT_EQ(r.raw.find(kKey), std::string::npos);
  EXPECT_EQ(Get("").body, r.body);
}

struct ConnectFailure {
  int status;
  std::string code;
  std::string message;
};

void ExpectFailure(const HttpResult& r, const ConnectFailure& f) {
  EXPECT_EQ(r.status, f.status) << r.raw;
  EXPECT_EQ(r.code(), f.code) << r.raw;
  EXPECT_EQ(r.message(), f.message) << r.raw;
}

TEST_F(TestRailConfigTest, WrongKeyAndWrongUserSayAuthenticationFailed) {
  ConnectFailure auth{422, "auth_failed",
                      "Authentication failed: TestRail rejected the user or API key."};
  ExpectFailure(Connect(sim_->base_url(), kUser, "wrong-key-123456"), auth);
  ExpectFailure(Connect(sim_->base_url(), "nobody@example.com", kKey), auth);
  EXPECT_TRUE(Get("").body["connection"].is_null());
}

TEST_F(TestRailConfigTest, ApiDisabledSaysWhereToEnableIt) {
  auto cfg = sim_->config();
  cfg.api_disabled = true;
  sim_->SetConfig(cfg);
  ExpectFailure(Connect(sim_->base_url()),
                {422, "api_disabled",
                 "The TestRail API is disabled on this instance: enable it under Administration > "
                 "Site Settings > API."});
  EXPECT_TRUE(Get("").body["connection"].is_null());
}

TEST_F(TestRailConfigTest, NothingListeningIsConnectionRefused) {
  // A port that was free a moment ago: bound (never listened on), then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  ExpectFailure(Connect("http://127.0.0.1:" + std::to_string(port)),
                {502, "connection_refused",
                 "Could not connect to '127.0.0.1': the connection was refused (nothing is "
                 "listening there)."});
}

TEST_F(TestRailConfigTest, SelfSignedTlsIsATlsFailure) {
  testrail_sim::SimulatorOptions so;
  so.tls = true;
  testrail_sim::Simulator tls(so);
  std::string error;
  ASSERT_TRUE(tls.Start(&error)) << error;
  auto r = Connect(tls.base_url());
  EXPECT_EQ(r.status, 502) << r.raw;
  EXPECT_EQ(r.code(), "tls_failure");
  EXPECT_EQ(r.message().rfind("TLS handshake with '127.0.0.1' failed: ", 0), 0u) << r.message();
  EXPECT_TRUE(Get("").body["connection"].is_null());
}

TEST_F(TestRailConfigTest, AnHtmlPageIsNotTestRail) {
  httplib::Server html;
  html.Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<!DOCTYPE html><html><body>Welcome to our intranet</body></html>",
                    "text/html");
  });
  int port = html.bind_to_any_port("127.0.0.1");
  std::thread t([&] { html.listen_after_bind(); });
  auto r = Connect("http://127.0.0.1:" + std::to_string(port));
  html.stop();
  t.join();
  ExpectFailure(r, {502, "not_testrail",
                    "'127.0.0.1' answered with an HTML page (HTTP 200), not the TestRail API — "
                    "check the URL."});
}

TEST_F(TestRailConfigTest, SlowTestRailIsATimeout) {
  auto cfg = sim_->config();
  cfg.latency_ms = kRequestTimeoutMs + 1500;
  sim_->SetConfig(cfg);
  ExpectFailure(Connect(sim_->base_url()), {504, "timeout", "TestRail did not answer within 2 s."});
  EXPECT_TRUE(Get("").body["connection"].is_null());
}

TEST_F(TestRailConfigTest, A429StormStillConnects) {
  auto cfg = sim_->config();
  cfg.rate_limit_per_minute = 60;
  sim_->SetConfig(cfg);
  // Drain the instance's bucket with direct calls, as other clients of the instance would.
  httplib::Client direct("127.0.0.1", sim_->port());
  direct.set_basic_auth(kUser, kKey);
  for (int i = 0; i < 70; ++i) direct.Get("/index.php?/api/v2/get_statuses");
  ASSERT_GT(sim_->Stats().rate_limited, 0);
  sim_->ResetStats();
  auto r = Connect(sim_->base_url());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["connection"]["verified"], true);
  EXPECT_GT(sim_->Stats().rate_limited, 0) << "the storm did not happen";
}

TEST_F(TestRailConfigTest, BadInputIsRejectedBeforeCallingTestRail) {
  auto r = Connect("ftp://testrail.example.com");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "url");
  r = Connect("https://user:pw@acme.testrail.io");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "url");
  r = Connect(sim_->base_url(), "not-an-email");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "user");
  r = Connect(sim_->base_url(), kUser, std::nullopt);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "api_key");
  r = h_->Put(base_ + "/connection", cm_,
              {{"url", sim_->base_url()}, {"user", kUser}, {"api_key", kKey}, {"apikey", 1}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.code(), "unknown_field");
  r = h_->Call("PUT", base_ + "/connection", cm_, "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(sim_->Stats().total_calls, 0);
  // Cloud metadata addresses are never allowed, even with private hosts enabled.
  r = Connect("http://169.254.169.254");
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(r.code(), "blocked_address");
  EXPECT_EQ(r.field(), "url");
}

TEST_F(TestRailConfigTest, FailedReconnectKeepsThePreviousConnection) {
  auto ok = ConnectSim();
  ASSERT_EQ(Put("/project", {{"testrail_project_id", 2}}).status, 200);
  auto before = Get("");
  // Wrong key, unreachable host, API disabled: each fails and changes nothing.
  EXPECT_EQ(Connect(sim_->base_url(), kUser, "another-wrong-key").status, 422);
  EXPECT_EQ(Connect("http://127.0.0.1:1").status, 502);
  auto cfg = sim_->config();
  cfg.api_disabled = true;
  sim_->SetConfig(cfg);
  EXPECT_EQ(Connect(sim_->base_url()).status, 422);
  cfg.api_disabled = false;
  sim_->SetConfig(cfg);
  EXPECT_EQ(Get("").body, before.body);
  // The stored key still works.
  auto projects = Get("/remote/projects");
  ASSERT_EQ(projects.status, 200) << projects.raw;
  EXPECT_EQ(projects.body["items"].size(), 4u);
}

TEST_F(TestRailConfigTest, ResavingWithoutAKeyKeepsTheStoredOne) {
  ConnectSim();
  auto again = Connect(sim_->base_url() + "/", "ADMIN@example.com", std::nullopt);
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["connection"]["api_key_last4"], "0001");
  EXPECT_EQ(again.body["connection"]["user"], "ADMIN@example.com");
  // Another host without a key: refused, the stored key is never sent elsewhere.
  auto other = Connect("http://127.0.0.2:9", kUser, std::nullopt);
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(other.field(), "api_key");
  auto other_user = Connect(sim_->base_url(), "someone@example.com", std::nullopt);
  EXPECT_EQ(other_user.status, 400);
  EXPECT_EQ(other_user.field(), "api_key");
}

TEST_F(TestRailConfigTest, DisconnectRemovesCredentialsKeepsSelection) {
  ConnectSim();
  ASSERT_EQ(Put("/project", {{"testrail_project_id", 2}}).status, 200);
  auto d = h_->Delete(base_ + "/connection", cm_);
  EXPECT_EQ(d.status, 204);
  auto after = Get("");
  EXPECT_TRUE(after.body["connection"].is_null());
  EXPECT_EQ(after.body["project"]["id"], 2);
  auto remote = Get("/remote/projects");
  EXPECT_EQ(remote.status, 409);
  EXPECT_EQ(remote.code(), "not_connected");
  EXPECT_EQ(h_->Delete(base_ + "/connection", cm_).status, 204);  // idempotent
  // Reconnecting to the same instance restores the selection; the key must be given again.
  EXPECT_EQ(Connect(sim_->base_url(), kUser, std::nullopt).status, 400);
  auto back = ConnectSim();
  EXPECT_EQ(back.body["project"]["id"], 2);
}

// ---- Secrets.

// After the master key changes, every route that needs the stored key answers
// 409 secret_unreadable (not 500), the configuration says the key is unreadable and not
// verified, and entering the key again repairs it.
TEST_F(TestRailConfigTest, AChangedMasterKeySaysSecretUnreadableEverywhere) {
  ConnectSim();
  h_->app().Stop();
  std::string data_dir = h_->data_dir();
  ApiHarness h2([&](app::Config& c) {
    c.data_dir = data_dir;
    c.secret_key = std::string(64, 'a');  // another master key
    c.testrail_allow_private = true;
    c.testrail_request_timeout_ms = kRequestTimeoutMs;
    c.testrail_connect_timeout_ms = kRequestTimeoutMs;
  });
  auto cfg = h2.Get(base_, cm_);
  ASSERT_EQ(cfg.status, 200) << cfg.raw;
  EXPECT_EQ(cfg.body["connection"]["api_key_readable"], false);
  EXPECT_EQ(cfg.body["connection"]["verified"], false);
  EXPECT_EQ(cfg.body["connection"]["api_key_set"], true);
  for (const std::string path : {"/remote/projects", "/statuses?refresh=1"}) {
    auto r = h2.Get(base_ + path, cm_);
    EXPECT_EQ(r.status, 409) << path << " " << r.raw;
    EXPECT_EQ(r.code(), "secret_unreadable") << path;
    EXPECT_NE(r.message().find("Re-enter"), std::string::npos) << r.message();
  }
  auto resave = h2.Put(base_ + "/connection", cm_, {{"url", sim_->base_url()}, {"user", kUser}});
  EXPECT_EQ(resave.status, 409) << resave.raw;
  EXPECT_EQ(resave.code(), "secret_unreadable");
  auto fixed = h2.Put(base_ + "/connection", cm_,
                      {{"url", sim_->base_url()}, {"user", kUser}, {"api_key", kKey}});
  ASSERT_EQ(fixed.status, 200) << fixed.raw;
  EXPECT_EQ(fixed.body["connection"]["api_key_readable"], true);
  EXPECT_EQ(fixed.body["connection"]["verified"], true);
  EXPECT_EQ(h2.Get(base_ + "/remote/projects", cm_).status, 200);
  for (const std::string& raw : {cfg.raw, resave.raw, fixed.raw})
    EXPECT_EQ(raw.find(kKey), std::string::npos) << "the key never appears";
}

TEST_F(TestRailConfigTest, ApiKeyIsEncryptedAtRest) {
  ConnectSim();
  std::string all;
  // Every file the data dir holds, at any depth (artifact blobs live in blobs/).
  for (const auto& e : std::filesystem::recursive_directory_iterator(h_->data_dir())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    all += std::string(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(all.find("testrail_configs"), std::string::npos) << "database not found";
  ASSERT_NE(all.find(sim_->base_url()), std::string::npos) << "connection row not found";
  EXPECT_EQ(all.find(kKey), std::string::npos) << "API key stored in plaintext";
  EXPECT_EQ(all.find("nexus-sim-demo"), std::string::npos);
  // The generated master key file is private.
  struct stat sb {};
  ASSERT_EQ(::stat((std::filesystem::path(h_->data_dir()) / "secret.key").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(sb.st_size, 32);
}

TEST_F(TestRailConfigTest, ApiKeyNeverAppearsInResponsesLogsOrErrors) {
  LogCapture logs;
  const std::string bad_key = "Xy9-unique-wrong-key-Qz7";
  ConnectSim();
  Connect(sim_->base_url(), kUser, bad_key);                 // auth failure
  Connect("http://127.0.0.1:1", kUser, bad_key);             // refused
  Connect("ftp://x.example.com", kUser, bad_key);            // bad URL
  Connect("http://169.254.169.254", kUser, bad_key);         // blocked
  Connect(sim_->base_url(), "nobody@example.com", bad_key);  // wrong user
  auto cfg = sim_->config();
  cfg.latency_ms = kRequestTimeoutMs + 1000;
  sim_->SetConfig(cfg);
  Connect(sim_->base_url(), kUser, bad_key);  // timeout
  cfg.latency_ms = 0;
  sim_->SetConfig(cfg);
  Connect(sim_->base_url());  // success again
  Get("");
  Get("/remote/projects");
  Put("/project", {{"testrail_project_id", 1}});
  Get("/remote/suites");
  Get("/statuses?refresh=1");
  Get("/mapping");
  Get("", viewer_);
  seen_.push_back(h_->Get("/metrics", "").raw);
  std::string log = logs.text();
  ASSERT_FALSE(log.empty());
  for (const std::string& secret :
       {kKey, bad_key, std::string("bmV4dXMtc2ltLWRlbW8tYXBpLWtleS0wMDAx") /* base64(key) */}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "in logs: " << secret;
    for (const auto& body : seen_)
      EXPECT_EQ(body.find(secret), std::string::npos) << "in response: " << body;
  }
  // base64 of "user:key" (the Authorization header) is nowhere either.
  std::string basic = "YWRtaW5AZXhhbXBsZS5jb206bmV4dXMtc2ltLWRlbW8tYXBpLWtleS0wMDAx";
  EXPECT_EQ(log.find(basic), std::string::npos);
}

// ---- Project and suites.

TEST_F(TestRailConfigTest, ProjectSelectionRecordsSuiteMode) {
  ConnectSim();
  auto list = Get("/remote/projects");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 4u);
  EXPECT_EQ(list.body["items"][0]["suite_mode"], 3);

  auto unknown = Put("/project", {{"testrail_project_id", 999}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.field(), "testrail_project_id");
  EXPECT_EQ(unknown.code(), "unknown_project");
  EXPECT_EQ(Put("/project", {{"testrail_project_id", "1"}}).status, 400);
  EXPECT_EQ(Put("/project", Json::object()).status, 400);

  auto multi = Put("/project", {{"testrail_project_id", 1}});
  ASSERT_EQ(multi.status, 200) << multi.raw;
  EXPECT_EQ(multi.body["project"]["id"], 1);
  EXPECT_EQ(multi.body["project"]["suite_mode"], 3);
  EXPECT_EQ(multi.body["project"]["name"], list.body["items"][0]["name"]);
  EXPECT_EQ(multi.body["suites"], Json::array());

  // Single-suite projects (mode 1, mode 2 with one suite) select their only suite.
  for (int id : {2, 3}) {
    auto single = Put("/project", {{"testrail_project_id", id}});
    ASSERT_EQ(single.status, 200) << single.raw;
    EXPECT_EQ(single.body["project"]["suite_mode"], id == 2 ? 1 : 2);
    ASSERT_EQ(single.body["suites"].size(), 1u) << single.raw;
    auto suites = Get("/remote/suites");
    ASSERT_EQ(suites.body["items"].size(), 1u);
    EXPECT_EQ(single.body["suites"][0]["id"], suites.body["items"][0]["id"]);
  }
}

TEST_F(TestRailConfigTest, SuiteSearchAndSelection) {
  ConnectSim();
  auto none = Get("/remote/suites");
  EXPECT_EQ(none.status, 409);
  EXPECT_EQ(none.code(), "no_project_selected");
  // Suite ids of another project, for the foreign-id check.
  ASSERT_EQ(Put("/project", {{"testrail_project_id", 2}}).status, 200);
  int64_t foreign = Get("/remote/suites").body["items"][0]["id"];

  ASSERT_EQ(Put("/project", {{"testrail_project_id", 1}}).status, 200);
  auto all = Get("/remote/suites");
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(all.body["items"].size(), 3u);
  // Search: case-insensitive substring of the name.
  std::string name = all.body["items"][1]["name"];
  std::string needle = name.substr(1, 2);
  for (char& ch : needle) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto found = Get("/remote/suites?q=" + needle);
  ASSERT_EQ(found.status, 200);
  bool has = false;
  for (const auto& s : found.body["items"]) has |= s["name"] == name;
  EXPECT_TRUE(has) << found.raw;
  EXPECT_EQ(Get("/remote/suites?q=zzz-no-such-suite").body["items"].size(), 0u);

  int64_t a = all.body["items"][0]["id"], b = all.body["items"][2]["id"];
  auto bad = Put("/suites", {{"suite_ids", {a, foreign}}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
  EXPECT_EQ(bad.field(), "suite_ids[1]");
  EXPECT_EQ(bad.code(), "unknown_suite");
  EXPECT_EQ(Put("/suites", {{"suite_ids", Json::array()}}).status, 400);
  EXPECT_EQ(Put("/suites", {{"suite_ids", {"x"}}}).status, 400);

  auto sel = Put("/suites", {{"suite_ids", {b, a, b}}});
  ASSERT_EQ(sel.status, 200) << sel.raw;
  ASSERT_EQ(sel.body["suites"].size(), 2u);
  EXPECT_EQ(sel.body["suites"][0]["id"], std::min(a, b));
  EXPECT_EQ(sel.body["suites"][1]["id"], std::max(a, b));
  EXPECT_EQ(Get("").body["suites"], sel.body["suites"]);
  // Re-selecting the same project keeps the suites.
  EXPECT_EQ(Put("/project", {{"testrail_project_id", 1}}).body["suites"].size(), 2u);
}

// ---- Statuses and mapping.

TEST_F(TestRailConfigTest, StatusesIncludeCustomOnesWithLabelAndColour) {
  ConnectSim();
  auto r = Get("/statuses");
  ASSERT_EQ(r.status, 200) << r.raw;
  const Json& items = r.body["items"];
  ASSERT_EQ(items.size(), 7u);
  EXPECT_TRUE(r.body["fetched_at"].is_string());
  EXPECT_EQ(items[0]["id"], 1);
  EXPECT_EQ(items[0]["label"], "Passed");
  EXPECT_EQ(items[2]["id"], 3);
  EXPECT_EQ(items[2]["selectable"], false);
  EXPECT_EQ(items[5]["id"], 6);
  EXPECT_EQ(items[5]["name"], "custom_status1");
  EXPECT_EQ(items[5]["label"], "Skipped");
  EXPECT_EQ(items[5]["is_system"], false);
  EXPECT_EQ(items[5]["selectable"], true);
  EXPECT_EQ(items[5]["color"].get<std::string>().size(), 7u);
  EXPECT_TRUE(items[5]["color_medium"].is_number_integer());
  // Cached: no TestRail call without refresh.
  sim_->ResetStats();
  EXPECT_EQ(Get("/statuses").status, 200);
  EXPECT_EQ(sim_->Stats().total_calls, 0);
  sim_->model().SetCustomStatuses(3);
  auto fresh = Get("/statuses?refresh=1");
  ASSERT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.body["items"].size(), 8u);
  EXPECT_EQ(sim_->Stats().calls["get_statuses"], 1);
  EXPECT_EQ(Get("/statuses?refresh=maybe").status, 400);
}

TEST_F(TestRailConfigTest, MappingDefaultsValidationAndReset) {
  ConnectSim();
  auto d = Get("/mapping");
  ASSERT_EQ(d.status, 200);
  Json expected = DefaultMappingJson();
  expected["invalid_cells"] = Json::array();
  EXPECT_EQ(d.body, expected);

  // Advanced with a custom status and a not-reported cell.
  Json m = DefaultMappingJson();
  m["mode"] = "advanced";
  m["advanced"]["Stopped"]["LikelyBug"] = 6;
  m["advanced"]["Error"]["DefinitelyBug"] = 2;
  m["advanced"]["Success"]["Undecided"] = nullptr;
  auto saved = Put("/mapping", m);
  ASSERT_EQ(saved.status, 200) << saved.raw;
  Json expect_saved = m;
  expect_saved["invalid_cells"] = Json::array();
  EXPECT_EQ(saved.body, expect_saved);
  EXPECT_EQ(Get("/mapping").body, expect_saved);
  EXPECT_EQ(Get("").body["mapping"], m);

  // Untested is never a target; the offending cell is named.
  Json untested = m;
  untested["basic"]["LikelyBug"] = 3;
  auto r = Put("/mapping", untested);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "basic.LikelyBug");
  EXPECT_EQ(r.code(), "invalid_status");
  EXPECT_NE(r.message().find("Untested"), std::string::npos);
  // Unknown status.
  Json unknown = m;
  unknown["advanced"]["MaxSteps"]["NoBug"] = 42;
  r = Put("/mapping", unknown);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "advanced.MaxSteps.NoBug");
  EXPECT_EQ(r.code(), "unknown_status");
  // Shape errors.
  Json missing = m;
  missing["advanced"].erase("Error");
  r = Put("/mapping", missing);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "advanced.Error");
  Json missing_label = m;
  missing_label["basic"].erase("NoBug");
  EXPECT_EQ(Put("/mapping", missing_label).field(), "basic.NoBug");
  Json wrong_type = m;
  wrong_type["basic"]["NoBug"] = "1";
  EXPECT_EQ(Put("/mapping", wrong_type).field(), "basic.NoBug");
  Json bad_mode = m;
  bad_mode["mode"] = "fancy";
  EXPECT_EQ(Put("/mapping", bad_mode).field(), "mode");
  Json extra = m;
  extra["basic"]["Maybe"] = 1;
  r = Put("/mapping", extra);
  EXPECT_EQ(r.field(), "basic.Maybe");
  EXPECT_EQ(r.code(), "unknown_field");
  // Nothing of the rejected ones was saved.
  EXPECT_EQ(Get("/mapping").body, expect_saved);

  auto reset = h_->Post(base_ + "/mapping/reset", cm_, Json::object());
  ASSERT_EQ(reset.status, 200) << reset.raw;
  EXPECT_EQ(reset.body, expected);
  EXPECT_EQ(Get("/mapping").body, expected);
}

// A damaged stored value (statuses_json / mapping_json) is never a crash: the statuses
// answer 500 "cached TestRail statuses are unreadable" until refreshed, the configuration
// still loads, and an unreadable mapping shows the defaults until saved again.
TEST_F(TestRailConfigTest, UnreadableStoredStatusesAndMapping) {
  ConnectSim();
  auto damage = [&](const std::string& column) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((h_->data_dir() + "/nexus.db").c_str(), &db), SQLITE_OK);
    // The server's writer may hold the lock for a moment (a catalog sync job).
    sqlite3_busy_timeout(db, 20000);
    const std::string sql = "UPDATE testrail_configs SET " + column +
                            " = 'not json' WHERE project_id = " + std::to_string(project_);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  };
  damage("statuses_json");
  auto r = Get("/statuses");
  EXPECT_EQ(r.status, 500) << r.raw;
  EXPECT_EQ(r.message(), "cached TestRail statuses are unreadable");
  r = Put("/mapping", DefaultMappingJson());
  EXPECT_EQ(r.status, 500) << r.raw;
  EXPECT_EQ(r.message(), "cached TestRail statuses are unreadable");
  EXPECT_EQ(Get("").status, 200);
  EXPECT_EQ(Get("/mapping").status, 200);
  ASSERT_EQ(Get("/statuses?refresh=1").status, 200);
  EXPECT_EQ(Get("/statuses").body["items"].size(), 7u);

  Json m = DefaultMappingJson();
  m["basic"]["Undecided"] = 6;
  ASSERT_EQ(Put("/mapping", m).status, 200);
  damage("mapping_json");
  Json expected = DefaultMappingJson();
  expected["invalid_cells"] = Json::array();
  r = Get("/mapping");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, expected);
  ASSERT_EQ(Put("/mapping", m).status, 200);
  EXPECT_EQ(Get("/mapping").body["basic"]["Undecided"], 6);
}

TEST_F(TestRailConfigTest, MappingIsFlaggedWhenTheInstanceDropsAStatus) {
  ConnectSim();
  Json m = DefaultMappingJson();
  m["basic"]["Undecided"] = 7;  // custom_status2
  m["advanced"]["Stopped"]["NoBug"] = 6;
  ASSERT_EQ(Put("/mapping", m).status, 200);
  sim_->model().SetCustomStatuses(0);
  // Still valid against the cache until the statuses are refreshed.
  EXPECT_EQ(Get("/mapping").body["invalid_cells"], Json::array());
  ASSERT_EQ(Get("/statuses?refresh=1").status, 200);
  auto flagged = Get("/mapping");
  EXPECT_EQ(flagged.body["invalid_cells"], Json({"basic.Undecided", "advanced.Stopped.NoBug"}));
  EXPECT_EQ(Get("").body["invalid_mapping_cells"], flagged.body["invalid_cells"]);
  // The stored mapping is kept (flagged, not silently changed), and saving it again fails.
  EXPECT_EQ(flagged.body["basic"]["Undecided"], 7);
  auto again = Put("/mapping", m);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.field(), "basic.Undecided");
}

// ---- Options.

TEST_F(TestRailConfigTest, OptionsValidateAndPersist) {
  auto r = Put("/options", {{"run_name_template", std::string(251, 'x')}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.field(), "run_name_template");
  EXPECT_EQ(Put("/options", {{"run_name_template", ""}}).field(), "run_name_template");
  // Issue 12 item 6: an unknown placeholder is named, with the known ones; nothing saved.
  auto before_bad = Get("").body["options"];
  auto bad = Put("/options", {{"run_name_template", "Nightly {nope} {date}"}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
  EXPECT_EQ(bad.field(), "run_name_template");
  std::string msg = bad.body["error"]["message"];
  EXPECT_NE(msg.find("{nope}"), std::string::npos) << msg;
  for (const char* known : {"{project}", "{source}", "{date}", "{time}", "{count}", "{type}"})
    EXPECT_NE(msg.find(known), std::string::npos) << known << " in " << msg;
  EXPECT_EQ(Put("/options", {{"run_name_template", "Half {date"}}).field(), "run_name_template");
  EXPECT_EQ(Get("").body["options"], before_bad);
  EXPECT_EQ(Put("/options", {{"run_name_template", "{{literal}} {project} {date}"}}).status, 200);
  EXPECT_EQ(Put("/options", {{"milestone_id", 0}}).field(), "milestone_id");
  EXPECT_EQ(Put("/options", {{"milestone_id", "3"}}).field(), "milestone_id");
  EXPECT_EQ(Put("/options", {{"auto_export", 1}}).field(), "auto_export");
  EXPECT_EQ(Put("/options", {{"colour", "red"}}).code(), "unknown_field");

  // 250 characters (multi-byte ones count once) are fine.
  std::string name;
  for (int i = 0; i < 250; ++i) name += "é";
  auto ok = Put("/options", {{"close_run_on_completion", false},
                             {"auto_export", true},
                             {"run_name_template", name},
                             {"milestone_id", 12}});
  ASSERT_EQ(ok.status, 200) << ok.raw;
  Json expected = {
      {"close_run_on_completion", false},
      {"auto_export", true},
      {"run_name_template", name},
      {"milestone_id", 12},
      {"attachments",
       {{"mode", "none"}, {"media_types", Json::array()}, {"max_bytes", 268435456}}}};  // default
  EXPECT_EQ(ok.body, expected);
  EXPECT_EQ(Get("").body["options"], expected);
  // Partial update; null clears.
  auto partial = Put("/options", {{"milestone_id", nullptr}, {"auto_export", false}});
  ASSERT_EQ(partial.status, 200);
  expected["milestone_id"] = nullptr;
  expected["auto_export"] = false;
  EXPECT_EQ(partial.body, expected);
  EXPECT_EQ(Get("/summary", viewer_).body["close_run_on_completion"],
            expected["close_run_on_completion"]);
}

// ---- Observability.

TEST_F(TestRailConfigTest, MetricsCountTestRailCalls) {
  ConnectSim();
  Get("/remote/projects");
  auto m = h_->Get("/metrics", "");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.raw.find("nexus_testrail_requests_total{"), std::string::npos);
  EXPECT_NE(m.raw.find("method=\"get_projects\""), std::string::npos) << m.raw;
  EXPECT_NE(m.raw.find("method=\"get_statuses\""), std::string::npos);
}

}  // namespace
}  // namespace nexus
