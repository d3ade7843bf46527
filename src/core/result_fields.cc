// Result fields: definitions, settings, validation and the pre-write check of an export.
// See result_fields.h and docs/testrail-config.md.
#include "core/result_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace nexus {

using Json = nlohmann::json;

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasOption(const ResultFieldDef& def, int64_t id) {
  return std::any_of(def.options.begin(), def.options.end(),
                     [&](const FieldOption& o) { return o.id == id; });
}

Status BadValue(const ResultFieldDef& def, const std::string& expected) {
  return InvalidArgument(
      "the value of \"" + def.label + "\" (" + def.system_name + ") must be " + expected,
      "fields." + def.system_name, "invalid_field_value");
}

std::string OptionList(const ResultFieldDef& def) {
  std::string s;
  for (const auto& o : def.options) {
    if (!s.empty()) s += ", ";
    s += std::to_string(o.id) + " (" + o.label + ")";
  }
  return s.empty() ? "none" : s;
}

Status Missing(const ResultFieldDef& def, const std::string& why) {
  return InvalidArgument("TestRail requires the result field \"" + def.label + "\" (" +
                             def.system_name + ") and " + why +
                             "; set its value under Configs → TestRail → Export options "
                             "(nothing was sent)",
                         def.system_name, "testrail_field_missing");
}

// A text from the run as a value of `def`'s type.
std::optional<Json> FromText(const ResultFieldDef& def, const std::string& text) {
  const std::string_view t = Trim(text);
  if (t.empty()) return std::nullopt;
  switch (static_cast<FieldType>(def.type_id)) {
    case FieldType::kString:
    case FieldType::kUrl:
      return Json(TruncateUtf8(t, 250));
    case FieldType::kText:
    case FieldType::kDate:
      return Json(std::string(t));
    case FieldType::kInteger: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
      return Json(v);
    }
    case FieldType::kDropdown:
    case FieldType::kMultiSelect: {
      // A run value names an option by its label (case-insensitive): "PS5" → its id.
      const std::string want = Lower(t);
      for (const auto& o : def.options)
        if (Lower(Trim(o.label)) == want)
          return def.type_id == static_cast<int>(FieldType::kDropdown) ? Json(o.id)
                                                                       : Json::array({o.id});
      return std::nullopt;
    }
    case FieldType::kCheckbox: {
      const std::string l = Lower(t);
      if (l == "true" || l == "yes" || l == "1") return Json(true);
      if (l == "false" || l == "no" || l == "0") return Json(false);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view FieldTypeName(int type_id) {
  switch (type_id) {
    case 1:
      return "string";
    case 2:
      return "integer";
    case 3:
      return "text";
    case 4:
      return "url";
    case 5:
      return "checkbox";
    case 6:
      return "dropdown";
    case 7:
      return "user";
    case 8:
      return "date";
    case 9:
      return "milestone";
    case 10:
      return "steps";
    case 11:
      return "step_results";
    case 12:
      return "multi_select";
    default:
      return "unknown";
  }
}

std::vector<FieldOption> ParseFieldItems(std::string_view items) {
  std::vector<FieldOption> out;
  while (!items.empty()) {
    const size_t nl = items.find('\n');
    std::string_view line = Trim(items.substr(0, nl));
    items = nl == std::string_view::npos ? std::string_view() : items.substr(nl + 1);
    const size_t comma = line.find(',');
    if (comma == std::string_view::npos) continue;
    const std::string_view id_text = Trim(line.substr(0, comma));
    int64_t id = 0;
    auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || p != id_text.data() + id_text.size() || id_text.empty()) continue;
    out.push_back({id, std::string(Trim(line.substr(comma + 1)))});
  }
  return out;
}

std::string_view FieldSourceName(FieldSource s) {
  switch (s) {
    case FieldSource::kFixed:
      return "fixed";
    case FieldSource::kBuild:
      return "build";
    case FieldSource::kRunUrl:
      return "run_url";
    case FieldSource::kTestName:
      return "test_name";
    case FieldSource::kAttribute:
      return "attribute";
  }
  return "fixed";
}

std::optional<FieldSource> ParseFieldSource(std::string_view s) {
  for (FieldSource f : {FieldSource::kFixed, FieldSource::kBuild, FieldSource::kRunUrl,
                        FieldSource::kTestName, FieldSource::kAttribute})
    if (FieldSourceName(f) == s) return f;
  return std::nullopt;
}

Json ExportFieldSettingsToJson(const ExportFieldSettings& s) {
  Json fields = Json::object();
  for (const auto& [name, f] : s.fields) {
    Json j = {{"source", FieldSourceName(f.source)}, {"type_id", f.type_id}};
    if (f.source == FieldSource::kFixed) j["value"] = f.value;
    if (f.source == FieldSource::kAttribute) j["attribute"] = f.attribute;
    fields[name] = std::move(j);
  }
  return {{"fields", std::move(fields)},
          {"failed_assignee_id", s.failed_assignee_id ? Json(*s.failed_assignee_id) : Json()},
          {"step_results", s.step_results}};
}

Result<ExportFieldSettings> ExportFieldSettingsFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument("export fields must be a JSON object", "", "");
  ExportFieldSettings out;
  for (const auto& [key, v] : j.items()) {
    if (key == "fields") {
      if (!v.is_object()) return InvalidArgument("fields must be an object", "fields");
      for (const auto& [name, f] : v.items()) {
        const std::string path = "fields." + name;
        if (name.rfind("custom_", 0) != 0 || name.size() > 100)
          return InvalidArgument(path + ": a result field's system name starts with custom_", path,
                                 "invalid_value");
        if (!f.is_object()) return InvalidArgument(path + " must be an object", path);
        FieldSetting st;
        for (const auto& [fk, fv] : f.items())
          if (fk != "source" && fk != "value" && fk != "attribute" && fk != "type_id")
            return InvalidArgument(path + "." + fk + " is not a known member", path + "." + fk,
                                   "unknown_field");
        auto src = f.find("source");
        if (src == f.end() || !src->is_string() || !ParseFieldSource(src->get<std::string>()))
          return InvalidArgument(
              path + ".source must be one of fixed, build, run_url, test_name, attribute",
              path + ".source", "invalid_value");
        st.source = *ParseFieldSource(src->get<std::string>());
        if (auto t = f.find("type_id"); t != f.end()) {
          if (!t->is_number_integer())
            return InvalidArgument(path + ".type_id must be an integer", path + ".type_id");
          st.type_id = t->get<int>();
        }
        if (st.source == FieldSource::kFixed) {
          auto val = f.find("value");
          if (val == f.end() || val->is_null())
            return InvalidArgument(path + ".value is required for a fixed value", path + ".value",
                                   "missing_field");
          st.value = *val;
        }
        if (st.source == FieldSource::kAttribute) {
          auto a = f.find("attribute");
          if (a == f.end() || !a->is_string() || Trim(a->get<std::string>()).empty() ||
              a->get<std::string>().size() > 100)
            return InvalidArgument(path + ".attribute must name a run attribute (1-100 chars)",
                                   path + ".attribute", "invalid_value");
          st.attribute = std::string(Trim(a->get<std::string>()));
        }
        out.fields[name] = std::move(st);
      }
    } else if (key == "failed_assignee_id") {
      if (v.is_null()) continue;
      if (!v.is_number_integer() || v.get<int64_t>() < 1)
        return InvalidArgument("failed_assignee_id must be a TestRail user id (>= 1) or null",
                               "failed_assignee_id", "invalid_value");
      out.failed_assignee_id = v.get<int64_t>();
    } else if (key == "step_results") {
      if (!v.is_boolean())
        return InvalidArgument("step_results must be true or false", "step_results",
                               "invalid_value");
      out.step_results = v.get<bool>();
    } else {
      return InvalidArgument(key + " is not a known member", key, "unknown_field");
    }
  }
  return out;
}

