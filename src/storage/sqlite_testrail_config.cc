// SqliteStore: the TestRail configuration role (testrail_config_store.h, migration
// 0003_testrail_config.sql). Sealed API keys are stored as lower-case hex text so
// the schema needs no BLOB type and stays portable. The cached statuses and the status
// mapping are stored as JSON text (statuses_json, mapping_json); this file is the only
// place that converts them, and writes the same bytes as before the records were typed.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <type_traits>

#include "storage/sqlite_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Statement;

std::string ToHex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::optional<std::string> OptText(const Statement& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return st.Text(col);
}

// Creates the project's configuration row with defaults when missing. A missing project is
// a foreign-key violation, which the connection layer reports as NotFound.
Status EnsureRow(Connection& c, int64_t project_id, TimeMs now) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("create testrail config",
                "INSERT INTO testrail_configs (project_id, updated_at) VALUES (?1, ?2) "
                "ON CONFLICT (project_id) DO NOTHING"));
  Status s = st.Bind(1, project_id).Bind(2, now).Run();
  if (s.code() == StatusCode::kNotFound)
    return NotFound("project " + std::to_string(project_id) + " not found");
  return s;
}

Status ReplaceSuites(Connection& c, int64_t project_id,
                     const std::vector<TestRailSuiteRecord>& suites) {
  {
    NEXUS_ASSIGN_OR_RETURN(Statement del,
                           c.Prepare("replace testrail suites",
                                     "DELETE FROM testrail_selected_suites WHERE project_id = ?1"));
    NEXUS_RETURN_IF_ERROR(del.Bind(1, project_id).Run());
  }
  std::map<int64_t, std::string> unique;
  for (const auto& s : suites) unique.emplace(s.id, s.name);
  for (const auto& [id, name] : unique) {
    NEXUS_ASSIGN_OR_RETURN(
        Statement ins,
        c.Prepare("replace testrail suites",
                  "INSERT INTO testrail_selected_suites (project_id, suite_id, name) "
                  "VALUES (?1, ?2, ?3)"));
    NEXUS_RETURN_IF_ERROR(ins.Bind(1, project_id).Bind(2, id).Bind(3, name).Run());
  }
  return Status::Ok();
}

// ---- statuses_json: [{"color_bright":..,"color_dark":..,"color_medium":..,"id":..,
// "is_final":..,"is_system":..,"is_untested":..,"label":..,"name":..}, ...] (keys sorted, as
// nlohmann::json writes them). Absent or null members read as their defaults.

using Json = nlohmann::json;

std::string EncodeStatuses(const std::vector<TestRailStatusRecord>& statuses) {
  Json arr = Json::array();
  for (const auto& s : statuses)
    arr.push_back({{"id", s.id},
                   {"name", s.name},
                   {"label", s.label},
                   {"color_bright", s.color_bright},
                   {"color_medium", s.color_medium},
                   {"color_dark", s.color_dark},
                   {"is_system", s.is_system},
                   {"is_untested", s.is_untested},
                   {"is_final", s.is_final}});
  return arr.dump();
}

// Reads member `key` of `o` into `out` when present and not null; false when of another type.
template <typename T>
bool ReadMember(const Json& o, const char* key, T& out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return true;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  out = it->get<T>();
  return true;
}

std::optional<std::vector<TestRailStatusRecord>> DecodeStatuses(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  std::vector<TestRailStatusRecord> out;
  for (const Json& e : j) {
    if (!e.is_object()) return std::nullopt;
    auto id = e.find("id");
    if (id == e.end() || !id->is_number_integer()) return std::nullopt;
    TestRailStatusRecord s;
    if (!ReadMember(e, "id", s.id) || !ReadMember(e, "name", s.name) ||
        !ReadMember(e, "label", s.label) || !ReadMember(e, "color_bright", s.color_bright) ||
        !ReadMember(e, "color_medium", s.color_medium) ||
        !ReadMember(e, "color_dark", s.color_dark) || !ReadMember(e, "is_system", s.is_system) ||
        !ReadMember(e, "is_untested", s.is_untested) || !ReadMember(e, "is_final", s.is_final))
      return std::nullopt;
    out.push_back(std::move(s));
  }
  return out;
}

// ---- mapping_json: {"advanced":{"<RunResult>":{"<BugLabel>":id|null,...},...},
// "basic":{"<BugLabel>":id|null,...},"mode":"basic"|"advanced"} — every run result and bug
// label present; the same shape as the REST API's mapping (integration::MappingToJson).

