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

Result<std::string> MultiRow::UnnestSql(std::span<const std::string_view> types) const {
  constexpr std::string_view kValues = "VALUES ";
  const std::string_view h(head);
  if (h.size() < kValues.size() || h.substr(h.size() - kValues.size()) != kValues)
    return Internal("array rows: the statement does not end in VALUES");
  if (types.size() != static_cast<size_t>(shared + per_row))
    return Internal("array rows: a type for every parameter is needed");
  std::string_view r(row);
  if (r.size() < 2 || r.front() != '(' || r.back() != ')')
    return Internal("array rows: a row is not parenthesized");
  r = r.substr(1, r.size() - 2);
  std::string out(h.substr(0, h.size() - kValues.size()));
  out += "SELECT ";
  // ?N (shared) → CAST(?N AS type): the server infers no type for a bare parameter in a select
  // list; #k (the row's own) → u.ck, the unnest column.
  for (size_t i = 0; i < r.size(); ++i) {
    const bool digit_next = i + 1 < r.size() && r[i + 1] >= '0' && r[i + 1] <= '9';
    if (r[i] == '?' && digit_next) {
      size_t j = i + 1;
      int number = 0;
      while (j < r.size() && r[j] >= '0' && r[j] <= '9') number = number * 10 + (r[j++] - '0');
      if (number < 1 || number > shared) return Internal("array rows: ?N beyond the shared ones");
      out += "CAST(?" + std::to_string(number) + " AS " +
             std::string(types[static_cast<size_t>(number - 1)]) + ")";
      i = j - 1;
    } else if (r[i] == '#' && digit_next) {
      out += "u.c";
      out += r[++i];
    } else {
      out += r[i];
    }
  }
  out += " FROM unnest(";
  for (int k = 0; k < per_row; ++k) {
    if (k > 0) out += ", ";
    out += "?" + std::to_string(shared + 1 + k) +
           "::" + std::string(types[static_cast<size_t>(shared + k)]) + "[]";
  }
  out += ") AS u(";
  for (int k = 0; k < per_row; ++k) out += (k > 0 ? ", c" : "c") + std::to_string(k);
  out += ")";
  out += tail;
  return out;
}

std::string* ArrayRows::Column(int index) {
  const int col = index - first_;
  if (col < 0 || static_cast<size_t>(col) >= arrays_.size()) {
    out_of_range_ = true;
    return nullptr;
  }
  ++counts_[static_cast<size_t>(col)];
  std::string* a = &arrays_[static_cast<size_t>(col)];
  if (!a->empty()) *a += ',';
  return a;
}

void ArrayRows::BindInt64(int index, int64_t value) {
  if (std::string* a = Column(index)) *a += std::to_string(value);
}

void ArrayRows::BindText(int index, std::string_view value) {
  std::string* a = Column(index);
  if (a == nullptr) return;
  // An array element in double quotes, with \ and " escaped (PostgreSQL's array input).
  a->reserve(a->size() + value.size() + 2);
  *a += '"';
  for (char ch : value) {
    if (ch == '"' || ch == '\\') *a += '\\';
    *a += ch;
  }
  *a += '"';
}

void ArrayRows::BindNull(int index) {
  if (std::string* a = Column(index)) *a += "NULL";
}

Status ArrayRows::BindTo(Statement& st, std::string_view op) {
  if (out_of_range_) return Internal(std::string(op) + ": array rows: a parameter out of range");
  for (size_t k = 0; k < arrays_.size(); ++k) {
    if (counts_[k] != rows_)
      return Internal(std::string(op) + ": array rows: column " + std::to_string(k) + " bound " +
                      std::to_string(counts_[k]) + " times in " + std::to_string(rows_) + " rows");
    st.Bind(first_ + static_cast<int>(k), "{" + arrays_[k] + "}");
  }
  return Status::Ok();
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

Status SqliteStore::RawOneStatement(std::string_view op,
                                    const std::function<Status(sql::Connection&)>& fn) {
  for (int attempt = 0;; ++attempt) {
    Status st = ReadOneTx(op, fn);
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