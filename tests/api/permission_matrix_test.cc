// Permission matrix of every host-model route (src/api/*_routes.cc) against every kind of
// caller: org admin, each built-in project role (product.md section 2), a member of another
// project only ("outsider": everything under /projects/P is 404, even existing objects) and
// an unauthenticated caller (401). api.md "Conventions": 401 / 403 / 404 semantics.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api_harness.h"

namespace nexus::testing {
namespace {

enum Caller { kOrgAdmin, kAdmin, kConfigManager, kEditor, kOperator, kViewer, kOutsider, kAnon };
constexpr int kCallerCount = 8;
const char* const kCallerNames[kCallerCount] = {"OrgAdmin", "Admin",  "ConfigManager", "Editor",
                                                "Operator", "Viewer", "Outsider",      "Anon"};

// Built-in role → permission table, written out from product.md section 2 (deliberately not
// taken from the code under test).
const std::set<std::string>& RolePermissions(Caller c) {
  static const std::set<std::string> kNone;
  static const std::set<std::string> kAll = {"project:admin", "project:edit-configs",
                                             "project:edit-tests", "project:read-runs",
                                             "project:operate-runs"};
  static const std::set<std::string> kCfg = {"project:edit-configs", "project:edit-tests",
                                             "project:read-runs"};
  static const std::set<std::string> kEdit = {"project:edit-tests", "project:read-runs"};
  static const std::set<std::string> kOp = {"project:operate-runs", "project:read-runs"};
  static const std::set<std::string> kView = {"project:read-runs"};
  switch (c) {
    case kOrgAdmin:
    case kAdmin:
      return kAll;
    case kConfigManager:
      return kCfg;
    case kEditor:
      return kEdit;
    case kOperator:
      return kOp;
    case kViewer:
      return kView;
    default:
      return kNone;
  }
}

// Who may call a route.
enum class Rule {
  kPublic,           // no authentication at all
  kAuthenticated,    // any signed-in user
  kOrgAdmin,         // org:admin, route outside projects (others 403)
  kProjectOrgAdmin,  // org:admin, route under /projects/P (members 403, outsider 404)
  kVisible,          // any member of P (or org admin)
  kPermission,       // the project permission in RouteCase::permission
  kOthersToken,      // DELETE of a token that belongs to someone else: 404 for everyone
};

// A PNG signature and a few bytes: the smallest body the artifact routes accept as image/png.
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";

// Shared fixture state: one server, one project P with members of every role, a project Q
// for the outsider, and one object of every kind in P.
struct World {
  std::unique_ptr<ApiHarness> h;
  std::string token[kCallerCount];
  int64_t user_id[kCallerCount] = {};
  std::string root;  // org admin token used to prepare objects (not a caller)
  int64_t pid = 0, qid = 0, test_id = 0, run_id = 0, plan_id = 0, exec_id = 0;
  std::string base;  // /api/v1/projects/P
  std::atomic<int> seq{0};

  std::string Unique(const std::string& prefix) { return prefix + std::to_string(++seq); }

