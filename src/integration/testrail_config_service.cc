// Configs → TestRail use cases (see testrail_config_service.h).
#include "integration/testrail_config_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "core/export_planner.h"
#include "testrail/base_url.h"
#include "testrail/types.h"

namespace nexus::integration {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxRunNameTemplate = 250;

Status NotConnected() {
  return Status(StatusCode::kConflict,
                "TestRail is not connected for this project; save a connection first", {},
                "not_connected");
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Json CellJson(const StatusCell& c) { return c ? Json(*c) : Json(nullptr); }

Result<StatusCell> CellFromJson(const Json& j, const std::string& path) {
  if (j.is_null()) return StatusCell{};
  if (!j.is_number_integer())
    return InvalidArgument(path + " must be a TestRail status id (integer) or null", path,
                           "invalid_type");
  int64_t v = j.get<int64_t>();
  if (v < 1 || v > 1'000'000)
    return InvalidArgument(path + " must be a positive status id", path, "invalid_value");
  return StatusCell{static_cast<int>(v)};
}

Status UnknownKey(const Json& o, const std::vector<std::string>& allowed, const std::string& path) {
  for (auto it = o.begin(); it != o.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      std::string f = path.empty() ? it.key() : path + "." + it.key();
      return InvalidArgument("unknown field '" + f + "'", f, "unknown_field");
    }
  return Status::Ok();
}

Result<std::map<BugLabel, StatusCell>> LabelTableFromJson(const Json& j, const std::string& path) {
  if (!j.is_object())
    return InvalidArgument(path + " must be an object of bug label → status id", path,
                           "invalid_type");
  std::vector<std::string> names;
  for (BugLabel l : kAllBugLabels) names.emplace_back(BugLabelName(l));
  NEXUS_RETURN_IF_ERROR(UnknownKey(j, names, path));
  std::map<BugLabel, StatusCell> out;
  for (BugLabel l : kAllBugLabels) {
    std::string f = path + "." + std::string(BugLabelName(l));
    auto it = j.find(std::string(BugLabelName(l)));
    if (it == j.end()) return InvalidArgument(f + " is required", f, "missing_field");
    NEXUS_ASSIGN_OR_RETURN(out[l], CellFromJson(*it, f));
  }
  return out;
}

Json LabelTableToJson(const std::map<BugLabel, StatusCell>& t) {
  Json o = Json::object();
  for (BugLabel l : kAllBugLabels) {
    auto it = t.find(l);
    o[std::string(BugLabelName(l))] = it == t.end() ? Json(nullptr) : CellJson(it->second);
  }
  return o;
}

std::vector<int> KnownStatusIds(const std::vector<testrail::StatusInfo>& statuses) {
  std::vector<int> ids;
  for (const auto& s : statuses) ids.push_back(static_cast<int>(s.id));
  return ids;
}

testrail::StatusInfo FromRecord(const TestRailStatusRecord& r) {
  testrail::StatusInfo s;
  s.id = r.id;
  s.name = r.name;
  s.label = r.label;
  s.color_bright = r.color_bright;
  s.color_medium = r.color_medium;
  s.color_dark = r.color_dark;
  s.is_system = r.is_system;
  s.is_untested = r.is_untested;
  s.is_final = r.is_final;
  return s;
}

TestRailStatusRecord ToRecord(const testrail::StatusInfo& s) {
  return TestRailStatusRecord{s.id,           s.name,         s.label,
                              s.color_bright, s.color_medium, s.color_dark,
                              s.is_system,    s.is_untested,  s.is_final};
}

std::vector<TestRailStatusRecord> ToRecords(const std::vector<testrail::StatusInfo>& statuses) {
  std::vector<TestRailStatusRecord> out;
  out.reserve(statuses.size());
  for (const auto& s : statuses) out.push_back(ToRecord(s));
  return out;
}

// The cached statuses of `rec` (empty when never fetched); Internal when unreadable.
Result<std::vector<testrail::StatusInfo>> CachedStatuses(const TestRailConfigRecord& rec) {
  if (rec.statuses_unreadable) return Internal("cached TestRail statuses are unreadable");
  std::vector<testrail::StatusInfo> out;
  if (rec.statuses)
    for (const auto& r : *rec.statuses) out.push_back(FromRecord(r));
  return out;
}

// The statuses mapping validation uses: the cached ones, else TestRail's system statuses.
std::vector<int> ValidationIds(const std::vector<testrail::StatusInfo>& cached) {
  if (cached.empty()) return {kTrPassed, kTrBlocked, kTrUntested, kTrRetest, kTrFailed};
  return KnownStatusIds(cached);
}

// The stored mapping of `rec` (the defaults when none); Internal when unreadable.
Result<StatusMapping> StoredMapping(const TestRailConfigRecord& rec) {
  if (rec.mapping_unreadable) return Internal("stored status mapping is unreadable");
  return rec.mapping ? *rec.mapping : StatusMapping::Defaults();
}

size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string Last4(const std::string& key) {
  return key.size() >= 8 ? key.substr(key.size() - 4) : std::string();
}

}  // namespace

// ---- Mapping JSON.

Json MappingToJson(const StatusMapping& m) {
  Json adv = Json::object();
  for (RunResult r : kAllRunResults) {
    auto it = m.advanced.find(r);
    adv[std::string(RunResultName(r))] =
        LabelTableToJson(it == m.advanced.end() ? std::map<BugLabel, StatusCell>{} : it->second);
  }
  return {{"mode", std::string(MappingModeName(m.mode))},
          {"basic", LabelTableToJson(m.basic)},
          {"advanced", adv}};
}

Result<StatusMapping> MappingFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument("mapping must be a JSON object", "", "not_an_object");
  NEXUS_RETURN_IF_ERROR(UnknownKey(j, {"mode", "basic", "advanced"}, ""));
  StatusMapping m;
  auto mode = j.find("mode");
  if (mode == j.end()) return InvalidArgument("mode is required", "mode", "missing_field");
  if (!mode->is_string() || (*mode != "basic" && *mode != "advanced"))
    return InvalidArgument("mode must be \"basic\" or \"advanced\"", "mode", "invalid_value");
  m.mode = *mode == "basic" ? StatusMapping::Mode::kBasic : StatusMapping::Mode::kAdvanced;
  auto basic = j.find("basic");
  if (basic == j.end()) return InvalidArgument("basic is required", "basic", "missing_field");
  NEXUS_ASSIGN_OR_RETURN(m.basic, LabelTableFromJson(*basic, "basic"));
  auto adv = j.find("advanced");
  if (adv == j.end()) return InvalidArgument("advanced is required", "advanced", "missing_field");
  if (!adv->is_object())
    return InvalidArgument("advanced must be an object of run result → label table", "advanced",
                           "invalid_type");
  std::vector<std::string> results;
  for (RunResult r : kAllRunResults) results.emplace_back(RunResultName(r));
  NEXUS_RETURN_IF_ERROR(UnknownKey(*adv, results, "advanced"));
  for (RunResult r : kAllRunResults) {
    std::string f = "advanced." + std::string(RunResultName(r));
    auto it = adv->find(std::string(RunResultName(r)));
    if (it == adv->end()) return InvalidArgument(f + " is required", f, "missing_field");
    NEXUS_ASSIGN_OR_RETURN(m.advanced[r], LabelTableFromJson(*it, f));
  }
  return m;
}

