// Stored TestRail configuration of a Nexus project (Configs → TestRail): what Store keeps
// for R-CONN-*, R-PROJ-1, R-SUITE-1, R-MAP-* and the export options. Plain values; the
// service layer (integration/testrail_config_service.h) gives them meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/attachment_plan.h"
#include "core/status_mapping.h"
#include "core/types.h"

namespace nexus {

// A verified connection. The API key is kept only sealed (auth/secret_box.h): `api_key_nonce`
// and `api_key_ciphertext` are raw bytes (the store encodes them); `api_key_last4` is the
// only part ever shown.
struct TestRailConnectionRecord {
  std::string url;   // normalised instance base URL
  std::string user;  // e-mail
  std::string api_key_nonce;
  std::string api_key_ciphertext;
  std::string api_key_last4;
  TimeMs connected_at = 0;
  std::optional<int64_t> connected_by;  // Nexus user id; nullopt when that user was deleted
  bool verified = false;

  bool operator==(const TestRailConnectionRecord&) const = default;
};

struct TestRailProjectRecord {
  int64_t id = 0;
  std::string name;
  int suite_mode = 1;  // TestRail: 1 single suite, 2 single + baselines, 3 multiple suites
  bool operator==(const TestRailProjectRecord&) const = default;
};

struct TestRailSuiteRecord {
  int64_t id = 0;
  std::string name;
  bool operator==(const TestRailSuiteRecord&) const = default;
};

// One cached entry of TestRail's get_statuses answer: exactly the fields kept in
// testrail_configs.statuses_json (integration/ converts from testrail::StatusInfo).
struct TestRailStatusRecord {
  int64_t id = 0;
  std::string name;
  std::string label;
  int64_t color_bright = 0;
  int64_t color_medium = 0;
  int64_t color_dark = 0;
  bool is_system = false;
  bool is_untested = false;
  bool is_final = false;
  bool operator==(const TestRailStatusRecord&) const = default;
};

struct TestRailOptionsRecord {
  bool close_run_on_completion = true;  // R-EXP-6 default on
  bool auto_export = false;             // R-EXP-AUTO default off
  std::optional<std::string> run_name_template;
  std::optional<int64_t> milestone_id;
  // Which run artifacts an export attaches to its TestRail results (issue 17); default none.
  AttachmentPolicy attachments;
  bool operator==(const TestRailOptionsRecord&) const = default;
};

struct TestRailConfigRecord {
  int64_t project_id = 0;
  std::optional<TestRailConnectionRecord> connection;  // nullopt: not connected
  // The instance the selection, cached statuses and mapping refer to: the connection's URL,
  // kept after a disconnect so a reconnect can tell "same instance" from "another one".
  std::optional<std::string> instance_url;
  std::optional<TestRailProjectRecord> project;  // nullopt: none selected
  std::vector<TestRailSuiteRecord> suites;       // ascending suite id
  // The cached get_statuses answer; nullopt: never fetched (or unreadable, see below).
  std::optional<std::vector<TestRailStatusRecord>> statuses;
  std::optional<TimeMs> statuses_fetched_at;
  std::optional<StatusMapping> mapping;  // nullopt: defaults (R-MAP-4) (or unreadable)
  // The stored statuses / mapping exist but cannot be read (a damaged row): `statuses` /
  // `mapping` are then nullopt and the service reports Internal where it needs them.
  bool statuses_unreadable = false;
  bool mapping_unreadable = false;
  TestRailOptionsRecord options;
  // The export field settings (result field values, assignee of failed results, step
  // results) as stored: a JSON text that integration/ decodes (core/result_fields.h);
  // nullopt: never configured. Issue 14.
  std::optional<std::string> export_fields_json;
  // The configuration mapping (run attribute → TestRail configuration group, value → config
  // id) as stored: JSON decoded by core/config_mapping.h; nullopt: none. Issue 14.
  std::optional<std::string> configurations_json;
  TimeMs updated_at = 0;
};

// Save & Connect's write: the new connection and the statuses fetched with it, applied
// together. `clear_selection` also forgets the selected project and suites (the connection
// now points at another instance, where those ids mean something else).
struct TestRailConnectionUpdate {
  TestRailConnectionRecord connection;
  std::vector<TestRailStatusRecord> statuses;
  TimeMs statuses_fetched_at = 0;
  bool clear_selection = false;
};

}  // namespace nexus
