// Internal to the SQLite backend: the helpers its per-role files (sqlite_*.cc) share, and the
// definitions of SqliteStore's Write()/Read() transaction templates. The helpers are defined
// in sqlite_store.cc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

  // The PostgreSQL array form of the statement (RunChunked's pg_types): all rows in one
  // statement with one array parameter per column, `INSERT INTO t (…) SELECT CAST(?1 AS
  // bigint), u.c0, … FROM unnest(?2::bigint[], …) AS u(c0, …) <tail>`. Internal when `head`
  // does not end in "VALUES " or `types` does not give every parameter a type.
  Result<std::string> UnnestSql(std::span<const std::string_view> types) const;

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

// Rows per statement of the PostgreSQL array form (RunChunked's pg_types): a 10,000-result
// export plan is one statement; the bound is on the size of one message to the server.
inline constexpr size_t kArrayRows = 10000;

// Collects what `bind_row` binds, row after row, as one PostgreSQL array literal per column
// (`{1,2}`, `{"a","b\"c"}`, NULL elements) for MultiRow's array form. Binds land in the column
// `index - first` of the current row; Bind() checks that every row bound every column once.
class ArrayRows final : public sql::StatementImpl {
 public:
  ArrayRows(int first, int columns)
      : first_(first), arrays_(static_cast<size_t>(columns)), counts_(arrays_.size()) {}

  void NextRow() { ++rows_; }
  // Binds the arrays to parameters first.. of `st`; Internal when a row left a column unbound
  // or bound it twice.
  Status BindTo(Statement& st, std::string_view op);

  void BindInt64(int index, int64_t value) override;
  void BindText(int index, std::string_view value) override;
  void BindNull(int index) override;
  Result<bool> Step() override { return Internal("array rows are not a statement"); }
  int64_t Changes() const override { return 0; }
  int64_t Int64(int /*col*/) const override { return 0; }
  std::string Text(int /*col*/) const override { return {}; }
  bool IsNull(int /*col*/) const override { return true; }
  void Release() override {}

 private:
  std::string* Column(int index);

  int first_;
  size_t rows_ = 0;
  std::vector<std::string> arrays_;  // element texts, comma-separated, without the braces
  std::vector<size_t> counts_;
  bool out_of_range_ = false;
};

// Runs `m` over items [0, n) in chunks of kChunkRows: for each chunk `bind_shared(st)`, then
// `bind_row(st, item, first parameter of its row)` per item, then `finish(st, begin, rows)`
// (which steps the statement to completion and reads what it returns).
//
// `pg_types`, optional, PostgreSQL only: the SQL type ("bigint", "text") of each parameter, the
// shared ones (?1..?shared) then a row's own (#0..#per_row-1). When given, on PostgreSQL the rows
// go in chunks of kArrayRows in the array form (MultiRow::UnnestSql), `bind_row` getting the
// same first parameter for every row: a statement of 10,000 rows is then parsed and planned like
// one of one row, where 20 statements of 500 rows × 9 parameters cost the server a parse, a plan
// and 4,500 parameters each. Only for an INSERT … VALUES whose `finish` reads nothing (the rows
// an unnest statement returns are in no promised order).
template <typename BindShared, typename BindRow, typename Finish>
Status RunChunked(Connection& c, std::string_view op, const MultiRow& m, size_t n,
                  BindShared&& bind_shared, BindRow&& bind_row, Finish&& finish,
                  std::span<const std::string_view> pg_types = {}) {
  if (!pg_types.empty() && c.dialect() == sql::Dialect::kPostgres) {
    NEXUS_ASSIGN_OR_RETURN(std::string sql, m.UnnestSql(pg_types));
    for (size_t begin = 0; begin < n; begin += kArrayRows) {
      const size_t rows = std::min(kArrayRows, n - begin);
      ArrayRows arrays(m.shared + 1, m.per_row);
      {
        Statement collect(&arrays);
        for (size_t k = 0; k < rows; ++k) {
          arrays.NextRow();
          bind_row(collect, begin + k, m.shared + 1);
        }
      }
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
      bind_shared(st);
      NEXUS_RETURN_IF_ERROR(arrays.BindTo(st, op));
      NEXUS_RETURN_IF_ERROR(finish(st, begin, rows));
    }
    return Status::Ok();
  }
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
