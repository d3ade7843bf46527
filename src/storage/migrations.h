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
};

// All migrations, ascending by version. Static storage; never empty.
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace nexus
