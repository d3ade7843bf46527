// Demo seeding. Uses the same Store and AuthService as the server, so what the demo shows is
// exactly what a real deployment would hold.
#include "app/demo.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/app.h"
#include "app/png_writer.h"
#include "auth/auth_service.h"
#include "auth/crypto.h"
#include "domain/artifact_service.h"
#include "simulator.h"
#include "storage/blob_store.h"

namespace nexus::app {
namespace {

constexpr const char* kDemoEmail = "admin@nexus.demo";
constexpr const char* kDemoPassword = "nexus-demo-password";

struct DemoTest {
  const char* name;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::vector<std::string>>> steps;
};

const DemoTest kTests[] = {
    {"Checkout with a saved card",
     {"checkout", "smoke"},
     {{"Open the cart with two items", {"Cart shows 2 items"}},
      {"Pay with the saved Visa card", {"Payment accepted", "Order number shown"}},
      {"Open the order history", {"The new order is listed first"}}}},
    {"Password reset by e-mail",
     {"auth"},
     {{"Request a reset link for ana@example.com", {"Confirmation message shown"}},
      {"Follow the link and set a new password", {"Login works with the new password"}}}},
    {"Search returns relevant products",
     {"search", "smoke"},
     {{"Search for 'running shoes'", {"At least 10 results", "All results are shoes"}},
      {"Filter by size 42", {"Only size 42 remains"}}}},
    {"Invoice PDF download", {"billing"}, {{"Open the last invoice", {"PDF opens"}}}},
};

}  // namespace

namespace {

// Spools `bytes` and records them as an artifact of `run` (step "" = the run as a whole).
Status AddDemoArtifact(domain::ArtifactService& artifacts, const Run& run, const std::string& name,
                       const std::string& type, const std::string& step_id,
                       const std::string& bytes) {
  std::string path =
      (std::filesystem::path(artifacts.SpoolDir()) / ("demo-" + auth::RandomToken(12))).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Internal("cannot write the demo artifact " + path);
  }
  domain::ArtifactUpload up;
  up.project_id = run.project_id;
  up.run_id = run.id;
  up.name = name;
  up.content_type = type;
  up.step_id = step_id;
  up.file = path;
  auto stored = artifacts.Upload(up);
  if (!stored.ok()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return stored.status();
  }
  return Status::Ok();
}

// A screenshot per step and the agent's log for one finished demo run.
Status AddDemoArtifacts(domain::ArtifactService& artifacts, const Run& run) {
  const bool failed = run.result != RunResult::kSuccess;
  std::string log;
  for (size_t k = 0; k < run.steps.size(); ++k) {
    const bool step_failed = failed && k + 1 == run.steps.size();
    NEXUS_RETURN_IF_ERROR(AddDemoArtifact(artifacts, run, "step-" + std::to_string(k + 1) + ".png",
                                          "image/png", run.steps[k].step_id,
                                          DemoScreenshotPng(static_cast<int>(k), step_failed)));
    log += "[agent] step " + std::to_string(k + 1) + ": " +
           (step_failed ? "expected result not met" : "ok") + "\n";
  }
  log += std::string("[agent] run finished: ") + (failed ? "not passed" : "passed") + "\n";
  return AddDemoArtifact(artifacts, run, "agent.log", "text/plain", "", log);
}

}  // namespace

