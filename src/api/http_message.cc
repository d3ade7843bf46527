#include "api/http_message.h"

#include <algorithm>
#include <cctype>

namespace nexus::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const std::string* FindHeader(const HttpHeaders& headers, const std::string& name) {
  for (const auto& [k, v] : headers)
    if (HeaderNameEquals(k, name)) return &v;
  return nullptr;
}

// Calls visit(name, value) for each key=value pair of a query string, decoded, until it
// returns true.
template <typename Visit>
void ForEachParam(const std::string& query, Visit visit) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(pos, end - pos);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    std::string value = eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
    if (!pair.empty() && visit(key, value)) return;
    pos = end + 1;
  }
}

}  // namespace

bool HeaderNameEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string PercentDecode(const std::string& in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string HttpRequest::Header(const std::string& name) const {
  const std::string* v = FindHeader(headers, name);
  return v ? *v : std::string();
}

bool HttpRequest::HasHeader(const std::string& name) const {
  return FindHeader(headers, name) != nullptr;
}

std::string HttpRequest::Param(const std::string& name) const {
  std::string found;
  ForEachParam(query, [&](const std::string& k, const std::string& v) {
    if (k != name) return false;
    found = v;
    return true;
  });
  return found;
}

bool HttpRequest::HasParam(const std::string& name) const {
  bool has = false;
  ForEachParam(query, [&](const std::string& k, const std::string&) { return has = k == name; });
  return has;
}

void HttpResponse::SetHeader(const std::string& name, const std::string& value) {
  for (auto& [k, v] : headers)
    if (HeaderNameEquals(k, name)) {
      v = value;
      return;
    }
  headers.emplace_back(name, value);
}

std::string HttpResponse::Header(const std::string& name) const {
  const std::string* v = FindHeader(headers, name);
  return v ? *v : std::string();
}

void HttpResponse::SetContent(std::string content, const std::string& content_type) {
  body = std::move(content);
  SetHeader("Content-Type", content_type);
}

}  // namespace nexus::api
