// ProjectService: projects, their feature flags and their members (product.md section 2).
// Permission checks are the caller's (auth::AuthService); this service owns the rules of
// the data: known features, member roles.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/store.h"

namespace nexus::domain {

// The feature flags a project can switch ("testrail").
const std::set<std::string>& KnownFeatures();
// InvalidArgument (field = the feature, reason "unknown_field") for a feature Nexus does
// not know.
Status CheckKnownFeature(const std::string& feature);

struct MemberView {
  Membership membership;
  std::optional<User> user;  // nullopt when the user cannot be read
};

class ProjectService {
 public:
  // `store` and `clock` must outlive the service.
  ProjectService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  Result<Project> Get(int64_t project_id);
  // Every project for an org admin, else the projects `user` is a member of.
  Result<std::vector<Project>> ListVisible(const User& user);
  // Creates the project with `creator_user_id` as its admin.
  Result<Project> Create(const std::string& name, int64_t creator_user_id);
  // Applies the changes in order (every feature must be known) and returns the project.
  Result<Project> SetFeatures(int64_t project_id,
                              const std::vector<std::pair<std::string, bool>>& changes);
  // The user's role in every project they are a member of.
  Result<std::vector<Membership>> RolesOf(int64_t user_id);

  Result<std::vector<MemberView>> ListMembers(int64_t project_id);
  // Inserts or replaces the role. NotFound ("user N not found") for an unknown user.
  Result<MemberView> SetMember(int64_t project_id, int64_t user_id, ProjectRole role);
  // NotFound ("user N is not a member of this project").
  Status RemoveMember(int64_t project_id, int64_t user_id);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace nexus::domain
