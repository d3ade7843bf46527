// Pins the simulator's transport (URL scheme, auth, content type, error envelope) and the
// catalog endpoints (projects, suites, sections, cases, statuses, users, pagination) against
// shared/spec/testrail-api.md.
#include <set>

#include "testrail_sim/sim_test_util.h"

namespace testrail_sim::testing {
namespace {

// --- Transport -------------------------------------------------------------------------------

TEST_F(SimTest, MethodPathIsTheQueryStringAndFiltersFollowWithAmpersand) {
  Reply r = api_->Get("get_cases/1&suite_id=2&limit=3");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["cases"].size(), 3u);
  for (const auto& c : r.json["cases"]) EXPECT_EQ(c["suite_id"], 2);
  Reply one = api_->Get("get_case/5");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json["id"], 5);
}

TEST_F(SimTest, ServesUnderPathPrefix) {
  SimulatorOptions opts;
  opts.base_path = "/testrail";
  StartSim(opts);
  EXPECT_EQ(api_->Get("get_projects").status, 200);
  EXPECT_NE(sim_->base_url().find("/testrail"), std::string::npos);
  Reply p = api_->Get("get_project/1");
  EXPECT_EQ(p.json["url"].get<std::string>().rfind(sim_->base_url() + "/index.php?/", 0), 0u);
  // Without the prefix the API is not there.
  Api bare("127.0.0.1", sim_->port());
  EXPECT_EQ(bare.Get("get_projects").status, 404);
}

TEST_F(SimTest, WritesArePostOnlyAndReadsGet) {
  Reply get_write = api_->Get("add_run/1");
  EXPECT_EQ(get_write.status, 400);
  EXPECT_EQ(get_write.error(), "This API method requires a POST request.");
  Reply post_read = api_->Post("get_projects", Json::object());
  EXPECT_EQ(post_read.status, 400);
  // delete_run is a POST too.
  int64_t run = AddRun(2, {{"name", "to delete"}});
  Reply del = api_->Post("delete_run/" + std::to_string(run), Json::object());
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.body, "");
  EXPECT_EQ(api_->Get("get_run/" + std::to_string(run)).status, 400);
}

TEST_F(SimTest, PostWithoutJsonContentTypeIsRejected) {
  Reply r = api_->PostRaw("add_run/2", R"({"name":"x"})", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error(), "Content-Type header missing (use Content-Type: application/json)");
  Reply text = api_->PostRaw("add_run/2", R"({"name":"x"})", "text/plain");
  EXPECT_EQ(text.status, 400);
  EXPECT_EQ(text.error(), "Content-Type header missing (use Content-Type: application/json)");
  EXPECT_EQ(sim_->model().RunCount(), 0u);
  Reply ok = api_->PostRaw("add_run/2", R"({"name":"x"})", "application/json; charset=utf-8");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(SimTest, BasicAuthWithPasswordOrApiKey) {
  Api with_password("127.0.0.1", sim_->port(), "", kDefaultEmail, kDefaultPassword);
  EXPECT_EQ(with_password.Get("get_projects").status, 200);
  Api with_key("127.0.0.1", sim_->port(), "", "ADMIN@example.com", kDefaultApiKey);
  EXPECT_EQ(with_key.Get("get_projects").status, 200);
  const std::string kText =
      "Authentication failed: invalid or missing user/password or session cookie.";
  Api wrong("127.0.0.1", sim_->port(), "", kDefaultEmail, "nope");
  Reply r = wrong.Get("get_projects");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.error(), kText);
  Reply none = api_->GetPath("/index.php?/api/v2/get_projects", false);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.error(), kText);
}