Status ValidateFixedValue(const ResultFieldDef& def, const Json& value) {
  switch (static_cast<FieldType>(def.type_id)) {
    case FieldType::kString:
    case FieldType::kUrl:
      if (!value.is_string() || Trim(value.get<std::string>()).empty() ||
          !IsValidUtf8(value.get<std::string>()) || Utf8Length(value.get<std::string>()) > 250)
        return BadValue(def, "a text of 1 to 250 characters");
      return Status::Ok();
    case FieldType::kText:
    case FieldType::kDate:
      if (!value.is_string() || Trim(value.get<std::string>()).empty() ||
          !IsValidUtf8(value.get<std::string>()) || value.get<std::string>().size() > 10000)
        return BadValue(def, "a non-empty text");
      return Status::Ok();
    case FieldType::kInteger:
      if (!value.is_number_integer()) return BadValue(def, "an integer");
      return Status::Ok();
    case FieldType::kUser:
    case FieldType::kMilestone:
      if (!value.is_number_integer() || value.get<int64_t>() < 1)
        return BadValue(def, "a TestRail id (an integer >= 1)");
      return Status::Ok();
    case FieldType::kCheckbox:
      if (!value.is_boolean()) return BadValue(def, "true or false");
      return Status::Ok();
    case FieldType::kDropdown:
      if (!value.is_number_integer() || !HasOption(def, value.get<int64_t>()))
        return BadValue(def, "the id of one of its options: " + OptionList(def));
      return Status::Ok();
    case FieldType::kMultiSelect:
      if (!value.is_array() || value.empty())
        return BadValue(def, "a list of option ids: " + OptionList(def));
      for (const auto& v : value)
        if (!v.is_number_integer() || !HasOption(def, v.get<int64_t>()))
          return BadValue(def, "a list of option ids: " + OptionList(def));
      return Status::Ok();
    default:
      return InvalidArgument("\"" + def.label + "\" (" + def.system_name + ", type " +
                                 std::string(FieldTypeName(def.type_id)) +
                                 ") cannot be given a value by Nexus",
                             "fields." + def.system_name, "invalid_field_value");
  }
}

