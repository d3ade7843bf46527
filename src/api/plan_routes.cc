// Plan and execution routes. Each handler: check permission → validate the whole body →
// call the service.
#include "api/plan_routes.h"

#include <memory>
#include <string>

#include "api/route_util.h"
#include "api/views.h"

namespace nexus::api {
namespace {

class PlanApi {
 public:
  PlanApi(auth::AuthService& auth, domain::PlanService& plans) : auth_(auth), plans_(plans) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (PlanApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    s.Route("GET", "/api/v1/projects/{p}/plans", bind(&PlanApi::ListPlans));
    s.Route("POST", "/api/v1/projects/{p}/plans", bind(&PlanApi::CreatePlan));
    s.Route("GET", "/api/v1/projects/{p}/plans/{id}", bind(&PlanApi::GetPlan));
    s.Route("GET", "/api/v1/projects/{p}/executions", bind(&PlanApi::ListExecutions));
    s.Route("POST", "/api/v1/projects/{p}/executions", bind(&PlanApi::CreateExecution));
    s.Route("GET", "/api/v1/projects/{p}/executions/{e}", bind(&PlanApi::GetExecution));
  }

 private:
  Result<Reply> ListPlans(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    return ListReply<TestPlan>(
        page, [&](const PageRequest& pr) { return plans_.ListPlans(p.id, pr); }, &PlanJson);
  }

  Result<Reply> CreatePlan(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kEditTests));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name", "test_ids"}));
    NEXUS_ASSIGN_OR_RETURN(std::string name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(auto ids, ReqIntArray(b, "test_ids", "", 1, 1000));
    NEXUS_ASSIGN_OR_RETURN(TestPlan plan, plans_.CreatePlan(p.id, name, ids));
    return Reply{201, PlanJson(plan)};
  }

  Result<Reply> GetPlan(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    auto plan = plans_.GetPlan(p.id, c.Id(1));
    if (!plan.ok()) return NotFound("plan " + c.params[1] + " not found");
    return Reply{200, PlanJson(plan.value())};
  }

  Result<Reply> ListExecutions(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(PageRequest page, ReadPage(c));
    return ListReply<Execution>(
        page, [&](const PageRequest& pr) { return plans_.ListExecutions(p.id, pr); },
        &ExecutionJson);
  }

  Result<Reply> CreateExecution(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"plan_id"}));
    NEXUS_ASSIGN_OR_RETURN(int64_t plan_id, ReqInt(b, "plan_id", ""));
    NEXUS_ASSIGN_OR_RETURN(Execution e, plans_.CreateExecution(p.id, plan_id));
    return Reply{201, ExecutionJson(e)};
  }

  Result<Reply> GetExecution(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    auto e = plans_.GetExecution(p.id, c.Id(1));
    if (!e.ok() && e.status().code() == StatusCode::kNotFound)
      return NotFound("execution " + c.params[1] + " not found");
    NEXUS_RETURN_IF_ERROR(e.status());
    Json j = ExecutionJson(e->execution);
    Json rj = Json::array();
    for (const auto& r : e->runs) rj.push_back(RunJson(r));
    j["runs"] = rj;
    return Reply{200, j};
  }

  auth::AuthService& auth_;
  domain::PlanService& plans_;
};

}  // namespace

void RegisterPlanRoutes(ApiServer& server, auth::AuthService& auth, domain::PlanService& plans) {
  auto api = std::make_shared<PlanApi>(auth, plans);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
