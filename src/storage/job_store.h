// JobStore: the durable background jobs role of the Store contract (store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "storage/job_records.h"

namespace nexus {

class JobStore {
 public:
  virtual ~JobStore() = default;

  // ---- Jobs (jobs/job_runner.h; records in storage/job_records.h). Durable background
  // work. A job is queued, then running under a lease (worker_id, lease_until), then
  // succeeded or failed. A running job whose lease expired may be claimed again (resume
  // after a crash or a stopped runner).
  //
  // Records a queued job; returns its id. Conflict (reason "already_running") when
  // job.dedupe_key is non-empty and a queued or running job has the same key.
  virtual Result<int64_t> EnqueueJob(const NewJob& job, TimeMs now) = 0;
  // Claims the oldest claimable job (queued, or running with lease_until < now) whose kind
  // is in `kinds` (empty: any kind): state running, worker_id, lease_until = now + lease_ms,
  // attempts + 1, started_at set on the first claim. nullopt when there is none.
  virtual Result<std::optional<Job>> ClaimNextJob(TimeMs now, const std::string& worker_id,
                                                  int64_t lease_ms,
                                                  const std::vector<std::string>& kinds) = 0;
  // Extends the lease. Conflict (reason "lease_lost") when the job is not running under
  // `worker_id` any more (it expired and another worker claimed it, or it finished).
  virtual Status HeartbeatJob(int64_t id, const std::string& worker_id, TimeMs lease_until,
                              TimeMs now) = 0;
  // Replaces the progress JSON of a running job. NotFound for an unknown job.
  virtual Status UpdateJobProgress(int64_t id, const std::string& progress_json, TimeMs now) = 0;
  // Finishes a job (state kSucceeded or kFailed; InvalidArgument otherwise), clearing its
  // lease. Conflict (reason "lease_lost") when `worker_id` is non-empty and does not hold the
  // job; Conflict (reason "already_finished") when it is finished already.
  virtual Status FinishJob(int64_t id, const std::string& worker_id, JobState state,
                           const std::string& result_json, const std::string& error,
                           TimeMs now) = 0;
  virtual Result<Job> GetJob(int64_t id) = 0;
  // Newest first; project_id 0 / empty kind: any. limit capped at 1000.
  virtual Result<std::vector<Job>> ListJobs(int64_t project_id, const std::string& kind,
                                            int limit) = 0;
};

}  // namespace nexus
