// CatalogSyncRequests: enqueues catalog sync jobs (kind "catalog_sync", one queued or
// running per project) — what CatalogService::RequestSync does, without the catalog, so
// the TestRail configuration can announce suite changes to it although the catalog service
// itself depends on the configuration (for its TestRail clients).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "integration/interfaces.h"
#include "jobs/job_runner.h"
#include "storage/store.h"

namespace nexus::integration {

inline constexpr char kCatalogSyncJobKind[] = "catalog_sync";

enum class SyncMode { kAuto, kFull, kIncremental };
std::string_view SyncModeName(SyncMode m);  // "auto" | "full" | "incremental"

class CatalogSyncRequests : public SuiteSelectionListener {
 public:
  // `store` and `runner` must outlive this.
  CatalogSyncRequests(Store& store, jobs::JobRunner& runner) : store_(store), runner_(runner) {}

  // Enqueues a sync job for the project; returns its id, or the id of the sync already
  // queued/running (which then covers this request). NotFound for an unknown project.
  Result<int64_t> Request(int64_t project_id, SyncMode mode);
  // Enqueues an automatic sync (newly selected suites get a full sync). Errors are logged,
  // not returned (the selection itself succeeded).
  void OnSuitesChanged(int64_t project_id) override;

 private:
  Store& store_;
  jobs::JobRunner& runner_;
};

}  // namespace nexus::integration
