// The `nexus` command line (api.md "Command line"). Every flag also reads NEXUS_* env vars.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/app.h"
#include "app/demo.h"

namespace nexus::app {
namespace {

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("nexus");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

void AddStoreFlags(CLI::App* cmd, Config& c) {
  cmd->add_option("--data-dir", c.data_dir, "Data directory (SQLite database, key file)")
      ->envname("NEXUS_DATA_DIR");
  cmd->add_option("--db", c.db, "Database URL (default: SQLite in the data dir)")
      ->envname("NEXUS_DB");
}

int Fail(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.message().c_str());
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      return 2;
    case StatusCode::kConflict:
      return 3;
    case StatusCode::kNotFound:
      return 4;
    default:
      return 1;
  }
}

// Blocks SIGINT/SIGTERM in every thread (call before starting any) and waits for one.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForStopSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int Serve(const Config& config, const sigset_t& signals) {
  auto app = App::Start(config);
  if (!app.ok()) return Fail(app.status());
  std::printf("listening on %s\n", app.value()->url().c_str());
  std::fflush(stdout);
  int sig = WaitForStopSignal(signals);
  spdlog::info("event=shutdown signal={}", sig);
  app.value()->Stop();
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  sigset_t signals = BlockStopSignals();
  CLI::App cli{"Nexus: test automation results, connected to TestRail"};
  cli.require_subcommand(1);
  std::string log_level = "info";
  cli.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->envname("NEXUS_LOG_LEVEL");
  Config config;

  auto* serve = cli.add_subcommand("serve", "Run the Nexus server");
  serve->add_option("--listen", config.listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->envname("NEXUS_LISTEN");
  AddStoreFlags(serve, config);
  serve->add_option("--public-url", config.public_url, "Public base URL of this server")
      ->envname("NEXUS_PUBLIC_URL");
  serve->add_option("--static-dir", config.static_dir, "Directory of the built web UI")
      ->envname("NEXUS_STATIC_DIR");
  serve
      ->add_flag("--testrail-allow-private", config.testrail_allow_private,
                 "Allow TestRail hosts on loopback and private networks")
      ->envname("NEXUS_TESTRAIL_ALLOW_PRIVATE");
  serve
      ->add_option("--secret-key", config.secret_key,
                   "Master key for stored TestRail API keys: 64 hex digits or base64 of 32 "
                   "bytes (default: generated key file <data-dir>/secret.key)")
      ->envname("NEXUS_SECRET_KEY");

  // Exports (issue 6).
  serve->add_option("--job-lease-ms", config.job_lease_ms,
                    "Lease of a running background job; a job of a dead process resumes after it")
      ->envname("NEXUS_JOB_LEASE_MS");
  serve->add_option("--export-batch-size", config.export_batch_size,
                    "Results per add_results_for_cases call (0 = default)")
      ->envname("NEXUS_EXPORT_BATCH_SIZE");

  auto* demo = cli.add_subcommand("demo", "Start a seeded demo (server + sample data)");
  config.listen = "127.0.0.1:8080";
  demo->add_option("--listen", config.listen, "HOST:PORT to listen on")->envname("NEXUS_LISTEN");
  std::string demo_dir = "./nexus-demo-data";
  demo->add_option("--data-dir", demo_dir, "Data directory of the demo");

  auto* migrate = cli.add_subcommand("migrate", "Apply database migrations and exit");
  AddStoreFlags(migrate, config);

  auto* user = cli.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Create a user (password read from stdin)");
  std::string email, name;
  bool password_stdin = false, org_admin = false;
  user_add->add_option("--email", email, "E-mail (login)")->required();
  user_add->add_option("--name", name, "Display name")->required();
  user_add->add_flag("--password-stdin", password_stdin, "Read the password from stdin")
      ->required();
  user_add->add_flag("--org-admin", org_admin, "Make the user an org admin");
  AddStoreFlags(user_add, config);

  auto* token = cli.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create an API token; prints it");
  std::string token_name;
  token_create->add_option("--email", email, "Owner's e-mail")->required();
  token_create->add_option("--name", token_name, "Token name")->required();
  AddStoreFlags(token_create, config);

  auto* project = cli.add_subcommand("project", "Manage projects");
  project->require_subcommand(1);
  auto* project_create = project->add_subcommand("create", "Create a project; prints its id");
  std::string project_name, owner_email;
  std::vector<std::string> features;
  project_create->add_option("--name", project_name, "Project name")->required();
  project_create->add_option("--admin-email", owner_email, "Make this user the project admin");
  project_create->add_option("--feature", features, "Enable a feature flag (e.g. testrail)");
  AddStoreFlags(project_create, config);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  SetupLogging(log_level);

  if (serve->parsed()) {
    if (config.static_dir.empty()) config.static_dir = DetectStaticDir();
    return Serve(config, signals);
  }
  if (demo->parsed()) return RunDemo(config.listen, demo_dir, signals);

  auto store = OpenAndMigrate(config);
  if (!store.ok()) return Fail(store.status());
  SystemClock clock;
  auth::AuthService auth(*store.value(), clock);

  if (migrate->parsed()) {
    auto v = store.value()->SchemaVersion();
    if (!v.ok()) return Fail(v.status());
    std::printf("schema version %d\n", v.value());
    return 0;
  }
  if (user_add->parsed()) {
    std::string password;
    std::getline(std::cin, password);
    auto u = auth.CreateUser(email, name, password, org_admin);
    if (!u.ok()) return Fail(u.status());
    std::printf("%lld\n", static_cast<long long>(u->id));
    return 0;
  }
  if (token_create->parsed()) {
    auto u = store.value()->GetUserByEmail(email);
    if (!u.ok()) return Fail(NotFound("no user with e-mail " + email));
    auto t = auth.CreateToken(u->id, token_name);
    if (!t.ok()) return Fail(t.status());
    std::printf("%s\n", t->secret.c_str());
    return 0;
  }
  if (project_create->parsed()) {
    if (project_name.empty() || project_name.size() > 200)
      return Fail(InvalidArgument("--name must be 1 to 200 characters"));
    for (const auto& f : features)
      if (f != "testrail") return Fail(InvalidArgument("unknown feature '" + f + "'"));
    std::optional<int64_t> owner;
    if (!owner_email.empty()) {
      auto u = store.value()->GetUserByEmail(owner_email);
      if (!u.ok()) return Fail(NotFound("no user with e-mail " + owner_email));
      owner = u->id;
    }
    Project p;
    p.name = project_name;
    p.created_at = clock.NowMs();
    auto created = store.value()->CreateProject(p, owner);
    if (!created.ok()) return Fail(created.status());
    for (const auto& f : features) {
      Status st = store.value()->SetProjectFeature(created->id, f, true);
      if (!st.ok()) return Fail(st);
    }
    std::printf("%lld\n", static_cast<long long>(created->id));
    return 0;
  }
  return 1;
}

}  // namespace nexus::app
