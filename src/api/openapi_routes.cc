// GET /api/v1/openapi.json: serves the embedded OpenAPI document.
#include "api/openapi_routes.h"

namespace nexus::api {

void RegisterOpenApiRoute(ApiServer& server) {
  server.Route(
      "GET", "/api/v1/openapi.json",
      [](Ctx&) -> Result<Reply> {
        static const Json kDocument = Json::parse(OpenApiDocumentText(), nullptr, false);
        if (kDocument.is_discarded()) return Internal("the embedded OpenAPI document is invalid");
        return Reply{200, kDocument};
      },
      false);
}

}  // namespace nexus::api
