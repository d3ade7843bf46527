// Export REST routes: visibility → feature flag → permission → strict body → service.
#include "api/export_routes.h"

#include "api/route_util.h"
#include "core/time_util.h"

namespace nexus::api {
namespace {

using integration::ExportService;

Json OptTime(const std::optional<TimeMs>& t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }
Json OptId(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }
Json OptText(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json SkippedCases(const std::vector<ExportSkip>& skipped) {
  Json out = Json::array();
  for (const auto& s : skipped)
    out.push_back({{"case_id", s.case_id}, {"reason", s.reason}, {"message", s.message}});
  return out;
}

Json Warnings(const std::vector<ExportWarning>& warnings) {
  Json out = Json::array();
  for (const auto& w : warnings) {
    Json jw = {{"type", w.type}, {"message", w.message}};
    if (w.run_id) jw["run_id"] = *w.run_id;
    out.push_back(std::move(jw));
  }
  return out;
}

class ExportApi {
 public:
  ExportApi(auth::AuthService& auth, ExportService& exports) : auth_(auth), exports_(exports) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (ExportApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    const std::string base = "/api/v1/projects/{p}/testrail/exports";
    s.Route("POST", base, bind(&ExportApi::Post));
    s.Route("GET", base, bind(&ExportApi::List));
    s.Route("GET", base + "/{e}", bind(&ExportApi::Detail));
    s.Route("GET", "/api/v1/projects/{p}/runs/{r}/testrail", bind(&ExportApi::RunSync));
    s.Route("GET", "/api/v1/projects/{p}/testrail/run-sync", bind(&ExportApi::RunSyncBatch));
  }

 private:
  Result<Reply> Post(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(
        b, {"run_id", "run_ids", "execution_id", "custom_run_name", "close_run_on_completion",
            "force_new_run", "dry_run", "wait", "milestone_id", "attachments"}));
    integration::StartExportRequest req;
    req.project_id = p;
    req.user_id = c.Who().user.id;
    // JSON shape only: the export rules (one source, 1–100 runs, the name's limits) are the
    // service's (integration::ValidateExportSource, ValidateCustomRunName).
    NEXUS_ASSIGN_OR_RETURN(req.source.run_id, OptInt(b, "run_id", ""));
    if (b.contains("run_ids") && !b["run_ids"].is_null()) {
      NEXUS_ASSIGN_OR_RETURN(req.source.run_ids, ReqIntArray(b, "run_ids", "", 0, SIZE_MAX));
    }
    NEXUS_ASSIGN_OR_RETURN(req.source.execution_id, OptInt(b, "execution_id", ""));
    NEXUS_ASSIGN_OR_RETURN(req.custom_run_name,
                           OptString(b, "custom_run_name", "", {0, SIZE_MAX, false}));
    NEXUS_ASSIGN_OR_RETURN(req.close_run_on_completion, OptBool(b, "close_run_on_completion", ""));
    NEXUS_ASSIGN_OR_RETURN(req.milestone_id, OptInt(b, "milestone_id", "", 1));
    // Issue 17: over the project's attachment policy; validated by the service.
    if (b.contains("attachments") && !b["attachments"].is_null())
      req.attachments = b["attachments"];
    NEXUS_ASSIGN_OR_RETURN(auto force, OptBool(b, "force_new_run", ""));
    NEXUS_ASSIGN_OR_RETURN(auto dry, OptBool(b, "dry_run", ""));
    NEXUS_ASSIGN_OR_RETURN(auto wait, OptBool(b, "wait", ""));
    req.force_new_run = force.value_or(true);
    req.dry_run = dry.value_or(false);
    req.wait = wait.value_or(true);
    NEXUS_ASSIGN_OR_RETURN(auto view, exports_.StartExport(req));
    const bool accepted =
        !req.wait && !view.dry_run && !view.already_exported && view.record.active();
    return Reply{accepted ? 202 : 200, ExportJson(view)};
  }

  Result<Reply> List(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto limit, QueryInt(c.Query("limit"), "limit", 1, 200));
    NEXUS_ASSIGN_OR_RETURN(auto cursor, QueryInt(c.Query("cursor"), "cursor", 1, INT64_MAX));
    const int lim = static_cast<int>(limit.value_or(50));
    NEXUS_ASSIGN_OR_RETURN(auto rows, exports_.List(p, cursor.value_or(0), lim));
    Json items = Json::array();
    for (const auto& v : rows) items.push_back(ExportJson(v));
    Json next = nullptr;
    if (static_cast<int>(rows.size()) == lim && !items.empty())
      next = std::to_string(items.back()["id"].get<int64_t>());
    return Reply{200, {{"items", std::move(items)}, {"next_cursor", next}}};
  }

