// Export planning: sources × links × mapping × catalog → the TestRail work of one export.
#include "core/export_planner.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "core/time_util.h"

namespace nexus {
namespace {

constexpr size_t kMaxTemplateBytes = 1000;
constexpr size_t kInlineGoalChars = 80;
constexpr size_t kInlineBugDescriptionChars = 300;

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Control characters → spaces, runs of spaces collapsed, trimmed: text fit for one line.
std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsControl(c) || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(ch);
  }
  return out;
}

// One line, at most `max_chars` characters ("…" marks a cut).
std::string Inline(std::string_view s, size_t max_chars) {
  std::string line = OneLine(s);
  if (Utf8Length(line) <= max_chars) return line;
  std::string cut = TruncateUtf8(line, max_chars - 1);
  cut = std::string(TrimAscii(cut));
  return cut + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string RunRef(int64_t run_id) { return "#" + std::to_string(run_id); }

void SortUnique(std::vector<int64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::string RunUrl(const ExportOptions& o, int64_t run_id) {
  if (o.public_url.empty()) return {};
  std::string_view base = o.public_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/projects/" + std::to_string(o.project_id) + "/runs/" +
         std::to_string(run_id);
}

std::string StatusText(const ExportOptions& o, StatusCell cell) {
  if (!cell) return "not reported";
  auto it = o.status_labels.find(*cell);
  if (it != o.status_labels.end() && !it->second.empty()) return it->second;
  return "status " + std::to_string(*cell);
}

std::string OutcomeText(RunResult r, BugLabel l) {
  return std::string(RunResultName(r)) + ", bug label " + std::string(BugLabelName(l));
}

std::optional<TimeMs> Duration(std::optional<TimeMs> start, std::optional<TimeMs> end) {
  if (!start || !end || *end < *start) return std::nullopt;
  return *end - *start;
}

// ---- Planning state.

// A run that takes part in the export, with what is derived from it once.
struct RunCtx {
  const ExportRunInput* in = nullptr;
  StatusCell status;                         // the run's own mapped status
  std::optional<TimeMs> elapsed;             // finished_at - started_at
  std::map<std::string, size_t> step_index;  // step id → index in test.steps
};

// One (run, link) pair hitting a case.
struct Source {
  size_t run = 0;                        // index into the finished runs
  std::optional<size_t> step;            // index into test.steps; nullopt = test-level link
  const StepOutcome* outcome = nullptr;  // the run's outcome for that step, if reported
  StatusCell status;
  std::optional<TimeMs> elapsed;
};

struct CaseAcc {
  std::vector<Source> sources;           // finished runs only, in planning order
  std::vector<int64_t> unfinished_runs;  // unfinished runs that link the case
};

const StepOutcome* FindOutcome(const Run& run, std::string_view step_id) {
  for (const StepOutcome& o : run.steps)
    if (o.step_id == step_id) return &o;
  return nullptr;
}

std::string StepRef(const Test& test, size_t index) {
  return "step " + std::to_string(index + 1) + " " +
         Quote(Inline(test.steps[index].goal, kInlineGoalChars));
}

std::string SourceLabel(const ExportRequest& req, const std::vector<const ExportRunInput*>& all) {
  const ExportSource& s = req.source;
  switch (s.kind) {
    case ExportSourceKind::kSingleRun:
      if (all.empty()) return "Run";
      return "Run " + RunRef(all.front()->run.id) + " (" + OneLine(all.front()->test.name) + ")";
    case ExportSourceKind::kMultipleRuns:
      return std::to_string(all.size()) + (all.size() == 1 ? " run" : " runs");
    case ExportSourceKind::kTestPlan: {
      std::string exec = s.execution_id ? "execution " + RunRef(*s.execution_id) : "execution";
      std::string plan = OneLine(s.plan_name);
      if (!plan.empty()) return plan + " (" + exec + ")";
      exec[0] = 'E';
      return exec;
    }
  }
  return {};
}

// The comment of one case: one block per contributing run (R-EXP-3, R-EXP-5).
std::string BuildComment(const std::vector<Source>& sources, const std::vector<RunCtx>& runs,
                         int winner, const ExportOptions& opts) {
  std::vector<size_t> run_order;
  for (const Source& s : sources)
    if (run_order.empty() || run_order.back() != s.run) run_order.push_back(s.run);

  std::string out;
  if (run_order.size() > 1) {
    out += "Results of " + std::to_string(run_order.size()) +
           " Nexus runs; the worst status wins: " + StatusText(opts, winner) + ".\n\n";
  }
  for (size_t k = 0; k < run_order.size(); ++k) {
    const RunCtx& rc = runs[run_order[k]];
    const Run& run = rc.in->run;
    const Test& test = rc.in->test;
    if (k) out += "\n";  // each block ends with a newline: one blank line between runs
    out += "Nexus run " + RunRef(run.id) + " of test " + Quote(OneLine(test.name)) + "\n";
    out += "Run result: " + OutcomeText(run.result, run.bug_label) + "\n";
    out += "Linked via:\n";
    for (const Source& s : sources) {
      if (s.run != run_order[k]) continue;
      if (!s.step) {
        out += "- the test -> " + StatusText(opts, s.status) + "\n";
      } else if (s.outcome) {
        out += "- " + StepRef(test, *s.step) +
               " (step outcome: " + OutcomeText(s.outcome->result, s.outcome->bug_label) + ") -> " +
               StatusText(opts, s.status) + "\n";
      } else {
        out += "- " + StepRef(test, *s.step) + " (no step outcome; the run's result applies) -> " +
               StatusText(opts, s.status) + "\n";
      }
    }
    if (run.bugs.empty()) {
      out += "Bugs found: none\n";
    } else {
      out += "Bugs found:\n";
      for (const Bug& b : run.bugs) {
        out += "- " + OneLine(b.title);
        if (!b.severity.empty()) out += " [" + OneLine(b.severity) + "]";
        if (!b.step_id.empty()) {
          auto it = rc.step_index.find(b.step_id);
          out += it != rc.step_index.end() ? " at " + StepRef(test, it->second)
                                           : " at step " + b.step_id + " (no longer in the test)";
        }
        if (!TrimAscii(b.description).empty())
          out += ": " + Inline(b.description, kInlineBugDescriptionChars);
        out += "\n";
      }
    }
    if (!TrimAscii(run.summary).empty())
      out += "Summary: " + std::string(TrimAscii(run.summary)) + "\n";
    if (!run.build.empty()) out += "Build: " + OneLine(run.build) + "\n";
    std::string url = RunUrl(opts, run.id);
    if (!url.empty()) out += "Run in Nexus: " + url + "\n";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string SkipMessage(int64_t case_id, SkipReason r, const CatalogCase* cc) {
  const std::string c = "C" + std::to_string(case_id);
  switch (r) {
    case SkipReason::kNotReported:
      return c + ": every source maps to \"not reported\" under the status mapping";
    case SkipReason::kCaseDeleted:
      return c + " was deleted in TestRail";
    case SkipReason::kSuiteNotSelected:
      return c + " is in suite S" + std::to_string(cc ? cc->suite_id : 0) +
             ", which is not selected";
    case SkipReason::kNotInCatalog:
      return c + " is not in the TestRail catalog (unknown case, or the catalog needs a sync)";
    case SkipReason::kRunNotFinished:
      return c + " is linked only from runs that have not finished";
  }
  return c;
}

// Why no case can be reported, from the skipped cases' reasons.
std::string SkippedCasesReason(const std::vector<SkippedCase>& skipped) {
  std::array<int, 5> counts{};
  for (const SkippedCase& s : skipped) ++counts[static_cast<size_t>(s.reason)];
  static constexpr std::array<std::string_view, 5> kWhat = {
      "not reported under the status mapping (e.g. Error runs)", "deleted in TestRail",
      "in suites that are not selected", "not in the TestRail catalog",
      "linked only from unfinished runs"};
  std::string out = "No linked case can be reported: ";
  bool first = true;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (!counts[i]) continue;
    if (!first) out += "; ";
    first = false;
    out +=
        std::to_string(counts[i]) + (counts[i] == 1 ? " case " : " cases ") + std::string(kWhat[i]);
  }
  return out + ".";
}

std::string NothingToSendReason(const ExportPlan& plan, size_t total_runs, size_t finished,
                                size_t cases_seen) {
  if (total_runs == 0) return "There are no runs to export.";
  if (finished == 0) {
    return total_runs == 1 ? "The run has not finished; only finished runs are exported."
                           : "None of the " + std::to_string(total_runs) +
                                 " runs has finished; only finished runs are exported.";
  }
  if (cases_seen == 0) return "The exported runs' tests have no TestRail case links.";
  return SkippedCasesReason(plan.skipped);
}

void AppendU64(std::string& buf, uint64_t v) {
  for (int i = 0; i < 8; ++i) buf.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void AppendField(std::string& buf, std::string_view s) {
  AppendU64(buf, s.size());
  buf.append(s);
}

}  // namespace

// ---- Severity.

int StatusSeverity(int status_id) {
  switch (status_id) {
    case kTrFailed:
      return 50;
    case kTrBlocked:
      return 40;
    case kTrRetest:
      return 30;
    case kTrPassed:
      return 10;
    case kTrUntested:
      return 0;
    default:
      return 20;  // custom
  }
}

int WorstStatus(int a, int b) {
  const int sa = StatusSeverity(a), sb = StatusSeverity(b);
  if (sa != sb) return sa > sb ? a : b;
  return std::min(a, b);
}

// ---- Formatting.

std::string FormatElapsed(TimeMs ms) {
  if (ms <= 0) return {};
  int64_t secs = ms / 1000 + (ms % 1000 >= 500 ? 1 : 0);
  if (secs == 0) secs = 1;
  const int64_t h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;
  std::string out;
  auto part = [&](int64_t v, char unit) {
    if (!v) return;
    if (!out.empty()) out.push_back(' ');
    out += std::to_string(v);
    out.push_back(unit);
  };
  part(h, 'h');
  part(m, 'm');
  part(s, 's');
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string TruncateUtf8(std::string_view s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return std::string(s.substr(0, i));
    ++chars;
  }
  return std::string(s);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// ---- Names.

std::string_view ExportSourceKindName(ExportSourceKind k) {
  switch (k) {
    case ExportSourceKind::kSingleRun:
      return "single_run";
    case ExportSourceKind::kMultipleRuns:
      return "multiple_runs";
    case ExportSourceKind::kTestPlan:
      return "test_plan";
  }
  return "single_run";
}

std::string_view ExportStrategyName(ExportStrategy s) {
  return s == ExportStrategy::kMultiSuitePlan ? "multi_suite_plan" : "single_suite";
}

std::string_view SkipReasonName(SkipReason r) {
  switch (r) {
    case SkipReason::kNotReported:
      return "not_reported";
    case SkipReason::kCaseDeleted:
      return "case_deleted";
    case SkipReason::kSuiteNotSelected:
      return "suite_not_selected";
    case SkipReason::kNotInCatalog:
      return "not_in_catalog";
    case SkipReason::kRunNotFinished:
      return "run_not_finished";
  }
  return "not_reported";
}

namespace {

std::optional<std::string> PlaceholderValue(std::string_view name, const NameContext& ctx) {
  if (name == "project") return OneLine(ctx.project);
  if (name == "source") return OneLine(ctx.source);
  if (name == "date") return FormatRfc3339(ctx.now).substr(0, 10);
  if (name == "time") return FormatRfc3339(ctx.now).substr(11, 5);
  if (name == "count") return std::to_string(ctx.count);
  if (name == "type") return std::string(ExportSourceKindName(ctx.kind));
  return std::nullopt;
}

}  // namespace

std::string ExpandNameTemplate(std::string_view tmpl, const NameContext& ctx) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '{') {
      const size_t close = tmpl.find('}', i + 1);
      if (close != std::string_view::npos) {
        if (auto v = PlaceholderValue(tmpl.substr(i + 1, close - i - 1), ctx)) {
          out += *v;
          i = close;
          continue;
        }
      }
    }
    out.push_back(c);
  }
  std::string name = OneLine(out);
  name = TruncateUtf8(name, kMaxTestRailNameChars);
  return std::string(TrimAscii(name));
}

Status ValidateNameTemplate(std::string_view tmpl) {
  const std::string field = "run_name_template";
  if (tmpl.size() > kMaxTemplateBytes)
    return InvalidArgument("run_name_template is longer than 1000 bytes", field);
  if (!IsValidUtf8(tmpl)) return InvalidArgument("run_name_template is not valid UTF-8", field);
  const NameContext probe;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      ++i;
      continue;
    }
    if (c == '}')
      return InvalidArgument("run_name_template: unmatched '}' (write '}}' for a brace)", field);
    if (c != '{') continue;
    const size_t close = tmpl.find('}', i + 1);
    if (close == std::string_view::npos)
      return InvalidArgument("run_name_template: unmatched '{' (write '{{' for a brace)", field);
    const std::string_view name = tmpl.substr(i + 1, close - i - 1);
    if (!PlaceholderValue(name, probe)) {
      return InvalidArgument("run_name_template: unknown placeholder {" + std::string(name) +
                                 "}; known: {project} {source} {date} {time} {count} {type}",
                             field);
    }
    i = close;
  }
  return Status::Ok();
}

