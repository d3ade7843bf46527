// The simulator's rate-limit models; see rate_limiter.h.
#include "rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace testrail_sim {

std::string RateLimitModelName(RateLimitModel m) {
  switch (m) {
    case RateLimitModel::kBucket:
      return "bucket";
    case RateLimitModel::kSliding:
      return "sliding";
    case RateLimitModel::kFixed:
      return "fixed";
  }
  return "bucket";
}

std::optional<RateLimitModel> ParseRateLimitModel(const std::string& name) {
  if (name == "bucket") return RateLimitModel::kBucket;
  if (name == "sliding") return RateLimitModel::kSliding;
  if (name == "fixed") return RateLimitModel::kFixed;
  return std::nullopt;
}

void RateLimiter::Reset(RateLimitModel model, int limit_per_minute, double now_s, double window_s) {
  model_ = model;
  window_ = window_s > 0 ? window_s : 60;
  limit_ = limit_per_minute;
  tokens_ = limit_per_minute;
  refilled_at_ = now_s;
  times_.clear();
  minute_ = -1;
  in_minute_ = 0;
}

void RateLimiter::Advance(double now_s) {
  switch (model_) {
    case RateLimitModel::kBucket: {
      double elapsed = std::max(0.0, now_s - refilled_at_);
      tokens_ = std::min<double>(limit_, tokens_ + elapsed * limit_ / window_);
      refilled_at_ = std::max(refilled_at_, now_s);
      break;
    }
    case RateLimitModel::kSliding:
      while (!times_.empty() && times_.front() + window_ <= now_s) times_.pop_front();
      break;
    case RateLimitModel::kFixed: {
      int64_t minute = static_cast<int64_t>(std::floor(now_s / window_));
      if (minute != minute_) {
        minute_ = minute;
        in_minute_ = 0;
      }
      break;
    }
  }
}

double RateLimiter::SecondsUntilAccepted(double now_s) {
  if (limit_ <= 0) return 0;
  Advance(now_s);
  switch (model_) {
    case RateLimitModel::kBucket:
      return tokens_ >= 1.0 ? 0.0 : (1.0 - tokens_) * window_ / limit_;
    case RateLimitModel::kSliding:
      if (static_cast<int>(times_.size()) < limit_) return 0.0;
      // The call that leaves the window first frees the place.
      return times_[times_.size() - static_cast<size_t>(limit_)] + window_ - now_s;
    case RateLimitModel::kFixed:
      return in_minute_ < limit_ ? 0.0 : static_cast<double>(minute_ + 1) * window_ - now_s;
  }
  return 0;
}

int64_t RateLimiter::Admit(double now_s) {
  if (limit_ <= 0) return 0;
  double wait = SecondsUntilAccepted(now_s);
  if (wait <= 0) {
    switch (model_) {
      case RateLimitModel::kBucket:
        tokens_ -= 1.0;
        break;
      case RateLimitModel::kSliding:
        times_.push_back(now_s);
        break;
      case RateLimitModel::kFixed:
        ++in_minute_;
        break;
    }
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait - 1e-9)));
}

}  // namespace testrail_sim
