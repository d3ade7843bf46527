// Pins the simulator's realism knobs (rate limit, latency, maintenance, API disabled, fault
// injection incl. apply-then-fail), the admin endpoint, TLS, state snapshots, the HTML view,
// the CLI binary and the performance envelope.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "testrail_sim/sim_test_util.h"

namespace testrail_sim::testing {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
std::string S(int64_t v) { return std::to_string(v); }

TEST_F(SimTest, RateLimitAnswers429WithRetryAfter) {
  AdminConfig({{"rate_limit_per_minute", 3}});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api_->Get("get_projects").status, 200);
  Reply r = api_->Get("get_projects");
  ASSERT_EQ(r.status, 429);
  ASSERT_TRUE(r.headers.count("Retry-After"));
  int retry = std::stoi(r.headers.find("Retry-After")->second);
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 20);
  EXPECT_EQ(r.error(), "API Rate Limit Exceeded - 3 per minute maximum allowed. Retry after " +
                           std::to_string(retry) + " seconds.");
  EXPECT_EQ(sim_->Stats().rate_limited, 1);
  AdminConfig({{"retry_after_header", false}});
  Reply bare = api_->Get("get_projects");
  EXPECT_EQ(bare.status, 429);
  EXPECT_FALSE(bare.headers.count("Retry-After"));
  AdminConfig({{"rate_limit_per_minute", 0}});
  EXPECT_EQ(api_->Get("get_projects").status, 200);
}

TEST_F(SimTest, RateLimitRefillsOverTime) {
  AdminConfig({{"rate_limit_per_minute", 600}});  // 10 per second
  int ok = 0;
  for (int i = 0; i < 700; ++i) ok += api_->Get("get_statuses").status == 200;
  EXPECT_GE(ok, 600);
  EXPECT_LT(ok, 700);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(api_->Get("get_statuses").status, 200);
}

TEST_F(SimTest, MaintenanceModeAnswers409) {
  AdminConfig({{"maintenance", true}});
  Reply r = api_->Get("get_projects");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.error(),
            "This TestRail instance is currently in maintenance mode, please try the request "
            "again in a few minutes");
  AdminConfig({{"maintenance", false}});
  EXPECT_EQ(api_->Get("get_projects").status, 200);
}

TEST_F(SimTest, ApiDisabledAnswers403) {
  SimConfig c = sim_->config();
  c.api_disabled = true;
  sim_->SetConfig(c);
  Reply r = api_->Get("get_projects");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error(),
            "The API is disabled for your installation. It can be enabled in the administration "
            "area in TestRail under Administration > Site Settings > API.");
}

TEST_F(SimTest, LatencyAndPerResultCostDoNotSerialiseClients) {
  AdminConfig({{"latency_ms", 300}});
  auto t0 = Clock::now();
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 10; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      Api a("127.0.0.1", sim_->port());
      return a.Get("get_projects").status;
    }));
  }
  for (auto& f : calls) EXPECT_EQ(f.get(), 200);
  double ms = MsSince(t0);
  EXPECT_GE(ms, 300);
  EXPECT_LT(ms, 2000) << "latency sleeps serialised the clients (serial: 3000 ms)";

  AdminConfig({{"latency_ms", 0}, {"per_result_ms", 5}});
  int64_t run = AddRun(2, {{"name", "slow"}});
  Json results = Json::array();
  Reply cases = api_->Get("get_cases/2&limit=60");
  for (const auto& c : cases.json["cases"])
    results.push_back({{"case_id", c["id"]}, {"status_id", 1}});
  t0 = Clock::now();
  ASSERT_EQ(api_->Post("add_results_for_cases/" + S(run), {{"results", results}}).status, 200);
  EXPECT_GE(MsSince(t0), 60 * 5);
}

TEST_F(SimTest, FaultRuleFailsTheKthCallOnly) {
  AdminConfig({{"faults", {"get_case:2:500"}}});
  EXPECT_EQ(api_->Get("get_case/1").status, 200);
  Reply second = api_->Get("get_case/1");
  EXPECT_EQ(second.status, 500);
  EXPECT_TRUE(second.json.contains("error"));
  EXPECT_EQ(api_->Get("get_case/1").status, 200);
  EXPECT_EQ(api_->Get("get_projects").status, 200);
  AdminConfig({{"faults", {"get_case:1:502:2"}}});
  Reply bad_gateway = api_->Get("get_case/1");
  EXPECT_EQ(bad_gateway.status, 502);
  EXPECT_NE(bad_gateway.body.find("Bad Gateway"), std::string::npos);
  EXPECT_EQ(api_->Get("get_case/1").status, 502);
  EXPECT_EQ(api_->Get("get_case/1").status, 200);
  SimStats stats = sim_->Stats();
  EXPECT_EQ(stats.faults_injected, 3);
}

