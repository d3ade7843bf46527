// Several Nexus instances on one PostgreSQL database (issue 15, R-Q-IDEMP): a throwaway
// cluster (tests/storage/pg_test_cluster.h), the in-process TestRail simulator, and two
// `nexus serve` child processes A and B on free loopback ports sharing the database and the
// secret key (one --data-dir). Every child is SIGKILLed by its destructor (and gets SIGKILL if
// the test process dies), the cluster is stopped at exit — also when an assertion fails.
//
//  - An export started through A, A SIGKILLed while the k-th TestRail call is in flight, B
//    (running all along) takes the job over when A's lease expires and finishes it: exactly one
//    TestRail run and one result per case — at several journal step boundaries.
//  - POST …/exports of one execution through A and B at once: one 202, one 409.
//  - The last two runs of an execution posted through A and B at once: one automatic export.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <set>
#include <thread>

#include "../storage/pg_test_cluster.h"
#include "integration/export_test_util.h"

namespace nexus {
namespace {

using testing::ExportEnv;
using testing::ReadRemote;
using testing::TempDir;
using Json = nlohmann::json;

// A postgresql:// URL (what --database takes) of a fresh schema of the test cluster; "" when
// the cluster is not available (the test then fails with the cluster's error).
std::string FreshDatabaseUrl() {
  testing::PgTestCluster& pg = testing::PgTestCluster::Get();
  if (!pg.ok()) return "";
  std::string conninfo = pg.Fresh();
  auto at = conninfo.find("search_path=");
  auto host = conninfo.find("host=");
  if (conninfo.empty() || at == std::string::npos || host == std::string::npos) return "";
  std::string schema = conninfo.substr(at + 12, conninfo.find('\'', at) - at - 12);
  std::string dir = conninfo.substr(host + 5, conninfo.find(' ', host) - host - 5);
  return "postgresql:///postgres?host=" + dir +
         "&port=5432&user=postgres&options=-c%20search_path%3D" + schema;
}

// A `nexus serve` child on the shared database; SIGKILLed by Kill() or the destructor.
class Instance {
 public:
  Instance(const std::string& data_dir, const std::string& db_url) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // an orphan would hold CTest's output pipe open
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::string bin = testing::NexusBinary();
      execl(bin.c_str(), bin.c_str(), "--log-level", "warn", "serve", "--listen", "127.0.0.1:0",
            "--data-dir", data_dir.c_str(), "--database", db_url.c_str(), "--db-pool-size", "4",
            "--testrail-allow-private", "--job-lease-ms", "1000", "--export-batch-size", "2",
            "--export-catalog-max-age-ms", "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    char line[512] = {0};
    if (fgets(line, sizeof line, out_) == nullptr)
      throw std::runtime_error("nexus serve did not start");
    std::string l(line);
    port_ = std::stoi(l.substr(l.rfind(':') + 1));
  }
  ~Instance() {
    Kill();
    if (out_) fclose(out_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
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

// Polls an export until it is neither queued nor running (60 s at most); its last view.
Json WaitFinished(int port, const std::string& path, const std::string& token) {
  Json d;
  for (int i = 0; i < 600; ++i) {
    d = Call(port, "GET", path, token);
    if (d.is_object() && d.value("state", "") != "queued" && d.value("state", "") != "running")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return d;
}

// A project on a fresh PostgreSQL schema, set up by an in-process server that is gone
// before the instances start (it would run jobs too): a test linking 5 cases of suite A.
struct SharedDatabase {
  TempDir data;  // secret.key shared by every instance
  std::string url = FreshDatabaseUrl();
  std::unique_ptr<ExportEnv> env;
  std::string token, pbase;
  int64_t test = 0;

  SharedDatabase() {
    if (url.empty())
      throw std::runtime_error("test PostgreSQL: " + testing::PgTestCluster::Get().error());
    env = std::make_unique<ExportEnv>(6, 0, [this](app::Config& c) {
      c.data_dir = data.path();
      c.db = url;
    });
    test = env->MakeTest(
        {env->cases_a[0], env->cases_a[1], env->cases_a[2], env->cases_a[3], env->cases_a[4]});
    token = env->admin;
    pbase = env->pbase;
  }
  // A completed execution of `tests` (one Success run each); auto_export as given.
  int64_t MakeExecution(const std::vector<int64_t>& tests, bool finish = true) {
    auto plan = env->h->Post(pbase + "/plans", token, {{"name", "Smoke"}, {"test_ids", tests}});
    env->Check(plan);
    auto ex = env->h->Post(pbase + "/executions", token, {{"plan_id", plan.body["id"]}});
    env->Check(ex);
    int64_t e = ex.body["id"].get<int64_t>();
    if (finish)
      for (int64_t t : tests) env->MakeRun(t, "Success", "NoBug", e);
    return e;
  }
  void StopInProcessServer() { env->h.reset(); }
};

// A starts an export and runs it; the k-th TestRail call of the export is held (applied by
// TestRail or not); B starts (so the job is certainly A's); B must leave the job alone while
// A's lease is renewed; A is SIGKILLed; B claims the job when the lease expires and finishes it.
void KillAt(int k, bool applied) {
  SCOPED_TRACE("k=" + std::to_string(k) + (applied ? " applied" : " not applied"));
  SharedDatabase db;
  ExportEnv& env = *db.env;
  const int64_t run = env.MakeRun(db.test);
  db.StopInProcessServer();

  Instance a(db.data.path(), db.url);
  // Hold the k-th TestRail call of the export (counting from here).
  env.AddFault("*:" + std::to_string(k) + (applied ? ":timeout-after-apply" : ":timeout"));
  auto cfg = env.sim->config();
  cfg.timeout_hold_ms = 60'000;
  env.sim->SetConfig(cfg);
  int status = 0;
  Json started = Call(a.port(), "POST", db.pbase + "/testrail/exports", db.token,
                      {{"run_id", run}, {"wait", false}}, &status);
  ASSERT_EQ(status, 202) << started.dump();
  const int64_t id = started["id"].get<int64_t>();
  const std::string path = db.pbase + "/testrail/exports/" + std::to_string(id);
  for (int i = 0; i < 1000 && env.sim->Stats().faults_injected == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(env.sim->Stats().faults_injected, 0)
      << "the export made fewer than " << k << " TestRail calls";

  Instance b(db.data.path(), db.url);
  // 1.5 leases: A's heartbeats keep the job A's.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Json mid = Call(b.port(), "GET", path, db.token);
  EXPECT_EQ(mid.value("attempts", 0), 1) << "B took over a job A still held: " << mid.dump();
  a.Kill();
  cfg.faults.clear();
  cfg.timeout_hold_ms = 2500;
  env.sim->SetConfig(cfg);

  Json done = WaitFinished(b.port(), path, db.token);
  EXPECT_EQ(done.value("state", ""), "succeeded") << done.dump();
  EXPECT_EQ(done.value("attempts", 0), 2) << done.dump();
  auto remote = ReadRemote(*env.client);
  testing::ExpectExactlyOnce(remote, 5, false);
  ASSERT_EQ(remote.runs.size(), 1u);
  EXPECT_TRUE(remote.runs[0].is_completed);
}

// The export of 5 cases in batches of 2 makes get_result_fields while it is planned (call 1
// from where the fault is added), add_run (2), 3 × add_results_for_cases (3-5) and close_run
// (6) — the journal step boundaries of export_crash_test: after the run exists, mid-results,
// before the close; once with a call TestRail never applied.
TEST(MultiInstanceTest, InstanceKilledMidExportAnotherFinishesItExactlyOnce) {
  for (int k : {2, 4, 6}) KillAt(k, true);
  KillAt(4, false);
}

TEST(MultiInstanceTest, ConcurrentExportsOfOneExecutionThroughTwoInstancesOne409) {
  SharedDatabase db;
  ExportEnv& env = *db.env;
  int64_t t2 = env.MakeTest({env.cases_a[5]});
  const int64_t e = db.MakeExecution({db.test, t2});
  db.StopInProcessServer();
  auto cfg = env.sim->config();
  cfg.latency_ms = 300;  // the first export is still running when the second request lands
  env.sim->SetConfig(cfg);
  Instance a(db.data.path(), db.url);
  Instance b(db.data.path(), db.url);
  for (int round = 0; round < 1; ++round) {
    auto post = [&](int port) {
      int status = 0;
      Json body = Call(port, "POST", db.pbase + "/testrail/exports", db.token,
                       {{"execution_id", e}, {"wait", false}}, &status);
      return std::make_pair(status, body);
    };
    auto fa = std::async(std::launch::async, post, a.port());
    auto fb = std::async(std::launch::async, post, b.port());
    auto ra = fa.get();
    auto rb = fb.get();
    std::multiset<int> statuses = {ra.first, rb.first};
    EXPECT_EQ(statuses, (std::multiset<int>{202, 409})) << ra.second.dump() << rb.second.dump();
    const Json& ok = ra.first == 202 ? ra.second : rb.second;
    const Json& refused = ra.first == 202 ? rb.second : ra.second;
    EXPECT_NE(refused.dump().find("already"), std::string::npos) << refused.dump();
    ASSERT_TRUE(ok.contains("id")) << ok.dump();
    Json done = WaitFinished(
        a.port(), db.pbase + "/testrail/exports/" + std::to_string(ok["id"].get<int64_t>()),
        db.token);
    EXPECT_EQ(done.value("state", ""), "succeeded") << done.dump();
  }
  auto remote = ReadRemote(*env.client);
  EXPECT_EQ(remote.runs.size() + remote.plans.size(), 1u);
  EXPECT_EQ(remote.total_results, 6);
}

// The execution completes when its last run lands; with the two last runs posted through A
// and B at once, each instance may see "completed", but only one state transition happens in
// the database, so one automatic export.
TEST(MultiInstanceTest, AutoExportFiresOncePerExecutionAcrossInstances) {
  SharedDatabase db;
  ExportEnv& env = *db.env;
  env.Check(env.h->Put(db.pbase + "/testrail/options", db.token, {{"auto_export", true}}));
  int64_t t2 = env.MakeTest({env.cases_a[5]});
  const int64_t e = db.MakeExecution({db.test, t2}, /*finish=*/false);
  db.StopInProcessServer();
  Instance a(db.data.path(), db.url);
  Instance b(db.data.path(), db.url);
  auto post = [&](int port, int64_t test) {
    int status = 0;
    Json body = Call(port, "POST", db.pbase + "/runs", db.token,
                     {{"test_id", test},
                      {"result", "Success"},
                      {"bug_label", "NoBug"},
                      {"started_at", "2026-01-01T10:00:00Z"},
                      {"finished_at", "2026-01-01T10:01:05Z"},
                      {"execution_id", e}},
                     &status);
    EXPECT_EQ(status, 201) << body.dump();
  };
  auto fa = std::async(std::launch::async, post, a.port(), db.test);
  auto fb = std::async(std::launch::async, post, b.port(), t2);
  fa.get();
  fb.get();
  Json items;
  for (int i = 0; i < 300; ++i) {
    Json list = Call(a.port(), "GET", db.pbase + "/testrail/exports", db.token);
    items = list.is_object() ? list["items"] : Json();
    if (items.is_array() && !items.empty() && items[0].value("state", "") == "succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a second one would show now
  Json list = Call(b.port(), "GET", db.pbase + "/testrail/exports", db.token);
  ASSERT_TRUE(list.is_object()) << list.dump();
  ASSERT_EQ(list["items"].size(), 1u) << list.dump();
  EXPECT_EQ(list["items"][0]["export_trigger"], "auto");
  EXPECT_EQ(list["items"][0]["state"], "succeeded") << list.dump();
  auto remote = ReadRemote(*env.client);
  EXPECT_EQ(remote.total_results, 6);
}

}  // namespace
}  // namespace nexus
