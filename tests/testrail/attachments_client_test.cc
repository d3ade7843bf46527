// TestRailClient attachments against the in-process simulator (issue 17): a streamed
// multipart upload (the file is read piece by piece, never whole), listing by test, the 413
// and ambiguous-answer errors, and the budget's background priority.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "simulator.h"
#include "testrail/attachments.h"
#include "testrail/client.h"
#include "testrail/curl_transport.h"
#include "testrail/errors.h"

namespace nexus::testrail {
namespace {

// A deterministic body of `size` bytes produced on demand; remembers the largest read asked.
class PatternSource : public BodySource {
 public:
  explicit PatternSource(uint64_t size) : size_(size) {}
  uint64_t size() const override { return size_; }
  size_t ReadAt(uint64_t offset, char* buf, size_t cap) override {
    size_t n = static_cast<size_t>(std::min<uint64_t>(cap, size_ - std::min(offset, size_)));
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>('a' + (offset + i) % 26);
    largest_read = std::max(largest_read.load(), cap);
    return n;
  }
  std::atomic<size_t> largest_read{0};

 private:
  uint64_t size_;
};

std::string Pattern(uint64_t size) {
  std::string s(size, '\0');
  for (uint64_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class AttachmentClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testrail_sim::SimulatorOptions opts;
    opts.generate =
        testrail_sim::GenerateSpec{.projects = 1, .suites = 1, .sections = 2, .cases = 5};
    sim_ = std::make_unique<testrail_sim::Simulator>(std::move(opts));
    std::string error;
    ASSERT_TRUE(sim_->Start(&error)) << error;
    TestRailClientOptions o;
    o.requests_per_minute = 0;
    o.allow_private = true;
    o.retry.base_backoff_ms = 10;
    TestRailConfig config{sim_->base_url(), testrail_sim::kDefaultEmail,
                          testrail_sim::kDefaultApiKey, o};
    auto c = TestRailClient::Create(config, transport_, budgets_, &metrics_);
    ASSERT_TRUE(c.ok()) << c.status().message();
    client_ = std::move(c).value();
    auto u = AttachmentUploader::Create(config, upload_transport_, budgets_, &metrics_);
    ASSERT_TRUE(u.ok()) << u.status().message();
    uploader_ = std::move(u).value();
    auto cases = client_->GetCases({.project_id = 1});
    ASSERT_TRUE(cases.ok()) << cases.status().message();
    auto run = client_->AddRun(1, {.name = "attachments", .include_all = true});
    ASSERT_TRUE(run.ok()) << run.status().message();
    auto results = client_->AddResultsForCases(
        run->id, {ResultForCase{.case_id = (*cases)[0].id, .status_id = 5}});
    ASSERT_TRUE(results.ok()) << results.status().message();
    result_id_ = (*results)[0].id;
    test_id_ = (*results)[0].test_id;
  }

  obs::Metrics metrics_;
  RateBudgets budgets_{nullptr, &metrics_};
  CurlTransport transport_;
  CurlUploadTransport upload_transport_;
  std::unique_ptr<testrail_sim::Simulator> sim_;
  std::unique_ptr<TestRailClient> client_;
  std::unique_ptr<AttachmentUploader> uploader_;
  int64_t result_id_ = 0;
  int64_t test_id_ = 0;
};

TEST_F(AttachmentClientTest, StreamsAFileAndListsItByTest) {
  const uint64_t size = 5u << 20;  // 5 MiB, read in pieces
  auto source = std::make_shared<PatternSource>(size);
  auto id = uploader_->AddAttachmentToResult(
      result_id_, {.name = "step \"1\".png", .media_type = "image/png", .content = source});
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(*id, "1");
  EXPECT_LT(source->largest_read.load(), size_t{1} << 20);  // never asked for the whole file

  std::string path, type;
  ASSERT_TRUE(sim_->model().AttachmentFile(1, &path, &type));
  EXPECT_EQ(type, "image/png");
  std::ifstream in(path, std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(stored.size(), size);
  EXPECT_TRUE(stored == Pattern(size));

  auto list = GetAttachmentsForTest(*client_, test_id_);
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "1");
  EXPECT_EQ((*list)[0].name, "step _1_.png");  // quotes cannot break the part header
  EXPECT_EQ((*list)[0].size, static_cast<int64_t>(size));
  EXPECT_EQ((*list)[0].result_id, result_id_);
}

TEST_F(AttachmentClientTest, TooLargeIsATypedError) {
  auto cfg = sim_->config();
  cfg.max_attachment_bytes = 100;
  sim_->SetConfig(cfg);
  auto id = uploader_->AddAttachmentToResult(result_id_,
                                             {.name = "big.log",
                                              .media_type = "text/plain",
                                              .content = std::make_shared<PatternSource>(101)});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().reason(), "rejected");
  auto err = ErrorOf(id.status());
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->refusal, Refusal::kPayloadTooLarge);
  EXPECT_EQ(sim_->model().AttachmentCount(), 0u);
}

