// Defensive JSON conversion of TestRail objects; see types.h.
#include "testrail/types.h"

#include "core/export_planner.h"  // IsValidUtf8
#include "testrail/errors.h"

namespace nexus::testrail {
namespace {

using nlohmann::json;

// Reads fields of one object leniently (null and absent are the same) and remembers the
// first hard error (a required field missing or of a wrong type).
class Reader {
 public:
  Reader(const json& j, const char* what) : j_(j), what_(what) {
    if (!j_.is_object()) error_ = std::string(what_) + " is not a JSON object";
  }

  std::optional<int64_t> OptInt(const char* key) {
    if (!error_.empty()) return std::nullopt;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return std::nullopt;
    // Numbers outside int64 (a float such as 1e65, an unsigned above INT64_MAX) are not ids
    // or timestamps: converting them was undefined behaviour (found by fuzz_testrail_responses,
    // issue 13), now they are "not a number".
    if (it->is_number_unsigned()) {
      if (it->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) return it->get<int64_t>();
    } else if (it->is_number_integer()) {
      return it->get<int64_t>();
    }
    if (it->is_number_float()) {
      double d = it->get<double>();
      // [-2^63, 2^63): the doubles that convert to int64_t; NaN fails both comparisons.
      if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) return static_cast<int64_t>(d);
    }
    if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
    if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      if (!s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos) {
        return std::stoll(s);
      }
    }
    error_ = std::string(what_) + " field '" + key + "' is not a number";
    return std::nullopt;
  }
  int64_t Int(const char* key, int64_t def = 0) { return OptInt(key).value_or(def); }
  int64_t RequiredInt(const char* key) {
    std::optional<int64_t> v = OptInt(key);
    if (!v.has_value() && error_.empty()) {
      error_ = std::string(what_) + " has no '" + key + "'";
    }
    return v.value_or(0);
  }
  bool Bool(const char* key, bool def = false) {
    if (!error_.empty()) return def;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return def;
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_number()) return it->get<double>() != 0;
    error_ = std::string(what_) + " field '" + key + "' is not a boolean";
    return def;
  }
  std::string Str(const char* key) {
    if (!error_.empty()) return {};
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    error_ = std::string(what_) + " field '" + key + "' is not a string";
    return {};
  }
  const json* Array(const char* key) {
    if (!error_.empty()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      error_ = std::string(what_) + " field '" + key + "' is not an array";
      return nullptr;
    }
    return &*it;
  }
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  Status status() const {
    if (error_.empty()) return Status::Ok();
    return MakeTestRailError(
        TestRailErrorKind::kNotTestRail,
        "TestRail answered with an unexpected response shape: " + error_ + ".");
  }

 private:
  const json& j_;
  const char* what_;
  std::string error_;
};

template <typename T>
Result<T> Done(const Reader& r, T value) {
  Status st = r.status();
  if (!st.ok()) return st;
  return value;
}

}  // namespace

Result<Project> ParseProject(const json& j) {
  Reader r(j, "project");
  Project p;
  p.id = r.RequiredInt("id");
  p.name = r.Str("name");
  p.suite_mode = static_cast<int>(r.Int("suite_mode", 1));
  p.is_completed = r.Bool("is_completed");
  p.url = r.Str("url");
  return Done(r, std::move(p));
}

Result<Suite> ParseSuite(const json& j) {
  Reader r(j, "suite");
  Suite s;
  s.id = r.RequiredInt("id");
  s.name = r.Str("name");
  s.description = r.Str("description");
  s.project_id = r.Int("project_id");
  s.is_master = r.Bool("is_master");
  s.is_baseline = r.Bool("is_baseline");
  s.is_completed = r.Bool("is_completed");
  s.url = r.Str("url");
  return Done(r, std::move(s));
}

Result<Section> ParseSection(const json& j) {
  Reader r(j, "section");
  Section s;
  s.id = r.RequiredInt("id");
  s.suite_id = r.Int("suite_id");
  s.name = r.Str("name");
  s.description = r.Str("description");
  s.parent_id = r.OptInt("parent_id");
  s.display_order = r.Int("display_order");
  s.depth = static_cast<int>(r.Int("depth"));
  return Done(r, std::move(s));
}

