// Shared setup of the export integration tests: a Nexus project connected to the in-process
// TestRail simulator (project 1: suites A and B), a local catalog copied from the simulator,
// tests linked to cases, runs, and readers of what landed in TestRail.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/api_harness.h"
#include "simulator.h"
#include "testrail/client.h"
#include "testrail/curl_transport.h"
#include "testrail/rate_budget.h"

namespace nexus::testing {

// The `nexus` binary of this build (beside the test binary, or in $NEXUS_BUILD_DIR), for
// tests that run it as a child process.
inline std::string NexusBinary() {
  if (const char* b = std::getenv("NEXUS_BUILD_DIR")) return std::string(b) + "/nexus";
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "nexus").string();
}

// What TestRail holds for project 1.
struct RemoteState {
  std::vector<testrail::Run> runs;    // outside plans
  std::vector<testrail::Plan> plans;  // with entries
  // TestRail run id → case id → number of results.
  std::map<int64_t, std::map<int64_t, int>> results;
  std::map<int64_t, std::map<int64_t, int64_t>> last_status;  // run → case → status
  int64_t total_results = 0;
};

// Reads every run/plan of TestRail project 1 with its results.
inline RemoteState ReadRemote(const testrail::TestRailClient& c) {
  RemoteState s;
  auto runs = c.GetRuns(1);
  EXPECT_TRUE(runs.ok()) << runs.status().ToString();
  if (runs.ok()) s.runs = *runs;
  auto plans = c.GetPlans(1);
  EXPECT_TRUE(plans.ok()) << plans.status().ToString();
  std::vector<int64_t> run_ids;
  for (const auto& r : s.runs) run_ids.push_back(r.id);
  if (plans.ok())
    for (const auto& p : *plans) {
      auto full = c.GetPlan(p.id);
      EXPECT_TRUE(full.ok());
      if (!full.ok()) continue;
      for (const auto& e : full->entries)
        for (const auto& r : e.runs) run_ids.push_back(r.id);
      s.plans.push_back(*full);
    }
  for (int64_t run : run_ids) {
    auto tests = c.GetTests(run);
    auto results = c.GetResultsForRun(run);
    EXPECT_TRUE(tests.ok() && results.ok());
    if (!tests.ok() || !results.ok()) continue;
    std::map<int64_t, int64_t> case_of;
    for (const auto& t : *tests) {
      case_of[t.id] = t.case_id;
      s.results[run][t.case_id] += 0;
    }
    for (const auto& r : *results) {
      s.results[run][case_of[r.test_id]] += 1;
      s.total_results += 1;
      if (!s.last_status[run].count(case_of[r.test_id]))  // newest first
        s.last_status[run][case_of[r.test_id]] = r.status_id.value_or(0);
    }
  }
  return s;
}

// Asserts the exactly-once outcome: one run or plan, and one result per expected case.
inline void ExpectExactlyOnce(const RemoteState& s, size_t expected_cases, bool plan) {
  EXPECT_EQ(s.runs.size(), plan ? 0u : 1u);
  EXPECT_EQ(s.plans.size(), plan ? 1u : 0u);
  size_t cases = 0;
  for (const auto& [run, by_case] : s.results)
    for (const auto& [c, n] : by_case) {
      ++cases;
      EXPECT_EQ(n, 1) << "case C" << c << " of run " << run << " has " << n << " results";
    }
  EXPECT_EQ(cases, expected_cases);
  EXPECT_EQ(s.total_results, static_cast<int64_t>(expected_cases));
}

