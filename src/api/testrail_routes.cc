// Configs → TestRail REST routes. Each handler: visibility → feature flag → permission →
// strict body validation → service call. The API key is accepted in one request body and
// never rendered: views carry only api_key_set and api_key_last4.
#include "api/testrail_routes.h"

#include "api/route_util.h"
#include "core/attachment_plan.h"
#include "core/time_util.h"
#include "domain/artifact_service.h"

namespace nexus::api {
namespace {

using integration::TestRailConfigService;

Json OptTime(const std::optional<TimeMs>& t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }

Json SuiteJson(const testrail::Suite& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"description", s.description},
          {"is_master", s.is_master},
          {"is_baseline", s.is_baseline},
          {"is_completed", s.is_completed},
          {"url", s.url}};
}

Json RemoteProjectJson(const testrail::Project& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"suite_mode", p.suite_mode},
          {"is_completed", p.is_completed},
          {"url", p.url}};
}

Json OptionsJson(const TestRailOptionsRecord& o) {
  return {{"close_run_on_completion", o.close_run_on_completion},
          {"auto_export", o.auto_export},
          {"run_name_template", o.run_name_template ? Json(*o.run_name_template) : Json(nullptr)},
          {"milestone_id", o.milestone_id ? Json(*o.milestone_id) : Json(nullptr)},
          {"attachments", AttachmentPolicyToJson(o.attachments)}};
}

Json Items(Json items) { return {{"items", std::move(items)}, {"next_cursor", nullptr}}; }

// A nullable member: absent → nullopt; null → inner nullopt.
template <typename T>
using Nullable = std::optional<std::optional<T>>;

class TestRailApi {
 public:
  TestRailApi(auth::AuthService& auth, TestRailConfigService& config)
      : auth_(auth), config_(config) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (TestRailApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    const std::string base = "/api/v1/projects/{p}/testrail";
    s.Route("GET", base, bind(&TestRailApi::GetConfig));
    s.Route("GET", base + "/summary", bind(&TestRailApi::GetSummary));
    s.Route("PUT", base + "/connection", bind(&TestRailApi::PutConnection));
    s.Route("DELETE", base + "/connection", bind(&TestRailApi::DeleteConnection));
    s.Route("GET", base + "/remote/projects", bind(&TestRailApi::RemoteProjects));
    s.Route("PUT", base + "/project", bind(&TestRailApi::PutProject));
    s.Route("GET", base + "/remote/suites", bind(&TestRailApi::RemoteSuites));
    s.Route("PUT", base + "/suites", bind(&TestRailApi::PutSuites));
    s.Route("GET", base + "/statuses", bind(&TestRailApi::GetStatuses));
    s.Route("GET", base + "/mapping", bind(&TestRailApi::GetMapping));
    s.Route("PUT", base + "/mapping", bind(&TestRailApi::PutMapping));
    s.Route("POST", base + "/mapping/reset", bind(&TestRailApi::ResetMapping));
    s.Route("PUT", base + "/options", bind(&TestRailApi::PutOptions));
    s.Route("GET", base + "/export-fields", bind(&TestRailApi::GetExportFields));
    s.Route("PUT", base + "/export-fields", bind(&TestRailApi::PutExportFields));
    s.Route("GET", base + "/remote/milestones", bind(&TestRailApi::RemoteMilestones));
    s.Route("GET", base + "/remote/users", bind(&TestRailApi::RemoteUsers));
    s.Route("GET", base + "/configurations", bind(&TestRailApi::GetConfigurations));
    s.Route("PUT", base + "/configurations", bind(&TestRailApi::PutConfigurations));
    s.Route("GET", base + "/remote/configs", bind(&TestRailApi::RemoteConfigs));
  }

