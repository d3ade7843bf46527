// CatalogService implementation: the sync job (one worker per suite, one transaction per
// suite), the catalog state, and the in-memory search index. See catalog_service.h and
// docs/catalog.md.
#include "integration/catalog_service.h"

#include "testrail/errors.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace nexus::integration {
namespace {

constexpr int kMaxSyncPasses = 3;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

SyncMode ModeFromName(const std::string& s) {
  if (s == "full") return SyncMode::kFull;
  if (s == "incremental") return SyncMode::kIncremental;
  return SyncMode::kAuto;
}

CatalogCaseRecord ToRecord(testrail::Case& c) {
  CatalogCaseRecord r;
  r.id = c.id;
  r.suite_id = c.suite_id;
  r.section_id = c.section_id;
  r.title = std::move(c.title);
  r.refs = std::move(c.refs);
  r.created_on = c.created_on;
  r.updated_on = c.updated_on;
  r.display_order = c.display_order;
  return r;
}

bool IsWordStart(const std::string& s, size_t pos) {
  return pos == 0 || !std::isalnum(static_cast<unsigned char>(s[pos - 1]));
}

// "C123", "c123" or "123" → 123.
std::optional<int64_t> ParseCaseId(std::string_view q) {
  if (!q.empty() && (q[0] == 'C' || q[0] == 'c')) q.remove_prefix(1);
  if (q.empty() || q.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char ch : q) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

// A search cursor: the offset into the hits, as plain digits up to 10,000,000.
Result<size_t> ParseCursor(const std::string& cursor) {
  auto v = ParseCaseId(cursor);
  if (!v || cursor[0] == 'C' || cursor[0] == 'c' || *v > 10'000'000)
    return InvalidArgument("cursor is not valid", "cursor", "invalid_value");
  return static_cast<size_t>(*v);
}

std::string TrimSpace(std::string q) {
  while (!q.empty() && std::isspace(static_cast<unsigned char>(q.back()))) q.pop_back();
  size_t lead = 0;
  while (lead < q.size() && std::isspace(static_cast<unsigned char>(q[lead]))) ++lead;
  q.erase(0, lead);
  return q;
}

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> words;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

// How well a lower-cased title matches the lower-cased query `lq` (split into `words`):
// 0 the whole title, 1 a prefix, 2 every word at a word start, 3 every word somewhere;
// nullopt when a word is missing.
std::optional<int64_t> MatchRank(const std::string& lower, const std::string& lq,
                                 const std::vector<std::string>& words) {
  bool all_word_start = true;
  for (const auto& w : words) {
    size_t pos = lower.find(w);
    if (pos == std::string::npos) return std::nullopt;
    if (all_word_start) {
      bool ws = false;
      for (; pos != std::string::npos; pos = lower.find(w, pos + 1))
        if (IsWordStart(lower, pos)) {
          ws = true;
          break;
        }
      all_word_start = ws;
    }
  }
  return lower == lq ? 0 : lower.rfind(lq, 0) == 0 ? 1 : all_word_start ? 2 : 3;
}

constexpr int64_t kPageSize = 250;  // get_cases page (TestRail's maximum)

int64_t Pages(int64_t cases) { return std::max<int64_t>(1, (cases + kPageSize - 1) / kPageSize); }

// Linked cases of one section that an incremental sync must verify when its listing did not
// show them: by listing the section (get_cases&section_id, `pages` calls) when that is
// cheaper than one get_case per case, else one get_case each.
struct VerifyGroup {
  int64_t section_id = 0;
  int64_t pages = 1;  // get_cases pages the section's listing costs (catalog's live count)
  std::vector<int64_t> case_ids;
};

// One suite a sync pass fetches: all of it (full) or the cases updated since its high water,
// then (incremental) the linked cases that listing did not show (deletion check).
struct SuiteWork {
  TestRailSuiteRecord suite;
  bool full = false;
  int64_t high_water = 0;  // the catalog's high water of the suite (0: never synced)
  std::vector<VerifyGroup> verify;
};

// What the catalog knows of the linked cases, for planning their deletion check.
struct LinkedCatalog {
  // suite → section → live linked case ids
  std::map<int64_t, std::map<int64_t, std::vector<int64_t>>> linked;
  std::unordered_map<int64_t, int64_t> section_live;  // section → live cases in the catalog
  std::unordered_map<int64_t, int64_t> suite_live;    // suite → live cases in the catalog
};

// The cheapest check of a suite's linked cases: per section min(listing pages, cases), in
// calls; `groups` receives the plan.
int64_t PlanVerify(const std::map<int64_t, std::vector<int64_t>>& sections, const LinkedCatalog& lc,
                   std::vector<VerifyGroup>* groups) {
  int64_t calls = 0;
  for (const auto& [section, ids] : sections) {
    auto it = lc.section_live.find(section);
    VerifyGroup g;
    g.section_id = section;
    g.pages = Pages(it == lc.section_live.end() ? 0 : it->second);
    g.case_ids = ids;
    calls += std::min<int64_t>(g.pages, static_cast<int64_t>(ids.size()));
    groups->push_back(std::move(g));
  }
  return calls;
}

// The suites of the next pass: the selected ones not synced by an earlier pass, each full when
// the mode asks for it, the catalog never fully synced it, or (auto) its last full sync is
// older than options.full_sync_every_ms.
// An incremental suite whose linked cases would cost more calls to check than listing the
// whole suite gets a full sync instead (docs/catalog.md "Deletions of linked cases").
std::vector<SuiteWork> PlanPass(const std::vector<TestRailSuiteRecord>& suites,
                                const std::vector<CatalogSuiteRecord>& catalog_suites,
                                const std::set<int64_t>& done, SyncMode mode, TimeMs started,
                                const CatalogOptions& options, const LinkedCatalog& lc) {
  std::map<int64_t, CatalogSuiteRecord> known;
  for (const auto& s : catalog_suites) known[s.suite_id] = s;
  std::vector<SuiteWork> work;
  for (const auto& s : suites) {
    if (done.count(s.id)) continue;
    auto it = known.find(s.id);
    bool full = mode == SyncMode::kFull || it == known.end() || !it->second.last_full_sync_at ||
                (mode == SyncMode::kAuto &&
                 started - *it->second.last_full_sync_at > options.full_sync_every_ms);
    int64_t high_water = it != known.end() ? it->second.high_water_updated_on : 0;
    SuiteWork w{s, full, high_water, {}};
    auto linked = lc.linked.find(s.id);
    if (!full && linked != lc.linked.end()) {
      auto live = lc.suite_live.find(s.id);
      int64_t listing = Pages(live == lc.suite_live.end() ? 0 : live->second);
      // Incremental already costs one cases page; a full sync lists `listing` pages.
      if (PlanVerify(linked->second, lc, &w.verify) + 1 >= listing) {
        w.full = true;
        w.verify.clear();
      }
    }
    work.push_back(std::move(w));
  }
  return work;
}

// Progress of one sync, shared by the workers of its passes and reported to its job.
struct SyncProgress {
  jobs::JobContext* ctx = nullptr;
  std::mutex mu;  // guards the counters below, the ctx progress and the pass's first error
  int64_t fetched_total = 0;
  size_t suites_done = 0;
  size_t total = 0;  // suites of this and the earlier passes

  // Call with mu held.
  void Report() {
    if (ctx)
      ctx->SetProgress({{"suites_done", suites_done},
                        {"suites_total", total},
                        {"cases_fetched", fetched_total}});
  }
};

// Syncs the suites of one pass into the catalog of `project_id`.
struct SuiteSyncer {
  CatalogStore& store;
  const Clock& clock;
  const CatalogOptions& options;
  const testrail::TestRailClient& client;
  int64_t project_id = 0;
  int64_t tr_project = 0;
  SyncProgress& progress;

  // Fetches the suite's sections and cases (incremental: those updated after its high water
  // minus the overlap) and applies them in one transaction. Unavailable when the job is asked
  // to stop.
  Status SyncSuite(const SuiteWork& w, SuiteSyncReport& rep) const {
    const TestRailSuiteRecord& suite = w.suite;
    NEXUS_ASSIGN_OR_RETURN(auto sections, client.GetSections(tr_project, suite.id));
    CatalogSuiteUpdate u;
    u.suite_id = suite.id;
    u.name = suite.name;
    u.full = w.full;
    for (const auto& sec : sections)
      u.sections.push_back(
          {sec.id, suite.id, sec.parent_id, sec.name, sec.depth, sec.display_order});
    rep.sections = static_cast<int64_t>(u.sections.size());
    testrail::GetCasesRequest req;
    req.project_id = tr_project;
    req.suite_id = suite.id;
    if (!w.full) req.updated_after = std::max<int64_t>(0, w.high_water - options.overlap_s);
    jobs::JobContext* ctx = progress.ctx;
    NEXUS_RETURN_IF_ERROR(
        client.ForEachCasesPage(req, [&](std::vector<testrail::Case>& page) -> Status {
          if (ctx && ctx->StopRequested())
            return Status(StatusCode::kUnavailable, "catalog sync interrupted");
          for (auto& c : page)
            if (!c.is_deleted) u.cases.push_back(ToRecord(c));
          rep.cases_fetched += static_cast<int64_t>(page.size());
          std::lock_guard<std::mutex> lock(progress.mu);
          progress.fetched_total += static_cast<int64_t>(page.size());
          progress.Report();
          return Status::Ok();
        }));
    if (!w.full) NEXUS_RETURN_IF_ERROR(VerifyLinked(w, u, rep));
    return store.ApplyCatalogSuite(project_id, u, clock.NowMs());
  }

  // The deletion check of an incremental sync: every linked case of the suite the listing did
  // not show is looked up — by listing its section when that is cheaper, else (and for a case
  // its section listing no longer shows: moved or deleted) by get_case, whose 400 means
  // deleted. Live cases found are upserted; deleted ones land in u.deleted_case_ids.
  Status VerifyLinked(const SuiteWork& w, CatalogSuiteUpdate& u, SuiteSyncReport& rep) const {
    std::unordered_set<int64_t> seen;
    for (const auto& c : u.cases) seen.insert(c.id);
    auto get_case = [&](int64_t id) -> Status {
      ++rep.verify_calls;
      auto c = client.GetCase(id);
      if (c.ok()) {
        if (!c->is_deleted && c->suite_id == w.suite.id && seen.insert(id).second)
          u.cases.push_back(ToRecord(*c));
        return Status::Ok();
      }
      if (testrail::ErrorKindOf(c.status()) == testrail::TestRailErrorKind::kRejected) {
        u.deleted_case_ids.push_back(id);
        return Status::Ok();
      }
      return c.status();
    };
    jobs::JobContext* ctx = progress.ctx;
    for (const VerifyGroup& g : w.verify) {
      if (ctx && ctx->StopRequested())
        return Status(StatusCode::kUnavailable, "catalog sync interrupted");
      std::vector<int64_t> left;
      for (int64_t id : g.case_ids)
        if (!seen.count(id)) left.push_back(id);
      rep.verified += static_cast<int64_t>(left.size());
      if (static_cast<int64_t>(left.size()) > g.pages) {
        testrail::GetCasesRequest req;
        req.project_id = tr_project;
        req.suite_id = w.suite.id;
        req.section_id = g.section_id;
        std::unordered_set<int64_t> want(left.begin(), left.end());
        NEXUS_RETURN_IF_ERROR(
            client.ForEachCasesPage(req, [&](std::vector<testrail::Case>& page) -> Status {
              ++rep.verify_calls;
              for (auto& c : page)
                if (!c.is_deleted && want.count(c.id) && seen.insert(c.id).second)
                  u.cases.push_back(ToRecord(c));
              return Status::Ok();
            }));
        std::vector<int64_t> gone;
        for (int64_t id : left)
          if (!seen.count(id)) gone.push_back(id);
        left = std::move(gone);  // not in its section any more: moved or deleted
      }
      for (int64_t id : left) NEXUS_RETURN_IF_ERROR(get_case(id));
    }
    rep.deleted_found = static_cast<int64_t>(u.deleted_case_ids.size());
    return Status::Ok();
  }

  // Syncs `work` on up to options.max_parallel_suites threads (this one included); one report
  // per suite, in the order of `work`. The first failure lands in `first_error` when that is
  // still ok.
  std::vector<SuiteSyncReport> RunPass(const std::vector<SuiteWork>& work,
                                       Status& first_error) const {
    std::vector<SuiteSyncReport> results(work.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
      while (true) {
        size_t i = next++;
        if (i >= work.size()) return;
        SuiteSyncReport& rep = results[i];
        rep.suite_id = work[i].suite.id;
        rep.full = work[i].full;
        Status s = SyncSuite(work[i], rep);
        if (!s.ok()) rep.error = s.message();
        std::lock_guard<std::mutex> lock(progress.mu);
        ++progress.suites_done;
        if (!s.ok() && first_error.ok()) first_error = s;
        progress.Report();
      }
    };
    int n = std::clamp<int>(options.max_parallel_suites, 1, static_cast<int>(work.size()));
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    return results;
  }
};

// Records a failed sync in the catalog state (best effort) and returns `s`.
Status RecordSyncFailure(CatalogStore& store, const Clock& clock, int64_t project_id,
                         CatalogStateRecord& state, const Status& s) {
  state.state = "failed";
  state.last_error = s.message();
  state.updated_at = clock.NowMs();
  Status w = store.SaveCatalogState(project_id, state);
  if (!w.ok()) spdlog::warn("event=catalog_state_save_failed error=\"{}\"", w.message());
  spdlog::warn("event=catalog_sync_failed project_id={} error=\"{}\"", project_id, s.message());
  return s;
}

}  // namespace

nlohmann::json SyncReportToJson(const SyncReport& r) {
  nlohmann::json suites = nlohmann::json::array();
  for (const auto& s : r.suites)
    suites.push_back(
        {{"suite_id", s.suite_id},
         {"mode", s.full ? "full" : "incremental"},
         {"cases_fetched", s.cases_fetched},
         {"sections", s.sections},
         {"linked_verified", s.verified},
         {"verify_calls", s.verify_calls},
         {"deleted_found", s.deleted_found},
         {"error", s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error)}});
  return {{"suites", suites}, {"duration_ms", r.duration_ms}};
}

