// In-memory model of one TestRail instance and the API v2 methods that act on it.
// The transport (HTTP, auth, knobs) lives in simulator.h; this class only turns a parsed API
// call into the status code and JSON body TestRail would answer with.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace testrail_sim {

using Json = nlohmann::json;

// One parsed API call: `/api/v2/<method>/<ids...>&<filters>`.
struct ApiCall {
  std::string method;
  std::vector<std::string> ids;                              // path segments after the method
  std::vector<std::pair<std::string, std::string>> filters;  // decoded, in request order
  Json body = Json::object();                                // POST body (object) or {}
  std::string attachment_name;                               // multipart `attachment` file name
  size_t attachment_size = 0;
  bool has_attachment = false;
  std::string attachment_type;                   // the part's Content-Type
  const std::string* attachment_data = nullptr;  // the part's bytes (valid during Handle)
  int64_t user_id = 1;                           // authenticated user
};

// What the model answers. `body_is_empty` models TestRail's empty 200 for deletes.
struct ApiResponse {
  int status = 200;
  Json body;
  bool body_is_empty = false;
  size_t results_written = 0;  // for the per-result latency knob
  // get_attachment: the stored file to send as the body (instead of JSON), its media type.
  std::string file_path;
  std::string file_type;
};

struct UserRecord {
  int64_t id = 0;
  std::string name;
  std::string email;
  std::string password;
  std::string api_key;
  bool is_active = true;
  bool is_admin = true;
};

// One configuration of a custom field: where it applies (global or some projects) and its
// options. TestRail allows several per field; the command line makes one.
struct FieldConfig {
  int64_t id = 0;
  bool is_global = true;
  std::vector<int64_t> project_ids = {};  // when !is_global
  bool is_required = false;
  std::string default_value = {};
  std::vector<std::pair<int64_t, std::string>> items = {};  // dropdown / multi-select: id, label
};

// A custom case or result field (get_case_fields / get_result_fields).
struct CustomField {
  int64_t id = 0;
  bool is_result = true;  // result field, else case field
  std::string name;       // without the "custom_" prefix; system_name() adds it
  std::string label;
  std::string description;
  int type_id = 1;  // 1 String … 12 Multi-select (shared/spec/testrail-api.md)
  int display_order = 0;
  bool is_active = true;
  bool include_all = true;  // applies to every template; else only to template_ids
  std::vector<int64_t> template_ids;
  std::vector<FieldConfig> configs;
  std::string system_name() const { return "custom_" + name; }
};

// TestRail's field type ids, by the names the command line uses.
enum FieldType : int {
  kFieldString = 1,
  kFieldInteger = 2,
  kFieldText = 3,
  kFieldUrl = 4,
  kFieldCheckbox = 5,
  kFieldDropdown = 6,
  kFieldUser = 7,
  kFieldDate = 8,
  kFieldMilestone = 9,
  kFieldSteps = 10,
  kFieldStepResults = 11,
  kFieldMultiSelect = 12,
};

// Parses the --result-field syntax:
//   name=custom_env,type=dropdown,options=Staging|Prod,required=true
// optional keys: label=, description=, default=, projects=1|2 (else global),
// templates=1|2 (else all templates). `name=version,required=true` makes the system field
// `version` required instead (*version_required set, no field produced). Types: string,
// integer, text, url, checkbox, dropdown, user, date, milestone, steps, step_results,
// multiselect. False + *error on bad input.
bool ParseFieldSpec(const std::string& text, CustomField* field, bool* version_required,
                    std::string* error);

// A configuration group as --configs gives it: "Platform=PC|PS5|Xbox".
struct ConfigGroupSpec {
  std::string name;
  std::vector<std::string> configs;
};
bool ParseConfigGroupSpec(const std::string& text, ConfigGroupSpec* spec, std::string* error);

// Parameters of the deterministic generator (see docs/testrail-sim.md).
struct GenerateSpec {
  int projects = 1;
  int suites = 1;           // suites of each multi-suite project
  int sections = 10;        // sections per suite
  int cases = 100;          // cases per suite of project 1; other projects get cases / 10
  int depth = 3;            // maximal section nesting depth
  int custom_statuses = 0;  // 0..7 custom statuses (ids 6..)
  // Realism of company instances (issue 14), all off by default so a plain simulator stays
  // as permissive as before for existing clients:
  std::vector<CustomField> result_fields = {};  // --result-field, in addition to the defaults
  bool version_required = false;                // --result-field name=version,required=true
  std::vector<ConfigGroupSpec> configs = {};    // --configs, a group in every project
  int milestones = 0;                           // --milestones N per project (some nested)
  bool steps_template = false;                  // --steps-template: cases use separated steps
};

