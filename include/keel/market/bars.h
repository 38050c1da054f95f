// keel/market/bars.h: one-second bars of a symbol's mid price, the rolling history strategies
// read for volatility (seed 004's sigma), price velocity (seed 003's price-jump guard) and the
// average true range (seed 001 §2.2).
//
// Fed in receive order with the mid of each book change and the exchange time of the event, it
// is a pure function of the event sequence: a replay (and a restart that re-reads the recording
// up to where the exchange is, engine.h observe) rebuilds exactly the same bars. Time is the
// exchange's (ns); a second with no book change repeats the previous close (a flat bar), so the
// bars are contiguous. At most `capacity` bars are kept (a limit on everything).
//
// Units: prices are mid prices at 10^-8 quote per base (e8), the mean of best bid and best ask
// rounded down; returns and volatilities are fractions of price at 10^-8 (e8: 1 bp = 10'000).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace keel::market {

struct Bar {
  int64_t second = 0;  // exchange time / 1 s
  int64_t open_e8 = 0, high_e8 = 0, low_e8 = 0, close_e8 = 0;
};

class MidBars {
 public:
  static constexpr size_t kDefaultCapacity = 3600;  // one hour of seconds
  explicit MidBars(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // A new mid at exchange time ts_ns (ns). A time earlier than the newest bar's second is
  // folded into the newest bar (receive order wins; the recorder's clocks are not monotonic).
  // mid_e8 <= 0 or ts_ns <= 0 is ignored.
  void on_mid(int64_t ts_ns, int64_t mid_e8);

  const std::deque<Bar>& bars() const { return bars_; }
  bool empty() const { return bars_.empty(); }
  int64_t last_mid_e8() const { return bars_.empty() ? 0 : bars_.back().close_e8; }

  // The sample standard deviation of the close-to-close returns of the last `n` one-second
  // bars, fraction of price at 1e-8 per sqrt(second) (e8). -1 while fewer than n+1 bars exist
  // (not warmed up). REQUIRES n >= 2.
  int64_t sigma_e8(size_t n) const;

  // |close now - close `seconds` bars ago| / close then, in bps at 10^-2 (bps_e2: 1 bp = 100),
  // over the newest bars. -1 while fewer than seconds+1 bars exist. REQUIRES seconds >= 1.
  int64_t move_bps_e2(size_t seconds) const;

  // The average true range of the last `n` periods of `period_s` seconds each (bars grouped
  // from the newest backwards), in price e8: the mean over periods of max(high, previous close)
  // - min(low, previous close) (Wilder's true range with a simple mean). -1 while fewer than
  // n*period_s+1 bars exist. REQUIRES n >= 1, period_s >= 1. With `end` (one past the newest
  // bar to use, at most bars().size()), the periods end there instead of at the newest bar.
  int64_t atr_e8(size_t period_s, size_t n) const { return atr_e8(period_s, n, bars_.size()); }
  int64_t atr_e8(size_t period_s, size_t n, size_t end) const;

 private:
  size_t capacity_;
  std::deque<Bar> bars_;
};

}  // namespace keel::market
