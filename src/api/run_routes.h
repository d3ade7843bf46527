// REST routes of runs (api.md "Projects, tests, runs"): report, read, list, patch.
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "domain/run_service.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterRunRoutes(ApiServer& server, auth::AuthService& auth, domain::RunService& runs);

}  // namespace nexus::api
