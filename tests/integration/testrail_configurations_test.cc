// TestRail configurations (issue 14, R-CONFIGS), Nexus side, against the simulator with a
// `Platform` configuration group (PC, PS5, Xbox): the mapping is validated against get_configs
// (unknown ids are 400 naming them) and flagged when a config disappears; a plan of runs on PC
// and PS5 lands in ONE plan, one entry per suite with one run per configuration and each
// result in the run of its configuration; runs without a mapped value are skipped with a
// reason; an ambiguous add_plan is recovered through get_plan with the runs matched by their
// configuration, exactly once. And step results go only to cases whose template has separated
// steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "export_test_util.h"
#include "testrail/attachments.h"

namespace nexus::testing {
namespace {

using Json = nlohmann::json;

class ConfigurationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Planned one linked case at a time (issue 16): entries recur in every slice.
    auto one_case_slices = [](app::Config& c) { c.export_plan_slice_cases = 1; };
    env_ = std::make_unique<ExportEnv>(4, 0, one_case_slices, [](testrail_sim::GenerateSpec& spec) {
      spec.configs.push_back({"Platform", {"PC", "PS5", "Xbox"}});
    });
    url_ = env_->pbase + "/testrail/configurations";
    auto groups = env_->client->Get("get_configs/1");
    ASSERT_TRUE(groups.ok()) << groups.status().ToString();
    ASSERT_EQ(groups->size(), 1u) << groups->dump();
    group_ = (*groups)[0]["id"];
    for (const auto& c : (*groups)[0]["configs"]) config_[c["name"]] = c["id"];
    ASSERT_EQ(config_.size(), 3u);
  }

  // A finished run of `test` with attribute platform = `platform` (none when empty).
  int64_t RunOn(int64_t test, const std::string& platform, const std::string& result = "Success",
                const std::string& label = "NoBug") {
    const int64_t run = env_->MakeRun(test, result, label);
    if (!platform.empty()) {
      auto r = env_->h->Patch(env_->pbase + "/runs/" + std::to_string(run), env_->admin,
                              {{"attributes", {{"platform", platform}}}});
      EXPECT_EQ(r.status, 200) << r.raw;
    }
    return run;
  }

  HttpResult SaveMapping(const Json& values, int64_t group = 0) {
    return env_->h->Put(url_, env_->admin,
                        {{"attributes",
                          {{{"attribute", "platform"},
                            {"group_id", group ? group : group_},
                            {"values", values}}}}});
  }

  // run id → sorted config ids of every run of the plan.
  static std::map<std::vector<int64_t>, testrail::Run> RunsByConfig(const testrail::Plan& p,
                                                                    int64_t suite) {
    std::map<std::vector<int64_t>, testrail::Run> out;
    for (const auto& e : p.entries)
      if (e.suite_id == suite)
        for (const auto& r : e.runs) {
          auto ids = r.config_ids;
          std::sort(ids.begin(), ids.end());
          out[ids] = r;
        }
    return out;
  }

  std::unique_ptr<ExportEnv> env_;
  std::string url_;
  int64_t group_ = 0;
  std::map<std::string, int64_t> config_;
};

