// Thin RAII layer over the sqlite3 C API used by SqliteStore: a Connection owns one sqlite3
// handle and caches its prepared statements; a Statement is a borrowed, bound, steppable
// handle that resets itself when it goes out of scope. Internal to storage/.
//
// Threading: a Connection (and every Statement from it) is used by one thread at a time;
// SqliteStore guarantees that with its write mutex and reader pool.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nexus::sqlite {

// Maps a SQLite result code to a Status: constraint violations of UNIQUE / PRIMARY KEY become
// Conflict (reason "duplicate"), a foreign-key violation NotFound, SQLITE_BUSY Unavailable and
// everything else Internal. `op` names the operation; SQLite's message names tables and
// columns, never bound values.
Status ErrorStatus(sqlite3* db, int rc, std::string_view op);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned, bool* in_use, std::string_view op);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQL ("?1"). A failed bind is reported by the next Step().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, std::optional<int64_t> value);
  Statement& BindNull(int index);

  // Advances: true when a row is available, false when done, an error Status otherwise.
  Result<bool> Step();
  // Runs a statement that returns no rows to completion.
  Status Run();
  // Rows changed by the last Run() on this connection.
  int64_t Changes() const;

  // Column accessors (0-based) for the current row.
  int64_t Int64(int col) const;
  bool Bool(int col) const { return Int64(col) != 0; }
  std::string Text(int col) const;
  bool IsNull(int col) const;
  std::optional<int64_t> OptInt64(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_;    // finalize on destruction (not in the cache)
  bool* in_use_;  // cache slot flag, cleared on destruction
  std::string_view op_;
  int bind_rc_ = 0;  // first failing bind, 0 when all succeeded
};

class Connection {
 public:
  // Opens `path` (":memory:" for a private in-memory database) with `flags`
  // (SQLITE_OPEN_*), then applies the pragmas every Nexus connection uses.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int flags,
                                                  int busy_timeout_ms, bool query_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A statement for `sql`, prepared once per connection and cached (by its text). When the
  // cached one is still in use (nested queries), a private one is prepared instead.
  Result<Statement> Prepare(std::string_view op, const std::string& sql);
  // Executes one or more statements without parameters (migrations, pragmas).
  Status ExecScript(std::string_view op, const std::string& sql);

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_;
  std::unordered_map<std::string, CachedStatement> cache_;
};

}  // namespace nexus::sqlite