// ---- Planning.

size_t ExportPlan::ResultCount() const {
  size_t n = 0;
  for (const PlanEntry& e : entries) n += e.results.size();
  return n;
}

namespace {

// What planning gathers from the finished runs before deciding each case.
struct Gathered {
  std::vector<RunCtx> runs;          // finished runs only, in run id order
  std::map<int64_t, CaseAcc> cases;  // every linked case
};

// The caller's input: each run with its own test and in the project.
Status ValidateInput(const ExportRequest& req) {
  for (size_t i = 0; i < req.runs.size(); ++i) {
    const ExportRunInput& r = req.runs[i];
    const std::string where = "runs[" + std::to_string(i) + "]";
    if (r.run.test_id != r.test.id) {
      return InvalidArgument(where + ": run " + RunRef(r.run.id) + " belongs to test " +
                                 std::to_string(r.run.test_id) + ", not " +
                                 std::to_string(r.test.id),
                             where + ".test");
    }
    if (r.run.project_id != req.options.project_id) {
      return InvalidArgument(where + ": run " + RunRef(r.run.id) + " is not in project " +
                                 std::to_string(req.options.project_id),
                             where + ".project_id");
    }
  }
  return Status::Ok();
}

// The runs in id order, duplicates dropped (warning kWarnDuplicateRun).
std::vector<const ExportRunInput*> UniqueRuns(const ExportRequest& req, ExportPlan& plan) {
  std::vector<const ExportRunInput*> all;
  all.reserve(req.runs.size());
  for (const ExportRunInput& r : req.runs) all.push_back(&r);
  std::stable_sort(all.begin(), all.end(),
                   [](const auto* a, const auto* b) { return a->run.id < b->run.id; });
  std::vector<const ExportRunInput*> unique_runs;
  for (const ExportRunInput* r : all) {
    if (!unique_runs.empty() && unique_runs.back()->run.id == r->run.id) {
      plan.warnings.push_back({std::string(kWarnDuplicateRun),
                               "run " + RunRef(r->run.id) + " was given more than once",
                               r->run.id});
      continue;
    }
    unique_runs.push_back(r);
  }
  return unique_runs;
}

bool HasLinks(const TestLinks& links) {
  bool has = !links.case_ids.empty();
  for (const auto& [step_id, ids] : links.step_case_ids) has |= !ids.empty();
  return has;
}

// The distinct ids, ascending; with a range, only those in it (issue 16).
std::vector<int64_t> SortedUnique(const std::vector<int64_t>& all,
                                  const std::optional<CaseRange>& range) {
  std::vector<int64_t> ids;
  if (!range) {
    ids = all;
  } else {
    for (int64_t c : all)
      if (range->Contains(c)) ids.push_back(c);
  }
  SortUnique(ids);
  return ids;
}

// An unfinished run: warned about, and noted on the cases it links.
void GatherUnfinished(const ExportRequest& req, const ExportRunInput& in, Gathered& g,
                      ExportPlan& plan) {
  const Run& run = in.run;
  plan.warnings.push_back(
      {std::string(kWarnRunNotFinished),
       "run " + RunRef(run.id) + " has not finished and is not exported; only finished runs are",
       run.id});
  const std::optional<CaseRange>& range = req.case_range;
  for (int64_t c : in.links.case_ids)
    if (!range || range->Contains(c)) g.cases[c].unfinished_runs.push_back(run.id);
  for (const auto& [step_id, ids] : in.links.step_case_ids)
    for (int64_t c : ids)
      if (!range || range->Contains(c)) g.cases[c].unfinished_runs.push_back(run.id);
}

// A finished run: its mapped status and one source per (link, case) (R-EXP-2).
void GatherFinished(const ExportRequest& req, const ExportRunInput& in, Gathered& g,
                    ExportPlan& plan) {
  const Run& run = in.run;
  const Test& test = in.test;
  RunCtx rc;
  rc.in = &in;
  rc.status = req.mapping.Resolve(run.result, run.bug_label);
  rc.elapsed = Duration(run.started_at, run.finished_at);
  for (size_t i = 0; i < test.steps.size(); ++i) rc.step_index.emplace(test.steps[i].id, i);
  const size_t run_idx = g.runs.size();
  g.runs.push_back(std::move(rc));
  const RunCtx& ctx = g.runs.back();
  ++plan.runs_processed;

  if (!HasLinks(in.links)) {
    plan.warnings.push_back({std::string(kWarnRunWithoutLinks),
                             "run " + RunRef(run.id) + ": test " + Quote(OneLine(test.name)) +
                                 " has no TestRail case links",
                             run.id});
  }
  if (!ctx.status) {
    plan.warnings.push_back({std::string(kWarnRunNotReported),
                             "run " + RunRef(run.id) + " (" +
                                 OutcomeText(run.result, run.bug_label) +
                                 ") maps to \"not reported\" under the " +
                                 std::string(MappingModeName(req.mapping.mode)) + " status mapping",
                             run.id});
  }
  for (int64_t c : SortedUnique(in.links.case_ids, req.case_range))
    g.cases[c].sources.push_back({run_idx, std::nullopt, nullptr, ctx.status, ctx.elapsed});
  for (size_t si = 0; si < test.steps.size(); ++si) {
    auto it = in.links.step_case_ids.find(test.steps[si].id);
    if (it == in.links.step_case_ids.end()) continue;
    const StepOutcome* outcome = FindOutcome(run, test.steps[si].id);
    StatusCell status =
        outcome ? req.mapping.Resolve(outcome->result, outcome->bug_label) : ctx.status;
    std::optional<TimeMs> elapsed = ctx.elapsed;
    if (outcome) {
      if (auto d = Duration(outcome->started_at, outcome->finished_at)) elapsed = d;
    }
    for (int64_t c : SortedUnique(it->second, req.case_range))
      g.cases[c].sources.push_back({run_idx, si, outcome, status, elapsed});
  }
}

// Stale step links: once per (test, step id), attributed to the first run of that test, and
// kept in run id order after the other warnings of their run.
void WarnStaleStepLinks(const std::vector<RunCtx>& runs, ExportPlan& plan) {
  std::set<std::pair<int64_t, std::string>> warned;
  std::vector<ExportWarning> stale;
  for (const RunCtx& rc : runs) {
    for (const auto& [step_id, ids] : rc.in->links.step_case_ids) {
      if (ids.empty() || rc.step_index.count(step_id)) continue;
      if (!warned.emplace(rc.in->test.id, step_id).second) continue;
      stale.push_back({std::string(kWarnStaleStepLink),
                       "test " + Quote(OneLine(rc.in->test.name)) + " links cases to step " +
                           step_id + ", which the test no longer has; those links are ignored",
                       rc.in->run.id});
    }
  }
  for (ExportWarning& w : stale) {
    auto pos = std::find_if(plan.warnings.begin(), plan.warnings.end(),
                            [&](const auto& x) { return x.run_id && *x.run_id > *w.run_id; });
    plan.warnings.insert(pos, std::move(w));
  }
}

// Every run that takes part, per case, and the warnings about the runs.
Gathered GatherSources(const ExportRequest& req, const std::vector<const ExportRunInput*>& runs,
                       ExportPlan& plan) {
  Gathered g;
  for (const ExportRunInput* in : runs) {
    if (in->run.finished())
      GatherFinished(req, *in, g, plan);
    else
      GatherUnfinished(req, *in, g, plan);
  }
  WarnStaleStepLinks(g.runs, plan);
  if (req.options.public_url.empty() && plan.runs_processed > 0) {
    plan.warnings.push_back({std::string(kWarnNoPublicUrl),
                             "no public URL is configured (NEXUS_PUBLIC_URL); comments carry no "
                             "link back to the runs in Nexus",
                             std::nullopt});
  }
  return g;
}

// The one result of a case hit by `acc.sources` with `worst` as the winning status (R-EXP-3):
// elapsed and version from the newest run with that status, version falling back to the
// newest non-empty build among the reported sources.
PlannedResult ResultOf(int64_t case_id, const CaseAcc& acc, int worst,
                       const std::vector<RunCtx>& runs, const ExportOptions& opts,
                       std::vector<int64_t> run_ids) {
  // Newest run first: later finish, then higher id.
  auto newer = [&](const Source& a, const Source& b) {
    const Run& ra = runs[a.run].in->run;
    const Run& rb = runs[b.run].in->run;
    return std::make_pair(*ra.finished_at, ra.id) > std::make_pair(*rb.finished_at, rb.id);
  };
  const Source* decider = nullptr;
  for (const Source& s : acc.sources)
    if (s.status == worst && (!decider || newer(s, *decider))) decider = &s;
  std::string version = runs[decider->run].in->run.build;
  if (version.empty()) {
    const Source* best = nullptr;
    for (const Source& s : acc.sources)
      if (s.status && !runs[s.run].in->run.build.empty() && (!best || newer(s, *best))) best = &s;
    if (best) version = runs[best->run].in->run.build;
  }
  PlannedResult r;
  r.case_id = case_id;
  r.status_id = worst;
  r.comment = BuildComment(acc.sources, runs, worst, opts);
  r.elapsed = decider->elapsed ? FormatElapsed(*decider->elapsed) : std::string();
  r.version = TruncateUtf8(OneLine(version), kMaxTestRailVersionChars);
  r.deciding_run_id = runs[decider->run].in->run.id;
  r.run_ids = std::move(run_ids);
  return r;
}

// Decides each case: skipped with a reason (catalog, suite selection, unfinished or
// unreported runs) or one result in its suite's entry.
void DecideCases(const ExportRequest& req, Gathered& g, ExportPlan& plan) {
  const std::set<int64_t> selected(req.selected_suite_ids.begin(), req.selected_suite_ids.end());
  std::map<int64_t, PlanEntry> by_suite;
  for (auto& entry : g.cases) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const int64_t case_id = entry.first;
    auto& acc = entry.second;
    std::vector<int64_t> finished_ids;
    for (const Source& s : acc.sources) finished_ids.push_back(g.runs[s.run].in->run.id);
    SortUnique(finished_ids);
    SortUnique(acc.unfinished_runs);

    auto skip = [&](SkipReason reason, const CatalogCase* cc, std::vector<int64_t> ids) {
      plan.skipped.push_back({case_id, reason, SkipMessage(case_id, reason, cc), std::move(ids)});
    };
    std::vector<int64_t> every_run = finished_ids;
    every_run.insert(every_run.end(), acc.unfinished_runs.begin(), acc.unfinished_runs.end());
    SortUnique(every_run);

    auto cit = req.catalog.find(case_id);
    if (cit == req.catalog.end()) {
      skip(SkipReason::kNotInCatalog, nullptr, every_run);
      continue;
    }
    const CatalogCase& cc = cit->second;
    if (cc.deleted) {
      skip(SkipReason::kCaseDeleted, &cc, every_run);
      continue;
    }
    if (!selected.count(cc.suite_id)) {
      skip(SkipReason::kSuiteNotSelected, &cc, every_run);
      continue;
    }
    if (acc.sources.empty()) {
      skip(SkipReason::kRunNotFinished, &cc, acc.unfinished_runs);
      continue;
    }
    std::optional<int> worst;
    for (const Source& s : acc.sources)
      if (s.status) worst = worst ? WorstStatus(*worst, *s.status) : *s.status;
    if (!worst) {
      skip(SkipReason::kNotReported, &cc, finished_ids);
      continue;
    }
    PlanEntry& e = by_suite[cc.suite_id];
    e.suite_id = cc.suite_id;
    e.case_ids.push_back(case_id);
    e.results.push_back(ResultOf(case_id, acc, *worst, g.runs, req.options, finished_ids));
  }
  for (auto& [suite_id, entry] : by_suite) {
    plan.total_test_cases += static_cast<int>(entry.results.size());
    plan.entries.push_back(std::move(entry));
  }
  plan.strategy =
      plan.entries.size() > 1 ? ExportStrategy::kMultiSuitePlan : ExportStrategy::kSingleSuite;
}