TEST_F(SimTest, ErrorsAreJsonEnvelopesWithTestRailTexts) {
  Reply bad_json = api_->PostRaw("add_run/2", "{\"name\": ", "application/json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.error(), "Invalid or incomplete JSON string in API request.");
  Reply long_name = api_->Post("add_run/2", {{"name", std::string(251, 'x')}});
  EXPECT_EQ(long_name.status, 400);
  EXPECT_EQ(long_name.error(), "Field :name is too long (250 characters at most).");
  EXPECT_EQ(api_->Post("add_run/2", {{"name", std::string(250, 'x')}}).status, 200);
  Reply no_suite = api_->Post("add_run/1", {{"name", "r"}});
  EXPECT_EQ(no_suite.status, 400);
  EXPECT_EQ(no_suite.error(), "Field :suite_id is a required field.");
  Reply no_case = api_->Get("get_case/999999");
  EXPECT_EQ(no_case.status, 400);
  EXPECT_EQ(no_case.error(), "Field :case_id is not a valid test case.");
  for (const Reply& r : {bad_json, long_name, no_suite, no_case}) {
    ASSERT_TRUE(r.json.is_object());
    EXPECT_EQ(r.json.size(), 1u);
  }
}

TEST_F(SimTest, UnknownMethodIs404) {
  Reply r = api_->Get("get_unicorns/1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error(), "Unknown method 'get_unicorns'");
}

// --- Pagination ------------------------------------------------------------------------------

TEST_F(SimTest, PaginatedEnvelopeAndLinks) {
  Reply first = api_->Get("get_cases/1&suite_id=2");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.json["offset"], 0);
  EXPECT_EQ(first.json["limit"], 250);
  EXPECT_EQ(first.json["size"], 250);
  EXPECT_EQ(first.json["cases"].size(), 250u);
  EXPECT_TRUE(first.json["_links"]["prev"].is_null());
  EXPECT_EQ(first.json["_links"]["next"], "/api/v2/get_cases/1&suite_id=2&limit=250&offset=250");
  // Follow next links to the end; every case exactly once.
  std::set<int64_t> seen;
  Json page = first.json;
  int pages = 1;
  for (const auto& c : page["cases"]) seen.insert(c["id"].get<int64_t>());
  while (!page["_links"]["next"].is_null()) {
    std::string next = page["_links"]["next"];
    ASSERT_EQ(next.rfind("/api/v2/", 0), 0u);
    Reply r = api_->Get(next.substr(8));
    ASSERT_EQ(r.status, 200);
    page = r.json;
    ++pages;
    for (const auto& c : page["cases"]) seen.insert(c["id"].get<int64_t>());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 600u);
  EXPECT_EQ(page["size"], 100);
  EXPECT_EQ(page["_links"]["prev"], "/api/v2/get_cases/1&suite_id=2&limit=250&offset=250");
}

TEST_F(SimTest, PaginationLimitOffsetAndCap) {
  Reply r = api_->Get("get_cases/1&suite_id=1&limit=10&offset=5");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["size"], 10);
  EXPECT_EQ(r.json["offset"], 5);
  EXPECT_EQ(r.json["_links"]["next"], "/api/v2/get_cases/1&suite_id=1&limit=10&offset=15");
  EXPECT_EQ(r.json["_links"]["prev"], "/api/v2/get_cases/1&suite_id=1&limit=10&offset=0");
  Reply big = api_->Get("get_cases/1&suite_id=1&limit=1000");
  EXPECT_EQ(big.json["limit"], 250);
  EXPECT_EQ(big.json["cases"].size(), 250u);
  Reply zero = api_->Get("get_cases/1&suite_id=1&limit=0");
  EXPECT_EQ(zero.status, 400);
  EXPECT_EQ(zero.error(), "Field :limit must be a positive integer.");
}

TEST_F(SimTest, QuirkNextLinkWithLimitZero) {
  AdminConfig({{"next_link_limit_zero", true}});
  Reply r = api_->Get("get_cases/1&suite_id=1");
  EXPECT_EQ(r.json["_links"]["next"], "/api/v2/get_cases/1&suite_id=1&limit=0&offset=250");
  std::string next = r.json["_links"]["next"];
  EXPECT_EQ(api_->Get(next.substr(8)).status, 400);  // the server rejects its own link
}