Result<Case> ParseCase(const json& j) {
  Reader r(j, "case");
  Case c;
  c.id = r.RequiredInt("id");
  c.title = r.Str("title");
  c.section_id = r.Int("section_id");
  c.suite_id = r.Int("suite_id");
  c.template_id = r.Int("template_id");
  c.type_id = r.Int("type_id");
  c.priority_id = r.Int("priority_id");
  c.milestone_id = r.OptInt("milestone_id");
  c.refs = r.Str("refs");
  c.estimate = r.Str("estimate");
  c.created_on = r.Int("created_on");
  c.updated_on = r.Int("updated_on");
  c.display_order = r.Int("display_order");
  c.is_deleted = r.Bool("is_deleted");
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key().rfind("custom_", 0) == 0) c.custom_fields[it.key()] = it.value();
    }
  }
  return Done(r, std::move(c));
}

Result<StatusInfo> ParseStatusInfo(const json& j) {
  Reader r(j, "status");
  StatusInfo s;
  s.id = r.RequiredInt("id");
  s.name = r.Str("name");
  s.label = r.Str("label");
  s.color_bright = r.Int("color_bright");
  s.color_medium = r.Int("color_medium");
  s.color_dark = r.Int("color_dark");
  s.is_system = r.Bool("is_system");
  s.is_untested = r.Bool("is_untested");
  s.is_final = r.Bool("is_final");
  return Done(r, std::move(s));
}

Result<User> ParseUser(const json& j) {
  Reader r(j, "user");
  User u;
  u.id = r.RequiredInt("id");
  u.name = r.Str("name");
  u.email = r.Str("email");
  u.is_active = r.Bool("is_active", true);
  return Done(r, std::move(u));
}

Result<Field> ParseField(const json& j) {
  Reader r(j, "field");
  Field f;
  f.id = r.RequiredInt("id");
  f.name = r.Str("name");
  f.system_name = r.Str("system_name");
  f.label = r.Str("label");
  f.type_id = static_cast<int>(r.Int("type_id"));
  f.is_active = r.Bool("is_active", true);
  if (f.system_name.empty() && !f.name.empty()) f.system_name = "custom_" + f.name;
  if (const json* t = r.Array("template_ids"))
    for (const json& id : *t)
      if (id.is_number_integer()) f.template_ids.push_back(id.get<int64_t>());
  if (const json* cs = r.Array("configs")) {
    for (const json& c : *cs) {
      if (!c.is_object()) {
        r.Fail("field config is not a JSON object");
        break;
      }
      FieldConfig fc;
      if (auto ctx = c.find("context"); ctx != c.end() && ctx->is_object()) {
        Reader cr(*ctx, "field context");
        fc.is_global = cr.Bool("is_global");
        if (const json* ids = cr.Array("project_ids"))
          for (const json& id : *ids)
            if (id.is_number_integer()) fc.project_ids.push_back(id.get<int64_t>());
        if (!cr.status().ok()) return cr.status();
      }
      if (auto opt = c.find("options"); opt != c.end() && opt->is_object()) {
        Reader orr(*opt, "field options");
        fc.is_required = orr.Bool("is_required");
        fc.items = orr.Str("items");
        fc.default_value = orr.Str("default_value");
        if (!orr.status().ok()) return orr.status();
      }
      f.configs.push_back(std::move(fc));
    }
  }
  return Done(r, std::move(f));
}

Result<Milestone> ParseMilestone(const json& j) {
  Reader r(j, "milestone");
  Milestone m;
  m.id = r.RequiredInt("id");
  m.name = r.Str("name");
  m.project_id = r.Int("project_id");
  m.parent_id = r.OptInt("parent_id");
  m.is_completed = r.Bool("is_completed");
  m.is_started = r.Bool("is_started");
  m.due_on = r.OptInt("due_on");
  m.url = r.Str("url");
  if (const json* subs = r.Array("milestones")) {
    for (const json& sub : *subs) {
      auto child = ParseMilestone(sub);
      if (!child.ok()) return child.status();
      m.milestones.push_back(std::move(child).value());
    }
  }
  return Done(r, std::move(m));
}

