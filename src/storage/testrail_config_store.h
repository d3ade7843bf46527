// TestRailConfigStore: the per-project TestRail configuration role of the Store contract
// (store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/testrail_records.h"

namespace nexus {

class TestRailConfigStore {
 public:
  virtual ~TestRailConfigStore() = default;

  // ---- TestRail configuration (Configs → TestRail; records in storage/testrail_records.h).
  // One configuration per project. Every setter creates the project's configuration row
  // when it is missing (defaults: not connected, nothing selected, default mapping and
  // options) and stamps updated_at = `now`; NotFound when the project does not exist.
  //
  // The whole configuration; NotFound when the project has none yet.
  virtual Result<TestRailConfigRecord> GetTestRailConfig(int64_t project_id) = 0;
  // Replaces the connection and the cached statuses in one transaction (Save & Connect);
  // with update.clear_selection also clears the selected project and suites.
  virtual Status SaveTestRailConnection(int64_t project_id, const TestRailConnectionUpdate& update,
                                        TimeMs now) = 0;
  // Removes the connection (user, sealed key, verified flag) — R-CONN-4. The instance URL
  // (record.instance_url), selected project and suites, cached statuses, mapping and options
  // stay, so reconnecting to the same instance restores the configuration. Ok when there was
  // nothing to remove.
  virtual Status DeleteTestRailConnection(int64_t project_id, TimeMs now) = 0;
  // Selects the TestRail project and replaces the suite selection with `suites` (empty, or
  // the only suite of a single-suite project).
  virtual Status SetTestRailProject(int64_t project_id, const TestRailProjectRecord& project,
                                    const std::vector<TestRailSuiteRecord>& suites, TimeMs now) = 0;
  // Replaces the selected suites (duplicates by id collapse to one).
  virtual Status SetTestRailSuites(int64_t project_id,
                                   const std::vector<TestRailSuiteRecord>& suites, TimeMs now) = 0;
  // Replaces the cached statuses (and clears an unreadable cache).
  virtual Status SaveTestRailStatuses(int64_t project_id,
                                      const std::vector<TestRailStatusRecord>& statuses,
                                      TimeMs fetched_at) = 0;
  // nullopt resets to the defaults.
  virtual Status SaveTestRailMapping(int64_t project_id,
                                     const std::optional<StatusMapping>& mapping, TimeMs now) = 0;
  virtual Status SaveTestRailOptions(int64_t project_id, const TestRailOptionsRecord& options,
                                     TimeMs now) = 0;
  // Replaces the export field settings (a JSON text, already validated by the caller);
  // nullopt clears them. Issue 14.
  virtual Status SaveTestRailExportFields(int64_t project_id,
                                          const std::optional<std::string>& json, TimeMs now) = 0;
  // Replaces the configuration mapping (a JSON text, already validated by the caller;
  // core/config_mapping.h); nullopt clears it. Issue 14, migration 0011.
  virtual Status SaveTestRailConfigurations(int64_t project_id,
                                            const std::optional<std::string>& json, TimeMs now) = 0;
};

}  // namespace nexus
