// TestRail catalog and link routes. Each handler: visibility → feature flag → permission →
// strict validation → service call.
#include "api/catalog_routes.h"

#include "api/json_util.h"
#include "api/route_util.h"
#include "api/views.h"
#include "core/time_util.h"

namespace nexus::api {
namespace {

using integration::CatalogService;
using integration::LinkService;

Json OptTime(const std::optional<TimeMs>& t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }

Json LinksJson(const std::vector<integration::LinkView>& links) {
  Json items = Json::array();
  for (const auto& l : links) items.push_back(LinkJson(l));
  return {{"items", items}};
}

class CatalogApi {
 public:
  CatalogApi(auth::AuthService& auth, CatalogService& catalog, LinkService& links,
             jobs::JobRunner& runner)
      : auth_(auth), catalog_(catalog), links_(links), runner_(runner) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (CatalogApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    const std::string tr = "/api/v1/projects/{p}/testrail";
    s.Route("GET", tr + "/catalog", bind(&CatalogApi::GetCatalog));
    s.Route("POST", tr + "/catalog/sync", bind(&CatalogApi::PostSync));
    s.Route("GET", tr + "/sections", bind(&CatalogApi::GetSections));
    s.Route("GET", tr + "/cases", bind(&CatalogApi::GetCases));
    const std::string t = "/api/v1/projects/{p}/tests/{t}";
    s.Route("GET", t + "/testrail-links", bind(&CatalogApi::GetTestLinks));
    s.Route("PUT", t + "/testrail-links", bind(&CatalogApi::PutTestLinks));
    s.Route("POST", t + "/testrail-links/acknowledge", bind(&CatalogApi::Acknowledge));
    s.Route("GET", t + "/steps/{s:str}/testrail-links", bind(&CatalogApi::GetStepLinks));
    s.Route("PUT", t + "/steps/{s:str}/testrail-links", bind(&CatalogApi::PutStepLinks));
  }

 private:
  static Result<std::optional<int64_t>> QueryId(const Ctx& c, const std::string& name) {
    return QueryInt(c.Query(name), name, 1, INT64_MAX);
  }

  Result<Reply> GetCatalog(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto v, catalog_.GetStatus(p));
    return Reply{
        200,
        {{"state", v.state},
         {"last_sync_at", OptTime(v.last_sync_at)},
         {"last_full_sync_at", OptTime(v.last_full_sync_at)},
         {"last_incremental_at", OptTime(v.last_incremental_at)},
         {"last_error", v.last_error.empty() ? Json(nullptr) : Json(v.last_error)},
         {"counts",
          {{"cases", v.cases}, {"deleted_cases", v.deleted_cases}, {"sections", v.sections}}},
         {"suite_ids", v.suite_ids},
         {"job_id", v.job_id ? Json(*v.job_id) : Json(nullptr)},
         {"progress", v.progress}}};
  }

