// Store conformance, ImportStore (import_store.h; R-IMPORT): a report is written whole in one
// call, tests are found again by key, links are only added, a duplicate report is refused,
// and a failing import leaves nothing behind. Runs once per backend (store_conformance.h).
#include <set>

#include "store_conformance.h"

namespace nexus {
namespace {

NewJUnitImport Report(int64_t project, const std::string& sha, const std::string& name,
                      const std::vector<std::pair<std::string, std::vector<int64_t>>>& tests) {
  NewJUnitImport imp;
  imp.record.project_id = project;
  imp.record.sha256 = sha;
  imp.record.execution_name = name;
  imp.record.created_at = 5000;
  imp.record.passed = static_cast<int64_t>(tests.size());
  imp.tags = {"junit"};
  imp.build = "1.0";
  imp.attributes = {{"platform", "PS5"}};
  for (size_t i = 0; i < tests.size(); ++i) {
    imp.tests.push_back({tests[i].first, "name of " + tests[i].first, tests[i].second});
    ImportedRun r;
    r.test = i;
    r.started_at = 4000;
    r.finished_at = 4500;
    r.summary = "JUnit: passed";
    imp.runs.push_back(r);
  }
  return imp;
}

std::set<int64_t> Links(Store& s, int64_t project, int64_t test) {
  auto l = s.ListTestRailLinks(project, {test});
  EXPECT_TRUE(l.ok());
  std::set<int64_t> out;
  if (l.ok())
    for (const auto& x : *l) out.insert(x.case_id);
  return out;
}

TEST_P(StoreConformanceTest, JUnitImportWritesTheWholeReport) {
  Project p = MakeProject("Imports");
  auto first = store().CreateJUnitImport(Report(p.id, "aa", "nightly", {{"a", {1, 2}}, {"b", {}}}));
  ASSERT_OK(first);
  EXPECT_GT(first->id, 0);
  EXPECT_EQ(first->tests_created, 2);
  EXPECT_EQ(first->links_added, 2);
  EXPECT_EQ(first->testcases, 2);
  auto ex = store().GetExecution(p.id, first->execution_id);
  ASSERT_OK(ex);
  EXPECT_EQ(ex->state, ExecutionState::kCompleted);
  EXPECT_EQ(ex->completed_at, 5000);
  ASSERT_EQ(ex->test_ids.size(), 2u);
  EXPECT_EQ(ex->plan_id, first->plan_id);
  auto plan = store().GetPlan(p.id, first->plan_id);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->name, "nightly");
  RunFilter f;
  f.execution_id = first->execution_id;
  auto runs = store().ListRuns(p.id, f, PageRequest{0, 10});
  ASSERT_OK(runs);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].test_id, ex->test_ids[0]);
  EXPECT_EQ((*runs)[0].finished_at, 4500);
  EXPECT_EQ((*runs)[0].build, "1.0");
  EXPECT_EQ((*runs)[0].attributes, (RunAttributes{{"platform", "PS5"}}));
  RunFilter by_attr;
  by_attr.attribute = {"platform", "PS5"};
  auto filtered = store().ListRuns(p.id, by_attr, PageRequest{0, 10});
  ASSERT_OK(filtered);
  EXPECT_EQ(filtered->size(), 2u);
  EXPECT_EQ(Links(store(), p.id, ex->test_ids[0]), (std::set<int64_t>{1, 2}));
  auto found = store().FindJUnitImport(p.id, "aa", "nightly");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->execution_id, first->execution_id);
  auto got = store().GetJUnitImport(p.id, first->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->sha256, "aa");
  EXPECT_CODE(store().GetJUnitImport(p.id + 1, first->id), StatusCode::kNotFound);

  // The same report and name again: refused, nothing new.
  auto dup = store().CreateJUnitImport(Report(p.id, "aa", "nightly", {{"a", {}}}));
  EXPECT_CODE(dup, StatusCode::kConflict);
  EXPECT_EQ(dup.status().reason(), "duplicate");
  auto execs = store().ListExecutions(p.id, PageRequest{0, 10});
  ASSERT_OK(execs);
  EXPECT_EQ(execs->size(), 1u);

  // Another report under the name: tests found by key, links added only, the plan shared.
  auto second = store().CreateJUnitImport(Report(p.id, "bb", "nightly", {{"a", {3}}, {"c", {}}}));
  ASSERT_OK(second);
  EXPECT_EQ(second->tests_created, 1);
  EXPECT_EQ(second->links_added, 1);
  EXPECT_EQ(second->plan_id, first->plan_id);
  auto ex2 = store().GetExecution(p.id, second->execution_id);
  ASSERT_OK(ex2);
  EXPECT_EQ(ex2->test_ids[0], ex->test_ids[0]);
  EXPECT_EQ(Links(store(), p.id, ex->test_ids[0]), (std::set<int64_t>{1, 2, 3}));
  plan = store().GetPlan(p.id, first->plan_id);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->test_ids.size(), 3u);  // a, b, c

  // A deleted test is not reused.
  ASSERT_OK(store().DeleteTest(p.id, ex->test_ids[0], 6000));
  auto third = store().CreateJUnitImport(Report(p.id, "cc", "other", {{"a", {}}}));
  ASSERT_OK(third);
  EXPECT_EQ(third->tests_created, 1);
  auto ex3 = store().GetExecution(p.id, third->execution_id);
  ASSERT_OK(ex3);
  EXPECT_NE(ex3->test_ids[0], ex->test_ids[0]);
}

