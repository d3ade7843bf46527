// REST routes of run artifacts (issue 17, docs/api.md "Run artifacts"): upload (the raw
// bytes as the body, spooled to disk by the HTTP front), list, download (with byte ranges, for
// video) and delete.
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "domain/artifact_service.h"

namespace nexus::api {

// Registers the routes on `server`; every reference must outlive it.
void RegisterArtifactRoutes(ApiServer& server, auth::AuthService& auth,
                            domain::ArtifactService& artifacts);

}  // namespace nexus::api
