// ExportService: validation, planning, recording and job orchestration of exports. See
// export_service.h and docs/export.md.
#include "integration/export_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "auth/secret_box.h"
#include "core/step_results.h"
#include "domain/artifact_service.h"
#include "integration/step_templates.h"
#include "testrail/errors.h"

namespace nexus::integration {

using Json = nlohmann::json;

namespace {

std::string NewNonce() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  uint64_t v = gen();
  for (int i = 0; i < 16; ++i) {
    s.push_back(kHex[v & 0xf]);
    v >>= 4;
  }
  return s;
}

std::string JoinIds(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

constexpr char kDeferred[] = "deferred";
constexpr char kSuperseded[] = "superseded";  // Store: a later attempt owns the export

// Failures that go away by themselves (network, overload, maintenance, a write whose outcome
// reconciliation could not establish yet). Not: TLS and "not a TestRail" answers, which are
// configuration problems, nor anything TestRail rejected.
bool IsTransient(const Status& st) {
  if (st.code() == StatusCode::kTimeout) return true;
  if (st.code() != StatusCode::kUnavailable) return false;
  const auto kind = testrail::ErrorKindOf(st);
  return kind != testrail::TestRailErrorKind::kTls &&
         kind != testrail::TestRailErrorKind::kNotTestRail;
}

}  // namespace

ExportService::ExportService(Store& store, TestRailConfigService& config, jobs::JobRunner& jobs,
                             const Clock& clock, obs::Metrics* metrics, CatalogFreshness& catalog,
                             ExportServiceOptions options)
    : store_(store),
      config_(config),
      jobs_(jobs),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      executor_(store, clock, metrics, options_.executor),
      catalog_(catalog) {
  if (metrics_ != nullptr) {
    metrics_->Describe("nexus_exports_total", "counter", "Finished TestRail exports by state.");
    metrics_->Describe("nexus_export_duration_seconds", "histogram",
                       "Duration of finished TestRail exports.");
    metrics_->Describe("nexus_export_results_sent_total", "counter",
                       "Results delivered to TestRail by exports.");
  }
  jobs_.Register(kExportJobKind, [this](jobs::JobContext& ctx) -> Result<Json> {
    Json payload = Json::parse(ctx.job().payload_json, nullptr, false);
    if (!payload.is_object() || !payload.contains("export_id") ||
        !payload["export_id"].is_number_integer())
      return Internal("testrail_export job without export_id");
    int64_t id = payload["export_id"].get<int64_t>();
    const TimeMs give_up_at = clock_.NowMs() + options_.transient_retry_window.count();
    std::chrono::milliseconds backoff = options_.retry_backoff_min;
    Status st;
    for (;;) {
      const bool final_attempt = clock_.NowMs() >= give_up_at;
      st = Execute(id, final_attempt, [&ctx] { return ctx.StopRequested(); });
      // Not ok = the export is still running: TestRail unavailable (deferred), the store
      // failing (e.g. locked by another process), or the process stopping. Tried again here
      // with backoff; a stopping process leaves it to the next one.
      if (st.ok() || ctx.StopRequested() || final_attempt || st.reason() == kSuperseded) break;
      if (st.reason() == kDeferred)
        spdlog::warn("event=export_deferred export_id={} retry_in_ms={} reason=\"{}\"", id,
                     backoff.count(), st.message());
      else
        spdlog::warn("event=export_store_error export_id={} retry_in_ms={} error=\"{}\"", id,
                     backoff.count(), st.message());
      auto until = std::chrono::steady_clock::now() + backoff;
      while (std::chrono::steady_clock::now() < until && !ctx.StopRequested())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (ctx.StopRequested()) return st;  // stays running: the next process resumes it
      backoff = std::min(backoff * 2, options_.retry_backoff_max);
    }
    if (!st.ok()) return st;  // still running (stop, or the store down for the whole window)
    auto rec = store_.GetExport(0, id, false);
    return Json{{"export_id", id},
                {"state", rec.ok() ? std::string(ExportStateName(rec->state)) : "unknown"}};
  });
}

void ExportService::SetProgressListener(
    std::function<void(int64_t export_id, int64_t done, int64_t total)> fn) {
  progress_ = std::move(fn);
}

void ExportService::SetAttachmentProgressListener(
    std::function<void(int64_t export_id, const ExportAttachmentProgress&)> fn) {
  attachment_progress_ = std::move(fn);
}

Result<int64_t> ExportService::EnqueueJob(const ExportRecord& rec) {
  return jobs_.Enqueue(kExportJobKind, rec.project_id, Json{{"export_id", rec.id}},
                       "testrail_export:" + std::to_string(rec.id));
}

Status ExportService::ResumeOrphans() {
  NEXUS_ASSIGN_OR_RETURN(auto ids, store_.ListActiveExports());
  for (int64_t id : ids) {
    auto rec = store_.GetExport(0, id, false);
    if (!rec.ok()) continue;
    auto job = EnqueueJob(*rec);
    if (job.ok())
      spdlog::info("event=export_requeued export_id={} job_id={}", id, *job);
    else if (job.status().code() != StatusCode::kConflict)
      return job.status();  // Conflict: its job is still queued/running and will resume
  }
  return Status::Ok();
}

Status ValidateExportSource(const ExportSourceSpec& source) {
  if (source.run_ids && (source.run_ids->empty() || source.run_ids->size() > kMaxRunsPerExport))
    return InvalidArgument("run_ids must hold 1 to " + std::to_string(kMaxRunsPerExport) + " items",
                           "run_ids", "invalid_value");
  const int n = (source.run_id ? 1 : 0) + (source.run_ids ? 1 : 0) + (source.execution_id ? 1 : 0);
  if (n == 0)
    return InvalidArgument("give one of run_id, run_ids or execution_id", "run_id",
                           "missing_field");
  if (n > 1)
    return InvalidArgument("give only one of run_id, run_ids and execution_id",
                           source.run_id && source.run_ids ? "run_ids" : "execution_id",
                           "invalid_value");
  return Status::Ok();
}

Result<std::string> ValidateCustomRunName(std::string_view name) {
  const std::string field = "custom_run_name";
  if (name.empty()) return InvalidArgument(field + " must not be empty", field, "invalid_value");
  if (!IsValidUtf8(name))
    return InvalidArgument(field + " is not valid UTF-8", field, "invalid_value");
  if (Utf8Length(name) > kMaxTestRailNameChars)
    return InvalidArgument(
        field + " must be 1 to " + std::to_string(kMaxTestRailNameChars) + " characters", field,
        "invalid_value");
  const std::string_view trimmed = TrimAscii(name);
  if (trimmed.empty()) return InvalidArgument(field + " must not be blank", field, "invalid_value");
  for (char c : trimmed)
    if (IsControl(static_cast<unsigned char>(c)))
      return InvalidArgument(field + " must not contain control characters", field,
                             "invalid_value");
  return std::string(trimmed);
}

namespace {

// The runs of an export's source, what the planner is told about the source, and the
// record's dedupe fields.
struct SourceRuns {
  std::vector<Run> runs;
  ExportSource source;
  std::vector<int64_t> source_ids;
  std::string source_key;
};

// The runs of an execution (test_plan source), every page.
Result<SourceRuns> ExecutionRuns(Store& store, int64_t project_id, int64_t execution_id) {
  auto ex = store.GetExecution(project_id, execution_id);
  if (!ex.ok())
    return InvalidArgument(
        "execution " + std::to_string(execution_id) + " does not exist in this project",
        "execution_id", "unknown_execution");
  SourceRuns out;
  out.source.kind = ExportSourceKind::kTestPlan;
  out.source.execution_id = ex->id;
  auto plan = store.GetPlan(project_id, ex->plan_id);
  if (plan.ok()) out.source.plan_name = plan->name;
  PageRequest page{0, 500};
  while (true) {
    RunFilter f;
    f.execution_id = ex->id;
    NEXUS_ASSIGN_OR_RETURN(auto batch, store.ListRuns(project_id, f, page));
    for (auto& r : batch) out.runs.push_back(std::move(r));
    if (batch.size() < static_cast<size_t>(page.limit)) break;
    page.after_id = out.runs.back().id;
  }
  out.source_ids = {ex->id};
  out.source_key = "execution:" + std::to_string(ex->id);
  return out;
}

// The runs named by run_id / run_ids: each once, existing and finished.
Result<SourceRuns> NamedRuns(Store& store, int64_t project_id, const ExportSourceSpec& src) {
  const std::vector<int64_t> ids =
      src.run_id ? std::vector<int64_t>{*src.run_id} : src.run_ids.value_or(std::vector<int64_t>{});
  SourceRuns out;
  std::set<int64_t> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string field = src.run_id ? "run_id" : "run_ids[" + std::to_string(i) + "]";
    if (!seen.insert(ids[i]).second)
      return InvalidArgument("run " + std::to_string(ids[i]) + " is listed twice", field,
                             "invalid_value");
    auto run = store.GetRun(project_id, ids[i]);
    if (!run.ok())
      return InvalidArgument("run " + std::to_string(ids[i]) + " does not exist in this project",
                             field, "unknown_run");
    if (!run->finished())
      return InvalidArgument("run " + std::to_string(ids[i]) +
                                 " has not finished yet; only finished runs can be exported",
                             field, "run_not_finished");
    out.runs.push_back(std::move(run).value());
  }
  out.source.kind = src.run_id ? ExportSourceKind::kSingleRun : ExportSourceKind::kMultipleRuns;
  out.source_ids = std::vector<int64_t>(seen.begin(), seen.end());
  out.source_key = "runs:" + JoinIds(out.source_ids);
  return out;
}

// The project's TestRail configuration, Conflict when it cannot take an export.
Result<TestRailConfigView> ExportableConfig(TestRailConfigService& config, int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigView cfg, config.Get(project_id));
  if (!cfg.connection)
    return Conflict("TestRail is not connected for this project", "not_connected");
  if (!cfg.connection->api_key_readable) return auth::SecretUnreadable();
  if (!cfg.project)
    return Conflict("no TestRail project is selected (Configs → TestRail)", "no_project_selected");
  if (cfg.mapping.unreadable)
    return Conflict(
        "the stored status mapping cannot be read; save the mapping again under Configs → "
        "TestRail before exporting (nothing was sent)",
        "mapping_unreadable");
  if (cfg.suites.empty())
    return Conflict("no TestRail suite is selected (Configs → TestRail)", "no_suites_selected");
  return cfg;
}

