// The shared TestRail rate budget on PostgreSQL; see pg_rate_ledger.h.
#include "storage/pg_rate_ledger.h"

#include <algorithm>

#include "storage/sql_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using sql::Connection;
using sql::Statement;

// Microseconds since the epoch now, on the server's clock (not the transaction's start).
constexpr char kNowUs[] = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)";

// Prune grants older than this many windows (at least a minute, whatever the window).
constexpr int64_t kKeepWindows = 2;
constexpr int64_t kKeepAtLeastUs = 60'000'000;

struct BudgetRow {
  int64_t paused_until_us = 0;
  testrail::SharedLimitState state;
};

// Locks the instance's row, creating it first when missing.
Result<BudgetRow> LockRow(Connection& c, std::string_view op, const std::string& key) {
  for (int round = 0; round < 2; ++round) {
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement q, c.Prepare(op,
                                 "SELECT paused_until_us, learned_limit, learned_under_rpm FROM "
                                 "testrail_rate_budgets WHERE instance_key = ?1 FOR UPDATE"));
      q.Bind(1, key);
      NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
      if (row) {
        BudgetRow r;
        r.paused_until_us = q.Int64(0);
        if (!q.IsNull(1)) r.state.learned_limit = static_cast<int>(q.Int64(1));
        r.state.learned_under_rpm = q.Int64(2);
        NEXUS_RETURN_IF_ERROR(q.Run());
        return r;
      }
    }
    NEXUS_ASSIGN_OR_RETURN(Statement ins,
                           c.Prepare(op,
                                     "INSERT INTO testrail_rate_budgets (instance_key) VALUES "
                                     "(?1) ON CONFLICT (instance_key) DO NOTHING"));
    NEXUS_RETURN_IF_ERROR(ins.Bind(1, key).Run());
  }
  return Internal(std::string(op) + ": the budget row vanished");
}

Result<int64_t> NowUs(Connection& c, std::string_view op) {
  NEXUS_ASSIGN_OR_RETURN(Statement q, c.Prepare(op, std::string("SELECT ") + kNowUs));
  NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Internal(std::string(op) + ": no clock");
  const int64_t now = q.Int64(0);
  NEXUS_RETURN_IF_ERROR(q.Run());
  return now;
}

}  // namespace

Result<testrail::SharedGrant> PgRateLedger::TryAcquire(
    const std::string& key, int64_t span_us,
    const std::function<int(const testrail::SharedLimitState&)>& allowed) {
  constexpr std::string_view kOp = "shared rate budget";
  span_us = std::max<int64_t>(1, span_us);
  testrail::SharedGrant out;
  Status s = store_.RawRowLocking(kOp, [&](Connection& c) -> Status {
    out = testrail::SharedGrant();
    NEXUS_ASSIGN_OR_RETURN(BudgetRow row, LockRow(c, kOp, key));
    out.state = row.state;
    // Read after the row lock is held: a grant committed by the previous holder is older.
    NEXUS_ASSIGN_OR_RETURN(int64_t now, NowUs(c, kOp));
    if (row.paused_until_us > now) {
      out.wait_us = out.paused_us = row.paused_until_us - now;
      return Status::Ok();
    }
    const int limit = allowed(row.state);
    if (limit > 0) {
      // The limit-th newest grant of the window: while it is in the window, the window is full
      // and the next place frees when it leaves.
      NEXUS_ASSIGN_OR_RETURN(Statement q,
                             c.Prepare(kOp,
                                       "SELECT granted_at_us FROM testrail_rate_grants WHERE "
                                       "instance_key = ?1 AND granted_at_us > ?2 ORDER BY "
                                       "granted_at_us DESC LIMIT 1 OFFSET ?3"));
      q.Bind(1, key).Bind(2, now - span_us).Bind(3, static_cast<int64_t>(limit - 1));
      NEXUS_ASSIGN_OR_RETURN(bool full, q.Step());
      if (full) {
        out.wait_us = std::max<int64_t>(1, q.Int64(0) + span_us - now);
        return q.Run();
      }
    }
    {
      NEXUS_ASSIGN_OR_RETURN(Statement ins, c.Prepare(kOp,
                                                      "INSERT INTO testrail_rate_grants "
                                                      "(instance_key, granted_at_us) VALUES "
                                                      "(?1, ?2)"));
      NEXUS_RETURN_IF_ERROR(ins.Bind(1, key).Bind(2, now).Run());
    }
    {
      NEXUS_ASSIGN_OR_RETURN(Statement del, c.Prepare(kOp,
                                                      "DELETE FROM testrail_rate_grants WHERE "
                                                      "instance_key = ?1 AND granted_at_us < ?2"));
      NEXUS_RETURN_IF_ERROR(
          del.Bind(1, key).Bind(2, now - std::max(kKeepWindows * span_us, kKeepAtLeastUs)).Run());
    }
    out.granted = true;
    out.granted_at_us = now;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> PgRateLedger::Pause(const std::string& key, int64_t pause_us) {
  constexpr std::string_view kOp = "shared rate budget pause";
  int64_t until = 0;
  Status s = store_.RawRowLocking(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement up,
        c.Prepare(kOp, std::string("INSERT INTO testrail_rate_budgets (instance_key, "
                                   "paused_until_us) VALUES (?1, ") +
                           kNowUs +
                           " + ?2) ON CONFLICT (instance_key) DO UPDATE SET paused_until_us = "
                           "GREATEST(testrail_rate_budgets.paused_until_us, "
                           "EXCLUDED.paused_until_us) RETURNING paused_until_us"));
    up.Bind(1, key).Bind(2, std::max<int64_t>(0, pause_us));
    NEXUS_ASSIGN_OR_RETURN(bool row, up.Step());
    if (!row) return Internal(std::string(kOp) + ": no row");
    until = up.Int64(0);
    return up.Run();
  });
  if (!s.ok()) return s;
  return until;
}

Status PgRateLedger::LearnLimit(const std::string& key, int limit_per_minute,
                                int64_t configured_rpm) {
  constexpr std::string_view kOp = "shared rate budget limit";
  if (limit_per_minute <= 0) return Status::Ok();
  return store_.RawRowLocking(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement up,
        c.Prepare(kOp,
                  "INSERT INTO testrail_rate_budgets (instance_key, learned_limit, "
                  "learned_under_rpm) VALUES (?1, ?2, ?3) ON CONFLICT (instance_key) DO UPDATE "
                  "SET learned_limit = CASE WHEN testrail_rate_budgets.learned_under_rpm = "
                  "EXCLUDED.learned_under_rpm AND testrail_rate_budgets.learned_limit IS NOT NULL "
                  "AND testrail_rate_budgets.learned_limit < EXCLUDED.learned_limit THEN "
                  "testrail_rate_budgets.learned_limit ELSE EXCLUDED.learned_limit END, "
                  "learned_under_rpm = EXCLUDED.learned_under_rpm"));
    return up.Bind(1, key)
        .Bind(2, static_cast<int64_t>(limit_per_minute))
        .Bind(3, configured_rpm)
        .Run();
  });
}

std::unique_ptr<testrail::SharedRateLedger> MakeSharedRateLedger(Store& store) {
  auto* sql_store = dynamic_cast<SqliteStore*>(&store);
  if (sql_store == nullptr || !sql_store->IsPostgres()) return nullptr;
  return std::make_unique<PgRateLedger>(*sql_store);
}

}  // namespace nexus
