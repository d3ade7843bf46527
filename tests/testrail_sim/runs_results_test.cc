// Pins runs, plans, tests and results of the simulator against shared/spec/testrail-api.md:
// include_all default, counters, plan entries, closed run/plan refusals, all-or-nothing
// add_results_for_cases and attachments.
#include <set>

#include "testrail_sim/sim_test_util.h"

namespace testrail_sim::testing {
namespace {

std::vector<int64_t> CaseIds(Api& api, const std::string& call, size_t n) {
  std::vector<int64_t> out;
  Reply reply = api.Get(call);  // keep the reply alive across the loop
  for (const auto& c : reply.json["cases"]) {
    if (out.size() == n) break;
    out.push_back(c["id"]);
  }
  return out;
}

std::string S(int64_t v) { return std::to_string(v); }

TEST_F(SimTest, AddRunIncludeAllDefaultsToTrue) {
  Reply r = api_->Post("add_run/1", {{"suite_id", 2}, {"name", "all"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["include_all"], true);
  EXPECT_EQ(r.json["untested_count"], 600);
  for (const char* key : {"id", "suite_id", "name", "description", "include_all", "is_completed",
                          "completed_on", "passed_count", "blocked_count", "untested_count",
                          "retest_count", "failed_count", "custom_status1_count",
                          "custom_status7_count", "project_id", "plan_id", "created_on", "url"})
    EXPECT_TRUE(r.json.contains(key)) << key;
  Reply tests = api_->Get("get_tests/" + S(r.json["id"]));
  EXPECT_EQ(tests.json["size"], 250);
  EXPECT_FALSE(tests.json["_links"]["next"].is_null());
}

TEST_F(SimTest, AddRunWithCaseIdsOnly) {
  auto ids = CaseIds(*api_, "get_cases/1&suite_id=1", 5);
  Reply r =
      api_->Post("add_run/1",
                 {{"suite_id", 1}, {"name", "subset"}, {"include_all", false}, {"case_ids", ids}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["untested_count"], 5);
  Reply tests = api_->Get("get_tests/" + S(r.json["id"]));
  ASSERT_EQ(tests.json["tests"].size(), 5u);
  for (const auto& t : tests.json["tests"]) {
    for (const char* key : {"id", "case_id", "run_id", "status_id", "title"})
      EXPECT_TRUE(t.contains(key)) << key;
    EXPECT_EQ(t["status_id"], 3);
  }
  Reply none = api_->Post("add_run/1", {{"suite_id", 1}, {"name", "x"}, {"include_all", false}});
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(none.error(), "include_all is false but no tests were provided.");
  Reply empty = api_->Post(
      "add_run/1",
      {{"suite_id", 1}, {"name", "x"}, {"include_all", false}, {"case_ids", Json::array()}});
  EXPECT_EQ(empty.error(), "include_all is false but no tests were provided.");
}

TEST_F(SimTest, ResultsUpdateRunCounters) {
  auto ids = CaseIds(*api_, "get_cases/2", 6);
  int64_t run = AddRun(2, {{"name", "counters"}, {"include_all", false}, {"case_ids", ids}});
  Json results = Json::array();
  const int kStatuses[] = {1, 1, 5, 2, 4, 6};
  for (size_t i = 0; i < ids.size(); ++i)
    results.push_back({{"case_id", ids[i]}, {"status_id", kStatuses[i]}});
  ASSERT_EQ(api_->Post("add_results_for_cases/" + S(run), {{"results", results}}).status, 200);
  Reply r = api_->Get("get_run/" + S(run));
  EXPECT_EQ(r.json["passed_count"], 2);
  EXPECT_EQ(r.json["failed_count"], 1);
  EXPECT_EQ(r.json["blocked_count"], 1);
  EXPECT_EQ(r.json["retest_count"], 1);
  EXPECT_EQ(r.json["custom_status1_count"], 1);
  EXPECT_EQ(r.json["untested_count"], 0);
  // A later result replaces the test's status.
  api_->Post("add_result_for_case/" + S(run) + "/" + S(ids[2]), {{"status_id", 1}});
  r = api_->Get("get_run/" + S(run));
  EXPECT_EQ(r.json["passed_count"], 3);
  EXPECT_EQ(r.json["failed_count"], 0);
}

TEST_F(SimTest, GetRunsListsOnlyRunsOutsidePlansWithFilters) {
  int64_t a = AddRun(2, {{"name", "a"}});
  int64_t b = AddRun(2, {{"name", "b"}});
  api_->Post("add_plan/2", {{"name", "plan"}, {"entries", {{{"include_all", true}}}}});
  api_->Post("close_run/" + S(a), Json::object());
  Reply all = api_->Get("get_runs/2");
  ASSERT_EQ(all.json["runs"].size(), 2u);
  EXPECT_EQ(all.json["runs"][0]["id"], b);  // newest first
  Reply open = api_->Get("get_runs/2&is_completed=0");
  ASSERT_EQ(open.json["runs"].size(), 1u);
  EXPECT_EQ(open.json["runs"][0]["id"], b);
  EXPECT_EQ(api_->Get("get_runs/2&is_completed=1").json["runs"][0]["id"], a);
  EXPECT_EQ(api_->Get("get_runs/2&suite_id=999").json["runs"].size(), 0u);
  Reply missing = api_->Get("get_run/4242");
  EXPECT_EQ(missing.error(), "Field :run_id is not a valid test run.");
}

TEST_F(SimTest, UpdateRunChangesNameAndCases) {
  auto ids = CaseIds(*api_, "get_cases/2", 4);
  int64_t run =
      AddRun(2, {{"name", "before"}, {"include_all", false}, {"case_ids", {ids[0], ids[1]}}});
  Reply r = api_->Post("update_run/" + S(run),
                       {{"name", "after"}, {"case_ids", {ids[1], ids[2], ids[3]}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["name"], "after");
  EXPECT_EQ(r.json["untested_count"], 3);
}

TEST_F(SimTest, CloseRunIsIrreversibleAndRefusesWrites) {
  auto ids = CaseIds(*api_, "get_cases/2", 2);
  int64_t run = AddRun(2, {{"name", "closing"}});
  Reply closed = api_->Post("close_run/" + S(run), Json::object());
  ASSERT_EQ(closed.status, 200);
  EXPECT_EQ(closed.json["is_completed"], true);
  EXPECT_TRUE(closed.json["completed_on"].is_number());
  const std::string kText = "This operation is not allowed. The test run is already completed.";
  Reply add = api_->Post("add_results_for_cases/" + S(run),
                         {{"results", {{{"case_id", ids[0]}, {"status_id", 1}}}}});
  EXPECT_EQ(add.status, 403);
  EXPECT_EQ(add.error(), kText);
  Reply single = api_->Post("add_result_for_case/" + S(run) + "/" + S(ids[0]), {{"status_id", 1}});
  EXPECT_EQ(single.error(), kText);
  EXPECT_EQ(api_->Post("update_run/" + S(run), {{"name", "x"}}).error(), kText);
  EXPECT_EQ(api_->Post("close_run/" + S(run), Json::object()).error(), kText);
  EXPECT_EQ(api_->Get("get_run/" + S(run)).json["is_completed"], true);
  EXPECT_EQ(sim_->model().ResultCount(), 0u);
}

TEST_F(SimTest, PlanWithEntriesAndUuidIds) {
  auto ids = CaseIds(*api_, "get_cases/1&suite_id=2", 3);
  Reply plan =
      api_->Post("add_plan/1", {{"name", "Release 1"},
                                {"entries",
                                 {{{"suite_id", 1}, {"name", "Suite one"}, {"include_all", true}},
                                  {{"suite_id", 2}, {"include_all", false}, {"case_ids", ids}}}}});
  ASSERT_EQ(plan.status, 200) << plan.body;
  ASSERT_EQ(plan.json["entries"].size(), 2u);
  std::set<std::string> entry_ids;
  for (const auto& e : plan.json["entries"]) {
    ASSERT_TRUE(e["id"].is_string());
    std::string id = e["id"];
    EXPECT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    entry_ids.insert(id);
    ASSERT_EQ(e["runs"].size(), 1u);
    EXPECT_EQ(e["runs"][0]["plan_id"], plan.json["id"]);
    EXPECT_EQ(e["runs"][0]["entry_id"], e["id"]);
  }
  EXPECT_EQ(entry_ids.size(), 2u);
  EXPECT_EQ(plan.json["entries"][1]["runs"][0]["untested_count"], 3);
  EXPECT_EQ(plan.json["entries"][0]["runs"][0]["untested_count"], 600);
  int64_t plan_id = plan.json["id"];
  Reply entry = api_->Post("add_plan_entry/" + S(plan_id),
                           {{"suite_id", 2}, {"include_all", false}, {"case_ids", {ids[0]}}});
  ASSERT_EQ(entry.status, 200) << entry.body;
  EXPECT_TRUE(entry.json["id"].is_string());
  EXPECT_EQ(entry.json["runs"][0]["plan_id"], plan_id);
  Reply got = api_->Get("get_plan/" + S(plan_id));
  EXPECT_EQ(got.json["entries"].size(), 3u);
  Reply list = api_->Get("get_plans/1");
  ASSERT_EQ(list.json["plans"].size(), 1u);
  EXPECT_EQ(list.json["plans"][0]["id"], plan_id);
  // Plan runs are not listed by get_runs.
  EXPECT_EQ(api_->Get("get_runs/1").json["runs"].size(), 0u);
  Reply no_suite = api_->Post("add_plan/1", {{"name", "x"}, {"entries", {{{"name", "e"}}}}});
  EXPECT_EQ(no_suite.error(), "Field :suite_id is a required field.");
  EXPECT_EQ(api_->Post("add_plan/1", Json::object()).error(), "Field :name is a required field.");
}

TEST_F(SimTest, PlanRunCannotBeClosedAlone) {
  Reply plan = api_->Post("add_plan/2", {{"name", "p"}, {"entries", {{{"include_all", true}}}}});
  int64_t run = plan.json["entries"][0]["runs"][0]["id"];
  Reply r = api_->Post("close_run/" + S(run), Json::object());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error(),
            "This operation is not allowed. The test run belongs to a test plan and cannot be "
            "closed independently.");
}

TEST_F(SimTest, ClosePlanClosesRunsAndRefusesWrites) {
  auto ids = CaseIds(*api_, "get_cases/2", 2);
  Reply plan = api_->Post("add_plan/2", {{"name", "p"}, {"entries", {{{"include_all", true}}}}});
  int64_t plan_id = plan.json["id"];
  int64_t run = plan.json["entries"][0]["runs"][0]["id"];
  Reply closed = api_->Post("close_plan/" + S(plan_id), Json::object());
  ASSERT_EQ(closed.status, 200);
  EXPECT_EQ(closed.json["is_completed"], true);
  EXPECT_EQ(api_->Get("get_run/" + S(run)).json["is_completed"], true);
  Reply entry = api_->Post("add_plan_entry/" + S(plan_id), {{"include_all", true}});
  EXPECT_EQ(entry.status, 403);
  EXPECT_EQ(entry.error(), "This operation is not allowed. The test plan is already completed.");
  Reply results = api_->Post("add_results_for_cases/" + S(run),
                             {{"results", {{{"case_id", ids[0]}, {"status_id", 1}}}}});
  EXPECT_EQ(results.error(), "This operation is not allowed. The test run is already completed.");
  EXPECT_EQ(api_->Post("delete_plan/" + S(plan_id), Json::object()).status, 200);
  EXPECT_EQ(api_->Get("get_plan/" + S(plan_id)).error(),
            "Field :plan_id is not a valid test plan.");
  EXPECT_EQ(api_->Get("get_run/" + S(run)).status, 400);
}

TEST_F(SimTest, AddResultsForCasesReturnsRequestOrder) {
  auto ids = CaseIds(*api_, "get_cases/2", 5);
  int64_t run = AddRun(2, {{"name", "order"}});
  Json results = Json::array();
  for (auto it = ids.rbegin(); it != ids.rend(); ++it)
    results.push_back({{"case_id", *it},
                       {"status_id", 1},
                       {"comment", "c" + S(*it)},
                       {"elapsed", "1m 45s"},
                       {"version", "1.2"},
                       {"defects", "BUG-1"},
                       {"custom_x", "y"}});
  Reply r = api_->Post("add_results_for_cases/" + S(run), {{"results", results}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.json.is_array());
  ASSERT_EQ(r.json.size(), 5u);
  Reply tests = api_->Get("get_tests/" + S(run));
  std::map<int64_t, int64_t> case_of_test;
  for (const auto& t : tests.json["tests"]) case_of_test[t["id"]] = t["case_id"];
  for (size_t i = 0; i < 5; ++i) {
    const Json& res = r.json[i];
    EXPECT_EQ(case_of_test[res["test_id"]], results[i]["case_id"]);
    EXPECT_EQ(res["comment"], results[i]["comment"]);
    EXPECT_EQ(res["elapsed"], "1m 45s");
    for (const char* key : {"id", "test_id", "status_id", "comment", "version", "elapsed",
                            "defects", "created_on", "created_by"})
      EXPECT_TRUE(res.contains(key)) << key;
    EXPECT_FALSE(res.contains("case_id"));
  }
}

TEST_F(SimTest, AddResultsForCasesIsAllOrNothing) {
  auto ids = CaseIds(*api_, "get_cases/2", 3);
  int64_t run = AddRun(2, {{"name", "atomic"}, {"include_all", false}, {"case_ids", {ids[0]}}});
  auto post = [&](const Json& results) {
    return api_->Post("add_results_for_cases/" + S(run), {{"results", results}});
  };
  Reply unknown =
      post({{{"case_id", ids[0]}, {"status_id", 1}}, {{"case_id", 11507}, {"status_id", 1}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.error(),
            "Field :results contains one or more invalid results (case C11507 unknown or not "
            "part of the test run)");
  Reply not_in_run = post({{{"case_id", ids[1]}, {"status_id", 1}}});
  EXPECT_EQ(not_in_run.error(), "Field :results contains one or more invalid results (case C" +
                                    S(ids[1]) + " unknown or not part of the test run)");
  Reply untested =
      post({{{"case_id", ids[0]}, {"status_id", 1}}, {{"case_id", ids[0]}, {"status_id", 3}}});
  EXPECT_EQ(untested.status, 400);
  EXPECT_NE(untested.error().find("Field :results contains one or more invalid results"),
            std::string::npos);
  Reply nothing = post({{{"case_id", ids[0]}, {"version", "1"}}});
  EXPECT_EQ(nothing.status, 400);
  Reply empty = post(Json::array());
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(sim_->model().ResultCount(), 0u);
  EXPECT_EQ(api_->Get("get_run/" + S(run)).json["untested_count"], 1);
  // Comment only and assignee only are fine; unknown keys are ignored.
  Reply ok = post({{{"case_id", ids[0]}, {"comment", "just a note"}, {"whatever", 1}},
                   {{"case_id", ids[0]}, {"assignedto_id", 1}}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json[0]["status_id"].is_null());
  EXPECT_FALSE(ok.json[0].contains("whatever"));
  EXPECT_EQ(sim_->model().ResultCount(), 2u);
}

TEST_F(SimTest, AddResultForCaseSingle) {
  auto ids = CaseIds(*api_, "get_cases/2", 2);
  int64_t run = AddRun(2, {{"name", "single"}, {"include_all", 0}, {"case_ids", {ids[0]}}});
  Reply ok = api_->Post("add_result_for_case/" + S(run) + "/" + S(ids[0]),
                        {{"status_id", 5}, {"comment", "boom"}, {"defects", "BUG-7"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json.is_object());
  EXPECT_EQ(ok.json["status_id"], 5);
  EXPECT_EQ(ok.json["defects"], "BUG-7");
  Reply not_in_run =
      api_->Post("add_result_for_case/" + S(run) + "/" + S(ids[1]), {{"status_id", 1}});
  EXPECT_EQ(not_in_run.status, 400);
  EXPECT_EQ(not_in_run.error(), "No (active) test found for the run/case combination.");
  Reply untested =
      api_->Post("add_result_for_case/" + S(run) + "/" + S(ids[0]), {{"status_id", 3}});
  EXPECT_EQ(untested.error(), "Field :status_id is not a valid status.");
  EXPECT_EQ(sim_->model().ResultCount(), 1u);
}

TEST_F(SimTest, GetTestsAndResultsForRun) {
  auto ids = CaseIds(*api_, "get_cases/2", 3);
  int64_t run = AddRun(2, {{"name", "reads"}, {"include_all", false}, {"case_ids", ids}});
  sim_->model().SetClock([] { return int64_t{1800000000}; });
  api_->Post("add_results_for_cases/" + S(run),
             {{"results", {{{"case_id", ids[0]}, {"status_id", 5}}}}});
  sim_->model().SetClock([] { return int64_t{1800000100}; });
  api_->Post("add_results_for_cases/" + S(run),
             {{"results", {{{"case_id", ids[1]}, {"status_id", 1}}}}});
  Reply results = api_->Get("get_results_for_run/" + S(run));
  ASSERT_EQ(results.json["results"].size(), 2u);
  for (const auto& r : results.json["results"]) {
    EXPECT_TRUE(r.contains("test_id"));
    EXPECT_FALSE(r.contains("case_id"));
  }
  Reply recent = api_->Get("get_results_for_run/" + S(run) + "&created_after=1800000050");
  ASSERT_EQ(recent.json["results"].size(), 1u);
  EXPECT_EQ(recent.json["results"][0]["status_id"], 1);
  Reply failed = api_->Get("get_tests/" + S(run) + "&status_id=5");
  ASSERT_EQ(failed.json["tests"].size(), 1u);
  EXPECT_EQ(failed.json["tests"][0]["case_id"], ids[0]);
  auto direct = sim_->model().ResultsForRun(run);
  ASSERT_EQ(direct.size(), 2u);
  EXPECT_EQ(direct[0]["case_id"], ids[0]);
}

TEST_F(SimTest, AddAttachmentToResult) {
  auto ids = CaseIds(*api_, "get_cases/2", 1);
  int64_t run = AddRun(2, {{"name", "attach"}});
  Reply res = api_->Post("add_results_for_cases/" + S(run),
                         {{"results", {{{"case_id", ids[0]}, {"status_id", 5}}}}});
  int64_t result_id = res.json[0]["id"];
  httplib::MultipartFormDataItems items = {{"attachment", "log line\n", "log.txt", "text/plain"}};
  auto r = api_->client().Post(api_->Target("add_attachment_to_result/" + S(result_id)),
                               api_->Auth(), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json j = Json::parse(r->body);
  EXPECT_EQ(j["attachment_id"], 1);
  Reply bad = api_->Post("add_attachment_to_result/999", Json::object());
  EXPECT_EQ(bad.status, 400);
}

}  // namespace
}  // namespace testrail_sim::testing
