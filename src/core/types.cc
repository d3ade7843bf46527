// Names of the domain enums and the role → permission table.
#include "core/types.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace nexus {

std::string_view RunResultName(RunResult r) {
  switch (r) {
    case RunResult::kSuccess:
      return "Success";
    case RunResult::kStopped:
      return "Stopped";
    case RunResult::kMaxSteps:
      return "MaxSteps";
    case RunResult::kError:
      return "Error";
  }
  return "";
}

std::optional<RunResult> ParseRunResult(std::string_view s) {
  for (RunResult r : kAllRunResults)
    if (RunResultName(r) == s) return r;
  return std::nullopt;
}

std::string_view BugLabelName(BugLabel l) {
  switch (l) {
    case BugLabel::kNoBug:
      return "NoBug";
    case BugLabel::kLikelyNoBug:
      return "LikelyNoBug";
    case BugLabel::kUndecided:
      return "Undecided";
    case BugLabel::kLikelyBug:
      return "LikelyBug";
    case BugLabel::kDefinitelyBug:
      return "DefinitelyBug";
  }
  return "";
}

std::optional<BugLabel> ParseBugLabel(std::string_view s) {
  for (BugLabel l : kAllBugLabels)
    if (BugLabelName(l) == s) return l;
  return std::nullopt;
}

std::string_view ProjectRoleName(ProjectRole r) {
  switch (r) {
    case ProjectRole::kAdmin:
      return "admin";
    case ProjectRole::kConfigManager:
      return "config-manager";
    case ProjectRole::kEditor:
      return "editor";
    case ProjectRole::kOperator:
      return "operator";
    case ProjectRole::kViewer:
      return "viewer";
  }
  return "";
}

std::optional<ProjectRole> ParseProjectRole(std::string_view s) {
  for (ProjectRole r : kAllProjectRoles)
    if (ProjectRoleName(r) == s) return r;
  return std::nullopt;
}

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kProjectAdmin:
      return "project:admin";
    case Permission::kEditConfigs:
      return "project:edit-configs";
    case Permission::kEditTests:
      return "project:edit-tests";
    case Permission::kReadRuns:
      return "project:read-runs";
    case Permission::kOperateRuns:
      return "project:operate-runs";
  }
  return "";
}

bool RoleGrants(ProjectRole role, Permission p) {
  switch (role) {
    case ProjectRole::kAdmin:
      return true;
    case ProjectRole::kConfigManager:
      return p == Permission::kEditConfigs || p == Permission::kEditTests ||
             p == Permission::kReadRuns;
    case ProjectRole::kEditor:
      return p == Permission::kEditTests || p == Permission::kReadRuns;
    case ProjectRole::kOperator:
      return p == Permission::kOperateRuns || p == Permission::kReadRuns;
    case ProjectRole::kViewer:
      return p == Permission::kReadRuns;
  }
  return false;
}

std::string_view ExecutionStateName(ExecutionState s) {
  switch (s) {
    case ExecutionState::kQueued:
      return "queued";
    case ExecutionState::kInProgress:
      return "in_progress";
    case ExecutionState::kCompleted:
      return "completed";
  }
  return "";
}

ExecutionState ComputeExecutionState(const std::vector<int64_t>& test_ids,
                                     const std::vector<Run>& runs) {
  if (runs.empty()) return ExecutionState::kQueued;
  std::set<int64_t> finished;
  for (const Run& r : runs)
    if (r.finished()) finished.insert(r.test_id);
  bool all = !test_ids.empty() && std::all_of(test_ids.begin(), test_ids.end(),
                                              [&](int64_t t) { return finished.count(t) > 0; });
  return all ? ExecutionState::kCompleted : ExecutionState::kInProgress;
}

Status CheckRunAttributes(const RunAttributes& attributes, std::string_view field) {
  if (attributes.size() > kMaxRunAttributes)
    return InvalidArgument("a run has at most " + std::to_string(kMaxRunAttributes) +
                               " attributes; got " + std::to_string(attributes.size()),
                           std::string(field), "too_many");
  for (const auto& [key, value] : attributes) {
    std::string where = std::string(field) + "." + key;
    bool key_ok = !key.empty() && key.size() <= 64 &&
                  std::all_of(key.begin(), key.end(), [](unsigned char ch) {
                    return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
                  });
    if (!key_ok)
      return InvalidArgument(
          "attribute names are 1-64 characters of letters, digits, '_', "
          "'.' and '-'",
          key.size() <= 64 ? where : std::string(field), "invalid_value");
    if (value.empty() || value.size() > 250)
      return InvalidArgument("attribute " + key + " must have a value of 1-250 characters", where,
                             "invalid_value");
    if (std::any_of(value.begin(), value.end(),
                    [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
      return InvalidArgument("attribute " + key + " contains a control character", where,
                             "invalid_value");
  }
  return Status::Ok();
}

}  // namespace nexus
