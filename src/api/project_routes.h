// REST routes of projects, their feature flags and members (api.md "Projects, tests, runs").
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "domain/project_service.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterProjectRoutes(ApiServer& server, auth::AuthService& auth,
                           domain::ProjectService& projects);

}  // namespace nexus::api
