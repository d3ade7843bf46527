// Durable jobs: the Store's job records (enqueue, dedupe, claim, lease expiry, heartbeat,
// finish) and the JobRunner (handlers, failure, progress, stop and resume by another runner).
#include "jobs/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage/store.h"

namespace nexus::jobs {
namespace {

using namespace std::chrono_literals;

class FakeClock : public Clock {
 public:
  TimeMs NowMs() const override { return now_.load(); }
  void Advance(TimeMs ms) { now_ += ms; }

 private:
  std::atomic<TimeMs> now_{1'700'000'000'000};
};

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqliteStore(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->Migrate().ok());
  }
  JobRunnerOptions FastOptions() {
    JobRunnerOptions o;
    o.threads = 2;
    o.poll_interval_ms = 10;
    o.lease_ms = 1000;
    o.heartbeat_ms = 20;
    return o;
  }
  std::unique_ptr<Store> store_;
  FakeClock clock_;
};

TEST_F(JobsTest, EnqueueDedupeAndFinishAllowsNewJob) {
  auto a = store_->EnqueueJob({"sync", 7, "sync:7", "{\"x\":1}"}, 100);
  ASSERT_TRUE(a.ok());
  auto b = store_->EnqueueJob({"sync", 7, "sync:7", "{}"}, 101);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kConflict);
  EXPECT_EQ(b.status().reason(), "already_running");
  // Without a key there is no de-duplication.
  EXPECT_TRUE(store_->EnqueueJob({"sync", 7, "", "{}"}, 102).ok());
  // Still deduped while running.
  auto c = store_->ClaimNextJob(200, "w1", 1000, {"sync"});
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->id, *a);
  EXPECT_EQ(store_->EnqueueJob({"sync", 7, "sync:7", "{}"}, 201).status().reason(),
            "already_running");
  ASSERT_TRUE(store_->FinishJob(*a, "w1", JobState::kSucceeded, "{\"ok\":true}", "", 300).ok());
  EXPECT_TRUE(store_->EnqueueJob({"sync", 7, "sync:7", "{}"}, 301).ok());
  auto j = store_->GetJob(*a);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kSucceeded);
  EXPECT_EQ(j->result_json, "{\"ok\":true}");
  EXPECT_EQ(j->payload_json, "{\"x\":1}");
  EXPECT_EQ(j->finished_at, 300);
  EXPECT_FALSE(j->lease_until.has_value());
  EXPECT_EQ(store_->FinishJob(*a, "", JobState::kFailed, "", "x", 400).reason(),
            "already_finished");
}

TEST_F(JobsTest, ClaimLeaseExpiryResumeAndHeartbeat) {
  auto id = store_->EnqueueJob({"export", 1, "", "{}"}, 0);
  ASSERT_TRUE(id.ok());
  // Other kinds are not claimed.
  auto none = store_->ClaimNextJob(10, "w1", 1000, {"catalog_sync"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto a = store_->ClaimNextJob(10, "w1", 1000, {"export"});
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->attempts, 1);
  EXPECT_EQ((*a)->state, JobState::kRunning);
  EXPECT_EQ((*a)->lease_until, 1010);
  EXPECT_EQ((*a)->started_at, 10);
  // Lease held: nothing to claim.
  auto b = store_->ClaimNextJob(500, "w2", 1000, {});
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  // Heartbeat extends it.
  ASSERT_TRUE(store_->HeartbeatJob(*id, "w1", 2000, 900).ok());
  b = store_->ClaimNextJob(1500, "w2", 1000, {});
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  // Expired: another worker resumes it.
  b = store_->ClaimNextJob(2001, "w2", 1000, {});
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->attempts, 2);
  EXPECT_EQ((*b)->worker_id, "w2");
  EXPECT_EQ((*b)->started_at, 10);
  // The old holder lost it.
  EXPECT_EQ(store_->HeartbeatJob(*id, "w1", 5000, 2002).reason(), "lease_lost");
  EXPECT_EQ(store_->FinishJob(*id, "w1", JobState::kSucceeded, "{}", "", 2003).reason(),
            "lease_lost");
  EXPECT_TRUE(store_->FinishJob(*id, "w2", JobState::kFailed, "", "boom", 2004).ok());
  EXPECT_EQ(store_->HeartbeatJob(*id, "w2", 5000, 2005).reason(), "lease_lost");
  EXPECT_EQ(store_->GetJob(*id)->error, "boom");
  EXPECT_EQ(store_->GetJob(999).status().code(), StatusCode::kNotFound);
}

