// Internal to the SQLite backend: the helpers its per-role files (sqlite_*.cc) share, and the
// definitions of SqliteStore's Write()/Read() transaction templates. The helpers are defined
// in sqlite_store.cc.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "storage/page_request.h"
#include "storage/sql_pool.h"
#include "storage/sqlite_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace sqlite {

// Pages never hold more than this many items, whatever the request asks.
inline constexpr int kMaxPageLimit = 1000;

// Prepares and runs `sql` (no parameters, no rows).
Status Exec(Connection& c, std::string_view op, const std::string& sql);

// Whether `sql` (parameters ?1 = a and, when set, ?2 = b) returns a row.
Result<bool> Exists(Connection& c, std::string_view op, const std::string& sql, int64_t a,
                    std::optional<int64_t> b = std::nullopt);

// The page's limit capped at kMaxPageLimit; InvalidArgument (field "limit") below 1.
Result<int> PageLimit(const PageRequest& page);

// Internal "<op>: unreadable <what> in the database" for a stored value that does not parse.
Status Corrupt(std::string_view op, std::string_view what);

}  // namespace sqlite

// A transaction is retried on a fresh connection only when BEGIN failed because the connection
// was lost (nothing of fn ran, so nothing can run twice); at most this many times.
inline constexpr int kBeginRetries = 2;

template <typename Fn>
auto SqliteStore::Write(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    sql::Lease lease(*pool_, /*write=*/true);
    if (!lease.status().ok()) return lease.status();
    sql::Connection& c = lease.conn();
    Status begin = c.Begin(op, /*write=*/true);
    if (!begin.ok()) {
      if (!c.Healthy() && attempt < kBeginRetries) continue;
      return begin;
    }
    auto result = fn(c);
    if (result.ok()) {
      Status commit = c.Commit(op);
      if (commit.ok()) return result;
      c.Rollback(op);
      return commit;
    }
    c.Rollback(op);
    return result;
  }
}

// A row-locking transaction whose body failed transiently is re-run at most this many times.
inline constexpr int kTransientRetries = 3;

// True for the failures PostgreSQL reports when the same transaction may succeed if re-run:
// serialization failure (40001), deadlock (40P01), a lost connection (pg_conn.cc maps them all
// to Unavailable with reason "transient").
inline bool IsTransient(const Status& s) {
  return s.code() == StatusCode::kUnavailable && s.reason() == "transient";
}

template <typename Fn>
auto SqliteStore::Read(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    sql::Lease lease(*pool_, /*write=*/false);
    if (!lease.status().ok()) return lease.status();
    sql::Connection& c = lease.conn();
    Status begin = c.Begin(op, /*write=*/false);
    if (!begin.ok()) {
      if (!c.Healthy() && attempt < kBeginRetries) continue;
      return begin;
    }
    auto result = fn(c);
    if (result.ok()) {
      Status end = c.Commit(op);
      if (!end.ok()) return end;
    } else {
      c.Rollback(op);
    }
    return result;
  }
}

}  // namespace nexus
