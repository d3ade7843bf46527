// Strict JSON input for the REST API (R-Q-BAD): parse, reject unknown fields, check types,
// ranges and required fields, and report the JSON path of the first offence. Every
// function returns InvalidArgument with reason one of malformed_json, not_an_object,
// unknown_field, missing_field, invalid_type, invalid_value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace nexus::api {

using Json = nlohmann::json;

// Parses a request body that must be a JSON object.
Result<Json> ParseObject(const std::string& body);
// Limits ParseObject checks while scanning, before any tree is built: no legitimate request
// nests deeper than a handful of levels or holds more than a few thousand values (the largest,
// a test of 500 steps, holds ~3,000).
inline constexpr size_t kMaxJsonDepth = 32;
inline constexpr size_t kMaxJsonValues = 100000;

// Fails on the first key of `o` not in `allowed` (field = path + key).
Status OnlyKeys(const Json& o, std::initializer_list<std::string_view> allowed,
                const std::string& path = "");

std::string Path(const std::string& base, std::string_view key);
std::string Path(const std::string& base, size_t index);

struct StrRule {
  size_t min = 0;
  size_t max = 10000;
  bool trim_check = false;  // reject values that are only whitespace
};

// Required members: missing_field when absent (or null), invalid_type/invalid_value else.
Result<std::string> ReqString(const Json& o, std::string_view key, const std::string& path,
                              StrRule rule = {});
Result<int64_t> ReqInt(const Json& o, std::string_view key, const std::string& path,
                       int64_t min = 1, int64_t max = INT64_MAX);
Result<bool> ReqBool(const Json& o, std::string_view key, const std::string& path);

// Optional members: nullopt when absent or null.
Result<std::optional<std::string>> OptString(const Json& o, std::string_view key,
                                             const std::string& path, StrRule rule = {});
Result<std::optional<int64_t>> OptInt(const Json& o, std::string_view key, const std::string& path,
                                      int64_t min = 1, int64_t max = INT64_MAX);
Result<std::optional<bool>> OptBool(const Json& o, std::string_view key, const std::string& path);
// Absent → empty vector.
Result<std::vector<std::string>> OptStringArray(const Json& o, std::string_view key,
                                                const std::string& path, size_t max_items,
                                                StrRule rule);
Result<std::vector<int64_t>> ReqIntArray(const Json& o, std::string_view key,
                                         const std::string& path, size_t min_items,
                                         size_t max_items);
// Required RFC 3339 timestamp → epoch ms.
Result<int64_t> ReqTime(const Json& o, std::string_view key, const std::string& path);
Result<std::optional<int64_t>> OptTime(const Json& o, std::string_view key,
                                       const std::string& path);

// Query-string integer (e.g. ?limit=) with range.
Result<std::optional<int64_t>> QueryInt(const std::string& raw, std::string_view name, int64_t min,
                                        int64_t max);

}  // namespace nexus::api
