// JUnitImportService: parse and check the whole report, then write it in one transaction,
// then (on request) export the execution (junit_import_service.h).
#include "integration/junit_import_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <unordered_set>
#include <vector>

#include "core/time_util.h"

namespace nexus::integration {
namespace {

using imports::JUnitCase;
using imports::JUnitOutcome;

constexpr size_t kMaxExecutionNameChars = 250;
constexpr size_t kMaxBuildChars = 250;
constexpr size_t kMaxTestNameBytes = 1000;

// Cuts `s` to at most `max` bytes on a UTF-8 boundary.
void CutUtf8(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

// The stable key of a testcase: classname and name (a newline cannot occur in either once
// XML attribute values are normalised, so the pair is unambiguous).
std::string KeyOf(const JUnitCase& c) { return c.classname + "\n" + c.name; }

// The name a new imported test gets: "classname › name", or the name alone when it already
// says the class (jest-junit writes the full title in both) or there is no class.
std::string TestNameOf(const JUnitCase& c) {
  std::string n = c.classname.empty() || c.name.find(c.classname) != std::string::npos
                      ? c.name
                      : c.classname + " \xE2\x80\xBA " + c.name;
  if (n.size() > kMaxTestNameBytes) {
    CutUtf8(n, kMaxTestNameBytes - 3);
    n += "...";
  }
  return n;
}

// The run's summary: what the report says about the outcome, then the outputs.
std::string SummaryOf(const JUnitCase& c, size_t max) {
  std::string s = "JUnit: " + std::string(imports::JUnitOutcomeName(c.outcome));
  if (!c.type.empty()) s += " (" + c.type + ")";
  if (!c.message.empty()) s += ": " + c.message;
  if (!c.details.empty()) s += "\n" + c.details;
  if (!c.system_out.empty()) s += "\n--- system-out ---\n" + c.system_out;
  if (!c.system_err.empty()) s += "\n--- system-err ---\n" + c.system_err;
  bool cut = c.truncated || s.size() > max;
  if (cut) {
    constexpr std::string_view kMark = "\n[truncated]";
    CutUtf8(s, max - kMark.size());
    s += kMark;
  }
  return s;
}

// A suite's `timestamp` ("2026-01-02T10:00:00", with or without zone) → ms; nullopt when it
// does not parse (the import time is used then).
std::optional<TimeMs> ParseTimestamp(const std::optional<std::string>& ts) {
  if (!ts || ts->empty()) return std::nullopt;
  if (auto t = ParseRfc3339(*ts)) return t;
  return ParseRfc3339(*ts + "Z");
}

std::string Line(const JUnitCase& c) { return "line " + std::to_string(c.line); }

// Everything the parse collects before anything is written.
// The index of the report's tests by key holds indexes into imp.tests, not a second copy of
// each key (heterogeneous lookup by string_view): at 100,000 testcases the keys are ~10 MB.
struct KeyHash {
  using is_transparent = void;
  const std::deque<ImportedTest>* tests;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  size_t operator()(size_t i) const { return (*this)((*tests)[i].key); }
};
struct KeyEq {
  using is_transparent = void;
  const std::deque<ImportedTest>* tests;
  std::string_view Key(size_t i) const { return (*tests)[i].key; }
  std::string_view Key(std::string_view k) const { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return Key(a) == Key(b);
  }
};

struct Collected {
  NewJUnitImport imp;
  std::unordered_set<size_t, KeyHash, KeyEq> test_index{
      64, KeyHash{&imp.tests}, KeyEq{&imp.tests}};  // indexes into imp.tests, by key
  std::vector<int> outcome_rank;                    // per run
  std::vector<JUnitOutcome> outcome;                // per run
  // Each case id with the testcase that first named it (for the error naming it).
  std::map<int64_t, std::string> case_origin;
};

}  // namespace

ChunkSource ChunksOf(std::string_view body) {
  auto done = std::make_shared<bool>(false);
  return [body, done]() -> Result<std::string_view> {
    if (*done) return std::string_view();
    *done = true;
    return body;
  };
}

ChunkSource FileChunks(const std::string& path) {
  struct File {
    FILE* f = nullptr;
    std::string buf;
    ~File() {
      if (f) std::fclose(f);
    }
  };
  auto file = std::make_shared<File>();
  file->f = std::fopen(path.c_str(), "rb");
  file->buf.resize(1 << 20);
  return [file, path]() -> Result<std::string_view> {
    if (file->f == nullptr) return NotFound(path + ": cannot open the file");
    size_t n = std::fread(file->buf.data(), 1, file->buf.size(), file->f);
    if (n == 0 && std::ferror(file->f)) return InvalidArgument(path + ": read error");
    return std::string_view(file->buf.data(), n);
  };
}

const JUnitResultMap::Target& JUnitResultMap::Of(JUnitOutcome o) const {
  switch (o) {
    case JUnitOutcome::kPassed:
      return passed;
    case JUnitOutcome::kFailed:
      return failure;
    case JUnitOutcome::kError:
      return error;
    case JUnitOutcome::kSkipped:
      return skipped;
  }
  return passed;
}

Result<JUnitResultMap> ParseJUnitResultMap(std::string_view spec) {
  auto bad = [](const std::string& what) {
    return InvalidArgument("result_map: " + what, "result_map", "invalid_value");
  };
  JUnitResultMap map;
  std::set<std::string, std::less<>> seen;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view entry = spec.substr(pos, end - pos);
    pos = end + 1;
    std::string shown(entry.substr(0, 80));
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos)
      return bad("'" + shown + "' is not outcome=Result or outcome=Result/BugLabel");
    std::string_view outcome = entry.substr(0, eq), target = entry.substr(eq + 1);
    JUnitResultMap::Target* slot = nullptr;
    if (outcome == "passed") {
      slot = &map.passed;
    } else if (outcome == "failure") {
      slot = &map.failure;
    } else if (outcome == "error") {
      slot = &map.error;
    } else if (outcome == "skipped") {
      slot = &map.skipped;
    } else {
      return bad("unknown outcome '" + std::string(outcome.substr(0, 40)) +
                 "' (known: passed, failure, error, skipped)");
    }
    if (!seen.emplace(outcome).second)
      return bad("outcome '" + std::string(outcome) + "' is given twice");
    size_t slash = target.find('/');
    std::string_view result_name = target.substr(0, slash);
    std::optional<RunResult> result = ParseRunResult(result_name);
    if (!result)
      return bad("unknown run result '" + std::string(result_name.substr(0, 40)) + "' for " +
                 std::string(outcome) + " (known: Success, Stopped, MaxSteps, Error)");
    BugLabel label = *result == RunResult::kSuccess ? BugLabel::kNoBug : BugLabel::kUndecided;
    if (slash != std::string_view::npos) {
      std::string_view label_name = target.substr(slash + 1);
      std::optional<BugLabel> parsed = ParseBugLabel(label_name);
      if (!parsed)
        return bad("unknown bug label '" + std::string(label_name.substr(0, 40)) + "' for " +
                   std::string(outcome) +
                   " (known: NoBug, LikelyNoBug, Undecided, LikelyBug, DefinitelyBug)");
      label = *parsed;
    }
    *slot = {*result, label};
  }
  if (!spec.empty() && spec.back() == ',') return bad("an empty entry after the last ','");
  return map;
}