  Json NewTest() {
    auto r = h->Post(base + "/tests", root,
                     {{"name", Unique("test-")}, {"steps", {{{"goal", "Open the page"}}}}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body;
  }
  // An artifact of run_id, uploaded by root; its id.
  int64_t NewArtifact() {
    auto r = h->Call("POST", base + "/runs/" + std::to_string(run_id) + "/artifacts?name=a.png",
                     root, kPng, {{"Content-Type", "image/png"}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", int64_t{0});
  }

  int64_t NewRun(int64_t tid) {
    auto r = h->Post(base + "/runs", root, RunBody(tid));
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", int64_t{0});
  }
  int64_t NewUser() {
    int64_t id = 0;
    h->CreateUserToken(Unique("extra") + "@example.com", false, &id);
    return id;
  }
  static Json RunBody(int64_t tid) {
    return {{"test_id", tid},
            {"result", "Success"},
            {"bug_label", "NoBug"},
            {"started_at", "2026-11-25T10:00:00Z"},
            {"finished_at", "2026-11-25T10:01:00Z"}};
  }
};

World* w = nullptr;

struct Request {
  std::string path;
  std::string body;
  std::string content_type = "";  // "" = JSON
};

struct RouteCase {
  std::string name;  // test name part
  std::string method;
  Rule rule;
  std::string permission;  // for kPermission; also named in 403 messages
  int success;             // exact 2xx status
  // Builds the request for one caller; may create fresh objects so state-changing rows
  // never affect later rows.
  std::function<Request(World&, Caller)> make;
};

std::string S(int64_t v) { return std::to_string(v); }

std::vector<RouteCase> Routes() {
  using R = Request;
  return {
      {"GetHealthz", "GET", Rule::kPublic, "", 200,
       [](World&, Caller) {
         return R{"/healthz", ""};
       }},
      {"PostLogin", "POST", Rule::kPublic, "", 200,
       [](World&, Caller) {
         return R{"/api/v1/auth/login",
                  Json{{"email", "login@example.com"}, {"password", "password-123"}}.dump()};
       }},
      {"PostLogout", "POST", Rule::kPublic, "", 204,
       [](World&, Caller) {
         return R{"/api/v1/auth/logout", ""};
       }},
      {"GetMe", "GET", Rule::kAuthenticated, "", 200,
       [](World&, Caller) {
         return R{"/api/v1/me", ""};
       }},
      {"GetTokens", "GET", Rule::kAuthenticated, "", 200,
       [](World&, Caller) {
         return R{"/api/v1/tokens", ""};
       }},
      {"PostTokens", "POST", Rule::kAuthenticated, "", 201,
       [](World&, Caller) {
         return R{"/api/v1/tokens", R"({"name":"ci"})"};
       }},
      {"DeleteOwnToken", "DELETE", Rule::kAuthenticated, "", 204,
       [](World& wd, Caller c) {
         // A second token of the caller (the anonymous caller gets root's: still 401).
         int64_t owner = c == kAnon ? wd.user_id[kOrgAdmin] : wd.user_id[c];
         auto t = wd.h->app().auth().CreateToken(owner, "spare");
         EXPECT_TRUE(t.ok());
         return R{"/api/v1/tokens/" + S(t->token.id), ""};
       }},
      {"DeleteOthersToken", "DELETE", Rule::kOthersToken, "", 204,
       [](World& wd, Caller) {
         auto t = wd.h->app().auth().CreateToken(wd.NewUser(), "theirs");
         EXPECT_TRUE(t.ok());
         return R{"/api/v1/tokens/" + S(t->token.id), ""};
       }},
      {"GetUsers", "GET", Rule::kOrgAdmin, "org:admin", 200,
       [](World&, Caller) {
         return R{"/api/v1/users", ""};
       }},
      {"PostUsers", "POST", Rule::kOrgAdmin, "org:admin", 201,
       [](World& wd, Caller) {
         return R{"/api/v1/users", Json{{"email", wd.Unique("new") + "@example.com"},
                                        {"name", "New"},
                                        {"password", "long enough passphrase"}}
                                       .dump()};
       }},
      {"GetProjects", "GET", Rule::kAuthenticated, "", 200,
       [](World&, Caller) {
         return R{"/api/v1/projects", ""};
       }},
      {"PostProjects", "POST", Rule::kOrgAdmin, "org:admin", 201,
       [](World& wd, Caller) {
         return R{"/api/v1/projects", Json{{"name", wd.Unique("proj-")}}.dump()};
       }},
      {"GetProject", "GET", Rule::kVisible, "", 200,
       [](World& wd, Caller) {
         return R{wd.base, ""};
       }},
      {"PutFeatures", "PUT", Rule::kProjectOrgAdmin, "org:admin", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/features", R"({"testrail":true})"};
       }},
      {"GetMembers", "GET", Rule::kPermission, "project:admin", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/members", ""};
       }},
      {"PutMember", "PUT", Rule::kPermission, "project:admin", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/members/" + S(wd.NewUser()), R"({"role":"viewer"})"};
       }},
      {"DeleteMember", "DELETE", Rule::kPermission, "project:admin", 204,
       [](World& wd, Caller) {
         int64_t u = wd.NewUser();
         EXPECT_TRUE(wd.h->store().SetMembership({wd.pid, u, ProjectRole::kViewer}).ok());
         return R{wd.base + "/members/" + S(u), ""};
       }},
      {"GetTests", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/tests", ""};
       }},
      {"PostTests", "POST", Rule::kPermission, "project:edit-tests", 201,
       [](World& wd, Caller) {
         return R{wd.base + "/tests", Json{{"name", wd.Unique("new test ")}}.dump()};
       }},
      {"GetTest", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/tests/" + S(wd.test_id), ""};
       }},
      {"PutTest", "PUT", Rule::kPermission, "project:edit-tests", 200,
       [](World& wd, Caller) {
         Json t = wd.NewTest();
         return R{
             wd.base + "/tests/" + S(t["id"]),
             Json{{"name", "renamed"}, {"steps", t["steps"]}, {"version", t["version"]}}.dump()};
       }},
      {"DeleteTest", "DELETE", Rule::kPermission, "project:edit-tests", 204,
       [](World& wd, Caller) {
         return R{wd.base + "/tests/" + S(wd.NewTest()["id"]), ""};
       }},
      {"GetRuns", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/runs", ""};
       }},
      {"PostRuns", "POST", Rule::kPermission, "project:operate-runs", 201,
       [](World& wd, Caller) {
         return R{wd.base + "/runs", World::RunBody(wd.test_id).dump()};
       }},
      {"GetRun", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/runs/" + S(wd.run_id), ""};
       }},
      {"PostArtifact", "POST", Rule::kPermission, "project:operate-runs", 201,
       [](World& wd, Caller) {
         return R{wd.base + "/runs/" + S(wd.run_id) + "/artifacts?name=shot.png", kPng,
                  "image/png"};
       }},
      {"GetArtifacts", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/runs/" + S(wd.run_id) + "/artifacts", ""};
       }},
      {"GetArtifact", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/runs/" + S(wd.run_id) + "/artifacts/" + S(wd.NewArtifact()), ""};
       }},
      {"DeleteArtifact", "DELETE", Rule::kPermission, "project:operate-runs", 204,
       [](World& wd, Caller) {
         return R{wd.base + "/runs/" + S(wd.run_id) + "/artifacts/" + S(wd.NewArtifact()), ""};
       }},
      {"PatchRun", "PATCH", Rule::kPermission, "project:operate-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/runs/" + S(wd.NewRun(wd.test_id)), R"({"bug_label":"LikelyBug"})"};
       }},
      {"GetPlans", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/plans", ""};
       }},
      {"PostPlans", "POST", Rule::kPermission, "project:edit-tests", 201,
       [](World& wd, Caller) {
         return R{wd.base + "/plans", Json{{"name", "Nightly"}, {"test_ids", {wd.test_id}}}.dump()};
       }},
      {"GetPlan", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/plans/" + S(wd.plan_id), ""};
       }},
      {"GetExecutions", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/executions", ""};
       }},
      {"PostExecutions", "POST", Rule::kPermission, "project:operate-runs", 201,
       [](World& wd, Caller) {
         return R{wd.base + "/executions", Json{{"plan_id", wd.plan_id}}.dump()};
       }},
      {"GetExecution", "GET", Rule::kPermission, "project:read-runs", 200,
       [](World& wd, Caller) {
         return R{wd.base + "/executions/" + S(wd.exec_id), ""};
       }},
  };
}

