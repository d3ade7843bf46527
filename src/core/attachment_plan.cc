// Attachment planning; see attachment_plan.h.
#include "core/attachment_plan.h"

#include <algorithm>
#include <cctype>

namespace nexus {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "shot.png" + " (run 7)" → "shot (run 7).png"; no extension → "shot (run 7)".
std::string WithTag(const std::string& name, const std::string& tag) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return name + tag;
  return name.substr(0, dot) + tag + name.substr(dot);
}

}  // namespace

std::string_view AttachModeName(AttachMode m) {
  switch (m) {
    case AttachMode::kNone:
      return "none";
    case AttachMode::kFailedOnly:
      return "failed";
    case AttachMode::kAll:
      return "all";
  }
  return "none";
}

std::optional<AttachMode> ParseAttachMode(std::string_view s) {
  if (s == "none") return AttachMode::kNone;
  if (s == "failed") return AttachMode::kFailedOnly;
  if (s == "all") return AttachMode::kAll;
  return std::nullopt;
}

nlohmann::json AttachmentPolicyToJson(const AttachmentPolicy& p) {
  return {
      {"mode", AttachModeName(p.mode)}, {"media_types", p.media_types}, {"max_bytes", p.max_bytes}};
}

Result<AttachmentPolicy> AttachmentPolicyFromJson(const nlohmann::json& j,
                                                  const AttachmentPolicy& base,
                                                  const std::vector<std::string>& known_types,
                                                  const std::string& path) {
  auto at = [&](std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  };
  if (!j.is_object())
    return InvalidArgument(path + " must be an object {mode, media_types, max_bytes}", path,
                           "invalid_type");
  for (const auto& [k, v] : j.items())
    if (k != "mode" && k != "media_types" && k != "max_bytes")
      return InvalidArgument("unknown field '" + k + "'", at(k), "unknown_field");
  AttachmentPolicy p = base;
  if (auto it = j.find("mode"); it != j.end()) {
    std::optional<AttachMode> m;
    if (it->is_string()) m = ParseAttachMode(it->get<std::string>());
    if (!m)
      return InvalidArgument(
          at("mode") + " must be one of none, failed, all (got " + it->dump() + ")", at("mode"),
          "invalid_value");
    p.mode = *m;
  }
  if (auto it = j.find("media_types"); it != j.end()) {
    if (!it->is_array() || it->size() > 20)
      return InvalidArgument(at("media_types") + " must be an array of at most 20 media types",
                             at("media_types"), "invalid_type");
    std::vector<std::string> types;
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& v = (*it)[i];
      const std::string field = at("media_types") + "[" + std::to_string(i) + "]";
      if (!v.is_string())
        return InvalidArgument(field + " must be a string", field, "invalid_type");
      const std::string t = Lower(v.get<std::string>());
      const size_t slash = t.find('/');
      bool ok = slash != std::string::npos && slash > 0 && slash + 1 < t.size() &&
                t.find_first_of(" ;,\"\\") == std::string::npos;
      if (ok && !known_types.empty()) {
        ok = false;
        const bool family = t.compare(slash, std::string::npos, "/*") == 0;
        for (const std::string& k : known_types) {
          const std::string kl = Lower(k);
          if (family ? kl.compare(0, slash + 1, t, 0, slash + 1) == 0 : kl == t) ok = true;
        }
      }
      if (!ok)
        return InvalidArgument(field + ": '" + v.get<std::string>() +
                                   "' is not a media type Nexus stores as an artifact",
                               field, "invalid_value");
      if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
    }
    p.media_types = std::move(types);
  }
  if (auto it = j.find("max_bytes"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > kTestRailMaxAttachmentBytes)
      return InvalidArgument(at("max_bytes") + " must be an integer from 1 to " +
                                 std::to_string(kTestRailMaxAttachmentBytes) +
                                 " (TestRail's 256 MB limit)",
                             at("max_bytes"), "invalid_value");
    p.max_bytes = it->get<int64_t>();
  }
  return p;
}

bool MediaTypeAllowed(const std::vector<std::string>& allowed, std::string_view media_type) {
  if (allowed.empty()) return true;
  std::string type = Lower(media_type.substr(0, media_type.find(';')));
  for (const std::string& a : allowed) {
    std::string pattern = Lower(a);
    if (pattern == type) return true;
    if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0 &&
        type.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0)
      return true;
  }
  return false;
}