Result<Run> ParseRun(const json& j) {
  Reader r(j, "run");
  Run run;
  run.id = r.RequiredInt("id");
  run.suite_id = r.OptInt("suite_id");
  run.name = r.Str("name");
  run.description = r.Str("description");
  run.milestone_id = r.OptInt("milestone_id");
  run.include_all = r.Bool("include_all");
  run.is_completed = r.Bool("is_completed");
  run.completed_on = r.OptInt("completed_on");
  run.passed_count = r.Int("passed_count");
  run.blocked_count = r.Int("blocked_count");
  run.untested_count = r.Int("untested_count");
  run.retest_count = r.Int("retest_count");
  run.failed_count = r.Int("failed_count");
  run.project_id = r.Int("project_id");
  run.plan_id = r.OptInt("plan_id");
  run.entry_id = r.Str("entry_id");
  if (const json* ids = r.Array("config_ids"))
    for (const auto& id : *ids)
      if (id.is_number_integer()) run.config_ids.push_back(id.get<int64_t>());
  run.created_on = r.Int("created_on");
  run.url = r.Str("url");
  return Done(r, std::move(run));
}

Result<Plan> ParsePlan(const json& j) {
  Reader r(j, "plan");
  Plan p;
  p.id = r.RequiredInt("id");
  p.name = r.Str("name");
  p.description = r.Str("description");
  p.milestone_id = r.OptInt("milestone_id");
  p.is_completed = r.Bool("is_completed");
  p.completed_on = r.OptInt("completed_on");
  p.project_id = r.Int("project_id");
  p.created_on = r.Int("created_on");
  p.url = r.Str("url");
  if (const json* entries = r.Array("entries")) {
    for (const json& e : *entries) {
      Reader er(e, "plan entry");
      PlanEntry entry;
      entry.id = er.Str("id");
      entry.suite_id = er.Int("suite_id");
      entry.name = er.Str("name");
      entry.include_all = er.Bool("include_all");
      if (const json* runs = er.Array("runs")) {
        for (const json& rj : *runs) {
          Result<Run> run = ParseRun(rj);
          if (!run.ok()) return run.status();
          entry.runs.push_back(std::move(run).value());
        }
      }
      NEXUS_RETURN_IF_ERROR(er.status());
      p.entries.push_back(std::move(entry));
    }
  }
  return Done(r, std::move(p));
}

Result<Test> ParseTest(const json& j) {
  Reader r(j, "test");
  Test t;
  t.id = r.RequiredInt("id");
  t.case_id = r.Int("case_id");
  t.run_id = r.Int("run_id");
  t.status_id = r.Int("status_id");
  t.title = r.Str("title");
  return Done(r, std::move(t));
}

Result<TestResult> ParseTestResult(const json& j) {
  Reader r(j, "result");
  TestResult t;
  t.id = r.RequiredInt("id");
  t.test_id = r.Int("test_id");
  t.status_id = r.OptInt("status_id");
  t.comment = r.Str("comment");
  t.version = r.Str("version");
  t.elapsed = r.Str("elapsed");
  t.defects = r.Str("defects");
  t.created_on = r.Int("created_on");
  t.created_by = r.Int("created_by");
  return Done(r, std::move(t));
}

json ToJson(const AddRunRequest& r) {
  json j = {{"name", r.name}, {"include_all", r.include_all}};
  if (r.suite_id) j["suite_id"] = *r.suite_id;
  if (!r.description.empty()) j["description"] = r.description;
  if (r.milestone_id) j["milestone_id"] = *r.milestone_id;
  if (r.assignedto_id) j["assignedto_id"] = *r.assignedto_id;
  if (!r.include_all) j["case_ids"] = r.case_ids;
  if (!r.refs.empty()) j["refs"] = r.refs;
  return j;
}