const std::vector<RouteCase>& AllRoutes() {
  static const std::vector<RouteCase> kRoutes = Routes();
  return kRoutes;
}

// Expected exact status for (route, caller).
int Expected(const RouteCase& rc, Caller c) {
  if (rc.rule == Rule::kPublic) return rc.success;
  if (c == kAnon) return 401;
  switch (rc.rule) {
    case Rule::kAuthenticated:
      return rc.success;
    case Rule::kOthersToken:
      return 404;
    case Rule::kOrgAdmin:
      return c == kOrgAdmin ? rc.success : 403;
    case Rule::kProjectOrgAdmin:
      if (c == kOutsider) return 404;
      return c == kOrgAdmin ? rc.success : 403;
    case Rule::kVisible:
      return c == kOutsider ? 404 : rc.success;
    case Rule::kPermission:
      if (c == kOutsider) return 404;
      return RolePermissions(c).count(rc.permission) ? rc.success : 403;
    case Rule::kPublic:
      break;
  }
  return rc.success;
}

class PermissionMatrixTest : public ::testing::TestWithParam<std::tuple<size_t, int>> {
 public:
  static void SetUpTestSuite() {
    w = new World;
    w->h = std::make_unique<ApiHarness>();
    ApiHarness& h = *w->h;
    w->root = h.CreateUserToken("root@example.com", /*org_admin=*/true);
    h.CreateUserToken("login@example.com");  // password "password-123"
    // P has no creator membership: the org admin below sees it through org:admin only.
    Project p;
    p.name = "P";
    p.created_at = 1;
    auto pr = h.store().CreateProject(p, std::nullopt);
    ASSERT_TRUE(pr.ok()) << pr.status().ToString();
    w->pid = pr->id;
    p.name = "Q";
    auto qr = h.store().CreateProject(p, std::nullopt);
    ASSERT_TRUE(qr.ok());
    w->qid = qr->id;
    w->base = "/api/v1/projects/" + S(w->pid);
    const ProjectRole roles[] = {ProjectRole::kAdmin, ProjectRole::kConfigManager,
                                 ProjectRole::kEditor, ProjectRole::kOperator,
                                 ProjectRole::kViewer};
    for (int c = 0; c < kAnon; ++c) {
      std::string email = std::string(kCallerNames[c]) + "@example.com";
      w->token[c] = h.CreateUserToken(email, c == kOrgAdmin, &w->user_id[c]);
      if (c >= kAdmin && c <= kViewer) {
        ASSERT_TRUE(h.store().SetMembership({w->pid, w->user_id[c], roles[c - kAdmin]}).ok());
      }
    }
    // The outsider administers another project, so it is a project admin somewhere.
    ASSERT_TRUE(h.store().SetMembership({w->qid, w->user_id[kOutsider], ProjectRole::kAdmin}).ok());
    w->test_id = w->NewTest()["id"];
    w->run_id = w->NewRun(w->test_id);
    auto plan = h.Post(w->base + "/plans", w->root, {{"name", "Base"}, {"test_ids", {w->test_id}}});
    ASSERT_EQ(plan.status, 201) << plan.raw;
    w->plan_id = plan.body["id"];
    auto e = h.Post(w->base + "/executions", w->root, {{"plan_id", w->plan_id}});
    ASSERT_EQ(e.status, 201) << e.raw;
    w->exec_id = e.body["id"];
  }
  static void TearDownTestSuite() {
    delete w;
    w = nullptr;
  }
};

