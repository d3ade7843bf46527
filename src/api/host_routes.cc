// Host-model REST routes. Each handler: authenticate (done by the server) → check
// permission → validate the whole body → write. Nothing is written before validation passes.
#include "api/host_routes.h"

#include <httplib.h>

#include <algorithm>
#include <set>

#include "auth/crypto.h"
#include "core/time_util.h"

namespace nexus::api {
namespace {

constexpr size_t kMaxSteps = 500;
constexpr size_t kMaxTags = 50;
constexpr size_t kMaxBugs = 200;
const std::set<std::string> kKnownFeatures = {"testrail"};

Json OptTimeJson(const std::optional<TimeMs>& t) {
  return t ? Json(FormatRfc3339(*t)) : Json(nullptr);
}

std::string NewStepId() { return "st_" + auth::RandomToken(9); }

struct Page {
  PageRequest req;
};

Result<PageRequest> ReadPage(const Ctx& ctx) {
  PageRequest p;
  NEXUS_ASSIGN_OR_RETURN(auto limit, QueryInt(ctx.Query("limit"), "limit", 1, 200));
  NEXUS_ASSIGN_OR_RETURN(auto cursor, QueryInt(ctx.Query("cursor"), "cursor", 0, INT64_MAX / 2));
  p.limit = static_cast<int>(limit.value_or(50));
  p.after_id = cursor.value_or(0);
  return p;
}

// Fetches one more than asked to know whether a next page exists.
template <typename T, typename Fn>
Result<Reply> ListReply(const PageRequest& page, Fn fetch, Json (*to_json)(const T&)) {
  PageRequest probe = page;
  probe.limit = page.limit + 1;
  NEXUS_ASSIGN_OR_RETURN(std::vector<T> items, fetch(probe));
  Json out = Json::array();
  bool more = items.size() > static_cast<size_t>(page.limit);
  if (more) items.resize(page.limit);
  for (const T& i : items) out.push_back(to_json(i));
  Json next = more ? Json(std::to_string(items.back().id)) : Json(nullptr);
  return Reply{200, Json{{"items", out}, {"next_cursor", next}}};
}

Json PlanJson(const TestPlan& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"test_ids", p.test_ids},
          {"created_at", FormatRfc3339(p.created_at)}};
}

Json ExecutionJson(const Execution& e) {
  return {{"id", e.id},
          {"plan_id", e.plan_id},
          {"test_ids", e.test_ids},
          {"state", ExecutionStateName(e.state)},
          {"created_at", FormatRfc3339(e.created_at)},
          {"completed_at", OptTimeJson(e.completed_at)}};
}

Json MembershipJson(const Membership& m) {
  return {{"user_id", m.user_id}, {"role", ProjectRoleName(m.role)}};
}

Json TokenJson(const ApiToken& t) {
  return {{"id", t.id}, {"name", t.name}, {"created_at", FormatRfc3339(t.created_at)}};
}

// Parses one step of a test body. `allow_id`: PUT may carry ids of existing steps.
Result<Step> ReadStep(const Json& s, const std::string& path, bool allow_id) {
  if (!s.is_object()) return InvalidArgument(path + " must be an object", path, "invalid_type");
  if (allow_id) {
    NEXUS_RETURN_IF_ERROR(OnlyKeys(s, {"id", "goal", "expected_results"}, path));
  } else {
    NEXUS_RETURN_IF_ERROR(OnlyKeys(s, {"goal", "expected_results"}, path));
  }
  Step step;
  if (allow_id) {
    NEXUS_ASSIGN_OR_RETURN(auto id, OptString(s, "id", path, {1, 64}));
    step.id = id.value_or("");
  }
  NEXUS_ASSIGN_OR_RETURN(step.goal, ReqString(s, "goal", path, {1, 10000, true}));
  NEXUS_ASSIGN_OR_RETURN(step.expected_results,
                         OptStringArray(s, "expected_results", path, 50, {1, 5000}));
  return step;
}

Result<std::vector<Step>> ReadSteps(const Json& body, bool allow_id) {
  std::vector<Step> steps;
  auto it = body.find("steps");
  if (it == body.end() || it->is_null()) return steps;
  if (!it->is_array()) return InvalidArgument("steps must be an array", "steps", "invalid_type");
  if (it->size() > kMaxSteps)
    return InvalidArgument("steps may hold at most " + std::to_string(kMaxSteps) + " items",
                           "steps", "invalid_value");
  for (size_t i = 0; i < it->size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(Step st, ReadStep((*it)[i], Path("steps", i), allow_id));
    steps.push_back(std::move(st));
  }
  return steps;
}

