// Custom case/result fields, templates and the validation of custom values on results
// (issue 14): what a company TestRail instance adds on top of the bare API. Texts the spec
// gives are verbatim; the others are marked inferred in docs/testrail-sim.md.
#include <algorithm>
#include <array>

#include "model.h"
#include "model_internal.h"

namespace testrail_sim {

using namespace internal;  // NOLINT(build/namespaces): the helpers of this file family

namespace {

struct TypeName {
  const char* name;
  int type_id;
};
constexpr std::array kTypeNames = {
    TypeName{"string", kFieldString},
    TypeName{"integer", kFieldInteger},
    TypeName{"text", kFieldText},
    TypeName{"url", kFieldUrl},
    TypeName{"checkbox", kFieldCheckbox},
    TypeName{"dropdown", kFieldDropdown},
    TypeName{"user", kFieldUser},
    TypeName{"date", kFieldDate},
    TypeName{"milestone", kFieldMilestone},
    TypeName{"steps", kFieldSteps},
    TypeName{"step_results", kFieldStepResults},
    TypeName{"multiselect", kFieldMultiSelect},
    TypeName{"multi-select", kFieldMultiSelect},
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t at = s.find(sep, start);
    if (at == std::string::npos) at = s.size();
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string ItemsText(const std::vector<std::pair<int64_t, std::string>>& items) {
  std::string out;
  for (const auto& [id, label] : items) {
    if (!out.empty()) out += "\n";
    out += std::to_string(id) + ", " + label;
  }
  return out;
}

bool IsEmptyValue(const Json& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         (v.is_array() && v.empty());
}

bool ValidStatus(const std::vector<Model::Status>& statuses, const Json& v) {
  int64_t id = 0;
  if (!JsonInt(v, &id) || id == 3) return false;
  for (const auto& s : statuses)
    if (s.id == id) return true;
  return false;
}

}  // namespace

bool ParseFieldSpec(const std::string& text, CustomField* field, bool* version_required,
                    std::string* error) {
  *field = CustomField{};
  field->is_result = true;
  FieldConfig cfg;
  std::string type = "string";
  std::string options;
  bool has_name = false;
  for (const auto& item : Split(text, ',')) {
    if (Trim(item).empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      *error = "bad field item '" + item + "' (want key=value)";
      return false;
    }
    std::string key = Trim(item.substr(0, eq));
    std::string value = Trim(item.substr(eq + 1));
    if (key == "name") {
      field->name = value.rfind("custom_", 0) == 0 ? value.substr(7) : value;
      has_name = !field->name.empty();
    } else if (key == "type") {
      type = Lower(value);
    } else if (key == "options") {
      options = value;
    } else if (key == "required") {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        *error = "field 'required' must be true or false";
        return false;
      }
      cfg.is_required = value == "true" || value == "1";
    } else if (key == "label") {
      field->label = value;
    } else if (key == "description") {
      field->description = value;
    } else if (key == "default") {
      cfg.default_value = value;
    } else if (key == "projects" || key == "templates") {
      std::vector<int64_t> ids;
      for (const auto& part : Split(value, '|')) {
        int64_t id = 0;
        if (!ParseInt(Trim(part), &id) || id < 1) {
          *error = "field '" + key + "' must be a |-separated list of ids";
          return false;
        }
        ids.push_back(id);
      }
      if (key == "projects") {
        cfg.is_global = false;
        cfg.project_ids = ids;
      } else {
        field->include_all = false;
        field->template_ids = ids;
      }
    } else {
      *error = "unknown field key '" + key + "'";
      return false;
    }
  }
  if (!has_name) {
    *error = "a field needs name=...";
    return false;
  }
  for (char ch : field->name) {
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '_')) {
      *error = "field name '" + field->name + "' must be lower-case letters, digits and _";
      return false;
    }
  }
  if (field->name == "version" && text.find("custom_version") == std::string::npos) {
    *version_required = cfg.is_required;
    field->name.clear();  // the system field: no custom field is produced
    return true;
  }
  field->type_id = 0;
  for (const auto& t : kTypeNames)
    if (type == t.name) field->type_id = t.type_id;
  if (field->type_id == 0) {
    *error = "unknown field type '" + type + "'";
    return false;
  }
  if (field->type_id == kFieldDropdown || field->type_id == kFieldMultiSelect) {
    int64_t id = 1;
    for (const auto& label : Split(options, '|')) {
      if (Trim(label).empty()) continue;
      cfg.items.push_back({id++, Trim(label)});
    }
    if (cfg.items.empty()) {
      *error = "field '" + field->name + "': a " + type + " needs options=A|B";
      return false;
    }
    if (field->type_id == kFieldDropdown && cfg.default_value.empty()) cfg.default_value = "1";
  } else if (!options.empty()) {
    *error = "field '" + field->name + "': options= is only for dropdown and multiselect";
    return false;
  }
  if (field->label.empty()) {
    // "custom_testenvironment" -> "Testenvironment"; "env_name" -> "Env Name".
    bool up = true;
    for (char ch : field->name) {
      if (ch == '_') {
        field->label += ' ';
        up = true;
        continue;
      }
      field->label += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
      up = false;
    }
  }
  field->configs.push_back(cfg);
  return true;
}

