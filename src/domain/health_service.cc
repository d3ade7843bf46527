// HealthService implementation.
#include "domain/health_service.h"

namespace nexus::domain {

Result<int> HealthService::SchemaVersion() {
  auto v = store_.SchemaVersion();
  if (!v.ok()) return Status(StatusCode::kUnavailable, "database unavailable");
  return v;
}

}  // namespace nexus::domain
