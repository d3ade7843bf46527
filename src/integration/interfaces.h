// Small interfaces between the TestRail services, given to constructors by the composition
// root (app/app.cc) so that no service needs a late setter: the configuration announces
// suite selection changes, exports ask for a fresh catalog, links ask for the status last
// exported per case.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/status.h"
#include "storage/export_records.h"
#include "testrail/client.h"

namespace nexus::integration {

// Told after a project's TestRail project or suite selection was saved (on the request
// thread; must not block, must not fail the selection).
class SuiteSelectionListener {
 public:
  virtual ~SuiteSelectionListener() = default;
  virtual void OnSuitesChanged(int64_t project_id) = 0;
};

// R-SYNC-3: refreshes a project's local catalog when it is stale, before an export is
// planned. Ok when it is fresh (or freshness is not required); the refresh's error otherwise.
class CatalogFreshness {
 public:
  virtual ~CatalogFreshness() = default;
  virtual Status RefreshIfStale(int64_t project_id) = 0;
  // TestRail refused results for these cases at send time ("rejected_by_testrail"): checks
  // each with get_case through `client` and marks the ones TestRail no longer has deleted in
  // the catalog, so their links turn missing (R-LINK-4). Returns how many were marked.
  virtual Result<int64_t> ConfirmDeletedCases(int64_t project_id,
                                              const testrail::TestRailClient& client,
                                              const std::vector<int64_t>& case_ids) = 0;
};

// R-LINK-4: the status last sent per case (case id → record; cases never sent are absent).
class LastExportSource {
 public:
  virtual ~LastExportSource() = default;
  virtual Result<std::map<int64_t, CaseExportRecord>> LastExportsForCases(
      int64_t project_id, const std::vector<int64_t>& case_ids) = 0;
};

}  // namespace nexus::integration