// ---- Search index.

struct CatalogService::Index {
  struct Entry {
    int64_t id = 0;
    int64_t suite_id = 0;
    int64_t section_id = 0;
    int64_t updated_on = 0;
    int64_t display_order = 0;
    int64_t section_rank = 0;  // position of its section in tree order
    bool deleted = false;
    std::string title;
    std::string lower;
    std::string refs;
  };
  std::vector<Entry> cases;  // ascending id
  std::unordered_map<int64_t, size_t> by_id;
  std::unordered_map<int64_t, std::string> section_path;
  std::map<int64_t, std::string> suite_names;
  std::vector<SectionNode> tree;  // every section, tree order, grouped by suite
};

CatalogService::CatalogService(Store& store, const Clock& clock, ProjectClientProvider clients,
                               jobs::JobRunner& runner, CatalogOptions options)
    : store_(store),
      clock_(clock),
      clients_(std::move(clients)),
      runner_(runner),
      options_(options),
      requests_(store, runner) {}

CatalogService::~CatalogService() { StopPeriodic(); }

void CatalogService::RegisterJobs() {
  runner_.Register(kJobKind, [this](jobs::JobContext& ctx) -> Result<nlohmann::json> {
    SyncMode mode = SyncMode::kAuto;
    auto payload = nlohmann::json::parse(ctx.job().payload_json, nullptr, false);
    if (payload.is_object() && payload.contains("mode") && payload["mode"].is_string())
      mode = ModeFromName(payload["mode"].get<std::string>());
    NEXUS_ASSIGN_OR_RETURN(SyncReport r, SyncNow(ctx.job().project_id, mode, &ctx));
    return SyncReportToJson(r);
  });
}

