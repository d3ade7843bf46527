// See attachment_sink.h.
#include "integration/attachment_sink.h"

#include <utility>

namespace nexus::integration {
namespace {

// A stored blob as an upload body (both read at an offset, piece by piece).
class BlobBody final : public testrail::BodySource {
 public:
  explicit BlobBody(std::unique_ptr<BlobReader> reader) : reader_(std::move(reader)) {}
  uint64_t size() const override { return reader_->size(); }
  size_t ReadAt(uint64_t offset, char* buf, size_t cap) override {
    return reader_->ReadAt(offset, buf, cap);
  }

 private:
  std::unique_ptr<BlobReader> reader_;
};

class ArtifactAttachmentSink final : public AttachmentSink {
 public:
  ArtifactAttachmentSink(std::unique_ptr<testrail::AttachmentUploader> uploader,
                         domain::ArtifactService& artifacts, int64_t project_id)
      : uploader_(std::move(uploader)), artifacts_(artifacts), project_id_(project_id) {}

  Result<std::string> Upload(int64_t result_id, const PlannedAttachment& a) override {
    NEXUS_ASSIGN_OR_RETURN(Artifact art, artifacts_.Get(project_id_, a.run_id, a.artifact_id));
    NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> reader, artifacts_.Open(art));
    testrail::AttachmentUpload file;
    file.name = a.name;
    file.media_type = art.media_type;
    file.content = std::make_shared<BlobBody>(std::move(reader));
    return uploader_->AddAttachmentToResult(result_id, file);
  }

 private:
  std::unique_ptr<testrail::AttachmentUploader> uploader_;
  domain::ArtifactService& artifacts_;
  const int64_t project_id_;
};

}  // namespace

std::unique_ptr<AttachmentSink> MakeArtifactAttachmentSink(
    std::unique_ptr<testrail::AttachmentUploader> uploader, domain::ArtifactService& artifacts,
    int64_t project_id) {
  return std::make_unique<ArtifactAttachmentSink>(std::move(uploader), artifacts, project_id);
}

}  // namespace nexus::integration
