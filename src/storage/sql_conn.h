// The backend-neutral connection layer of the SQL store (issue 15): one Statement/Connection
// API that the per-role files (sqlite_*.cc) are written against, implemented by SQLite
// (sqlite_conn.h) and PostgreSQL (pg_conn.h). The role files' SQL is written once in the
// portable subset (docs/storage.md: `?N` parameters, RETURNING id, ON CONFLICT, integer epoch
// times, 0/1 booleans); the PostgreSQL connection translates the few dialect differences
// (pg_dialect.h) when a statement is prepared, so a role method runs unchanged on both.
//
// Threading: a Connection (and every Statement from it) is used by one thread at a time; the
// store's pools guarantee that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace nexus::sql {

enum class Dialect { kSqlite, kPostgres };

// What a backend statement implements; Statement is the value handle role code holds.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void BindInt64(int index, int64_t value) = 0;
  virtual void BindText(int index, std::string_view value) = 0;
  virtual void BindNull(int index) = 0;
  virtual Result<bool> Step() = 0;
  virtual int64_t Changes() const = 0;
  virtual int64_t Int64(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  virtual bool IsNull(int col) const = 0;
  // The handle is done with the statement: reset it for reuse (cached) or delete it.
  virtual void Release() = 0;
};

// A prepared, bound, steppable statement borrowed from its Connection; releases itself (reset
// for the connection's cache, or freed) when it goes out of scope.
class Statement {
 public:
  explicit Statement(StatementImpl* impl) : impl_(impl) {}
  Statement(Statement&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement() {
    if (impl_ != nullptr) impl_->Release();
  }

  // Parameters are 1-based, as in SQL ("?1"). A failed bind is reported by the next Step().
  Statement& Bind(int index, int64_t value) {
    impl_->BindInt64(index, value);
    return *this;
  }
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, std::string_view value) {
    impl_->BindText(index, value);
    return *this;
  }
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, std::optional<int64_t> value) {
    return value ? Bind(index, *value) : BindNull(index);
  }
  Statement& BindNull(int index) {
    impl_->BindNull(index);
    return *this;
  }

  // Advances: true when a row is available, false when done, an error Status otherwise.
  Result<bool> Step() { return impl_->Step(); }
  // Runs a statement to completion, discarding any rows.
  Status Run() {
    Result<bool> r = Step();
    if (!r.ok()) return r.status();
    while (*r) {
      r = Step();
      if (!r.ok()) return r.status();
    }
    return Status::Ok();
  }
  // Rows changed by the last Run() of this statement.
  int64_t Changes() const { return impl_->Changes(); }

  // Column accessors (0-based) for the current row. Booleans read as 0/1 on every backend.
  int64_t Int64(int col) const { return impl_->Int64(col); }
  bool Bool(int col) const { return Int64(col) != 0; }
  std::string Text(int col) const { return impl_->Text(col); }
  bool IsNull(int col) const { return impl_->IsNull(col); }
  std::optional<int64_t> OptInt64(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int64(col);
  }

 private:
  StatementImpl* impl_;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // A statement for `sql` (portable dialect), prepared once per connection and cached by its
  // text. When the cached one is still in use (nested queries) a private one is used.
  virtual Result<Statement> Prepare(std::string_view op, const std::string& sql) = 0;
  // Executes one or more statements without parameters (migrations, pragmas).
  virtual Status ExecScript(std::string_view op, const std::string& sql) = 0;
  // Opens a transaction: a write transaction holds the database's single writer lock until it
  // ends (SQLite BEGIN IMMEDIATE; PostgreSQL a transaction-scoped advisory lock), a read one
  // sees one snapshot.
  virtual Status Begin(std::string_view op, bool write) = 0;
  // Opens a transaction for statements that lock the rows they change themselves (a job claim
  // with `FOR UPDATE SKIP LOCKED`), so it does not wait for the single writer lock and does not
  // hold it: PostgreSQL READ COMMITTED without the advisory lock. SQLite has no row locks, so
  // there it is a write transaction (the default).
  virtual Status BeginRowLocking(std::string_view op) { return Begin(op, /*write=*/true); }
  // Opens a read "transaction" that runs exactly one statement, which sees one snapshot by
  // itself: PostgreSQL sends it alone, without BEGIN and COMMIT (one server round trip and
  // wake-up instead of two); a second statement is refused (Internal). The statement may also
  // be a server-side function that writes (it commits when the statement succeeds: the shared
  // rate budget's grant, SqliteStore::RawOneStatement). SQLite: a read transaction (the
  // default; nothing writes through it there).
  virtual Status BeginSingleStatementRead(std::string_view op) { return Begin(op, false); }
  virtual Status Commit(std::string_view op) = 0;
  virtual void Rollback(std::string_view op) = 0;
  // False once the connection is known to be unusable (PostgreSQL: the server went away); the
  // pool then drops it instead of reusing it.
  virtual bool Healthy() const { return true; }
};

// The id an `INSERT … RETURNING id` statement returns (portable replacement of SQLite's
// last_insert_rowid), stepping the statement to completion.
inline Result<int64_t> InsertReturningId(Statement& st) {
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Internal("insert returned no id");
  int64_t id = st.Int64(0);
  Status done = st.Run();  // finishes the statement
  if (!done.ok()) return done;
  return id;
}

}  // namespace nexus::sql
