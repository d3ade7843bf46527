// Helpers shared by the model's method files (model.cc, model_fields.cc, model_plans.cc):
// TestRail's error envelope and message patterns, lenient JSON readers and filter access.
// Internal to the simulator; not part of the library's interface.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <string>

#include "model.h"

namespace testrail_sim::internal {

constexpr size_t kMaxPage = 250;
constexpr size_t kMaxNameLength = 250;

inline ApiResponse Error(int status, const std::string& text) {
  ApiResponse r;
  r.status = status;
  r.body = Json{{"error", text}};
  return r;
}

inline ApiResponse Ok(Json body) {
  ApiResponse r;
  r.body = std::move(body);
  return r;
}

inline ApiResponse EmptyOk() {
  ApiResponse r;
  r.body_is_empty = true;
  return r;
}

inline std::string Required(const std::string& field) {
  return "Field :" + field + " is a required field.";
}

inline std::string TooLong(const std::string& field) {
  return "Field :" + field + " is too long (250 characters at most).";
}

inline constexpr char kRunCompleted[] =
    "This operation is not allowed. The test run is already completed.";
inline constexpr char kPlanCompleted[] =
    "This operation is not allowed. The test plan is already completed.";
inline constexpr char kRunInPlanClose[] =
    "This operation is not allowed. The test run belongs to a test plan and cannot be closed "
    "independently.";
inline constexpr char kRunInPlanEdit[] =
    "This operation is not allowed. The test run belongs to a test plan and cannot be edited "
    "independently.";
inline constexpr char kRunInPlanDelete[] =
    "This operation is not allowed. The test run belongs to a test plan and cannot be deleted "
    "independently.";
inline constexpr char kInvalidProject[] = "Field :project_id is not a valid or accessible project.";
inline constexpr char kInvalidSuite[] = "Field :suite_id is not a valid test suite.";
inline constexpr char kInvalidSection[] = "Field :section_id is not a valid section.";
inline constexpr char kInvalidCase[] = "Field :case_id is not a valid test case.";
inline constexpr char kInvalidRun[] = "Field :run_id is not a valid test run.";
inline constexpr char kInvalidPlan[] = "Field :plan_id is not a valid test plan.";
inline constexpr char kInvalidTest[] = "Field :test_id is not a valid test.";
inline constexpr char kInvalidResult[] = "Field :result_id is not a valid result.";
inline constexpr char kNoTests[] = "include_all is false but no tests were provided.";

inline bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e;
}

// JSON int accepting numbers and numeric strings (TestRail is lenient there).
inline bool JsonInt(const Json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_unsigned()) {
    *out = static_cast<int64_t>(v.get<uint64_t>());
    return true;
  }
  if (v.is_string()) return ParseInt(v.get<std::string>(), out);
  return false;
}

// TestRail's boolean fields accept true/false, 0/1 and "true"/"false"/"0"/"1".
inline bool JsonBool(const Json& obj, const char* key, bool def) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return def;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<double>() != 0;
  if (it->is_string()) {
    const std::string& v = it->get_ref<const std::string&>();
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
  }
  return def;
}

inline std::string JsonStr(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

inline const std::string* Filter(const ApiCall& c, const std::string& key) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : c.filters) {
    if (k == key) found = &v;
  }
  return found;
}

// Reads a filter as an integer; nullopt if absent. *bad set when present but not numeric.
inline std::optional<int64_t> IntFilter(const ApiCall& c, const std::string& key, bool* bad) {
  const std::string* v = Filter(c, key);
  if (!v) return std::nullopt;
  int64_t out = 0;
  if (!ParseInt(*v, &out)) {
    *bad = true;
    return std::nullopt;
  }
  return out;
}

inline std::optional<std::set<int64_t>> IntListFilter(const ApiCall& c, const std::string& key) {
  const std::string* v = Filter(c, key);
  if (!v) return std::nullopt;
  std::set<int64_t> out;
  size_t start = 0;
  while (start <= v->size()) {
    size_t comma = v->find(',', start);
    if (comma == std::string::npos) comma = v->size();
    int64_t n = 0;
    if (ParseInt(v->substr(start, comma - start), &n)) out.insert(n);
    start = comma + 1;
  }
  return out;
}

inline bool IdArg(const ApiCall& c, size_t index, const std::string& field, int64_t* out,
                  ApiResponse* err) {
  if (c.ids.size() <= index || c.ids[index].empty()) {
    *err = Error(400, Required(field));
    return false;
  }
  if (!ParseInt(c.ids[index], out)) {
    *err = Error(400, "Field :" + field + " is not a valid ID.");
    return false;
  }
  return true;
}

inline Json NullIfZero(int64_t v) { return v == 0 ? Json(nullptr) : Json(v); }
inline Json NullIfEmpty(const std::string& v) { return v.empty() ? Json(nullptr) : Json(v); }

inline std::string Lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

inline std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',' ||
        ch == ':' || ch == '@') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

// "30s", "1m 45s", "2h 5m", "1d", "1w"; plain digits mean seconds. A span of zero ("0s",
// "0m 0s") is refused, as TestRail refuses it. "" means "not given" and is accepted.
inline bool ValidElapsed(const std::string& s) {
  if (s.empty()) return true;
  size_t i = 0;
  bool nonzero = false;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return false;
    for (size_t k = start; k < i; ++k) nonzero |= s[k] != '0';
    if (i < s.size() && std::string("wdhms").find(s[i]) != std::string::npos) {
      ++i;
    } else if (i < s.size() && s[i] != ' ') {
      return false;
    }
  }
  return nonzero;
}

}  // namespace testrail_sim::internal
