// Status mapping defaults, resolution and validation.
#include "core/status_mapping.h"

#include <algorithm>

namespace nexus {
namespace {

std::map<BugLabel, StatusCell> DefaultLabels() {
  return {{BugLabel::kNoBug, kTrPassed},
          {BugLabel::kLikelyNoBug, kTrPassed},
          {BugLabel::kUndecided, kTrRetest},
          {BugLabel::kLikelyBug, kTrFailed},
          {BugLabel::kDefinitelyBug, kTrFailed}};
}

StatusCell Lookup(const std::map<BugLabel, StatusCell>& table, BugLabel label) {
  auto it = table.find(label);
  return it == table.end() ? std::nullopt : it->second;
}

template <typename Fn>
void ForEachCell(const StatusMapping& m, Fn fn) {
  for (BugLabel l : kAllBugLabels) fn("basic." + std::string(BugLabelName(l)), Lookup(m.basic, l));
  for (RunResult r : kAllRunResults) {
    auto it = m.advanced.find(r);
    for (BugLabel l : kAllBugLabels)
      fn("advanced." + std::string(RunResultName(r)) + "." + std::string(BugLabelName(l)),
         it == m.advanced.end() ? std::nullopt : Lookup(it->second, l));
  }
}

}  // namespace

StatusMapping StatusMapping::Defaults() {
  StatusMapping m;
  m.basic = DefaultLabels();
  for (RunResult r : kAllRunResults) {
    if (r == RunResult::kError) {
      for (BugLabel l : kAllBugLabels) m.advanced[r][l] = std::nullopt;
    } else {
      m.advanced[r] = DefaultLabels();
    }
  }
  return m;
}

StatusCell StatusMapping::Resolve(RunResult result, BugLabel label) const {
  if (mode == Mode::kBasic) {
    if (result == RunResult::kError) return std::nullopt;
    return Lookup(basic, label);
  }
  auto it = advanced.find(result);
  return it == advanced.end() ? std::nullopt : Lookup(it->second, label);
}

Status StatusMapping::Validate(const std::vector<int>& known) const {
  Status first;
  ForEachCell(*this, [&](const std::string& path, StatusCell cell) {
    if (!first.ok() || !cell) return;
    if (*cell == kTrUntested) {
      first =
          InvalidArgument(path + ": Untested (3) cannot be a target status; TestRail rejects it",
                          path, "invalid_status");
    } else if (std::find(known.begin(), known.end(), *cell) == known.end()) {
      first = InvalidArgument(
          path + ": status " + std::to_string(*cell) + " does not exist on the TestRail instance",
          path, "unknown_status");
    }
  });
  return first;
}

std::vector<std::string> StatusMapping::InvalidCells(const std::vector<int>& known) const {
  std::vector<std::string> out;
  ForEachCell(*this, [&](const std::string& path, StatusCell cell) {
    if (cell &&
        (*cell == kTrUntested || std::find(known.begin(), known.end(), *cell) == known.end()))
      out.push_back(path);
  });
  return out;
}

std::string_view MappingModeName(StatusMapping::Mode m) {
  return m == StatusMapping::Mode::kBasic ? "basic" : "advanced";
}

}  // namespace nexus
