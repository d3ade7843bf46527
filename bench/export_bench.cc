// Export benchmark (figures in docs/benchmarks.md "Export"): one export of N
// results to TestRail by the real Nexus App, in process, against the TestRail simulator run
// as a separate process (testrail-sim next to this binary), configured like TestRail Cloud:
// 50 ms latency per call, 1 ms per result written, 180 requests/min with 429 + Retry-After.
// Nexus runs with its Cloud budget (Config::testrail_requests_per_minute = 180). In the same
// run a baseline uploader that works the way the official CLI (trcli) does uploads the same
// N results (shared/spec/testrail-api.md "How the official CLI (trcli) uploads").
//
// Per scenario (one N): a fresh simulator with N cases in one suite; a Nexus set up through
// its REST API (project, TestRail connection, suite selection, catalog sync, N / 1,000 tests
// each linked to up to 1,000 cases, one finished run per test) by an unpaced Nexus, which is
// then restarted on the same data directory with the 180/min budget; the export of all runs
// (run_ids: one TestRail run of N results); then the baseline, then the optional --what-if
// uploads. Each upload gets a fresh simulator process (same port, same generated data) with
// a full rate-limit state; the setup runs in a forked child (SetupInChild).
//
// Measured: wall time, TestRail calls (simulator Stats delta, by method), 429s (Stats
// rate_limited), failed calls (non-2xx answers and transport errors), results landed
// (Stats results_written); for Nexus the RSS of this process, which then holds Nexus and
// nothing big of the benchmark's (the simulator is another process): before, peak during
// the export (VmHWM, reset before), and a 20 ms VmRSS sample series (when the peak happens).
//
// Usage: export_bench [--results 1000,10000,50000] [--sim PATH] [--only nexus|baseline] ...
//        (--help lists every flag; NEXUS_BENCH_VERBOSE=1 logs the server and every failure)
#include <httplib.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "bench_util.h"
#include "export_fixture.h"

namespace {

using nexus_bench::ArgFlag;
using nexus_bench::ArgInt;
using nexus_bench::ArgString;
using nexus_bench::CallsDelta;
using nexus_bench::Clock;
using nexus_bench::Die;
using nexus_bench::Fixture;
using nexus_bench::Json;
using nexus_bench::kSimApiKey;
using nexus_bench::kSimEmail;
using nexus_bench::MethodsText;
using nexus_bench::MsSince;
using nexus_bench::NexusConfig;
using nexus_bench::ProcStatusMiB;
using nexus_bench::Rest;
using nexus_bench::Setup;
using nexus_bench::SimProcess;
using nexus_bench::SimStats;
using nexus_bench::StartNexus;
using nexus_bench::TempDir;

// One upload's figures.
struct Figures {
  std::string client;
  std::string model = "bucket";
  int trial = 0;
  int64_t n = 0;
  double wall_ms = 0;     // the upload; for Nexus the export job (record's duration_ms)
  double request_ms = 0;  // Nexus: the whole REST request (validate, plan, record, job, wait)
  int64_t calls = 0;
  std::map<std::string, int64_t> by_method;
  int64_t rate_limited = 0;               // 429s (simulator)
  int64_t failed_calls = 0;               // non-2xx answers (429s included) and transport errors
  int64_t transport_errors = 0;           // baseline: failed calls without an HTTP answer
  int64_t failed_batches = 0;             // baseline: batches that ran out of retries
  int64_t lost_results = 0;               // results not in TestRail at the end
  int64_t landed = 0;                     // results written (simulator)
  int64_t verified = -1;                  // tests of the run holding a result (simulator)
  double floor_ms = 0;                    // the floor of this N (docs/benchmarks.md)
  std::string outcome;                    // Nexus: export state; others: complete / lost
  double rss_before = -1, rss_peak = -1;  // Nexus only (MiB)
  // Nexus: sampled VmRSS (every 20 ms): highest and when, halfway through, at the end.
  double sampled_peak = 0, peak_at_ms = 0, rss_half = 0, rss_end = 0;
  std::string rss_timeline;  // at 0%, 10%, ... 100% of the wall time
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Figures, client, model, trial, n, wall_ms, request_ms, calls,
                                   by_method, rate_limited, failed_calls, transport_errors,
                                   failed_batches, lost_results, landed, verified, floor_ms,
                                   outcome, rss_before, rss_peak, sampled_peak, peak_at_ms,
                                   rss_half, rss_end, rss_timeline)

// Failed TestRail calls Nexus counted (nexus_testrail_requests_total, status not 2xx).
int64_t NexusFailedCalls(const nexus::obs::Metrics& m) {
  std::istringstream in(m.RenderPrometheus());
  std::string line;
  int64_t failed = 0;
  const std::string name = "nexus_testrail_requests_total{";
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;
    size_t s = line.find("status=\"");
    size_t sp = line.rfind(' ');
    if (s == std::string::npos || sp == std::string::npos) continue;
    std::string status = line.substr(s + 8, line.find('"', s + 8) - s - 8);
    if (status.size() == 3 && status[0] == '2') continue;
    failed += static_cast<int64_t>(std::atof(line.c_str() + sp + 1));
  }
  return failed;
}

