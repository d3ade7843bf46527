// TestRailClient + CurlTransport against in-process httplib servers on 127.0.0.1:0: every
// failure a user can meet while connecting (R-CONN-2) with the message they see, the SSRF
// guard on real sockets, keep-alive reuse, TLS (self-signed: fails, insecure/CA bundle:
// works), timeouts, 429 storms, and that the API key never reaches messages or logs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "testrail/client.h"
#include "testrail/curl_transport.h"
#include "testrail/errors.h"

namespace nexus::testrail {
namespace {

constexpr char kUser[] = "qa@example.com";
constexpr char kKey[] = "TOPSECRET-api-key-9f8e7d";
// base64(kUser:kKey), what the Authorization header carries.
constexpr char kBasic[] = "cWFAZXhhbXBsZS5jb206VE9QU0VDUkVULWFwaS1rZXktOWY4ZTdk";

// Runs an httplib server (plain or TLS) on 127.0.0.1:0 in a joined background thread.
template <typename ServerT>
class ServerRunner {
 public:
  template <typename... Args>
  explicit ServerRunner(Args&&... args) : server_(std::forward<Args>(args)...) {}
  ~ServerRunner() { Stop(); }
  ServerT& server() { return server_; }
  void Start() {
    // The client keeps connections alive; a short server-side keep-alive lets Stop() return
    // quickly instead of waiting out httplib's 5 s default.
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  ServerT server_;
  std::thread thread_;
  int port_ = 0;
};

// Serves a minimal TestRail at the root: checks Basic auth, answers get_projects /
// get_statuses / get_user_by_email; `mode` switches to canned failures.
struct FakeTestRail {
  std::atomic<int> mode{0};  // 0 ok, 1 api disabled, 2 html, 3 slow, 4 429 storm
  std::atomic<int> storm_remaining{0};
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<int> remote_ports;  // guarded by mu

  void Install(httplib::Server& svr) {
    svr.Get("/index.php", [this](const httplib::Request& req, httplib::Response& res) {
      ++calls;
      {
        std::lock_guard<std::mutex> lock(mu);
        remote_ports.push_back(req.remote_port);
      }
      std::string method = req.target.substr(req.target.find("api/v2/") + 7);
      method = method.substr(0, method.find_first_of("/&"));
      if (mode == 2) {
        res.set_content("<!DOCTYPE html><html><body>Welcome to our intranet</body></html>",
                        "text/html");
        return;
      }
      if (mode == 3) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      if (mode == 4 && storm_remaining.fetch_sub(1) > 0) {
        res.status = 429;
        res.set_header("Retry-After", "1");
        res.set_content(
            R"({"error":"API Rate Limit Exceeded - 180 per minute maximum allowed. Retry after 1 seconds."})",
            "application/json");
        return;
      }
      if (mode == 1) {
        res.status = 403;
        res.set_content(
            R"({"error":"The API is disabled for your installation. It can be enabled in the administration area in TestRail under Administration > Site Settings > API."})",
            "application/json");
        return;
      }
      std::string expected = std::string("Basic ") + kBasic;
      if (req.get_header_value("Authorization") != expected) {
        res.status = 401;
        res.set_content(
            R"({"error":"Authentication failed: invalid or missing user/password or session cookie."})",
            "application/json");
        return;
      }
      if (method == "get_projects") {
        res.set_content(
            R"({"offset":0,"limit":250,"size":1,"_links":{"next":null,"prev":null},"projects":[{"id":1,"name":"Demo","suite_mode":3}]})",
            "application/json");
      } else if (method == "get_statuses") {
        res.set_content(R"([{"id":1,"name":"passed","label":"Passed","is_final":true}])",
                        "application/json");
      } else if (method == "get_user_by_email") {
        res.set_content(R"({"id":3,"name":"QA","email":"qa@example.com","is_active":true})",
                        "application/json");
      } else {
        res.status = 404;
        res.set_content(R"({"error":"Unknown method"})", "application/json");
      }
    });
  }
};

class ClientHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
      unsetenv(v);
    }
  }
  std::unique_ptr<TestRailClient> Client(const std::string& url, TestRailClientOptions o = {},
                                         std::string key = kKey) {
    TestRailConfig config{url, kUser, std::move(key), o};
    auto c = TestRailClient::Create(config, transport_, budgets_, &metrics_);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return std::move(c).value();
  }
  static TestRailClientOptions Local() {
    TestRailClientOptions o;
    o.allow_private = true;
    o.requests_per_minute = 0;
    o.connect_timeout_ms = 2000;
    o.request_timeout_ms = 5000;
    o.retry.max_attempts = 2;
    o.retry.base_backoff_ms = 10;
    return o;
  }
  // Every Status the tests produce, for the secrets check.
  void Keep(const Status& st) { statuses_.push_back(st); }