// Parses "projects=2,suites=3,cases=1000". Returns false (and sets *error) on bad input.
bool ParseGenerateSpec(const std::string& text, GenerateSpec* spec, std::string* error);

// Thread-safe: every public method takes mutex_. Handlers never block on I/O.
class Model {
 public:
  Model();
  ~Model();  // removes the attachment directory
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The base URL used in `url` fields (e.g. "http://127.0.0.1:8081/testrail").
  void SetBaseUrl(const std::string& base_url);
  // Paging quirk: `_links.next` carries limit=0 (which the server then rejects).
  void SetNextLinkLimitZero(bool on);
  // get_suites paginated (TestRail 9.3.1+) instead of a plain array.
  void SetSuitesPaginated(bool on);
  // Cloud 7.1+: add_attachment_to_result answers {"attachment_id": "<string>"}.
  void SetStringAttachmentIds(bool on);

  // True if `method` is an API method this simulator knows; *is_write tells POST-only ones.
  bool KnownMethod(const std::string& method, bool* is_write) const;

  // Executes one API call (already authenticated, verb and content type checked).
  ApiResponse Handle(const ApiCall& call);

  // Users and authentication.
  void SetUsers(std::vector<UserRecord> users);
  // Returns the user id for email + (password or API key), or nullopt.
  std::optional<int64_t> Authenticate(const std::string& email, const std::string& secret) const;

  // Data loading. Generate() and LoadJson() replace the whole instance.
  void Generate(const GenerateSpec& spec);
  // Loads a snapshot or a hand-written description (missing fields get defaults).
  bool LoadJson(const Json& data, std::string* error);
  Json ToJson() const;
  void SetCustomStatuses(int count);
  // Adds the issue-14 extras of `spec` (result fields, required version, config groups,
  // milestones, separated steps) to whatever is loaded; Generate() applies them itself.
  void AddExtras(const GenerateSpec& spec);

  // Direct accessors for tests (no HTTP, no knobs). All return false / nullopt if the entity
  // does not exist.
  bool UpdateCaseTitle(int64_t case_id, const std::string& title);
  bool DeleteCase(int64_t case_id);
  std::optional<int64_t> AddCase(int64_t section_id, const std::string& title);
  std::optional<Json> GetCase(int64_t case_id) const;
  std::optional<Json> GetRun(int64_t run_id) const;
  std::optional<Json> GetPlan(int64_t plan_id) const;
  // Results of a run, oldest first.
  std::vector<Json> ResultsForRun(int64_t run_id) const;
  size_t CaseCount() const;    // live cases
  size_t RunCount() const;     // runs, including plan runs
  size_t ResultCount() const;  // all results
  // Overrides the clock (UNIX seconds); nullptr restores the real clock.
  void SetClock(std::function<int64_t()> clock);

  // Attachment bytes live in files of a private temporary directory (created on the first
  // upload, removed with the model), never in the model itself. The stored file of one
  // attachment and its media type; false when unknown or its bytes are gone (a snapshot
  // carries attachment metadata only).
  bool AttachmentFile(int64_t id, std::string* path, std::string* media_type) const;
  size_t AttachmentCount() const;

  // For the HTML view: a read-only visit under the lock.
  void Visit(const std::function<void(const Model&)>& fn) const;