Result<int64_t> CatalogService::RequestSync(int64_t project_id, SyncMode mode) {
  return requests_.Request(project_id, mode);
}

void CatalogService::OnSuitesChanged(int64_t project_id) { requests_.OnSuitesChanged(project_id); }

Result<std::vector<TestRailSuiteRecord>> CatalogService::SelectedSuites(int64_t project_id) {
  auto cfg = store_.GetTestRailConfig(project_id);
  if (!cfg.ok()) {
    if (cfg.status().code() == StatusCode::kNotFound) return std::vector<TestRailSuiteRecord>{};
    return cfg.status();
  }
  return cfg->suites;
}

Result<SyncReport> CatalogService::SyncNow(int64_t project_id, SyncMode mode,
                                           jobs::JobContext* ctx) {
  const TimeMs started = clock_.NowMs();
  NEXUS_ASSIGN_OR_RETURN(std::optional<CatalogStateRecord> prev,
                         store_.GetCatalogState(project_id));
  CatalogStateRecord state = prev.value_or(CatalogStateRecord{});
  auto record_failure = [&](const Status& s) -> Status {
    return RecordSyncFailure(store_, clock_, project_id, state, s);
  };

  auto cfg_r = store_.GetTestRailConfig(project_id);
  if (!cfg_r.ok() && cfg_r.status().code() != StatusCode::kNotFound) return cfg_r.status();
  if (!cfg_r.ok() || !cfg_r->connection)
    return record_failure(
        Status(StatusCode::kConflict, "TestRail is not connected", {}, "not_connected"));
  if (!cfg_r->project)
    return record_failure(Status(StatusCode::kConflict, "select a TestRail project first", {},
                                 "no_project_selected"));

  state.state = "syncing";
  state.last_attempt_at = started;
  state.updated_at = started;
  NEXUS_RETURN_IF_ERROR(store_.SaveCatalogState(project_id, state));

  auto client_r = clients_(project_id);
  if (!client_r.ok()) return record_failure(client_r.status());
  SyncProgress progress;
  progress.ctx = ctx;
  const SuiteSyncer syncer{store_,  clock_, options_, **client_r, project_id, cfg_r->project->id,
                           progress};

  SyncReport report;
  std::set<int64_t> done;  // suites synced in an earlier pass
  bool all_full = true, any_incremental = false;
  Status first_error;
  // The linked cases and the catalog's live counts per section and suite (the deletion check
  // of incremental syncs).
  auto load_linked = [&]() -> Result<LinkedCatalog> {
    LinkedCatalog lc;
    NEXUS_ASSIGN_OR_RETURN(std::vector<int64_t> ids, store_.ListLinkedCaseIds(project_id));
    if (ids.empty()) return lc;
    NEXUS_ASSIGN_OR_RETURN(auto linked, store_.GetCatalogCases(project_id, ids));
    for (const auto& c : linked)
      if (!c.is_deleted) lc.linked[c.suite_id][c.section_id].push_back(c.id);
    NEXUS_ASSIGN_OR_RETURN(auto index, GetIndex(project_id));
    for (const auto& c : index->cases)
      if (!c.deleted) {
        ++lc.section_live[c.section_id];
        ++lc.suite_live[c.suite_id];
      }
    return lc;
  };
  std::vector<TestRailSuiteRecord> suites = cfg_r->suites;
  for (int pass = 0; pass < kMaxSyncPasses; ++pass) {
    NEXUS_ASSIGN_OR_RETURN(auto catalog_suites, store_.ListCatalogSuites(project_id));
    LinkedCatalog lc;
    if (mode != SyncMode::kFull) {
      auto lc_r = load_linked();
      if (!lc_r.ok()) return record_failure(lc_r.status());
      lc = std::move(lc_r).value();
    }
    std::vector<SuiteWork> work =
        PlanPass(suites, catalog_suites, done, mode, started, options_, lc);
    if (work.empty()) break;
    progress.total = done.size() + work.size();  // no worker is running
    std::vector<SuiteSyncReport> results = syncer.RunPass(work, first_error);
    Invalidate(project_id);
    for (auto& r : results) {
      done.insert(r.suite_id);
      if (!r.full) {
        all_full = false;
        any_incremental = true;
      }
      report.suites.push_back(std::move(r));
    }
    if (!first_error.ok()) break;
    // The selection may have changed while we were fetching: sync newly selected suites.
    NEXUS_ASSIGN_OR_RETURN(suites, SelectedSuites(project_id));
  }

  const TimeMs finished = clock_.NowMs();
  report.duration_ms = finished - started;
  if (!first_error.ok()) return record_failure(first_error);
  state.state = "ok";
  state.last_error.clear();
  if (!report.suites.empty() && all_full) state.last_full_sync_at = finished;
  if (any_incremental || report.suites.empty()) state.last_incremental_at = finished;
  state.updated_at = finished;
  NEXUS_RETURN_IF_ERROR(store_.SaveCatalogState(project_id, state));
  spdlog::info("event=catalog_synced project_id={} suites={} cases_fetched={} duration_ms={}",
               project_id, report.suites.size(), progress.fetched_total, report.duration_ms);
  return report;
}

