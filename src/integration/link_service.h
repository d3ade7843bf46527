// LinkService: links of Nexus tests and steps to TestRail cases (R-LINK-1/2/4, R-SUITE-2)
// and their sync state. HTTP-agnostic; the API layer checks permissions and the feature flag.
//
// States (computed on every read from the catalog): "missing" when the case is deleted in
// TestRail (reason "deleted_in_testrail"), its suite is no longer selected (reason
// "suite_not_selected") or the catalog does not know it (reason "not_in_catalog");
// "outdated" when the catalog's updated_on is later than the case's updated_on when it was
// linked or last acknowledged (reason "updated_in_testrail"); "synced" otherwise.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/export_planner.h"
#include "core/status.h"
#include "domain/listeners.h"
#include "integration/catalog_service.h"
#include "integration/interfaces.h"
#include "storage/store.h"

namespace nexus::integration {

struct LinkView {
  int64_t case_id = 0;
  std::string step_id;  // empty: test level
  std::string title;    // empty when the catalog does not know the case
  std::optional<int64_t> suite_id;
  std::string suite;
  std::string section_path;
  std::string state;                  // synced | outdated | missing
  std::string reason;                 // empty when synced
  std::optional<int64_t> updated_on;  // UNIX seconds (TestRail)
  TimeMs linked_at = 0;
  std::optional<TimeMs> acknowledged_at;
  std::optional<CaseExportRecord> last_export;  // the status last sent; nullopt: never
};

// What an export needs: each test's links (test level and per step) and the catalog facts of
// every linked case (cases unknown to the catalog are absent from `catalog`; cases of
// suites no longer selected are reported with deleted = false — the planner filters by
// selected suites itself).
struct LinkedCases {
  std::map<int64_t, TestLinks> tests;  // test id → links (tests without links: empty)
  CaseCatalog catalog;
};

class LinkService : public domain::LinkedCaseCounter {
 public:
  // Every reference must outlive the service; `last_exports` fills LinkView::last_export.
  LinkService(Store& store, const Clock& clock, CatalogService& catalog,
              LastExportSource& last_exports);

  // Test-level links (step_id empty) or one step's links. NotFound (field "test_id" /
  // "step_id") for an unknown test / step.
  Result<std::vector<LinkView>> Get(int64_t project_id, int64_t test_id,
                                    const std::string& step_id = "");
  // Replaces the link set (duplicates collapse; empty clears). A case that is not linked yet
  // must be in the catalog, not deleted, and in a selected suite: InvalidArgument with field
  // "case_ids[i]" and reason "unknown_case" / "case_deleted" / "suite_not_selected".
  // Cases already linked may stay whatever their state (so re-saving a list with a missing
  // link works). Returns the new links.
  Result<std::vector<LinkView>> Set(int64_t project_id, int64_t test_id, const std::string& step_id,
                                    const std::vector<int64_t>& case_ids);
  // Marks the test's links (both levels) to these cases as seen: outdated → synced.
  // Returns the test-level links.
  Result<std::vector<LinkView>> Acknowledge(int64_t project_id, int64_t test_id,
                                            const std::vector<int64_t>& case_ids);
  // Distinct cases linked to the test (both levels); 0 on errors.
  int64_t LinkedCaseCount(int64_t project_id, int64_t test_id) override;
  std::map<int64_t, int64_t> LinkedCaseCounts(int64_t project_id, int64_t first_test_id,
                                              int64_t last_test_id) override;

  // For exports: links of these tests and the catalog facts of the linked cases.
  Result<LinkedCases> LinkedCasesForTests(int64_t project_id, const std::vector<int64_t>& test_ids);

 private:
  Result<std::vector<LinkView>> Views(int64_t project_id,
                                      const std::vector<TestRailLinkRecord>& links);

  Store& store_;
  const Clock& clock_;
  CatalogService& catalog_;
  LastExportSource& last_exports_;
};

}  // namespace nexus::integration