Json StatusInfoToJson(const testrail::StatusInfo& s) {
  char color[8];
  std::snprintf(color, sizeof color, "#%06llx",
                static_cast<unsigned long long>(s.color_medium & 0xffffff));
  return {{"id", s.id},
          {"name", s.name},
          {"label", s.label},
          {"color", color},
          {"color_bright", s.color_bright},
          {"color_medium", s.color_medium},
          {"color_dark", s.color_dark},
          {"is_system", s.is_system},
          {"is_untested", s.is_untested},
          {"is_final", s.is_final},
          {"selectable", !s.is_untested && s.id != kTrUntested}};
}

// ---- Service.

TestRailConfigService::TestRailConfigService(Store& store, const auth::SecretBox& secrets,
                                             const Clock& clock, TestRailClientFactory factory,
                                             SuiteSelectionListener& suites_changed)
    : store_(store),
      secrets_(secrets),
      clock_(clock),
      factory_(std::move(factory)),
      suites_changed_(suites_changed) {}

Result<TestRailConfigRecord> TestRailConfigService::Load(int64_t project_id) {
  auto rec = store_.GetTestRailConfig(project_id);
  if (rec.ok()) return rec;
  if (rec.status().code() != StatusCode::kNotFound) return rec.status();
  TestRailConfigRecord empty;
  empty.project_id = project_id;
  return empty;
}

