// The read cache of `nexus serve` on PostgreSQL (issue 15, REST reads; storage/read_cache.h):
// identity and project rows answered from memory must never outlive a change — made by this
// process (seen by its very next read), by another process on the database (seen as soon as
// the notification arrives, long before the entry's lifetime, which these tests set to a
// minute), or while the listening connection is down (the cache is bypassed, then starts over).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "pg_test_cluster.h"
#include "storage/read_cache.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Polls `cond` until it holds or `limit` passes; whether it held.
bool Eventually(const std::function<bool()>& cond, milliseconds limit = milliseconds(5000)) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return cond();
}

class PgReadCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& cluster = testing::PgTestCluster::Get();
    ASSERT_TRUE(cluster.ok()) << cluster.error();
    conninfo_ = cluster.Fresh();
    ASSERT_FALSE(conninfo_.empty()) << cluster.error();
    // "other": another process on the database (the CLI, a second instance) — no cache.
    auto other = SqliteStore::OpenPostgres(conninfo_);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_ = std::move(other).value();
    ASSERT_TRUE(other_->Migrate().ok());
    PostgresStoreOptions options;
    options.read_cache_ttl_ms = 60000;  // only invalidation can make these tests pass
    auto cached = SqliteStore::OpenPostgres(conninfo_, options);
    ASSERT_TRUE(cached.ok()) << cached.status().ToString();
    cached_ = std::move(cached).value();
    ASSERT_TRUE(cached_->Migrate().ok());
    ASSERT_NE(cached_->read_cache(), nullptr);
    ASSERT_TRUE(Eventually([&] { return cached_->read_cache()->enabled(); }))
        << "the listener never started listening";

    User u;
    u.email = "ann@example.com";
    u.name = "Ann";
    u.password_hash = "x";
    auto user = other_->CreateUser(u);
    ASSERT_TRUE(user.ok()) << user.status().ToString();
    user_ = *user;
    ApiToken t;
    t.user_id = user_.id;
    t.name = "ci";
    t.token_hash = "hash-of-the-ci-token";
    auto token = other_->CreateToken(t);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    token_ = *token;
    Project p;
    p.name = "Payments";
    auto project = other_->CreateProject(p, user_.id);
    ASSERT_TRUE(project.ok()) << project.status().ToString();
    project_ = *project;
  }

  // Reads `read` twice through the cached store until the second read is answered from memory
  // (the notifications of SetUp's own writes arrive asynchronously and empty the cache), so
  // what follows tests invalidation, not a cache that is off.
  void Warm(const std::function<bool()>& read) {
    ASSERT_TRUE(Eventually([&] {
      if (!read()) return false;
      const int64_t hits = cached_->read_cache()->hits();
      return read() && cached_->read_cache()->hits() == hits + 1;
    })) << "reads were never answered from the cache";
  }
  void WarmToken() {
    Warm([&] {
      auto u = cached_->GetUserByTokenHash(token_.token_hash);
      return u.ok() && u->id == user_.id;
    });
  }

  std::string conninfo_;
  std::unique_ptr<SqliteStore> other_;
  std::unique_ptr<SqliteStore> cached_;
  User user_;
  ApiToken token_;
  Project project_;
};

TEST_F(PgReadCacheTest, ATokenRevokedByAnotherProcessIsRefusedWithoutWaitingForTheLifetime) {
  WarmToken();
  ASSERT_TRUE(other_->DeleteToken(user_.id, token_.id).ok());
  EXPECT_TRUE(Eventually([&] {
    return cached_->GetUserByTokenHash(token_.token_hash).status().code() == StatusCode::kNotFound;
  })) << "a revoked token was still accepted 5 s after the revocation committed";
}

