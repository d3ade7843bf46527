// Composition root.
#include "app/app.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "api/artifact_routes.h"
#include "api/auth_routes.h"
#include "api/catalog_routes.h"
#include "api/export_routes.h"
#include "api/import_routes.h"
#include "api/plan_routes.h"
#include "api/project_routes.h"
#include "api/run_routes.h"
#include "api/test_routes.h"
#include "api/testrail_routes.h"
#include "integration/attachment_sink.h"
#include "storage/pg_rate_ledger.h"

namespace nexus::app {

std::string Config::DbUrl() const {
  if (!db.empty()) return db;
  return "sqlite://" + (std::filesystem::absolute(data_dir) / "nexus.db").string();
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= listen.size())
    return InvalidArgument("--listen must be HOST:PORT, e.g. 127.0.0.1:8080", "listen");
  std::string host = listen.substr(0, colon);
  std::string port_s = listen.substr(colon + 1);
  if (port_s.size() > 5 || port_s.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("--listen port must be a number 0-65535", "listen");
  int port = std::stoi(port_s);
  if (port > 65535) return InvalidArgument("--listen port must be a number 0-65535", "listen");
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::make_pair(host, port);
}

Status PrepareDataDir(const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec)
    return InvalidArgument("cannot create data dir '" + data_dir + "': " + ec.message(),
                           "data_dir");
  // The directory holds password hashes, session and token hashes, sealed TestRail keys and the
  // master key: readable by the service's user only. The database is created 0600 before
  // SQLite opens it (SQLite gives its -wal and -shm files the database file's mode).
  fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec)
    return InvalidArgument(
        "cannot restrict data dir '" + data_dir + "' to its owner: " + ec.message(), "data_dir");
  fs::path db = fs::path(data_dir) / "nexus.db";
  int fd = ::open(db.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return InvalidArgument(
        "cannot create database file '" + db.string() + "': " + std::strerror(errno), "data_dir");
  ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::path f = db;
    f += suffix;
    if (fs::exists(f, ec))
      fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace,
                      ec);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenAndMigrate(const Config& config, bool read_cache) {
  if (config.db.empty()) NEXUS_RETURN_IF_ERROR(PrepareDataDir(config.data_dir));
  const std::string url = config.DbUrl();
  const bool postgres = url.starts_with("postgresql://") || url.starts_with("postgres://");
  NEXUS_ASSIGN_OR_RETURN(auto store,
                         postgres ? OpenPostgresStore(url, config.db_pool_size,
                                                      read_cache ? config.db_cache_ttl_ms : 0)
                                  : OpenStore(url));
  NEXUS_RETURN_IF_ERROR(store->Migrate());
  return store;
}

Result<std::unique_ptr<App>> App::Start(const Config& config) {
  std::unique_ptr<App> app(new App());
  app->config_ = config;
  NEXUS_ASSIGN_OR_RETURN(auto hp, ParseListen(config.listen));
  app->host_ = hp.first;
  NEXUS_ASSIGN_OR_RETURN(app->store_, OpenAndMigrate(config, /*read_cache=*/config.serve_http));
  NEXUS_RETURN_IF_ERROR(app->BuildServices());
  app->RegisterRoutes();
  app->catalog_->StartPeriodic();
  app->jobs_->Start();
  NEXUS_RETURN_IF_ERROR(app->exports_->ResumeOrphans());
  if (!config.serve_http) return app;
  NEXUS_ASSIGN_OR_RETURN(app->port_, app->server_->Start(hp.first, hp.second));
  spdlog::info("event=server_started listen={}:{} db=\"{}\"", app->host_, app->port_,
               config.db.empty() ? "sqlite (data dir)" : "configured");
  app->WarnAboutUnreadableKeys();
  return app;
}

