// The `nexus` command line (api.md "Command line"). Every flag also reads NEXUS_* env vars.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "api/export_routes.h"
#include "app/app.h"
#include "app/db_copy.h"
#include "app/demo.h"
#include "app/import_cli.h"

namespace nexus::app {
namespace {

using Json = nlohmann::json;

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("nexus");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

void AddStoreFlags(CLI::App* cmd, Config& c) {
  cmd->add_option("--data-dir", c.data_dir, "Data directory (SQLite database, key file)")
      ->envname("NEXUS_DATA_DIR");
  // NEXUS_DB is the older name of NEXUS_DATABASE; the flag or NEXUS_DATABASE wins over it.
  if (const char* old_env = std::getenv("NEXUS_DB"); old_env != nullptr && c.db.empty())
    c.db = old_env;
  cmd->add_option("--db,--database", c.db,
                  "Database URL: sqlite:///path/nexus.db (default: SQLite in the data dir) or "
                  "postgresql://user@host/db — several instances may share one PostgreSQL "
                  "database (docs/storage.md)")
      ->envname("NEXUS_DATABASE");
  cmd->add_option("--db-pool-size", c.db_pool_size,
                  "PostgreSQL connections this instance opens at most (default 8)")
      ->envname("NEXUS_DB_POOL_SIZE")
      ->check(CLI::Range(1, 1000));
}

// Flags of the commands that talk to TestRail (serve, export).
void AddTestRailFlags(CLI::App* cmd, Config& c) {
  cmd->add_flag("--testrail-allow-private", c.testrail_allow_private,
                "Allow TestRail hosts on loopback and private networks")
      ->envname("NEXUS_TESTRAIL_ALLOW_PRIVATE");
  cmd->add_flag("--testrail-allow-insecure-http", c.testrail_allow_insecure_http,
                "Allow plain http:// TestRail URLs on public hosts (the API key travels in clear)")
      ->envname("NEXUS_TESTRAIL_ALLOW_INSECURE_HTTP");
  cmd->add_option("--testrail-requests-per-minute", c.testrail_requests_per_minute,
                  "Request budget per TestRail instance (Cloud: 180 or 300; 0 = unlimited)")
      ->envname("NEXUS_TESTRAIL_REQUESTS_PER_MINUTE")
      ->check(CLI::Range(0.0, 100000.0));
  cmd->add_option("--testrail-budget-share", c.testrail_budget_share_percent,
                  "Percent of the TestRail instance's per-minute limit Nexus may use in any "
                  "60-s window; the rest is left to the instance's other users (default 80)")
      ->envname("NEXUS_TESTRAIL_BUDGET_SHARE")
      ->check(CLI::Range(1.0, 100.0));
  // For tests and benchmarks (not in --help): the window the per-minute limit is counted over,
  // shortened together with the simulator's, and the shared budget switched off (the control
  // of bench/shared_budget_bench.sh).
  cmd->add_option("--testrail-budget-window-ms", c.testrail_budget_window_ms,
                  "Window of the TestRail rate budget in ms (testing; default 60000)")
      ->envname("NEXUS_TESTRAIL_BUDGET_WINDOW_MS")
      ->check(CLI::Range(int64_t{100}, int64_t{3'600'000}))
      ->group("");
  cmd->add_option("--testrail-shared-budget", c.testrail_shared_budget,
                  "Share the TestRail rate budget with the other instances on a PostgreSQL "
                  "database (testing; default true)")
      ->envname("NEXUS_TESTRAIL_SHARED_BUDGET")
      ->group("");
  cmd->add_option("--secret-key", c.secret_key,
                  "Master key for stored TestRail API keys: 64 hex digits or base64 of 32 "
                  "bytes (default: generated key file <data-dir>/secret.key)")
      ->envname("NEXUS_SECRET_KEY");
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

// Options of `nexus export`.
struct ExportCliOptions {
  int64_t project_id = 0;
  int64_t run_id = 0;
  std::vector<int64_t> run_ids;
  int64_t execution_id = 0;
  bool dry_run = false;
  std::string name;
  bool no_close = false;
  bool reuse_existing = false;
  bool json = false;
};

// "[#####.....]  512/1000 results" on stderr, redrawn in place; only on a terminal. With
// attachments (issue 17) the line goes on: ", attachments 12/2000 (2.3/390.5 MiB)".
class ProgressBar {
 public:
  void Update(int64_t done, int64_t total) {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = done;
    total_ = total;
    DrawLocked();
  }
  void UpdateAttachments(const ExportAttachmentProgress& a) {
    std::lock_guard<std::mutex> lock(mu_);
    attachments_ = a;
    DrawLocked();
  }
  void End() {
    std::lock_guard<std::mutex> lock(mu_);
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  void DrawLocked() {
    constexpr int kWidth = 30;
    int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "\rexporting [%s] %lld/%lld results", bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_));
    if (attachments_.total > 0)
      std::fprintf(stderr, ", attachments %d/%d (%.1f/%.1f MiB)", attachments_.sent,
                   attachments_.total, static_cast<double>(attachments_.bytes_sent) / 1048576.0,
                   static_cast<double>(attachments_.bytes_total) / 1048576.0);
    std::fflush(stderr);
    drawn_ = true;
  }

  std::mutex mu_;  // guards the fields below and the terminal line
  bool drawn_ = false;
  int64_t done_ = 0, total_ = 0;
  ExportAttachmentProgress attachments_;
};

// The human summary printed on a terminal (a JSON summary otherwise).
void PrintExportSummary(const Json& j) {
  std::printf("export %s: %s\n", j["id"].is_null() ? "(dry run)" : j["id"].dump().c_str(),
              j["state"].get<std::string>().c_str());
  if (j["testrail_url"].is_string())
    std::printf(
        "  TestRail: %s (%s)\n", j["testrail_url"].get<std::string>().c_str(),
        j["testrail_name"].is_string() ? j["testrail_name"].get<std::string>().c_str() : "");
  std::printf("  runs processed: %d, cases: %d, results sent: %d, skipped: %zu\n",
              j["runs_processed"].get<int>(), j["total_test_cases"].get<int>(),
              j["results_sent"].get<int>(), j["skipped_cases"].size());
  if (const Json& a = j["attachments"]; a.is_object() && a.value("total", 0) > 0)
    std::printf("  attachments sent: %d/%d (%lld of %lld bytes), refused: %d\n", a.value("sent", 0),
                a.value("total", 0), static_cast<long long>(a.value("bytes_sent", int64_t{0})),
                static_cast<long long>(a.value("bytes_total", int64_t{0})), a.value("refused", 0));
  for (const auto& s : j["skipped_cases"])
    std::printf("    skipped C%lld: %s\n", static_cast<long long>(s["case_id"].get<int64_t>()),
                s["reason"].get<std::string>().c_str());
  if (j.contains("preview"))
    for (const auto& e : j["preview"]["entries"])
      for (const auto& c : e["cases"])
        std::printf("    would send C%lld -> status %d (suite %lld)\n",
                    static_cast<long long>(c["case_id"].get<int64_t>()), c["status_id"].get<int>(),
                    static_cast<long long>(e["suite_id"].get<int64_t>()));
  if (j.contains("preview") && j["preview"].contains("attachments"))
    for (const auto& a : j["preview"]["attachments"])
      std::printf("    would attach %s (%lld bytes) to C%lld\n",
                  a["name"].get<std::string>().c_str(),
                  static_cast<long long>(a["size"].get<int64_t>()),
                  static_cast<long long>(a["case_id"].get<int64_t>()));
  if (j["error"].is_string()) std::printf("  error: %s\n", j["error"].get<std::string>().c_str());
}

// `nexus export`: runs one export in this process (the services of `nexus serve`, without
// HTTP) and waits for it. Exit: 0 succeeded (also a dry run or nothing to send), 5 partially
// succeeded, 1 failed, 2 invalid arguments, 3 conflict (already running, not configured),
// 4 unknown project/run/execution.
int Export(Config config, const ExportCliOptions& o) {
  integration::StartExportRequest req;
  req.project_id = o.project_id;
  if (o.run_id > 0) req.source.run_id = o.run_id;
  if (!o.run_ids.empty()) req.source.run_ids = o.run_ids;
  if (o.execution_id > 0) req.source.execution_id = o.execution_id;
  // The service's rule, checked before starting anything; the CLI names its flags.
  if (Status st = integration::ValidateExportSource(req.source); !st.ok()) {
    const bool run_count =
        st.field() == "run_ids" && !req.source.run_id && !req.source.execution_id;
    return Fail(run_count ? st : InvalidArgument("give exactly one of --run, --runs, --execution"));
  }
  config.serve_http = false;
  config.catalog_sync_interval_ms = 0;
  auto app = App::Start(config);
  if (!app.ok()) return Fail(app.status());
  auto p = app.value()->store().GetProject(o.project_id);
  if (!p.ok()) return Fail(NotFound("no project " + std::to_string(o.project_id)));
  if (!p->HasFeature("testrail"))
    return Fail(
        Conflict("the TestRail feature is off for project " + std::to_string(o.project_id)));

  ProgressBar bar;
  const bool tty_err = isatty(STDERR_FILENO) != 0;
  if (tty_err) {
    app.value()->exports().SetProgressListener(
        [&bar](int64_t, int64_t done, int64_t total) { bar.Update(done, total); });
    app.value()->exports().SetAttachmentProgressListener(
        [&bar](int64_t, const ExportAttachmentProgress& a) { bar.UpdateAttachments(a); });
  }
  if (!o.name.empty()) req.custom_run_name = o.name;
  if (o.no_close) req.close_run_on_completion = false;
  req.force_new_run = !o.reuse_existing;
  req.dry_run = o.dry_run;
  req.wait = true;
  auto v = app.value()->exports().StartExport(req);
  bar.End();
  app.value()->Stop();
  if (!v.ok()) return Fail(v.status());
  Json j = api::ExportJson(*v);
  if (o.json || isatty(STDOUT_FILENO) == 0)
    std::printf("%s\n", j.dump(2).c_str());
  else
    PrintExportSummary(j);
  const ExportState state = v->record.state;
  if (v->dry_run || state == ExportState::kSucceeded) return 0;
  if (state == ExportState::kPartiallySucceeded) return 5;
  return 1;
}

// The parsed command line: what every command's flags fill, and the subcommands (to tell
// which one was given).
struct CliArgs {
  std::string log_level = "info";
  Config config;
  std::string demo_dir = "./nexus-demo-data";
  std::string email, name;
  bool password_stdin = false, org_admin = false;
  std::string token_name;
  std::string project_name, owner_email;
  std::vector<std::string> features;
  ExportCliOptions eo;
  ImportCliOptions io;
  DbCopyCliOptions dbo;

