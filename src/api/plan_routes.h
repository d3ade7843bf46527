// REST routes of test plans and executions (api.md "Projects, tests, runs").
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "domain/plan_service.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterPlanRoutes(ApiServer& server, auth::AuthService& auth, domain::PlanService& plans);

}  // namespace nexus::api