Result<std::vector<std::string>> ReadTags(const Json& body) {
  NEXUS_ASSIGN_OR_RETURN(auto tags, OptStringArray(body, "tags", "", kMaxTags, {1, 64, true}));
  std::vector<std::string> unique;
  for (auto& t : tags)
    if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);
  return unique;
}

Result<RunResult> ReadRunResult(const Json& o, std::string_view key, const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::string s, ReqString(o, key, path, {1, 32}));
  auto r = ParseRunResult(s);
  std::string field = Path(path, key);
  if (!r)
    return InvalidArgument(field + " must be one of Success, Stopped, MaxSteps, Error", field,
                           "invalid_value");
  return *r;
}

Result<BugLabel> ReadBugLabel(const Json& o, std::string_view key, const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::string s, ReqString(o, key, path, {1, 32}));
  auto l = ParseBugLabel(s);
  std::string field = Path(path, key);
  if (!l)
    return InvalidArgument(
        field + " must be one of NoBug, LikelyNoBug, Undecided, LikelyBug, DefinitelyBug", field,
        "invalid_value");
  return *l;
}

bool TestHasStep(const Test& t, const std::string& step_id) {
  return std::any_of(t.steps.begin(), t.steps.end(),
                     [&](const Step& s) { return s.id == step_id; });
}

class HostApi {
 public:
  HostApi(Store& store, auth::AuthService& auth, const Clock& clock, const HostHooks& hooks)
      : store_(store), auth_(auth), clock_(clock), hooks_(hooks) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (HostApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    s.Route("GET", "/healthz", bind(&HostApi::Healthz), false);
    s.Route("POST", "/api/v1/auth/login", bind(&HostApi::Login), false);
    s.Route("POST", "/api/v1/auth/logout", bind(&HostApi::Logout), false);
    s.Route("GET", "/api/v1/me", bind(&HostApi::Me));
    s.Route("GET", "/api/v1/tokens", bind(&HostApi::ListTokens));
    s.Route("POST", "/api/v1/tokens", bind(&HostApi::CreateToken));
    s.Route("DELETE", "/api/v1/tokens/{id}", bind(&HostApi::DeleteToken));
    s.Route("GET", "/api/v1/users", bind(&HostApi::ListUsers));
    s.Route("POST", "/api/v1/users", bind(&HostApi::CreateUser));
    s.Route("GET", "/api/v1/projects", bind(&HostApi::ListProjects));
    s.Route("POST", "/api/v1/projects", bind(&HostApi::CreateProject));
    s.Route("GET", "/api/v1/projects/{p}", bind(&HostApi::GetProject));
    s.Route("PUT", "/api/v1/projects/{p}/features", bind(&HostApi::SetFeatures));
    s.Route("GET", "/api/v1/projects/{p}/members", bind(&HostApi::ListMembers));
    s.Route("PUT", "/api/v1/projects/{p}/members/{u}", bind(&HostApi::SetMember));
    s.Route("DELETE", "/api/v1/projects/{p}/members/{u}", bind(&HostApi::RemoveMember));
    s.Route("GET", "/api/v1/projects/{p}/tests", bind(&HostApi::ListTests));
    s.Route("POST", "/api/v1/projects/{p}/tests", bind(&HostApi::CreateTest));
    s.Route("GET", "/api/v1/projects/{p}/tests/{t}", bind(&HostApi::GetTest));
    s.Route("PUT", "/api/v1/projects/{p}/tests/{t}", bind(&HostApi::UpdateTest));
    s.Route("DELETE", "/api/v1/projects/{p}/tests/{t}", bind(&HostApi::DeleteTest));
    s.Route("GET", "/api/v1/projects/{p}/runs", bind(&HostApi::ListRuns));
    s.Route("POST", "/api/v1/projects/{p}/runs", bind(&HostApi::CreateRun));
    s.Route("GET", "/api/v1/projects/{p}/runs/{r}", bind(&HostApi::GetRun));
    s.Route("PATCH", "/api/v1/projects/{p}/runs/{r}", bind(&HostApi::PatchRun));
    s.Route("GET", "/api/v1/projects/{p}/plans", bind(&HostApi::ListPlans));
    s.Route("POST", "/api/v1/projects/{p}/plans", bind(&HostApi::CreatePlan));
    s.Route("GET", "/api/v1/projects/{p}/plans/{id}", bind(&HostApi::GetPlan));
    s.Route("GET", "/api/v1/projects/{p}/executions", bind(&HostApi::ListExecutions));
    s.Route("POST", "/api/v1/projects/{p}/executions", bind(&HostApi::CreateExecution));
    s.Route("GET", "/api/v1/projects/{p}/executions/{e}", bind(&HostApi::GetExecution));
  }

