// Configurations, plans with one run per configuration, milestones (nested, paginated) and
// the id validation TestRail applies on add_run / add_plan / add_plan_entry / results
// (issue 14). Refusals assert TestRail's text and that nothing was created.
#include "testrail_sim/sim_test_util.h"

namespace testrail_sim::testing {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

ConfigGroupSpec Group(const std::string& text) {
  ConfigGroupSpec g;
  std::string error;
  EXPECT_TRUE(ParseConfigGroupSpec(text, &g, &error)) << error;
  return g;
}

class PlansConfigsTest : public SimTest {
 protected:
  void SetUp() override {
    GenerateSpec g = StandardSpec();
    g.configs = {Group("Platform=PC|PS5|Xbox"), Group("Region=EU|US")};
    g.milestones = 4;
    SimulatorOptions opts;
    opts.generate = g;
    opts.users = {{1, "Administrator", kDefaultEmail, kDefaultPassword, kDefaultApiKey, true, true},
                  {2, "Quinn QA", "qa@example.com", "pw", "", true, false}};
    StartSim(opts);
  }
  // Config ids of project `project` by name ("PC", "PS5", "EU", …).
  std::map<std::string, int64_t> Configs(int64_t project) {
    std::map<std::string, int64_t> out;
    Reply r = api_->Get("get_configs/" + S(project));
    for (const auto& g : r.json)
      for (const auto& c : g["configs"]) out[c["name"]] = c["id"];
    return out;
  }
  std::vector<int64_t> Cases(int64_t project, size_t n) {
    std::vector<int64_t> out;
    Reply r = api_->Get("get_cases/" + S(project));
    for (const auto& c : r.json["cases"]) {
      if (out.size() == n) break;
      out.push_back(c["id"]);
    }
    return out;
  }
  // Refused with `text`, and no plan/run was created.
  void ExpectRefused(const Reply& r, const std::string& text, size_t runs_before) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.error(), text);
    EXPECT_EQ(sim_->model().RunCount(), runs_before);
    EXPECT_EQ(api_->Get("get_plans/2").json["size"], 0);
  }
};

TEST_F(PlansConfigsTest, GetConfigsShape) {
  Reply r = api_->Get("get_configs/2");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.json.is_array());
  ASSERT_EQ(r.json.size(), 2u);
  EXPECT_EQ(r.json[0]["name"], "Platform");
  EXPECT_EQ(r.json[0]["project_id"], 2);
  ASSERT_EQ(r.json[0]["configs"].size(), 3u);
  const Json& pc = r.json[0]["configs"][0];
  EXPECT_EQ(pc["name"], "PC");
  EXPECT_EQ(pc["group_id"], r.json[0]["id"]);
  EXPECT_TRUE(pc.contains("id"));
  EXPECT_EQ(r.json[1]["name"], "Region");
  // Every project has its own groups (other ids).
  EXPECT_NE(Configs(1)["PC"], Configs(2)["PC"]);
  EXPECT_EQ(api_->Get("get_configs/99").error(),
            "Field :project_id is not a valid or accessible project.");
}

TEST_F(PlansConfigsTest, AddConfigGroupAndConfig) {
  Reply g = api_->Post("add_config_group/2", {{"name", "Browser"}});
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.json["name"], "Browser");
  EXPECT_EQ(g.json["configs"], Json::array());
  Reply c = api_->Post("add_config/" + S(g.json["id"]), {{"name", "Firefox"}});
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json["name"], "Firefox");
  EXPECT_EQ(c.json["group_id"], g.json["id"]);
  EXPECT_EQ(Configs(2)["Firefox"], c.json["id"]);
  EXPECT_EQ(api_->Post("add_config_group/2", Json::object()).error(),
            "Field :name is a required field.");
  EXPECT_EQ(api_->Post("add_config/999", {{"name", "x"}}).error(),
            "Field :config_group_id is not a valid configuration group.");
  EXPECT_EQ(api_->Post("add_config/" + S(g.json["id"]), Json::object()).error(),
            "Field :name is a required field.");
  EXPECT_EQ(api_->Get("get_configs/2").json.size(), 3u);
}

