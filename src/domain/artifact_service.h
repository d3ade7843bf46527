// ArtifactService: the screenshots, videos and logs of a run (issue 17, R-ART). An upload is
// spooled to a file by the HTTP front (never held whole in memory), checked here — name,
// media type against the content's signature, size, the run's step, the project's quota —
// then taken into the BlobStore by its SHA-256 (the same bytes are stored once) and recorded.
// Bad input stores nothing. Thread-safe (the Store and BlobStore are).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "storage/blob_store.h"
#include "storage/store.h"

namespace nexus::domain {

struct ArtifactLimits {
  // Per file: TestRail's attachment limit (256 MB), so whatever Nexus keeps it can export.
  uint64_t max_file_bytes = 256ull * 1024 * 1024;
  // Per project, all artifacts together; 0 = no quota.
  uint64_t project_quota_bytes = 20ull * 1024 * 1024 * 1024;
};

struct ArtifactUpload {
  int64_t project_id = 0;
  int64_t run_id = 0;
  std::string name;
  std::string content_type;  // the request's Content-Type (parameters allowed)
  std::string step_id;       // "" = the run as a whole
  std::optional<int64_t> user_id;
  std::string file;  // the spooled body; consumed (moved into the blob store) on success
};

class ArtifactService {
 public:
  // Every reference must outlive the service.
  ArtifactService(Store& store, BlobStore& blobs, const Clock& clock, ArtifactLimits limits)
      : store_(store), blobs_(blobs), clock_(clock), limits_(limits) {}

  // Records the upload. Errors, each storing nothing: NotFound (run), InvalidArgument (field
  // "name": missing, too long, a path; "step_id": not a step of the run's test; reason "empty"
  // for a body of 0 bytes), UnsupportedMediaType (a type outside the allowed list, or content
  // whose signature does not match it: reason "media_type_mismatch"), TooLarge (over the file
  // limit, or reason "quota_exceeded" over the project's quota).
  Result<Artifact> Upload(const ArtifactUpload& upload);
  Result<std::vector<Artifact>> List(int64_t project_id, int64_t run_id);
  // NotFound unless the artifact belongs to that run of the project.
  Result<Artifact> Get(int64_t project_id, int64_t run_id, int64_t artifact_id);
  Result<std::unique_ptr<BlobReader>> Open(const Artifact& artifact);
  // Deletes the record, and the blob when no other artifact references it.
  Status Delete(int64_t project_id, int64_t run_id, int64_t artifact_id);

  // The media type without parameters, lower-case, when it is one artifacts may have
  // (images, video, text/plain, JSON, HAR, zip); nullopt otherwise.
  static std::optional<std::string> AllowedMediaType(const std::string& content_type);
  // The media types AllowedMediaType accepts.
  static std::vector<std::string> MediaTypes();
  // Whether `head` (the first bytes of the content) fits `media_type`.
  static bool ContentMatches(const std::string& media_type, const std::string& head);

  const ArtifactLimits& limits() const { return limits_; }
  std::string SpoolDir() const { return blobs_.SpoolDir(); }

 private:
  Store& store_;
  BlobStore& blobs_;
  const Clock& clock_;
  ArtifactLimits limits_;
  // Held from taking a blob in to recording its artifact, and from deleting an artifact to
  // removing its unreferenced blob, so a delete never removes bytes an upload just reused.
  std::mutex blob_mu_;
};

}  // namespace nexus::domain