TEST_F(PgReadCacheTest, AChangeMadeThroughTheCachingStoreIsSeenByItsNextRead) {
  WarmToken();
  ASSERT_TRUE(cached_->GetRole(project_.id, user_.id).ok());
  ASSERT_TRUE(cached_->GetProject(project_.id).ok());
  // No waiting: the commit itself empties this process' cache.
  ASSERT_TRUE(cached_->DeleteToken(user_.id, token_.id).ok());
  EXPECT_EQ(cached_->GetUserByTokenHash(token_.token_hash).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(cached_->RemoveMembership(project_.id, user_.id).ok());
  auto role = cached_->GetRole(project_.id, user_.id);
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_FALSE(role->has_value());
  ASSERT_TRUE(cached_->SetProjectFeature(project_.id, "testrail", true).ok());
  auto project = cached_->GetProject(project_.id);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_TRUE(project->HasFeature("testrail"));
}

TEST_F(PgReadCacheTest, RolesProjectsAndSessionsChangedByAnotherProcessAreSeen) {
  Session s;
  s.id_hash = "session-hash";
  s.user_id = user_.id;
  s.csrf_token = "csrf";
  s.created_at = 1;
  s.expires_at = INT64_MAX / 2;
  ASSERT_TRUE(other_->CreateSession(s).ok());
  Warm([&] { return cached_->GetSession(s.id_hash).ok(); });
  Warm([&] {
    auto role = cached_->GetRole(project_.id, user_.id);
    return role.ok() && role->has_value();
  });
  Warm([&] { return cached_->GetProject(project_.id).ok(); });
  Warm([&] {
    auto mine = cached_->ListProjectsForUser(user_.id);
    return mine.ok() && mine->size() == 1u;
  });

  ASSERT_TRUE(other_->DeleteSession(s.id_hash).ok());
  EXPECT_TRUE(Eventually([&] { return !cached_->GetSession(s.id_hash).ok(); }))
      << "a logged-out session was still accepted";
  ASSERT_TRUE(other_->RemoveMembership(project_.id, user_.id).ok());
  EXPECT_TRUE(Eventually([&] {
    auto role = cached_->GetRole(project_.id, user_.id);
    auto projects = cached_->ListProjectsForUser(user_.id);
    return role.ok() && !role->has_value() && projects.ok() && projects->empty();
  })) << "a removed membership still granted its role";
  ASSERT_TRUE(other_->SetProjectFeature(project_.id, "testrail", true).ok());
  EXPECT_TRUE(Eventually([&] {
    auto p = cached_->GetProject(project_.id);
    return p.ok() && p->HasFeature("testrail");
  }));
}

TEST_F(PgReadCacheTest, WhileTheListenerIsDisconnectedNothingStaleIsServed) {
  WarmToken();
  // Cut the listener's connection the way a server restart or a network fault would.
  ASSERT_TRUE(
      testing::PgTestCluster::Get().Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE application_name = 'nexus cache listener'"));
  ASSERT_TRUE(other_->DeleteToken(user_.id, token_.id).ok());
  EXPECT_TRUE(Eventually([&] {
    return cached_->GetUserByTokenHash(token_.token_hash).status().code() == StatusCode::kNotFound;
  })) << "a token revoked while the listener was cut off was still accepted";
  // It reconnects and caches again.
  EXPECT_TRUE(Eventually([&] { return cached_->read_cache()->enabled(); }));
}

// The cache itself: a read that raced with an invalidation does not store its stale value,
// a disabled cache answers nothing, entries expire.
TEST(ReadCacheTest, AReadOlderThanAnInvalidationIsNotStored) {
  ReadCache cache(60000);
  cache.SetEnabled(true);
  User u;
  uint64_t ticket = 0;
  ASSERT_FALSE(cache.Lookup(cache.users, int64_t{1}, &u, &ticket));
  cache.InvalidateAll();  // a change committed while the read was in flight
  u.id = 1;
  cache.Put(cache.users, int64_t{1}, u, ticket);
  EXPECT_FALSE(cache.Lookup(cache.users, int64_t{1}, &u, &ticket));
  cache.Put(cache.users, int64_t{1}, u, ticket);  // a read that started after it
  User hit;
  EXPECT_TRUE(cache.Lookup(cache.users, int64_t{1}, &hit, &ticket));
  EXPECT_EQ(hit.id, 1);
}

TEST(ReadCacheTest, ADisabledCacheStoresAndAnswersNothing) {
  ReadCache cache(60000);
  Project p;
  p.id = 7;
  uint64_t ticket = 0;
  EXPECT_FALSE(cache.Lookup(cache.projects, int64_t{7}, &p, &ticket));
  cache.Put(cache.projects, int64_t{7}, p, ticket);
  EXPECT_FALSE(cache.Lookup(cache.projects, int64_t{7}, &p, &ticket));
  cache.SetEnabled(true);
  cache.Put(cache.projects, int64_t{7}, p, ticket);  // read while disabled: dropped
  EXPECT_FALSE(cache.Lookup(cache.projects, int64_t{7}, &p, &ticket));
  cache.Put(cache.projects, int64_t{7}, p, ticket);
  EXPECT_TRUE(cache.Lookup(cache.projects, int64_t{7}, &p, &ticket));
  cache.SetEnabled(false);  // the listener lost its connection: everything goes
  cache.SetEnabled(true);
  EXPECT_FALSE(cache.Lookup(cache.projects, int64_t{7}, &p, &ticket));
}

TEST(ReadCacheTest, EntriesExpireAndAFullTableStartsOver) {
  ReadCache cache(/*ttl_ms=*/20, /*max_entries=*/2);
  cache.SetEnabled(true);
  Project p;
  uint64_t ticket = 0;
  for (int64_t id : {1, 2}) {
    ASSERT_FALSE(cache.Lookup(cache.projects, id, &p, &ticket));
    cache.Put(cache.projects, id, p, ticket);
  }
  EXPECT_TRUE(cache.Lookup(cache.projects, int64_t{1}, &p, &ticket));
  ASSERT_FALSE(cache.Lookup(cache.projects, int64_t{3}, &p, &ticket));
  cache.Put(cache.projects, int64_t{3}, p, ticket);  // full: the table starts over
  EXPECT_FALSE(cache.Lookup(cache.projects, int64_t{1}, &p, &ticket));
  EXPECT_TRUE(cache.Lookup(cache.projects, int64_t{3}, &p, &ticket));
  std::this_thread::sleep_for(milliseconds(40));
  EXPECT_FALSE(cache.Lookup(cache.projects, int64_t{3}, &p, &ticket));
}

}  // namespace
}  // namespace nexus
