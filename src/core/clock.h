// The one way Nexus reads the time, so tests can use a fake clock.
#pragma once

#include <chrono>

#include "core/types.h"

namespace nexus {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, ms since the epoch. Thread-safe.
  virtual TimeMs NowMs() const = 0;
};

class SystemClock : public Clock {
 public:
  TimeMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace nexus
