// Happy paths of every host-model route, through real HTTP against a real server
// (api.md "Users and auth", "Projects, tests, runs", "Operations").
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "api_harness.h"

namespace nexus::testing {
namespace {

class HostRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = h_.CreateUserToken("root@example.com", /*org_admin=*/true);
    auto p = h_.Post("/api/v1/projects", admin_, {{"name", "Shop"}});
    ASSERT_EQ(p.status, 201) << p.raw;
    pid_ = p.body["id"];
    base_ = "/api/v1/projects/" + std::to_string(pid_);
  }

  Json MakeTest(const std::string& name, int steps = 2) {
    Json s = Json::array();
    for (int i = 0; i < steps; ++i)
      s.push_back({{"goal", "Step " + std::to_string(i)}, {"expected_results", {"ok"}}});
    auto r = h_.Post(base_ + "/tests", admin_, {{"name", name}, {"tags", {"smoke"}}, {"steps", s}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body;
  }

  Json RunBody(int64_t test_id, const std::string& result = "Success",
               const std::string& label = "NoBug") {
    return {{"test_id", test_id},
            {"result", result},
            {"bug_label", label},
            {"started_at", "2026-11-25T10:00:00Z"},
            {"finished_at", "2026-11-25T10:01:30Z"},
            {"build", "1.2.3"}};
  }

  ApiHarness h_;
  std::string admin_;
  int64_t pid_ = 0;
  std::string base_;
};

// Readiness (issue 15): ready when the database answers at the newest schema version; a
// database behind the binary is live (/healthz) but not ready.
TEST_F(HostRoutesTest, ReadyzFollowsTheSchemaVersion) {
  auto r = h_.Get("/readyz", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ready");
  EXPECT_EQ(r.body["schema_version"], r.body["latest_schema_version"]);
  const int latest = r.body["latest_schema_version"].get<int>();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((h_.data_dir() + "/nexus.db").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  std::string sql = "DELETE FROM schema_migrations WHERE version = " + std::to_string(latest);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto behind = h_.Get("/readyz", "");
  EXPECT_EQ(behind.status, 503);
  EXPECT_EQ(behind.body["status"], "migrations_pending");
  EXPECT_EQ(behind.body["schema_version"], latest - 1);
  // Liveness does not read the database: it still answers with the binary's schema version.
  auto live = h_.Get("/healthz", "");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body["schema_version"], latest);
}

TEST_F(HostRoutesTest, HealthzAndMetrics) {
  auto r = h_.Get("/healthz", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_GE(r.body["schema_version"].get<int>(), 1);
  h_.Get(base_, admin_);
  auto m = h_.Call("GET", "/metrics", "");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.raw.find("nexus_http_requests_total{route=\"/api/v1/projects/{p}\",method=\"GET\","
                       "status=\"200\"} 1"),
            std::string::npos)
      << m.raw;
  EXPECT_NE(m.raw.find("nexus_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(HostRoutesTest, LoginSessionCookieCsrfAndLogout) {
  ASSERT_EQ(h_.Post("/api/v1/users", admin_,
                    {{"email", "Ana@Example.com"}, {"name", "Ana"}, {"password", "correct horse"}})
                .status,
            201);
  auto bad =
      h_.Post("/api/v1/auth/login", "", {{"email", "ana@example.com"}, {"password", "nope"}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.message(), "Invalid email or password.");
  auto ok = h_.Post("/api/v1/auth/login", "",
                    {{"email", "ana@example.com"}, {"password", "correct horse"}});
  ASSERT_EQ(ok.status, 200) << ok.raw;
  std::string set_cookie;
  for (const auto& [k, v] : ok.headers)
    if (k == "Set-Cookie") set_cookie = v;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  std::string csrf = ok.body["csrf_token"];
  ASSERT_FALSE(csrf.empty());

  auto me = h_.Call("GET", "/api/v1/me", "", "", {{"Cookie", cookie}});
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["email"], "ana@example.com");
  EXPECT_EQ(me.body["csrf_token"], csrf);
  EXPECT_FALSE(me.raw.find("password") != std::string::npos);

  // State-changing cookie request without / with a wrong / with the right CSRF header.
  auto no_csrf = h_.Call("POST", "/api/v1/tokens", "", R"({"name":"t"})", {{"Cookie", cookie}});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(no_csrf.code(), "csrf_failed");
  auto wrong = h_.Call("POST", "/api/v1/tokens", "", R"({"name":"t"})",
                       {{"Cookie", cookie}, {"X-CSRF-Token", "nope"}});
  EXPECT_EQ(wrong.status, 403);
  auto right = h_.Call("POST", "/api/v1/tokens", "", R"({"name":"t"})",
                       {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(right.status, 201) << right.raw;

  EXPECT_EQ(h_.Call("POST", "/api/v1/auth/logout", "", "", {{"Cookie", cookie}}).status, 403)
      << "logout by cookie needs the CSRF header too";
  auto out =
      h_.Call("POST", "/api/v1/auth/logout", "", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(out.status, 204);
  EXPECT_EQ(h_.Call("GET", "/api/v1/me", "", "", {{"Cookie", cookie}}).status, 401);
}

TEST_F(HostRoutesTest, TokensAreShownOnceAndRevocable) {
  auto t = h_.Post("/api/v1/tokens", admin_, {{"name", "ci"}});
  ASSERT_EQ(t.status, 201);
  std::string secret = t.body["token"];
  EXPECT_EQ(secret.rfind("nxs_", 0), 0u);
  EXPECT_EQ(h_.Get("/api/v1/me", secret).status, 200);
  auto list = h_.Get("/api/v1/tokens", admin_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.raw.find(secret), std::string::npos) << "token secret must not be listed";
  // The secret is stored hashed only.
  auto stored = h_.store().ListTokens(h_.store().GetUserByEmail("root@example.com")->id);
  ASSERT_TRUE(stored.ok());
  for (const auto& tok : stored.value()) EXPECT_NE(tok.token_hash, secret);
  EXPECT_EQ(
      h_.Delete("/api/v1/tokens/" + std::to_string(t.body["id"].get<int64_t>()), admin_).status,
      204);
  auto revoked = h_.Get("/api/v1/me", secret);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.message(), "The API token is invalid or was revoked.");
}

TEST_F(HostRoutesTest, UsersProjectsMembersFeatures) {
  auto u = h_.Post(
      "/api/v1/users", admin_,
      {{"email", "bo@example.com"}, {"name", "Bo"}, {"password", "long enough passphrase"}});
  ASSERT_EQ(u.status, 201);
  EXPECT_FALSE(u.body.contains("password_hash"));
  auto users = h_.Get("/api/v1/users", admin_);
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(users.body["items"].size(), 2u);
  EXPECT_EQ(users.raw.find("argon2"), std::string::npos);

  int64_t bo = u.body["id"];
  auto m = h_.Put(base_ + "/members/" + std::to_string(bo), admin_, {{"role", "editor"}});
  ASSERT_EQ(m.status, 200) << m.raw;
  EXPECT_EQ(m.body["role"], "editor");
  auto members = h_.Get(base_ + "/members", admin_);
  ASSERT_EQ(members.status, 200);
  EXPECT_EQ(members.body["items"].size(), 2u);  // creator (admin) + bo

  auto f = h_.Put(base_ + "/features", admin_, {{"testrail", true}});
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(f.body["features"]["testrail"], true);
  auto p = h_.Get(base_, admin_);
  EXPECT_EQ(p.body["features"]["testrail"], true);
  EXPECT_EQ(p.body["name"], "Shop");
  auto list = h_.Get("/api/v1/projects", admin_);
  ASSERT_EQ(list.body["items"].size(), 1u);

  EXPECT_EQ(h_.Delete(base_ + "/members/" + std::to_string(bo), admin_).status, 204);
  EXPECT_EQ(h_.Get(base_ + "/members", admin_).body["items"].size(), 1u);
}

TEST_F(HostRoutesTest, TestsCrudWithStableStepIdsAndVersions) {
  Json t = MakeTest("Login works", 3);
  int64_t tid = t["id"];
  ASSERT_EQ(t["version"], 1);
  ASSERT_EQ(t["steps"].size(), 3u);
  std::string s0 = t["steps"][0]["id"], s2 = t["steps"][2]["id"];

  // Reorder (s2 first), rename, drop step 1, add a new one.
  Json steps = {{{"id", s2}, {"goal", "Renamed last"}, {"expected_results", Json::array()}},
                {{"id", s0}, {"goal", "Step 0"}},
                {{"goal", "Brand new"}}};
  auto put = h_.Put(
      base_ + "/tests/" + std::to_string(tid), admin_,
      {{"name", "Login works v2"}, {"tags", {"a", "a", "b"}}, {"steps", steps}, {"version", 1}});
  ASSERT_EQ(put.status, 200) << put.raw;
  EXPECT_EQ(put.body["version"], 2);
  EXPECT_EQ(put.body["steps"][0]["id"], s2);
  EXPECT_EQ(put.body["steps"][0]["goal"], "Renamed last");
  EXPECT_EQ(put.body["steps"][1]["id"], s0);
  EXPECT_EQ(put.body["steps"].size(), 3u);
  EXPECT_EQ(put.body["tags"], Json({"a", "b"}));

  // Stale version → 409, nothing changed.
  auto stale = h_.Put(base_ + "/tests/" + std::to_string(tid), admin_,
                      {{"name", "lost update"}, {"steps", Json::array()}, {"version", 1}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.code(), "version_mismatch");
  auto get = h_.Get(base_ + "/tests/" + std::to_string(tid), admin_);
  EXPECT_EQ(get.body["name"], "Login works v2");
  EXPECT_EQ(get.body["version"], 2);

  MakeTest("Second");
  auto list = h_.Get(base_ + "/tests?limit=1", admin_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 1u);
  ASSERT_TRUE(list.body["next_cursor"].is_string());
  auto page2 = h_.Get(
      base_ + "/tests?limit=1&cursor=" + list.body["next_cursor"].get<std::string>(), admin_);
  ASSERT_EQ(page2.body["items"].size(), 1u);
  EXPECT_EQ(page2.body["items"][0]["name"], "Second");
  EXPECT_TRUE(page2.body["next_cursor"].is_null());

  EXPECT_EQ(h_.Delete(base_ + "/tests/" + std::to_string(tid), admin_).status, 204);
  EXPECT_EQ(h_.Get(base_ + "/tests/" + std::to_string(tid), admin_).status, 404);
}

TEST_F(HostRoutesTest, RunsWithStepsBugsFiltersAndRelabel) {
  Json t = MakeTest("Checkout");
  int64_t tid = t["id"];
  std::string s0 = t["steps"][0]["id"];
  Json body = RunBody(tid, "Success", "LikelyBug");
  body["summary"] = "Found a pricing bug";
  body["bugs"] = {{{"title", "Wrong total"}, {"severity", "high"}, {"step_id", s0}}};
  body["steps"] = {{{"step_id", s0},
                    {"result", "Success"},
                    {"bug_label", "DefinitelyBug"},
                    {"comment", "total off by 10%"}}};
  auto r = h_.Post(base_ + "/runs", admin_, body);
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["result"], "Success");
  EXPECT_EQ(r.body["bug_label"], "LikelyBug");
  EXPECT_EQ(r.body["test_version"], 1);
  EXPECT_EQ(r.body["finished_at"], "2026-11-25T10:01:30Z");
  EXPECT_EQ(r.body["bugs"][0]["step_id"], s0);
  EXPECT_EQ(r.body["steps"][0]["bug_label"], "DefinitelyBug");
  int64_t rid = r.body["id"];

  ASSERT_EQ(h_.Post(base_ + "/runs", admin_, RunBody(tid, "Error", "Undecided")).status, 201);
  auto errors = h_.Get(base_ + "/runs?result=Error", admin_);
  ASSERT_EQ(errors.body["items"].size(), 1u);
  EXPECT_EQ(h_.Get(base_ + "/runs?test_id=" + std::to_string(tid), admin_).body["items"].size(),
            2u);

  auto relabel = h_.Patch(base_ + "/runs/" + std::to_string(rid), admin_, {{"bug_label", "NoBug"}});
  ASSERT_EQ(relabel.status, 200) << relabel.raw;
  EXPECT_EQ(relabel.body["bug_label"], "NoBug");
  EXPECT_EQ(h_.Get(base_ + "/runs/" + std::to_string(rid), admin_).body["bug_label"], "NoBug");
}

// Run attributes (issue 14, R-RUN): set on create, merge-patched, filtered, validated.
TEST_F(HostRoutesTest, RunAttributesAreSetPatchedFilteredAndValidated) {
  int64_t tid = MakeTest("Boot")["id"];
  Json body = RunBody(tid, "Success", "NoBug");
  body["attributes"] = {{"platform", "PS5"}, {"device", "DevKit 7"}};
  auto r = h_.Post(base_ + "/runs", admin_, body);
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["attributes"], Json({{"device", "DevKit 7"}, {"platform", "PS5"}}));
  const std::string run_url = base_ + "/runs/" + std::to_string(r.body["id"].get<int64_t>());
  auto plain = h_.Post(base_ + "/runs", admin_, RunBody(tid, "Success", "NoBug"));
  ASSERT_EQ(plain.status, 201) << plain.raw;
  EXPECT_EQ(plain.body["attributes"], Json::object());

  auto ps5 = h_.Get(base_ + "/runs?attribute=platform:PS5", admin_);
  ASSERT_EQ(ps5.status, 200) << ps5.raw;
  ASSERT_EQ(ps5.body["items"].size(), 1u);
  EXPECT_EQ(ps5.body["items"][0]["id"], r.body["id"]);
  EXPECT_EQ(h_.Get(base_ + "/runs?attribute=platform", admin_).status, 400);

  // Merge-patch: set one key, remove another, keep the rest.
  auto patched =
      h_.Patch(run_url, admin_, {{"attributes", {{"platform", "Xbox"}, {"device", nullptr}}}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(patched.body["attributes"], Json({{"platform", "Xbox"}}));
  EXPECT_TRUE(h_.Get(base_ + "/runs?attribute=platform:PS5", admin_).body["items"].empty());
  EXPECT_EQ(h_.Get(base_ + "/runs?attribute=platform:Xbox", admin_).body["items"].size(), 1u);

  // Bad input is a specific 400 that changes nothing.
  auto bad_key = h_.Patch(run_url, admin_, {{"attributes", {{"plat form", "PC"}}}});
  EXPECT_EQ(bad_key.status, 400);
  EXPECT_EQ(bad_key.body["error"]["field"], "attributes.plat form") << bad_key.raw;
  auto bad_value = h_.Patch(run_url, admin_, {{"attributes", {{"platform", 5}}}});
  EXPECT_EQ(bad_value.status, 400);
  EXPECT_EQ(bad_value.body["error"]["field"], "attributes.platform") << bad_value.raw;
  auto empty_value = h_.Patch(run_url, admin_, {{"attributes", {{"platform", ""}}}});
  EXPECT_EQ(empty_value.status, 400) << empty_value.raw;
  Json many = Json::object();
  for (int i = 0; i < 33; ++i) many["k" + std::to_string(i)] = "v";
  Json too_many = RunBody(tid, "Success", "NoBug");
  too_many["attributes"] = many;
  auto refused = h_.Post(base_ + "/runs", admin_, too_many);
  EXPECT_EQ(refused.status, 400) << refused.raw;
  auto null_on_create = RunBody(tid, "Success", "NoBug");
  null_on_create["attributes"] = {{"platform", nullptr}};
  EXPECT_EQ(h_.Post(base_ + "/runs", admin_, null_on_create).status, 400);
  EXPECT_EQ(h_.Get(run_url, admin_).body["attributes"], Json({{"platform", "Xbox"}}));
  EXPECT_EQ(h_.Get(base_ + "/runs", admin_).body["items"].size(), 2u);
}

TEST_F(HostRoutesTest, PlansAndExecutionsCompleteWhenAllRunsFinish) {
  int64_t t1 = MakeTest("A")["id"], t2 = MakeTest("B")["id"];
  auto plan = h_.Post(base_ + "/plans", admin_, {{"name", "Nightly"}, {"test_ids", {t1, t2}}});
  ASSERT_EQ(plan.status, 201) << plan.raw;
  EXPECT_EQ(h_.Get(base_ + "/plans/" + std::to_string(plan.body["id"].get<int64_t>()), admin_)
                .body["test_ids"],
            Json({t1, t2}));
  EXPECT_EQ(h_.Get(base_ + "/plans", admin_).body["items"].size(), 1u);
  auto e = h_.Post(base_ + "/executions", admin_, {{"plan_id", plan.body["id"]}});
  ASSERT_EQ(e.status, 201) << e.raw;
  EXPECT_EQ(e.body["state"], "queued");
  std::string epath = base_ + "/executions/" + std::to_string(e.body["id"].get<int64_t>());

  Json running = RunBody(t1);
  running.erase("finished_at");
  running["execution_id"] = e.body["id"];
  auto r1 = h_.Post(base_ + "/runs", admin_, running);
  ASSERT_EQ(r1.status, 201) << r1.raw;
  EXPECT_FALSE(r1.body["finished"].get<bool>());
  EXPECT_EQ(h_.Get(epath, admin_).body["state"], "in_progress");

  Json r2 = RunBody(t2);
  r2["execution_id"] = e.body["id"];
  ASSERT_EQ(h_.Post(base_ + "/runs", admin_, r2).status, 201);
  EXPECT_EQ(h_.Get(epath, admin_).body["state"], "in_progress");  // t1 still running

  auto fin = h_.Patch(base_ + "/runs/" + std::to_string(r1.body["id"].get<int64_t>()), admin_,
                      {{"finished_at", "2026-11-25T10:05:00Z"}});
  ASSERT_EQ(fin.status, 200) << fin.raw;
  auto done = h_.Get(epath, admin_);
  EXPECT_EQ(done.body["state"], "completed");
  EXPECT_TRUE(done.body["completed_at"].is_string());
  EXPECT_EQ(done.body["runs"].size(), 2u);
  EXPECT_EQ(h_.Get(base_ + "/executions", admin_).body["items"].size(), 1u);

  // A second run for the same test of the execution is a conflict.
  auto dup = h_.Post(base_ + "/runs", admin_, r2);
  EXPECT_EQ(dup.status, 409);
}

TEST_F(HostRoutesTest, UnknownEndpointAndObjectsOfOtherProjects) {
  auto r = h_.Get("/api/v1/nope", admin_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.code(), "no_route");
  auto other = h_.Post("/api/v1/projects", admin_, {{"name", "Other"}});
  std::string obase = "/api/v1/projects/" + std::to_string(other.body["id"].get<int64_t>());
  int64_t tid = MakeTest("Mine")["id"];
  EXPECT_EQ(h_.Get(obase + "/tests/" + std::to_string(tid), admin_).status, 404);
  auto cross = h_.Post(obase + "/runs", admin_, RunBody(tid));
  EXPECT_EQ(cross.status, 400);
  EXPECT_EQ(cross.field(), "test_id");
}

}  // namespace
}  // namespace nexus::testing
