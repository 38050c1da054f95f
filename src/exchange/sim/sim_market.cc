// The sim's market view: which source (bookTicker or depth) is fresher and what rests where.
#include "sim/sim_market.h"

#include <variant>

namespace keel::exchange::sim {

void MarketView::on_event(const market::MarketEvent& ev) {
  if (const auto* t = std::get_if<market::BookTicker>(&ev.body)) {
    ticker_.seen = true;
    ticker_.update_id = t->update_id;
    ticker_.bid_e8 = t->bid_price_e8;
    ticker_.bid_qty_e8 = t->bid_qty_e8;
    ticker_.ask_e8 = t->ask_price_e8;
    ticker_.ask_qty_e8 = t->ask_qty_e8;
    return;
  }
  book_.on_event(ev);  // depth diffs and snapshots; trades leave it unchanged
}

bool MarketView::ticker_fresher() const {
  if (!ticker_.seen) return false;
  return !book_.synced() || ticker_.update_id >= book_.last_update_id();
}

int64_t MarketView::best_e8(Side side) const {
  if (ticker_fresher()) return side == Side::kBuy ? ticker_.bid_e8 : ticker_.ask_e8;
  if (!book_.synced()) return 0;
  return side == Side::kBuy ? book_.best_bid_e8() : book_.best_ask_e8();
}

std::optional<int64_t> MarketView::level_qty_e8(Side side, int64_t price_e8) const {
  if (ticker_fresher()) {
    const bool buy = side == Side::kBuy;
    const int64_t best = buy ? ticker_.bid_e8 : ticker_.ask_e8;
    const int64_t best_qty = buy ? ticker_.bid_qty_e8 : ticker_.ask_qty_e8;
    if (best > 0) {
      const bool better = buy ? price_e8 > best : price_e8 < best;
      if (better) return 0;
      if (price_e8 == best) return best_qty;
    }
  }
  if (!book_.synced()) return std::nullopt;
  return book_.qty_at_e8(side, price_e8);
}

}  // namespace keel::exchange::sim
