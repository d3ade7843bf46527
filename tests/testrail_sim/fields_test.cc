// Custom result/case fields, templates and the validation TestRail applies to results on
// company instances (issue 14): required fields, types, dropdown option ids, `elapsed` "0s",
// required `version`, step results. Each rule asserts TestRail's text AND that nothing was
// written (no result, run counters unchanged).
#include "testrail_sim/sim_test_util.h"

namespace testrail_sim::testing {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

CustomField Field(const std::string& spec) {
  CustomField f;
  bool version = false;
  std::string error;
  EXPECT_TRUE(ParseFieldSpec(spec, &f, &version, &error)) << spec << ": " << error;
  return f;
}

// Project 2 (single suite) with a run over its first three cases.
class FieldsTest : public SimTest {
 protected:
  void SetUp() override {}  // each test starts its own simulator
  void Start(GenerateSpec spec) {
    SimulatorOptions opts;
    opts.generate = spec;
    StartSim(opts);
    Reply cases = api_->Get("get_cases/2");
    for (const auto& c : cases.json["cases"]) {
      if (case_ids_.size() == 3) break;
      case_ids_.push_back(c["id"]);
    }
    run_ = AddRun(2, {{"name", "fields"}, {"include_all", false}, {"case_ids", case_ids_}});
    Reply tests = api_->Get("get_tests/" + S(run_));
    for (const auto& t : tests.json["tests"]) test_ids_.push_back(t["id"]);
  }
  GenerateSpec WithFields(std::initializer_list<const char*> specs) {
    GenerateSpec g = StandardSpec();
    for (const char* s : specs) g.result_fields.push_back(Field(s));
    return g;
  }
  Reply Bulk(const Json& results) {
    return api_->Post("add_results_for_cases/" + S(run_), {{"results", results}});
  }
  Reply ForCase(const Json& body) {
    return api_->Post("add_result_for_case/" + S(run_) + "/" + S(case_ids_[0]), body);
  }
  Reply ForTest(const Json& body) { return api_->Post("add_result/" + S(test_ids_[0]), body); }
  // Nothing written: no result at all and every test still untested.
  void ExpectNothingWritten() {
    EXPECT_EQ(sim_->model().ResultCount(), 0u);
    EXPECT_EQ(api_->Get("get_run/" + S(run_)).json["untested_count"], 3);
  }
  // The same refusal through the three result methods.
  void ExpectRefusedEverywhere(const Json& extra, const std::string& bulk_text,
                               const std::string& single_text) {
    Json entry{{"case_id", case_ids_[0]}, {"status_id", 1}};
    for (const auto& [k, v] : extra.items()) entry[k] = v;
    Json good{{"case_id", case_ids_[1]}, {"status_id", 1}, {"custom_env", 1}};
    Reply bulk = Bulk({good, entry});  // the valid first entry must not be written either
    EXPECT_EQ(bulk.status, 400) << bulk.body;
    EXPECT_EQ(bulk.error(), bulk_text);
    Json single = entry;
    single.erase("case_id");
    Reply for_case = ForCase(single);
    EXPECT_EQ(for_case.status, 400) << for_case.body;
    EXPECT_EQ(for_case.error(), single_text);
    Reply for_test = ForTest(single);
    EXPECT_EQ(for_test.status, 400) << for_test.body;
    EXPECT_EQ(for_test.error(), single_text);
    ExpectNothingWritten();
  }
  std::vector<int64_t> case_ids_;
  std::vector<int64_t> test_ids_;
  int64_t run_ = 0;
};

constexpr const char* kEnv = "name=custom_env,type=dropdown,options=Staging|Prod,required=true";

TEST_F(FieldsTest, ResultFieldsListTheFlagFieldInTestRailShape) {
  Start(WithFields({kEnv}));
  Reply r = api_->Get("get_result_fields");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.json.is_array());
  const Json* env = nullptr;
  for (const auto& f : r.json)
    if (f["system_name"] == "custom_env") env = &f;
  ASSERT_NE(env, nullptr) << r.body;
  EXPECT_EQ((*env)["name"], "env");
  EXPECT_EQ((*env)["label"], "Env");
  EXPECT_EQ((*env)["type_id"], 6);
  EXPECT_EQ((*env)["is_active"], true);
  EXPECT_EQ((*env)["include_all"], true);
  for (const char* key : {"id", "description", "display_order", "template_ids", "configs"})
    EXPECT_TRUE(env->contains(key)) << key;
  const Json& cfg = (*env)["configs"][0];
  EXPECT_EQ(cfg["context"]["is_global"], true);
  EXPECT_TRUE(cfg["context"]["project_ids"].is_null());
  EXPECT_EQ(cfg["options"]["is_required"], true);
  EXPECT_EQ(cfg["options"]["items"], "1, Staging\n2, Prod");
  // The default step results field of "Test Case (Steps)" is there too.
  bool steps = false;
  for (const auto& f : r.json)
    steps |= f["system_name"] == "custom_step_results" && f["type_id"] == 11 &&
             f["template_ids"] == Json::array({2});
  EXPECT_TRUE(steps) << r.body;
}