TestRailConfigView TestRailConfigService::ToView(const TestRailConfigRecord& rec) const {
  TestRailConfigView v;
  if (rec.connection) {
    const auto& c = *rec.connection;
    bool readable = KeyReadable(c);
    v.connection = TestRailConnectionView{
        c.url,          c.user,         !c.api_key_ciphertext.empty(), c.api_key_last4,
        c.connected_at, c.connected_by, c.verified && readable,        readable};
  }
  v.project = rec.project;
  v.suites = rec.suites;
  v.options = rec.options;
  v.statuses_cached_at = rec.statuses_fetched_at;
  auto mapping = StoredMapping(rec);
  v.mapping.mapping = mapping.ok() ? *mapping : StatusMapping::Defaults();
  v.mapping.unreadable = !mapping.ok();
  auto statuses = CachedStatuses(rec);
  std::vector<testrail::StatusInfo> cached =
      statuses.ok() ? *statuses : std::vector<testrail::StatusInfo>{};
  v.mapping.invalid_cells = v.mapping.mapping.InvalidCells(ValidationIds(cached));
  return v;
}

bool TestRailConfigService::KeyReadable(const TestRailConnectionRecord& c) const {
  return c.api_key_ciphertext.empty() ||
         secrets_.Open({c.api_key_nonce, c.api_key_ciphertext}).ok();
}

Result<std::vector<int64_t>> TestRailConfigService::ProjectsWithUnreadableKeys() {
  NEXUS_ASSIGN_OR_RETURN(std::vector<Project> projects, store_.ListProjects());
  std::vector<int64_t> out;
  for (const Project& p : projects) {
    auto rec = store_.GetTestRailConfig(p.id);
    if (rec.ok() && rec->connection && !KeyReadable(*rec->connection)) out.push_back(p.id);
  }
  return out;
}

Result<TestRailConfigView> TestRailConfigService::Get(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  return ToView(rec);
}

Result<TestRailConfigView> TestRailConfigService::Connect(int64_t project_id, int64_t user_id,
                                                          const ConnectRequest& request) {
  NEXUS_ASSIGN_OR_RETURN(std::string url, testrail::NormalizeBaseUrl(request.url));
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));

  std::string key;
  if (request.api_key) {
    key = *request.api_key;
  } else {
    const auto& old = rec.connection;
    if (!old || old->url != url || Lower(old->user) != Lower(request.user))
      return InvalidArgument(
          "api_key is required when connecting for the first time or changing the URL or user",
          "api_key", "missing_field");
    NEXUS_ASSIGN_OR_RETURN(key, secrets_.Open({old->api_key_nonce, old->api_key_ciphertext}));
  }

  // Verify first; nothing is written unless TestRail accepted the credentials.
  NEXUS_ASSIGN_OR_RETURN(auto client, factory_({url, request.user, key}));
  auto verified = client->Verify();
  if (!verified.ok()) {
    spdlog::info("event=testrail_connect_failed project={} host=\"{}\" reason={}", project_id,
                 testrail::HostOfBaseUrl(url), verified.status().reason());
    return verified.status();
  }
  NEXUS_ASSIGN_OR_RETURN(auto statuses, client->GetStatuses());
  NEXUS_ASSIGN_OR_RETURN(auth::SealedSecret sealed, secrets_.Seal(key));

  TimeMs now = clock_.NowMs();
  TestRailConnectionUpdate update;
  update.connection = TestRailConnectionRecord{
      url, request.user, sealed.nonce, sealed.ciphertext, Last4(key), now, user_id, true};
  update.statuses = ToRecords(statuses);
  update.statuses_fetched_at = now;
  update.clear_selection = rec.instance_url && *rec.instance_url != url;
  NEXUS_RETURN_IF_ERROR(store_.SaveTestRailConnection(project_id, update, now));
  spdlog::info("event=testrail_connected project={} host=\"{}\" user_id={} statuses={}", project_id,
               testrail::HostOfBaseUrl(url), user_id, statuses.size());
  return Get(project_id);
}

