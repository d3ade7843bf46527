// OpenAPI contract, server side: the document served at GET /api/v1/openapi.json is the
// embedded src/api/openapi.json and lists exactly the routes the server registers (both
// directions). tests/api/contract/ checks real responses against the document's schemas.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "api/openapi_routes.h"
#include "api_harness.h"

namespace nexus::testing {
namespace {

// "/x/{s:str}" → "/x/{s}" (OpenAPI path templates carry no capture kind).
std::string OpenApiPath(std::string pattern) {
  for (size_t pos; (pos = pattern.find(":str}")) != std::string::npos;) pattern.erase(pos, 4);
  return pattern;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A started server that served one request: ApiServer::Stop() right after Start() can miss the
// listen loop that has not begun yet, so every test talks to the server once first.
void Touch(ApiHarness& h) { ASSERT_EQ(h.Get("/healthz", "").status, 200); }

TEST(OpenApiContract, DocumentListsEveryRegisteredRouteAndNothingElse) {
  ApiHarness h;
  Touch(h);
  Json doc = Json::parse(api::OpenApiDocumentText(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "src/api/openapi.json is not valid JSON";
  std::set<std::string> registered, documented;
  for (const auto& r : h.app().server().Routes())
    registered.insert(Lower(r.method) + " " + OpenApiPath(r.pattern));
  const std::set<std::string> kMethods = {"get", "post", "put", "patch", "delete"};
  for (auto path = doc["paths"].begin(); path != doc["paths"].end(); ++path)
    for (auto m = path->begin(); m != path->end(); ++m)
      if (kMethods.count(m.key())) documented.insert(m.key() + " " + path.key());
  for (const auto& r : registered)
    EXPECT_TRUE(documented.count(r)) << "route missing from src/api/openapi.json: " << r;
  for (const auto& d : documented)
    EXPECT_TRUE(registered.count(d)) << "documented route the server does not register: " << d;
  EXPECT_GE(registered.size(), 58u);
}

TEST(OpenApiContract, PublicRoutesNeedNoAuthInTheDocument) {
  ApiHarness h;
  Touch(h);
  Json doc = Json::parse(api::OpenApiDocumentText());
  for (const auto& r : h.app().server().Routes()) {
    const Json& op = doc["paths"][OpenApiPath(r.pattern)][Lower(r.method)];
    bool open = op.contains("security") && op["security"].empty();
    EXPECT_EQ(open, !r.require_auth) << r.method << " " << r.pattern;
  }
}

TEST(OpenApiContract, ServedWithoutAuthenticationAsTheEmbeddedDocument) {
  ApiHarness h;
  auto r = h.Get("/api/v1/openapi.json", "");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, Json::parse(api::OpenApiDocumentText()));
  EXPECT_EQ(r.body["openapi"], "3.1.0");
}

}  // namespace
}  // namespace nexus::testing