// The tests of `runs` (a deleted test is absent; the store failing is an error).
Result<std::map<int64_t, Test>> TestsOf(Store& store, int64_t project_id,
                                        const std::vector<Run>& runs) {
  std::set<int64_t> test_ids;
  for (const auto& r : runs) test_ids.insert(r.test_id);
  std::map<int64_t, Test> tests;
  for (int64_t t : test_ids) {
    auto test = store.GetTest(project_id, t);
    if (test.ok())
      tests.emplace(t, std::move(test).value());
    else if (test.status().code() != StatusCode::kNotFound)
      return test.status();  // the store failing is not "deleted"
  }
  return tests;
}

// The TestRail links of `tests` by test, read a few tests at a time (issue 16: a page of link
// records at a time, kept as case ids only).
Result<std::map<int64_t, TestLinks>> LinksOf(Store& store, int64_t project_id,
                                             const std::map<int64_t, Test>& tests) {
  constexpr size_t kTestsPerRead = 25;
  std::map<int64_t, TestLinks> by_test;
  std::vector<int64_t> tids;
  auto read = [&]() -> Status {
    NEXUS_ASSIGN_OR_RETURN(auto links, store.ListTestRailLinks(project_id, tids));
    for (const auto& l : links) {
      if (l.step_id.empty())
        by_test[l.test_id].case_ids.push_back(l.case_id);
      else
        by_test[l.test_id].step_case_ids[l.step_id].push_back(l.case_id);
    }
    tids.clear();
    return Status::Ok();
  };
  for (const auto& entry : tests) {
    tids.push_back(entry.first);
    if (tids.size() == kTestsPerRead) NEXUS_RETURN_IF_ERROR(read());
  }
  if (!tids.empty()) NEXUS_RETURN_IF_ERROR(read());
  return by_test;
}

