// JUnitParser over expat: element handlers keep a small stack of what is open and fill one
// JUnitCase at a time (junit_parser.h).
#include "imports/junit_parser.h"

#include <expat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace nexus::imports {
namespace {

Status Bad(int64_t line, const std::string& what) {
  return InvalidArgument("line " + std::to_string(line) + ": " + what, "body", "invalid_junit");
}

// Appends `s` to `out` without growing it beyond `cap` bytes; cuts on a UTF-8 boundary.
// Returns false when something was dropped.
bool AppendCapped(std::string& out, std::string_view s, size_t cap) {
  if (out.size() >= cap) return s.empty();
  size_t room = cap - out.size();
  if (s.size() <= room) {
    out.append(s);
    return true;
  }
  size_t n = room;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // continuation byte
  out.append(s.substr(0, n));
  return false;
}

const char* Attr(const XML_Char** atts, const char* name) {
  for (int i = 0; atts[i] != nullptr; i += 2)
    if (std::strcmp(atts[i], name) == 0) return atts[i + 1];
  return nullptr;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; });
}

// Seconds as written by the reporters: "0.013", "12", "1,234.5" (Surefire with a grouping
// locale). Empty → nullopt; anything else that is not a finite non-negative number → error.
Result<std::optional<double>> ParseSeconds(std::string_view text, int64_t line) {
  std::string s;
  for (char ch : text)
    if (ch != ',' && ch != ' ') s.push_back(ch);
  if (s.empty()) return std::optional<double>();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno != 0 || !(v >= 0) || v > 1e9)
    return Bad(line, "time \"" + std::string(text.substr(0, 40)) +
                         "\" is not a non-negative number of seconds");
  return std::optional<double>(v);
}

}  // namespace

int JUnitOutcomeRank(JUnitOutcome o) {
  switch (o) {
    case JUnitOutcome::kPassed:
      return 0;
    case JUnitOutcome::kSkipped:
      return 1;
    case JUnitOutcome::kFailed:
      return 2;
    case JUnitOutcome::kError:
      return 3;
  }
  return 0;
}

std::string_view JUnitOutcomeName(JUnitOutcome o) {
  switch (o) {
    case JUnitOutcome::kPassed:
      return "passed";
    case JUnitOutcome::kFailed:
      return "failed";
    case JUnitOutcome::kError:
      return "error";
    case JUnitOutcome::kSkipped:
      return "skipped";
  }
  return "passed";
}

struct JUnitParser::Impl {
  // What the character data currently read belongs to.
  enum class Text { kNone, kDetails, kOut, kErr, kProperty };

