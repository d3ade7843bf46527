// CatalogService: the local catalog of the selected TestRail suites (R-SYNC-3, R-LINK-3,
// R-SUITE-2) — syncing sections and cases into the Store as durable jobs, the catalog state,
// the section tree and the case search of the case picker. HTTP-agnostic. Design and
// figures: docs/catalog.md.
//
// Sync: one job kind ("catalog_sync", de-duplicated per project). Each selected suite is
// fetched by its own worker thread (at most options.max_parallel_suites at a time; every
// request still draws from the instance's shared rate budget in the TestRail client) and
// written in ONE transaction when its fetch completed, so a failed sync leaves that suite's
// previous catalog intact. A full sync lists every case (get_sections + all get_cases pages)
// and marks cases no longer listed as deleted (never removing them, never touching links).
// An incremental sync asks get_cases with updated_after = high water − overlap; that listing
// cannot show deletions, so it then checks the suite's LINKED cases it did not see (per
// section: list the section or get_case each, whichever costs fewer calls; get_case's 400 =
// deleted), and a suite whose check would cost more than listing it gets a full sync instead.
// A suite also gets a full sync when it never had one or its last one is older than
// options.full_sync_every_ms (deletions of unlinked cases).
//
// Search: an in-memory index per project (all catalog cases with lower-cased titles and
// section paths), built lazily and dropped whenever a sync wrote to the project's catalog.
//
// Thread-safety: every method may be called from any thread. Store, Clock, the client
// provider and the JobRunner must outlive the service; call StopPeriodic() (or destroy the
// service) before the JobRunner is destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "integration/catalog_sync_requests.h"
#include "integration/interfaces.h"
#include "jobs/job_runner.h"
#include "storage/store.h"
#include "testrail/client.h"

namespace nexus::integration {

// A TestRail client for the project's stored connection (TestRailConfigService::ClientFor).
using ProjectClientProvider =
    std::function<Result<std::unique_ptr<testrail::TestRailClient>>(int64_t project_id)>;

struct CatalogOptions {
  // Incremental syncs ask for cases updated after (high water − overlap): absorbs clock
  // granularity (UNIX seconds) and cases saved while the previous sync was listing.
  int64_t overlap_s = 60;
  // A suite whose last full sync is older than this gets a full sync (detects deletions).
  int64_t full_sync_every_ms = 24LL * 3600 * 1000;
  int max_parallel_suites = 4;
  // Periodic sync of every configured project (0: off). Started by StartPeriodic().
  int64_t periodic_interval_ms = 0;
  // R-SYNC-3: before an export is planned, a catalog older than this is refreshed, waiting
  // up to export_refresh_timeout_ms (0: never refreshed for exports).
  int64_t export_max_age_ms = 0;
  int64_t export_refresh_timeout_ms = 2 * 60 * 1000;
};

struct SuiteSyncReport {
  int64_t suite_id = 0;
  bool full = false;
  int64_t cases_fetched = 0;
  int64_t sections = 0;
  // Incremental: linked cases the listing did not show that were checked, the calls that
  // check cost (get_cases&section_id pages + get_case), and how many TestRail had deleted.
  int64_t verified = 0;
  int64_t verify_calls = 0;
  int64_t deleted_found = 0;
  std::string error;  // empty when the suite synced
};

struct SyncReport {
  std::vector<SuiteSyncReport> suites;
  int64_t duration_ms = 0;
};
nlohmann::json SyncReportToJson(const SyncReport& r);

struct CatalogStatusView {
  std::string state = "never";  // never | queued | syncing | ok | failed
  std::optional<TimeMs> last_full_sync_at;
  std::optional<TimeMs> last_incremental_at;
  std::optional<TimeMs> last_sync_at;  // the later of the two
  std::string last_error;
  int64_t cases = 0;               // live cases of selected suites
  int64_t deleted_cases = 0;       // tombstones of selected suites
  int64_t sections = 0;            // of selected suites
  std::vector<int64_t> suite_ids;  // selected suites
  std::optional<int64_t> job_id;   // queued/running sync job
  nlohmann::json progress;         // its progress, null when none
};

struct SectionNode {
  int64_t id = 0;
  int64_t suite_id = 0;
  std::optional<int64_t> parent_id;
  std::string name;
  int depth = 0;
  int64_t display_order = 0;
};

struct CaseQuery {
  std::string q;  // "C123" / "123": exact id; otherwise words (all must match the title)
  std::optional<int64_t> suite_id;
  std::optional<int64_t> section_id;
  int limit = 50;      // 1..250
  std::string cursor;  // from a previous page
};

struct CaseHit {
  int64_t id = 0;
  std::string title;
  int64_t suite_id = 0;
  std::string suite;
  int64_t section_id = 0;
  std::string section_path;  // "Parent > Child"
  std::string refs;
  int64_t updated_on = 0;
};

struct CasePage {
  std::vector<CaseHit> items;
  std::string next_cursor;  // empty: last page
};

// What the catalog knows about one case, for link views.
struct CaseInfo {
  int64_t id = 0;
  int64_t suite_id = 0;
  std::string suite;  // name (selected or catalog suite)
  std::string title;
  std::string section_path;
  int64_t updated_on = 0;
  bool deleted = false;
  bool suite_selected = false;
};

class CatalogService : public CatalogFreshness {
 public:
  static constexpr const char* kJobKind = kCatalogSyncJobKind;

