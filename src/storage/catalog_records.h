// Stored TestRail catalog (the sections and cases of the selected suites, kept locally for
// the case picker and the link states) and the links of Nexus tests and steps to TestRail
// cases: what Store keeps for R-SUITE-2, R-LINK-*, R-SYNC-3 (store.h "TestRail catalog",
// "TestRail links"; migration 0004). Plain values; integration/catalog_service.h and
// integration/link_service.h give them meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace nexus {

// A suite the catalog holds, with its sync bookkeeping.
struct CatalogSuiteRecord {
  int64_t suite_id = 0;
  std::string name;
  // Highest case updated_on (UNIX seconds) seen in this suite: the incremental sync asks
  // for cases updated after it (minus an overlap).
  int64_t high_water_updated_on = 0;
  std::optional<TimeMs> last_full_sync_at;  // nullopt: never fully synced
  std::optional<TimeMs> last_incremental_at;
  bool operator==(const CatalogSuiteRecord&) const = default;
};

struct CatalogSectionRecord {
  int64_t id = 0;
  int64_t suite_id = 0;
  std::optional<int64_t> parent_id;
  std::string name;
  int depth = 0;
  int64_t display_order = 0;
  bool operator==(const CatalogSectionRecord&) const = default;
};

struct CatalogCaseRecord {
  int64_t id = 0;
  int64_t suite_id = 0;
  int64_t section_id = 0;
  std::string title;
  std::string refs;
  int64_t created_on = 0;  // UNIX seconds (TestRail's clock)
  int64_t updated_on = 0;  // UNIX seconds (TestRail's clock)
  int64_t display_order = 0;
  bool is_deleted = false;  // a full sync no longer saw it (tombstone; links stay)
  std::optional<TimeMs> deleted_at;
  bool operator==(const CatalogCaseRecord&) const = default;
};

// One suite's sync result, written in one transaction.
struct CatalogSuiteUpdate {
  int64_t suite_id = 0;
  std::string name;
  // Full: `cases` is the complete list of the suite's cases; every stored case of the suite
  // not in it is marked deleted. Incremental: `cases` are the changed ones only.
  bool full = false;
  std::vector<CatalogSectionRecord> sections;  // the suite's complete section list
  std::vector<CatalogCaseRecord> cases;
  // Cases TestRail confirmed deleted (get_case answered 400) that the listing could not show
  // (an incremental sync verifying its linked cases): marked deleted like unlisted cases of a
  // full sync (deleted_at = now when they were live).
  std::vector<int64_t> deleted_case_ids;
};

// The state of a project's catalog sync ("never", "syncing", "ok", "failed").
struct CatalogStateRecord {
  std::string state = "never";
  std::optional<TimeMs> last_full_sync_at;
  std::optional<TimeMs> last_incremental_at;
  std::optional<TimeMs> last_attempt_at;
  std::string last_error;  // empty when the last sync succeeded
  TimeMs updated_at = 0;
  bool operator==(const CatalogStateRecord&) const = default;
};

// A link of a test (step_id empty) or of one of its steps to a TestRail case.
struct TestRailLinkRecord {
  int64_t test_id = 0;
  std::string step_id;  // empty: test level
  int64_t case_id = 0;
  TimeMs linked_at = 0;
  std::optional<TimeMs> acknowledged_at;
  // The case's updated_on when linked or last acknowledged; the link is outdated when the
  // catalog's updated_on is later.
  int64_t baseline_updated_on = 0;
  bool operator==(const TestRailLinkRecord&) const = default;
};

}  // namespace nexus
