// REST route of JUnit imports (R-IMPORT, issue 18; api.md "Imports", docs/ci-import.md):
//   POST /api/v1/projects/{p}/imports/junit?execution_name=&build=&export=
// The body is the report itself — application/xml (or text/xml, application/octet-stream),
// plain or gzip (Content-Encoding: gzip, or application/gzip) — up to kMaxJUnitUploadBytes
// as sent. Permission project:operate-runs (an import creates runs and an execution);
// export=true additionally needs the project's TestRail integration, like any export.
#pragma once

#include "api/server.h"
#include "auth/auth_service.h"
#include "integration/junit_import_service.h"

namespace nexus::api {

// Bytes on the wire (gzip counts compressed; `nexus import junit` compresses, so 50 MB of XML
// fits in a few MB).
inline constexpr size_t kMaxJUnitUploadBytes = 32 * 1024 * 1024;

// Registers the route; `auth` and `imports` must outlive the server.
void RegisterImportRoutes(ApiServer& server, auth::AuthService& auth,
                          integration::JUnitImportService& imports);

// The JSON view of an import (also printed by the CLI in local mode).
Json JUnitImportJson(const integration::JUnitImportView& v);

}  // namespace nexus::api
