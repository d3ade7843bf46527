// The built web UI's files (`nexus serve --static-dir`), held in memory once read: an ETag per
// file (304 for a matching If-None-Match), the brotli or gzip file compressed at build time
// (scripts/compress-web.sh: FILE.br, FILE.gz) when the browser accepts it — gzip made once in
// memory when the build left no .gz —
// and long-lived caching for Vite's content-hashed /assets/ (their names change with their
// content); index.html and other unhashed files are revalidated (no-cache). A file changed on
// disk (size or modification time) is read again.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/http_message.h"

namespace nexus::api {

class StaticFiles {
 public:
  explicit StaticFiles(std::string dir) : dir_(std::move(dir)) {}

  // Answers a GET/HEAD for a file below the folder; false when there is no such file (or the
  // path tries to leave the folder).
  bool Serve(const HttpRequest& req, HttpResponse& res) const;

 private:
  struct File {
    std::string body;
    std::string gzip;    // empty when not worth compressing
    std::string brotli;  // FILE.br from the build, when there is one
    std::string etag;
    std::string type;
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
  };
  std::shared_ptr<const File> Load(const std::string& rel) const;

  std::string dir_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const File>> cache_;
};

}  // namespace nexus::api
