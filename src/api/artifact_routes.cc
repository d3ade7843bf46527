// REST routes of run artifacts (artifact_routes.h).
#include "api/artifact_routes.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "api/views.h"
#include "core/time_util.h"

namespace nexus::api {
namespace {

using domain::ArtifactService;

// A satisfiable single byte range of a `size`-byte body: [first, last].
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// RFC 9110 section 14.2: "bytes=a-b", "bytes=a-", "bytes=-n" (one range; a list of ranges is
// answered with the whole body, which the RFC allows). nullopt = ignore the header (whole
// body); a range past the end sets *unsatisfiable.
std::optional<ByteRange> ParseRange(const std::string& header, uint64_t size, bool* unsatisfiable) {
  *unsatisfiable = false;
  constexpr std::string_view kUnit = "bytes=";
  if (header.compare(0, kUnit.size(), kUnit) != 0) return std::nullopt;
  std::string_view spec = std::string_view(header).substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = ParseU64(spec.substr(0, dash));
  auto b = ParseU64(spec.substr(dash + 1));
  if (!a && !b) return std::nullopt;
  if (!a) {  // suffix: the last *b bytes
    if (*b == 0 || size == 0) {
      *unsatisfiable = true;
      return std::nullopt;
    }
    return ByteRange{size - std::min(*b, size), size - 1};
  }
  if (b && *b < *a) return std::nullopt;  // invalid: ignore
  if (*a >= size) {
    *unsatisfiable = true;
    return std::nullopt;
  }
  return ByteRange{*a, std::min(b.value_or(size - 1), size - 1)};
}

Json ArtifactJson(const Artifact& a) {
  return {{"id", a.id},
          {"run_id", a.run_id},
          {"name", a.name},
          {"media_type", a.media_type},
          {"size", a.size},
          {"sha256", a.sha256},
          {"step_id", a.step_id.empty() ? Json(nullptr) : Json(a.step_id)},
          {"created_at", FormatRfc3339(a.created_at)}};
}

// Content-Disposition with the name as a quoted string and as RFC 8187 UTF-8.
std::string Disposition(const Artifact& a) {
  const bool inline_ok = a.media_type.rfind("image/", 0) == 0 ||
                         a.media_type.rfind("video/", 0) == 0 || a.media_type == "text/plain";
  std::string ascii, encoded;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char ch : a.name) {
    ascii += (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? static_cast<char>(ch) : '_';
    if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_') {
      encoded += static_cast<char>(ch);
    } else {
      encoded += '%';
      encoded += kHex[ch >> 4];
      encoded += kHex[ch & 15];
    }
  }
  return std::string(inline_ok ? "inline" : "attachment") + "; filename=\"" + ascii +
         "\"; filename*=UTF-8''" + encoded;
}

class ArtifactApi {
 public:
  ArtifactApi(auth::AuthService& auth, ArtifactService& artifacts)
      : auth_(auth), artifacts_(artifacts) {}

  void Register(ApiServer& s) {
    auto bind = [this](Result<Reply> (ArtifactApi::*fn)(Ctx&)) {
      return [this, fn](Ctx& c) { return (this->*fn)(c); };
    };
    UploadOptions upload;
    upload.spool_dir = artifacts_.SpoolDir();
    upload.max_body_bytes = artifacts_.limits().max_file_bytes;
    upload.media_types = ArtifactService::MediaTypes();
    s.RouteUpload("POST", "/api/v1/projects/{p}/runs/{r}/artifacts", bind(&ArtifactApi::Upload),
                  upload);
    s.Route("GET", "/api/v1/projects/{p}/runs/{r}/artifacts", bind(&ArtifactApi::List));
    s.Route("GET", "/api/v1/projects/{p}/runs/{r}/artifacts/{a}", bind(&ArtifactApi::Download));
    s.Route("DELETE", "/api/v1/projects/{p}/runs/{r}/artifacts/{a}", bind(&ArtifactApi::Delete));
  }

