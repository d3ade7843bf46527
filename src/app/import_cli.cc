// `nexus import junit` (import_cli.h): combine the files, then either POST the report
// (gzip) to a running Nexus or import it into the local data dir; one summary, one exit code.
#include "app/import_cli.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "api/import_routes.h"
#include "imports/junit_parser.h"
#include "integration/junit_import_service.h"
#include "testrail/curl_transport.h"

namespace nexus::app {
namespace {

using Json = nlohmann::json;

constexpr int kExitFailures = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitExportFailed = 3;
constexpr int kExitServer = 4;

int64_t CountLines(std::string_view s) {
  return static_cast<int64_t>(std::count(s.begin(), s.end(), '\n'));
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return InvalidArgument(path + ": read error");
  return ss.str();
}

// Where the root element starts: after a BOM, the XML declaration, comments, processing
// instructions and whitespace. InvalidArgument for a declared encoding other than UTF-8
// (the combined document is UTF-8).
Result<size_t> RootStart(const std::string& file, const std::string& xml) {
  size_t i = 0;
  if (xml.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  while (i < xml.size()) {
    if (std::isspace(static_cast<unsigned char>(xml[i]))) {
      ++i;
    } else if (xml.compare(i, 2, "<?") == 0) {
      size_t end = xml.find("?>", i);
      if (end == std::string::npos) break;
      std::string decl = xml.substr(i, end - i);
      for (auto& ch : decl) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t enc = decl.find("encoding");
      if (enc != std::string::npos && decl.find("utf-8", enc) == std::string::npos)
        return InvalidArgument(file +
                               ": only UTF-8 reports can be combined with others; import it "
                               "on its own");
      i = end + 2;
    } else if (xml.compare(i, 4, "<!--") == 0) {
      size_t end = xml.find("-->", i);
      if (end == std::string::npos) break;
      i = end + 3;
    } else {
      break;
    }
  }
  return i;
}

// "… line N …" numbers of the combined document → the file's own.
std::string Relocate(const CombinedReport& r, const std::string& message) {
  size_t at = message.find("line ");
  if (at == std::string::npos || r.parts.empty()) return message;
  size_t b = at + 5, e = b;
  while (e < message.size() && std::isdigit(static_cast<unsigned char>(message[e]))) ++e;
  if (e == b) return message;
  int64_t line = std::stoll(message.substr(b, e - b));
  const CombinedReport::Part* part = &r.parts.front();
  for (const auto& p : r.parts)
    if (p.first_line <= line) part = &p;
  int64_t local = line - part->first_line + 1 + part->skipped_lines;
  return part->file + ": " + message.substr(0, at) + "line " + std::to_string(local) +
         message.substr(e);
}

// gzip of `in` (level 6: ~10x on JUnit XML at >100 MB/s).
Result<std::string> Gzip(const std::string& in) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Internal("zlib initialisation failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Internal("gzip failed");
  return out;
}

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

// The summary, and the exit code it means.
int Report(const ImportCliOptions& o, const Json& j) {
  if (o.json || isatty(STDOUT_FILENO) == 0) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("import %lld: execution %lld \"%s\"%s\n",
                static_cast<long long>(j["id"].get<int64_t>()),
                static_cast<long long>(j["execution_id"].get<int64_t>()),
                j["execution_name"].get<std::string>().c_str(),
                j["already_imported"].get<bool>() ? " (already imported: same report)" : "");
    std::printf("  testcases: %lld (passed %lld, failed %lld, errors %lld, skipped %lld)\n",
                static_cast<long long>(j["testcases"].get<int64_t>()),
                static_cast<long long>(j["passed"].get<int64_t>()),
                static_cast<long long>(j["failed"].get<int64_t>()),
                static_cast<long long>(j["errors"].get<int64_t>()),
                static_cast<long long>(j["skipped"].get<int64_t>()));
    std::printf("  new tests: %lld, links added: %lld\n",
                static_cast<long long>(j["tests_created"].get<int64_t>()),
                static_cast<long long>(j["links_added"].get<int64_t>()));
    const Json& e = j["export"];
    if (e.is_object()) {
      std::printf("  export %s: %s%s\n", e["id"].dump().c_str(),
                  e["state"].get<std::string>().c_str(),
                  e["already_exported"].get<bool>() ? " (exported before)" : "");
      if (e["testrail_url"].is_string())
        std::printf("  TestRail: %s\n", e["testrail_url"].get<std::string>().c_str());
      if (e["error"].is_string())
        std::printf("  export error: %s\n", e["error"].get<std::string>().c_str());
    }
    if (j["export_error"].is_object())
      std::printf("  export error: %s\n", j["export_error"]["message"].get<std::string>().c_str());
  }
  if (o.export_to_testrail) {
    const Json& e = j["export"];
    bool ok = e.is_object() && (e["state"] == "succeeded" || e["error_code"] == "nothing_to_send");
    if (!ok) return kExitExportFailed;
  }
  if (j["failed"].get<int64_t>() + j["errors"].get<int64_t>() > 0) return kExitFailures;
  return 0;
}

int RunServerMode(const ImportCliOptions& o, const CombinedReport& report) {
  auto body = Gzip(report.xml);
  if (!body.ok()) return Fail(kExitServer, body.status().message());
  std::string base = o.server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = base + "/api/v1/projects/" + std::to_string(o.project_id) + "/imports/junit";
  std::string sep = "?";
  if (!o.execution_name.empty()) {
    url += sep + "execution_name=" + UrlEncode(o.execution_name);
    sep = "&";
  }
  if (!o.build.empty()) {
    url += sep + "build=" + UrlEncode(o.build);
    sep = "&";
  }
  for (const auto& a : o.attributes) {
    url += sep + "attributes=" + UrlEncode(a);
    sep = "&";
  }
  if (!o.result_map.empty()) {
    url += sep + "result_map=" + UrlEncode(o.result_map);
    sep = "&";
  }
  if (o.export_to_testrail) url += sep + "export=true";

  testrail::CurlTransportOptions to;
  to.user_agent = "nexus-import/1.0";
  testrail::CurlTransport transport(to);
  testrail::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Authorization", "Bearer " + o.token},
                 {"Content-Type", "application/xml"},
                 {"Content-Encoding", "gzip"},
                 {"Accept", "application/json"}};
  req.body = std::move(body).value();
  req.timeout_ms = o.timeout_s * 1000;
  // The server is the one the user named: loopback and private hosts (a CI runner next to
  // Nexus) and plain http:// are its choice. Link-local/metadata addresses stay refused.
  req.allow_private = true;
  req.allow_insecure_http = true;
  auto out = transport.Send(req);
  if (!out.ok()) return Fail(kExitServer, "cannot reach " + base + ": " + out.error.detail);
  const auto& res = *out.response;
  Json j = Json::parse(res.body, nullptr, false);
  if (res.status >= 400) {
    std::string message = j.is_object() && j.contains("error") && j["error"]["message"].is_string()
                              ? j["error"]["message"].get<std::string>()
                              : "HTTP " + std::to_string(res.status);
    return Fail(res.status >= 500 ? kExitServer : kExitBadInput,
                Relocate(report, message) + " (HTTP " + std::to_string(res.status) + ")");
  }
  if (!j.is_object() || !j.contains("execution_id"))
    return Fail(kExitServer,
                "unexpected answer from " + base + " (HTTP " + std::to_string(res.status) + ")");
  return Report(o, j);
}

int RunLocalMode(const ImportCliOptions& o, Config config, const CombinedReport* combined) {
  config.serve_http = false;
  config.catalog_sync_interval_ms = 0;
  auto app = App::Start(config);
  if (!app.ok()) return Fail(kExitBadInput, app.status().message());
  integration::JUnitImportRequest req;
  req.project_id = o.project_id;
  if (!o.execution_name.empty()) req.execution_name = o.execution_name;
  req.build = o.build;
  req.export_to_testrail = o.export_to_testrail;
  if (!o.result_map.empty()) {
    auto map = integration::ParseJUnitResultMap(o.result_map);  // checked by RunImportJUnit
    if (!map.ok()) return Fail(kExitBadInput, "--result-map: " + map.status().message());
    req.result_map = *map;
  }
  for (const auto& a : o.attributes) {
    size_t sep = a.find('=');
    req.attributes[a.substr(0, sep)] = a.substr(sep + 1);  // shape checked by RunImportJUnit
  }
  // One file is streamed from disk (a 50 MB report is never held whole).
  auto view = app.value()->imports().Import(
      req, combined ? integration::ChunksOf(combined->xml) : integration::FileChunks(o.files[0]));
  app.value()->Stop();
  if (!view.ok()) {
    std::string msg = view.status().message();
    msg = combined ? Relocate(*combined, msg) : o.files[0] + ": " + msg;
    return Fail(view.status().code() == StatusCode::kInvalidArgument ||
                        view.status().code() == StatusCode::kNotFound
                    ? kExitBadInput
                    : kExitServer,
                msg);
  }
  return Report(o, api::JUnitImportJson(*view));
}

}  // namespace

