#include "keel/strategy/common.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace keel::strategy {

bool actionable(const model::Order& o) {
  return o.phase == model::OrderPhase::kOpen && !o.cancel_pending && !o.cancel_refused &&
         !o.amend_pending;
}

int64_t remaining_lots(const model::Order& o) {
  return std::max<int64_t>(0, o.qty_lots - o.filled_lots);
}

bool venue_accepts(const Instrument& ins, int64_t price_ticks, int64_t lots) {
  return price_ticks > 0 && lots > 0 && lots >= ins.min_qty_lots &&
         ins.notional_e8(price_ticks, lots) >= ins.min_notional_e8;
}

PostOnlyBounds post_only_bounds(const MarketView& view, const Instrument& ins) {
  PostOnlyBounds b{view.best_ask_ticks - 1, view.best_bid_ticks + 1};
  if (view.book == nullptr || !view.book->synced()) return b;
  if (const int64_t a = view.book->best_ask_e8(); a > 0) {
    b.max_buy_ticks = std::min(b.max_buy_ticks, (a + ins.tick_e8 - 1) / ins.tick_e8 - 1);
  }
  if (const int64_t bid = view.book->best_bid_e8(); bid > 0) {
    b.min_sell_ticks = std::max(b.min_sell_ticks, bid / ins.tick_e8 + 1);
  }
  return b;
}

bool drifted(int64_t want_ticks, int64_t have_ticks, int64_t threshold_bps_e8) {
  const __int128 diff = want_ticks > have_ticks ? want_ticks - have_ticks : have_ticks - want_ticks;
  return diff * 10'000 * 100'000'000 > static_cast<__int128>(threshold_bps_e8) * have_ticks;
}

IntentSpec make_intent(IntentSpec::Kind kind, int64_t key, Side side, std::string cid,
                       std::string reason) {
  IntentSpec s;
  s.kind = kind;
  s.slot_key = key;
  s.side = side;
  s.client_order_id = std::move(cid);
  s.reason = std::move(reason);
  return s;
}

double sigma_over_horizon(const MarketView& view, int64_t window_s, int64_t horizon_s) {
  const int64_t s = view.bars == nullptr ? -1 : view.bars->sigma_e8(static_cast<size_t>(window_s));
  if (s < 0) return -1;
  return static_cast<double>(s) / 1e8 * std::sqrt(static_cast<double>(horizon_s));
}

}  // namespace keel::strategy