Result<std::string> ValidateExecutionName(std::string_view name) {
  size_t b = 0, e = name.size();
  while (b < e && (name[b] == ' ' || name[b] == '\t')) ++b;
  while (e > b && (name[e - 1] == ' ' || name[e - 1] == '\t')) --e;
  std::string_view t = name.substr(b, e - b);
  if (t.empty())
    return InvalidArgument("execution_name must not be blank", "execution_name", "invalid_value");
  if (Utf8Chars(t) > kMaxExecutionNameChars)
    return InvalidArgument("execution_name must be at most 250 characters", "execution_name",
                           "invalid_value");
  for (char ch : t)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
      return InvalidArgument("execution_name must not contain control characters", "execution_name",
                             "invalid_value");
  return std::string(t);
}

JUnitImportService::JUnitImportService(Store& store, ExportService* exports, const Clock& clock,
                                       JUnitImportServiceOptions options)
    : store_(store), exports_(exports), clock_(clock), options_(options) {}

Result<JUnitImportView> JUnitImportService::Import(const JUnitImportRequest& req,
                                                   const ChunkSource& body) {
  // The request rules first.
  std::string name = kDefaultExecutionName;
  if (req.execution_name) {
    NEXUS_ASSIGN_OR_RETURN(name, ValidateExecutionName(*req.execution_name));
  }
  if (Utf8Chars(req.build) > kMaxBuildChars)
    return InvalidArgument("build must be at most 250 characters", "build", "invalid_value");
  NEXUS_RETURN_IF_ERROR(CheckRunAttributes(req.attributes, "attributes"));
  auto project = store_.GetProject(req.project_id);
  if (!project.ok()) return NotFound("project " + std::to_string(req.project_id) + " not found");

  const TimeMs now = clock_.NowMs();
  Collected col;
  NewJUnitImport& imp = col.imp;
  imp.tags = {"junit"};
  imp.build = req.build;
  imp.attributes = req.attributes;
  std::optional<std::string> last_timestamp;
  TimeMs last_started = ParseTimestamp(last_timestamp).value_or(now);
  auto on_case = [&](JUnitCase&& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(std::vector<int64_t> ids, imports::CaseIdsOf(c));
    std::string key = KeyOf(c);
    auto found = col.test_index.find(std::string_view(key));
    const bool fresh = found == col.test_index.end();
    size_t ti = fresh ? imp.tests.size() : *found;
    if (fresh) {
      if (static_cast<int64_t>(imp.tests.size()) >= options_.max_testcases)
        return InvalidArgument(Line(c) + ": the report has more than " +
                                   std::to_string(options_.max_testcases) + " testcases",
                               "body", "too_large");
      imp.tests.push_back({std::move(key), TestNameOf(c), {}});
      col.test_index.insert(ti);
    }
    for (int64_t id : ids) {
      imp.tests[ti].case_ids.push_back(id);
      col.case_origin.try_emplace(id, Line(c) + ": testcase \"" + c.name.substr(0, 200) + "\"");
    }
    const int rank = imports::JUnitOutcomeRank(c.outcome);
    // One run per test: index of runs == index of tests (runs are appended with tests).
    if (!fresh && rank < col.outcome_rank[ti]) return Status::Ok();
    const JUnitResultMap::Target& target = req.result_map.Of(c.outcome);
    ImportedRun run;
    run.test = ti;
    run.result = target.result;
    run.bug_label = target.bug_label;
    if (c.timestamp != last_timestamp) {  // a suite's testcases share its timestamp
      last_timestamp = c.timestamp;
      last_started = ParseTimestamp(c.timestamp).value_or(now);
    }
    run.started_at = last_started;
    run.finished_at =
        run.started_at + static_cast<TimeMs>(std::llround(c.time_s.value_or(0) * 1000.0));
    run.summary = SummaryOf(c, options_.max_summary_bytes);
    if (fresh) {
      imp.runs.push_back(std::move(run));
      col.outcome_rank.push_back(rank);
      col.outcome.push_back(c.outcome);
    } else {
      imp.runs[ti] = std::move(run);
      col.outcome_rank[ti] = rank;
      col.outcome[ti] = c.outcome;
    }
    return Status::Ok();
  };

  imports::JUnitDocumentReader reader(on_case, options_.reader);
  while (true) {
    NEXUS_ASSIGN_OR_RETURN(std::string_view chunk, body());
    if (chunk.empty()) break;
    NEXUS_RETURN_IF_ERROR(reader.Feed(chunk));
  }
  NEXUS_ASSIGN_OR_RETURN(std::string sha, reader.Finish());
  if (imp.runs.empty())
    return InvalidArgument("the report has no testcases", "body", "invalid_junit");

  JUnitImportView view;
  // The same report under the same name: the first import.
  NEXUS_ASSIGN_OR_RETURN(auto earlier, store_.FindJUnitImport(req.project_id, sha, name));
  if (earlier) {
    view.record = std::move(*earlier);
    view.already_imported = true;
  } else {
    // Every case id must be a live case of the project's catalog.
    if (!col.case_origin.empty()) {
      std::vector<int64_t> ids;
      for (const auto& [id, origin] : col.case_origin) ids.push_back(id);
      NEXUS_ASSIGN_OR_RETURN(auto known, store_.GetCatalogCases(req.project_id, ids));
      std::set<int64_t> live;
      for (const auto& k : known)
        if (!k.is_deleted) live.insert(k.id);
      for (const auto& [id, origin] : col.case_origin)
        if (!live.count(id))
          return InvalidArgument(origin + ": case C" + std::to_string(id) +
                                     " is not in the project's TestRail catalog",
                                 "body", "unknown_case");
    }
    for (auto& t : imp.tests) {
      std::sort(t.case_ids.begin(), t.case_ids.end());
      t.case_ids.erase(std::unique(t.case_ids.begin(), t.case_ids.end()), t.case_ids.end());
    }
    JUnitImportRecord& rec = imp.record;
    rec.project_id = req.project_id;
    rec.sha256 = sha;
    rec.execution_name = name;
    rec.created_by = req.user_id;
    rec.created_at = now;
    for (JUnitOutcome o : col.outcome) {
      rec.passed += o == JUnitOutcome::kPassed;
      rec.failed += o == JUnitOutcome::kFailed;
      rec.errors += o == JUnitOutcome::kError;
      rec.skipped += o == JUnitOutcome::kSkipped;
    }
    auto created = store_.CreateJUnitImport(imp);
    if (created.ok()) {
      view.record = std::move(created).value();
    } else if (created.status().reason() == "duplicate") {
      // A concurrent post of the same report won: answer with its import.
      NEXUS_ASSIGN_OR_RETURN(auto winner, store_.FindJUnitImport(req.project_id, sha, name));
      if (!winner) return created.status();
      view.record = std::move(*winner);
      view.already_imported = true;
    } else {
      return created.status();
    }
    spdlog::info(
        "event=junit_import project={} import={} execution={} testcases={} tests_created={} "
        "links_added={}",
        req.project_id, view.record.id, view.record.execution_id, view.record.testcases,
        view.record.tests_created, view.record.links_added);
  }

  if (req.export_to_testrail) {
    if (exports_ == nullptr) {
      view.export_status = Status(StatusCode::kUnavailable, "exports are not available here");
    } else {
      StartExportRequest ex;
      ex.project_id = req.project_id;
      ex.user_id = req.user_id;
      ex.source.execution_id = view.record.execution_id;
      ex.force_new_run = false;  // an execution exported before answers with its entry
      ex.wait = true;
      auto v = exports_->StartExport(ex);
      if (v.ok())
        view.export_view = std::move(v).value();
      else
        view.export_status = v.status();
    }
  }
  return view;
}

}  // namespace nexus::integration
