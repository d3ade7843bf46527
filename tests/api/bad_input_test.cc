// Bad input on every host-model route that takes a body or query parameters (api.md
// "Conventions": 400 with the error envelope naming the JSON path, unknown fields rejected,
// 413 for oversized bodies). Every case also checks that NOTHING changed: a snapshot of the
// whole store (users, tokens, projects, features, members, tests incl. versions, runs, plans,
// executions) is taken before and after the request.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/views.h"
#include "api_harness.h"

namespace nexus::testing {
namespace {

struct World {
  std::unique_ptr<ApiHarness> h;
  std::string root;  // org admin token
  int64_t root_id = 0;
  // Placeholders usable in paths and raw bodies: {P} {Q} {T} {T2} {TQ} {R} {R2} {U} {PL}
  // {PLQ} {E} {EQ} (ids) and {s0} {s1} {t2s0} {tqs0} (step ids).
  std::map<std::string, std::string> vars;

  int64_t Id(const std::string& k) const { return std::stoll(vars.at(k)); }
  const std::string& Var(const std::string& k) const { return vars.at(k); }

  std::string Expand(std::string s) const {
    for (const auto& [k, v] : vars) {
      std::string key = "{" + k + "}";
      for (size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + v.size()))
        s.replace(pos, key.size(), v);
    }
    return s;
  }

  Json RunBody() const {
    return {{"test_id", Id("T")},
            {"result", "Success"},
            {"bug_label", "NoBug"},
            {"started_at", "2026-11-25T10:00:00Z"},
            {"finished_at", "2026-11-25T10:01:00Z"}};
  }
  Json StepOutcome(const std::string& step_var) const {
    return {{"step_id", Var(step_var)}, {"result", "Success"}, {"bug_label", "NoBug"}};
  }
  Json TestPut() const {
    return {{"name", "Checkout"},
            {"steps", {{{"id", Var("s0")}, {"goal", "Open the cart"}}}},
            {"version", 1}};
  }