std::string CombinedReport::Locate(const std::string& message) const {
  return Relocate(*this, message);
}

Result<CombinedReport> CombineReports(const std::vector<std::string>& files) {
  CombinedReport r;
  if (files.size() == 1) {
    NEXUS_ASSIGN_OR_RETURN(r.xml, ReadFile(files[0]));
    r.parts.push_back({1, 0, files[0]});
    return r;
  }
  r.xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  int64_t line = 3;
  for (const auto& f : files) {
    NEXUS_ASSIGN_OR_RETURN(std::string xml, ReadFile(f));
    // Checked alone first, so an error names the file and its own line.
    imports::JUnitParser check([](imports::JUnitCase&&) { return Status::Ok(); });
    Status st = check.Feed(xml);
    if (st.ok()) st = check.Finish();
    if (!st.ok()) return Status(st.code(), f + ": " + st.message(), st.field(), st.reason());
    NEXUS_ASSIGN_OR_RETURN(size_t start, RootStart(f, xml));
    std::string_view body = std::string_view(xml).substr(start);
    r.parts.push_back({line, CountLines(std::string_view(xml).substr(0, start)), f});
    r.xml.append(body);
    r.xml.push_back('\n');
    line += CountLines(body) + 1;
  }
  r.xml += "</testsuites>\n";
  return r;
}