TEST_F(ConfigurationsTest, MappingIsValidatedAgainstTestRailAndSuggestsByName) {
  // Nothing mapped yet: the groups are listed for the picker.
  auto empty = env_->h->Get(url_, env_->admin);
  ASSERT_EQ(empty.status, 200) << empty.raw;
  EXPECT_TRUE(empty.body["attributes"].empty());
  ASSERT_EQ(empty.body["groups"].size(), 1u);
  EXPECT_EQ(empty.body["groups"][0]["name"], "Platform");
  auto remote = env_->h->Get(env_->pbase + "/testrail/remote/configs", env_->admin);
  ASSERT_EQ(remote.status, 200) << remote.raw;
  EXPECT_EQ(remote.body["items"][0]["configs"].size(), 3u);

  // Unknown group, unknown config: 400 naming them; nothing saved.
  auto bad_group = SaveMapping({{"PC", config_["PC"]}}, 999);
  ASSERT_EQ(bad_group.status, 400) << bad_group.raw;
  EXPECT_EQ(bad_group.body["error"]["code"], "unknown_config_group") << bad_group.raw;
  EXPECT_EQ(bad_group.body["error"]["field"], "attributes[0].group_id");
  EXPECT_NE(bad_group.raw.find("999"), std::string::npos);
  auto bad_config = SaveMapping({{"PC", config_["PC"]}, {"Wii", 4242}});
  ASSERT_EQ(bad_config.status, 400) << bad_config.raw;
  EXPECT_EQ(bad_config.body["error"]["code"], "unknown_config") << bad_config.raw;
  EXPECT_NE(bad_config.raw.find("4242 (for 'Wii')"), std::string::npos) << bad_config.raw;
  auto malformed = env_->h->Put(url_, env_->admin, {{"attributes", "platform"}});
  EXPECT_EQ(malformed.status, 400) << malformed.raw;
  auto viewer = env_->h->Put(url_, env_->viewer, {{"attributes", Json::array()}});
  EXPECT_EQ(viewer.status, 403) << viewer.raw;
  EXPECT_TRUE(env_->h->Get(url_, env_->admin).body["attributes"].empty());

  // Saved; a run value not mapped yet gets a suggestion by name ignoring case.
  const int64_t test = env_->MakeTest({env_->cases_a[0]});
  RunOn(test, "ps5");
  auto saved = SaveMapping({{"PC", config_["PC"]}});
  ASSERT_EQ(saved.status, 200) << saved.raw;
  const Json& a = saved.body["attributes"][0];
  EXPECT_EQ(a["attribute"], "platform");
  EXPECT_EQ(a["group_name"], "Platform");
  EXPECT_EQ(a["values"][0]["config_name"], "PC");
  ASSERT_EQ(a["suggestions"].size(), 1u) << saved.raw;
  EXPECT_EQ(a["suggestions"][0]["value"], "ps5");
  EXPECT_EQ(a["suggestions"][0]["config_id"], config_["PS5"]);
  EXPECT_TRUE(saved.body["problems"].empty());
}

TEST_F(ConfigurationsTest, ConfigDeletedInTestRailIsFlaggedAndRefusedBeforeAnyWrite) {
  ASSERT_EQ(SaveMapping({{"PC", config_["PC"]}, {"PS5", config_["PS5"]}}).status, 200);
  // As if PS5 had been deleted in TestRail since: the stored mapping names a config id the
  // group no longer has.
  ASSERT_TRUE(
      env_->h->store()
          .SaveTestRailConfigurations(env_->project,
                                      Json{{"attributes",
                                            {{{"attribute", "platform"},
                                              {"group_id", group_},
                                              {"values", {{"PC", config_["PC"]}, {"PS5", 9999}}}}}}}
                                          .dump(),
                                      1)
          .ok());
  auto r = env_->h->Get(url_, env_->admin);
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["problems"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["problems"][0]["problem"], "config_disappeared");
  EXPECT_EQ(r.body["problems"][0]["field"], "attributes[0].values.PS5");
  for (const auto& v : r.body["attributes"][0]["values"])
    EXPECT_EQ(v["present"], v["value"] == "PC") << v.dump();

  const int64_t test = env_->MakeTest({env_->cases_a[0]});
  const int64_t run = RunOn(test, "PS5");
  for (bool dry : {true, false}) {
    auto e = env_->Export({{"run_id", run}, {"dry_run", dry}});
    ASSERT_EQ(e.status, 400) << e.raw;
    EXPECT_EQ(e.body["error"]["code"], "unknown_config") << e.raw;
    EXPECT_NE(e.raw.find("9999 (platform=PS5)"), std::string::npos) << e.raw;
  }
  RemoteState remote = ReadRemote(*env_->client);
  EXPECT_TRUE(remote.runs.empty());
  EXPECT_TRUE(remote.plans.empty());
}

