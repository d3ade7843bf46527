// The shared TestRail rate budget on PostgreSQL; see pg_rate_ledger.h.
#include "storage/pg_rate_ledger.h"

#include <algorithm>
#include <optional>

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
    const int limit = allowed(row.state);
    // The rest in one statement while the row lock is held (its snapshot is taken after the
    // lock, so a grant committed by the previous holder is seen): the clock (read now, not at
    // the transaction's start); the limit-th newest grant of the window — while it is in the
    // window, the window is full and the next place frees when it leaves; when not paused and
    // not full, the grant and the pruning of old grants. The grant's commit does not wait for
    // the WAL flush (synchronous_commit off for this transaction only; `1 = 1` is set_config's
    // is_local, as the portable SQL writes booleans as 0/1): a database crash can forget the last
    // fraction of a second of grants, so right after one the instances may send a few calls over
    // the budget (TestRail's 429 and Retry-After cover that), and in exchange the row lock is not
    // held across a disk flush on every TestRail call.
    NEXUS_ASSIGN_OR_RETURN(
        Statement q,
        c.Prepare(kOp,
                  std::string("WITH n AS (SELECT ") + kNowUs +
                      " AS us), w AS (SELECT g.granted_at_us FROM testrail_rate_grants g, n "
                      "WHERE ?3 >= 0 AND g.instance_key = ?1 AND g.granted_at_us > n.us - ?2 "
                      "ORDER BY g.granted_at_us DESC LIMIT 1 OFFSET GREATEST(?3, 0)), "
                      "ok AS (SELECT n.us FROM n WHERE n.us >= ?5 AND NOT EXISTS (SELECT 1 FROM "
                      "w)), ins AS (INSERT INTO testrail_rate_grants (instance_key, "
                      "granted_at_us) SELECT ?1, ok.us FROM ok), del AS (DELETE FROM "
                      "testrail_rate_grants WHERE instance_key = ?1 AND granted_at_us < (SELECT "
                      "ok.us FROM ok) - ?4) SELECT n.us, (SELECT w.granted_at_us FROM w), "
                      "set_config('synchronous_commit', 'off', 1 = 1) FROM n"));
    q.Bind(1, key)
        .Bind(2, span_us)
        .Bind(3, static_cast<int64_t>(limit > 0 ? limit - 1 : -1))
        .Bind(4, std::max(kKeepWindows * span_us, kKeepAtLeastUs))
        .Bind(5, row.paused_until_us);
    NEXUS_ASSIGN_OR_RETURN(bool answered, q.Step());
    if (!answered) return Internal(std::string(kOp) + ": no clock");
    const int64_t now = q.Int64(0);
    const std::optional<int64_t> full_at = q.OptInt64(1);
    NEXUS_RETURN_IF_ERROR(q.Run());
    if (row.paused_until_us > now) {
      out.wait_us = out.paused_us = row.paused_until_us - now;
      return Status::Ok();
    }
    if (full_at) {
      out.wait_us = std::max<int64_t>(1, *full_at + span_us - now);
      return Status::Ok();
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
