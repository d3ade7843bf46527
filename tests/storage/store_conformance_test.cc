// The Store conformance suite: every test is written against the abstract Store, and runs
// once per backend listed in Backends() at the bottom. A new backend (PostgreSQL) passes by
// adding its factory there. This file holds the tests and runs, plans and executions,
// concurrency and schema tests; store_conformance_identity_test.cc the identity and projects
// roles; the fixture is in store_conformance.h.
#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_cluster.h"
#include "storage/sql_conn.h"
#include "storage/sqlite_store.h"
#include "store_conformance.h"

namespace nexus {
namespace {

// ---- Tests and steps.

TEST_P(StoreConformanceTest, CreateAndGetTestKeepsStepsInOrder) {
  Project p = MakeProject("T");
  auto created = store().CreateTest(TestWithSteps(p.id, "Checkout", {"st_z", "st_a", "st_m"}));
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->version, 1);
  auto got = store().GetTest(p.id, created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->project_id, p.id);
  EXPECT_EQ(got->name, "Checkout");
  EXPECT_EQ(got->tags, (std::vector<std::string>{"smoke", "login"}));
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->created_at, 3000);
  EXPECT_EQ(got->updated_at, 3000);
  ASSERT_EQ(got->steps.size(), 3u);
  EXPECT_EQ(got->steps[0].id, "st_z");
  EXPECT_EQ(got->steps[1].id, "st_a");
  EXPECT_EQ(got->steps[2].id, "st_m");
  EXPECT_EQ(got->steps[1].goal, "goal of st_a");
  EXPECT_EQ(got->steps[1].expected_results,
            (std::vector<std::string>{"result 1 of st_a", "result 2 of st_a"}));
}

TEST_P(StoreConformanceTest, TestWithoutStepsOrTags) {
  Project p = MakeProject("T");
  nexus::Test t;
  t.project_id = p.id;
  t.name = "empty";
  auto created = store().CreateTest(t);
  ASSERT_OK(created);
  auto got = store().GetTest(p.id, created->id);
  ASSERT_OK(got);
  EXPECT_TRUE(got->steps.empty());
  EXPECT_TRUE(got->tags.empty());
}

TEST_P(StoreConformanceTest, UnicodeAndQuotesSurvive) {
  Project p = MakeProject("Ü");
  nexus::Test t = TestWithSteps(p.id, "Naïve 'quoted' \"name\" — ✓", {"st_1"});
  t.steps[0].goal = "Tippe \"ß\"; DROP TABLE tests; --";
  t.tags = {"ünï", "a,b", "[x]"};
  auto created = store().CreateTest(t);
  ASSERT_OK(created);
  auto got = store().GetTest(p.id, created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, t.name);
  EXPECT_EQ(got->tags, t.tags);
  EXPECT_EQ(got->steps[0].goal, t.steps[0].goal);
}

TEST_P(StoreConformanceTest, TestsAreScopedToTheirProject) {
  Project a = MakeProject("A");
  Project b = MakeProject("B");
  nexus::Test t = MakeTest(a.id);
  EXPECT_CODE(store().GetTest(b.id, t.id), StatusCode::kNotFound);
  EXPECT_TRUE(store().ListTests(b.id, {})->empty());
  nexus::Test moved = t;
  moved.project_id = b.id;
  EXPECT_CODE(store().UpdateTest(moved), StatusCode::kNotFound);
  EXPECT_CODE(store().DeleteTest(b.id, t.id, 1), StatusCode::kNotFound);
  ASSERT_OK(store().GetTest(a.id, t.id));  // untouched
  EXPECT_CODE(store().CreateTest(TestWithSteps(9999, "x", {})), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, UpdateTestBumpsVersionAndKeepsStepIds) {
  Project p = MakeProject("U");
  nexus::Test t = MakeTest(p.id);  // st_a, st_b, st_c
  nexus::Test edit = t;
  edit.name = "Renamed";
  edit.tags = {"regression"};
  edit.updated_at = 4000;
  // Re-order, edit one, drop one, add one.
  edit.steps = {t.steps[2], t.steps[0], Step{"st_new", "new goal", {}}};
  edit.steps[1].goal = "edited goal";
  auto updated = store().UpdateTest(edit);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->created_at, 3000);
  EXPECT_EQ(updated->updated_at, 4000);

  auto got = store().GetTest(p.id, t.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->tags, std::vector<std::string>{"regression"});
  ASSERT_EQ(got->steps.size(), 3u);
  EXPECT_EQ(got->steps[0].id, "st_c");
  EXPECT_EQ(got->steps[0].goal, "goal of st_c");
  EXPECT_EQ(got->steps[1].id, "st_a");
  EXPECT_EQ(got->steps[1].goal, "edited goal");
  EXPECT_EQ(got->steps[2].id, "st_new");
  EXPECT_TRUE(got->steps[2].expected_results.empty());

  edit.version = 2;
  edit.name = "Again";
  auto again = store().UpdateTest(edit);
  ASSERT_OK(again);
  EXPECT_EQ(again->version, 3);
}

TEST_P(StoreConformanceTest, UpdateTestVersionMismatchIsConflictAndChangesNothing) {
  Project p = MakeProject("U");
  nexus::Test t = MakeTest(p.id);
  nexus::Test first = t;
  first.name = "first writer";
  ASSERT_OK(store().UpdateTest(first));  // now version 2

  nexus::Test stale = t;  // still version 1
  stale.name = "second writer";
  stale.steps = {Step{"st_x", "x", {}}};
  auto r = store().UpdateTest(stale);
  EXPECT_CODE(r, StatusCode::kConflict);
  EXPECT_EQ(r.status().reason(), "version_mismatch");

  auto got = store().GetTest(p.id, t.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "first writer");
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->steps.size(), 3u);

  nexus::Test future = *got;
  future.version = 7;
  EXPECT_CODE(store().UpdateTest(future), StatusCode::kConflict);
}

