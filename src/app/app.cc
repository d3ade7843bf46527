// Composition root.
#include "app/app.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "api/catalog_routes.h"  // catalog and links (issue 5)
#include "api/export_routes.h"   // exports (issue 6)
#include "api/host_routes.h"
#include "api/testrail_routes.h"
#include "core/time_util.h"

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
    return InvalidArgument("cannot restrict data dir '" + data_dir + "' to its owner: " +
                               ec.message(),
                           "data_dir");
  fs::path db = fs::path(data_dir) / "nexus.db";
  int fd = ::open(db.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return InvalidArgument("cannot create database file '" + db.string() + "': " +
                               std::strerror(errno),
                           "data_dir");
  ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::path f = db;
    f += suffix;
    if (fs::exists(f, ec))
      fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace, ec);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenAndMigrate(const Config& config) {
  if (config.db.empty()) NEXUS_RETURN_IF_ERROR(PrepareDataDir(config.data_dir));
  NEXUS_ASSIGN_OR_RETURN(auto store, OpenStore(config.DbUrl()));
  NEXUS_RETURN_IF_ERROR(store->Migrate());
  return store;
}

Result<std::unique_ptr<App>> App::Start(const Config& config) {
  std::unique_ptr<App> app(new App());
  app->config_ = config;
  NEXUS_ASSIGN_OR_RETURN(auto hp, ParseListen(config.listen));
  app->host_ = hp.first;
  NEXUS_ASSIGN_OR_RETURN(app->store_, OpenAndMigrate(config));
  auth::AuthOptions ao;
  ao.kdf = config.kdf;
  app->auth_ = std::make_unique<auth::AuthService>(*app->store_, app->clock_, ao);
  api::ServerOptions so;
  so.secure_cookies = config.public_url.rfind("https://", 0) == 0;
  so.static_dir = config.static_dir;
  app->server_ = std::make_unique<api::ApiServer>(*app->auth_, app->metrics_, app->clock_, so);
  api::HostHooks hooks;
  // R-EXP-AUTO (issue 6): the export service exists by the time an execution completes.
  hooks.on_execution_completed = [a = app.get()](int64_t project_id, int64_t execution_id) {
    if (a->exports_) a->exports_->OnExecutionCompleted(project_id, execution_id);
  };
  // Test list testrail_case_count (issue 5): the link service exists before requests come.
  hooks.linked_case_count = [a = app.get()](int64_t project_id, int64_t test_id) -> int64_t {
    return a->links_ ? a->links_->LinkedCaseCount(project_id, test_id) : 0;
  };
  api::RegisterHostRoutes(*app->server_, *app->store_, *app->auth_, app->clock_, hooks);

  // TestRail: sealed API keys, one shared transport and rate-budget registry.
  NEXUS_ASSIGN_OR_RETURN(auth::MasterKey key,
                         auth::LoadMasterKey(config.secret_key, config.data_dir));
  app->secrets_ = std::make_unique<auth::SodiumSecretBox>(key);
  app->testrail_transport_ = std::make_unique<testrail::CurlTransport>();
  app->testrail_budgets_ = std::make_unique<testrail::RateBudgets>(nullptr, &app->metrics_);
  testrail::TestRailClientOptions tro;
  tro.allow_private = config.testrail_allow_private;
  tro.connect_timeout_ms = config.testrail_connect_timeout_ms;
  tro.request_timeout_ms = config.testrail_request_timeout_ms;
  tro.requests_per_minute = config.testrail_requests_per_minute;
  tro.retry = config.testrail_retry;
  integration::TestRailClientFactory factory =
      [transport = app->testrail_transport_.get(), budgets = app->testrail_budgets_.get(),
       metrics = &app->metrics_, tro](const integration::TestRailCredentials& c) {
        testrail::TestRailConfig cfg{c.url, c.user, c.api_key, tro};
        return testrail::TestRailClient::Create(cfg, *transport, *budgets, metrics);
      };
  app->testrail_config_ = std::make_unique<integration::TestRailConfigService>(
      *app->store_, *app->secrets_, app->clock_, std::move(factory));
  api::RegisterTestRailRoutes(*app->server_, *app->auth_, *app->testrail_config_);

  // Exports (issue 6): durable jobs on the shared runner, then the routes.
  jobs::JobRunnerOptions jro;
  jro.lease_ms = config.job_lease_ms;
  jro.heartbeat_ms = std::max<int64_t>(100, config.job_lease_ms / 3);
  app->jobs_ = std::make_unique<jobs::JobRunner>(*app->store_, app->clock_, jro);
  integration::ExportServiceOptions eso;
  eso.public_url = config.public_url;
  if (config.export_batch_size > 0)
    eso.executor.batch_size = static_cast<size_t>(config.export_batch_size);
  eso.executor.settle_ms = std::max<int64_t>(0, config.export_settle_ms);
  app->exports_ = std::make_unique<integration::ExportService>(
      *app->store_, *app->testrail_config_, *app->jobs_, app->clock_, &app->metrics_, eso);
  api::RegisterExportRoutes(*app->server_, *app->auth_, *app->exports_);
  // TestRail catalog and links (issue 5): sync jobs on the shared runner, suite selection
  // changes trigger a sync, periodic sync per Config.
  integration::CatalogOptions cato;
  cato.periodic_interval_ms = config.catalog_sync_interval_ms;
  app->catalog_ = std::make_unique<integration::CatalogService>(
      *app->store_, app->clock_,
      [cfg = app->testrail_config_.get()](int64_t project_id) {
        return cfg->ClientFor(project_id);
      },
      *app->jobs_, cato);
  app->catalog_->RegisterJobs();
  app->links_ =
      std::make_unique<integration::LinkService>(*app->store_, app->clock_, *app->catalog_);
  // R-LINK-4: every link shows the status last sent for its case.
  app->links_->SetLastExportLookup(
      [exports = app->exports_.get()](int64_t project_id, const std::vector<int64_t>& case_ids) {
        std::map<int64_t, nlohmann::json> out;
        auto last = exports->LastExportsForCases(project_id, case_ids);
        if (last.ok())
          for (const auto& [id, r] : *last)
            out[id] = {{"status_id", r.status_id},
                       {"exported_at", FormatRfc3339(r.exported_at)},
                       {"export_id", r.export_id}};
        return out;
      });
  if (config.export_catalog_max_age_ms > 0)
    app->exports_->SetCatalogRefresher(
        [c = app->catalog_.get(), max_age = config.export_catalog_max_age_ms](int64_t project) {
          return c->EnsureFresh(project, std::chrono::milliseconds(max_age),
                                std::chrono::minutes(2));
        });
  app->testrail_config_->SetOnSuitesChanged(
      [c = app->catalog_.get()](int64_t project_id) { c->OnSuitesChanged(project_id); });
  api::RegisterCatalogRoutes(*app->server_, *app->auth_, *app->catalog_, *app->links_, *app->jobs_);
  app->catalog_->StartPeriodic();
  app->jobs_->Start();
  NEXUS_RETURN_IF_ERROR(app->exports_->ResumeOrphans());
  if (!config.serve_http) return app;
  NEXUS_ASSIGN_OR_RETURN(app->port_, app->server_->Start(hp.first, hp.second));
  spdlog::info("event=server_started listen={}:{} db=\"{}\"", app->host_, app->port_,
               config.db.empty() ? "sqlite (data dir)" : "configured");
  return app;
}

App::~App() { Stop(); }

void App::Stop() {
  // Running jobs (exports) start handing over at once, while the HTTP server drains.
  if (jobs_) jobs_->RequestStop();
  if (server_) server_->Stop();
  if (catalog_) catalog_->StopPeriodic();  // catalog (issue 5): before the runner stops
  if (jobs_) jobs_->Stop();  // exports (issue 6): interrupted jobs resume at the next start
}

std::string App::url() const {
  std::string h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return "http://" + h + ":" + std::to_string(port_);
}

}  // namespace nexus::app
