// Conformance tests of Store::CreateRunInExecution: a run joins an execution atomically
// (membership and one run per test checked in the write that inserts it).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store_conformance.h"

namespace nexus {
namespace {

// An execution of a plan with `tests` (the ids of tests of project `p`).
Execution MakeExecution(Store& store, int64_t project_id, const std::vector<int64_t>& tests) {
  TestPlan plan;
  plan.project_id = project_id;
  plan.name = "plan";
  plan.test_ids = tests;
  auto pl = store.CreatePlan(plan);
  EXPECT_TRUE(pl.ok()) << pl.status().ToString();
  Execution ex;
  ex.project_id = project_id;
  ex.plan_id = pl.ok() ? pl->id : 0;
  ex.test_ids = tests;
  ex.created_at = 4000;
  auto e = store.CreateExecution(ex);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? e.value() : Execution{};
}

TEST_P(StoreConformanceTest, RunJoinsAnExecution) {
  Project p = MakeProject("X");
  nexus::Test t = MakeTest(p.id);
  Execution e = MakeExecution(store(), p.id, {t.id});
  nexus::Run run = RunFor(t);
  run.execution_id = e.id;
  auto created = store().CreateRunInExecution(run);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->execution_id, e.id);
  EXPECT_EQ(created->test_id, t.id);
  EXPECT_EQ(created->build, "1.2.3");
  auto stored = store().GetRun(p.id, created->id);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->execution_id, e.id);
}

TEST_P(StoreConformanceTest, RunJoiningAMissingExecutionIsNotFound) {
  Project p = MakeProject("X");
  Project other = MakeProject("Y");
  nexus::Test t = MakeTest(p.id);
  nexus::Test t2 = MakeTest(other.id);
  Execution foreign = MakeExecution(store(), other.id, {t2.id});
  for (int64_t id : {int64_t{999}, foreign.id}) {
    nexus::Run run = RunFor(t);
    run.execution_id = id;
    auto created = store().CreateRunInExecution(run);
    EXPECT_CODE(created, StatusCode::kNotFound);
    EXPECT_EQ(created.status().field(), "execution_id");
  }
  RunFilter f;
  f.test_id = t.id;
  EXPECT_TRUE(store().ListRuns(p.id, f, {0, 10})->empty());
}

TEST_P(StoreConformanceTest, RunJoiningAnExecutionWithoutItsTestIsRefused) {
  Project p = MakeProject("X");
  nexus::Test in = MakeTest(p.id, "in");
  nexus::Test out = MakeTest(p.id, "out");
  Execution e = MakeExecution(store(), p.id, {in.id});
  nexus::Run run = RunFor(out);
  run.execution_id = e.id;
  auto created = store().CreateRunInExecution(run);
  EXPECT_CODE(created, StatusCode::kInvalidArgument);
  EXPECT_EQ(created.status().field(), "test_id");
  EXPECT_EQ(created.status().reason(), "invalid_value");
  EXPECT_EQ(created.status().message(),
            "test " + std::to_string(out.id) + " is not part of execution " + std::to_string(e.id));
}

TEST_P(StoreConformanceTest, SecondRunOfATestInAnExecutionIsDuplicate) {
  Project p = MakeProject("X");
  nexus::Test t = MakeTest(p.id);
  Execution e = MakeExecution(store(), p.id, {t.id});
  nexus::Run run = RunFor(t);
  run.execution_id = e.id;
  auto first = store().CreateRunInExecution(run);
  ASSERT_OK(first);
  auto second = store().CreateRunInExecution(run);
  EXPECT_CODE(second, StatusCode::kConflict);
  EXPECT_EQ(second.status().reason(), "duplicate");
  EXPECT_EQ(second.status().message(), "execution " + std::to_string(e.id) + " already has run " +
                                           std::to_string(first->id) + " for test " +
                                           std::to_string(t.id));
}

TEST_P(StoreConformanceTest, ConcurrentJoinsOfOneTestExactlyOneSucceeds) {
  Project p = MakeProject("X");
  nexus::Test t = MakeTest(p.id);
  Execution e = MakeExecution(store(), p.id, {t.id});
  constexpr int kThreads = 8;
  std::atomic<int> won{0}, duplicates{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      nexus::Run run = RunFor(t);
      run.execution_id = e.id;
      auto created = store().CreateRunInExecution(run);
      if (created.ok()) {
        ++won;
      } else if (created.status().code() == StatusCode::kConflict &&
                 created.status().reason() == "duplicate") {
        ++duplicates;
      } else {
        ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(duplicates.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  RunFilter f;
  f.execution_id = e.id;
  EXPECT_EQ(store().ListRuns(p.id, f, {0, 10})->size(), 1u);
}

}  // namespace
}  // namespace nexus