TEST_P(StoreConformanceTest, DuplicateStepIdsWriteNothing) {
  Project p = MakeProject("D");
  auto r = store().CreateTest(TestWithSteps(p.id, "dup", {"st_1", "st_2", "st_1"}));
  EXPECT_CODE(r, StatusCode::kConflict);
  EXPECT_EQ(r.status().reason(), "duplicate");
  EXPECT_TRUE(store().ListTests(p.id, {})->empty());

  // The same on update: the stored test stays as it was.
  nexus::Test t = MakeTest(p.id);
  nexus::Test edit = t;
  edit.name = "changed";
  edit.steps = {Step{"st_q", "", {}}, Step{"st_q", "", {}}};
  EXPECT_CODE(store().UpdateTest(edit), StatusCode::kConflict);
  auto got = store().GetTest(p.id, t.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, t.name);
  EXPECT_EQ(got->version, 1);
  ASSERT_EQ(got->steps.size(), 3u);
  EXPECT_EQ(got->steps[0].id, "st_a");
}

TEST_P(StoreConformanceTest, EmptyStepIdIsInvalid) {
  Project p = MakeProject("E");
  auto r = store().CreateTest(TestWithSteps(p.id, "x", {"st_1", ""}));
  EXPECT_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "steps[1].id");
}

TEST_P(StoreConformanceTest, SoftDeletedTestsAreHidden) {
  Project p = MakeProject("S");
  nexus::Test keep = MakeTest(p.id, "keep");
  nexus::Test gone = MakeTest(p.id, "gone");
  nexus::Run run = MakeRun(gone);
  ASSERT_OK(store().DeleteTest(p.id, gone.id, 9000));
  EXPECT_CODE(store().GetTest(p.id, gone.id), StatusCode::kNotFound);
  EXPECT_CODE(store().UpdateTest(gone), StatusCode::kNotFound);
  EXPECT_CODE(store().DeleteTest(p.id, gone.id, 9001), StatusCode::kNotFound);
  auto list = store().ListTests(p.id, {});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, keep.id);
  // Runs keep their history.
  auto got_run = store().GetRun(p.id, run.id);
  ASSERT_OK(got_run);
  EXPECT_EQ(got_run->test_id, gone.id);
  // A deleted test cannot join a new plan.
  TestPlan plan;
  plan.project_id = p.id;
  plan.name = "with deleted";
  plan.test_ids = {keep.id, gone.id};
  auto pr = store().CreatePlan(plan);
  EXPECT_CODE(pr, StatusCode::kNotFound);
  EXPECT_EQ(pr.status().field(), "test_ids[1]");
}

TEST_P(StoreConformanceTest, ListTestsPaginatesByKeyset) {
  Project p = MakeProject("P");
  Project other = MakeProject("Other");
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(MakeTest(p.id, "t" + std::to_string(i)).id);
    MakeTest(other.id, "noise");
  }
  std::vector<int64_t> seen;
  PageRequest page;
  page.limit = 3;
  for (;;) {
    auto r = store().ListTests(p.id, page);
    ASSERT_OK(r);
    if (r->empty()) break;
    EXPECT_LE(r->size(), 3u);
    for (const nexus::Test& t : *r) {
      EXPECT_EQ(t.project_id, p.id);
      EXPECT_EQ(t.steps.size(), 3u);  // children of every test on the page
      seen.push_back(t.id);
    }
    page.after_id = r->back().id;
  }
  EXPECT_EQ(seen, ids);
  PageRequest bad;
  bad.limit = 0;
  EXPECT_CODE(store().ListTests(p.id, bad), StatusCode::kInvalidArgument);
}

// A page is read as tests joined with their steps in one statement (issue 15, REST reads on
// PostgreSQL): tests without steps, steps in their own order (not by id), deleted tests and
// other projects' tests must still come out exactly as the single-test read gives them.
TEST_P(StoreConformanceTest, ListTestsGivesEachTestItsOwnStepsInOrder) {
  Project p = MakeProject("P");
  Project other = MakeProject("Other");
  std::vector<std::vector<std::string>> shapes = {{},       {"st_z", "st_a"},         {},
                                                  {"st_q"}, {"st_c", "st_b", "st_a"}, {}};
  std::vector<int64_t> ids;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto made = store().CreateTest(TestWithSteps(p.id, "t" + std::to_string(i), shapes[i]));
    ASSERT_OK(made);
    ids.push_back(made->id);
    ASSERT_OK(store().CreateTest(TestWithSteps(other.id, "noise", {"st_x"})));
  }
  ASSERT_OK(store().DeleteTest(p.id, ids[3], 4000));
  std::vector<int64_t> seen;
  PageRequest page;
  page.limit = 2;
  for (;;) {
    auto r = store().ListTests(p.id, page);
    ASSERT_OK(r);
    if (r->empty()) break;
    for (const nexus::Test& t : *r) {
      seen.push_back(t.id);
      auto one = store().GetTest(p.id, t.id);
      ASSERT_OK(one);
      EXPECT_EQ(t.name, one->name);
      EXPECT_EQ(t.tags, one->tags);
      ASSERT_EQ(t.steps.size(), one->steps.size()) << t.name;
      const size_t i = static_cast<size_t>(std::find(ids.begin(), ids.end(), t.id) - ids.begin());
      ASSERT_LT(i, shapes.size());
      ASSERT_EQ(t.steps.size(), shapes[i].size()) << t.name;
      for (size_t k = 0; k < t.steps.size(); ++k) {
        EXPECT_EQ(t.steps[k].id, shapes[i][k]);
        EXPECT_EQ(one->steps[k].id, shapes[i][k]);
        EXPECT_EQ(t.steps[k].expected_results, one->steps[k].expected_results);
      }
    }
    page.after_id = r->back().id;
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{ids[0], ids[1], ids[2], ids[4], ids[5]}));
  EXPECT_CODE(store().GetTest(p.id, ids[3]), StatusCode::kNotFound);
  EXPECT_CODE(store().GetTest(other.id, ids[0]), StatusCode::kNotFound);
}

// ---- Runs.

