// The export planner (R-EXP-1..7, R-EXP-PREVIEW, R-SUITE-2): Nexus runs + their tests'
// TestRail links + the status mapping + the local catalog → the exact TestRail work of one
// export: run or plan, name, entries per suite with the cases and one result per case, and
// everything skipped or worth a warning. Pure: no I/O, no clock ("now" is an input), no
// threads. The executor (jobs/) sends exactly what the plan says; a dry run shows it as is.
// Design notes: docs/export-planner.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/status_mapping.h"
#include "core/types.h"

namespace nexus {

// TestRail's limit for run and plan names; counted in Unicode characters (code points).
inline constexpr size_t kMaxTestRailNameChars = 250;
// TestRail's limit for a result's `version` (a string field of at most 250 characters);
// longer builds are truncated at a code point boundary rather than refused by TestRail.
inline constexpr size_t kMaxTestRailVersionChars = 250;
// R-EXP-1: a multiple_runs export takes 1–100 runs (ExportService's rule).
inline constexpr size_t kMaxRunsPerExport = 100;

// ---- Severity ("worst wins", R-EXP-3).

// Rank of a TestRail status for aggregation: Failed(5) > Blocked(2) > Retest(4) > any other
// (custom) id > Passed(1) > Untested(3). Larger = worse. Every id that is not a system status
// counts as custom; all custom ids share one rank.
int StatusSeverity(int status_id);
// The worse of two statuses by StatusSeverity. Two different custom statuses rank equally;
// the lower id wins then, so the result never depends on argument order.
int WorstStatus(int a, int b);

// ---- Formatting helpers.

// TestRail's timespan format for `elapsed`: "45s", "1m 45s", "1h 2m 3s", "2h", "1h 5s" (zero
// components are left out; no days or weeks, whose length is configurable per instance).
// Rounded to the nearest second; anything from 1 ms to 1.499 s is "1s". Zero or negative →
// "" (the field is then left out of the request: TestRail rejects "0s").
std::string FormatElapsed(TimeMs ms);

// Number of code points of UTF-8 text (continuation bytes are not counted).
size_t Utf8Length(std::string_view s);
// The longest prefix of `s` with at most `max_chars` code points; never splits a multi-byte
// sequence.
std::string TruncateUtf8(std::string_view s, size_t max_chars);
// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// ---- Inputs.

enum class ExportSourceKind { kSingleRun, kMultipleRuns, kTestPlan };
std::string_view ExportSourceKindName(ExportSourceKind k);  // "single_run", "multiple_runs", …

struct ExportSource {
  ExportSourceKind kind = ExportSourceKind::kSingleRun;
  // For kTestPlan: the execution and its plan's name (used by the {source} placeholder).
  std::optional<int64_t> execution_id;
  std::string plan_name;
};

// The TestRail links of one test (R-LINK-1, R-LINK-2). Duplicates are harmless.
struct TestLinks {
  std::vector<int64_t> case_ids;                              // test level
  std::map<std::string, std::vector<int64_t>> step_case_ids;  // step id → cases
};

// One run to export with the test it belongs to (the test's current version: step ids are
// stable, so step links and step outcomes meet on the id) and that test's links.
struct ExportRunInput {
  Run run;
  Test test;
  TestLinks links;
};

// What the local catalog knows about a linked case. A linked case missing from the catalog
// is unknown (skipped "not_in_catalog"): the planner never guesses a suite.
struct CatalogCase {
  int64_t case_id = 0;
  int64_t suite_id = 0;
  std::string title;
  bool deleted = false;
};
using CaseCatalog = std::unordered_map<int64_t, CatalogCase>;  // keyed by case_id

struct ExportOptions {
  // R-EXP-6: the user's name for the run/plan, used as given: the caller has checked it
  // (integration::ValidateCustomRunName: trimmed, 1–250 characters of valid UTF-8).
  std::optional<std::string> custom_name;
  // Project option `run_name_template`; empty = kDefaultNameTemplate. See ExpandNameTemplate.
  std::string name_template;
  int64_t project_id = 0;
  std::string project_name;
  TimeMs now = 0;  // the export's time, for {date}/{time}; the caller reads its Clock
  // NEXUS_PUBLIC_URL, e.g. "https://nexus.example.com" (a trailing '/' is ignored). Empty:
  // comments carry no link and the plan warns "no_public_url".
  std::string public_url;
  std::optional<int64_t> milestone_id;  // passed through to add_run / add_plan
  // Optional status id → label from get_statuses ("Failed"), to make comments readable;
  // ids without a label are written "status 7".
  std::map<int, std::string> status_labels;
};

// A slice of the linked cases: lo <= case id < hi (issue 16).
struct CaseRange {
  int64_t lo = 0;
  int64_t hi = 0;
  bool Contains(int64_t case_id) const { return case_id >= lo && case_id < hi; }
};

struct ExportRequest {
  ExportSource source;
  std::vector<ExportRunInput> runs;  // any order; planned in run id order
  CaseCatalog catalog;  // the linked cases (with case_range: those of the range suffice)
  std::vector<int64_t> selected_suite_ids;
  StatusMapping mapping;
  ExportOptions options;
  // Issue 16 (memory flat in N): decide only the linked cases in this range (nullopt: all).
  // Everything about the runs (their warnings, runs_processed, name, description) is still the
  // whole request's; entries, skipped cases and totals hold the range's cases only. Plans of
  // consecutive ranges joined with AppendPlanSlice + FinishSlicedPlan equal the whole plan.
  std::optional<CaseRange> case_range;
};

// ---- Output.

enum class ExportStrategy { kSingleSuite, kMultiSuitePlan };
std::string_view ExportStrategyName(ExportStrategy s);  // "single_suite" | "multi_suite_plan"

enum class SkipReason {
  kNotReported,       // every source maps to "not reported" (Error runs by default)
  kCaseDeleted,       // deleted in TestRail (catalog)
  kSuiteNotSelected,  // its suite is no longer selected (R-SUITE-2)
  kNotInCatalog,      // the catalog does not know the case
  kRunNotFinished,    // only unfinished runs link it
};
std::string_view SkipReasonName(SkipReason r);  // "not_reported", "case_deleted", …

// One result for add_results_for_cases.
struct PlannedResult {
  int64_t case_id = 0;
  int status_id = 0;
  std::string comment;
  std::string elapsed;           // FormatElapsed of the deciding source; "" = leave the field out
  std::string version;           // the deciding run's build (<= 250 chars); "" = leave out
  std::vector<int64_t> run_ids;  // every finished run that hit the case, ascending
  // Extra members of the add_results_for_cases entry as a JSON object text, "" = none:
  // custom result fields, assignedto_id, step results (core/result_fields.h, issue 14).
  // Filled after planning by ApplyResultFields; stored with the plan and fingerprinted.
  std::string extra_json;
  // The run whose observation decided status, elapsed and version (not stored: only used
  // while the plan is being completed, e.g. for field values taken from the run).
  int64_t deciding_run_id = 0;
};

// One TestRail run (single_suite) or one plan entry (multi_suite_plan).
struct PlanEntry {
  int64_t suite_id = 0;
  // TestRail configurations of this entry's run (issue 14, core/config_mapping.h): empty
  // without a configuration mapping. Entries of one suite with different config ids become
  // the runs of ONE TestRail plan entry; the label ("platform=PS5") is for the preview.
  std::vector<int64_t> config_ids;
  std::string config_label;
  std::vector<int64_t> case_ids;       // ascending; exactly the cases of `results`
  std::vector<PlannedResult> results;  // ascending by case_id
};

struct SkippedCase {
  int64_t case_id = 0;
  SkipReason reason = SkipReason::kNotReported;
  std::string message;           // human-readable, names the case and why
  std::vector<int64_t> run_ids;  // runs that linked the case, ascending
};

// Warning types (ExportWarning::type).
inline constexpr std::string_view kWarnRunNotFinished = "run_not_finished";
inline constexpr std::string_view kWarnRunNotReported = "run_not_reported";
inline constexpr std::string_view kWarnRunWithoutLinks = "run_without_links";
inline constexpr std::string_view kWarnStaleStepLink = "stale_step_link";
inline constexpr std::string_view kWarnDuplicateRun = "duplicate_run";
inline constexpr std::string_view kWarnNoPublicUrl = "no_public_url";
// Added by the export service, not the planner: the catalog could not be refreshed first;
// a source run whose test was deleted (its links went with it) is left out.
inline constexpr std::string_view kWarnCatalogStale = "catalog_stale";
inline constexpr std::string_view kWarnTestDeleted = "test_deleted";

struct ExportWarning {
  std::string type;  // one of the kWarn* constants
  std::string message;
  std::optional<int64_t> run_id;
};

struct ExportPlan {
  ExportSourceKind export_type = ExportSourceKind::kSingleRun;
  ExportStrategy strategy = ExportStrategy::kSingleSuite;
  std::string name;         // the run's or plan's name, 1–250 characters
  std::string description;  // for add_run / add_plan: where the results come from
  std::optional<int64_t> milestone_id;
  std::vector<PlanEntry> entries;       // ascending by suite_id; one entry when kSingleSuite
  std::vector<SkippedCase> skipped;     // ascending by case_id, one per case
  std::vector<ExportWarning> warnings;  // in run id order, then plan-wide ones
  int runs_processed = 0;               // finished runs taken into account
  int total_test_cases = 0;             // cases that get a result (sum over entries)
  bool nothing_to_send = false;         // R-EXP-7: create nothing in TestRail
  std::string nothing_to_send_reason;   // why, when nothing_to_send

