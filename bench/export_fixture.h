// What the export benchmarks share (export_bench, adversarial_bench): testrail-sim as a child
// process, and a Nexus set up through its REST API with N results to export.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/app.h"
#include "bench_util.h"

namespace nexus_bench {

// Default login of testrail-sim (tools/testrail_sim/simulator.h).
constexpr char kSimEmail[] = "admin@example.com";
constexpr char kSimApiKey[] = "nexus-sim-demo-api-key-0001";

struct SimStats {
  std::map<std::string, int64_t> calls;
  int64_t total_calls = 0;
  int64_t rate_limited = 0;
  int64_t results_written = 0;
};

// testrail-sim as a child process on 127.0.0.1 (killed with SIGTERM by pid on destruction).
// Its admin endpoints change the knobs and read the statistics.
class SimProcess {
 public:
  // `port` 0: a free one; otherwise that port (a fresh simulator where the last one was, so a
  // Nexus connected to it needs no change — issue 16, a fresh simulator per trial).
  SimProcess(const std::string& binary, const std::string& generate, int port = 0) {
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    int fds[2];
    if (pipe(fds) != 0) Die("pipe failed");
    pid_ = fork();
    if (pid_ < 0) Die("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the benchmark, even if it crashes
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(binary.c_str(), binary.c_str(), "--listen", listen.c_str(), "--generate",
            generate.c_str(), static_cast<char*>(nullptr));
      std::fprintf(stderr, "export_bench: cannot exec %s\n", binary.c_str());
      _exit(127);
    }
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[512];
    while (port_ == 0 && out && std::fgets(line, sizeof line, out)) {
      std::string s(line);
      const std::string tag = "listening on http://127.0.0.1:";
      if (s.rfind(tag, 0) == 0) port_ = std::atoi(s.c_str() + tag.size());
    }
    if (out) std::fclose(out);  // it prints nothing more on stdout
    if (port_ == 0) Die("testrail-sim did not start (" + binary + ")");
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    http_->set_read_timeout(60, 0);
  }
  ~SimProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Partial update of the SimConfig knobs (POST /_sim/config).
  void Configure(const Json& patch) {
    auto r = http_->Post("/_sim/config", patch.dump(), "application/json");
    if (!r || r->status != 200) Die("/_sim/config " + patch.dump() + " failed");
  }
  // Refills the rate bucket (a change of rate_limit_per_minute resets it to full) and sets
  // the Cloud-like knobs.
  void FreshCloud(int rpm, int latency_ms, double per_result_ms,
                  const std::string& model = "bucket") {
    Configure({{"rate_limit_per_minute", 0}});
    Configure({{"rate_limit_per_minute", rpm},
               {"rate_limit_model", model},
               {"latency_ms", latency_ms},
               {"per_result_ms", per_result_ms},
               {"retry_after_header", true}});
  }
  SimStats Stats() {
    auto r = http_->Get("/_sim/stats");
    if (!r || r->status != 200) Die("/_sim/stats failed");
    Json j = Json::parse(r->body);
    SimStats s;
    s.calls = j["calls"].get<std::map<std::string, int64_t>>();
    s.total_calls = j["total_calls"].get<int64_t>();
    s.rate_limited = j["rate_limited"].get<int64_t>();
    s.results_written = j["results_written"].get<int64_t>();
    return s;
  }
  double HwmMiB() const { return ProcStatusMiB("VmHWM", std::to_string(pid_)); }
  // Tests of TestRail run `run_id` that hold a result (every status count but untested), or
  // -1 when the run cannot be read (deleted).
  int64_t TestsWithAResult(int64_t run_id) {
    httplib::Headers auth = {httplib::make_basic_authentication_header(kSimEmail, kSimApiKey)};
    auto r = http_->Get("/index.php?/api/v2/get_run/" + std::to_string(run_id), auth);
    if (!r || r->status != 200) return -1;
    Json j = Json::parse(r->body, nullptr, false);
    if (!j.is_object()) return -1;
    int64_t n = 0;
    for (const auto& [k, v] : j.items())
      if (k.size() > 6 && k.substr(k.size() - 6) == "_count" && k != "untested_count" &&
          v.is_number_integer())
        n += v.get<int64_t>();
    return n;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

struct Fixture {
  int64_t project = 0;
  std::string token;
  int64_t testrail_project = 0;
  int64_t suite_id = 0;
  std::vector<int64_t> run_ids;
  int64_t execution_id = 0;  // Setup(..., in_execution = true): the execution of every run
  std::vector<nexus::PlannedResult> results;  // from the dry run, in plan order
  double dry_run_rss_growth = -1;             // MiB, peak of planning the export
  size_t comment_bytes = 0;                   // of the dry run's results, in all
};

// `db`: a database URL (PostgreSQL, issue 15); empty = SQLite in the data dir.
inline nexus::app::Config NexusConfig(const std::string& dir, double rpm, int batch_size,
                                      const std::string& db = "") {
  nexus::app::Config c;
  c.listen = "127.0.0.1:0";
  c.data_dir = dir;
  c.db = db;
  c.kdf = nexus::auth::KdfStrength::kMinimum;
  c.testrail_allow_private = true;
  c.testrail_requests_per_minute = rpm;
  c.catalog_sync_interval_ms = 0;
  c.public_url = "https://nexus.example.com";
  c.export_batch_size = batch_size;
  // The bench measures the export: the catalog synced at setup is taken as fresh, however long
  // the trials take (a refresh of 100,000 cases would be 400 calls of the budget).
  c.export_catalog_max_age_ms = 0;
  return c;
}

inline std::unique_ptr<nexus::app::App> StartNexus(const nexus::app::Config& c) {
  auto a = nexus::app::App::Start(c);
  if (!a.ok()) Die("App::Start: " + a.status().ToString());
  return std::move(a).value();
}

// Everything an export of N results needs, set up through the REST API of an unpaced Nexus.
// `in_execution`: the runs belong to one execution of a plan of every test (an export names
// at most 100 runs; an execution any number) — at most 1,000 tests.
inline Fixture Setup(nexus::app::App& app, const SimProcess& sim, int64_t n, int64_t per_test,
                     bool in_execution = false) {
  Fixture f;
  auto u = app.auth().CreateUser("bench@nexus.test", "Bench", "password-123", true);
  if (!u.ok()) Die("CreateUser: " + u.status().ToString());
  auto t = app.auth().CreateToken(u->id, "bench");
  if (!t.ok()) Die("CreateToken: " + t.status().ToString());
  f.token = t->secret;
  Rest rest(app.port(), f.token);
  f.project = rest.Expect("POST", "/api/v1/projects", {{"name", "Bench"}}, 201)["id"];
  const std::string base = "/api/v1/projects/" + std::to_string(f.project);
  const std::string tr = base + "/testrail";
  rest.Expect("PUT", base + "/features", {{"testrail", true}}, 200);
  rest.Expect("PUT", tr + "/connection",
              {{"url", sim.base_url()}, {"user", kSimEmail}, {"api_key", kSimApiKey}}, 200);
  Json projects = rest.Expect("GET", tr + "/remote/projects", nullptr, 200);
  f.testrail_project = projects["items"][0]["id"];
  rest.Expect("PUT", tr + "/project", {{"testrail_project_id", f.testrail_project}}, 200);
  Json suites = rest.Expect("GET", tr + "/remote/suites", nullptr, 200);
  if (suites["items"].size() != 1) Die("expected one suite: " + suites.dump());
  f.suite_id = suites["items"][0]["id"];
  // Selecting the suite queues the catalog sync; asking again returns that job.
  rest.Expect("PUT", tr + "/suites", {{"suite_ids", {f.suite_id}}}, 200);
  Json job = rest.Expect("POST", tr + "/catalog/sync", {{"mode", "full"}}, 202);
  auto done = app.jobs().WaitFor(job["job_id"].get<int64_t>(), std::chrono::minutes(10));
  if (!done.ok() || done->state != nexus::JobState::kSucceeded) Die("catalog sync failed");
  auto cases = app.store().ListCatalogCases(f.project);
  if (!cases.ok()) Die("ListCatalogCases: " + cases.status().ToString());
  std::vector<int64_t> ids;
  for (const auto& c : *cases) ids.push_back(c.id);
  std::sort(ids.begin(), ids.end());
  if (static_cast<int64_t>(ids.size()) < n)
    Die("catalog holds " + std::to_string(ids.size()) + " cases, need " + std::to_string(n));

  // Tests linked to `per_test` cases each (the links API takes at most 1,000 per call), one
  // finished run each; every fourth run found a bug (failed), the others passed.
  std::vector<int64_t> tests;
  for (int64_t first = 0, i = 0; first < n; first += per_test, ++i) {
    Json test = rest.Expect(
        "POST", base + "/tests",
        {{"name", "Checkout flow " + std::to_string(i + 1)},
         {"steps",
          {{{"goal", "open the shop"}, {"expected_results", {"the shop opens"}}},
           {{"goal", "pay with a card"}, {"expected_results", {"the order is paid"}}}}}},
        201);
    const std::string tpath = base + "/tests/" + std::to_string(test["id"].get<int64_t>());
    std::vector<int64_t> slice(ids.begin() + first, ids.begin() + std::min(n, first + per_test));
    rest.Expect("PUT", tpath + "/testrail-links", {{"case_ids", slice}}, 200);
    tests.push_back(test["id"].get<int64_t>());
  }
  if (in_execution) {
    if (tests.size() > 1000) Die("an execution's plan holds at most 1,000 tests");
    Json plan =
        rest.Expect("POST", base + "/plans", {{"name", "Bench plan"}, {"test_ids", tests}}, 201);
    f.execution_id =
        rest.Expect("POST", base + "/executions", {{"plan_id", plan["id"]}}, 201)["id"];
  }
  for (size_t i = 0; i < tests.size(); ++i) {
    Json body = {{"test_id", tests[i]},
                 {"result", "Success"},
                 {"bug_label", i % 4 == 3 ? "DefinitelyBug" : "NoBug"},
                 {"started_at", "2026-12-01T10:00:00Z"},
                 {"finished_at", "2026-12-01T10:01:05Z"},
                 {"build", "4.2.0"},
                 {"summary", "Checkout run " + std::to_string(i + 1)}};
    if (f.execution_id != 0) body["execution_id"] = f.execution_id;
    Json run = rest.Expect("POST", base + "/runs", body, 201);
    f.run_ids.push_back(run["id"].get<int64_t>());
  }

  return f;
}

}  // namespace nexus_bench
