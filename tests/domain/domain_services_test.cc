// The host-model services' rules (src/domain/): step ids and the version check of tests, the
// run ↔ execution rules and the completion announcement, plans and executions, features and
// members. The HTTP shape of the same rules is tested in tests/api/.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "domain/plan_service.h"
#include "domain/project_service.h"
#include "domain/run_service.h"
#include "domain/test_service.h"
#include "domain/user_service.h"
#include "storage/store.h"

namespace nexus::domain {
namespace {

class FakeClock : public Clock {
 public:
  TimeMs NowMs() const override { return now_; }
  TimeMs now_ = 1'700'000'000'000;
};

class RecordingListener : public ExecutionCompletedListener {
 public:
  void OnExecutionCompleted(int64_t project_id, int64_t execution_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    completed_.emplace_back(project_id, execution_id);
  }
  std::vector<std::pair<int64_t, int64_t>> completed() {
    std::lock_guard<std::mutex> lock(mu_);
    return completed_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<int64_t, int64_t>> completed_;
};

class FixedCounter : public LinkedCaseCounter {
 public:
  int64_t LinkedCaseCount(int64_t, int64_t test_id) override { return test_id * 10; }
  std::map<int64_t, int64_t> LinkedCaseCounts(int64_t, int64_t first, int64_t last) override {
    std::map<int64_t, int64_t> out;
    for (int64_t id = first; id <= last; ++id) out[id] = id * 10;
    return out;
  }
};

std::unique_ptr<Store> OpenMigratedStore() {
  auto s = OpenSqliteStore(":memory:");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  std::unique_ptr<Store> store = std::move(s).value();
  EXPECT_TRUE(store->Migrate().ok());
  return store;
}

class DomainServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(store_, nullptr);
    User u;
    u.email = "owner@example.com";
    u.name = "Owner";
    u.password_hash = "x";
    auto user = store_->CreateUser(u);
    ASSERT_TRUE(user.ok());
    owner_ = user.value();
    auto p = projects_.Create("Shop", owner_.id);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pid_ = p->id;
  }

  nexus::Test MakeTest(const std::string& name, int steps = 2) {
    nexus::Test t;
    t.project_id = pid_;
    t.name = name;
    for (int i = 0; i < steps; ++i) t.steps.push_back(Step{"", "goal", {"ok"}});
    auto r = tests_.Create(t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : nexus::Test{};
  }

  Execution MakeExecution(const std::vector<int64_t>& test_ids) {
    auto plan = plans_.CreatePlan(pid_, "plan", test_ids);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    auto e = plans_.CreateExecution(pid_, plan.ok() ? plan->id : 0);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? e.value() : Execution{};
  }

  nexus::Run Draft(const nexus::Test& t, std::optional<int64_t> execution_id,
                   bool finished = true) {
    nexus::Run r;
    r.project_id = pid_;
    r.test_id = t.id;
    r.result = RunResult::kSuccess;
    r.bug_label = BugLabel::kNoBug;
    r.started_at = 1000;
    if (finished) r.finished_at = 2000;
    r.execution_id = execution_id;
    return r;
  }

  FakeClock clock_;
  RecordingListener completed_;
  FixedCounter counter_;
  std::unique_ptr<Store> store_ = OpenMigratedStore();
  ProjectService projects_{*store_, clock_};
  UserService users_{*store_};
  TestService tests_{*store_, clock_, counter_};
  RunService runs_{*store_, clock_, completed_};
  PlanService plans_{*store_, clock_};
  User owner_;
  int64_t pid_ = 0;
};

// ---- Tests.

TEST_F(DomainServicesTest, CreateGivesStepIdsAndVersionOne) {
  nexus::Test t = MakeTest("Login", 3);
  EXPECT_EQ(t.version, 1);
  ASSERT_EQ(t.steps.size(), 3u);
  for (const Step& s : t.steps) EXPECT_EQ(s.id.rfind("st_", 0), 0u) << s.id;
  EXPECT_NE(t.steps[0].id, t.steps[1].id);
  EXPECT_EQ(t.created_at, clock_.now_);
  EXPECT_EQ(tests_.LinkedCaseCount(pid_, t.id), t.id * 10);
}

TEST_F(DomainServicesTest, UpdateKeepsKnownStepIdsAndBumpsVersion) {
  nexus::Test t = MakeTest("Login", 2);
  TestUpdate u{1, "Login v2", {"smoke"}, {t.steps[1], Step{"", "new", {}}}};
  auto updated = tests_.Update(t, u);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->name, "Login v2");
  ASSERT_EQ(updated->steps.size(), 2u);
  EXPECT_EQ(updated->steps[0].id, t.steps[1].id);
  EXPECT_FALSE(updated->steps[1].id.empty());
}

TEST_F(DomainServicesTest, UpdateRefusesForeignAndRepeatedStepIds) {
  nexus::Test t = MakeTest("Login", 2);
  auto foreign = tests_.Update(t, {1, "x", {}, {t.steps[0], Step{"st_nope", "g", {}}}});
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(foreign.status().field(), "steps[1].id");
  EXPECT_EQ(foreign.status().message(), "step 'st_nope' is not a step of this test");
  auto twice = tests_.Update(t, {1, "x", {}, {t.steps[0], t.steps[0]}});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.status().field(), "steps[1].id");
  EXPECT_EQ(twice.status().message(), "step '" + t.steps[0].id + "' appears twice");
}

