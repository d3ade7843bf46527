// The Store conformance suite, identity and projects roles: users, tokens, sessions,
// projects, feature flags, memberships (fixture in store_conformance.h).
#include <string>
#include <vector>

#include "store_conformance.h"

namespace nexus {
namespace {

// ---- Users.

TEST_P(StoreConformanceTest, CreateAndGetUser) {
  User u = MakeUser("Alice@Example.COM", "Alice");
  EXPECT_GT(u.id, 0);
  EXPECT_EQ(u.email, "alice@example.com");
  EXPECT_EQ(u.name, "Alice");
  EXPECT_FALSE(u.org_admin);
  EXPECT_EQ(u.password_hash, "$argon2id$v=19$hash");
  EXPECT_EQ(u.created_at, 1000);

  auto got = store().GetUser(u.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->email, "alice@example.com");
  auto by_email = store().GetUserByEmail("ALICE@example.com");
  ASSERT_OK(by_email);
  EXPECT_EQ(by_email->id, u.id);
}

TEST_P(StoreConformanceTest, OrgAdminFlagRoundTrips) {
  User u;
  u.email = "root@example.com";
  u.name = "Root";
  u.org_admin = true;
  u.password_hash = "h";
  auto r = store().CreateUser(u);
  ASSERT_OK(r);
  EXPECT_TRUE(r->org_admin);
  EXPECT_TRUE(store().GetUser(r->id)->org_admin);
}

TEST_P(StoreConformanceTest, DuplicateEmailIsConflictIgnoringCase) {
  MakeUser("bob@example.com");
  User dup;
  dup.email = "BOB@Example.com";
  dup.name = "Other Bob";
  auto r = store().CreateUser(dup);
  EXPECT_CODE(r, StatusCode::kConflict);
  EXPECT_EQ(r.status().reason(), "duplicate");
  EXPECT_EQ(*store().CountUsers(), 1);
}

TEST_P(StoreConformanceTest, MissingUserIsNotFound) {
  EXPECT_CODE(store().GetUser(42), StatusCode::kNotFound);
  EXPECT_CODE(store().GetUserByEmail("nobody@example.com"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ListAndCountUsers) {
  EXPECT_EQ(*store().CountUsers(), 0);
  EXPECT_TRUE(store().ListUsers()->empty());
  User a = MakeUser("a@example.com");
  User b = MakeUser("b@example.com");
  EXPECT_EQ(*store().CountUsers(), 2);
  auto list = store().ListUsers();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a.id);
  EXPECT_EQ((*list)[1].id, b.id);
  EXPECT_LT(a.id, b.id);
}

// ---- Tokens.

TEST_P(StoreConformanceTest, TokensLifecycle) {
  User u = MakeUser("t@example.com");
  User other = MakeUser("o@example.com");
  ApiToken t;
  t.user_id = u.id;
  t.name = "ci";
  t.token_hash = "abc123";
  t.created_at = 10;
  auto created = store().CreateToken(t);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_FALSE(created->last_used_at.has_value());

  auto got = store().GetTokenByHash("abc123");
  ASSERT_OK(got);
  EXPECT_EQ(got->id, created->id);
  EXPECT_EQ(got->user_id, u.id);
  EXPECT_EQ(got->name, "ci");
  EXPECT_EQ(got->created_at, 10);
  auto owner = store().GetUserByTokenHash("abc123");  // the request path's one lookup
  ASSERT_OK(owner);
  EXPECT_EQ(owner->id, u.id);
  EXPECT_EQ(owner->email, u.email);
  EXPECT_EQ(owner->org_admin, u.org_admin);
  EXPECT_CODE(store().GetUserByTokenHash("missing"), StatusCode::kNotFound);

  t.token_hash = "def456";
  t.last_used_at = 99;
  auto second = store().CreateToken(t);
  ASSERT_OK(second);
  EXPECT_EQ(store().GetTokenByHash("def456")->last_used_at, std::optional<TimeMs>(99));
  auto list = store().ListTokens(u.id);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, created->id);
  EXPECT_TRUE(store().ListTokens(other.id)->empty());

  // Another user's token is NotFound, and stays.
  EXPECT_CODE(store().DeleteToken(other.id, created->id), StatusCode::kNotFound);
  ASSERT_OK(store().GetTokenByHash("abc123"));
  ASSERT_OK(store().DeleteToken(u.id, created->id));
  EXPECT_CODE(store().GetTokenByHash("abc123"), StatusCode::kNotFound);
  EXPECT_CODE(store().GetUserByTokenHash("abc123"), StatusCode::kNotFound);  // revoked
  EXPECT_CODE(store().DeleteToken(u.id, created->id), StatusCode::kNotFound);
  EXPECT_EQ(store().ListTokens(u.id)->size(), 1u);
}

TEST_P(StoreConformanceTest, TokenErrors) {
  User u = MakeUser("t@example.com");
  ApiToken t;
  t.user_id = u.id;
  t.name = "a";
  t.token_hash = "same";
  ASSERT_OK(store().CreateToken(t));
  auto dup = store().CreateToken(t);
  EXPECT_CODE(dup, StatusCode::kConflict);
  EXPECT_EQ(dup.status().reason(), "duplicate");
  t.user_id = 9999;
  t.token_hash = "other";
  EXPECT_CODE(store().CreateToken(t), StatusCode::kNotFound);
  EXPECT_CODE(store().GetTokenByHash("missing"), StatusCode::kNotFound);
}

// ---- Sessions.

TEST_P(StoreConformanceTest, SessionsLifecycle) {
  User u = MakeUser("s@example.com");
  Session s{"hash1", u.id, "csrf1", 100, 200};
  ASSERT_OK(store().CreateSession(s));
  auto got = store().GetSession("hash1");
  ASSERT_OK(got);
  EXPECT_EQ(got->user_id, u.id);
  EXPECT_EQ(got->csrf_token, "csrf1");
  EXPECT_EQ(got->created_at, 100);
  EXPECT_EQ(got->expires_at, 200);
  EXPECT_CODE(store().CreateSession(s), StatusCode::kConflict);
  EXPECT_CODE(store().CreateSession(Session{"h", 777, "c", 1, 2}), StatusCode::kNotFound);

  ASSERT_OK(store().DeleteSession("hash1"));
  EXPECT_CODE(store().GetSession("hash1"), StatusCode::kNotFound);
  EXPECT_CODE(store().DeleteSession("hash1"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, DeleteExpiredSessionsKeepsLiveOnes) {
  User u = MakeUser("s@example.com");
  ASSERT_OK(store().CreateSession(Session{"old", u.id, "c", 0, 100}));
  ASSERT_OK(store().CreateSession(Session{"edge", u.id, "c", 0, 150}));
  ASSERT_OK(store().CreateSession(Session{"new", u.id, "c", 0, 300}));
  ASSERT_OK(store().DeleteExpiredSessions(150));
  EXPECT_CODE(store().GetSession("old"), StatusCode::kNotFound);
  EXPECT_CODE(store().GetSession("edge"), StatusCode::kNotFound);
  ASSERT_OK(store().GetSession("new"));
}

// ---- Projects, features, memberships.

TEST_P(StoreConformanceTest, CreateProjectMakesCreatorAdmin) {
  User u = MakeUser("p@example.com");
  Project p;
  p.name = "Web shop";
  p.created_at = 77;
  p.features = {"testrail", "beta-x", "testrail"};
  auto created = store().CreateProject(p, u.id);
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->name, "Web shop");
  EXPECT_EQ(created->created_at, 77);
  EXPECT_EQ(created->features, (std::vector<std::string>{"beta-x", "testrail"}));
  auto role = store().GetRole(created->id, u.id);
  ASSERT_OK(role);
  EXPECT_EQ(*role, std::optional<ProjectRole>(ProjectRole::kAdmin));

  auto got = store().GetProject(created->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "Web shop");
  EXPECT_TRUE(got->HasFeature("testrail"));
}

TEST_P(StoreConformanceTest, CreateProjectWithoutCreatorHasNoMembers) {
  Project p = MakeProject("Solo");
  auto members = store().ListMembers(p.id);
  ASSERT_OK(members);
  EXPECT_TRUE(members->empty());
  Project bad;
  bad.name = "x";
  EXPECT_CODE(store().CreateProject(bad, 12345), StatusCode::kNotFound);
  EXPECT_EQ(store().ListProjects()->size(), 1u);  // nothing written by the failed call
}

TEST_P(StoreConformanceTest, MissingProjectIsNotFound) {
  EXPECT_CODE(store().GetProject(5), StatusCode::kNotFound);
  EXPECT_CODE(store().SetProjectFeature(5, "testrail", true), StatusCode::kNotFound);
  EXPECT_CODE(store().ListMembers(5), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ListProjectsAndProjectsForUser) {
  User u = MakeUser("u@example.com");
  User v = MakeUser("v@example.com");
  Project a = MakeProject("A", u.id);
  Project b = MakeProject("B");
  Project c = MakeProject("C", v.id);
  ASSERT_OK(store().SetMembership(Membership{b.id, u.id, ProjectRole::kViewer}));
  ASSERT_OK(store().SetProjectFeature(b.id, "testrail", true));

  auto all = store().ListProjects();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, a.id);
  EXPECT_EQ((*all)[2].id, c.id);
  EXPECT_TRUE((*all)[1].HasFeature("testrail"));
  EXPECT_FALSE((*all)[0].HasFeature("testrail"));

  auto mine = store().ListProjectsForUser(u.id);
  ASSERT_OK(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, a.id);
  EXPECT_EQ((*mine)[1].id, b.id);
  EXPECT_TRUE((*mine)[1].HasFeature("testrail"));
  EXPECT_TRUE(store().ListProjectsForUser(9999)->empty());
}

TEST_P(StoreConformanceTest, FeaturesOnAndOff) {
  Project p = MakeProject("F");
  EXPECT_FALSE(store().GetProject(p.id)->HasFeature("testrail"));
  ASSERT_OK(store().SetProjectFeature(p.id, "testrail", true));
  ASSERT_OK(store().SetProjectFeature(p.id, "testrail", true));  // idempotent
  auto on = store().GetProject(p.id);
  ASSERT_OK(on);
  EXPECT_EQ(on->features, std::vector<std::string>{"testrail"});
  ASSERT_OK(store().SetProjectFeature(p.id, "testrail", false));
  ASSERT_OK(store().SetProjectFeature(p.id, "testrail", false));  // idempotent
  EXPECT_TRUE(store().GetProject(p.id)->features.empty());
}

TEST_P(StoreConformanceTest, MembershipsUpsertAndRemove) {
  User u = MakeUser("m@example.com");
  User w = MakeUser("w@example.com");
  Project p = MakeProject("M");
  EXPECT_EQ(*store().GetRole(p.id, u.id), std::nullopt);

  ASSERT_OK(store().SetMembership(Membership{p.id, u.id, ProjectRole::kViewer}));
  EXPECT_EQ(*store().GetRole(p.id, u.id), std::optional(ProjectRole::kViewer));
  ASSERT_OK(store().SetMembership(Membership{p.id, u.id, ProjectRole::kConfigManager}));
  EXPECT_EQ(*store().GetRole(p.id, u.id), std::optional(ProjectRole::kConfigManager));
  ASSERT_OK(store().SetMembership(Membership{p.id, w.id, ProjectRole::kOperator}));

  auto members = store().ListMembers(p.id);
  ASSERT_OK(members);
  ASSERT_EQ(members->size(), 2u);  // the upsert replaced, not added
  EXPECT_EQ((*members)[0].user_id, u.id);
  EXPECT_EQ((*members)[0].role, ProjectRole::kConfigManager);
  EXPECT_EQ((*members)[1].user_id, w.id);
  EXPECT_EQ((*members)[1].role, ProjectRole::kOperator);

  ASSERT_OK(store().RemoveMembership(p.id, u.id));
  EXPECT_EQ(*store().GetRole(p.id, u.id), std::nullopt);
  EXPECT_CODE(store().RemoveMembership(p.id, u.id), StatusCode::kNotFound);
  EXPECT_EQ(store().ListMembers(p.id)->size(), 1u);

  EXPECT_CODE(store().SetMembership(Membership{p.id, 9999, ProjectRole::kViewer}),
              StatusCode::kNotFound);
  EXPECT_CODE(store().SetMembership(Membership{9999, u.id, ProjectRole::kViewer}),
              StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, EveryRoleRoundTrips) {
  Project p = MakeProject("R");
  for (ProjectRole role : kAllProjectRoles) {
    User u = MakeUser(std::string(ProjectRoleName(role)) + "@example.com");
    ASSERT_OK(store().SetMembership(Membership{p.id, u.id, role}));
    EXPECT_EQ(*store().GetRole(p.id, u.id), std::optional(role));
  }
}

}  // namespace
}  // namespace nexus