// The catalog entries of `case_ids` (ascending), read a page at a time, without titles (the
// planner does not use them).
Result<std::vector<CatalogCase>> CatalogOf(Store& store, int64_t project_id,
                                           const std::vector<int64_t>& case_ids) {
  constexpr size_t kCasesPerRead = 2000;
  std::vector<CatalogCase> out;
  for (size_t i = 0; i < case_ids.size(); i += kCasesPerRead) {
    const std::vector<int64_t> page(case_ids.begin() + static_cast<std::ptrdiff_t>(i),
                                    case_ids.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                           case_ids.size(), i + kCasesPerRead)));
    NEXUS_ASSIGN_OR_RETURN(auto cases, store.GetCatalogCases(project_id, page));
    for (const auto& c : cases) out.push_back(CatalogCase{c.id, c.suite_id, {}, c.is_deleted});
  }
  std::sort(out.begin(), out.end(),
            [](const CatalogCase& a, const CatalogCase& b) { return a.case_id < b.case_id; });
  return out;
}

// The planner's options of an export: the request's name, the project's TestRail options,
// the instance's status labels.
ExportOptions PlanOptions(const StartExportRequest& req, const Project& project,
                          const TestRailConfigView& cfg, std::optional<std::string> custom_name,
                          TestRailConfigService& config, const std::string& public_url,
                          TimeMs now) {
  ExportOptions o;
  o.custom_name = std::move(custom_name);
  o.name_template = cfg.options.run_name_template.value_or("");
  o.project_id = req.project_id;
  o.project_name = project.name;
  o.now = now;
  o.public_url = public_url;
  o.milestone_id = req.milestone_id ? req.milestone_id : cfg.options.milestone_id;
  if (auto st = config.Statuses(req.project_id, false); st.ok())
    for (const auto& s : st->statuses)
      o.status_labels[static_cast<int>(s.id)] = s.label.empty() ? s.name : s.label;
  return o;
}

// The export row of a prepared export (state queued; the plan snapshot is added on create).
ExportRecord NewRecord(const StartExportRequest& req, const TestRailConfigView& cfg,
                       const SourceRuns& src, const ExportPlan& plan, TimeMs now) {
  ExportRecord rec;
  rec.project_id = req.project_id;
  rec.trigger = req.trigger;
  rec.source_kind = src.source.kind;
  rec.source_ids = src.source_ids;
  rec.source_key = src.source_key;
  rec.options.close_run_on_completion =
      req.close_run_on_completion.value_or(cfg.options.close_run_on_completion);
  rec.options.force_new_run = req.force_new_run;
  rec.options.testrail_project_id = cfg.project->id;
  rec.options.custom_run_name = req.custom_run_name;
  rec.nonce = NewNonce();
  rec.created_by = req.user_id;
  rec.created_at = now;
  rec.updated_at = now;
  rec.strategy = plan.strategy;
  rec.testrail_name = plan.name;
  rec.runs_processed = plan.runs_processed;
  rec.total_test_cases = plan.total_test_cases;
  for (const auto& s : plan.skipped)
    rec.skipped.push_back({s.case_id, std::string(SkipReasonName(s.reason)), s.message});
  rec.warnings = plan.warnings;
  return rec;
}

}  // namespace

struct ExportPlanning {
  ExportRequest er;  // runs with their tests and links; the catalog is a slice's
  ConfigMapping configurations;
  std::vector<CatalogCase> catalog;  // of the linked cases, ascending, no titles
  std::vector<int64_t> case_ids;     // the linked cases, ascending
  std::vector<CaseRange> slices;
  // Completion of a slice's results (set by CheckForInstance).
  int64_t project_id = 0;
  std::string run_url_base;  // ".../projects/{id}/runs/", "" without a public URL
  std::map<int64_t, const ExportRunInput*> by_run;
  std::vector<ResultFieldDef> field_defs;
  ExportFieldSettings field_settings;
  std::string step_results_field;  // "" = no step results
  StepTemplateCases step_templates;
  // Issue 17.
  AttachmentPolicy policy;
  std::vector<RunArtifacts> artifacts;  // runs with artifacts
};

// The plan of slice `k` (uncompleted): the request with that range and its catalog.
static Result<ExportPlan> PlanSlice(ExportPlanning& p, size_t k) {
  const CaseRange range = p.slices[k];
  p.er.catalog.clear();
  auto it = std::lower_bound(p.catalog.begin(), p.catalog.end(), range.lo,
                             [](const CatalogCase& c, int64_t id) { return c.case_id < id; });
  for (; it != p.catalog.end() && range.Contains(it->case_id); ++it)
    p.er.catalog.emplace(it->case_id, *it);
  p.er.case_range = p.slices.size() == 1 ? std::nullopt : std::optional<CaseRange>(range);
  auto plan = PlanExportWithConfigurations(p.er, p.configurations);
  p.er.catalog.clear();
  return plan;
}