bool ParseConfigGroupSpec(const std::string& text, ConfigGroupSpec* spec, std::string* error) {
  size_t eq = text.find('=');
  *spec = ConfigGroupSpec{};
  if (eq != std::string::npos) spec->name = Trim(text.substr(0, eq));
  if (eq == std::string::npos || spec->name.empty()) {
    *error = "bad --configs '" + text + "' (want Group=A|B|C)";
    return false;
  }
  for (const auto& name : Split(text.substr(eq + 1), '|')) {
    if (Trim(name).empty()) continue;
    spec->configs.push_back(Trim(name));
  }
  if (spec->configs.empty()) {
    *error = "--configs '" + text + "' has no configurations";
    return false;
  }
  return true;
}

// The default fields of a fresh TestRail installation: the case fields of both test case
// templates and the step results field of "Test Case (Steps)".
void Model::SetDefaultFieldsLocked() {
  fields_.clear();
  next_field_id_ = 1;
  templates_ = {{1, "Test Case (Text)", true},
                {2, "Test Case (Steps)", false},
                {3, "Exploratory Session", false}};
  auto add = [&](bool is_result, const char* name, const char* label, int type,
                 std::vector<int64_t> templates,
                 std::vector<std::pair<int64_t, std::string>> items) {
    CustomField f;
    f.id = next_field_id_++;
    f.is_result = is_result;
    f.name = name;
    f.label = label;
    f.type_id = type;
    f.include_all = templates.empty();
    f.template_ids = std::move(templates);
    FieldConfig cfg;
    cfg.id = f.id;
    cfg.items = std::move(items);
    if (type == kFieldDropdown) cfg.default_value = std::to_string(cfg.items.front().first);
    f.configs.push_back(cfg);
    int order = 1;
    for (const auto& [id, other] : fields_) order += other.is_result == is_result ? 1 : 0;
    f.display_order = order;
    fields_[f.id] = f;
  };
  add(false, "preconds", "Preconditions", kFieldText, {1, 2}, {});
  add(false, "steps", "Steps", kFieldText, {1}, {});
  add(false, "expected", "Expected Result", kFieldText, {1}, {});
  add(false, "steps_separated", "Steps", kFieldSteps, {2}, {});
  add(false, "automation_type", "Automation Type", kFieldDropdown, {},
      {{0, "None"}, {1, "Ranorex"}, {2, "Automated"}});
  add(true, "step_results", "Steps", kFieldStepResults, {2}, {});
  version_required_ = false;
}

Json Model::FieldJson(const CustomField& f) const {
  Json configs = Json::array();
  for (const auto& c : f.configs) {
    Json options{{"is_required", c.is_required}, {"default_value", c.default_value}};
    if (f.type_id == kFieldDropdown || f.type_id == kFieldMultiSelect)
      options["items"] = ItemsText(c.items);
    if (f.type_id == kFieldText || f.type_id == kFieldSteps || f.type_id == kFieldStepResults)
      options["format"] = "markdown";
    if (f.type_id == kFieldText) options["rows"] = "5";
    if (f.type_id == kFieldSteps || f.type_id == kFieldStepResults) {
      options["has_expected"] = true;
      options["rows"] = "5";
    }
    if (f.type_id == kFieldStepResults) options["has_actual"] = true;
    configs.push_back({{"id", c.id},
                       {"context",
                        {{"is_global", c.is_global},
                         {"project_ids", c.is_global ? Json(nullptr) : Json(c.project_ids)}}},
                       {"options", options}});
  }
  return Json{{"id", f.id},
              {"is_active", f.is_active},
              {"type_id", f.type_id},
              {"name", f.name},
              {"system_name", f.system_name()},
              {"label", f.label},
              {"description", NullIfEmpty(f.description)},
              {"display_order", f.display_order},
              {"include_all", f.include_all},
              {"template_ids", f.include_all ? Json::array() : Json(f.template_ids)},
              {"configs", configs}};
}

const FieldConfig* Model::FieldConfigFor(const CustomField& f, int64_t project_id) const {
  // A project-specific configuration wins over the global one, as in TestRail's admin UI.
  const FieldConfig* global = nullptr;
  for (const auto& c : f.configs) {
    if (c.is_global) {
      if (!global) global = &c;
      continue;
    }
    if (std::find(c.project_ids.begin(), c.project_ids.end(), project_id) != c.project_ids.end())
      return &c;
  }
  return global;
}

bool Model::FieldAppliesTo(const CustomField& f, int64_t template_id) const {
  return f.include_all || std::find(f.template_ids.begin(), f.template_ids.end(), template_id) !=
                              f.template_ids.end();
}

