// REST routes of users and auth (api.md "Users and auth"): health, login/logout, /me,
// API tokens, users.
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "core/clock.h"
#include "domain/health_service.h"
#include "domain/project_service.h"
#include "domain/user_service.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterAuthRoutes(ApiServer& server, auth::AuthService& auth, domain::UserService& users,
                        domain::ProjectService& projects, domain::HealthService& health,
                        const Clock& clock);

}  // namespace nexus::api