  // Entities (public for the HTML view and the snapshot code; guarded by mutex_).
  struct Project {
    int64_t id = 0;
    std::string name;
    std::string announcement;
    int suite_mode = 1;
    bool is_completed = false;
    int64_t completed_on = 0;
  };
  struct Suite {
    int64_t id = 0;
    int64_t project_id = 0;
    std::string name;
    std::string description;
    bool is_master = false;
    bool is_baseline = false;
    bool is_completed = false;
    int64_t completed_on = 0;
  };
  struct Section {
    int64_t id = 0;
    int64_t suite_id = 0;
    std::string name;
    std::string description;
    int64_t parent_id = 0;  // 0 = top level
    int64_t display_order = 0;
    int depth = 0;
  };
  struct Case {
    int64_t id = 0;
    int64_t section_id = 0;
    int64_t suite_id = 0;
    std::string title;
    int template_id = 1;
    int type_id = 7;
    int priority_id = 2;
    int64_t milestone_id = 0;
    std::string refs;
    std::string estimate;
    int64_t created_on = 0;
    int64_t updated_on = 0;
    int64_t created_by = 1;
    int64_t updated_by = 1;
    int64_t display_order = 0;
    bool is_deleted = false;
    Json custom = Json::object();  // custom_* fields
  };
  struct Test {
    int64_t id = 0;
    int64_t case_id = 0;
    int64_t run_id = 0;
    int status_id = 3;
    int64_t assignedto_id = 0;
    std::string title;  // snapshot, used when the case is gone
  };
  struct Result {
    int64_t id = 0;
    int64_t test_id = 0;
    int64_t run_id = 0;
    int status_id = 0;  // 0 = none (comment only)
    std::string comment;
    std::string version;
    std::string elapsed;
    std::string defects;
    int64_t assignedto_id = 0;
    int64_t created_on = 0;
    int64_t created_by = 1;
    std::vector<int64_t> attachment_ids;
    Json custom = Json::object();
  };
  struct Run {
    int64_t id = 0;
    int64_t project_id = 0;
    int64_t suite_id = 0;
    std::string name;
    std::string description;
    int64_t milestone_id = 0;
    int64_t assignedto_id = 0;
    bool include_all = true;
    bool is_completed = false;
    int64_t completed_on = 0;
    int64_t plan_id = 0;
    std::string entry_id;
    int entry_index = 0;
    std::vector<int64_t> config_ids;
    std::string refs;
    int64_t created_on = 0;
    int64_t updated_on = 0;
    int64_t created_by = 1;
    std::vector<int64_t> test_ids;                      // in case order
    std::unordered_map<int64_t, int64_t> test_by_case;  // case id -> test id
    std::vector<int64_t> result_ids;                    // oldest first
    int64_t counts[13] = {};                            // tests per status id
  };
  struct Entry {
    std::string id;
    int64_t suite_id = 0;
    std::string name;
    std::string description;
    bool include_all = true;
    std::string refs;
    std::vector<int64_t> config_ids;  // the entry's configurations (union of its runs')
    std::vector<int64_t> run_ids;
  };
  struct Plan {
    int64_t id = 0;
    int64_t project_id = 0;
    std::string name;
    std::string description;
    int64_t milestone_id = 0;
    int64_t assignedto_id = 0;
    bool is_completed = false;
    int64_t completed_on = 0;
    int64_t created_on = 0;
    int64_t created_by = 1;
    std::vector<Entry> entries;
  };
  struct Status {
    int id = 0;
    std::string name;
    std::string label;
    int64_t color_dark = 0;
    int64_t color_medium = 0;
    int64_t color_bright = 0;
    bool is_system = false;
    bool is_untested = false;
    bool is_final = false;
  };
  struct Milestone {
    int64_t id = 0;
    int64_t project_id = 0;
    int64_t parent_id = 0;  // 0 = top level
    std::string name;
    std::string description;
    std::string refs;
    int64_t start_on = 0;
    int64_t started_on = 0;
    int64_t due_on = 0;
    bool is_started = false;
    bool is_completed = false;
    int64_t completed_on = 0;
  };
  struct ConfigGroup {
    int64_t id = 0;
    int64_t project_id = 0;
    std::string name;
    std::vector<int64_t> config_ids;  // in creation order
  };
  struct Config {
    int64_t id = 0;
    int64_t group_id = 0;
    std::string name;
  };
  struct Label {  // TestRail 9.x case labels
    int64_t id = 0;
    int64_t project_id = 0;
    std::string title;
    int64_t created_by = 1;
    int64_t created_on = 0;
  };
  struct Template {
    int64_t id = 0;
    std::string name;
    bool is_default = false;
  };
  struct Attachment {
    int64_t id = 0;
    int64_t result_id = 0;  // 0 for a run attachment
    int64_t run_id = 0;
    int64_t test_id = 0;  // of the result
    int64_t project_id = 0;
    int64_t user_id = 1;
    std::string name;
    std::string media_type;
    size_t size = 0;
    int64_t created_on = 0;
    std::string path;  // file in the attachment directory; "" when loaded from a snapshot
  };

