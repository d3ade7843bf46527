// Helpers shared by the route sets.
#include "api/route_util.h"

namespace nexus::api {

Result<PageRequest> ReadPage(const Ctx& ctx) {
  PageRequest p;
  NEXUS_ASSIGN_OR_RETURN(auto limit, QueryInt(ctx.Query("limit"), "limit", 1, 200));
  NEXUS_ASSIGN_OR_RETURN(auto cursor, QueryInt(ctx.Query("cursor"), "cursor", 0, INT64_MAX / 2));
  p.limit = static_cast<int>(limit.value_or(50));
  p.after_id = cursor.value_or(0);
  return p;
}

Result<int64_t> RequireTestRailProject(auth::AuthService& auth, const Ctx& c, Permission p) {
  NEXUS_ASSIGN_OR_RETURN(Project project, auth.RequireVisibleProject(c.Who(), c.Id(0)));
  if (!project.HasFeature("testrail"))
    return Status(StatusCode::kNotFound, "the TestRail integration is not enabled for this project",
                  {}, "feature_disabled");
  NEXUS_ASSIGN_OR_RETURN(project, auth.RequireProject(c.Who(), project.id, p));
  return project.id;
}

}  // namespace nexus::api
