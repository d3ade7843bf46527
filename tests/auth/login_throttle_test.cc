// Login throttling (R-Q-SEC): back-off per (account, address), per address and
// per account, no lock-out an attacker can impose on an owner, bounded memory.
#include "auth/login_throttle.h"

#include <gtest/gtest.h>

#include <atomic>

namespace nexus::auth {
namespace {

class TestClock : public Clock {
 public:
  TimeMs NowMs() const override { return now_.load(); }
  void Advance(TimeMs ms) { now_ += ms; }

 private:
  std::atomic<TimeMs> now_{1'000'000};
};

TEST(LoginThrottleTest, BacksOffExponentiallyAfterTheFreeFailures) {
  TestClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 0) << i;
    t.RecordFailure("ana@example.com", "10.0.0.1");
  }
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 1000);
  EXPECT_EQ(t.WaitMs("ANA@example.com", "10.0.0.1"), 1000) << "emails compare case-insensitively";
  clock.Advance(1000);
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 0);
  t.RecordFailure("ana@example.com", "10.0.0.1");
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 2000);
  clock.Advance(2000);
  t.RecordFailure("ana@example.com", "10.0.0.1");
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 4000);
  for (int i = 0; i < 30; ++i) t.RecordFailure("ana@example.com", "10.0.0.1");
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 15 * 60 * 1000) << "capped";
}

TEST(LoginThrottleTest, AnAttackerElsewhereCannotLockTheOwnerOut) {
  TestClock clock;
  LoginThrottle t(clock);
  // 500 wrong guesses for ana from 100 addresses.
  for (int a = 0; a < 100; ++a)
    for (int i = 0; i < 5; ++i)
      t.RecordFailure("ana@example.com", "203.0.113." + std::to_string(a));
  EXPECT_GT(t.WaitMs("ana@example.com", "203.0.113.7"), 0);
  // The owner, from her own address, waits at most the account-wide cap.
  TimeMs owner_wait = t.WaitMs("ana@example.com", "10.0.0.1");
  EXPECT_LE(owner_wait, 30 * 1000);
  clock.Advance(owner_wait);
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 0);
  // A success from the owner clears the account-wide count.
  t.RecordSuccess("ana@example.com", "10.0.0.1");
  EXPECT_EQ(t.WaitMs("ana@example.com", "10.0.0.1"), 0);
}

TEST(LoginThrottleTest, OneAddressGuessingManyAccountsIsSlowed) {
  TestClock clock;
  LoginThrottle t(clock);
  for (int i = 0; i < 20; ++i)
    t.RecordFailure("user" + std::to_string(i) + "@x.io", "198.51.100.9");
  EXPECT_EQ(t.WaitMs("someone-new@x.io", "198.51.100.9"), 1000);
  EXPECT_EQ(t.WaitMs("someone-new@x.io", "198.51.100.10"), 0) << "other addresses are free";
}

TEST(LoginThrottleTest, MemoryIsBoundedAndQuietKeysAreForgotten) {
  TestClock clock;
  LoginThrottleOptions o;
  o.max_entries = 50;
  LoginThrottle t(clock, o);
  for (int i = 0; i < 10; ++i) t.RecordFailure("victim@x.io", "192.0.2.1");
  EXPECT_GT(t.WaitMs("victim@x.io", "192.0.2.1"), 0);
  // Many other keys push the oldest out instead of growing without bound.
  for (int i = 0; i < 100; ++i) t.RecordFailure("u" + std::to_string(i) + "@x.io", "192.0.2.2");
  EXPECT_EQ(t.WaitMs("victim@x.io", "192.0.2.1"), 0);
  LoginThrottle quiet(clock);
  for (int i = 0; i < 10; ++i) quiet.RecordFailure("b@x.io", "192.0.2.3");
  clock.Advance(61 * 60 * 1000);
  EXPECT_EQ(quiet.WaitMs("b@x.io", "192.0.2.3"), 0);
}

}  // namespace
}  // namespace nexus::auth
