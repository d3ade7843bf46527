// libFuzzer target: the REST API's strict JSON request parsing (src/api/json_util.h) — the
// depth/value-count pre-scan of ParseObject and the field readers the route files use on the
// tree it returns (issue 13). Input: a request body as a client would send it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/json_util.h"

namespace {

using nexus::api::Json;
namespace api = nexus::api;

// Runs every reader on every member of `o` (as the routes do, with their typical rules), and
// recurses into objects held by members and arrays (test steps, plan entries…).
void ReadAll(const Json& o, const std::string& path, int depth) {
  (void)api::OnlyKeys(o, {"name", "title", "description", "steps", "status", "run_id"}, path);
  size_t members = 0;
  for (auto it = o.begin(); it != o.end() && members < 64; ++it, ++members) {
    const std::string& key = it.key();
    (void)api::ReqString(o, key, path);
    (void)api::ReqString(o, key, path, {1, 200, true});
    (void)api::OptString(o, key, path, {0, 20000, false});
    (void)api::ReqInt(o, key, path);
    (void)api::OptInt(o, key, path, INT64_MIN, INT64_MAX);
    (void)api::OptInt(o, key, path, 0, 1000);
    (void)api::ReqBool(o, key, path);
    (void)api::OptBool(o, key, path);
    (void)api::OptStringArray(o, key, path, 100, {1, 200, true});
    (void)api::ReqIntArray(o, key, path, 0, 1000);
    (void)api::ReqIntArray(o, key, path, 1, 10);
    (void)api::ReqTime(o, key, path);
    (void)api::OptTime(o, key, path);
    if (depth >= 4) continue;
    const Json& v = it.value();
    std::string child = api::Path(path, key);
    if (v.is_object()) ReadAll(v, child, depth + 1);
    if (v.is_array()) {
      for (size_t i = 0; i < v.size() && i < 64; ++i)
        if (v[i].is_object()) ReadAll(v[i], api::Path(child, i), depth + 1);
    }
  }
  // Absent members take the missing/optional paths.
  (void)api::ReqString(o, "\x01missing", path);
  (void)api::OptTime(o, "\x01missing", path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto parsed = api::ParseObject(body);
  if (parsed.ok()) ReadAll(*parsed, "", 0);
  // The same bytes as a query-string value (?limit=…).
  (void)api::QueryInt(body.substr(0, 32), "limit", 1, 1000);
  (void)api::QueryInt(body.substr(0, 32), "offset", 0, INT64_MAX);
  return 0;
}
