// TestRailConfigService: the Configs → TestRail use cases (R-CONN-*, R-PROJ-1, R-SUITE-1,
// R-MAP-*, export options). HTTP-agnostic: the API layer checks permissions and the feature
// flag, parses requests and renders the views returned here.
//
// Secrets: the API key enters through Connect(), is verified against TestRail, sealed with
// the SecretBox and stored; it is opened again only to build a TestRail client. It never
// appears in a view, a Status or a log line.
//
// Thread-safety: all methods may be called concurrently (state lives in the Store; the
// factory and SecretBox are thread-safe). Two concurrent Connect() calls for one project
// both verify and the last write wins.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/secret_box.h"
#include "core/clock.h"
#include "core/config_mapping.h"
#include "core/result_fields.h"
#include "core/status.h"
#include "core/status_mapping.h"
#include "integration/interfaces.h"
#include "storage/store.h"
#include "testrail/client.h"

namespace nexus::integration {

struct TestRailCredentials {
  std::string url;  // normalised base URL
  std::string user;
  std::string api_key;
};

// Builds a client for a connection. Errors as TestRailClient::Create.
using TestRailClientFactory =
    std::function<Result<std::unique_ptr<testrail::TestRailClient>>(const TestRailCredentials&)>;

struct TestRailConnectionView {
  std::string url;
  std::string user;
  bool api_key_set = false;
  std::string api_key_last4;  // empty for keys shorter than 8 characters
  TimeMs connected_at = 0;
  std::optional<int64_t> connected_by;
  bool verified = false;  // false too when the stored key is unreadable
  // False when the stored key cannot be decrypted with this server's master key (the key
  // changed): every TestRail call answers secret_unreadable until the key is re-entered.
  bool api_key_readable = true;
};

struct TestRailStatusesView {
  std::vector<testrail::StatusInfo> statuses;  // as get_statuses answered, custom included
  std::optional<TimeMs> fetched_at;            // nullopt: never fetched
};

struct TestRailMappingView {
  StatusMapping mapping;
  // Cells naming a status the instance (per the cached statuses) does not have, or
  // Untested — a mapping that became invalid after the instance changed (R-MAP-6).
  std::vector<std::string> invalid_cells;
  // The stored mapping could not be read: `mapping` shows the defaults, and exports refuse
  // (409 mapping_unreadable) until the mapping is saved again, rather than send defaults.
  bool unreadable = false;
};

struct TestRailConfigView {
  std::optional<TestRailConnectionView> connection;
  std::optional<TestRailProjectRecord> project;
  std::vector<TestRailSuiteRecord> suites;
  TestRailMappingView mapping;
  TestRailOptionsRecord options;
  std::optional<TimeMs> statuses_cached_at;
};

struct ConnectRequest {
  std::string url;   // as typed (NormalizeBaseUrl applies)
  std::string user;  // e-mail
  // nullopt: keep the stored key — only when the normalised URL and the user (ignoring case)
  // are unchanged, so a stored key is never sent to another host or for another account.
  std::optional<std::string> api_key;
};

// Partial update of the options: absent members keep their value.
struct OptionsUpdate {
  std::optional<bool> close_run_on_completion;
  std::optional<bool> auto_export;
  std::optional<std::optional<std::string>> run_name_template;  // inner nullopt clears
  std::optional<std::optional<int64_t>> milestone_id;           // inner nullopt clears
  std::optional<AttachmentPolicy> attachments;                  // issue 17; validated by the caller
};

// ---- Mapping JSON (the API shape; storage keeps its own codec of the same shape for
// testrail_configs.mapping_json, sqlite_testrail_config.cc):
// {"mode":"basic"|"advanced", "basic":{"NoBug":1,...}, "advanced":{"Success":{...},...}}
// with null = not reported.
nlohmann::json MappingToJson(const StatusMapping& m);
// Strict: every key required (mode, basic with all 5 labels, advanced with all 4 results ×
// 5 labels), no unknown keys, values integers >= 1 or null. InvalidArgument naming the
// offending path ("basic.NoBug", "advanced.Stopped", "mode").
Result<StatusMapping> MappingFromJson(const nlohmann::json& j);

nlohmann::json StatusInfoToJson(const testrail::StatusInfo& s);

// ---- Result fields (issue 14).

// The custom result fields of `fields` (get_result_fields) that apply to TestRail project
// `testrail_project_id`: active, with a config whose context lists the project (preferred)
// or is global. Required and options come from that config. TestRail's order is kept.
std::vector<ResultFieldDef> ApplicableResultFields(const std::vector<testrail::Field>& fields,
                                                   int64_t testrail_project_id);

// One row of Configs → TestRail → Export options.
struct ExportFieldView {
  ResultFieldDef def;  // for a disappeared field: system name and the saved type only
  std::optional<FieldSetting> setting;
  FieldProblem problem = FieldProblem::kNone;  // the setting no longer fits TestRail
  bool present = true;                         // false: the field is gone from TestRail
};

struct ExportFieldsView {
  std::vector<ExportFieldView> fields;  // TestRail's order, then disappeared ones
  ExportFieldSettings settings;         // as stored
  // System name of the instance's step-results field (type 11) for this project, if any.
  std::optional<std::string> step_results_field;
  bool settings_unreadable = false;  // the stored document could not be read (defaults shown)
};

// A milestone picker row: every milestone of the project with its sub-milestones flattened
// after their parent (parent_id set on sub-milestones).
struct MilestoneView {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> parent_id;
  bool is_completed = false;
  bool is_started = false;
  std::optional<int64_t> due_on;
};

// Configs → TestRail → Configurations (issue 14, R-CONFIGS): the stored mapping with the
// project's configuration groups (get_configs) and what no longer fits them.
struct ConfigurationsView {
  ConfigMapping mapping;                       // as stored (empty when none or unreadable)
  std::vector<ConfigGroup> groups;             // get_configs of the selected TestRail project
  std::vector<ConfigMappingProblem> problems;  // groups/configs deleted in TestRail since
  // Values of the mapped attributes seen on the project's runs (the first
  // kObservedRunsForSuggestions runs by id), ascending: the UI suggests a config for each
  // unmapped one (SuggestConfig).
  std::map<std::string, std::vector<std::string>> observed_values;
  bool unreadable = false;  // the stored document could not be read (exports refuse)
};
inline constexpr int kObservedRunsForSuggestions = 1000;

// The configuration groups of a get_configs answer. kNotTestRail-like Internal error text
// when the shape is not an array of groups with ids.
Result<std::vector<ConfigGroup>> ParseConfigGroups(const nlohmann::json& j);

// Before any TestRail write of an export (issue 14): Ok when the plan uses no configuration or
// every config id its entries use is still a config of TestRail project `testrail_project_id`
// (one get_configs); otherwise InvalidArgument reason "unknown_config" naming the missing ids
// and their labels (field "configurations"), nothing created.
Status CheckPlanConfigurations(const testrail::TestRailClient& client, int64_t testrail_project_id,
                               const ExportPlan& plan);

class TestRailConfigService {
 public:
  // All references must outlive the service. `suites_changed` is told after
  // SelectProject/SelectSuites saved a selection (the catalog syncs it).
  TestRailConfigService(Store& store, const auth::SecretBox& secrets, const Clock& clock,
                        TestRailClientFactory factory, SuiteSelectionListener& suites_changed);