// The run's/plan's name (the custom name, else the template, else the default template)
// and its description.
void NameAndDescribe(const ExportRequest& req, const std::vector<const ExportRunInput*>& unique,
                     const std::vector<RunCtx>& runs, ExportPlan& plan) {
  const ExportOptions& opts = req.options;
  if (opts.custom_name) {
    plan.name = *opts.custom_name;
  } else {
    NameContext ctx;
    ctx.project = opts.project_name;
    ctx.source = SourceLabel(req, unique);
    ctx.now = opts.now;
    ctx.count = plan.runs_processed;
    ctx.kind = req.source.kind;
    plan.name = ExpandNameTemplate(opts.name_template, ctx);
    if (plan.name.empty()) plan.name = ExpandNameTemplate(kDefaultNameTemplate, ctx);
  }
  plan.description = "Results exported from Nexus project " + Quote(OneLine(opts.project_name)) +
                     " (" + SourceLabel(req, unique) + ").";
  for (const RunCtx& rc : runs) {
    plan.description +=
        "\n- Run " + RunRef(rc.in->run.id) + " of test " + Quote(OneLine(rc.in->test.name));
    std::string url = RunUrl(opts, rc.in->run.id);
    if (!url.empty()) plan.description += ": " + url;
  }
}

}  // namespace

