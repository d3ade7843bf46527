// Catalog benchmark (figures in docs/benchmarks.md "Catalog"): the real Nexus App
// against the in-process TestRail simulator holding a 100,000-case project (4 suites x
// 25,000 cases by default). Measures, through the REST API:
//   1. full sync: wall time, TestRail API calls (simulator Stats delta), memory (peak RSS of
//      the process, which includes the simulator, and the growth during the sync);
//   2. incremental re-sync with nothing changed: calls per suite;
//   3. case search: p50/p95/p99/max latency of a mix of queries over one keep-alive
//      connection;
//   4. the deletion check of linked cases (--links N, default 2,000; 10 of them deleted in
//      TestRail): calls of one automatic sync, links clustered by section and spread uniformly.
// The sync runs unpaced (the client's rate budget off, as against an on-premise server);
// --paced-rpm R repeats the full sync on a fresh Nexus under an R requests/min budget
// (TestRail Cloud: 180).
//
// Usage: catalog_bench [--suites N] [--cases-per-suite N] [--searches N] [--paced-rpm R]
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "bench_util.h"
#include "simulator.h"

namespace {

using nexus_bench::Clock;
using nexus_bench::Die;
using nexus_bench::Json;
using nexus_bench::MaxRssMiB;
using nexus_bench::MethodsText;
using nexus_bench::MsSince;
using nexus_bench::ProcStatusMiB;
using nexus_bench::ResetPeakRss;
using nexus_bench::Rest;
using nexus_bench::TempDir;

// A running Nexus with one project connected to the simulator (suites not selected yet).
struct Nexus {
  TempDir dir;
  std::unique_ptr<nexus::app::App> app;
  std::unique_ptr<Rest> rest;
  int64_t project = 0;
  std::string tr;  // /api/v1/projects/<id>/testrail

  Nexus(const testrail_sim::Simulator& sim, double rpm) {
    nexus::app::Config c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir.path();
    c.kdf = nexus::auth::KdfStrength::kMinimum;
    c.testrail_allow_private = true;
    c.testrail_requests_per_minute = rpm;
    c.catalog_sync_interval_ms = 0;
    auto a = nexus::app::App::Start(c);
    if (!a.ok()) Die("App::Start: " + a.status().ToString());
    app = std::move(a).value();
    auto u = app->auth().CreateUser("bench@nexus.test", "Bench", "password-123", true);
    if (!u.ok()) Die("CreateUser: " + u.status().ToString());
    auto t = app->auth().CreateToken(u->id, "bench");
    if (!t.ok()) Die("CreateToken: " + t.status().ToString());
    rest = std::make_unique<Rest>(app->port(), t->secret);
    project = rest->Expect("POST", "/api/v1/projects", {{"name", "Bench"}}, 201)["id"];
    std::string base = "/api/v1/projects/" + std::to_string(project);
    tr = base + "/testrail";
    rest->Expect("PUT", base + "/features", {{"testrail", true}}, 200);
    rest->Expect("PUT", tr + "/connection",
                 {{"url", sim.base_url()},
                  {"user", testrail_sim::kDefaultEmail},
                  {"api_key", testrail_sim::kDefaultApiKey}},
                 200);
    Json projects = rest->Expect("GET", tr + "/remote/projects", nullptr, 200);
    int64_t trp = projects["items"][0]["id"];
    rest->Expect("PUT", tr + "/project", {{"testrail_project_id", trp}}, 200);
  }

  std::vector<int64_t> RemoteSuites() {
    std::vector<int64_t> ids;
    Json j = rest->Expect("GET", tr + "/remote/suites", nullptr, 200);
    for (int attempt = 0; j["items"].empty() && attempt < 5; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      j = rest->Expect("GET", tr + "/remote/suites", nullptr, 200);
    }
    if (std::getenv("NEXUS_BENCH_VERBOSE")) std::fprintf(stderr, "%s\n", j.dump().c_str());
    for (const auto& s : j["items"]) ids.push_back(s["id"].get<int64_t>());
    return ids;
  }