Json LabelTableToJson(const std::map<BugLabel, StatusCell>& t) {
  Json o = Json::object();
  for (BugLabel l : kAllBugLabels) {
    auto it = t.find(l);
    bool set = it != t.end() && it->second.has_value();
    o[std::string(BugLabelName(l))] = set ? Json(*it->second) : Json(nullptr);
  }
  return o;
}

std::string EncodeMapping(const StatusMapping& m) {
  Json adv = Json::object();
  for (RunResult r : kAllRunResults) {
    auto it = m.advanced.find(r);
    adv[std::string(RunResultName(r))] =
        LabelTableToJson(it == m.advanced.end() ? std::map<BugLabel, StatusCell>{} : it->second);
  }
  Json j = {{"mode", std::string(MappingModeName(m.mode))},
            {"basic", LabelTableToJson(m.basic)},
            {"advanced", adv}};
  return j.dump();
}

// Exactly the keys of kAllBugLabels, each an integer status id (>= 1) or null.
std::optional<std::map<BugLabel, StatusCell>> LabelTableFromJson(const Json& j) {
  if (!j.is_object() || j.size() != std::size(kAllBugLabels)) return std::nullopt;
  std::map<BugLabel, StatusCell> out;
  for (BugLabel l : kAllBugLabels) {
    auto it = j.find(std::string(BugLabelName(l)));
    if (it == j.end()) return std::nullopt;
    if (it->is_null()) {
      out[l] = std::nullopt;
      continue;
    }
    if (!it->is_number_integer()) return std::nullopt;
    int64_t v = it->get<int64_t>();
    if (v < 1 || v > 1'000'000) return std::nullopt;
    out[l] = static_cast<int>(v);
  }
  return out;
}

std::optional<StatusMapping> DecodeMapping(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object() || j.size() != 3) return std::nullopt;
  auto mode = j.find("mode");
  auto basic = j.find("basic");
  auto adv = j.find("advanced");
  if (mode == j.end() || basic == j.end() || adv == j.end() || !mode->is_string())
    return std::nullopt;
  StatusMapping m;
  if (*mode == "basic")
    m.mode = StatusMapping::Mode::kBasic;
  else if (*mode == "advanced")
    m.mode = StatusMapping::Mode::kAdvanced;
  else
    return std::nullopt;
  auto b = LabelTableFromJson(*basic);
  if (!b) return std::nullopt;
  m.basic = std::move(*b);
  if (!adv->is_object() || adv->size() != std::size(kAllRunResults)) return std::nullopt;
  for (RunResult r : kAllRunResults) {
    auto it = adv->find(std::string(RunResultName(r)));
    if (it == adv->end()) return std::nullopt;
    auto t = LabelTableFromJson(*it);
    if (!t) return std::nullopt;
    m.advanced[r] = std::move(*t);
  }
  return m;
}

constexpr char kConfigCols[] =
    "SELECT url, username, api_key_nonce, api_key_ciphertext, api_key_last4, connected_at, "
    "connected_by, verified, tr_project_id, tr_project_name, tr_suite_mode, statuses_json, "
    "statuses_fetched_at, mapping_json, close_run_on_completion, auto_export, "
    "run_name_template, milestone_id, updated_at, export_fields_json, configurations_json, "
    "attachment_policy_json FROM "
    "testrail_configs "
    "WHERE project_id = ?1";

}  // namespace

