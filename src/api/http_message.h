// The HTTP request and response as routes see them: plain values, independent of the server
// library underneath (api/http_front.cc). Header names compare case-insensitively.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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
  // Large bodies (artifact uploads, issue 17): when the admit hook sets spool_dir, the front
  // writes the body to a new file there instead of memory (at most max_body_bytes, 413
  // beyond), and body_file names it when the handler runs (body stays empty). The front
  // deletes the file after answering unless the handler moved it away.
  std::string spool_dir;
  std::string body_file;
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

// A response body produced piece by piece (downloads too large to hold in memory): `length`
// bytes; read(offset, buf, cap) copies up to cap bytes from offset and returns how many
// (0 before `length` = the source failed: the connection is closed mid-body).
struct BodySource {
  uint64_t length = 0;
  std::function<size_t(uint64_t offset, char* buf, size_t cap)> read;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  std::shared_ptr<const BodySource> source;  // when set, the body (and `body` is ignored)

  // Replaces header `name` (Set-Cookie included: one cookie per response is all Nexus sets).
  void SetHeader(const std::string& name, const std::string& value);
  std::string Header(const std::string& name) const;
  void SetContent(std::string content, const std::string& content_type);
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). Malformed escapes stay as sent.
std::string PercentDecode(const std::string& in, bool plus_is_space);

}  // namespace nexus::api