TEST_P(StoreConformanceTest, RunRoundTripsEveryField) {
  Project p = MakeProject("R");
  nexus::Test t = MakeTest(p.id);
  nexus::Run run = RunFor(t, RunResult::kMaxSteps);
  run.bug_label = BugLabel::kLikelyBug;
  run.bugs = {Bug{"Crash", "Boom on click", "high", "st_b"}, Bug{"Typo", "", "low", ""}};
  run.steps = {StepOutcome{"st_a", RunResult::kSuccess, BugLabel::kNoBug, 5000, 5100, "ok"},
               StepOutcome{"st_b", RunResult::kError, BugLabel::kDefinitelyBug, 5100, std::nullopt,
                           "crashed"}};
  auto created = store().CreateRun(run);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  auto got = store().GetRun(p.id, created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->project_id, p.id);
  EXPECT_EQ(got->test_id, t.id);
  EXPECT_EQ(got->test_version, 1);
  EXPECT_EQ(got->result, RunResult::kMaxSteps);
  EXPECT_EQ(got->bug_label, BugLabel::kLikelyBug);
  EXPECT_EQ(got->started_at, 5000);
  EXPECT_EQ(got->finished_at, std::optional<TimeMs>(6000));
  EXPECT_EQ(got->build, "1.2.3");
  EXPECT_EQ(got->summary, "went fine");
  EXPECT_FALSE(got->execution_id.has_value());
  EXPECT_EQ(got->created_at, 5000);
  EXPECT_EQ(got->updated_at, 6000);
  ASSERT_EQ(got->bugs.size(), 2u);
  EXPECT_EQ(got->bugs[0].title, "Crash");
  EXPECT_EQ(got->bugs[0].description, "Boom on click");
  EXPECT_EQ(got->bugs[0].severity, "high");
  EXPECT_EQ(got->bugs[0].step_id, "st_b");
  EXPECT_EQ(got->bugs[1].step_id, "");
  ASSERT_EQ(got->steps.size(), 2u);
  EXPECT_EQ(got->steps[0].step_id, "st_a");
  EXPECT_EQ(got->steps[0].comment, "ok");
  EXPECT_EQ(got->steps[0].finished_at, std::optional<TimeMs>(5100));
  EXPECT_EQ(got->steps[1].result, RunResult::kError);
  EXPECT_EQ(got->steps[1].bug_label, BugLabel::kDefinitelyBug);
  EXPECT_EQ(got->steps[1].started_at, std::optional<TimeMs>(5100));
  EXPECT_FALSE(got->steps[1].finished_at.has_value());
}

TEST_P(StoreConformanceTest, UnfinishedRunAndUpdate) {
  Project p = MakeProject("R");
  nexus::Test t = MakeTest(p.id);
  nexus::Run run = RunFor(t, RunResult::kSuccess);
  run.finished_at.reset();
  run.summary = "";
  run.bugs = {Bug{"b", "d", "s", ""}};
  auto created = store().CreateRun(run);
  ASSERT_OK(created);
  EXPECT_FALSE(created->finished());

  nexus::Run change = *created;
  change.result = RunResult::kStopped;
  change.bug_label = BugLabel::kUndecided;
  change.finished_at = 7000;
  change.summary = "stopped by user";
  change.updated_at = 7001;
  change.build = "ignored";  // not a mutable field
  auto updated = store().UpdateRun(change);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->result, RunResult::kStopped);
  EXPECT_EQ(updated->bug_label, BugLabel::kUndecided);
  EXPECT_EQ(updated->finished_at, std::optional<TimeMs>(7000));
  EXPECT_EQ(updated->summary, "stopped by user");
  EXPECT_EQ(updated->updated_at, 7001);
  EXPECT_EQ(updated->build, "1.2.3");
  EXPECT_EQ(updated->created_at, 5000);
  EXPECT_EQ(updated->bugs.size(), 1u);
  EXPECT_EQ(store().GetRun(p.id, created->id)->summary, "stopped by user");
}

TEST_P(StoreConformanceTest, RunsAreScopedToTheirProject) {
  Project a = MakeProject("A");
  Project b = MakeProject("B");
  nexus::Test ta = MakeTest(a.id);
  nexus::Run run = MakeRun(ta);
  EXPECT_CODE(store().GetRun(b.id, run.id), StatusCode::kNotFound);
  EXPECT_TRUE(store().ListRuns(b.id, {}, {})->empty());
  nexus::Run moved = run;
  moved.project_id = b.id;
  moved.summary = "hijacked";
  EXPECT_CODE(store().UpdateRun(moved), StatusCode::kNotFound);
  EXPECT_EQ(store().GetRun(a.id, run.id)->summary, "went fine");

  // A run of project B cannot point at a test of project A.
  nexus::Run cross = RunFor(ta);
  cross.project_id = b.id;
  auto r = store().CreateRun(cross);
  EXPECT_CODE(r, StatusCode::kNotFound);
  EXPECT_EQ(r.status().field(), "test_id");
  EXPECT_CODE(store().GetRun(a.id, 9999), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ListRunsFiltersAndPaginates) {
  Project p = MakeProject("L");
  Project other = MakeProject("Other");
  nexus::Test t1 = MakeTest(p.id, "t1");
  nexus::Test t2 = MakeTest(p.id, "t2");
  nexus::Test to = MakeTest(other.id, "to");
  TestPlan plan;
  plan.project_id = p.id;
  plan.name = "plan";
  plan.test_ids = {t1.id, t2.id};
  auto pl = store().CreatePlan(plan);
  ASSERT_OK(pl);
  Execution ex;
  ex.project_id = p.id;
  ex.plan_id = pl->id;
  ex.test_ids = pl->test_ids;
  auto e = store().CreateExecution(ex);
  ASSERT_OK(e);

  std::vector<int64_t> all, of_t1, errors, in_exec, t1_errors;
  for (int i = 0; i < 12; ++i) {
    const nexus::Test& t = i % 2 == 0 ? t1 : t2;
    RunResult res = i % 3 == 0 ? RunResult::kError : RunResult::kSuccess;
    std::optional<int64_t> exec = i % 4 == 0 ? std::optional(e->id) : std::nullopt;
    nexus::Run r = MakeRun(t, res, exec);
    MakeRun(to);  // noise in another project
    all.push_back(r.id);
    if (t.id == t1.id) of_t1.push_back(r.id);
    if (res == RunResult::kError) errors.push_back(r.id);
    if (exec) in_exec.push_back(r.id);
    if (t.id == t1.id && res == RunResult::kError) t1_errors.push_back(r.id);
  }

  auto collect = [&](const RunFilter& f, int limit) {
    std::vector<int64_t> ids;
    PageRequest page;
    page.limit = limit;
    for (int guard = 0; guard < 100; ++guard) {
      auto r = store().ListRuns(p.id, f, page);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || r->empty()) break;
      EXPECT_LE(static_cast<int>(r->size()), limit);
      for (const nexus::Run& run : *r) {
        EXPECT_EQ(run.project_id, p.id);
        ids.push_back(run.id);
      }
      page.after_id = r->back().id;
    }
    return ids;
  };
  EXPECT_EQ(collect({}, 5), all);
  EXPECT_EQ(collect({}, 100), all);
  EXPECT_EQ(collect(RunFilter{t1.id, std::nullopt, std::nullopt, std::nullopt}, 4), of_t1);
  EXPECT_EQ(collect(RunFilter{std::nullopt, std::nullopt, RunResult::kError, std::nullopt}, 2),
            errors);
  EXPECT_EQ(collect(RunFilter{std::nullopt, e->id, std::nullopt, std::nullopt}, 1), in_exec);
  EXPECT_EQ(collect(RunFilter{t1.id, std::nullopt, RunResult::kError, std::nullopt}, 3), t1_errors);
  EXPECT_TRUE(collect(RunFilter{to.id, std::nullopt, std::nullopt, std::nullopt}, 3).empty());
  EXPECT_TRUE(
      collect(RunFilter{std::nullopt, std::nullopt, RunResult::kStopped, std::nullopt}, 3).empty());
}