  obs::Metrics metrics_;
  RateBudgets budgets_{nullptr, &metrics_};
  CurlTransport transport_;
  std::vector<Status> statuses_;
};

TEST_F(ClientHttpTest, VerifySucceedsAndReusesConnection) {
  FakeTestRail tr;
  ServerRunner<httplib::Server> srv;
  tr.Install(srv.server());
  srv.Start();
  auto client = Client("http://127.0.0.1:" + std::to_string(srv.port()) + "/", Local());
  Result<VerifyInfo> info = client->Verify();
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->projects_on_first_page, 1);
  ASSERT_TRUE(info->user.has_value());
  EXPECT_EQ(info->user->id, 3);
  ASSERT_TRUE(client->GetStatuses().ok());
  std::lock_guard<std::mutex> lock(tr.mu);
  ASSERT_EQ(tr.remote_ports.size(), 3u);
  EXPECT_EQ(tr.remote_ports[0], tr.remote_ports[2]);  // keep-alive: same client socket
}

TEST_F(ClientHttpTest, ConnectionFailuresHaveClearMessages) {
  FakeTestRail tr;
  ServerRunner<httplib::Server> srv;
  tr.Install(srv.server());
  srv.Start();
  const std::string url = "http://127.0.0.1:" + std::to_string(srv.port());

  // Wrong key.
  Status st = Client(url, Local(), "wrong-key")->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "auth_failed");
  EXPECT_EQ(st.message(), "Authentication failed: TestRail rejected the user or API key.");

  // API disabled.
  tr.mode = 1;
  st = Client(url, Local())->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "api_disabled");
  EXPECT_EQ(st.message(),
            "The TestRail API is disabled on this instance: enable it under Administration > "
            "Site Settings > API.");

  // An HTML page that is not TestRail.
  tr.mode = 2;
  st = Client(url, Local())->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "not_testrail");
  EXPECT_EQ(st.message(),
            "'127.0.0.1' answered with an HTML page (HTTP 200), not the TestRail "
            "API — check the URL.");

  // Timeout: the server sleeps 1.5 s, the client waits 0.3 s.
  tr.mode = 3;
  TestRailClientOptions o = Local();
  o.request_timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  st = Client(url, o)->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "timeout");
  EXPECT_EQ(st.code(), StatusCode::kTimeout);
  EXPECT_EQ(st.message(), "TestRail did not answer within 0.3 s.");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
  tr.mode = 0;
}

TEST_F(ClientHttpTest, NothingListeningIsConnectionRefused) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);  // nothing listens on `port` now
  Status st = Client("http://127.0.0.1:" + std::to_string(port), Local())->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "connection_refused");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(st.message(),
            "Could not connect to '127.0.0.1': the connection was refused "
            "(nothing is listening there).");
}

