// Stored durable jobs (store.h "Jobs", migration 0004): what the job runner (jobs/) records
// for each unit of background work — exports, catalog syncs. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace nexus {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed };

// "queued" | "running" | "succeeded" | "failed".
std::string_view JobStateName(JobState s);
// nullopt for an unknown name.
std::optional<JobState> JobStateFromName(std::string_view name);
inline bool JobFinished(JobState s) { return s == JobState::kSucceeded || s == JobState::kFailed; }

struct Job {
  int64_t id = 0;
  std::string kind;        // handler name, e.g. "catalog_sync", "export"
  int64_t project_id = 0;  // 0: not tied to a project
  std::string dedupe_key;  // empty: none
  JobState state = JobState::kQueued;
  std::string payload_json = "{}";
  std::string progress_json;  // empty until the handler reports progress
  std::string result_json;    // set when succeeded
  std::string error;          // set when failed
  int attempts = 0;           // claims so far (1 on the first run, 2 after one resume…)
  std::string worker_id;      // holder of the lease while running
  std::optional<TimeMs> lease_until;
  TimeMs created_at = 0;
  std::optional<TimeMs> started_at;  // first claim
  std::optional<TimeMs> finished_at;
  TimeMs updated_at = 0;
};

struct NewJob {
  std::string kind;
  int64_t project_id = 0;
  std::string dedupe_key;  // empty: no de-duplication
  std::string payload_json = "{}";
};

}  // namespace nexus
