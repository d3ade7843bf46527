// SqliteStore: Store on SQLite — opening, the connection pool, transactions, migrations,
// the helpers the per-role files share (sqlite_helpers.h) and the factories. The role
// methods live in one file per role (sqlite_identity.cc, sqlite_projects.cc, …; see
// docs/storage.md); sqlite_store.h has the connection model, store.h the contract.
#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "storage/migrations.h"
#include "storage/sqlite_conn.h"
#include "storage/sqlite_helpers.h"

namespace nexus {
namespace sqlite {

Status Exec(Connection& c, std::string_view op, const std::string& sql) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
  return st.Run();
}

Result<bool> Exists(Connection& c, std::string_view op, const std::string& sql, int64_t a,
                    std::optional<int64_t> b) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
  st.Bind(1, a);
  if (b) st.Bind(2, *b);
  return st.Step();
}

Result<int> PageLimit(const PageRequest& page) {
  if (page.limit < 1) return InvalidArgument("page limit must be at least 1", "limit");
  return std::min(page.limit, kMaxPageLimit);
}

Status Corrupt(std::string_view op, std::string_view what) {
  return Internal(std::string(op) + ": unreadable " + std::string(what) + " in the database");
}

}  // namespace sqlite

namespace {

using sqlite::Connection;
using sqlite::Exec;
using sqlite::Exists;
using sqlite::Statement;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---- Connection management.

SqliteStore::ReadLease::ReadLease(SqliteStore* store) : store_(store) {
  if (store_->in_memory_) {
    write_lock_ = std::unique_lock<std::mutex>(store_->write_mu_);
    conn_ = store_->writer_.get();
    return;
  }
  {
    std::unique_lock<std::mutex> lock(store_->pool_mu_);
    store_->pool_cv_.wait(lock, [&] {
      return !store_->idle_readers_.empty() || store_->open_readers_ < store_->options_.max_readers;
    });
    if (!store_->idle_readers_.empty()) {
      owned_ = std::move(store_->idle_readers_.back());
      store_->idle_readers_.pop_back();
      conn_ = owned_.get();
      return;
    }
    ++store_->open_readers_;
  }
  auto opened = sqlite::Connection::Open(
      store_->path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
      store_->options_.busy_timeout_ms,
      /*query_only=*/true);
  if (!opened.ok()) {
    status_ = opened.status();
    std::lock_guard<std::mutex> lock(store_->pool_mu_);
    --store_->open_readers_;
    store_->pool_cv_.notify_one();
    return;
  }
  owned_ = std::move(opened).value();
  conn_ = owned_.get();
}

SqliteStore::ReadLease::~ReadLease() {
  if (!owned_) return;
  std::lock_guard<std::mutex> lock(store_->pool_mu_);
  store_->idle_readers_.push_back(std::move(owned_));
  store_->pool_cv_.notify_one();
}

Status SqliteStore::WriteTx(std::string_view op,
                            const std::function<Status(sqlite::Connection&)>& fn) {
  return Write(op, fn);
}

Status SqliteStore::ReadTx(std::string_view op,
                           const std::function<Status(sqlite::Connection&)>& fn) {
  return Read(op, fn);
}

SqliteStore::SqliteStore(std::string path, SqliteStoreOptions options,
                         std::unique_ptr<sqlite::Connection> writer)
    : path_(std::move(path)),
      options_(options),
      in_memory_(path_ == ":memory:" || path_.empty()),
      writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteStoreOptions& options) {
  if (path.empty()) return InvalidArgument("database path must not be empty", "db");
  NEXUS_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::Connection> writer,
      sqlite::Connection::Open(
          path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
          options.busy_timeout_ms, /*query_only=*/false));
  // Fail now, not on the first query, when the file is not a database.
  NEXUS_RETURN_IF_ERROR(Exec(*writer, "open database", "SELECT COUNT(*) FROM sqlite_master"));
  SqliteStoreOptions opts = options;
  opts.max_readers = std::max(1, opts.max_readers);
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, opts, std::move(writer)));
}

