// Base URL normalisation; see base_url.h.
#include "testrail/base_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace nexus::testrail {
namespace {

Status UrlError(std::string message) {
  return InvalidArgument(std::move(message), "url", "invalid_url");
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool IsUrlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The input without surrounding white space; an error when it is empty or contains spaces
// or control characters.
Result<std::string_view> TrimInput(std::string_view input) {
  while (!input.empty() && IsUrlSpace(input.front())) input.remove_prefix(1);
  while (!input.empty() && IsUrlSpace(input.back())) input.remove_suffix(1);
  if (input.empty()) {
    return UrlError("Enter the TestRail URL, e.g. https://company.testrail.io.");
  }
  for (char c : input) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return UrlError("The TestRail URL must not contain spaces or control characters.");
    }
  }
  return input;
}

// The lower-case scheme (https when there is none; only http and https are accepted) and, in
// `rest`, what follows "://".
Result<std::string> SplitScheme(std::string_view input, std::string_view* rest) {
  *rest = input;
  size_t sep = input.find("://");
  if (sep != std::string_view::npos) {
    std::string scheme = Lower(input.substr(0, sep));
    *rest = input.substr(sep + 3);
    if (scheme != "http" && scheme != "https") {
      return UrlError("Unsupported URL scheme '" + scheme +
                      "': the TestRail URL must start with https:// (or http://).");
    }
    return scheme;
  }
  if (Lower(input.substr(0, std::min<size_t>(input.size(), 7))) == "mailto:" ||
      Lower(input.substr(0, std::min<size_t>(input.size(), 5))) == "file:") {
    return UrlError(
        "Unsupported URL scheme: the TestRail URL must start with https:// (or "
        "http://).");
  }
  return std::string("https");
}

struct Authority {
  std::string host;  // lower-case; an IPv6 address without brackets
  std::string_view port;
  bool ipv6 = false;
};

// "[v6addr]" or "[v6addr]:port".
Result<Authority> ParseIpv6Authority(std::string_view authority) {
  Authority a;
  size_t close = authority.find(']');
  if (close == std::string_view::npos) {
    return UrlError("Invalid IPv6 address in the TestRail URL (missing ']').");
  }
  a.host = Lower(authority.substr(1, close - 1));
  std::string_view after = authority.substr(close + 1);
  if (!after.empty()) {
    if (after.front() != ':') {
      return UrlError("Invalid characters after the IPv6 address in the TestRail URL.");
    }
    a.port = after.substr(1);
    if (a.port.empty()) return UrlError("Invalid port '' in the TestRail URL.");
  }
  in6_addr addr{};
  if (a.host.empty() || inet_pton(AF_INET6, a.host.c_str(), &addr) != 1) {
    return UrlError("Invalid IPv6 address '" + a.host + "' in the TestRail URL.");
  }
  a.ipv6 = true;
  return a;
}

// "host" or "host:port"; a trailing dot (FQDN form "x.io.") is dropped.
Result<Authority> ParseHostAuthority(std::string_view authority) {
  Authority a;
  size_t colon = authority.find(':');
  if (colon != std::string_view::npos) {
    a.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
    if (a.port.empty()) return UrlError("Invalid port '' in the TestRail URL.");
  }
  std::string& host = a.host;
  host = Lower(authority);
  if (host.empty()) return UrlError("The TestRail URL has no host name.");
  for (char c : host) {
    if (!IsHostChar(c)) {
      return UrlError("Invalid host name '" + host + "' in the TestRail URL.");
    }
  }
  if (host.front() == '.' || host.front() == '-' || host.find("..") != std::string::npos) {
    return UrlError("Invalid host name '" + host + "' in the TestRail URL.");
  }
  while (!host.empty() && host.back() == '.') host.pop_back();  // FQDN form "x.io."
  if (host.empty()) return UrlError("The TestRail URL has no host name.");
  return a;
}

// The port to keep in the URL: empty when none was given or it is the scheme's default.
Result<std::string> NormalizePort(std::string_view port, const std::string& scheme) {
  if (port.empty()) return std::string();
  bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                  return std::isdigit(static_cast<unsigned char>(c));
                });
  int value = digits ? std::stoi(std::string(port)) : 0;
  if (!digits || value < 1 || value > 65535) {
    return UrlError("Invalid port '" + std::string(port) +
                    "' in the TestRail URL (expected 1-65535).");
  }
  if ((scheme == "https" && value == 443) || (scheme == "http" && value == 80)) {
    return std::string();
  }
  return std::to_string(value);
}

// Keeps the on-premise prefix; drops "index.php..." (a pasted browser URL), query, fragment
// and trailing slashes, and collapses duplicate slashes ("//testrail" -> "/testrail").
std::string NormalizePath(std::string_view path) {
  std::string p(path);
  size_t cut = p.find("index.php");
  if (cut != std::string::npos) p.resize(cut);
  cut = p.find_first_of("?#");
  if (cut != std::string::npos) p.resize(cut);
  while (!p.empty() && p.back() == '/') p.pop_back();
  std::string collapsed;
  for (char c : p) {
    if (c == '/' && !collapsed.empty() && collapsed.back() == '/') continue;
    collapsed += c;
  }
  return collapsed;
}

}  // namespace

Result<std::string> NormalizeBaseUrl(std::string_view raw) {
  NEXUS_ASSIGN_OR_RETURN(std::string_view input, TrimInput(raw));
  std::string_view rest;
  NEXUS_ASSIGN_OR_RETURN(std::string scheme, SplitScheme(input, &rest));

  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view path =
      auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return UrlError(
        "The TestRail URL must not contain a user name or password; enter them in the User "
        "and API key fields.");
  }
  bool bracketed = !authority.empty() && authority.front() == '[';
  NEXUS_ASSIGN_OR_RETURN(Authority a,
                         bracketed ? ParseIpv6Authority(authority) : ParseHostAuthority(authority));
  NEXUS_ASSIGN_OR_RETURN(std::string port_out, NormalizePort(a.port, scheme));

  std::string out = scheme + "://";
  out += a.ipv6 ? "[" + a.host + "]" : a.host;
  if (!port_out.empty()) out += ":" + port_out;
  out += NormalizePath(path);
  return out;
}

std::string HostOfBaseUrl(std::string_view base_url) {
  size_t sep = base_url.find("://");
  std::string_view rest = sep == std::string_view::npos ? base_url : base_url.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') {
    return std::string(rest.substr(1, rest.find(']') - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

}  // namespace nexus::testrail
