// `nexus import junit FILE...` (R-IMPORT, issue 18; docs/ci-import.md): uploads JUnit XML
// reports to a running Nexus (--server + --token, the CI case) or imports them into a local
// data dir (--data-dir), optionally exports the execution to TestRail, prints the execution,
// its counts and the TestRail link. Several files make one execution (one combined report).
//
// Exit codes: 0 every testcase passed (and, with --export, the export succeeded); 1 some
// testcases failed or errored; 2 bad input (unreadable file, malformed report, unknown case
// or project, refused token, bad flags); 3 the export failed; 4 the server could not be
// reached or failed (5xx).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/app.h"

namespace nexus::app {

struct ImportCliOptions {
  int64_t project_id = 0;
  std::vector<std::string> files;
  std::string server;  // base URL of a running Nexus (server mode)
  std::string token;   // API token (server mode)
  std::string execution_name;
  std::string build;
  std::vector<std::string> attributes;  // "key=value" (--attribute, repeatable)
  std::string result_map;  // --result-map "failure=Success/DefinitelyBug,…" (validated first)
  bool export_to_testrail = false;
  bool json = false;
  int timeout_s = 3600;  // whole upload + import + export (server mode)
  bool local = false;    // --data-dir or --db was given (local mode)
};

// Runs the command. `config` is used in local mode (data dir, TestRail flags).
int RunImportJUnit(const ImportCliOptions& o, Config config);

// Several reports as one document: every file checked on its own first (errors name the
// file and its line), then their root elements placed under one <testsuites>. One file is
// returned as it is. Exposed for tests.
struct CombinedReport {
  std::string xml;
  // For error messages about the combined document: the first line of each file in it, the
  // number of lines of its prolog that were dropped, and its name.
  struct Part {
    int64_t first_line = 1;
    int64_t skipped_lines = 0;
    std::string file;
  };
  std::vector<Part> parts;
  // "line 12: …" of the combined document → "b.xml: line 3: …".
  std::string Locate(const std::string& message) const;
};
Result<CombinedReport> CombineReports(const std::vector<std::string>& files);

}  // namespace nexus::app
