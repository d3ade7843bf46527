// JUnit import benchmark (issue 18; goal: 100,000 testcases / ~50 MB in < 10 s with peak RSS
// < 150 MiB). Generates a report in the shape of a large Surefire/pytest run (90% passed,
// 6% failures with stack traces and output, 1% errors, 3% skipped, 1 in 50 linked to no
// case), then measures, each in a fresh child process:
//   local   `nexus import junit FILE --data-dir DIR` (parse + checks + one transaction)
//   server  `nexus serve` + `nexus import junit FILE --server URL --token T` (gzip, upload,
//           import): the CLI's wall time and the server's peak RSS (VmHWM)
//   repost  the same command again (idempotent: hash + lookup, no write)
// Usage: junit_import_bench [--testcases 100000] [--nexus build/nexus]
//          [--system-out-bytes N]  every testcase also writes N bytes of <system-out> (a
//                                  100,000-testcase report of ~50 MB: --system-out-bytes 220)
//          [--db URL]              the local import into this (PostgreSQL) database instead
//                                  of the data dir's SQLite file; it must be empty (the server
//                                  part keeps SQLite)
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/app.h"
#include "bench_util.h"

using namespace nexus_bench;

namespace {

struct ChildResult {
  int exit_code = -1;
  double wall_ms = 0;
  double max_rss_mib = 0;
  double cpu_s = 0;  // user + system: what the run costs whatever else the machine does
};

// Runs argv with stdout/stderr to /dev/null; wall time and the child's peak RSS.
ChildResult RunChild(const std::vector<std::string>& args) {
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    FILE* devnull = std::fopen("/dev/null", "w");
    dup2(fileno(devnull), 1);
    dup2(fileno(devnull), 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  ChildResult r;
  r.wall_ms = MsSince(t0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.max_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  r.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return r;
}

std::string Pad(int i, int width) {
  std::string s = std::to_string(i);
  return std::string(width > static_cast<int>(s.size()) ? width - s.size() : 0, '0') + s;
}

// A line of console output as a test writes it, `bytes` long (at least one line).
std::string ConsoleOutput(int i, size_t bytes) {
  std::string out;
  while (out.size() < bytes) {
    out += "2026-11-30 10:00:0" + std::to_string(out.size() % 10) + " INFO  [checkout-" +
           std::to_string(i) + "] step " + std::to_string(out.size()) + " done\n";
  }
  out.resize(bytes);
  if (!out.empty()) out.back() = '\n';
  return out;
}

// The report: suites of 200 testcases; `system_out` bytes of output per testcase (0: only
// the failures write some).
size_t WriteReport(const std::string& path, int testcases, size_t system_out) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) Die("cannot write " + path);
  std::string buf = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bench\">\n";
  size_t total = 0;
  for (int i = 0; i < testcases; ++i) {
    if (i % 200 == 0) {
      if (i > 0) buf += "  </testsuite>\n";
      buf += "  <testsuite name=\"com.example.shop.module" + Pad(i / 200, 4) +
             ".CheckoutServiceIntegrationTest\" tests=\"200\" timestamp=\"2026-11-30T10:00:00\" "
             "hostname=\"ci-runner-7\" time=\"12.5\">\n";
    }
    std::string cls =
        "com.example.shop.module" + Pad(i / 200, 4) + ".CheckoutServiceIntegrationTest";
    std::string name = "shouldHandleCheckoutScenarioNumber" + Pad(i, 6) + "WithDiscountsAndTaxes";
    int kind = i % 100;
    buf += "    <testcase name=\"" + name + "\" classname=\"" + cls + "\" time=\"0.0" +
           std::to_string(i % 90 + 10) + "\"";
    if (kind < 90 && system_out == 0) {
      buf += "/>\n";
    } else if (kind < 90) {
      buf += ">\n      <system-out><![CDATA[" + ConsoleOutput(i, system_out) +
             "]]></system-out>\n    </testcase>\n";
    } else if (kind < 96) {
      buf +=
          ">\n      <failure message=\"expected: &lt;200&gt; but was: &lt;500&gt;\" "
          "type=\"org.opentest4j.AssertionFailedError\"><![CDATA["
          "org.opentest4j.AssertionFailedError: expected: <200> but was: <500>\n";
      for (int k = 0; k < 12; ++k)
        buf += "\tat " + cls + ".helperMethod" + std::to_string(k) +
               "(CheckoutServiceIntegrationTest.java:" + std::to_string(100 + k) + ")\n";
      buf +=
          "]]></failure>\n      <system-out><![CDATA[POST /api/checkout -> 500\n"
          "order id " +
          std::to_string(i) + " rolled back\n]]></system-out>\n    </testcase>\n";
    } else if (kind < 97) {
      buf +=
          ">\n      <error message=\"Connection refused\" type=\"java.net.ConnectException\">"
          "java.net.ConnectException: Connection refused\n\tat com.example.TaxClient.rate"
          "(TaxClient.java:12)\n</error>\n    </testcase>\n";
    } else {
      buf += ">\n      <skipped message=\"disabled on CI\"/>\n    </testcase>\n";
    }
    if (buf.size() > (1 << 20)) {
      total += std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
  }
  buf += "  </testsuite>\n</testsuites>\n";
  total += std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  g_program = "junit_import_bench";
  const int testcases = static_cast<int>(ArgInt(argc, argv, "--testcases", 100000));
  const auto system_out = static_cast<size_t>(ArgInt(argc, argv, "--system-out-bytes", 0));
  const std::string db = ArgString(argc, argv, "--db", "");
  std::string nexus = ArgString(argc, argv, "--nexus", "");
  if (nexus.empty())
    nexus = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "nexus").string();
  TempDir tmp;
  const std::string report = tmp.path() + "/TEST-bench.xml";
  size_t bytes = WriteReport(report, testcases, system_out);
  std::printf("report: %d testcases, %.1f MB\n", testcases, static_cast<double>(bytes) / 1e6);

  // Two data dirs (local and server), each with a project and (server) an API token.
  std::string token;
  int64_t project = 0, local_project = 0;
  const std::string local_dir = tmp.path() + "/local", server_dir = tmp.path() + "/server";
  for (const std::string& dir : {local_dir, server_dir}) {
    nexus::app::Config c;
    c.data_dir = dir;
    if (dir == local_dir) c.db = db;
    c.serve_http = false;
    c.catalog_sync_interval_ms = 0;
    c.kdf = nexus::auth::KdfStrength::kMinimum;
    auto app = nexus::app::App::Start(c);
    if (!app.ok()) Die(app.status().ToString());
    auto u = app.value()->auth().CreateUser("bench@nexus.test", "Bench", "password-12345", true);
    if (!u.ok()) Die(u.status().ToString());
    auto t = app.value()->auth().CreateToken(u->id, "bench");
    if (!t.ok()) Die(t.status().ToString());
    token = t->secret;
    nexus::Project p;
    p.name = "Bench";
    auto created = app.value()->store().CreateProject(p, u->id);
    if (!created.ok()) Die(created.status().ToString());
    project = created->id;
    if (dir == local_dir) local_project = created->id;
    app.value()->Stop();
  }
  const std::string pid_s = std::to_string(project);

  std::vector<std::string> local_args = {nexus, "--log-level", "warn", "import", "junit", report};
  if (db.empty()) {
    local_args.insert(local_args.end(), {"--data-dir", local_dir});
  } else {
    local_args.insert(local_args.end(), {"--data-dir", local_dir, "--db", db});
  }
  local_args.insert(local_args.end(), {"--project", std::to_string(local_project),
                                       "--execution-name", "bench", "--json"});
  ChildResult local = RunChild(local_args);
  ChildResult local_again = RunChild(local_args);
  std::printf("local store: %s\n", db.empty() ? "SQLite (data dir)" : "PostgreSQL (--db)");
  std::printf("local  import:  exit %d, %.2f s wall, %.2f s CPU, peak RSS %.1f MiB\n",
              local.exit_code, local.wall_ms / 1000, local.cpu_s, local.max_rss_mib);
  std::printf("local  repost:  exit %d, %.2f s wall, %.2f s CPU, peak RSS %.1f MiB\n",
              local_again.exit_code, local_again.wall_ms / 1000, local_again.cpu_s,
              local_again.max_rss_mib);

  // The server, with its stdout on a pipe for the "listening on" line.
  int out[2];
  if (pipe(out) != 0) Die("pipe");
  pid_t server = fork();
  if (server == 0) {
    dup2(out[1], 1);
    close(out[0]);
    FILE* devnull = std::fopen("/dev/null", "w");
    dup2(fileno(devnull), 2);
    execl(nexus.c_str(), nexus.c_str(), "--log-level", "warn", "serve", "--listen", "127.0.0.1:0",
          "--data-dir", server_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* so = fdopen(out[0], "r");
  char line[512] = {0};
  if (!std::fgets(line, sizeof line, so)) Die("nexus serve did not start");
  std::string url = line;
  url = url.substr(url.find("http"));
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  const std::string spid = std::to_string(server);
  double rss_before = ProcStatusMiB("VmHWM", spid);
  ChildResult up =
      RunChild({nexus, "--log-level", "warn", "import", "junit", report, "--server", url, "--token",
                token, "--project", pid_s, "--execution-name", "bench", "--json"});
  double server_hwm = ProcStatusMiB("VmHWM", spid);
  ChildResult up_again =
      RunChild({nexus, "--log-level", "warn", "import", "junit", report, "--server", url, "--token",
                token, "--project", pid_s, "--execution-name", "bench", "--json"});
  kill(server, SIGTERM);
  struct rusage server_ru {};
  wait4(server, nullptr, 0, &server_ru);
  const double server_cpu =
      static_cast<double>(server_ru.ru_utime.tv_sec + server_ru.ru_stime.tv_sec) +
      static_cast<double>(server_ru.ru_utime.tv_usec + server_ru.ru_stime.tv_usec) / 1e6;
  std::printf(
      "server import:  exit %d, %.2f s wall (CLI: gzip + upload + import), CLI %.2f s CPU, CLI "
      "peak RSS %.1f MiB\n",
      up.exit_code, up.wall_ms / 1000, up.cpu_s, up.max_rss_mib);
  std::printf("server repost:  exit %d, %.2f s wall\n", up_again.exit_code,
              up_again.wall_ms / 1000);
  std::printf(
      "server peak RSS: %.1f MiB (%.1f MiB before the import); server CPU, whole life "
      "(start, both imports, stop): %.2f s\n",
      server_hwm, rss_before, server_cpu);
  // The generated report has failures: exit code 1 is the expected outcome.
  bool ok = local.exit_code == 1 && local_again.exit_code == 1 && up.exit_code == 1 &&
            up_again.exit_code == 1;
  if (!ok) Die("unexpected exit codes");
  return 0;
}