  // The configuration (defaults when nothing was configured yet).
  Result<TestRailConfigView> Get(int64_t project_id);
  // Projects whose stored API key this server's master key cannot decrypt (the key changed),
  // ascending; `serve` warns about them once at start.
  Result<std::vector<int64_t>> ProjectsWithUnreadableKeys();

  // Save & Connect (R-CONN-2): normalises the URL, verifies the credentials with TestRail
  // and fetches the statuses; only then seals the key and saves the connection with the
  // statuses. Any failure saves nothing (the previous connection stays): InvalidArgument for
  // a bad URL (field "url") or a missing key (field "api_key"), and the TestRail client's
  // typed errors (auth_failed, api_disabled, tls_failure, timeout, not_testrail…).
  // Connecting to another instance clears the project and suite selection.
  Result<TestRailConfigView> Connect(int64_t project_id, int64_t user_id,
                                     const ConnectRequest& request);
  // R-CONN-4. Ok also when not connected.
  Status Disconnect(int64_t project_id);

  // The instance's projects. Conflict "not_connected" without a connection.
  Result<std::vector<testrail::Project>> RemoteProjects(int64_t project_id);
  // R-PROJ-1: selects a project of the instance (InvalidArgument field
  // "testrail_project_id", reason "unknown_project", when it has none with that id).
  // Selecting another project replaces the suite selection: the only suite of a
  // single-suite project (suite_mode 1, or 2 with one suite) is selected automatically,
  // otherwise none. Re-selecting the current project keeps the suites that still exist.
  Result<TestRailConfigView> SelectProject(int64_t project_id, int64_t testrail_project_id);
  // Suites of the selected project whose name contains `q` (case-insensitive; empty = all).
  // Conflict "no_project_selected" before a project is selected.
  Result<std::vector<testrail::Suite>> RemoteSuites(int64_t project_id, std::string_view q);
  // R-SUITE-1: replaces the selection (1+ ids, duplicates collapse). InvalidArgument field
  // "suite_ids[i]" (reason "unknown_suite") for an id that is not a suite of the project.
  Result<TestRailConfigView> SelectSuites(int64_t project_id, const std::vector<int64_t>& ids);