TEST_P(PermissionMatrixTest, ExactStatus) {
  ASSERT_NE(w, nullptr);
  const RouteCase& rc = AllRoutes()[std::get<0>(GetParam())];
  Caller c = static_cast<Caller>(std::get<1>(GetParam()));
  Request req = rc.make(*w, c);
  int want = Expected(rc, c);
  httplib::Headers extra;
  if (!req.content_type.empty()) extra.emplace("Content-Type", req.content_type);
  auto r = w->h->Call(rc.method, req.path, c == kAnon ? "" : w->token[c], req.body, extra);
  ASSERT_EQ(r.status, want) << rc.method << " " << req.path << " as " << kCallerNames[c] << ": "
                            << r.raw;
  switch (want) {
    case 403:
      EXPECT_EQ(r.code(), "permission_denied") << r.raw;
      EXPECT_NE(r.message().find(rc.permission), std::string::npos)
          << "403 message must name the permission " << rc.permission << ": " << r.raw;
      break;
    case 404:
      EXPECT_EQ(r.code(), "not_found") << r.raw;
      break;
    case 401:
      EXPECT_EQ(r.code(), "unauthenticated") << r.raw;
      break;
    default:
      EXPECT_TRUE(r.code().empty()) << r.raw;
      break;
  }
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<size_t, int>>& info) {
  return AllRoutes()[std::get<0>(info.param)].name + "_" + kCallerNames[std::get<1>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllRoutesAllCallers, PermissionMatrixTest,
                         ::testing::Combine(::testing::Range<size_t>(0, AllRoutes().size()),
                                            ::testing::Range(0, kCallerCount)),
                         CaseName);

// Denied and invisible calls leave the objects alone (the matrix above only checks status).
class PermissionSideEffectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = h_.CreateUserToken("root@example.com", true);
    viewer_ = h_.CreateUserToken("viewer@example.com", false, &viewer_id_);
    outsider_ = h_.CreateUserToken("outsider@example.com", false, &outsider_id_);
    auto p = h_.Post("/api/v1/projects", root_, {{"name", "P"}});
    ASSERT_EQ(p.status, 201);
    pid_ = p.body["id"];
    base_ = "/api/v1/projects/" + S(pid_);
    auto q = h_.Post("/api/v1/projects", root_, {{"name", "Q"}});
    ASSERT_EQ(q.status, 201);
    ASSERT_EQ(h_.Put(base_ + "/members/" + S(viewer_id_), root_, {{"role", "viewer"}}).status, 200);
    ASSERT_EQ(h_.Put("/api/v1/projects/" + S(q.body["id"]) + "/members/" + S(outsider_id_), root_,
                     {{"role", "admin"}})
                  .status,
              200);
  }

  ApiHarness h_;
  std::string root_, viewer_, outsider_;
  int64_t viewer_id_ = 0, outsider_id_ = 0, pid_ = 0;
  std::string base_;
};