TEST_F(SimTest, FaultBeforeApplyDoesNotWrite) {
  int64_t run = AddRun(2, {{"name", "f"}});
  int64_t case_id = api_->Get("get_cases/2").json["cases"][0]["id"];
  AdminConfig({{"faults", {"add_results_for_cases:1:500"}}});
  Reply r = api_->Post("add_results_for_cases/" + S(run),
                       {{"results", {{{"case_id", case_id}, {"status_id", 1}}}}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(sim_->model().ResultCount(), 0u);
}

TEST_F(SimTest, FaultAfterApplyWritesThenFails) {
  int64_t run = AddRun(2, {{"name", "ambiguous"}});
  int64_t case_id = api_->Get("get_cases/2").json["cases"][0]["id"];
  Json body = {{"results", {{{"case_id", case_id}, {"status_id", 1}}}}};
  AdminConfig({{"faults", {"add_results_for_cases:1:500-after-apply"}}});
  EXPECT_EQ(api_->Post("add_results_for_cases/" + S(run), body).status, 500);
  EXPECT_EQ(sim_->model().ResultCount(), 1u);
  AdminConfig({{"faults", {"add_results_for_cases:1:reset-after-apply"}}});
  Reply reset = api_->Post("add_results_for_cases/" + S(run), body);
  EXPECT_EQ(reset.status, 0) << "expected a transport error, got " << reset.status;
  EXPECT_EQ(sim_->model().ResultCount(), 2u);
  AdminConfig({{"faults", {"add_results_for_cases:1:truncated"}}});
  Reply cut = api_->Post("add_results_for_cases/" + S(run), body);
  EXPECT_EQ(cut.status, 200);
  EXPECT_TRUE(cut.json.is_discarded()) << cut.body;
  EXPECT_EQ(sim_->model().ResultCount(), 3u);
}

TEST_F(SimTest, ResetFaultDropsTheConnectionWithoutWriting) {
  AdminConfig({{"faults", {"add_run:1:reset"}}});
  Reply r = api_->Post("add_run/2", {{"name", "x"}});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(sim_->model().RunCount(), 0u);
  EXPECT_EQ(api_->Post("add_run/2", {{"name", "x"}}).status, 200);
}

TEST_F(SimTest, TimeoutFaultHoldsTheConnection) {
  AdminConfig({{"faults", {"get_projects:1:timeout"}}, {"timeout_hold_ms", 3000}});
  api_->client().set_read_timeout(0, 500 * 1000);
  auto t0 = Clock::now();
  Reply r = api_->Get("get_projects");
  EXPECT_EQ(r.status, 0);
  EXPECT_GE(MsSince(t0), 450);
  api_->client().set_read_timeout(10, 0);
  // Stop() must not wait for the 3 s hold to end.
  t0 = Clock::now();
  sim_->Stop();
  EXPECT_LT(MsSince(t0), 2500);
}

TEST_F(SimTest, FaultRateIsAProbability) {
  AdminConfig({{"fault_rate", 0.5}, {"fault_seed", 7}});
  int failed = 0;
  for (int i = 0; i < 200; ++i) failed += api_->Get("get_statuses").status == 500;
  EXPECT_GT(failed, 60);
  EXPECT_LT(failed, 140);
  AdminConfig({{"fault_rate", 1.0}});
  EXPECT_EQ(api_->Get("get_statuses").status, 500);
}

TEST(FaultRuleTest, ParsesCliForm) {
  FaultRule r;
  std::string error;
  ASSERT_TRUE(ParseFaultRule("add_results_for_cases:3:500", &r, &error));
  EXPECT_EQ(r.method, "add_results_for_cases");
  EXPECT_EQ(r.nth, 3);
  EXPECT_EQ(r.kind, FaultKind::kStatus500);
  EXPECT_FALSE(r.after_apply);
  ASSERT_TRUE(ParseFaultRule("*:1:reset-after-apply:0", &r, &error));
  EXPECT_TRUE(r.after_apply);
  EXPECT_EQ(r.kind, FaultKind::kReset);
  EXPECT_EQ(r.times, 0);
  ASSERT_TRUE(ParseFaultRule("add_run:2:timeout-then-apply", &r, &error));
  EXPECT_EQ(r.kind, FaultKind::kTimeout);
  EXPECT_TRUE(r.then_apply);
  EXPECT_FALSE(r.after_apply);
  EXPECT_EQ(FaultRuleToString(r), "add_run:2:timeout-then-apply:1");
  EXPECT_FALSE(ParseFaultRule("add_run:2:reset-then-apply", &r, &error));
  EXPECT_FALSE(ParseFaultRule("get_case:0:500", &r, &error));
  EXPECT_FALSE(ParseFaultRule("get_case:1:teapot", &r, &error));
  EXPECT_FALSE(ParseFaultRule("get_case", &r, &error));
}

TEST_F(SimTest, AdminEndpointConfigStatsAndReset) {
  httplib::Client admin("127.0.0.1", sim_->port());
  auto bad = admin.Post("/_sim/config", R"({"no_such_knob": 1})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  api_->Get("get_projects");
  api_->Get("get_projects");
  api_->Get("get_case/1");
  auto stats = admin.Get("/_sim/stats");
  ASSERT_TRUE(stats);
  Json s = Json::parse(stats->body);
  EXPECT_EQ(s["calls"]["get_projects"], 2);
  EXPECT_EQ(s["calls"]["get_case"], 1);
  EXPECT_EQ(s["total_calls"], 3);
  EXPECT_EQ(s["rate_limited"], 0);
  ASSERT_TRUE(admin.Post("/_sim/reset-stats", "", "application/json"));
  EXPECT_EQ(Json::parse(admin.Get("/_sim/stats")->body)["total_calls"], 0);
  auto cfg = admin.Post("/_sim/config", R"({"latency_ms": 5, "add_faults": "get_case:9:503"})",
                        "application/json");
  Json c = Json::parse(cfg->body);
  EXPECT_EQ(c["latency_ms"], 5);
  EXPECT_EQ(c["faults"][0]["rule"], "get_case:9:503:1");
  EXPECT_EQ(sim_->config().latency_ms, 5);
}

TEST(SimTlsTest, ServesHttpsWithGeneratedCertificate) {
  SimulatorOptions opts;
  opts.tls = true;
  opts.generate = GenerateSpec{};
  Simulator sim(opts);
  std::string error;
  ASSERT_TRUE(sim.Start(&error)) << error;
  EXPECT_EQ(sim.base_url().rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_NE(sim.certificate_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  httplib::SSLClient cli("127.0.0.1", sim.port());
  cli.enable_server_certificate_verification(false);
  auto r = cli.Get("/index.php?/api/v2/get_projects",
                   {httplib::make_basic_authentication_header(kDefaultEmail, kDefaultPassword)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // Reset on a TLS connection works too.
  SimConfig c = sim.config();
  std::string e;
  ASSERT_TRUE(c.MergeJson({{"faults", {"get_projects:1:reset"}}}, &e));
  sim.SetConfig(c);
  auto reset =
      cli.Get("/index.php?/api/v2/get_projects",
              {httplib::make_basic_authentication_header(kDefaultEmail, kDefaultPassword)});
  EXPECT_FALSE(reset && reset->status == 200);
  sim.Stop();
}

TEST(SimStateTest, SnapshotSavedOnStopAndLoadedOnStart) {
  std::string path =
      ::testing::TempDir() + "/testrail_sim_state_" + std::to_string(getpid()) + ".json";
  std::filesystem::remove(path);
  SimulatorOptions opts;
  opts.state_file = path;
  opts.generate = GenerateSpec{};
  int64_t run_id = 0;
  {
    Simulator sim(opts);
    ASSERT_TRUE(sim.Start());
    Api api("127.0.0.1", sim.port());
    Reply run = api.Post("add_run/1", {{"name", "persisted"}});
    ASSERT_EQ(run.status, 200) << run.body;
    run_id = run.json["id"];
    int64_t case_id = api.Get("get_cases/1").json["cases"][0]["id"];
    ASSERT_EQ(api.Post("add_results_for_cases/" + S(run_id),
                       {{"results", {{{"case_id", case_id}, {"status_id", 5}}}}})
                  .status,
              200);
    sim.Stop();
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  opts.generate = GenerateSpec{.projects = 3};  // ignored: the state file wins
  Simulator again(opts);
  ASSERT_TRUE(again.Start());
  Api api("127.0.0.1", again.port());
  Reply run = api.Get("get_run/" + S(run_id));
  ASSERT_EQ(run.status, 200);
  EXPECT_EQ(run.json["name"], "persisted");
  EXPECT_EQ(run.json["failed_count"], 1);
  EXPECT_EQ(api.Get("get_projects").json["projects"].size(), 1u);
  EXPECT_EQ(api.Post("add_run/1", {{"name", "next"}}).json["id"], run_id + 1);
  again.Stop();
  std::filesystem::remove(path);
}

TEST(SimDataTest, LoadsJsonDescription) {
  std::string path =
      ::testing::TempDir() + "/testrail_sim_data_" + std::to_string(getpid()) + ".json";
  {
    std::ofstream out(path);
    out << R"({"users":[{"email":"qa@example.com","password":"pw","api_key":"k"}],
               "custom_statuses": 1,
               "projects":[{"id":7,"name":"Hand made","suite_mode":1}],
               "sections":[{"id":3,"suite_id":1,"name":"Top"},{"id":4,"parent_id":3,"name":"Sub"}],
               "cases":[{"id":100,"section_id":4,"title":"Hand case","refs":"R-1"}]})";
  }
  SimulatorOptions opts;
  opts.data_file = path;
  Simulator sim(opts);
  std::string error;
  ASSERT_TRUE(sim.Start(&error)) << error;
  Api api("127.0.0.1", sim.port(), "", "qa@example.com", "k");
  Reply cases = api.Get("get_cases/7");
  ASSERT_EQ(cases.status, 200) << cases.body;
  ASSERT_EQ(cases.json["cases"].size(), 1u);
  EXPECT_EQ(cases.json["cases"][0]["title"], "Hand case");
  Reply sections = api.Get("get_sections/7");
  EXPECT_EQ(sections.json["sections"][1]["depth"], 1);
  EXPECT_EQ(api.Get("get_statuses").json.size(), 6u);
  sim.Stop();
  std::filesystem::remove(path);
}

TEST_F(SimTest, HtmlViewIsBrowsableAndEscaped) {
  int64_t section = api_->Get("get_sections/2").json["sections"][0]["id"];
  api_->Post("add_case/" + S(section), {{"title", "<script>alert(1)</script>"}});
  int64_t run = AddRun(2, {{"name", "Run <b>&</b>"}});
  httplib::Client web("127.0.0.1", sim_->port());
  auto home = web.Get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  EXPECT_NE(home->body.find("Nexus Demo"), std::string::npos);
  auto suite = web.Get("/index.php?/suites/view/3");
  ASSERT_TRUE(suite);
  EXPECT_EQ(suite->status, 200);
  EXPECT_EQ(suite->body.find("<script>alert"), std::string::npos);
  EXPECT_NE(suite->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  auto run_page = web.Get("/index.php?/runs/view/" + S(run));
  ASSERT_TRUE(run_page);
  EXPECT_NE(run_page->body.find("Run &lt;b&gt;&amp;&lt;/b&gt;"), std::string::npos);
  auto paged = web.Get("/index.php?/suites/view/1&page=2");
  EXPECT_NE(paged->body.find("Page 2 of"), std::string::npos);
  EXPECT_EQ(web.Get("/index.php?/runs/view/999")->status, 404);
  // The url field of API objects points at these pages.
  std::string url = api_->Get("get_run/" + S(run)).json["url"];
  EXPECT_EQ(web.Get(url.substr(url.find("/index.php")))->status, 200);
}

TEST(SimCliTest, BinaryPrintsListeningLineAndStopsOnSigterm) {
  const char* build = std::getenv("NEXUS_BUILD_DIR");
  ASSERT_NE(build, nullptr);
  std::string bin = std::string(build) + "/testrail-sim";
  ASSERT_TRUE(std::filesystem::exists(bin)) << bin;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(bin.c_str(), bin.c_str(), "--listen", "127.0.0.1:0", "--base-path", "/testrail",
          "--generate", "cases=50", "--api-key", "cli-key", nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof(line), f), nullptr);
  std::string first(line);
  ASSERT_EQ(first.rfind("listening on http://127.0.0.1:", 0), 0u) << first;
  int port = std::stoi(first.substr(first.rfind(':') + 1));
  Api api("127.0.0.1", port, "/testrail", kDefaultEmail, "cli-key");
  EXPECT_EQ(api.Get("get_cases/1").json["cases"].size(), 50u);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  fclose(f);
}

// Correctness at size; the timings are printed, not asserted (performance goals live in bench/,
// and the sanitizer run is 5-10x slower).
TEST(SimPerfTest, LargeCatalogPagingAndBulkResults) {
  SimulatorOptions opts;
  opts.generate = GenerateSpec{.projects = 1, .suites = 1, .sections = 200, .cases = 100000};
  auto t0 = Clock::now();
  Simulator sim(opts);
  ASSERT_TRUE(sim.Start());
  double gen_ms = MsSince(t0);
  Api api("127.0.0.1", sim.port());
  api.client().set_keep_alive(true);
  t0 = Clock::now();
  size_t seen = 0;
  std::string next = "get_cases/1";
  while (true) {
    Reply r = api.Get(next);
    ASSERT_EQ(r.status, 200);
    seen += r.json["cases"].size();
    if (r.json["_links"]["next"].is_null()) break;
    next = r.json["_links"]["next"].get<std::string>().substr(8);
  }
  double page_ms = MsSince(t0);
  EXPECT_EQ(seen, 100000u);
  Reply run = api.Post("add_run/1", {{"name", "bulk"}});
  int64_t run_id = run.json["id"];
  t0 = Clock::now();
  Json batch = Json::array();
  int64_t written = 0;
  for (int64_t case_id = 1; case_id <= 50000; ++case_id) {
    batch.push_back({{"case_id", case_id}, {"status_id", case_id % 5 == 0 ? 5 : 1}});
    if (batch.size() == 500) {
      Reply r = api.Post("add_results_for_cases/" + S(run_id), {{"results", batch}});
      ASSERT_EQ(r.status, 200);
      written += static_cast<int64_t>(r.json.size());
      batch = Json::array();
    }
  }
  double results_ms = MsSince(t0);
  EXPECT_EQ(written, 50000);
  EXPECT_EQ(api.Get("get_run/" + S(run_id)).json["failed_count"], 10000);
  std::printf("[perf] generate 100k: %.0f ms, page 100k cases: %.0f ms, 50k results: %.0f ms\n",
              gen_ms, page_ms, results_ms);
  sim.Stop();
}

// The socket-free seam (fuzzing, issue 13) answers exactly what HTTP answers.
TEST_F(SimTest, InProcessRequestsAnswerLikeHttp) {
  std::multimap<std::string, std::string> auth;
  for (const auto& [name, value] : api_->Auth()) auth.emplace(name, value);
  for (std::string target : {"get_case/1", "get_cases/1&suite_id=1&limit=3&offset=2",
                             "get_statuses", "get_case/999999", "no_such_method"}) {
    Reply http = api_->Get(target);
    auto in = sim_->HandleInProcess("GET", api_->Target(target), auth, "");
    EXPECT_EQ(in.status, http.status) << target;
    EXPECT_EQ(in.body, http.body) << target;
    EXPECT_EQ(in.content_type, http.headers.find("Content-Type")->second) << target;
  }
  auto unauthenticated = sim_->HandleInProcess("GET", api_->Target("get_case/1"), {}, "");
  EXPECT_EQ(unauthenticated.status, 401);
  auto post = sim_->HandleInProcess("POST", "/_sim/config", {{"Content-Type", "application/json"}},
                                    R"({"maintenance": true})");
  EXPECT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(api_->Get("get_case/1").status, 409);
}

// Names echoed from the request that are not UTF-8 are answered, not a 500 from the JSON
// serialiser; and a counted method name that is not UTF-8 does not break /_sim/stats (found by
// fuzz_sim_request, issue 13).
TEST_F(SimTest, NonUtf8NamesInRequestsAreAnsweredNot500) {
  Reply method = api_->Get("get_%FFcase/1");
  EXPECT_EQ(method.status, 404) << method.body;
  EXPECT_TRUE(method.json.is_object()) << method.body;
  Reply admin = api_->GetPath("/_sim/st%F7ats", false);
  EXPECT_EQ(admin.status, 404) << admin.body;
  Reply stats = api_->GetPath("/_sim/stats", false);
  EXPECT_EQ(stats.status, 200) << stats.body;
}

}  // namespace
}  // namespace testrail_sim::testing
