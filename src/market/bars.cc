#include "keel/market/bars.h"

#include <algorithm>
#include <cmath>

namespace keel::market {

void MidBars::on_mid(int64_t ts_ns, int64_t mid_e8) {
  if (mid_e8 <= 0 || ts_ns <= 0 || capacity_ == 0) return;
  const int64_t second = ts_ns / 1'000'000'000;
  if (!bars_.empty() && second <= bars_.back().second) {
    Bar& b = bars_.back();
    b.high_e8 = std::max(b.high_e8, mid_e8);
    b.low_e8 = std::min(b.low_e8, mid_e8);
    b.close_e8 = mid_e8;
    return;
  }
  if (!bars_.empty()) {
    // Flat bars for the seconds without a change, at most a window's worth.
    const int64_t prev_close = bars_.back().close_e8;
    const int64_t gap = second - bars_.back().second - 1;
    const int64_t first = second - std::min<int64_t>(gap, static_cast<int64_t>(capacity_));
    for (int64_t s = first; s < second; ++s) {
      bars_.push_back({s, prev_close, prev_close, prev_close, prev_close});
      if (bars_.size() > capacity_) bars_.pop_front();
    }
  }
  bars_.push_back({second, mid_e8, mid_e8, mid_e8, mid_e8});
  if (bars_.size() > capacity_) bars_.pop_front();
}

int64_t MidBars::sigma_e8(size_t n) const {
  if (n < 2 || bars_.size() < n + 1) return -1;
  const size_t first = bars_.size() - n;
  long double sum = 0, sum_sq = 0;
  for (size_t i = first; i < bars_.size(); ++i) {
    const long double prev = static_cast<long double>(bars_[i - 1].close_e8);
    const long double r = (static_cast<long double>(bars_[i].close_e8) - prev) / prev;
    sum += r;
    sum_sq += r * r;
  }
  const long double mean = sum / n;
  const long double var = std::max<long double>(0, (sum_sq - n * mean * mean) / (n - 1));
  return static_cast<int64_t>(std::llround(std::sqrt(var) * 1e8L));
}

int64_t MidBars::move_bps_e2(size_t seconds) const {
  if (seconds < 1 || bars_.size() < seconds + 1) return -1;
  const __int128 now = bars_.back().close_e8;
  const __int128 then = bars_[bars_.size() - 1 - seconds].close_e8;
  const __int128 diff = now > then ? now - then : then - now;
  return static_cast<int64_t>(diff * 1'000'000 / then);
}

int64_t MidBars::atr_e8(size_t period_s, size_t n, size_t end) const {
  if (period_s < 1 || n < 1 || end > bars_.size() || end < n * period_s + 1) return -1;
  __int128 total = 0;
  for (size_t p = 0; p < n; ++p, end -= period_s) {
    const size_t begin = end - period_s;
    int64_t high = bars_[begin].high_e8, low = bars_[begin].low_e8;
    for (size_t i = begin + 1; i < end; ++i) {
      high = std::max(high, bars_[i].high_e8);
      low = std::min(low, bars_[i].low_e8);
    }
    const int64_t prev_close = bars_[begin - 1].close_e8;
    total += std::max(high, prev_close) - std::min(low, prev_close);
  }
  return static_cast<int64_t>(total / static_cast<__int128>(n));
}

}  // namespace keel::market