  CLI::App* serve = nullptr;
  CLI::App* demo = nullptr;
  CLI::App* migrate = nullptr;
  CLI::App* user_add = nullptr;
  CLI::App* token_create = nullptr;
  CLI::App* project_create = nullptr;
  CLI::App* exp = nullptr;
  CLI::App* import_junit = nullptr;
  CLI::App* db_copy = nullptr;
};

void AddServeCommand(CLI::App& cli, CliArgs& a) {
  Config& config = a.config;
  auto* serve = cli.add_subcommand("serve", "Run the Nexus server");
  a.serve = serve;
  serve->add_option("--listen", config.listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->envname("NEXUS_LISTEN");
  AddStoreFlags(serve, config);
  serve->add_option("--public-url", config.public_url, "Public base URL of this server")
      ->envname("NEXUS_PUBLIC_URL");
  serve->add_option("--static-dir", config.static_dir, "Directory of the built web UI")
      ->envname("NEXUS_STATIC_DIR");
  AddTestRailFlags(serve, config);
  serve
      ->add_option("--db-cache-ttl-ms", config.db_cache_ttl_ms,
                   "PostgreSQL: keep who a token or session is, projects and roles in memory, "
                   "emptied on every change by any instance (LISTEN/NOTIFY) and at most this "
                   "long (default 5000; 0 = read them from the database on every request)")
      ->envname("NEXUS_DB_CACHE_TTL_MS")
      ->check(CLI::Range(0, 3600000));
  serve->footer(
      "Several instances: run each `nexus serve` with the same --database "
      "postgresql://… and the same secret key (--secret-key / NEXUS_SECRET_KEY, or a copy of "
      "<data-dir>/secret.key) behind a reverse proxy; background jobs (exports, catalog "
      "syncs) are shared through the database and resume on another instance after "
      "--job-lease-ms. Health: GET /healthz (live), GET /readyz (database reachable, "
      "migrations current). docs/storage.md \"Several instances\" has an nginx example.");

  // The HTTP front's limits (docs/architecture.md "HTTP front").
  serve
      ->add_option("--http-max-connections", config.http.max_connections,
                   "Open connections at most, all clients together")
      ->envname("NEXUS_HTTP_MAX_CONNECTIONS")
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--http-max-connections-per-client", config.http.max_connections_per_client,
                   "Open connections at most from one client address")
      ->envname("NEXUS_HTTP_MAX_CONNECTIONS_PER_CLIENT")
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--http-head-timeout-ms", config.http_head_timeout_ms,
                   "Deadline for a request's head (idle keep-alive time included)")
      ->envname("NEXUS_HTTP_HEAD_TIMEOUT_MS")
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--artifact-max-bytes", config.artifact_max_bytes,
                   "largest run artifact accepted, in bytes (default 268435456 = 256 MiB, "
                   "TestRail's attachment limit)")
      ->envname("NEXUS_ARTIFACT_MAX_BYTES")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  serve
      ->add_option("--artifact-quota-bytes", config.artifact_quota_bytes,
                   "run artifacts a project may hold in all, in bytes (0 = no quota; default "
                   "20 GiB)")
      ->envname("NEXUS_ARTIFACT_QUOTA_BYTES");
  serve
      ->add_option("--http-body-timeout-ms", config.http_body_timeout_ms,
                   "Deadline for a request's body")
      ->envname("NEXUS_HTTP_BODY_TIMEOUT_MS")
      ->check(CLI::PositiveNumber);

