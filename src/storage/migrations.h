// The numbered schema migrations of the SQL backends (storage/migrations/NNNN_name.sql),
// embedded into the binary at build time. Versions are 1, 2, 3, … without gaps (the build
// fails otherwise); a migration is never edited once released — add a new one instead.
#pragma once

#include <string_view>
#include <vector>

namespace nexus {

struct Migration {
  int version;            // the NNNN of the file name
  std::string_view name;  // the rest of the file name, e.g. "init"
  std::string_view sql;   // the whole file: one or more statements separated by ';'
  // The NNNN_name.pg.sql variant for PostgreSQL, empty when the portable file serves both
  // (the PostgreSQL connection translates its types, see pg_conn.h).
  std::string_view pg_sql;
};

// The text of `m` to run on a database of that dialect (0 SQLite, 1 PostgreSQL).
inline std::string_view MigrationSql(const Migration& m, bool postgres) {
  return postgres && !m.pg_sql.empty() ? m.pg_sql : m.sql;
}

// All migrations, ascending by version. Static storage; never empty.
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace nexus