  Impl(CaseFn fn, JUnitParserOptions o) : on_case(std::move(fn)), options(o) {
    parser = XML_ParserCreate("UTF-8");
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &Impl::OnStart, &Impl::OnEnd);
    XML_SetCharacterDataHandler(parser, &Impl::OnText);
    XML_SetEntityDeclHandler(parser, &Impl::OnEntityDecl);
    XML_SetStartDoctypeDeclHandler(parser, &Impl::OnDoctype);
  }
  ~Impl() { XML_ParserFree(parser); }

  int64_t Line() const { return static_cast<int64_t>(XML_GetCurrentLineNumber(parser)); }

  void Stop(Status st) {
    if (error.ok()) error = std::move(st);
    XML_StopParser(parser, XML_FALSE);
  }

  static void OnDoctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    auto* p = static_cast<Impl*>(self);
    p->Stop(Bad(p->Line(), "a DOCTYPE is not allowed in a JUnit report"));
  }
  static void OnEntityDecl(void* self, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                           const XML_Char*, const XML_Char*, const XML_Char*) {
    auto* p = static_cast<Impl*>(self);
    p->Stop(Bad(p->Line(), "entity declarations are not allowed in a JUnit report"));
  }

  static void OnStart(void* self, const XML_Char* name, const XML_Char** atts) {
    static_cast<Impl*>(self)->Start(name, atts);
  }
  static void OnEnd(void* self, const XML_Char* name) { static_cast<Impl*>(self)->End(name); }
  static void OnText(void* self, const XML_Char* s, int len) {
    static_cast<Impl*>(self)->Chars(std::string_view(s, static_cast<size_t>(len)));
  }

  void Start(std::string_view el, const XML_Char** atts) {
    ++depth;
    if (depth == 1) {
      if (el != "testsuites" && el != "testsuite")
        return Stop(Bad(Line(), "not a JUnit report: the root element is <" +
                                    std::string(el.substr(0, 60)) +
                                    ">, expected <testsuites> or <testsuite>"));
    }
    if (skip_depth > 0) return;  // inside an element we do not read
    if (!in_case) {
      if (el == "testsuite") {
        const char* n = Attr(atts, "name");
        const char* ts = Attr(atts, "timestamp");
        suites.push_back({n ? n : "", ts ? std::optional<std::string>(ts) : std::nullopt, depth});
      } else if (el == "testcase") {
        StartCase(atts);
      }
      return;  // <testsuites>, suite <properties>, suite <system-out>…: nothing to keep
    }
    // Inside a <testcase>.
    if (el == "failure" || el == "error" || el == "skipped") {
      JUnitOutcome o = el == "failure" ? JUnitOutcome::kFailed
                       : el == "error" ? JUnitOutcome::kError
                                       : JUnitOutcome::kSkipped;
      bool take = JUnitOutcomeRank(o) > JUnitOutcomeRank(current.outcome);
      if (take) {
        current.outcome = o;
        const char* m = Attr(atts, "message");
        const char* t = Attr(atts, "type");
        current.message.clear();
        current.type.clear();
        current.details.clear();
        if (m && !AppendCapped(current.message, m, options.max_text_bytes))
          current.truncated = true;
        if (t && !AppendCapped(current.type, t, 256)) current.truncated = true;
      }
      text = take ? Text::kDetails : Text::kNone;
      text_depth = depth;
    } else if (el == "system-out" || el == "system-err") {
      text = el == "system-out" ? Text::kOut : Text::kErr;
      text_depth = depth;
    } else if (el == "property") {
      const char* n = Attr(atts, "name");
      const char* v = Attr(atts, "value");
      current.properties.emplace_back(n ? n : "", "");
      if (v && !AppendCapped(current.properties.back().second, v, options.max_text_bytes))
        current.truncated = true;
      text = v ? Text::kNone : Text::kProperty;
      text_depth = depth;
    } else if (el != "properties") {
      // Anything else inside a testcase (Surefire's <flakyFailure>/<rerunFailure>, reporter
      // extensions) is skipped with its children.
      skip_depth = depth;
    }
  }

  void StartCase(const XML_Char** atts) {
    current = JUnitCase{};
    current.line = Line();
    const char* n = Attr(atts, "name");
    if (n == nullptr || IsBlank(n)) return Stop(Bad(current.line, "<testcase> without a name"));
    current.name = n;
    if (const char* c = Attr(atts, "classname")) current.classname = c;
    if (current.name.size() > options.max_name_bytes ||
        current.classname.size() > options.max_name_bytes)
      return Stop(Bad(current.line, "testcase name or classname longer than " +
                                        std::to_string(options.max_name_bytes) + " bytes"));
    if (const char* t = Attr(atts, "time")) {
      auto secs = ParseSeconds(t, current.line);
      if (!secs.ok()) return Stop(secs.status());
      current.time_s = *secs;
    }
    if (!suites.empty()) {
      current.suite = suites.back().name;
      current.timestamp = suites.back().timestamp;
    }
    in_case = true;
    case_depth = depth;
  }

  void End(std::string_view) {
    if (skip_depth > 0) {
      if (depth == skip_depth) skip_depth = 0;
    } else if (in_case && depth == case_depth) {
      in_case = false;
      text = Text::kNone;
      ++count;
      Status st = on_case(std::move(current));
      if (!st.ok()) Stop(std::move(st));
    } else if (in_case && depth == text_depth) {
      text = Text::kNone;
      text_depth = 0;
    } else if (!in_case && !suites.empty() && suites.back().depth == depth) {
      suites.pop_back();
    }
    --depth;
  }

  void Chars(std::string_view s) {
    if (!in_case || skip_depth > 0 || depth != text_depth) return;
    std::string* out = nullptr;
    switch (text) {
      case Text::kNone:
        return;
      case Text::kDetails:
        out = &current.details;
        break;
      case Text::kOut:
        out = &current.system_out;
        break;
      case Text::kErr:
        out = &current.system_err;
        break;
      case Text::kProperty:
        out = &current.properties.back().second;
        break;
    }
    if (!AppendCapped(*out, s, options.max_text_bytes)) current.truncated = true;
  }

  Status Parse(const char* data, size_t len, bool final) {
    if (!error.ok()) return error;
    // XML_Parse takes an int length: feed large chunks in pieces.
    constexpr size_t kPiece = 1 << 30;
    do {
      size_t n = std::min(len, kPiece);
      bool last = final && n == len;
      if (XML_Parse(parser, data, static_cast<int>(n), last ? XML_TRUE : XML_FALSE) !=
          XML_STATUS_OK) {
        if (error.ok())
          error = Bad(Line(), std::string("malformed XML (") +
                                  XML_ErrorString(XML_GetErrorCode(parser)) + ")");
        return error;
      }
      data += n;
      len -= n;
    } while (len > 0);
    return error;
  }

  struct Suite {
    std::string name;
    std::optional<std::string> timestamp;
    int depth = 0;
  };

  XML_Parser parser = nullptr;
  CaseFn on_case;
  JUnitParserOptions options;
  Status error;
  int depth = 0;
  int skip_depth = 0;  // depth of the element being skipped (0: none)
  std::vector<Suite> suites;
  bool in_case = false;
  int case_depth = 0;
  Text text = Text::kNone;
  int text_depth = 0;
  JUnitCase current;
  int64_t count = 0;
};

