// RAII wrappers over sqlite3 handles and prepared statements (see sqlite_conn.h).
#include "storage/sqlite_conn.h"

#include <sqlite3.h>

#include <utility>

namespace nexus::sqlite {

Status ErrorStatus(sqlite3* db, int rc, std::string_view op) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = std::string(op) + ": " + (msg != nullptr ? msg : sqlite3_errstr(rc));
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Conflict(std::move(text), "duplicate");
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return NotFound(std::move(text));
    default:
      break;
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    return Status(StatusCode::kUnavailable, std::move(text));
  }
  return Internal(std::move(text));
}

// One prepared sqlite3 statement. A cached one is reset for reuse when its handle releases
// it; a private one (the cached one was busy) deletes itself.
class SqliteConnection::Stmt final : public sql::StatementImpl {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt, bool cached) : db_(db), stmt_(stmt), cached_(cached) {}
  ~Stmt() override { sqlite3_finalize(stmt_); }

  // Hands the statement to a new Statement handle; false when it is already in use.
  bool Acquire(std::string_view op) {
    if (in_use_) return false;
    in_use_ = true;
    op_ = op;
    bind_rc_ = 0;
    return true;
  }

  void BindInt64(int index, int64_t value) override {
    Check(sqlite3_bind_int64(stmt_, index, value));
  }
  void BindText(int index, std::string_view value) override {
    Check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }
  void BindNull(int index) override { Check(sqlite3_bind_null(stmt_, index)); }

  Result<bool> Step() override {
    if (bind_rc_ != 0) return ErrorStatus(db_, bind_rc_, op_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    rc = sqlite3_extended_errcode(db_);
    Status st = ErrorStatus(db_, rc, op_);
    sqlite3_reset(stmt_);
    return st;
  }
  int64_t Changes() const override { return sqlite3_changes64(db_); }
  int64_t Int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  void Release() override {
    if (!cached_) {
      delete this;
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    in_use_ = false;
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  const bool cached_;
  bool in_use_ = false;
  std::string_view op_;
  int bind_rc_ = 0;  // first failing bind, 0 when all succeeded
};

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path, int flags,
                                                                 int busy_timeout_ms,
                                                                 bool query_only) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = Internal("open database: " +
                         std::string(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  // journal_mode=WAL is persistent in the file; it reports "memory" for in-memory databases.
  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
  if (!query_only) pragmas = "PRAGMA journal_mode = WAL; " + pragmas;
  if (query_only) pragmas += " PRAGMA query_only = ON;";
  NEXUS_RETURN_IF_ERROR(conn->ExecScript("configure connection", pragmas));
  return conn;
}

SqliteConnection::SqliteConnection(sqlite3* db) : db_(db) {}

SqliteConnection::~SqliteConnection() {
  cache_.clear();  // finalizes the cached statements before the handle closes
  sqlite3_close_v2(db_);
}

Result<Statement> SqliteConnection::Prepare(std::string_view op, const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && it->second->Acquire(op)) return Statement(it->second.get());
  sqlite3_stmt* stmt = nullptr;
  unsigned prep_flags = it == cache_.end() ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(db_, sqlite3_extended_errcode(db_), op);
  if (it != cache_.end()) {  // the cached one is busy: a private, throw-away statement
    auto* priv = new Stmt(db_, stmt, /*cached=*/false);
    priv->Acquire(op);
    return Statement(priv);
  }
  auto& slot = cache_[sql];
  slot = std::make_unique<Stmt>(db_, stmt, /*cached=*/true);
  slot->Acquire(op);
  return Statement(slot.get());
}

Status SqliteConnection::ExecScript(std::string_view op, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status st = ErrorStatus(db_, sqlite3_extended_errcode(db_), op);
    sqlite3_free(err);
    return st;
  }
  return Status::Ok();
}

Status SqliteConnection::Begin(std::string_view op, bool write) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, Prepare(op, write ? "BEGIN IMMEDIATE" : "BEGIN"));
  return st.Run();
}

Status SqliteConnection::Commit(std::string_view op) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, Prepare(op, "COMMIT"));
  return st.Run();
}

void SqliteConnection::Rollback(std::string_view op) {
  auto st = Prepare(op, "ROLLBACK");
  if (st.ok()) (void)st->Run();
}

}  // namespace nexus::sqlite