Status App::BuildServices() {
  const Config& config = config_;
  Store& store = *store_;
  auth::AuthOptions ao;
  ao.kdf = config.kdf;
  auth_ = std::make_unique<auth::AuthService>(store, clock_, ao);

  // TestRail: sealed API keys, one shared transport and rate-budget registry.
  NEXUS_ASSIGN_OR_RETURN(auth::MasterKey key,
                         auth::LoadMasterKey(config.secret_key, config.data_dir));
  secrets_ = std::make_unique<auth::SodiumSecretBox>(key);
  testrail_transport_ = std::make_unique<testrail::CurlTransport>();
  if (config.testrail_shared_budget) testrail_ledger_ = MakeSharedRateLedger(store);
  testrail_budgets_ = std::make_unique<testrail::RateBudgets>(
      nullptr, &metrics_, std::random_device{}(), testrail_ledger_.get());
  testrail::TestRailClientOptions tro;
  tro.allow_private = config.testrail_allow_private;
  tro.allow_insecure_http = config.testrail_allow_insecure_http;
  tro.connect_timeout_ms = config.testrail_connect_timeout_ms;
  tro.request_timeout_ms = config.testrail_request_timeout_ms;
  tro.requests_per_minute = config.testrail_requests_per_minute;
  tro.budget_share = std::clamp(config.testrail_budget_share_percent, 1.0, 100.0) / 100.0;
  tro.budget_window_ms = std::max<int64_t>(100, config.testrail_budget_window_ms);
  tro.budget_margin_ms = tro.budget_window_ms / 60;
  tro.retry = config.testrail_retry;
  integration::TestRailClientFactory factory =
      [transport = testrail_transport_.get(), budgets = testrail_budgets_.get(),
       metrics = &metrics_, tro](const integration::TestRailCredentials& c) {
        testrail::TestRailConfig cfg{c.url, c.user, c.api_key, tro};
        return testrail::TestRailClient::Create(cfg, *transport, *budgets, metrics);
      };

  // Durable jobs (exports, catalog syncs) on one shared runner.
  jobs::JobRunnerOptions jro;
  jro.threads = std::max(1, config.job_threads);
  jro.lease_ms = config.job_lease_ms;
  jro.heartbeat_ms = std::max<int64_t>(100, config.job_lease_ms / 3);
  jobs_ = std::make_unique<jobs::JobRunner>(store, clock_, jro);

  // The configuration announces suite selection changes to the catalog's sync queue (the
  // catalog service itself needs the configuration for its TestRail clients).
  catalog_syncs_ = std::make_unique<integration::CatalogSyncRequests>(store, *jobs_);
  testrail_config_ = std::make_unique<integration::TestRailConfigService>(
      store, *secrets_, clock_, std::move(factory), *catalog_syncs_);
  integration::CatalogOptions cato;
  cato.periodic_interval_ms = config.catalog_sync_interval_ms;
  cato.export_max_age_ms = std::max<int64_t>(0, config.export_catalog_max_age_ms);
  catalog_ = std::make_unique<integration::CatalogService>(
      store, clock_,
      [cfg = testrail_config_.get()](int64_t project_id) { return cfg->ClientFor(project_id); },
      *jobs_, cato);
  catalog_->RegisterJobs();
  integration::ExportServiceOptions eso;
  eso.public_url = config.public_url;
  if (config.export_batch_size > 0)
    eso.executor.batch_size = static_cast<size_t>(config.export_batch_size);
  if (config.export_page_rows > 0)
    eso.executor.page_rows = static_cast<size_t>(config.export_page_rows);
  if (config.export_plan_slice_cases > 0)
    eso.plan_slice_cases = static_cast<size_t>(config.export_plan_slice_cases);
  eso.executor.settle_ms = std::max<int64_t>(0, config.export_settle_ms);
  exports_ = std::make_unique<integration::ExportService>(store, *testrail_config_, *jobs_, clock_,
                                                          &metrics_, *catalog_, eso);
  links_ = std::make_unique<integration::LinkService>(store, clock_, *catalog_, *exports_);
  imports_ = std::make_unique<integration::JUnitImportService>(store, exports_.get(), clock_);

  // The host model: completed executions start automatic exports (R-EXP-AUTO); test views
  // count linked TestRail cases.
  health_ = std::make_unique<domain::HealthService>(store);
  users_ = std::make_unique<domain::UserService>(store);
  projects_ = std::make_unique<domain::ProjectService>(store, clock_);
  tests_ = std::make_unique<domain::TestService>(store, clock_, *links_);
  runs_ = std::make_unique<domain::RunService>(store, clock_, *exports_);
  plans_ = std::make_unique<domain::PlanService>(store, clock_);
  NEXUS_ASSIGN_OR_RETURN(
      blobs_, OpenDirBlobStore((std::filesystem::path(config_.data_dir) / "blobs").string()));
  domain::ArtifactLimits limits;
  limits.max_file_bytes = config_.artifact_max_bytes;
  limits.project_quota_bytes = config_.artifact_quota_bytes;
  artifacts_ = std::make_unique<domain::ArtifactService>(store, *blobs_, clock_, limits);
  // Issue 17: exports attach artifacts through an uploader beside each export's client (same
  // options, same rate budget of the instance, background priority).
  testrail_uploads_ = std::make_unique<testrail::CurlUploadTransport>();
  exports_->SetAttachmentSinks(
      [this, tro](int64_t project_id) -> Result<std::unique_ptr<integration::AttachmentSink>> {
        NEXUS_ASSIGN_OR_RETURN(auto cred, testrail_config_->CredentialsFor(project_id));
        testrail::TestRailConfig cfg{cred.url, cred.user, cred.api_key, tro};
        NEXUS_ASSIGN_OR_RETURN(auto uploader,
                               testrail::AttachmentUploader::Create(cfg, *testrail_uploads_,
                                                                    *testrail_budgets_, &metrics_));
        return integration::MakeArtifactAttachmentSink(std::move(uploader), *artifacts_,
                                                       project_id);
      });
  return Status::Ok();
}