Status TestRailConfigService::Disconnect(int64_t project_id) {
  NEXUS_RETURN_IF_ERROR(store_.DeleteTestRailConnection(project_id, clock_.NowMs()));
  spdlog::info("event=testrail_disconnected project={}", project_id);
  return Status::Ok();
}

Result<std::unique_ptr<testrail::TestRailClient>> TestRailConfigService::ClientFor(
    const TestRailConfigRecord& rec) {
  if (!rec.connection) return NotConnected();
  const auto& c = *rec.connection;
  NEXUS_ASSIGN_OR_RETURN(std::string key, secrets_.Open({c.api_key_nonce, c.api_key_ciphertext}));
  return factory_({c.url, c.user, key});
}

Result<std::unique_ptr<testrail::TestRailClient>> TestRailConfigService::ClientFor(
    int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  return ClientFor(rec);
}

Result<TestRailCredentials> TestRailConfigService::CredentialsFor(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  if (!rec.connection) return NotConnected();
  const auto& c = *rec.connection;
  NEXUS_ASSIGN_OR_RETURN(std::string key, secrets_.Open({c.api_key_nonce, c.api_key_ciphertext}));
  return TestRailCredentials{c.url, c.user, std::move(key)};
}

Result<std::vector<testrail::Project>> TestRailConfigService::RemoteProjects(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(project_id));
  return client->GetProjects();
}

Result<TestRailConfigView> TestRailConfigService::SelectProject(int64_t project_id,
                                                                int64_t testrail_project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  NEXUS_ASSIGN_OR_RETURN(auto projects, client->GetProjects());
  auto it = std::find_if(projects.begin(), projects.end(),
                         [&](const testrail::Project& p) { return p.id == testrail_project_id; });
  if (it == projects.end())
    return InvalidArgument("testrail_project_id " + std::to_string(testrail_project_id) +
                               " is not a project on the TestRail instance",
                           "testrail_project_id", "unknown_project");
  NEXUS_ASSIGN_OR_RETURN(auto suites, client->GetSuites(it->id));
  std::vector<TestRailSuiteRecord> selected;
  if (rec.project && rec.project->id == it->id) {
    for (const auto& s : rec.suites)
      if (std::any_of(suites.begin(), suites.end(),
                      [&](const testrail::Suite& r) { return r.id == s.id; }))
        selected.push_back(s);
  } else if (suites.size() == 1 && (it->suite_mode == 1 || it->suite_mode == 2)) {
    selected.push_back({suites[0].id, suites[0].name});
  }
  NEXUS_RETURN_IF_ERROR(
      store_.SetTestRailProject(project_id, TestRailProjectRecord{it->id, it->name, it->suite_mode},
                                selected, clock_.NowMs()));
  suites_changed_.OnSuitesChanged(project_id);
  return Get(project_id);
}

Result<std::vector<testrail::Suite>> TestRailConfigService::RemoteSuites(int64_t project_id,
                                                                         std::string_view q) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  if (!rec.project)
    return Status(StatusCode::kConflict, "select a TestRail project first", {},
                  "no_project_selected");
  NEXUS_ASSIGN_OR_RETURN(auto suites, client->GetSuites(rec.project->id));
  std::string needle = Lower(q);
  if (!needle.empty())
    std::erase_if(suites, [&](const testrail::Suite& s) {
      return Lower(s.name).find(needle) == std::string::npos;
    });
  return suites;
}