  CatalogService(Store& store, const Clock& clock, ProjectClientProvider clients,
                 jobs::JobRunner& runner, CatalogOptions options = {});
  ~CatalogService();  // StopPeriodic()

  // Registers the "catalog_sync" handler on the runner; call before runner.Start().
  void RegisterJobs();

  // Enqueues a sync job for the project; returns its id, or the id of the sync already
  // queued/running (which then covers this request). NotFound for an unknown project.
  Result<int64_t> RequestSync(int64_t project_id, SyncMode mode = SyncMode::kAuto);
  // Suite selection changed: enqueues an automatic sync (newly selected suites get a full
  // sync). Errors are logged, not returned (the selection itself succeeded).
  void OnSuitesChanged(int64_t project_id);

  // Runs a sync on the calling thread (the job handler; tools and benchmarks). `ctx` (may be
  // null) receives progress and stop requests. Errors: Conflict "not_connected" /
  // "no_project_selected"; the first failing suite's TestRail error (the suites that
  // succeeded are kept, the failed ones keep their previous catalog).
  Result<SyncReport> SyncNow(int64_t project_id, SyncMode mode, jobs::JobContext* ctx = nullptr);

  // For exports: when the last successful sync (full or incremental) of the project is older
  // than `max_age` (or never happened), runs an automatic sync and waits up to `timeout` for
  // it. Ok when the catalog is fresh or the sync succeeded; the sync's error otherwise;
  // Timeout (reason "catalog_sync_timeout") when it did not finish in time.
  Status EnsureFresh(int64_t project_id, std::chrono::milliseconds max_age,
                     std::chrono::milliseconds timeout);
  // EnsureFresh with options.export_max_age_ms and export_refresh_timeout_ms; Ok at once
  // when export_max_age_ms is 0.
  Status RefreshIfStale(int64_t project_id) override;
  // get_case for each case (at most 100 checked per call); a 400 answer (TestRail has no such
  // case) marks it deleted in the catalog. Other answers leave the case as it is.
  Result<int64_t> ConfirmDeletedCases(int64_t project_id, const testrail::TestRailClient& client,
                                      const std::vector<int64_t>& case_ids) override;

  Result<CatalogStatusView> GetStatus(int64_t project_id);

  // Sections of one selected suite (nullopt: every selected suite) in tree order (depth-first
  // by display_order), as TestRail shows them. InvalidArgument (field "suite_id", reason
  // "suite_not_selected") for a suite that is not selected.
  Result<std::vector<SectionNode>> Sections(int64_t project_id, std::optional<int64_t> suite_id);

  // Case search over the selected suites (deleted cases left out). Ranking: exact title,
  // title prefix, every word at a word start, substring; then case id. Without q: tree order
  // (suite, section, display order). InvalidArgument for a bad limit/cursor/suite.
  Result<CasePage> SearchCases(int64_t project_id, const CaseQuery& query);

  // Catalog facts about these cases (unknown ids left out).
  Result<std::map<int64_t, CaseInfo>> LookupCases(int64_t project_id,
                                                  const std::vector<int64_t>& case_ids);

  // Periodic sync (options.periodic_interval_ms > 0): every interval, RequestSync(kAuto)
  // for each project with a selected TestRail project and suites.
  void StartPeriodic();
  void StopPeriodic();

 private:
  struct Index;
  Result<std::shared_ptr<const Index>> GetIndex(int64_t project_id);
  void Invalidate(int64_t project_id);
  Result<std::vector<TestRailSuiteRecord>> SelectedSuites(int64_t project_id);
  void PeriodicLoop();

  Store& store_;
  const Clock& clock_;
  ProjectClientProvider clients_;
  jobs::JobRunner& runner_;
  const CatalogOptions options_;
  CatalogSyncRequests requests_;

  std::mutex index_mu_;  // guards indexes_, generation_
  std::map<int64_t, std::shared_ptr<const Index>> indexes_;
  std::map<int64_t, uint64_t> generation_;

  std::mutex periodic_mu_;  // guards periodic_stop_; with periodic_cv_
  std::condition_variable periodic_cv_;
  bool periodic_stop_ = false;
  std::thread periodic_;
};

}  // namespace nexus::integration
