// REST routes of TestRail exports (api.md "TestRail integration": POST/GET
// /projects/{p}/testrail/exports, GET /projects/{p}/testrail/exports/{id},
// GET /projects/{p}/runs/{r}/testrail). Gated like the other TestRail routes: 404
// "feature_disabled" while the project's testrail flag is off; permission project:read-runs
// (R-EXP: anyone who can view the project's runs may export them).
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "integration/export_service.h"

namespace nexus::api {

// Registers the routes; `auth` and `exports` must outlive the server.
void RegisterExportRoutes(ApiServer& server, auth::AuthService& auth,
                          integration::ExportService& exports);

// JSON views (also used by the CLI).
Json ExportJson(const integration::ExportView& v);
Json RunSyncJson(const integration::RunSyncView& v);

}  // namespace nexus::api