TEST_P(StoreConformanceTest, RunAttributesRoundTripFilterAndFollowUpdates) {
  Project p = MakeProject("Attr");
  Project other = MakeProject("AttrOther");
  nexus::Test t = MakeTest(p.id);
  nexus::Test to = MakeTest(other.id);
  nexus::Run ps5 = RunFor(t);
  ps5.attributes = {{"platform", "PS5"}, {"device", "Dev Kit \"7\" é"}};
  auto a = store().CreateRun(ps5);
  ASSERT_OK(a);
  nexus::Run pc = RunFor(t);
  pc.attributes = {{"platform", "PC"}};
  auto b = store().CreateRun(pc);
  ASSERT_OK(b);
  nexus::Run plain = RunFor(t);
  ASSERT_OK(store().CreateRun(plain));
  nexus::Run noise = RunFor(to);
  noise.attributes = {{"platform", "PS5"}};
  ASSERT_OK(store().CreateRun(noise));

  EXPECT_EQ(store().GetRun(p.id, a->id)->attributes, ps5.attributes);
  EXPECT_TRUE(store().GetRun(p.id, b->id)->attributes.size() == 1);

  auto ids = [&](const std::string& key, const std::string& value) {
    RunFilter f;
    f.attribute = std::make_pair(key, value);
    std::vector<int64_t> out;
    auto r = store().ListRuns(p.id, f, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok())
      for (const nexus::Run& run : *r) out.push_back(run.id);
    return out;
  };
  EXPECT_EQ(ids("platform", "PS5"), std::vector<int64_t>{a->id});  // not the other project's
  EXPECT_EQ(ids("platform", "PC"), std::vector<int64_t>{b->id});
  EXPECT_TRUE(ids("platform", "ps5").empty());  // values match exactly
  EXPECT_TRUE(ids("device", "PS5").empty());

  // UpdateRun replaces the attributes, and the filter follows.
  nexus::Run change = *a;
  change.attributes = {{"platform", "PC"}};
  change.updated_at = 9000;
  auto updated = store().UpdateRun(change);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->attributes, change.attributes);
  EXPECT_TRUE(ids("platform", "PS5").empty());
  EXPECT_EQ(ids("platform", "PC"), (std::vector<int64_t>{a->id, b->id}));
  EXPECT_TRUE(ids("device", "Dev Kit \"7\" é").empty());
}

// ---- Plans and executions.

TEST_P(StoreConformanceTest, PlansLifecycleAndScoping) {
  Project p = MakeProject("P");
  Project other = MakeProject("O");
  nexus::Test t1 = MakeTest(p.id, "t1");
  nexus::Test t2 = MakeTest(p.id, "t2");
  nexus::Test foreign = MakeTest(other.id, "foreign");

  TestPlan plan;
  plan.project_id = p.id;
  plan.name = "Nightly";
  plan.test_ids = {t2.id, t1.id};
  plan.created_at = 11;
  auto created = store().CreatePlan(plan);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  auto got = store().GetPlan(p.id, created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "Nightly");
  EXPECT_EQ(got->test_ids, (std::vector<int64_t>{t2.id, t1.id}));
  EXPECT_EQ(got->created_at, 11);
  EXPECT_CODE(store().GetPlan(other.id, created->id), StatusCode::kNotFound);

  plan.test_ids = {t1.id, foreign.id};
  auto cross = store().CreatePlan(plan);
  EXPECT_CODE(cross, StatusCode::kNotFound);
  EXPECT_EQ(cross.status().field(), "test_ids[1]");
  plan.test_ids = {t1.id, t1.id};
  EXPECT_CODE(store().CreatePlan(plan), StatusCode::kInvalidArgument);

  TestPlan empty;
  empty.project_id = p.id;
  empty.name = "Empty";
  ASSERT_OK(store().CreatePlan(empty));
  for (int i = 0; i < 3; ++i) {
    TestPlan more = plan;
    more.test_ids = {t1.id};
    more.name = "more" + std::to_string(i);
    ASSERT_OK(store().CreatePlan(more));
  }
  PageRequest page;
  page.limit = 2;
  std::vector<TestPlan> seen;
  for (;;) {
    auto r = store().ListPlans(p.id, page);
    ASSERT_OK(r);
    if (r->empty()) break;
    for (auto& x : *r) seen.push_back(x);
    page.after_id = r->back().id;
  }
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].test_ids, (std::vector<int64_t>{t2.id, t1.id}));
  EXPECT_TRUE(seen[1].test_ids.empty());
  EXPECT_EQ(seen[4].test_ids, std::vector<int64_t>{t1.id});
  EXPECT_TRUE(store().ListPlans(other.id, {})->empty());
}