TEST_F(PlansConfigsTest, PlanWithOneRunPerConfiguration) {
  auto cfg = Configs(2);
  auto cases = Cases(2, 4);
  Json entry{
      {"name", "Smoke"},
      {"include_all", false},
      {"config_ids", {cfg["PC"], cfg["PS5"]}},
      {"runs",
       {{{"include_all", false}, {"case_ids", {cases[0], cases[1]}}, {"config_ids", {cfg["PC"]}}},
        {{"include_all", false},
         {"case_ids", {cases[0], cases[2]}},
         {"config_ids", {cfg["PS5"]}},
         {"assignedto_id", 2}}}}};
  Reply r = api_->Post("add_plan/2", {{"name", "Release 7"}, {"entries", {entry}}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["entries"].size(), 1u);
  const Json& e = r.json["entries"][0];
  EXPECT_TRUE(e["id"].is_string());
  ASSERT_EQ(e["runs"].size(), 2u);
  EXPECT_EQ(e["runs"][0]["config"], "PC");
  EXPECT_EQ(e["runs"][0]["config_ids"], Json::array({cfg["PC"]}));
  EXPECT_EQ(e["runs"][1]["config"], "PS5");
  EXPECT_EQ(e["runs"][1]["assignedto_id"], 2);
  for (const auto& run : e["runs"]) {
    EXPECT_EQ(run["name"], "Smoke");
    EXPECT_EQ(run["plan_id"], r.json["id"]);
    EXPECT_EQ(run["entry_id"], e["id"]);
    EXPECT_EQ(run["untested_count"], 2);
  }
  // Each result lands in the run of its configuration.
  int64_t pc_run = e["runs"][0]["id"], ps5_run = e["runs"][1]["id"];
  ASSERT_EQ(api_->Post("add_results_for_cases/" + S(pc_run),
                       {{"results", {{{"case_id", cases[0]}, {"status_id", 1}}}}})
                .status,
            200);
  ASSERT_EQ(api_->Post("add_results_for_cases/" + S(ps5_run),
                       {{"results", {{{"case_id", cases[0]}, {"status_id", 5}}}}})
                .status,
            200);
  // A case of the PS5 run only is not part of the PC run.
  Reply wrong = api_->Post("add_results_for_cases/" + S(pc_run),
                           {{"results", {{{"case_id", cases[2]}, {"status_id", 1}}}}});
  EXPECT_EQ(wrong.status, 400);
  Reply plan = api_->Get("get_plan/" + S(r.json["id"]));
  ASSERT_EQ(plan.status, 200);
  EXPECT_EQ(plan.json["passed_count"], 1);
  EXPECT_EQ(plan.json["failed_count"], 1);
  EXPECT_EQ(plan.json["entries"][0]["runs"][0]["passed_count"], 1);
  EXPECT_EQ(plan.json["entries"][0]["runs"][1]["failed_count"], 1);
  EXPECT_EQ(plan.json["entries"][0]["runs"][1]["config"], "PS5");
}

TEST_F(PlansConfigsTest, TwoGroupsMakeCombinedConfigNames) {
  auto cfg = Configs(2);
  Reply r = api_->Post("add_plan/2", {{"name", "matrix"},
                                      {"entries",
                                       {{{"config_ids", {cfg["PC"], cfg["EU"], cfg["US"]}},
                                         {"runs",
                                          {{{"config_ids", {cfg["PC"], cfg["EU"]}}},
                                           {{"config_ids", {cfg["PC"], cfg["US"]}}}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["entries"][0]["runs"][0]["config"], "PC, EU");
  EXPECT_EQ(r.json["entries"][0]["runs"][1]["config"], "PC, US");
}

TEST_F(PlansConfigsTest, ConfigIdsAreValidated) {
  auto cfg = Configs(2);
  auto other = Configs(1);
  size_t runs = sim_->model().RunCount();
  auto plan = [&](const Json& entry) {
    return api_->Post("add_plan/2", {{"name", "bad"}, {"entries", {entry}}});
  };
  ExpectRefused(plan({{"config_ids", {other["PC"]}}, {"runs", {{{"config_ids", {other["PC"]}}}}}}),
                "Field :config_ids contains one or more invalid configurations.", runs);
  ExpectRefused(plan({{"config_ids", {cfg["PC"]}}, {"runs", {{{"config_ids", {987654}}}}}}),
                "Field :config_ids contains one or more invalid configurations.", runs);
  ExpectRefused(plan({{"config_ids", "PC"}}),
                "Field :config_ids contains one or more invalid configurations.", runs);
  ExpectRefused(plan({{"config_ids", {cfg["PC"], cfg["PS5"]}},
                      {"runs", {{{"config_ids", {cfg["PC"], cfg["PS5"]}}}}}}),
                "Field :config_ids contains more than one configuration of the same group.", runs);
  ExpectRefused(plan({{"config_ids", {cfg["PC"]}}, {"runs", {{{"config_ids", {cfg["Xbox"]}}}}}}),
                "Field :runs.config_ids contains one or more configurations not selected for the "
                "entry.",
                runs);
  // A valid second entry does not rescue the plan: nothing is created.
  Reply two =
      api_->Post("add_plan/2",
                 {{"name", "bad"},
                  {"entries", {{{"config_ids", {cfg["PC"]}}}, {{"config_ids", {other["PC"]}}}}}});
  ExpectRefused(two, "Field :config_ids contains one or more invalid configurations.", runs);
}

TEST_F(PlansConfigsTest, AddPlanEntryWithConfigurations) {
  auto cfg = Configs(2);
  Reply plan = api_->Post("add_plan/2", {{"name", "p"}});
  ASSERT_EQ(plan.status, 200);
  std::string pid = S(plan.json["id"]);
  Reply e =
      api_->Post("add_plan_entry/" + pid,
                 {{"config_ids", {cfg["PC"], cfg["Xbox"]}},
                  {"runs", {{{"config_ids", {cfg["PC"]}}}, {{"config_ids", {cfg["Xbox"]}}}}}});
  ASSERT_EQ(e.status, 200) << e.body;
  ASSERT_EQ(e.json["runs"].size(), 2u);
  EXPECT_EQ(e.json["runs"][1]["config"], "Xbox");
  size_t runs = sim_->model().RunCount();
  Reply bad =
      api_->Post("add_plan_entry/" + pid, {{"runs", {{{"config_ids", {cfg["PC"], cfg["PS5"]}}}}}});
  EXPECT_EQ(bad.error(),
            "Field :config_ids contains more than one configuration of the same group.");
  EXPECT_EQ(sim_->model().RunCount(), runs);
  EXPECT_EQ(api_->Get("get_plan/" + pid).json["entries"].size(), 1u);
}

TEST_F(PlansConfigsTest, MilestonesNestedAndPaginated) {
  Reply r = api_->Get("get_milestones/2");
  ASSERT_EQ(r.status, 200) << r.body;
  for (const char* key : {"offset", "limit", "size", "_links", "milestones"})
    EXPECT_TRUE(r.json.contains(key)) << key;
  ASSERT_EQ(r.json["size"], 2);  // two releases, each with a sprint nested
  const Json& first = r.json["milestones"][0];
  for (const char* key : {"id", "name", "project_id", "parent_id", "is_completed", "is_started",
                          "due_on", "url", "milestones"})
    EXPECT_TRUE(first.contains(key)) << key;
  EXPECT_EQ(first["project_id"], 2);
  EXPECT_TRUE(first["parent_id"].is_null());
  EXPECT_EQ(first["is_completed"], true);
  ASSERT_EQ(first["milestones"].size(), 1u);
  EXPECT_EQ(first["milestones"][0]["parent_id"], first["id"]);
  Reply open = api_->Get("get_milestones/2&is_completed=0");
  ASSERT_EQ(open.json["size"], 1);
  EXPECT_EQ(open.json["milestones"][0]["is_completed"], false);
  Reply page = api_->Get("get_milestones/2&limit=1");
  EXPECT_EQ(page.json["size"], 1);
  EXPECT_EQ(page.json["_links"]["next"], "/api/v2/get_milestones/2&limit=1&offset=1");
  Reply child = api_->Get("get_milestone/" + S(first["milestones"][0]["id"]));
  ASSERT_EQ(child.status, 200);
  EXPECT_EQ(child.json["parent_id"], first["id"]);
  EXPECT_EQ(api_->Get("get_milestone/9999").error(),
            "Field :milestone_id is not a valid milestone.");
}

TEST_F(PlansConfigsTest, AddMilestone) {
  Reply top = api_->Post("add_milestone/2", {{"name", "R9"}, {"due_on", 1900000000}});
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_EQ(top.json["due_on"], 1900000000);
  EXPECT_EQ(top.json["milestones"], Json::array());
  Reply sub = api_->Post("add_milestone/2", {{"name", "R9 s1"}, {"parent_id", top.json["id"]}});
  ASSERT_EQ(sub.status, 200) << sub.body;
  EXPECT_EQ(sub.json["parent_id"], top.json["id"]);
  EXPECT_EQ(api_->Get("get_milestone/" + S(top.json["id"])).json["milestones"].size(), 1u);
  Reply count = api_->Get("get_milestones/2");
  // Refusals: no name, a sub-milestone as parent, another project's milestone as parent.
  EXPECT_EQ(api_->Post("add_milestone/2", Json::object()).error(),
            "Field :name is a required field.");
  EXPECT_EQ(api_->Post("add_milestone/2", {{"name", "x"}, {"parent_id", sub.json["id"]}}).error(),
            "Field :parent_id is not a valid milestone.");
  int64_t project1_milestone = api_->Get("get_milestones/1").json["milestones"][0]["id"];
  EXPECT_EQ(
      api_->Post("add_milestone/2", {{"name", "x"}, {"parent_id", project1_milestone}}).error(),
      "Field :parent_id is not a valid milestone.");
  EXPECT_EQ(api_->Post("add_milestone/2", {{"name", "x"}, {"due_on", "soon"}}).error(),
            "Field :due_on is not a valid timestamp.");
  EXPECT_EQ(api_->Get("get_milestones/2").json, count.json);
}

TEST_F(PlansConfigsTest, MilestoneOfAnotherProjectIsRefused) {
  int64_t mine = api_->Get("get_milestones/2").json["milestones"][1]["id"];
  int64_t sub = api_->Get("get_milestones/2").json["milestones"][1]["milestones"][0]["id"];
  int64_t theirs = api_->Get("get_milestones/1").json["milestones"][0]["id"];
  size_t runs = sim_->model().RunCount();
  const std::string kText = "Field :milestone_id is not a valid milestone.";
  ExpectRefused(api_->Post("add_run/2", {{"name", "r"}, {"milestone_id", theirs}}), kText, runs);
  ExpectRefused(api_->Post("add_run/2", {{"name", "r"}, {"milestone_id", 9999}}), kText, runs);
  ExpectRefused(api_->Post("add_plan/2", {{"name", "p"}, {"milestone_id", theirs}}), kText, runs);
  Reply run = api_->Post("add_run/2", {{"name", "r"}, {"milestone_id", sub}});
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(run.json["milestone_id"], sub);
  Reply upd = api_->Post("update_run/" + S(run.json["id"]), {{"milestone_id", theirs}});
  EXPECT_EQ(upd.error(), kText);
  EXPECT_EQ(api_->Get("get_run/" + S(run.json["id"])).json["milestone_id"], sub);
  Reply plan = api_->Post("add_plan/2",
                          {{"name", "p"}, {"milestone_id", mine}, {"entries", {Json::object()}}});
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_EQ(plan.json["milestone_id"], mine);
  EXPECT_EQ(plan.json["entries"][0]["runs"][0]["milestone_id"], mine);
}

TEST_F(PlansConfigsTest, AssigneeIsValidated) {
  auto cases = Cases(2, 1);
  size_t runs = sim_->model().RunCount();
  const std::string kText = "Field :assignedto_id is not a valid user.";
  ExpectRefused(api_->Post("add_run/2", {{"name", "r"}, {"assignedto_id", 77}}), kText, runs);
  ExpectRefused(api_->Post("add_plan/2",
                           {{"name", "p"}, {"entries", {{{"runs", {{{"assignedto_id", 77}}}}}}}}),
                kText, runs);
  int64_t run = AddRun(2, {{"name", "r"}, {"assignedto_id", 2}});
  Reply bulk =
      api_->Post("add_results_for_cases/" + S(run),
                 {{"results", {{{"case_id", cases[0]}, {"status_id", 5}, {"assignedto_id", 77}}}}});
  EXPECT_EQ(bulk.error(), "Field :results.assignedto_id is not a valid user.");
  Reply single = api_->Post("add_result_for_case/" + S(run) + "/" + S(cases[0]),
                            {{"status_id", 5}, {"assignedto_id", 77}});
  EXPECT_EQ(single.error(), kText);
  EXPECT_EQ(sim_->model().ResultCount(), 0u);
  Reply ok = api_->Post("add_result_for_case/" + S(run) + "/" + S(cases[0]),
                        {{"status_id", 5}, {"assignedto_id", 2}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(PlansConfigsTest, UsersAndUserByEmail) {
  Reply users = api_->Get("get_users");
  ASSERT_EQ(users.status, 200);
  ASSERT_EQ(users.json["users"].size(), 2u);
  EXPECT_EQ(users.json["users"][1]["email"], "qa@example.com");
  Reply qa = api_->Get("get_user_by_email&email=QA%40example.com");
  ASSERT_EQ(qa.status, 200) << qa.body;
  EXPECT_EQ(qa.json["id"], 2);
  EXPECT_EQ(qa.json["name"], "Quinn QA");
  EXPECT_EQ(api_->Get("get_user_by_email&email=nobody%40example.com").error(),
            "Field :email is not a valid user.");
}

TEST(ConfigGroupSpecTest, ParsesAndRefuses) {
  ConfigGroupSpec g;
  std::string error;
  ASSERT_TRUE(ParseConfigGroupSpec("Platform=PC|PS5| Xbox ", &g, &error)) << error;
  EXPECT_EQ(g.name, "Platform");
  EXPECT_EQ(g.configs, (std::vector<std::string>{"PC", "PS5", "Xbox"}));
  EXPECT_FALSE(ParseConfigGroupSpec("Platform", &g, &error));
  EXPECT_EQ(error, "bad --configs 'Platform' (want Group=A|B|C)");
  EXPECT_FALSE(ParseConfigGroupSpec("Platform=", &g, &error));
  EXPECT_EQ(error, "--configs 'Platform=' has no configurations");
}

}  // namespace
}  // namespace testrail_sim::testing