Result<DemoLogin> SeedDemo(Store& store, int64_t now, domain::ArtifactService* artifacts) {
  DemoLogin login{kDemoEmail, kDemoPassword};
  if (store.GetUserByEmail(kDemoEmail).ok()) return login;  // already seeded
  SystemClock clock;
  auth::AuthService auth(store, clock);
  NEXUS_ASSIGN_OR_RETURN(User admin,
                         auth.CreateUser(kDemoEmail, "Demo Admin", kDemoPassword, true));
  Project p;
  p.name = "Web Shop";
  p.created_at = now;
  NEXUS_ASSIGN_OR_RETURN(p, store.CreateProject(p, admin.id));
  NEXUS_RETURN_IF_ERROR(store.SetProjectFeature(p.id, "testrail", true));

  std::vector<Test> tests;
  for (const auto& dt : kTests) {
    Test t;
    t.project_id = p.id;
    t.name = dt.name;
    t.tags = dt.tags;
    for (const auto& [goal, expected] : dt.steps)
      t.steps.push_back({"st_" + auth::RandomToken(9), goal, expected});
    t.created_at = t.updated_at = now;
    NEXUS_ASSIGN_OR_RETURN(t, store.CreateTest(t));
    tests.push_back(std::move(t));
  }
  // One finished run per result/label combination worth showing.
  const std::pair<RunResult, BugLabel> kOutcomes[] = {
      {RunResult::kSuccess, BugLabel::kNoBug},     {RunResult::kSuccess, BugLabel::kLikelyBug},
      {RunResult::kStopped, BugLabel::kUndecided}, {RunResult::kMaxSteps, BugLabel::kLikelyNoBug},
      {RunResult::kError, BugLabel::kUndecided},   {RunResult::kSuccess, BugLabel::kDefinitelyBug}};
  int i = 0;
  for (const auto& [result, label] : kOutcomes) {
    const Test& t = tests[i % tests.size()];
    Run r;
    r.project_id = p.id;
    r.test_id = t.id;
    r.test_version = t.version;
    r.result = result;
    r.bug_label = label;
    r.started_at = now - (60 - i * 5) * 60 * 1000;
    r.finished_at = r.started_at + (45 + i * 20) * 1000;
    r.build = "2.14." + std::to_string(i);
    static constexpr const char* kPlatforms[] = {"PC", "PS5", "Xbox"};
    r.attributes = {{"platform", kPlatforms[i % 3]}};
    r.summary = "Agent run " + std::to_string(i + 1) + " of '" + t.name + "'";
    if (label == BugLabel::kLikelyBug || label == BugLabel::kDefinitelyBug)
      r.bugs.push_back({"Order total ignores the discount", "Total shown 120.00, expected 108.00",
                        "high", t.steps.back().id});
    for (const Step& s : t.steps)
      r.steps.push_back({s.id, result, label, r.started_at, r.finished_at, ""});
    r.created_at = r.updated_at = now;
    NEXUS_ASSIGN_OR_RETURN(Run created, store.CreateRun(r));
    if (artifacts != nullptr) NEXUS_RETURN_IF_ERROR(AddDemoArtifacts(*artifacts, created));
    ++i;
  }
  TestPlan plan;
  plan.project_id = p.id;
  plan.name = "Nightly smoke";
  for (const auto& t : tests) plan.test_ids.push_back(t.id);
  plan.created_at = now;
  NEXUS_ASSIGN_OR_RETURN(plan, store.CreatePlan(plan));
  Execution e;
  e.project_id = p.id;
  e.plan_id = plan.id;
  e.test_ids = plan.test_ids;
  e.created_at = now;
  NEXUS_ASSIGN_OR_RETURN(e, store.CreateExecution(e));
  for (const auto& t : tests) {
    Run r;
    r.project_id = p.id;
    r.test_id = t.id;
    r.test_version = t.version;
    r.result = RunResult::kSuccess;
    r.bug_label = BugLabel::kNoBug;
    r.started_at = now - 10 * 60 * 1000;
    r.finished_at = r.started_at + 30 * 1000;
    r.build = "2.15.0";
    r.attributes = {{"platform", "PC"}};
    r.execution_id = e.id;
    r.created_at = r.updated_at = now;
    NEXUS_RETURN_IF_ERROR(store.CreateRun(r).status());
  }
  NEXUS_RETURN_IF_ERROR(
      store.SetExecutionState(p.id, e.id, ExecutionState::kCompleted, now).status());
  return login;
}