  // Exports.
  serve
      ->add_option("--job-lease-ms", config.job_lease_ms,
                   "Lease of a running background job, renewed every third of it; a job of a "
                   "dead (e.g. SIGKILLed) instance is taken over by another instance on the same "
                   "database after it (default 30000)")
      ->envname("NEXUS_JOB_LEASE_MS");
  serve
      ->add_option("--job-threads", config.job_threads,
                   "Background jobs (exports, catalog syncs) this instance runs at once "
                   "(default 2)")
      ->envname("NEXUS_JOB_THREADS")
      ->check(CLI::Range(1, 64));
  serve
      ->add_option("--export-batch-size", config.export_batch_size,
                   "Results per add_results_for_cases call (0 = default)")
      ->envname("NEXUS_EXPORT_BATCH_SIZE");
  serve
      ->add_option("--export-settle-ms", config.export_settle_ms,
                   "Wait after an ambiguous TestRail answer before reading what landed")
      ->envname("NEXUS_EXPORT_SETTLE_MS")
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--export-catalog-max-age-ms", config.export_catalog_max_age_ms,
                   "Refresh a TestRail catalog older than this before an export (0 = never)")
      ->envname("NEXUS_EXPORT_CATALOG_MAX_AGE_MS")
      ->check(CLI::NonNegativeNumber);
}

