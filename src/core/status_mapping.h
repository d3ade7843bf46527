// Nexus outcome → TestRail status mapping (R-MAP-1..6). Pure value type: which TestRail
// status id a run result + bug label becomes, or "not reported" (nullopt).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace nexus {

// TestRail's system status ids.
inline constexpr int kTrPassed = 1;
inline constexpr int kTrBlocked = 2;
inline constexpr int kTrUntested = 3;
inline constexpr int kTrRetest = 4;
inline constexpr int kTrFailed = 5;

using StatusCell = std::optional<int>;  // nullopt = not reported

struct StatusMapping {
  enum class Mode { kBasic, kAdvanced };
  Mode mode = Mode::kBasic;
  // Basic mode (R-MAP-2): one status per bug label for Success, Stopped and MaxSteps; a run
  // whose result is Error is never reported in basic mode (R-MAP-4).
  std::map<BugLabel, StatusCell> basic;
  // Advanced mode (R-MAP-3): a label → status table per run result (Error included).
  std::map<RunResult, std::map<BugLabel, StatusCell>> advanced;

  // R-MAP-4: NoBug, LikelyNoBug → Passed; Undecided → Retest; LikelyBug, DefinitelyBug →
  // Failed; Error → not reported. Advanced tables start as copies of the basic one (Error
  // all not reported).
  static StatusMapping Defaults();

  // The status a run outcome maps to under the active mode; nullopt = not reported.
  StatusCell Resolve(RunResult result, BugLabel label) const;

  // Every cell names either nothing or a status in `known_status_ids`, and never
  // Untested (3). InvalidArgument naming the first offending cell as its field
  // ("basic.LikelyBug", "advanced.Stopped.NoBug").
  Status Validate(const std::vector<int>& known_status_ids) const;

  // Cells (of both modes) whose status is not in `known_status_ids` — a mapping that became
  // invalid after the instance changed (R-MAP-6). Paths as in Validate().
  std::vector<std::string> InvalidCells(const std::vector<int>& known_status_ids) const;

  bool operator==(const StatusMapping&) const = default;
};

std::string_view MappingModeName(StatusMapping::Mode m);  // "basic" | "advanced"

}  // namespace nexus