TEST_F(SimTest, WrappedKeysPerEndpoint) {
  int64_t run = AddRun(2, {{"name", "keys"}});
  std::string case_id = std::to_string(api_->Get("get_cases/2").json["cases"][0]["id"].get<int>());
  api_->Post("add_results_for_cases/" + std::to_string(run),
             {{"results", {{{"case_id", std::stoll(case_id)}, {"status_id", 1}}}}});
  api_->Post("add_plan/2", {{"name", "p"}});
  const std::vector<std::pair<std::string, std::string>> kCalls = {
      {"get_projects", "projects"},
      {"get_cases/2", "cases"},
      {"get_sections/2", "sections"},
      {"get_runs/2", "runs"},
      {"get_plans/2", "plans"},
      {"get_tests/" + std::to_string(run), "tests"},
      {"get_results_for_run/" + std::to_string(run), "results"},
      {"get_users", "users"}};
  for (const auto& [call, key] : kCalls) {
    Reply r = api_->Get(call);
    ASSERT_EQ(r.status, 200) << call;
    ASSERT_TRUE(r.json.is_object()) << call;
    EXPECT_TRUE(r.json[key].is_array()) << call;
    EXPECT_GE(r.json[key].size(), 1u) << call;
    EXPECT_TRUE(r.json.contains("_links")) << call;
  }
  Reply statuses = api_->Get("get_statuses");
  EXPECT_TRUE(statuses.json.is_array());
}

TEST_F(SimTest, GetSuitesPlainOrPaginated) {
  Reply plain = api_->Get("get_suites/1");
  ASSERT_TRUE(plain.json.is_array());
  EXPECT_EQ(plain.json.size(), 2u);
  AdminConfig({{"suites_paginated", true}});
  Reply paged = api_->Get("get_suites/1");
  ASSERT_TRUE(paged.json.is_object());
  EXPECT_EQ(paged.json["suites"].size(), 2u);
  EXPECT_TRUE(paged.json["_links"]["next"].is_null());
}

// --- Objects ---------------------------------------------------------------------------------

TEST_F(SimTest, ProjectsAndSuiteModes) {
  Reply all = api_->Get("get_projects");
  ASSERT_EQ(all.json["projects"].size(), 4u);
  std::vector<int> modes;
  for (const auto& p : all.json["projects"]) {
    for (const char* key : {"id", "name", "suite_mode", "is_completed", "url"})
      EXPECT_TRUE(p.contains(key)) << key;
    modes.push_back(p["suite_mode"]);
  }
  EXPECT_EQ(modes, (std::vector<int>{3, 1, 2, 3}));
  EXPECT_EQ(api_->Get("get_projects&is_completed=1").json["projects"].size(), 0u);
  EXPECT_EQ(api_->Get("get_projects&is_completed=0").json["projects"].size(), 4u);
  Reply missing = api_->Get("get_project/77");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.error(), "Field :project_id is not a valid or accessible project.");
}