  // Read-only views for the HTML page (call inside Visit()).
  const std::map<int64_t, Project>& projects() const { return projects_; }
  const std::map<int64_t, Suite>& suites() const { return suites_; }
  const std::map<int64_t, Section>& sections() const { return sections_; }
  const std::unordered_map<int64_t, Case>& cases() const { return cases_; }
  const std::map<int64_t, Run>& runs() const { return runs_; }
  const std::map<int64_t, Plan>& plans() const { return plans_; }
  const std::unordered_map<int64_t, Test>& tests() const { return tests_; }
  const std::unordered_map<int64_t, Result>& results() const { return results_; }
  const std::map<int64_t, Attachment>& attachments() const { return attachments_; }
  const std::vector<Status>& statuses() const { return statuses_; }
  const std::map<int64_t, CustomField>& fields() const { return fields_; }
  const std::map<int64_t, Milestone>& milestones() const { return milestones_; }
  const std::map<int64_t, ConfigGroup>& config_groups() const { return config_groups_; }
  const std::map<int64_t, Config>& configs() const { return configs_; }
  // "PS5, Windows": the names of a run's configurations as TestRail's `config` shows them.
  std::string ConfigNames(const std::vector<int64_t>& config_ids) const;
  const std::vector<int64_t>& SuiteSectionOrder(int64_t suite_id) const;
  const std::vector<int64_t>& SectionCases(int64_t section_id) const;
  const std::vector<int64_t>& SuiteCases(int64_t suite_id) const;
  std::string StatusLabel(int status_id) const;

 private:
  using Handler = ApiResponse (Model::*)(const ApiCall&);
  struct MethodInfo {
    bool is_write;
    Handler handler;
  };

  int64_t Now() const;
  void ClearLocked();
  void RebuildIndexesLocked();
  void RenumberSectionsLocked(int64_t suite_id);

  // JSON views.
  Json ProjectJson(const Project& p) const;
  Json SuiteJson(const Suite& s) const;
  Json SectionJson(const Section& s) const;
  Json CaseJson(const Case& c) const;
  Json RunJson(const Run& r) const;
  Json PlanJson(const Plan& p, bool with_entries) const;
  Json EntryJson(const Entry& e) const;
  Json TestJson(const Test& t) const;
  Json ResultJson(const Result& r) const;
  Json StatusJson(const Status& s) const;
  Json UserJson(const UserRecord& u) const;
  Json FieldJson(const CustomField& f) const;
  Json MilestoneJson(const Milestone& m, bool with_children) const;
  Json ConfigGroupJson(const ConfigGroup& g) const;
  Json ConfigJson(const Config& c) const;

  // Fields, configurations and milestones (model_fields.cc, model_plans.cc).
  void SetDefaultFieldsLocked();
  // Adds the realism extras of `spec` (fields, configs, milestones, steps) to the loaded data.
  void ApplyExtrasLocked(const GenerateSpec& spec);
  const FieldConfig* FieldConfigFor(const CustomField& f, int64_t project_id) const;
  bool FieldAppliesTo(const CustomField& f, int64_t template_id) const;
  // "" or TestRail's text for a bad value of field `f` (bulk: inside add_results*).
  std::string CheckFieldValueLocked(const CustomField& f, const FieldConfig& cfg,
                                    int64_t project_id, const Json& v) const;
  // Required/typed custom result fields and the required `version` of one result entry.
  std::string CheckResultFieldsLocked(int64_t project_id, int64_t test_id, const Json& entry,
                                      bool bulk) const;
  bool ValidMilestoneLocked(int64_t project_id, const Json& value) const;
  bool ValidUserLocked(const Json& value) const;
  // Validates config ids of a plan entry and its runs (all in `project_id`, at most one per
  // group in a run, a run's ids a subset of the entry's when the entry lists some).
  bool CheckEntryConfigsLocked(int64_t project_id, const Json& entry, ApiResponse* err) const;
  // Shared validation of a plan entry spec (add_plan, add_plan_entry): suite, cases,
  // milestone, assignee, configs. Fills *suite_id and the merged per-run specs.
  // Creates a validated entry (PrepareEntryLocked) and its runs in `plan`.
  Entry& CreateEntryLocked(Plan& plan, const Project& project, int64_t suite_id, const Json& spec,
                           const std::vector<Json>& run_specs, int64_t user_id);
  bool PrepareEntryLocked(const Project& project, const Json& spec, int64_t* suite_id,
                          std::vector<Json>* run_specs, ApiResponse* err) const;