// Issue 17: which artifacts of the slice's runs go to which of its results
// (core/attachment_plan.h); the slice's uploads are joined into `out`, each with the number of
// results it goes to (configurations: one per entry its run reports to) in *uploads/*bytes.
static void PlanSliceAttachments(const ExportPlanning& p, const ExportPlan& slice,
                                 AttachmentPlan& out, int& uploads, int64_t& bytes) {
  ResultStatusByRun result_status;
  std::map<std::pair<int64_t, int64_t>, int> results_of;  // (case, run) → results
  for (const auto& e : slice.entries)
    for (const auto& r : e.results)
      for (int64_t run : r.run_ids) {
        auto [it, fresh] = result_status.emplace(std::make_pair(r.case_id, run), r.status_id);
        // Defensive: a run reporting to one case in several entries — the worst decides.
        if (!fresh && StatusSeverity(r.status_id) > StatusSeverity(it->second))
          it->second = r.status_id;
        ++results_of[{r.case_id, run}];
      }
  AttachmentPlan part = PlanAttachments(p.policy, p.artifacts, result_status);
  for (auto& a : part.items) {
    const int n = results_of[{a.case_id, a.run_id}];
    uploads += n;
    bytes += static_cast<int64_t>(n) * a.size;
    out.items.push_back(std::move(a));
  }
  // An artifact refused by the policy is refused in every slice its cases fall in: once.
  for (auto& sk : part.skipped)
    if (std::none_of(out.skipped.begin(), out.skipped.end(), [&](const SkippedAttachment& x) {
          return x.run_id == sk.run_id && x.artifact_id == sk.artifact_id;
        }))
      out.skipped.push_back(std::move(sk));
  out.total_bytes += part.total_bytes;
  for (auto& [key, names] : part.names_by_result) out.names_by_result[key] = std::move(names);
}

// A slice's results completed for the instance and the export: custom result fields and
// assignee, step results, the line naming each result's attachments.
static Status CompleteSlice(const ExportPlanning& p, const AttachmentPlan& attachments,
                            ExportPlan& slice) {
  auto context_of = [&](const PlannedResult& r) {
    FieldRunContext c;
    auto it = p.by_run.find(r.deciding_run_id);
    if (it == p.by_run.end()) return c;
    c.run = &it->second->run;
    c.test = &it->second->test;
    c.attributes = it->second->run.attributes;
    if (!p.run_url_base.empty()) c.run_url = p.run_url_base + std::to_string(r.deciding_run_id);
    return c;
  };
  NEXUS_RETURN_IF_ERROR(ApplyResultFields(p.field_defs, p.field_settings, context_of, slice));
  if (!p.step_results_field.empty())
    ApplyStepResults(
        p.step_results_field, p.er.mapping,
        [&](const PlannedResult& r) -> std::pair<const Run*, const Test*> {
          if (!p.step_templates.all && !p.step_templates.with_steps.count(r.case_id))
            return {nullptr, nullptr};
          auto it = p.by_run.find(r.deciding_run_id);
          if (it == p.by_run.end()) return {nullptr, nullptr};
          return {&it->second->run, &it->second->test};
        },
        slice);
  if (!attachments.items.empty())
    for (auto& e : slice.entries)
      for (auto& r : e.results) {
        const std::vector<std::string> names = attachments.NamesFor(r.case_id, r.run_ids);
        if (names.empty()) continue;
        if (!r.comment.empty()) r.comment += "\n\n";
        r.comment += AttachmentCommentLine(names);
      }
  return Status::Ok();
}

// Every slice planned again and completed, in case order; `on_slice` takes each.
static Status ForEachCompletedSlice(ExportPlanning& p, const AttachmentPlan& attachments,
                                    const std::function<Status(ExportPlan&)>& on_slice) {
  for (size_t k = 0; k < p.slices.size(); ++k) {
    NEXUS_ASSIGN_OR_RETURN(ExportPlan slice, PlanSlice(p, k));
    NEXUS_RETURN_IF_ERROR(CompleteSlice(p, attachments, slice));
    NEXUS_RETURN_IF_ERROR(on_slice(slice));
  }
  return Status::Ok();
}

Status ExportService::ListRunArtifacts(ExportPlanning& p) {
  for (const auto& in : p.er.runs) {
    NEXUS_ASSIGN_OR_RETURN(auto artifacts, store_.ListArtifacts(p.project_id, in.run.id));
    if (artifacts.empty()) continue;
    RunArtifacts ra;
    ra.run_id = in.run.id;
    ra.links = in.links;
    for (const auto& a : artifacts)
      ra.artifacts.push_back({a.id, a.name, a.media_type, a.size, a.step_id});
    p.artifacts.push_back(std::move(ra));
  }
  return Status::Ok();
}