// The results Nexus plans for the runs (a dry run: exactly what it would send), which the
// baseline sends too. On the service, not REST, to keep a 50,000-result preview out of this
// process's JSON; also measures how much memory planning alone takes (*rss_growth, MiB).
std::vector<nexus::PlannedResult> PlanResults(nexus::app::App& app, const Fixture& f, int64_t n,
                                              double* rss_growth) {
  nexus::integration::StartExportRequest dry;
  dry.project_id = f.project;
  dry.source.run_ids = f.run_ids;
  dry.dry_run = true;
  malloc_trim(0);
  const double rss0 = ProcStatusMiB("VmRSS");
  const bool hwm = nexus_bench::ResetPeakRss();
  auto view = app.exports().StartExport(dry);
  if (!view.ok()) Die("dry run: " + view.status().ToString());
  *rss_growth = hwm ? ProcStatusMiB("VmHWM") - rss0 : -1;
  if (!view->preview || view->preview->entries.size() != 1) Die("expected a plan of one entry");
  std::vector<nexus::PlannedResult> out = std::move(view->preview->entries[0].results);
  if (static_cast<int64_t>(out.size()) != n)
    Die("the plan holds " + std::to_string(out.size()) + " results, expected " + std::to_string(n));
  return out;
}

// Runs `fn` in a forked child and returns the text it produced: what the child allocates
// (and leaves in its heap) is not this process's. The child talks only to loopback servers.
std::string InChild(const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) Die("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    close(fds[0]);
    const std::string out = fn();
    for (size_t at = 0; at < out.size();) {
      const ssize_t w = write(fds[1], out.data() + at, out.size() - at);
      if (w <= 0) _exit(2);
      at += static_cast<size_t>(w);
    }
    close(fds[1]);
    std::fflush(nullptr);
    _exit(0);
  }
  close(fds[1]);
  std::string in;
  char buf[65536];
  for (ssize_t r; (r = read(fds[0], buf, sizeof buf)) > 0;) in.append(buf, static_cast<size_t>(r));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || in.empty()) Die("a child process failed");
  return in;
}

// The setup in a child (InChild): the fixture a later export needs (ids, token, runs, the
// dry run's figures), so the measured process's heap holds nothing of the setup.
Fixture SetupInChild(const std::function<Fixture()>& setup) {
  const Json j = Json::parse(InChild([&] {
    const Fixture f = setup();
    return Json{{"project", f.project},
                {"token", f.token},
                {"testrail_project", f.testrail_project},
                {"suite_id", f.suite_id},
                {"run_ids", f.run_ids},
                {"execution_id", f.execution_id},
                {"dry_run_rss_growth", f.dry_run_rss_growth},
                {"comment_bytes", f.comment_bytes}}
        .dump();
  }));
  Fixture f;
  f.project = j["project"].get<int64_t>();
  f.token = j["token"].get<std::string>();
  f.testrail_project = j["testrail_project"].get<int64_t>();
  f.suite_id = j["suite_id"].get<int64_t>();
  f.run_ids = j["run_ids"].get<std::vector<int64_t>>();
  f.execution_id = j["execution_id"].get<int64_t>();
  f.dry_run_rss_growth = j["dry_run_rss_growth"].get<double>();
  f.comment_bytes = j["comment_bytes"].get<size_t>();
  return f;
}

