// JobRunner implementation: N worker threads claiming from the store, one heartbeat thread
// renewing the leases of the jobs in flight.
#include "jobs/job_runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <exception>
#include <utility>

namespace nexus::jobs {

bool JobContext::StopRequested() const { return stopping_.load() || lease_lost_.load(); }

void JobContext::SetProgress(const nlohmann::json& progress) {
  Status s = store_.UpdateJobProgress(job_.id, progress.dump(), clock_.NowMs());
  if (!s.ok())
    spdlog::warn("event=job_progress_failed job_id={} error=\"{}\"", job_.id, s.message());
  else
    job_.progress_json = progress.dump();
}

Status JobContext::Heartbeat() {
  TimeMs now = clock_.NowMs();
  Status s = store_.HeartbeatJob(job_.id, job_.worker_id, now + lease_ms_, now);
  if (s.code() == StatusCode::kConflict) lease_lost_ = true;
  return s;
}

JobRunner::JobRunner(JobStore& store, const Clock& clock, JobRunnerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  if (!options_.worker_prefix.empty()) {
    worker_base_ = options_.worker_prefix;
  } else {
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
    worker_base_ = std::string(host) + "-" + std::to_string(getpid()) + "-" +
                   std::to_string(reinterpret_cast<uintptr_t>(this) & 0xffff) + "-";
  }
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(const std::string& kind, JobHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  if (handlers_.emplace(kind, std::move(handler)).second) kinds_.push_back(kind);
}

Result<int64_t> JobRunner::Enqueue(const std::string& kind, int64_t project_id,
                                   const nlohmann::json& payload, const std::string& dedupe_key) {
  NewJob job{kind, project_id, dedupe_key, payload.dump()};
  NEXUS_ASSIGN_OR_RETURN(int64_t id, store_.EnqueueJob(job, clock_.NowMs()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wake_seq_;
  }
  cv_.notify_all();
  spdlog::info("event=job_enqueued job_id={} kind={} project_id={}", id, kind, project_id);
  return id;
}

Result<Job> JobRunner::WaitFor(int64_t id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    uint64_t seq;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seq = wake_seq_;
    }
    NEXUS_ASSIGN_OR_RETURN(Job job, store_.GetJob(id));
    auto now = std::chrono::steady_clock::now();
    if (JobFinished(job.state) || now >= deadline) return job;
    auto wait = std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(options_.poll_interval_ms));
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [&] { return wake_seq_ != seq; });
  }
}

void JobRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  for (int i = 0; i < std::max(1, options_.threads); ++i)
    threads_.emplace_back([this, i] { WorkerLoop(i); });
  threads_.emplace_back([this] { HeartbeatLoop(); });
}

void JobRunner::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    ++wake_seq_;
  }
  cv_.notify_all();
}

void JobRunner::Stop() {
  RequestStop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void JobRunner::WorkerLoop(int n) {
  const std::string worker_id = worker_base_ + std::to_string(n);
  while (!stopping_) {
    uint64_t seq;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seq = wake_seq_;
    }
    auto claimed = store_.ClaimNextJob(clock_.NowMs(), worker_id, options_.lease_ms, kinds_);
    if (!claimed.ok()) {
      spdlog::warn("event=job_claim_failed worker={} error=\"{}\"", worker_id,
                   claimed.status().message());
    } else if (claimed->has_value()) {
      RunOne(std::move(**claimed), worker_id);
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                 [&] { return stopping_ || wake_seq_ != seq; });
  }
}

void JobRunner::HeartbeatLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.heartbeat_ms),
                 [&] { return stopping_.load(); });
    if (stopping_) break;
    // Under mu_: a context stays alive while it is in in_flight_.
    for (auto& [id, entry] : in_flight_) {
      Status s = entry.second->Heartbeat();
      if (!s.ok())
        spdlog::warn("event=job_heartbeat_failed job_id={} error=\"{}\"", id, s.message());
    }
  }
}

void JobRunner::RunOne(Job job, const std::string& worker_id) {
  const int64_t id = job.id;
  const std::string kind = job.kind;
  auto it = handlers_.find(kind);
  spdlog::info("event=job_started job_id={} kind={} attempt={} worker={}", id, kind, job.attempts,
               worker_id);
  JobContext ctx(std::move(job), store_, clock_, options_.lease_ms, stopping_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[id] = {worker_id, &ctx};
  }
  Result<nlohmann::json> result = [&]() -> Result<nlohmann::json> {
    if (it == handlers_.end()) return Internal("no handler for job kind '" + kind + "'");
    try {
      return it->second(ctx);
    } catch (const std::exception& e) {
      return Internal(std::string("job handler threw: ") + e.what());
    } catch (...) {
      return Internal("job handler threw");
    }
  }();
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(id);
  }
  if (ctx.lease_lost_) {
    spdlog::warn("event=job_lease_lost job_id={} kind={}", id, kind);
  } else if (!result.ok() && stopping_) {
    spdlog::info("event=job_interrupted job_id={} kind={} (resumed after lease expiry)", id, kind);
  } else {
    Status s = result.ok() ? store_.FinishJob(id, worker_id, JobState::kSucceeded, result->dump(),
                                              "", clock_.NowMs())
                           : store_.FinishJob(id, worker_id, JobState::kFailed, "",
                                              result.status().message(), clock_.NowMs());
    if (!s.ok())
      spdlog::warn("event=job_finish_failed job_id={} error=\"{}\"", id, s.message());
    else
      spdlog::info("event=job_finished job_id={} kind={} state={}", id, kind,
                   result.ok() ? "succeeded" : "failed");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wake_seq_;
  }
  cv_.notify_all();
}

}  // namespace nexus::jobs
