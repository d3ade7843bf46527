// Domain types of the Nexus host model (product.md section 2): users, projects, roles and
// permissions, tests with steps, runs, plans and executions. Plain values; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace nexus {

// Timestamps are milliseconds since the UNIX epoch (UTC) everywhere inside Nexus.
using TimeMs = int64_t;

// ---- Run outcomes (R-MAP-1). Wire names are exactly the product's: "Success", ...
enum class RunResult { kSuccess, kStopped, kMaxSteps, kError };
enum class BugLabel { kNoBug, kLikelyNoBug, kUndecided, kLikelyBug, kDefinitelyBug };

inline constexpr RunResult kAllRunResults[] = {RunResult::kSuccess, RunResult::kStopped,
                                               RunResult::kMaxSteps, RunResult::kError};
inline constexpr BugLabel kAllBugLabels[] = {BugLabel::kNoBug, BugLabel::kLikelyNoBug,
                                             BugLabel::kUndecided, BugLabel::kLikelyBug,
                                             BugLabel::kDefinitelyBug};

std::string_view RunResultName(RunResult r);
std::optional<RunResult> ParseRunResult(std::string_view s);
std::string_view BugLabelName(BugLabel l);
std::optional<BugLabel> ParseBugLabel(std::string_view s);

// ---- Roles and permissions (product.md section 2).
enum class ProjectRole { kAdmin, kConfigManager, kEditor, kOperator, kViewer };
inline constexpr ProjectRole kAllProjectRoles[] = {ProjectRole::kAdmin, ProjectRole::kConfigManager,
                                                   ProjectRole::kEditor, ProjectRole::kOperator,
                                                   ProjectRole::kViewer};
std::string_view ProjectRoleName(ProjectRole r);  // "admin", "config-manager", ...
std::optional<ProjectRole> ParseProjectRole(std::string_view s);

enum class Permission {
  kProjectAdmin,  // project:admin
  kEditConfigs,   // project:edit-configs
  kEditTests,     // project:edit-tests
  kReadRuns,      // project:read-runs
  kOperateRuns,   // project:operate-runs
};
std::string_view PermissionName(Permission p);  // "project:edit-configs", ...

// True when `role` grants `p`. Org admins hold every permission on every project; that
// rule lives in auth/, which knows the user.
bool RoleGrants(ProjectRole role, Permission p);

// ---- Entities.
struct User {
  int64_t id = 0;
  std::string email;  // unique, stored lower-case
  std::string name;
  bool org_admin = false;
  std::string password_hash;  // libsodium crypto_pwhash_str (argon2id) string
  TimeMs created_at = 0;
};

struct ApiToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string token_hash;  // hex SHA-256 of the secret token; the token itself is never stored
  TimeMs created_at = 0;
  std::optional<TimeMs> last_used_at;
};

struct Session {
  std::string id_hash;  // hex SHA-256 of the cookie value
  int64_t user_id = 0;
  std::string csrf_token;
  TimeMs created_at = 0;
  TimeMs expires_at = 0;
};

struct Project {
  int64_t id = 0;
  std::string name;
  TimeMs created_at = 0;
  std::vector<std::string> features;  // enabled feature flags, e.g. "testrail" (R-FLAG)
  bool HasFeature(std::string_view f) const {
    for (const auto& x : features)
      if (x == f) return true;
    return false;
  }
};

struct Membership {
  int64_t project_id = 0;
  int64_t user_id = 0;
  ProjectRole role = ProjectRole::kViewer;
};

struct Step {
  std::string id;  // stable id ("st_…"), survives re-ordering and edits
  std::string goal;
  std::vector<std::string> expected_results;
};

struct Test {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  std::vector<std::string> tags;
  int64_t version = 1;  // bumped on every update (optimistic concurrency)
  std::vector<Step> steps;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

struct Bug {
  std::string title;
  std::string description;
  std::string severity;
  std::string step_id;  // empty when not tied to a step
};

struct StepOutcome {
  std::string step_id;
  RunResult result = RunResult::kSuccess;
  BugLabel bug_label = BugLabel::kNoBug;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
  std::string comment;
};

// A run's attributes, ordered by key so two equal sets compare and serialise the same.
using RunAttributes = std::map<std::string, std::string>;

// Limits on run attributes (R-RUN): keys 1..64 characters of [A-Za-z0-9_.-], values 1..250
// characters without control characters, at most 32 pairs. InvalidArgument with field
// "<field>.<key>" (or "<field>") naming the offending key.
inline constexpr size_t kMaxRunAttributes = 32;
Status CheckRunAttributes(const RunAttributes& attributes, std::string_view field);

struct Run {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t test_id = 0;
  int64_t test_version = 0;
  RunResult result = RunResult::kSuccess;
  BugLabel bug_label = BugLabel::kNoBug;
  TimeMs started_at = 0;
  std::optional<TimeMs> finished_at;  // unset while the run is still going
  std::string build;
  std::string summary;
  std::vector<Bug> bugs;
  std::vector<StepOutcome> steps;
  std::optional<int64_t> execution_id;
  // Free key -> value pairs (platform=PS5, device=…) set by whoever records the run or a CI
  // import; exports map them to TestRail configurations. Sorted by key; limits in
  // CheckRunAttributes.
  RunAttributes attributes;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;  // last change (e.g. re-labelling), for "changed since export"
  bool finished() const { return finished_at.has_value(); }
};

struct TestPlan {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  std::vector<int64_t> test_ids;
  TimeMs created_at = 0;
};

enum class ExecutionState { kQueued, kInProgress, kCompleted };
std::string_view ExecutionStateName(ExecutionState s);  // "queued", "in_progress", "completed"

struct Execution {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t plan_id = 0;
  std::vector<int64_t> test_ids;  // snapshot of the plan's tests at launch
  ExecutionState state = ExecutionState::kQueued;
  TimeMs created_at = 0;
  std::optional<TimeMs> completed_at;
};

// An execution is complete when every test of it has a finished run (section 2).
ExecutionState ComputeExecutionState(const std::vector<int64_t>& test_ids,
                                     const std::vector<Run>& runs);

}  // namespace nexus