  // Waits for the job; dies unless it succeeded.
  nexus::Job Wait(int64_t job_id) {
    auto job = app->jobs().WaitFor(job_id, std::chrono::minutes(30));
    if (!job.ok()) Die("WaitFor: " + job.status().ToString());
    if (job->state != nexus::JobState::kSucceeded)
      Die("sync job " + std::to_string(job_id) + " did not succeed: " + job->error);
    return *job;
  }
};

struct SyncFigures {
  double wall_ms = 0;
  int64_t calls = 0;
  std::map<std::string, int64_t> by_method;
  int64_t cases = 0;
  double rss_before = 0, rss_after = 0, hwm = 0;
};

std::map<std::string, int64_t> Delta(const testrail_sim::SimStats& a,
                                     const testrail_sim::SimStats& b, int64_t* total) {
  std::map<std::string, int64_t> out;
  for (const auto& [m, n] : b.calls) {
    auto it = a.calls.find(m);
    int64_t d = n - (it == a.calls.end() ? 0 : it->second);
    if (d) out[m] = d;
  }
  *total = b.total_calls - a.total_calls;
  return out;
}

// Selecting the suites starts the automatic (full) sync; measured until its job finished.
SyncFigures FullSync(Nexus& nx, testrail_sim::Simulator& sim, const std::vector<int64_t>& suites) {
  SyncFigures f;
  f.rss_before = ProcStatusMiB("VmRSS");
  bool hwm_reset = ResetPeakRss();
  auto s0 = sim.Stats();
  auto t0 = Clock::now();
  nx.rest->Expect("PUT", nx.tr + "/suites", {{"suite_ids", suites}}, 200);
  // The selection already queued a sync; asking again returns that job (de-duplicated).
  Json r = nx.rest->Expect("POST", nx.tr + "/catalog/sync", {{"mode", "full"}}, 202);
  nx.Wait(r["job_id"].get<int64_t>());
  f.wall_ms = MsSince(t0);
  f.by_method = Delta(s0, sim.Stats(), &f.calls);
  f.rss_after = ProcStatusMiB("VmRSS");
  f.hwm = hwm_reset ? ProcStatusMiB("VmHWM") : -1;
  Json cat = nx.rest->Expect("GET", nx.tr + "/catalog", nullptr, 200);
  f.cases = cat["counts"]["cases"].get<int64_t>();
  return f;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

std::vector<std::string> Words(const std::string& title) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : title + " ") {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
}

struct Query {
  std::string kind;
  std::string path;
};

using nexus_bench::ArgInt;

void PrintSync(const char* label, const SyncFigures& f) {
  std::printf("%-34s %10.1f s  %7lld calls  %8lld cases  (%s)\n", label, f.wall_ms / 1000.0,
              static_cast<long long>(f.calls), static_cast<long long>(f.cases),
              MethodsText(f.by_method).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  nexus_bench::g_program = "catalog_bench";
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf(
          "catalog_bench [--suites N=4] [--cases-per-suite N=25000] [--searches N=2000] "
          "[--paced-rpm R=0 (skip)] [--seed N=1] [--links N=2000]\n");
      return 0;
    }
  const int suites_n = static_cast<int>(ArgInt(argc, argv, "--suites", 4));
  const int per_suite = static_cast<int>(ArgInt(argc, argv, "--cases-per-suite", 25'000));
  const int searches = static_cast<int>(ArgInt(argc, argv, "--searches", 2'000));
  const double paced_rpm = static_cast<double>(ArgInt(argc, argv, "--paced-rpm", 0));
  const uint64_t seed = static_cast<uint64_t>(ArgInt(argc, argv, "--seed", 1));
  const int links_n =
      std::max(100, static_cast<int>(ArgInt(argc, argv, "--links", 2'000)) / 100 * 100);
  // Keep the server's info logs out of the table.
  if (std::getenv("NEXUS_BENCH_VERBOSE") == nullptr) spdlog::set_level(spdlog::level::warn);

  std::printf("catalog_bench: %d suites x %d cases = %d cases, %d searches\n", suites_n, per_suite,
              suites_n * per_suite, searches);
  auto t_gen = Clock::now();
  testrail_sim::SimulatorOptions so;
  testrail_sim::GenerateSpec spec;
  spec.projects = 1;
  spec.suites = suites_n;
  spec.sections = 50;
  spec.cases = per_suite;
  spec.depth = 3;
  so.generate = spec;
  testrail_sim::Simulator sim(so);
  std::string error;
  if (!sim.Start(&error)) Die("simulator: " + error);
  std::printf("simulator generated and listening in %.1f s; RSS %.0f MiB\n",
              MsSince(t_gen) / 1000.0, ProcStatusMiB("VmRSS"));

  // ---- 1. Full sync, unpaced (on-premise: no rate budget).
  Nexus nx(sim, 0);
  std::vector<int64_t> suites = nx.RemoteSuites();
  if (suites.size() != static_cast<size_t>(suites_n))
    Die("expected " + std::to_string(suites_n) + " suites, got " + std::to_string(suites.size()));
  SyncFigures full = FullSync(nx, sim, suites);
  if (full.cases != static_cast<int64_t>(suites_n) * per_suite)
    Die("catalog holds " + std::to_string(full.cases) + " cases");

  // ---- 2. Incremental re-sync with nothing changed.
  SyncFigures inc;
  {
    auto s0 = sim.Stats();
    auto t0 = Clock::now();
    Json r =
        nx.rest->Expect("POST", nx.tr + "/catalog/sync?wait=1", {{"mode", "incremental"}}, 200);
    if (r["state"] != "succeeded") Die("incremental sync: " + r.dump());
    inc.wall_ms = MsSince(t0);
    inc.by_method = Delta(s0, sim.Stats(), &inc.calls);
    inc.cases = 0;
    for (const auto& s : r["result"]["suites"]) inc.cases += s.value("cases_fetched", 0);
  }
  // An unchanged full re-sync, for comparison (no writes of changed rows).
  SyncFigures refull;
  {
    auto s0 = sim.Stats();
    auto t0 = Clock::now();
    Json r = nx.rest->Expect("POST", nx.tr + "/catalog/sync?wait=1", {{"mode", "full"}}, 200);
    if (r["state"] != "succeeded") Die("full re-sync: " + r.dump());
    refull.wall_ms = MsSince(t0);
    refull.by_method = Delta(s0, sim.Stats(), &refull.calls);
    for (const auto& s : r["result"]["suites"]) refull.cases += s.value("cases_fetched", 0);
  }

  // ---- 3. Search. Queries from the real titles of the catalog.
  auto cases = nx.app->store().ListCatalogCases(nx.project);
  if (!cases.ok()) Die("ListCatalogCases: " + cases.status().ToString());
  std::map<std::string, int64_t> freq;
  for (const auto& c : *cases) {
    auto w = Words(c.title);
    for (const auto& word : std::set<std::string>(w.begin(), w.end())) ++freq[word];
  }
  std::vector<std::pair<int64_t, std::string>> by_freq;
  for (const auto& [w, n] : freq)
    if (w.size() >= 3 && !std::isdigit(static_cast<unsigned char>(w[0]))) by_freq.push_back({n, w});
  std::sort(by_freq.begin(), by_freq.end());
  std::vector<std::string> rare, common;
  for (const auto& [n, w] : by_freq)
    if (n <= 50 && rare.size() < 200) rare.push_back(w);
  for (auto it = by_freq.rbegin(); it != by_freq.rend() && common.size() < 20; ++it)
    common.push_back(it->second);
  if (rare.empty())
    for (size_t i = 0; i < by_freq.size() && i < 50; ++i) rare.push_back(by_freq[i].second);

  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<Query> queries;
  const std::string cases_path = nx.tr + "/cases?limit=50";
  for (int i = 0; i < searches; ++i) {
    const auto& c = (*cases)[pick(cases->size())];
    std::string filter = (i % 2) ? "&suite_id=" + std::to_string(c.suite_id) : "";
    int bucket = static_cast<int>(pick(100));
    Query q;
    if (bucket < 20) {
      q = {"C-id", "q=C" + std::to_string(c.id)};
    } else if (bucket < 30) {
      q = {"numeric id", "q=" + std::to_string(c.id)};
    } else if (bucket < 50) {
      q = {"1 word, common", "q=" + UrlEncode(common[pick(common.size())])};
    } else if (bucket < 65) {
      q = {"1 word, rare", "q=" + UrlEncode(rare[pick(rare.size())])};
    } else if (bucket < 85) {
      auto w = Words(c.title);
      std::string two = w.size() >= 2 ? w[w.size() / 2 - 1] + " " + w[w.size() / 2] : c.title;
      q = {"2 words from a title", "q=" + UrlEncode(two)};
    } else if (bucket < 95) {
      auto w = Words(c.title);
      std::string part = w.empty() ? "a" : w[pick(w.size())].substr(0, 3);
      q = {"3-letter substring", "q=" + UrlEncode(part)};
    } else {
      q = {"no q (tree order)", ""};
    }
    q.path = cases_path + (q.path.empty() ? "" : "&" + q.path) + filter;
    queries.push_back(q);
  }

  // Cold query: builds the in-memory index (dropped by the sync that just ran).
  double cold_ms = 0;
  {
    auto t0 = Clock::now();
    nx.rest->Expect("GET", cases_path + "&q=zzzz", nullptr, 200);
    cold_ms = MsSince(t0);
  }
  std::vector<double> all;
  std::map<std::string, std::vector<double>> per_kind;
  int64_t hits = 0;
  for (const auto& q : queries) {
    auto t0 = Clock::now();
    auto [status, body] = nx.rest->Call("GET", q.path);
    double ms = MsSince(t0);
    if (status != 200) Die("GET " + q.path + " -> " + std::to_string(status) + body.dump());
    hits += static_cast<int64_t>(body["items"].size());
    all.push_back(ms);
    per_kind[q.kind].push_back(ms);
  }
  double peak_all = MaxRssMiB();

  // ---- 4. Deletion check of linked cases (issue 12): `links` linked cases, 10 of them deleted
  // in TestRail, then one automatic sync (the catalog's Refresh / the periodic sync). Two
  // spreads: clustered (whole sections linked, as a team automating a feature area) and
  // uniform (every linked case in a random place — the worst case).
  struct DeletionFigures {
    std::string spread;
    int64_t calls = 0, found = 0, verified = 0;
    std::map<std::string, int64_t> by_method;
    std::string modes;
    double wall_ms = 0;
  };
  std::vector<DeletionFigures> deletions;
  {
    std::vector<const nexus::CatalogCaseRecord*> live;
    for (const auto& c : *cases)
      if (!c.is_deleted) live.push_back(&c);
    std::set<int64_t> gone;  // deleted by an earlier spread
    std::vector<int64_t> test_ids;
    for (int t = 0; t < links_n / 100; ++t) {
      Json body = {{"name", "Linked " + std::to_string(t)}, {"steps", Json::array()}};
      test_ids.push_back(nx.rest
                             ->Expect("POST",
                                      "/api/v1/projects/" + std::to_string(nx.project) + "/tests",
                                      body, 201)["id"]
                             .get<int64_t>());
    }
    for (const std::string spread : {"clustered", "uniform"}) {
      std::vector<int64_t> linked;
      if (spread == "clustered") {
        std::map<int64_t, std::vector<int64_t>> by_section;
        for (const auto* c : live)
          if (!gone.count(c->id)) by_section[c->section_id].push_back(c->id);
        std::vector<int64_t> secs;
        for (const auto& [sec, ids] : by_section) secs.push_back(sec);
        std::shuffle(secs.begin(), secs.end(), rng);
        for (int64_t sec : secs)
          for (int64_t id : by_section[sec])
            if (linked.size() < static_cast<size_t>(links_n)) linked.push_back(id);
      } else {
        std::vector<const nexus::CatalogCaseRecord*> pool = live;
        std::shuffle(pool.begin(), pool.end(), rng);
        for (size_t i = 0; i < pool.size() && linked.size() < static_cast<size_t>(links_n); ++i)
          if (!gone.count(pool[i]->id)) linked.push_back(pool[i]->id);
      }
      for (size_t t = 0; t < test_ids.size(); ++t) {
        std::vector<int64_t> part(linked.begin() + static_cast<ptrdiff_t>(t * 100),
                                  linked.begin() + static_cast<ptrdiff_t>((t + 1) * 100));
        nx.rest->Expect("PUT",
                        "/api/v1/projects/" + std::to_string(nx.project) + "/tests/" +
                            std::to_string(test_ids[t]) + "/testrail-links",
                        {{"case_ids", part}}, 200);
      }
      for (int k = 0; k < 10; ++k) {
        int64_t id = linked[static_cast<size_t>(k) * 97 % linked.size()];
        sim.DeleteCase(id);
        gone.insert(id);
      }
      DeletionFigures f;
      f.spread = spread;
      auto s0 = sim.Stats();
      auto t0 = Clock::now();
      Json r = nx.rest->Expect("POST", nx.tr + "/catalog/sync?wait=1", {{"mode", "auto"}}, 200);
      if (r["state"] != "succeeded") Die("auto sync: " + r.dump());
      f.wall_ms = MsSince(t0);
      f.by_method = Delta(s0, sim.Stats(), &f.calls);
      std::map<std::string, int> modes;
      for (const auto& su : r["result"]["suites"]) {
        f.found += su.value("deleted_found", 0);
        f.verified += su.value("linked_verified", 0);
        ++modes[su.value("mode", "")];
      }
      for (const auto& [m, n] : modes)
        f.modes += (f.modes.empty() ? "" : ", ") + std::to_string(n) + " " + m;
      // Every deleted linked case is red now (a full listing finds the deleted ones in
      // suites that were listed fully, the check in the others).
      Json cat = nx.rest->Expect("GET", nx.tr + "/catalog", nullptr, 200);
      if (cat["counts"]["deleted_cases"].get<int64_t>() != static_cast<int64_t>(gone.size()))
        Die("deleted linked cases not found: " + cat.dump());
      deletions.push_back(f);
    }
  }

  // ---- 5. Optional: full sync under a request budget (TestRail Cloud: 180/min).
  std::optional<SyncFigures> paced;
  if (paced_rpm > 0) {
    std::printf("paced full sync at %.0f requests/min on a fresh Nexus...\n", paced_rpm);
    std::fflush(stdout);
    Nexus nx2(sim, paced_rpm);
    paced = FullSync(nx2, sim, suites);
  }

  // ---- Report.
  std::printf("\n== Catalog sync (%d suites x %d cases) ==\n", suites_n, per_suite);
  PrintSync("full sync, unpaced", full);
  PrintSync("incremental re-sync, unchanged", inc);
  PrintSync("full re-sync, unchanged, unpaced", refull);
  if (paced)
    PrintSync(("full sync, paced " + std::to_string(int(paced_rpm)) + "/min").c_str(), *paced);
  std::printf("incremental calls per suite: %.1f\n",
              static_cast<double>(inc.calls) / static_cast<double>(suites_n));
  std::printf(
      "memory (process = Nexus + simulator): RSS before full sync %.0f MiB, after %.0f MiB "
      "(+%.0f), peak during sync %.0f MiB (VmHWM), peak of the whole run %.0f MiB "
      "(ru_maxrss)\n",
      full.rss_before, full.rss_after, full.rss_after - full.rss_before, full.hwm, peak_all);

  std::printf("\n== Deletion check: %d linked cases, 10 deleted in TestRail, one auto sync ==\n",
              links_n);
  for (const auto& f : deletions)
    std::printf(
        "%-10s %7lld calls  %6.1f s  suites: %s  linked checked %lld  deleted found %lld  (%s)\n",
        f.spread.c_str(), static_cast<long long>(f.calls), f.wall_ms / 1000.0, f.modes.c_str(),
        static_cast<long long>(f.verified), static_cast<long long>(f.found),
        MethodsText(f.by_method).c_str());
  std::printf("(a full listing of every suite costs %lld calls)\n",
              static_cast<long long>(refull.calls));

  std::printf("\n== Case search over %zu cases, REST, one keep-alive connection, limit=50 ==\n",
              cases->size());
  std::printf("first query after the sync (builds the index): %.1f ms\n", cold_ms);
  std::printf("%-24s %6s %9s %9s %9s %9s\n", "queries", "n", "p50 ms", "p95 ms", "p99 ms",
              "max ms");
  auto row = [](const std::string& k, const std::vector<double>& v) {
    std::printf("%-24s %6zu %9.2f %9.2f %9.2f %9.2f\n", k.c_str(), v.size(), Percentile(v, 50),
                Percentile(v, 95), Percentile(v, 99), Percentile(v, 100));
  };
  for (const auto& [k, v] : per_kind) row(k, v);
  row("ALL", all);
  std::printf("items returned: %lld; goal p95 < 20 ms: %s\n", static_cast<long long>(hits),
              Percentile(all, 95) < 20 ? "met" : "MISSED");
  return 0;
}
