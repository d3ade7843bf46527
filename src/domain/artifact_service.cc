// ArtifactService (artifact_service.h).
#include "domain/artifact_service.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "storage/blob_store.h"

namespace nexus::domain {
namespace {

constexpr const char* kAllowed[] = {
    "image/png",  "image/jpeg", "image/gif",        "image/webp",           "video/mp4",
    "video/webm", "text/plain", "application/json", "application/har+json", "application/zip"};

std::string ReadHead(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return head;
}

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

Status CheckName(const std::string& name) {
  if (name.empty())
    return InvalidArgument("name is required (the file name, e.g. ?name=step-2.png)", "name",
                           "missing_field");
  if (name.size() > 255)
    return InvalidArgument("name is longer than 255 bytes", "name", "too_long");
  if (name == "." || name == ".." || std::any_of(name.begin(), name.end(), [](unsigned char ch) {
        return ch == '/' || ch == '\\' || ch < 0x20 || ch == 0x7f;
      }))
    return InvalidArgument("name must be a plain file name (no path, no control characters)",
                           "name", "invalid_value");
  return Status::Ok();
}

}  // namespace

std::optional<std::string> ArtifactService::AllowedMediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const char* a : kAllowed)
    if (t == a) return t;
  return std::nullopt;
}

std::vector<std::string> ArtifactService::MediaTypes() {
  return std::vector<std::string>(std::begin(kAllowed), std::end(kAllowed));
}

bool ArtifactService::ContentMatches(const std::string& media_type, const std::string& head) {
  if (media_type == "image/png") return StartsWith(head, "\x89PNG\r\n\x1a\n");
  if (media_type == "image/jpeg") return StartsWith(head, "\xff\xd8\xff");
  if (media_type == "image/gif") return StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a");
  if (media_type == "image/webp")
    return StartsWith(head, "RIFF") && head.size() >= 12 && head.compare(8, 4, "WEBP") == 0;
  if (media_type == "video/mp4") return head.size() >= 8 && head.compare(4, 4, "ftyp") == 0;
  if (media_type == "video/webm") return StartsWith(head, "\x1a\x45\xdf\xa3");
  if (media_type == "application/zip")
    return StartsWith(head, "PK\x03\x04") || StartsWith(head, "PK\x05\x06");
  if (media_type == "application/json" || media_type == "application/har+json") {
    size_t i = StartsWith(head, "\xef\xbb\xbf") ? 3 : 0;  // a UTF-8 byte order mark
    while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
    return i < head.size() && (head[i] == '{' || head[i] == '[');
  }
  if (media_type == "text/plain") return head.find('\0') == std::string::npos;
  return false;
}

Result<Artifact> ArtifactService::Upload(const ArtifactUpload& up) {
  NEXUS_ASSIGN_OR_RETURN(Run run, store_.GetRun(up.project_id, up.run_id));
  NEXUS_RETURN_IF_ERROR(CheckName(up.name));
  auto media_type = AllowedMediaType(up.content_type);
  if (!media_type)
    return Status(StatusCode::kUnsupportedMediaType,
                  "artifacts may be images (png, jpeg, gif, webp), video (mp4, webm), "
                  "text/plain logs, JSON, HAR (application/har+json) or zip; got '" +
                      up.content_type.substr(0, 100) + "'",
                  "Content-Type", "unsupported_media_type");
  if (!up.step_id.empty()) {
    NEXUS_ASSIGN_OR_RETURN(Test test, store_.GetTest(up.project_id, run.test_id));
    bool known = std::any_of(test.steps.begin(), test.steps.end(),
                             [&](const Step& s) { return s.id == up.step_id; }) ||
                 std::any_of(run.steps.begin(), run.steps.end(),
                             [&](const StepOutcome& s) { return s.step_id == up.step_id; });
    if (!known)
      return InvalidArgument("step '" + up.step_id + "' is not a step of this run's test",
                             "step_id", "invalid_value");
  }
  NEXUS_ASSIGN_OR_RETURN(FileDigest digest, DigestFile(up.file));
  if (digest.size == 0)
    return InvalidArgument("the artifact is empty (send its bytes as the request body)", "",
                           "empty");
  if (digest.size > limits_.max_file_bytes)
    return Status(StatusCode::kTooLarge,
                  "an artifact is at most " + std::to_string(limits_.max_file_bytes) + " bytes", "",
                  "payload_too_large");
  if (!ContentMatches(*media_type, ReadHead(up.file, 64)))
    return Status(StatusCode::kUnsupportedMediaType,
                  "the content is not " + *media_type + " (its first bytes do not match)",
                  "Content-Type", "media_type_mismatch");
  if (limits_.project_quota_bytes > 0) {
    NEXUS_ASSIGN_OR_RETURN(int64_t used, store_.ProjectArtifactBytes(up.project_id));
    if (static_cast<uint64_t>(used) + digest.size > limits_.project_quota_bytes)
      return Status(StatusCode::kTooLarge,
                    "the project's artifact quota (" + std::to_string(limits_.project_quota_bytes) +
                        " bytes) would be exceeded",
                    "", "quota_exceeded");
  }
  std::lock_guard lock(blob_mu_);
  NEXUS_RETURN_IF_ERROR(blobs_.PutFile(digest.sha256, up.file));
  Artifact a;
  a.project_id = up.project_id;
  a.run_id = up.run_id;
  a.name = up.name;
  a.media_type = *media_type;
  a.size = static_cast<int64_t>(digest.size);
  a.sha256 = digest.sha256;
  a.step_id = up.step_id;
  a.created_by = up.user_id;
  a.created_at = clock_.NowMs();
  auto created = store_.CreateArtifact(a);
  if (!created.ok()) {
    // Nothing may be left behind: drop the blob unless another artifact holds it.
    auto refs = store_.CountArtifactsWithBlob(digest.sha256);
    if (refs.ok() && *refs == 0) (void)blobs_.Remove(digest.sha256);
  }
  return created;
}

Result<std::vector<Artifact>> ArtifactService::List(int64_t project_id, int64_t run_id) {
  NEXUS_RETURN_IF_ERROR(store_.GetRun(project_id, run_id).status());
  return store_.ListArtifacts(project_id, run_id);
}

Result<Artifact> ArtifactService::Get(int64_t project_id, int64_t run_id, int64_t artifact_id) {
  NEXUS_ASSIGN_OR_RETURN(Artifact a, store_.GetArtifact(project_id, artifact_id));
  if (a.run_id != run_id) return NotFound("artifact not found");
  return a;
}

Result<std::unique_ptr<BlobReader>> ArtifactService::Open(const Artifact& artifact) {
  auto r = blobs_.Open(artifact.sha256);
  if (!r.ok() && r.status().code() == StatusCode::kNotFound)
    return Internal("the bytes of artifact " + std::to_string(artifact.id) + " are missing");
  return r;
}

Status ArtifactService::Delete(int64_t project_id, int64_t run_id, int64_t artifact_id) {
  NEXUS_RETURN_IF_ERROR(Get(project_id, run_id, artifact_id).status());
  std::lock_guard lock(blob_mu_);
  NEXUS_ASSIGN_OR_RETURN(Artifact a, store_.DeleteArtifact(project_id, artifact_id));
  NEXUS_ASSIGN_OR_RETURN(int64_t refs, store_.CountArtifactsWithBlob(a.sha256));
  if (refs == 0) return blobs_.Remove(a.sha256);
  return Status::Ok();
}

}  // namespace nexus::domain