TEST_F(FieldsTest, CaseFieldsAndTemplates) {
  Start(StandardSpec());
  Reply fields = api_->Get("get_case_fields");
  ASSERT_EQ(fields.status, 200);
  std::set<std::string> names;
  for (const auto& f : fields.json) names.insert(f["system_name"]);
  EXPECT_TRUE(names.count("custom_steps_separated"));
  EXPECT_TRUE(names.count("custom_preconds"));
  EXPECT_TRUE(names.count("custom_automation_type"));
  EXPECT_FALSE(names.count("custom_step_results"));  // a result field, not a case field
  Reply templates = api_->Get("get_templates/1");
  ASSERT_EQ(templates.status, 200);
  ASSERT_EQ(templates.json.size(), 3u);
  EXPECT_EQ(templates.json[0],
            (Json{{"id", 1}, {"name", "Test Case (Text)"}, {"is_default", true}}));
  EXPECT_EQ(templates.json[1]["name"], "Test Case (Steps)");
  EXPECT_EQ(api_->Get("get_templates/99").error(),
            "Field :project_id is not a valid or accessible project.");
}

TEST_F(FieldsTest, DefaultSimulatorHasNoRequiredField) {
  Start(StandardSpec());
  Reply r = Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}}});
  EXPECT_EQ(r.status, 200) << r.body;
  for (const auto& f : api_->Get("get_result_fields").json)
    EXPECT_EQ(f["configs"][0]["options"]["is_required"], false) << f.dump();
}

TEST_F(FieldsTest, RequiredFieldMissingIsRefused) {
  Start(WithFields({kEnv}));
  ExpectRefusedEverywhere(Json::object(), "Field :custom_env is a required field.",
                          "Field :custom_env is a required field.");
  // Empty and null values count as missing.
  EXPECT_EQ(Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}, {"custom_env", nullptr}}}).error(),
            "Field :custom_env is a required field.");
  EXPECT_EQ(Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}, {"custom_env", ""}}}).error(),
            "Field :custom_env is a required field.");
  // A comment-only result needs it too.
  EXPECT_EQ(Bulk({{{"case_id", case_ids_[0]}, {"comment", "note"}}}).error(),
            "Field :custom_env is a required field.");
  ExpectNothingWritten();
}

TEST_F(FieldsTest, TestRailsOwnFieldNameTextIsReproduced) {
  Start(WithFields({"name=testenvironment,type=string,required=true"}));
  Reply r = Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error(), "Field :custom_testenvironment is a required field.");
  ExpectNothingWritten();
}

