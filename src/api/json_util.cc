// Strict JSON helpers.
#include "api/json_util.h"

#include "core/time_util.h"

namespace nexus::api {
namespace {

Status Bad(std::string msg, std::string field, std::string reason) {
  return InvalidArgument(std::move(msg), std::move(field), std::move(reason));
}

const char* TypeName(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

Status WrongType(const Json& v, const std::string& field, const char* want) {
  return Bad(field + " must be " + want + ", not " + TypeName(v), field, "invalid_type");
}

// Length in characters (UTF-8 code points; the JSON parser guarantees valid UTF-8), so
// limits such as "at most 200 characters" hold for non-Latin scripts too.
size_t CharCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

Status CheckString(const std::string& s, const std::string& field, const StrRule& rule) {
  size_t chars = CharCount(s);
  if (chars < rule.min) {
    if (rule.min == 1) return Bad(field + " must not be empty", field, "invalid_value");
    return Bad(field + " must be at least " + std::to_string(rule.min) + " characters", field,
               "invalid_value");
  }
  if (chars > rule.max)
    return Bad(field + " must be at most " + std::to_string(rule.max) + " characters", field,
               "invalid_value");
  if (rule.trim_check && s.find_first_not_of(" \t\r\n") == std::string::npos && !s.empty())
    return Bad(field + " must not be blank", field, "invalid_value");
  return Status::Ok();
}

// First pass over a request body without building a tree: stops at the first value nested
// deeper than kMaxJsonDepth or past kMaxJsonValues values, so a hostile body (a million
// nested arrays, a million tiny values) is refused for the cost of scanning it.
class LimitScan : public nlohmann::json_sax<Json> {
 public:
  enum class Verdict { kOk, kTooDeep, kTooMany, kMalformed };
  Verdict verdict = Verdict::kOk;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    verdict = Verdict::kMalformed;
    return false;
  }

 private:
  bool Value() {
    if (++values_ <= kMaxJsonValues) return true;
    verdict = Verdict::kTooMany;
    return false;
  }
  bool Open() {
    if (++depth_ > kMaxJsonDepth) {
      verdict = Verdict::kTooDeep;
      return false;
    }
    return Value();
  }
  bool Close() {
    --depth_;
    return true;
  }
  size_t depth_ = 0;
  size_t values_ = 0;
};

const Json* Member(const Json& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

std::string Path(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}
std::string Path(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

Result<Json> ParseObject(const std::string& body) {
  if (body.empty()) return Bad("request body must be a JSON object", "", "malformed_json");
  LimitScan scan;
  Json::sax_parse(body, &scan, nlohmann::detail::input_format_t::json, /*strict=*/true);
  if (scan.verdict == LimitScan::Verdict::kTooDeep)
    return Bad("request body is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
               "", "too_deep");
  if (scan.verdict == LimitScan::Verdict::kTooMany)
    return Bad("request body holds more than " + std::to_string(kMaxJsonValues) + " values", "",
               "too_many_values");
  if (scan.verdict == LimitScan::Verdict::kMalformed)
    return Bad("request body is not valid JSON", "", "malformed_json");
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("request body is not valid JSON", "", "malformed_json");
  if (!j.is_object())
    return Bad(std::string("request body must be a JSON object, not ") + TypeName(j), "",
               "not_an_object");
  return j;
}

Status OnlyKeys(const Json& o, std::initializer_list<std::string_view> allowed,
                const std::string& path) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    bool ok = false;
    for (auto a : allowed)
      if (a == it.key()) ok = true;
    if (!ok) {
      std::string field = Path(path, it.key());
      return Bad("unknown field '" + field + "'", field, "unknown_field");
    }
  }
  return Status::Ok();
}

Result<std::string> ReqString(const Json& o, std::string_view key, const std::string& path,
                              StrRule rule) {
  std::string field = Path(path, key);
  const Json* v = Member(o, key);
  if (!v) return Bad(field + " is required", field, "missing_field");
  if (!v->is_string()) return WrongType(*v, field, "a string");
  std::string s = v->get<std::string>();
  NEXUS_RETURN_IF_ERROR(CheckString(s, field, rule));
  return s;
}

Result<int64_t> ReqInt(const Json& o, std::string_view key, const std::string& path, int64_t min,
                       int64_t max) {
  std::string field = Path(path, key);
  const Json* v = Member(o, key);
  if (!v) return Bad(field + " is required", field, "missing_field");
  if (!v->is_number_integer()) return WrongType(*v, field, "an integer");
  int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : v->get<int64_t>();
  if (n < min || n > max)
    return Bad(field + " must be between " + std::to_string(min) + " and " + std::to_string(max),
               field, "invalid_value");
  return n;
}

Result<bool> ReqBool(const Json& o, std::string_view key, const std::string& path) {
  std::string field = Path(path, key);
  const Json* v = Member(o, key);
  if (!v) return Bad(field + " is required", field, "missing_field");
  if (!v->is_boolean()) return WrongType(*v, field, "a boolean");
  return v->get<bool>();
}

Result<std::optional<std::string>> OptString(const Json& o, std::string_view key,
                                             const std::string& path, StrRule rule) {
  if (!Member(o, key)) return std::optional<std::string>();
  NEXUS_ASSIGN_OR_RETURN(std::string s, ReqString(o, key, path, rule));
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<int64_t>> OptInt(const Json& o, std::string_view key, const std::string& path,
                                      int64_t min, int64_t max) {
  if (!Member(o, key)) return std::optional<int64_t>();
  NEXUS_ASSIGN_OR_RETURN(int64_t n, ReqInt(o, key, path, min, max));
  return std::optional<int64_t>(n);
}

Result<std::optional<bool>> OptBool(const Json& o, std::string_view key, const std::string& path) {
  if (!Member(o, key)) return std::optional<bool>();
  NEXUS_ASSIGN_OR_RETURN(bool b, ReqBool(o, key, path));
  return std::optional<bool>(b);
}

Result<std::vector<std::string>> OptStringArray(const Json& o, std::string_view key,
                                                const std::string& path, size_t max_items,
                                                StrRule rule) {
  std::vector<std::string> out;
  const Json* v = Member(o, key);
  std::string field = Path(path, key);
  if (!v) return out;
  if (!v->is_array()) return WrongType(*v, field, "an array of strings");
  if (v->size() > max_items)
    return Bad(field + " may hold at most " + std::to_string(max_items) + " items", field,
               "invalid_value");
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    std::string ef = Path(field, i);
    if (!e.is_string()) return WrongType(e, ef, "a string");
    std::string s = e.get<std::string>();
    NEXUS_RETURN_IF_ERROR(CheckString(s, ef, rule));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<int64_t>> ReqIntArray(const Json& o, std::string_view key,
                                         const std::string& path, size_t min_items,
                                         size_t max_items) {
  std::vector<int64_t> out;
  const Json* v = Member(o, key);
  std::string field = Path(path, key);
  if (!v) return Bad(field + " is required", field, "missing_field");
  if (!v->is_array()) return WrongType(*v, field, "an array of integers");
  if (v->size() < min_items || v->size() > max_items)
    return Bad(field + " must hold " + std::to_string(min_items) + " to " +
                   std::to_string(max_items) + " items",
               field, "invalid_value");
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    std::string ef = Path(field, i);
    if (!e.is_number_integer()) return WrongType(e, ef, "an integer");
    int64_t n = e.get<int64_t>();
    if (n < 1) return Bad(ef + " must be a positive id", ef, "invalid_value");
    out.push_back(n);
  }
  return out;
}

Result<int64_t> ReqTime(const Json& o, std::string_view key, const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::string s, ReqString(o, key, path, {1, 64}));
  auto t = ParseRfc3339(s);
  std::string field = Path(path, key);
  if (!t)
    return Bad(field + " must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z", field,
               "invalid_value");
  return *t;
}

Result<std::optional<int64_t>> OptTime(const Json& o, std::string_view key,
                                       const std::string& path) {
  if (!Member(o, key)) return std::optional<int64_t>();
  NEXUS_ASSIGN_OR_RETURN(int64_t t, ReqTime(o, key, path));
  return std::optional<int64_t>(t);
}

Result<std::optional<int64_t>> QueryInt(const std::string& raw, std::string_view name, int64_t min,
                                        int64_t max) {
  if (raw.empty()) return std::optional<int64_t>();
  int64_t v = 0;
  std::string field(name);
  if (raw.size() > 18) return Bad(field + " is out of range", field, "invalid_value");
  for (char c : raw) {
    if (c < '0' || c > '9')
      return Bad(field + " must be a non-negative integer", field, "invalid_value");
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max)
    return Bad(field + " must be between " + std::to_string(min) + " and " + std::to_string(max),
               field, "invalid_value");
  return std::optional<int64_t>(v);
}

}  // namespace nexus::api
