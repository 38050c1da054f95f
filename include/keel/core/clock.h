// keel/core/clock.h: injected time. The deterministic core never reads a clock itself.
#pragma once

#include <cstdint>

namespace keel {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t realtime_ns() const = 0;   // ns since the Unix epoch (wall clock)
  virtual int64_t monotonic_ns() const = 0;  // ns since an arbitrary origin, never decreases
};

// The process's real clocks (CLOCK_REALTIME, CLOCK_MONOTONIC).
class SystemClock final : public Clock {
 public:
  int64_t realtime_ns() const override;
  int64_t monotonic_ns() const override;
  static const SystemClock& instance();
};

}  // namespace keel
