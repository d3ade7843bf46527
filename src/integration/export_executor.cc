// ExportExecutor: journal → TestRail. See export_executor.h and docs/export.md.
#include "integration/export_executor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <tuple>

#include "testrail/attachments.h"
#include "testrail/errors.h"

namespace nexus::integration {

using testrail::ErrorKindOf;
using testrail::TestRailErrorKind;

std::string ExportMarker(int64_t export_id, const std::string& nonce) {
  return "nexus-export:" + std::to_string(export_id) + ":" + nonce;
}

std::string DescriptionWithMarker(const std::string& description, std::string_view marker) {
  std::string d = description;
  if (!d.empty()) d += "\n\n";
  return d.append(marker);
}

std::string CommentWithMarker(const std::string& comment, std::string_view marker,
                              int64_t case_id) {
  std::string c = comment;
  if (!c.empty()) c += "\n\n";
  return c.append(marker).append(" C").append(std::to_string(case_id));
}

namespace {

// The case id after the last `tag` ("<marker> C") in a result comment, nullopt when the
// comment carries no such marker line (a result another tool or person wrote).
std::optional<int64_t> MarkedCaseId(const std::string& comment, const std::string& tag) {
  size_t pos = comment.rfind(tag);
  if (pos == std::string::npos) return std::nullopt;
  pos += tag.size();
  int64_t v = 0;
  size_t digits = 0;
  while (pos < comment.size() && comment[pos] >= '0' && comment[pos] <= '9' && digits < 18) {
    v = v * 10 + (comment[pos++] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return v;
}

// The stored plan: its head, each entry's case ids, and its results when `with_results`.
// Data that cannot be read back is final (reason kPlanUnreadable); the store failing to read
// it is not (its own Status, tried again).
Result<ExportPlan> LoadStoredPlan(Store& store, const ExportRecord& rec, bool with_results) {
  auto unreadable = [&](const std::string& why) {
    return Status(StatusCode::kInternal, "export " + std::to_string(rec.id) + ": " + why, {},
                  std::string(kPlanUnreadable));
  };
  if (!rec.plan) return unreadable(rec.plan_error.empty() ? "no plan snapshot" : rec.plan_error);
  ExportPlan plan = rec.plan->plan;
  // Room for the rows added below (a head written before result counts has none).
  for (size_t i = 0; i < plan.entries.size() && i < rec.plan->result_counts.size(); ++i) {
    plan.entries[i].case_ids.reserve(rec.plan->result_counts[i]);
    if (with_results) plan.entries[i].results.reserve(rec.plan->result_counts[i]);
  }
  auto entry_of = [&](int entry) -> Result<PlanEntry*> {
    if (entry < 0 || static_cast<size_t>(entry) >= plan.entries.size())
      return unreadable("a planned result names entry " + std::to_string(entry) + " of " +
                        std::to_string(plan.entries.size()));
    return &plan.entries[static_cast<size_t>(entry)];
  };
  // Without results only the case ids are read (the execution reads results a page at a time).
  Status read =
      with_results
          ? store.ForEachPlannedResult(rec.id,
                                       [&](int entry, PlannedResult& r) -> Status {
                                         NEXUS_ASSIGN_OR_RETURN(PlanEntry * e, entry_of(entry));
                                         e->case_ids.push_back(r.case_id);
                                         e->results.push_back(std::move(r));
                                         return Status::Ok();
                                       })
          : store.ForEachPlannedCase(rec.id, [&](int entry, int64_t case_id) -> Status {
              NEXUS_ASSIGN_OR_RETURN(PlanEntry * e, entry_of(entry));
              e->case_ids.push_back(case_id);
              return Status::Ok();
            });
  if (!read.ok()) return read;
  size_t total = 0;
  for (const auto& e : plan.entries) total += e.case_ids.size();
  if (total != static_cast<size_t>(plan.total_test_cases))
    return unreadable(std::to_string(total) + " planned results stored, the plan has " +
                      std::to_string(plan.total_test_cases));
  return plan;
}

}  // namespace

Result<ExportPlan> LoadPlan(Store& store, const ExportRecord& rec) {
  return LoadStoredPlan(store, rec, true);
}

Result<ExportPlan> LoadPlanHead(Store& store, const ExportRecord& rec) {
  return LoadStoredPlan(store, rec, false);
}

BatchChoice ChooseBatches(size_t remaining, double latency_ms, double per_result_ms,
                          size_t max_batch, size_t max_in_flight, int64_t calls_available,
                          int64_t allowed_per_window, double window_ms) {
  max_batch = std::max<size_t>(1, max_batch);
  max_in_flight = std::max<size_t>(1, max_in_flight);
  BatchChoice best;
  if (remaining == 0) return {max_batch, 1, 0, 0};
  latency_ms = std::max(0.0, latency_ms);
  per_result_ms = std::max(0.0, per_result_ms);
  // Every distinct batch size from the largest down, i.e. call counts ascending; beyond
  // 100,000 calls nothing is gained.
  const size_t first = (remaining + max_batch - 1) / max_batch;
  size_t last_batch = 0;
  for (size_t k = first; k <= std::min<size_t>(remaining, 100'000); ++k) {
    const size_t batch = (remaining + k - 1) / k;
    if (batch == last_batch) continue;
    last_batch = batch;
    const size_t calls = (remaining + batch - 1) / batch;
    const size_t in_flight = std::min(max_in_flight, calls);
    const size_t waves = (calls + in_flight - 1) / in_flight;
    double ms =
        static_cast<double>(waves) * (latency_ms + static_cast<double>(batch) * per_result_ms);
    if (calls_available >= 0 && static_cast<int64_t>(calls) > calls_available) {
      const int64_t over = static_cast<int64_t>(calls) - calls_available;
      const int64_t per = std::max<int64_t>(1, allowed_per_window);
      ms += static_cast<double>((over + per - 1) / per) * window_ms;
    }
    if (best.calls == 0 || ms < best.modelled_ms * 0.99) best = {batch, in_flight, calls, ms};
    if (batch == 1) break;
  }
  return best;
}

namespace {

bool IsAmbiguous(const Status& s) { return ErrorKindOf(s) == TestRailErrorKind::kAmbiguousWrite; }

// What TestRail refused (Refusal::kNone for anything else, including local failures).
testrail::TestRailError RefusalOf(const Status& s) {
  return testrail::ErrorOf(s).value_or(testrail::TestRailError{});
}

bool IsTooLarge(const Status& s) {
  return s.code() == StatusCode::kTooLarge ||
         RefusalOf(s).refusal == testrail::Refusal::kPayloadTooLarge;
}

bool IsAlreadyCompleted(const Status& s) {
  const testrail::Refusal r = RefusalOf(s).refusal;
  return r == testrail::Refusal::kRunCompleted || r == testrail::Refusal::kPlanCompleted;
}

}  // namespace

// One Execute() call: the journal replayed into memory, then the remaining work.
class ExportExecutor::Run {
 public:
  Run(ExportExecutor& ex, const ExecuteRequest& req, const testrail::TestRailClient& client)
      : ex_(ex),
        req_(req),
        rec_(*req.record),
        plan_(*req.plan),
        client_(client),
        marker_(ExportMarker(rec_.id, rec_.nonce)),
        single_(plan_.strategy == ExportStrategy::kSingleSuite),
        adaptive_(ex.options_.batch_size == 0),
        batch_size_(
            std::max<size_t>(1, adaptive_ ? ex.options_.max_batch_size : ex.options_.batch_size)) {
    landed_.resize(plan_.entries.size());
    pending_.resize(plan_.entries.size());
    pending_since_.resize(plan_.entries.size());
    entry_runs_.assign(plan_.entries.size(), 0);
    for (size_t i = 0; i < plan_.entries.size(); ++i) total_ += static_cast<int64_t>(EntrySize(i));
  }

  Status Go() {
    NEXUS_RETURN_IF_ERROR(PlanAttachmentTargets());
    NEXUS_RETURN_IF_ERROR(Replay());
    if (!created_) NEXUS_RETURN_IF_ERROR(Create());
    for (size_t i = 0; i < plan_.entries.size(); ++i) {
      NEXUS_RETURN_IF_ERROR(SendEntry(i));
      NEXUS_RETURN_IF_ERROR(AttachEntry(i));
    }
    if (req_.close_on_completion && !closed_) {
      NEXUS_RETURN_IF_ERROR(CheckStop());
      Status st = Close();
      if (!st.ok()) {
        // Every result is in TestRail; only closing failed: reported, not fatal.
        rec_.error = "Results were sent, but closing the TestRail " +
                     std::string(single_ ? "run" : "plan") + " failed: " + st.message();
        rec_.error_code = "close_failed";
      }
    }
    FinishRecord();
    return Status::Ok();
  }

 private:
  // ---- The plan's results (issue 16): read a page at a time when the plan is stored.
  size_t PageRows() const { return std::max<size_t>(1, ex_.options_.page_rows); }

  size_t EntrySize(size_t i) const {
    return req_.read_results ? plan_.entries[i].case_ids.size() : plan_.entries[i].results.size();
  }

  // Up to `limit` results of entry i from position `from` on.
  Result<std::vector<PlannedResult>> Page(size_t i, size_t from, size_t limit) const {
    if (req_.read_results) return req_.read_results(i, from, limit);
    const auto& rs = plan_.entries[i].results;
    std::vector<PlannedResult> out;
    for (size_t k = from; k < rs.size() && out.size() < limit; ++k) out.push_back(rs[k]);
    return out;
  }

  // `fn` for every result of entry i in plan order, holding one page at a time.
  Status ForEachResult(size_t i, const std::function<void(const PlannedResult&)>& fn) const {
    if (!req_.read_results) {
      for (const auto& r : plan_.entries[i].results) fn(r);
      return Status::Ok();
    }
    for (size_t from = 0; from < EntrySize(i);) {
      NEXUS_ASSIGN_OR_RETURN(auto page, req_.read_results(i, from, PageRows()));
      if (page.empty()) return Internal("export plan: fewer stored results than planned cases");
      for (const auto& r : page) fn(r);
      from += page.size();
    }
    return Status::Ok();
  }

  // Issue 17: each artifact goes to the result its run reports to. With configurations
  // (issue 14) a case has one result per entry, each fed by its own runs.
  Status PlanAttachmentTargets() {
    if (req_.attachments == nullptr || req_.attachment_sink == nullptr || req_.attachments->empty())
      return Status::Ok();
    std::map<std::pair<int64_t, int64_t>, std::vector<size_t>> entries_of;  // (case, run)
    std::set<int64_t> attached_cases;
    for (const PlannedAttachment& a : *req_.attachments) attached_cases.insert(a.case_id);
    for (size_t i = 0; i < plan_.entries.size(); ++i)
      NEXUS_RETURN_IF_ERROR(ForEachResult(i, [&](const PlannedResult& r) {
        if (attached_cases.count(r.case_id))
          for (int64_t run : r.run_ids) entries_of[{r.case_id, run}].push_back(i);
      }));
    for (const PlannedAttachment& a : *req_.attachments)
      if (auto it = entries_of.find({a.case_id, a.run_id}); it != entries_of.end())
        for (size_t i : it->second) attach_todo_.push_back({i, &a});
    return Status::Ok();
  }

  // ---- Journal.
  Status Journal(ExportStep step) {
    Stamp(step);
    return ex_.store_.AppendExportStep(step).status();
  }

  // Several steps in one transaction (all or none): the batches of a wave.
  Status JournalAll(std::vector<ExportStep> steps) {
    for (ExportStep& step : steps) Stamp(step);
    return ex_.store_.AppendExportSteps(steps).status();
  }

  void Stamp(ExportStep& step) const {
    step.export_id = rec_.id;
    step.created_at = ex_.clock_.NowMs();
    step.attempt = rec_.attempts;  // fenced: a superseded attempt can no longer write
  }

  Status Replay() {
    NEXUS_ASSIGN_OR_RETURN(auto steps, ex_.store_.ListExportSteps(rec_.id));
    for (const auto& s : steps) {
      const size_t i = s.entry_index ? static_cast<size_t>(*s.entry_index) : 0;
      if (s.entry_index && i >= plan_.entries.size())
        return Internal("export journal names an unknown plan entry");
      NEXUS_RETURN_IF_ERROR(ReplayStep(s, i));
    }
    if (created_) ApplyRemoteIds();
    return Status::Ok();
  }

  // One journalled step into memory (`i`: its plan entry, 0 when it names none).
  Status ReplayStep(const ExportStep& s, size_t i) {
    switch (s.kind) {
      case ExportStepKind::kCreateIntent:
        if (!create_since_) create_since_ = s.created_at;
        break;
      case ExportStepKind::kCreateAbsent:
        create_since_.reset();
        break;
      case ExportStepKind::kCreateDone:
        created_ = true;
        if (!s.remote_id) return Internal("export journal has an unreadable create step");
        if (s.detail.runs.size() != entry_runs_.size())
          return Internal("export journal's create step does not match the plan");
        entry_runs_ = s.detail.runs;
        remote_id_ = *s.remote_id;
        rec_.testrail_url = s.detail.url;
        rec_.testrail_name = s.detail.name;
        break;
      case ExportStepKind::kBatchIntent:
        if (pending_[i].empty()) pending_since_[i] = s.created_at;
        pending_[i].insert(s.case_ids.begin(), s.case_ids.end());
        break;
      case ExportStepKind::kBatchDone:
        for (int64_t c : s.case_ids) {
          landed_[i].insert(c);
          pending_[i].erase(c);
        }
        break;
      case ExportStepKind::kReconciled:
        landed_[i].insert(s.case_ids.begin(), s.case_ids.end());
        pending_[i].clear();
        break;
      case ExportStepKind::kCaseSkipped:
        for (int64_t c : s.case_ids) {
          rejected_[c] = s.detail.message;
          pending_[i].erase(c);
        }
        break;
      case ExportStepKind::kCloseDone:
        closed_ = true;
        break;
      case ExportStepKind::kCloseIntent:
      case ExportStepKind::kNote:
        break;
      case ExportStepKind::kAttachIntent:
        if (!s.case_ids.empty() && s.remote_id)
          attach_pending_[{i, s.case_ids[0], s.detail.artifact_id}] =
              ResultRef{*s.remote_id, s.detail.test_id};
        break;
      case ExportStepKind::kAttachDone:
      case ExportStepKind::kAttachRefused:
        if (!s.case_ids.empty()) {
          const AttachKey key{i, s.case_ids[0], s.detail.artifact_id};
          attach_pending_.erase(key);
          attach_finished_[key] = s.kind == ExportStepKind::kAttachDone;
        }
        break;
    }
    return Status::Ok();
  }

  void ApplyRemoteIds() {
    if (single_) {
      rec_.testrail_run_id = remote_id_;
      rec_.testrail_plan_id.reset();
    } else {
      rec_.testrail_plan_id = remote_id_;
      rec_.testrail_run_id.reset();
    }
    if (rec_.testrail_name.empty()) rec_.testrail_name = plan_.name;
  }

  Status SaveProgress() {
    rec_.results_sent = static_cast<int>(LandedCount());
    if (!attach_todo_.empty()) {
      ExportAttachmentProgress& p = rec_.attachments;
      p.total = static_cast<int>(attach_todo_.size());
      p.sent = p.refused = 0;
      p.bytes_total = p.bytes_sent = 0;
      for (const auto& [i, a] : attach_todo_) {
        p.bytes_total += a->size;
        auto it = attach_finished_.find({i, a->case_id, a->artifact_id});
        if (it == attach_finished_.end()) continue;
        if (it->second) {
          ++p.sent;
          p.bytes_sent += a->size;
        } else {
          ++p.refused;
        }
      }
    }
    rec_.updated_at = ex_.clock_.NowMs();
    // The snapshot is already stored; keep it out of the UPDATE.
    std::optional<ExportPlanHead> plan = std::move(rec_.plan);
    rec_.plan.reset();
    std::vector<int64_t> runs = std::move(rec_.run_ids);
    rec_.run_ids.clear();
    Status st = ex_.store_.UpdateExport(rec_);
    rec_.plan = std::move(plan);
    rec_.run_ids = std::move(runs);
    if (req_.progress)
      req_.progress(LandedCount(), total_ - static_cast<int64_t>(rejected_.size()));
    if (req_.attachment_progress && !attach_todo_.empty())
      req_.attachment_progress(rec_.attachments);
    return st;
  }

  int64_t LandedCount() const {
    int64_t n = 0;
    for (const auto& l : landed_) n += static_cast<int64_t>(l.size());
    return n;
  }

  // ---- Create the run / plan.
  std::string Description() const { return DescriptionWithMarker(plan_.description, marker_); }

  Status CreateDone(int64_t remote_id, const std::vector<int64_t>& runs, const std::string& url,
                    const std::string& name) {
    ExportStep s;
    s.kind = ExportStepKind::kCreateDone;
    s.remote_id = remote_id;
    s.detail.runs = runs;
    s.detail.url = url;
    s.detail.name = name;
    NEXUS_RETURN_IF_ERROR(Journal(s));
    created_ = true;
    remote_id_ = remote_id;
    entry_runs_ = runs;
    rec_.testrail_url = url;
    rec_.testrail_name = name;
    ApplyRemoteIds();
    return SaveProgress();
  }

  // The add_plan entries: one per plan entry, except that the plan entries of one suite
  // with configurations (issue 14) form ONE TestRail entry whose `runs` are theirs, one run
  // per configuration combination with its own cases.
  std::vector<testrail::AddPlanEntryRequest> PlanEntries() const {
    std::vector<testrail::AddPlanEntryRequest> out;
    std::map<int64_t, size_t> configured;  // suite → index in `out`
    for (size_t i = 0; i < plan_.entries.size(); ++i) {
      const PlanEntry& e = plan_.entries[i];
      if (e.config_ids.empty()) {
        testrail::AddPlanEntryRequest pe;
        pe.suite_id = e.suite_id;
        pe.include_all = false;
        pe.case_ids = LiveCases(i);
        out.push_back(std::move(pe));
        continue;
      }
      auto [it, fresh] = configured.try_emplace(e.suite_id, out.size());
      if (fresh) {
        testrail::AddPlanEntryRequest pe;
        pe.suite_id = e.suite_id;
        pe.include_all = false;
        out.push_back(std::move(pe));
      }
      testrail::AddPlanEntryRequest& pe = out[it->second];
      testrail::AddPlanRunRequest run;
      run.config_ids = e.config_ids;
      run.include_all = false;
      run.case_ids = LiveCases(i);
      for (int64_t c : run.case_ids)
        if (std::find(pe.case_ids.begin(), pe.case_ids.end(), c) == pe.case_ids.end())
          pe.case_ids.push_back(c);
      for (int64_t c : run.config_ids)
        if (std::find(pe.config_ids.begin(), pe.config_ids.end(), c) == pe.config_ids.end())
          pe.config_ids.push_back(c);
      pe.runs.push_back(std::move(run));
    }
    for (auto& pe : out) {
      std::sort(pe.case_ids.begin(), pe.case_ids.end());
      std::sort(pe.config_ids.begin(), pe.config_ids.end());
    }
    return out;
  }

  // Each plan entry's TestRail run in an add_plan / get_plan answer: by suite, and for an
  // entry with configurations by its config ids (the run of that combination). This is how
  // recovery after a crash finds which run belongs to which configuration (get_plan).
  Status PlanDone(const testrail::Plan& p) {
    std::vector<int64_t> runs(plan_.entries.size(), 0);
    for (size_t i = 0; i < plan_.entries.size(); ++i) {
      const PlanEntry& pe = plan_.entries[i];
      for (const auto& e : p.entries) {
        if (e.suite_id != pe.suite_id || e.runs.empty()) continue;
        if (pe.config_ids.empty()) {
          runs[i] = e.runs[0].id;
          break;
        }
        for (const auto& r : e.runs) {
          std::vector<int64_t> ids = r.config_ids;
          std::sort(ids.begin(), ids.end());
          if (ids == pe.config_ids) runs[i] = r.id;
        }
        if (runs[i] != 0) break;
      }
      if (runs[i] == 0)
        return Status(StatusCode::kUnavailable,
                      "TestRail's plan " + std::to_string(p.id) + " has no run for suite " +
                          std::to_string(pe.suite_id) +
                          (pe.config_ids.empty() ? "" : " with configuration " + pe.config_label),
                      {}, "not_testrail");
    }
    return CreateDone(p.id, runs, p.url, p.name);
  }

  // Looks for the run/plan carrying this export's marker. True when found (and journalled).
  Result<bool> FindRemote(TimeMs since_ms) {
    const int64_t since_s = since_ms / 1000 - ex_.options_.reconcile_slack_s;
    if (single_) {
      testrail::GetRunsFilter f;
      f.created_after = since_s;
      NEXUS_ASSIGN_OR_RETURN(auto runs, client_.GetRuns(req_.testrail_project_id, f));
      for (const auto& r : runs)
        if (r.description.find(marker_) != std::string::npos) {
          NEXUS_RETURN_IF_ERROR(Journal(ReconcileNote("create_found", r.id)));
          NEXUS_RETURN_IF_ERROR(CreateDone(r.id, {r.id}, r.url, r.name));
          return true;
        }
      return false;
    }
    testrail::GetPlansFilter f;
    f.created_after = since_s;
    NEXUS_ASSIGN_OR_RETURN(auto plans, client_.GetPlans(req_.testrail_project_id, f));
    for (const auto& p : plans)
      if (p.description.find(marker_) != std::string::npos) {
        NEXUS_ASSIGN_OR_RETURN(testrail::Plan full, client_.GetPlan(p.id));
        NEXUS_RETURN_IF_ERROR(Journal(ReconcileNote("create_found", p.id)));
        NEXUS_RETURN_IF_ERROR(PlanDone(full));
        return true;
      }
    return false;
  }

  ExportStep ReconcileNote(const std::string& what, int64_t remote) {
    ExportStep s;
    s.kind = ExportStepKind::kNote;
    s.remote_id = remote;
    s.detail.what = what;
    return s;
  }

  Status Create() {
    if (create_since_) {
      NEXUS_ASSIGN_OR_RETURN(bool found, FindRemote(*create_since_));
      if (found) return Status::Ok();
      ExportStep absent;
      absent.kind = ExportStepKind::kCreateAbsent;
      NEXUS_RETURN_IF_ERROR(Journal(absent));
    }
    Status last;
    for (int attempt = 0; attempt < ex_.options_.max_step_attempts; ++attempt) {
      ExportStep intent;
      intent.kind = ExportStepKind::kCreateIntent;
      intent.detail.name = plan_.name;
      intent.detail.marker = marker_;
      const TimeMs at = ex_.clock_.NowMs();
      NEXUS_RETURN_IF_ERROR(Journal(intent));
      if (single_) {
        testrail::AddRunRequest r;
        r.suite_id = plan_.entries[0].suite_id;
        r.name = plan_.name;
        r.description = Description();
        r.milestone_id = plan_.milestone_id;
        r.include_all = false;
        r.case_ids = LiveCases(0);
        auto res = client_.AddRun(req_.testrail_project_id, r);
        if (res.ok()) return CreateDone(res->id, {res->id}, res->url, res->name);
        last = res.status();
      } else {
        testrail::AddPlanRequest r;
        r.name = plan_.name;
        r.description = Description();
        r.milestone_id = plan_.milestone_id;
        r.entries = PlanEntries();
        auto res = client_.AddPlan(req_.testrail_project_id, r);
        if (res.ok()) return PlanDone(*res);
        last = res.status();
      }
      if (!IsAmbiguous(last)) {
        // "Field :case_ids contains one or more invalid test cases": a case was deleted
        // after planning. Drop the cases TestRail no longer lists and try again.
        const testrail::TestRailError refused = RefusalOf(last);
        if (refused.kind != TestRailErrorKind::kRejected ||
            refused.refusal != testrail::Refusal::kFieldInvalid || refused.field != "case_ids")
          return last;
        NEXUS_ASSIGN_OR_RETURN(bool dropped, DropDeadCases());
        if (!dropped) return last;
        continue;
      }
      spdlog::warn("event=export_create_ambiguous export_id={} reason=\"{}\"", rec_.id,
                   last.message());
      NEXUS_RETURN_IF_ERROR(Settle());
      NEXUS_ASSIGN_OR_RETURN(bool found, FindRemote(at));
      if (found) return Status::Ok();
      ExportStep absent;
      absent.kind = ExportStepKind::kCreateAbsent;
      NEXUS_RETURN_IF_ERROR(Journal(absent));
    }
    return last;
  }

  // The entry's cases minus those found gone since planning.
  std::vector<int64_t> LiveCases(size_t i) const {
    std::vector<int64_t> out;
    for (int64_t c : plan_.entries[i].case_ids)
      if (!rejected_.count(c)) out.push_back(c);
    return out;
  }

  // Lists each entry's suite (get_cases) and records every planned case TestRail no longer
  // has as skipped. True when any was found.
  Result<bool> DropDeadCases() {
    bool any = false;
    for (size_t i = 0; i < plan_.entries.size(); ++i) {
      testrail::GetCasesRequest q;
      q.project_id = req_.testrail_project_id;
      q.suite_id = plan_.entries[i].suite_id;
      std::set<int64_t> live;
      NEXUS_RETURN_IF_ERROR(client_.ForEachCasesPage(q, [&](std::vector<testrail::Case>& page) {
        for (const auto& c : page) live.insert(c.id);
        return Status::Ok();
      }));
      ExportStep skip;
      skip.kind = ExportStepKind::kCaseSkipped;
      skip.entry_index = static_cast<int>(i);
      for (int64_t c : LiveCases(i))
        if (!live.count(c)) skip.case_ids.push_back(c);
      if (skip.case_ids.empty()) continue;
      if (skip.case_ids.size() == LiveCases(i).size())
        return Status(StatusCode::kRemoteRejected,
                      "every case of suite " + std::to_string(plan_.entries[i].suite_id) +
                          " was deleted in TestRail after planning; nothing left to send there",
                      {}, "cases_deleted");
      const std::string msg = "case deleted in TestRail after planning (no longer listed)";
      skip.detail.message = msg;
      NEXUS_RETURN_IF_ERROR(Journal(skip));
      for (int64_t c : skip.case_ids) rejected_[c] = msg;
      any = true;
    }
    return any;
  }

  // ---- Results.
  bool Done(size_t i, int64_t c) const { return landed_[i].count(c) || rejected_.count(c); }

  // Reads which of entry i's results already carry this export's marker in TestRail.
  Status Reconcile(size_t i, TimeMs since_ms) {
    const int64_t since_s = since_ms / 1000 - ex_.options_.reconcile_slack_s;
    NEXUS_ASSIGN_OR_RETURN(auto results, client_.GetResultsForRun(entry_runs_[i], since_s));
    const std::string tag = marker_ + " C";
    std::set<int64_t> seen;
    for (const auto& r : results) {
      if (auto c = MarkedCaseId(r.comment, tag)) seen.insert(*c);
    }
    ExportStep s;
    s.kind = ExportStepKind::kReconciled;
    s.entry_index = static_cast<int>(i);
    s.remote_id = entry_runs_[i];
    NEXUS_RETURN_IF_ERROR(ForEachResult(i, [&](const PlannedResult& r) {
      if (seen.count(r.case_id) && !landed_[i].count(r.case_id)) {
        s.case_ids.push_back(r.case_id);
        s.landed.emplace_back(r.case_id, r.status_id);
      }
    }));
    s.detail.found = static_cast<int64_t>(s.case_ids.size());
    NEXUS_RETURN_IF_ERROR(Journal(s));
    landed_[i].insert(s.case_ids.begin(), s.case_ids.end());
    pending_[i].clear();
    spdlog::info("event=export_reconciled export_id={} run={} landed_found={}", rec_.id,
                 entry_runs_[i], s.case_ids.size());
    return SaveProgress();
  }

  // Between remote steps a stopping process hands the export over (the journal has it all).
  Status CheckStop() const {
    if (req_.should_stop && req_.should_stop())
      return Internal("export interrupted: the server is stopping");
    return Status::Ok();
  }

  // Gives TestRail settle_ms to finish a request whose outcome is unknown before it is read
  // back (a stop request ends the wait: whoever resumes reconciles later still).
  Status Settle() const {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(ex_.options_.settle_ms);
    while (true) {
      NEXUS_RETURN_IF_ERROR(CheckStop());
      const auto left = until - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return Status::Ok();
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
    }
  }

  // One attempt at sending a batch: its journalled intent and the request body (JSON text,
  // made once: a retry sends the same bytes).
  struct Attempt {
    ExportStep intent;
    std::string body;
    size_t count = 0;
    TimeMs at = 0;
  };
  using SendResult = Status;
  // An attempt whose call was already made (a wave's concurrent first attempts).
  struct Prefetched {
    Attempt attempt;
    SendResult result;
  };

  // Sends entry i's results that have not landed, wave after wave, holding only the results
  // of the next waves in memory (read a page at a time when the plan is stored).
  Status SendEntry(size_t i) {
    if (!pending_[i].empty()) NEXUS_RETURN_IF_ERROR(Reconcile(i, pending_since_[i]));
    size_t remaining = 0;
    if (req_.read_results) {
      for (int64_t c : plan_.entries[i].case_ids)
        if (!Done(i, c)) ++remaining;
    } else {
      for (const auto& r : plan_.entries[i].results)
        if (!Done(i, r.case_id)) ++remaining;
    }
    std::vector<PlannedResult> unsent;  // read ahead, not yet sent: unsent[idx...]
    size_t idx = 0, next = 0;           // next: the entry's position to read from
    while (remaining > 0) {
      NEXUS_RETURN_IF_ERROR(CheckStop());
      const auto [size, parallel] = NextWave(remaining);
      const size_t want = size * parallel;
      if (unsent.size() - idx < want && idx > 0) {
        unsent.erase(unsent.begin(), unsent.begin() + static_cast<ptrdiff_t>(idx));
        idx = 0;
      }
      while (unsent.size() - idx < want && next < EntrySize(i)) {
        NEXUS_ASSIGN_OR_RETURN(auto page, Page(i, next, std::max(want, PageRows())));
        if (page.empty()) break;
        next += page.size();
        for (auto& r : page)
          if (!Done(i, r.case_id)) unsent.push_back(std::move(r));
      }
      if (idx == unsent.size())
        return Internal("export plan: fewer stored results than planned cases");
      std::vector<std::vector<const PlannedResult*>> wave;
      size_t taken = 0;
      while (wave.size() < parallel && idx + taken < unsent.size()) {
        const size_t n = std::min(size, unsent.size() - idx - taken);
        std::vector<const PlannedResult*> batch;
        batch.reserve(n);
        for (size_t k = 0; k < n; ++k) batch.push_back(&unsent[idx + taken + k]);
        wave.push_back(std::move(batch));
        taken += n;
      }
      if (wave.size() == 1) {
        NEXUS_RETURN_IF_ERROR(SendBatch(i, wave[0]));
      } else {
        NEXUS_RETURN_IF_ERROR(SendWave(i, wave));
      }
      idx += taken;
      remaining -= std::min(remaining, taken);
    }
    return Status::Ok();
  }

  // The batch size and the batches in flight of the next wave: fixed, or chosen from what
  // is left and this instance's measured costs and remaining budget (one call is kept for
  // closing).
  std::pair<size_t, size_t> NextWave(size_t remaining) {
    const size_t parallel = std::max<size_t>(1, ex_.options_.parallel_batches);
    if (!adaptive_) return {batch_size_, parallel};
    const testrail::RateBudget& budget = client_.budget();
    const testrail::CallCostEstimate costs = budget.Costs();
    const int allowed = budget.Allowed();
    const int64_t available =
        allowed == 0 ? -1 : std::max<int64_t>(0, allowed - budget.InWindow() - 1);
    const double window_ms =
        static_cast<double>(budget.options().window_ms + budget.options().margin_ms);
    BatchChoice c = ChooseBatches(remaining, costs.latency_ms, costs.per_result_ms, batch_size_,
                                  parallel, available, allowed, window_ms);
    spdlog::info(
        "event=export_batches export_id={} remaining={} batch={} in_flight={} calls={} "
        "latency_ms={:.1f} per_result_ms={:.3f} calls_available={}",
        rec_.id, remaining, c.batch, c.in_flight, c.calls, costs.latency_ms, costs.per_result_ms,
        available);
    return {c.batch, c.in_flight};
  }

  // Sends several batches at once (the rate budget paces them): every intent is journalled
  // before any call, all calls finish before any outcome is handled, successes are journalled
  // first (so a failed batch's reconciliation sees them as landed), then each failed batch
  // goes through SendBatch's sequential recovery with its first outcome.
  Status SendWave(size_t i, std::vector<std::vector<const PlannedResult*>>& wave) {
    // The request bodies are built on two threads (issue 16: building ten bodies of 1,000
    // results one after another was most of the time between waves), then every intent is
    // journalled, in batch order.
    std::vector<Attempt> attempts(wave.size());
    {
      auto helper = std::async(std::launch::async, [&] {
        for (size_t k = 1; k < wave.size(); k += 2) attempts[k] = PrepareBatch(i, wave[k]);
      });
      for (size_t k = 0; k < wave.size(); k += 2) attempts[k] = PrepareBatch(i, wave[k]);
      helper.get();
    }
    // Every intent in one transaction (one commit for the wave, not one per batch).
    NEXUS_RETURN_IF_ERROR(JournalIntents(i, attempts));
    std::vector<std::future<SendResult>> calls;
    calls.reserve(attempts.size());
    const int64_t run = entry_runs_[i];
    // Each body is copied here, not in the worker: a worker thread then allocates no more than
    // its response text, so the arenas of short-lived threads stay small (R-EXP-5 memory).
    for (const Attempt& a : attempts)
      calls.push_back(
          std::async(std::launch::async, [this, run, body = a.body, n = a.count]() mutable {
            return client_.SendResultsForCases(run, std::move(body), n);
          }));
    std::vector<SendResult> results;
    results.reserve(calls.size());
    for (auto& f : calls) results.push_back(f.get());
    // What landed, journalled in one transaction, then the progress once.
    {
      std::vector<ExportStep> done;
      for (size_t k = 0; k < wave.size(); ++k)
        if (results[k].ok()) done.push_back(DoneStep(i, wave[k], attempts[k]));
      if (!done.empty()) {
        NEXUS_RETURN_IF_ERROR(JournalAll(done));
        for (const ExportStep& d : done) Landed(i, d);
        NEXUS_RETURN_IF_ERROR(SaveProgress());
      }
    }
    for (size_t k = 0; k < wave.size(); ++k)
      if (!results[k].ok())
        NEXUS_RETURN_IF_ERROR(
            SendBatch(i, wave[k], Prefetched{std::move(attempts[k]), std::move(results[k])}));
    return Status::Ok();
  }

  // Journals the intent of sending `batch` and marks its cases pending.
  Result<Attempt> BeginBatch(size_t i, const std::vector<const PlannedResult*>& batch) {
    Attempt a = PrepareBatch(i, batch);
    NEXUS_RETURN_IF_ERROR(JournalIntents(i, std::span<Attempt>(&a, 1)));
    return a;
  }

  // The intent and request body of sending `batch` (no I/O, no member written: safe on
  // several threads at once).
  Attempt PrepareBatch(size_t i, const std::vector<const PlannedResult*>& batch) const {
    Attempt a;
    a.intent.kind = ExportStepKind::kBatchIntent;
    a.intent.entry_index = static_cast<int>(i);
    a.intent.remote_id = entry_runs_[i];
    std::vector<testrail::ResultForCase> body;
    body.reserve(batch.size());
    for (const PlannedResult* r : batch) {
      a.intent.case_ids.push_back(r->case_id);
      testrail::ResultForCase rc;
      rc.case_id = r->case_id;
      rc.status_id = r->status_id;
      rc.comment = CommentWithMarker(r->comment, marker_, r->case_id);
      rc.elapsed = r->elapsed;
      rc.version = r->version;
      // Custom field values, assignee, step results (issue 14): planned and checked before
      // the first write; ToJson puts the entry's own members over them.
      if (!r->extra_json.empty()) {
        nlohmann::json extra = nlohmann::json::parse(r->extra_json, nullptr, false);
        if (extra.is_object()) rc.custom_fields = std::move(extra);
      }
      body.push_back(std::move(rc));
    }
    a.intent.fingerprint = ResultsFingerprint(std::span<const PlannedResult* const>(batch));
    a.body = testrail::ResultsForCasesBody(body);
    a.count = body.size();
    return a;
  }

  // Journals prepared intents in one transaction and marks their cases pending.
  Status JournalIntents(size_t i, std::span<Attempt> attempts) {
    const TimeMs at = ex_.clock_.NowMs();
    std::vector<ExportStep> intents;
    intents.reserve(attempts.size());
    for (const Attempt& a : attempts) intents.push_back(a.intent);
    NEXUS_RETURN_IF_ERROR(JournalAll(std::move(intents)));
    for (Attempt& a : attempts) {
      a.at = at;
      pending_[i].insert(a.intent.case_ids.begin(), a.intent.case_ids.end());
    }
    pending_since_[i] = at;
    return Status::Ok();
  }

  // Journals a batch TestRail accepted.
  Status CompleteBatch(size_t i, const std::vector<const PlannedResult*>& batch, const Attempt& a) {
    const ExportStep done = DoneStep(i, batch, a);
    NEXUS_RETURN_IF_ERROR(Journal(done));
    Landed(i, done);
    return SaveProgress();
  }

  // The journal step of a batch TestRail accepted.
  ExportStep DoneStep(size_t i, const std::vector<const PlannedResult*>& batch,
                      const Attempt& a) const {
    ExportStep done;
    done.kind = ExportStepKind::kBatchDone;
    done.entry_index = static_cast<int>(i);
    done.remote_id = entry_runs_[i];
    done.case_ids = a.intent.case_ids;
    done.fingerprint = a.intent.fingerprint;
    for (const PlannedResult* r : batch) done.landed.emplace_back(r->case_id, r->status_id);
    return done;
  }

  // A journalled batch's cases are landed (in memory and the metric).
  void Landed(size_t i, const ExportStep& done) {
    for (int64_t c : done.case_ids) {
      landed_[i].insert(c);
      pending_[i].erase(c);
    }
    if (ex_.metrics_ != nullptr)
      ex_.metrics_->Inc("nexus_export_results_sent_total", {},
                        static_cast<double>(done.landed.size()));
  }

  Status SendBatch(size_t i, std::vector<const PlannedResult*> batch,
                   std::optional<Prefetched> first = std::nullopt) {
    int ambiguous = 0;
    while (true) {
      std::erase_if(batch, [&](const PlannedResult* r) { return Done(i, r->case_id); });
      if (batch.empty()) return Status::Ok();
      if (!first && batch.size() > batch_size_) {  // shrunk meanwhile: send in smaller pieces
        for (size_t k = 0; k < batch.size(); k += batch_size_) {
          std::vector<const PlannedResult*> part(
              batch.begin() + static_cast<ptrdiff_t>(k),
              batch.begin() + static_cast<ptrdiff_t>(std::min(batch.size(), k + batch_size_)));
          NEXUS_RETURN_IF_ERROR(SendBatch(i, part));
        }
        return Status::Ok();
      }
      Attempt a;
      SendResult res = Internal("not sent");
      if (first) {
        a = std::move(first->attempt);
        res = std::move(first->result);
        first.reset();
      } else {
        NEXUS_ASSIGN_OR_RETURN(a, BeginBatch(i, batch));
        res = client_.SendResultsForCases(entry_runs_[i], a.body, a.count);
      }
      if (res.ok()) return CompleteBatch(i, batch, a);
      const Status& st = res;
      if (IsAmbiguous(st)) {
        if (++ambiguous >= ex_.options_.max_step_attempts) return st;
        if (st.code() == StatusCode::kTimeout) Shrink("timeout", batch.size());
        spdlog::warn("event=export_batch_ambiguous export_id={} run={} size={} reason=\"{}\"",
                     rec_.id, entry_runs_[i], batch.size(), st.message());
        NEXUS_RETURN_IF_ERROR(Settle());
        NEXUS_RETURN_IF_ERROR(Reconcile(i, a.at));
        continue;
      }
      // Nothing of this batch was applied (TestRail validates the whole batch first).
      for (int64_t c : a.intent.case_ids) pending_[i].erase(c);
      if (IsTooLarge(st) && std::min(batch_size_, batch.size()) > ex_.options_.min_batch_size) {
        Shrink("too_large", batch.size());
        continue;
      }
      const testrail::TestRailError refused = RefusalOf(st);
      if (refused.kind == TestRailErrorKind::kRejected &&
          refused.refusal == testrail::Refusal::kUnknownCaseInRun) {
        std::vector<int64_t> named;
        for (int64_t c : refused.case_ids)
          for (const PlannedResult* r : batch)
            if (r->case_id == c) named.push_back(c);
        if (!named.empty()) {
          ExportStep skip;
          skip.kind = ExportStepKind::kCaseSkipped;
          skip.entry_index = static_cast<int>(i);
          skip.case_ids = named;
          skip.detail.message = st.message();
          NEXUS_RETURN_IF_ERROR(Journal(skip));
          for (int64_t c : named) rejected_[c] = st.message();
          spdlog::warn("event=export_case_rejected export_id={} cases={}", rec_.id, named.size());
          continue;
        }
      }
      return st;
    }
  }

  // ---- Attachments (issue 17).
  using AttachKey = std::tuple<size_t, int64_t, int64_t>;  // (entry, case, artifact)
  struct ResultRef {
    int64_t result_id = 0;
    int64_t test_id = 0;
  };

  // The TestRail result (and its test) of each case of entry i that carries this export's
  // marker: read once per entry, so a resumed export finds the results of batches whose
  // answer it never saw.
  Result<std::map<int64_t, ResultRef>> ResultsOfEntry(size_t i) {
    NEXUS_ASSIGN_OR_RETURN(auto results, client_.GetResultsForRun(entry_runs_[i]));
    const std::string tag = marker_ + " C";
    std::map<int64_t, ResultRef> out;
    for (const auto& r : results) {
      if (auto c = MarkedCaseId(r.comment, tag)) out[*c] = ResultRef{r.id, r.test_id};
    }
    return out;
  }

  // Whether the attachment is already on its test (name + size), from get_attachments_for_test.
  Result<bool> AttachmentLanded(const ResultRef& ref, const PlannedAttachment& a) {
    NEXUS_ASSIGN_OR_RETURN(auto remote, testrail::GetAttachmentsForTest(client_, ref.test_id));
    std::vector<std::pair<std::string, int64_t>> pairs;
    for (const auto& r : remote)
      if (!r.result_id || *r.result_id == ref.result_id) pairs.emplace_back(r.name, r.size);
    return CountLanded(pairs, a.name, a.size) > 0;
  }

  Status AttachStep(ExportStepKind kind, size_t i, const PlannedAttachment& a, const ResultRef& ref,
                    const std::string& message = {}, const std::string& what = {}) {
    ExportStep s;
    s.kind = kind;
    s.entry_index = static_cast<int>(i);
    s.remote_id = ref.result_id;
    s.case_ids = {a.case_id};
    s.detail.artifact_id = a.artifact_id;
    s.detail.test_id = ref.test_id;
    s.detail.name = a.name;
    s.detail.size = a.size;
    s.detail.message = message;
    s.detail.what = what;
    NEXUS_RETURN_IF_ERROR(Journal(s));
    const AttachKey key{i, a.case_id, a.artifact_id};
    if (kind == ExportStepKind::kAttachIntent) {
      attach_pending_[key] = ref;
      return Status::Ok();
    }
    attach_pending_.erase(key);
    attach_finished_[key] = kind == ExportStepKind::kAttachDone;
    return SaveProgress();
  }

  // Uploads the artifacts of entry i's landed cases that are not in TestRail yet. Exactly
  // once: each upload is journalled before the call; an upload whose outcome is unknown (a
  // crash, an ambiguous answer) is re-sent only after get_attachments_for_test showed it
  // absent. A refusal (413, a file type TestRail does not take) is a warning, not a failure.
  Status AttachEntry(size_t i) {
    std::vector<const PlannedAttachment*> todo;
    for (const auto& [entry, a] : attach_todo_)
      if (entry == i && landed_[i].count(a->case_id) &&
          !attach_finished_.count({i, a->case_id, a->artifact_id}))
        todo.push_back(a);
    if (todo.empty()) return SaveProgress();
    NEXUS_ASSIGN_OR_RETURN(auto results, ResultsOfEntry(i));
    for (const PlannedAttachment* a : todo) {
      NEXUS_RETURN_IF_ERROR(CheckStop());
      const AttachKey key{i, a->case_id, a->artifact_id};
      auto res = results.find(a->case_id);
      if (res == results.end())
        return Status(StatusCode::kUnavailable, "the TestRail result of C" +
                                                    std::to_string(a->case_id) +
                                                    " was not found to attach " + a->name + " to");
      const ResultRef ref = res->second;
      if (attach_pending_.count(key)) {  // an earlier attempt's outcome is unknown
        NEXUS_ASSIGN_OR_RETURN(bool there, AttachmentLanded(ref, *a));
        if (there) {
          NEXUS_RETURN_IF_ERROR(AttachStep(ExportStepKind::kAttachDone, i, *a, ref, {}, "found"));
          continue;
        }
      }
      int ambiguous = 0;
      while (true) {
        NEXUS_RETURN_IF_ERROR(AttachStep(ExportStepKind::kAttachIntent, i, *a, ref));
        Result<std::string> up = req_.attachment_sink->Upload(ref.result_id, *a);
        if (up.ok()) {
          NEXUS_RETURN_IF_ERROR(AttachStep(ExportStepKind::kAttachDone, i, *a, ref));
          break;
        }
        const Status& st = up.status();
        if (IsAmbiguous(st)) {
          spdlog::warn(
              "event=export_attachment_ambiguous export_id={} case={} name=\"{}\" "
              "reason=\"{}\"",
              rec_.id, a->case_id, a->name, st.message());
          if (++ambiguous >= ex_.options_.max_step_attempts) return st;
          NEXUS_RETURN_IF_ERROR(Settle());
          NEXUS_ASSIGN_OR_RETURN(bool there, AttachmentLanded(ref, *a));
          if (there) {
            NEXUS_RETURN_IF_ERROR(AttachStep(ExportStepKind::kAttachDone, i, *a, ref, {}, "found"));
            break;
          }
          continue;
        }
        const testrail::TestRailError err = RefusalOf(st);
        if (IsTooLarge(st) || err.kind == TestRailErrorKind::kRejected) {
          NEXUS_RETURN_IF_ERROR(
              AttachStep(ExportStepKind::kAttachRefused, i, *a, ref, st.message()));
          rec_.warnings.push_back({"attachment_refused",
                                   "TestRail refused the attachment " + a->name + " for C" +
                                       std::to_string(a->case_id) + " (" +
                                       (IsTooLarge(st) ? std::string("too large") : st.message()) +
                                       "); the result itself was delivered.",
                                   a->run_id});
          spdlog::warn("event=export_attachment_refused export_id={} case={} name=\"{}\"", rec_.id,
                       a->case_id, a->name);
          NEXUS_RETURN_IF_ERROR(SaveProgress());
          break;
        }
        return st;  // not applied; transient ones are retried by the service from the journal
      }
    }
    return Status::Ok();
  }

  // Halves the batch that failed (an adaptive batch may be smaller than the maximum) and caps
  // every later batch of this attempt at that.
  void Shrink(const char* why, size_t failed_size) {
    const size_t cur =
        adaptive_ ? std::min(batch_size_, std::max<size_t>(1, failed_size)) : batch_size_;
    // Never grows: a configured size below min_batch_size stays as it is.
    size_t next = std::min(cur, std::max(ex_.options_.min_batch_size, cur / 2));
    if (next < batch_size_)
      spdlog::info("event=export_batch_shrunk export_id={} from={} to={} why={}", rec_.id,
                   batch_size_, next, why);
    batch_size_ = next;
  }

  // ---- Close.
  Status Close() {
    Status last;
    for (int attempt = 0; attempt < ex_.options_.max_step_attempts; ++attempt) {
      ExportStep intent;
      intent.kind = ExportStepKind::kCloseIntent;
      intent.remote_id = remote_id_;
      NEXUS_RETURN_IF_ERROR(Journal(intent));
      last =
          single_ ? client_.CloseRun(remote_id_).status() : client_.ClosePlan(remote_id_).status();
      bool done = last.ok() || IsAlreadyCompleted(last);
      if (!done && IsAmbiguous(last)) {
        if (single_) {
          auto r = client_.GetRun(remote_id_);
          done = r.ok() && r->is_completed;
        } else {
          auto p = client_.GetPlan(remote_id_);
          done = p.ok() && p->is_completed;
        }
      } else if (!done) {
        return last;
      }
      if (done) {
        ExportStep s;
        s.kind = ExportStepKind::kCloseDone;
        s.remote_id = remote_id_;
        NEXUS_RETURN_IF_ERROR(Journal(s));
        closed_ = true;
        return Status::Ok();
      }
    }
    return last;
  }

  void FinishRecord() {
    std::map<int64_t, ExportSkip> by_case;
    for (const auto& s : plan_.skipped)
      by_case[s.case_id] = {s.case_id, std::string(SkipReasonName(s.reason)), s.message};
    for (const auto& [c, msg] : rejected_)
      by_case[c] = {c, "rejected_by_testrail",
                    "TestRail refused the result for C" + std::to_string(c) +
                        " (deleted or not in the run): " + msg};
    rec_.skipped.clear();
    for (auto& [c, skip] : by_case) rec_.skipped.push_back(std::move(skip));
    if (!rejected_.empty() && rec_.error_code.empty()) {
      rec_.error_code = "cases_rejected";
      rec_.error = std::to_string(rejected_.size()) +
                   " case(s) were refused by TestRail at send time (deleted or not in the "
                   "run); the other results were delivered.";
    }
    rec_.results_sent = static_cast<int>(LandedCount());
  }

  ExportExecutor& ex_;
  const ExecuteRequest& req_;
  ExportRecord& rec_;
  const ExportPlan& plan_;
  const testrail::TestRailClient& client_;
  const std::string marker_;
  const bool single_;
  const bool adaptive_;
  size_t batch_size_;  // fixed size, or the largest an adaptive batch may be
  int64_t total_ = 0;

  bool created_ = false;
  bool closed_ = false;
  int64_t remote_id_ = 0;
  std::optional<TimeMs> create_since_;
  std::vector<int64_t> entry_runs_;
  std::vector<std::set<int64_t>> landed_;
  std::vector<std::set<int64_t>> pending_;  // sent (intent) but not confirmed
  std::vector<TimeMs> pending_since_;
  std::map<int64_t, std::string> rejected_;
  // Issue 17: every upload (entry, attachment), the uploads whose outcome is unknown (intent
  // journalled, no answer) and the finished ones (true: landed, false: refused).
  std::vector<std::pair<size_t, const PlannedAttachment*>> attach_todo_;
  std::map<AttachKey, ResultRef> attach_pending_;
  std::map<AttachKey, bool> attach_finished_;
};

ExportExecutor::ExportExecutor(Store& store, const Clock& clock, obs::Metrics* metrics,
                               ExecutorOptions options)
    : store_(store), clock_(clock), metrics_(metrics), options_(options) {}

Status ExportExecutor::Execute(const ExecuteRequest& req, const testrail::TestRailClient& client) {
  if (req.record == nullptr || req.plan == nullptr)
    return Internal("ExportExecutor::Execute without record or plan");
  if (req.plan->nothing_to_send || req.plan->entries.empty())
    return Internal("ExportExecutor::Execute with nothing to send");
  Run run(*this, req, client);
  return run.Go();
}

}  // namespace nexus::integration
