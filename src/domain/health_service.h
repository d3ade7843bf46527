// HealthService: the liveness and readiness answers of the server (GET /healthz, /readyz).
#pragma once

#include "core/status.h"
#include "storage/store.h"

namespace nexus::domain {

class HealthService {
 public:
  explicit HealthService(Store& store) : store_(store) {}

  // The applied schema version; Unavailable ("database unavailable") when the store cannot
  // answer.
  Result<int> SchemaVersion();
  // The newest schema version this binary knows; the database is "current" at it (/readyz: an
  // instance behind a load balancer takes traffic only when the database is reachable and
  // migrated, issue 15).
  static int LatestSchemaVersion();

 private:
  Store& store_;
};

}  // namespace nexus::domain
