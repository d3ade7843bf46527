// CatalogStore: the TestRail catalog and links role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/catalog_records.h"

namespace nexus {

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  // ---- TestRail catalog (records in storage/catalog_records.h). NotFound when the project
  // does not exist. Writes never touch links.
  //
  // Applies one suite's sync result in one transaction: upserts the suite (name; high water
  // raised to the highest updated_on in `update.cases`; last_full_sync_at or
  // last_incremental_at = now), replaces the suite's sections, upserts the cases (a case seen
  // again is no longer deleted; a case listed under another suite moves). With update.full,
  // every stored case of the suite that is not listed is marked deleted (deleted_at = now
  // when it was not deleted before).
  virtual Status ApplyCatalogSuite(int64_t project_id, const CatalogSuiteUpdate& update,
                                   TimeMs now) = 0;
  // Ascending suite id.
  virtual Result<std::vector<CatalogSuiteRecord>> ListCatalogSuites(int64_t project_id) = 0;
  // Sections of one suite (nullopt: all), ordered by suite, then display_order, then id.
  virtual Result<std::vector<CatalogSectionRecord>> ListCatalogSections(
      int64_t project_id, std::optional<int64_t> suite_id) = 0;
  // Every case of the project's catalog (deleted ones too), ascending id.
  virtual Result<std::vector<CatalogCaseRecord>> ListCatalogCases(int64_t project_id) = 0;
  // The cases with these ids that the catalog holds (deleted ones too), ascending id;
  // unknown ids are left out.
  virtual Result<std::vector<CatalogCaseRecord>> GetCatalogCases(
      int64_t project_id, const std::vector<int64_t>& case_ids) = 0;
  // Marks these catalog cases deleted (tombstones: deleted_at = now when they were live;
  // unknown ids are ignored). For cases TestRail confirmed deleted outside a sync (an export
  // refused for an unknown case). Returns how many live cases became deleted.
  virtual Result<int64_t> MarkCatalogCasesDeleted(int64_t project_id,
                                                  const std::vector<int64_t>& case_ids,
                                                  TimeMs now) = 0;
  // The distinct case ids linked to live tests of the project (both levels, links of removed
  // steps left out), ascending.
  virtual Result<std::vector<int64_t>> ListLinkedCaseIds(int64_t project_id) = 0;
  // nullopt when the project never synced.
  virtual Result<std::optional<CatalogStateRecord>> GetCatalogState(int64_t project_id) = 0;
  virtual Status SaveCatalogState(int64_t project_id, const CatalogStateRecord& state) = 0;

  // ---- TestRail links (records in storage/catalog_records.h). A step-level link belongs to
  // the step with that stable id: links of steps no longer in the test are not returned and
  // not counted, and are pruned at the next link write for the test. NotFound (field
  // "test_id") for a test that is not a live test of the project.
  //
  // Replaces the links of the test (step_id empty) or of one step with `case_ids`
  // (duplicates collapse). Links that stay keep linked_at and their baseline; new ones get
  // linked_at = now and the catalog's updated_on as baseline (0 when not in the catalog).
  // NotFound (field "step_id") when step_id names no step of the test.
  virtual Status ReplaceTestRailLinks(int64_t project_id, int64_t test_id,
                                      const std::string& step_id,
                                      const std::vector<int64_t>& case_ids, TimeMs now) = 0;
  // Links of these tests (both levels), ordered by test, step_id ('' first), case id.
  // Unknown or deleted tests have none.
  virtual Result<std::vector<TestRailLinkRecord>> ListTestRailLinks(
      int64_t project_id, const std::vector<int64_t>& test_ids) = 0;
  // Acknowledges the test's links (both levels) to these cases: acknowledged_at = now,
  // baseline = the catalog's current updated_on. Returns how many links changed.
  virtual Result<int64_t> AcknowledgeTestRailLinks(int64_t project_id, int64_t test_id,
                                                   const std::vector<int64_t>& case_ids,
                                                   TimeMs now) = 0;
  // Distinct cases linked to the test (both levels).
  virtual Result<int64_t> CountTestRailLinkedCases(int64_t project_id, int64_t test_id) = 0;
  // The same for every test of the project with an id in [first_test_id, last_test_id], in
  // one read: test id → count; tests without links are absent.
  virtual Result<std::map<int64_t, int64_t>> CountTestRailLinkedCasesInRange(
      int64_t project_id, int64_t first_test_id, int64_t last_test_id) = 0;
};

}  // namespace nexus