 private:
  // The connection (URL, TestRail user, key's last 4, who connected) and the mapping are for
  // the people who configure it (issue 12 item 8); readers get GetSummary.
  Result<Reply> GetConfig(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto view, config_.Get(p));
    return Reply{200, TestRailConfigJson(view)};
  }

  // What every reader's screens need: whether TestRail is connected, the TestRail project and
  // suites by name, and the export defaults (the export dialog's "close on completion").
  Result<Reply> GetSummary(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto view, config_.Get(p));
    Json suites = Json::array();
    for (const auto& s : view.suites) suites.push_back({{"id", s.id}, {"name", s.name}});
    return Reply{
        200,
        {{"connected", view.connection.has_value()},
         {"project", view.project ? Json{{"id", view.project->id}, {"name", view.project->name}}
                                  : Json(nullptr)},
         {"suites", std::move(suites)},
         {"close_run_on_completion", view.options.close_run_on_completion},
         {"auto_export", view.options.auto_export},
         {"attachments", AttachmentPolicyToJson(view.options.attachments)}}};
  }

  Result<Reply> PutConnection(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"url", "user", "api_key"}));
    integration::ConnectRequest req;
    NEXUS_ASSIGN_OR_RETURN(req.url, ReqString(b, "url", "", {1, 2048, true}));
    NEXUS_ASSIGN_OR_RETURN(req.user, ReqString(b, "user", "", {1, 254, true}));
    if (!auth::LooksLikeEmail(req.user))
      return InvalidArgument("user must be the e-mail address of the TestRail account", "user",
                             "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(req.api_key, OptString(b, "api_key", "", {1, 1024, true}));
    NEXUS_ASSIGN_OR_RETURN(auto view, config_.Connect(p, c.Who().user.id, req));
    return Reply{200, TestRailConfigJson(view)};
  }

  Result<Reply> DeleteConnection(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_RETURN_IF_ERROR(config_.Disconnect(p));
    return Reply{204, nullptr};
  }

  Result<Reply> RemoteProjects(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto projects, config_.RemoteProjects(p));
    Json items = Json::array();
    for (const auto& pr : projects) items.push_back(RemoteProjectJson(pr));
    return Reply{200, Items(std::move(items))};
  }

  Result<Reply> PutProject(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"testrail_project_id"}));
    NEXUS_ASSIGN_OR_RETURN(int64_t id, ReqInt(b, "testrail_project_id", ""));
    NEXUS_ASSIGN_OR_RETURN(auto view, config_.SelectProject(p, id));
    return Reply{200, TestRailConfigJson(view)};
  }

  Result<Reply> RemoteSuites(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    std::string q = c.Query("q");
    if (q.size() > 250) return InvalidArgument("q must be at most 250 characters", "q");
    NEXUS_ASSIGN_OR_RETURN(auto suites, config_.RemoteSuites(p, q));
    Json items = Json::array();
    for (const auto& s : suites) items.push_back(SuiteJson(s));
    return Reply{200, Items(std::move(items))};
  }

  Result<Reply> PutSuites(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"suite_ids"}));
    NEXUS_ASSIGN_OR_RETURN(auto ids, ReqIntArray(b, "suite_ids", "", 1, 1000));
    NEXUS_ASSIGN_OR_RETURN(auto view, config_.SelectSuites(p, ids));
    return Reply{200, TestRailConfigJson(view)};
  }

  Result<Reply> GetStatuses(Ctx& c) {
    std::string refresh = c.Query("refresh");
    bool want_refresh = refresh == "1" || refresh == "true";
    if (!refresh.empty() && !want_refresh && refresh != "0" && refresh != "false")
      return InvalidArgument("refresh must be 1 or 0", "refresh", "invalid_value");
    // Refreshing talks to TestRail, which is a configuration change of the cache.
    NEXUS_ASSIGN_OR_RETURN(
        int64_t p, RequireTestRailProject(
                       auth_, c, want_refresh ? Permission::kEditConfigs : Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.Statuses(p, want_refresh));
    Json items = Json::array();
    for (const auto& s : v.statuses) items.push_back(integration::StatusInfoToJson(s));
    return Reply{200, {{"items", items}, {"fetched_at", OptTime(v.fetched_at)}}};
  }

  Result<Reply> GetMapping(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.Mapping(p));
    return Reply{200, TestRailMappingJson(v)};
  }

  Result<Reply> PutMapping(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_ASSIGN_OR_RETURN(StatusMapping m, integration::MappingFromJson(b));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.SaveMapping(p, m));
    return Reply{200, TestRailMappingJson(v)};
  }

  Result<Reply> ResetMapping(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    if (!c.req.body.empty()) {
      NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
      NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {}));
    }
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.ResetMapping(p));
    return Reply{200, TestRailMappingJson(v)};
  }

  Result<Reply> PutOptions(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"close_run_on_completion", "auto_export",
                                       "run_name_template", "milestone_id", "attachments"}));
    integration::OptionsUpdate u;
    NEXUS_ASSIGN_OR_RETURN(u.close_run_on_completion, OptBool(b, "close_run_on_completion", ""));
    NEXUS_ASSIGN_OR_RETURN(u.auto_export, OptBool(b, "auto_export", ""));
    if (b.contains("run_name_template")) {
      NEXUS_ASSIGN_OR_RETURN(auto t, OptString(b, "run_name_template", "", {1, 1000, true}));
      u.run_name_template = t;
    }
    if (b.contains("milestone_id")) {
      NEXUS_ASSIGN_OR_RETURN(auto m, OptInt(b, "milestone_id", "", 1));
      u.milestone_id = m;
    }
    if (b.contains("attachments")) {
      // Issue 17: partial over the stored policy; a bad member is a 400 naming it.
      NEXUS_ASSIGN_OR_RETURN(auto view, config_.Get(p));
      NEXUS_ASSIGN_OR_RETURN(
          u.attachments,
          AttachmentPolicyFromJson(b["attachments"], view.options.attachments,
                                   domain::ArtifactService::MediaTypes(), "attachments"));
    }
    NEXUS_ASSIGN_OR_RETURN(auto o, config_.SaveOptions(p, u));
    return Reply{200, OptionsJson(o)};
  }

  // ---- Issue 14: result fields, milestones, users (for the people who configure exports).
  Result<Reply> GetExportFields(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.ExportFields(p));
    return Reply{200, ExportFieldsJson(v)};
  }

  Result<Reply> PutExportFields(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_ASSIGN_OR_RETURN(ExportFieldSettings s, ExportFieldSettingsFromJson(b));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.SaveExportFields(p, s));
    return Reply{200, ExportFieldsJson(v)};
  }

  Result<Reply> RemoteMilestones(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    const std::string all = c.Query("include_completed");
    if (!all.empty() && all != "1" && all != "0" && all != "true" && all != "false")
      return InvalidArgument("include_completed must be 1 or 0", "include_completed",
                             "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(auto ms, config_.Milestones(p, all == "1" || all == "true"));
    Json items = Json::array();
    for (const auto& m : ms)
      items.push_back({{"id", m.id},
                       {"name", m.name},
                       {"parent_id", m.parent_id ? Json(*m.parent_id) : Json(nullptr)},
                       {"is_completed", m.is_completed},
                       {"is_started", m.is_started},
                       {"due_on", m.due_on ? Json(*m.due_on) : Json(nullptr)}});
    return Reply{200, Items(std::move(items))};
  }

  // Names and e-mails of the instance's users: configuration data, not for every reader.
  Result<Reply> RemoteUsers(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto users, config_.Users(p));
    Json items = Json::array();
    for (const auto& u : users)
      items.push_back(
          {{"id", u.id}, {"name", u.name}, {"email", u.email}, {"is_active", u.is_active}});
    return Reply{200, Items(std::move(items))};
  }

  // ---- Issue 14: configurations (run attribute → TestRail configuration group).
  Result<Reply> GetConfigurations(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.Configurations(p));
    return Reply{200, ConfigurationsJson(v)};
  }

  Result<Reply> PutConfigurations(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_ASSIGN_OR_RETURN(ConfigMapping m, ConfigMappingFromJson(b));
    NEXUS_ASSIGN_OR_RETURN(auto v, config_.SaveConfigurations(p, m));
    return Reply{200, ConfigurationsJson(v)};
  }

  Result<Reply> RemoteConfigs(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditConfigs));
    NEXUS_ASSIGN_OR_RETURN(auto groups, config_.RemoteConfigGroups(p));
    Json items = Json::array();
    for (const auto& g : groups) items.push_back(ConfigGroupJson(g));
    return Reply{200, Items(std::move(items))};
  }

  static Json ConfigGroupJson(const ConfigGroup& g) {
    Json configs = Json::array();
    for (const auto& o : g.configs) configs.push_back({{"id", o.id}, {"name", o.name}});
    return {{"id", g.id}, {"name", g.name}, {"configs", std::move(configs)}};
  }

  // The mapping with names from get_configs, each group/config flagged when TestRail no
  // longer has it, and a suggestion (config of the same name, ignoring case) for every value
  // of the attribute seen on the project's runs that is not mapped yet.
  static Json ConfigurationsJson(const integration::ConfigurationsView& v) {
    Json attrs = Json::array();
    for (const auto& a : v.mapping.attributes) {
      const ConfigGroup* g = nullptr;
      for (const auto& x : v.groups)
        if (x.id == a.group_id) g = &x;
      auto name_of = [&](int64_t id) -> Json {
        if (g != nullptr)
          for (const auto& o : g->configs)
            if (o.id == id) return o.name;
        return nullptr;
      };
      Json values = Json::array();
      for (const auto& [val, id] : a.values) {
        Json n = name_of(id);
        values.push_back(
            {{"value", val}, {"config_id", id}, {"config_name", n}, {"present", !n.is_null()}});
      }
      Json suggestions = Json::array();
      if (auto it = v.observed_values.find(a.attribute); it != v.observed_values.end())
        for (const auto& val : it->second) {
          if (a.values.count(val)) continue;
          std::optional<int64_t> s = g ? SuggestConfig(val, *g) : std::nullopt;
          suggestions.push_back({{"value", val},
                                 {"config_id", s ? Json(*s) : Json(nullptr)},
                                 {"config_name", s ? name_of(*s) : Json(nullptr)}});
        }
      attrs.push_back({{"attribute", a.attribute},
                       {"group_id", a.group_id},
                       {"group_name", g ? Json(g->name) : Json(nullptr)},
                       {"present", g != nullptr},
                       {"values", std::move(values)},
                       {"suggestions", std::move(suggestions)}});
    }
    Json groups = Json::array();
    for (const auto& g : v.groups) groups.push_back(ConfigGroupJson(g));
    Json problems = Json::array();
    for (const auto& p : v.problems)
      problems.push_back({{"field", p.field}, {"problem", p.problem}, {"message", p.message}});
    return {{"attributes", std::move(attrs)},
            {"groups", std::move(groups)},
            {"problems", std::move(problems)},
            {"unreadable", v.unreadable}};
  }

  static Json ExportFieldsJson(const integration::ExportFieldsView& v) {
    Json fields = Json::array();
    for (const auto& f : v.fields) {
      Json options = Json::array();
      for (const auto& o : f.def.options) options.push_back({{"id", o.id}, {"label", o.label}});
      Json setting = nullptr;
      if (f.setting) {
        setting = {{"source", FieldSourceName(f.setting->source)}};
        if (f.setting->source == FieldSource::kFixed) setting["value"] = f.setting->value;
        if (f.setting->source == FieldSource::kAttribute)
          setting["attribute"] = f.setting->attribute;
      }
      const std::string_view problem = FieldProblemName(f.problem);
      fields.push_back({{"system_name", f.def.system_name},
                        {"label", f.def.label},
                        {"type", FieldTypeName(f.def.type_id)},
                        {"type_id", f.def.type_id},
                        {"required", f.def.required},
                        {"present", f.present},
                        {"options", std::move(options)},
                        {"setting", std::move(setting)},
                        {"problem", problem.empty() ? Json(nullptr) : Json(problem)}});
    }
    return {
        {"fields", std::move(fields)},
        {"failed_assignee_id",
         v.settings.failed_assignee_id ? Json(*v.settings.failed_assignee_id) : Json(nullptr)},
        {"step_results", v.settings.step_results},
        {"step_results_field", v.step_results_field ? Json(*v.step_results_field) : Json(nullptr)},
        {"settings_unreadable", v.settings_unreadable}};
  }

  auth::AuthService& auth_;
  TestRailConfigService& config_;
};

}  // namespace