  // Every result across entries, in entry order.
  size_t ResultCount() const;
};

// Plans one export. Deterministic: the same request gives a byte-identical plan whatever the
// order of `runs` and of link lists.
//
// Rules (details in docs/export-planner.md):
//  - Unfinished runs are not exported (warning kWarnRunNotFinished); cases only they link
//    are skipped kRunNotFinished.
//  - A test-level link gets mapping.Resolve(run.result, run.bug_label); a step-level link gets
//    Resolve of that step's own outcome when the run reported the step, else the run's
//    (R-EXP-2). Step links to step ids the test no longer has are ignored (warning).
//  - A case hit by several sources (runs × links) gets ONE result: the worst status among the
//    sources that are reported wins (R-EXP-3); not-reported sources never decide but are still
//    listed in the comment. Elapsed and version come from the deciding source (the newest
//    run among those with the winning status); version falls back to the newest non-empty
//    build among the reported sources.
//  - Cases unknown to the catalog, deleted, or outside `selected_suite_ids` are skipped with
//    that reason, whatever their status (R-EXP-7, R-SUITE-2).
//  - One suite → kSingleSuite (one entry); several → kMultiSuitePlan, one entry per suite.
//  - No result at all → nothing_to_send with a reason; entries empty.
//
// Phases: validate the input, order the runs (duplicates dropped), gather the sources of
// every linked case, decide each case (result or skip), then name and describe the plan.
//
// The request's rules (1–100 runs, the custom name) are the caller's (ExportService's
// ValidateExportSource / ValidateCustomRunName). Errors (InvalidArgument, field set):
// "runs[i].test" when a run's test is not the test given with it; "runs[i].project_id" when
// a run belongs to another project than options.project_id.
Result<ExportPlan> PlanExport(const ExportRequest& request);

// ---- Planning a slice of the cases at a time (issue 16).

// Joins the plan of the next case range (ranges ascending, each planned from the same request
// but its case_range) into `whole`. The first slice gives the head (name, description, warnings,
// runs_processed, milestone, type); every slice adds its entries (results appended to the entry
// of the same suite and configurations, so they stay by case id; a new entry goes in (suite,
// configurations) order), its skipped cases and its total.
void AppendPlanSlice(ExportPlan& whole, ExportPlan&& slice, bool first);
// The distinct cases the runs link (both levels), ascending.
std::vector<int64_t> LinkedCaseIds(const std::vector<ExportRunInput>& runs);
// Consecutive ranges over `case_ids` (ascending) of at most `per_slice` (≥ 1) ids each, the
// first open below and the last open above; one open range when there is no id.
std::vector<CaseRange> CaseSlices(const std::vector<int64_t>& case_ids, size_t per_slice);
// After the last slice: the strategy and nothing_to_send (with its reason) of the joined plan.
void FinishSlicedPlan(ExportPlan& whole);

// ---- Names.

inline constexpr std::string_view kDefaultNameTemplate =
    "Nexus: {project} - {source} - {date} {time} UTC";

// Placeholders: {project} project name; {source} "Run #12 (Login)", "3 runs",
// "Smoke (execution #5)" / "Execution #5"; {date} "2026-11-25" and {time} "10:53" (UTC, of
// options.now); {count} number of finished runs exported; {type} "single_run"|…. "{{" and
// "}}" stand for literal braces. Unknown placeholders are kept literally (templates are
// checked on save with ValidateNameTemplate). Control characters become spaces; the result
// is trimmed and truncated to 250 characters at a code point boundary.
struct NameContext {
  std::string project;
  std::string source;
  TimeMs now = 0;
  int count = 0;
  ExportSourceKind kind = ExportSourceKind::kSingleRun;
};
std::string ExpandNameTemplate(std::string_view tmpl, const NameContext& ctx);

// Ok, or InvalidArgument (field "run_name_template") naming the first unknown placeholder or
// unbalanced brace, or when the template is longer than 1000 bytes.
Status ValidateNameTemplate(std::string_view tmpl);

// ---- Batching and fingerprints for the executor.

// Splits `results` into consecutive batches of at most `batch_size` (≥ 1; 0 is treated as 1),
// preserving order, so batch k of a plan is the same on every attempt.
std::vector<std::span<const PlannedResult>> BatchResults(std::span<const PlannedResult> results,
                                                         size_t batch_size);

// Stable 16-hex-digit FNV-1a fingerprint of results (case, status, comment, elapsed, version,
// and extra_json when not empty — so fingerprints journalled before extra_json existed still
// match — in order): equal results → equal fingerprint across processes and platforms. Lets the
// executor journal what a batch contained and check it after a restart.
std::string ResultsFingerprint(std::span<const PlannedResult> results);
// The same over pointers to the results (no copies).
std::string ResultsFingerprint(std::span<const PlannedResult* const> results);

}  // namespace nexus
