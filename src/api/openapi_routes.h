// The REST API's OpenAPI 3.1 description (src/api/openapi.json, embedded at build time) and
// the route that serves it.
#pragma once

#include <string_view>

#include "api/server.h"

namespace nexus::api {

// The text of src/api/openapi.json as it was when the binary was built.
std::string_view OpenApiDocumentText();

// Registers GET /api/v1/openapi.json (no authentication): the document above, parsed once.
void RegisterOpenApiRoute(ApiServer& server);

}  // namespace nexus::api