// ---- Migrations.

Status SqliteStore::Migrate() { return MigrateUpTo(EmbeddedMigrations().back().version); }

Status SqliteStore::MigrateTo(int version) {
  const auto& all = EmbeddedMigrations();
  if (version < 0 || version > all.back().version)
    return InvalidArgument("unknown schema version " + std::to_string(version), "version");
  return MigrateUpTo(version);
}

Status SqliteStore::MigrateUpTo(int version) {
  const auto& all = EmbeddedMigrations();
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite::Connection& c = *writer_;
  NEXUS_RETURN_IF_ERROR(c.ExecScript("migrate",
                                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                     "version BIGINT NOT NULL PRIMARY KEY, "
                                     "applied_at BIGINT NOT NULL)"));
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("migrate", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    int64_t current = row ? st.Int64(0) : 0;
    if (current > all.back().version) {
      return Internal("migrate: the database is at schema version " + std::to_string(current) +
                      ", newer than this binary knows (" + std::to_string(all.back().version) +
                      ")");
    }
  }
  for (const Migration& m : all) {
    if (m.version > version) break;
    std::string label = "migration " + std::to_string(m.version) + "_" + std::string(m.name);
    // Each migration in its own transaction; the check inside it makes concurrent migrating
    // processes safe (the second one finds the version recorded and skips it).
    NEXUS_RETURN_IF_ERROR(Exec(c, label, "BEGIN IMMEDIATE"));
    Status st = [&]() -> Status {
      NEXUS_ASSIGN_OR_RETURN(
          bool applied,
          Exists(c, label, "SELECT 1 FROM schema_migrations WHERE version = ?1", m.version));
      if (applied) return Status::Ok();
      NEXUS_RETURN_IF_ERROR(c.ExecScript(label, std::string(m.sql)));
      NEXUS_ASSIGN_OR_RETURN(
          Statement ins,
          c.Prepare(label, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)"));
      ins.Bind(1, static_cast<int64_t>(m.version)).Bind(2, NowMs());
      return ins.Run();
    }();
    if (st.ok()) st = Exec(c, label, "COMMIT");
    if (!st.ok()) {
      (void)c.ExecScript(label, "ROLLBACK");
      return st;
    }
  }
  return Status::Ok();
}

Result<int> SqliteStore::SchemaVersion() {
  return Read("schema version", [](Connection& c) -> Result<int> {
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("schema version",
                                                     "SELECT 1 FROM sqlite_master WHERE type = "
                                                     "'table' AND name = 'schema_migrations'"));
      NEXUS_ASSIGN_OR_RETURN(bool has_table, st.Step());
      if (!has_table) return 0;
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? static_cast<int>(st.Int64(0)) : 0;
  });
}

// ---- Factories.

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(path));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& db_url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (db_url.empty()) return InvalidArgument("the database URL is empty", "db");
  if (db_url.starts_with(kSqlite)) {
    std::string rest = db_url.substr(kSqlite.size());
    if (rest.starts_with("//")) {  // sqlite:///abs/path — an empty authority only
      rest = rest.substr(2);
      if (!rest.starts_with("/") && rest != ":memory:") {
        return InvalidArgument("sqlite URLs take an absolute path: sqlite:///path/to/nexus.db",
                               "db");
      }
    }
    if (rest.empty()) return InvalidArgument("the sqlite URL names no file", "db");
    return OpenSqliteStore(rest);
  }
  auto scheme_end = db_url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = db_url.substr(0, scheme_end);
    if (scheme == "postgres" || scheme == "postgresql") {
      return InvalidArgument("PostgreSQL support is not built in yet; use sqlite:///path", "db",
                             "unsupported_database");
    }
    return InvalidArgument("unknown database URL scheme \"" + scheme + "\"", "db",
                           "unsupported_database");
  }
  return OpenSqliteStore(db_url);
}

}  // namespace nexus