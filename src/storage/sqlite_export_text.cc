// Text and JSON forms of the typed export records; see sqlite_export_text.h.
#include "storage/sqlite_export_text.h"

#include <nlohmann/json.hpp>

namespace nexus::sqlite_export_text {
namespace {
using Json = nlohmann::json;
}  // namespace

ExportSourceKind SourceKindFromText(std::string_view text) {
  for (ExportSourceKind k :
       {ExportSourceKind::kSingleRun, ExportSourceKind::kMultipleRuns, ExportSourceKind::kTestPlan})
    if (ExportSourceKindName(k) == text) return k;
  return ExportSourceKind::kSingleRun;
}

std::optional<ExportStrategy> StrategyFromText(std::string_view text) {
  for (ExportStrategy s : {ExportStrategy::kSingleSuite, ExportStrategy::kMultiSuitePlan})
    if (ExportStrategyName(s) == text) return s;
  return std::nullopt;  // "" before planning
}

std::string StrategyText(const std::optional<ExportStrategy>& s) {
  return s ? std::string(ExportStrategyName(*s)) : std::string();
}

std::string OptionsToJson(const ExportRunOptions& o) {
  Json j = {{"close_run_on_completion", o.close_run_on_completion},
            {"force_new_run", o.force_new_run},
            {"testrail_project_id", o.testrail_project_id}};
  if (o.custom_run_name) j["custom_run_name"] = *o.custom_run_name;
  return j.dump();
}

ExportRunOptions OptionsFromJson(const std::string& text) {
  ExportRunOptions o;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return o;
  auto flag = [&](const char* key, bool def) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : def;
  };
  o.close_run_on_completion = flag("close_run_on_completion", true);
  o.force_new_run = flag("force_new_run", true);
  if (auto it = j.find("testrail_project_id"); it != j.end() && it->is_number_integer())
    o.testrail_project_id = it->get<int64_t>();
  if (auto it = j.find("custom_run_name"); it != j.end() && it->is_string())
    o.custom_run_name = it->get<std::string>();
  return o;
}

std::string SkippedToJson(const std::vector<ExportSkip>& skipped) {
  Json out = Json::array();
  for (const auto& s : skipped)
    out.push_back({{"case_id", s.case_id}, {"reason", s.reason}, {"message", s.message}});
  return out.dump();
}

std::vector<ExportSkip> SkippedFromJson(const std::string& text) {
  std::vector<ExportSkip> out;
  Json in = Json::parse(text, nullptr, false);
  if (!in.is_array()) return out;
  for (const auto& s : in) {
    if (!s.is_object()) continue;
    out.push_back({s.value("case_id", int64_t{0}), s.value("reason", ""), s.value("message", "")});
  }
  return out;
}

std::string WarningsToJson(const std::vector<ExportWarning>& warnings) {
  Json out = Json::array();
  for (const auto& w : warnings) {
    Json jw = {{"type", w.type}, {"message", w.message}};
    if (w.run_id) jw["run_id"] = *w.run_id;
    out.push_back(std::move(jw));
  }
  return out.dump();
}

std::vector<ExportWarning> WarningsFromJson(const std::string& text) {
  std::vector<ExportWarning> out;
  Json in = Json::parse(text, nullptr, false);
  if (!in.is_array()) return out;
  for (const auto& w : in) {
    if (!w.is_object()) continue;
    ExportWarning x;
    x.type = w.value("type", "");
    x.message = w.value("message", "");
    if (auto it = w.find("run_id"); it != w.end() && it->is_number_integer())
      x.run_id = it->get<int64_t>();
    out.push_back(std::move(x));
  }
  return out;
}

struct StepKindText {
  ExportStepKind kind;
  std::string_view text;
};
constexpr StepKindText kStepKinds[] = {
    {ExportStepKind::kCreateIntent, "create_intent"},
    {ExportStepKind::kCreateDone, "create_done"},
    {ExportStepKind::kCreateAbsent, "create_absent"},
    {ExportStepKind::kBatchIntent, "batch_intent"},
    {ExportStepKind::kBatchDone, "batch_done"},
    {ExportStepKind::kReconciled, "reconciled"},
    {ExportStepKind::kCaseSkipped, "case_skipped"},
    {ExportStepKind::kCloseIntent, "close_intent"},
    {ExportStepKind::kCloseDone, "close_done"},
    {ExportStepKind::kNote, "note"},
    {ExportStepKind::kAttachIntent, "attach_intent"},
    {ExportStepKind::kAttachDone, "attach_done"},
    {ExportStepKind::kAttachRefused, "attach_refused"},
};

