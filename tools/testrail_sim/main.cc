// testrail-sim: command-line front end of testrail_sim::Simulator (see
// docs/testrail-sim.md). Prints "listening on http://HOST:PORT" as its first line and runs
// until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "simulator.h"

int main(int argc, char** argv) {
  testrail_sim::SimulatorOptions opts;
  std::string listen = "127.0.0.1:8081";
  std::string generate;
  std::string email = testrail_sim::kDefaultEmail;
  std::string password = testrail_sim::kDefaultPassword;
  std::string api_key = testrail_sim::kDefaultApiKey;
  std::vector<std::string> faults;
  bool no_retry_after = false;
  std::string rate_model = "bucket";
  int custom_statuses = -1;

  CLI::App app{"TestRail API v2 simulator"};
  app.add_option("--listen", listen, "HOST:PORT to bind (PORT 0 = any free port)");
  app.add_option("--base-path", opts.base_path, "path prefix, e.g. /testrail");
  app.add_flag("--tls", opts.tls, "serve HTTPS with a generated self-signed certificate");
  app.add_option("--threads", opts.threads, "worker threads");
  app.add_option("--generate", generate,
                 "projects=P,suites=S,sections=X,cases=N,depth=D,custom_statuses=K");
  app.add_option("--data", opts.data_file, "JSON description to load");
  app.add_option("--state", opts.state_file, "JSON snapshot: loaded at start, saved at exit");
  app.add_option("--user", email, "login e-mail");
  app.add_option("--password", password, "login password");
  app.add_option("--api-key", api_key, "API key (accepted instead of the password)");
  app.add_option("--custom-statuses", custom_statuses, "number of custom statuses (0-7)");
  app.add_option("--rate-limit", opts.config.rate_limit_per_minute, "requests per minute (0=off)");
  app.add_option("--rate-limit-model", rate_model,
                 "bucket (token bucket), sliding (60-s window) or fixed (calendar minute)")
      ->check(CLI::IsMember({"bucket", "sliding", "fixed"}));
  app.add_flag("--no-retry-after", no_retry_after, "omit Retry-After on 429");
  app.add_option("--latency-ms", opts.config.latency_ms, "latency added to every API call");
  app.add_option("--per-result-ms", opts.config.per_result_ms, "latency per result written");
  app.add_flag("--maintenance", opts.config.maintenance, "answer 409 (maintenance mode)");
  app.add_flag("--api-disabled", opts.config.api_disabled, "answer 403 (API disabled)");
  app.add_option("--fault-rate", opts.config.fault_rate, "probability of a 500 per API call");
  app.add_option("--fault-seed", opts.config.fault_seed, "seed for --fault-rate");
  app.add_option("--fault", faults, "method:nth:kind[:times], repeatable");
  app.add_option("--timeout-hold-ms", opts.config.timeout_hold_ms,
                 "how long a timeout fault holds the connection");
  app.add_flag("--suites-paginated", opts.config.suites_paginated,
               "get_suites returns the paginated envelope (TestRail 9.3.1+)");
  app.add_flag("--next-limit-zero", opts.config.next_link_limit_zero,
               "quirk: _links.next carries limit=0");
  std::vector<std::string> result_fields;
  std::vector<std::string> config_groups;
  int milestones = -1;
  bool steps_template = false;
  app.add_option("--result-field", result_fields,
                 "custom result field, repeatable: "
                 "'name=custom_env,type=dropdown,options=Staging|Prod,required=true'");
  app.add_option("--configs", config_groups,
                 "configuration group in every project, repeatable: 'Platform=PC|PS5|Xbox'");
  app.add_option("--milestones", milestones, "milestones per project (every second nested)");
  app.add_flag("--steps-template", steps_template,
               "generated cases use 'Test Case (Steps)' with custom_steps_separated");
  CLI11_PARSE(app, argc, argv);

  opts.config.retry_after_header = !no_retry_after;
  opts.config.rate_limit_model = *testrail_sim::ParseRateLimitModel(rate_model);
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "--listen must be HOST:PORT\n";
    return 2;
  }
  opts.host = listen.substr(0, colon);
  try {
    opts.port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    std::cerr << "--listen must be HOST:PORT\n";
    return 2;
  }
  if (!opts.base_path.empty() && opts.base_path.front() != '/') opts.base_path.insert(0, "/");
  while (!opts.base_path.empty() && opts.base_path.back() == '/') opts.base_path.pop_back();
  std::string error;
  for (const auto& f : faults) {
    testrail_sim::FaultRule rule;
    if (!testrail_sim::ParseFaultRule(f, &rule, &error)) {
      std::cerr << error << "\n";
      return 2;
    }
    opts.config.faults.push_back(rule);
  }
  testrail_sim::GenerateSpec spec;
  if (!generate.empty() && !testrail_sim::ParseGenerateSpec(generate, &spec, &error)) {
    std::cerr << error << "\n";
    return 2;
  }
  if (custom_statuses >= 0) spec.custom_statuses = custom_statuses;
  for (const auto& text : result_fields) {
    testrail_sim::CustomField field;
    bool version = false;
    if (!testrail_sim::ParseFieldSpec(text, &field, &version, &error)) {
      std::cerr << "--result-field: " << error << "\n";
      return 2;
    }
    if (field.name.empty()) {
      spec.version_required = version;
    } else {
      spec.result_fields.push_back(field);
    }
  }
  for (const auto& text : config_groups) {
    testrail_sim::ConfigGroupSpec group;
    if (!testrail_sim::ParseConfigGroupSpec(text, &group, &error)) {
      std::cerr << error << "\n";
      return 2;
    }
    spec.configs.push_back(group);
  }
  if (milestones >= 0) spec.milestones = milestones;
  if (steps_template) spec.steps_template = true;
  opts.generate = spec;
  opts.users.push_back({1, "Administrator", email, password, api_key, true, true});

  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  testrail_sim::Simulator sim(opts);
  if (!sim.Start(&error)) {
    std::cerr << "testrail-sim: " << error << "\n";
    return 1;
  }
  if (custom_statuses >= 0 && (!opts.data_file.empty() || !opts.state_file.empty()))
    sim.model().SetCustomStatuses(custom_statuses);
  std::printf("listening on %s://%s:%d\n", opts.tls ? "https" : "http", opts.host.c_str(),
              sim.port());
  std::printf("api: %s (user %s)\n", sim.api_url().c_str(), email.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "testrail-sim: signal %d, stopping\n", sig);
  sim.Stop();
  return 0;
}
