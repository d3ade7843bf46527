// Real TestRail instances (issue 14), Nexus side, against the simulator with two required
// custom result fields (one dropdown), milestones in two projects and several users:
// the export (and its dry run) is refused before any TestRail write while a required field
// has no value; with values configured it succeeds and every result carries them; field
// settings are validated against the instance and flagged when the field disappears; a
// milestone of another project is refused on save and per export; failed results are
// assigned to the chosen user.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "export_test_util.h"

namespace nexus::testing {
namespace {

using Json = nlohmann::json;

void AddField(testrail_sim::GenerateSpec& spec, const std::string& text) {
  testrail_sim::CustomField f;
  bool version_required = false;
  std::string error;
  if (!testrail_sim::ParseFieldSpec(text, &f, &version_required, &error))
    throw std::runtime_error(error);
  spec.result_fields.push_back(f);
}

class TestRailFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<ExportEnv>(4, 0, nullptr, [](testrail_sim::GenerateSpec& spec) {
      spec.projects = 2;
      spec.milestones = 4;
      AddField(spec, "name=testenv,type=dropdown,options=Staging|Prod,required=true,label=Env");
      AddField(spec, "name=buildtag,type=string,required=true,label=Build tag");
      AddField(spec, "name=notes,type=text,label=Notes");
    });
    fields_ = env_->pbase + "/testrail/export-fields";
  }

  // The system names of the fields by label, as Nexus lists them.
  std::map<std::string, Json> FieldsByLabel() {
    auto r = env_->h->Get(fields_, env_->admin);
    EXPECT_EQ(r.status, 200) << r.raw;
    std::map<std::string, Json> out;
    for (const auto& f : r.body["fields"]) out[f["label"].get<std::string>()] = f;
    return out;
  }

  // Raw results of a TestRail run (custom_* members included).
  Json ResultsOf(int64_t run_id) {
    auto r = env_->client->Get("get_results_for_run/" + std::to_string(run_id));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return Json::array();
    return r->is_object() ? (*r)["results"] : *r;
  }

  // Milestone ids of TestRail project `p` (top level and nested).
  std::vector<Json> MilestonesOf(int64_t p) {
    auto r = env_->client->GetMilestones(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<Json> out;
    if (!r.ok()) return out;
    for (const auto& m : *r) {
      out.push_back({{"id", m.id}, {"completed", m.is_completed}, {"parent", nullptr}});
      for (const auto& s : m.milestones)
        out.push_back({{"id", s.id}, {"completed", s.is_completed}, {"parent", m.id}});
    }
    return out;
  }

  std::unique_ptr<ExportEnv> env_;
  std::string fields_;
};

// The "Done when" of issue 14 for result fields: refused before any write without the
// values, then a successful export carrying them.
TEST_F(TestRailFieldsTest, RequiredFieldsRefuseBeforeAnyWriteThenTravelWithEveryResult) {
  auto by_label = FieldsByLabel();
  ASSERT_TRUE(by_label.count("Env") && by_label.count("Build tag") && by_label.count("Notes"))
      << env_->h->Get(fields_, env_->admin).raw;
  const Json env_field = by_label["Env"];
  const std::string env_name = env_field["system_name"];
  const std::string tag_name = by_label["Build tag"]["system_name"];
  EXPECT_EQ(env_field["type"], "dropdown");
  EXPECT_EQ(env_field["required"], true);
  EXPECT_EQ(by_label["Notes"]["required"], false);
  ASSERT_EQ(env_field["options"].size(), 2u);
  EXPECT_EQ(env_field["options"][1]["label"], "Prod");
  const int64_t prod = env_field["options"][1]["id"];

  const int64_t test = env_->MakeTest({env_->cases_a[0], env_->cases_a[1]});
  const int64_t run = env_->MakeRun(test, "Success", "DefinitelyBug");

  // Dry run and export: 400 naming the first required field; nothing created in TestRail.
  for (bool dry : {true, false}) {
    auto r = env_->Export({{"run_id", run}, {"dry_run", dry}});
    ASSERT_EQ(r.status, 400) << r.raw;
    EXPECT_EQ(r.body["error"]["code"], "testrail_field_missing") << r.raw;
    EXPECT_EQ(r.body["error"]["field"], env_name) << r.raw;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("\"Env\""), std::string::npos);
  }
  RemoteState before = ReadRemote(*env_->client);
  EXPECT_TRUE(before.runs.empty());
  EXPECT_TRUE(before.plans.empty());

  // Bad settings are refused and change nothing.
  auto bad_option = env_->h->Put(fields_, env_->admin,
                                 {{"fields", {{env_name, {{"source", "fixed"}, {"value", 999}}}}}});
  EXPECT_EQ(bad_option.status, 400) << bad_option.raw;
  EXPECT_EQ(bad_option.body["error"]["code"], "invalid_field_value");
  auto unknown = env_->h->Put(
      fields_, env_->admin, {{"fields", {{"custom_nope", {{"source", "fixed"}, {"value", "x"}}}}}});
  EXPECT_EQ(unknown.status, 400) << unknown.raw;
  EXPECT_EQ(unknown.body["error"]["field"], "fields.custom_nope");
  auto viewer = env_->h->Put(fields_, env_->viewer, {{"fields", Json::object()}});
  EXPECT_EQ(viewer.status, 403) << viewer.raw;
  EXPECT_FALSE(FieldsByLabel()["Env"]["setting"].is_object());

