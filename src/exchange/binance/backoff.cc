// Reconnect backoff (backoff.h states the schedule).
#include "keel/exchange/binance/backoff.h"

#include <memory>
#include <random>

#include "keel/core/status.h"

namespace keel::exchange::binance {

Backoff::Backoff(int64_t base_ms, int64_t cap_ms, Rng rng)
    : base_ms_(base_ms), cap_ms_(cap_ms), rng_(std::move(rng)) {
  KEEL_ASSERT(base_ms_ > 0 && base_ms_ <= cap_ms_);
  KEEL_ASSERT(static_cast<bool>(rng_));
}

Backoff::Rng Backoff::seeded_rng(uint64_t seed) {
  if (seed == 0) seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] { return (*engine)(); };
}

int64_t Backoff::next_delay_ms() {
  int64_t ceiling = base_ms_;
  for (int i = 0; i < attempts_ && ceiling < cap_ms_; ++i) ceiling *= 2;  // no overflow: stops at cap
  if (ceiling > cap_ms_) ceiling = cap_ms_;
  ++attempts_;
  const int64_t half = ceiling / 2;
  const uint64_t span = static_cast<uint64_t>(ceiling - half) + 1;
  return half + static_cast<int64_t>(rng_() % span);
}

void Backoff::reset() { attempts_ = 0; }

}  // namespace keel::exchange::binance
