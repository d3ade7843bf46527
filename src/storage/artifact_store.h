// ArtifactStore: the run artifacts role of the Store contract (store.h) — screenshots,
// videos, logs attached to a run (issue 17, R-ART). The bytes live in a BlobStore
// (blob_store.h), addressed by their SHA-256; this role keeps what names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace nexus {

struct Artifact {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t run_id = 0;
  std::string name;        // file name as uploaded, e.g. "step-2.png"
  std::string media_type;  // e.g. "image/png"
  int64_t size = 0;        // bytes
  std::string sha256;      // lower-case hex of the content: the blob's address
  std::string step_id;     // "" = the run as a whole
  std::optional<int64_t> created_by;
  TimeMs created_at = 0;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // Records an artifact of a run of the project. NotFound (field "run_id") when the run is
  // not one of the project's.
  virtual Result<Artifact> CreateArtifact(const Artifact& artifact) = 0;
  virtual Result<Artifact> GetArtifact(int64_t project_id, int64_t artifact_id) = 0;
  // The run's artifacts in upload order (the run's own first? no: by id).
  virtual Result<std::vector<Artifact>> ListArtifacts(int64_t project_id, int64_t run_id) = 0;
  // Deletes the record and returns it; NotFound when missing. The caller removes the blob
  // when CountArtifactsWithBlob then says no other artifact references it.
  virtual Result<Artifact> DeleteArtifact(int64_t project_id, int64_t artifact_id) = 0;
  // How many artifacts (of any project) reference the content `sha256`.
  virtual Result<int64_t> CountArtifactsWithBlob(const std::string& sha256) = 0;
  // Bytes of artifacts the project holds (for its quota; shared blobs count once per artifact).
  virtual Result<int64_t> ProjectArtifactBytes(int64_t project_id) = 0;
};

}  // namespace nexus