Status CatalogService::EnsureFresh(int64_t project_id, std::chrono::milliseconds max_age,
                                   std::chrono::milliseconds timeout) {
  NEXUS_ASSIGN_OR_RETURN(auto state, store_.GetCatalogState(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto selected, SelectedSuites(project_id));
  NEXUS_ASSIGN_OR_RETURN(auto known, store_.ListCatalogSuites(project_id));
  bool all_known = std::all_of(selected.begin(), selected.end(), [&](const auto& s) {
    return std::any_of(known.begin(), known.end(), [&](const CatalogSuiteRecord& k) {
      return k.suite_id == s.id && k.last_full_sync_at;
    });
  });
  if (state && state->state == "ok" && all_known) {
    TimeMs last =
        std::max(state->last_full_sync_at.value_or(0), state->last_incremental_at.value_or(0));
    if (clock_.NowMs() - last <= max_age.count()) return Status::Ok();
  }
  NEXUS_ASSIGN_OR_RETURN(int64_t id, RequestSync(project_id, SyncMode::kAuto));
  NEXUS_ASSIGN_OR_RETURN(Job job, runner_.WaitFor(id, timeout));
  if (!JobFinished(job.state))
    return Status(StatusCode::kTimeout, "the TestRail catalog sync did not finish in time", {},
                  "catalog_sync_timeout");
  if (job.state == JobState::kFailed)
    return Status(StatusCode::kUnavailable, "TestRail catalog sync failed: " + job.error, {},
                  "catalog_sync_failed");
  return Status::Ok();
}

Status CatalogService::RefreshIfStale(int64_t project_id) {
  if (options_.export_max_age_ms <= 0) return Status::Ok();
  return EnsureFresh(project_id, std::chrono::milliseconds(options_.export_max_age_ms),
                     std::chrono::milliseconds(options_.export_refresh_timeout_ms));
}

Result<int64_t> CatalogService::ConfirmDeletedCases(int64_t project_id,
                                                    const testrail::TestRailClient& client,
                                                    const std::vector<int64_t>& case_ids) {
  constexpr size_t kMaxChecks = 100;
  std::vector<int64_t> gone;
  size_t checked = 0;
  for (int64_t id : std::set<int64_t>(case_ids.begin(), case_ids.end())) {
    if (checked++ >= kMaxChecks) break;
    auto c = client.GetCase(id);
    if ((c.ok() && c->is_deleted) ||
        (!c.ok() && testrail::ErrorKindOf(c.status()) == testrail::TestRailErrorKind::kRejected))
      gone.push_back(id);
  }
  if (gone.empty()) return int64_t{0};
  NEXUS_ASSIGN_OR_RETURN(int64_t n,
                         store_.MarkCatalogCasesDeleted(project_id, gone, clock_.NowMs()));
  Invalidate(project_id);
  spdlog::info("event=catalog_cases_deleted_by_export project_id={} cases={}", project_id, n);
  return n;
}

Result<CatalogStatusView> CatalogService::GetStatus(int64_t project_id) {
  CatalogStatusView v;
  NEXUS_ASSIGN_OR_RETURN(auto state, store_.GetCatalogState(project_id));
  if (state) {
    v.state = state->state;
    v.last_full_sync_at = state->last_full_sync_at;
    v.last_incremental_at = state->last_incremental_at;
    if (state->last_full_sync_at || state->last_incremental_at)
      v.last_sync_at =
          std::max(state->last_full_sync_at.value_or(0), state->last_incremental_at.value_or(0));
    v.last_error = state->last_error;
  }
  NEXUS_ASSIGN_OR_RETURN(auto jobs, store_.ListJobs(project_id, kJobKind, 5));
  for (const auto& j : jobs) {
    if (JobFinished(j.state)) continue;
    v.job_id = j.id;
    v.state = j.state == JobState::kQueued ? "queued" : "syncing";
    v.progress = j.progress_json.empty() ? nlohmann::json(nullptr)
                                         : nlohmann::json::parse(j.progress_json, nullptr, false);
    break;
  }
  NEXUS_ASSIGN_OR_RETURN(auto selected, SelectedSuites(project_id));
  std::unordered_set<int64_t> sel;
  for (const auto& s : selected) {
    sel.insert(s.id);
    v.suite_ids.push_back(s.id);
  }
  NEXUS_ASSIGN_OR_RETURN(auto index, GetIndex(project_id));
  for (const auto& c : index->cases)
    if (sel.count(c.suite_id)) (c.deleted ? v.deleted_cases : v.cases)++;
  for (const auto& s : index->tree)
    if (sel.count(s.suite_id)) ++v.sections;
  return v;
}

// ---- Index.

void CatalogService::Invalidate(int64_t project_id) {
  std::lock_guard<std::mutex> lock(index_mu_);
  indexes_.erase(project_id);
  ++generation_[project_id];
}

Result<std::shared_ptr<const CatalogService::Index>> CatalogService::GetIndex(int64_t project_id) {
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(index_mu_);
    auto it = indexes_.find(project_id);
    if (it != indexes_.end()) return it->second;
    gen = generation_[project_id];
  }
  auto idx = std::make_shared<Index>();
  NEXUS_ASSIGN_OR_RETURN(auto suites, store_.ListCatalogSuites(project_id));
  for (const auto& s : suites) idx->suite_names[s.suite_id] = s.name;
  NEXUS_ASSIGN_OR_RETURN(auto sections, store_.ListCatalogSections(project_id, std::nullopt));
  // Tree order: depth-first, children by display_order then id, per suite.
  std::unordered_map<int64_t, const CatalogSectionRecord*> by_id;
  for (const auto& s : sections) by_id[s.id] = &s;
  std::map<std::pair<int64_t, int64_t>, std::vector<const CatalogSectionRecord*>> children;
  for (const auto& s : sections) {
    int64_t parent = s.parent_id && by_id.count(*s.parent_id) ? *s.parent_id : 0;
    children[{s.suite_id, parent}].push_back(&s);
  }
  for (auto& [k, v] : children)
    std::sort(v.begin(), v.end(), [](const auto* a, const auto* b) {
      return std::tie(a->display_order, a->id) < std::tie(b->display_order, b->id);
    });
  std::unordered_map<int64_t, int64_t> rank;
  std::set<int64_t> suite_ids;
  for (const auto& s : sections) suite_ids.insert(s.suite_id);
  std::function<void(int64_t, int64_t, int, const std::string&)> walk =
      [&](int64_t suite, int64_t parent, int depth, const std::string& path) {
        auto it = children.find({suite, parent});
        if (it == children.end()) return;
        for (const auto* s : it->second) {
          std::string p = path.empty() ? s->name : path + " > " + s->name;
          rank[s->id] = static_cast<int64_t>(idx->tree.size());
          idx->tree.push_back({s->id, s->suite_id, s->parent_id, s->name, depth, s->display_order});
          idx->section_path[s->id] = p;
          walk(suite, s->id, depth + 1, p);
        }
      };
  for (int64_t suite : suite_ids) walk(suite, 0, 0, "");
  NEXUS_ASSIGN_OR_RETURN(auto cases, store_.ListCatalogCases(project_id));
  idx->cases.reserve(cases.size());
  for (auto& c : cases) {
    Index::Entry e;
    e.id = c.id;
    e.suite_id = c.suite_id;
    e.section_id = c.section_id;
    e.updated_on = c.updated_on;
    e.display_order = c.display_order;
    auto r = rank.find(c.section_id);
    e.section_rank = r == rank.end() ? INT64_MAX : r->second;
    e.deleted = c.is_deleted;
    e.lower = Lower(c.title);
    e.title = std::move(c.title);
    e.refs = std::move(c.refs);
    idx->by_id[e.id] = idx->cases.size();
    idx->cases.push_back(std::move(e));
  }
  std::shared_ptr<const Index> out = std::move(idx);
  std::lock_guard<std::mutex> lock(index_mu_);
  if (generation_[project_id] == gen) indexes_[project_id] = out;
  return out;
}

