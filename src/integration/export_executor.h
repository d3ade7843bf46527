// ExportExecutor: sends one planned export to TestRail exactly once (R-EXP-4/5/6, R-Q-IDEMP).
// Every remote step is journalled in the Store before and after its call (export_steps);
// a run of Execute() after a crash, a restart or an ambiguous failure first reads the
// journal, then reconciles what the journal cannot know by reading TestRail, and sends only
// what is missing. How an export is recognised on the TestRail side and what is read to
// reconcile: docs/export.md.
//
// Thread-safety: one Execute() per export at a time (the caller guarantees it: the export
// runs as one job); different exports may run concurrently on one executor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/attachment_plan.h"
#include "core/clock.h"
#include "core/export_planner.h"
#include "core/status.h"
#include "obs/metrics.h"
#include "storage/store.h"
#include "testrail/client.h"

namespace nexus::integration {

struct ExecutorOptions {
  // Results per add_results_for_cases call. 0 (default): adaptive (issue 16) — before each
  // wave the executor picks the batch size and the number in flight from the results left
  // and the latency and per-result cost measured on earlier calls of this instance
  // (ChooseBatches), up to max_batch_size and parallel_batches. > 0: that fixed size
  // (`--export-batch-size`). Either way halved (down to min_batch_size) after a timeout or
  // a 413 for the rest of the export.
  size_t batch_size = 0;
  size_t max_batch_size = 1000;
  size_t min_batch_size = 10;
  // Batches of one entry in flight at most (the instance's rate budget still governs every
  // call). A TestRail call of 1,000 results takes about a second of server time, so
  // sequential batches, not the rate limit, bound a large export (docs/benchmarks.md
  // "Export"). 1 = one at a time.
  size_t parallel_batches = 10;
  // Reconciliation reads objects created after (intent time − slack): tolerance for clock
  // skew between Nexus and TestRail.
  int64_t reconcile_slack_s = 600;
  // Attempts of one step whose outcome stays ambiguous and is found not applied.
  int max_step_attempts = 4;
  // Wait after an ambiguous outcome before reading what landed: a timeout or a reset does not
  // stop TestRail's work on the request, so reading at once could miss results still being
  // written and send them twice (simulator fault "timeout-then-apply").
  int64_t settle_ms = 5000;
  // Issue 16 (memory flat in N): results of a stored plan read per store call; the executor
  // holds at most about max(page_rows, one wave) of them.
  size_t page_rows = 5000;
};

// The text that identifies an export on the TestRail side: in the run's/plan's description
// and, followed by " C<case id>", on the last line of every result comment.
std::string ExportMarker(int64_t export_id, const std::string& nonce);
// What a dry run shows in place of the marker: the export id and nonce exist only once the
// export is recorded.
inline constexpr std::string_view kPreviewMarker = "nexus-export:{export_id}:{nonce}";
// The texts sent to TestRail: the plan's description / a result's comment followed by the
// marker line (" C<case id>" after the marker in a comment). The dry run applies the same
// functions with kPreviewMarker, so the preview shows what will be sent (R-EXP-PREVIEW).
std::string DescriptionWithMarker(const std::string& description, std::string_view marker);
std::string CommentWithMarker(const std::string& comment, std::string_view marker, int64_t case_id);

// How to send `remaining` results (issue 16): `batch` results per call, `in_flight` calls at
// once. Minimises the modelled time waves × (latency + batch × per_result), where waves =
// ceil(ceil(remaining / batch) / in_flight), plus a window's wait for every
// `allowed_per_window` calls beyond `calls_available` (-1: unlimited); a choice that is
// faster by less than 1% does not justify more calls. batch <= max_batch, in_flight <=
// max_in_flight.
struct BatchChoice {
  size_t batch = 0;
  size_t in_flight = 0;
  size_t calls = 0;
  double modelled_ms = 0;
};
BatchChoice ChooseBatches(size_t remaining, double latency_ms, double per_result_ms,
                          size_t max_batch, size_t max_in_flight, int64_t calls_available = -1,
                          int64_t allowed_per_window = 0, double window_ms = 61'000);

// The whole plan of a stored export (its head, ExportRecord::plan read with_plan, and its
// rows). Internal with reason kPlanUnreadable when the head is missing or unreadable or the
// rows do not add up to the plan's total (final); the store's own Status when reading fails
// (worth another try).
inline constexpr std::string_view kPlanUnreadable = "plan_unreadable";
Result<ExportPlan> LoadPlan(Store& store, const ExportRecord& rec);
// The plan of a stored export without its results (issue 16, memory flat in N): its head,
// and each entry's case_ids from the rows; the executor then reads the results a page at a
// time (ExecuteRequest::read_results). Errors as LoadPlan.
Result<ExportPlan> LoadPlanHead(Store& store, const ExportRecord& rec);

// Up to `limit` planned results of plan entry `entry` from position `from` on (plan order).
using PlannedResultReader =
    std::function<Result<std::vector<PlannedResult>>(size_t entry, size_t from, size_t limit)>;

// Progress of an export: results landed so far of the total.
using ExportProgressFn = std::function<void(int64_t done, int64_t total)>;

// Sends one run artifact to a TestRail result (issue 17): the export service's adapter over
// testrail::AttachmentUploader and the artifact's blob. Errors as
// AttachmentUploader::AddAttachmentToResult ("ambiguous_write"; "rejected" with
// Refusal::kPayloadTooLarge for a 413; other TestRail errors).
class AttachmentSink {
 public:
  virtual ~AttachmentSink() = default;
  virtual Result<std::string> Upload(int64_t result_id, const PlannedAttachment& a) = 0;
};

struct ExecuteRequest {
  ExportRecord* record = nullptr;  // updated in place (remote ids, url, counts, skipped)
  const ExportPlan* plan = nullptr;
  // Issue 16: when set, the results are read through it a page at a time and `plan`'s entries
  // carry their case_ids only (LoadPlanHead); otherwise they are plan->entries[i].results.
  PlannedResultReader read_results;
  int64_t testrail_project_id = 0;
  bool close_on_completion = true;
  ExportProgressFn progress;  // optional
  // Optional (issue 17): attachment uploads so far, after each one (the CLI progress bar).
  std::function<void(const ExportAttachmentProgress&)> attachment_progress;
  // Optional: true once the caller wants the export to stop (server shutdown, lost job
  // lease). Checked between batches; Execute then returns Internal and the journal lets a
  // later call resume.
  std::function<bool()> should_stop;
  // Issue 17: the artifacts to attach once their case's result landed (each to the result of
  // its case in every entry that has the case) and how to send them; nullptr / empty: none.
  const std::vector<PlannedAttachment>* attachments = nullptr;
  AttachmentSink* attachment_sink = nullptr;
};

class ExportExecutor {
 public:
  // All references must outlive the executor; `metrics` may be null.
  ExportExecutor(Store& store, const Clock& clock, obs::Metrics* metrics,
                 ExecutorOptions options = {});

  // Creates the run/plan (or finds the one an earlier attempt created), sends every result
  // that has not landed yet, and closes the run/plan when asked. Results TestRail rejects
  // because their case is gone ("case C123 unknown or not part of the test run") are
  // recorded as skipped (reason "rejected_by_testrail") and the rest is sent. Returns Ok
  // when everything that could be sent was sent (the record then tells whether anything was
  // skipped at send time: record->error_code "cases_rejected"); otherwise the error that
  // stopped it (TestRail's typed errors; the journal lets a later call resume).
  Status Execute(const ExecuteRequest& req, const testrail::TestRailClient& client);

  const ExecutorOptions& options() const { return options_; }

 private:
  class Run;
  Store& store_;
  const Clock& clock_;
  obs::Metrics* metrics_;
  ExecutorOptions options_;
};

}  // namespace nexus::integration
