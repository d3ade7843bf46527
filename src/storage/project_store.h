// ProjectStore: the projects, memberships and feature flags role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace nexus {

class ProjectStore {
 public:
  virtual ~ProjectStore() = default;

  // ---- Projects, memberships, feature flags.
  // Creates the project and, when creator_user_id is set, makes that user its admin.
  virtual Result<Project> CreateProject(const Project& project,
                                        std::optional<int64_t> creator_user_id) = 0;
  virtual Result<Project> GetProject(int64_t id) = 0;
  virtual Result<std::vector<Project>> ListProjects() = 0;
  // Projects the user is a member of.
  virtual Result<std::vector<Project>> ListProjectsForUser(int64_t user_id) = 0;
  virtual Status SetProjectFeature(int64_t project_id, const std::string& feature,
                                   bool enabled) = 0;

  // Inserts or replaces the user's role in the project.
  virtual Status SetMembership(const Membership& m) = 0;
  virtual Status RemoveMembership(int64_t project_id, int64_t user_id) = 0;
  // nullopt when the user is not a member.
  virtual Result<std::optional<ProjectRole>> GetRole(int64_t project_id, int64_t user_id) = 0;
  virtual Result<std::vector<Membership>> ListMembers(int64_t project_id) = 0;
};

}  // namespace nexus
