// The TestRail rate budget shared by every Nexus instance on one PostgreSQL database (issue 15,
// R-Q-RATE): the SharedRateLedger of testrail/shared_rate_ledger.h on the tables of migration
// 0012. Each TryAcquire is one statement, its own READ COMMITTED transaction, that does not
// take the store's single writer lock (exports writing their journal never delay a grant): the
// function nexus_rate_grant (migration 0016) locks the instance's row (SELECT … FOR UPDATE),
// reads the database clock, counts the grants of the last window, and inserts a grant or says
// how long to wait; grants older than two windows are pruned on the way. The row lock is held
// only while the server runs it (no client round trip inside the lock). The limit is computed
// by the caller's `allowed` from the learned state last seen; the function grants only under
// that same state, else the call is repeated with the row's. Pause and LearnLimit are single
// upserts. Times are the database server's
// (clock_timestamp()), so instances on hosts whose clocks differ still count one window.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/store.h"
#include "testrail/shared_rate_ledger.h"

namespace nexus {

class SqliteStore;

// Thread-safe (every call runs in its own transaction on a pooled connection). Errors:
// Unavailable or Internal from the database; the caller falls back to its local budget.
class PgRateLedger final : public testrail::SharedRateLedger {
 public:
  // `store` must run on PostgreSQL, be migrated to >= 12 and outlive the ledger.
  explicit PgRateLedger(SqliteStore& store) : store_(store) {}

  Result<testrail::SharedGrant> TryAcquire(
      const std::string& key, int64_t span_us,
      const std::function<int(const testrail::SharedLimitState&)>& allowed) override;
  Result<int64_t> Pause(const std::string& key, int64_t pause_us) override;
  Status LearnLimit(const std::string& key, int limit_per_minute, int64_t configured_rpm) override;

 private:
  // Calls of nexus_rate_grant per TryAcquire when the learned state changes under it.
  static constexpr int kStateRounds = 4;

  SqliteStore& store_;
  std::mutex grant_mu_;                                     // held through a TryAcquire
  std::map<std::string, testrail::SharedLimitState> seen_;  // by key; grant_mu_
};

// The ledger for `store` when it is a PostgreSQL store (several instances may share it);
// nullptr for SQLite (one process: the in-process budget is the whole budget).
std::unique_ptr<testrail::SharedRateLedger> MakeSharedRateLedger(Store& store);

}  // namespace nexus
