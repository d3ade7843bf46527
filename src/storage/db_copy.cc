// CopyDatabase (db_copy.h): introspect both schemas, order tables by their foreign keys, then
// copy, reset sequences and verify inside one target transaction.
#include "storage/db_copy.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "storage/sql_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using sql::Connection;
using sql::Dialect;
using sql::Statement;

constexpr std::string_view kOp = "db copy";
// Written by Migrate() on each side and compared as the schema version, not copied.
constexpr char kMigrationsTable[] = "schema_migrations";

enum class ColumnType { kInteger, kText };

struct Column {
  std::string name;
  ColumnType type = ColumnType::kText;
  bool identity = false;  // PostgreSQL: GENERATED … AS IDENTITY (its sequence is reset)
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::set<std::string> parents;  // tables its foreign keys reference (itself excluded)
};

std::string Quote(const std::string& ident) {
  std::string out = "\"";
  for (char ch : ident) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  return out + "\"";
}

// The storage class of a declared type (SQLite's declared types, PostgreSQL's data_type).
// Migrations use INTEGER / BIGINT / BOOLEAN and TEXT only (docs/storage.md).
Result<ColumnType> TypeOf(const std::string& table, const std::string& column, std::string decl) {
  std::transform(decl.begin(), decl.end(), decl.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  if (decl.find("INT") != std::string::npos || decl.find("BOOL") != std::string::npos)
    return ColumnType::kInteger;
  if (decl.find("TEXT") != std::string::npos || decl.find("CHAR") != std::string::npos)
    return ColumnType::kText;
  return Status(StatusCode::kInternal,
                "db copy: column " + table + "." + column + " has type '" + decl +
                    "', which the copy does not know (INTEGER/BIGINT/BOOLEAN/TEXT)",
                "", "schema_mismatch");
}

Result<std::vector<std::string>> Strings(Connection& c, const std::string& sql,
                                         const std::string& param = "") {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, sql));
  if (!param.empty()) st.Bind(1, param);
  std::vector<std::string> out;
  while (true) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

// Every table of the database (but schema_migrations), with columns and parents.
Result<std::map<std::string, Table>> Describe(Connection& c) {
  const bool pg = c.dialect() == Dialect::kPostgres;
  NEXUS_ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      Strings(c, pg ? "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE "
                      "table_schema = current_schema() AND table_type = 'BASE TABLE'"
                    : "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                      "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
  std::map<std::string, Table> out;
  for (const std::string& name : names) {
    if (name == kMigrationsTable) continue;
    Table t;
    t.name = name;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, pg ? "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), "
                              "CAST(is_identity AS TEXT) FROM information_schema.columns WHERE "
                              "table_schema = current_schema() AND CAST(table_name AS TEXT) = ?1 "
                              "ORDER BY ordinal_position"
                            : "SELECT name, type, 'NO' FROM pragma_table_info(?1) ORDER BY cid"));
      st.Bind(1, name);
      while (true) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        Column col;
        col.name = st.Text(0);
        NEXUS_ASSIGN_OR_RETURN(col.type, TypeOf(name, col.name, st.Text(1)));
        col.identity = st.Text(2) == "YES";
        t.columns.push_back(std::move(col));
      }
    }
    NEXUS_ASSIGN_OR_RETURN(
        std::vector<std::string> parents,
        Strings(c,
                pg ? "SELECT DISTINCT CAST(ccu.table_name AS TEXT) FROM "
                     "information_schema.table_constraints tc JOIN "
                     "information_schema.constraint_column_usage ccu ON ccu.constraint_name = "
                     "tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema WHERE "
                     "tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() "
                     "AND CAST(tc.table_name AS TEXT) = ?1"
                   : "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)",
                name));
    for (auto& p : parents)
      if (p != name) t.parents.insert(std::move(p));
    out.emplace(name, std::move(t));
  }
  return out;
}