TEST_F(ClientHttpTest, DnsFailureIsFast) {
  auto start = std::chrono::steady_clock::now();
  Status st = Client("https://nexus-test-host.invalid", Local())->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "dns_failure");
  EXPECT_EQ(st.message(), "Could not resolve host 'nexus-test-host.invalid'.");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ClientHttpTest, SsrfGuardRefusesResolvedAddresses) {
  TestRailClientOptions o = Local();
  struct Case {
    std::string url;
    bool allow_private;
    std::string message;
  };
  const Case cases[] = {
      {"http://169.254.169.254", true,
       "'169.254.169.254' resolves to the cloud metadata address (169.254.169.254); refused."},
      {"http://169.254.10.10:8080", true,
       "'169.254.10.10' resolves to a link-local address (169.254.10.10); refused."},
      {"http://0.0.0.0:9", true, "resolves to the unspecified address (0.0.0.0); refused."},
      {"http://127.0.0.1:9", false,
       "'127.0.0.1' resolves to a loopback address (127.0.0.1); refused. Private and loopback "
       "TestRail hosts are allowed only when the server is configured to allow them."},
      {"http://localhost:9", false, "resolves to a loopback address"},
      // Plain http to a public address would send the API key in clear; it is
      // refused before connecting (192.0.2.1 is TEST-NET-1: no packet leaves).
      {"http://192.0.2.1:9", false,
       "'192.0.2.1' is a public address and the URL uses http://: the API key would cross the "
       "network unencrypted; refused. Use https://, or start Nexus with "
       "--testrail-allow-insecure-http"},
      {"HTTP://[2002:c000:201::1]:9", true, "is a public address and the URL uses http://"},
      // An embedded loopback address is loopback, whatever its wrapping.
      {"http://[::127.0.0.1]:9", false, "resolves to a loopback address"},
      {"http://[2002:7f00:1::1]:9", false, "resolves to a loopback address"},
  };
  for (const Case& c : cases) {
    o.allow_private = c.allow_private;
    Status st = Client(c.url, o)->Verify().status();
    Keep(st);
    EXPECT_EQ(st.reason(), "blocked_address") << c.url << ": " << st.message();
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
}

TEST_F(ClientHttpTest, TlsSelfSignedFailsUnlessInsecureOrTrusted) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("nexus-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() +
      " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      ">/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  FakeTestRail tr;
  ServerRunner<httplib::SSLServer> srv((dir / "cert.pem").c_str(), (dir / "key.pem").c_str());
  tr.Install(srv.server());
  srv.Start();
  const std::string url = "https://127.0.0.1:" + std::to_string(srv.port());

  Status st = Client(url, Local())->Verify().status();
  Keep(st);
  EXPECT_EQ(st.reason(), "tls_failure");
  EXPECT_EQ(st.message().rfind("TLS handshake with '127.0.0.1' failed: ", 0), 0u) << st.message();

  TestRailClientOptions insecure = Local();
  insecure.insecure = true;
  EXPECT_TRUE(Client(url, insecure)->Verify().ok());

  TestRailClientOptions trusted = Local();
  trusted.ca_bundle = (dir / "cert.pem").string();
  Result<VerifyInfo> ok = Client(url, trusted)->Verify();
  EXPECT_TRUE(ok.ok()) << ok.status().message();
  srv.Stop();
  std::filesystem::remove_all(dir);
}

TEST_F(ClientHttpTest, RateLimitStormIsAbsorbed) {
  FakeTestRail tr;
  ServerRunner<httplib::Server> srv;
  tr.Install(srv.server());
  srv.Start();
  tr.storm_remaining = 3;
  tr.mode = 4;
  auto client = Client("http://127.0.0.1:" + std::to_string(srv.port()), Local());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 3; ++j) {
        if (!client->GetStatuses().ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(metrics_.Value("nexus_testrail_429_total"), 3);
  EXPECT_GE(metrics_.Value("nexus_testrail_rate_limit_wait_seconds_total"), 1.0);
}

TEST_F(ClientHttpTest, ApiKeyNeverInMessagesOrLogs) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  FakeTestRail tr;
  ServerRunner<httplib::Server> srv;
  tr.Install(srv.server());
  srv.Start();
  const std::string url = "http://127.0.0.1:" + std::to_string(srv.port());
  TestRailClientOptions o = Local();
  o.insecure = true;  // logs a warning naming the instance
  auto client = Client(url, o);
  Keep(client->Verify().status());
  Keep(Client(url, o, std::string(kKey) + "x")->Verify().status());  // 401
  Keep(client->Get("get_nothing/1").status());                       // 404
  tr.mode = 2;
  Keep(client->GetStatuses().status());
  tr.mode = 4;
  tr.storm_remaining = 1;
  Keep(client->GetStatuses().status());
  tr.mode = 0;
  Keep(client->Post("add_run/1", {{"name", "x"}}).status());
  logger->flush();
  spdlog::set_default_logger(previous);

  const std::string basic = kBasic;
  EXPECT_NE(log.str().find("TLS certificate verification is DISABLED"), std::string::npos);
  EXPECT_NE(log.str().find("retrying"), std::string::npos);  // the 429 was logged
  EXPECT_EQ(log.str().find(kKey), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find(basic), std::string::npos);
  EXPECT_EQ(log.str().find("Authorization"), std::string::npos);
  ASSERT_GT(statuses_.size(), 5u);
  for (const Status& st : statuses_) {
    EXPECT_EQ(st.message().find(kKey), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find(basic), std::string::npos) << st.message();
    EXPECT_EQ(st.reason().find(kKey), std::string::npos);
    EXPECT_EQ(st.ToString().find(kKey), std::string::npos);
  }
}

}  // namespace
}  // namespace nexus::testrail
