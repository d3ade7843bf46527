// The simulator's three rate-limit models driven with explicit times (issue 16): what each
// accepts, and Retry-After = the whole seconds until a call would be accepted.
#include "rate_limiter.h"

#include <gtest/gtest.h>

#include "testrail_sim/sim_test_util.h"

namespace testrail_sim::testing {
namespace {

constexpr double kT0 = 1'800'000'000.0;  // a calendar minute starts here (divisible by 60)

TEST(RateLimiterTest, BucketBurstsItsSizeThenRefillsContinuously) {
  RateLimiter rl;
  rl.Reset(RateLimitModel::kBucket, 60, kT0);  // 1 token per second
  for (int i = 0; i < 60; ++i) EXPECT_EQ(rl.Admit(kT0 + 0.01), 0) << i;
  EXPECT_EQ(rl.Admit(kT0 + 0.01), 1);  // next token in 0.99 s
  EXPECT_EQ(rl.Admit(kT0 + 1.02), 0);
  EXPECT_EQ(rl.Admit(kT0 + 1.03), 1);
  // Idling refills up to the bucket's size only.
  for (int i = 0; i < 60; ++i) EXPECT_EQ(rl.Admit(kT0 + 1000), 0) << i;
  EXPECT_GE(rl.Admit(kT0 + 1000), 1);
}

TEST(RateLimiterTest, BucketRetryAfterIsTheTimeToTheNextToken) {
  RateLimiter rl;
  rl.Reset(RateLimitModel::kBucket, 6, kT0);  // a token every 10 s
  for (int i = 0; i < 6; ++i) EXPECT_EQ(rl.Admit(kT0), 0);
  EXPECT_EQ(rl.Admit(kT0), 10);
  EXPECT_EQ(rl.Admit(kT0 + 2.5), 8);  // ceil(7.5)
}

TEST(RateLimiterTest, SlidingAcceptsNoMoreThanNInAny60Seconds) {
  RateLimiter rl;
  rl.Reset(RateLimitModel::kSliding, 3, kT0);
  EXPECT_EQ(rl.Admit(kT0 + 0), 0);
  EXPECT_EQ(rl.Admit(kT0 + 10), 0);
  EXPECT_EQ(rl.Admit(kT0 + 20), 0);
  // The window frees a place when the call at +0 leaves it, at +60.
  EXPECT_EQ(rl.Admit(kT0 + 30), 30);
  EXPECT_EQ(rl.Admit(kT0 + 59.5), 1);
  EXPECT_EQ(rl.Admit(kT0 + 60), 0);
  // The next place is the call at +10's: +70.
  EXPECT_EQ(rl.Admit(kT0 + 61), 9);
  EXPECT_EQ(rl.Admit(kT0 + 70), 0);
  // Unlike a bucket, nothing accrues between: 3 at +200, then wait a full minute.
  RateLimiter fresh;
  fresh.Reset(RateLimitModel::kSliding, 3, kT0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(fresh.Admit(kT0 + 200), 0);
  EXPECT_EQ(fresh.Admit(kT0 + 200), 60);
  EXPECT_EQ(fresh.Admit(kT0 + 259), 1);
}

TEST(RateLimiterTest, SlidingRejectsWhatABucketAccepts) {
  // A bucket of 60 refilled at 1/s accepts 60 at once and another 30 over the next 30 s; a
  // sliding window of 60 refuses every call of those 30 s.
  RateLimiter bucket, sliding;
  bucket.Reset(RateLimitModel::kBucket, 60, kT0);
  sliding.Reset(RateLimitModel::kSliding, 60, kT0);
  int bucket_ok = 0, sliding_ok = 0;
  for (int i = 0; i < 60; ++i) {
    bucket_ok += bucket.Admit(kT0) == 0;
    sliding_ok += sliding.Admit(kT0) == 0;
  }
  for (int s = 1; s <= 30; ++s) {
    bucket_ok += bucket.Admit(kT0 + s) == 0;
    sliding_ok += sliding.Admit(kT0 + s) == 0;
  }
  EXPECT_EQ(bucket_ok, 90);
  EXPECT_EQ(sliding_ok, 60);
}

TEST(RateLimiterTest, FixedCountsCalendarMinutes) {
  RateLimiter rl;
  rl.Reset(RateLimitModel::kFixed, 3, kT0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rl.Admit(kT0 + 50), 0);
  EXPECT_EQ(rl.Admit(kT0 + 50), 10);   // the minute ends at +60
  EXPECT_EQ(rl.Admit(kT0 + 59.2), 1);  // ceil(0.8)
  // A new minute: 3 more at once, 6 within 11 s (what a sliding window would refuse).
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rl.Admit(kT0 + 61), 0);
  EXPECT_EQ(rl.Admit(kT0 + 61), 59);
}

TEST(RateLimiterTest, ZeroIsUnlimitedAndNamesRoundTrip) {
  RateLimiter rl;
  rl.Reset(RateLimitModel::kSliding, 0, kT0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(rl.Admit(kT0), 0);
  for (auto m : {RateLimitModel::kBucket, RateLimitModel::kSliding, RateLimitModel::kFixed})
    EXPECT_EQ(ParseRateLimitModel(RateLimitModelName(m)), m);
  EXPECT_FALSE(ParseRateLimitModel("leaky").has_value());
}

// Over HTTP: the knob selects the model; Retry-After and the body say when to come back.
TEST_F(SimTest, SlidingModelAnswersRetryAfterUntilTheWindowFrees) {
  AdminConfig({{"rate_limit_per_minute", 3}, {"rate_limit_model", "sliding"}});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api_->Get("get_projects").status, 200);
  Reply r = api_->Get("get_projects");
  ASSERT_EQ(r.status, 429);
  ASSERT_TRUE(r.headers.count("Retry-After"));
  int retry = std::stoi(r.headers.find("Retry-After")->second);
  // The first call leaves the window 60 s after it was made (a bucket of 3/min says <= 20).
  EXPECT_GE(retry, 55);
  EXPECT_LE(retry, 60);
  EXPECT_EQ(r.error(), "API Rate Limit Exceeded - 3 per minute maximum allowed. Retry after " +
                           std::to_string(retry) + " seconds.");
  EXPECT_EQ(sim_->config().rate_limit_model, RateLimitModel::kSliding);
}

TEST_F(SimTest, FixedModelRetryAfterIsTheRestOfTheMinute) {
  AdminConfig({{"rate_limit_per_minute", 2}, {"rate_limit_model", "fixed"}});
  int accepted = 0;
  Reply r;
  for (int i = 0; i < 5 && r.status != 429; ++i) {
    r = api_->Get("get_projects");
    accepted += r.status == 200;
  }
  ASSERT_EQ(r.status, 429);
  EXPECT_LE(accepted, 4);  // 2, or 2 + 2 when a minute ended meanwhile
  int retry = std::stoi(r.headers.find("Retry-After")->second);
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  EXPECT_NE(r.error().find("2 per minute maximum allowed. Retry after " + std::to_string(retry) +
                           " seconds."),
            std::string::npos);
}

TEST_F(SimTest, UnknownRateLimitModelIsRefused) {
  httplib::Client admin("127.0.0.1", sim_->port());
  auto res = admin.Post("/_sim/config", R"({"rate_limit_model": "leaky"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(sim_->config().rate_limit_model, RateLimitModel::kBucket);
}

}  // namespace
}  // namespace testrail_sim::testing
