// CatalogSyncRequests implementation.
#include "integration/catalog_sync_requests.h"

#include <spdlog/spdlog.h>

#include <string>

namespace nexus::integration {

std::string_view SyncModeName(SyncMode m) {
  switch (m) {
    case SyncMode::kFull:
      return "full";
    case SyncMode::kIncremental:
      return "incremental";
    case SyncMode::kAuto:
      return "auto";
  }
  return "auto";
}

Result<int64_t> CatalogSyncRequests::Request(int64_t project_id, SyncMode mode) {
  NEXUS_RETURN_IF_ERROR(store_.GetProject(project_id).status());
  const std::string key = std::string(kCatalogSyncJobKind) + ":" + std::to_string(project_id);
  auto id = runner_.Enqueue(kCatalogSyncJobKind, project_id, {{"mode", SyncModeName(mode)}}, key);
  if (id.ok() || id.status().reason() != "already_running") return id;
  NEXUS_ASSIGN_OR_RETURN(auto jobs, store_.ListJobs(project_id, kCatalogSyncJobKind, 20));
  for (const auto& j : jobs)
    if (!JobFinished(j.state)) return j.id;
  // It finished between the two calls: try once more.
  return runner_.Enqueue(kCatalogSyncJobKind, project_id, {{"mode", SyncModeName(mode)}}, key);
}

void CatalogSyncRequests::OnSuitesChanged(int64_t project_id) {
  auto id = Request(project_id, SyncMode::kAuto);
  if (!id.ok())
    spdlog::warn("event=catalog_sync_enqueue_failed project_id={} error=\"{}\"", project_id,
                 id.status().message());
}

}  // namespace nexus::integration
