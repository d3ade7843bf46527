// Attachment benchmark (issue 17; figures in docs/benchmarks.md "Attachments"): one export of
// N results that carry run artifacts (two PNG screenshots of ~200 KB per run, one per step, by
// default) to TestRail with the attachment policy "all", by the real Nexus App in process,
// against testrail-sim run as a separate process configured like TestRail Cloud (50 ms latency,
// 1 ms per result written, 180 requests/min with 429 + Retry-After).
//
// Setup (an unpaced Nexus, then restarted on the same data directory with the 180/min budget):
// N cases, N tests each linked to one case, one finished run per test, `--per-run` screenshots
// uploaded to each run through POST /api/v1/projects/{p}/runs/{r}/artifacts (each a distinct
// noise PNG, so content addressing stores every one). Measured on the export: wall time of the
// export job, TestRail calls by method, 429s, peak RSS of this process (Nexus; the simulator
// is another process), attachments sent / bytes. Verified afterwards in the simulator
// (get_attachments_for_test of each test, rate limit lifted first): every result holds exactly its
// run's screenshots, each once, and every case has its result.
//
// Usage: attachment_bench [--results 1000] [--per-run 2] [--kib 200] [--rpm 180]
//                         [--latency-ms 50] [--per-result-ms 1] [--sim PATH]
#include <httplib.h>
#include <malloc.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "app/png_writer.h"
#include "bench_util.h"
#include "export_fixture.h"

namespace {

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
using nexus_bench::SimProcess;
using nexus_bench::SimStats;
using nexus_bench::StartNexus;
using nexus_bench::TempDir;

// A PNG of about `bytes` bytes: a square of seeded noise (incompressible, so the file is as big
// as its pixels) — a stand-in for a screenshot that costs the same to store and send.
std::string NoisePng(size_t bytes, uint32_t seed) {
  int side = 16;
  while (static_cast<size_t>(side + 1) * (side + 1) * 3 <= bytes) ++side;
  nexus::app::RgbImage img(side, side);
  std::mt19937 rng(seed);
  for (auto& p : img.pixels) p = static_cast<uint8_t>(rng());
  return nexus::app::EncodePng(img);
}

// Step ids of the run's test (GET the run, then its test).
std::vector<std::string> StepIds(Rest& rest, const std::string& base, int64_t run_id) {
  Json run = rest.Expect("GET", base + "/runs/" + std::to_string(run_id), nullptr, 200);
  Json test = rest.Expect("GET", base + "/tests/" + std::to_string(run["test_id"].get<int64_t>()),
                          nullptr, 200);
  std::vector<std::string> ids;
  for (const auto& s : test["steps"]) ids.push_back(s["id"].get<std::string>());
  return ids;
}

// Paged list `key` of a simulator API `call` (limit 250 per page).
std::vector<Json> Paged(httplib::Client& http, const std::string& call, const std::string& key) {
  std::vector<Json> out;
  for (size_t offset = 0;; offset += 250) {
    auto r = http.Get("/index.php?/api/v2/" + call + "&limit=250&offset=" + std::to_string(offset));
    if (!r || r->status != 200) Die(call + " failed");
    Json j = Json::parse(r->body);
    for (auto& a : j[key]) out.push_back(a);
    if (j[key].size() < 250) break;
  }
  return out;
}

// Every result attachment of TestRail run `run_id` by case: get_tests, then
// get_attachments_for_test of each test (get_attachments_for_run lists the run's own).
std::map<int64_t, std::multiset<std::string>> ResultAttachments(const SimProcess& sim,
                                                                int64_t run_id, int64_t* count) {
  httplib::Client http("127.0.0.1", sim.port());
  http.set_basic_auth(kSimEmail, kSimApiKey);
  http.set_keep_alive(true);
  http.set_read_timeout(60, 0);
  std::map<int64_t, std::multiset<std::string>> out;
  *count = 0;
  for (const Json& t : Paged(http, "get_tests/" + std::to_string(run_id), "tests"))
    for (const Json& a :
         Paged(http, "get_attachments_for_test/" + std::to_string(t["id"].get<int64_t>()),
               "attachments")) {
      ++*count;
      out[t["case_id"].get<int64_t>()].insert(a["name"].get<std::string>());
    }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help") {
      std::printf(
          "attachment_bench [--results N=1000] [--per-run K=2] [--kib S=200] [--rpm 180]\n"
          "                 [--latency-ms 50] [--per-result-ms 1] [--sim PATH]\n"
          "One export of N results with K screenshots of S KiB per run (attachment policy\n"
          "'all') to testrail-sim at --rpm requests/min; wall time, calls, 429s, peak RSS.\n");
      return 0;
    }
  const int64_t n = ArgInt(argc, argv, "--results", 1000);
  const int64_t per_run = ArgInt(argc, argv, "--per-run", 2);
  const int64_t kib = ArgInt(argc, argv, "--kib", 200);
  const int rpm = static_cast<int>(ArgInt(argc, argv, "--rpm", 180));
  const int latency_ms = static_cast<int>(ArgInt(argc, argv, "--latency-ms", 50));
  const double per_result_ms = std::atof(ArgString(argc, argv, "--per-result-ms", "1").c_str());
  std::string sim_bin = ArgString(argc, argv, "--sim", "");
  if (sim_bin.empty())
    sim_bin = (std::filesystem::absolute(argv[0]).parent_path() / "testrail-sim").string();
  if (n < 1 || n > 1000 || per_run < 1 || per_run > 2 || kib < 1 || kib > 100 * 1024 || rpm < 0)
    Die("bad arguments (--results 1..1000, --per-run 1..2 — the fixture's tests have two "
        "steps, --kib 1..102400, --rpm >= 0)");
  if (std::getenv("NEXUS_BENCH_VERBOSE") == nullptr) spdlog::set_level(spdlog::level::err);
  signal(SIGPIPE, SIG_IGN);