Result<ExportService::Prepared> ExportService::Prepare(const StartExportRequest& req) {
  // The rules of the request.
  NEXUS_RETURN_IF_ERROR(ValidateExportSource(req.source));
  std::optional<std::string> custom_name;
  if (req.custom_run_name) {
    NEXUS_ASSIGN_OR_RETURN(custom_name, ValidateCustomRunName(*req.custom_run_name));
  }
  NEXUS_ASSIGN_OR_RETURN(Project project, store_.GetProject(req.project_id));

  // The source's runs, the configuration, and the tests, links and catalog of the runs
  // (the catalog refreshed first when stale).
  SourceRuns src;
  if (req.source.execution_id) {
    NEXUS_ASSIGN_OR_RETURN(src, ExecutionRuns(store_, req.project_id, *req.source.execution_id));
  } else {
    NEXUS_ASSIGN_OR_RETURN(src, NamedRuns(store_, req.project_id, req.source));
  }
  NEXUS_ASSIGN_OR_RETURN(TestRailConfigView cfg, ExportableConfig(config_, req.project_id));
  Prepared out;
  out.planning = std::make_shared<ExportPlanning>();
  ExportPlanning& p = *out.planning;
  p.project_id = req.project_id;
  // Issue 17: the attachment policy, the request's override over the project's option.
  p.policy = cfg.options.attachments;
  if (req.attachments) {
    NEXUS_ASSIGN_OR_RETURN(
        p.policy, AttachmentPolicyFromJson(*req.attachments, p.policy,
                                           domain::ArtifactService::MediaTypes(), "attachments"));
  }
  ExportRequest& er = p.er;
  er.source = src.source;
  for (const auto& s : cfg.suites) er.selected_suite_ids.push_back(s.id);
  er.mapping = cfg.mapping.mapping;
  er.options = PlanOptions(req, project, cfg, std::move(custom_name), config_, options_.public_url,
                           clock_.NowMs());
  // Tests, links and catalog of the runs (the catalog refreshed first when stale).
  const Status fresh = catalog_.RefreshIfStale(req.project_id);
  if (!fresh.ok())
    spdlog::warn("event=export_catalog_stale project_id={} reason=\"{}\"", req.project_id,
                 fresh.message());
  NEXUS_ASSIGN_OR_RETURN(auto tests, TestsOf(store_, req.project_id, src.runs));
  NEXUS_ASSIGN_OR_RETURN(auto links, LinksOf(store_, req.project_id, tests));

  // The runs to plan, with the warnings of this service: runs of deleted tests, a stale catalog.
  std::vector<ExportWarning> dropped;
  for (auto& r : src.runs) {
    auto t = tests.find(r.test_id);
    if (t == tests.end()) {  // deleted test: its links are gone with it
      dropped.push_back({std::string(kWarnTestDeleted),
                         "Run #" + std::to_string(r.id) + " is not exported: its test (#" +
                             std::to_string(r.test_id) + ") was deleted.",
                         r.id});
      continue;
    }
    out.run_ids.push_back(r.id);
    er.runs.push_back(ExportRunInput{std::move(r), t->second, links[t->first]});
  }
  src.runs.clear();
  tests.clear();
  links.clear();
  for (const auto& in : er.runs) p.by_run[in.run.id] = &in;
  p.case_ids = LinkedCaseIds(er.runs);
  NEXUS_ASSIGN_OR_RETURN(p.catalog, CatalogOf(store_, req.project_id, p.case_ids));
  p.slices = CaseSlices(p.case_ids, options_.plan_slice_cases);
  // Issue 14: with a configuration mapping, one plan run per configuration combination
  // (core/config_mapping.h); an unreadable mapping refuses rather than export without it.
  auto configurations = config_.StoredConfigurations(req.project_id);
  if (!configurations.ok() && configurations.status().reason() == "configurations_unreadable")
    return Conflict(configurations.status().message(), "configurations_unreadable");
  NEXUS_RETURN_IF_ERROR(configurations.status());
  p.configurations = std::move(configurations).value();
  if (p.policy.mode != AttachMode::kNone) NEXUS_RETURN_IF_ERROR(ListRunArtifacts(p));

  // The head of the plan (issue 16): every slice planned, its results dropped once counted
  // and, with attachments, once their uploads are planned.
  int uploads = 0;
  int64_t upload_bytes = 0;
  for (size_t k = 0; k < p.slices.size(); ++k) {
    NEXUS_ASSIGN_OR_RETURN(ExportPlan slice, PlanSlice(p, k));
    if (p.policy.mode != AttachMode::kNone)
      PlanSliceAttachments(p, slice, out.attachments, uploads, upload_bytes);
    for (auto& e : slice.entries) std::vector<PlannedResult>().swap(e.results);
    AppendPlanSlice(out.plan, std::move(slice), k == 0);
  }
  FinishSlicedPlan(out.plan);
  out.plan.warnings.insert(out.plan.warnings.begin(), dropped.begin(), dropped.end());
  if (!fresh.ok())
    out.plan.warnings.push_back(
        {std::string(kWarnCatalogStale),
         "the TestRail catalog could not be refreshed before this export (" + fresh.message() +
             "); cases deleted in TestRail meanwhile are skipped when TestRail rejects them",
         std::nullopt});
  if (out.plan.nothing_to_send) out.attachments = AttachmentPlan{};

  if (!out.plan.nothing_to_send) NEXUS_RETURN_IF_ERROR(CheckForInstance(req, cfg, p, out.plan));
  for (const auto& sk : out.attachments.skipped)
    out.plan.warnings.push_back(
        {"attachment_skipped",
         "The artifact " + sk.name + " of run #" + std::to_string(sk.run_id) +
             " is not attached: " +
             (sk.reason == "too_large" ? std::string("larger than the size cap")
                                       : std::string("its media type is not in the allowed list")),
         sk.run_id});

  out.record = NewRecord(req, cfg, src, out.plan, er.options.now);
  out.record.attachments.total = uploads;
  out.record.attachments.bytes_total = upload_bytes;
  return out;
}

Status ExportService::CheckForInstance(const StartExportRequest& req, const TestRailConfigView& cfg,
                                       ExportPlanning& p, ExportPlan& head) {
  NEXUS_ASSIGN_OR_RETURN(auto client, config_.ClientFor(req.project_id));
  NEXUS_RETURN_IF_ERROR(CheckPlanConfigurations(*client, cfg.project->id, head));
  if (head.milestone_id)
    NEXUS_RETURN_IF_ERROR(TestRailConfigService::CheckMilestone(
        *client, cfg.project->id, *head.milestone_id,
        req.milestone_id ? "milestone_id" : "options.milestone_id"));
  auto fields = client->GetResultFields();
  // TestRail down or throttling (R-Q-IDEMP): the export is still accepted and retried like any
  // other; it goes without the field check, and says so.
  const StatusCode code = fields.ok() ? StatusCode::kOk : fields.status().code();
  const bool transient = code == StatusCode::kUnavailable || code == StatusCode::kTimeout ||
                         code == StatusCode::kTooManyRequests;
  if (!fields.ok() && fields.status().reason() != "not_found" && !transient) return fields.status();
  if (transient)
    head.warnings.push_back(
        {"result_fields_unchecked",
         "TestRail's result fields could not be read (" + fields.status().message() +
             "); custom field values are not sent and required fields are not checked",
         std::nullopt});
  if (!fields.ok())  // an API without get_result_fields has no custom result fields to fill
    spdlog::warn("event=export_no_result_fields project_id={} reason=\"{}\"", req.project_id,
                 fields.status().message());
  p.field_defs = fields.ok() ? ApplicableResultFields(*fields, cfg.project->id)
                             : std::vector<ResultFieldDef>{};
  NEXUS_ASSIGN_OR_RETURN(p.field_settings, config_.StoredExportFields(req.project_id));
  std::string base = options_.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!base.empty())
    p.run_url_base = base + "/projects/" + std::to_string(req.project_id) + "/runs/";
  // Step results (off by default): into the instance's step-results field, by its system
  // name from get_result_fields (not a constant: instances name it differently).
  if (!p.field_settings.step_results) return Status::Ok();
  auto field = std::find_if(p.field_defs.begin(), p.field_defs.end(), [](const ResultFieldDef& d) {
    return d.type_id == static_cast<int>(FieldType::kStepResults);
  });
  if (field == p.field_defs.end()) {
    spdlog::warn("event=export_no_step_results_field project_id={}", req.project_id);
    return Status::Ok();
  }
  // Only cases whose template has separated steps (R-STEPRES): the templates the field
  // applies to, the cases' templates from get_cases.
  p.step_results_field = field->system_name;
  p.step_templates.all = true;
  for (const auto& f : *fields)
    if (f.system_name == field->system_name) {
      NEXUS_ASSIGN_OR_RETURN(p.step_templates,
                             CasesWithStepTemplates(*client, cfg.project->id, f, head));
      break;
    }
  if (!p.step_templates.without.empty())
    head.warnings.push_back({std::string(kWarnNoStepTemplate),
                             NoStepTemplateMessage(p.step_templates.without), std::nullopt});
  return Status::Ok();
}