Result<std::vector<SectionNode>> CatalogService::Sections(int64_t project_id,
                                                          std::optional<int64_t> suite_id) {
  NEXUS_ASSIGN_OR_RETURN(auto selected, SelectedSuites(project_id));
  std::unordered_set<int64_t> sel;
  for (const auto& s : selected) sel.insert(s.id);
  if (suite_id && !sel.count(*suite_id))
    return InvalidArgument("suite " + std::to_string(*suite_id) + " is not a selected suite",
                           "suite_id", "suite_not_selected");
  NEXUS_ASSIGN_OR_RETURN(auto index, GetIndex(project_id));
  std::vector<SectionNode> out;
  for (const auto& s : index->tree)
    if (suite_id ? s.suite_id == *suite_id : sel.count(s.suite_id) > 0) out.push_back(s);
  return out;
}

Result<CasePage> CatalogService::SearchCases(int64_t project_id, const CaseQuery& query) {
  if (query.limit < 1 || query.limit > 250)
    return InvalidArgument("limit must be between 1 and 250", "limit", "invalid_value");
  size_t offset = 0;
  if (!query.cursor.empty()) {
    NEXUS_ASSIGN_OR_RETURN(offset, ParseCursor(query.cursor));
  }
  NEXUS_ASSIGN_OR_RETURN(auto selected, SelectedSuites(project_id));
  std::unordered_set<int64_t> sel;
  for (const auto& s : selected) sel.insert(s.id);
  if (query.suite_id && !sel.count(*query.suite_id))
    return InvalidArgument("suite " + std::to_string(*query.suite_id) + " is not a selected suite",
                           "suite_id", "suite_not_selected");
  NEXUS_ASSIGN_OR_RETURN(auto index, GetIndex(project_id));
  auto visible = [&](const Index::Entry& e) {
    return !e.deleted && sel.count(e.suite_id) &&
           (!query.suite_id || e.suite_id == *query.suite_id) &&
           (!query.section_id || e.section_id == *query.section_id);
  };

  const std::string q = TrimSpace(query.q);

  std::vector<std::pair<int64_t, size_t>> hits;  // (sort key rank, index)
  if (auto id = ParseCaseId(q)) {
    auto it = index->by_id.find(*id);
    if (it != index->by_id.end() && visible(index->cases[it->second]))
      hits.emplace_back(0, it->second);
  } else if (q.empty()) {
    for (size_t i = 0; i < index->cases.size(); ++i)
      if (visible(index->cases[i])) hits.emplace_back(0, i);
    auto key = [&](size_t i) {
      const auto& e = index->cases[i];
      return std::make_tuple(e.suite_id, e.section_rank, e.display_order, e.id);
    };
    size_t want = std::min(hits.size(), offset + query.limit + 1);
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(want), hits.end(),
                      [&](const auto& a, const auto& b) { return key(a.second) < key(b.second); });
  } else {
    const std::string lq = Lower(q);
    const std::vector<std::string> words = SplitWords(lq);
    for (size_t i = 0; i < index->cases.size(); ++i) {
      const auto& e = index->cases[i];
      std::optional<int64_t> rank = MatchRank(e.lower, lq, words);
      if (!rank || !visible(e)) continue;
      hits.emplace_back(*rank, i);
    }
    size_t want = std::min(hits.size(), offset + query.limit + 1);
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(want), hits.end(),
                      [&](const auto& a, const auto& b) {
                        return std::make_pair(a.first, index->cases[a.second].id) <
                               std::make_pair(b.first, index->cases[b.second].id);
                      });
  }

  CasePage page;
  for (size_t k = offset; k < hits.size() && page.items.size() < static_cast<size_t>(query.limit);
       ++k) {
    const auto& e = index->cases[hits[k].second];
    CaseHit h;
    h.id = e.id;
    h.title = e.title;
    h.suite_id = e.suite_id;
    auto sn = index->suite_names.find(e.suite_id);
    h.suite = sn == index->suite_names.end() ? "" : sn->second;
    h.section_id = e.section_id;
    auto sp = index->section_path.find(e.section_id);
    h.section_path = sp == index->section_path.end() ? "" : sp->second;
    h.refs = e.refs;
    h.updated_on = e.updated_on;
    page.items.push_back(std::move(h));
  }
  if (offset + page.items.size() < hits.size())
    page.next_cursor = std::to_string(offset + page.items.size());
  return page;
}