// Added after `serve`: the demo's listen default is also serve's.
void AddDemoCommand(CLI::App& cli, CliArgs& a) {
  auto* demo = cli.add_subcommand("demo", "Start a seeded demo (server + sample data)");
  a.demo = demo;
  a.config.listen = "127.0.0.1:8080";
  demo->add_option("--listen", a.config.listen, "HOST:PORT to listen on")->envname("NEXUS_LISTEN");
  demo->add_option("--data-dir", a.demo_dir, "Data directory of the demo");
}

// migrate, user add, token create, project create: the commands that only use the store.
void AddAdminCommands(CLI::App& cli, CliArgs& a) {
  Config& config = a.config;
  a.migrate = cli.add_subcommand("migrate", "Apply database migrations and exit");
  AddStoreFlags(a.migrate, config);

  auto* user = cli.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Create a user (password read from stdin)");
  a.user_add = user_add;
  user_add->add_option("--email", a.email, "E-mail (login)")->required();
  user_add->add_option("--name", a.name, "Display name")->required();
  user_add->add_flag("--password-stdin", a.password_stdin, "Read the password from stdin")
      ->required();
  user_add->add_flag("--org-admin", a.org_admin, "Make the user an org admin");
  AddStoreFlags(user_add, config);

  auto* token = cli.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create an API token; prints it");
  a.token_create = token_create;
  token_create->add_option("--email", a.email, "Owner's e-mail")->required();
  token_create->add_option("--name", a.token_name, "Token name")->required();
  AddStoreFlags(token_create, config);

  auto* project = cli.add_subcommand("project", "Manage projects");
  project->require_subcommand(1);
  auto* project_create = project->add_subcommand("create", "Create a project; prints its id");
  a.project_create = project_create;
  project_create->add_option("--name", a.project_name, "Project name")->required();
  project_create->add_option("--admin-email", a.owner_email, "Make this user the project admin");
  project_create->add_option("--feature", a.features, "Enable a feature flag (e.g. testrail)");
  AddStoreFlags(project_create, config);
}