  // Only the dropdown set: still refused, now naming the build tag.
  auto one = env_->h->Put(fields_, env_->admin,
                          {{"fields", {{env_name, {{"source", "fixed"}, {"value", prod}}}}}});
  ASSERT_EQ(one.status, 200) << one.raw;
  auto still = env_->Export({{"run_id", run}, {"dry_run", true}});
  ASSERT_EQ(still.status, 400) << still.raw;
  EXPECT_EQ(still.body["error"]["field"], tag_name);

  // Both set (the build tag from the run's build): the preview shows the values, the export
  // succeeds and every result in TestRail carries them.
  // (And the optional notes from the run's "platform" attribute.)
  const std::string notes_name = by_label["Notes"]["system_name"];
  ASSERT_EQ(env_->h
                ->Patch(env_->pbase + "/runs/" + std::to_string(run), env_->admin,
                        {{"attributes", {{"platform", "PS5"}}}})
                .status,
            200);
  auto both =
      env_->h->Put(fields_, env_->admin,
                   {{"fields",
                     {{env_name, {{"source", "fixed"}, {"value", prod}}},
                      {tag_name, {{"source", "build"}}},
                      {notes_name, {{"source", "attribute"}, {"attribute", "platform"}}}}}});
  ASSERT_EQ(both.status, 200) << both.raw;
  auto preview = env_->Export({{"run_id", run}, {"dry_run", true}});
  ASSERT_EQ(preview.status, 200) << preview.raw;
  const Json& pc = preview.body["preview"]["entries"][0]["cases"][0];
  EXPECT_EQ(pc["fields"][env_name], prod) << preview.raw;
  EXPECT_EQ(pc["fields"][tag_name], "1.2.3") << preview.raw;
  EXPECT_EQ(pc["fields"][notes_name], "PS5") << preview.raw;
  auto done = env_->Export({{"run_id", run}});
  ASSERT_EQ(done.status, 200) << done.raw;
  ASSERT_EQ(done.body["state"], "succeeded") << done.raw;
  const int64_t tr_run = done.body["testrail_run_id"];
  Json results = ResultsOf(tr_run);
  ASSERT_EQ(results.size(), 2u) << results.dump();
  for (const auto& r : results) {
    EXPECT_EQ(r[env_name], prod) << r.dump();
    EXPECT_EQ(r[tag_name], "1.2.3") << r.dump();
    EXPECT_EQ(r[notes_name], "PS5") << r.dump();
  }

  // A run without a build gives the build tag no value: refused again, naming the run.
  auto nobuild = env_->h->Post(env_->pbase + "/runs", env_->admin,
                               {{"test_id", test},
                                {"result", "Success"},
                                {"bug_label", "NoBug"},
                                {"started_at", "2026-01-01T10:00:00Z"},
                                {"finished_at", "2026-01-01T10:00:00.300Z"}});
  ASSERT_EQ(nobuild.status, 201) << nobuild.raw;
  auto refused = env_->Export({{"run_id", nobuild.body["id"]}});
  ASSERT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(refused.body["error"]["field"], tag_name);
  EXPECT_EQ(ReadRemote(*env_->client).runs.size(), 1u);
}

TEST_F(TestRailFieldsTest, SettingsOfAFieldGoneFromTestRailAreFlagged) {
  // Stored settings naming a field TestRail no longer has (as after a field was deleted).
  ASSERT_TRUE(
      env_->h->store()
          .SaveTestRailExportFields(
              env_->project,
              Json{{"fields",
                    {{"custom_gone", {{"source", "fixed"}, {"value", "x"}, {"type_id", 1}}}}},
                   {"failed_assignee_id", nullptr},
                   {"step_results", false}}
                  .dump(),
              1)
          .ok());
  auto r = env_->h->Get(fields_, env_->admin);
  ASSERT_EQ(r.status, 200) << r.raw;
  bool found = false;
  for (const auto& f : r.body["fields"])
    if (f["system_name"] == "custom_gone") {
      found = true;
      EXPECT_EQ(f["problem"], "disappeared");
      EXPECT_EQ(f["present"], false);
    }
  EXPECT_TRUE(found) << r.raw;
}