TEST_F(AttachmentClientTest, UnknownResultIsRejected) {
  auto id =
      uploader_->AddAttachmentToResult(999999, {.name = "a.log",
                                                .media_type = "text/plain",
                                                .content = std::make_shared<PatternSource>(10)});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().reason(), "rejected");
}

TEST_F(AttachmentClientTest, AnAmbiguousAnswerIsReportedNotRetried) {
  auto cfg = sim_->config();
  testrail_sim::FaultRule rule;
  std::string error;
  ASSERT_TRUE(
      testrail_sim::ParseFaultRule("add_attachment_to_result:1:500-after-apply", &rule, &error))
      << error;
  cfg.faults = {rule};
  sim_->SetConfig(cfg);
  auto id = uploader_->AddAttachmentToResult(result_id_,
                                             {.name = "a.log",
                                              .media_type = "text/plain",
                                              .content = std::make_shared<PatternSource>(10)});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().reason(), "ambiguous_write");
  EXPECT_EQ(sim_->model().AttachmentCount(), 1u);  // applied once, not re-sent
  auto list = GetAttachmentsForTest(*client_, test_id_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);  // what the caller reconciles with
  EXPECT_EQ((*list)[0].name, "a.log");
  EXPECT_EQ((*list)[0].size, 10);
}

TEST_F(AttachmentClientTest, RateLimitedUploadsAreRetriedFromTheStart) {
  // One call per 500 ms on the simulator: the listing takes it, the upload is answered 429
  // (not applied), waits Retry-After and is streamed again from its first byte.
  auto cfg = sim_->config();
  cfg.rate_limit_per_minute = 1;
  cfg.rate_limit_window_ms = 500;
  sim_->SetConfig(cfg);
  ASSERT_TRUE(GetAttachmentsForTest(*client_, test_id_).ok());
  auto id = uploader_->AddAttachmentToResult(result_id_,
                                             {.name = "b.log",
                                              .media_type = "text/plain",
                                              .content = std::make_shared<PatternSource>(1000)});
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_GE(sim_->Stats().rate_limited, 1);
  EXPECT_EQ(sim_->model().AttachmentCount(), 1u);
  std::string path, type;
  ASSERT_TRUE(sim_->model().AttachmentFile(1, &path, &type));
  std::ifstream in(path, std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(stored, Pattern(1000));
}

TEST(RateBudgetPriorityTest, BackgroundCallersGoAfterWaitingForegroundCallers) {
  SteadyMonotonicClock clock;
  // One call per 300-ms window.
  RateBudget budget("k", {.requests_per_minute = 1, .share = 1, .window_ms = 300, .margin_ms = 0},
                    clock, nullptr, 1);
  ASSERT_EQ(budget.Allowed(), 1);
  budget.Acquire();  // fills the window
  std::atomic<int64_t> fg_at{0}, bg_at{0};
  std::thread fg([&] {
    budget.Acquire();
    fg_at = clock.NowUs();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // fg is now waiting
  std::thread bg([&] {
    AcquireBackground(budget, clock);
    bg_at = clock.NowUs();
  });
  fg.join();
  bg.join();
  EXPECT_LT(fg_at.load(), bg_at.load());
  // The background call waited for the window after the foreground one.
  EXPECT_GE(bg_at.load() - fg_at.load(), 250'000);
}

TEST(RateBudgetPriorityTest, BackgroundTakesAFreePlaceAtOnce) {
  SteadyMonotonicClock clock;
  RateBudget budget("k", {.requests_per_minute = 10, .share = 1}, clock, nullptr, 1);
  EXPECT_EQ(AcquireBackground(budget, clock), 0);
  EXPECT_EQ(budget.InWindow(), 1);
}

}  // namespace
}  // namespace nexus::testrail