void App::RegisterRoutes() {
  api::ServerOptions so;
  so.secure_cookies = config_.public_url.rfind("https://", 0) == 0;
  so.static_dir = config_.static_dir;
  so.http = config_.http;
  so.http.head_timeout = std::chrono::milliseconds(config_.http_head_timeout_ms);
  so.http.body_timeout = std::chrono::milliseconds(config_.http_body_timeout_ms);
  server_ = std::make_unique<api::ApiServer>(*auth_, metrics_, so);
  api::ApiServer& s = *server_;
  api::RegisterAuthRoutes(s, *auth_, *users_, *projects_, *health_, clock_);
  api::RegisterProjectRoutes(s, *auth_, *projects_);
  api::RegisterTestRoutes(s, *auth_, *tests_);
  api::RegisterRunRoutes(s, *auth_, *runs_);
  api::RegisterArtifactRoutes(s, *auth_, *artifacts_);
  api::RegisterPlanRoutes(s, *auth_, *plans_);
  api::RegisterTestRailRoutes(s, *auth_, *testrail_config_);
  api::RegisterExportRoutes(s, *auth_, *exports_);
  api::RegisterCatalogRoutes(s, *auth_, *catalog_, *links_, *jobs_);
  api::RegisterImportRoutes(s, *auth_, *imports_);
}

void App::WarnAboutUnreadableKeys() {
  auto unreadable = testrail_config_->ProjectsWithUnreadableKeys();
  if (!unreadable.ok() || unreadable->empty()) return;
  std::string ids;
  for (int64_t id : *unreadable) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  spdlog::warn(
      "event=secret_unreadable projects={} project_ids={} message=\"the stored TestRail API keys "
      "of these projects cannot be decrypted with this master key (NEXUS_SECRET_KEY or "
      "secret.key changed?): re-enter them under Configs -> TestRail, or restart with the "
      "previous key\"",
      unreadable->size(), ids);
}

App::~App() { Stop(); }

void App::Stop() {
  // Running jobs (exports) start handing over at once, while the HTTP server drains.
  if (jobs_) jobs_->RequestStop();
  if (server_) server_->Stop();
  if (catalog_) catalog_->StopPeriodic();  // before the runner stops
  if (jobs_) jobs_->Stop();                // interrupted jobs resume at the next start
}

std::string App::url() const {
  std::string h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return "http://" + h + ":" + std::to_string(port_);
}

}  // namespace nexus::app
