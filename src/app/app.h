// Composition root: reads configuration, opens and migrates the store, builds the
// services and the HTTP server. main.cc and the CLI commands only call into this.
#pragma once

#include <memory>
#include <string>

#include "api/server.h"
#include "auth/auth_service.h"
#include "auth/secret_box.h"
#include "core/clock.h"
#include "domain/artifact_service.h"
#include "domain/health_service.h"
#include "domain/plan_service.h"
#include "domain/project_service.h"
#include "domain/run_service.h"
#include "domain/test_service.h"
#include "domain/user_service.h"
#include "integration/catalog_service.h"
#include "integration/catalog_sync_requests.h"
#include "integration/export_service.h"
#include "integration/junit_import_service.h"
#include "integration/link_service.h"
#include "integration/testrail_config_service.h"
#include "jobs/job_runner.h"
#include "obs/metrics.h"
#include "storage/store.h"
#include "testrail/attachments.h"
#include "testrail/curl_transport.h"
#include "testrail/rate_budget.h"
#include "testrail/retry_policy.h"

namespace nexus::app {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./nexus-data";
  std::string db;        // --db/--database URL; empty = SQLite file nexus.db in data_dir
  int db_pool_size = 8;  // PostgreSQL: connections per instance (--db-pool-size)
  // `nexus serve` on PostgreSQL: lifetime of a read cache entry, 0 = no read cache
  // (--db-cache-ttl-ms; storage/read_cache.h).
  int db_cache_ttl_ms = 5000;
  std::string public_url;  // NEXUS_PUBLIC_URL; base of links back to Nexus
  std::string static_dir;  // built web UI; empty = auto-detect next to the binary
  // The HTTP front: connection caps, threads, body budget (deadlines below, in ms).
  api::FrontOptions http;
  int64_t http_head_timeout_ms = 10'000;
  int64_t http_body_timeout_ms = 30'000;
  bool testrail_allow_private = false;
  // Plain http:// TestRail URLs on public hosts (refused by default: the key travels in clear).
  bool testrail_allow_insecure_http = false;
  // Master key of the stored TestRail API keys (NEXUS_SECRET_KEY): 64 hex digits or base64
  // of 32 bytes. Empty: the key file <data_dir>/secret.key (created 0600 when missing).
  std::string secret_key;
  // TestRail client timeouts (tests shorten them).
  int testrail_connect_timeout_ms = 10'000;
  int testrail_request_timeout_ms = 60'000;
  testrail::RetryOptions testrail_retry;  // per-call retries of the client (tests shorten them)
  // Request budget per TestRail instance (Cloud: 180/min; <= 0: unlimited, on-premise).
  double testrail_requests_per_minute = 180;
  // Percent of that limit Nexus uses in any 60-s window (the rest: other users), 1-100.
  double testrail_budget_share_percent = 80;
  // The window the per-minute limit is counted over (tests and benchmarks shorten it, with the
  // simulator's rate_limit_window_ms) and its safety margin (1/60 of it, as 1 s of 60 s).
  int64_t testrail_budget_window_ms = 60'000;
  // On PostgreSQL, every instance on the database draws from one budget per TestRail instance
  // (pg_rate_ledger.h); false only for measuring what happens without it.
  bool testrail_shared_budget = true;
  auth::KdfStrength kdf = auth::KdfStrength::kInteractive;
  // Exports: lease of a running job (NEXUS_JOB_LEASE_MS; a job whose process died
  // is resumed after it expires — tests shorten it) and results per add_results_for_cases
  // call (0 = the measured default, docs/export.md).
  int64_t job_lease_ms = 30'000;
  int job_threads = 2;  // worker threads of the job runner (--job-threads)
  int export_batch_size = 0;
  // Results of a stored export plan the export job reads per store call (issue 16); 0 = the
  // executor's default. Not a flag: tests make it small to cross page boundaries.
  int export_page_rows = 0;
  // Linked cases an export is planned and recorded per slice (issue 16); 0 = the service's
  // default. Not a flag: tests make it small to cross slice boundaries.
  int export_plan_slice_cases = 0;
  // Wait after an ambiguous TestRail outcome before reading what landed (docs/export.md §2).
  int64_t export_settle_ms = 5000;
  // TestRail catalog: periodic sync of every configured project (0 = off).
  int64_t catalog_sync_interval_ms = 15 * 60 * 1000;
  // R-SYNC-3: before an export is planned, a catalog older than this is refreshed (0 = never;
  // tests that write the catalog themselves turn it off).
  int64_t export_catalog_max_age_ms = 5 * 60 * 1000;
  // false: build every service and run the job runner but do not listen for HTTP (one-shot
  // CLI commands such as `nexus export`; port() is 0 then).
  bool serve_http = true;
  // Run artifacts (issue 17): bytes per file (TestRail's attachment limit) and per project
  // (0 = no quota); stored under <data_dir>/blobs.
  uint64_t artifact_max_bytes = 256ull * 1024 * 1024;
  uint64_t artifact_quota_bytes = 20ull * 1024 * 1024 * 1024;

