// Run artifacts exported as TestRail attachments (issue 17, R-ART, R-Q-IDEMP): the project's
// attachment option and its per-export override, every linked case's result gets the right
// attachments exactly once ("all"), only failed results get them ("failed"), a 413 from
// TestRail is a warning on the export, never a failed result, and the dry run lists them.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "integration/export_test_util.h"
#include "testrail/attachments.h"

namespace nexus {
namespace {

using testing::ExportEnv;
using testing::ReadRemote;
using Json = nlohmann::json;

// A PNG signature and `n` bytes after it (the artifact checks the signature only).
std::string Png(size_t n, char fill) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + std::string(n, fill);
}

struct Seeded {
  int64_t test = 0;
  int64_t run = 0;
  std::vector<std::string> steps;
  // The cases: test level, then one per step.
  int64_t test_case = 0;
  std::vector<int64_t> step_cases;
};

// A test of 3 steps linked at test level to `test_case` and at step k to `step_cases[k]`, a
// finished run of it (`result`) with one screenshot per step and a run-level log of
// `log_bytes` bytes.
Seeded SeedRun(ExportEnv& env, int64_t test_case, const std::vector<int64_t>& step_cases,
               const std::string& result = "Success", const std::string& label = "NoBug",
               size_t log_bytes = 64) {
  Seeded s;
  s.test_case = test_case;
  s.step_cases = step_cases;
  Json steps = Json::array();
  for (int k = 1; k <= 3; ++k)
    steps.push_back({{"goal", "step " + std::to_string(k)}, {"expected_results", {"ok"}}});
  auto t = env.h->Post(env.pbase + "/tests", env.admin,
                       {{"name", "Checkout " + std::to_string(++env.test_seq)}, {"steps", steps}});
  env.Check(t);
  s.test = t.body["id"].get<int64_t>();
  Status st = env.h->store().ReplaceTestRailLinks(env.project, s.test, "", {test_case}, 1);
  if (!st.ok()) throw std::runtime_error(st.ToString());
  for (size_t k = 0; k < 3; ++k) {
    s.steps.push_back(t.body["steps"][k]["id"].get<std::string>());
    st = env.h->store().ReplaceTestRailLinks(env.project, s.test, s.steps[k], {step_cases[k]}, 1);
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
  s.run = env.MakeRun(s.test, result, label);
  const std::string base = env.pbase + "/runs/" + std::to_string(s.run) + "/artifacts";
  for (size_t k = 0; k < 3; ++k)
    env.Check(env.h->Call(
        "POST", base + "?name=step-" + std::to_string(k + 1) + ".png&step_id=" + s.steps[k],
        env.admin, Png(100 + k, static_cast<char>('a' + k)), {{"Content-Type", "image/png"}}));
  env.Check(env.h->Call("POST", base + "?name=agent.log", env.admin, std::string(log_bytes, 'x'),
                        {{"Content-Type", "text/plain"}}));
  return s;
}

// TestRail's attachments per case (names, sorted) over every run of project 1, and how many
// results each case has.
std::map<int64_t, std::vector<std::string>> RemoteAttachments(ExportEnv& env) {
  std::map<int64_t, std::vector<std::string>> out;
  auto runs = env.client->GetRuns(1);
  EXPECT_TRUE(runs.ok());
  if (!runs.ok()) return out;
  for (const auto& r : *runs) {
    auto tests = env.client->GetTests(r.id);
    EXPECT_TRUE(tests.ok());
    if (!tests.ok()) continue;
    for (const auto& t : *tests) {
      auto a = testrail::GetAttachmentsForTest(*env.client, t.id);
      EXPECT_TRUE(a.ok()) << a.status().ToString();
      if (!a.ok()) continue;
      auto& names = out[t.case_id];
      for (const auto& x : *a) names.push_back(x.name);
      std::sort(names.begin(), names.end());
    }
  }
  return out;
}

const std::vector<std::string> kAllFour = {"agent.log", "step-1.png", "step-2.png", "step-3.png"};

TEST(ExportAttachmentsTest, OptionIsValidatedStoredAndOverridable) {
  ExportEnv env;
  const std::string opts = env.pbase + "/testrail/options";
  auto g = env.h->Get(env.pbase + "/testrail", env.admin);
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_EQ(g.body["options"]["attachments"]["mode"], "none") << g.raw;

  struct Bad {
    Json body;
    std::string field;
  };
  for (const Bad& b : std::vector<Bad>{
           {{{"attachments", {{"mode", "some"}}}}, "attachments.mode"},
           {{{"attachments", {{"mode", 3}}}}, "attachments.mode"},
           {{{"attachments", {{"media_types", {"application/x-msdownload"}}}}},
            "attachments.media_types[0]"},
           {{{"attachments", {{"media_types", {"image/png", "nope"}}}}},
            "attachments.media_types[1]"},
           {{{"attachments", {{"max_bytes", 0}}}}, "attachments.max_bytes"},
           {{{"attachments", {{"max_bytes", int64_t{300} << 20}}}}, "attachments.max_bytes"},
           {{{"attachments", {{"colour", "red"}}}}, "attachments.colour"},
           {{{"attachments", "all"}}, "attachments"},
       }) {
    auto r = env.h->Put(opts, env.admin, b.body);
    EXPECT_EQ(r.status, 400) << b.body.dump() << " " << r.raw;
    EXPECT_EQ(r.body["error"].value("field", ""), b.field) << r.raw;
  }
  // Nothing changed by the refusals.
  g = env.h->Get(env.pbase + "/testrail", env.admin);
  EXPECT_EQ(g.body["options"]["attachments"]["mode"], "none");

  auto ok = env.h->Put(
      opts, env.admin,
      {{"attachments", {{"mode", "failed"}, {"media_types", {"image/*"}}, {"max_bytes", 1000}}}});
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body["attachments"]["mode"], "failed");
  EXPECT_EQ(ok.body["attachments"]["media_types"], Json({"image/*"}));
  EXPECT_EQ(ok.body["attachments"]["max_bytes"], 1000);
  // Partial: other members keep their value; other options untouched.
  ok = env.h->Put(opts, env.admin, {{"attachments", {{"mode", "all"}}}});
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body["attachments"]["max_bytes"], 1000);
  EXPECT_EQ(ok.body["close_run_on_completion"], true);
  auto summary = env.h->Get(env.pbase + "/testrail/summary", env.viewer);
  ASSERT_EQ(summary.status, 200);
  EXPECT_EQ(summary.body["attachments"]["mode"], "all");