Json TestRailMappingJson(const integration::TestRailMappingView& v) {
  Json j = integration::MappingToJson(v.mapping);
  j["invalid_cells"] = v.invalid_cells;
  return j;
}

Json TestRailConfigJson(const integration::TestRailConfigView& v) {
  Json conn = nullptr;
  if (v.connection) {
    const auto& c = *v.connection;
    conn = {{"url", c.url},
            {"user", c.user},
            {"api_key_set", c.api_key_set},
            {"api_key_last4", c.api_key_last4},
            {"connected_at", FormatRfc3339(c.connected_at)},
            {"connected_by", c.connected_by ? Json(*c.connected_by) : Json(nullptr)},
            {"verified", c.verified},
            {"api_key_readable", c.api_key_readable}};
  }
  Json project = nullptr;
  if (v.project)
    project = {
        {"id", v.project->id}, {"name", v.project->name}, {"suite_mode", v.project->suite_mode}};
  Json suites = Json::array();
  for (const auto& s : v.suites) suites.push_back({{"id", s.id}, {"name", s.name}});
  return {{"connection", conn},
          {"project", project},
          {"suites", suites},
          {"mapping", integration::MappingToJson(v.mapping.mapping)},
          {"invalid_mapping_cells", v.mapping.invalid_cells},
          {"options", OptionsJson(v.options)},
          {"statuses_cached_at", OptTime(v.statuses_cached_at)}};
}

void RegisterTestRailRoutes(ApiServer& server, auth::AuthService& auth,
                            integration::TestRailConfigService& config) {
  auto api = std::make_shared<TestRailApi>(auth, config);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