  // Cached statuses; `refresh` (or an empty cache while connected) fetches get_statuses.
  Result<TestRailStatusesView> Statuses(int64_t project_id, bool refresh);

  Result<TestRailMappingView> Mapping(int64_t project_id);
  // Validates against the cached statuses (the system statuses 1-5 when none are cached):
  // InvalidArgument naming the cell for Untested (reason "invalid_status") or an unknown
  // status ("unknown_status"). Nothing is saved on failure.
  Result<TestRailMappingView> SaveMapping(int64_t project_id, const StatusMapping& mapping);
  Result<TestRailMappingView> ResetMapping(int64_t project_id);  // R-MAP-5

  // run_name_template 1-250 characters (field "run_name_template"), milestone_id >= 1 and,
  // while connected with a project selected, a milestone of that project in TestRail
  // (CheckMilestone; issue 12 item 6).
  Result<TestRailOptionsRecord> SaveOptions(int64_t project_id, const OptionsUpdate& update);

  // A client for the stored connection (exports, catalog sync). Conflict "not_connected".
  Result<std::unique_ptr<testrail::TestRailClient>> ClientFor(int64_t project_id);
  // The project's connection with its API key opened (issue 17: the attachment uploader is
  // built from it beside the client). Never logged nor rendered.
  Result<TestRailCredentials> CredentialsFor(int64_t project_id);

  // ---- Issue 14: result fields, milestones, users.
  // The selected TestRail project's custom result fields with the stored settings, each
  // flagged when its setting no longer fits (disappeared, type or options changed). Reads
  // get_result_fields. Conflict not_connected / no_project_selected.
  Result<ExportFieldsView> ExportFields(int64_t project_id);
  // Validates against the instance and replaces the settings: every field must be a custom
  // result field of the project (InvalidArgument "fields.<name>", reason unknown_field), a
  // fixed value must fit its type (invalid_field_value), a run value only for text-like,
  // integer, checkbox and dropdown fields; the assignee must be a user of the instance
  // (field failed_assignee_id, reason unknown_user); step_results needs a step-results field
  // (reason no_step_results_field). Nothing is saved on failure.
  Result<ExportFieldsView> SaveExportFields(int64_t project_id, const ExportFieldSettings& s);
  // The stored settings (defaults when none or unreadable); no TestRail call.
  Result<ExportFieldSettings> StoredExportFields(int64_t project_id);
  // Milestones of the selected project; completed ones only with `include_completed`.
  Result<std::vector<MilestoneView>> Milestones(int64_t project_id, bool include_completed);
  // Users of the instance (get_users with the project; active ones first, then by name).
  Result<std::vector<testrail::User>> Users(int64_t project_id);
  // Ok when `milestone_id` is a milestone (or sub-milestone) of TestRail project
  // `testrail_project_id`: InvalidArgument (field `field`, reason unknown_milestone) when
  // TestRail does not know it or it belongs to another project. Other errors: the client's.
  static Status CheckMilestone(const testrail::TestRailClient& client, int64_t testrail_project_id,
                               int64_t milestone_id, const std::string& field);

  // ---- Issue 14: configurations (testrail_configurations.cc).
  // get_configs of the selected TestRail project. Conflict not_connected / no_project_selected.
  Result<std::vector<ConfigGroup>> RemoteConfigGroups(int64_t project_id);
  // The stored mapping, the project's groups (one get_configs) and the problems.
  Result<ConfigurationsView> Configurations(int64_t project_id);
  // Validates against get_configs (ValidateConfigMapping: unknown group/config ids → 400
  // naming them) and replaces the mapping; an empty mapping clears it (no TestRail call then).
  // Nothing is saved on failure.
  Result<ConfigurationsView> SaveConfigurations(int64_t project_id, const ConfigMapping& m);
  // The stored mapping without a TestRail call (empty when none). Internal with reason
  // "configurations_unreadable" when the stored document cannot be read: an export then
  // refuses rather than export without configurations.
  Result<ConfigMapping> StoredConfigurations(int64_t project_id);

 private:
  Result<TestRailConfigRecord> Load(int64_t project_id);  // defaults when none stored
  Result<std::unique_ptr<testrail::TestRailClient>> ClientFor(const TestRailConfigRecord& rec);
  TestRailConfigView ToView(const TestRailConfigRecord& rec) const;
  // Whether this server's master key opens the stored API key (true when none is stored).
  bool KeyReadable(const TestRailConnectionRecord& c) const;

  Store& store_;
  const auth::SecretBox& secrets_;
  const Clock& clock_;
  TestRailClientFactory factory_;
  SuiteSelectionListener& suites_changed_;
};

}  // namespace nexus::integration
