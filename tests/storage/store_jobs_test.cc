// Jobs across instances (issue 15): two Store objects opened on ONE database stand for two
// Nexus processes. Claims never hand a job to two workers, an expired lease moves the job to
// the other instance, de-duplication holds across them — on SQLite (one file, two stores) and
// on PostgreSQL (one schema, two pools; the claim is FOR UPDATE SKIP LOCKED without the
// writer lock). PostgreSQL-only: a locked row is skipped, a claim does not wait for a writer,
// and a claim whose connection was killed is re-run on a fresh one.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_cluster.h"
#include "storage/pg_conn.h"
#include "storage/store.h"
#include "temp_dir.h"

namespace nexus {
namespace {

// Two stores on one database.
struct Pair {
  std::unique_ptr<Store> a, b;
  std::string conninfo;  // PostgreSQL only
};

struct JobsBackend {
  std::string name;
  std::function<Result<Pair>(const testing::TempDir&)> open;
};

std::ostream& operator<<(std::ostream& os, const JobsBackend& b) { return os << b.name; }

class StoreJobsTest : public ::testing::TestWithParam<JobsBackend> {
 protected:
  void SetUp() override {
    auto p = GetParam().open(dir_);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pair_ = std::move(p).value();
    ASSERT_TRUE(pair_.a->Migrate().ok());
    ASSERT_TRUE(pair_.b->Migrate().ok());
  }
  Store& a() { return *pair_.a; }
  Store& b() { return *pair_.b; }
  int64_t Enqueue(Store& s, const std::string& kind, const std::string& key = "") {
    auto id = s.EnqueueJob(NewJob{kind, 0, key, "{}"}, 1000);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  testing::TempDir dir_;
  Pair pair_;
};

TEST_P(StoreJobsTest, ConcurrentClaimsFromTwoInstancesTakeEachJobOnce) {
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) Enqueue(i % 2 ? a() : b(), "export");
  std::mutex mu;
  std::map<int64_t, int> claims;
  std::vector<std::string> errors;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    Store* s = w % 2 ? pair_.a.get() : pair_.b.get();
    workers.emplace_back([&, s, w] {
      const std::string worker = "w" + std::to_string(w);
      while (true) {
        auto c = s->ClaimNextJob(2000, worker, 60'000, {"export"});
        std::lock_guard<std::mutex> lock(mu);
        if (!c.ok()) {
          errors.push_back(c.status().ToString());
          return;
        }
        if (!c->has_value()) return;
        ++claims[(*c)->id];
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(claims.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << "job " << id << " claimed " << n << "x";
}

TEST_P(StoreJobsTest, AnExpiredLeaseMovesTheJobToTheOtherInstance) {
  int64_t id = Enqueue(a(), "export");
  auto first = a().ClaimNextJob(10'000, "A-1", 1000, {"export"});
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  EXPECT_EQ((*first)->id, id);
  // B sees nothing while A's lease runs (heartbeat included)...
  ASSERT_TRUE(a().HeartbeatJob(id, "A-1", 11'500, 10'500).ok());
  auto during = b().ClaimNextJob(11'000, "B-1", 1000, {"export"});
  ASSERT_TRUE(during.ok());
  EXPECT_FALSE(during->has_value());
  // ... and takes the job over once the lease expired (A was SIGKILLed: no more heartbeats).
  auto after = b().ClaimNextJob(11'501, "B-1", 1000, {"export"});
  ASSERT_TRUE(after.ok() && after->has_value()) << after.status().ToString();
  EXPECT_EQ((*after)->id, id);
  EXPECT_EQ((*after)->attempts, 2);
  EXPECT_EQ((*after)->worker_id, "B-1");
  // A, were it only slow, has lost the job.
  EXPECT_EQ(a().HeartbeatJob(id, "A-1", 13'000, 12'000).reason(), "lease_lost");
  EXPECT_EQ(a().FinishJob(id, "A-1", JobState::kSucceeded, "{}", "", 12'000).reason(),
            "lease_lost");
  ASSERT_TRUE(b().FinishJob(id, "B-1", JobState::kSucceeded, "{}", "", 12'000).ok());
  auto done = a().GetJob(id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, JobState::kSucceeded);
}

TEST_P(StoreJobsTest, ClaimsOnlyTheKindsAsked) {
  Enqueue(a(), "catalog_sync");
  int64_t exp = Enqueue(a(), "export");
  auto c = b().ClaimNextJob(2000, "B-1", 1000, {"export"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status().ToString();
  EXPECT_EQ((*c)->id, exp);
  auto none = b().ClaimNextJob(2000, "B-1", 1000, {"export", "other"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto any = b().ClaimNextJob(2000, "B-1", 1000, {});
  ASSERT_TRUE(any.ok() && any->has_value());
  EXPECT_EQ((*any)->kind, "catalog_sync");
}

// Catalog syncs of one project (dedupe key "catalog_sync:<project>") and exports (one job per
// export id) are de-duplicated across instances by the database, not by a process.
TEST_P(StoreJobsTest, DedupeKeyHoldsAcrossInstances) {
  int64_t first = Enqueue(a(), "catalog_sync", "catalog_sync:7");
  auto second = b().EnqueueJob(NewJob{"catalog_sync", 7, "catalog_sync:7", "{}"}, 1000);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().reason(), "already_running");
  auto c = b().ClaimNextJob(2000, "B-1", 1000, {});
  ASSERT_TRUE(c.ok() && c->has_value());
  ASSERT_TRUE(b().FinishJob(first, "B-1", JobState::kSucceeded, "{}", "", 3000).ok());
  EXPECT_TRUE(a().EnqueueJob(NewJob{"catalog_sync", 7, "catalog_sync:7", "{}"}, 4000).ok());
}

// ---- PostgreSQL only.

class PgJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::PgTestCluster& pg = testing::PgTestCluster::Get();
    ASSERT_TRUE(pg.ok()) << pg.error();
    conninfo_ = pg.Fresh();
    ASSERT_FALSE(conninfo_.empty()) << pg.error();
    auto s = OpenPostgresStore(conninfo_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->Migrate().ok());
    admin_ = PQconnectdb(conninfo_.c_str());
    ASSERT_EQ(PQstatus(admin_), CONNECTION_OK) << PQerrorMessage(admin_);
  }
  void TearDown() override {
    if (admin_ != nullptr) PQfinish(admin_);
  }
  // Runs SQL on the test's own connection; the first value of the result ("" when none).
  std::string Admin(const std::string& sql) {
    PGresult* r = PQexec(admin_, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r);
    std::string v = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return v;
  }
  int64_t Enqueue() {
    auto id = store_->EnqueueJob(NewJob{"export", 0, "", "{}"}, 1000);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  std::string conninfo_;
  std::unique_ptr<Store> store_;
  PGconn* admin_ = nullptr;
};

TEST_F(PgJobsTest, ARowBeingClaimedElsewhereIsSkippedNotWaitedFor) {
  int64_t locked = Enqueue();
  int64_t next = Enqueue();
  Admin("BEGIN");
  Admin("SELECT id FROM jobs WHERE id = " + std::to_string(locked) + " FOR UPDATE");
  auto c = std::async(std::launch::async,
                      [&] { return store_->ClaimNextJob(2000, "B-1", 1000, {"export"}); });
  bool finished = c.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  Admin("COMMIT");
  ASSERT_TRUE(finished) << "the claim waited for the locked row";
  auto got = c.get();
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->id, next);
}

TEST_F(PgJobsTest, AClaimDoesNotWaitForTheWriterLock) {
  int64_t id = Enqueue();
  // Another instance in the middle of a write transaction holds the writer lock.
  Admin("SELECT pg_advisory_lock(" + std::to_string(pg::kWriterLockKey) + ")");
  auto c = std::async(std::launch::async,
                      [&] { return store_->ClaimNextJob(2000, "B-1", 1000, {"export"}); });
  bool finished = c.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  Admin("SELECT pg_advisory_unlock(" + std::to_string(pg::kWriterLockKey) + ")");
  ASSERT_TRUE(finished) << "the claim queued behind the writer lock";
  auto got = c.get();
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->id, id);
}

// A transient failure (here the server ends the store's connection: SQLSTATE 57P01 / a lost
// connection) re-runs the whole claim on a fresh connection instead of failing it.
TEST_F(PgJobsTest, AClaimWhoseConnectionDiesIsRetriedOnAFreshOne) {
  int64_t id = Enqueue();
  std::string killed = Admin(
      "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> "
      "pg_backend_pid() AND backend_type = 'client backend'");
  ASSERT_NE(killed, "0") << "no store connection to end";
  auto got = store_->ClaimNextJob(2000, "B-1", 1000, {"export"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, id);
  EXPECT_EQ((*got)->attempts, 1);  // claimed once, not twice
}

std::vector<JobsBackend> Backends() {
  return {
      JobsBackend{"SqliteFile",
                  [](const testing::TempDir& dir) -> Result<Pair> {
                    Pair p;
                    NEXUS_ASSIGN_OR_RETURN(p.a, OpenSqliteStore(dir.File("jobs.db")));
                    NEXUS_ASSIGN_OR_RETURN(p.b, OpenSqliteStore(dir.File("jobs.db")));
                    return p;
                  }},
      JobsBackend{"Postgres",
                  [](const testing::TempDir&) -> Result<Pair> {
                    testing::PgTestCluster& pg = testing::PgTestCluster::Get();
                    if (!pg.ok()) return Internal("test PostgreSQL: " + pg.error());
                    Pair p;
                    p.conninfo = pg.Fresh();
                    if (p.conninfo.empty()) return Internal("test PostgreSQL: " + pg.error());
                    NEXUS_ASSIGN_OR_RETURN(p.a, OpenPostgresStore(p.conninfo, 4));
                    NEXUS_ASSIGN_OR_RETURN(p.b, OpenPostgresStore(p.conninfo, 4));
                    return p;
                  }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreJobsTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<JobsBackend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace nexus
