// SqliteStore: the projects role (project_store.h): projects, feature flags, memberships.
#include <unordered_map>

#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Corrupt;
using sqlite::Exists;
using sqlite::Statement;

// ---- Projects.

Result<std::vector<std::string>> LoadFeatures(Connection& c, int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("get project features",
                "SELECT feature FROM project_features WHERE project_id = ?1 ORDER BY feature"));
  st.Bind(1, project_id);
  std::vector<std::string> out;
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

Result<Project> LoadProject(Connection& c, int64_t id) {
  Project p;
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("get project", "SELECT id, name, created_at FROM projects WHERE id = ?1"));
    st.Bind(1, id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("project not found");
    p.id = st.Int64(0);
    p.name = st.Text(1);
    p.created_at = st.Int64(2);
  }
  NEXUS_ASSIGN_OR_RETURN(p.features, LoadFeatures(c, id));
  return p;
}

// Projects selected by `sql` (columns id, name, created_at; `bind_user` binds ?1 when set),
// with their features from `features_sql` (columns project_id, feature).
Result<std::vector<Project>> LoadProjects(Connection& c, std::string_view op,
                                          const std::string& sql, const std::string& features_sql,
                                          std::optional<int64_t> bind_user) {
  std::vector<Project> out;
  std::unordered_map<int64_t, size_t> index;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
    if (bind_user) st.Bind(1, *bind_user);
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Project p;
      p.id = st.Int64(0);
      p.name = st.Text(1);
      p.created_at = st.Int64(2);
      index[p.id] = out.size();
      out.push_back(std::move(p));
    }
  }
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, features_sql));
  if (bind_user) st.Bind(1, *bind_user);
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    auto it = index.find(st.Int64(0));
    if (it != index.end()) out[it->second].features.push_back(st.Text(1));
  }
  return out;
}

}  // namespace

// ---- Projects, features, memberships.

namespace {

Status UpsertMembership(Connection& c, std::string_view op, const Membership& m) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op,
                "INSERT INTO memberships (project_id, user_id, role) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role"));
  st.Bind(1, m.project_id).Bind(2, m.user_id).Bind(3, ProjectRoleName(m.role));
  return st.Run();
}

Status InsertFeature(Connection& c, std::string_view op, int64_t project_id,
                     const std::string& feature) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st, c.Prepare(op,
                              "INSERT INTO project_features (project_id, feature) VALUES (?1, ?2) "
                              "ON CONFLICT (project_id, feature) DO NOTHING"));
  st.Bind(1, project_id).Bind(2, feature);
  return st.Run();
}

}  // namespace

Result<Project> SqliteStore::CreateProject(const Project& project,
                                           std::optional<int64_t> creator_user_id) {
  constexpr std::string_view kOp = "create project";
  return Write(kOp, [&](Connection& c) -> Result<Project> {
    if (creator_user_id) {
      NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                             Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", *creator_user_id));
      if (!user_exists) return NotFound("creator user not found", "creator_user_id");
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "INSERT INTO projects (name, created_at) VALUES (?1, ?2) RETURNING id"));
    st.Bind(1, project.name).Bind(2, project.created_at);
    NEXUS_ASSIGN_OR_RETURN(int64_t id, sqlite::InsertReturningId(st));
    for (const std::string& f : project.features)
      NEXUS_RETURN_IF_ERROR(InsertFeature(c, kOp, id, f));
    if (creator_user_id) {
      NEXUS_RETURN_IF_ERROR(
          UpsertMembership(c, kOp, Membership{id, *creator_user_id, ProjectRole::kAdmin}));
    }
    return LoadProject(c, id);
  });
}

Result<Project> SqliteStore::GetProject(int64_t id) {
  return Cached(&ReadCache::projects, id, [&] {
    return Read("get project", [&](Connection& c) { return LoadProject(c, id); });
  });
}

Result<std::vector<Project>> SqliteStore::ListProjects() {
  return Read("list projects", [&](Connection& c) {
    return LoadProjects(c, "list projects", "SELECT id, name, created_at FROM projects ORDER BY id",
                        "SELECT project_id, feature FROM project_features "
                        "ORDER BY project_id, feature",
                        std::nullopt);
  });
}

Result<std::vector<Project>> SqliteStore::ListProjectsForUser(int64_t user_id) {
  return Cached(&ReadCache::user_projects, user_id, [&] { return ReadProjectsOfUser(user_id); });
}

Result<std::vector<Project>> SqliteStore::ReadProjectsOfUser(int64_t user_id) {
  return Read("list projects", [&](Connection& c) {
    return LoadProjects(
        c, "list projects",
        "SELECT p.id, p.name, p.created_at FROM projects p "
        "JOIN memberships m ON m.project_id = p.id WHERE m.user_id = ?1 ORDER BY p.id",
        "SELECT f.project_id, f.feature FROM project_features f "
        "JOIN memberships m ON m.project_id = f.project_id WHERE m.user_id = ?1 "
        "ORDER BY f.project_id, f.feature",
        user_id);
  });
}

Status SqliteStore::SetProjectFeature(int64_t project_id, const std::string& feature,
                                      bool enabled) {
  constexpr std::string_view kOp = "set project feature";
  return Write(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", project_id));
    if (!exists) return NotFound("project not found");
    if (enabled) return InsertFeature(c, kOp, project_id, feature);
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "DELETE FROM project_features WHERE project_id = ?1 AND feature = ?2"));
    st.Bind(1, project_id).Bind(2, feature);
    return st.Run();
  });
}

Status SqliteStore::SetMembership(const Membership& m) {
  constexpr std::string_view kOp = "set membership";
  return Write(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool project_exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", m.project_id));
    if (!project_exists) return NotFound("project not found", "project_id");
    NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                           Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", m.user_id));
    if (!user_exists) return NotFound("user not found", "user_id");
    return UpsertMembership(c, kOp, m);
  });
}

Status SqliteStore::RemoveMembership(int64_t project_id, int64_t user_id) {
  return Write("remove membership", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("remove membership",
                                "DELETE FROM memberships WHERE project_id = ?1 AND user_id = ?2"));
    st.Bind(1, project_id).Bind(2, user_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("membership not found");
    return Status::Ok();
  });
}

Result<std::optional<ProjectRole>> SqliteStore::GetRole(int64_t project_id, int64_t user_id) {
  return Cached(&ReadCache::roles, std::make_pair(project_id, user_id),
                [&] { return ReadRole(project_id, user_id); });
}

Result<std::optional<ProjectRole>> SqliteStore::ReadRole(int64_t project_id, int64_t user_id) {
  return Read("get role", [&](Connection& c) -> Result<std::optional<ProjectRole>> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("get role",
                  "SELECT role FROM memberships WHERE project_id = ?1 AND user_id = ?2"));
    st.Bind(1, project_id).Bind(2, user_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return std::optional<ProjectRole>();
    auto role = ParseProjectRole(st.Text(0));
    if (!role) return Corrupt("get role", "role");
    return role;
  });
}

Result<std::vector<Membership>> SqliteStore::ListMembers(int64_t project_id) {
  constexpr std::string_view kOp = "list members";
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Membership>> {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", project_id));
    if (!exists) return NotFound("project not found");
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                   "SELECT project_id, user_id, role FROM "
                                                   "memberships WHERE project_id = ?1 "
                                                   "ORDER BY user_id"));
    st.Bind(1, project_id);
    std::vector<Membership> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto role = ParseProjectRole(st.Text(2));
      if (!role) return Corrupt(kOp, "role");
      out.push_back(Membership{st.Int64(0), st.Int64(1), *role});
    }
    return out;
  });
}

}  // namespace nexus