TEST_F(SimTest, SuitesHaveTheDocumentedFields) {
  Reply s = api_->Get("get_suite/1");
  ASSERT_EQ(s.status, 200);
  for (const char* key : {"id", "name", "description", "project_id", "is_master", "is_baseline",
                          "is_completed", "url"})
    EXPECT_TRUE(s.json.contains(key)) << key;
  Reply added = api_->Post("add_suite/1", {{"name", "New suite"}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json["project_id"], 1);
  EXPECT_EQ(api_->Get("get_suites/1").json.size(), 3u);
}

TEST_F(SimTest, SuiteIdRequiredExceptInSingleSuiteMode) {
  for (const std::string call : {"get_cases/", "get_sections/"}) {
    EXPECT_EQ(api_->Get(call + "2").status, 200) << call;  // mode 1
    for (int project : {1, 3}) {                           // modes 3 and 2
      Reply r = api_->Get(call + std::to_string(project));
      EXPECT_EQ(r.status, 400);
      EXPECT_EQ(r.error(), "Field :suite_id is a required field.");
    }
  }
  EXPECT_EQ(api_->Post("add_run/2", {{"name", "single"}}).status, 200);
  Reply r = api_->Post("add_run/3", {{"name", "baseline project"}});
  EXPECT_EQ(r.error(), "Field :suite_id is a required field.");
  Reply foreign = api_->Get("get_cases/1&suite_id=5");  // suite of another project
  EXPECT_EQ(foreign.status, 400);
  EXPECT_EQ(foreign.error(), "Field :suite_id is not a valid test suite.");
}

TEST_F(SimTest, SectionsAreNestedWithDepthAndOrder) {
  Reply r = api_->Get("get_sections/1&suite_id=1");
  ASSERT_EQ(r.status, 200);
  const Json& sections = r.json["sections"];
  ASSERT_EQ(sections.size(), 8u);
  std::set<int64_t> ids;
  int max_depth = 0;
  int64_t order = 0;
  for (const auto& s : sections) {
    for (const char* key :
         {"id", "suite_id", "name", "description", "parent_id", "display_order", "depth"})
      EXPECT_TRUE(s.contains(key)) << key;
    EXPECT_GT(s["display_order"].get<int64_t>(), order);
    order = s["display_order"];
    if (!s["parent_id"].is_null()) {
      EXPECT_TRUE(ids.count(s["parent_id"].get<int64_t>())) << "parent listed first";
    } else {
      EXPECT_EQ(s["depth"], 0);
    }
    ids.insert(s["id"].get<int64_t>());
    max_depth = std::max(max_depth, s["depth"].get<int>());
  }
  EXPECT_GE(max_depth, 1);
  EXPECT_LE(max_depth, 2);
  Reply child = api_->Post(
      "add_section/1", {{"suite_id", 1}, {"parent_id", sections[0]["id"]}, {"name", "Child <b>"}});
  ASSERT_EQ(child.status, 200) << child.body;
  EXPECT_EQ(child.json["depth"], sections[0]["depth"].get<int>() + 1);
  EXPECT_EQ(child.json["parent_id"], sections[0]["id"]);
}

TEST_F(SimTest, CasesFieldsAndFilters) {
  Reply page = api_->Get("get_cases/2");
  ASSERT_EQ(page.status, 200);
  const Json& c = page.json["cases"][0];
  for (const char* key : {"id", "title", "section_id", "suite_id", "template_id", "type_id",
                          "priority_id", "milestone_id", "refs", "estimate", "created_on",
                          "updated_on", "display_order", "is_deleted"})
    EXPECT_TRUE(c.contains(key)) << key;
  // updated_after / updated_before partition the suite.
  Reply all = api_->Get("get_cases/1&suite_id=1&limit=250");
  int64_t pivot = all.json["cases"][100]["updated_on"];
  auto count = [&](const std::string& filter) {
    size_t n = 0;
    for (int offset = 0;; offset += 250) {
      Reply r = api_->Get("get_cases/1&suite_id=1" + filter + "&offset=" + std::to_string(offset));
      n += r.json["cases"].size();
      if (r.json["_links"]["next"].is_null()) break;
    }
    return n;
  };
  size_t after = count("&updated_after=" + std::to_string(pivot + 1));
  size_t before = count("&updated_before=" + std::to_string(pivot));
  EXPECT_GT(after, 0u);
  EXPECT_GT(before, 0u);
  EXPECT_EQ(after + before, 600u);
  // created_after and title filter.
  int64_t created = all.json["cases"][200]["created_on"];
  Reply created_after =
      api_->Get("get_cases/1&suite_id=1&created_after=" + std::to_string(created));
  for (const auto& x : created_after.json["cases"])
    EXPECT_GE(x["created_on"].get<int64_t>(), created);
  std::string title = all.json["cases"][7]["title"];
  std::string needle = title.substr(title.find('#'));  // unique "#<id>" suffix
  Reply by_title = api_->Get("get_cases/1&suite_id=1&filter=" + needle.substr(1));
  bool found = false;
  for (const auto& x : by_title.json["cases"]) found |= x["title"] == title;
  EXPECT_TRUE(found);
  // section_id narrows to that section.
  int64_t section = all.json["cases"][0]["section_id"];
  Reply in_section = api_->Get("get_cases/1&suite_id=1&section_id=" + std::to_string(section));
  EXPECT_GT(in_section.json["cases"].size(), 0u);
  for (const auto& x : in_section.json["cases"]) EXPECT_EQ(x["section_id"], section);
}

TEST_F(SimTest, DeletedCasesAreNotListedAndGetCaseAnswers400) {
  Reply first = api_->Get("get_cases/2&limit=1");
  int64_t id = first.json["cases"][0]["id"];
  size_t before = api_->Get("get_cases/2").json["cases"].size();
  Reply del = api_->Post("delete_case/" + std::to_string(id), Json::object());
  EXPECT_EQ(del.status, 200);
  Reply again = api_->Get("get_case/" + std::to_string(id));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.error(), "Field :case_id is not a valid test case.");
  Reply list = api_->Get("get_cases/2");
  EXPECT_EQ(list.json["cases"].size(), before - 1);
  for (const auto& c : list.json["cases"]) EXPECT_NE(c["id"], id);
  EXPECT_TRUE(sim_->DeleteCase(list.json["cases"][0]["id"]));  // direct accessor
  EXPECT_EQ(api_->Get("get_cases/2").json["cases"].size(), before - 2);
}