TEST_F(PermissionSideEffectsTest, DeniedWritesChangeNothing) {
  auto t = h_.Post(base_ + "/tests", root_, {{"name", "T"}, {"steps", {{{"goal", "g"}}}}});
  ASSERT_EQ(t.status, 201);
  std::string tpath = base_ + "/tests/" + S(t.body["id"]);
  Json put = {{"name", "hijacked"}, {"steps", t.body["steps"]}, {"version", 1}};
  for (const std::string* tok : {&viewer_, &outsider_}) {
    EXPECT_NE(h_.Put(tpath, *tok, put).status, 200);
    EXPECT_NE(h_.Delete(tpath, *tok).status, 204);
    EXPECT_NE(h_.Put(base_ + "/features", *tok, {{"testrail", true}}).status, 200);
    EXPECT_NE(h_.Put(base_ + "/members/" + S(outsider_id_), *tok, {{"role", "admin"}}).status, 200);
  }
  auto after = h_.Get(tpath, root_);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body["name"], "T");
  EXPECT_EQ(after.body["version"], 1);
  EXPECT_EQ(h_.Get(base_, root_).body["features"]["testrail"], false);
  EXPECT_EQ(h_.Get(base_ + "/members", root_).body["items"].size(), 2u);  // root + viewer
  EXPECT_EQ(h_.Get(base_ + "/tests", viewer_).body["items"].size(), 1u);
}

TEST_F(PermissionSideEffectsTest, OutsiderSeesNeitherProjectNorRoleAndGets404LikeMissing) {
  auto list = h_.Get("/api/v1/projects", outsider_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0]["name"], "Q");
  auto me = h_.Get("/api/v1/me", outsider_);
  ASSERT_EQ(me.status, 200);
  ASSERT_EQ(me.body["project_roles"].size(), 1u);
  EXPECT_NE(me.body["project_roles"][0]["project_id"], pid_);
  // An existing project the caller cannot see is indistinguishable from a missing one.
  auto hidden = h_.Get(base_, outsider_);
  auto missing = h_.Get("/api/v1/projects/999999", outsider_);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(hidden.code(), missing.code());
  // Even the org admin gets 404 for a project that does not exist.
  EXPECT_EQ(h_.Get("/api/v1/projects/999999/tests", root_).status, 404);
  EXPECT_EQ(h_.Put("/api/v1/projects/999999/features", root_, {{"testrail", true}}).status, 404);
  // The viewer's project view lists exactly its permissions.
  auto pv = h_.Get(base_, viewer_);
  ASSERT_EQ(pv.status, 200);
  EXPECT_EQ(pv.body["permissions"], Json({"project:read-runs"}));
}

TEST_F(PermissionSideEffectsTest, TokensAreOwnOnly) {
  auto mine = h_.Post("/api/v1/tokens", viewer_, {{"name", "mine"}});
  ASSERT_EQ(mine.status, 201);
  std::string tpath = "/api/v1/tokens/" + S(mine.body["id"]);
  // Not listed for others, not deletable by others (not even the org admin).
  EXPECT_EQ(h_.Get("/api/v1/tokens", outsider_).raw.find("\"mine\""), std::string::npos);
  EXPECT_EQ(h_.Delete(tpath, outsider_).status, 404);
  EXPECT_EQ(h_.Delete(tpath, root_).status, 404);
  EXPECT_EQ(h_.Get("/api/v1/me", mine.body["token"].get<std::string>()).status, 200);
  EXPECT_EQ(h_.Delete(tpath, viewer_).status, 204);
  EXPECT_EQ(h_.Get("/api/v1/me", mine.body["token"].get<std::string>()).status, 401);
}

TEST_F(PermissionSideEffectsTest, BadCredentialsAre401) {
  for (const char* header : {"Bearer nxs_not-a-token", "Basic dXNlcjpwYXNz", "Bearer "}) {
    auto r = h_.Call("GET", base_ + "/tests", "", "", {{"Authorization", header}});
    EXPECT_EQ(r.status, 401) << header;
    EXPECT_EQ(r.code(), "unauthenticated");
  }
  auto cookie = h_.Call("GET", "/api/v1/me", "", "", {{"Cookie", "nexus_session=forged"}});
  EXPECT_EQ(cookie.status, 401);
}

}  // namespace
}  // namespace nexus::testing
