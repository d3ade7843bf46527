// Small helpers shared by the benchmarks in bench/ (docs/benchmarks.md): fatal errors,
// timing, process memory from /proc, a temporary data directory, a REST client for the
// Nexus API with a Bearer token, command-line flags and simulator Stats deltas.
// Header-only; every benchmark is a single translation unit.
#pragma once

#include <httplib.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace nexus_bench {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The program name used by Die(); set it first thing in main().
inline const char* g_program = "bench";

[[noreturn]] inline void Die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", g_program, msg.c_str());
  std::exit(1);
}

inline double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A key of /proc/<pid>/status ("VmRSS", "VmHWM") in MiB; -1 when unavailable.
inline double ProcStatusMiB(const std::string& key, const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream ss(line.substr(key.size() + 1));
      double kb = 0;
      ss >> kb;
      return kb / 1024.0;
    }
  }
  return -1;
}

// Resets VmHWM of this process to its current RSS (Linux >= 4.0); false when not permitted.
inline bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// Peak RSS of the whole process lifetime (ru_maxrss) in MiB.
inline double MaxRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "nexus-bench") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) Die("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The Nexus REST API over one keep-alive connection, authenticated with a Bearer token.
struct Rest {
  std::unique_ptr<httplib::Client> http;
  std::string token;

  Rest(int port, std::string tok)
      : http(std::make_unique<httplib::Client>("127.0.0.1", port)), token(std::move(tok)) {
    http->set_keep_alive(true);
    http->set_read_timeout(600, 0);
  }
  std::pair<int, Json> Call(const std::string& method, const std::string& path,
                            const Json& body = nullptr) {
    httplib::Headers h{{"Authorization", "Bearer " + token}};
    httplib::Result r{nullptr, httplib::Error::Unknown};
    std::string b = body.is_null() ? "" : body.dump();
    if (method == "GET")
      r = http->Get(path, h);
    else if (method == "POST")
      r = http->Post(path, h, b, "application/json");
    else if (method == "PATCH")
      r = http->Patch(path, h, b, "application/json");
    else
      r = http->Put(path, h, b, "application/json");
    if (!r) Die(method + " " + path + ": " + httplib::to_string(r.error()));
    return {r->status, Json::parse(r->body, nullptr, false)};
  }
  // Dies unless the answer has status `want`.
  Json Expect(const std::string& method, const std::string& path, const Json& body, int want) {
    auto [status, j] = Call(method, path, body);
    if (status != want) {
      std::string text = j.dump();
      if (text.size() > 2000) text = text.substr(0, 2000) + "...";
      Die(method + " " + path + " -> " + std::to_string(status) + " " + text);
    }
    return j;
  }
};

// "--name VALUE" from the command line, or `def`.
inline std::string ArgString(int argc, char** argv, const std::string& name,
                             const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return def;
}

inline int64_t ArgInt(int argc, char** argv, const std::string& name, int64_t def) {
  std::string v = ArgString(argc, argv, name, "");
  return v.empty() ? def : std::atoll(v.c_str());
}

inline bool ArgFlag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == name) return true;
  return false;
}

// Per-method call counts of `after` minus `before` (methods with no change left out).
inline std::map<std::string, int64_t> CallsDelta(const std::map<std::string, int64_t>& before,
                                                 const std::map<std::string, int64_t>& after) {
  std::map<std::string, int64_t> out;
  for (const auto& [m, n] : after) {
    auto it = before.find(m);
    int64_t d = n - (it == before.end() ? 0 : it->second);
    if (d) out[m] = d;
  }
  return out;
}

// "add_run 1, close_run 1".
inline std::string MethodsText(const std::map<std::string, int64_t>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k + " " + std::to_string(v);
  return s;
}

}  // namespace nexus_bench
