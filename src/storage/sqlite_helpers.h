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

// A connection to read from: a pooled reader, or the writer (under write_mu_) for an
// in-memory database. Returns the reader to the pool on destruction.
class SqliteStore::ReadLease {
 public:
  explicit ReadLease(SqliteStore* store);
  ~ReadLease();
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;

  const Status& status() const { return status_; }
  sqlite::Connection* conn() const { return conn_; }

 private:
  SqliteStore* store_;
  std::unique_lock<std::mutex> write_lock_;
  std::unique_ptr<sqlite::Connection> owned_;
  sqlite::Connection* conn_ = nullptr;
  Status status_;
};

template <typename Fn>
auto SqliteStore::Write(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite::Connection& c = *writer_;
  NEXUS_RETURN_IF_ERROR(sqlite::Exec(c, op, "BEGIN IMMEDIATE"));
  auto result = fn(c);
  if (result.ok()) {
    Status commit = sqlite::Exec(c, op, "COMMIT");
    if (commit.ok()) return result;
    (void)sqlite::Exec(c, op, "ROLLBACK");
    return commit;
  }
  (void)sqlite::Exec(c, op, "ROLLBACK");
  return result;
}

template <typename Fn>
auto SqliteStore::Read(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  ReadLease lease(this);
  if (!lease.status().ok()) return lease.status();
  sqlite::Connection& c = *lease.conn();
  NEXUS_RETURN_IF_ERROR(sqlite::Exec(c, op, "BEGIN"));
  auto result = fn(c);
  Status end = sqlite::Exec(c, op, result.ok() ? "COMMIT" : "ROLLBACK");
  if (result.ok() && !end.ok()) return end;
  return result;
}

}  // namespace nexus