json ToJson(const AddPlanRequest& r) {
  json j = {{"name", r.name}};
  if (!r.description.empty()) j["description"] = r.description;
  if (r.milestone_id) j["milestone_id"] = *r.milestone_id;
  json entries = json::array();
  for (const AddPlanEntryRequest& e : r.entries) {
    json ej = {{"suite_id", e.suite_id}, {"include_all", e.include_all}};
    if (!e.name.empty()) ej["name"] = e.name;
    if (!e.description.empty()) ej["description"] = e.description;
    if (!e.include_all) ej["case_ids"] = e.case_ids;
    if (!e.runs.empty()) {
      ej["config_ids"] = e.config_ids;
      json runs = json::array();
      for (const AddPlanRunRequest& pr : e.runs) {
        json rj = {{"config_ids", pr.config_ids}, {"include_all", pr.include_all}};
        if (!pr.include_all) rj["case_ids"] = pr.case_ids;
        runs.push_back(std::move(rj));
      }
      ej["runs"] = std::move(runs);
    }
    entries.push_back(std::move(ej));
  }
  j["entries"] = std::move(entries);
  return j;
}

json ToJson(const ResultForCase& r) {
  json e = json::object();
  if (r.custom_fields.is_object()) e = r.custom_fields;
  e["case_id"] = r.case_id;
  if (r.status_id) e["status_id"] = *r.status_id;
  if (!r.comment.empty()) e["comment"] = r.comment;
  if (!r.version.empty()) e["version"] = r.version;
  if (!r.elapsed.empty()) e["elapsed"] = r.elapsed;
  if (!r.defects.empty()) e["defects"] = r.defects;
  if (r.assignedto_id) e["assignedto_id"] = *r.assignedto_id;
  return e;
}

json ToJson(const std::vector<ResultForCase>& results) {
  json arr = json::array();
  for (const ResultForCase& r : results) arr.push_back(ToJson(r));
  return json{{"results", std::move(arr)}};
}

namespace {

// `"name":"value"` escaped as nlohmann's dump does (valid UTF-8 as is; \", \\, \b \f \n \r
// \t, other control characters \u00xx).
void AppendMember(std::string& out, std::string_view name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":\"";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void AppendMember(std::string& out, std::string_view name, int64_t value) {
  out += '"';
  out += name;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

std::string ResultsForCasesBody(const std::vector<ResultForCase>& results) {
  std::string out = "{\"results\":[";
  size_t size = out.size() + 2;
  for (const ResultForCase& r : results)
    size += r.comment.size() + r.version.size() + r.elapsed.size() + r.defects.size() + 96;
  out.reserve(size);
  for (size_t k = 0; k < results.size(); ++k) {
    const ResultForCase& r = results[k];
    if (k > 0) out += ',';
    // Invalid UTF-8 takes the library's path (its error_handler_t::replace changes the bytes).
    const bool plain = (!r.custom_fields.is_object() || r.custom_fields.empty()) &&
                       IsValidUtf8(r.comment) && IsValidUtf8(r.version) && IsValidUtf8(r.elapsed) &&
                       IsValidUtf8(r.defects);
    if (!plain) {
      // One small tree at a time: the same bytes as ToJson(results).dump(), without the tree.
      out += ToJson(r).dump(-1, ' ', false, json::error_handler_t::replace);
      continue;
    }
    // The common entry written directly (issue 16: building the bodies of a wave was most of
    // the executor's own time), members in the order of nlohmann's sorted object.
    out += '{';
    if (r.assignedto_id) {
      AppendMember(out, "assignedto_id", *r.assignedto_id);
      out += ',';
    }
    AppendMember(out, "case_id", r.case_id);
    if (!r.comment.empty()) AppendMember(out += ',', "comment", r.comment);
    if (!r.defects.empty()) AppendMember(out += ',', "defects", r.defects);
    if (!r.elapsed.empty()) AppendMember(out += ',', "elapsed", r.elapsed);
    if (r.status_id) AppendMember(out += ',', "status_id", *r.status_id);
    if (!r.version.empty()) AppendMember(out += ',', "version", r.version);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace nexus::testrail