  // Everything a bad request could have touched, from the store.
  std::string Snapshot() const {
    Store& st = h->store();
    Json s;
    auto users = st.ListUsers();
    EXPECT_TRUE(users.ok());
    for (const auto& u : users.value())
      s["users"].push_back({u.id, u.email, u.name, u.org_admin, u.password_hash});
    auto tokens = st.ListTokens(root_id);
    EXPECT_TRUE(tokens.ok());
    for (const auto& t : tokens.value()) s["tokens"].push_back({t.id, t.name, t.token_hash});
    auto projects = st.ListProjects();
    EXPECT_TRUE(projects.ok());
    const PageRequest all{0, 100000};
    for (const auto& p : projects.value()) {
      Json pj = api::ProjectJson(p);
      // Keep each Result alive while iterating its value.
      auto members = st.ListMembers(p.id);
      auto tests = st.ListTests(p.id, all);
      auto runs = st.ListRuns(p.id, {}, all);
      auto plans = st.ListPlans(p.id, all);
      auto execs = st.ListExecutions(p.id, all);
      EXPECT_TRUE(members.ok() && tests.ok() && runs.ok() && plans.ok() && execs.ok());
      for (const auto& m : members.value())
        pj["members"].push_back({m.user_id, ProjectRoleName(m.role)});
      for (const auto& t : tests.value()) pj["tests"].push_back(api::TestJson(t));
      for (const auto& r : runs.value()) pj["runs"].push_back(api::RunJson(r));
      for (const auto& pl : plans.value()) pj["plans"].push_back({pl.id, pl.name, pl.test_ids});
      for (const auto& e : execs.value())
        pj["executions"].push_back({e.id, e.plan_id, e.test_ids, ExecutionStateName(e.state),
                                    e.completed_at.value_or(-1)});
      s["projects"].push_back(pj);
    }
    return s.dump(1);
  }
};

World* w = nullptr;

using BodyFn = std::function<std::string(const World&)>;

// Raw body text with placeholders.
BodyFn Raw(std::string text) {
  return [text](const World& wd) { return wd.Expand(text); };
}
// A JSON body built from the world.
BodyFn J(std::function<Json(const World&)> fn) {
  return [fn](const World& wd) { return fn(wd).dump(); };
}
// The run body with one change.
BodyFn RunWith(std::function<void(Json&, const World&)> edit) {
  return J([edit](const World& wd) {
    Json b = wd.RunBody();
    edit(b, wd);
    return b;
  });
}
// The test PUT body with one change.
BodyFn PutWith(std::function<void(Json&, const World&)> edit) {
  return J([edit](const World& wd) {
    Json b = wd.TestPut();
    edit(b, wd);
    return b;
  });
}

std::string Chars(size_t n, char c = 'x') { return std::string(n, c); }

Json Steps(size_t n) {
  Json s = Json::array();
  for (size_t i = 0; i < n; ++i) s.push_back({{"goal", "g"}});
  return s;
}

struct BadCase {
  std::string name;
  std::string method;
  std::string path;  // with placeholders; relative to /api/v1
  BodyFn body;
  int status;
  std::string code;
  std::string field;  // "" = the envelope carries no field
  bool auth = true;
};

// 2 MiB and a bit, as a syntactically valid JSON object.
std::string Oversized(const World&) {
  return R"({"name":")" + Chars(2 * 1024 * 1024 + 16) + R"("})";
}

std::vector<BadCase> Cases() {
  const int k400 = 400;
  const std::string kMalformed = "malformed_json", kNotObject = "not_an_object",
                    kUnknown = "unknown_field", kMissing = "missing_field", kType = "invalid_type",
                    kValue = "invalid_value";
  const std::string kLogin = "/auth/login", kTokens = "/tokens", kUsers = "/users",
                    kProjects = "/projects", kFeatures = "/projects/{P}/features",
                    kMember = "/projects/{P}/members/{U}", kTests = "/projects/{P}/tests",
                    kTest = "/projects/{P}/tests/{T}", kRuns = "/projects/{P}/runs",
                    kRun = "/projects/{P}/runs/{R}", kRun2 = "/projects/{P}/runs/{R2}",
                    kPlans = "/projects/{P}/plans", kExecs = "/projects/{P}/executions";
  auto user = [](std::function<void(Json&)> edit) {
    return J([edit](const World&) {
      Json b = {
          {"email", "new@example.com"}, {"name", "New"}, {"password", "long enough passphrase"}};
      edit(b);
      return b;
    });
  };
  auto test = [](std::function<void(Json&)> edit) {
    return J([edit](const World&) {
      Json b = {{"name", "New test"},
                {"steps", {{{"goal", "Open"}, {"expected_results", {"ok"}}}, {{"goal", "Pay"}}}}};
      edit(b);
      return b;
    });
  };
  auto plan = [](std::function<void(Json&, const World&)> edit) {
    return J([edit](const World& wd) {
      Json b = {{"name", "Nightly"}, {"test_ids", {wd.Id("T")}}};
      edit(b, wd);
      return b;
    });
  };

  return {
      // ---- POST /auth/login (no authentication).
      {"LoginMalformed", "POST", kLogin, Raw(R"({"email":)"), k400, kMalformed, "", false},
      {"LoginEmptyBody", "POST", kLogin, Raw(""), k400, kMalformed, "", false},
      {"LoginNotObject", "POST", kLogin, Raw(R"(["login@example.com"])"), k400, kNotObject, "",
       false},
      {"LoginUnknownField", "POST", kLogin,
       Raw(R"({"email":"login@example.com","password":"password-123","remember":true})"), k400,
       kUnknown, "remember", false},
      {"LoginWrongType", "POST", kLogin, Raw(R"({"email":"login@example.com","password":123})"),
       k400, kType, "password", false},
      {"LoginMissingPassword", "POST", kLogin, Raw(R"({"email":"login@example.com"})"), k400,
       kMissing, "password", false},
      {"LoginNullPassword", "POST", kLogin, Raw(R"({"email":"login@example.com","password":null})"),
       k400, kMissing, "password", false},
      {"LoginEmptyEmail", "POST", kLogin, Raw(R"({"email":"","password":"password-123"})"), k400,
       kValue, "email", false},
      {"LoginWrongPassword", "POST", kLogin,
       Raw(R"({"email":"login@example.com","password":"wrong-password"})"), 401, "unauthenticated",
       "", false},

      // ---- POST /tokens.
      {"TokenMalformed", "POST", kTokens, Raw(R"({"name":"ci",})"), k400, kMalformed, ""},
      {"TokenNotObject", "POST", kTokens, Raw(R"("ci")"), k400, kNotObject, ""},
      {"TokenUnknownField", "POST", kTokens, Raw(R"({"name":"ci","expires":"never"})"), k400,
       kUnknown, "expires"},
      {"TokenWrongType", "POST", kTokens, Raw(R"({"name":["ci"]})"), k400, kType, "name"},
      {"TokenMissingName", "POST", kTokens, Raw("{}"), k400, kMissing, "name"},
      {"TokenEmptyName", "POST", kTokens, Raw(R"({"name":""})"), k400, kValue, "name"},
      {"TokenBlankName", "POST", kTokens, Raw(R"({"name":"   "})"), k400, kValue, "name"},
      {"TokenName101", "POST", kTokens, J([](const World&) {
         return Json{{"name", Chars(101)}};
       }),
       k400, kValue, "name"},

      // ---- POST /users.
      {"UserMalformed", "POST", kUsers, Raw(R"({email: "a@b.c"})"), k400, kMalformed, ""},
      {"UserNotObject", "POST", kUsers, Raw("42"), k400, kNotObject, ""},
      {"UserUnknownField", "POST", kUsers, user([](Json& b) { b["role"] = "admin"; }), k400,
       kUnknown, "role"},
      {"UserOrgAdminWrongType", "POST", kUsers, user([](Json& b) { b["org_admin"] = "yes"; }), k400,
       kType, "org_admin"},
      {"UserEmailWrongType", "POST", kUsers, user([](Json& b) { b["email"] = 5; }), k400, kType,
       "email"},
      {"UserMissingPassword", "POST", kUsers, user([](Json& b) { b.erase("password"); }), k400,
       kMissing, "password"},
      {"UserMissingEmail", "POST", kUsers, user([](Json& b) { b.erase("email"); }), k400, kMissing,
       "email"},
      {"UserEmptyName", "POST", kUsers, user([](Json& b) { b["name"] = ""; }), k400, kValue,
       "name"},
      {"UserName201", "POST", kUsers, user([](Json& b) { b["name"] = Chars(201); }), k400, kValue,
       "name"},
      {"UserBadEmail", "POST", kUsers, user([](Json& b) { b["email"] = "not-an-email"; }), k400,
       kValue, "email"},
      {"UserShortPassword", "POST", kUsers, user([](Json& b) { b["password"] = "short"; }), k400,
       kValue, "password"},
      {"UserElevenCharPassword", "POST", kUsers,
       user([](Json& b) { b["password"] = "abcdefghijk"; }), k400, kValue, "password"},
      {"UserCommonPassword", "POST", kUsers, user([](Json& b) { b["password"] = "Password1234"; }),
       k400, "weak_password", "password"},
      {"UserDigitRunPassword", "POST", kUsers,
       user([](Json& b) { b["password"] = "123456789012"; }), k400, "weak_password", "password"},
      {"UserDuplicateEmail", "POST", kUsers,
       user([](Json& b) { b["email"] = "LOGIN@example.com"; }), 409, "duplicate", "email"},

      // ---- POST /projects.
      {"ProjectMalformed", "POST", kProjects, Raw(R"({"name":"X")"), k400, kMalformed, ""},
      {"ProjectNotObject", "POST", kProjects, Raw("null"), k400, kNotObject, ""},
      {"ProjectUnknownField", "POST", kProjects, Raw(R"({"name":"X","colour":"red"})"), k400,
       kUnknown, "colour"},
      {"ProjectWrongType", "POST", kProjects, Raw(R"({"name":1})"), k400, kType, "name"},
      {"ProjectMissingName", "POST", kProjects, Raw("{}"), k400, kMissing, "name"},
      {"ProjectEmptyName", "POST", kProjects, Raw(R"({"name":""})"), k400, kValue, "name"},
      {"ProjectBlankName", "POST", kProjects, Raw(R"({"name":" \t "})"), k400, kValue, "name"},
      {"ProjectName201", "POST", kProjects, J([](const World&) {
         return Json{{"name", Chars(201)}};
       }),
       k400, kValue, "name"},

      // ---- PUT /projects/{p}/features.
      {"FeaturesMalformed", "PUT", kFeatures, Raw("{testrail:true}"), k400, kMalformed, ""},
      {"FeaturesNotObject", "PUT", kFeatures, Raw("true"), k400, kNotObject, ""},
      {"FeaturesUnknown", "PUT", kFeatures, Raw(R"({"jira":true})"), k400, kUnknown, "jira"},
      {"FeaturesWrongType", "PUT", kFeatures, Raw(R"({"testrail":"yes"})"), k400, kType,
       "testrail"},
      {"FeaturesIntNotBool", "PUT", kFeatures, Raw(R"({"testrail":1})"), k400, kType, "testrail"},
      {"FeaturesValidThenUnknown", "PUT", kFeatures, Raw(R"({"testrail":true,"zeta":true})"), k400,
       kUnknown, "zeta"},

      // ---- PUT /projects/{p}/members/{u}.
      {"MemberMalformed", "PUT", kMember, Raw(R"({"role":"viewer")"), k400, kMalformed, ""},
      {"MemberNotObject", "PUT", kMember, Raw(R"(["viewer"])"), k400, kNotObject, ""},
      {"MemberUnknownField", "PUT", kMember, Raw(R"({"role":"viewer","since":"2026"})"), k400,
       kUnknown, "since"},
      {"MemberWrongType", "PUT", kMember, Raw(R"({"role":1})"), k400, kType, "role"},
      {"MemberMissingRole", "PUT", kMember, Raw("{}"), k400, kMissing, "role"},
      {"MemberRoleOwner", "PUT", kMember, Raw(R"({"role":"owner"})"), k400, kValue, "role"},
      {"MemberRoleWrongCase", "PUT", kMember, Raw(R"({"role":"Admin"})"), k400, kValue, "role"},
      {"MemberUnknownUser", "PUT", "/projects/{P}/members/999999", Raw(R"({"role":"viewer"})"), 404,
       "not_found", ""},

      // ---- POST /projects/{p}/tests.
      {"TestPostMalformed", "POST", kTests, Raw(R"({"name":"x","steps":[})"), k400, kMalformed, ""},
      {"TestPostNotObject", "POST", kTests, Raw(R"([{"name":"x"}])"), k400, kNotObject, ""},
      {"TestPostUnknownField", "POST", kTests, test([](Json& b) { b["colour"] = "red"; }), k400,
       kUnknown, "colour"},
      {"TestPostNestedUnknown", "POST", kTests, test([](Json& b) { b["steps"][0]["colour"] = 1; }),
       k400, kUnknown, "steps[0].colour"},
      {"TestPostStepIdNotAllowed", "POST", kTests,
       test([](Json& b) { b["steps"][1]["id"] = "st_mine"; }), k400, kUnknown, "steps[1].id"},
      {"TestPostNameWrongType", "POST", kTests, test([](Json& b) { b["name"] = 5; }), k400, kType,
       "name"},
      {"TestPostTagsNotArray", "POST", kTests, test([](Json& b) { b["tags"] = "smoke"; }), k400,
       kType, "tags"},
      {"TestPostTagWrongType", "POST", kTests, test([](Json& b) {
         b["tags"] = {"a", 1};
       }),
       k400, kType, "tags[1]"},
      {"TestPostTagEmpty", "POST", kTests, test([](Json& b) { b["tags"] = {""}; }), k400, kValue,
       "tags[0]"},
      {"TestPostTags51", "POST", kTests, test([](Json& b) {
         b["tags"] = Json::array();
         for (int i = 0; i < 51; ++i) b["tags"].push_back("t" + std::to_string(i));
       }),
       k400, kValue, "tags"},
      {"TestPostStepsNotArray", "POST", kTests, test([](Json& b) { b["steps"] = Json::object(); }),
       k400, kType, "steps"},
      {"TestPostStepNotObject", "POST", kTests, test([](Json& b) { b["steps"][0] = "do it"; }),
       k400, kType, "steps[0]"},
      {"TestPostStepMissingGoal", "POST", kTests,
       test([](Json& b) { b["steps"][1].erase("goal"); }), k400, kMissing, "steps[1].goal"},
      {"TestPostStepBlankGoal", "POST", kTests, test([](Json& b) { b["steps"][0]["goal"] = "  "; }),
       k400, kValue, "steps[0].goal"},
      {"TestPostExpectedNotArray", "POST", kTests,
       test([](Json& b) { b["steps"][0]["expected_results"] = "ok"; }), k400, kType,
       "steps[0].expected_results"},
      {"TestPostExpectedEmpty", "POST", kTests, test([](Json& b) {
         b["steps"][0]["expected_results"] = {"ok", ""};
       }),
       k400, kValue, "steps[0].expected_results[1]"},
      {"TestPostMissingName", "POST", kTests, test([](Json& b) { b.erase("name"); }), k400,
       kMissing, "name"},
      {"TestPostEmptyName", "POST", kTests, test([](Json& b) { b["name"] = ""; }), k400, kValue,
       "name"},
      {"TestPostName201", "POST", kTests, test([](Json& b) { b["name"] = Chars(201); }), k400,
       kValue, "name"},
      {"TestPostSteps501", "POST", kTests, test([](Json& b) { b["steps"] = Steps(501); }), k400,
       kValue, "steps"},

      // ---- PUT /projects/{p}/tests/{t}: the test must stay at version 1, unchanged.
      {"TestPutMalformed", "PUT", kTest, Raw(R"({"name":"x","version":1)"), k400, kMalformed, ""},
      {"TestPutNotObject", "PUT", kTest, Raw("1"), k400, kNotObject, ""},
      {"TestPutUnknownField", "PUT", kTest, PutWith([](Json& b, const World&) { b["colour"] = 1; }),
       k400, kUnknown, "colour"},
      {"TestPutNestedUnknown", "PUT", kTest, PutWith([](Json& b, const World&) {
         b["steps"].push_back({{"goal", "new"}, {"colour", "red"}});
       }),
       k400, kUnknown, "steps[1].colour"},
      {"TestPutMissingVersion", "PUT", kTest,
       PutWith([](Json& b, const World&) { b.erase("version"); }), k400, kMissing, "version"},
      {"TestPutVersionWrongType", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["version"] = "1"; }), k400, kType, "version"},
      {"TestPutVersionZero", "PUT", kTest, PutWith([](Json& b, const World&) { b["version"] = 0; }),
       k400, kValue, "version"},
      {"TestPutUnknownStepId", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["steps"][0]["id"] = "st_nope"; }), k400, kValue,
       "steps[0].id"},
      {"TestPutStepIdOfOtherTest", "PUT", kTest, PutWith([](Json& b, const World& wd) {
         b["steps"].push_back({{"id", wd.Var("t2s0")}, {"goal", "stolen"}});
       }),
       k400, kValue, "steps[1].id"},
      {"TestPutStepIdOfOtherProject", "PUT", kTest,
       PutWith([](Json& b, const World& wd) { b["steps"][0]["id"] = wd.Var("tqs0"); }), k400,
       kValue, "steps[0].id"},
      {"TestPutDuplicateStepId", "PUT", kTest, PutWith([](Json& b, const World& wd) {
         b["steps"].push_back({{"id", wd.Var("s0")}, {"goal", "again"}});
       }),
       k400, kValue, "steps[1].id"},
      {"TestPutEmptyStepId", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["steps"][0]["id"] = ""; }), k400, kValue,
       "steps[0].id"},
      {"TestPutStepIdWrongType", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["steps"][0]["id"] = 5; }), k400, kType, "steps[0].id"},
      {"TestPutSteps501", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["steps"] = Steps(501); }), k400, kValue, "steps"},
      {"TestPutMissingName", "PUT", kTest, PutWith([](Json& b, const World&) { b.erase("name"); }),
       k400, kMissing, "name"},
      {"TestPutEmptyName", "PUT", kTest, PutWith([](Json& b, const World&) { b["name"] = ""; }),
       k400, kValue, "name"},
      {"TestPutName201", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["name"] = Chars(201); }), k400, kValue, "name"},
      {"TestPutStaleVersion", "PUT", kTest,
       PutWith([](Json& b, const World&) { b["version"] = 7; }), 409, "version_mismatch",
       "version"},
      {"TestPutUnknownTest", "PUT", "/projects/{P}/tests/999999",
       PutWith([](Json&, const World&) {}), 404, "not_found", ""},
      {"TestPutTestOfOtherProject", "PUT", "/projects/{P}/tests/{TQ}",
       PutWith([](Json& b, const World& wd) { b["steps"][0]["id"] = wd.Var("tqs0"); }), 404,
       "not_found", ""},

      // ---- POST /projects/{p}/runs: the run count must not change.
      {"RunPostMalformed", "POST", kRuns, Raw(R"({"test_id":{T},"result":"Success")"), k400,
       kMalformed, ""},
      {"RunPostNotObject", "POST", kRuns, Raw(R"("run")"), k400, kNotObject, ""},
      {"RunPostUnknownField", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["colour"] = 1; }), k400, kUnknown, "colour"},
      {"RunPostBugUnknownField", "POST", kRuns, RunWith([](Json& b, const World&) {
         b["bugs"] = {{{"title", "t"}, {"colour", "red"}}};
       }),
       k400, kUnknown, "bugs[0].colour"},
      // Json::array({s}), not {s}: a braced list of one json is an array under GCC but a copy
      // of `s` under clang, so these cases sent an object (issue 13, clang sanitizer build).
      {"RunPostStepUnknownField", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s["colour"] = "red";
         b["steps"] = Json::array({s});
       }),
       k400, kUnknown, "steps[0].colour"},
      {"RunPostResultPassed", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["result"] = "Passed"; }), k400, kValue, "result"},
      {"RunPostResultLowercase", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["result"] = "success"; }), k400, kValue, "result"},
      {"RunPostBugLabelBug", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["bug_label"] = "Bug"; }), k400, kValue, "bug_label"},
      {"RunPostBugLabelWrongType", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["bug_label"] = 1; }), k400, kType, "bug_label"},
      {"RunPostMissingTestId", "POST", kRuns,
       RunWith([](Json& b, const World&) { b.erase("test_id"); }), k400, kMissing, "test_id"},
      {"RunPostTestIdString", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["test_id"] = "1"; }), k400, kType, "test_id"},
      {"RunPostTestIdFloat", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["test_id"] = 1.5; }), k400, kType, "test_id"},
      {"RunPostTestOfOtherProject", "POST", kRuns,
       RunWith([](Json& b, const World& wd) { b["test_id"] = wd.Id("TQ"); }), k400, kValue,
       "test_id"},
      {"RunPostUnknownTest", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["test_id"] = 999999; }), k400, kValue, "test_id"},
      {"RunPostMissingResult", "POST", kRuns,
       RunWith([](Json& b, const World&) { b.erase("result"); }), k400, kMissing, "result"},
      {"RunPostMissingStartedAt", "POST", kRuns,
       RunWith([](Json& b, const World&) { b.erase("started_at"); }), k400, kMissing, "started_at"},
      {"RunPostStartedAtWords", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["started_at"] = "yesterday"; }), k400, kValue,
       "started_at"},
      {"RunPostStartedAtOutOfRange", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["started_at"] = "2026-13-45T25:61:00Z"; }), k400,
       kValue, "started_at"},
      {"RunPostStartedAtNoZone", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["started_at"] = "2026-11-25T10:00:00"; }), k400,
       kValue, "started_at"},
      {"RunPostFinishedAtDateOnly", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["finished_at"] = "2026-11-25"; }), k400, kValue,
       "finished_at"},
      {"RunPostFinishedBeforeStarted", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["finished_at"] = "2026-11-25T09:59:59Z"; }), k400,
       kValue, "finished_at"},
      {"RunPostFinishedBeforeStartedOffset", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["finished_at"] = "2026-11-25T10:30:00+01:00"; }), k400,
       kValue, "finished_at"},
      {"RunPostUnknownStepId", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s["step_id"] = "st_nope";
         b["steps"] = Json::array({s});
       }),
       k400, kValue, "steps[0].step_id"},
      {"RunPostStepOfOtherTest", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         b["steps"] = {wd.StepOutcome("s0"), wd.StepOutcome("t2s0")};
       }),
       k400, kValue, "steps[1].step_id"},
      {"RunPostStepOfOtherProject", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         b["steps"] = Json::array({wd.StepOutcome("tqs0")});
       }),
       k400, kValue, "steps[0].step_id"},
      {"RunPostStepReportedTwice", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         b["steps"] = {wd.StepOutcome("s1"), wd.StepOutcome("s1")};
       }),
       k400, kValue, "steps[1].step_id"},
      {"RunPostStepResultPassed", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s["result"] = "Passed";
         b["steps"] = Json::array({s});
       }),
       k400, kValue, "steps[0].result"},
      {"RunPostStepBugLabelBug", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s["bug_label"] = "Bug";
         b["steps"] = {wd.StepOutcome("s1"), s};
       }),
       k400, kValue, "steps[1].bug_label"},
      {"RunPostStepMissingResult", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s.erase("result");
         b["steps"] = Json::array({s});
       }),
       k400, kMissing, "steps[0].result"},
      {"RunPostStepFinishedBeforeStarted", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s["started_at"] = "2026-11-25T10:00:30Z";
         s["finished_at"] = "2026-11-25T10:00:10Z";
         b["steps"] = Json::array({s});
       }),
       k400, kValue, "steps[0].finished_at"},
      {"RunPostStepStartedAtInvalid", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         Json s = wd.StepOutcome("s0");
         s["started_at"] = "noon";
         b["steps"] = Json::array({s});
       }),
       k400, kValue, "steps[0].started_at"},
      {"RunPostStepNotObject", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["steps"] = {"st_x"}; }), k400, kType, "steps[0]"},
      {"RunPostStepsNotArray", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["steps"] = "all"; }), k400, kType, "steps"},
      {"RunPostSteps501", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         b["steps"] = Json::array();
         for (int i = 0; i < 501; ++i) b["steps"].push_back(wd.StepOutcome("s0"));
       }),
       k400, kValue, "steps"},
      {"RunPostBugStepOfOtherTest", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         b["bugs"] = {{{"title", "ok"}, {"step_id", wd.Var("s0")}},
                      {{"title", "bad"}, {"step_id", wd.Var("t2s0")}}};
       }),
       k400, kValue, "bugs[1].step_id"},
      {"RunPostBugMissingTitle", "POST", kRuns, RunWith([](Json& b, const World&) {
         b["bugs"] = {{{"severity", "high"}}};
       }),
       k400, kMissing, "bugs[0].title"},
      {"RunPostBugsNotArray", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["bugs"] = "none"; }), k400, kType, "bugs"},
      {"RunPostBuild251", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["build"] = Chars(251); }), k400, kValue, "build"},
      {"RunPostSummaryWrongType", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["summary"] = 5; }), k400, kType, "summary"},
      {"RunPostExecutionOfOtherProject", "POST", kRuns,
       RunWith([](Json& b, const World& wd) { b["execution_id"] = wd.Id("EQ"); }), k400, kValue,
       "execution_id"},
      {"RunPostExecutionIdZero", "POST", kRuns,
       RunWith([](Json& b, const World&) { b["execution_id"] = 0; }), k400, kValue, "execution_id"},
      {"RunPostTestNotInExecution", "POST", kRuns, RunWith([](Json& b, const World& wd) {
         b["test_id"] = wd.Id("T2");
         b["execution_id"] = wd.Id("E");
       }),
       k400, kValue, "test_id"},

      // ---- PATCH /projects/{p}/runs/{r}: the run must stay unchanged (incl. updated_at).
      {"RunPatchMalformed", "PATCH", kRun, Raw(R"({"bug_label":NoBug})"), k400, kMalformed, ""},
      {"RunPatchNotObject", "PATCH", kRun, Raw(R"("NoBug")"), k400, kNotObject, ""},
      {"RunPatchEmpty", "PATCH", kRun, Raw("{}"), k400, kValue, ""},
      {"RunPatchUnknownField", "PATCH", kRun, Raw(R"({"test_id":{T2}})"), k400, kUnknown,
       "test_id"},
      {"RunPatchBugLabelBug", "PATCH", kRun, Raw(R"({"bug_label":"Bug"})"), k400, kValue,
       "bug_label"},
      {"RunPatchBugLabelNull", "PATCH", kRun, Raw(R"({"bug_label":null})"), k400, kMissing,
       "bug_label"},
      {"RunPatchResultPassed", "PATCH", kRun, Raw(R"({"result":"Passed"})"), k400, kValue,
       "result"},
      {"RunPatchValidLabelBadResult", "PATCH", kRun,
       Raw(R"({"bug_label":"DefinitelyBug","result":"Passed"})"), k400, kValue, "result"},
      {"RunPatchFinishedAtInvalid", "PATCH", kRun2, Raw(R"({"finished_at":"later"})"), k400, kValue,
       "finished_at"},
      {"RunPatchFinishedAtNull", "PATCH", kRun2, Raw(R"({"finished_at":null})"), k400, kValue,
       "finished_at"},
      {"RunPatchFinishedBeforeStarted", "PATCH", kRun2,
       Raw(R"({"bug_label":"LikelyBug","finished_at":"2026-11-25T09:00:00Z"})"), k400, kValue,
       "finished_at"},
      {"RunPatchRefinishFinishedRun", "PATCH", kRun,
       Raw(R"({"finished_at":"2026-11-25T11:00:00Z"})"), k400, kValue, "finished_at"},
      {"RunPatchSummaryWrongType", "PATCH", kRun, Raw(R"({"summary":5})"), k400, kType, "summary"},
      {"RunPatchUnknownRun", "PATCH", "/projects/{P}/runs/999999", Raw(R"({"bug_label":"NoBug"})"),
       404, "not_found", ""},

      // ---- POST /projects/{p}/plans.
      {"PlanMalformed", "POST", kPlans, Raw(R"({"name":"N","test_ids":[{T})"), k400, kMalformed,
       ""},
      {"PlanNotObject", "POST", kPlans, Raw("[{T}]"), k400, kNotObject, ""},
      {"PlanUnknownField", "POST", kPlans, plan([](Json& b, const World&) { b["cron"] = "* *"; }),
       k400, kUnknown, "cron"},
      {"PlanMissingName", "POST", kPlans, plan([](Json& b, const World&) { b.erase("name"); }),
       k400, kMissing, "name"},
      {"PlanEmptyName", "POST", kPlans, plan([](Json& b, const World&) { b["name"] = ""; }), k400,
       kValue, "name"},
      {"PlanName201", "POST", kPlans, plan([](Json& b, const World&) { b["name"] = Chars(201); }),
       k400, kValue, "name"},
      {"PlanMissingTestIds", "POST", kPlans,
       plan([](Json& b, const World&) { b.erase("test_ids"); }), k400, kMissing, "test_ids"},
      {"PlanEmptyTestIds", "POST", kPlans,
       plan([](Json& b, const World&) { b["test_ids"] = Json::array(); }), k400, kValue,
       "test_ids"},
      {"PlanTestIdsNotArray", "POST", kPlans,
       plan([](Json& b, const World&) { b["test_ids"] = "1"; }), k400, kType, "test_ids"},
      {"PlanTestIdWrongType", "POST", kPlans,
       plan([](Json& b, const World&) { b["test_ids"].push_back("x"); }), k400, kType,
       "test_ids[1]"},
      {"PlanTestIdZero", "POST", kPlans, plan([](Json& b, const World&) { b["test_ids"] = {0}; }),
       k400, kValue, "test_ids[0]"},
      {"PlanTestOfOtherProject", "POST", kPlans,
       plan([](Json& b, const World& wd) { b["test_ids"].push_back(wd.Id("TQ")); }), k400, kValue,
       "test_ids[1]"},
      {"PlanUnknownTest", "POST", kPlans,
       plan([](Json& b, const World&) { b["test_ids"] = {999999}; }), k400, kValue, "test_ids[0]"},

      // ---- POST /projects/{p}/executions.
      {"ExecMalformed", "POST", kExecs, Raw(R"({"plan_id":})"), k400, kMalformed, ""},
      {"ExecNotObject", "POST", kExecs, Raw("{PL}"), k400, kNotObject, ""},
      {"ExecUnknownField", "POST", kExecs, Raw(R"({"plan_id":{PL},"priority":1})"), k400, kUnknown,
       "priority"},
      {"ExecMissingPlanId", "POST", kExecs, Raw("{}"), k400, kMissing, "plan_id"},
      {"ExecPlanIdString", "POST", kExecs, Raw(R"({"plan_id":"{PL}"})"), k400, kType, "plan_id"},
      {"ExecPlanIdZero", "POST", kExecs, Raw(R"({"plan_id":0})"), k400, kValue, "plan_id"},
      {"ExecPlanOfOtherProject", "POST", kExecs, Raw(R"({"plan_id":{PLQ}})"), k400, kValue,
       "plan_id"},
      {"ExecUnknownPlan", "POST", kExecs, Raw(R"({"plan_id":999999})"), k400, kValue, "plan_id"},

      // ---- Oversized bodies (> 2 MiB) → 413 before any handler runs.
      {"OversizedTestPost", "POST", kTests, Oversized, 413, "payload_too_large", ""},
      {"OversizedTestPut", "PUT", kTest, Oversized, 413, "payload_too_large", ""},
      {"OversizedRunPost", "POST", kRuns, Oversized, 413, "payload_too_large", ""},
      {"OversizedUserPost", "POST", kUsers, Oversized, 413, "payload_too_large", ""},
      {"OversizedLogin", "POST", kLogin, Oversized, 413, "payload_too_large", "", false},

      // ---- Bad query parameters.
      {"QueryTestsLimitZero", "GET", kTests + "?limit=0", Raw(""), k400, kValue, "limit"},
      {"QueryTestsLimitAbc", "GET", kTests + "?limit=abc", Raw(""), k400, kValue, "limit"},
      {"QueryTestsLimit201", "GET", kTests + "?limit=201", Raw(""), k400, kValue, "limit"},
      {"QueryTestsLimitNegative", "GET", kTests + "?limit=-5", Raw(""), k400, kValue, "limit"},
      {"QueryTestsCursorAbc", "GET", kTests + "?cursor=abc", Raw(""), k400, kValue, "cursor"},
      {"QueryRunsResultNope", "GET", kRuns + "?result=Nope", Raw(""), k400, kValue, "result"},
      {"QueryRunsResultLowercase", "GET", kRuns + "?result=success", Raw(""), k400, kValue,
       "result"},
      {"QueryRunsTestIdAbc", "GET", kRuns + "?test_id=abc", Raw(""), k400, kValue, "test_id"},
      {"QueryRunsExecutionIdZero", "GET", kRuns + "?execution_id=0", Raw(""), k400, kValue,
       "execution_id"},
      {"QueryRunsLimitHuge", "GET", kRuns + "?limit=99999999999999999999", Raw(""), k400, kValue,
       "limit"},
      {"QueryPlansLimitZero", "GET", kPlans + "?limit=0", Raw(""), k400, kValue, "limit"},
      {"QueryExecutionsLimitAbc", "GET", kExecs + "?limit=abc", Raw(""), k400, kValue, "limit"},
  };
}