TEST_F(DomainServicesTest, UpdateWithAnOldVersionIsVersionMismatch) {
  nexus::Test t = MakeTest("Login");
  ASSERT_TRUE(tests_.Update(t, {1, "v2", {}, {}}).ok());
  auto stale = tests_.Update(t, {1, "v3", {}, {}});  // `t` was read at version 1
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_EQ(stale.status().reason(), "version_mismatch");
  EXPECT_EQ(stale.status().field(), "version");
  auto current = tests_.Get(pid_, t.id);
  ASSERT_TRUE(current.ok());
  auto wrong = tests_.Update(*current, {7, "v3", {}, {}});
  EXPECT_EQ(wrong.status().code(), StatusCode::kConflict);
  EXPECT_EQ(wrong.status().message(),
            "the test was changed meanwhile (version 2, yours 7); reload and retry");
}

TEST_F(DomainServicesTest, DeletedTestIsNotFound) {
  nexus::Test t = MakeTest("Login");
  ASSERT_TRUE(tests_.Delete(pid_, t.id).ok());
  auto gone = tests_.Get(pid_, t.id);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.status().message(), "test " + std::to_string(t.id) + " not found");
  EXPECT_EQ(tests_.Delete(pid_, t.id).code(), StatusCode::kNotFound);
}

// ---- Runs.

TEST_F(DomainServicesTest, RunRecordsTheTestVersion) {
  nexus::Test t = MakeTest("Login");
  ASSERT_TRUE(tests_.Update(t, {1, "v2", {}, t.steps}).ok());
  auto test = runs_.TestForRun(pid_, t.id);
  ASSERT_TRUE(test.ok());
  auto run = runs_.Create(*test, Draft(*test, std::nullopt));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->test_version, 2);
  EXPECT_EQ(run->created_at, clock_.now_);
  auto missing = runs_.TestForRun(pid_, 9999);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().field(), "test_id");
  EXPECT_EQ(missing.status().message(), "test 9999 not found in this project");
}

TEST_F(DomainServicesTest, RunStepRulesAndFinishRules) {
  nexus::Test t = MakeTest("Login");
  EXPECT_TRUE(RunService::CheckStepOfTest(t, t.steps[0].id, "steps[0].step_id").ok());
  Status bad = RunService::CheckStepOfTest(t, "st_x", "steps[0].step_id");
  EXPECT_EQ(bad.field(), "steps[0].step_id");
  EXPECT_EQ(bad.message(), "step 'st_x' is not a step of test " + std::to_string(t.id));
  EXPECT_EQ(RunService::CheckNotBeforeStart(2000, 1999, "finished_at").code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(RunService::CheckNotBeforeStart(2000, std::nullopt, "finished_at").ok());
  nexus::Run open = Draft(t, std::nullopt, /*finished=*/false);
  EXPECT_TRUE(RunService::CheckFinish(open, 1500).ok());
  EXPECT_EQ(RunService::CheckFinish(open, 999).message(),
            "finished_at must not be before started_at");
  nexus::Run done = Draft(t, std::nullopt);
  EXPECT_TRUE(RunService::CheckFinish(done, 2000).ok());
  EXPECT_EQ(RunService::CheckFinish(done, 2500).message(), "the run has already finished");
}

TEST_F(DomainServicesTest, JoiningAnExecutionChecksMembershipAndDuplicates) {
  nexus::Test in = MakeTest("in");
  nexus::Test out = MakeTest("out");
  Execution e = MakeExecution({in.id});
  auto unknown = runs_.Create(in, Draft(in, 9999));
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().field(), "execution_id");
  EXPECT_EQ(unknown.status().message(), "execution 9999 not found in this project");
  auto outsider = runs_.Create(out, Draft(out, e.id));
  EXPECT_EQ(outsider.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outsider.status().field(), "test_id");
  auto first = runs_.Create(in, Draft(in, e.id));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = runs_.Create(in, Draft(in, e.id));
  EXPECT_EQ(second.status().code(), StatusCode::kConflict);
  EXPECT_EQ(second.status().reason(), "duplicate");
  EXPECT_EQ(second.status().message(), "execution " + std::to_string(e.id) + " already has run " +
                                           std::to_string(first->id) + " for test " +
                                           std::to_string(in.id));
}

