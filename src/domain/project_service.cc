// ProjectService implementation.
#include "domain/project_service.h"

namespace nexus::domain {

const std::set<std::string>& KnownFeatures() {
  static const std::set<std::string> kKnown = {"testrail"};
  return kKnown;
}

Status CheckKnownFeature(const std::string& feature) {
  if (!KnownFeatures().count(feature))
    return InvalidArgument("unknown feature '" + feature + "' (known: testrail)", feature,
                           "unknown_field");
  return Status::Ok();
}

Result<Project> ProjectService::Get(int64_t project_id) { return store_.GetProject(project_id); }

Result<std::vector<Project>> ProjectService::ListVisible(const User& user) {
  if (user.org_admin) return store_.ListProjects();
  return store_.ListProjectsForUser(user.id);
}

Result<Project> ProjectService::Create(const std::string& name, int64_t creator_user_id) {
  Project p;
  p.name = name;
  p.created_at = clock_.NowMs();
  return store_.CreateProject(p, creator_user_id);
}

Result<Project> ProjectService::SetFeatures(
    int64_t project_id, const std::vector<std::pair<std::string, bool>>& changes) {
  for (const auto& change : changes) NEXUS_RETURN_IF_ERROR(CheckKnownFeature(change.first));
  for (const auto& [feature, on] : changes)
    NEXUS_RETURN_IF_ERROR(store_.SetProjectFeature(project_id, feature, on));
  return store_.GetProject(project_id);
}

Result<std::vector<Membership>> ProjectService::RolesOf(int64_t user_id) {
  NEXUS_ASSIGN_OR_RETURN(auto projects, store_.ListProjectsForUser(user_id));
  std::vector<Membership> out;
  for (const Project& p : projects) {
    auto role = store_.GetRole(p.id, user_id);
    if (role.ok() && role.value()) out.push_back({p.id, user_id, *role.value()});
  }
  return out;
}

Result<std::vector<MemberView>> ProjectService::ListMembers(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(auto members, store_.ListMembers(project_id));
  std::vector<MemberView> out;
  for (const auto& m : members) {
    MemberView v{m, std::nullopt};
    auto u = store_.GetUser(m.user_id);
    if (u.ok()) v.user = std::move(u).value();
    out.push_back(std::move(v));
  }
  return out;
}

Result<MemberView> ProjectService::SetMember(int64_t project_id, int64_t user_id,
                                             ProjectRole role) {
  auto user = store_.GetUser(user_id);
  if (!user.ok()) return NotFound("user " + std::to_string(user_id) + " not found");
  Membership m{project_id, user->id, role};
  NEXUS_RETURN_IF_ERROR(store_.SetMembership(m));
  return MemberView{m, std::move(user).value()};
}

Status ProjectService::RemoveMember(int64_t project_id, int64_t user_id) {
  Status st = store_.RemoveMembership(project_id, user_id);
  if (st.code() == StatusCode::kNotFound)
    return NotFound("user " + std::to_string(user_id) + " is not a member of this project");
  return st;
}

}  // namespace nexus::domain
