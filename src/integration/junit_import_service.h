// JUnitImportService: a JUnit XML report from any CI → one Nexus execution of runs, and on
// request its export to TestRail, exactly once (R-IMPORT, issue 18; docs/ci-import.md).
//
// An import reads the whole report first (imports/junit_reader.h: streaming, gzip or plain),
// checks it completely — XML, names, times, case ids against the project's TestRail catalog
// — and only then writes it in one store transaction (ImportStore::CreateJUnitImport), so a
// rejected report writes nothing. The same report (SHA-256 of its XML) under the same
// execution name is the same import: posting it again answers with the first import and
// never creates a second execution; with export requested, the export of the execution is
// reused when it succeeded (ExportService, force_new_run off), so a CI job retried after a
// timeout lands exactly one TestRail run.
//
// Mapping (a JUnit outcome → run result / bug label; the project's status mapping then
// decides the TestRail status, as for any run), by default:
//   passed → Success/NoBug, failure → Success/DefinitelyBug, error → Error/Undecided,
//   skipped → Stopped/Undecided
// and configurable per import (JUnitImportRequest::result_map, ParseJUnitResultMap).
// Each testcase is a run of the Nexus test found by its stable key (classname + name),
// created on first import ("imported" test: no steps, tag "junit") and reused after. A test
// that occurs several times in one report (reruns) gets one run with the worst outcome.
// Case ids (`C123` in the name, `testrail_case_id` properties) are linked to the test at test
// level; links are only ever added, so links made in the UI and earlier imports stay.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "imports/junit_reader.h"
#include "integration/export_service.h"
#include "storage/store.h"

namespace nexus::integration {

inline constexpr char kDefaultExecutionName[] = "JUnit import";

struct JUnitImportServiceOptions {
  imports::JUnitReaderOptions reader;
  // Testcases per report at most (InvalidArgument "too_large" beyond): bounds the memory of
  // one import (each testcase is held until the report has been checked).
  int64_t max_testcases = 500'000;
  // A run's summary (message, failure text, system-out/err) keeps at most this many bytes.
  size_t max_summary_bytes = 4 * 1024;
};

// What each JUnit outcome becomes in this import (R-IMPORT "configurable per import").
struct JUnitResultMap {
  struct Target {
    RunResult result;
    BugLabel bug_label;
    bool operator==(const Target&) const = default;
  };
  Target passed{RunResult::kSuccess, BugLabel::kNoBug};
  Target failure{RunResult::kSuccess, BugLabel::kDefinitelyBug};
  Target error{RunResult::kError, BugLabel::kUndecided};
  Target skipped{RunResult::kStopped, BugLabel::kUndecided};

  const Target& Of(imports::JUnitOutcome o) const;
  bool operator==(const JUnitResultMap&) const = default;
};

// Parses an override of the default map: comma-separated `outcome=Result[/BugLabel]`, e.g.
// "failure=Success/DefinitelyBug,error=Error,skipped=Stopped/Undecided". Outcomes: passed,
// failure, error, skipped (each at most once; the ones not named keep their default). Results
// and labels are the API's wire names (Success, Stopped, MaxSteps, Error / NoBug, LikelyNoBug,
// Undecided, LikelyBug, DefinitelyBug); a label left out is NoBug for Success and Undecided
// otherwise. Errors: InvalidArgument, field "result_map", reason "invalid_value", the message
// naming the unknown outcome, result or label (or the malformed entry). Empty → the defaults.
Result<JUnitResultMap> ParseJUnitResultMap(std::string_view spec);

struct JUnitImportRequest {
  int64_t project_id = 0;
  std::optional<int64_t> user_id;  // nullopt: the CLI in local mode
  // 1–250 characters once trimmed, no control characters; default kDefaultExecutionName.
  std::optional<std::string> execution_name;
  std::string build;  // build/version string of every run (0–250 characters)
  // Attributes of every run (platform=PS5…; R-RUN limits, CheckRunAttributes, field
  // "attributes"). Not part of the report's identity: a re-post with other attributes answers
  // with the first import.
  RunAttributes attributes;
  // Outcome → result/label. Like the attributes, not part of the report's identity: a
  // re-post with another map answers with the first import.
  JUnitResultMap result_map;
  bool export_to_testrail = false;
};

struct JUnitImportView {
  JUnitImportRecord record;
  bool already_imported = false;  // the same report under the same name was imported before
  // With export_to_testrail: the export (or the earlier one reused), or why it did not run.
  std::optional<ExportView> export_view;
  Status export_status;
};

// Reads the next chunk of a report into `buf` (empty: the end). Errors stop the import.
using ChunkSource = std::function<Result<std::string_view>()>;
ChunkSource ChunksOf(std::string_view body);
// Reads `path` in 1 MiB chunks (NotFound / InvalidArgument naming the path when it cannot be
// opened or read).
ChunkSource FileChunks(const std::string& path);

// The request rules (the API and the CLI map their errors): the execution name (field
// execution_name) and build (field build). Returns the trimmed execution name.
Result<std::string> ValidateExecutionName(std::string_view name);

class JUnitImportService {
 public:
  // `store` and `clock` must outlive the service; `exports` may be null (no TestRail export
  // possible: export requests then answer export_status Unavailable).
  JUnitImportService(Store& store, ExportService* exports, const Clock& clock,
                     JUnitImportServiceOptions options = {});

  // Imports one report. Errors (nothing written): InvalidArgument (field "body", reason
  // invalid_junit / invalid_gzip / too_large / unknown_case — the message names the line
  // and, for a testcase, its name; field execution_name / build / attributes.<key>),
  // NotFound for an unknown project. The export's own failure is not an error of the import:
  // it is in the view's export_status / export_view.
  Result<JUnitImportView> Import(const JUnitImportRequest& req, const ChunkSource& body);

 private:
  Store& store_;
  ExportService* exports_;
  const Clock& clock_;
  const JUnitImportServiceOptions options_;
};

}  // namespace nexus::integration