TEST_F(SimTest, AddAndUpdateCaseBumpsUpdatedOn) {
  int64_t section = api_->Get("get_sections/2").json["sections"][0]["id"];
  Reply added = api_->Post("add_case/" + std::to_string(section),
                           {{"title", "Brand new"}, {"refs", "NEX-1"}, {"custom_foo", 3}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json["custom_foo"], 3);
  int64_t id = added.json["id"];
  int64_t t0 = 1800000000;
  sim_->model().SetClock([&] { return t0; });
  Reply updated = api_->Post("update_case/" + std::to_string(id), {{"title", "Renamed"}});
  ASSERT_EQ(updated.status, 200);
  EXPECT_EQ(updated.json["title"], "Renamed");
  EXPECT_EQ(updated.json["updated_on"], t0);
  EXPECT_EQ(updated.json["refs"], "NEX-1");
  Reply after = api_->Get("get_cases/2&updated_after=" + std::to_string(t0 - 1));
  ASSERT_EQ(after.json["cases"].size(), 1u);
  EXPECT_EQ(after.json["cases"][0]["id"], id);
  EXPECT_TRUE(sim_->UpdateCaseTitle(id, "Direct"));
  EXPECT_EQ(api_->Get("get_case/" + std::to_string(id)).json["title"], "Direct");
  Reply no_title = api_->Post("add_case/" + std::to_string(section), Json::object());
  EXPECT_EQ(no_title.error(), "Field :title is a required field.");
}

TEST_F(SimTest, StatusesSystemAndCustom) {
  Reply r = api_->Get("get_statuses");
  ASSERT_TRUE(r.json.is_array());
  ASSERT_EQ(r.json.size(), 7u);
  const std::vector<std::string> kNames = {"passed", "blocked",        "untested",      "retest",
                                           "failed", "custom_status1", "custom_status2"};
  for (size_t i = 0; i < kNames.size(); ++i) {
    const Json& s = r.json[i];
    EXPECT_EQ(s["id"], i + 1);
    EXPECT_EQ(s["name"], kNames[i]);
    for (const char* key : {"label", "color_bright", "color_medium", "color_dark", "is_system",
                            "is_untested", "is_final"})
      EXPECT_TRUE(s.contains(key)) << key;
    EXPECT_EQ(s["is_system"], i < 5);
    EXPECT_EQ(s["is_untested"], i == 2);
  }
}

TEST_F(SimTest, UsersAndUserByEmail) {
  Reply users = api_->Get("get_users");
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(users.json["users"][0]["email"], kDefaultEmail);
  Reply me = api_->Get("get_user_by_email&email=admin%40example.com");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json["id"], 1);
  Reply nobody = api_->Get("get_user_by_email&email=x@example.com");
  EXPECT_EQ(nobody.status, 400);
  EXPECT_EQ(nobody.error(), "Field :email is not a valid user.");
}

TEST(GeneratorTest, DeterministicAndSized) {
  Model a, b;
  GenerateSpec spec;
  spec.projects = 2;
  spec.suites = 3;
  spec.sections = 20;
  spec.cases = 1000;
  spec.depth = 4;
  a.Generate(spec);
  b.Generate(spec);
  EXPECT_EQ(a.ToJson().dump(), b.ToJson().dump());
  EXPECT_EQ(a.CaseCount(), 3000u + 100u);
  GenerateSpec parsed;
  std::string error;
  ASSERT_TRUE(
      ParseGenerateSpec("projects=2,suites=3,sections=20,cases=1000,depth=4", &parsed, &error));
  EXPECT_EQ(parsed.cases, 1000);
  EXPECT_FALSE(ParseGenerateSpec("bogus=1", &parsed, &error));
}

}  // namespace
}  // namespace testrail_sim::testing
