// Login throttling; see login_throttle.h.
#include "auth/login_throttle.h"

#include "auth/text_util.h"

#include <algorithm>
#include <cctype>

namespace nexus::auth {
namespace {

std::string PairKey(const std::string& email, const std::string& address) {
  return "p\n" + LowerAscii(email) + "\n" + address;
}
std::string AddressKey(const std::string& address) { return "a\n" + address; }
std::string AccountKey(const std::string& email) { return "u\n" + LowerAscii(email); }

}  // namespace

LoginThrottle::LoginThrottle(const Clock& clock, LoginThrottleOptions options)
    : clock_(clock), options_(options) {}

TimeMs LoginThrottle::WaitLocked(const std::string& key, TimeMs now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  if (now - it->second.last_failure_at > options_.forget_after_ms) {
    ForgetLocked(key);
    return 0;
  }
  return std::max<TimeMs>(0, it->second.next_allowed_at - now);
}

TimeMs LoginThrottle::WaitMs(const std::string& email, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  TimeMs now = clock_.NowMs();
  return std::max({WaitLocked(PairKey(email, address), now), WaitLocked(AddressKey(address), now),
                   WaitLocked(AccountKey(email), now)});
}

void LoginThrottle::FailLocked(const std::string& key, int free_failures, TimeMs max_delay,
                               TimeMs now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    while (entries_.size() >= options_.max_entries && !order_.empty()) ForgetLocked(order_.front());
    order_.push_back(key);
    it = entries_.emplace(key, Entry{}).first;
    it->second.order = std::prev(order_.end());
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  Entry& e = it->second;
  ++e.failures;
  e.last_failure_at = now;
  int over = e.failures - free_failures + 1;  // the free failures used up: wait
  if (over <= 0) return;
  TimeMs delay = options_.base_delay_ms;
  for (int i = 1; i < over && delay < max_delay; ++i) delay *= 2;
  e.next_allowed_at = now + std::min(delay, max_delay);
}

void LoginThrottle::ForgetLocked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  order_.erase(it->second.order);
  entries_.erase(it);
}

void LoginThrottle::RecordFailure(const std::string& email, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  TimeMs now = clock_.NowMs();
  FailLocked(PairKey(email, address), options_.pair_free_failures, options_.max_delay_ms, now);
  FailLocked(AddressKey(address), options_.address_free_failures, options_.max_delay_ms, now);
  FailLocked(AccountKey(email), options_.account_free_failures, options_.account_max_delay_ms, now);
}

void LoginThrottle::RecordSuccess(const std::string& email, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  ForgetLocked(PairKey(email, address));
  ForgetLocked(AccountKey(email));
}

}  // namespace nexus::auth
