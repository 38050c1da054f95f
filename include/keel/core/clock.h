// keel/core/clock.h: injected time. The deterministic core never reads a clock itself.
#pragma once

#include <cstdint>
#include <limits>

namespace keel {

// ms -> ns, saturating at the int64 limits (a journaled timestamp is venue input: any value).
constexpr int64_t ms_to_ns(int64_t ms) {
  constexpr int64_t kNsPerMs = 1'000'000;
  if (ms > std::numeric_limits<int64_t>::max() / kNsPerMs) return std::numeric_limits<int64_t>::max();
  if (ms < std::numeric_limits<int64_t>::min() / kNsPerMs) return std::numeric_limits<int64_t>::min();
  return ms * kNsPerMs;
}

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