void AddExportCommand(CLI::App& cli, CliArgs& a) {
  Config& config = a.config;
  ExportCliOptions& eo = a.eo;
  auto* exp = cli.add_subcommand("export", "Export runs to TestRail and wait for the result");
  a.exp = exp;
  exp->add_option("--project", eo.project_id, "Nexus project id")->required();
  exp->add_option("--run", eo.run_id, "Export one run");
  exp->add_option("--runs", eo.run_ids, "Export these runs together (1-100)")->delimiter(',');
  exp->add_option("--execution", eo.execution_id, "Export a test-plan execution's finished runs");
  exp->add_flag("--dry-run", eo.dry_run, "Show what would be sent; touch nothing in TestRail");
  exp->add_option("--name", eo.name, "TestRail run/plan name (1-250 characters)");
  exp->add_flag("--no-close", eo.no_close, "Leave the TestRail run/plan open");
  exp->add_flag("--reuse-existing", eo.reuse_existing,
                "An execution exported before answers with the existing TestRail entry");
  exp->add_flag("--json", eo.json, "Print the JSON summary even on a terminal");
  AddStoreFlags(exp, config);
  exp->add_option("--public-url", config.public_url, "Public base URL of the Nexus server")
      ->envname("NEXUS_PUBLIC_URL");
  AddTestRailFlags(exp, config);
}

// `nexus import junit` (import_cli.h, docs/ci-import.md).
void AddImportCommand(CLI::App& cli, CliArgs& a) {
  ImportCliOptions& io = a.io;
  auto* imp = cli.add_subcommand("import", "Import test reports from CI");
  imp->require_subcommand(1);
  auto* junit = imp->add_subcommand(
      "junit",
      "Import JUnit XML reports as one execution (exit 0 passed, 1 test failures, "
      "2 bad input, 3 export failed, 4 server unreachable)");
  a.import_junit = junit;
  junit->add_option("files", io.files, "JUnit XML report files (one execution)")->required();
  junit->add_option("--project", io.project_id, "Nexus project id")->required();
  junit->add_option("--server", io.server, "Base URL of a running Nexus")->envname("NEXUS_SERVER");
  junit->add_option("--token", io.token, "API token (with --server)")->envname("NEXUS_TOKEN");
  junit->add_option("--execution-name", io.execution_name,
                    "Execution name (default \"JUnit import\"); the same report under the same "
                    "name is imported once");
  junit->add_option("--build", io.build, "Build/version string of the runs");
  junit->add_option("--attribute", io.attributes,
                    "Run attribute key=value of every run (repeatable), e.g. platform=PS5");
  junit->add_option("--result-map", io.result_map,
                    "Outcome → run result/bug label for this import, e.g. "
                    "failure=Success/DefinitelyBug,error=Error,skipped=Stopped/Undecided "
                    "(outcomes: passed, failure, error, skipped; docs/ci-import.md)");
  junit->add_flag("--export", io.export_to_testrail, "Export the execution to TestRail");
  junit->add_flag("--json", io.json, "Print the JSON summary even on a terminal");
  junit->add_option("--timeout", io.timeout_s, "Seconds to wait for the server (with --server)")
      ->check(CLI::PositiveNumber);
  AddStoreFlags(junit, a.config);
  junit->add_option("--public-url", a.config.public_url, "Public base URL of the Nexus server")
      ->envname("NEXUS_PUBLIC_URL");
  AddTestRailFlags(junit, a.config);
}