TEST_F(JobsTest, ListJobsNewestFirstFiltered) {
  ASSERT_TRUE(store_->EnqueueJob({"a", 1, "", "{}"}, 0).ok());
  ASSERT_TRUE(store_->EnqueueJob({"b", 1, "", "{}"}, 0).ok());
  ASSERT_TRUE(store_->EnqueueJob({"a", 2, "", "{}"}, 0).ok());
  ASSERT_TRUE(store_->EnqueueJob({"a", 1, "", "{}"}, 0).ok());
  auto l = store_->ListJobs(1, "a", 10);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_GT((*l)[0].id, (*l)[1].id);
  EXPECT_EQ(store_->ListJobs(0, "", 10)->size(), 4u);
  EXPECT_EQ(store_->ListJobs(0, "", 1)->size(), 1u);
  EXPECT_EQ(store_->ListJobs(0, "", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(JobsTest, RunnerRunsHandlersAndRecordsResultProgressAndFailure) {
  JobRunner runner(*store_, clock_, FastOptions());
  runner.Register("double", [](JobContext& ctx) -> Result<nlohmann::json> {
    auto p = nlohmann::json::parse(ctx.job().payload_json);
    ctx.SetProgress({{"step", 1}});
    return nlohmann::json{{"value", p["n"].get<int>() * 2}};
  });
  runner.Register(
      "fail", [](JobContext&) -> Result<nlohmann::json> { return InvalidArgument("bad things"); });
  runner.Start();
  auto ok_id = runner.Enqueue("double", 3, {{"n", 21}});
  auto fail_id = runner.Enqueue("fail", 3, nlohmann::json::object());
  ASSERT_TRUE(ok_id.ok() && fail_id.ok());
  auto ok_job = runner.WaitFor(*ok_id, 5s);
  ASSERT_TRUE(ok_job.ok());
  EXPECT_EQ(ok_job->state, JobState::kSucceeded);
  EXPECT_EQ(nlohmann::json::parse(ok_job->result_json)["value"], 42);
  EXPECT_EQ(nlohmann::json::parse(ok_job->progress_json)["step"], 1);
  auto fail_job = runner.WaitFor(*fail_id, 5s);
  ASSERT_TRUE(fail_job.ok());
  EXPECT_EQ(fail_job->state, JobState::kFailed);
  EXPECT_EQ(fail_job->error, "bad things");
  // No automatic retry.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(store_->GetJob(*fail_id)->attempts, 1);
  EXPECT_EQ(store_->GetJob(*fail_id)->state, JobState::kFailed);
  EXPECT_EQ(runner.WaitFor(12345, 10ms).status().code(), StatusCode::kNotFound);
}

TEST_F(JobsTest, WaitForTimesOutWithCurrentState) {
  JobRunner runner(*store_, clock_, FastOptions());  // not started
  auto id = runner.Enqueue("nobody", 1, nlohmann::json::object());
  ASSERT_TRUE(id.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto j = runner.WaitFor(*id, 60ms);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kQueued);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 60ms);
}

TEST_F(JobsTest, HeartbeatKeepsLongJobLeased) {
  JobRunner runner(*store_, clock_, FastOptions());
  std::atomic<bool> release{false};
  runner.Register("long", [&](JobContext&) -> Result<nlohmann::json> {
    while (!release) std::this_thread::sleep_for(5ms);
    return nlohmann::json::object();
  });
  runner.Start();
  auto id = runner.Enqueue("long", 1, nlohmann::json::object());
  ASSERT_TRUE(id.ok());
  // Let it be claimed, then move time well past the first lease; heartbeats renew it.
  for (int i = 0; i < 200 && store_->GetJob(*id)->state != JobState::kRunning; ++i)
    std::this_thread::sleep_for(5ms);
  TimeMs first_lease = *store_->GetJob(*id)->lease_until;
  for (int i = 0; i < 10; ++i) {  // 5 s of fake time in steps shorter than the lease
    clock_.Advance(500);
    std::this_thread::sleep_for(60ms);
  }
  auto j = store_->GetJob(*id);
  EXPECT_EQ(j->state, JobState::kRunning);
  EXPECT_GE(*j->lease_until, first_lease + 5000);
  // Nobody else can claim it.
  EXPECT_FALSE(store_->ClaimNextJob(clock_.NowMs(), "other", 1000, {})->has_value());
  release = true;
  EXPECT_EQ(runner.WaitFor(*id, 5s)->state, JobState::kSucceeded);
  EXPECT_EQ(store_->GetJob(*id)->attempts, 1);
}

TEST_F(JobsTest, StopLeavesInterruptedJobRunningAndNextRunnerResumesAfterLease) {
  std::atomic<int> calls{0};
  auto handler = [&](JobContext& ctx) -> Result<nlohmann::json> {
    ++calls;
    if (ctx.job().attempts == 1) {
      ctx.SetProgress({{"done", 5}});
      while (!ctx.StopRequested()) std::this_thread::sleep_for(5ms);
      return Status(StatusCode::kUnavailable, "stopped");
    }
    // Resumed: sees the progress of the first attempt.
    return nlohmann::json{{"resumed_from", nlohmann::json::parse(ctx.job().progress_json)}};
  };
  int64_t id = 0;
  {
    JobRunner first(*store_, clock_, FastOptions());
    first.Register("resumable", handler);
    first.Start();
    auto e = first.Enqueue("resumable", 1, nlohmann::json::object(), "resumable:1");
    ASSERT_TRUE(e.ok());
    id = *e;
    for (int i = 0; i < 200 && calls == 0; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_EQ(calls, 1);
    first.Stop();
  }
  auto j = store_->GetJob(id);
  EXPECT_EQ(j->state, JobState::kRunning);
  // Still deduped: the interrupted job is not lost.
  EXPECT_EQ(
      store_->EnqueueJob({"resumable", 1, "resumable:1", "{}"}, clock_.NowMs()).status().reason(),
      "already_running");

  JobRunner second(*store_, clock_, FastOptions());
  second.Register("resumable", handler);
  second.Start();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls, 1) << "lease still valid: not resumed yet";
  clock_.Advance(1001);
  auto done = second.WaitFor(id, 5s);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_EQ(done->attempts, 2);
  EXPECT_EQ(nlohmann::json::parse(done->result_json)["resumed_from"]["done"], 5);
}

TEST_F(JobsTest, HandlerExceptionFailsJob) {
  JobRunner runner(*store_, clock_, FastOptions());
  runner.Register(
      "throws", [](JobContext&) -> Result<nlohmann::json> { throw std::runtime_error("kaboom"); });
  runner.Start();
  auto id = runner.Enqueue("throws", 1, nlohmann::json::object());
  ASSERT_TRUE(id.ok());
  auto j = runner.WaitFor(*id, 5s);
  EXPECT_EQ(j->state, JobState::kFailed);
  EXPECT_NE(j->error.find("kaboom"), std::string::npos);
  runner.Stop();
  runner.Stop();  // idempotent
}

}  // namespace
}  // namespace nexus::jobs