int RunDemo(const std::string& listen, const std::string& data_dir, const sigset_t& signals) {
  Config config;
  config.listen = listen;
  config.data_dir = data_dir;
  config.static_dir = DetectStaticDir();
  config.testrail_allow_private = true;  // the demo's TestRail simulator runs on loopback
  auto store = OpenAndMigrate(config);
  if (!store.ok()) {
    std::fprintf(stderr, "error: %s\n", store.status().message().c_str());
    return 1;
  }
  // The same blob directory the server uses (App::Start), so the seeded screenshots are
  // served and exported like uploaded ones.
  auto blobs = OpenDirBlobStore((std::filesystem::path(data_dir) / "blobs").string());
  if (!blobs.ok()) {
    std::fprintf(stderr, "error: %s\n", blobs.status().message().c_str());
    return 1;
  }
  SystemClock seed_clock;
  domain::ArtifactService artifacts(
      *store.value(), *blobs.value(), seed_clock,
      domain::ArtifactLimits{config.artifact_max_bytes, config.artifact_quota_bytes});
  auto login = SeedDemo(*store.value(), seed_clock.NowMs(), &artifacts);
  if (!login.ok()) {
    std::fprintf(stderr, "error: seeding the demo failed: %s\n", login.status().message().c_str());
    return 1;
  }
  blobs.value().reset();
  store.value().reset();

  // A seeded TestRail simulator on loopback (3 projects, 4 suites with 750 cases each in the
  // first, 3 custom statuses); its state persists in the data dir so exports stay visible.
  testrail_sim::SimulatorOptions sim_options;
  // Next to Nexus's port (8081 for the default 8080) so a saved connection survives a
  // restart of the demo; any free port when Nexus itself takes any free port.
  auto hp = ParseListen(listen);
  if (!hp.ok()) {
    std::fprintf(stderr, "error: %s\n", hp.status().message().c_str());
    return 2;
  }
  sim_options.port = hp->second == 0 || hp->second == 65535 ? 0 : hp->second + 1;
  sim_options.generate = testrail_sim::GenerateSpec{3, 4, 12, 750, 3, 3};
  sim_options.state_file = (std::filesystem::path(data_dir) / "testrail-sim.json").string();
  testrail_sim::Simulator sim(sim_options);
  std::string sim_error;
  if (!sim.Start(&sim_error)) {
    std::fprintf(stderr, "error: the TestRail simulator did not start: %s\n", sim_error.c_str());
    return 1;
  }

  auto app = App::Start(config);
  if (!app.ok()) {
    std::fprintf(stderr, "error: %s\n", app.status().message().c_str());
    return 1;
  }
  std::printf("listening on %s\n", app.value()->url().c_str());
  std::printf(
      "Nexus demo is ready.\n"
      "  Nexus:     %s   login %s / %s\n"
      "  TestRail:  %s   (simulator; browse it in a browser)\n"
      "  Connect it in Nexus under Web Shop > Configs > TestRail with\n"
      "             URL %s  User %s  API key %s\n"
      "  Data dir:  %s\n"
      "Press Ctrl+C to stop.\n",
      app.value()->url().c_str(), login->email.c_str(), login->password.c_str(),
      sim.base_url().c_str(), sim.base_url().c_str(), testrail_sim::kDefaultEmail,
      testrail_sim::kDefaultApiKey, data_dir.c_str());
  if (config.static_dir.empty())
    std::printf("  (web UI not built: run `make build` to serve it)\n");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  app.value()->Stop();
  sim.Stop();
  return 0;
}

std::string DetectStaticDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::vector<std::filesystem::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "web");                         // installed layout
    candidates.push_back(exe.parent_path().parent_path() / "web" / "dist");  // build/nexus
  }
  candidates.push_back(std::filesystem::current_path(ec) / "web" / "dist");
  for (const auto& c : candidates)
    if (std::filesystem::exists(c / "index.html", ec)) return c.string();
  return {};
}

}  // namespace nexus::app