  // Wraps items in TestRail's paginated envelope or answers 400 for bad limit/offset.
  ApiResponse Paginate(const ApiCall& call, const std::string& key,
                       const std::function<std::vector<Json>(size_t offset, size_t limit,
                                                             size_t* total)>& page) const;

  // Shared helpers. They return an error response in *err and false on failure.
  bool ResolveSuite(const Project& project, const Json& suite_value, bool required_present,
                    int64_t* suite_id, ApiResponse* err) const;
  bool CreateRunLocked(const Project& project, int64_t suite_id, const Json& spec, int64_t plan_id,
                       const std::string& entry_id, int entry_index, int64_t user_id,
                       int64_t* run_id, ApiResponse* err);
  bool BuildCaseListLocked(int64_t suite_id, bool include_all, const Json& case_ids,
                           std::vector<int64_t>* out, ApiResponse* err) const;
  void SetRunCasesLocked(Run& run, const std::vector<int64_t>& case_ids);
  // update_run and the plan-run updates: validate `body` against `run` (nothing changed),
  // then apply it. *case_ids / *cases_change carry the new case selection.
  bool CheckRunUpdateLocked(const Run& run, const Json& body, std::vector<int64_t>* case_ids,
                            bool* cases_change, ApiResponse* err) const;
  void ApplyRunUpdateLocked(Run& run, const Json& body, const std::vector<int64_t>& case_ids,
                            bool cases_change);
  void DeleteRunLocked(int64_t run_id);
  bool AddCaseLocked(int64_t section_id, const Json& body, int64_t user_id, int64_t* case_id,
                     ApiResponse* err);
  void RemoveCaseFromIndexesLocked(const Case& c);
  void MarkCaseDeletedLocked(Case& c);
  void ApplyCaseFields(Case& c, const Json& body);
  // Validates one result entry; returns "" or the reason in parentheses' text.
  // Validates one result entry; returns "" or TestRail's full error text (bulk: the
  // add_results* wording, else add_result(_for_case)'s).
  std::string ValidateResultEntry(const Run& run, const Json& entry, bool by_case, bool bulk,
                                  int64_t* test_id) const;
  int64_t StoreResultLocked(Run& run, int64_t test_id, const Json& entry, int64_t user_id);

