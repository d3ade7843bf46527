// Project and member routes. Each handler: check permission → validate the whole body →
// call the service.
#include "api/project_routes.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/views.h"

namespace nexus::api {
namespace {

class ProjectApi {
 public:
  ProjectApi(auth::AuthService& auth, domain::ProjectService& projects)
      : auth_(auth), projects_(projects) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (ProjectApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    s.Route("GET", "/api/v1/projects", bind(&ProjectApi::ListProjects));
    s.Route("POST", "/api/v1/projects", bind(&ProjectApi::CreateProject));
    s.Route("GET", "/api/v1/projects/{p}", bind(&ProjectApi::GetProject));
    s.Route("PUT", "/api/v1/projects/{p}/features", bind(&ProjectApi::SetFeatures));
    s.Route("GET", "/api/v1/projects/{p}/members", bind(&ProjectApi::ListMembers));
    s.Route("PUT", "/api/v1/projects/{p}/members/{u}", bind(&ProjectApi::SetMember));
    s.Route("DELETE", "/api/v1/projects/{p}/members/{u}", bind(&ProjectApi::RemoveMember));
  }

 private:
  // The caller's permissions on the project, by wire name.
  Json Permissions(Ctx& c, int64_t project_id) {
    Json perms = Json::array();
    for (Permission p : {Permission::kProjectAdmin, Permission::kEditConfigs,
                         Permission::kEditTests, Permission::kReadRuns, Permission::kOperateRuns})
      if (auth_.Has(c.Who(), project_id, p)) perms.push_back(PermissionName(p));
    if (c.Who().user.org_admin) perms.push_back("org:admin");
    return perms;
  }

  Result<Reply> ListProjects(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(auto projects, projects_.ListVisible(c.Who().user));
    Json items = Json::array();
    for (const auto& p : projects) {
      Json j = ProjectJson(p);
      j["permissions"] = Permissions(c, p.id);
      items.push_back(j);
    }
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> CreateProject(Ctx& c) {
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"name"}));
    NEXUS_ASSIGN_OR_RETURN(std::string name, ReqString(b, "name", "", {1, 200, true}));
    NEXUS_ASSIGN_OR_RETURN(Project p, projects_.Create(name, c.Who().user.id));
    return Reply{201, ProjectJson(p)};
  }

  Result<Reply> GetProject(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p, auth_.RequireVisibleProject(c.Who(), c.Id(0)));
    Json j = ProjectJson(p);
    j["permissions"] = Permissions(c, p.id);
    return Reply{200, j};
  }

  Result<Reply> SetFeatures(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p, auth_.RequireVisibleProject(c.Who(), c.Id(0)));
    NEXUS_RETURN_IF_ERROR(auth_.RequireOrgAdmin(c.Who()));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    std::vector<std::pair<std::string, bool>> changes;
    for (auto it = b.begin(); it != b.end(); ++it) {
      NEXUS_RETURN_IF_ERROR(domain::CheckKnownFeature(it.key()));
      if (!it->is_boolean())
        return InvalidArgument(it.key() + " must be a boolean", it.key(), "invalid_type");
      changes.emplace_back(it.key(), it->get<bool>());
    }
    NEXUS_ASSIGN_OR_RETURN(p, projects_.SetFeatures(p.id, changes));
    return Reply{200, ProjectJson(p)};
  }

  Result<Reply> ListMembers(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kProjectAdmin));
    NEXUS_ASSIGN_OR_RETURN(auto members, projects_.ListMembers(p.id));
    Json items = Json::array();
    for (const auto& m : members) items.push_back(MemberJson(m));
    return Reply{200, {{"items", items}, {"next_cursor", nullptr}}};
  }

  Result<Reply> SetMember(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kProjectAdmin));
    NEXUS_ASSIGN_OR_RETURN(Json b, ParseObject(c.req.body));
    NEXUS_RETURN_IF_ERROR(OnlyKeys(b, {"role"}));
    NEXUS_ASSIGN_OR_RETURN(std::string role_name, ReqString(b, "role", "", {1, 32}));
    auto role = ParseProjectRole(role_name);
    if (!role)
      return InvalidArgument("role must be one of admin, config-manager, editor, operator, viewer",
                             "role", "invalid_value");
    auto member = projects_.SetMember(p.id, c.Id(1), *role);
    if (member.status().code() == StatusCode::kNotFound)
      return NotFound("user " + c.params[1] + " not found");
    NEXUS_RETURN_IF_ERROR(member.status());
    return Reply{200, MemberJson(*member)};
  }

  Result<Reply> RemoveMember(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kProjectAdmin));
    Status st = projects_.RemoveMember(p.id, c.Id(1));
    if (st.code() == StatusCode::kNotFound)
      return NotFound("user " + c.params[1] + " is not a member of this project");
    NEXUS_RETURN_IF_ERROR(st);
    return Reply{204, nullptr};
  }

  auth::AuthService& auth_;
  domain::ProjectService& projects_;
};

}  // namespace

void RegisterProjectRoutes(ApiServer& server, auth::AuthService& auth,
                           domain::ProjectService& projects) {
  auto api = std::make_shared<ProjectApi>(auth, projects);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