// The "Done when" of issue 14 for configurations.
TEST_F(ConfigurationsTest, RunsOnPcAndPs5LandInOnePlanWithOneRunPerConfiguration) {
  ASSERT_EQ(SaveMapping({{"PC", config_["PC"]}, {"PS5", config_["PS5"]}}).status, 200);
  // One test over two cases of suite A and one of suite B, run on PC (passes) and PS5
  // (fails); a run on Xbox (not mapped) and one without a platform are skipped.
  const int64_t test = env_->MakeTest({env_->cases_a[0], env_->cases_a[1], env_->cases_b[0]});
  const int64_t pc = RunOn(test, "PC");
  const int64_t ps5 = RunOn(test, "PS5", "Stopped", "DefinitelyBug");
  const int64_t xbox = RunOn(test, "Xbox");
  const int64_t none = RunOn(test, "");
  const Json body = {{"run_ids", {pc, ps5, xbox, none}}};

  // The preview shows the configuration runs.
  Json dry = body;
  dry["dry_run"] = true;
  auto preview = env_->Export(dry);
  ASSERT_EQ(preview.status, 200) << preview.raw;
  const Json& entries = preview.body["preview"]["entries"];
  ASSERT_EQ(entries.size(), 4u) << preview.raw;  // (suite A, B) × (PC, PS5)
  std::map<std::string, int> labels;
  for (const auto& e : entries) {
    labels[e["config_label"].get<std::string>()]++;
    EXPECT_EQ(e["config_ids"].size(), 1u);
  }
  EXPECT_EQ(labels["platform=PC"], 2);
  EXPECT_EQ(labels["platform=PS5"], 2);
  EXPECT_TRUE(ReadRemote(*env_->client).plans.empty());

  auto done = env_->Export(body);
  ASSERT_EQ(done.status, 200) << done.raw;
  ASSERT_EQ(done.body["state"], "succeeded") << done.raw;
  EXPECT_EQ(done.body["export_strategy"], "multi_suite_plan");
  int skipped_runs = 0;
  for (const auto& w : done.body["warnings"])
    if (w["type"] == "run_configuration_unmapped") {
      ++skipped_runs;
      EXPECT_TRUE(w["run_id"] == xbox || w["run_id"] == none) << w.dump();
      EXPECT_NE(w["message"].get<std::string>().find("skipped"), std::string::npos);
    }
  EXPECT_EQ(skipped_runs, 2) << done.raw;

  RemoteState remote = ReadRemote(*env_->client);
  EXPECT_TRUE(remote.runs.empty());
  ASSERT_EQ(remote.plans.size(), 1u);
  const testrail::Plan& plan = remote.plans[0];
  ASSERT_EQ(plan.entries.size(), 2u) << "one entry per suite";
  for (int64_t suite : {env_->suite_a, env_->suite_b}) {
    auto runs = RunsByConfig(plan, suite);
    ASSERT_EQ(runs.size(), 2u) << "suite " << suite;
    const testrail::Run& on_pc = runs.at({config_["PC"]});
    const testrail::Run& on_ps5 = runs.at({config_["PS5"]});
    const auto& pc_results = remote.last_status[on_pc.id];
    const auto& ps5_results = remote.last_status[on_ps5.id];
    const std::vector<int64_t> cases =
        suite == env_->suite_a ? std::vector<int64_t>{env_->cases_a[0], env_->cases_a[1]}
                               : std::vector<int64_t>{env_->cases_b[0]};
    ASSERT_EQ(pc_results.size(), cases.size());
    ASSERT_EQ(ps5_results.size(), cases.size());
    for (int64_t c : cases) {
      EXPECT_EQ(pc_results.at(c), 1) << "PC passed, case " << c;
      EXPECT_EQ(ps5_results.at(c), 5) << "PS5 failed, case " << c;
      EXPECT_EQ(remote.results[on_pc.id][c], 1);
      EXPECT_EQ(remote.results[on_ps5.id][c], 1);
    }
  }
  EXPECT_EQ(remote.total_results, 6);
  EXPECT_TRUE(plan.is_completed);
}