Result<ExportView> ExportService::StartExport(const StartExportRequest& req) {
  NEXUS_ASSIGN_OR_RETURN(Prepared p, Prepare(req));
  ExportView view;
  if (req.dry_run) {
    view.dry_run = true;
    view.record = std::move(p.record);
    view.record.run_ids = p.run_ids;
    if (p.plan.nothing_to_send) {
      view.record.error = p.plan.nothing_to_send_reason;
      view.record.error_code = "nothing_to_send";
    } else {
      // The whole plan, joined from its completed slices (a preview shows every result).
      std::map<std::pair<int64_t, std::vector<int64_t>>, size_t> index;
      for (size_t e = 0; e < p.plan.entries.size(); ++e) {
        index[{p.plan.entries[e].suite_id, p.plan.entries[e].config_ids}] = e;
        p.plan.entries[e].case_ids.clear();
      }
      NEXUS_RETURN_IF_ERROR(
          ForEachCompletedSlice(*p.planning, p.attachments, [&](ExportPlan& slice) -> Status {
            for (auto& e : slice.entries) {
              PlanEntry& into = p.plan.entries[index.at({e.suite_id, e.config_ids})];
              into.case_ids.insert(into.case_ids.end(), e.case_ids.begin(), e.case_ids.end());
              into.results.insert(into.results.end(), std::make_move_iterator(e.results.begin()),
                                  std::make_move_iterator(e.results.end()));
            }
            return Status::Ok();
          }));
    }
    // What the executor will send: the same texts with the marker (placeholders for the id
    // and nonce the export gets when it is recorded).
    p.plan.description = DescriptionWithMarker(p.plan.description, kPreviewMarker);
    for (auto& e : p.plan.entries)
      for (auto& r : e.results) r.comment = CommentWithMarker(r.comment, kPreviewMarker, r.case_id);
    view.preview = std::move(p.plan);
    view.preview_attachments = std::move(p.attachments.items);
    view.preview_attachments_skipped = std::move(p.attachments.skipped);
    return view;
  }
  if (!req.force_new_run && req.source.execution_id) {
    NEXUS_ASSIGN_OR_RETURN(auto history, store_.ListExports(req.project_id, 0, 200));
    for (auto& h : history)
      if (h.source_key == p.record.source_key && h.succeeded() &&
          (h.testrail_run_id || h.testrail_plan_id)) {
        view.record = std::move(h);
        view.already_exported = true;
        return view;
      }
  }
  ExportRecord& rec = p.record;
  if (p.plan.nothing_to_send) {
    rec.state = ExportState::kFailed;
    rec.error = p.plan.nothing_to_send_reason;
    rec.error_code = "nothing_to_send";
    rec.finished_at = rec.created_at;
    rec.duration_ms = 0;
  }
  rec.plan = PlanHeadOf(p.plan);
  if (!p.plan.nothing_to_send) rec.plan->attachments = p.attachments.items;
  // Issue 16: the rows are planned and completed again a slice at a time while the export
  // is recorded, each written at its entry's next positions; nothing holds the whole plan.
  std::map<std::pair<int64_t, std::vector<int64_t>>, size_t> index;
  for (size_t e = 0; e < p.plan.entries.size(); ++e)
    index[{p.plan.entries[e].suite_id, p.plan.entries[e].config_ids}] = e;
  auto fill = [&](const ExportStore::PlanRowWriter& write) -> Status {
    if (p.plan.nothing_to_send) return Status::Ok();
    std::vector<size_t> written(p.plan.entries.size(), 0);
    NEXUS_RETURN_IF_ERROR(
        ForEachCompletedSlice(*p.planning, p.attachments, [&](ExportPlan& slice) -> Status {
          for (const auto& e : slice.entries) {
            const size_t at = index.at({e.suite_id, e.config_ids});
            NEXUS_RETURN_IF_ERROR(write(static_cast<int>(at), written[at], e.results));
            written[at] += e.results.size();
          }
          return Status::Ok();
        }));
    for (size_t e = 0; e < written.size(); ++e)
      if (written[e] != p.plan.entries[e].case_ids.size())
        return Status(StatusCode::kInternal,
                      "the plan changed while it was recorded (entry " + std::to_string(e) + ": " +
                          std::to_string(written[e]) + " results, planned " +
                          std::to_string(p.plan.entries[e].case_ids.size()) + ")");
    return Status::Ok();
  };
  NEXUS_ASSIGN_OR_RETURN(ExportRecord created, store_.CreateExportWithRows(rec, fill));
  rec.plan.reset();  // stored; a waiting request must not hold it for the whole export
  // The columns CreateExport leaves at their defaults (counts, name, outcome of an export
  // with nothing to send) and the covered runs.
  {
    ExportRecord full = rec;
    full.id = created.id;
    full.plan.reset();
    full.run_ids = p.run_ids;
    NEXUS_RETURN_IF_ERROR(store_.UpdateExport(full));
    created = std::move(full);
  }
  spdlog::info(
      "event=export_created export_id={} project_id={} trigger={} source=\"{}\" "
      "cases={} strategy={}",
      created.id, created.project_id, ExportTriggerName(created.trigger), created.source_key,
      created.total_test_cases, ExportStrategyName(p.plan.strategy));
  if (p.plan.nothing_to_send) {
    if (metrics_ != nullptr)
      metrics_->Inc("nexus_exports_total",
                    {{"state", std::string(ExportStateName(ExportState::kFailed))}});
    view.record = std::move(created);
    return view;
  }
  // Issue 16 (memory flat in N): the plan is stored; the job reads it back a page at a time,
  // so nothing of it stays in memory here while the export runs.
  p = Prepared{};
  auto job = EnqueueJob(created);
  if (!job.ok()) return job.status();
  if (req.wait) {
    auto done = jobs_.WaitFor(*job, options_.wait_timeout);
    if (!done.ok()) return done.status();
  }
  return Get(req.project_id, created.id);
}

