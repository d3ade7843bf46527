// Internal to the SQLite backend: the helpers its per-role files (sqlite_*.cc) share, and the
// definitions of SqliteStore's Write()/Read() transaction templates. The helpers are defined
// in sqlite_store.cc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/status.h"
#include "storage/page_request.h"
#include "storage/read_cache.h"
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

// Rows per multi-row statement. A statement is prepared once per connection and row count
// (a report's last, shorter chunk is a second one) and reused for every chunk, so 100,000
// runs are 200 statement executions instead of 100,000 — what matters on SQLite (per-step
// overhead) and even more on PostgreSQL (a round trip each). 500 rows keep the widest
// statement (runs: 5 + 7 × 500 parameters) far under SQLite's 32,766 and PostgreSQL's 65,535
// parameters per statement.
inline constexpr size_t kChunkRows = 500;

// A multi-row statement: `head`, then one `row` per item separated by commas, then `tail`.
// Parameters ?1..?shared are the same for every row and bound once; in `row`, #0..#9 stand
// for the row's own parameters, numbered after the shared ones (row k's #0 is
// ?(shared + 1 + k * per_row)).
struct MultiRow {
  std::string head;
  std::string row;
  std::string tail;
  int shared = 0;
  int per_row = 0;

  int First(size_t k) const { return shared + 1 + static_cast<int>(k) * per_row; }

  std::string Sql(size_t rows) const {
    std::string out = head;
    out.reserve(head.size() + rows * (row.size() + 16) + tail.size());
    for (size_t k = 0; k < rows; ++k) {
      if (k > 0) out += ", ";
      const int first = First(k);
      for (size_t i = 0; i < row.size(); ++i) {
        if (row[i] == '#' && i + 1 < row.size() && row[i + 1] >= '0' && row[i + 1] <= '9') {
          out += '?';
          out += std::to_string(first + (row[i + 1] - '0'));
          ++i;
        } else {
          out += row[i];
        }
      }
    }
    out += tail;
    return out;
  }
};

// Runs `m` over items [0, n) in chunks of kChunkRows: for each chunk `bind_shared(st)`, then
// `bind_row(st, item, first parameter of its row)` per item, then `finish(st, begin, rows)`
// (which steps the statement to completion and reads what it returns).
template <typename BindShared, typename BindRow, typename Finish>
Status RunChunked(Connection& c, std::string_view op, const MultiRow& m, size_t n,
                  BindShared&& bind_shared, BindRow&& bind_row, Finish&& finish) {
  std::string full;  // the statement text of a whole chunk, built once
  for (size_t begin = 0; begin < n; begin += kChunkRows) {
    const size_t rows = std::min(kChunkRows, n - begin);
    if (rows == kChunkRows && full.empty()) full = m.Sql(kChunkRows);
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, rows == kChunkRows ? full : m.Sql(rows)));
    bind_shared(st);
    for (size_t k = 0; k < rows; ++k) bind_row(st, begin + k, m.First(k));
    NEXUS_RETURN_IF_ERROR(finish(st, begin, rows));
  }
  return Status::Ok();
}

// RunChunked's `finish` for statements that return nothing to read.
inline Status RunToEnd(Statement& st, size_t /*begin*/, size_t /*rows*/) { return st.Run(); }

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
      if (commit.ok()) {
        // Committed: this process' next read sees the change (read_cache.h), whatever it was.
        if (cache_ != nullptr) cache_->InvalidateAll();
        return result;
      }
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
  return ReadIn(op, /*single=*/false, std::forward<Fn>(fn));
}

template <typename Fn>
auto SqliteStore::ReadOne(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  return ReadIn(op, /*single=*/true, std::forward<Fn>(fn));
}

template <typename Fn>
auto SqliteStore::ReadIn(std::string_view op, bool single, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    sql::Lease lease(*pool_, /*write=*/false);
    if (!lease.status().ok()) return lease.status();
    sql::Connection& c = lease.conn();
    Status begin = single ? c.BeginSingleStatementRead(op) : c.Begin(op, /*write=*/false);
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

template <typename K, typename V, typename Load>
Result<V> SqliteStore::Cached(ReadCache::Table<K, V> ReadCache::*table,
                              const std::type_identity_t<K>& key, Load&& load) {
  if (cache_ == nullptr) return load();
  V hit;
  uint64_t ticket = 0;
  if (cache_->Lookup((*cache_).*table, key, &hit, &ticket)) return hit;
  auto loaded = load();
  if (loaded.ok()) cache_->Put((*cache_).*table, key, *loaded, ticket);
  return loaded;
}

}  // namespace nexus
