// REST routes of tests and their steps (api.md "Projects, tests, runs").
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "domain/test_service.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterTestRoutes(ApiServer& server, auth::AuthService& auth, domain::TestService& tests);

}  // namespace nexus::api
