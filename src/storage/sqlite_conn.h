// The SQLite implementation of the connection layer (sql_conn.h): a Connection owns one
// sqlite3 handle and caches its prepared statements. Internal to storage/.
//
// The names sqlite::Connection and sqlite::Statement stay as aliases of the backend-neutral
// sql:: types, so role code written against them runs on every backend.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "storage/sql_conn.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nexus::sqlite {

using Connection = sql::Connection;
using Statement = sql::Statement;
using sql::InsertReturningId;

// Maps a SQLite result code to a Status: constraint violations of UNIQUE / PRIMARY KEY become
// Conflict (reason "duplicate"), a foreign-key violation NotFound, SQLITE_BUSY Unavailable and
// everything else Internal. `op` names the operation; SQLite's message names tables and
// columns, never bound values.
Status ErrorStatus(sqlite3* db, int rc, std::string_view op);

class SqliteConnection final : public sql::Connection {
 public:
  // Opens `path` (":memory:" for a private in-memory database) with `flags`
  // (SQLITE_OPEN_*), then applies the pragmas every Nexus connection uses.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, int flags,
                                                        int busy_timeout_ms, bool query_only);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  Result<Statement> Prepare(std::string_view op, const std::string& sql) override;
  Status ExecScript(std::string_view op, const std::string& sql) override;
  Status Begin(std::string_view op, bool write) override;
  Status Commit(std::string_view op) override;
  void Rollback(std::string_view op) override;

  sqlite3* handle() const { return db_; }

 private:
  class Stmt;
  explicit SqliteConnection(sqlite3* db);
  sqlite3* db_;
  // Cached statements by SQL text; each is handed out to one Statement at a time.
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

}  // namespace nexus::sqlite
