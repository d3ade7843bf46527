// REST routes of the TestRail catalog and links (api.md "TestRail integration"): catalog
// state and sync, section tree, case search, test- and step-level links, acknowledge.
// Everything answers 404 (code "feature_disabled") while the project's "testrail" feature
// is off. Reads need project:read-runs; link changes and sync requests project:edit-tests.
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "integration/catalog_service.h"
#include "integration/link_service.h"
#include "jobs/job_runner.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterCatalogRoutes(ApiServer& server, auth::AuthService& auth,
                           integration::CatalogService& catalog, integration::LinkService& links,
                           jobs::JobRunner& runner);

}  // namespace nexus::api