Result<TestRailConfigView> TestRailConfigService::SelectSuites(int64_t project_id,
                                                               const std::vector<int64_t>& ids) {
  if (ids.empty())
    return InvalidArgument("suite_ids must name at least one suite", "suite_ids", "invalid_value");
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  if (!rec.project)
    return Status(StatusCode::kConflict, "select a TestRail project first", {},
                  "no_project_selected");
  NEXUS_ASSIGN_OR_RETURN(auto suites, client->GetSuites(rec.project->id));
  std::vector<TestRailSuiteRecord> selected;
  std::set<int64_t> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!seen.insert(ids[i]).second) continue;
    auto it = std::find_if(suites.begin(), suites.end(),
                           [&](const testrail::Suite& s) { return s.id == ids[i]; });
    if (it == suites.end()) {
      std::string f = "suite_ids[" + std::to_string(i) + "]";
      return InvalidArgument("suite " + std::to_string(ids[i]) +
                                 " is not a suite of the TestRail project '" + rec.project->name +
                                 "'",
                             f, "unknown_suite");
    }
    selected.push_back({it->id, it->name});
  }
  NEXUS_RETURN_IF_ERROR(store_.SetTestRailSuites(project_id, selected, clock_.NowMs()));
  suites_changed_.OnSuitesChanged(project_id);
  return Get(project_id);
}

Result<TestRailStatusesView> TestRailConfigService::Statuses(int64_t project_id, bool refresh) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  if (refresh || (!rec.statuses && !rec.statuses_unreadable && rec.connection)) {
    NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
    NEXUS_ASSIGN_OR_RETURN(auto statuses, client->GetStatuses());
    TimeMs now = clock_.NowMs();
    NEXUS_RETURN_IF_ERROR(store_.SaveTestRailStatuses(project_id, ToRecords(statuses), now));
    return TestRailStatusesView{std::move(statuses), now};
  }
  NEXUS_ASSIGN_OR_RETURN(auto cached, CachedStatuses(rec));
  return TestRailStatusesView{std::move(cached), rec.statuses_fetched_at};
}

Result<TestRailMappingView> TestRailConfigService::Mapping(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigView v, Get(project_id));
  return v.mapping;
}

Result<TestRailMappingView> TestRailConfigService::SaveMapping(int64_t project_id,
                                                               const StatusMapping& mapping) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto cached, CachedStatuses(rec));
  NEXUS_RETURN_IF_ERROR(mapping.Validate(ValidationIds(cached)));
  NEXUS_RETURN_IF_ERROR(store_.SaveTestRailMapping(project_id, mapping, clock_.NowMs()));
  return Mapping(project_id);
}

Result<TestRailMappingView> TestRailConfigService::ResetMapping(int64_t project_id) {
  NEXUS_RETURN_IF_ERROR(store_.SaveTestRailMapping(project_id, std::nullopt, clock_.NowMs()));
  return Mapping(project_id);
}

Result<TestRailOptionsRecord> TestRailConfigService::SaveOptions(int64_t project_id,
                                                                 const OptionsUpdate& update) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  TestRailOptionsRecord o = rec.options;
  if (update.close_run_on_completion) o.close_run_on_completion = *update.close_run_on_completion;
  if (update.auto_export) o.auto_export = *update.auto_export;
  if (update.attachments) o.attachments = *update.attachments;
  if (update.run_name_template) {
    const auto& t = *update.run_name_template;
    if (t && (t->empty() || CodePoints(*t) > kMaxRunNameTemplate ||
              t->find_first_not_of(" \t\r\n") == std::string::npos))
      return InvalidArgument("run_name_template must be 1 to 250 characters (not only spaces)",
                             "run_name_template", "invalid_value");
    // An unknown placeholder ({nope}) or a lone brace would reach TestRail as typed: refuse it
    // naming the placeholder and listing the known ones.
    if (t) {
      Status v = ValidateNameTemplate(*t);
      if (!v.ok()) return InvalidArgument(v.message(), "run_name_template", "invalid_value");
    }
    o.run_name_template = t;
  }
  if (update.milestone_id) {
    const auto& m = *update.milestone_id;
    if (m && *m < 1)
      return InvalidArgument("milestone_id must be a positive integer or null", "milestone_id",
                             "invalid_value");
    // Checked against the instance when there is one to ask (issue 12 item 6, issue 14);
    // exports check it again before their first write.
    if (m && rec.connection && rec.project && m != rec.options.milestone_id) {
      NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
      NEXUS_RETURN_IF_ERROR(CheckMilestone(*client, rec.project->id, *m, "milestone_id"));
    }
    o.milestone_id = m;
  }
  NEXUS_RETURN_IF_ERROR(store_.SaveTestRailOptions(project_id, o, clock_.NowMs()));
  return o;
}

// ---- Issue 14: result fields, milestones, users.

