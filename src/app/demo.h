// `nexus demo`: a seeded Nexus for newcomers (api.md "Command line").
#pragma once

#include <csignal>
#include <string>

#include "core/status.h"
#include "storage/store.h"

namespace nexus::domain {
class ArtifactService;
}  // namespace nexus::domain

namespace nexus::app {

struct DemoLogin {
  std::string email;
  std::string password;
};

// Seeds the demo data (admin user, a project with the TestRail feature on, tests with steps,
// finished runs of every result and label, a plan with a completed execution) unless the
// store already holds it. Idempotent. With `artifacts`, each finished run also gets one
// generated PNG screenshot per step (the failing step's framed in red) and an agent log
// (issue 17), so exports have real attachments to send.
Result<DemoLogin> SeedDemo(Store& store, int64_t now_ms,
                           domain::ArtifactService* artifacts = nullptr);

// The built web UI (web/dist) next to the binary or in the working directory; "" if none.
std::string DetectStaticDir();

// Starts the server on `listen` with the demo data in `data_dir`; prints
// "listening on URL" first, then the login; runs until SIGINT/SIGTERM. Exit code.
int RunDemo(const std::string& listen, const std::string& data_dir, const sigset_t& signals);

}  // namespace nexus::app