// ---- Nexus: one export through POST /api/v1/projects/{p}/testrail/exports (wait).
Figures NexusExport(nexus::app::App& app, SimProcess& sim, const Fixture& f, int64_t n) {
  Figures fig;
  fig.client = "Nexus";
  fig.n = n;
  Rest rest(app.port(), f.token);
  const std::string path = "/api/v1/projects/" + std::to_string(f.project) + "/testrail/exports";
  const int64_t failed0 = NexusFailedCalls(app.metrics());
  SimStats s0 = sim.Stats();
  malloc_trim(0);  // hand the setup's freed heap back: the starting RSS is what Nexus holds
  fig.rss_before = ProcStatusMiB("VmRSS");
  const bool hwm = nexus_bench::ResetPeakRss();
  // VmRSS every 20 ms: when the peak happens tells which phase causes it.
  std::atomic<bool> stop{false};
  std::vector<std::pair<double, double>> samples;  // (ms since start, MiB)
  auto t0 = Clock::now();
  std::thread sampler([&] {
    while (!stop) {
      samples.emplace_back(MsSince(t0), ProcStatusMiB("VmRSS"));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Json r = rest.Expect(
      "POST", path,
      {{"run_ids", f.run_ids}, {"custom_run_name", "Nexus bench " + std::to_string(n)}}, 200);
  fig.wall_ms = MsSince(t0);
  stop = true;
  sampler.join();
  for (const auto& [at, mib] : samples) {
    if (mib > fig.sampled_peak) fig.sampled_peak = mib, fig.peak_at_ms = at;
    if (at <= fig.wall_ms / 2) fig.rss_half = mib;
  }
  for (int k = 0; k <= 10; ++k) {
    double v = fig.rss_before;
    for (const auto& [at, mib] : samples)
      if (at <= fig.wall_ms * k / 10) v = mib;
    fig.rss_timeline += (k ? " " : "") + std::to_string(static_cast<int>(v + 0.5));
  }
  fig.rss_end = ProcStatusMiB("VmRSS");
  if (std::getenv("NEXUS_BENCH_VERBOSE")) {
    std::fprintf(stderr, "RSS MiB during the first 5 s (every 100 ms):");
    double next = 0;
    for (const auto& [at, mib] : samples)
      if (at >= next && at <= 5000) std::fprintf(stderr, " %.0f", mib), next += 100;
    std::fprintf(stderr, "\n");
  }
  fig.rss_peak = hwm ? ProcStatusMiB("VmHWM") : nexus_bench::MaxRssMiB();
  SimStats s1 = sim.Stats();
  fig.by_method = CallsDelta(s0.calls, s1.calls);
  fig.calls = s1.total_calls - s0.total_calls;
  fig.rate_limited = s1.rate_limited - s0.rate_limited;
  fig.landed = s1.results_written - s0.results_written;
  fig.failed_calls = NexusFailedCalls(app.metrics()) - failed0;
  fig.outcome = r["state"].get<std::string>();
  fig.lost_results = n - r["results_sent"].get<int64_t>();
  fig.request_ms = fig.wall_ms;
  if (r.contains("export_duration_ms") && r["export_duration_ms"].is_number())
    fig.wall_ms = r["export_duration_ms"].get<double>();
  if (r.contains("testrail_run_id") && r["testrail_run_id"].is_number_integer())
    fig.verified = sim.TestsWithAResult(r["testrail_run_id"].get<int64_t>());
  if (fig.outcome != "succeeded")
    std::fprintf(stderr, "export_bench: Nexus export ended %s: %s\n", fig.outcome.c_str(),
                 r["error"].dump().c_str());
  if (std::getenv("NEXUS_BENCH_VERBOSE")) {
    Json brief = r;
    brief.erase("skipped_cases");
    std::fprintf(stderr, "%s\n", brief.dump().c_str());
  }
  return fig;
}

// ---- Baseline: the official CLI's upload (trcli), written out in C++.
struct BaselineOptions {
  int threads = 20;
  size_t batch = 50;
  int retries = 5;  // after the first attempt
  int timeout_s = 60;
  // What-if uploads only (--what-if): every attempt first waits for an evenly spaced slot
  // under pace_rpm requests/min (GCRA with `burst`, as Nexus's RateBudget does). 0: unpaced.
  double pace_rpm = 0;
  int burst = 2;
  // trcli: a batch out of retries aborts the upload and deletes the run.
  bool delete_on_failure = true;
};

// Evenly spaced request slots: `rpm` per minute, up to `burst` back to back after idling.
class Pacer {
 public:
  Pacer(double rpm, int burst)
      : interval_us_(rpm > 0 ? static_cast<int64_t>(60e6 / rpm) : 0), burst_(std::max(1, burst)) {}
  void Acquire() {
    if (interval_us_ == 0) return;
    int64_t wait_us = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int64_t now = NowUs();
      if (tat_us_ < now) tat_us_ = now;
      const int64_t allowed = tat_us_ - (burst_ - 1) * interval_us_;
      wait_us = std::max<int64_t>(0, allowed - now);
      tat_us_ += interval_us_;
    }
    if (wait_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
  }

 private:
  static int64_t NowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
        .count();
  }
  const int64_t interval_us_;
  const int burst_;
  std::mutex mu_;
  int64_t tat_us_ = 0;  // theoretical arrival time of the next request
};

class Baseline {
 public:
  Baseline(const SimProcess& sim, BaselineOptions o)
      : port_(sim.port()), o_(o), pacer_(o.pace_rpm, o.burst) {}

  struct Outcome {
    bool ok = false;
    int status = 0;  // last HTTP status (0: transport error)
    Json body;
  };

  // One request with trcli's retry rules: 429/500/502/503/504 retried up to `retries`
  // times; on 429 sleeps Retry-After (trcli crashes without the header; here 1 s); on 5xx
  // sleeps min(2^i, 30) s; a timeout is retried at once. Other answers are final.
  Outcome Send(httplib::Client& http, const std::string& method, const Json* body) {
    const std::string path = "/index.php?/api/v2/" + method;
    Outcome out;
    for (int i = 0; i <= o_.retries; ++i) {
      pacer_.Acquire();
      auto r = http.Post(path, body ? body->dump() : std::string(), "application/json");
      if (!r) {
        ++failed_calls_;
        ++transport_errors_;
        if (std::getenv("NEXUS_BENCH_VERBOSE"))
          std::fprintf(stderr, "baseline %s: %s\n", method.c_str(),
                       httplib::to_string(r.error()).c_str());
        out.status = 0;
        continue;  // timeouts and connection errors: again, immediately
      }
      out.status = r->status;
      if (r->status == 200) {
        out.ok = true;
        out.body = Json::parse(r->body, nullptr, false);
        return out;
      }
      ++failed_calls_;
      const int s = r->status;
      if (s != 429 && std::getenv("NEXUS_BENCH_VERBOSE"))
        std::fprintf(stderr, "baseline %s: HTTP %d %s\n", method.c_str(), s,
                     r->body.substr(0, 200).c_str());
      const bool retry = s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
      if (!retry || i == o_.retries) break;
      if (s == 429) {
        double after = r->has_header("Retry-After")
                           ? std::atof(r->get_header_value("Retry-After").c_str())
                           : 1.0;
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(after * 1000)));
      } else {
        std::this_thread::sleep_for(std::chrono::seconds(std::min(1 << i, 30)));
      }
    }
    return out;
  }

  std::unique_ptr<httplib::Client> NewClient() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_basic_auth(kSimEmail, kSimApiKey);
    c->set_connection_timeout(o_.timeout_s, 0);
    c->set_read_timeout(o_.timeout_s, 0);
    c->set_write_timeout(o_.timeout_s, 0);
    // trcli opens a new connection per request (requests.post()); here each pool thread keeps
    // one (bursts of new connections overflow the simulator's listen backlog, see Upload()).
    c->set_keep_alive(true);
    return c;
  }

  // add_run (include_all false, case_ids), every batch of `batch` results submitted at once
  // to a pool of `threads`, then close_run. Returns the failed batches; `lost` the results
  // in them.
  int64_t Upload(const Fixture& f, const std::string& name, int64_t* lost) {
    auto http = NewClient();
    Json run_body = {{"suite_id", f.suite_id},
                     {"name", name},
                     {"include_all", false},
                     {"case_ids", Json::array()}};
    for (const auto& r : f.results) run_body["case_ids"].push_back(r.case_id);
    Outcome run = Send(*http, "add_run/" + std::to_string(f.testrail_project), &run_body);
    if (!run.ok) Die("baseline add_run failed with HTTP " + std::to_string(run.status));
    const int64_t run_id = run.body["id"].get<int64_t>();
    run_id_ = run_id;

    std::vector<Json> batches;
    for (size_t k = 0; k < f.results.size(); k += o_.batch) {
      Json results = Json::array();
      for (size_t j = k; j < std::min(f.results.size(), k + o_.batch); ++j) {
        const nexus::PlannedResult& r = f.results[j];
        Json e = {{"case_id", r.case_id}, {"status_id", r.status_id}, {"comment", r.comment}};
        if (!r.elapsed.empty()) e["elapsed"] = r.elapsed;
        if (!r.version.empty()) e["version"] = r.version;
        results.push_back(std::move(e));
      }
      batches.push_back(Json{{"results", std::move(results)}});
    }
    std::atomic<size_t> next{0};
    std::atomic<int64_t> failed{0}, lost_n{0};
    std::atomic<bool> abort{false};
    std::vector<std::thread> pool;
    const std::string method = "add_results_for_cases/" + std::to_string(run_id);
    for (int t = 0; t < o_.threads; ++t) {
      // Threads start 3 ms apart: 20 connects at once overflow the simulator's listen
      // backlog (cpp-httplib: 5), and Linux then holds a connection for a 1 s retransmit
      // (an artefact of the simulator, not of TestRail Cloud). Costs the baseline <= 60 ms.
      if (t > 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
      pool.emplace_back([&] {
        auto c = NewClient();
        for (size_t b; !abort && (b = next.fetch_add(1)) < batches.size();) {
          Outcome o = Send(*c, method, &batches[b]);
          if (!o.ok) {
            ++failed;
            lost_n += static_cast<int64_t>(batches[b]["results"].size());
            if (o_.delete_on_failure) abort = true;
            if (std::getenv("NEXUS_BENCH_VERBOSE") || o_.delete_on_failure)
              std::fprintf(stderr, "export_bench: baseline batch %zu failed (HTTP %d)%s\n", b,
                           o.status, o_.delete_on_failure ? ": aborting, deleting the run" : "");
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    if (abort) {
      // trcli: a batch out of retries ends the upload and deletes the run — every result of
      // it is lost, including those already sent.
      Outcome del = Send(*http, "delete_run/" + std::to_string(run_id), nullptr);
      if (!del.ok) std::fprintf(stderr, "export_bench: baseline delete_run failed\n");
      *lost = static_cast<int64_t>(f.results.size());
      return failed;
    }
    Outcome closed = Send(*http, "close_run/" + std::to_string(run_id), nullptr);
    if (!closed.ok) std::fprintf(stderr, "export_bench: baseline close_run failed\n");
    *lost = lost_n;
    return failed;
  }

  int64_t failed_calls() const { return failed_calls_; }
  int64_t transport_errors() const { return transport_errors_; }
  int64_t run_id() const { return run_id_; }

 private:
  int64_t run_id_ = 0;
  int port_;
  BaselineOptions o_;
  Pacer pacer_;
  std::atomic<int64_t> failed_calls_{0};
  std::atomic<int64_t> transport_errors_{0};
};

Figures BaselineUpload(SimProcess& sim, const Fixture& f, int64_t n, const BaselineOptions& o,
                       const std::string& label = "trcli-like baseline") {
  Figures fig;
  fig.client = label;
  fig.n = n;
  Baseline b(sim, o);
  SimStats s0 = sim.Stats();
  auto t0 = Clock::now();
  fig.failed_batches = b.Upload(f, "Baseline bench " + std::to_string(n), &fig.lost_results);
  fig.wall_ms = MsSince(t0);
  SimStats s1 = sim.Stats();
  fig.by_method = CallsDelta(s0.calls, s1.calls);
  fig.calls = s1.total_calls - s0.total_calls;
  fig.rate_limited = s1.rate_limited - s0.rate_limited;
  fig.landed = s1.results_written - s0.results_written;
  fig.failed_calls = b.failed_calls();
  fig.transport_errors = b.transport_errors();
  fig.outcome = fig.failed_batches == 0 ? "complete" : "results lost";
  fig.verified = b.run_id() > 0 ? sim.TestsWithAResult(b.run_id()) : -1;
  return fig;
}

std::vector<int64_t> ParseList(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(std::atoll(item.c_str()));
  return out;
}

std::string Rss(const Figures& f) {
  if (f.rss_peak < 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f (+%.0f)", f.rss_peak, f.rss_peak - f.rss_before);
  return buf;
}

void PrintRow(const Figures& f) {
  std::printf(
      "| %s | %s | %d | %lld | %.3f | %.2f | %lld | %s | %lld | %lld | %lld | %lld | %lld | %s | "
      "%s |\n",
      f.client.c_str(), f.model.c_str(), f.trial, static_cast<long long>(f.n), f.wall_ms / 1000.0,
      f.floor_ms > 0 ? f.wall_ms / f.floor_ms : 0.0, static_cast<long long>(f.calls),
      MethodsText(f.by_method).c_str(), static_cast<long long>(f.rate_limited),
      static_cast<long long>(f.failed_calls), static_cast<long long>(f.failed_batches),
      static_cast<long long>(f.landed), static_cast<long long>(f.verified), f.outcome.c_str(),
      Rss(f).c_str());
}

// The floor of an export of n results (docs/benchmarks.md, issue 16): add_run, then waves of
// P calls of B results, then close_run, L each plus c per result, minimised over B <= 1,000 and
// P <= 10; calls beyond the per-minute limit wait a minute per limit's worth.
double FloorMs(int64_t n, double latency_ms, double per_result_ms, int rate_limit) {
  double best = -1;
  for (int64_t b = 1; b <= std::min<int64_t>(1000, std::max<int64_t>(1, n)); ++b) {
    const int64_t calls = (n + b - 1) / b;
    const int64_t p = std::min<int64_t>(10, calls);
    const int64_t waves = (calls + p - 1) / p;
    double ms = latency_ms +
                static_cast<double>(waves) * (latency_ms + static_cast<double>(b) * per_result_ms) +
                latency_ms;
    if (rate_limit > 0 && calls + 2 > rate_limit)
      ms = std::max(ms, 60'000.0 * static_cast<double>((calls + 2 - 1) / rate_limit));
    if (best < 0 || ms < best) best = ms;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  nexus_bench::g_program = "export_bench";
  if (ArgFlag(argc, argv, "--help") || ArgFlag(argc, argv, "-h")) {
    std::printf(
        "export_bench [--results LIST=10000 (e.g. 1000,10000,50000)] [--cases-per-test N=1000]\n"
        "  [--sim PATH (default: testrail-sim next to this binary)] [--only nexus|baseline]\n"
        "  [--latency-ms N=50] [--per-result-ms X=1] [--rate-limit N=180] [--nexus-rpm N=180]\n"
        "  [--batch-size N=0 (Nexus default)] [--baseline-threads N=20] "
        "[--baseline-batch N=50]\n"
        "  [--what-if C:B:burst,... (paced hypothetical uploads, C batches of B in flight)]\n"
        "  [--models bucket,sliding,fixed (simulator rate-limit models)] [--trials N=1]\n"
        "  [--baseline-max N (the baseline only for sizes <= N)]\n"
        "  [--db URL (an empty PostgreSQL database for Nexus instead of SQLite; one size)]\n");
    return 0;
  }
  const std::vector<int64_t> sizes = ParseList(ArgString(argc, argv, "--results", "10000"));
  const int64_t per_test = ArgInt(argc, argv, "--cases-per-test", 1000);
  const std::string only = ArgString(argc, argv, "--only", "");
  const int latency_ms = static_cast<int>(ArgInt(argc, argv, "--latency-ms", 50));
  const double per_result_ms = std::atof(ArgString(argc, argv, "--per-result-ms", "1").c_str());
  const int rate_limit = static_cast<int>(ArgInt(argc, argv, "--rate-limit", 180));
  const double nexus_rpm = static_cast<double>(ArgInt(argc, argv, "--nexus-rpm", 180));
  const int batch_size = static_cast<int>(ArgInt(argc, argv, "--batch-size", 0));
  const int trials = static_cast<int>(ArgInt(argc, argv, "--trials", 1));
  const int64_t baseline_max = ArgInt(argc, argv, "--baseline-max", 1'000'000'000);
  // --db: Nexus on this (empty) PostgreSQL database; one size, as each size needs an empty one
  // (bench/run_export_bench.sh --postgres makes a fresh database per size).
  const std::string db = ArgString(argc, argv, "--db", "");
  std::vector<std::string> models;
  {
    std::stringstream ss(ArgString(argc, argv, "--models", "bucket"));
    std::string item;
    while (std::getline(ss, item, ','))
      if (item == "bucket" || item == "sliding" || item == "fixed")
        models.push_back(item);
      else if (!item.empty())
        Die("bad --models item '" + item + "' (bucket, sliding, fixed)");
    if (models.empty() || trials < 1) Die("bad --models / --trials");
  }
  BaselineOptions bo;
  bo.threads = static_cast<int>(ArgInt(argc, argv, "--baseline-threads", 20));
  bo.batch = static_cast<size_t>(ArgInt(argc, argv, "--baseline-batch", 50));
  // --what-if C:B:burst,... : hypothetical uploads paced like Nexus (--nexus-rpm, GCRA with
  // `burst`) with C batches of B results in flight; they show what a concurrent executor
  // would get (docs/benchmarks.md "Export").
  std::vector<BaselineOptions> what_ifs;
  {
    std::stringstream ss(ArgString(argc, argv, "--what-if", ""));
    std::string item;
    while (std::getline(ss, item, ',')) {
      int c = 0, b = 0, burst = 0;
      if (std::sscanf(item.c_str(), "%d:%d:%d", &c, &b, &burst) != 3 || c < 1 || b < 1 || burst < 1)
        Die("bad --what-if item '" + item + "' (want C:B:burst)");
      BaselineOptions w;
      w.threads = c;
      w.batch = static_cast<size_t>(b);
      w.burst = burst;
      w.pace_rpm = nexus_rpm;
      w.delete_on_failure = false;
      what_ifs.push_back(w);
    }
  }
  std::string sim_bin = ArgString(argc, argv, "--sim", "");
  if (sim_bin.empty())
    sim_bin = (std::filesystem::absolute(argv[0]).parent_path() / "testrail-sim").string();
  if (sizes.empty() || per_test < 1 || per_test > 1000) Die("bad --results / --cases-per-test");
  if (!db.empty() && sizes.size() != 1)
    Die("--db takes one --results size (an empty database each)");
  if (std::getenv("NEXUS_BENCH_VERBOSE") == nullptr) spdlog::set_level(spdlog::level::err);
  signal(SIGPIPE, SIG_IGN);

  std::printf(
      "export_bench: simulator %s (separate process), latency %d ms + %.1f ms/result, "
      "%d requests/min; Nexus budget %.0f/min, batch %s, database %s; baseline %d threads x "
      "batches of "
      "%zu, delete the run after 5 retries\n",
      sim_bin.c_str(), latency_ms, per_result_ms, rate_limit, nexus_rpm,
      batch_size > 0 ? std::to_string(batch_size).c_str() : "adaptive",
      db.empty() ? "SQLite" : "PostgreSQL", bo.threads, bo.batch);
  std::fflush(stdout);

  std::vector<Figures> all;
  for (int64_t n : sizes) {
    auto t_setup = Clock::now();
    const std::string spec = "projects=1,suites=1,sections=20,cases=" + std::to_string(n);
    auto sim_ptr = std::make_unique<SimProcess>(sim_bin, spec);
    SimProcess* sim_now = sim_ptr.get();
    // Issue 16: every upload (Nexus or baseline) on a fresh simulator, on the same port, with
    // the same generated data (ids are deterministic), so none inherits the runs and results
    // of the ones before it. The setup's simulator serves the first upload.
    bool sim_used = false;
    auto fresh_sim = [&]() -> SimProcess& {
      if (sim_used) {
        const int port = sim_ptr->port();
        sim_ptr.reset();
        sim_ptr = std::make_unique<SimProcess>(sim_bin, spec, port);
        sim_now = sim_ptr.get();
      }
      sim_used = true;
      return *sim_now;
    };
    double sim_hwm = 0;
    TempDir dir("nexus-export-bench");
    double plan_rss = -1;
    size_t comment_bytes = 0;
    // The setup (100,000 links and catalog cases written through REST, the dry run) runs in a
    // child process: what it leaves in the heap is not the measured Nexus's. The measured
    // Nexus is a fresh process state on the same data directory.
    Fixture f = SetupInChild([&] {
      auto setup = StartNexus(NexusConfig(dir.path(), 0, batch_size, db));
      Fixture made = Setup(*setup, *sim_now, n, per_test);
      size_t bytes = 0;
      for (const auto& r : PlanResults(*setup, made, n, &made.dry_run_rss_growth))
        bytes += r.comment.size();
      made.comment_bytes = bytes;
      return made;
    });
    plan_rss = f.dry_run_rss_growth;
    comment_bytes = f.comment_bytes;
    const double floor_ms = FloorMs(n, latency_ms, per_result_ms, rate_limit);
    std::printf(
        "N=%lld: setup (%zu runs, %lld results, comments %.0f bytes on average) in %.1f s; "
        "planning alone (dry run, in process) peak RSS growth %.0f MiB; floor %.3f s\n",
        static_cast<long long>(n), f.run_ids.size(), static_cast<long long>(n),
        static_cast<double>(comment_bytes) / static_cast<double>(n), MsSince(t_setup) / 1000.0,
        plan_rss, floor_ms / 1000.0);
    std::fflush(stdout);

    for (const std::string& model : models) {
      for (int trial = 1; trial <= trials; ++trial) {
        // Nexus and the baseline interleaved; each starts from a fresh rate-limit state of the
        // simulator (and Nexus from a fresh process state: its budget's window is empty).
        if (only != "baseline") {
          SimProcess& sim = fresh_sim();
          sim.FreshCloud(rate_limit, latency_ms, per_result_ms, model);
          // Each trial's Nexus in a process of its own: its peak RSS is not inflated by what
          // earlier trials left in the heap.
          Figures fig = Json::parse(InChild([&] {
                          auto app = StartNexus(NexusConfig(dir.path(), nexus_rpm, batch_size, db));
                          return Json(NexusExport(*app, sim, f, n)).dump();
                        })).get<Figures>();
          sim_hwm = std::max(sim_hwm, sim.HwmMiB());
          fig.model = model;
          fig.trial = trial;
          fig.floor_ms = floor_ms;
          std::printf(
              "N=%lld %s #%d: Nexus job %.3f s (%.2fx floor; request %.3f s), %lld calls, %lld "
              "429s, verified %lld; RSS MiB: before %.0f, peak %.0f (VmHWM; sampled %.0f at +%.1f "
              "s), after %.0f; at 0%%, 10%%, ... 100%% of the request: %s\n",
              static_cast<long long>(n), model.c_str(), trial, fig.wall_ms / 1000.0,
              fig.wall_ms / floor_ms, fig.request_ms / 1000.0, static_cast<long long>(fig.calls),
              static_cast<long long>(fig.rate_limited), static_cast<long long>(fig.verified),
              fig.rss_before, fig.rss_peak, fig.sampled_peak, fig.peak_at_ms / 1000.0, fig.rss_end,
              fig.rss_timeline.c_str());
          std::fflush(stdout);
          all.push_back(fig);
        }
        if (only != "nexus" && n <= baseline_max) {
          {
            auto app = StartNexus(NexusConfig(dir.path(), 0, batch_size, db));
            f.results = PlanResults(*app, f, n, &plan_rss);
          }
          SimProcess& sim = fresh_sim();
          sim.FreshCloud(rate_limit, latency_ms, per_result_ms, model);
          Figures fig = BaselineUpload(sim, f, n, bo);
          sim_hwm = std::max(sim_hwm, sim.HwmMiB());
          fig.model = model;
          fig.trial = trial;
          fig.floor_ms = floor_ms;
          std::printf(
              "N=%lld %s #%d: baseline %.3f s (%.2fx floor), %lld calls, %lld 429s, %s, "
              "verified %lld (%lld failed calls without an HTTP answer)\n",
              static_cast<long long>(n), model.c_str(), trial, fig.wall_ms / 1000.0,
              fig.wall_ms / floor_ms, static_cast<long long>(fig.calls),
              static_cast<long long>(fig.rate_limited), fig.outcome.c_str(),
              static_cast<long long>(fig.verified), static_cast<long long>(fig.transport_errors));
          std::fflush(stdout);
          all.push_back(fig);
          if (what_ifs.empty()) {
            f.results.clear();
            f.results.shrink_to_fit();
            malloc_trim(0);
          }
        }
        for (const auto& w : what_ifs) {
          if (f.results.empty()) {
            auto app = StartNexus(NexusConfig(dir.path(), 0, batch_size, db));
            f.results = PlanResults(*app, f, n, &plan_rss);
          }
          SimProcess& sim = fresh_sim();
          sim.FreshCloud(rate_limit, latency_ms, per_result_ms, model);
          char label[160];
          std::snprintf(label, sizeof label, "what-if: paced %.0f/min burst %d, %d x %zu in flight",
                        w.pace_rpm, w.burst, w.threads, w.batch);
          Figures fig = BaselineUpload(sim, f, n, w, label);
          fig.model = model;
          fig.trial = trial;
          fig.floor_ms = floor_ms;
          std::printf("N=%lld: %s %.1f s\n", static_cast<long long>(n), label,
                      fig.wall_ms / 1000.0);
          std::fflush(stdout);
          all.push_back(fig);
        }
        f.results.clear();
        f.results.shrink_to_fit();
        malloc_trim(0);
      }
    }
    std::printf("N=%lld: simulator peak RSS %.0f MiB (the largest of its processes)\n",
                static_cast<long long>(n), std::max(sim_hwm, sim_now->HwmMiB()));
  }

  std::printf(
      "\n| client | model | trial | results | wall s | x floor | TestRail calls | by method | "
      "429s | failed calls | failed batches | results landed | verified | outcome | Nexus RSS "
      "MiB peak (growth) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& f : all) PrintRow(f);

  // Medians over the trials of each (client, model, N).
  std::printf(
      "\nMedians (%d trial(s)):\n\n| N | model | floor s | client | wall s (median) | x floor | "
      "calls | 429s | peak RSS MiB | verified | outcome |\n|---|---|---|---|---|---|---|---|---|"
      "---|---|\n",
      trials);
  for (int64_t n : sizes)
    for (const std::string& model : models)
      for (const std::string& client : {std::string("Nexus"), std::string("trcli-like baseline")}) {
        std::vector<const Figures*> rows;
        for (const auto& f : all)
          if (f.n == n && f.model == model && f.client == client) rows.push_back(&f);
        if (rows.empty()) continue;
        std::sort(rows.begin(), rows.end(),
                  [](const Figures* a, const Figures* b) { return a->wall_ms < b->wall_ms; });
        const Figures& m = *rows[rows.size() / 2];
        int64_t max429 = 0;
        double max_rss = -1;
        std::string outcomes, verified;
        for (const Figures* r : rows) {
          max429 = std::max(max429, r->rate_limited);
          max_rss = std::max(max_rss, r->rss_peak);
          outcomes += (outcomes.empty() ? "" : "/") + r->outcome;
          verified += (verified.empty() ? "" : "/") + std::to_string(r->verified);
        }
        char rss[32] = "-";
        if (max_rss >= 0) std::snprintf(rss, sizeof rss, "%.0f", max_rss);
        std::printf("| %lld | %s | %.3f | %s | %.3f | %.2f | %lld | %lld (max) | %s | %s | %s |\n",
                    static_cast<long long>(n), model.c_str(), m.floor_ms / 1000.0, client.c_str(),
                    m.wall_ms / 1000.0, m.wall_ms / m.floor_ms, static_cast<long long>(m.calls),
                    static_cast<long long>(max429), rss, verified.c_str(), outcomes.c_str());
      }
  return 0;
}
