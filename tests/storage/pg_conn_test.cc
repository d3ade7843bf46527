// The PostgreSQL connection's read transactions (issue 15, REST reads on PostgreSQL): the
// BEGIN is sent in one pipeline with the first statement and the COMMIT is not waited for.
// What must hold whatever the wire does: one snapshot per read transaction, errors reported
// and the connection usable afterwards, and nothing sent for a transaction without statements.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pg_test_cluster.h"
#include "storage/pg_conn.h"
#include "storage/sql_pool.h"
#include "storage/sqlite_helpers.h"

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

// The array form of multi-row inserts (sqlite_helpers.h RunChunked with pg_types): 1,203 rows
// in one statement (all rows share one command id, where chunks of 500 would be three), texts
// kept exactly; a row that binds a column twice or not at all, or a statement that is not an
// INSERT … VALUES, is refused with Internal and writes nothing.
TEST_F(PgConnTest, ArrayRowsInsertManyRowsInOneStatementAndRefuseMalformedRows) {
  sql::Lease lease(*pool_, true);
  sql::Connection& c = lease.conn();
  ASSERT_TRUE(c.ExecScript("schema", "CREATE TABLE r (k BIGINT, n BIGINT, s TEXT, o TEXT)").ok());
  const sqlite::MultiRow ins{"INSERT INTO r (k, n, s, o) VALUES ", "(?1, #0, #1, #2)", "", 1, 3};
  constexpr std::array<std::string_view, 4> kTypes = {"bigint", "bigint", "text", "text"};
  const std::vector<std::string> texts = {"", "NULL", "a \"b\" \\c", "{x,y}", "caf\xc3\xa9\n"};
  constexpr size_t kRows = 1203;
  auto run = [&](const sqlite::MultiRow& m, size_t n, bool bind_twice, bool skip) {
    return sqlite::RunChunked(
        c, "insert", m, n, [&](sql::Statement& st) { st.Bind(1, int64_t{42}); },
        [&](sql::Statement& st, size_t i, int p) {
          st.Bind(p, static_cast<int64_t>(i)).Bind(p + 1, texts[i % texts.size()]);
          if (i % 7 == 0)
            st.BindNull(p + 2);
          else if (!(skip && i == 900))
            st.Bind(p + 2, texts[(i + 1) % texts.size()]);
          if (bind_twice && i == 3) st.Bind(p + 1, "again");
        },
        sqlite::RunToEnd, kTypes);
  };
  ASSERT_TRUE(c.Begin("bulk", true).ok());
  ASSERT_TRUE(run(ins, kRows, false, false).ok());
  ASSERT_TRUE(c.Commit("bulk").ok());
  auto st = c.Prepare("read", "SELECT k, n, s, o, cmin::text FROM r ORDER BY n");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  std::vector<std::string> command_ids;
  for (size_t i = 0; i < kRows; ++i) {
    auto row = st->Step();
    ASSERT_TRUE(row.ok() && *row) << i;
    EXPECT_EQ(st->Int64(0), 42);
    ASSERT_EQ(st->Int64(1), static_cast<int64_t>(i));
    EXPECT_EQ(st->Text(2), texts[i % texts.size()]) << i;
    if (i % 7 == 0)
      EXPECT_TRUE(st->IsNull(3)) << i;
    else
      EXPECT_EQ(st->Text(3), texts[(i + 1) % texts.size()]) << i;
    if (command_ids.empty() || command_ids.back() != st->Text(4))
      command_ids.push_back(st->Text(4));
  }
  auto end = st->Step();
  ASSERT_TRUE(end.ok() && !*end);
  EXPECT_EQ(command_ids.size(), 1u);  // one statement
  for (bool twice : {true, false}) {
    ASSERT_TRUE(c.Begin("bad", true).ok());
    Status bad = run(ins, 1000, twice, !twice);
    c.Rollback("bad");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.code(), StatusCode::kInternal);
    const std::string want =
        twice ? "column 1 bound 1001 times in 1000 rows" : "column 2 bound 999 times in 1000 rows";
    EXPECT_NE(bad.ToString().find(want), std::string::npos) << bad.ToString();
  }
  const sqlite::MultiRow not_values{"INSERT INTO r (k, n, s, o) SELECT ", "(?1, #0, #1, #2)", "", 1,
                                    3};
  Status refused = run(not_values, 5, false, false);
  EXPECT_EQ(refused.code(), StatusCode::kInternal);
  auto count = c.Prepare("count", "SELECT COUNT(*) FROM r");
  ASSERT_TRUE(count.ok());
  auto row = count->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(count->Int64(0), static_cast<int64_t>(kRows));
}

}  // namespace
}  // namespace nexus