std::string_view FieldProblemName(FieldProblem p) {
  switch (p) {
    case FieldProblem::kNone:
      return "";
    case FieldProblem::kDisappeared:
      return "disappeared";
    case FieldProblem::kTypeChanged:
      return "type_changed";
  }
  return "";
}

FieldProblem ProblemOf(const FieldSetting& s, const ResultFieldDef* def) {
  if (def == nullptr) return FieldProblem::kDisappeared;
  if (s.type_id != 0 && s.type_id != def->type_id) return FieldProblem::kTypeChanged;
  // A fixed dropdown option that TestRail no longer offers is as stale as a type change.
  if (s.source == FieldSource::kFixed && !ValidateFixedValue(*def, s.value).ok())
    return FieldProblem::kTypeChanged;
  return FieldProblem::kNone;
}

std::optional<Json> ResolveFieldValue(const ResultFieldDef& def, const FieldSetting& setting,
                                      const FieldRunContext& ctx) {
  switch (setting.source) {
    case FieldSource::kFixed:
      if (!ValidateFixedValue(def, setting.value).ok()) return std::nullopt;
      return setting.value;
    case FieldSource::kBuild:
      return ctx.run ? FromText(def, ctx.run->build) : std::nullopt;
    case FieldSource::kRunUrl:
      return FromText(def, ctx.run_url);
    case FieldSource::kTestName:
      return ctx.test ? FromText(def, ctx.test->name) : std::nullopt;
    case FieldSource::kAttribute: {
      auto it = ctx.attributes.find(setting.attribute);
      if (it == ctx.attributes.end()) return std::nullopt;
      return FromText(def, it->second);
    }
  }
  return std::nullopt;
}

Status ApplyResultFields(const std::vector<ResultFieldDef>& defs,
                         const ExportFieldSettings& settings,
                         const std::function<FieldRunContext(const PlannedResult&)>& context_of,
                         ExportPlan& plan) {
  // First every required field's setting (one clear error before looking at results).
  struct Active {
    const ResultFieldDef* def;
    const FieldSetting* setting;
  };
  std::vector<Active> active;
  for (const auto& def : defs) {
    if (def.type_id == static_cast<int>(FieldType::kStepResults) ||
        def.type_id == static_cast<int>(FieldType::kSteps))
      continue;
    auto it = settings.fields.find(def.system_name);
    const FieldSetting* s = it == settings.fields.end() ? nullptr : &it->second;
    if (s != nullptr && ProblemOf(*s, &def) != FieldProblem::kNone) {
      if (def.required)
        return Missing(def,
                       "its configured value no longer matches the field in TestRail "
                       "(type or options changed)");
      continue;  // a stale optional field is left out (flagged on the config page)
    }
    if (s == nullptr) {
      if (def.required) return Missing(def, "no value is configured for it");
      continue;
    }
    active.push_back({&def, s});
  }
  // Then every result's values, into a copy: the plan is changed only when all are valid.
  std::vector<std::vector<std::string>> extras(plan.entries.size());
  for (size_t e = 0; e < plan.entries.size(); ++e) {
    extras[e].reserve(plan.entries[e].results.size());
    for (const PlannedResult& r : plan.entries[e].results) {
      Json extra = Json::object();
      if (!r.extra_json.empty()) {
        Json prior = Json::parse(r.extra_json, nullptr, false);
        if (prior.is_object()) extra = std::move(prior);
      }
      const FieldRunContext ctx = context_of(r);
      for (const Active& a : active) {
        auto v = ResolveFieldValue(*a.def, *a.setting, ctx);
        if (!v) {
          if (a.def->required)
            return Missing(*a.def, "the " + std::string(FieldSourceName(a.setting->source)) +
                                       (a.setting->source == FieldSource::kAttribute
                                            ? " \"" + a.setting->attribute + "\""
                                            : std::string()) +
                                       " of run #" + std::to_string(r.deciding_run_id) +
                                       " gives no valid value for case C" +
                                       std::to_string(r.case_id));
          continue;
        }
        extra[a.def->system_name] = std::move(*v);
      }
      if (settings.failed_assignee_id && r.status_id == 5)
        extra["assignedto_id"] = *settings.failed_assignee_id;
      extras[e].push_back(extra.empty() ? std::string() : extra.dump());
    }
  }
  for (size_t e = 0; e < plan.entries.size(); ++e)
    for (size_t k = 0; k < plan.entries[e].results.size(); ++k)
      plan.entries[e].results[k].extra_json = std::move(extras[e][k]);
  return Status::Ok();
}

}  // namespace nexus