Result<ExportPlan> PlanExport(const ExportRequest& req) {
  NEXUS_RETURN_IF_ERROR(ValidateInput(req));
  ExportPlan plan;
  plan.export_type = req.source.kind;
  plan.milestone_id = req.options.milestone_id;
  const std::vector<const ExportRunInput*> unique = UniqueRuns(req, plan);
  Gathered g = GatherSources(req, unique, plan);
  DecideCases(req, g, plan);
  if (plan.entries.empty()) {
    plan.nothing_to_send = true;
    plan.nothing_to_send_reason =
        NothingToSendReason(plan, unique.size(), g.runs.size(), g.cases.size());
  }
  NameAndDescribe(req, unique, g.runs, plan);
  return plan;
}

// ---- Slices (issue 16).

void AppendPlanSlice(ExportPlan& whole, ExportPlan&& slice, bool first) {
  if (first) {
    std::vector<PlanEntry> entries = std::move(slice.entries);
    std::vector<SkippedCase> skipped = std::move(slice.skipped);
    const int total = slice.total_test_cases;
    whole = std::move(slice);
    whole.entries.clear();
    whole.skipped.clear();
    whole.total_test_cases = 0;
    slice = ExportPlan{};
    slice.entries = std::move(entries);
    slice.skipped = std::move(skipped);
    slice.total_test_cases = total;
  }
  if (slice.strategy == ExportStrategy::kMultiSuitePlan && !slice.entries.empty())
    whole.strategy = ExportStrategy::kMultiSuitePlan;
  for (PlanEntry& e : slice.entries) {
    auto key = [](const PlanEntry& x) { return std::tie(x.suite_id, x.config_ids); };
    auto it =
        std::lower_bound(whole.entries.begin(), whole.entries.end(), e,
                         [&](const PlanEntry& a, const PlanEntry& b) { return key(a) < key(b); });
    if (it == whole.entries.end() || key(*it) != key(e)) {
      whole.entries.insert(it, std::move(e));
      continue;
    }
    it->case_ids.insert(it->case_ids.end(), e.case_ids.begin(), e.case_ids.end());
    it->results.insert(it->results.end(), std::make_move_iterator(e.results.begin()),
                       std::make_move_iterator(e.results.end()));
  }
  whole.skipped.insert(whole.skipped.end(), std::make_move_iterator(slice.skipped.begin()),
                       std::make_move_iterator(slice.skipped.end()));
  whole.total_test_cases += slice.total_test_cases;
}