TEST_F(DomainServicesTest, CompletionIsAnnouncedOnceWhenTheLastRunFinishes) {
  nexus::Test a = MakeTest("a");
  nexus::Test b = MakeTest("b");
  Execution e = MakeExecution({a.id, b.id});
  ASSERT_TRUE(runs_.Create(a, Draft(a, e.id)).ok());
  EXPECT_TRUE(completed_.completed().empty());
  auto got = plans_.GetExecution(pid_, e.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->execution.state, ExecutionState::kInProgress);
  auto open = runs_.Create(b, Draft(b, e.id, /*finished=*/false));
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(completed_.completed().empty());
  RunPatch finish;
  finish.finished_at = 3000;
  auto finished = runs_.Update(*open, finish);
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  ASSERT_EQ(completed_.completed().size(), 1u);
  EXPECT_EQ(completed_.completed()[0], std::make_pair(pid_, e.id));
  got = plans_.GetExecution(pid_, e.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->execution.state, ExecutionState::kCompleted);
  EXPECT_EQ(got->runs.size(), 2u);
  // Changing a finished run does not announce again.
  RunPatch relabel;
  relabel.bug_label = BugLabel::kLikelyBug;
  ASSERT_TRUE(runs_.Update(*finished, relabel).ok());
  EXPECT_EQ(completed_.completed().size(), 1u);
}

TEST_F(DomainServicesTest, ConcurrentJoinsOfOneTestCreateOneRunAndOneAnnouncement) {
  nexus::Test t = MakeTest("t");
  Execution e = MakeExecution({t.id});
  constexpr int kThreads = 6;
  std::atomic<int> won{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = runs_.Create(t, Draft(t, e.id));
      if (r.ok()) {
        ++won;
      } else if (r.status().reason() == "duplicate") {
        ++duplicates;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(duplicates.load(), kThreads - 1);
  EXPECT_EQ(completed_.completed().size(), 1u);
}

TEST_F(DomainServicesTest, MissingRunIsNotFound) {
  auto r = runs_.Get(pid_, 4242);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "run 4242 not found");
}

// ---- Plans and executions.

TEST_F(DomainServicesTest, PlanCollapsesDuplicatesAndRefusesUnknownTests) {
  nexus::Test a = MakeTest("a");
  nexus::Test b = MakeTest("b");
  auto plan = plans_.CreatePlan(pid_, "p", {a.id, b.id, a.id});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->test_ids, (std::vector<int64_t>{a.id, b.id}));
  auto bad = plans_.CreatePlan(pid_, "p", {a.id, 9999});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "test_ids[1]");
  EXPECT_EQ(bad.status().message(), "test 9999 not found in this project");
  EXPECT_EQ(plans_.GetPlan(pid_, 9999).status().message(), "plan 9999 not found");
}

TEST_F(DomainServicesTest, ExecutionSkipsTestsDeletedSinceThePlan) {
  nexus::Test a = MakeTest("a");
  nexus::Test b = MakeTest("b");
  auto plan = plans_.CreatePlan(pid_, "p", {a.id, b.id});
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(tests_.Delete(pid_, a.id).ok());
  auto e = plans_.CreateExecution(pid_, plan->id);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->test_ids, (std::vector<int64_t>{b.id}));
  EXPECT_EQ(e->state, ExecutionState::kQueued);
  auto unknown = plans_.CreateExecution(pid_, 9999);
  EXPECT_EQ(unknown.status().field(), "plan_id");
  EXPECT_EQ(unknown.status().message(), "plan 9999 not found in this project");
  EXPECT_EQ(plans_.GetExecution(pid_, 9999).status().code(), StatusCode::kNotFound);
}

// ---- Projects, members, users.

TEST_F(DomainServicesTest, FeaturesMustBeKnown) {
  auto on = projects_.SetFeatures(pid_, {{"testrail", true}});
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->HasFeature("testrail"));
  auto bad = projects_.SetFeatures(pid_, {{"testrail", false}, {"jira", true}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "jira");
  EXPECT_EQ(bad.status().reason(), "unknown_field");
  EXPECT_TRUE(projects_.Get(pid_)->HasFeature("testrail"));  // nothing applied
}

TEST_F(DomainServicesTest, MembersAndRoles) {
  auto roles = projects_.RolesOf(owner_.id);
  ASSERT_TRUE(roles.ok());
  ASSERT_EQ(roles->size(), 1u);
  EXPECT_EQ((*roles)[0].role, ProjectRole::kAdmin);
  EXPECT_EQ(projects_.SetMember(pid_, 9999, ProjectRole::kViewer).status().message(),
            "user 9999 not found");
  EXPECT_EQ(projects_.RemoveMember(pid_, 9999).message(),
            "user 9999 is not a member of this project");
  auto members = projects_.ListMembers(pid_);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  ASSERT_TRUE((*members)[0].user.has_value());
  EXPECT_EQ((*members)[0].user->email, "owner@example.com");
  EXPECT_EQ(users_.DeleteToken(owner_.id, 4242).message(), "token not found");
  EXPECT_EQ(users_.Get(4242).status().message(), "user 4242 not found");
}

}  // namespace
}  // namespace nexus::domain