TEST_F(FieldsTest, DropdownOptionIdMustExist) {
  Start(WithFields({kEnv}));
  ExpectRefusedEverywhere({{"custom_env", 3}}, "Field :custom_env is not a valid dropdown value.",
                          "Field :custom_env is not a valid dropdown value.");
  ExpectRefusedEverywhere({{"custom_env", "Prod"}},
                          "Field :custom_env is not a valid dropdown value.",
                          "Field :custom_env is not a valid dropdown value.");
  Reply ok = Bulk({{{"case_id", case_ids_[0]}, {"status_id", 5}, {"custom_env", 2}}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json[0]["custom_env"], 2);
  EXPECT_EQ(api_->Get("get_results_for_run/" + S(run_)).json["results"][0]["custom_env"], 2);
}

TEST_F(FieldsTest, FieldTypesAreChecked) {
  Start(WithFields({"name=count,type=integer", "name=link,type=url", "name=flag,type=checkbox",
                    "name=oses,type=multiselect,options=Linux|Windows", "name=owner,type=user",
                    "name=short,type=string", "name=target,type=milestone"}));
  struct Case {
    Json extra;
    std::string text;
  };
  const Case kCases[] = {
      {{{"custom_count", "many"}}, "Field :custom_count is not a valid integer."},
      {{{"custom_link", "ftp://x"}}, "Field :custom_link is not a valid URL."},
      {{{"custom_flag", 2}}, "Field :custom_flag is not a valid checkbox value."},
      {{{"custom_oses", {1, 3}}}, "Field :custom_oses is not a valid multi-select value."},
      {{{"custom_oses", 1}}, "Field :custom_oses is not a valid multi-select value."},
      {{{"custom_owner", 42}}, "Field :custom_owner is not a valid user."},
      {{{"custom_short", std::string(251, 'x')}},
       "Field :custom_short is too long (250 characters at most)."},
      {{{"custom_target", 1}}, "Field :custom_target is not a valid milestone."},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.extra.dump());
    ExpectRefusedEverywhere(c.extra, c.text, c.text);
  }
  Reply ok = Bulk({{{"case_id", case_ids_[0]},
                    {"status_id", 1},
                    {"custom_count", 3},
                    {"custom_link", "https://ci/1"},
                    {"custom_flag", true},
                    {"custom_oses", {1, 2}},
                    {"custom_owner", 1},
                    {"custom_short", "ok"}}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(FieldsTest, ElapsedZeroIsRefusedByDefault) {
  Start(StandardSpec());
  for (const Json& zero : {Json("0s"), Json("0m 0s"), Json("0"), Json(0)}) {
    SCOPED_TRACE(zero.dump());
    ExpectRefusedEverywhere({{"elapsed", zero}},
                            "Field :results.elapsed is not in a valid time span format.",
                            "Field :elapsed is not in a valid time span format.");
  }
  ExpectRefusedEverywhere({{"elapsed", "soon"}},
                          "Field :results.elapsed is not in a valid time span format.",
                          "Field :elapsed is not in a valid time span format.");
  Reply ok = Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}, {"elapsed", "1s"}}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(FieldsTest, RequiredVersion) {
  GenerateSpec g = StandardSpec();
  CustomField f;
  bool version = false;
  std::string error;
  ASSERT_TRUE(ParseFieldSpec("name=version,required=true", &f, &version, &error)) << error;
  EXPECT_TRUE(version);
  EXPECT_TRUE(f.name.empty());
  g.version_required = version;
  Start(g);
  ExpectRefusedEverywhere(Json::object(), "Field :results.version is a required field.",
                          "Field :version is a required field.");
  EXPECT_EQ(Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}, {"version", "1.0"}}}).status, 200);
}

TEST_F(FieldsTest, FieldOfAnotherProjectDoesNotApply) {
  Start(WithFields({"name=env,type=dropdown,options=A|B,required=true,projects=1"}));
  // The run is in project 2: the field is not configured there, so not required.
  Reply ok = Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  Reply fields = api_->Get("get_result_fields");
  bool seen = false;
  for (const auto& f : fields.json) {
    if (f["system_name"] != "custom_env") continue;
    seen = true;
    EXPECT_EQ(f["configs"][0]["context"]["is_global"], false);
    EXPECT_EQ(f["configs"][0]["context"]["project_ids"], Json::array({1}));
  }
  EXPECT_TRUE(seen);
}

TEST_F(FieldsTest, TemplateLimitedRequiredField) {
  // Required only for "Test Case (Steps)": text-template cases are not affected…
  Start(WithFields({"name=device,type=string,required=true,templates=2"}));
  EXPECT_EQ(Bulk({{{"case_id", case_ids_[0]}, {"status_id", 1}}}).status, 200);
  // …but with --steps-template every generated case uses it.
  GenerateSpec g = WithFields({"name=device,type=string,required=true,templates=2"});
  g.steps_template = true;
  case_ids_.clear();
  test_ids_.clear();
  Start(g);
  Reply c = api_->Get("get_case/" + S(case_ids_[0]));
  EXPECT_EQ(c.json["template_id"], 2);
  ASSERT_TRUE(c.json["custom_steps_separated"].is_array());
  EXPECT_GE(c.json["custom_steps_separated"].size(), 2u);
  EXPECT_TRUE(c.json["custom_steps_separated"][0].contains("content"));
  EXPECT_TRUE(c.json["custom_steps_separated"][0].contains("expected"));
  ExpectRefusedEverywhere(Json::object(), "Field :custom_device is a required field.",
                          "Field :custom_device is a required field.");
}

