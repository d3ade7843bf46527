// The HTTP front against hostile clients (R-Q-SEC): body limits in every transfer
// encoding, JSON depth/size limits before a tree is built, metric labels from a closed set,
// JSON-only bodies, security headers and private data files.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "api_harness.h"

namespace nexus::testing {
namespace {

// Sends `request` on a fresh connection to 127.0.0.1:port and returns what the server answered
// until it closed the connection or went quiet for 5 s. Send errors (the server may close
// before the whole request is written) are ignored: the answer is what matters.
std::string RawExchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.find("\r\n\r\n") != std::string::npos && out.find("}") != std::string::npos) break;
  }
  ::close(fd);
  return out;
}

std::string Chunked(const std::string& path, const std::string& body, size_t chunk) {
  std::string req = "POST " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += chunk) {
    std::string part = body.substr(i, chunk);
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", part.size());
    req += size + part + "\r\n";
  }
  return req + "0\r\n\r\n";
}

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}

// A chunked body is held to the same 2 MiB limit as one with Content-Length.
TEST(HardeningTest, ChunkedBodyOverTheLimitIs413) {
  ApiHarness h;
  std::string big = R"({"email":")" + std::string(3 * 1024 * 1024, 'a') + R"(","password":"x"})";
  std::string answer = RawExchange(h.port(), Chunked("/api/v1/auth/login", big, 64 * 1024));
  EXPECT_EQ(StatusOf(answer), 413) << answer.substr(0, 300);
  EXPECT_NE(answer.find("payload_too_large"), std::string::npos) << answer.substr(0, 300);
  // A chunked body under the limit is read and handled as usual.
  std::string small = R"({"email":"nobody@example.com","password":"wrong password"})";
  std::string ok = RawExchange(h.port(), Chunked("/api/v1/auth/login", small, 7));
  EXPECT_EQ(StatusOf(ok), 401) << ok.substr(0, 300);
}

TEST(HardeningTest, ContentLengthOverTheLimitIs413) {
  ApiHarness h;
  std::string token = h.CreateUserToken("admin@example.com", true);
  std::string big = R"({"name":")" + std::string(3 * 1024 * 1024, 'a') + R"("})";
  HttpResult r = h.Call("POST", "/api/v1/projects", token, big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.code(), "payload_too_large");
  auto projects = h.Get("/api/v1/projects", token);
  EXPECT_TRUE(projects.body["items"].empty()) << "nothing is written";
}

// A Content-Length over every limit is refused before the body is read, naming the limit of
// the route it was sent to: an artifact upload's (hundreds of MiB), not the 2 MiB of JSON routes.
TEST(HardeningTest, HugeContentLengthIsRefusedWithTheRoutesOwnLimit) {
  ApiHarness h;
  std::string token = h.CreateUserToken("admin@example.com", true);
  auto head = [&](const std::string& path, const std::string& type) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: " + type + "\r\nContent-Length: 10737418240\r\n\r\n";
  };
  auto limit_named = [](const std::string& answer) -> long long {
    size_t at = answer.find("larger than ");
    if (at == std::string::npos) return -1;
    return std::stoll(answer.substr(at + 12));
  };
  std::string json = RawExchange(h.port(), head("/api/v1/projects", "application/json"));
  EXPECT_EQ(StatusOf(json), 413) << json.substr(0, 300);
  EXPECT_EQ(limit_named(json), 2 * 1024 * 1024) << json.substr(0, 400);
  std::string upload =
      RawExchange(h.port(), head("/api/v1/projects/1/runs/1/artifacts?name=v.mp4", "video/mp4"));
  EXPECT_EQ(StatusOf(upload), 413) << upload.substr(0, 300);
  EXPECT_NE(upload.find("payload_too_large"), std::string::npos) << upload.substr(0, 300);
  EXPECT_GT(limit_named(upload), 2 * 1024 * 1024) << upload.substr(0, 400);
}

// Depth and value count are checked while scanning, before a tree is built.
TEST(HardeningTest, DeeplyNestedOrHugeJsonIsRefusedWithASpecificError) {
  ApiHarness h;
  std::string token = h.CreateUserToken("admin@example.com", true);
  std::string deep = R"({"name":)" + std::string(500000, '[') + std::string(500000, ']') + "}";
  HttpResult r = h.Call("POST", "/api/v1/projects", token, deep);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.code(), "too_deep") << r.raw.substr(0, 200);
  std::string many = R"({"name":[)";
  for (int i = 0; i < 150000; ++i) many += i ? ",1" : "1";
  many += "]}";
  r = h.Call("POST", "/api/v1/projects", token, many);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.code(), "too_many_values") << r.raw.substr(0, 200);
  // Within the limits the usual validation answers.
  r = h.Call("POST", "/api/v1/projects", token, R"({"name":[[1]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.code(), "invalid_type");
}