std::vector<ResultFieldDef> ApplicableResultFields(const std::vector<testrail::Field>& fields,
                                                   int64_t testrail_project_id) {
  std::vector<ResultFieldDef> out;
  for (const auto& f : fields) {
    if (!f.is_active) continue;
    const testrail::FieldConfig* chosen = nullptr;
    for (const auto& c : f.configs) {
      if (std::find(c.project_ids.begin(), c.project_ids.end(), testrail_project_id) !=
          c.project_ids.end()) {
        chosen = &c;
        break;
      }
      if (c.is_global && chosen == nullptr) chosen = &c;
    }
    if (chosen == nullptr) continue;
    ResultFieldDef d;
    d.system_name = f.system_name;
    d.label = f.label.empty() ? f.name : f.label;
    d.type_id = f.type_id;
    d.required = chosen->is_required;
    if (f.type_id == static_cast<int>(FieldType::kDropdown) ||
        f.type_id == static_cast<int>(FieldType::kMultiSelect))
      d.options = ParseFieldItems(chosen->items);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

Result<ExportFieldSettings> DecodeExportFields(const TestRailConfigRecord& rec) {
  if (!rec.export_fields_json) return ExportFieldSettings{};
  Json j = Json::parse(*rec.export_fields_json, nullptr, false);
  return ExportFieldSettingsFromJson(j);
}

bool RunValueFits(int type_id) {
  switch (static_cast<FieldType>(type_id)) {
    case FieldType::kString:
    case FieldType::kText:
    case FieldType::kUrl:
    case FieldType::kDate:
    case FieldType::kInteger:
    case FieldType::kCheckbox:
    case FieldType::kDropdown:
    case FieldType::kMultiSelect:
      return true;
    default:
      return false;
  }
}

void FlattenMilestones(const std::vector<testrail::Milestone>& ms, std::optional<int64_t> parent,
                       bool include_completed, std::vector<MilestoneView>& out) {
  for (const auto& m : ms) {
    if (m.is_completed && !include_completed) continue;
    out.push_back(
        {m.id, m.name, m.parent_id ? m.parent_id : parent, m.is_completed, m.is_started, m.due_on});
    FlattenMilestones(m.milestones, m.id, include_completed, out);
  }
}

}  // namespace

Result<ExportFieldSettings> TestRailConfigService::StoredExportFields(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  auto s = DecodeExportFields(rec);
  if (!s.ok()) {
    spdlog::warn("event=export_fields_unreadable project_id={}", project_id);
    return ExportFieldSettings{};
  }
  return std::move(s).value();
}

Result<ExportFieldsView> TestRailConfigService::ExportFields(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  if (!rec.project)
    return Status(StatusCode::kConflict, "select a TestRail project first", {},
                  "no_project_selected");
  NEXUS_ASSIGN_OR_RETURN(auto fields, client->GetResultFields());
  ExportFieldsView v;
  auto decoded = DecodeExportFields(rec);
  v.settings_unreadable = !decoded.ok();
  if (decoded.ok()) v.settings = std::move(decoded).value();
  std::set<std::string> seen;
  for (auto& d : ApplicableResultFields(fields, rec.project->id)) {
    if (d.type_id == static_cast<int>(FieldType::kStepResults) && !v.step_results_field)
      v.step_results_field = d.system_name;
    ExportFieldView row;
    seen.insert(d.system_name);
    auto it = v.settings.fields.find(d.system_name);
    if (it != v.settings.fields.end()) {
      row.setting = it->second;
      row.problem = ProblemOf(it->second, &d);
    }
    row.def = std::move(d);
    v.fields.push_back(std::move(row));
  }
  for (const auto& [name, setting] : v.settings.fields) {
    if (seen.count(name)) continue;
    ExportFieldView row;
    row.def.system_name = name;
    row.def.label = name;
    row.def.type_id = setting.type_id;
    row.setting = setting;
    row.problem = FieldProblem::kDisappeared;
    row.present = false;
    v.fields.push_back(std::move(row));
  }
  return v;
}

Result<ExportFieldsView> TestRailConfigService::SaveExportFields(int64_t project_id,
                                                                 const ExportFieldSettings& in) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  if (!rec.project)
    return Status(StatusCode::kConflict, "select a TestRail project first", {},
                  "no_project_selected");
  NEXUS_ASSIGN_OR_RETURN(auto fields, client->GetResultFields());
  const auto defs = ApplicableResultFields(fields, rec.project->id);
  ExportFieldSettings out = in;
  for (auto& [name, setting] : out.fields) {
    const std::string path = "fields." + name;
    const std::string& field_name = name;  // clang 14 cannot capture a structured binding
    auto d = std::find_if(defs.begin(), defs.end(),
                          [&](const ResultFieldDef& x) { return x.system_name == field_name; });
    if (d == defs.end())
      return InvalidArgument(name + " is not a custom result field of the TestRail project '" +
                                 rec.project->name + "'",
                             path, "unknown_field");
    if (setting.source == FieldSource::kFixed) {
      NEXUS_RETURN_IF_ERROR(ValidateFixedValue(*d, setting.value));
    } else if (!RunValueFits(d->type_id)) {
      return InvalidArgument("\"" + d->label + "\" (" + name + ", type " +
                                 std::string(FieldTypeName(d->type_id)) +
                                 ") can only take a fixed value",
                             path + ".source", "invalid_field_value");
    }
    setting.type_id = d->type_id;  // remembered: a later change of type flags the setting
  }
  if (out.failed_assignee_id) {
    NEXUS_ASSIGN_OR_RETURN(auto users, client->GetUsers(rec.project->id));
    if (std::none_of(users.begin(), users.end(),
                     [&](const testrail::User& u) { return u.id == *out.failed_assignee_id; }))
      return InvalidArgument(
          "TestRail has no user " + std::to_string(*out.failed_assignee_id) + " on this instance",
          "failed_assignee_id", "unknown_user");
  }
  if (out.step_results && std::none_of(defs.begin(), defs.end(), [](const ResultFieldDef& x) {
        return x.type_id == static_cast<int>(FieldType::kStepResults);
      }))
    return InvalidArgument(
        "the TestRail project has no step results field (a result field of type Step Results)",
        "step_results", "no_step_results_field");
  NEXUS_RETURN_IF_ERROR(store_.SaveTestRailExportFields(
      project_id, ExportFieldSettingsToJson(out).dump(), clock_.NowMs()));
  return ExportFields(project_id);
}

