// Crash test of exports (R-Q-IDEMP): `nexus serve` runs as a child process and is SIGKILLed
// while the k-th TestRail call of an export is in flight — once with the call applied by
// TestRail (the response never arrives: "timeout-after-apply") and once not applied — for
// every k of the export's calls. A new `nexus serve` on the same data dir resumes the job
// (its lease expired) and TestRail must end with exactly one run and exactly one result per
// case every time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "integration/export_test_util.h"
#include "testrail/attachments.h"

namespace nexus {
namespace {

using testing::ExportEnv;
using testing::ReadRemote;
using testing::TempDir;
using Json = nlohmann::json;

using testing::NexusBinary;

// A `nexus serve` child; killed (SIGKILL) by Kill() or the destructor.
class Child {
 public:
  explicit Child(const std::string& data_dir) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      // Dies with the test: an orphan would hold CTest's output pipe open forever.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::string bin = NexusBinary();
      execl(bin.c_str(), bin.c_str(), "--log-level", "warn", "serve", "--listen", "127.0.0.1:0",
            "--data-dir", data_dir.c_str(), "--testrail-allow-private", "--job-lease-ms", "1000",
            "--export-batch-size", "2",
            // The test writes the catalog itself: the held k-th call is the export's own.
            "--export-catalog-max-age-ms", "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[512] = {0};
    if (fgets(line, sizeof line, f) == nullptr)
      throw std::runtime_error("nexus serve did not start");
    std::string l(line);
    auto pos = l.rfind(':');
    port_ = std::stoi(l.substr(pos + 1));
    out_ = f;
  }
  ~Child() {
    Kill();
    if (out_) fclose(out_);
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  // SIGTERM (a clean shutdown); returns how long the process took to exit.
  std::chrono::milliseconds Terminate() {
    auto t0 = std::chrono::steady_clock::now();
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* out_ = nullptr;
};

Json Call(int port, const std::string& method, const std::string& path, const std::string& token,
          const Json& body = nullptr, int* status = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token}};
  auto r = method == "GET" ? c.Get(path, h) : c.Post(path, h, body.dump(), "application/json");
  if (!r) return nullptr;
  if (status) *status = r->status;
  return Json::parse(r->body, nullptr, false);
}

// Polls an export until it is neither queued nor running (30 s at most); its last view.
Json WaitFinished(int port, const std::string& path, const std::string& token) {
  Json d;
  for (int i = 0; i < 300; ++i) {
    d = Call(port, "GET", path, token);
    if (d.is_object() && d.value("state", "") != "queued" && d.value("state", "") != "running")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return d;
}

// A data dir with a project whose test links 5 cases of suite A and one finished run of it;
// the in-process server that set it up is gone (its database stays) for `nexus serve` children.
struct OfflineExport {
  TempDir data;
  ExportEnv env{6, 0, [this](app::Config& c) { c.data_dir = data.path(); }};
  int64_t run = 0;
  std::string token, pbase;
  OfflineExport() {
    run = env.MakeRun(env.MakeTest(
        {env.cases_a[0], env.cases_a[1], env.cases_a[2], env.cases_a[3], env.cases_a[4]}));
    token = env.admin;
    pbase = env.pbase;
    env.h.reset();
  }
};

void CrashAt(int k, bool applied) {
  SCOPED_TRACE("k=" + std::to_string(k) + (applied ? " applied" : " not applied"));
  OfflineExport x;
  ExportEnv& env = x.env;
  const std::string &token = x.token, &pbase = x.pbase;
  const int64_t run = x.run;

  Child first(x.data.path());
  // Hold the k-th TestRail call of the export (counting from here).
  env.AddFault("*:" + std::to_string(k) + (applied ? ":timeout-after-apply" : ":timeout"));
  auto cfg = env.sim->config();
  cfg.timeout_hold_ms = 60'000;
  env.sim->SetConfig(cfg);
  int status = 0;
  Json started = Call(first.port(), "POST", pbase + "/testrail/exports", token,
                      {{"run_id", run}, {"wait", false}}, &status);
  ASSERT_EQ(status, 202) << started.dump();
  int64_t id = started["id"].get<int64_t>();
  bool held = false;
  for (int i = 0; i < 500 && !held; ++i) {
    held = env.sim->Stats().faults_injected > 0;
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(held) << "the export made fewer than " << k << " TestRail calls";
  first.Kill();
  cfg.faults.clear();
  cfg.timeout_hold_ms = 2500;
  env.sim->SetConfig(cfg);

  Child second(x.data.path());
  Json d = WaitFinished(second.port(), pbase + "/testrail/exports/" + std::to_string(id), token);
  EXPECT_EQ(d.value("state", ""), "succeeded") << d.dump();
  auto remote = ReadRemote(*env.client);
  testing::ExpectExactlyOnce(remote, 5, false);
  ASSERT_EQ(remote.runs.size(), 1u);
  EXPECT_TRUE(remote.runs[0].is_completed);
}

// The export of 5 cases in batches of 2 makes: get_result_fields (read while the export is
// planned, before it is accepted: issue 14), then add_run, 3 × add_results_for_cases and
// close_run (calls 2-6), plus the reads of reconciliation on resume.
TEST(ExportCrashTest, KilledAfterEveryTestRailCallResumesExactlyOnce) {
  for (int k = 2; k <= 6; ++k) {
    CrashAt(k, true);
    CrashAt(k, false);
  }
}

// A clean stop (SIGTERM) in the middle of an export does not wait for the export to finish:
// it stops at the next remote step, leaves the export running, and the next server resumes it
// exactly once.
TEST(ExportCrashTest, StopDuringAnExportHandsItOverBetweenBatches) {
  OfflineExport x;
  ExportEnv& env = x.env;
  const std::string &token = x.token, &pbase = x.pbase;
  const int64_t run = x.run;
  auto cfg = env.sim->config();
  cfg.latency_ms = 2000;  // every call 2 s: add_run, 3 batches of 2 at once, close_run
  env.sim->SetConfig(cfg);

  Child first(x.data.path());
  int status = 0;
  Json started = Call(first.port(), "POST", pbase + "/testrail/exports", token,
                      {{"run_id", run}, {"wait", false}}, &status);
  ASSERT_EQ(status, 202) << started.dump();
  int64_t id = started["id"].get<int64_t>();
  for (int i = 0; i < 1000 && env.sim->Stats().calls["add_results_for_cases"] == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(env.sim->Stats().calls["add_results_for_cases"], 0);
  // The 3 batches go out together; the stop lets that wave finish and hands the export over
  // before closing: without the hand-over the first server would also have closed the run.
  first.Terminate();
  EXPECT_EQ(env.sim->Stats().calls["close_run"], 0) << "the stopping server finished the export";

  cfg.latency_ms = 0;
  env.sim->SetConfig(cfg);
  Child second(x.data.path());
  Json d = WaitFinished(second.port(), pbase + "/testrail/exports/" + std::to_string(id), token);
  EXPECT_EQ(d.value("state", ""), "succeeded") << d.dump();
  EXPECT_GE(d.value("attempts", 0), 2) << d.dump();
  testing::ExpectExactlyOnce(ReadRemote(*env.client), 5, false);
}

// Issue 17: SIGKILL while the k-th add_attachment_to_result of an export is held — applied by
// TestRail (the answer never arrives) or not — then a new server resumes: every attachment is
// on its case's result exactly once (the journalled intent is reconciled with
// get_attachments_for_test before anything is re-sent).
void CrashDuringUpload(int k, bool applied) {
  SCOPED_TRACE("upload k=" + std::to_string(k) + (applied ? " applied" : " not applied"));
  TempDir data;
  ExportEnv env{6, 0, [&](app::Config& c) { c.data_dir = data.path(); }};
  // C0 at test level, C1 at step 1: each gets step-1.png and agent.log (4 uploads).
  const int64_t test = env.MakeTest({env.cases_a[0]}, {env.cases_a[1]});
  const int64_t run = env.MakeRun(test);
  auto t = env.h->Get(env.pbase + "/tests/" + std::to_string(test), env.admin);
  ASSERT_EQ(t.status, 200) << t.raw;
  const std::string step = t.body["steps"][0]["id"].get<std::string>();
  const std::string base = env.pbase + "/runs/" + std::to_string(run) + "/artifacts";
  env.Check(env.h->Call("POST", base + "?name=step-1.png&step_id=" + step, env.admin,
                        std::string("\x89PNG\r\n\x1a\n", 8) + std::string(300, 'p'),
                        {{"Content-Type", "image/png"}}));
  env.Check(env.h->Call("POST", base + "?name=agent.log", env.admin, std::string(200, 'l'),
                        {{"Content-Type", "text/plain"}}));
  env.Check(
      env.h->Put(env.pbase + "/testrail/options", env.admin, {{"attachments", {{"mode", "all"}}}}));
  const std::string token = env.admin, pbase = env.pbase;
  env.h.reset();

  Child first(data.path());
  env.AddFault("add_attachment_to_result:" + std::to_string(k) +
               (applied ? ":timeout-after-apply" : ":timeout"));
  auto cfg = env.sim->config();
  cfg.timeout_hold_ms = 60'000;
  env.sim->SetConfig(cfg);
  int status = 0;
  Json started = Call(first.port(), "POST", pbase + "/testrail/exports", token,
                      {{"run_id", run}, {"wait", false}}, &status);
  ASSERT_EQ(status, 202) << started.dump();
  const int64_t id = started["id"].get<int64_t>();
  bool held = false;
  for (int i = 0; i < 1000 && !held; ++i) {
    held = env.sim->Stats().faults_injected > 0;
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(held) << "the export made fewer than " << k << " uploads";
  first.Kill();
  cfg.faults.clear();
  cfg.timeout_hold_ms = 2500;
  env.sim->SetConfig(cfg);

  Child second(data.path());
  Json d = WaitFinished(second.port(), pbase + "/testrail/exports/" + std::to_string(id), token);
  EXPECT_EQ(d.value("state", ""), "succeeded") << d.dump();
  EXPECT_EQ(d["attachments"].value("sent", -1), 4) << d.dump();
  auto remote = ReadRemote(*env.client);
  testing::ExpectExactlyOnce(remote, 2, false);
  ASSERT_EQ(remote.runs.size(), 1u);
  auto tests = env.client->GetTests(remote.runs[0].id);
  ASSERT_TRUE(tests.ok());
  for (const auto& tt : *tests) {
    auto a = testrail::GetAttachmentsForTest(*env.client, tt.id);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    std::vector<std::string> names;
    for (const auto& x : *a) names.push_back(x.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"agent.log", "step-1.png"}))
        << "case C" << tt.case_id;
  }
}

TEST(ExportCrashTest, KilledDuringEveryUploadResumesWithEachAttachmentOnce) {
  for (int k = 1; k <= 4; ++k) {
    CrashDuringUpload(k, true);
    CrashDuringUpload(k, false);
  }
}

}  // namespace
}  // namespace nexus
