// HealthService implementation.
#include "domain/health_service.h"

#include "storage/migrations.h"

namespace nexus::domain {

Result<int> HealthService::SchemaVersion() {
  auto v = store_.SchemaVersion();
  if (!v.ok()) return Status(StatusCode::kUnavailable, "database unavailable");
  return v;
}

int HealthService::LatestSchemaVersion() { return EmbeddedMigrations().back().version; }

}  // namespace nexus::domain