std::string Model::CheckFieldValueLocked(const CustomField& f, const FieldConfig& cfg,
                                         int64_t project_id, const Json& v) const {
  const std::string field = "Field :" + f.system_name();
  int64_t n = 0;
  switch (f.type_id) {
    case kFieldString:
      if (!v.is_string() && !v.is_number()) return field + " is not a valid string.";
      if (v.is_string() && v.get_ref<const std::string&>().size() > kMaxNameLength)
        return TooLong(f.system_name());
      return "";
    case kFieldText:
      if (!v.is_string() && !v.is_number()) return field + " is not a valid text.";
      return "";
    case kFieldInteger:
      if (!JsonInt(v, &n)) return field + " is not a valid integer.";
      return "";
    case kFieldUrl: {
      if (!v.is_string()) return field + " is not a valid URL.";
      const std::string& s = v.get_ref<const std::string&>();
      if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0)
        return field + " is not a valid URL.";
      return "";
    }
    case kFieldCheckbox:
      if (v.is_boolean()) return "";
      if (JsonInt(v, &n) && (n == 0 || n == 1)) return "";
      return field + " is not a valid checkbox value.";
    case kFieldDropdown:
      if (JsonInt(v, &n)) {
        for (const auto& [id, label] : cfg.items)
          if (id == n) return "";
      }
      return field + " is not a valid dropdown value.";
    case kFieldMultiSelect: {
      if (!v.is_array()) return field + " is not a valid multi-select value.";
      for (const auto& x : v) {
        bool ok = JsonInt(x, &n);
        if (ok) {
          ok = false;
          for (const auto& [id, label] : cfg.items) ok |= id == n;
        }
        if (!ok) return field + " is not a valid multi-select value.";
      }
      return "";
    }
    case kFieldUser:
      if (!ValidUserLocked(v)) return field + " is not a valid user.";
      return "";
    case kFieldDate:
      if (!v.is_string() && !JsonInt(v, &n)) return field + " is not a valid date.";
      return "";
    case kFieldMilestone:
      if (!ValidMilestoneLocked(project_id, v)) return field + " is not a valid milestone.";
      return "";
    case kFieldSteps:
    case kFieldStepResults: {
      if (!v.is_array()) return field + " is not a valid array.";
      for (size_t i = 0; i < v.size(); ++i) {
        const Json& step = v[i];
        std::string at = field + " contains an invalid step (step " + std::to_string(i + 1) + ": ";
        if (!step.is_object()) return at + "not an object)";
        for (const char* key : {"content", "expected", "actual"}) {
          if (step.contains(key) && !step[key].is_null() && !step[key].is_string())
            return at + key + " is not a string)";
        }
        if (f.type_id == kFieldStepResults && step.contains("status_id") &&
            !step["status_id"].is_null() && !ValidStatus(statuses_, step["status_id"]))
          return at + "status_id " + step["status_id"].dump() + " is not a valid status)";
      }
      return "";
    }
    default:
      return "";
  }
}

std::string Model::CheckResultFieldsLocked(int64_t project_id, int64_t test_id, const Json& entry,
                                           bool bulk) const {
  if (version_required_ && IsEmptyValue(entry.value("version", Json(nullptr))))
    return Required(bulk ? "results.version" : "version");
  int64_t template_id = 1;
  auto tit = tests_.find(test_id);
  if (tit != tests_.end()) {
    auto cit = cases_.find(tit->second.case_id);
    if (cit != cases_.end()) template_id = cit->second.template_id;
  }
  for (const auto& [id, f] : fields_) {
    if (!f.is_result || !f.is_active) continue;
    const FieldConfig* cfg = FieldConfigFor(f, project_id);
    if (!cfg) continue;  // not configured for this project: TestRail ignores the key
    auto it = entry.find(f.system_name());
    bool missing = it == entry.end() || IsEmptyValue(*it);
    if (missing) {
      if (cfg->is_required && FieldAppliesTo(f, template_id)) return Required(f.system_name());
      continue;
    }
    std::string bad = CheckFieldValueLocked(f, *cfg, project_id, *it);
    if (!bad.empty()) return bad;
  }
  return "";
}

bool Model::ValidUserLocked(const Json& value) const {
  int64_t id = 0;
  if (!JsonInt(value, &id)) return false;
  for (const auto& u : users_)
    if (u.id == id && u.is_active) return true;
  return false;
}

bool Model::ValidMilestoneLocked(int64_t project_id, const Json& value) const {
  int64_t id = 0;
  if (!JsonInt(value, &id)) return false;
  auto it = milestones_.find(id);
  return it != milestones_.end() && it->second.project_id == project_id;
}

ApiResponse Model::GetResultFields(const ApiCall&) {
  Json arr = Json::array();
  for (const auto& [id, f] : fields_)
    if (f.is_result) arr.push_back(FieldJson(f));
  return Ok(arr);
}

ApiResponse Model::GetCaseFields(const ApiCall&) {
  Json arr = Json::array();
  for (const auto& [id, f] : fields_)
    if (!f.is_result) arr.push_back(FieldJson(f));
  return Ok(arr);
}

ApiResponse Model::GetTemplates(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "project_id", &id, &err)) return err;
  if (!projects_.count(id)) return Error(400, kInvalidProject);
  Json arr = Json::array();
  for (const auto& t : templates_)
    arr.push_back({{"id", t.id}, {"name", t.name}, {"is_default", t.is_default}});
  return Ok(arr);
}

}  // namespace testrail_sim