// The two schemas must be the same tables with the same columns of the same storage class.
Status SameSchema(const std::map<std::string, Table>& a, const std::map<std::string, Table>& b) {
  auto bad = [](const std::string& what) {
    return Status(StatusCode::kInternal, "db copy: the databases' schemas differ: " + what, "",
                  "schema_mismatch");
  };
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end()) return bad("table " + name + " exists only in the source");
    std::map<std::string, ColumnType> cols;
    for (const Column& c : it->second.columns) cols[c.name] = c.type;
    if (cols.size() != t.columns.size()) return bad("table " + name + " has other columns");
    for (const Column& c : t.columns) {
      auto ct = cols.find(c.name);
      if (ct == cols.end()) return bad("column " + name + "." + c.name + " is missing");
      if (ct->second != c.type) return bad("column " + name + "." + c.name + " has another type");
    }
  }
  for (const auto& [name, t] : b)
    if (!a.count(name)) return bad("table " + name + " exists only in the target");
  return Status::Ok();
}

// Parents before children (Kahn's algorithm; ties by name, so the order is stable).
Result<std::vector<const Table*>> CopyOrder(const std::map<std::string, Table>& tables) {
  std::vector<const Table*> order;
  std::set<std::string> done;
  while (order.size() < tables.size()) {
    bool progressed = false;
    for (const auto& [name, t] : tables) {
      if (done.count(name)) continue;
      bool ready = std::all_of(t.parents.begin(), t.parents.end(), [&](const std::string& p) {
        return done.count(p) > 0 || !tables.count(p);
      });
      if (!ready) continue;
      order.push_back(&t);
      done.insert(name);
      progressed = true;
    }
    if (!progressed)
      return Status(StatusCode::kInternal, "db copy: the tables' foreign keys form a cycle", "",
                    "schema_mismatch");
  }
  return order;
}

std::string SelectAll(const Table& t) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < t.columns.size(); ++i) sql += (i ? ", " : "") + Quote(t.columns[i].name);
  return sql + " FROM " + Quote(t.name);
}

// FNV-1a over a row's typed values; the table's checksum is the sum of its rows' hashes.
struct RowHasher {
  uint64_t h = 1469598103934665603ULL;
  void Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ULL;
    }
  }
  void Value(const Statement& st, int col, ColumnType type) {
    if (st.IsNull(col)) {
      Bytes("N", 1);
    } else if (type == ColumnType::kInteger) {
      int64_t v = st.Int64(col);
      Bytes("I", 1);
      Bytes(&v, sizeof v);
    } else {
      std::string s = st.Text(col);
      uint64_t n = s.size();
      Bytes("T", 1);
      Bytes(&n, sizeof n);
      Bytes(s.data(), s.size());
    }
  }
};

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

struct Tally {
  int64_t rows = 0;
  uint64_t sum = 0;
};

// Reads every row of `t` on `c`; with `into`, inserts each into it (the copy) as it goes.
Result<Tally> Scan(Connection& c, const Table& t, Connection* into) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, SelectAll(t)));
  std::string insert;
  if (into != nullptr) {
    insert = "INSERT INTO " + Quote(t.name) + " (";
    std::string values;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      insert += (i ? ", " : "") + Quote(t.columns[i].name);
      values += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    insert += ") VALUES (" + values + ")";
  }
  Tally tally;
  while (true) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    RowHasher h;
    for (size_t i = 0; i < t.columns.size(); ++i)
      h.Value(st, static_cast<int>(i), t.columns[i].type);
    ++tally.rows;
    tally.sum += h.h;
    if (into == nullptr) continue;
    NEXUS_ASSIGN_OR_RETURN(Statement ins, into->Prepare(kOp, insert));
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const int col = static_cast<int>(i);
      if (st.IsNull(col))
        ins.BindNull(col + 1);
      else if (t.columns[i].type == ColumnType::kInteger)
        ins.Bind(col + 1, st.Int64(col));
      else
        ins.Bind(col + 1, st.Text(col));
    }
    NEXUS_RETURN_IF_ERROR(ins.Run());
  }
  return tally;
}

Result<int64_t> CountRows(Connection& c, const Table& t) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, "SELECT COUNT(*) FROM " + Quote(t.name)));
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Internal("db copy: COUNT returned no row");
  return st.Int64(0);
}