  std::printf(
      "attachment_bench: simulator %s (separate process), latency %d ms + %.1f ms/result, %d "
      "requests/min; Nexus budget %d/min; %lld results, %lld screenshots of %lld KiB per run\n",
      sim_bin.c_str(), latency_ms, per_result_ms, rpm, rpm, static_cast<long long>(n),
      static_cast<long long>(per_run), static_cast<long long>(kib));
  std::fflush(stdout);

  SimProcess sim(sim_bin, "projects=1,suites=1,sections=20,cases=" + std::to_string(n));
  TempDir dir("nexus-attachment-bench");
  Fixture f;
  int64_t uploaded = 0, uploaded_bytes = 0;
  std::map<int64_t, std::set<std::string>> names_by_case;  // TestRail case -> expected names
  {
    auto t0 = Clock::now();
    auto setup = StartNexus(NexusConfig(dir.path(), 0, 0));
    f = nexus_bench::Setup(*setup, sim, n, 1, /*in_execution=*/true);
    Rest rest(setup->port(), f.token);
    const std::string base = "/api/v1/projects/" + std::to_string(f.project);
    rest.Expect("PUT", base + "/testrail/options",
                {{"attachments", {{"mode", "all"}, {"media_types", {"image/png"}}}}}, 200);
    httplib::Client up("127.0.0.1", setup->port());
    up.set_keep_alive(true);
    const httplib::Headers auth{{"Authorization", "Bearer " + f.token}};
    // The case of each run (the fixture links test i to the i-th case of the sorted catalog).
    auto cases = setup->store().ListCatalogCases(f.project);
    if (!cases.ok()) Die("ListCatalogCases: " + cases.status().ToString());
    std::vector<int64_t> case_ids;
    for (const auto& c : *cases) case_ids.push_back(c.id);
    std::sort(case_ids.begin(), case_ids.end());
    for (size_t i = 0; i < f.run_ids.size(); ++i) {
      const std::vector<std::string> steps = StepIds(rest, base, f.run_ids[i]);
      for (int64_t k = 0; k < per_run; ++k) {
        const std::string name =
            "run" + std::to_string(i + 1) + "-step" + std::to_string(k + 1) + ".png";
        const std::string png =
            NoisePng(static_cast<size_t>(kib) * 1024, static_cast<uint32_t>(i * 2 + k + 1));
        const std::string path = base + "/runs/" + std::to_string(f.run_ids[i]) +
                                 "/artifacts?name=" + name +
                                 "&step_id=" + steps.at(static_cast<size_t>(k));
        auto r = up.Post(path, auth, png, "image/png");
        if (!r || r->status != 201)
          Die("artifact upload " + path + " -> " +
              (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())));
        ++uploaded;
        uploaded_bytes += static_cast<int64_t>(png.size());
        names_by_case[case_ids[i]].insert(name);
      }
    }
    std::printf("setup: %zu runs, %lld artifacts (%.1f MiB) uploaded in %.1f s\n", f.run_ids.size(),
                static_cast<long long>(uploaded), static_cast<double>(uploaded_bytes) / 1048576.0,
                MsSince(t0) / 1000.0);
    std::fflush(stdout);
  }  // stopped: the measured Nexus is a fresh process on the same data directory

  auto app = StartNexus(NexusConfig(dir.path(), rpm, 0));
  sim.FreshCloud(rpm, latency_ms, per_result_ms);
  Rest rest(app->port(), f.token);
  const std::string path = "/api/v1/projects/" + std::to_string(f.project) + "/testrail/exports";
  SimStats s0 = sim.Stats();
  malloc_trim(0);
  const double rss_before = ProcStatusMiB("VmRSS");
  const bool hwm = nexus_bench::ResetPeakRss();
  auto t0 = Clock::now();
  Json started = rest.Expect(
      "POST", path,
      {{"execution_id", f.execution_id}, {"custom_run_name", "Attachment bench"}, {"wait", false}},
      202);
  const std::string detail = path + "/" + std::to_string(started["id"].get<int64_t>());
  Json r;
  for (int last_pct = -1;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    r = rest.Expect("GET", detail, nullptr, 200);
    const Json& a = r["attachments"];
    const int total = a["total"].get<int>();
    const int pct = total > 0 ? a["sent"].get<int>() * 100 / total : 0;
    if (pct / 10 != last_pct / 10) {
      std::printf("  +%.0f s: results %lld, attachments %d/%d\n", MsSince(t0) / 1000.0,
                  static_cast<long long>(r["results_sent"].get<int64_t>()), a["sent"].get<int>(),
                  total);
      std::fflush(stdout);
      last_pct = pct;
    }
    const std::string state = r["state"].get<std::string>();
    if (state != "queued" && state != "running") break;
  }
  const double request_s = MsSince(t0) / 1000.0;
  const double rss_peak = hwm ? ProcStatusMiB("VmHWM") : nexus_bench::MaxRssMiB();
  SimStats s1 = sim.Stats();
  const auto by_method = CallsDelta(s0.calls, s1.calls);
  const double wall_s = r["export_duration_ms"].is_number()
                            ? r["export_duration_ms"].get<double>() / 1000.0
                            : request_s;

  // Verification, the rate limit lifted: every case's result holds exactly its names, once.
  sim.Configure({{"rate_limit_per_minute", 0}, {"latency_ms", 0}, {"per_result_ms", 0}});
  int64_t verified_results = -1, wrong = 0, duplicates = 0, attachments_found = 0;
  if (r["testrail_run_id"].is_number_integer()) {
    const int64_t run_id = r["testrail_run_id"].get<int64_t>();
    verified_results = sim.TestsWithAResult(run_id);
    auto found = ResultAttachments(sim, run_id, &attachments_found);
    for (const auto& [case_id, want] : names_by_case) {
      const auto& got = found[case_id];
      for (const auto& name : want) {
        const size_t c = got.count(name);
        if (c == 0) ++wrong;
        if (c > 1) duplicates += static_cast<int64_t>(c - 1);
      }
      for (const auto& name : got)
        if (!want.count(name)) ++wrong;
    }
  }
  const Json& a = r["attachments"];
  std::printf(
      "\n| results | screenshots | MiB | state | export wall s | request s | TestRail calls | by "
      "method | 429s | attachments sent / total / refused | results verified | attachments in "
      "TestRail | missing or extra | duplicates | Nexus RSS MiB before / peak |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
      "| %lld | %lld | %.1f | %s | %.1f | %.1f | %lld | %s | %lld | %d / %d / %d | %lld | %lld | "
      "%lld | %lld | %.0f / %.0f |\n",
      static_cast<long long>(n), static_cast<long long>(uploaded),
      static_cast<double>(uploaded_bytes) / 1048576.0, r["state"].get<std::string>().c_str(),
      wall_s, request_s, static_cast<long long>(s1.total_calls - s0.total_calls),
      MethodsText(by_method).c_str(), static_cast<long long>(s1.rate_limited - s0.rate_limited),
      a["sent"].get<int>(), a["total"].get<int>(), a["refused"].get<int>(),
      static_cast<long long>(verified_results), static_cast<long long>(attachments_found),
      static_cast<long long>(wrong), static_cast<long long>(duplicates), rss_before, rss_peak);
  if (r["state"] != "succeeded") std::fprintf(stderr, "export: %s\n", r.dump().c_str());
  const bool ok = r["state"] == "succeeded" && wrong == 0 && duplicates == 0 &&
                  attachments_found == uploaded && verified_results == n;
  return ok ? 0 : 1;
}
