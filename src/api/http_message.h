// The HTTP request and response as routes see them: plain values, independent of the server
// library underneath (api/http_front.cc). Header names compare case-insensitively.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nexus::api {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(const std::string& a, const std::string& b);

struct HttpRequest {
  std::string method;       // as sent (routes only see the methods they registered)
  std::string path;         // percent-decoded path, without the query
  std::string query;        // raw query string (after '?'), may be empty
  HttpHeaders headers;      // in arrival order
  std::string body;         // read (and size-checked) before the handler runs
  std::string remote_addr;  // the peer's IP address
  // The router's match, made once when the head arrives (before the body is read): the
  // route's index (-1: none) and its path captures in pattern order.
  int route = -1;
  std::vector<std::string> path_params;
  // The body limit of the matched route when it is an upload route (ApiServer::RouteUpload);
  // 0: the server's limit (FrontOptions::max_body_bytes).
  size_t max_body_bytes = 0;

  // First value of header `name` ("" when absent).
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
  // First value of query parameter `name`, percent- and '+'-decoded ("" when absent).
  std::string Param(const std::string& name) const;
  bool HasParam(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // Replaces header `name` (Set-Cookie included: one cookie per response is all Nexus sets).
  void SetHeader(const std::string& name, const std::string& value);
  std::string Header(const std::string& name) const;
  void SetContent(std::string content, const std::string& content_type);
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). Malformed escapes stay as sent.
std::string PercentDecode(const std::string& in, bool plus_is_space);

}  // namespace nexus::api