TEST_P(StoreConformanceTest, ExecutionsLifecycle) {
  Project p = MakeProject("E");
  Project other = MakeProject("O");
  nexus::Test t1 = MakeTest(p.id, "t1");
  nexus::Test t2 = MakeTest(p.id, "t2");
  TestPlan plan;
  plan.project_id = p.id;
  plan.name = "plan";
  plan.test_ids = {t1.id, t2.id};
  auto pl = store().CreatePlan(plan);
  ASSERT_OK(pl);

  Execution ex;
  ex.project_id = p.id;
  ex.plan_id = pl->id;
  ex.test_ids = pl->test_ids;
  ex.created_at = 50;
  auto created = store().CreateExecution(ex);
  ASSERT_OK(created);
  EXPECT_EQ(created->state, ExecutionState::kQueued);
  EXPECT_EQ(created->test_ids, (std::vector<int64_t>{t1.id, t2.id}));
  EXPECT_EQ(created->created_at, 50);
  EXPECT_FALSE(created->completed_at.has_value());

  EXPECT_CODE(store().GetExecution(other.id, created->id), StatusCode::kNotFound);
  EXPECT_CODE(store().SetExecutionState(other.id, created->id, ExecutionState::kCompleted, 1),
              StatusCode::kNotFound);
  Execution cross = ex;
  cross.project_id = other.id;
  EXPECT_CODE(store().CreateExecution(cross), StatusCode::kNotFound);

  auto prev =
      store().SetExecutionState(p.id, created->id, ExecutionState::kInProgress, std::nullopt);
  ASSERT_OK(prev);
  EXPECT_EQ(*prev, ExecutionState::kQueued);
  prev = store().SetExecutionState(p.id, created->id, ExecutionState::kCompleted, 99);
  ASSERT_OK(prev);
  EXPECT_EQ(*prev, ExecutionState::kInProgress);
  prev = store().SetExecutionState(p.id, created->id, ExecutionState::kCompleted, 100);
  ASSERT_OK(prev);
  EXPECT_EQ(*prev, ExecutionState::kCompleted);  // the caller sees no new transition
  auto got = store().GetExecution(p.id, created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->state, ExecutionState::kCompleted);
  EXPECT_EQ(got->completed_at, std::optional<TimeMs>(100));
  EXPECT_EQ(got->plan_id, pl->id);
  EXPECT_CODE(store().SetExecutionState(p.id, 9999, ExecutionState::kQueued, std::nullopt),
              StatusCode::kNotFound);

  // Runs may point at the execution; not at an execution of another project.
  nexus::Run run = RunFor(t1);
  run.execution_id = created->id;
  auto r = store().CreateRun(run);
  ASSERT_OK(r);
  EXPECT_EQ(r->execution_id, std::optional<int64_t>(created->id));
  nexus::Test to = MakeTest(other.id);
  nexus::Run bad = RunFor(to);
  bad.execution_id = created->id;
  auto br = store().CreateRun(bad);
  EXPECT_CODE(br, StatusCode::kNotFound);
  EXPECT_EQ(br.status().field(), "execution_id");

  for (int i = 0; i < 4; ++i) ASSERT_OK(store().CreateExecution(ex));
  PageRequest page;
  page.limit = 2;
  std::vector<int64_t> ids;
  for (;;) {
    auto list = store().ListExecutions(p.id, page);
    ASSERT_OK(list);
    if (list->empty()) break;
    for (const auto& e : *list) {
      EXPECT_EQ(e.test_ids.size(), 2u);
      ids.push_back(e.id);
    }
    page.after_id = list->back().id;
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_TRUE(store().ListExecutions(other.id, {})->empty());
}

// ---- Concurrency.

TEST_P(StoreConformanceTest, ConcurrentWritersAndReaders) {
  Project p = MakeProject("C");
  nexus::Test seed = MakeTest(p.id);
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kPerWriter = 40;
  std::atomic<int> errors{0};
  std::atomic<bool> writers_done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto t = store().CreateTest(TestWithSteps(
            p.id, "w" + std::to_string(w) + "_" + std::to_string(i), {"st_1", "st_2"}));
        if (!t.ok()) {
          ++errors;
          continue;
        }
        if (!store().CreateRun(RunFor(*t)).ok()) ++errors;
        User u;
        u.email = "u" + std::to_string(w) + "_" + std::to_string(i) + "@x";
        if (!store().CreateUser(u).ok()) ++errors;
      }
    });
  }
  std::atomic<int> reads{0};
  for (int r = 0; r < kReaders; ++r) {
    // At least one read each, however fast the writers are (a :memory: store on a busy
    // machine can finish them before a reader is scheduled).
    threads.emplace_back([&] {
      do {
        auto tests = store().ListTests(p.id, PageRequest{0, 1000});
        if (!tests.ok()) {
          ++errors;
          continue;
        }
        for (const nexus::Test& t : *tests)  // never a test without its steps (one snapshot)
          if (t.steps.size() < 2) ++errors;
        if (!store().GetTest(p.id, seed.id).ok()) ++errors;
        if (!store().ListRuns(p.id, {}, {}).ok()) ++errors;
        ++reads;
      } while (!writers_done.load());
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  writers_done = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store().ListTests(p.id, PageRequest{0, 1000})->size(), 1u + kWriters * kPerWriter);
  EXPECT_EQ(store().ListRuns(p.id, {}, PageRequest{0, 1000})->size(),
            static_cast<size_t>(kWriters * kPerWriter));
  EXPECT_EQ(*store().CountUsers(), kWriters * kPerWriter);
}

TEST_P(StoreConformanceTest, ConcurrentUpdatesOfOneTestAllButOneConflict) {
  Project p = MakeProject("V");
  nexus::Test t = MakeTest(p.id);
  constexpr int kThreads = 6;
  std::atomic<int> won{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      nexus::Test edit = t;
      edit.name = "writer " + std::to_string(i);
      auto r = store().UpdateTest(edit);
      if (r.ok()) {
        ++won;
      } else if (r.status().code() == StatusCode::kConflict) {
        ++conflicts;
      } else {
        ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store().GetTest(p.id, t.id)->version, 2);
}

TEST_P(StoreConformanceTest, ExactlyOneCallerSeesTheTransitionToCompleted) {
  Project p = MakeProject("X");
  nexus::Test t = MakeTest(p.id);
  TestPlan plan;
  plan.project_id = p.id;
  plan.name = "p";
  plan.test_ids = {t.id};
  auto pl = store().CreatePlan(plan);
  ASSERT_OK(pl);
  Execution ex;
  ex.project_id = p.id;
  ex.plan_id = pl->id;
  ex.test_ids = {t.id};
  auto e = store().CreateExecution(ex);
  ASSERT_OK(e);
  std::atomic<int> transitions{0}, errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto prev = store().SetExecutionState(p.id, e->id, ExecutionState::kCompleted, 1);
      if (!prev.ok()) {
        ++errors;
      } else if (*prev != ExecutionState::kCompleted) {
        ++transitions;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(transitions.load(), 1);
}

// ---- Schema.

// The catalog on every backend (issue 15: two statements failed on PostgreSQL only — an
// ambiguous column in the suite upsert, an untyped optional suite filter).
TEST_P(StoreConformanceTest, CatalogSuiteUpsertAndSectionFilter) {
  Project p = MakeProject("catalog");
  CatalogSuiteUpdate u;
  u.suite_id = 10;
  u.name = "Suite";
  u.full = true;
  u.sections = {{100, 10, std::nullopt, "Root", 0, 1}};
  u.cases = {{1000, 10, 100, "Case", "", 5, 5, 0, false, std::nullopt}};
  ASSERT_OK(store().ApplyCatalogSuite(p.id, u, 1000));
  CatalogSuiteUpdate other = u;
  other.suite_id = 20;
  other.sections = {{200, 20, std::nullopt, "Other", 0, 1}};
  other.cases = {{2000, 20, 200, "Case 2", "", 5, 5, 0, false, std::nullopt}};
  ASSERT_OK(store().ApplyCatalogSuite(p.id, other, 1000));
  // The second apply of suite 10 takes the upsert branch; an incremental one keeps the time
  // of the last full sync.
  u.full = false;
  u.name = "Suite renamed";
  ASSERT_OK(store().ApplyCatalogSuite(p.id, u, 2000));
  auto suites = store().ListCatalogSuites(p.id);
  ASSERT_OK(suites.status());
  ASSERT_EQ(suites->size(), 2u);
  EXPECT_EQ((*suites)[0].name, "Suite renamed");
  EXPECT_EQ((*suites)[0].last_full_sync_at, std::optional<TimeMs>(1000));
  EXPECT_EQ((*suites)[0].last_incremental_at, std::optional<TimeMs>(2000));
  auto all = store().ListCatalogSections(p.id, std::nullopt);
  ASSERT_OK(all.status());
  EXPECT_EQ(all->size(), 2u);
  auto one = store().ListCatalogSections(p.id, 20);
  ASSERT_OK(one.status());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, 200);
}

TEST_P(StoreConformanceTest, MigrateIsIdempotent) {
  auto before = store().SchemaVersion();
  ASSERT_OK(before);
  EXPECT_GE(*before, 1);
  Project p = MakeProject("keep me");
  ASSERT_OK(store().Migrate());
  ASSERT_OK(store().Migrate());
  EXPECT_EQ(*store().SchemaVersion(), *before);
  EXPECT_EQ(store().GetProject(p.id)->name, "keep me");
}

// ---- Exports recorded a slice at a time (issue 16).

// A new export of run 1 of project `project_id`.
ExportRecord RunExport(int64_t project_id) {
  ExportRecord rec;
  rec.project_id = project_id;
  rec.source_kind = ExportSourceKind::kMultipleRuns;
  rec.source_ids = {1};
  rec.source_key = "runs:1";
  rec.nonce = "n";
  return rec;
}

TEST_P(StoreConformanceTest, ExportRowsWrittenInSlicesReadBackInOrderAndAFailedFillRecordsNothing) {
  const Project p = MakeProject("Slices");
  ExportRecord rec;
  rec.project_id = p.id;
  rec.source_kind = ExportSourceKind::kMultipleRuns;
  rec.source_ids = {1, 2};
  rec.source_key = "runs:1,2";
  rec.nonce = "n";
  auto result = [](int64_t c) {
    PlannedResult r;
    r.case_id = c;
    r.status_id = 1;
    r.comment = "C" + std::to_string(c);
    r.run_ids = {1, 2};
    return r;
  };
  // A failing fill: no export, and the source is free for the next one.
  auto failed = store().CreateExportWithRows(rec, [&](const ExportStore::PlanRowWriter& write) {
    const std::vector<PlannedResult> rows = {result(1), result(2)};
    const Status wrote = write(0, 0, rows);
    EXPECT_TRUE(wrote.ok()) << wrote.ToString();
    return Internal("planning failed half way");
  });
  ASSERT_FALSE(failed.ok());
  auto none = store().ListExports(p.id, 0, 10);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  // Two entries written in interleaved slices, each at its next positions.
  auto created = store().CreateExportWithRows(rec, [&](const ExportStore::PlanRowWriter& write) {
    NEXUS_RETURN_IF_ERROR(write(1, 0, std::vector<PlannedResult>{result(10)}));
    NEXUS_RETURN_IF_ERROR(write(0, 0, std::vector<PlannedResult>{result(1), result(2)}));
    NEXUS_RETURN_IF_ERROR(write(1, 1, std::vector<PlannedResult>{result(11), result(12)}));
    return write(0, 2, std::vector<PlannedResult>{result(3)});
  });
  ASSERT_OK(created);
  auto e0 = store().ReadPlannedResults(created->id, 0, 0, 100);
  auto e1 = store().ReadPlannedResults(created->id, 1, 1, 100);
  ASSERT_OK(e0);
  ASSERT_OK(e1);
  std::vector<int64_t> c0, c1;
  for (const auto& r : *e0) c0.push_back(r.case_id);
  for (const auto& r : *e1) c1.push_back(r.case_id);
  EXPECT_EQ(c0, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(c1, (std::vector<int64_t>{11, 12}));
  EXPECT_EQ((*e0)[2].comment, "C3");
  EXPECT_EQ((*e0)[2].run_ids, (std::vector<int64_t>{1, 2}));
  // The cases alone (what an execution reads up front), in the same order as the results.
  std::vector<std::pair<int, int64_t>> cases, from_results;
  ASSERT_OK(store().ForEachPlannedCase(created->id, [&](int entry, int64_t case_id) {
    cases.emplace_back(entry, case_id);
    return Status::Ok();
  }));
  ASSERT_OK(store().ForEachPlannedResult(created->id, [&](int entry, PlannedResult& r) {
    from_results.emplace_back(entry, r.case_id);
    return Status::Ok();
  }));
  EXPECT_EQ(cases, (std::vector<std::pair<int, int64_t>>{
                       {0, 1}, {0, 2}, {0, 3}, {1, 10}, {1, 11}, {1, 12}}));
  EXPECT_EQ(cases, from_results);
}

// Large plans and batches are written many rows per statement (on PostgreSQL one statement of
// arrays per plan and per batch, sqlite_helpers.h): every text comes back exactly as written
// (quotes, backslashes, braces, commas, the word NULL, empty, newlines, non-ASCII), every row in
// its place, past the 500 rows of one multi-row statement; a batch's landed cases likewise, the
// last status of a case listed twice winning.
TEST_P(StoreConformanceTest, LargePlansAndBatchesKeepEveryRowAndCharacter) {
  const Project p = MakeProject("Bulk");
  const ExportRecord rec = RunExport(p.id);
  const std::vector<std::string> texts = {"",
                                          "NULL",
                                          "plain",
                                          "a \"quoted\" word",
                                          "back\\slash\\",
                                          "{braces},commas",
                                          "line\nbreak\ttab",
                                          "caf\xc3\xa9 \xe2\x9c\x93",
                                          "'single'",
                                          "{\"json\": [1, \"x\"]}"};
  constexpr size_t kRows = 1203;
  auto result = [&](size_t i) {
    PlannedResult r;
    r.case_id = 100000 + static_cast<int64_t>(i) * 3;
    r.status_id = 1 + static_cast<int>(i % 5);
    r.comment = texts[i % texts.size()] + std::to_string(i);
    r.elapsed = i % 2 == 0 ? "" : texts[(i + 1) % texts.size()];
    r.version = texts[(i + 2) % texts.size()];
    r.run_ids = {1, static_cast<int64_t>(i) + 2};
    r.extra_json = i % 3 == 0 ? "" : texts[(i + 3) % texts.size()];
    return r;
  };
  std::vector<PlannedResult> rows;
  for (size_t i = 0; i < kRows; ++i) rows.push_back(result(i));
  auto created = store().CreateExportWithRows(rec, [&](const ExportStore::PlanRowWriter& write) {
    NEXUS_RETURN_IF_ERROR(write(0, 0, std::span<const PlannedResult>(rows).first(700)));
    return write(0, 700, std::span<const PlannedResult>(rows).subspan(700));
  });
  ASSERT_OK(created);
  auto back = store().ReadPlannedResults(created->id, 0, 0, 2 * kRows);
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), kRows);
  for (size_t i = 0; i < kRows; ++i) {
    const PlannedResult& got = (*back)[i];
    const PlannedResult& want = rows[i];
    ASSERT_EQ(got.case_id, want.case_id) << i;
    EXPECT_EQ(got.status_id, want.status_id) << i;
    EXPECT_EQ(got.comment, want.comment) << i;
    EXPECT_EQ(got.elapsed, want.elapsed) << i;
    EXPECT_EQ(got.version, want.version) << i;
    EXPECT_EQ(got.run_ids, want.run_ids) << i;
    EXPECT_EQ(got.extra_json, want.extra_json) << i;
  }
  ExportStep done;
  done.export_id = created->id;
  done.kind = ExportStepKind::kBatchDone;
  done.entry_index = 0;
  done.created_at = 77;
  for (size_t i = 0; i < kRows; ++i) done.landed.emplace_back(rows[i].case_id, rows[i].status_id);
  done.landed.emplace_back(rows[5].case_id, 5);  // listed again: the last status wins
  ASSERT_OK(store().AppendExportStep(done));
  auto cases = store().ExportCases(created->id);
  ASSERT_OK(cases);
  ASSERT_EQ(cases->size(), kRows);
  for (size_t i = 0; i < kRows; ++i) {
    EXPECT_EQ((*cases)[i].case_id, rows[i].case_id) << i;
    EXPECT_EQ((*cases)[i].status_id, i == 5 ? 5 : rows[i].status_id) << i;
    EXPECT_EQ((*cases)[i].exported_at, 77) << i;
    EXPECT_EQ((*cases)[i].export_id, created->id) << i;
  }
}

// The steps of an export's wave are appended in one transaction: in order, with their landed
// cases; a superseded step among them (an attempt the export has moved past) appends nothing of
// the group, neither steps nor cases.
TEST_P(StoreConformanceTest, StepsAppendedTogetherLandAllOrNothing) {
  const Project p = MakeProject("Wave");
  const ExportRecord rec = RunExport(p.id);
  auto created = store().CreateExport(rec, {});
  ASSERT_OK(created);
  ExportRecord running = *created;
  running.state = ExportState::kRunning;
  running.attempts = 2;
  ASSERT_OK(store().UpdateExport(running));
  auto done = [&](std::vector<int64_t> cases, int attempt) {
    ExportStep d;
    d.export_id = created->id;
    d.kind = ExportStepKind::kBatchDone;
    d.entry_index = 0;
    d.case_ids = cases;
    d.attempt = attempt;
    d.created_at = 1000 + attempt;
    for (int64_t c : cases) d.landed.emplace_back(c, 1);
    return d;
  };
  auto refused = store().AppendExportSteps({done({1, 2}, 2), done({3}, 1), done({4}, 2)});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "superseded");
  EXPECT_TRUE(store().ListExportSteps(created->id)->empty());
  EXPECT_TRUE(store().ExportCases(created->id)->empty());
  auto ids = store().AppendExportSteps({done({5, 6}, 2), done({7}, 0), done({8, 9}, 2)});
  ASSERT_OK(ids);
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_LT((*ids)[0], (*ids)[1]);
  EXPECT_LT((*ids)[1], (*ids)[2]);
  auto steps = store().ListExportSteps(created->id);
  ASSERT_OK(steps);
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ((*steps)[0].case_ids, (std::vector<int64_t>{5, 6}));
  EXPECT_EQ((*steps)[1].case_ids, (std::vector<int64_t>{7}));
  EXPECT_EQ((*steps)[2].case_ids, (std::vector<int64_t>{8, 9}));
  auto cases = store().ExportCases(created->id);
  ASSERT_OK(cases);
  std::vector<int64_t> landed;
  for (const auto& c : *cases) landed.push_back(c.case_id);
  EXPECT_EQ(landed, (std::vector<int64_t>{5, 6, 7, 8, 9}));
  auto none = store().AppendExportSteps({});
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

// The per-case journal rows name their export: on PostgreSQL checked once per statement by
// migration 0015's triggers, on SQLite by the foreign key. A row for a missing export is
// refused and writes nothing; deleting an export takes its rows with it.
TEST_P(StoreConformanceTest, ExportJournalRowsNeedTheirExportAndGoWithIt) {
  auto* sql_store = dynamic_cast<SqliteStore*>(&store());
  ASSERT_NE(sql_store, nullptr);
  const Project p = MakeProject("Journal");
  const ExportRecord rec = RunExport(p.id);
  auto created = store().CreateExportWithRows(rec, [&](const ExportStore::PlanRowWriter& write) {
    PlannedResult r;
    r.case_id = 7;
    r.status_id = 1;
    r.run_ids = {1};
    return write(0, 0, std::vector<PlannedResult>{r});
  });
  ASSERT_OK(created);
  const int64_t id = created->id;
  auto count = [&](const std::string& table) {
    int64_t n = -1;
    Status s = sql_store->RawRead("count", [&](sql::Connection& c) -> Status {
      NEXUS_ASSIGN_OR_RETURN(sql::Statement st,
                             c.Prepare("count", "SELECT COUNT(*) FROM " + table));
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (row) n = st.Int64(0);
      return st.Run();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return n;
  };
  auto insert = [&](const std::string& sql) {
    return sql_store->RawWrite("insert", [&](sql::Connection& c) -> Status {
      NEXUS_ASSIGN_OR_RETURN(sql::Statement st, c.Prepare("insert", sql));
      return st.Run();
    });
  };
  ASSERT_OK(
      insert("INSERT INTO export_cases (export_id, project_id, case_id, status_id, "
             "exported_at) VALUES (" +
             std::to_string(id) + ", 1, 7, 1, 5)"));
  const std::string missing = std::to_string(id + 1000);
  // A multi-row statement with one good and one bad row: nothing of it stays.
  Status bad_plan = insert(
      "INSERT INTO export_plan_results (export_id, entry_index, seq, case_id, status_id, comment, "
      "elapsed, version, run_ids) VALUES (" +
      std::to_string(id) +
      ", 0, 1, 8, 1, '', '', '', "
      "'1'), (" +
      missing + ", 0, 0, 9, 1, '', '', '', '1')");
  EXPECT_FALSE(bad_plan.ok());
  Status bad_case = insert(
      "INSERT INTO export_cases (export_id, project_id, case_id, status_id, "
      "exported_at) VALUES (" +
      missing + ", 1, 9, 1, 5)");
  EXPECT_FALSE(bad_case.ok());
  EXPECT_EQ(count("export_plan_results"), 1);
  EXPECT_EQ(count("export_cases"), 1);
  ASSERT_OK(insert("DELETE FROM exports WHERE id = " + std::to_string(id)));
  EXPECT_EQ(count("export_plan_results"), 0);
  EXPECT_EQ(count("export_cases"), 0);
}

// ---- Backends.

std::vector<Backend> Backends() {
  return {
      Backend{"SqliteFile",
              [](const testing::TempDir& dir) { return OpenSqliteStore(dir.File("nexus.db")); }},
      Backend{"SqliteMemory", [](const testing::TempDir&) { return OpenSqliteStore(":memory:"); }},
      Backend{
          "SqliteUrl",
          [](const testing::TempDir& dir) { return OpenStore("sqlite://" + dir.File("url.db")); }},
      // A throwaway cluster started for this test process (pg_test_cluster.h); each test gets
      // an empty schema.
      Backend{"Postgres",
              [](const testing::TempDir&) -> Result<std::unique_ptr<Store>> {
                testing::PgTestCluster& pg = testing::PgTestCluster::Get();
                if (!pg.ok()) return Internal("test PostgreSQL: " + pg.error());
                std::string conninfo = pg.Fresh();
                if (conninfo.empty()) return Internal("test PostgreSQL: " + pg.error());
                return OpenPostgresStore(conninfo);
              }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace nexus
