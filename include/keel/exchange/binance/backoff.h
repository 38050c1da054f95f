// keel/exchange/binance/backoff.h: reconnect delays, exponential with jitter, capped.
//
// Attempt n (0 after construction or reset()) waits
//   ceiling_n = min(cap_ms, base_ms * 2^n)
//   delay_n   = ceiling_n / 2 + rng() % (ceiling_n - ceiling_n / 2 + 1)      ("equal jitter")
// so every delay lies in [ceiling_n / 2, ceiling_n]: it grows until the cap, is never zero, and
// clients that lost the venue together do not reconnect together (web-socket-streams.md allows
// 300 connection attempts per 5 minutes per IP). The RNG is injected so tests are exact.
// Not thread-safe: one per stream thread.
#pragma once

#include <cstdint>
#include <functional>

namespace keel::exchange::binance {

class Backoff {
 public:
  using Rng = std::function<uint64_t()>;
  static constexpr int64_t kDefaultBaseMs = 250;
  static constexpr int64_t kDefaultCapMs = 30'000;

  // REQUIRES: 0 < base_ms <= cap_ms, rng callable.
  Backoff(int64_t base_ms, int64_t cap_ms, Rng rng);

  // A std::mt19937_64 seeded with `seed` (0: seeded from std::random_device).
  static Rng seeded_rng(uint64_t seed);

  int64_t next_delay_ms();  // the delay before attempt attempts(), then counts it
  void reset();             // after a connection that worked: start again at base
  int attempts() const { return attempts_; }

 private:
  int64_t base_ms_;
  int64_t cap_ms_;
  Rng rng_;
  int attempts_ = 0;
};

}  // namespace keel::exchange::binance