// All runs of the filter, paged (a page holds at most 1,000).
std::vector<Run> AllRuns(Store& s, int64_t project, const RunFilter& f) {
  std::vector<Run> out;
  PageRequest page{0, 1000};
  while (true) {
    auto r = s.ListRuns(project, f, page);
    EXPECT_TRUE(r.ok());
    if (!r.ok() || r->empty()) break;
    out.insert(out.end(), r->begin(), r->end());
    page.after_id = r->back().id;
  }
  return out;
}

std::string Key(int i) {
  std::string s = std::to_string(i);
  return "k" + std::string(5 - s.size(), '0') + s;
}

// A report larger than one multi-row statement (500 rows, sqlite_imports.cc): every chunk and
// the shorter last one land, in report order, with their links (baseline from the catalog)
// and attributes; a second report half of known keys finds them across chunks.
TEST_P(StoreConformanceTest, JUnitImportOfManyTestsSpansChunks) {
  Project p = MakeProject("Imports");
  CatalogSuiteUpdate u;
  u.suite_id = 10;
  u.name = "Suite";
  u.full = true;
  u.sections = {{100, 10, std::nullopt, "Root", 0, 1}};
  u.cases = {{7, 10, 100, "Case", "", 5, 900, 0, false, std::nullopt}};
  ASSERT_OK(store().ApplyCatalogSuite(p.id, u, 1000));

  constexpr int kTests = 1201;  // two whole chunks and one of a single row
  std::vector<std::pair<std::string, std::vector<int64_t>>> tests;
  for (int i = 0; i < kTests; ++i)
    tests.push_back(
        {Key(i), i % 100 == 0 ? std::vector<int64_t>{7, 1000 + i} : std::vector<int64_t>{}});
  NewJUnitImport first_report = Report(p.id, "aa", "nightly", tests);
  for (size_t i = 0; i < first_report.runs.size(); ++i)
    first_report.runs[i].summary = "run " + std::to_string(i);
  auto first = store().CreateJUnitImport(first_report);
  ASSERT_OK(first);
  EXPECT_EQ(first->tests_created, kTests);
  EXPECT_EQ(first->testcases, kTests);
  EXPECT_EQ(first->links_added, 26);
  auto ex = store().GetExecution(p.id, first->execution_id);
  ASSERT_OK(ex);
  ASSERT_EQ(ex->test_ids.size(), static_cast<size_t>(kTests));
  EXPECT_EQ(std::set<int64_t>(ex->test_ids.begin(), ex->test_ids.end()).size(),
            static_cast<size_t>(kTests));
  RunFilter f;
  f.execution_id = first->execution_id;
  std::vector<nexus::Run> runs = AllRuns(store(), p.id, f);
  ASSERT_EQ(runs.size(), static_cast<size_t>(kTests));
  for (int i = 0; i < kTests; ++i) {
    EXPECT_EQ(runs[i].test_id, ex->test_ids[i]) << i;
    EXPECT_EQ(runs[i].summary, "run " + std::to_string(i));
  }
  auto t1200 = store().GetTest(p.id, ex->test_ids[1200]);
  ASSERT_OK(t1200);
  EXPECT_EQ(t1200->name, "name of " + Key(1200));
  RunFilter by_attr;
  by_attr.attribute = {"platform", "PS5"};
  EXPECT_EQ(AllRuns(store(), p.id, by_attr).size(), static_cast<size_t>(kTests));
  auto links = store().ListTestRailLinks(p.id, {ex->test_ids[0], ex->test_ids[1200]});
  ASSERT_OK(links);
  ASSERT_EQ(links->size(), 4u);
  EXPECT_EQ((*links)[0].case_id, 7);
  EXPECT_EQ((*links)[0].baseline_updated_on, 900);  // the catalog's updated_on
  EXPECT_EQ((*links)[1].case_id, 1000);
  EXPECT_EQ((*links)[1].baseline_updated_on, 0);  // not in the catalog
  EXPECT_EQ((*links)[3].case_id, 2200);

  // Keys 600…1800: the first 601 are known (found across chunks), 600 are new.
  tests.clear();
  for (int i = 600; i <= 1800; ++i) tests.push_back({Key(i), {7}});
  auto second = store().CreateJUnitImport(Report(p.id, "bb", "nightly", tests));
  ASSERT_OK(second);
  EXPECT_EQ(second->tests_created, 600);
  EXPECT_EQ(second->links_added, 1201 - 7);  // keys 600, 700, …, 1200 had case 7 already
  auto ex2 = store().GetExecution(p.id, second->execution_id);
  ASSERT_OK(ex2);
  ASSERT_EQ(ex2->test_ids.size(), 1201u);
  for (int i = 0; i <= 600; ++i) EXPECT_EQ(ex2->test_ids[i], ex->test_ids[600 + i]) << i;
  auto plan = store().GetPlan(p.id, first->plan_id);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->test_ids.size(), 1801u);
  f.execution_id = second->execution_id;
  EXPECT_EQ(AllRuns(store(), p.id, f).size(), 1201u);
}

TEST_P(StoreConformanceTest, JUnitImportOfAnUnknownProjectWritesNothing) {
  Project p = MakeProject("Imports");
  EXPECT_CODE(store().CreateJUnitImport(Report(p.id + 100, "aa", "n", {{"a", {1}}})),
              StatusCode::kNotFound);
  // A run pointing at a test the report does not have fails the whole import.
  NewJUnitImport bad = Report(p.id, "aa", "n", {{"a", {1}}});
  bad.runs.push_back(bad.runs[0]);
  bad.runs.back().test = 7;
  EXPECT_FALSE(store().CreateJUnitImport(bad).ok());
  auto tests = store().ListTests(p.id, PageRequest{0, 10});
  ASSERT_OK(tests);
  EXPECT_TRUE(tests->empty());
  auto plans = store().ListPlans(p.id, PageRequest{0, 10});
  ASSERT_OK(plans);
  EXPECT_TRUE(plans->empty());
  auto found = store().FindJUnitImport(p.id, "aa", "n");
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
}

}  // namespace
}  // namespace nexus
