// SqliteStore: the jobs role (job_store.h, migration 0004_catalog_links_jobs.sql).
// Claiming is a compare-and-set inside the write transaction, so two workers (threads or
// processes sharing the database) never hold the same job.
#include <algorithm>

#include "storage/sql_pool.h"
#include "storage/sqlite_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<JobState> JobStateFromName(std::string_view name) {
  for (JobState s :
       {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kFailed})
    if (JobStateName(s) == name) return s;
  return std::nullopt;
}

namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr char kJobCols[] =
    "SELECT id, kind, project_id, dedupe_key, state, payload, progress, result, error, "
    "attempts, worker_id, lease_until, created_at, started_at, finished_at, updated_at "
    "FROM jobs ";

std::string TextOrEmpty(const Statement& st, int col) {
  return st.IsNull(col) ? std::string() : st.Text(col);
}

Job ReadJob(const Statement& st) {
  Job j;
  j.id = st.Int64(0);
  j.kind = st.Text(1);
  j.project_id = st.Int64(2);
  j.dedupe_key = TextOrEmpty(st, 3);
  j.state = JobStateFromName(st.Text(4)).value_or(JobState::kFailed);
  j.payload_json = st.Text(5);
  j.progress_json = TextOrEmpty(st, 6);
  j.result_json = TextOrEmpty(st, 7);
  j.error = TextOrEmpty(st, 8);
  j.attempts = static_cast<int>(st.Int64(9));
  j.worker_id = TextOrEmpty(st, 10);
  j.lease_until = st.OptInt64(11);
  j.created_at = st.Int64(12);
  j.started_at = st.OptInt64(13);
  j.finished_at = st.OptInt64(14);
  j.updated_at = st.Int64(15);
  return j;
}

Result<Job> LoadJob(Connection& c, std::string_view op, int64_t id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, std::string(kJobCols) + "WHERE id = ?1"));
  st.Bind(1, id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("job " + std::to_string(id) + " not found", "job_id");
  return ReadJob(st);
}

}  // namespace

Result<int64_t> SqliteStore::EnqueueJob(const NewJob& job, TimeMs now) {
  constexpr std::string_view kOp = "enqueue job";
  if (job.kind.empty()) return InvalidArgument("job kind must not be empty", "kind");
  int64_t id = 0;
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    if (!job.dedupe_key.empty()) {
      NEXUS_ASSIGN_OR_RETURN(Statement q,
                             c.Prepare(kOp,
                                       "SELECT id FROM jobs WHERE dedupe_key = ?1 AND state IN "
                                       "('queued', 'running')"));
      q.Bind(1, job.dedupe_key);
      NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
      if (row)
        return Conflict("job " + std::to_string(q.Int64(0)) + " (" + job.dedupe_key +
                            ") is already queued or running",
                        "already_running");
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO jobs (kind, project_id, dedupe_key, state, payload, created_at, "
                  "updated_at) VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?5) RETURNING id"));
    st.Bind(1, job.kind).Bind(2, job.project_id).Bind(4, job.payload_json).Bind(5, now);
    if (job.dedupe_key.empty())
      st.BindNull(3);
    else
      st.Bind(3, job.dedupe_key);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Internal(std::string(kOp) + ": no id returned");
    id = st.Int64(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

namespace {

// PostgreSQL (issue 15, several instances on one database): one statement picks the oldest
// claimable job of `kinds` and locks it with FOR UPDATE SKIP LOCKED — a row another instance
// is claiming right now is skipped, not waited for — and marks it running, in a READ
// COMMITTED transaction that does not take the single writer lock, so idle workers polling
// every instance do not queue behind the writers. Row locks keep it exclusive: a concurrent
// heartbeat/finish of the same row waits for this commit and then sees the new worker_id.
Result<std::optional<Job>> ClaimNextJobPostgres(Connection& c, std::string_view op, TimeMs now,
                                                const std::string& worker_id, int64_t lease_ms,
                                                const std::vector<std::string>& kinds) {
  std::string kind_filter;
  for (size_t k = 0; k < kinds.size(); ++k)
    kind_filter += (k == 0 ? " AND kind IN (?" : ", ?") + std::to_string(5 + k);
  if (!kinds.empty()) kind_filter += ")";
  NEXUS_ASSIGN_OR_RETURN(
      Statement up,
      c.Prepare(op,
                "UPDATE jobs SET state = 'running', worker_id = ?2, lease_until = ?3, "
                "attempts = attempts + 1, started_at = COALESCE(started_at, ?4), updated_at = ?4 "
                "WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' OR (state = 'running' "
                "AND (lease_until IS NULL OR lease_until < ?1)))" +
                    kind_filter + " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"));
  up.Bind(1, now).Bind(2, worker_id).Bind(3, now + lease_ms).Bind(4, now);
  for (size_t k = 0; k < kinds.size(); ++k) up.Bind(static_cast<int>(5 + k), kinds[k]);
  NEXUS_ASSIGN_OR_RETURN(bool row, up.Step());
  if (!row) return std::optional<Job>();
  const int64_t id = up.Int64(0);
  NEXUS_RETURN_IF_ERROR(up.Run());
  NEXUS_ASSIGN_OR_RETURN(Job j, LoadJob(c, op, id));
  return std::optional<Job>(std::move(j));
}

}  // namespace

Result<std::optional<Job>> SqliteStore::ClaimNextJob(TimeMs now, const std::string& worker_id,
                                                     int64_t lease_ms,
                                                     const std::vector<std::string>& kinds) {
  constexpr std::string_view kOp = "claim job";
  std::optional<Job> claimed;
  if (pool_->dialect() == sql::Dialect::kPostgres) {
    Status s = RowLockingTx(kOp, [&](Connection& c) -> Status {
      NEXUS_ASSIGN_OR_RETURN(claimed,
                             ClaimNextJobPostgres(c, kOp, now, worker_id, lease_ms, kinds));
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return claimed;
  }
  // SQLite: one writer at a time, so a select-then-update inside the write transaction is a
  // compare-and-set.
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    std::optional<int64_t> pick;
    {
      // Few rows are ever claimable at once; the kind filter runs here so the statement
      // text stays fixed.
      NEXUS_ASSIGN_OR_RETURN(
          Statement q,
          c.Prepare(kOp,
                    "SELECT id, kind FROM jobs WHERE state = 'queued' OR (state = 'running' "
                    "AND (lease_until IS NULL OR lease_until < ?1)) ORDER BY id"));
      q.Bind(1, now);
      while (true) {
        NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        if (kinds.empty() || std::find(kinds.begin(), kinds.end(), q.Text(1)) != kinds.end()) {
          pick = q.Int64(0);
          break;
        }
      }
    }
    if (!pick) return Status::Ok();
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement up,
          c.Prepare(kOp,
                    "UPDATE jobs SET state = 'running', worker_id = ?2, lease_until = ?3, "
                    "attempts = attempts + 1, started_at = COALESCE(started_at, ?4), "
                    "updated_at = ?4 WHERE id = ?1"));
      NEXUS_RETURN_IF_ERROR(
          up.Bind(1, *pick).Bind(2, worker_id).Bind(3, now + lease_ms).Bind(4, now).Run());
    }
    NEXUS_ASSIGN_OR_RETURN(Job j, LoadJob(c, kOp, *pick));
    claimed = std::move(j);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status SqliteStore::HeartbeatJob(int64_t id, const std::string& worker_id, TimeMs lease_until,
                                 TimeMs now) {
  constexpr std::string_view kOp = "heartbeat job";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement up,
                           c.Prepare(kOp,
                                     "UPDATE jobs SET lease_until = ?3, updated_at = ?4 WHERE id = "
                                     "?1 AND state = 'running' AND worker_id = ?2"));
    NEXUS_RETURN_IF_ERROR(
        up.Bind(1, id).Bind(2, worker_id).Bind(3, lease_until).Bind(4, now).Run());
    if (up.Changes() == 0)
      return Conflict("job " + std::to_string(id) + " is no longer held by this worker",
                      "lease_lost");
    return Status::Ok();
  });
}