// PostgreSQL identity columns continue after the copied ids (an INSERT with explicit ids does
// not advance the sequence; the next CreateUser would otherwise collide with user 1). The
// two-argument setval marks the value used, so the next id is MAX + 1; an empty table keeps
// its fresh sequence. (No FALSE literal: the dialect translation turns it into 0.)
Status ResetSequences(Connection& c, const Table& t) {
  if (c.dialect() != Dialect::kPostgres) return Status::Ok();  // SQLite follows max(rowid)
  for (const Column& col : t.columns) {
    if (!col.identity) continue;
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "SELECT setval(CAST(pg_get_serial_sequence(?1, ?2) AS REGCLASS), MAX(" +
                           Quote(col.name) + ")) FROM " + Quote(t.name) + " HAVING MAX(" +
                           Quote(col.name) + ") IS NOT NULL"));
    NEXUS_RETURN_IF_ERROR(st.Bind(1, t.name).Bind(2, col.name).Run());
  }
  return Status::Ok();
}

}  // namespace

Result<DbCopyReport> CopyDatabase(const std::string& from_url, const std::string& to_url) {
  if (from_url == to_url)
    return InvalidArgument("db copy: --from and --to name the same database", "to");
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> source, SqliteStore::OpenUrl(from_url));
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> target, SqliteStore::OpenUrl(to_url));
  NEXUS_RETURN_IF_ERROR(source->Migrate());
  NEXUS_RETURN_IF_ERROR(target->Migrate());
  DbCopyReport report;
  NEXUS_ASSIGN_OR_RETURN(report.schema_version, source->SchemaVersion());
  NEXUS_ASSIGN_OR_RETURN(int target_version, target->SchemaVersion());
  if (target_version != report.schema_version)
    return Status(StatusCode::kInternal,
                  "db copy: schema versions differ (source " +
                      std::to_string(report.schema_version) + ", target " +
                      std::to_string(target_version) + ")",
                  "", "schema_mismatch");

  Status st = source->RawRead(kOp, [&](Connection& from) -> Status {
    NEXUS_ASSIGN_OR_RETURN(auto tables, Describe(from));
    return target->RawWrite(kOp, [&](Connection& to) -> Status {
      NEXUS_ASSIGN_OR_RETURN(auto target_tables, Describe(to));
      NEXUS_RETURN_IF_ERROR(SameSchema(tables, target_tables));
      // Parents first by the foreign keys of either side: the backends' schemas may check a
      // reference differently (PostgreSQL's export journal tables check theirs with triggers,
      // migration 0015, while SQLite keeps the foreign keys).
      for (auto& entry : tables) {
        const auto& target_parents = target_tables.at(entry.first).parents;
        entry.second.parents.insert(target_parents.begin(), target_parents.end());
      }
      NEXUS_ASSIGN_OR_RETURN(std::vector<const Table*> order, CopyOrder(tables));
      for (const Table* t : order) {
        NEXUS_ASSIGN_OR_RETURN(int64_t n, CountRows(to, *t));
        if (n > 0)
          return Conflict("db copy: the target database is not empty (table " + t->name + " has " +
                              std::to_string(n) + " rows); copy into a new, empty database",
                          "target_not_empty");
      }
      report.tables.clear();
      for (const Table* t : order) {
        NEXUS_ASSIGN_OR_RETURN(Tally copied, Scan(from, *t, &to));
        NEXUS_RETURN_IF_ERROR(ResetSequences(to, target_tables.at(t->name)));
        TableCopyReport r;
        r.table = t->name;
        r.source_rows = copied.rows;
        r.source_checksum = Hex(copied.sum);
        report.tables.push_back(std::move(r));
        report.rows += copied.rows;
      }
      // Verify: read every table back inside the transaction; commit only when all match.
      std::string mismatches;
      for (size_t i = 0; i < order.size(); ++i) {
        NEXUS_ASSIGN_OR_RETURN(Tally back, Scan(to, *order[i], nullptr));
        TableCopyReport& r = report.tables[i];
        r.target_rows = back.rows;
        r.target_checksum = Hex(back.sum);
        if (!r.matches())
          mismatches += "\n  " + r.table + ": source " + std::to_string(r.source_rows) + " rows " +
                        r.source_checksum + ", target " + std::to_string(r.target_rows) + " rows " +
                        r.target_checksum;
      }
      if (!mismatches.empty())
        return Status(StatusCode::kInternal,
                      "db copy: verification failed, nothing was committed:" + mismatches, "",
                      "verify_failed");
      return Status::Ok();
    });
  });
  if (!st.ok()) return st;
  return report;
}

}  // namespace nexus