// Only JSON bodies are accepted.
TEST(HardeningTest, NonJsonBodiesAre415AndChangeNothing) {
  ApiHarness h;
  std::string token = h.CreateUserToken("admin@example.com", true);
  httplib::Client c("127.0.0.1", h.port());
  httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  auto r = c.Post("/api/v1/projects", auth, R"({"name":"P"})", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_NE(r->body.find("unsupported_media_type"), std::string::npos);
  r = c.Post("/api/v1/projects", auth, R"({"name":"P"})", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_TRUE(h.Get("/api/v1/projects", token).body["items"].empty());
  r = c.Post("/api/v1/projects", auth, R"({"name":"P"})", "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
}

// Wrong passwords are throttled per account and address with 429 + Retry-After; while
// throttled not even the right password is checked (no argon2 cost), and other accounts and
// the owner after the wait are served.
TEST(HardeningTest, RepeatedWrongLoginsAreThrottledWith429AndRetryAfter) {
  ApiHarness h;
  ASSERT_TRUE(
      h.app().auth().CreateUser("ana@example.com", "Ana", "right horse battery", false).ok());
  ASSERT_TRUE(
      h.app().auth().CreateUser("bo@example.com", "Bo", "another good passphrase", false).ok());
  Json wrong = {{"email", "ana@example.com"}, {"password", "wrong guess here"}};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.Post("/api/v1/auth/login", "", wrong).status, 401) << i;
  HttpResult r = h.Post("/api/v1/auth/login", "", wrong);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.code(), "too_many_attempts");
  std::string retry;
  for (const auto& [k, v] : r.headers)
    if (k == "Retry-After") retry = v;
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  Json right = {{"email", "ana@example.com"}, {"password", "right horse battery"}};
  EXPECT_EQ(h.Post("/api/v1/auth/login", "", right).status, 429) << "not checked while waiting";
  Json bo = {{"email", "bo@example.com"}, {"password", "another good passphrase"}};
  EXPECT_EQ(h.Post("/api/v1/auth/login", "", bo).status, 200) << "other accounts are served";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(h.Post("/api/v1/auth/login", "", right).status, 200) << "served after the wait";
}

// A client-chosen method never becomes a metric label.
TEST(HardeningTest, UnknownMethodsShareOneMetricLabel) {
  ApiHarness h;
  for (int i = 0; i < 50; ++i) {
    std::string m = "BOGUS" + std::to_string(i);
    RawExchange(h.port(), m + " / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  httplib::Client c("127.0.0.1", h.port());
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body.find("BOGUS"), std::string::npos);
  EXPECT_NE(metrics->body.find("method=\"other\""), std::string::npos) << metrics->body;
}

// Security headers on every response.
TEST(HardeningTest, EveryResponseCarriesSecurityHeaders) {
  ApiHarness h;
  httplib::Client c("127.0.0.1", h.port());
  for (const char* path : {"/healthz", "/api/v1/me", "/no/such/route"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer") << path;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos)
        << path;
  }
}

// The data directory and the files holding hashes and keys are private.
TEST(HardeningTest, DataDirectoryAndDatabaseArePrivate) {
  std::string data_dir;
  // A data dir that does not exist yet (created by Nexus), and one that exists world-readable.
  for (bool exists : {false, true}) {
    ApiHarness h([&](app::Config& c) {
      data_dir = c.data_dir + "/data";
      if (exists) {
        std::filesystem::create_directories(data_dir);
        ::chmod(data_dir.c_str(), 0755);
      }
      c.data_dir = data_dir;
    });
    struct stat st {};
    ASSERT_EQ(::stat(data_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    std::string db = data_dir + "/nexus.db";
    ASSERT_EQ(::stat(db.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string wal = db + "-wal";
    if (::stat(wal.c_str(), &st) == 0) {
      EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
    std::string key = data_dir + "/secret.key";
    if (::stat(key.c_str(), &st) == 0) {
      EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
  }
}

}  // namespace
}  // namespace nexus::testing