const std::vector<BadCase>& AllCases() {
  static const std::vector<BadCase> kCases = Cases();
  return kCases;
}

class BadInputTest : public ::testing::TestWithParam<size_t> {
 public:
  static void SetUpTestSuite() {
    w = new World;
    w->h = std::make_unique<ApiHarness>();
    ApiHarness& h = *w->h;
    w->root = h.CreateUserToken("root@example.com", /*org_admin=*/true, &w->root_id);
    h.CreateUserToken("login@example.com");
    int64_t u = 0;
    h.CreateUserToken("member@example.com", false, &u);
    auto& v = w->vars;
    v["U"] = std::to_string(u);
    auto mk_project = [&](const std::string& name, const std::string& var) {
      auto p = h.Post("/api/v1/projects", w->root, {{"name", name}});
      ASSERT_EQ(p.status, 201) << p.raw;
      v[var] = std::to_string(p.body["id"].get<int64_t>());
    };
    mk_project("P", "P");
    mk_project("Q", "Q");
    auto mk_test = [&](const std::string& proj, const std::string& var, int steps) {
      Json s = Json::array();
      for (int i = 0; i < steps; ++i) s.push_back({{"goal", "Step " + std::to_string(i)}});
      auto t = h.Post("/api/v1/projects/" + v[proj] + "/tests", w->root,
                      {{"name", "Checkout " + var}, {"tags", {"smoke"}}, {"steps", s}});
      if (t.status != 201) throw std::runtime_error("create test: " + t.raw);
      v[var] = std::to_string(t.body["id"].get<int64_t>());
      return t.body;
    };
    Json t = mk_test("P", "T", 3);
    v["s0"] = t["steps"][0]["id"];
    v["s1"] = t["steps"][1]["id"];
    v["t2s0"] = mk_test("P", "T2", 1)["steps"][0]["id"];
    v["tqs0"] = mk_test("Q", "TQ", 1)["steps"][0]["id"];
    auto post = [&](const std::string& path, const Json& body, const std::string& var) {
      auto r = h.Post(w->Expand(path), w->root, body);
      ASSERT_EQ(r.status, 201) << path << ": " << r.raw;
      v[var] = std::to_string(r.body["id"].get<int64_t>());
    };
    post("/api/v1/projects/{P}/plans", {{"name", "P plan"}, {"test_ids", {w->Id("T")}}}, "PL");
    post("/api/v1/projects/{Q}/plans", {{"name", "Q plan"}, {"test_ids", {w->Id("TQ")}}}, "PLQ");
    post("/api/v1/projects/{P}/executions", {{"plan_id", w->Id("PL")}}, "E");
    post("/api/v1/projects/{Q}/executions", {{"plan_id", w->Id("PLQ")}}, "EQ");
    post("/api/v1/projects/{P}/runs", w->RunBody(), "R");  // finished
    Json running = w->RunBody();
    running.erase("finished_at");
    post("/api/v1/projects/{P}/runs", running, "R2");  // still running
  }
  static void TearDownTestSuite() {
    delete w;
    w = nullptr;
  }
};