  Result<Reply> Detail(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto v, exports_.Get(p, c.Id(1)));
    return Reply{200, ExportJson(v)};
  }

  Result<Reply> RunSync(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto v, exports_.RunSyncStatus(p, c.Id(1)));
    return Reply{200, RunSyncJson(v)};
  }

  // ?run_ids=1,2,3: the sync status of up to 100 runs in one request (a page of the Runs
  // list), in the order asked.
  Result<Reply> RunSyncBatch(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ParseRunIds(c.Query("run_ids")));
    Json items = Json::array();
    for (int64_t id : ids) {
      NEXUS_ASSIGN_OR_RETURN(auto v, exports_.RunSyncStatus(p, id));
      items.push_back(RunSyncJson(v));
    }
    return Reply{200, {{"items", std::move(items)}}};
  }

  static Result<std::vector<int64_t>> ParseRunIds(const std::string& text) {
    constexpr size_t kMax = 100;
    auto bad = [&](const std::string& why) -> Status {
      return Status(StatusCode::kInvalidArgument, "run_ids " + why, "run_ids", "invalid_value");
    };
    if (text.empty()) return bad("is required: comma-separated run ids, 1 to 100 of them");
    std::vector<int64_t> ids;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find(',', pos);
      if (end == std::string::npos) end = text.size();
      std::string item = text.substr(pos, end - pos);
      if (item.empty() || item.size() > 18 ||
          item.find_first_not_of("0123456789") != std::string::npos || item[0] == '0')
        return bad("must be positive integers separated by commas ('" + item.substr(0, 20) +
                   "' is not)");
      ids.push_back(std::stoll(item));
      if (ids.size() > kMax) return bad("holds more than 100 ids");
      pos = end + 1;
    }
    return ids;
  }

  auth::AuthService& auth_;
  ExportService& exports_;
};

}  // namespace