// Issue 17 with configurations: a run's artifacts go to the result of ITS configuration only,
// and "failed" judges that result (the PS5 run failed, the PC run passed).
TEST_F(ConfigurationsTest, ArtifactsGoToTheResultOfTheirRunsConfigurationOnly) {
  ASSERT_EQ(SaveMapping({{"PC", config_["PC"]}, {"PS5", config_["PS5"]}}).status, 200);
  const int64_t test = env_->MakeTest({env_->cases_a[0]});
  const int64_t pc = RunOn(test, "PC");
  const int64_t ps5 = RunOn(test, "PS5", "Stopped", "DefinitelyBug");
  for (const auto& [run, name] : {std::pair{pc, "pc.png"}, std::pair{ps5, "ps5.png"}}) {
    auto up = env_->h->Call(
        "POST", env_->pbase + "/runs/" + std::to_string(run) + "/artifacts?name=" + name,
        env_->admin, std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, 'p'),
        {{"Content-Type", "image/png"}});
    ASSERT_EQ(up.status, 201) << up.raw;
  }
  // Per configuration of the export's plan: the names on its test of case cases_a[0] and the
  // comment of its result.
  auto on = [&](int64_t plan_id) {
    std::map<int64_t, std::pair<std::vector<std::string>, std::string>> out;  // config → …
    auto plan = env_->client->GetPlan(plan_id);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok()) return out;
    for (const auto& [ids, run] : RunsByConfig(*plan, env_->suite_a)) {
      auto tests = env_->client->GetTests(run.id);
      EXPECT_TRUE(tests.ok());
      if (!tests.ok() || tests->size() != 1u) continue;
      auto a = testrail::GetAttachmentsForTest(*env_->client, (*tests)[0].id);
      EXPECT_TRUE(a.ok());
      auto& [names, comment] = out[ids.at(0)];
      if (a.ok())
        for (const auto& x : *a) names.push_back(x.name);
      std::sort(names.begin(), names.end());
      auto results = env_->client->GetResultsForRun(run.id);
      if (results.ok() && !results->empty()) comment = (*results)[0].comment;
    }
    return out;
  };
  using Names = std::vector<std::string>;

  auto failed = env_->Export({{"run_ids", {pc, ps5}}, {"attachments", {{"mode", "failed"}}}});
  ASSERT_EQ(failed.status, 200) << failed.raw;
  ASSERT_EQ(failed.body["state"], "succeeded") << failed.raw;
  EXPECT_EQ(failed.body["attachments"]["sent"], 1) << failed.raw;
  auto f = on(failed.body["testrail_plan_id"].get<int64_t>());
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[config_["PC"]].first, Names{}) << "the passed configuration gets nothing";
  EXPECT_EQ(f[config_["PS5"]].first, Names{"ps5.png"});
  EXPECT_EQ(f[config_["PC"]].second.find("Attachments:"), std::string::npos)
      << f[config_["PC"]].second;
  EXPECT_NE(f[config_["PS5"]].second.find("Attachments: ps5.png"), std::string::npos)
      << f[config_["PS5"]].second;

  auto all = env_->Export(
      {{"run_ids", {pc, ps5}}, {"force_new_run", true}, {"attachments", {{"mode", "all"}}}});
  ASSERT_EQ(all.status, 200) << all.raw;
  ASSERT_EQ(all.body["state"], "succeeded") << all.raw;
  EXPECT_EQ(all.body["attachments"]["sent"], 2) << all.raw;
  auto a = on(all.body["testrail_plan_id"].get<int64_t>());
  EXPECT_EQ(a[config_["PC"]].first, Names{"pc.png"});
  EXPECT_EQ(a[config_["PS5"]].first, Names{"ps5.png"});
  EXPECT_EQ(a[config_["PC"]].second.find("ps5.png"), std::string::npos) << a[config_["PC"]].second;
}

