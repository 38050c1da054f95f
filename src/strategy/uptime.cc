#include "keel/strategy/uptime.h"

#include <algorithm>

namespace keel::strategy {

namespace {
constexpr int64_t kWhole = 1'000'000;  // the whole price in bps at 10^-2
}  // namespace

bool quoting_bilateral(const model::TaskState& task, int64_t band_bps_e2) {
  if (!task.has_mark()) return false;
  const __int128 mid2 = static_cast<__int128>(task.mark_bid_ticks) + task.mark_ask_ticks;
  bool bid = false, ask = false;
  for (const auto& [key, slot] : task.slots) {
    const model::Order* o = task.current_order(slot);
    if (o == nullptr || o->phase != model::OrderPhase::kOpen || o->qty_lots - o->filled_lots <= 0) continue;
    // |price - mid| / mid <= band  <=>  |2 price - mid2| * 10^6 <= band * mid2
    const __int128 gap = 2 * static_cast<__int128>(o->price_ticks) - mid2;
    if ((gap < 0 ? -gap : gap) * kWhole > band_bps_e2 * mid2) continue;
    (o->side == Side::kBuy ? bid : ask) = true;
    if (bid && ask) return true;
  }
  return false;
}

void UptimeMeter::add(int64_t from_ns, int64_t to_ns, bool quoting) {
  while (from_ns < to_ns) {
    const int64_t hour = from_ns / kNsPerHour;
    const int64_t end = std::min(to_ns, (hour + 1) * kNsPerHour);
    Hour& h = hours_[hour];
    h.observed_ns += end - from_ns;
    if (quoting) h.quoted_ns += end - from_ns;
    from_ns = end;
  }
  while (hours_.size() > kHoursRetained) hours_.erase(hours_.begin());
}

void UptimeMeter::step(const model::TaskState& task, int64_t ts_ns) {
  if (ts_ns <= 0) return;  // a record without exchange time (before any market event)
  if (started_ && ts_ns > last_ns_) {
    observed_ns_ += ts_ns - last_ns_;
    if (quoting_) quoted_ns_ += ts_ns - last_ns_;
    add(last_ns_, ts_ns, quoting_);
  }
  if (!started_ || ts_ns > last_ns_) last_ns_ = ts_ns;
  started_ = true;
  quoting_ = quoting_bilateral(task);
}

size_t UptimeMeter::hours_on_target() const {
  size_t n = 0;
  for (const auto& [hour, h] : hours_) n += h.quoted_ns >= kUptimeTargetNsPerHour ? 1 : 0;
  return n;
}

}  // namespace keel::strategy