  // API methods.
  ApiResponse GetProjects(const ApiCall& c);
  ApiResponse GetProject(const ApiCall& c);
  ApiResponse GetSuites(const ApiCall& c);
  ApiResponse GetSuite(const ApiCall& c);
  ApiResponse AddSuite(const ApiCall& c);
  ApiResponse GetSections(const ApiCall& c);
  ApiResponse GetSection(const ApiCall& c);
  ApiResponse AddSection(const ApiCall& c);
  ApiResponse GetCases(const ApiCall& c);
  ApiResponse GetCaseApi(const ApiCall& c);
  ApiResponse AddCaseApi(const ApiCall& c);
  ApiResponse UpdateCase(const ApiCall& c);
  ApiResponse DeleteCaseApi(const ApiCall& c);
  ApiResponse GetStatuses(const ApiCall& c);
  ApiResponse GetUsers(const ApiCall& c);
  ApiResponse GetUser(const ApiCall& c);
  ApiResponse GetUserByEmail(const ApiCall& c);
  ApiResponse GetCurrentUser(const ApiCall& c);
  ApiResponse AddRun(const ApiCall& c);
  ApiResponse GetRunApi(const ApiCall& c);
  ApiResponse GetRuns(const ApiCall& c);
  ApiResponse UpdateRun(const ApiCall& c);
  ApiResponse CloseRun(const ApiCall& c);
  ApiResponse DeleteRun(const ApiCall& c);
  ApiResponse AddPlan(const ApiCall& c);
  ApiResponse AddPlanEntry(const ApiCall& c);
  ApiResponse GetPlanApi(const ApiCall& c);
  ApiResponse GetPlans(const ApiCall& c);
  ApiResponse ClosePlan(const ApiCall& c);
  ApiResponse DeletePlan(const ApiCall& c);
  ApiResponse AddResultsForCases(const ApiCall& c);
  ApiResponse AddResultForCase(const ApiCall& c);
  ApiResponse AddResults(const ApiCall& c);
  ApiResponse AddResult(const ApiCall& c);
  ApiResponse GetTests(const ApiCall& c);
  ApiResponse GetTest(const ApiCall& c);
  ApiResponse GetResultsForRun(const ApiCall& c);
  ApiResponse GetResultsForCase(const ApiCall& c);
  ApiResponse GetResults(const ApiCall& c);
  ApiResponse AddAttachmentToResult(const ApiCall& c);
  ApiResponse AddAttachmentToRun(const ApiCall& c);
  ApiResponse GetAttachmentsForTest(const ApiCall& c);
  ApiResponse GetAttachmentsForRun(const ApiCall& c);
  ApiResponse GetAttachmentApi(const ApiCall& c);
  ApiResponse DeleteAttachment(const ApiCall& c);
  // Stores the call's bytes as a new attachment (file written before the id is taken).
  ApiResponse StoreAttachmentLocked(const ApiCall& c, Attachment a);
  Json AttachmentJson(const Attachment& a) const;
  ApiResponse GetResultFields(const ApiCall& c);
  ApiResponse GetCaseFields(const ApiCall& c);
  ApiResponse GetTemplates(const ApiCall& c);
  ApiResponse GetConfigs(const ApiCall& c);
  ApiResponse AddConfigGroup(const ApiCall& c);
  ApiResponse AddConfig(const ApiCall& c);
  ApiResponse GetMilestones(const ApiCall& c);
  ApiResponse GetMilestoneApi(const ApiCall& c);
  ApiResponse AddMilestone(const ApiCall& c);
  ApiResponse UpdatePlanEntry(const ApiCall& c);
  ApiResponse UpdateRunInPlanEntry(const ApiCall& c);
  ApiResponse DeleteSection(const ApiCall& c);
  ApiResponse DeleteSuite(const ApiCall& c);
  ApiResponse DeleteCases(const ApiCall& c);
  ApiResponse GetLabels(const ApiCall& c);

  static const std::map<std::string, MethodInfo>& Methods();

  mutable std::mutex mutex_;  // guards everything below
  std::string base_url_;
  bool next_limit_zero_ = false;
  bool suites_paginated_ = false;
  bool string_attachment_ids_ = false;
  std::function<int64_t()> clock_;

  std::vector<UserRecord> users_;
  std::vector<Status> statuses_;
  std::map<int64_t, Project> projects_;
  std::map<int64_t, Suite> suites_;
  std::map<int64_t, Section> sections_;
  std::unordered_map<int64_t, Case> cases_;
  std::map<int64_t, Run> runs_;
  std::map<int64_t, Plan> plans_;
  std::unordered_map<int64_t, Test> tests_;
  std::unordered_map<int64_t, Result> results_;
  std::map<int64_t, Attachment> attachments_;
  std::string attachment_dir_;             // created on the first upload
  std::map<int64_t, CustomField> fields_;  // case and result fields share one id space
  std::vector<Template> templates_;
  bool version_required_ = false;
  std::map<int64_t, Milestone> milestones_;
  std::map<int64_t, ConfigGroup> config_groups_;
  std::map<int64_t, Config> configs_;
  std::map<int64_t, Label> labels_;

  // Indexes: live case ids per suite and per section (ascending), sections per suite in
  // tree pre-order.
  std::unordered_map<int64_t, std::vector<int64_t>> suite_cases_;
  std::unordered_map<int64_t, std::vector<int64_t>> section_cases_;
  std::unordered_map<int64_t, std::vector<int64_t>> suite_sections_;

  int64_t next_project_id_ = 1, next_suite_id_ = 1, next_section_id_ = 1, next_case_id_ = 1,
          next_run_id_ = 1, next_plan_id_ = 1, next_test_id_ = 1, next_result_id_ = 1,
          next_attachment_id_ = 1, uuid_counter_ = 1, next_field_id_ = 1, next_milestone_id_ = 1,
          next_config_group_id_ = 1, next_config_id_ = 1;
};

}  // namespace testrail_sim