TEST_F(ConfigurationsTest, ASingleRunExportWithAMappingBecomesAPlan) {
  ASSERT_EQ(SaveMapping({{"PS5", config_["PS5"]}}).status, 200);
  const int64_t test = env_->MakeTest({env_->cases_a[0]});
  auto done = env_->Export({{"run_id", RunOn(test, "PS5")}});
  ASSERT_EQ(done.status, 200) << done.raw;
  ASSERT_EQ(done.body["state"], "succeeded") << done.raw;
  RemoteState remote = ReadRemote(*env_->client);
  EXPECT_TRUE(remote.runs.empty());
  ASSERT_EQ(remote.plans.size(), 1u);
  auto runs = RunsByConfig(remote.plans[0], env_->suite_a);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.begin()->first, std::vector<int64_t>{config_["PS5"]});
  EXPECT_EQ(remote.total_results, 1);

  // Only unmapped runs: nothing to send, nothing created, the reason says why.
  auto nothing = env_->Export({{"run_id", RunOn(test, "Xbox")}});
  ASSERT_EQ(nothing.status, 200) << nothing.raw;
  EXPECT_EQ(nothing.body["error_code"], "nothing_to_send") << nothing.raw;
  EXPECT_NE(nothing.raw.find("none with a TestRail configuration"), std::string::npos);
  EXPECT_EQ(ReadRemote(*env_->client).plans.size(), 1u);
}

// Exactly once with configurations (R-Q-IDEMP): add_plan applied but answered ambiguously
// (500 after apply / reset after apply); the executor finds the plan by its marker and maps
// each configuration to its run through get_plan, then sends each result once.
TEST_F(ConfigurationsTest, AmbiguousAddPlanIsRecoveredThroughGetPlanExactlyOnce) {
  ASSERT_EQ(SaveMapping({{"PC", config_["PC"]}, {"PS5", config_["PS5"]}}).status, 200);
  for (const char* fault : {"add_plan:1:500-after-apply", "add_plan:1:reset-after-apply"}) {
    SCOPED_TRACE(fault);
    auto cfg = env_->sim->config();
    cfg.faults.clear();
    env_->sim->SetConfig(cfg);
    env_->AddFault(fault);
    const int64_t test = env_->MakeTest({env_->cases_a[0], env_->cases_a[1]});
    const int64_t pc = RunOn(test, "PC");
    const int64_t ps5 = RunOn(test, "PS5", "Stopped", "DefinitelyBug");
    const size_t plans_before = ReadRemote(*env_->client).plans.size();
    auto done = env_->Export({{"run_ids", {pc, ps5}}});
    ASSERT_EQ(done.status, 200) << done.raw;
    ASSERT_EQ(done.body["state"], "succeeded") << done.raw;
    RemoteState remote = ReadRemote(*env_->client);
    ASSERT_EQ(remote.plans.size(), plans_before + 1) << "exactly one plan";
    const int64_t plan_id = done.body["testrail_plan_id"];
    const testrail::Plan* plan = nullptr;
    for (const auto& p : remote.plans)
      if (p.id == plan_id) plan = &p;
    ASSERT_NE(plan, nullptr);
    auto runs = RunsByConfig(*plan, env_->suite_a);
    ASSERT_EQ(runs.size(), 2u);
    for (int64_t c : {env_->cases_a[0], env_->cases_a[1]}) {
      EXPECT_EQ(remote.results[runs.at({config_["PC"]}).id][c], 1);
      EXPECT_EQ(remote.results[runs.at({config_["PS5"]}).id][c], 1);
      EXPECT_EQ(remote.last_status[runs.at({config_["PC"]}).id][c], 1);
      EXPECT_EQ(remote.last_status[runs.at({config_["PS5"]}).id][c], 5);
    }
  }
  EXPECT_GE(env_->sim->Stats().faults_injected, 2);
}