std::string_view StepKindName(ExportStepKind kind) {
  for (const auto& k : kStepKinds)
    if (k.kind == kind) return k.text;
  return "note";
}

// Unknown kinds read as notes (the executor ignores them, as it always has).
ExportStepKind StepKindFromText(std::string_view text) {
  for (const auto& k : kStepKinds)
    if (k.text == text) return k.kind;
  return ExportStepKind::kNote;
}

// The detail column of a step: the members its kind sets.
std::string StepDetailToJson(ExportStepKind kind, const ExportStepDetail& d) {
  switch (kind) {
    case ExportStepKind::kCreateIntent:
      return Json{{"name", d.name}, {"marker", d.marker}}.dump();
    case ExportStepKind::kCreateDone:
      return Json{{"runs", d.runs}, {"url", d.url}, {"name", d.name}}.dump();
    case ExportStepKind::kCaseSkipped:
      return Json{{"message", d.message}}.dump();
    case ExportStepKind::kReconciled:
      return Json{{"found", d.found.value_or(0)}}.dump();
    case ExportStepKind::kNote:
      return Json{{"what", d.what}}.dump();
    case ExportStepKind::kAttachIntent:
    case ExportStepKind::kAttachDone:
    case ExportStepKind::kAttachRefused: {
      Json j = {{"artifact_id", d.artifact_id},
                {"test_id", d.test_id},
                {"name", d.name},
                {"size", d.size}};
      if (!d.message.empty()) j["message"] = d.message;
      if (!d.what.empty()) j["what"] = d.what;
      return j.dump();
    }
    default:
      return "{}";
  }
}

ExportStepDetail StepDetailFromJson(const std::string& text) {
  ExportStepDetail d;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return d;
  auto str = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  d.name = str("name");
  d.marker = str("marker");
  d.url = str("url");
  d.message = str("message");
  d.what = str("what");
  if (auto it = j.find("runs"); it != j.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_number_integer()) d.runs.push_back(v.get<int64_t>());
  if (auto it = j.find("found"); it != j.end() && it->is_number_integer())
    d.found = it->get<int64_t>();
  auto num = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  d.artifact_id = num("artifact_id");
  d.test_id = num("test_id");
  d.size = num("size");
  return d;
}

static Json AttachmentsToJson(const std::vector<PlannedAttachment>& items) {
  Json out = Json::array();
  for (const auto& a : items)
    out.push_back({{"case_id", a.case_id},
                   {"run_id", a.run_id},
                   {"artifact_id", a.artifact_id},
                   {"name", a.name},
                   {"media_type", a.media_type},
                   {"size", a.size}});
  return out;
}

std::string AttachmentProgressToJson(const ExportAttachmentProgress& p) {
  if (p == ExportAttachmentProgress{}) return "{}";
  return Json{{"total", p.total},
              {"sent", p.sent},
              {"refused", p.refused},
              {"bytes_total", p.bytes_total},
              {"bytes_sent", p.bytes_sent}}
      .dump();
}

ExportAttachmentProgress AttachmentProgressFromJson(const std::string& text) {
  ExportAttachmentProgress p;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return p;
  auto num = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  p.total = static_cast<int>(num("total"));
  p.sent = static_cast<int>(num("sent"));
  p.refused = static_cast<int>(num("refused"));
  p.bytes_total = num("bytes_total");
  p.bytes_sent = num("bytes_sent");
  return p;
}