Status ExportService::Execute(int64_t export_id, bool final_attempt,
                              const std::function<bool()>& should_stop) {
  // The plan head always: it carries the attachments to send (issue 17).
  NEXUS_ASSIGN_OR_RETURN(ExportRecord rec, store_.GetExport(0, export_id, true));
  if (!rec.active()) return Status::Ok();
  // The entries and their cases; the results are read a page at a time (issue 16).
  auto loaded = LoadPlanHead(store_, rec);
  if (!loaded.ok() && loaded.status().reason() == kPlanUnreadable)
    return Finish(rec, loaded.status());  // final: nothing to execute
  if (!loaded.ok()) return loaded.status();
  const ExportPlan plan = std::move(loaded).value();
  std::vector<PlannedAttachment> attachments;
  if (rec.plan) attachments = std::move(rec.plan->attachments);
  rec.plan.reset();

  const TimeMs now = clock_.NowMs();
  rec.state = ExportState::kRunning;
  rec.attempts += 1;
  rec.error.clear();  // a deferred attempt's failure
  if (!rec.started_at) rec.started_at = now;
  rec.updated_at = now;
  NEXUS_RETURN_IF_ERROR(store_.UpdateExport(rec));
  if (rec.attempts > 1)
    spdlog::info("event=export_resumed export_id={} attempt={}", rec.id, rec.attempts);

  auto client = config_.ClientFor(rec.project_id);
  if (!client.ok()) return Finish(rec, client.status());
  ExecuteRequest er;
  er.record = &rec;
  er.plan = &plan;
  er.read_results = [this, id = rec.id](size_t entry, size_t from, size_t limit) {
    return store_.ReadPlannedResults(id, static_cast<int>(entry), from, limit);
  };
  er.testrail_project_id = rec.options.testrail_project_id;
  er.close_on_completion = rec.options.close_run_on_completion;
  er.should_stop = should_stop;
  if (progress_) er.progress = [this, id = rec.id](int64_t d, int64_t t) { progress_(id, d, t); };
  if (attachment_progress_)
    er.attachment_progress = [this, id = rec.id](const ExportAttachmentProgress& a) {
      attachment_progress_(id, a);
    };
  std::unique_ptr<AttachmentSink> sink;
  if (!attachments.empty()) {
    if (sinks_) {
      auto made = sinks_(rec.project_id);
      if (!made.ok()) return Finish(rec, made.status());
      sink = std::move(made).value();
    } else if (std::none_of(rec.warnings.begin(), rec.warnings.end(), [](const ExportWarning& w) {
                 return w.type == "attachments_not_sent";
               })) {
      rec.warnings.push_back({"attachments_not_sent",
                              "This server cannot send attachments; the results are exported "
                              "without them.",
                              std::nullopt});
    }
    er.attachments = &attachments;
    er.attachment_sink = sink.get();
  }
  Status st = executor_.Execute(er, **client);
  // R-LINK-4: a case TestRail refused because it does not know it any more turns its links
  // missing (best effort: the export's outcome does not depend on it).
  std::vector<int64_t> refused;
  for (const auto& sk : rec.skipped)
    if (sk.reason == "rejected_by_testrail") refused.push_back(sk.case_id);
  if (!refused.empty()) {
    auto marked = catalog_.ConfirmDeletedCases(rec.project_id, **client, refused);
    if (!marked.ok())
      spdlog::warn("event=export_rejected_cases_check_failed export_id={} error=\"{}\"", rec.id,
                   marked.status().message());
  }
  // A local failure (the store, or the process stopping) leaves the export running: the job
  // tries again or the next process resumes it; only the final attempt records it as failed.
  const bool local = st.code() == StatusCode::kInternal || (st.code() == StatusCode::kUnavailable &&
                                                            !testrail::ErrorKindOf(st).has_value());
  const bool stopping = should_stop && should_stop();
  if (!st.ok() && local && (!final_attempt || stopping)) return st;
  // Another process took the export over (this one lost its lease, e.g. while the database
  // was locked): it is theirs to finish; this attempt can no longer write anything.
  if (st.reason() == kSuperseded) {
    spdlog::warn("event=export_superseded export_id={} attempt={}", rec.id, rec.attempts);
    return st;
  }
  if (!st.ok() && !final_attempt && IsTransient(st)) {
    rec.error = "TestRail is unavailable, the export will be retried: " + st.message();
    rec.updated_at = clock_.NowMs();
    rec.run_ids.clear();  // export_runs stay as recorded
    NEXUS_RETURN_IF_ERROR(store_.UpdateExport(rec));
    return Status(StatusCode::kUnavailable, st.message(), {}, kDeferred);
  }
  return Finish(rec, st);
}