JUnitParser::JUnitParser(CaseFn on_case, JUnitParserOptions options)
    : impl_(std::make_unique<Impl>(std::move(on_case), options)) {}
JUnitParser::~JUnitParser() = default;

Status JUnitParser::Feed(std::string_view chunk) {
  return impl_->Parse(chunk.data(), chunk.size(), false);
}
Status JUnitParser::Finish() { return impl_->Parse("", 0, true); }
int64_t JUnitParser::cases() const { return impl_->count; }

namespace {

// Letters and digits: "C12" inside "ABC12" or "C12a" is not a case id; "_" separates
// ("test_C12_checkout", Java's "addsItem_C12").
bool IsWordChar(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

// "C12" or "12" → 12; nullopt otherwise (also 0 and values beyond 15 digits).
std::optional<int64_t> ParseCaseToken(std::string_view t) {
  if (!t.empty() && (t[0] == 'C' || t[0] == 'c')) t.remove_prefix(1);
  if (t.empty() || t.size() > 15) return std::nullopt;
  int64_t v = 0;
  for (char ch : t) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  if (v <= 0) return std::nullopt;
  return v;
}

}  // namespace

Result<std::vector<int64_t>> CaseIdsOf(const JUnitCase& c) {
  std::vector<int64_t> ids;
  const std::string& n = c.name;
  for (size_t i = 0; i < n.size(); ++i) {
    if (n[i] != 'C' || (i > 0 && IsWordChar(n[i - 1]))) continue;
    size_t j = i + 1;
    while (j < n.size() && n[j] >= '0' && n[j] <= '9') ++j;
    if (j == i + 1 || (j < n.size() && IsWordChar(n[j]))) continue;
    if (auto id = ParseCaseToken(std::string_view(n).substr(i, j - i))) ids.push_back(*id);
    i = j - 1;
  }
  for (const auto& [key, value] : c.properties) {
    if (key != "testrail_case_id") continue;
    std::string_view v = value;
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (v[i] == ',' || v[i] == ' ' || v[i] == '\t' || v[i] == '\n')) ++i;
      size_t j = i;
      while (j < v.size() && v[j] != ',' && v[j] != ' ' && v[j] != '\t' && v[j] != '\n') ++j;
      if (j > i) {
        auto id = ParseCaseToken(v.substr(i, j - i));
        if (!id)
          return InvalidArgument("line " + std::to_string(c.line) + ": testcase \"" +
                                     c.name.substr(0, 200) + "\": testrail_case_id \"" +
                                     std::string(v.substr(i, std::min<size_t>(j - i, 40))) +
                                     "\" is not a case id (C123 or 123)",
                                 "body", "invalid_junit");
        ids.push_back(*id);
      }
      i = j;
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace nexus::imports
