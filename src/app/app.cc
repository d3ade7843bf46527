// Composition root.
#include "app/app.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "api/host_routes.h"

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

Result<std::unique_ptr<Store>> OpenAndMigrate(const Config& config) {
  if (config.db.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec)
      return InvalidArgument("cannot create data dir '" + config.data_dir + "': " + ec.message(),
                             "data_dir");
  }
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
  app->server_ =
      std::make_unique<api::ApiServer>(*app->auth_, app->metrics_, app->clock_, so);
  api::HostHooks hooks;
  api::RegisterHostRoutes(*app->server_, *app->store_, *app->auth_, app->clock_, hooks);
  NEXUS_ASSIGN_OR_RETURN(app->port_, app->server_->Start(hp.first, hp.second));
  spdlog::info("event=server_started listen={}:{} db=\"{}\"", app->host_, app->port_,
               config.db.empty() ? "sqlite (data dir)" : "configured");
  return app;
}

App::~App() { Stop(); }

void App::Stop() {
  if (server_) server_->Stop();
}

std::string App::url() const {
  std::string h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return "http://" + h + ":" + std::to_string(port_);
}

}  // namespace nexus::app