AttachmentPlan PlanAttachments(const AttachmentPolicy& policy,
                               const std::vector<RunArtifacts>& runs,
                               const ResultStatusByRun& result_status) {
  AttachmentPlan plan;
  if (policy.mode == AttachMode::kNone) return plan;
  const int64_t cap = std::min(policy.max_bytes, kTestRailMaxAttachmentBytes);
  std::vector<const RunArtifacts*> ordered;
  for (const RunArtifacts& r : runs) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(),
            [](const RunArtifacts* a, const RunArtifacts* b) { return a->run_id < b->run_id; });

  auto wanted = [&](int64_t case_id, int64_t run_id) {
    auto it = result_status.find({case_id, run_id});
    if (it == result_status.end()) return false;
    return policy.mode == AttachMode::kAll || StatusSeverity(it->second) > StatusSeverity(1);
  };
  std::set<std::pair<int64_t, int64_t>> seen;  // (case, artifact)
  for (const RunArtifacts* run : ordered) {
    std::vector<ArtifactRef> artifacts = run->artifacts;
    std::sort(artifacts.begin(), artifacts.end(),
              [](const ArtifactRef& a, const ArtifactRef& b) { return a.id < b.id; });
    for (const ArtifactRef& a : artifacts) {
      std::set<int64_t> targets(run->links.case_ids.begin(), run->links.case_ids.end());
      if (a.step_id.empty()) {
        for (const auto& [step, cases] : run->links.step_case_ids)
          targets.insert(cases.begin(), cases.end());
      } else if (auto it = run->links.step_case_ids.find(a.step_id);
                 it != run->links.step_case_ids.end()) {
        targets.insert(it->second.begin(), it->second.end());
      }
      std::vector<int64_t> cases;
      for (int64_t c : targets)
        if (wanted(c, run->run_id) && !seen.count({c, a.id})) cases.push_back(c);
      if (cases.empty()) continue;
      if (!MediaTypeAllowed(policy.media_types, a.media_type)) {
        plan.skipped.push_back({run->run_id, a.id, a.name, "media_type_not_allowed"});
        continue;
      }
      if (a.size > cap) {
        plan.skipped.push_back({run->run_id, a.id, a.name, "too_large"});
        continue;
      }
      for (int64_t c : cases) {
        seen.insert({c, a.id});
        plan.items.push_back({c, run->run_id, a.id, a.name, a.media_type, a.size});
      }
    }
  }
  std::stable_sort(
      plan.items.begin(), plan.items.end(),
      [](const PlannedAttachment& x, const PlannedAttachment& y) { return x.case_id < y.case_id; });
  // Unique names per case (whichever configuration's result they go to).
  std::map<int64_t, std::vector<std::string>> names_by_case;
  for (PlannedAttachment& item : plan.items) {
    auto& names = names_by_case[item.case_id];
    auto taken = [&names](const std::string& n) {
      return std::find(names.begin(), names.end(), n) != names.end();
    };
    const std::string base = item.name;
    const std::string run_tag = " (run " + std::to_string(item.run_id);
    if (taken(item.name)) item.name = WithTag(base, run_tag + ")");
    for (int n = 2; taken(item.name); ++n)
      item.name = WithTag(base, run_tag + ", " + std::to_string(n) + ")");
    names.push_back(item.name);
    plan.names_by_result[{item.case_id, item.run_id}].push_back(item.name);
    plan.total_bytes += item.size;
  }
  return plan;
}

std::vector<std::string> AttachmentPlan::NamesFor(int64_t case_id,
                                                  const std::vector<int64_t>& run_ids) const {
  std::vector<std::string> out;
  for (int64_t run : run_ids)
    if (auto it = names_by_result.find({case_id, run}); it != names_by_result.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  return out;
}

std::string AttachmentCommentLine(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  std::string out = "Attachments: ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

int CountLanded(const std::vector<std::pair<std::string, int64_t>>& remote, std::string_view name,
                int64_t size) {
  int n = 0;
  for (const auto& [rname, rsize] : remote)
    if (rname == name && rsize == size) ++n;
  return n;
}

}  // namespace nexus
