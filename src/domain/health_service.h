// HealthService: the liveness answer of the server (GET /healthz).
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

 private:
  Store& store_;
};

}  // namespace nexus::domain