// `nexus user add`: the password is the first line of stdin.
int AddUser(const CliArgs& a, auth::AuthService& auth) {
  std::string password;
  std::getline(std::cin, password);
  auto u = auth.CreateUser(a.email, a.name, password, a.org_admin);
  if (!u.ok()) return Fail(u.status());
  std::printf("%lld\n", static_cast<long long>(u->id));
  return 0;
}

int CreateToken(const CliArgs& a, Store& store, auth::AuthService& auth) {
  auto u = store.GetUserByEmail(a.email);
  if (!u.ok()) return Fail(NotFound("no user with e-mail " + a.email));
  auto t = auth.CreateToken(u->id, a.token_name);
  if (!t.ok()) return Fail(t.status());
  std::printf("%s\n", t->secret.c_str());
  return 0;
}

int CreateProject(const CliArgs& a, Store& store, const Clock& clock) {
  if (a.project_name.empty() || a.project_name.size() > 200)
    return Fail(InvalidArgument("--name must be 1 to 200 characters"));
  for (const auto& f : a.features)
    if (f != "testrail") return Fail(InvalidArgument("unknown feature '" + f + "'"));
  std::optional<int64_t> owner;
  if (!a.owner_email.empty()) {
    auto u = store.GetUserByEmail(a.owner_email);
    if (!u.ok()) return Fail(NotFound("no user with e-mail " + a.owner_email));
    owner = u->id;
  }
  Project p;
  p.name = a.project_name;
  p.created_at = clock.NowMs();
  auto created = store.CreateProject(p, owner);
  if (!created.ok()) return Fail(created.status());
  for (const auto& f : a.features) {
    Status st = store.SetProjectFeature(created->id, f, true);
    if (!st.ok()) return Fail(st);
  }
  std::printf("%lld\n", static_cast<long long>(created->id));
  return 0;
}

// Opens and migrates the store, then runs the admin command that was given.
int RunAdminCommand(const CliArgs& a) {
  auto store = OpenAndMigrate(a.config);
  if (!store.ok()) return Fail(store.status());
  SystemClock clock;
  auth::AuthService auth(*store.value(), clock);

  if (a.migrate->parsed()) {
    auto v = store.value()->SchemaVersion();
    if (!v.ok()) return Fail(v.status());
    std::printf("schema version %d\n", v.value());
    return 0;
  }
  if (a.user_add->parsed()) return AddUser(a, auth);
  if (a.token_create->parsed()) return CreateToken(a, *store.value(), auth);
  if (a.project_create->parsed()) return CreateProject(a, *store.value(), clock);
  return 1;
}

}  // namespace

int RunCli(int argc, char** argv) {
  sigset_t signals = BlockStopSignals();
  CLI::App cli{"Nexus: test automation results, connected to TestRail"};
  cli.require_subcommand(1);
  CliArgs a;
  cli.add_option("--log-level", a.log_level, "trace|debug|info|warn|error")
      ->envname("NEXUS_LOG_LEVEL");
  AddServeCommand(cli, a);
  AddDemoCommand(cli, a);
  AddAdminCommands(cli, a);
  AddExportCommand(cli, a);
  AddImportCommand(cli, a);
  a.db_copy = AddDbCommand(cli, a.dbo);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  SetupLogging(a.log_level);

  if (a.serve->parsed()) {
    if (a.config.static_dir.empty()) a.config.static_dir = DetectStaticDir();
    return Serve(a.config, signals);
  }
  if (a.demo->parsed()) return RunDemo(a.config.listen, a.demo_dir, signals);
  if (a.exp->parsed()) return Export(a.config, a.eo);
  if (a.db_copy->parsed()) return RunDbCopy(a.dbo);
  if (a.import_junit->parsed()) {
    a.io.local = a.import_junit->get_option("--data-dir")->count() > 0 ||
                 a.import_junit->get_option("--db")->count() > 0;
    return RunImportJUnit(a.io, a.config);
  }
  return RunAdminCommand(a);
}

}  // namespace nexus::app