TEST_F(TestRailFieldsTest, MilestonesOfAnotherProjectAreRefusedBeforeAnyWrite) {
  auto own = MilestonesOf(1);
  auto other = MilestonesOf(2);
  ASSERT_GE(own.size(), 4u);
  ASSERT_FALSE(other.empty());

  // The picker: completed milestones hidden by default, sub-milestones listed with parent.
  auto open = env_->h->Get(env_->pbase + "/testrail/remote/milestones", env_->viewer);
  ASSERT_EQ(open.status, 200) << open.raw;
  auto all =
      env_->h->Get(env_->pbase + "/testrail/remote/milestones?include_completed=1", env_->admin);
  ASSERT_EQ(all.status, 200) << all.raw;
  EXPECT_EQ(all.body["items"].size(), own.size());
  size_t open_expected = 0;
  for (const auto& m : own) open_expected += m["completed"].get<bool>() ? 0 : 1;
  EXPECT_EQ(open.body["items"].size(), open_expected);
  bool nested = false;
  for (const auto& m : all.body["items"]) nested = nested || !m["parent_id"].is_null();
  EXPECT_TRUE(nested) << all.raw;

  // Default milestone: another project's or an unknown id is refused on save.
  const int64_t foreign = other[0]["id"];
  auto bad =
      env_->h->Put(env_->pbase + "/testrail/options", env_->admin, {{"milestone_id", foreign}});
  ASSERT_EQ(bad.status, 400) << bad.raw;
  EXPECT_EQ(bad.body["error"]["code"], "unknown_milestone");
  EXPECT_EQ(bad.body["error"]["field"], "milestone_id");
  auto unknown =
      env_->h->Put(env_->pbase + "/testrail/options", env_->admin, {{"milestone_id", 99999}});
  EXPECT_EQ(unknown.status, 400) << unknown.raw;
  const int64_t mine = own.back()["id"];
  auto good =
      env_->h->Put(env_->pbase + "/testrail/options", env_->admin, {{"milestone_id", mine}});
  ASSERT_EQ(good.status, 200) << good.raw;

  // Per export: another project's milestone → 400 before any write.
  auto by_label = FieldsByLabel();
  ASSERT_EQ(env_->h
                ->Put(fields_, env_->admin,
                      {{"fields",
                        {{by_label["Env"]["system_name"].get<std::string>(),
                          {{"source", "fixed"}, {"value", by_label["Env"]["options"][0]["id"]}}},
                         {by_label["Build tag"]["system_name"].get<std::string>(),
                          {{"source", "build"}}}}}})
                .status,
            200);
  const int64_t run = env_->MakeRun(env_->MakeTest({env_->cases_a[0]}));
  auto refused = env_->Export({{"run_id", run}, {"milestone_id", foreign}});
  ASSERT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(refused.body["error"]["code"], "unknown_milestone");
  EXPECT_EQ(refused.body["error"]["field"], "milestone_id");
  EXPECT_TRUE(ReadRemote(*env_->client).runs.empty());
  // The project's default lands on the run.
  auto done = env_->Export({{"run_id", run}});
  ASSERT_EQ(done.status, 200) << done.raw;
  auto tr = env_->client->GetRun(done.body["testrail_run_id"]);
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->milestone_id, mine);
}

TEST_F(TestRailFieldsTest, FailedResultsAreAssignedToTheChosenUser) {
  auto users = env_->h->Get(env_->pbase + "/testrail/remote/users", env_->admin);
  ASSERT_EQ(users.status, 200) << users.raw;
  ASSERT_FALSE(users.body["items"].empty());
  EXPECT_EQ(env_->h->Get(env_->pbase + "/testrail/remote/users", env_->viewer).status, 403);
  const int64_t user = users.body["items"][0]["id"];
  auto by_label = FieldsByLabel();
  const std::string env_name = by_label["Env"]["system_name"];
  const std::string tag_name = by_label["Build tag"]["system_name"];
  Json fields = {{env_name, {{"source", "fixed"}, {"value", by_label["Env"]["options"][0]["id"]}}},
                 {tag_name, {{"source", "fixed"}, {"value", "nightly"}}}};
  auto unknown =
      env_->h->Put(fields_, env_->admin, {{"fields", fields}, {"failed_assignee_id", 424242}});
  ASSERT_EQ(unknown.status, 400) << unknown.raw;
  EXPECT_EQ(unknown.body["error"]["code"], "unknown_user");
  auto ok = env_->h->Put(fields_, env_->admin, {{"fields", fields}, {"failed_assignee_id", user}});
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body["failed_assignee_id"], user);

  const int64_t failing = env_->MakeTest({env_->cases_a[0]});
  const int64_t passing = env_->MakeTest({env_->cases_a[1]});
  auto r = env_->Export({{"run_ids",
                          {env_->MakeRun(failing, "Success", "DefinitelyBug"),
                           env_->MakeRun(passing, "Success", "NoBug")}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["state"], "succeeded") << r.raw;
  Json results = ResultsOf(r.body["testrail_run_id"]);
  ASSERT_EQ(results.size(), 2u);
  int assigned = 0;
  for (const auto& res : results) {
    if (res["status_id"] == 5) {
      EXPECT_EQ(res["assignedto_id"], user) << res.dump();
      ++assigned;
    } else {
      EXPECT_TRUE(!res.contains("assignedto_id") || res["assignedto_id"].is_null()) << res.dump();
    }
  }
  EXPECT_EQ(assigned, 1);
}

}  // namespace
}  // namespace nexus::testing