TEST_P(BadInputTest, RejectedWithEnvelopeAndNothingChanged) {
  ASSERT_NE(w, nullptr);
  const BadCase& bc = AllCases()[GetParam()];
  std::string path = "/api/v1" + w->Expand(bc.path);
  std::string body = bc.body(*w);
  std::string before = w->Snapshot();
  auto r = w->h->Call(bc.method, path, bc.auth ? w->root : "", body);
  ASSERT_EQ(r.status, bc.status) << bc.method << " " << path << " " << body.substr(0, 300) << "\n→ "
                                 << r.raw.substr(0, 500);
  ASSERT_TRUE(r.body.is_object() && r.body.contains("error") && r.body["error"].is_object())
      << r.raw;
  EXPECT_EQ(r.code(), bc.code) << r.raw;
  EXPECT_EQ(r.field(), bc.field) << r.raw;
  if (bc.field.empty()) {
    EXPECT_FALSE(r.body["error"].contains("field")) << r.raw;
  }
  EXPECT_FALSE(r.message().empty()) << r.raw;
  EXPECT_EQ(w->Snapshot(), before) << "a rejected request changed stored state";
}

std::string CaseName(const ::testing::TestParamInfo<size_t>& info) {
  return AllCases()[info.param].name;
}

INSTANTIATE_TEST_SUITE_P(EveryBodyRoute, BadInputTest,
                         ::testing::Range<size_t>(0, AllCases().size()), CaseName);

