// The HTTP front against slow and greedy clients (issue 13 row 2, R-Q-SEC): connections that
// trickle bytes neither hold workers nor outlive their deadlines, connections are capped per
// client address, and request bodies held in memory are bounded across connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.h"

namespace nexus::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A raw TCP connection to 127.0.0.1:port (closed by the destructor).
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawConn() { ::close(fd_); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until the peer closes or `timeout` passes; returns what arrived.
  std::string ReadAll(std::chrono::seconds timeout = std::chrono::seconds(5)) {
    timeval tv{static_cast<long>(timeout.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // True when the server has closed the connection (recv sees EOF or a reset) within `wait`.
  bool ClosedByPeerWithin(std::chrono::milliseconds wait) {
    timeval tv{0, static_cast<long>(wait.count()) * 1000};
    if (wait.count() >= 1000) tv = {static_cast<long>(wait.count() / 1000), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[256];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The socket closes before the server's completion handler counts the timeout: wait for it.
double MetricSoon(app::App& app, const std::string& name, const obs::Labels& labels) {
  for (int i = 0; i < 100; ++i) {
    double v = app.metrics().Value(name, labels);
    if (v > 0) return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}

// 200 connections that trickle a request head (more than the 64 worker threads the old
// thread-per-connection server had): a normal client is still answered at once.
TEST(SlowClientsTest, TricklingConnectionsDoNotStarveOtherClients) {
  ApiHarness h;
  std::vector<std::unique_ptr<RawConn>> slow;
  for (int i = 0; i < 200; ++i) {
    auto c = std::make_unique<RawConn>(h.port());
    ASSERT_TRUE(c->connected()) << i;
    ASSERT_TRUE(c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
    slow.push_back(std::move(c));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done) {
      for (auto& c : slow) c->Send("X-Slow: 1\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  httplib::Client client("127.0.0.1", h.port());
  client.set_read_timeout(5, 0);
  for (int i = 0; i < 20; ++i) {
    auto r = client.Get("/healthz");
    ASSERT_TRUE(r) << "request " << i << " got no answer while 200 clients trickle";
    EXPECT_EQ(r->status, 200);
  }
  done = true;
  trickle.join();
}

// A request head must be complete within its deadline however the bytes trickle in.
TEST(SlowClientsTest, ATrickledHeadIsCutAtItsDeadline) {
  ApiHarness h([](app::Config& c) { c.http_head_timeout_ms = 800; });
  RawConn c(h.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\n"));
  auto start = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - start < std::chrono::seconds(6)) {
    c.Send("X-Slow: 1\r\n");  // a byte every 100 ms would reset an idle timeout
    closed = c.ClosedByPeerWithin(std::chrono::milliseconds(100));
  }
  auto elapsed = Clock::now() - start;
  EXPECT_TRUE(closed) << "the trickling connection was never closed";
  EXPECT_LT(elapsed, std::chrono::seconds(4));
  EXPECT_GE(MetricSoon(h.app(), "nexus_http_timeouts_total", {{"phase", "head"}}), 1);
}

// A body must arrive within its deadline too.
TEST(SlowClientsTest, ATrickledBodyIsCutAtItsDeadline) {
  ApiHarness h([](app::Config& c) { c.http_body_timeout_ms = 800; });
  RawConn c(h.port());
  ASSERT_TRUE(
      c.Send("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 1000\r\n\r\n{"));
  auto start = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - start < std::chrono::seconds(6)) {
    c.Send(" ");
    closed = c.ClosedByPeerWithin(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  EXPECT_GE(MetricSoon(h.app(), "nexus_http_timeouts_total", {{"phase", "body"}}), 1);
}

// One address cannot hold more than its share of connections; the others are answered 503
// at once, and a slot frees when a connection closes.
TEST(SlowClientsTest, ConnectionsPerClientAddressAreCapped) {
  ApiHarness h([](app::Config& c) { c.http.max_connections_per_client = 4; });
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConn>(h.port()));
    ASSERT_TRUE(held.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // never finished
  }
  // The server counts a connection once it accepted it: give it a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    RawConn extra(h.port());
    std::string answer = extra.ReadAll();
    EXPECT_EQ(StatusOf(answer), 503) << answer;
    EXPECT_NE(answer.find("too_many_connections"), std::string::npos) << answer;
    EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos) << answer;
  }
  EXPECT_GE(MetricSoon(h.app(), "nexus_http_connections_refused_total", {{"reason", "per_client"}}),
            1);
  held.pop_back();  // one slot frees
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    RawConn again(h.port());
    again.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    status = StatusOf(again.ReadAll());
  }
  EXPECT_EQ(status, 200);
}

// Bodies held at once are bounded across connections: beyond the budget a request is refused
// with 503 + Retry-After before its body is read.
TEST(SlowClientsTest, BufferedBodiesAreBoundedAcrossConnections) {
  ApiHarness h([](app::Config& c) { c.http.max_buffered_body_bytes = 1024 * 1024; });
  auto head = [](size_t length) {
    return "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(length) + "\r\n\r\n{";
  };
  RawConn first(h.port());
  ASSERT_TRUE(first.Send(head(700 * 1024)));  // reserves 700 KiB, then stalls
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawConn second(h.port());
  ASSERT_TRUE(second.Send(head(700 * 1024)));
  std::string answer = second.ReadAll(std::chrono::seconds(3));
  EXPECT_EQ(StatusOf(answer), 503) << answer;
  EXPECT_NE(answer.find("server_busy"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos) << answer;
  // A small body still fits in what is left.
  httplib::Client client("127.0.0.1", h.port());
  auto r =
      client.Post("/api/v1/auth/login", R"({"email":"a@b.c","password":"x"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace nexus::testing

namespace nexus::testing {
namespace {

// The web UI's files: served with their type and the security headers; nothing outside the
// folder is reachable, however the path is spelled; HEAD answers the length without a body.
TEST(StaticFilesTest, ServesTheUiFolderAndNothingOutsideIt) {
  TempDir ui;
  std::filesystem::create_directories(ui.path() + "/ui/assets");
  std::ofstream(ui.path() + "/ui/index.html") << "<!doctype html><title>Nexus</title>";
  std::ofstream(ui.path() + "/ui/assets/app.js") << "console.log(1)";
  std::ofstream(ui.path() + "/secret.txt") << "not for you";
  const std::string big_js = "export const words = [" + std::string(8000, 'x') + "];";
  std::ofstream(ui.path() + "/ui/assets/big-3f2a.js") << big_js;
  ApiHarness h([&](app::Config& c) { c.static_dir = ui.path() + "/ui"; });
  httplib::Client client("127.0.0.1", h.port());
  auto index = client.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<!doctype html><title>Nexus</title>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index->get_header_value("X-Frame-Options"), "DENY");
  auto js = client.Get("/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  auto head = client.Head("/assets/app.js");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "14");
  EXPECT_TRUE(head->body.empty());
  // Hashed assets are cached for good; index.html is revalidated with its ETag (304).
  EXPECT_EQ(js->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(index->get_header_value("Cache-Control"), "no-cache");
  std::string etag = index->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = client.Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  // Text files travel gzipped when the browser accepts it (the client inflates them).
  httplib::Client gz("127.0.0.1", h.port());
  gz.set_decompress(false);
  auto packed = gz.Get("/assets/big-3f2a.js", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(packed);
  EXPECT_EQ(packed->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(packed->body.size(), big_js.size() / 10);
  // The build's brotli file goes to browsers that accept br.
  std::ofstream(ui.path() + "/ui/assets/big-3f2a.js.br") << "BROTLI-BYTES";
  std::filesystem::last_write_time(ui.path() + "/ui/assets/big-3f2a.js",
                                   std::filesystem::file_time_type::clock::now());
  auto br = gz.Get("/assets/big-3f2a.js", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_TRUE(br);
  EXPECT_EQ(br->get_header_value("Content-Encoding"), "br");
  EXPECT_EQ(br->body, "BROTLI-BYTES");
  auto plain = gz.Get("/assets/big-3f2a.js");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, big_js);
  for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt",
                           "/assets/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt"}) {
    RawConn c(h.port());
    ASSERT_TRUE(
        c.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string answer = c.ReadAll();
    EXPECT_EQ(answer.find("not for you"), std::string::npos) << path;
    EXPECT_TRUE(StatusOf(answer) == 404 || StatusOf(answer) == 400) << path << "\n" << answer;
  }
}

}  // namespace
}  // namespace nexus::testing
