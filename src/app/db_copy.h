// `nexus db copy --from URL --to URL` (issue 15; docs/storage.md "Moving a database"): moves a
// Nexus database to another backend — SQLite to PostgreSQL, or back — with every table, ids
// kept, a per-table count + checksum verification, and nothing written to a non-empty
// target. The work is storage/db_copy.h; this is its command line.
//
// Exit codes: 0 copied and verified; 2 bad input (a bad URL, the same database twice);
// 3 the target is not empty; 4 anything else (unreachable server, verification failed —
// in every failure case nothing was committed to the target).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace nexus::app {

struct DbCopyCliOptions {
  // sqlite:DIR (a data dir: its nexus.db), sqlite:PATH.db, sqlite:///abs/path.db, or
  // postgresql://… / postgres://….
  std::string from;
  std::string to;
  bool json = false;
};

// Adds `db` and `db copy` to `cli`; returns the `copy` subcommand (parsed() says it ran).
CLI::App* AddDbCommand(CLI::App& cli, DbCopyCliOptions& o);

// Runs the copy; prints one line per table (or JSON) and returns the exit code.
int RunDbCopy(const DbCopyCliOptions& o);

// The store URL a --from/--to value names: `sqlite:DIR` where DIR is an existing directory
// becomes DIR/nexus.db (a data dir); every other value is returned unchanged. Exposed for
// tests.
std::string ResolveDbUrl(const std::string& value);

}  // namespace nexus::app
