// Adversarial benchmark (issue 13; figures in docs/benchmarks.md "Under attack"): a real
// Nexus (App, in this process) exports N results (default 10,000) to testrail-sim (a separate
// process, Cloud-like: 50 ms per call, 1 ms per result, 180 requests/min) while an attacker
// process (this binary with --attack) runs, all at once:
//   - 500 slow connections, one header line every 2 s, reconnecting when closed;
//   - 20 connections sending 100 MB chunked login bodies as fast as they can, over and over;
//   - 3,000 requests with bogus methods;
//   - 200 wrong logins (4 in parallel);
// and a normal client asks GET /healthz every 10 ms over a keep-alive connection.
// The attackers come from other loopback addresses (127.0.0.2-8) than the normal client and
// the export (127.0.0.1), as they would on a network.
//
// Goals: /healthz p99 < 100 ms throughout, the export completes with every result written
// exactly once, peak RSS of the Nexus process < 256 MiB, /metrics < 200 KB.
//
// Usage: adversarial_bench [--results 10000] [--duration-s 40] [--slow 500] [--chunked 20]
//        [--chunked-mb 100] [--bogus 3000] [--logins 200] [--sim PATH]
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "export_fixture.h"

extern char** environ;

namespace {

using nexus_bench::ArgFlag;
using nexus_bench::ArgInt;
using nexus_bench::ArgString;
using nexus_bench::Clock;
using nexus_bench::Die;
using nexus_bench::Json;
using nexus_bench::MsSince;
using nexus_bench::ProcStatusMiB;

// ---- The attacker (child process).

// A TCP connection from source address `from` (127.0.0.x) to 127.0.0.1:port; -1 on failure.
int Connect(const std::string& from, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// The status code of the answer on fd (reads the head only), or 0.
int ReadStatus(int fd) {
  std::string out;
  char buf[2048];
  while (out.find("\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(out.c_str() + 9) : 0;
}

struct Counts {
  std::mutex mu;
  std::map<std::string, int64_t> n;
  void Add(const std::string& k, int64_t v = 1) {
    std::lock_guard lock(mu);
    n[k] += v;
  }
};

// Slow connections: a request head that never ends, one header line every 2 s per
// connection; a connection the server closed is replaced at once.
void SlowLoris(int port, int count, Clock::time_point until, Counts& c) {
  struct Conn {
    int fd = -1;
    std::string from;
  };
  std::vector<Conn> conns(count);
  for (int i = 0; i < count; ++i) conns[i].from = "127.0.0." + std::to_string(2 + i % 4);
  while (Clock::now() < until) {
    for (auto& conn : conns) {
      if (conn.fd >= 0) {
        char b[512];
        ssize_t n = ::recv(conn.fd, b, sizeof b, MSG_DONTWAIT);
        if (n == 0 || (n > 0 && std::string(b, n).find(" 503 ") != std::string::npos) ||
            !SendAll(conn.fd, "X-Slow: 1\r\n")) {
          c.Add(n > 0 ? "slow_refused_503" : "slow_closed_by_server");
          ::close(conn.fd);
          conn.fd = -1;
        }
      }
      if (conn.fd < 0) {
        conn.fd = Connect(conn.from, port);
        if (conn.fd < 0 || !SendAll(conn.fd, "GET /healthz HTTP/1.1\r\nHost: nexus\r\n")) {
          c.Add("slow_connect_failed");
          if (conn.fd >= 0) ::close(conn.fd);
          conn.fd = -1;
        } else {
          c.Add("slow_connections_opened");
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  for (auto& conn : conns)
    if (conn.fd >= 0) ::close(conn.fd);
}

// A chunked login body of `mb` MB sent as fast as the server takes it, again and again.
void ChunkedFlood(int port, int64_t mb, Clock::time_point until, Counts& c) {
  const std::string chunk = [] {
    std::string data(64 * 1024, 'a');
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
  }();
  while (Clock::now() < until) {
    int fd = Connect("127.0.0.6", port);
    if (fd < 0) {
      c.Add("chunked_connect_failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    SendAll(fd,
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: nexus\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
    int64_t sent = 0;
    const int64_t total = mb * 1000 * 1000;
    while (sent < total && SendAll(fd, chunk)) sent += static_cast<int64_t>(chunk.size());
    if (sent >= total) SendAll(fd, "0\r\n\r\n");
    int status = ReadStatus(fd);
    c.Add("chunked_status_" + std::to_string(status));
    c.Add("chunked_bytes_accepted", sent);
    ::close(fd);
  }
}

void BogusMethods(int port, int count, Counts& c) {
  for (int i = 0; i < count; ++i) {
    int fd = Connect("127.0.0.7", port);
    if (fd < 0) {
      c.Add("bogus_connect_failed");
      continue;
    }
    SendAll(fd, "M" + std::to_string(100000 + i) + " / HTTP/1.1\r\nHost: nexus\r\n\r\n");
    c.Add("bogus_status_" + std::to_string(ReadStatus(fd)));
    ::close(fd);
  }
}

void WrongLogins(int port, int count, Counts& c) {
  httplib::Client client("127.0.0.1", port);
  client.set_interface("127.0.0.8");
  client.set_read_timeout(30, 0);
  for (int i = 0; i < count; ++i) {
    Json body = {{"email", "user" + std::to_string(i % 7) + "@example.com"},
                 {"password", "wrong-password-" + std::to_string(i)}};
    auto r = client.Post("/api/v1/auth/login", body.dump(), "application/json");
    c.Add("login_status_" + std::to_string(r ? r->status : 0));
  }
}

// The normal client: GET /healthz every 10 ms, latency of each.
Json Probe(int port, Clock::time_point until) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_read_timeout(10, 0);
  std::vector<double> ms;
  int64_t failures = 0;
  while (Clock::now() < until) {
    auto t0 = Clock::now();
    auto r = client.Get("/healthz");
    if (!r || r->status != 200)
      ++failures;
    else
      ms.push_back(MsSince(t0));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms.empty() ? -1.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  return {{"requests", ms.size() + failures},
          {"failures", failures},
          {"p50_ms", pct(0.50)},
          {"p99_ms", pct(0.99)},
          {"max_ms", ms.empty() ? -1.0 : ms.back()}};
}

int RunAttacker(int argc, char** argv) {
  const int port = static_cast<int>(ArgInt(argc, argv, "--port", 0));
  const auto until = Clock::now() + std::chrono::seconds(ArgInt(argc, argv, "--duration-s", 40));
  Counts c;
  std::vector<std::thread> threads;
  threads.emplace_back(SlowLoris, port, static_cast<int>(ArgInt(argc, argv, "--slow", 500)), until,
                       std::ref(c));
  for (int i = 0; i < ArgInt(argc, argv, "--chunked", 20); ++i)
    threads.emplace_back(ChunkedFlood, port, ArgInt(argc, argv, "--chunked-mb", 100), until,
                         std::ref(c));
  threads.emplace_back(BogusMethods, port, static_cast<int>(ArgInt(argc, argv, "--bogus", 3000)),
                       std::ref(c));
  const int logins = static_cast<int>(ArgInt(argc, argv, "--logins", 200));
  for (int i = 0; i < 4; ++i) threads.emplace_back(WrongLogins, port, logins / 4, std::ref(c));
  Json probe = Probe(port, until);
  for (auto& t : threads) t.join();
  Json out = {{"healthz", probe}, {"counts", c.n}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

// ---- The benchmark (parent): Nexus in this process, the attacker in a child.

// Starts this binary with --attack; returns its pid and the read end of its stdout.
std::pair<pid_t, FILE*> SpawnAttacker(int argc, char** argv, int port) {
  std::vector<std::string> args = {"/proc/self/exe", "--attack", "--port", std::to_string(port)};
  for (const char* flag :
       {"--duration-s", "--slow", "--chunked", "--chunked-mb", "--bogus", "--logins"}) {
    std::string v = ArgString(argc, argv, flag, "");
    if (!v.empty()) args.insert(args.end(), {flag, v});
  }
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) Die("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  if (posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, cargs.data(), environ) != 0)
    Die("cannot start the attacker");
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  return {pid, fdopen(fds[0], "r")};
}

int64_t CountOf(const Json& counts, const std::string& prefix) {
  int64_t n = 0;
  for (auto& [k, v] : counts.items())
    if (k.rfind(prefix, 0) == 0) n += v.get<int64_t>();
  return n;
}

int RunBenchmark(int argc, char** argv) {
  const int64_t n = ArgInt(argc, argv, "--results", 10000);
  std::string sim_bin = ArgString(argc, argv, "--sim", "");
  if (sim_bin.empty())
    sim_bin =
        (std::filesystem::canonical("/proc/self/exe").parent_path() / "testrail-sim").string();
  if (!std::getenv("NEXUS_BENCH_VERBOSE")) spdlog::set_level(spdlog::level::warn);

  nexus_bench::SimProcess sim(sim_bin,
                              "projects=1,suites=1,sections=20,cases=" + std::to_string(n));
  nexus_bench::TempDir dir("nexus-adversarial-bench");
  nexus_bench::Fixture f;
  {
    auto setup = nexus_bench::StartNexus(nexus_bench::NexusConfig(dir.path(), 0, 0));
    f = nexus_bench::Setup(*setup, sim, n, 1000);
  }
  auto app = nexus_bench::StartNexus(nexus_bench::NexusConfig(dir.path(), 180, 0));
  sim.FreshCloud(180, 50, 1);
  const auto base = sim.Stats();
  malloc_trim(0);
  const double rss_before = ProcStatusMiB("VmRSS");
  nexus_bench::ResetPeakRss();

  auto [pid, out] = SpawnAttacker(argc, argv, app->port());
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the attacks are under way
  nexus_bench::Rest rest(app->port(), f.token);
  auto t0 = Clock::now();
  Json export_answer =
      rest.Expect("POST", "/api/v1/projects/" + std::to_string(f.project) + "/testrail/exports",
                  {{"run_ids", f.run_ids}, {"custom_run_name", "Under attack"}}, 200);
  const double export_s = MsSince(t0) / 1000.0;

  std::string line;
  char buf[65536];
  while (out && std::fgets(buf, sizeof buf, out)) line += buf;
  if (out) std::fclose(out);
  int status = 0;
  waitpid(pid, &status, 0);
  Json attack = Json::parse(line, nullptr, false);
  if (attack.is_discarded()) Die("the attacker printed no figures: " + line);
  const double rss_peak = ProcStatusMiB("VmHWM");
  auto metrics = rest.http->Get("/metrics");
  const size_t metrics_bytes = metrics ? metrics->body.size() : 0;
  const auto after = sim.Stats();
  const int64_t written = after.results_written - base.results_written;

  const Json& h = attack["healthz"];
  const Json& c = attack["counts"];
  const bool exactly_once = export_answer["state"] == "succeeded" &&
                            export_answer["results_sent"].get<int64_t>() == n && written == n;
  std::printf("adversarial_bench: N=%lld results, attack %s s\n", static_cast<long long>(n),
              ArgString(argc, argv, "--duration-s", "40").c_str());
  std::printf("| measure | figure | goal |\n|---|---|---|\n");
  std::printf("| /healthz p50 / p99 / max | %.1f / %.1f / %.1f ms | p99 < 100 ms |\n",
              h["p50_ms"].get<double>(), h["p99_ms"].get<double>(), h["max_ms"].get<double>());
  std::printf("| /healthz answered | %lld of %lld | all |\n",
              static_cast<long long>(h["requests"].get<int64_t>() - h["failures"].get<int64_t>()),
              static_cast<long long>(h["requests"].get<int64_t>()));
  std::printf(
      "| export of %lld results | %s in %.1f s, %lld written (%lld 429s) | exactly once |\n",
      static_cast<long long>(n), export_answer["state"].get<std::string>().c_str(), export_s,
      static_cast<long long>(written),
      static_cast<long long>(after.rate_limited - base.rate_limited));
  std::printf("| peak RSS of Nexus | %.0f MiB (%.0f before) | < 256 MiB |\n", rss_peak, rss_before);
  std::printf("| /metrics size | %.1f KB | < 200 KB |\n", metrics_bytes / 1000.0);
  std::printf(
      "| slow connections opened / closed by the server / refused 503 | %lld / %lld / "
      "%lld | |\n",
      static_cast<long long>(CountOf(c, "slow_connections_opened")),
      static_cast<long long>(CountOf(c, "slow_closed_by_server")),
      static_cast<long long>(CountOf(c, "slow_refused_503")));
  std::printf(
      "| chunked 100 MB bodies: answered 413 / reset before the attacker read an answer / "
      "other; MB the attacker sent | %lld / %lld / %lld; %.0f MB | |\n",
      static_cast<long long>(CountOf(c, "chunked_status_413")),
      static_cast<long long>(CountOf(c, "chunked_status_0")),
      static_cast<long long>(CountOf(c, "chunked_status_") - CountOf(c, "chunked_status_413") -
                             CountOf(c, "chunked_status_0")),
      CountOf(c, "chunked_bytes_accepted") / 1e6);
  std::printf("| bogus methods: 404 / other | %lld / %lld | |\n",
              static_cast<long long>(CountOf(c, "bogus_status_404")),
              static_cast<long long>(CountOf(c, "bogus_status_") - CountOf(c, "bogus_status_404")));
  std::printf("| wrong logins: 401 / 429 / other | %lld / %lld / %lld | |\n",
              static_cast<long long>(CountOf(c, "login_status_401")),
              static_cast<long long>(CountOf(c, "login_status_429")),
              static_cast<long long>(CountOf(c, "login_status_") - CountOf(c, "login_status_401") -
                                     CountOf(c, "login_status_429")));
  const bool ok = exactly_once && h["p99_ms"].get<double>() < 100 && h["failures"] == 0 &&
                  rss_peak < 256 && metrics_bytes < 200'000;
  std::printf("adversarial_bench: %s\n", ok ? "all goals met" : "GOALS MISSED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  nexus_bench::g_program = "adversarial_bench";
  if (ArgFlag(argc, argv, "--attack")) return RunAttacker(argc, argv);
  return RunBenchmark(argc, argv);
}
