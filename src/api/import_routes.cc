// JUnit import route: visibility → permission → query → service (import_routes.h).
#include "api/import_routes.h"

#include "api/export_routes.h"
#include "core/time_util.h"

namespace nexus::api {
namespace {

using integration::JUnitImportService;

// Query parameters the route knows; any other is refused (R-Q-BAD: a misspelt
// `exprot=true` must not silently import without exporting).
const char* const kParams[] = {"execution_name", "build", "export", "attributes", "result_map"};

// Every `attributes=key=value` of the query (repeatable), percent-decoded. A pair without
// '=' is 400 naming it.
Result<RunAttributes> AttributesOf(const HttpRequest& req) {
  RunAttributes out;
  size_t pos = 0;
  const std::string& q = req.query;
  while (pos < q.size()) {
    size_t end = q.find('&', pos);
    if (end == std::string::npos) end = q.size();
    std::string part = q.substr(pos, end - pos);
    pos = end + 1;
    size_t eq = part.find('=');
    if (eq == std::string::npos || PercentDecode(part.substr(0, eq), true) != "attributes")
      continue;
    std::string pair = PercentDecode(part.substr(eq + 1), true);
    size_t sep = pair.find('=');
    if (sep == std::string::npos || sep == 0)
      return InvalidArgument("attributes must be key=value, got '" + pair.substr(0, 80) + "'",
                             "attributes", "invalid_value");
    std::string key = pair.substr(0, sep);
    if (out.count(key))
      return InvalidArgument("attribute " + key.substr(0, 64) + " is given twice",
                             "attributes." + key.substr(0, 64), "invalid_value");
    out.emplace(std::move(key), pair.substr(sep + 1));
  }
  return out;
}

Status CheckParams(const HttpRequest& req) {
  size_t pos = 0;
  const std::string& q = req.query;
  while (pos < q.size()) {
    size_t end = q.find('&', pos);
    if (end == std::string::npos) end = q.size();
    std::string part = q.substr(pos, end - pos);
    std::string name = PercentDecode(part.substr(0, part.find('=')), true);
    pos = end + 1;
    if (name.empty()) continue;
    bool known = false;
    for (const char* k : kParams) known = known || name == k;
    if (!known)
      return InvalidArgument("unknown query parameter '" + name.substr(0, 60) +
                                 "' (known: execution_name, build, export, attributes, result_map)",
                             name.substr(0, 60), "unknown_field");
  }
  return Status::Ok();
}

class ImportApi {
 public:
  ImportApi(auth::AuthService& auth, JUnitImportService& imports)
      : auth_(auth), imports_(imports) {}

  void Register(ApiServer& s) {
    UploadOptions up;
    up.max_body_bytes = kMaxJUnitUploadBytes;
    up.media_types = {"application/xml", "text/xml", "application/gzip", "application/x-gzip",
                      "application/octet-stream"};
    s.RouteUpload(
        "POST", "/api/v1/projects/{p}/imports/junit", [this](Ctx& c) { return Post(c); }, up);
  }

 private:
  Result<Reply> Post(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project project,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_RETURN_IF_ERROR(CheckParams(c.req));
    std::string encoding = c.req.Header("Content-Encoding");
    if (!encoding.empty() && encoding != "gzip" && encoding != "identity" && encoding != "x-gzip")
      return Status(StatusCode::kUnsupportedMediaType,
                    "Content-Encoding '" + encoding.substr(0, 40) +
                        "' is not supported (send the XML plain or gzip)",
                    "", "unsupported_media_type");
    integration::JUnitImportRequest req;
    req.project_id = project.id;
    req.user_id = c.Who().user.id;
    if (c.req.HasParam("execution_name")) req.execution_name = c.Query("execution_name");
    req.build = c.Query("build");
    NEXUS_ASSIGN_OR_RETURN(req.attributes, AttributesOf(c.req));
    if (c.req.HasParam("result_map")) {
      NEXUS_ASSIGN_OR_RETURN(req.result_map,
                             integration::ParseJUnitResultMap(c.Query("result_map")));
    }
    if (c.req.HasParam("export")) {
      std::string e = c.Query("export");
      if (e != "true" && e != "false")
        return InvalidArgument("export must be true or false", "export", "invalid_value");
      req.export_to_testrail = e == "true";
    }
    NEXUS_ASSIGN_OR_RETURN(auto view, imports_.Import(req, integration::ChunksOf(c.req.body)));
    return Reply{view.already_imported ? 200 : 201, JUnitImportJson(view)};
  }

  auth::AuthService& auth_;
  JUnitImportService& imports_;
};

}  // namespace

Json JUnitImportJson(const integration::JUnitImportView& v) {
  const JUnitImportRecord& r = v.record;
  Json j = {{"id", r.id},
            {"execution_id", r.execution_id},
            {"execution_name", r.execution_name},
            {"plan_id", r.plan_id},
            {"sha256", r.sha256},
            {"testcases", r.testcases},
            {"passed", r.passed},
            {"failed", r.failed},
            {"errors", r.errors},
            {"skipped", r.skipped},
            {"tests_created", r.tests_created},
            {"links_added", r.links_added},
            {"created_at", FormatRfc3339(r.created_at)},
            {"already_imported", v.already_imported},
            {"export", nullptr},
            {"export_error", nullptr}};
  if (v.export_view) j["export"] = ExportJson(*v.export_view);
  if (!v.export_status.ok()) j["export_error"] = ApiServer::ErrorBody(v.export_status)["error"];
  return j;
}

void RegisterImportRoutes(ApiServer& server, auth::AuthService& auth,
                          integration::JUnitImportService& imports) {
  auto api = std::make_shared<ImportApi>(auth, imports);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