Json ExportJson(const integration::ExportView& v) {
  const ExportRecord& r = v.record;
  const bool success = v.dry_run ? r.error_code.empty() : r.succeeded();
  Json source = Json::object();
  if (r.source_kind == ExportSourceKind::kTestPlan)
    source["execution_id"] = r.source_ids.empty() ? Json(nullptr) : Json(r.source_ids[0]);
  else
    source["run_ids"] = r.source_ids;
  Json j = {
      {"id", v.dry_run ? Json(nullptr) : Json(r.id)},
      {"state", v.dry_run ? std::string("dry_run") : std::string(ExportStateName(r.state))},
      {"success", success},
      {"dry_run", v.dry_run},
      {"export_type", ExportSourceKindName(r.source_kind)},
      {"export_trigger", ExportTriggerName(r.trigger)},
      {"export_strategy", r.strategy ? Json(ExportStrategyName(*r.strategy)) : Json(nullptr)},
      {"source", source},
      {"runs_processed", r.runs_processed},
      {"total_test_cases", r.total_test_cases},
      {"results_sent", r.results_sent},
      // Issue 17: uploads of run artifacts to the results (all 0 without attachments).
      {"attachments",
       {{"total", r.attachments.total},
        {"sent", r.attachments.sent},
        {"refused", r.attachments.refused},
        {"bytes_total", r.attachments.bytes_total},
        {"bytes_sent", r.attachments.bytes_sent}}},
      {"skipped_cases", SkippedCases(r.skipped)},
      {"warnings", Warnings(r.warnings)},
      {"error", OptText(r.error)},
      {"error_code", OptText(r.error_code)},
      {"export_duration_ms", OptId(r.duration_ms)},
      {"testrail_run_id", OptId(r.testrail_run_id)},
      {"testrail_plan_id", OptId(r.testrail_plan_id)},
      {"testrail_name", OptText(r.testrail_name)},
      {"testrail_url", OptText(r.testrail_url)},
      {"already_exported", v.already_exported},
      {"attempts", r.attempts},
      {"created_by", OptId(r.created_by)},
      {"created_by_name", v.created_by_name.empty() ? Json(nullptr) : Json(v.created_by_name)},
      {"created_at", v.dry_run ? Json(nullptr) : Json(FormatRfc3339(r.created_at))},
      {"started_at", OptTime(r.started_at)},
      {"finished_at", OptTime(r.finished_at)}};
  if (v.preview) {
    Json entries = Json::array();
    for (const auto& e : v.preview->entries) {
      Json cases = Json::array();
      for (const auto& c : e.results)
        cases.push_back(
            {{"case_id", c.case_id},
             {"status_id", c.status_id},
             {"comment", c.comment},
             {"elapsed", OptText(c.elapsed)},
             {"version", OptText(c.version)},
             // Custom field values, assignedto_id, step results (issue 14).
             {"fields",
              c.extra_json.empty() ? Json::object() : Json::parse(c.extra_json, nullptr, false)},
             {"run_ids", c.run_ids}});
      // Issue 14: the TestRail configuration of this entry's run (a plan run per
      // configuration combination); empty ids and a null label without configurations.
      entries.push_back({{"suite_id", e.suite_id},
                         {"config_ids", e.config_ids},
                         {"config_label", OptText(e.config_label)},
                         {"cases", std::move(cases)}});
    }
    j["preview"] = {{"name", v.preview->name},
                    {"description", v.preview->description},
                    {"milestone_id", OptId(v.preview->milestone_id)},
                    {"entries", std::move(entries)}};
    // Issue 17: what would be attached to which case's result, and what the policy leaves out.
    Json attach = Json::array();
    for (const auto& a : v.preview_attachments)
      attach.push_back({{"case_id", a.case_id},
                        {"run_id", a.run_id},
                        {"artifact_id", a.artifact_id},
                        {"name", a.name},
                        {"media_type", a.media_type},
                        {"size", a.size}});
    Json left_out = Json::array();
    for (const auto& a : v.preview_attachments_skipped)
      left_out.push_back({{"run_id", a.run_id},
                          {"artifact_id", a.artifact_id},
                          {"name", a.name},
                          {"reason", a.reason}});
    j["preview"]["attachments"] = std::move(attach);
    j["preview"]["attachments_skipped"] = std::move(left_out);
  }
  return j;
}

namespace {

std::string_view RunSyncStateName(integration::RunSyncState s) {
  switch (s) {
    case integration::RunSyncState::kNotExported:
      return "not_exported";
    case integration::RunSyncState::kInProgress:
      return "in_progress";
    case integration::RunSyncState::kExported:
      return "exported";
    case integration::RunSyncState::kFailed:
      return "failed";
    case integration::RunSyncState::kNothingToExport:
      return "nothing_to_export";
    case integration::RunSyncState::kChangedSinceExport:
      return "changed_since_export";
  }
  return "not_exported";
}

}  // namespace

Json RunSyncJson(const integration::RunSyncView& v) {
  Json last = nullptr;
  if (v.last_export) {
    integration::ExportView ev;
    ev.record = *v.last_export;
    last = ExportJson(ev);
  }
  Json cases = Json::array();
  for (const auto& c : v.cases)
    cases.push_back({{"case_id", c.case_id},
                     {"status_id", c.status_id},
                     {"exported_at", FormatRfc3339(c.exported_at)},
                     {"export_id", c.export_id}});
  return {{"run_id", v.run_id},
          {"sync_state", RunSyncStateName(v.sync_state)},
          {"message", v.message},
          {"changed_since_export", v.sync_state == integration::RunSyncState::kChangedSinceExport},
          {"exported_at", v.last_export ? OptTime(v.last_export->finished_at) : Json(nullptr)},
          {"last_export", std::move(last)},
          {"cases", std::move(cases)}};
}

void RegisterExportRoutes(ApiServer& server, auth::AuthService& auth,
                          integration::ExportService& exports) {
  auto api = std::make_shared<ExportApi>(auth, exports);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
