// JobRunner: runs the durable jobs recorded in the JobStore (storage/job_store.h) — catalog
// syncs, exports — on a small pool of worker threads.
//
// Life of a job: Enqueue() records it "queued"; a worker claims it (state "running" under a
// lease of options.lease_ms, attempts + 1) and calls the handler registered for its kind;
// while the handler runs, the runner renews the lease every options.heartbeat_ms; the
// handler's answer finishes the job: ok → "succeeded" with the returned JSON as result, an
// error → "failed" with the Status message as error. A failed job is NOT retried
// automatically (handlers retry what is worth retrying themselves — the TestRail client
// already does — and the user or the next trigger enqueues a new job).
//
// Resume: a job whose worker died (crash, kill, power loss) stays "running" with a lease that
// expires; any runner sharing the store then claims it again (attempts + 1) and calls the
// handler from the start, so handlers must be idempotent or resume from their own progress
// (JobContext::job().progress_json holds the last SetProgress()).
//
// Stop(): asks running handlers to stop (JobContext::StopRequested()), and joins every
// thread. A handler that returns an error while a stop is requested leaves its job
// "running" with its lease (it was interrupted, not failed); the next runner resumes it after
// the lease expires. A handler that completes successfully finishes normally.
//
// Thread-safety: Register() before Start(); every other method may be called from any
// thread. The store and Clock must outlive the runner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "storage/job_store.h"

namespace nexus::jobs {

struct JobRunnerOptions {
  int threads = 2;                 // worker threads
  int poll_interval_ms = 500;      // how often an idle worker looks for claimable jobs
  int64_t lease_ms = 30'000;       // lease of a running job (tests shorten it)
  int64_t heartbeat_ms = 10'000;   // lease renewal period; keep well below lease_ms
  std::string worker_prefix = "";  // worker ids are "<prefix><host-pid>-<n>"; "" = auto
};

// What a handler sees of its job. Not copyable; valid only during the handler call.
class JobContext {
 public:
  const Job& job() const { return job_; }
  // True once the runner is stopping or the lease was lost; a long handler checks it between
  // units of work and returns (any error) promptly.
  bool StopRequested() const;
  // Records progress (shown by GET endpoints and given back on resume). Best effort: a store
  // failure is logged, not returned.
  void SetProgress(const nlohmann::json& progress);
  // Renews the lease now (the runner also does it periodically). Conflict "lease_lost" when
  // another worker took the job over; the handler should then stop.
  Status Heartbeat();

  JobContext(const JobContext&) = delete;
  JobContext& operator=(const JobContext&) = delete;

 private:
  friend class JobRunner;
  JobContext(Job job, JobStore& store, const Clock& clock, int64_t lease_ms,
             const std::atomic<bool>& stopping)
      : job_(std::move(job)),
        store_(store),
        clock_(clock),
        lease_ms_(lease_ms),
        stopping_(stopping) {}
  Job job_;
  JobStore& store_;
  const Clock& clock_;
  int64_t lease_ms_;
  const std::atomic<bool>& stopping_;
  std::atomic<bool> lease_lost_{false};
};

using JobHandler = std::function<Result<nlohmann::json>(JobContext&)>;

class JobRunner {
 public:
  JobRunner(JobStore& store, const Clock& clock, JobRunnerOptions options = {});
  ~JobRunner();  // Stop()s
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Registers the handler of a kind; only registered kinds are claimed by this runner.
  // Call before Start().
  void Register(const std::string& kind, JobHandler handler);

  // Records a queued job and wakes a worker. Conflict (reason "already_running") when
  // dedupe_key is non-empty and a queued/running job has it. InvalidArgument for an empty
  // kind.
  Result<int64_t> Enqueue(const std::string& kind, int64_t project_id,
                          const nlohmann::json& payload, const std::string& dedupe_key = "");

  // Waits until the job is finished (succeeded or failed) or `timeout` passed, and returns
  // its record — still queued/running on timeout. Works for jobs run by other processes too
  // (polls the store every poll interval). NotFound for an unknown job.
  Result<Job> WaitFor(int64_t id, std::chrono::milliseconds timeout);

  // Starts the worker and heartbeat threads. Idempotent.
  void Start();
  // Asks handlers to stop (JobContext::StopRequested() turns true) without waiting; no new
  // job is claimed afterwards. Stop() still has to be called. Idempotent.
  void RequestStop();
  // Asks handlers to stop, wakes and joins every thread (see the file comment for what
  // happens to interrupted jobs). Idempotent; the runner cannot be restarted.
  void Stop();

  const JobRunnerOptions& options() const { return options_; }

 private:
  void WorkerLoop(int n);
  void HeartbeatLoop();
  void RunOne(Job job, const std::string& worker_id);

  JobStore& store_;
  const Clock& clock_;
  const JobRunnerOptions options_;
  std::string worker_base_;
  std::map<std::string, JobHandler> handlers_;  // written before Start() only
  std::vector<std::string> kinds_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards started_, wake_seq_, in_flight_; with cv_
  std::condition_variable cv_;
  bool started_ = false;
  uint64_t wake_seq_ = 0;  // bumped by Enqueue and by every finished job
  std::map<int64_t, std::pair<std::string, JobContext*>> in_flight_;  // id → worker, ctx
  std::vector<std::thread> threads_;
};

}  // namespace nexus::jobs