Status SqliteStore::UpdateJobProgress(int64_t id, const std::string& progress_json, TimeMs now) {
  constexpr std::string_view kOp = "update job progress";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement up,
        c.Prepare(kOp, "UPDATE jobs SET progress = ?2, updated_at = ?3 WHERE id = ?1"));
    NEXUS_RETURN_IF_ERROR(up.Bind(1, id).Bind(2, progress_json).Bind(3, now).Run());
    if (up.Changes() == 0) return NotFound("job " + std::to_string(id) + " not found", "job_id");
    return Status::Ok();
  });
}

Status SqliteStore::FinishJob(int64_t id, const std::string& worker_id, JobState state,
                              const std::string& result_json, const std::string& error,
                              TimeMs now) {
  constexpr std::string_view kOp = "finish job";
  if (!JobFinished(state)) return InvalidArgument("a job finishes as succeeded or failed", "state");
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Job j, LoadJob(c, kOp, id));
    if (JobFinished(j.state))
      return Conflict("job " + std::to_string(id) + " is already finished", "already_finished");
    if (!worker_id.empty() && (j.state != JobState::kRunning || j.worker_id != worker_id))
      return Conflict("job " + std::to_string(id) + " is no longer held by this worker",
                      "lease_lost");
    NEXUS_ASSIGN_OR_RETURN(
        Statement up,
        c.Prepare(kOp,
                  "UPDATE jobs SET state = ?2, result = ?3, error = ?4, finished_at = ?5, "
                  "updated_at = ?5, lease_until = NULL WHERE id = ?1"));
    up.Bind(1, id).Bind(2, JobStateName(state)).Bind(5, now);
    if (result_json.empty())
      up.BindNull(3);
    else
      up.Bind(3, result_json);
    if (error.empty())
      up.BindNull(4);
    else
      up.Bind(4, error);
    return up.Run();
  });
}

Result<Job> SqliteStore::GetJob(int64_t id) {
  constexpr std::string_view kOp = "get job";
  Job out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(out, LoadJob(c, kOp, id));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<Job>> SqliteStore::ListJobs(int64_t project_id, const std::string& kind,
                                               int limit) {
  constexpr std::string_view kOp = "list jobs";
  if (limit < 1) return InvalidArgument("limit must be at least 1", "limit");
  limit = std::min(limit, 1000);
  std::vector<Job> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, std::string(kJobCols) + "WHERE (?1 = 0 OR project_id = ?1) AND (?2 = '' OR "
                                               "kind = ?2) ORDER BY id DESC LIMIT ?3"));
    st.Bind(1, project_id).Bind(2, kind).Bind(3, limit);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadJob(st));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace nexus