 private:
  Result<Reply> Healthz(Ctx&) {
    auto v = store_.SchemaVersion();
    if (!v.ok()) return Status(StatusCode::kUnavailable, "database unavailable");
    return Reply{200, {{"status", "ok"}, {"schema_version", v.value()}}};
  }

  // ---- Auth.
  Result<Reply> Login(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"email", "password"}));
    NEXUS_ASSIGN_OR_RETURN(std::string email, ReqString(b, "email", "", {1, 254}));
    NEXUS_ASSIGN_OR_RETURN(std::string password, ReqString(b, "password", "", {1, 1024}));
    NEXUS_ASSIGN_OR_RETURN(auto login, auth_.Login(email, password));
    std::string cookie = std::string(kSessionCookie) + "=" + login.second.cookie_value +
                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                         std::to_string((login.second.expires_at - clock_.NowMs()) / 1000);
    if (secure_cookies_) cookie += "; Secure";
    c.res.set_header("Set-Cookie", cookie);
    return Reply{200, {{"user", UserJson(login.first)}, {"csrf_token", login.second.csrf_token}}};
  }

  Result<Reply> Logout(Ctx& c) {
    std::string header = c.req.get_header_value("Cookie");
    auto pos = header.find(std::string(kSessionCookie) + "=");
    if (pos != std::string::npos) {
      auto start = pos + std::string(kSessionCookie).size() + 1;
      auto end = header.find(';', start);
      NEXUS_RETURN_IF_ERROR(auth_.Logout(header.substr(start, end - start)));
    }
    c.res.set_header("Set-Cookie", std::string(kSessionCookie) +
                                       "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return Reply{204, nullptr};
  }

  Result<Reply> Me(Ctx& c) {
    Json out = UserJson(c.Who().user);
    if (c.Who().via_session) out["csrf_token"] = c.Who().csrf_token;
    NEXUS_ASSIGN_OR_RETURN(auto projects, store_.ListProjectsForUser(c.Who().user.id));
    Json roles = Json::array();
    for (const Project& p : projects) {
      auto role = store_.GetRole(p.id, c.Who().user.id);
      if (role.ok() && role.value())
        roles.push_back({{"project_id", p.id}, {"role", ProjectRoleName(*role.value())}});
    }
    out["project_roles"] = roles;
    return Reply{200, out};
  }

  // ---- Tokens.
  Result<Reply> ListTokens(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(auto tokens, store_.ListTokens(c.Who().user.id));
    Json items = Json::array();
    for (const auto& t : tokens) items.push_back(TokenJson(t));
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> CreateToken(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name"}));
    NEXUS_ASSIGN_OR_RETURN(std::string name, ReqString(b, "name", "", {1, 100, true}));
    NEXUS_ASSIGN_OR_RETURN(auto nt, auth_.CreateToken(c.Who().user.id, name));
    Json out = TokenJson(nt.token);
    out["token"] = nt.secret;
    return Reply{201, out};
  }

  Result<Reply> DeleteToken(Ctx& c) {
    Status st = store_.DeleteToken(c.Who().user.id, c.Id(0));
    if (st.code() == StatusCode::kNotFound) return NotFound("token not found");
    NEXUS_RETURN_IF_ERROR(st);
    return Reply{204, nullptr};
  }

  // ---- Users.
  Result<Reply> ListUsers(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(auto users, store_.ListUsers());
    Json items = Json::array();
    for (const auto& u : users) items.push_back(UserJson(u));
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> CreateUser(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"email", "name", "password", "org_admin"}));
    NEXUS_ASSIGN_OR_RETURN(std::string email, ReqString(b, "email", "", {1, 254}));
    NEXUS_ASSIGN_OR_RETURN(std::string name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(std::string password, ReqString(b, "password", "", {1, 1024}));
    NEXUS_ASSIGN_OR_RETURN(auto org_admin, OptBool(b, "org_admin", ""));
    NEXUS_ASSIGN_OR_RETURN(User u,
                           auth_.CreateUser(email, name, password, org_admin.value_or(false)));
    return Reply{201, UserJson(u)};
  }

  // ---- Projects.
  Result<Reply> ListProjects(Ctx& c) {
    std::vector<Project> projects;
    if (c.Who().user.org_admin) {
      NEXUS_ASSIGN_OR_RETURN(projects, store_.ListProjects());
    } else {
      NEXUS_ASSIGN_OR_RETURN(projects, store_.ListProjectsForUser(c.Who().user.id));
    }
    Json items = Json::array();
    for (const auto& p : projects) {
      Json j = ProjectJson(p);
      j["permissions"] = Permissions(c, p.id);
      items.push_back(j);
    }
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Json Permissions(Ctx& c, int64_t project_id) {
    Json perms = Json::array();
    for (Permission p : {Permission::kProjectAdmin, Permission::kEditConfigs,
                         Permission::kEditTests, Permission::kReadRuns, Permission::kOperateRuns})
      if (auth_.Has(c.Who(), project_id, p)) perms.push_back(PermissionName(p));
    if (c.Who().user.org_admin) perms.push_back("org:admin");
    return perms;
  }

  Result<Reply> CreateProject(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name"}));
    Project p;
    NEXUS_ASSIGN_OR_RETURN(p.name, ReqString(b, "name", "", {1, 200, true}));
    p.created_at = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(p, store_.CreateProject(p, c.Who().user.id));
    return Reply{201, ProjectJson(p)};
  }

  Result<Reply> GetProject(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p, auth_.RequireVisibleProject(c.Who(), c.Id(0)));
    Json j = ProjectJson(p);
    j["permissions"] = Permissions(c, p.id);
    return Reply{200, j};
  }

  Result<Reply> SetFeatures(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p, auth_.RequireVisibleProject(c.Who(), c.Id(0)));
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    std::vector<std::pair<std::string, bool>> changes;
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (!kKnownFeatures.count(it.key()))
        return InvalidArgument("unknown feature '" + it.key() + "' (known: testrail)", it.key(),
                               "unknown_field");
      if (!it->is_boolean())
        return InvalidArgument(it.key() + " must be a boolean", it.key(), "invalid_type");
      changes.emplace_back(it.key(), it->get<bool>());
    }
    for (const auto& [f, on] : changes)
      NEXUS_RETURN_IF_ERROR(store_.SetProjectFeature(p.id, f, on));
    NEXUS_ASSIGN_OR_RETURN(p, store_.GetProject(p.id));
    return Reply{200, ProjectJson(p)};
  }

  Result<Reply> ListMembers(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kProjectAdmin));
    NEXUS_ASSIGN_OR_RETURN(auto members, store_.ListMembers(p.id));
    Json items = Json::array();
    for (const auto& m : members) {
      Json j = MembershipJson(m);
      auto u = store_.GetUser(m.user_id);
      if (u.ok()) {
        j["email"] = u->email;
        j["name"] = u->name;
      }
      items.push_back(j);
    }
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> SetMember(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kProjectAdmin));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"role"}));
    NEXUS_ASSIGN_OR_RETURN(std::string role_name, ReqString(b, "role", "", {1, 32}));
    auto role = ParseProjectRole(role_name);
    if (!role)
      return InvalidArgument("role must be one of admin, config-manager, editor, operator, viewer",
                             "role", "invalid_value");
    auto user = store_.GetUser(c.Id(1));
    if (!user.ok()) return NotFound("user " + c.params[1] + " not found");
    NEXUS_RETURN_IF_ERROR(store_.SetMembership({p.id, user->id, *role}));
    Json j = MembershipJson({p.id, user->id, *role});
    j["email"] = user->email;
    j["name"] = user->name;
    return Reply{200, j};
  }

  Result<Reply> RemoveMember(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kProjectAdmin));
    Status st = store_.RemoveMembership(p.id, c.Id(1));
    if (st.code() == StatusCode::kNotFound)
      return NotFound("user " + c.params[1] + " is not a member of this project");
    NEXUS_RETURN_IF_ERROR(st);
    return Reply{204, nullptr};
  }

  // ---- Tests.
  Json TestView(const Test& t) {
    Json j = TestJson(t);
    if (hooks_.linked_case_count)
      j["testrail_case_count"] = hooks_.linked_case_count(t.project_id, t.id);
    return j;
  }

  Result<Reply> ListTests(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    PageRequest probe = page;
    probe.limit = page.limit + 1;
    NEXUS_ASSIGN_OR_RETURN(auto tests, store_.ListTests(p.id, probe));
    bool more = tests.size() > static_cast<size_t>(page.limit);
    if (more) tests.resize(page.limit);
    Json items = Json::array();
    for (const auto& t : tests) items.push_back(TestView(t));
    return Reply{200,
                 {{"items", items},
                  {"next_cursor", more ? Json(std::to_string(tests.back().id)) : Json(nullptr)}}};
  }

  Result<Reply> CreateTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name", "tags", "steps"}));
    Test t;
    t.project_id = p.id;
    NEXUS_ASSIGN_OR_RETURN(t.name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(t.tags, ReadTags(b));
    NEXUS_ASSIGN_OR_RETURN(t.steps, ReadSteps(b, /*allow_id=*/false));
    for (auto& s : t.steps) s.id = NewStepId();
    t.created_at = t.updated_at = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(t, store_.CreateTest(t));
    return Reply{201, TestView(t)};
  }

  Result<Reply> GetTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(Test t, LoadTest(p.id, c.Id(1)));
    return Reply{200, TestView(t)};
  }

  Result<Test> LoadTest(int64_t project_id, int64_t test_id) {
    auto t = store_.GetTest(project_id, test_id);
    if (!t.ok() && t.status().code() == StatusCode::kNotFound)
      return NotFound("test " + std::to_string(test_id) + " not found");
    return t;
  }

  Result<Reply> UpdateTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Test current, LoadTest(p.id, c.Id(1)));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name", "tags", "steps", "version"}));
    Test t = current;
    NEXUS_ASSIGN_OR_RETURN(t.version, ReqInt(b, "version", "", 1));
    NEXUS_ASSIGN_OR_RETURN(t.name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(t.tags, ReadTags(b));
    NEXUS_ASSIGN_OR_RETURN(t.steps, ReadSteps(b, /*allow_id=*/true));
    std::set<std::string> seen;
    for (size_t i = 0; i < t.steps.size(); ++i) {
      Step& s = t.steps[i];
      std::string field = Path(Path("steps", i), "id");
      if (s.id.empty()) {
        s.id = NewStepId();
        continue;
      }
      if (!TestHasStep(current, s.id))
        return InvalidArgument("step '" + s.id + "' is not a step of this test", field,
                               "invalid_value");
      if (!seen.insert(s.id).second)
        return InvalidArgument("step '" + s.id + "' appears twice", field, "invalid_value");
    }
    if (t.version != current.version)
      return Status(StatusCode::kConflict,
                    "the test was changed meanwhile (version " + std::to_string(current.version) +
                        ", yours " + std::to_string(t.version) + "); reload and retry",
                    "version", "version_mismatch");
    t.updated_at = clock_.NowMs();
    auto updated = store_.UpdateTest(t);
    if (!updated.ok() && updated.status().code() == StatusCode::kConflict)
      return Status(StatusCode::kConflict, "the test was changed meanwhile; reload and retry",
                    "version", "version_mismatch");
    NEXUS_RETURN_IF_ERROR(updated.status());
    return Reply{200, TestView(updated.value())};
  }

  Result<Reply> DeleteTest(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Test t, LoadTest(p.id, c.Id(1)));
    NEXUS_RETURN_IF_ERROR(store_.DeleteTest(p.id, t.id, clock_.NowMs()));
    return Reply{204, nullptr};
  }

  // ---- Runs.
  Result<Reply> ListRuns(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    RunFilter f;
    NEXUS_ASSIGN_OR_RETURN(f.test_id, QueryInt(c.Query("test_id"), "test_id", 1, INT64_MAX / 2));
    NEXUS_ASSIGN_OR_RETURN(f.execution_id,
                           QueryInt(c.Query("execution_id"), "execution_id", 1, INT64_MAX / 2));
    std::string result = c.Query("result");
    if (!result.empty()) {
      f.result = ParseRunResult(result);
      if (!f.result)
        return InvalidArgument("result must be one of Success, Stopped, MaxSteps, Error", "result",
                               "invalid_value");
    }
    return ListReply<Run>(
        page, [&](const PageRequest& pr) { return store_.ListRuns(p.id, f, pr); }, &RunJson);
  }

  Result<Reply> CreateRun(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(
        OnlyKeys(b, {"test_id", "result", "bug_label", "started_at", "finished_at", "build",
                     "summary", "bugs", "steps", "execution_id"}));
    Run r;
    r.project_id = p.id;
    NEXUS_ASSIGN_OR_RETURN(r.test_id, ReqInt(b, "test_id", ""));
    auto test = store_.GetTest(p.id, r.test_id);
    if (!test.ok())
      return InvalidArgument("test " + std::to_string(r.test_id) + " not found in this project",
                             "test_id", "invalid_value");
    r.test_version = test->version;
    NEXUS_ASSIGN_OR_RETURN(r.result, ReadRunResult(b, "result", ""));
    NEXUS_ASSIGN_OR_RETURN(r.bug_label, ReadBugLabel(b, "bug_label", ""));
    NEXUS_ASSIGN_OR_RETURN(r.started_at, ReqTime(b, "started_at", ""));
    NEXUS_ASSIGN_OR_RETURN(r.finished_at, OptTime(b, "finished_at", ""));
    if (r.finished_at && *r.finished_at < r.started_at)
      return InvalidArgument("finished_at must not be before started_at", "finished_at",
                             "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(auto build, OptString(b, "build", "", {0, 250}));
    r.build = build.value_or("");
    NEXUS_ASSIGN_OR_RETURN(auto summary, OptString(b, "summary", "", {0, 20000}));
    r.summary = summary.value_or("");
    NEXUS_RETURN_IF_ERROR(ReadBugs(b, test.value(), r));
    NEXUS_RETURN_IF_ERROR(ReadStepOutcomes(b, test.value(), r));
    NEXUS_ASSIGN_OR_RETURN(r.execution_id, OptInt(b, "execution_id", ""));
    std::optional<Execution> execution;
    if (r.execution_id) {
      auto e = store_.GetExecution(p.id, *r.execution_id);
      if (!e.ok())
        return InvalidArgument(
            "execution " + std::to_string(*r.execution_id) + " not found in this project",
            "execution_id", "invalid_value");
      if (std::find(e->test_ids.begin(), e->test_ids.end(), r.test_id) == e->test_ids.end())
        return InvalidArgument("test " + std::to_string(r.test_id) + " is not part of execution " +
                                   std::to_string(e->id),
                               "test_id", "invalid_value");
      RunFilter f;
      f.execution_id = e->id;
      f.test_id = r.test_id;
      NEXUS_ASSIGN_OR_RETURN(auto existing, store_.ListRuns(p.id, f, {0, 1}));
      if (!existing.empty())
        return Conflict("execution " + std::to_string(e->id) + " already has run " +
                            std::to_string(existing[0].id) + " for test " +
                            std::to_string(r.test_id),
                        "duplicate");
      execution = e.value();
    }
    r.created_at = r.updated_at = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(r, store_.CreateRun(r));
    if (execution) NEXUS_RETURN_IF_ERROR(RefreshExecution(p.id, *execution));
    return Reply{201, RunJson(r)};
  }

  Status ReadBugs(const Json& b, const Test& test, Run& r) {
    auto it = b.find("bugs");
    if (it == b.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return InvalidArgument("bugs must be an array", "bugs", "invalid_type");
    if (it->size() > kMaxBugs)
      return InvalidArgument("bugs may hold at most 200 items", "bugs", "invalid_value");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& o = (*it)[i];
      std::string path = Path("bugs", i);
      if (!o.is_object()) return InvalidArgument(path + " must be an object", path, "invalid_type");
      NEXUS_RETURN_IF_ERROR(OnlyKeys(o, {"title", "description", "severity", "step_id"}, path));
      Bug bug;
      NEXUS_ASSIGN_OR_RETURN(bug.title, ReqString(o, "title", path, {1, 500, true}));
      NEXUS_ASSIGN_OR_RETURN(auto d, OptString(o, "description", path, {0, 20000}));
      bug.description = d.value_or("");
      NEXUS_ASSIGN_OR_RETURN(auto sev, OptString(o, "severity", path, {0, 50}));
      bug.severity = sev.value_or("");
      NEXUS_ASSIGN_OR_RETURN(auto sid, OptString(o, "step_id", path, {1, 64}));
      if (sid && !TestHasStep(test, *sid))
        return InvalidArgument(
            "step '" + *sid + "' is not a step of test " + std::to_string(test.id),
            Path(path, "step_id"), "invalid_value");
      bug.step_id = sid.value_or("");
      r.bugs.push_back(std::move(bug));
    }
    return Status::Ok();
  }

  Status ReadStepOutcomes(const Json& b, const Test& test, Run& r) {
    auto it = b.find("steps");
    if (it == b.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return InvalidArgument("steps must be an array", "steps", "invalid_type");
    if (it->size() > kMaxSteps)
      return InvalidArgument("steps may hold at most 500 items", "steps", "invalid_value");
    std::set<std::string> seen;
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& o = (*it)[i];
      std::string path = Path("steps", i);
      if (!o.is_object()) return InvalidArgument(path + " must be an object", path, "invalid_type");
      NEXUS_RETURN_IF_ERROR(OnlyKeys(
          o, {"step_id", "result", "bug_label", "started_at", "finished_at", "comment"}, path));
      StepOutcome so;
      NEXUS_ASSIGN_OR_RETURN(so.step_id, ReqString(o, "step_id", path, {1, 64}));
      if (!TestHasStep(test, so.step_id))
        return InvalidArgument(
            "step '" + so.step_id + "' is not a step of test " + std::to_string(test.id),
            Path(path, "step_id"), "invalid_value");
      if (!seen.insert(so.step_id).second)
        return InvalidArgument("step '" + so.step_id + "' is reported twice", Path(path, "step_id"),
                               "invalid_value");
      NEXUS_ASSIGN_OR_RETURN(so.result, ReadRunResult(o, "result", path));
      NEXUS_ASSIGN_OR_RETURN(so.bug_label, ReadBugLabel(o, "bug_label", path));
      NEXUS_ASSIGN_OR_RETURN(so.started_at, OptTime(o, "started_at", path));
      NEXUS_ASSIGN_OR_RETURN(so.finished_at, OptTime(o, "finished_at", path));
      if (so.started_at && so.finished_at && *so.finished_at < *so.started_at)
        return InvalidArgument("finished_at must not be before started_at",
                               Path(path, "finished_at"), "invalid_value");
      NEXUS_ASSIGN_OR_RETURN(auto comment, OptString(o, "comment", path, {0, 20000}));
      so.comment = comment.value_or("");
      r.steps.push_back(std::move(so));
    }
    return Status::Ok();
  }

  // Recomputes an execution's state from its runs; fires the completion hook on the
  // transition to completed (exactly once: the store compares and sets).
  Status RefreshExecution(int64_t project_id, const Execution& e) {
    RunFilter f;
    f.execution_id = e.id;
    std::vector<Run> runs;
    PageRequest page{0, 1000};
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(auto batch, store_.ListRuns(project_id, f, page));
      if (batch.empty()) break;
      page.after_id = batch.back().id;
      for (auto& r : batch) runs.push_back(std::move(r));
    }
    ExecutionState state = ComputeExecutionState(e.test_ids, runs);
    std::optional<TimeMs> completed;
    if (state == ExecutionState::kCompleted) completed = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(ExecutionState previous,
                           store_.SetExecutionState(project_id, e.id, state, completed));
    if (previous != ExecutionState::kCompleted && state == ExecutionState::kCompleted &&
        hooks_.on_execution_completed)
      hooks_.on_execution_completed(project_id, e.id);
    return Status::Ok();
  }

  Result<Reply> GetRun(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(Run r, LoadRun(p.id, c.Id(1)));
    return Reply{200, RunJson(r)};
  }

  Result<Run> LoadRun(int64_t project_id, int64_t run_id) {
    auto r = store_.GetRun(project_id, run_id);
    if (!r.ok() && r.status().code() == StatusCode::kNotFound)
      return NotFound("run " + std::to_string(run_id) + " not found");
    return r;
  }

  Result<Reply> PatchRun(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_ASSIGN_OR_RETURN(Run r, LoadRun(p.id, c.Id(1)));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"bug_label", "result", "finished_at", "summary"}));
    if (b.empty())
      return InvalidArgument("nothing to change: send bug_label, result, finished_at or summary",
                             "", "invalid_value");
    bool was_finished = r.finished();
    if (b.contains("bug_label")) {
      NEXUS_ASSIGN_OR_RETURN(r.bug_label, ReadBugLabel(b, "bug_label", ""));
    }
    if (b.contains("result")) {
      NEXUS_ASSIGN_OR_RETURN(r.result, ReadRunResult(b, "result", ""));
    }
    if (b.contains("finished_at")) {
      NEXUS_ASSIGN_OR_RETURN(auto f, OptTime(b, "finished_at", ""));
      if (!f)
        return InvalidArgument("finished_at cannot be cleared", "finished_at", "invalid_value");
      if (was_finished && *f != *r.finished_at)
        return InvalidArgument("the run has already finished", "finished_at", "invalid_value");
      if (*f < r.started_at)
        return InvalidArgument("finished_at must not be before started_at", "finished_at",
                               "invalid_value");
      r.finished_at = f;
    }
    if (b.contains("summary")) {
      NEXUS_ASSIGN_OR_RETURN(auto s, OptString(b, "summary", "", {0, 20000}));
      r.summary = s.value_or("");
    }
    r.updated_at = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(r, store_.UpdateRun(r));
    if (!was_finished && r.finished() && r.execution_id) {
      auto e = store_.GetExecution(p.id, *r.execution_id);
      if (e.ok()) NEXUS_RETURN_IF_ERROR(RefreshExecution(p.id, e.value()));
    }
    return Reply{200, RunJson(r)};
  }

  // ---- Plans and executions.
  Result<Reply> ListPlans(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    return ListReply<TestPlan>(
        page, [&](const PageRequest& pr) { return store_.ListPlans(p.id, pr); }, &PlanJson);
  }

  Result<Reply> CreatePlan(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name", "test_ids"}));
    TestPlan plan;
    plan.project_id = p.id;
    NEXUS_ASSIGN_OR_RETURN(plan.name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(auto ids, ReqIntArray(b, "test_ids", "", 1, 1000));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (std::find(plan.test_ids.begin(), plan.test_ids.end(), ids[i]) != plan.test_ids.end())
        continue;
      if (!store_.GetTest(p.id, ids[i]).ok())
        return InvalidArgument("test " + std::to_string(ids[i]) + " not found in this project",
                               Path("test_ids", i), "invalid_value");
      plan.test_ids.push_back(ids[i]);
    }
    plan.created_at = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(plan, store_.CreatePlan(plan));
    return Reply{201, PlanJson(plan)};
  }

  Result<Reply> GetPlan(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    auto plan = store_.GetPlan(p.id, c.Id(1));
    if (!plan.ok()) return NotFound("plan " + c.params[1] + " not found");
    return Reply{200, PlanJson(plan.value())};
  }

  Result<Reply> ListExecutions(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    return ListReply<Execution>(
        page, [&](const PageRequest& pr) { return store_.ListExecutions(p.id, pr); },
        &ExecutionJson);
  }

  Result<Reply> CreateExecution(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"plan_id"}));
    NEXUS_ASSIGN_OR_RETURN(int64_t plan_id, ReqInt(b, "plan_id", ""));
    auto plan = store_.GetPlan(p.id, plan_id);
    if (!plan.ok())
      return InvalidArgument("plan " + std::to_string(plan_id) + " not found in this project",
                             "plan_id", "invalid_value");
    Execution e;
    e.project_id = p.id;
    e.plan_id = plan_id;
    for (int64_t t : plan->test_ids)
      if (store_.GetTest(p.id, t).ok()) e.test_ids.push_back(t);  // skip deleted tests
    e.state = ExecutionState::kQueued;
    e.created_at = clock_.NowMs();
    NEXUS_ASSIGN_OR_RETURN(e, store_.CreateExecution(e));
    return Reply{201, ExecutionJson(e)};
  }

  Result<Reply> GetExecution(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    auto e = store_.GetExecution(p.id, c.Id(1));
    if (!e.ok()) return NotFound("execution " + c.params[1] + " not found");
    RunFilter f;
    f.execution_id = e->id;
    NEXUS_ASSIGN_OR_RETURN(auto runs, store_.ListRuns(p.id, f, {0, 1000}));
    Json j = ExecutionJson(e.value());
    Json rj = Json::array();
    for (const auto& r : runs) rj.push_back(RunJson(r));
    j["runs"] = rj;
    return Reply{200, j};
  }

 public:
  bool secure_cookies_ = false;

 private:
  Store& store_;
  auth::AuthService& auth_;
  const Clock& clock_;
  HostHooks hooks_;
};

}  // namespace