Result<TestRailConfigRecord> SqliteStore::GetTestRailConfig(int64_t project_id) {
  constexpr std::string_view kOp = "get testrail config";
  TestRailConfigRecord rec;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, kConfigCols));
      st.Bind(1, project_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row)
        return NotFound("project " + std::to_string(project_id) + " has no TestRail configuration");
      rec.project_id = project_id;
      rec.instance_url = OptText(st, 0);
      if (!st.IsNull(0) && !st.IsNull(3)) {
        TestRailConnectionRecord conn;
        conn.url = st.Text(0);
        conn.user = st.Text(1);
        auto nonce = FromHex(st.Text(2));
        auto cipher = FromHex(st.Text(3));
        if (!nonce || !cipher) return Internal(std::string(kOp) + ": unreadable sealed key");
        conn.api_key_nonce = std::move(*nonce);
        conn.api_key_ciphertext = std::move(*cipher);
        conn.api_key_last4 = st.Text(4);
        conn.connected_at = st.Int64(5);
        conn.connected_by = st.OptInt64(6);
        conn.verified = st.Bool(7);
        rec.connection = std::move(conn);
      }
      if (!st.IsNull(8))
        rec.project = TestRailProjectRecord{st.Int64(8), st.Text(9),
                                            static_cast<int>(st.OptInt64(10).value_or(1))};
      if (!st.IsNull(11)) {
        rec.statuses = DecodeStatuses(st.Text(11));
        rec.statuses_unreadable = !rec.statuses.has_value();
      }
      rec.statuses_fetched_at = st.OptInt64(12);
      if (!st.IsNull(13)) {
        rec.mapping = DecodeMapping(st.Text(13));
        rec.mapping_unreadable = !rec.mapping.has_value();
      }
      rec.options.close_run_on_completion = st.Bool(14);
      rec.options.auto_export = st.Bool(15);
      rec.options.run_name_template = OptText(st, 16);
      rec.options.milestone_id = st.OptInt64(17);
      rec.updated_at = st.Int64(18);
      rec.export_fields_json = OptText(st, 19);
      rec.configurations_json = OptText(st, 20);
      if (!st.IsNull(21)) {
        // Lenient: a policy that no longer reads attaches nothing (the default).
        nlohmann::json j = nlohmann::json::parse(st.Text(21), nullptr, false);
        auto p = AttachmentPolicyFromJson(j, AttachmentPolicy{}, {}, "attachments");
        if (p.ok()) rec.options.attachments = std::move(p).value();
      }
    }
    NEXUS_ASSIGN_OR_RETURN(Statement su, c.Prepare(kOp,
                                                   "SELECT suite_id, name FROM "
                                                   "testrail_selected_suites WHERE project_id = "
                                                   "?1 ORDER BY suite_id"));
    su.Bind(1, project_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, su.Step());
      if (!row) break;
      rec.suites.push_back(TestRailSuiteRecord{su.Int64(0), su.Text(1)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return rec;
}

Status SqliteStore::SaveTestRailConnection(int64_t project_id,
                                           const TestRailConnectionUpdate& update, TimeMs now) {
  constexpr std::string_view kOp = "save testrail connection";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    const TestRailConnectionRecord& conn = update.connection;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp,
                    "UPDATE testrail_configs SET url = ?2, username = ?3, api_key_nonce = ?4, "
                    "api_key_ciphertext = ?5, api_key_last4 = ?6, connected_at = ?7, "
                    "connected_by = ?8, verified = ?9, statuses_json = ?10, "
                    "statuses_fetched_at = ?11, updated_at = ?12 WHERE project_id = ?1"));
      NEXUS_RETURN_IF_ERROR(st.Bind(1, project_id)
                                .Bind(2, conn.url)
                                .Bind(3, conn.user)
                                .Bind(4, ToHex(conn.api_key_nonce))
                                .Bind(5, ToHex(conn.api_key_ciphertext))
                                .Bind(6, conn.api_key_last4)
                                .Bind(7, conn.connected_at)
                                .Bind(8, conn.connected_by)
                                .Bind(9, conn.verified)
                                .Bind(10, EncodeStatuses(update.statuses))
                                .Bind(11, update.statuses_fetched_at)
                                .Bind(12, now)
                                .Run());
    }
    if (update.clear_selection) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp,
                    "UPDATE testrail_configs SET tr_project_id = NULL, tr_project_name = NULL, "
                    "tr_suite_mode = NULL WHERE project_id = ?1"));
      NEXUS_RETURN_IF_ERROR(st.Bind(1, project_id).Run());
      NEXUS_RETURN_IF_ERROR(ReplaceSuites(c, project_id, {}));
    }
    return Status::Ok();
  });
}

Status SqliteStore::DeleteTestRailConnection(int64_t project_id, TimeMs now) {
  constexpr std::string_view kOp = "delete testrail connection";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "UPDATE testrail_configs SET username = NULL, api_key_nonce = NULL, "
                  "api_key_ciphertext = NULL, api_key_last4 = NULL, connected_at = NULL, "
                  "connected_by = NULL, verified = FALSE, updated_at = ?2 WHERE project_id = ?1"));
    return st.Bind(1, project_id).Bind(2, now).Run();
  });
}