  Result<Reply> PostSync(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditTests));
    integration::SyncMode mode = integration::SyncMode::kAuto;
    if (!c.req.body.empty()) {
      NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
      NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"mode"}));
      NEXUS_ASSIGN_OR_RETURN(auto m, OptString(b, "mode", "", {1, 20, true}));
      if (m) {
        if (*m == "full")
          mode = integration::SyncMode::kFull;
        else if (*m == "incremental")
          mode = integration::SyncMode::kIncremental;
        else if (*m != "auto")
          return InvalidArgument("mode must be auto, full or incremental", "mode", "invalid_value");
      }
    }
    std::string wait = c.Query("wait");
    if (!wait.empty() && wait != "0" && wait != "1")
      return InvalidArgument("wait must be 1 or 0", "wait", "invalid_value");
    NEXUS_ASSIGN_OR_RETURN(int64_t id, catalog_.RequestSync(p, mode));
    Json body = {{"job_id", id}, {"state", "queued"}};
    if (wait == "1") {
      NEXUS_ASSIGN_OR_RETURN(Job job, runner_.WaitFor(id, std::chrono::seconds(120)));
      body["state"] = JobStateName(job.state);
      body["error"] = job.error.empty() ? Json(nullptr) : Json(job.error);
      if (!job.result_json.empty()) body["result"] = Json::parse(job.result_json, nullptr, false);
      return Reply{JobFinished(job.state) ? 200 : 202, body};
    }
    return Reply{202, body};
  }

  Result<Reply> GetSections(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto suite, QueryId(c, "suite_id"));
    NEXUS_ASSIGN_OR_RETURN(auto sections, catalog_.Sections(p, suite));
    Json items = Json::array();
    for (const auto& s : sections)
      items.push_back({{"id", s.id},
                       {"suite_id", s.suite_id},
                       {"parent_id", s.parent_id ? Json(*s.parent_id) : Json(nullptr)},
                       {"name", s.name},
                       {"depth", s.depth},
                       {"display_order", s.display_order}});
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> GetCases(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    integration::CaseQuery q;
    q.q = c.Query("q");
    if (q.q.size() > 250) return InvalidArgument("q must be at most 250 characters", "q");
    NEXUS_ASSIGN_OR_RETURN(q.suite_id, QueryId(c, "suite_id"));
    NEXUS_ASSIGN_OR_RETURN(q.section_id, QueryId(c, "section_id"));
    NEXUS_ASSIGN_OR_RETURN(auto limit, QueryInt(c.Query("limit"), "limit", 1, 250));
    q.limit = static_cast<int>(limit.value_or(50));
    q.cursor = c.Query("cursor");
    NEXUS_ASSIGN_OR_RETURN(auto page, catalog_.SearchCases(p, q));
    Json items = Json::array();
    for (const auto& h : page.items)
      items.push_back({{"id", h.id},
                       {"title", h.title},
                       {"suite_id", h.suite_id},
                       {"suite", h.suite},
                       {"section_id", h.section_id},
                       {"section_path", h.section_path},
                       {"refs", h.refs},
                       {"updated_on", FormatRfc3339(h.updated_on * 1000)}});
    return Reply{
        200,
        {{"items", items},
         {"next_cursor", page.next_cursor.empty() ? Json(nullptr) : Json(page.next_cursor)}}};
  }

  static Result<std::vector<int64_t>> CaseIds(const Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"case_ids"}));
    return ReqIntArray(b, "case_ids", "", 0, 1000);
  }

  Result<Reply> GetTestLinks(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto links, links_.Get(p, c.Id(1)));
    return Reply{200, LinksJson(links)};
  }
  Result<Reply> PutTestLinks(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(auto ids, CaseIds(c));
    NEXUS_ASSIGN_OR_RETURN(auto links, links_.Set(p, c.Id(1), "", ids));
    return Reply{200, LinksJson(links)};
  }
  Result<Reply> Acknowledge(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(auto ids, CaseIds(c));
    NEXUS_ASSIGN_OR_RETURN(auto links, links_.Acknowledge(p, c.Id(1), ids));
    return Reply{200, LinksJson(links)};
  }
  Result<Reply> GetStepLinks(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto links, links_.Get(p, c.Id(1), c.params.at(2)));
    return Reply{200, LinksJson(links)};
  }
  Result<Reply> PutStepLinks(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(int64_t p, RequireTestRailProject(auth_, c, Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(auto ids, CaseIds(c));
    NEXUS_ASSIGN_OR_RETURN(auto links, links_.Set(p, c.Id(1), c.params.at(2), ids));
    return Reply{200, LinksJson(links)};
  }

  auth::AuthService& auth_;
  CatalogService& catalog_;
  LinkService& links_;
  jobs::JobRunner& runner_;
};

}  // namespace

void RegisterCatalogRoutes(ApiServer& server, auth::AuthService& auth, CatalogService& catalog,
                           LinkService& links, jobs::JobRunner& runner) {
  auto api = std::make_shared<CatalogApi>(auth, catalog, links, runner);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
