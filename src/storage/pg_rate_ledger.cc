// The shared TestRail rate budget on PostgreSQL; see pg_rate_ledger.h.
#include "storage/pg_rate_ledger.h"

#include <algorithm>
#include <mutex>
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

}  // namespace

Result<testrail::SharedGrant> PgRateLedger::TryAcquire(
    const std::string& key, int64_t span_us,
    const std::function<int(const testrail::SharedLimitState&)>& allowed) {
  constexpr std::string_view kOp = "shared rate budget";
  span_us = std::max<int64_t>(1, span_us);
  // The state the limit is computed from: the one last seen for the key (none at first). The
  // server grants only when the row still holds it (nexus_rate_grant, migration 0016), else it
  // returns the row's state, from which the limit is computed again — so a grant always follows
  // the limit of the state it was made under, as when `allowed` ran under the row lock.
  // One grant at a time per process: the budget row's lock would queue concurrent grants anyway
  // (an export sends its batches at once), and queued here each takes the pool's most recently
  // used connection, which has the function compiled and planned — where ten grants on ten
  // connections, some newly opened, each compiled it while holding the row lock (a convoy of
  // ~100 ms on a 2-core host).
  std::lock_guard<std::mutex> one_at_a_time(grant_mu_);
  testrail::SharedLimitState state;
  if (auto it = seen_.find(key); it != seen_.end()) state = it->second;
  for (int round = 0; round < kStateRounds; ++round) {
    const int limit = allowed(state);
    testrail::SharedGrant out;
    testrail::SharedLimitState row;
    int64_t paused_until = 0;
    Status s = store_.RawOneStatement(kOp, [&](Connection& c) -> Status {
      out = testrail::SharedGrant();
      NEXUS_ASSIGN_OR_RETURN(
          Statement q, c.Prepare(kOp,
                                 "SELECT now_us, full_at_us, paused_until, limit_learned, "
                                 "limit_under_rpm, granted FROM nexus_rate_grant(?1, ?2, ?3, ?4, "
                                 "?5, ?6)"));
      q.Bind(1, key)
          .Bind(2, span_us)
          .Bind(3, static_cast<int64_t>(limit > 0 ? limit - 1 : -1))
          .Bind(4, std::max(kKeepWindows * span_us, kKeepAtLeastUs));
      if (state.learned_limit)
        q.Bind(5, static_cast<int64_t>(*state.learned_limit));
      else
        q.BindNull(5);
      q.Bind(6, state.learned_under_rpm);
      NEXUS_ASSIGN_OR_RETURN(bool answered, q.Step());
      if (!answered) return Internal(std::string(kOp) + ": no answer");
      const int64_t now = q.Int64(0);
      const std::optional<int64_t> full_at = q.OptInt64(1);
      paused_until = q.Int64(2);
      if (!q.IsNull(3)) row.learned_limit = static_cast<int>(q.Int64(3));
      row.learned_under_rpm = q.Int64(4);
      out.granted = q.Int64(5) != 0;
      NEXUS_RETURN_IF_ERROR(q.Run());
      if (out.granted) {
        out.granted_at_us = now;
      } else if (paused_until > now) {
        out.wait_us = out.paused_us = paused_until - now;
      } else if (full_at) {
        out.wait_us = std::max<int64_t>(1, *full_at + span_us - now);
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    out.state = row;
    seen_[key] = row;
    const bool same = row.learned_limit == state.learned_limit &&
                      row.learned_under_rpm == state.learned_under_rpm;
    if (same || out.wait_us > 0) return out;  // granted, paused or full under this state
    state = row;
  }
  return Status(StatusCode::kUnavailable, std::string(kOp) + ": the learned limit kept changing",
                {}, "transient");
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