  std::string DbUrl() const;
};

// Splits "HOST:PORT" (port 0..65535). InvalidArgument with a clear message otherwise.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen);

// Opens the store for `config` (creating the data dir) and applies migrations. `read_cache`:
// a serving process on PostgreSQL keeps identity and project rows in memory
// (Config::db_cache_ttl_ms); one-shot commands do not.
Result<std::unique_ptr<Store>> OpenAndMigrate(const Config& config, bool read_cache = false);
// Creates the data directory (mode 0700, tightened when it exists) and the SQLite database
// file in it (mode 0600, tightened with its -wal/-shm/-journal files when they exist).
// InvalidArgument (field "data_dir") when it cannot.
Status PrepareDataDir(const std::string& data_dir);

// A running Nexus server and everything it owns.
class App {
 public:
  // Builds everything and binds the listen address. Unavailable when the port is taken.
  static Result<std::unique_ptr<App>> Start(const Config& config);
  ~App();

  int port() const { return port_; }
  std::string url() const;
  Store& store() { return *store_; }
  auth::AuthService& auth() { return *auth_; }
  obs::Metrics& metrics() { return metrics_; }
  integration::TestRailConfigService& testrail_config() { return *testrail_config_; }
  integration::ExportService& exports() { return *exports_; }
  integration::CatalogService& catalog() { return *catalog_; }
  integration::LinkService& links() { return *links_; }
  integration::JUnitImportService& imports() { return *imports_; }
  jobs::JobRunner& jobs() { return *jobs_; }
  api::ApiServer& server() { return *server_; }
  void Stop();

 private:
  App() = default;
  // Builds the services in dependency order (every collaborator given to its constructor).
  Status BuildServices();
  // Builds the HTTP server and registers every route set.
  void RegisterRoutes();
  // Logs one warning naming the projects whose stored TestRail key is unreadable.
  void WarnAboutUnreadableKeys();
  Config config_;
  SystemClock clock_;
  obs::Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<auth::SecretBox> secrets_;
  // Shared by every TestRail client: one connection pool, one rate budget per instance.
  std::unique_ptr<testrail::CurlTransport> testrail_transport_;
  // PostgreSQL: the budget shared with the other instances on the database (null on SQLite).
  std::unique_ptr<testrail::SharedRateLedger> testrail_ledger_;
  std::unique_ptr<testrail::CurlUploadTransport> testrail_uploads_;  // issue 17
  std::unique_ptr<testrail::RateBudgets> testrail_budgets_;
  // Services are built in dependency order and destroyed in reverse: the job runner is
  // stopped (Stop()) before the services its handlers call go.
  std::unique_ptr<jobs::JobRunner> jobs_;
  std::unique_ptr<integration::CatalogSyncRequests> catalog_syncs_;
  std::unique_ptr<integration::TestRailConfigService> testrail_config_;
  std::unique_ptr<integration::CatalogService> catalog_;
  std::unique_ptr<integration::ExportService> exports_;
  std::unique_ptr<integration::LinkService> links_;
  std::unique_ptr<integration::JUnitImportService> imports_;  // R-IMPORT
  // The host model.
  std::unique_ptr<domain::HealthService> health_;
  std::unique_ptr<domain::UserService> users_;
  std::unique_ptr<domain::ProjectService> projects_;
  std::unique_ptr<domain::TestService> tests_;
  std::unique_ptr<domain::RunService> runs_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<domain::ArtifactService> artifacts_;
  std::unique_ptr<domain::PlanService> plans_;
  std::unique_ptr<api::ApiServer> server_;
  std::string host_;
  int port_ = 0;
};

// Runs the command line (`nexus serve|migrate|user add|token create|project create|…`).
// Returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace nexus::app