// The snapshot used above really notices every kind of write a handler could make.
TEST(BadInputSnapshot, SeesEveryKindOfWrite) {
  World wd;
  wd.h = std::make_unique<ApiHarness>();
  wd.root = wd.h->CreateUserToken("root@example.com", true, &wd.root_id);
  auto p = wd.h->Post("/api/v1/projects", wd.root, {{"name", "P"}});
  ASSERT_EQ(p.status, 201);
  std::string base = "/api/v1/projects/" + std::to_string(p.body["id"].get<int64_t>());
  auto t = wd.h->Post(base + "/tests", wd.root, {{"name", "T"}, {"steps", Steps(1)}});
  ASSERT_EQ(t.status, 201);
  wd.vars["T"] = std::to_string(t.body["id"].get<int64_t>());
  auto r = wd.h->Post(base + "/runs", wd.root, wd.RunBody());
  ASSERT_EQ(r.status, 201);
  std::string rpath = base + "/runs/" + std::to_string(r.body["id"].get<int64_t>());
  std::string tpath = base + "/tests/" + wd.Var("T");
  int64_t uid = 0;
  wd.h->CreateUserToken("u@example.com", false, &uid);
  struct Write {
    std::string method, path;
    Json body;
  };
  const std::vector<Write> writes = {
      {"PATCH", rpath, {{"bug_label", "LikelyBug"}}},
      {"PUT", tpath, {{"name", "T"}, {"steps", t.body["steps"]}, {"version", 1}}},
      {"POST", "/api/v1/tokens", {{"name", "x"}}},
      {"PUT", base + "/features", {{"testrail", true}}},
      {"PUT", base + "/members/" + std::to_string(uid), {{"role", "viewer"}}},
      {"POST", base + "/plans", {{"name", "N"}, {"test_ids", {t.body["id"]}}}},
  };
  for (const auto& wr : writes) {
    std::string before = wd.Snapshot();
    auto res = wd.h->Call(wr.method, wr.path, wd.root, wr.body.dump());
    ASSERT_LT(res.status, 300) << wr.method << " " << wr.path << ": " << res.raw;
    EXPECT_NE(wd.Snapshot(), before) << wr.method << " " << wr.path;
  }
}