Status ExportService::Finish(ExportRecord& rec, const Status& outcome) {
  const TimeMs now = clock_.NowMs();
  if (outcome.ok()) {
    rec.state = rec.error_code.empty() ? ExportState::kSucceeded : ExportState::kPartiallySucceeded;
  } else {
    rec.state = ExportState::kFailed;
    rec.error = outcome.message();
    rec.error_code =
        outcome.reason().empty() ? std::string(StatusCodeName(outcome.code())) : outcome.reason();
  }
  rec.finished_at = now;
  rec.duration_ms = now - rec.started_at.value_or(rec.created_at);
  rec.updated_at = now;
  rec.plan.reset();
  std::vector<int64_t> runs = std::move(rec.run_ids);
  rec.run_ids.clear();
  NEXUS_RETURN_IF_ERROR(store_.UpdateExport(rec));
  rec.run_ids = std::move(runs);
  if (metrics_ != nullptr) {
    metrics_->Inc("nexus_exports_total", {{"state", std::string(ExportStateName(rec.state))}});
    metrics_->Observe("nexus_export_duration_seconds", {},
                      static_cast<double>(*rec.duration_ms) / 1000.0);
  }
  spdlog::info(
      "event=export_finished export_id={} state={} results_sent={} error_code={} "
      "duration_ms={}",
      rec.id, ExportStateName(rec.state), rec.results_sent, rec.error_code, *rec.duration_ms);
  return Status::Ok();
}

Result<ExportView> ExportService::Get(int64_t project_id, int64_t export_id) {
  NEXUS_ASSIGN_OR_RETURN(ExportRecord rec, store_.GetExport(project_id, export_id, false));
  ExportView v;
  v.record = std::move(rec);
  if (v.record.created_by) v.created_by_name = UserName(*v.record.created_by);
  return v;
}

Result<std::vector<ExportView>> ExportService::List(int64_t project_id, int64_t before_id,
                                                    int limit) {
  NEXUS_ASSIGN_OR_RETURN(auto rows, store_.ListExports(project_id, before_id, limit));
  std::map<int64_t, std::string> names;  // one lookup per distinct user on the page
  std::vector<ExportView> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    ExportView v;
    v.record = std::move(r);
    if (v.record.created_by) {
      auto [it, inserted] = names.try_emplace(*v.record.created_by);
      if (inserted) it->second = UserName(*v.record.created_by);
      v.created_by_name = it->second;
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string ExportService::UserName(int64_t user_id) {
  auto user = store_.GetUser(user_id);
  return user.ok() ? user->name : std::string();
}

Result<RunSyncView> ExportService::RunSyncStatus(int64_t project_id, int64_t run_id) {
  NEXUS_ASSIGN_OR_RETURN(Run run, store_.GetRun(project_id, run_id));
  RunSyncView v;
  v.run_id = run_id;
  NEXUS_ASSIGN_OR_RETURN(auto last, store_.LastExportForRun(project_id, run_id));
  if (!last) {
    v.message = "This run has not been exported to TestRail.";
    return v;
  }
  ExportRecord rec = std::move(*last);
  rec.plan.reset();
  NEXUS_ASSIGN_OR_RETURN(std::vector<int64_t> planned, store_.PlannedCasesForRun(rec.id, run_id));
  const std::set<int64_t> run_cases(planned.begin(), planned.end());
  if (rec.active()) {
    v.sync_state = RunSyncState::kInProgress;
    v.message = "An export of this run is in progress.";
  } else if (rec.error_code == "nothing_to_send" || (rec.succeeded() && run_cases.empty())) {
    // Issue 12: an Error run (every result "Not reported") was not exported — say so rather
    // than "exported" or "failed".
    v.sync_state = RunSyncState::kNothingToExport;
    v.message = rec.error_code == "nothing_to_send" && !rec.error.empty()
                    ? "Nothing to export: " + rec.error
                    : "Nothing to export: none of this run's results is reported to TestRail "
                      "(the status mapping says \"Not reported\" for all of them).";
  } else if (!rec.succeeded()) {
    v.sync_state = RunSyncState::kFailed;
    v.message = "The last export failed: " + rec.error;
  } else if (run.updated_at > rec.created_at) {
    v.sync_state = RunSyncState::kChangedSinceExport;
    v.message =
        "The run changed after it was exported (e.g. re-labelled); export it again to "
        "update TestRail.";
  } else {
    v.sync_state = RunSyncState::kExported;
    v.message = "Exported to TestRail.";
  }
  NEXUS_ASSIGN_OR_RETURN(auto sent, store_.ExportCases(rec.id));
  for (auto& c : sent)
    if (run_cases.count(c.case_id)) v.cases.push_back(c);
  v.last_export = std::move(rec);
  return v;
}

Result<std::map<int64_t, CaseExportRecord>> ExportService::LastExportsForCases(
    int64_t project_id, const std::vector<int64_t>& case_ids) {
  NEXUS_ASSIGN_OR_RETURN(auto rows, store_.LastCaseExports(project_id, case_ids));
  std::map<int64_t, CaseExportRecord> out;
  for (auto& r : rows) out[r.case_id] = r;
  return out;
}

void ExportService::OnExecutionCompleted(int64_t project_id, int64_t execution_id) {
  auto project = store_.GetProject(project_id);
  if (!project.ok() || !project->HasFeature("testrail")) return;
  auto cfg = config_.Get(project_id);
  if (!cfg.ok() || !cfg->options.auto_export || !cfg->connection) return;
  StartExportRequest req;
  req.project_id = project_id;
  req.trigger = ExportTrigger::kAuto;
  req.source.execution_id = execution_id;
  req.wait = false;
  auto r = StartExport(req);
  if (r.ok())
    spdlog::info("event=auto_export_started project_id={} execution_id={} export_id={}", project_id,
                 execution_id, r->record.id);
  else
    spdlog::warn("event=auto_export_refused project_id={} execution_id={} reason=\"{}\"",
                 project_id, execution_id, r.status().message());
}

}  // namespace nexus::integration