Result<std::vector<MilestoneView>> TestRailConfigService::Milestones(int64_t project_id,
                                                                     bool include_completed) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  if (!rec.project)
    return Status(StatusCode::kConflict, "select a TestRail project first", {},
                  "no_project_selected");
  NEXUS_ASSIGN_OR_RETURN(auto ms, client->GetMilestones(rec.project->id));
  std::vector<MilestoneView> out;
  FlattenMilestones(ms, std::nullopt, include_completed, out);
  return out;
}

Result<std::vector<testrail::User>> TestRailConfigService::Users(int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigRecord rec, Load(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto client, ClientFor(rec));
  std::optional<int64_t> tr_project;
  if (rec.project) tr_project = rec.project->id;
  NEXUS_ASSIGN_OR_RETURN(auto users, client->GetUsers(tr_project));
  std::stable_sort(users.begin(), users.end(), [](const auto& a, const auto& b) {
    if (a.is_active != b.is_active) return a.is_active;
    return Lower(a.name) < Lower(b.name);
  });
  return users;
}

Status TestRailConfigService::CheckMilestone(const testrail::TestRailClient& client,
                                             int64_t testrail_project_id, int64_t milestone_id,
                                             const std::string& field) {
  auto m = client.GetMilestone(milestone_id);
  if (!m.ok()) {
    // TestRail answers 400 for an id it does not know (errors.h: "rejected").
    if (m.status().reason() == "rejected" || m.status().code() == StatusCode::kNotFound)
      return InvalidArgument(
          "TestRail has no milestone " + std::to_string(milestone_id) + " (nothing was sent)",
          field, "unknown_milestone");
    return m.status();
  }
  if (m->project_id != testrail_project_id)
    return InvalidArgument("milestone " + std::to_string(milestone_id) + " (\"" + m->name +
                               "\") belongs to another TestRail project (nothing was sent)",
                           field, "unknown_milestone");
  return Status::Ok();
}

}  // namespace nexus::integration
