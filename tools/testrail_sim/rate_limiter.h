// The simulator's per-instance rate limit, in the three shapes a per-minute limit can take
// (TestRail documents its Cloud limit per minute, not its algorithm):
//   bucket  — token bucket of N tokens refilled at N per minute (bursts of N after idling);
//   sliding — at most N accepted calls in any 60-s window;
//   fixed   — at most N accepted calls per calendar minute (wall clock, :00 to :59).
// Admit() answers 0 (accepted) or the whole seconds until a call would be accepted (>= 1),
// which the simulator sends as Retry-After. Rejected calls never count. Not thread-safe (the
// simulator holds its mutex); time is passed in, so tests drive it without sleeping.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace testrail_sim {

enum class RateLimitModel { kBucket, kSliding, kFixed };

std::string RateLimitModelName(RateLimitModel m);
std::optional<RateLimitModel> ParseRateLimitModel(const std::string& name);

class RateLimiter {
 public:
  // Forgets every call made so far (a changed limit or model starts afresh: a full bucket,
  // an empty window).
  // `window_s`: the length of the "minute" (60; tests shorten it to compress time).
  void Reset(RateLimitModel model, int limit_per_minute, double now_s, double window_s = 60);
  // `now_s`: seconds on the wall clock (the fixed model's minutes start at multiples of 60).
  // 0 = accepted (and counted); else the seconds until a call would be accepted, rounded up.
  int64_t Admit(double now_s);
  // Exact seconds until a call would be accepted (0 when it would be now); does not count.
  double SecondsUntilAccepted(double now_s);

 private:
  void Advance(double now_s);

  RateLimitModel model_ = RateLimitModel::kBucket;
  int limit_ = 0;
  double window_ = 60;
  double tokens_ = 0;         // bucket
  double refilled_at_ = 0;    // bucket
  std::deque<double> times_;  // sliding: accepted calls of the last 60 s
  int64_t minute_ = -1;       // fixed: the calendar minute counted
  int in_minute_ = 0;         // fixed
};

}  // namespace testrail_sim
