// REST routes of Configs → TestRail (api.md "TestRail integration": connection, remote
// projects/suites, project and suite selection, statuses, mapping, options). Everything
// under /projects/{p}/testrail answers 404 (code "feature_disabled") while the project's
// "testrail" feature flag is off (R-FLAG). Reads need project:read-runs; changes and
// remote/* calls need project:edit-configs.
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "integration/testrail_config_service.h"

namespace nexus::api {

// Registers the routes on `server`; `auth` and `config` must outlive it.
void RegisterTestRailRoutes(ApiServer& server, auth::AuthService& auth,
                            integration::TestRailConfigService& config);

// JSON views (shared with later TestRail route sets).
Json TestRailConfigJson(const integration::TestRailConfigView& v);
Json TestRailMappingJson(const integration::TestRailMappingView& v);

}  // namespace nexus::api