TEST_F(FieldsTest, StepResultsShape) {
  GenerateSpec g = StandardSpec();
  g.steps_template = true;
  Start(g);
  ExpectRefusedEverywhere({{"custom_step_results", "passed"}},
                          "Field :custom_step_results is not a valid array.",
                          "Field :custom_step_results is not a valid array.");
  ExpectRefusedEverywhere(
      {{"custom_step_results", {{{"content", "a"}, {"status_id", 3}}}}},
      "Field :custom_step_results contains an invalid step (step 1: status_id 3 is not a valid "
      "status)",
      "Field :custom_step_results contains an invalid step (step 1: status_id 3 is not a valid "
      "status)");
  ExpectRefusedEverywhere({{"custom_step_results", {{{"content", "a"}, {"status_id", 1}}, 7}}},
                          "Field :custom_step_results contains an invalid step (step 2: not an "
                          "object)",
                          "Field :custom_step_results contains an invalid step (step 2: not an "
                          "object)");
  ExpectRefusedEverywhere({{"custom_step_results", {{{"content", 5}}}}},
                          "Field :custom_step_results contains an invalid step (step 1: content "
                          "is not a string)",
                          "Field :custom_step_results contains an invalid step (step 1: content "
                          "is not a string)");
  Json steps = {
      {{"content", "Open"}, {"expected", "Opens"}, {"actual", "Opens"}, {"status_id", 1}},
      {{"content", "Submit"}, {"expected", "Saved"}, {"actual", "500"}, {"status_id", 5}}};
  Reply ok = Bulk({{{"case_id", case_ids_[0]}, {"status_id", 5}, {"custom_step_results", steps}}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json[0]["custom_step_results"], steps);
}

TEST_F(FieldsTest, MissingCaseIdInBulk) {
  Start(StandardSpec());
  Reply r = Bulk({{{"status_id", 1}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error(), "Field :results.case_id is a required field.");
  Reply t = api_->Post("add_results/" + S(run_), {{"results", {{{"status_id", 1}}}}});
  EXPECT_EQ(t.error(), "Field :results.test_id is a required field.");
  ExpectNothingWritten();
}

TEST(FieldSpecTest, ParsesAndRefuses) {
  CustomField f;
  bool version = false;
  std::string error;
  ASSERT_TRUE(ParseFieldSpec(
      "name=custom_build_env,type=multi-select,options=A|B|C,required=false,label=Build env,"
      "projects=1|3,templates=2",
      &f, &version, &error))
      << error;
  EXPECT_EQ(f.system_name(), "custom_build_env");
  EXPECT_EQ(f.type_id, 12);
  EXPECT_EQ(f.label, "Build env");
  EXPECT_FALSE(f.include_all);
  EXPECT_EQ(f.template_ids, (std::vector<int64_t>{2}));
  ASSERT_EQ(f.configs.size(), 1u);
  EXPECT_FALSE(f.configs[0].is_global);
  EXPECT_EQ(f.configs[0].project_ids, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(f.configs[0].items.size(), 3u);
  EXPECT_FALSE(version);
  const std::pair<const char*, const char*> kBad[] = {
      {"type=string", "a field needs name=..."},
      {"name=x,type=colour", "unknown field type 'colour'"},
      {"name=x,type=dropdown", "field 'x': a dropdown needs options=A|B"},
      {"name=x,type=string,options=A", "field 'x': options= is only for dropdown and multiselect"},
      {"name=x,size=3", "unknown field key 'size'"},
      {"name=x,required=maybe", "field 'required' must be true or false"},
      {"name=Bad Name", "field name 'Bad Name' must be lower-case letters, digits and _"},
      {"name=x,projects=one", "field 'projects' must be a |-separated list of ids"},
  };
  for (const auto& [text, want] : kBad) {
    EXPECT_FALSE(ParseFieldSpec(text, &f, &version, &error)) << text;
    EXPECT_EQ(error, want) << text;
  }
}

TEST(FieldSpecTest, DataFileFieldsAndSnapshotRoundTrip) {
  Model m;
  std::string error;
  Json data = {
      {"projects", {{{"id", 1}, {"name", "P"}}}},
      {"sections", {{{"id", 1}, {"suite_id", 1}, {"name", "S"}}}},
      {"cases", {{{"id", 5}, {"section_id", 1}, {"title", "c"}}}},
      {"result_fields", {kEnv, "name=version,required=true"}},
      {"milestones", {{{"id", 3}, {"project_id", 1}, {"name", "M"}}}},
      {"config_groups",
       {{{"id", 2}, {"project_id", 1}, {"name", "Platform"}, {"configs", {"PC", "PS5"}}}}}};
  ASSERT_TRUE(m.LoadJson(data, &error)) << error;
  Json snapshot = m.ToJson();
  Model back;
  ASSERT_TRUE(back.LoadJson(snapshot, &error)) << error;
  EXPECT_EQ(back.ToJson(), snapshot);
  bool env = false;
  for (const auto& f : snapshot["fields"]) env |= f["system_name"] == "custom_env";
  EXPECT_TRUE(env);
  EXPECT_EQ(snapshot["version_required"], true);
  EXPECT_EQ(snapshot["milestones"].size(), 1u);
  EXPECT_EQ(snapshot["config_groups"][0]["configs"].size(), 2u);
  EXPECT_FALSE(m.LoadJson({{"result_fields", {"name=x,type=nope"}}}, &error));
  EXPECT_EQ(error, "unknown field type 'nope'");
}

}  // namespace
}  // namespace testrail_sim::testing