std::vector<int64_t> LinkedCaseIds(const std::vector<ExportRunInput>& runs) {
  std::vector<int64_t> ids;
  for (const auto& in : runs) {
    ids.insert(ids.end(), in.links.case_ids.begin(), in.links.case_ids.end());
    for (const auto& [step, cases] : in.links.step_case_ids)
      ids.insert(ids.end(), cases.begin(), cases.end());
  }
  SortUnique(ids);
  return ids;
}

std::vector<CaseRange> CaseSlices(const std::vector<int64_t>& case_ids, size_t per_slice) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  per_slice = std::max<size_t>(1, per_slice);
  std::vector<CaseRange> out;
  for (size_t i = 0; i < case_ids.size(); i += per_slice) {
    const size_t next = i + per_slice;
    out.push_back({i == 0 ? kMin : case_ids[i], next < case_ids.size() ? case_ids[next] : kMax});
  }
  if (out.empty()) out.push_back({kMin, kMax});
  return out;
}

void FinishSlicedPlan(ExportPlan& whole) {
  if (whole.entries.size() > 1) whole.strategy = ExportStrategy::kMultiSuitePlan;
  if (!whole.entries.empty()) {
    whole.nothing_to_send = false;
    whole.nothing_to_send_reason.clear();
    return;
  }
  whole.nothing_to_send = true;
  // Whole-request reasons (no runs, none finished, no mapped configuration) came with the
  // first slice; otherwise the joined skipped cases say why.
  if (whole.runs_processed > 0 && !whole.skipped.empty())
    whole.nothing_to_send_reason = SkippedCasesReason(whole.skipped);
}

