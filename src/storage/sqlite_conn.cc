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

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned, bool* in_use, std::string_view op)
    : db_(db), stmt_(stmt), owned_(owned), in_use_(in_use), op_(op) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      owned_(other.owned_),
      in_use_(std::exchange(other.in_use_, nullptr)),
      op_(other.op_),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  if (in_use_ != nullptr) *in_use_ = false;
}

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::optional<int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_rc_ != 0) return ErrorStatus(db_, bind_rc_, op_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  rc = sqlite3_extended_errcode(db_);
  Status st = ErrorStatus(db_, rc, op_);
  sqlite3_reset(stmt_);
  return st;
}

Status Statement::Run() {
  Result<bool> r = Step();
  if (!r.ok()) return r.status();
  while (*r) {
    r = Step();
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

int64_t Statement::Changes() const { return sqlite3_changes64(db_); }

int64_t Statement::Int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::optional<int64_t> Statement::OptInt64(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int64(col);
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags,
                                                     int busy_timeout_ms, bool query_only) {
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
  std::unique_ptr<Connection> conn(new Connection(db));
  // journal_mode=WAL is persistent in the file; it reports "memory" for in-memory databases.
  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
  if (!query_only) pragmas = "PRAGMA journal_mode = WAL; " + pragmas;
  if (query_only) pragmas += " PRAGMA query_only = ON;";
  NEXUS_RETURN_IF_ERROR(conn->ExecScript("configure connection", pragmas));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::Prepare(std::string_view op, const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Statement(db_, it->second.stmt, /*owned=*/false, &it->second.in_use, op);
  }
  sqlite3_stmt* stmt = nullptr;
  unsigned prep_flags = it == cache_.end() ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(db_, sqlite3_extended_errcode(db_), op);
  if (it != cache_.end()) {  // the cached one is busy: a private, throw-away statement
    return Statement(db_, stmt, /*owned=*/true, nullptr, op);
  }
  CachedStatement& slot = cache_[sql];
  slot.stmt = stmt;
  slot.in_use = true;
  return Statement(db_, stmt, /*owned=*/false, &slot.in_use, op);
}

Status Connection::ExecScript(std::string_view op, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status st = ErrorStatus(db_, sqlite3_extended_errcode(db_), op);
    sqlite3_free(err);
    return st;
  }
  return Status::Ok();
}

}  // namespace nexus::sqlite
