// CopyDatabase: every table of one Nexus database into another, empty one — the move from
// SQLite to PostgreSQL (`nexus db copy`, issue 15; docs/storage.md "Moving a database"), and
// back. It works below the roles on raw rows, so nothing of the schema is listed by hand:
// the tables, their columns and their foreign keys are read from the databases themselves
// (SQLite's catalog, PostgreSQL's information_schema), i.e. from what the migrations built.
// A table added by a later migration is copied without touching this file.
//
// Rows are copied as stored: ids are kept (every reference stays valid), the TestRail API
// keys stay encrypted (the target instance needs the same secret key), JSON columns are
// copied byte for byte. Artifact bytes live in the data dir's blob store, not in the
// database: they are not copied (docs/storage.md says what to move by hand).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace nexus {

struct TableCopyReport {
  std::string table;
  int64_t source_rows = 0;
  int64_t target_rows = 0;
  // Order-independent checksum of the table's rows (hex): the sum of a 64-bit hash of each
  // row's values, typed (integer / text / NULL), so the two sides compare whatever order a
  // backend returns rows in and whatever collation it sorts text by.
  std::string source_checksum;
  std::string target_checksum;
  bool matches() const { return source_rows == target_rows && source_checksum == target_checksum; }
};

struct DbCopyReport {
  int schema_version = 0;
  std::vector<TableCopyReport> tables;  // in copy order (parents before children)
  int64_t rows = 0;                     // rows copied, all tables
};

// Copies the database at `from_url` into the database at `to_url` (store.h OpenStore URLs:
// sqlite:PATH, sqlite:///abs/path, postgresql://…). Both are first brought to this binary's
// schema (Migrate(), as every command does). Then, in ONE write transaction on the target:
// refuses a target that holds any row (outside schema_migrations), inserts every table's
// rows parents first, resets PostgreSQL identity sequences past the copied ids, and verifies
// — per table, row count and checksum of the target as read back inside the transaction
// against the source's snapshot. Any failure rolls the whole copy back: the target is left
// as it was.
// Errors: InvalidArgument (a bad URL, source and target the same URL); Conflict reason
// "target_not_empty" naming a table and its row count; Internal reason "verify_failed"
// listing every table that differs (nothing committed), or "schema_mismatch" when the two
// databases' tables or columns differ; the backends' errors (Unavailable when a server cannot
// be reached).
Result<DbCopyReport> CopyDatabase(const std::string& from_url, const std::string& to_url);

}  // namespace nexus
