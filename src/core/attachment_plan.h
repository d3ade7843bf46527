// Attachment planning for TestRail exports (issue 17, R-ART): which run artifacts go to the
// TestRail result of which case, under the project's (or the export's) attachment policy.
// Pure: no I/O, no clock. The export executor sends exactly these items after the results
// landed; a dry run lists them. Kept apart from export_planner.h so the result plan and its
// tests stay untouched by attachments.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/export_planner.h"
#include "core/status.h"

namespace nexus {

// TestRail's per-file attachment limit.
inline constexpr int64_t kTestRailMaxAttachmentBytes = int64_t{256} << 20;

enum class AttachMode { kNone, kFailedOnly, kAll };
std::string_view AttachModeName(AttachMode m);  // "none", "failed", "all"
std::optional<AttachMode> ParseAttachMode(std::string_view s);

struct AttachmentPolicy {
  AttachMode mode = AttachMode::kNone;
  // Allowed media types: exact ("text/plain") or a whole family ("image/*"); empty = every
  // type Nexus stores.
  std::vector<std::string> media_types = {};
  // Per attachment; larger ones are skipped ("too_large"). Capped at TestRail's 256 MB.
  int64_t max_bytes = kTestRailMaxAttachmentBytes;
  bool operator==(const AttachmentPolicy&) const = default;
};

// The policy's JSON form (Configs → TestRail → Export options, the export request's override,
// testrail_configs.attachment_policy_json): {"mode": "none"|"failed"|"all", "media_types":
// ["image/*", "text/plain"], "max_bytes": N}.
nlohmann::json AttachmentPolicyToJson(const AttachmentPolicy& p);
// Strict reading of `j` over `base` (absent members keep base's value): an object with only
// mode / media_types / max_bytes; mode one of the three names; media_types at most 20 strings,
// each one of `known_types` (exact) or the family ("image/*") of one of them, case-insensitive
// (an empty `known_types` accepts any "type/subtype"); max_bytes 1 … 256 MiB. InvalidArgument
// naming the offending path (`path` + ".mode", ".media_types[2]", ".max_bytes") and
// reason invalid_value / invalid_type / unknown_field.
Result<AttachmentPolicy> AttachmentPolicyFromJson(const nlohmann::json& j,
                                                  const AttachmentPolicy& base,
                                                  const std::vector<std::string>& known_types,
                                                  const std::string& path);

// One stored artifact of a run, as the planner needs it.
struct ArtifactRef {
  int64_t id = 0;
  std::string name;
  std::string media_type;
  int64_t size = 0;
  std::string step_id;  // "" = the run as a whole
};

// A run of the export with its test's links and its artifacts.
struct RunArtifacts {
  int64_t run_id = 0;
  TestLinks links;
  std::vector<ArtifactRef> artifacts;
};

// One upload: artifact → the TestRail result of `case_id`. `name` is what TestRail shows:
// the artifact's name, made unique among the case's attachments by " (run N)" before the
// extension when two runs of the export bring the same name (reconciliation matches on name
// and size, so names must not repeat on one case).
struct PlannedAttachment {
  int64_t case_id = 0;
  int64_t run_id = 0;
  int64_t artifact_id = 0;
  std::string name;
  std::string media_type;
  int64_t size = 0;
};

struct SkippedAttachment {
  int64_t run_id = 0;
  int64_t artifact_id = 0;
  std::string name;
  std::string reason;  // "media_type_not_allowed", "too_large"
};

struct AttachmentPlan {
  std::vector<PlannedAttachment> items;  // by case id, then run id, then artifact id
  std::vector<SkippedAttachment> skipped;
  int64_t total_bytes = 0;
  // Names per (case, run) in upload order, for the comment of the result that run reports
  // to (AttachmentCommentLine). Unique per case across the export.
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> names_by_result;
  // The names of the result of `case_id` that the runs `run_ids` report to, in order.
  std::vector<std::string> NamesFor(int64_t case_id, const std::vector<int64_t>& run_ids) const;
};

// The TestRail status id of each exported result, by (case, Nexus run reporting to it). With
// configurations (issue 14) one case has a result per configuration, each fed by its own runs:
// a run's artifacts go to the result that run reports to, and kFailedOnly judges that result.
using ResultStatusByRun = std::map<std::pair<int64_t, int64_t>, int>;

// `result_status`: see ResultStatusByRun; (case, run) pairs absent from it are not part of the
// export and get nothing. Targets: a step's artifact goes to the cases linked to that step and
// to the test-level cases; a run-level artifact (no step) to every case the run reports to.
// kFailedOnly keeps results whose status is worse than Passed (StatusSeverity: failed, blocked,
// retest, custom). Each (case, artifact) pair once.
AttachmentPlan PlanAttachments(const AttachmentPolicy& policy,
                               const std::vector<RunArtifacts>& runs,
                               const ResultStatusByRun& result_status);

// Whether `media_type` passes `allowed` (exact or "family/*", case-insensitive; empty list:
// everything).
bool MediaTypeAllowed(const std::vector<std::string>& allowed, std::string_view media_type);

// "Attachments: step-1.png, step-2.png, agent.log" — the line the result comment carries; ""
// for no names.
std::string AttachmentCommentLine(const std::vector<std::string>& names);

// Reconciliation after a crash or an ambiguous answer: how many attachments named `name` with
// `size` bytes the case's TestRail test already has (from get_attachments_for_test), so a
// journalled upload is re-sent only when fewer are there than Nexus meant to send.
int CountLanded(const std::vector<std::pair<std::string, int64_t>>& remote, std::string_view name,
                int64_t size);

}  // namespace nexus