  // The export's override is validated the same way, before anything is recorded.
  Seeded s = SeedRun(env, env.cases_a[0], {env.cases_a[1], env.cases_a[2], env.cases_a[3]});
  auto bad = env.Export({{"run_id", s.run}, {"attachments", {{"mode", "everything"}}}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
  EXPECT_EQ(bad.body["error"].value("field", ""), "attachments.mode") << bad.raw;
  auto list = env.h->Get(env.pbase + "/testrail/exports", env.admin);
  EXPECT_TRUE(list.body["items"].empty()) << list.raw;

  // Dry run with the project's policy (all, images up to 1000 bytes): the screenshots, not
  // the log (a media type the policy leaves out, listed as such).
  auto dry = env.Export({{"run_id", s.run}, {"dry_run", true}});
  ASSERT_EQ(dry.status, 200) << dry.raw;
  const Json& pa = dry.body["preview"]["attachments"];
  EXPECT_EQ(pa.size(), 6u) << dry.raw;  // test-level case: 3; each step case: its own
  ASSERT_EQ(dry.body["preview"]["attachments_skipped"].size(), 1u) << dry.raw;
  EXPECT_EQ(dry.body["preview"]["attachments_skipped"][0]["name"], "agent.log");
  EXPECT_EQ(dry.body["preview"]["attachments_skipped"][0]["reason"], "media_type_not_allowed");
  // The comment names the attachments of its case.
  for (const auto& c : dry.body["preview"]["entries"][0]["cases"]) {
    if (c["case_id"] == env.cases_a[1]) {
      EXPECT_NE(c["comment"].get<std::string>().find("Attachments: step-1.png"), std::string::npos)
          << c.dump();
    }
  }
  // Overridden per export: none → nothing listed.
  dry = env.Export({{"run_id", s.run}, {"dry_run", true}, {"attachments", {{"mode", "none"}}}});
  ASSERT_EQ(dry.status, 200) << dry.raw;
  EXPECT_TRUE(dry.body["preview"]["attachments"].empty()) << dry.raw;
  EXPECT_TRUE(RemoteAttachments(env).empty());
}

TEST(ExportAttachmentsTest, AllAttachesEveryArtifactToItsCasesExactlyOnce) {
  ExportEnv env;
  // The progress the CLI's bar draws: after each upload.
  std::mutex mu;
  std::vector<ExportAttachmentProgress> progress;
  env.h->app().exports().SetAttachmentProgressListener(
      [&](int64_t, const ExportAttachmentProgress& p) {
        std::lock_guard<std::mutex> lock(mu);
        progress.push_back(p);
      });
  Seeded s = SeedRun(env, env.cases_a[0], {env.cases_a[1], env.cases_a[2], env.cases_a[3]});
  auto r = env.Export({{"run_id", s.run}, {"attachments", {{"mode", "all"}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw;
  // Test level: every screenshot and the log; a step's case: its screenshot and the log.
  EXPECT_EQ(r.body["attachments"]["total"], 10) << r.raw;
  EXPECT_EQ(r.body["attachments"]["sent"], 10) << r.raw;
  EXPECT_EQ(r.body["attachments"]["refused"], 0) << r.raw;
  EXPECT_EQ(r.body["attachments"]["bytes_sent"], r.body["attachments"]["bytes_total"]);
  EXPECT_GT(r.body["attachments"]["bytes_total"].get<int64_t>(), 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_GE(progress.size(), 10u);
    for (size_t k = 1; k < progress.size(); ++k) {
      EXPECT_GE(progress[k].sent, progress[k - 1].sent);
      EXPECT_EQ(progress[k].total, 10);
    }
    EXPECT_EQ(progress.back().sent, 10);
    EXPECT_EQ(progress.back().bytes_sent, r.body["attachments"]["bytes_total"].get<int64_t>());
  }

  auto remote = RemoteAttachments(env);
  EXPECT_EQ(remote[s.test_case], kAllFour);
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(remote[s.step_cases[k]],
              (std::vector<std::string>{"agent.log", "step-" + std::to_string(k + 1) + ".png"}))
        << "step " << k + 1;
  testing::ExpectExactlyOnce(ReadRemote(*env.client), 4, false);
  // The result comment lists the attachments by name.
  auto runs = env.client->GetRuns(1);
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  auto results = env.client->GetResultsForRun((*runs)[0].id);
  ASSERT_TRUE(results.ok());
  for (const auto& res : *results)
    EXPECT_NE(res.comment.find("Attachments: "), std::string::npos) << res.comment;
}

TEST(ExportAttachmentsTest, FailedOnlyAttachesToFailedResults) {
  ExportEnv env;
  Seeded pass = SeedRun(env, env.cases_a[0], {env.cases_a[1], env.cases_a[2], env.cases_a[3]});
  Seeded fail = SeedRun(env, env.cases_a[4], {env.cases_a[5], env.cases_a[5], env.cases_a[5]},
                        "Stopped", "DefinitelyBug");
  auto put = env.h->Put(env.pbase + "/testrail/options", env.admin,
                        {{"attachments", {{"mode", "failed"}}}});
  ASSERT_EQ(put.status, 200) << put.raw;
  auto r = env.Export({{"run_ids", {pass.run, fail.run}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw;
  auto remote = RemoteAttachments(env);
  for (int64_t c : {env.cases_a[0], env.cases_a[1], env.cases_a[2], env.cases_a[3]})
    EXPECT_TRUE(remote[c].empty()) << "passed case C" << c << " got attachments";
  EXPECT_EQ(remote[env.cases_a[4]], kAllFour);
  EXPECT_EQ(remote[env.cases_a[5]], kAllFour);
  EXPECT_EQ(r.body["attachments"]["sent"], 8) << r.raw;
}

TEST(ExportAttachmentsTest, TooLargeForTestRailIsAWarningNotAFailedResult) {
  ExportEnv env;
  auto cfg = env.sim->config();
  cfg.max_attachment_bytes = 2000;  // the log is larger; the screenshots are not
  env.sim->SetConfig(cfg);
  Seeded s = SeedRun(env, env.cases_a[0], {env.cases_a[1], env.cases_a[2], env.cases_a[3]},
                     "Success", "NoBug", 5000);
  auto r = env.Export({{"run_id", s.run}, {"attachments", {{"mode", "all"}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw;
  EXPECT_EQ(r.body["results_sent"], 4) << r.raw;
  EXPECT_EQ(r.body["attachments"]["refused"], 4) << r.raw;  // the log, on each of 4 cases
  EXPECT_EQ(r.body["attachments"]["sent"], 6) << r.raw;
  bool warned = false;
  for (const auto& w : r.body["warnings"])
    if (w["type"] == "attachment_refused") warned = true;
  EXPECT_TRUE(warned) << r.raw;
  auto remote = RemoteAttachments(env);
  EXPECT_EQ(remote[s.test_case],
            (std::vector<std::string>{"step-1.png", "step-2.png", "step-3.png"}));
  testing::ExpectExactlyOnce(ReadRemote(*env.client), 4, false);
}

// An upload whose answer is lost (applied, then a timeout) is found by
// get_attachments_for_test and not sent again; one that was not applied is sent again.
TEST(ExportAttachmentsTest, AmbiguousUploadIsReconciledExactlyOnce) {
  ExportEnv env;
  Seeded s = SeedRun(env, env.cases_a[0], {env.cases_a[1], env.cases_a[2], env.cases_a[3]});
  env.AddFault("add_attachment_to_result:2:500-after-apply");
  env.AddFault("add_attachment_to_result:5:502");
  auto r = env.Export({{"run_id", s.run}, {"attachments", {{"mode", "all"}}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["state"], "succeeded") << r.raw;
  EXPECT_EQ(r.body["attachments"]["sent"], 10) << r.raw;
  auto remote = RemoteAttachments(env);
  EXPECT_EQ(remote[s.test_case], kAllFour);
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(remote[s.step_cases[k]],
              (std::vector<std::string>{"agent.log", "step-" + std::to_string(k + 1) + ".png"}));
}

}  // namespace
}  // namespace nexus
