// The PostgreSQL connection's read transactions (issue 15, REST reads on PostgreSQL): the
// BEGIN is sent in one pipeline with the first statement and the COMMIT is not waited for.
// What must hold whatever the wire does: one snapshot per read transaction, errors reported
// and the connection usable afterwards, and nothing sent for a transaction without statements.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "pg_test_cluster.h"
#include "storage/pg_conn.h"
#include "storage/sql_pool.h"

namespace nexus {
namespace {

class PgConnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string conninfo = testing::PgTestCluster::Get().Fresh();
    ASSERT_FALSE(conninfo.empty()) << testing::PgTestCluster::Get().error();
    auto pool = pg::OpenPool(conninfo, 2);
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pool_ = std::move(pool).value();
    sql::Lease lease(*pool_, true);
    ASSERT_TRUE(lease.conn().ExecScript("schema", "CREATE TABLE t (v INTEGER)").ok());
  }

  static int64_t Count(sql::Connection& c) {
    auto st = c.Prepare("count", "SELECT COUNT(*) FROM t");
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << (row.ok() ? "no row" : row.status().ToString());
    return st->Int64(0);
  }
  static void Insert(sql::Connection& c, int64_t v) {
    ASSERT_TRUE(c.Begin("insert", true).ok());
    auto st = c.Prepare("insert", "INSERT INTO t (v) VALUES (?1)");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    ASSERT_TRUE(st->Bind(1, v).Run().ok());
    ASSERT_TRUE(c.Commit("insert").ok());
  }

  std::unique_ptr<sql::ConnectionPool> pool_;
};

TEST_F(PgConnTest, AReadTransactionSeesOneSnapshotFromItsFirstStatement) {
  sql::Lease reader(*pool_, false);
  sql::Lease writer(*pool_, true);
  ASSERT_TRUE(reader.conn().Begin("read", false).ok());
  Insert(writer.conn(), 1);  // before the read's first statement: inside its snapshot
  EXPECT_EQ(Count(reader.conn()), 1);
  Insert(writer.conn(), 2);  // after it: not seen until the next transaction
  EXPECT_EQ(Count(reader.conn()), 1);
  ASSERT_TRUE(reader.conn().Commit("read").ok());
  ASSERT_TRUE(reader.conn().Begin("read again", false).ok());
  EXPECT_EQ(Count(reader.conn()), 2);
  ASSERT_TRUE(reader.conn().Commit("read again").ok());
}

TEST_F(PgConnTest, ReadTransactionsBackToBackAndWithoutStatementsLeaveTheConnectionUsable) {
  sql::Lease lease(*pool_, false);
  sql::Connection& c = lease.conn();
  for (int i = 0; i < 3; ++i) {  // each COMMIT still in flight when the next BEGIN comes
    ASSERT_TRUE(c.Begin("read", false).ok());
    EXPECT_EQ(Count(c), 0);
    ASSERT_TRUE(c.Commit("read").ok());
  }
  ASSERT_TRUE(c.Begin("empty", false).ok());  // no statement: nothing to commit
  ASSERT_TRUE(c.Commit("empty").ok());
  ASSERT_TRUE(c.Begin("empty", false).ok());
  c.Rollback("empty");
  Insert(c, 7);  // a write right after: a real transaction, committed
  ASSERT_TRUE(c.Begin("read", false).ok());
  EXPECT_EQ(Count(c), 1);
  ASSERT_TRUE(c.ExecScript("script", "SELECT 1").ok());  // inside the read transaction
  ASSERT_TRUE(c.Commit("read").ok());
  EXPECT_TRUE(c.Healthy());
}

TEST_F(PgConnTest, AFailingFirstStatementIsReportedAndTheConnectionStaysUsable) {
  sql::Lease lease(*pool_, false);
  sql::Connection& c = lease.conn();
  Insert(c, 3);
  ASSERT_TRUE(c.Begin("read", false).ok());
  auto st = c.Prepare("bad", "SELECT v / (v - v) FROM t");  // fails when executed
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto row = st->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().ToString().find("division by zero"), std::string::npos)
      << row.status().ToString();
  c.Rollback("read");
  ASSERT_TRUE(c.Begin("read", false).ok());
  EXPECT_EQ(Count(c), 1);
  ASSERT_TRUE(c.Commit("read").ok());
  EXPECT_TRUE(c.Healthy());
}

// A single-statement read sends its statement alone (no BEGIN READ ONLY, no COMMIT): it runs
// in a transaction of its own, refuses a second statement, and leaves the connection usable
// for every kind of transaction after it, including after a read whose COMMIT is in flight.
TEST_F(PgConnTest, ASingleStatementReadRunsAloneAndRefusesASecondStatement) {
  sql::Lease lease(*pool_, false);
  sql::Connection& c = lease.conn();
  Insert(c, 1);
  ASSERT_TRUE(c.Begin("read", false).ok());  // a regular read first: its COMMIT in flight
  EXPECT_EQ(Count(c), 1);
  ASSERT_TRUE(c.Commit("read").ok());
  ASSERT_TRUE(c.BeginSingleStatementRead("single").ok());
  {
    auto st = c.Prepare("mode", "SELECT current_setting('transaction_read_only')");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    auto row = st->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(st->Text(0), "off");  // not inside the regular read's BEGIN … READ ONLY
  }
  auto second = c.Prepare("count", "SELECT COUNT(*) FROM t");
  ASSERT_TRUE(second.ok());
  auto refused = second->Step();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInternal);
  EXPECT_NE(refused.status().ToString().find("second statement"), std::string::npos);
  c.Rollback("single");
  for (int i = 0; i < 3; ++i) {  // back to back, then every other kind of transaction
    ASSERT_TRUE(c.BeginSingleStatementRead("single").ok());
    EXPECT_EQ(Count(c), 1 + i);
    ASSERT_TRUE(c.Commit("single").ok());
    Insert(c, 10 + i);
  }
  ASSERT_TRUE(c.BeginSingleStatementRead("unused").ok());  // no statement: nothing sent
  ASSERT_TRUE(c.Commit("unused").ok());
  ASSERT_TRUE(c.Begin("read", false).ok());
  EXPECT_EQ(Count(c), 4);
  {
    auto st = c.Prepare("mode", "SELECT current_setting('transaction_read_only')");
    ASSERT_TRUE(st.ok());
    auto row = st->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(st->Text(0), "on");
  }
  ASSERT_TRUE(c.Commit("read").ok());
  EXPECT_TRUE(c.Healthy());
}

}  // namespace
}  // namespace nexus
