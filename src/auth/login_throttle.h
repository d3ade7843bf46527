// Login throttling (R-Q-SEC): slows password guessing per account and per client address with
// an exponential back-off, without a lock-out an attacker could use against a user.
//
// Three keys are counted for every failed login: the (account, client address) pair, the
// client address alone, and the account alone. Each key allows a number of free failures, then
// doubles a waiting time from `base_delay_ms` up to `max_delay_ms` for every further failure;
// a login attempted while a key waits is refused at once (429 with Retry-After), before any
// password is hashed. The account-wide key has a much higher allowance and a short cap, so an
// attacker guessing from many addresses slows the account a little but never locks its owner
// out, while the owner's own (account, address) pair stays free. A success clears the pair and
// the account. Memory is bounded: at most `max_entries` keys, the oldest forgotten first.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/types.h"

namespace nexus::auth {

struct LoginThrottleOptions {
  int pair_free_failures = 5;      // per (account, address): failures before the first wait
  int address_free_failures = 20;  // per address, any account
  int account_free_failures = 50;  // per account, any address
  TimeMs base_delay_ms = 1000;
  TimeMs max_delay_ms = 15 * 60 * 1000;
  TimeMs account_max_delay_ms = 30 * 1000;  // the cap an attacker can impose on an owner
  TimeMs forget_after_ms = 60 * 60 * 1000;  // a quiet key is forgotten after this
  size_t max_entries = 100000;
};

class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, LoginThrottleOptions options = {});

  // 0 when a login for (email, address) may be tried now; otherwise the milliseconds until it
  // may. `email` is compared case-insensitively. Thread-safe.
  TimeMs WaitMs(const std::string& email, const std::string& address);
  // Records the outcome of a login that was tried. Thread-safe.
  void RecordFailure(const std::string& email, const std::string& address);
  void RecordSuccess(const std::string& email, const std::string& address);

 private:
  struct Entry {
    int failures = 0;
    TimeMs next_allowed_at = 0;
    TimeMs last_failure_at = 0;
    std::list<std::string>::iterator order;
  };
  TimeMs WaitLocked(const std::string& key, TimeMs now);
  void FailLocked(const std::string& key, int free_failures, TimeMs max_delay, TimeMs now);
  void ForgetLocked(const std::string& key);

  const Clock& clock_;
  const LoginThrottleOptions options_;
  std::mutex mu_;  // guards entries_ and order_
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // least recently failed first
};

}  // namespace nexus::auth