// Step results only for cases whose template has separated steps (R-STEPRES): the simulator's
// generated cases use "Test Case (Steps)"; one case is switched to the text template. The
// preview says which case gets none; TestRail receives per-step results for the other only.
TEST(StepTemplatesTest, StepResultsOnlyForCasesWithSeparatedSteps) {
  ExportEnv env(4, 0, nullptr,
                [](testrail_sim::GenerateSpec& spec) { spec.steps_template = true; });
  const int64_t steps_case = env.cases_a[0];
  const int64_t text_case = env.cases_a[1];
  auto upd = env.client->Post("update_case/" + std::to_string(text_case), {{"template_id", 1}});
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  auto fields = env.h->Put(env.pbase + "/testrail/export-fields", env.admin,
                           {{"fields", Json::object()}, {"step_results", true}});
  ASSERT_EQ(fields.status, 200) << fields.raw;
  const std::string step_field = fields.body["step_results_field"];

  auto t = env.h->Post(env.pbase + "/tests", env.admin,
                       {{"name", "Boot"},
                        {"steps",
                         {{{"goal", "power on"}, {"expected_results", {"logo"}}},
                          {{"goal", "menu"}, {"expected_results", {"menu shows"}}}}}});
  ASSERT_EQ(t.status, 201) << t.raw;
  const int64_t test = t.body["id"];
  ASSERT_TRUE(
      env.h->store().ReplaceTestRailLinks(env.project, test, "", {steps_case, text_case}, 1).ok());
  auto r = env.h->Post(
      env.pbase + "/runs", env.admin,
      {{"test_id", test},
       {"result", "Stopped"},
       {"bug_label", "DefinitelyBug"},
       {"started_at", "2026-01-01T10:00:00Z"},
       {"finished_at", "2026-01-01T10:01:00Z"},
       {"build", "1.0"},
       {"steps",
        {{{"step_id", t.body["steps"][0]["id"]}, {"result", "Success"}, {"bug_label", "NoBug"}},
         {{"step_id", t.body["steps"][1]["id"]},
          {"result", "Stopped"},
          {"bug_label", "DefinitelyBug"},
          {"comment", "menu froze"}}}}});
  ASSERT_EQ(r.status, 201) << r.raw;
  const int64_t run = r.body["id"];

  auto preview = env.Export({{"run_id", run}, {"dry_run", true}});
  ASSERT_EQ(preview.status, 200) << preview.raw;
  bool warned = false;
  for (const auto& w : preview.body["warnings"])
    if (w["type"] == "step_results_not_applicable") {
      warned = true;
      EXPECT_NE(w["message"].get<std::string>().find("C" + std::to_string(text_case)),
                std::string::npos);
      EXPECT_EQ(w["message"].get<std::string>().find("C" + std::to_string(steps_case) + ","),
                std::string::npos);
    }
  EXPECT_TRUE(warned) << preview.raw;
  for (const auto& c : preview.body["preview"]["entries"][0]["cases"])
    EXPECT_EQ(c["fields"].contains(step_field), c["case_id"] == steps_case) << c.dump();

  auto done = env.Export({{"run_id", run}});
  ASSERT_EQ(done.status, 200) << done.raw;
  ASSERT_EQ(done.body["state"], "succeeded") << done.raw;
  auto res = env.client->Get("get_results_for_run/" +
                             std::to_string(done.body["testrail_run_id"].get<int64_t>()));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  const Json list = res->is_object() ? (*res)["results"] : *res;
  auto tests = env.client->GetTests(done.body["testrail_run_id"]);
  ASSERT_TRUE(tests.ok());
  std::map<int64_t, int64_t> case_of;
  for (const auto& x : *tests) case_of[x.id] = x.case_id;
  ASSERT_EQ(list.size(), 2u) << list.dump();
  for (const auto& x : list) {
    const int64_t c = case_of[x["test_id"].get<int64_t>()];
    if (c == steps_case) {
      ASSERT_TRUE(x.contains(step_field) && x[step_field].is_array()) << x.dump();
      ASSERT_EQ(x[step_field].size(), 2u) << x.dump();
      EXPECT_EQ(x[step_field][0]["status_id"], 1);
      EXPECT_EQ(x[step_field][1]["status_id"], 5);
      EXPECT_EQ(x[step_field][1]["actual"], "menu froze");
    } else {
      EXPECT_TRUE(!x.contains(step_field) || x[step_field].is_null() ||
                  (x[step_field].is_array() && x[step_field].empty()))
          << x.dump();
    }
  }
}

}  // namespace
}  // namespace nexus::testing
