// SqliteStore: Store on SQLite — opening, the connection pool, transactions, migrations,
// the helpers the per-role files share (sqlite_helpers.h) and the factories. The role
// methods live in one file per role (sqlite_identity.cc, sqlite_projects.cc, …; see
// docs/storage.md); sqlite_store.h has the connection model, store.h the contract.
#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "storage/migrations.h"
#include "storage/pg_cache_listener.h"
#include "storage/pg_conn.h"
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

namespace {

// The SQLite pool: one writer behind a mutex (SQLite has a single writer per file anyway) and
// read-only readers opened on demand up to max_readers. A ":memory:" database is private to
// its connection, so reads use the writer too.
class SqlitePool final : public sql::ConnectionPool {
 public:
  SqlitePool(std::string path, SqliteStoreOptions options,
             std::unique_ptr<sqlite::SqliteConnection> writer)
      : path_(std::move(path)),
        options_(options),
        in_memory_(path_ == ":memory:" || path_.empty()),
        writer_(std::move(writer)) {}

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }

  Result<Connection*> Acquire(bool write) override {
    if (write || in_memory_) {
      write_mu_.lock();
      return static_cast<Connection*>(writer_.get());
    }
    {
      std::unique_lock<std::mutex> lock(pool_mu_);
      pool_cv_.wait(lock,
                    [&] { return !idle_readers_.empty() || open_readers_ < options_.max_readers; });
      if (!idle_readers_.empty()) {
        Connection* c = idle_readers_.back().release();
        idle_readers_.pop_back();
        return c;
      }
      ++open_readers_;
    }
    auto opened = sqlite::SqliteConnection::Open(
        path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
        options_.busy_timeout_ms, /*query_only=*/true);
    if (!opened.ok()) {
      std::lock_guard<std::mutex> lock(pool_mu_);
      --open_readers_;
      pool_cv_.notify_one();
      return opened.status();
    }
    return static_cast<Connection*>(std::move(opened).value().release());
  }

  void Release(Connection* conn, bool write) override {
    if (write || in_memory_) {
      write_mu_.unlock();
      return;
    }
    std::lock_guard<std::mutex> lock(pool_mu_);
    idle_readers_.emplace_back(conn);
    pool_cv_.notify_one();
  }

 private:
  const std::string path_;
  const SqliteStoreOptions options_;
  const bool in_memory_;
  std::mutex write_mu_;  // held from Acquire to Release of the writer
  std::unique_ptr<sqlite::SqliteConnection> writer_;
  std::mutex pool_mu_;  // guards idle_readers_ and open_readers_
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  int open_readers_ = 0;
};

}  // namespace

Status SqliteStore::WriteTx(std::string_view op,
                            const std::function<Status(sqlite::Connection&)>& fn) {
  return Write(op, fn);
}

Status SqliteStore::ReadTx(std::string_view op,
                           const std::function<Status(sqlite::Connection&)>& fn) {
  return Read(op, fn);
}

Status SqliteStore::ReadOneTx(std::string_view op,
                              const std::function<Status(sqlite::Connection&)>& fn) {
  return ReadOne(op, fn);
}

Status SqliteStore::RowLockingTx(std::string_view op,
                                 const std::function<Status(sqlite::Connection&)>& fn) {
  for (int attempt = 0;; ++attempt) {
    Status st = [&]() -> Status {
      sql::Lease lease(*pool_, /*write=*/true);
      if (!lease.status().ok()) return lease.status();
      sql::Connection& c = lease.conn();
      NEXUS_RETURN_IF_ERROR(c.BeginRowLocking(op));
      Status body = fn(c);
      if (body.ok()) body = c.Commit(op);
      if (!body.ok()) c.Rollback(op);
      return body;
    }();
    // fn touched only the database and its transaction is gone: running it again is safe.
    if (IsTransient(st) && attempt < kTransientRetries) continue;
    return st;
  }
}

SqliteStore::SqliteStore(std::unique_ptr<sql::ConnectionPool> pool) : pool_(std::move(pool)) {}