Json UserJson(const User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"org_admin", u.org_admin},
          {"created_at", FormatRfc3339(u.created_at)}};
}

Json ProjectJson(const Project& p) {
  Json features = Json::object();
  for (const auto& f : kKnownFeatures) features[f] = p.HasFeature(f);
  return {{"id", p.id},
          {"name", p.name},
          {"features", features},
          {"created_at", FormatRfc3339(p.created_at)}};
}

Json TestJson(const Test& t) {
  Json steps = Json::array();
  for (const auto& s : t.steps)
    steps.push_back({{"id", s.id}, {"goal", s.goal}, {"expected_results", s.expected_results}});
  return {{"id", t.id},
          {"name", t.name},
          {"tags", t.tags},
          {"version", t.version},
          {"steps", steps},
          {"created_at", FormatRfc3339(t.created_at)},
          {"updated_at", FormatRfc3339(t.updated_at)}};
}

Json RunJson(const Run& r) {
  Json bugs = Json::array();
  for (const auto& b : r.bugs) {
    Json j = {{"title", b.title}, {"description", b.description}, {"severity", b.severity}};
    j["step_id"] = b.step_id.empty() ? Json(nullptr) : Json(b.step_id);
    bugs.push_back(j);
  }
  Json steps = Json::array();
  for (const auto& s : r.steps)
    steps.push_back({{"step_id", s.step_id},
                     {"result", RunResultName(s.result)},
                     {"bug_label", BugLabelName(s.bug_label)},
                     {"started_at", OptTimeJson(s.started_at)},
                     {"finished_at", OptTimeJson(s.finished_at)},
                     {"comment", s.comment}});
  return {{"id", r.id},
          {"test_id", r.test_id},
          {"test_version", r.test_version},
          {"result", RunResultName(r.result)},
          {"bug_label", BugLabelName(r.bug_label)},
          {"started_at", FormatRfc3339(r.started_at)},
          {"finished_at", OptTimeJson(r.finished_at)},
          {"finished", r.finished()},
          {"build", r.build},
          {"summary", r.summary},
          {"bugs", bugs},
          {"steps", steps},
          {"execution_id", r.execution_id ? Json(*r.execution_id) : Json(nullptr)},
          {"created_at", FormatRfc3339(r.created_at)},
          {"updated_at", FormatRfc3339(r.updated_at)}};
}

void RegisterHostRoutes(ApiServer& server, Store& store, auth::AuthService& auth,
                        const Clock& clock, const HostHooks& hooks) {
  // The route closures point into the HostApi; the server keeps it alive.
  auto api = std::make_shared<HostApi>(store, auth, clock, hooks);
  api->secure_cookies_ = server.options().secure_cookies;
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