Result<std::map<int64_t, CaseInfo>> CatalogService::LookupCases(
    int64_t project_id, const std::vector<int64_t>& case_ids) {
  NEXUS_ASSIGN_OR_RETURN(auto selected, SelectedSuites(project_id));
  std::map<int64_t, std::string> sel;
  for (const auto& s : selected) sel[s.id] = s.name;
  NEXUS_ASSIGN_OR_RETURN(auto index, GetIndex(project_id));
  std::map<int64_t, CaseInfo> out;
  for (int64_t id : case_ids) {
    auto it = index->by_id.find(id);
    if (it == index->by_id.end()) continue;
    const auto& e = index->cases[it->second];
    CaseInfo ci;
    ci.id = e.id;
    ci.suite_id = e.suite_id;
    auto s = sel.find(e.suite_id);
    ci.suite_selected = s != sel.end();
    auto sn = index->suite_names.find(e.suite_id);
    ci.suite = ci.suite_selected ? s->second : (sn == index->suite_names.end() ? "" : sn->second);
    ci.title = e.title;
    auto sp = index->section_path.find(e.section_id);
    ci.section_path = sp == index->section_path.end() ? "" : sp->second;
    ci.updated_on = e.updated_on;
    ci.deleted = e.deleted;
    out[id] = std::move(ci);
  }
  return out;
}

// ---- Periodic sync.

void CatalogService::StartPeriodic() {
  if (options_.periodic_interval_ms <= 0 || periodic_.joinable()) return;
  periodic_ = std::thread([this] { PeriodicLoop(); });
}

void CatalogService::StopPeriodic() {
  {
    std::lock_guard<std::mutex> lock(periodic_mu_);
    periodic_stop_ = true;
  }
  periodic_cv_.notify_all();
  if (periodic_.joinable()) periodic_.join();
}

void CatalogService::PeriodicLoop() {
  std::unique_lock<std::mutex> lock(periodic_mu_);
  while (!periodic_stop_) {
    periodic_cv_.wait_for(lock, std::chrono::milliseconds(options_.periodic_interval_ms),
                          [&] { return periodic_stop_; });
    if (periodic_stop_) break;
    lock.unlock();
    auto projects = store_.ListProjects();
    if (projects.ok()) {
      for (const auto& p : *projects) {
        auto cfg = store_.GetTestRailConfig(p.id);
        if (!cfg.ok() || !cfg->connection || !cfg->project || cfg->suites.empty()) continue;
        OnSuitesChanged(p.id);
      }
    }
    lock.lock();
  }
}

}  // namespace nexus::integration
