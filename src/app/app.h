// Composition root: reads configuration, opens and migrates the store, builds the
// services and the HTTP server. main.cc and the CLI commands only call into this.
#pragma once

#include <memory>
#include <string>

#include "api/server.h"
#include "auth/auth_service.h"
#include "core/clock.h"
#include "obs/metrics.h"
#include "storage/store.h"

namespace nexus::app {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./nexus-data";
  std::string db;            // --db URL; empty = SQLite file nexus.db in data_dir
  std::string public_url;    // NEXUS_PUBLIC_URL; base of links back to Nexus
  std::string static_dir;    // built web UI; empty = auto-detect next to the binary
  bool testrail_allow_private = false;
  auth::KdfStrength kdf = auth::KdfStrength::kInteractive;

  std::string DbUrl() const;
};

// Splits "HOST:PORT" (port 0..65535). InvalidArgument with a clear message otherwise.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen);

// Opens the store for `config` (creating the data dir) and applies migrations.
Result<std::unique_ptr<Store>> OpenAndMigrate(const Config& config);

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
  void Stop();

 private:
  App() = default;
  Config config_;
  SystemClock clock_;
  obs::Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<api::ApiServer> server_;
  std::string host_;
  int port_ = 0;
};

// Runs the command line (`nexus serve|migrate|user add|token create|project create|…`).
// Returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace nexus::app