// ---- Batching and fingerprints.

std::vector<std::span<const PlannedResult>> BatchResults(std::span<const PlannedResult> results,
                                                         size_t batch_size) {
  if (batch_size == 0) batch_size = 1;
  std::vector<std::span<const PlannedResult>> out;
  for (size_t i = 0; i < results.size(); i += batch_size)
    out.push_back(results.subspan(i, std::min(batch_size, results.size() - i)));
  return out;
}

namespace {

const PlannedResult& Deref(const PlannedResult& r) { return r; }
const PlannedResult& Deref(const PlannedResult* r) { return *r; }

template <typename Results>
std::string Fingerprint(const Results& results) {
  std::string buf;
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (const auto& item : results) {
    const PlannedResult& r = Deref(item);
    buf.clear();
    AppendU64(buf, static_cast<uint64_t>(r.case_id));
    AppendU64(buf, static_cast<uint64_t>(static_cast<int64_t>(r.status_id)));
    AppendField(buf, r.comment);
    AppendField(buf, r.elapsed);
    AppendField(buf, r.version);
    if (!r.extra_json.empty()) AppendField(buf, r.extra_json);
    for (char c : buf) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;  // FNV prime
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = kHex[h & 0xf];
  return out;
}

}  // namespace

std::string ResultsFingerprint(std::span<const PlannedResult> results) {
  return Fingerprint(results);
}

std::string ResultsFingerprint(std::span<const PlannedResult* const> results) {
  return Fingerprint(results);
}

}  // namespace nexus
