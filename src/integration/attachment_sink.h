// The export's AttachmentSink over a TestRail AttachmentUploader and the stored artifacts
// (issue 17): an artifact's blob is streamed to add_attachment_to_result, never held whole.
#pragma once

#include <cstdint>
#include <memory>

#include "domain/artifact_service.h"
#include "integration/export_executor.h"
#include "testrail/attachments.h"

namespace nexus::integration {

// `artifacts` must outlive the sink; the artifacts it sends are those of `project_id`.
std::unique_ptr<AttachmentSink> MakeArtifactAttachmentSink(
    std::unique_ptr<testrail::AttachmentUploader> uploader, domain::ArtifactService& artifacts,
    int64_t project_id);

}  // namespace nexus::integration
