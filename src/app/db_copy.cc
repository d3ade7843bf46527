// `nexus db copy` (db_copy.h): flags → CopyDatabase → a per-table report.
#include "app/db_copy.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "storage/db_copy.h"

namespace nexus::app {

std::string ResolveDbUrl(const std::string& value) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (!value.starts_with(kSqlite)) return value;
  std::string path = value.substr(kSqlite.size());
  if (path.starts_with("//")) path = path.substr(2);  // sqlite:///abs/path
  std::error_code ec;
  if (!path.empty() && std::filesystem::is_directory(path, ec))
    return "sqlite:" + (std::filesystem::absolute(path) / "nexus.db").string();
  return value;
}

CLI::App* AddDbCommand(CLI::App& cli, DbCopyCliOptions& o) {
  auto* db = cli.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  auto* copy = db->add_subcommand(
      "copy",
      "Copy every table of a Nexus database into a new, empty one (SQLite → PostgreSQL or "
      "back), keeping ids, then verify row counts and checksums per table; one transaction on "
      "the target, which must be empty (exit 0 copied, 2 bad input, 3 target not empty, "
      "4 failed: nothing committed). Move the data dir's secret.key (or --secret-key) and "
      "blobs/ with it: docs/storage.md");
  copy->add_option("--from", o.from,
                   "Source: sqlite:DATA_DIR, sqlite:PATH.db, sqlite:///abs/path.db or "
                   "postgresql://user@host/db")
      ->required();
  copy->add_option("--to", o.to, "Target (same forms), e.g. postgresql://nexus@db.internal/nexus")
      ->required();
  copy->add_flag("--json", o.json, "Print the report as JSON");
  return copy;
}

int RunDbCopy(const DbCopyCliOptions& o) {
  auto report = CopyDatabase(ResolveDbUrl(o.from), ResolveDbUrl(o.to));
  if (!report.ok()) {
    // Messages name tables and URLs' schemes, never a password (the URLs are not echoed).
    std::fprintf(stderr, "error: %s\n", report.status().message().c_str());
    switch (report.status().code()) {
      case StatusCode::kInvalidArgument:
        return 2;
      case StatusCode::kConflict:
        return 3;
      default:
        return 4;
    }
  }
  if (o.json) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : report->tables)
      tables.push_back({{"table", t.table},
                        {"source_rows", t.source_rows},
                        {"target_rows", t.target_rows},
                        {"source_checksum", t.source_checksum},
                        {"target_checksum", t.target_checksum},
                        {"matches", t.matches()}});
    nlohmann::json j = {{"schema_version", report->schema_version},
                        {"rows", report->rows},
                        {"verified", true},
                        {"tables", tables}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  for (const auto& t : report->tables)
    std::printf("%-28s %10lld rows  checksum %s  %s\n", t.table.c_str(),
                static_cast<long long>(t.target_rows), t.target_checksum.c_str(),
                t.matches() ? "ok" : "MISMATCH");
  std::printf("copied %lld rows in %zu tables at schema version %d; verified\n",
              static_cast<long long>(report->rows), report->tables.size(), report->schema_version);
  return 0;
}

}  // namespace nexus::app