class ExportEnv {
 public:
  // `cases_per_suite` cases in each of suites A and B of TestRail project 1.
  // `sim_spec` may add the realism of company instances (issue 14: required result fields,
  // milestones, configurations) to the generated data.
  explicit ExportEnv(int cases_per_suite = 6, int custom_statuses = 2,
                     const std::function<void(app::Config&)>& configure = {},
                     const std::function<void(testrail_sim::GenerateSpec&)>& sim_spec = {}) {
    testrail_sim::SimulatorOptions so;
    testrail_sim::GenerateSpec spec;
    spec.projects = 1;
    spec.suites = 2;
    spec.sections = 2;
    spec.cases = cases_per_suite;
    spec.custom_statuses = custom_statuses;
    if (sim_spec) sim_spec(spec);
    so.generate = spec;
    so.config.timeout_hold_ms = 2500;
    sim = std::make_unique<testrail_sim::Simulator>(so);
    std::string error;
    if (!sim->Start(&error)) throw std::runtime_error(error);
    h = std::make_unique<ApiHarness>([&](app::Config& c) {
      c.testrail_allow_private = true;
      c.testrail_request_timeout_ms = 1500;
      c.testrail_connect_timeout_ms = 1500;
      c.job_lease_ms = 2000;
      // A held request ends 2.5 s after it arrived, 1 s after the client gave up: waiting 2 s
      // before reconciling sees a "timeout-then-apply" write that lands late.
      c.export_settle_ms = 2000;
      c.public_url = "https://nexus.example.com";
      c.export_catalog_max_age_ms = 0;  // the env writes the local catalog itself
      if (configure) configure(c);
    });
    admin = h->CreateUserToken("admin@nexus.test", true);
    viewer = h->CreateUserToken("viewer@nexus.test", false, &viewer_id);
    auto p = h->Post("/api/v1/projects", admin, {{"name", "Shop"}});
    if (p.status != 201) throw std::runtime_error(p.raw);
    project = p.body["id"].get<int64_t>();
    pbase = "/api/v1/projects/" + std::to_string(project);
    Check(h->Put(pbase + "/members/" + std::to_string(viewer_id), admin, {{"role", "viewer"}}));
    Check(h->Put(pbase + "/features", admin, {{"testrail", true}}));
    Check(h->Put(pbase + "/testrail/connection", admin,
                 {{"url", sim->base_url()},
                  {"user", testrail_sim::kDefaultEmail},
                  {"api_key", testrail_sim::kDefaultApiKey}}));
    Check(h->Put(pbase + "/testrail/project", admin, {{"testrail_project_id", 1}}));
    // The test's own reader of TestRail: independent of the App, so it outlives `h` (tests
    // that restart Nexus reset `h` and keep reading).
    testrail::TestRailConfig rc{
        sim->base_url(), testrail_sim::kDefaultEmail, testrail_sim::kDefaultApiKey, {}};
    rc.options.allow_private = true;
    rc.options.requests_per_minute = 0;
    auto c = testrail::TestRailClient::Create(rc, reader_transport, reader_budgets, nullptr);
    if (!c.ok()) throw std::runtime_error(c.status().ToString());
    client = std::move(c).value();
    auto suites = client->GetSuites(1);
    if (!suites.ok() || suites->size() < 2) throw std::runtime_error("simulator suites");
    suite_a = (*suites)[0].id;
    suite_b = (*suites)[1].id;
    Check(h->Put(pbase + "/testrail/suites", admin, {{"suite_ids", {suite_a, suite_b}}}));
    // The local catalog, as a catalog sync would write it.
    for (int64_t suite : {suite_a, suite_b}) {
      testrail::GetCasesRequest req;
      req.project_id = 1;
      req.suite_id = suite;
      auto cases = client->GetCases(req);
      if (!cases.ok()) throw std::runtime_error(cases.status().ToString());
      CatalogSuiteUpdate u;
      u.suite_id = suite;
      u.name = "suite " + std::to_string(suite);
      u.full = true;
      for (const auto& cs : *cases) {
        CatalogCaseRecord r;
        r.id = cs.id;
        r.suite_id = suite;
        r.section_id = cs.section_id;
        r.title = cs.title;
        r.updated_on = cs.updated_on;
        u.cases.push_back(r);
        (suite == suite_a ? cases_a : cases_b).push_back(cs.id);
      }
      Status st = h->store().ApplyCatalogSuite(project, u, 1);
      if (!st.ok()) throw std::runtime_error(st.ToString());
    }
  }

  void Check(const HttpResult& r) {
    if (r.status < 200 || r.status >= 300) throw std::runtime_error(r.raw);
  }

  // A test with two steps, linked at test level to `cases` and at step 0 to `step_cases`.
  int64_t MakeTest(const std::vector<int64_t>& cases, const std::vector<int64_t>& step_cases = {}) {
    auto t = h->Post(pbase + "/tests", admin,
                     {{"name", "Checkout " + std::to_string(++test_seq)},
                      {"steps",
                       {{{"goal", "open"}, {"expected_results", {"opened"}}},
                        {{"goal", "pay"}, {"expected_results", {"paid"}}}}}});
    Check(t);
    int64_t id = t.body["id"].get<int64_t>();
    Status st = h->store().ReplaceTestRailLinks(project, id, "", cases, 1);
    if (!st.ok()) throw std::runtime_error(st.ToString());
    if (!step_cases.empty()) {
      std::string step = t.body["steps"][0]["id"].get<std::string>();
      st = h->store().ReplaceTestRailLinks(project, id, step, step_cases, 1);
      if (!st.ok()) throw std::runtime_error(st.ToString());
    }
    return id;
  }

  int64_t MakeRun(int64_t test, const std::string& result = "Success",
                  const std::string& label = "NoBug", std::optional<int64_t> execution = {}) {
    Json body = {{"test_id", test},
                 {"result", result},
                 {"bug_label", label},
                 {"started_at", "2026-01-01T10:00:00Z"},
                 {"finished_at", "2026-01-01T10:01:05Z"},
                 {"build", "1.2.3"},
                 {"summary", "all good"}};
    if (execution) body["execution_id"] = *execution;
    auto r = h->Post(pbase + "/runs", admin, body);
    Check(r);
    return r.body["id"].get<int64_t>();
  }

  HttpResult Export(const Json& body, const std::string& token = "") {
    return h->Post(pbase + "/testrail/exports", token.empty() ? admin : token, body);
  }

  void AddFault(const std::string& rule) {
    auto cfg = sim->config();
    testrail_sim::FaultRule fr;
    std::string error;
    if (!testrail_sim::ParseFaultRule(rule, &fr, &error)) throw std::runtime_error(error);
    cfg.faults.push_back(fr);
    sim->SetConfig(cfg);
  }

  std::unique_ptr<testrail_sim::Simulator> sim;
  std::unique_ptr<ApiHarness> h;
  testrail::CurlTransport reader_transport;
  testrail::RateBudgets reader_budgets;
  std::unique_ptr<testrail::TestRailClient> client;
  std::string admin, viewer;
  int64_t viewer_id = 0;
  int64_t project = 0;
  std::string pbase;
  int64_t suite_a = 0, suite_b = 0;
  std::vector<int64_t> cases_a, cases_b;
  int test_seq = 0;
};

}  // namespace nexus::testing