bool SqliteStore::IsPostgres() const { return pool_->dialect() == sql::Dialect::kPostgres; }

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteStoreOptions& options) {
  if (path.empty()) return InvalidArgument("database path must not be empty", "db");
  NEXUS_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::SqliteConnection> writer,
      sqlite::SqliteConnection::Open(
          path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
          options.busy_timeout_ms, /*query_only=*/false));
  // Fail now, not on the first query, when the file is not a database.
  NEXUS_RETURN_IF_ERROR(Exec(*writer, "open database", "SELECT COUNT(*) FROM sqlite_master"));
  SqliteStoreOptions opts = options;
  opts.max_readers = std::max(1, opts.max_readers);
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<SqlitePool>(path, opts, std::move(writer))));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenPostgres(
    const std::string& conninfo, const PostgresStoreOptions& options) {
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<sql::ConnectionPool> pool,
                         pg::OpenPool(conninfo, std::max(1, options.pool_size)));
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(pool)));
  if (options.read_cache_ttl_ms > 0) {  // enabled by MigrateUpTo, once the triggers exist
    store->cache_ = std::make_unique<ReadCache>(options.read_cache_ttl_ms);
    store->conninfo_ = conninfo;
  }
  return store;
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
  const sql::Dialect dialect = pool_->dialect();
  for (const Migration& m : all) {
    if (m.version > version) break;
    std::string label = "migration " + std::to_string(m.version) + "_" + std::string(m.name);
    // Each migration in its own write transaction; the check inside it makes concurrent
    // migrating processes safe (the second one finds the version recorded and skips it).
    Status st = Write(label, [&](Connection& c) -> Status {
      NEXUS_RETURN_IF_ERROR(c.ExecScript(label,
                                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                         "version BIGINT NOT NULL PRIMARY KEY, "
                                         "applied_at BIGINT NOT NULL)"));
      {
        NEXUS_ASSIGN_OR_RETURN(
            Statement cur,
            c.Prepare(label, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
        NEXUS_ASSIGN_OR_RETURN(bool row, cur.Step());
        int64_t current = row ? cur.Int64(0) : 0;
        if (current > all.back().version) {
          return Internal("migrate: the database is at schema version " + std::to_string(current) +
                          ", newer than this binary knows (" + std::to_string(all.back().version) +
                          ")");
        }
      }
      NEXUS_ASSIGN_OR_RETURN(
          bool applied,
          Exists(c, label, "SELECT 1 FROM schema_migrations WHERE version = ?1", m.version));
      if (applied) return Status::Ok();
      NEXUS_RETURN_IF_ERROR(
          c.ExecScript(label, std::string(MigrationSql(m, dialect == sql::Dialect::kPostgres))));
      NEXUS_ASSIGN_OR_RETURN(
          Statement ins,
          c.Prepare(label, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)"));
      ins.Bind(1, static_cast<int64_t>(m.version)).Bind(2, NowMs());
      return ins.Run();
    });
    NEXUS_RETURN_IF_ERROR(st);
  }
  // The read cache relies on the triggers that notify its listener of every change made by
  // other processes; they exist from this migration on.
  if (cache_ != nullptr && listener_ == nullptr && version >= kCacheNotifyMigration)
    listener_ = std::make_unique<pg::CacheListener>(conninfo_, cache_.get());
  return Status::Ok();
}

Result<int> SqliteStore::SchemaVersion() {
  const char* has_table_sql =
      pool_->dialect() == sql::Dialect::kSqlite
          ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
          : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND "
            "table_name = 'schema_migrations'";
  return Read("schema version", [&](Connection& c) -> Result<int> {
    // Once seen, the table stays (nothing drops it): /healthz then costs one statement.
    if (!schema_table_seen_.load(std::memory_order_relaxed)) {
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("schema version", has_table_sql));
      NEXUS_ASSIGN_OR_RETURN(bool has_table, st.Step());
      if (!has_table) return 0;
      schema_table_seen_.store(true, std::memory_order_relaxed);
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? static_cast<int>(st.Int64(0)) : 0;
  });
}

// ---- Factories.

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo, int pool_size,
                                                 int read_cache_ttl_ms) {
  PostgresStoreOptions options;
  options.pool_size = pool_size;
  options.read_cache_ttl_ms = read_cache_ttl_ms;
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                         SqliteStore::OpenPostgres(conninfo, options));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(path));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& db_url) {
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::OpenUrl(db_url));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenUrl(const std::string& db_url) {
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
    return SqliteStore::Open(rest);
  }
  auto scheme_end = db_url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = db_url.substr(0, scheme_end);
    if (scheme == "postgres" || scheme == "postgresql") return SqliteStore::OpenPostgres(db_url);
    return InvalidArgument("unknown database URL scheme \"" + scheme + "\"", "db",
                           "unsupported_database");
  }
  return SqliteStore::Open(db_url);
}

}  // namespace nexus