// Limits count characters, not bytes: a 200-character name in a non-Latin script fits.
TEST(BadInputLimits, NameLimitsCountCharactersNotBytes) {
  ApiHarness h;
  std::string root = h.CreateUserToken("root@example.com", true);
  std::string e200, e201;
  for (int i = 0; i < 200; ++i) e200 += "\xC3\xA9";  // é, 2 bytes in UTF-8
  e201 = e200 + "\xC3\xA9";
  auto ok = h.Post("/api/v1/projects", root, {{"name", e200}});
  ASSERT_EQ(ok.status, 201) << ok.raw;
  EXPECT_EQ(ok.body["name"], e200);
  auto bad = h.Post("/api/v1/projects", root, {{"name", e201}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.field(), "name");
  // ASCII boundary: exactly 200 is fine.
  EXPECT_EQ(h.Post("/api/v1/projects", root, {{"name", Chars(200)}}).status, 201);
  auto user =
      h.Post("/api/v1/users", root,
             {{"email", "e@example.com"}, {"name", e200}, {"password", "long enough passphrase"}});
  EXPECT_EQ(user.status, 201) << user.raw;
  std::string t100;
  for (int i = 0; i < 100; ++i) t100 += "\xC3\xA9";
  EXPECT_EQ(h.Post("/api/v1/tokens", root, {{"name", t100}}).status, 201);
  std::string pbase = "/api/v1/projects/" + std::to_string(ok.body["id"].get<int64_t>());
  EXPECT_EQ(h.Post(pbase + "/tests", root, {{"name", e200}, {"steps", Steps(500)}}).status, 201);
}

}  // namespace
}  // namespace nexus::testing
