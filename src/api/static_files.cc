#include "api/static_files.h"

#include <zlib.h>

#include <fstream>
#include <functional>
#include <sstream>

namespace nexus::api {
namespace {

namespace fs = std::filesystem;

struct TypeInfo {
  const char* ext;
  const char* type;
  bool compress;
};

const TypeInfo& TypeFor(const fs::path& file) {
  static const TypeInfo kTypes[] = {
      {".html", "text/html; charset=utf-8", true},
      {".js", "text/javascript; charset=utf-8", true},
      {".mjs", "text/javascript; charset=utf-8", true},
      {".css", "text/css; charset=utf-8", true},
      {".json", "application/json", true},
      {".map", "application/json", true},
      {".svg", "image/svg+xml", true},
      {".txt", "text/plain; charset=utf-8", true},
      {".png", "image/png", false},
      {".jpg", "image/jpeg", false},
      {".webp", "image/webp", false},
      {".ico", "image/x-icon", false},
      {".woff2", "font/woff2", false},
  };
  static const TypeInfo kOther{"", "application/octet-stream", false};
  std::string ext = file.extension().string();
  for (const auto& t : kTypes)
    if (ext == t.ext) return t;
  return kOther;
}

// gzip of `in` at the best compression (done once per file); empty on failure.
std::string Gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

bool Accepts(const std::string& accept_encoding, const std::string& coding) {
  return accept_encoding.find(coding) != std::string::npos;
}

}  // namespace

std::shared_ptr<const StaticFiles::File> StaticFiles::Load(const std::string& rel) const {
  fs::path path = fs::path(dir_) / rel;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return nullptr;
  auto size = fs::file_size(path, ec);
  auto mtime = fs::last_write_time(path, ec);
  if (ec) return nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(rel);
    if (it != cache_.end() && it->second->size == size && it->second->mtime == mtime)
      return it->second;
  }
  auto file = std::make_shared<File>();
  file->body = ReadFile(path.string());
  if (file->body.size() != size) return nullptr;
  file->size = size;
  file->mtime = mtime;
  const TypeInfo& type = TypeFor(path);
  file->type = type.type;
  if (type.compress && file->body.size() > 1024) {
    file->brotli = ReadFile(path.string() + ".br");
    file->gzip = ReadFile(path.string() + ".gz");
    if (file->gzip.empty()) file->gzip = Gzip(file->body);
    if (file->gzip.size() >= file->body.size()) file->gzip.clear();
    if (file->brotli.size() >= file->body.size()) file->brotli.clear();
  }
  char etag[48];
  std::snprintf(etag, sizeof etag, "\"%zx-%zx\"", file->body.size(),
                std::hash<std::string>{}(file->body));
  file->etag = etag;
  std::lock_guard lock(mu_);
  cache_[rel] = file;
  return file;
}

bool StaticFiles::Serve(const HttpRequest& req, HttpResponse& res) const {
  if (dir_.empty() || (req.method != "GET" && req.method != "HEAD")) return false;
  std::string path = req.path;
  // Only plain paths below the UI folder: no parent segments, no NUL or backslash tricks.
  if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos ||
      path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
    return false;
  if (path.back() == '/') path += "index.html";
  auto file = Load(path.substr(1));
  if (!file) return false;
  res.SetHeader("ETag", file->etag);
  res.SetHeader("Cache-Control", path.rfind("/assets/", 0) == 0
                                     ? "public, max-age=31536000, immutable"
                                     : "no-cache");
  res.SetHeader("Vary", "Accept-Encoding");
  if (req.Header("If-None-Match") == file->etag) {
    res.status = 304;
    return true;
  }
  res.status = 200;
  const std::string accept = req.Header("Accept-Encoding");
  if (!file->brotli.empty() && Accepts(accept, "br")) {
    res.SetContent(file->brotli, file->type);
    res.SetHeader("Content-Encoding", "br");
  } else if (!file->gzip.empty() && Accepts(accept, "gzip")) {
    res.SetContent(file->gzip, file->type);
    res.SetHeader("Content-Encoding", "gzip");
  } else {
    res.SetContent(file->body, file->type);
  }
  return true;
}

}  // namespace nexus::api