int RunImportJUnit(const ImportCliOptions& o, Config config) {
  const bool server = !o.server.empty();
  if (server && o.local)
    return Fail(kExitBadInput, "give either --server (with --token) or --data-dir, not both");
  if (server && o.token.empty())
    return Fail(kExitBadInput, "--server needs --token (or NEXUS_TOKEN)");
  if (!server && !o.local)
    return Fail(kExitBadInput, "give --server URL --token T, or --data-dir DIR");
  if (!o.execution_name.empty()) {
    auto n = integration::ValidateExecutionName(o.execution_name);
    if (!n.ok()) return Fail(kExitBadInput, "--execution-name: " + n.status().message());
  }
  RunAttributes attributes;
  for (const auto& a : o.attributes) {
    size_t sep = a.find('=');
    if (sep == std::string::npos || sep == 0)
      return Fail(kExitBadInput, "--attribute must be key=value, got '" + a + "'");
    if (!attributes.emplace(a.substr(0, sep), a.substr(sep + 1)).second)
      return Fail(kExitBadInput, "--attribute " + a.substr(0, sep) + " is given twice");
  }
  if (Status st = CheckRunAttributes(attributes, "--attribute"); !st.ok())
    return Fail(kExitBadInput, st.message());
  if (!o.result_map.empty()) {
    auto map = integration::ParseJUnitResultMap(o.result_map);
    if (!map.ok()) return Fail(kExitBadInput, "--result-map: " + map.status().message());
  }
  if (server) {
    auto report = CombineReports(o.files);
    if (!report.ok()) return Fail(kExitBadInput, report.status().message());
    return RunServerMode(o, *report);
  }
  if (o.files.size() == 1) return RunLocalMode(o, config, nullptr);
  auto report = CombineReports(o.files);
  if (!report.ok()) return Fail(kExitBadInput, report.status().message());
  return RunLocalMode(o, config, &*report);
}

}  // namespace nexus::app