 private:
  Result<Reply> Upload(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    domain::ArtifactUpload up;
    up.project_id = p.id;
    up.run_id = c.Id(1);
    up.name = c.Query("name");
    up.step_id = c.Query("step_id");
    up.content_type = c.req.Header("Content-Type");
    up.user_id = c.Who().user.id;
    up.file = c.req.body_file;
    if (up.file.empty())
      return InvalidArgument("the artifact is empty (send its bytes as the request body)", "",
                             "empty");
    NEXUS_ASSIGN_OR_RETURN(Artifact a, artifacts_.Upload(up));
    return Reply{201, ArtifactJson(a)};
  }

  Result<Reply> List(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(auto items, artifacts_.List(p.id, c.Id(1)));
    Json out = Json::array();
    for (const Artifact& a : items) out.push_back(ArtifactJson(a));
    return Reply{200, {{"items", out}}};
  }

  Result<Reply> Download(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kReadRuns));
    NEXUS_ASSIGN_OR_RETURN(Artifact a, artifacts_.Get(p.id, c.Id(1), c.Id(2)));
    const std::string etag = "\"" + a.sha256 + "\"";
    HttpResponse& res = c.res;
    res.SetHeader("ETag", etag);
    res.SetHeader("Accept-Ranges", "bytes");
    res.SetHeader("Cache-Control", "private, max-age=86400");
    if (c.req.Header("If-None-Match") == etag) {
      res.status = 304;
      return Reply{304, nullptr, /*raw=*/true};
    }
    NEXUS_ASSIGN_OR_RETURN(std::shared_ptr<BlobReader> reader, artifacts_.Open(a));
    const uint64_t size = reader->size();
    res.SetHeader("Content-Type", a.media_type);
    res.SetHeader("Content-Disposition", Disposition(a));
    // Logs and JSON are shown as text, never run: no script can come from an artifact.
    res.SetHeader("Content-Security-Policy", "sandbox; default-src 'none'");
    ByteRange range{0, size == 0 ? 0 : size - 1};
    res.status = 200;
    std::string if_range = c.req.Header("If-Range");
    if (c.req.HasHeader("Range") && (if_range.empty() || if_range == etag)) {
      bool unsatisfiable = false;
      auto r = ParseRange(c.req.Header("Range"), size, &unsatisfiable);
      if (unsatisfiable) {
        res.status = 416;
        res.SetHeader("Content-Range", "bytes */" + std::to_string(size));
        res.SetHeader("Content-Type", "text/plain");
        res.body = "requested range not satisfiable";
        return Reply{416, nullptr, /*raw=*/true};
      }
      if (r) {
        range = *r;
        res.status = 206;
        res.SetHeader("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                           std::to_string(range.last) + "/" + std::to_string(size));
      }
    }
    auto source = std::make_shared<BodySource>();
    source->length = size == 0 ? 0 : range.last - range.first + 1;
    const uint64_t base = range.first;
    source->read = [reader, base](uint64_t offset, char* buf, size_t cap) {
      return reader->ReadAt(base + offset, buf, cap);
    };
    res.source = std::move(source);
    return Reply{res.status, nullptr, /*raw=*/true};
  }

  Result<Reply> Delete(Ctx& c) {
    NEXUS_ASSIGN_OR_RETURN(Project p,
                           auth_.RequireProject(c.Who(), c.Id(0), Permission::kOperateRuns));
    NEXUS_RETURN_IF_ERROR(artifacts_.Delete(p.id, c.Id(1), c.Id(2)));
    return Reply{204, nullptr};
  }

  auth::AuthService& auth_;
  ArtifactService& artifacts_;
};

}  // namespace

void RegisterArtifactRoutes(ApiServer& server, auth::AuthService& auth,
                            domain::ArtifactService& artifacts) {
  auto api = std::make_shared<ArtifactApi>(auth, artifacts);
  api->Register(server);
  server.Own(api);
}

}  // namespace nexus::api
