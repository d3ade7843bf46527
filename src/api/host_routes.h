// REST routes of the Nexus host model (api.md "Users and auth" and "Projects, tests, runs"):
// users, sessions, tokens, projects, members, feature flags, tests, runs, plans, executions.
#pragma once

#include <functional>

#include "api/server.h"
#include "storage/store.h"

namespace nexus::api {

struct HostHooks {
  // Called once when an execution becomes completed (its last run finished); the TestRail
  // automatic export (R-EXP-AUTO) hangs here. Runs on the request thread; must not block long.
  std::function<void(int64_t project_id, int64_t execution_id)> on_execution_completed;
  // Number of TestRail cases linked to a test (test level and step level), for
  // `testrail_case_count`; absent until the TestRail feature registers it.
  std::function<int64_t(int64_t project_id, int64_t test_id)> linked_case_count;
};

// Registers every host-model route on `server`. `store`, `auth`, `clock` and `hooks` must
// outlive the server.
void RegisterHostRoutes(ApiServer& server, Store& store, auth::AuthService& auth,
                        const Clock& clock, const HostHooks& hooks);

// JSON views shared with other route sets.
Json UserJson(const User& u);
Json ProjectJson(const Project& p);
Json TestJson(const Test& t);
Json RunJson(const Run& r);

}  // namespace nexus::api