Status SqliteStore::SetTestRailProject(int64_t project_id, const TestRailProjectRecord& project,
                                       const std::vector<TestRailSuiteRecord>& suites, TimeMs now) {
  constexpr std::string_view kOp = "set testrail project";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp,
                    "UPDATE testrail_configs SET tr_project_id = ?2, tr_project_name = ?3, "
                    "tr_suite_mode = ?4, updated_at = ?5 WHERE project_id = ?1"));
      NEXUS_RETURN_IF_ERROR(st.Bind(1, project_id)
                                .Bind(2, project.id)
                                .Bind(3, project.name)
                                .Bind(4, project.suite_mode)
                                .Bind(5, now)
                                .Run());
    }
    return ReplaceSuites(c, project_id, suites);
  });
}

Status SqliteStore::SetTestRailSuites(int64_t project_id,
                                      const std::vector<TestRailSuiteRecord>& suites, TimeMs now) {
  constexpr std::string_view kOp = "set testrail suites";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, "UPDATE testrail_configs SET updated_at = ?2 WHERE project_id = ?1"));
      NEXUS_RETURN_IF_ERROR(st.Bind(1, project_id).Bind(2, now).Run());
    }
    return ReplaceSuites(c, project_id, suites);
  });
}

Status SqliteStore::SaveTestRailStatuses(int64_t project_id,
                                         const std::vector<TestRailStatusRecord>& statuses,
                                         TimeMs fetched_at) {
  constexpr std::string_view kOp = "save testrail statuses";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, fetched_at));
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp,
                                     "UPDATE testrail_configs SET statuses_json = ?2, "
                                     "statuses_fetched_at = ?3 WHERE project_id = ?1"));
    return st.Bind(1, project_id).Bind(2, EncodeStatuses(statuses)).Bind(3, fetched_at).Run();
  });
}

Status SqliteStore::SaveTestRailMapping(int64_t project_id,
                                        const std::optional<StatusMapping>& mapping, TimeMs now) {
  constexpr std::string_view kOp = "save testrail mapping";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare(kOp,
                                "UPDATE testrail_configs SET mapping_json = ?2, updated_at = ?3 "
                                "WHERE project_id = ?1"));
    st.Bind(1, project_id).Bind(3, now);
    if (mapping)
      st.Bind(2, EncodeMapping(*mapping));
    else
      st.BindNull(2);
    return st.Run();
  });
}

Status SqliteStore::SaveTestRailOptions(int64_t project_id, const TestRailOptionsRecord& options,
                                        TimeMs now) {
  constexpr std::string_view kOp = "save testrail options";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "UPDATE testrail_configs SET close_run_on_completion = ?2, auto_export = ?3, "
                  "run_name_template = ?4, milestone_id = ?5, updated_at = ?6, "
                  "attachment_policy_json = ?7 WHERE project_id = ?1"));
    st.Bind(1, project_id)
        .Bind(2, options.close_run_on_completion)
        .Bind(3, options.auto_export)
        .Bind(5, options.milestone_id)
        .Bind(6, now)
        .Bind(7, AttachmentPolicyToJson(options.attachments).dump());
    if (options.run_name_template)
      st.Bind(4, *options.run_name_template);
    else
      st.BindNull(4);
    return st.Run();
  });
}

Status SqliteStore::SaveTestRailExportFields(int64_t project_id,
                                             const std::optional<std::string>& json, TimeMs now) {
  constexpr std::string_view kOp = "save testrail export fields";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                   "UPDATE testrail_configs SET "
                                                   "export_fields_json = ?2, updated_at = ?3 "
                                                   "WHERE project_id = ?1"));
    st.Bind(1, project_id).Bind(3, now);
    if (json)
      st.Bind(2, *json);
    else
      st.BindNull(2);
    return st.Run();
  });
}

Status SqliteStore::SaveTestRailConfigurations(int64_t project_id,
                                               const std::optional<std::string>& json, TimeMs now) {
  constexpr std::string_view kOp = "save testrail configurations";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(EnsureRow(c, project_id, now));
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                   "UPDATE testrail_configs SET "
                                                   "configurations_json = ?2, updated_at = ?3 "
                                                   "WHERE project_id = ?1"));
    st.Bind(1, project_id).Bind(3, now);
    if (json)
      st.Bind(2, *json);
    else
      st.BindNull(2);
    return st.Run();
  });
}

}  // namespace nexus