// The plan head as stored in exports.plan_json.
std::string PlanHeadToJson(const ExportPlanHead& head) {
  const ExportPlan& plan = head.plan;
  Json skipped = Json::array();
  for (const auto& s : plan.skipped)
    skipped.push_back({{"case_id", s.case_id},
                       {"reason", SkipReasonName(s.reason)},
                       {"message", s.message},
                       {"run_ids", s.run_ids}});
  Json warnings = Json::array();
  for (const auto& w : plan.warnings) {
    Json jw = {{"type", w.type}, {"message", w.message}};
    if (w.run_id) jw["run_id"] = *w.run_id;
    warnings.push_back(std::move(jw));
  }
  Json entries = Json::array();
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    Json je = {{"suite_id", plan.entries[i].suite_id},
               {"result_count", i < head.result_counts.size() ? head.result_counts[i] : 0}};
    // Issue 14: which configuration this entry's TestRail run has (only when it has one, so
    // heads written before configurations read the same).
    if (!plan.entries[i].config_ids.empty()) {
      je["config_ids"] = plan.entries[i].config_ids;
      je["config_label"] = plan.entries[i].config_label;
    }
    entries.push_back(std::move(je));
  }
  return Json{{"export_type", ExportSourceKindName(plan.export_type)},
              {"strategy", ExportStrategyName(plan.strategy)},
              {"name", plan.name},
              {"description", plan.description},
              {"milestone_id", plan.milestone_id ? Json(*plan.milestone_id) : Json(nullptr)},
              {"entries", std::move(entries)},
              {"skipped", std::move(skipped)},
              {"warnings", std::move(warnings)},
              {"runs_processed", plan.runs_processed},
              {"total_test_cases", plan.total_test_cases},
              {"nothing_to_send", plan.nothing_to_send},
              {"nothing_to_send_reason", plan.nothing_to_send_reason},
              {"attachments", AttachmentsToJson(head.attachments)}}
      .dump();
}

// The plan head of exports.plan_json; an error text when it cannot be read.
Result<ExportPlanHead> PlanHeadFromJson(const std::string& text) {
  try {
    const Json j = Json::parse(text, nullptr, false);
    ExportPlanHead head;
    ExportPlan& p = head.plan;
    p.export_type = SourceKindFromText(j.at("export_type").get<std::string>());
    p.strategy = StrategyFromText(j.at("strategy").get<std::string>())
                     .value_or(ExportStrategy::kSingleSuite);
    p.name = j.at("name").get<std::string>();
    p.description = j.at("description").get<std::string>();
    if (!j.at("milestone_id").is_null()) p.milestone_id = j.at("milestone_id").get<int64_t>();
    for (const auto& je : j.at("entries")) {
      PlanEntry e;
      e.suite_id = je.at("suite_id").get<int64_t>();
      if (je.contains("config_ids")) {
        e.config_ids = je.at("config_ids").get<std::vector<int64_t>>();
        e.config_label = je.value("config_label", std::string());
      }
      p.entries.push_back(std::move(e));
      head.result_counts.push_back(je.value("result_count", size_t{0}));
    }
    for (const auto& js : j.at("skipped")) {
      SkippedCase s;
      s.case_id = js.at("case_id").get<int64_t>();
      std::string reason = js.at("reason").get<std::string>();
      for (auto r :
           {SkipReason::kNotReported, SkipReason::kCaseDeleted, SkipReason::kSuiteNotSelected,
            SkipReason::kNotInCatalog, SkipReason::kRunNotFinished})
        if (SkipReasonName(r) == reason) s.reason = r;
      s.message = js.at("message").get<std::string>();
      s.run_ids = js.at("run_ids").get<std::vector<int64_t>>();
      p.skipped.push_back(std::move(s));
    }
    for (const auto& jw : j.at("warnings")) {
      ExportWarning w;
      w.type = jw.at("type").get<std::string>();
      w.message = jw.at("message").get<std::string>();
      if (jw.contains("run_id")) w.run_id = jw.at("run_id").get<int64_t>();
      p.warnings.push_back(std::move(w));
    }
    p.runs_processed = j.at("runs_processed").get<int>();
    p.total_test_cases = j.at("total_test_cases").get<int>();
    p.nothing_to_send = j.at("nothing_to_send").get<bool>();
    p.nothing_to_send_reason = j.at("nothing_to_send_reason").get<std::string>();
    if (auto it = j.find("attachments"); it != j.end())  // issue 17; older heads have none
      for (const auto& ja : *it)
        head.attachments.push_back(PlannedAttachment{
            ja.at("case_id").get<int64_t>(), ja.at("run_id").get<int64_t>(),
            ja.at("artifact_id").get<int64_t>(), ja.at("name").get<std::string>(),
            ja.at("media_type").get<std::string>(), ja.at("size").get<int64_t>()});
    return head;
  } catch (const std::exception& e) {
    return Internal(std::string("unreadable export plan snapshot: ") + e.what());
  }
}

}  // namespace nexus::sqlite_export_text
